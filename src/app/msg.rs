//! What the application says: text with typed pieces (people, roles,
//! channels, instants, emphasis) instead of any chat system's markup. The
//! Discord adapter renders the pieces as `<@id>`, `<t:…:R>`, `**…**`; the
//! console as names and local times. Messages are stored in the outbox, so
//! they serialise.
//!
//! `say!` writes one text per language side by side, so a change to one is
//! seen next to the other; the compiler checks that both use exactly the
//! pieces given.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::customer::{Language, Snowflake};

/// A word or text in both languages, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub en: &'static str,
    pub es: &'static str,
}

impl Local {
    pub const fn new(en: &'static str, es: &'static str) -> Local {
        Local { en, es }
    }

    pub fn get(self, lang: Language) -> &'static str {
        match lang {
            Language::En => self.en,
            Language::Es => self.es,
        }
    }

    /// Whether `typed` is this word in either language.
    pub fn is(self, typed: &str) -> bool {
        typed == self.en || typed == self.es
    }
}

/// How an instant is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeStyle {
    /// Date and time: `Mon 2026-11-30 10:00`.
    Full,
    /// Relative to the reader's now: `in 29 min`.
    Relative,
    /// Both: `Mon 2026-11-30 10:00 (in 29 min)`.
    FullRelative,
}

/// One piece of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Span {
    Text {
        text: String,
    },
    /// Emphasised text (a ticket number, a total).
    Strong {
        text: String,
    },
    User {
        id: Snowflake,
    },
    Role {
        id: Snowflake,
    },
    Channel {
        id: Snowflake,
    },
    /// A command as the reader types it (`/ticket reopen number:ACME-3`),
    /// written from its declaration (`Spec::typed`).
    Command {
        text: String,
    },
    /// An instant; `zone` is the time zone it belongs to (a customer's),
    /// for readers whose client does not localise it.
    Time {
        at: DateTime<Utc>,
        zone: Option<Tz>,
        style: TimeStyle,
    },
}

impl Span {
    pub fn text(text: impl Into<String>) -> Span {
        Span::Text { text: text.into() }
    }

    pub fn strong(text: impl ToString) -> Span {
        Span::Strong { text: text.to_string() }
    }

    pub fn user(id: Snowflake) -> Span {
        Span::User { id }
    }

    pub fn role(id: Snowflake) -> Span {
        Span::Role { id }
    }

    pub fn channel(id: Snowflake) -> Span {
        Span::Channel { id }
    }

    pub fn command(text: impl Into<String>) -> Span {
        Span::Command { text: text.into() }
    }

    pub fn time(at: DateTime<Utc>, zone: Option<Tz>, style: TimeStyle) -> Span {
        Span::Time { at, zone, style }
    }
}

/// A message: pieces in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Msg(Vec<Span>);

impl Msg {
    pub fn spans(&self) -> &[Span] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, span: Span) {
        match (self.0.last_mut(), span) {
            (_, Span::Text { text }) if text.is_empty() => {}
            (Some(Span::Text { text: last }), Span::Text { text }) => last.push_str(&text),
            (_, span) => self.0.push(span),
        }
    }

    pub fn push_text(&mut self, text: &str) {
        self.push(Span::text(text));
    }

    pub fn append(&mut self, other: Msg) {
        for span in other.0 {
            self.push(span);
        }
    }

    /// `parts` joined by `separator`.
    pub fn join(parts: impl IntoIterator<Item = Msg>, separator: &str) -> Msg {
        let mut out = Msg::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push_text(separator);
            }
            out.append(part);
        }
        out
    }

    /// The message with its pieces as plain text: people and places by id,
    /// instants in UTC. For logs and tests; adapters render properly.
    pub fn plain(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Span::Text { text } | Span::Strong { text } | Span::Command { text } => text.clone(),
                Span::User { id } => format!("@{id}"),
                Span::Role { id } => format!("@&{id}"),
                Span::Channel { id } => format!("#{id}"),
                Span::Time { at, .. } => at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect()
    }

    /// How long the message can be as any adapter writes it (Discord's
    /// markup, the longest: `<@id>`, `<t:…:F> (<t:…:R>)`, `**…**`): for
    /// limits on a message's length, such as Discord's 2,000 characters.
    pub fn max_len(&self) -> usize {
        self.0
            .iter()
            .map(|s| match s {
                Span::Text { text } => text.chars().count(),
                Span::Strong { text } => text.chars().count() + 4,
                Span::Command { text } => text.chars().count() + 2,
                // An id has at most 20 digits.
                Span::User { .. } | Span::Channel { .. } => 23,
                Span::Role { .. } => 24,
                Span::Time { .. } => 40,
            })
            .sum()
    }

    /// Fills `{name}` placeholders of `template` with `args` (`{{` and `}}`
    /// are braces). [`say!`] checks at compile time that every placeholder
    /// has an argument and every argument a placeholder.
    #[doc(hidden)]
    pub fn fill(template: &str, args: &[(&str, Msg)]) -> Msg {
        let mut out = Msg::default();
        let mut rest = template;
        while let Some(i) = rest.find(['{', '}']) {
            out.push_text(&rest[..i]);
            let brace = &rest[i..];
            if brace.starts_with("{{") || brace.starts_with("}}") {
                out.push_text(&brace[..1]);
                rest = &brace[2..];
                continue;
            }
            let Some(end) = brace.find('}').filter(|_| brace.starts_with('{')) else {
                out.push_text(&brace[..1]);
                rest = &brace[1..];
                continue;
            };
            let name = &brace[1..end];
            match args.iter().find(|(n, _)| *n == name) {
                Some((_, value)) => out.append(value.clone()),
                None => out.push_text(&brace[..=end]),
            }
            rest = &brace[end + 1..];
        }
        out.push_text(rest);
        out
    }
}

impl From<Span> for Msg {
    fn from(span: Span) -> Msg {
        let mut m = Msg::default();
        m.push(span);
        m
    }
}

/// A weekly summary as posted: a title, the text, and the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryPost {
    pub title: String,
    pub msg: Msg,
    pub chart: Chart,
}

/// A file to post, or to answer with: its name and bytes (a transcript).
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Its name and size: the bytes never reach a log.
impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("file_name", &self.file_name).field("bytes", &self.bytes.len()).finish()
    }
}

/// A PNG image and its file name (`summary-2026-W48.png`).
#[derive(Clone, PartialEq, Eq)]
pub struct Chart {
    pub png: Vec<u8>,
    pub file_name: String,
}

/// Its name and size: the bytes never reach a log.
impl std::fmt::Debug for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chart").field("file_name", &self.file_name).field("png_bytes", &self.png.len()).finish()
    }
}

/// What can stand in a placeholder: any displayable value (as text), a
/// [`Span`] or a whole [`Msg`].
pub trait Piece {
    fn piece(self) -> Msg;
}

impl<T: std::fmt::Display> Piece for T {
    fn piece(self) -> Msg {
        Span::text(self.to_string()).into()
    }
}

impl Piece for Span {
    fn piece(self) -> Msg {
        self.into()
    }
}

impl Piece for &Span {
    fn piece(self) -> Msg {
        self.clone().into()
    }
}

impl Piece for Msg {
    fn piece(self) -> Msg {
        self
    }
}

impl Piece for &Msg {
    fn piece(self) -> Msg {
        self.clone()
    }
}

/// `say!(lang, "English {x}", "Español {x}", x, y = value, …)`: the message in
/// `lang`, with each `{name}` replaced by the piece of that name.
macro_rules! say {
    ($lang:expr, $en:literal, $es:literal $(, $name:ident $(= $value:expr)?)* $(,)?) => {{
        // Never runs: makes the compiler check both templates against the names.
        #[allow(unreachable_code, clippy::diverging_sub_expression)]
        if false {
            let _ = format!($en $(, $name = "")*);
            let _ = format!($es $(, $name = "")*);
        }
        let template = match $lang {
            $crate::domain::customer::Language::En => $en,
            $crate::domain::customer::Language::Es => $es,
        };
        $crate::app::msg::Msg::fill(template, &[$((stringify!($name), $crate::app::msg::Piece::piece($crate::app::msg::say!(@value $name $(= $value)?)))),*])
    }};
    (@value $name:ident) => { &$name };
    (@value $name:ident = $value:expr) => { $value };
}
pub(crate) use say;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Language;

    #[test]
    fn placeholders_take_text_spans_and_messages() {
        let n = "ACME-1";
        let by = Span::user(Snowflake(42));
        let m = say!(Language::En, "{n} by {by} {{literal}}", "{n} por {by}", n, by = by.clone());
        assert_eq!(
            m.spans(),
            [Span::text("ACME-1 by "), by, Span::text(" {literal}")],
            "neighbouring text merges into one span"
        );
        let es =
            say!(Language::Es, "{n} by {by}", "{n} por {by}", n = Span::strong(n), by = Msg::from(Span::text("x")));
        assert_eq!(es.spans(), [Span::strong("ACME-1"), Span::text(" por x")]);
    }

    #[test]
    fn a_lone_brace_stays_text() {
        assert_eq!(Msg::fill("a } b { c", &[]).plain(), "a } b { c");
        assert_eq!(Msg::fill("{missing}", &[]).plain(), "{missing}");
    }

    #[test]
    fn messages_serialise_for_the_outbox() {
        let at: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let m = Msg::join(
            [Span::user(Snowflake(7)).into(), Span::time(at, Some(Tz::Europe__Madrid), TimeStyle::Full).into()],
            " · ",
        );
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Msg>(&json).unwrap(), m);
    }
}
