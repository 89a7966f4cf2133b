//! A ticket's transcript: its facts on top (number, customer, severity,
//! owner, opening, first response against its target, updates, waits,
//! closing), then every message of its thread in order, with its author,
//! local time, text, edits and deletion, and each file by name, size and
//! SHA-256. As HTML, a page people read and print, in the customer's
//! language, that runs no script and loads nothing from elsewhere (its own
//! Content-Security-Policy; everything people wrote escaped); or as JSON.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::application::{App, AppError};
use super::msg::{Document, Local};
use super::words;
use crate::domain::customer::{Language, Snowflake};
use crate::domain::rating::Rating;
use crate::domain::record::{size_words, FileState, KeptMessage};
use crate::domain::ticket::{Event, EventKind, Fact, Ticket, TicketKind, TicketNumber};

/// A closed ticket's transcript is due this long after its closing: the
/// chat's echo of the bot's closing post reaches the record first.
pub const TRANSCRIPT_AFTER: Duration = Duration::from_secs(5);

/// A closed ticket's transcript waits at most this long for files still
/// being downloaded (then it lists them as still being kept); meanwhile
/// the ticket's later jobs wait behind it.
pub const TRANSCRIPT_PATIENCE: Duration = Duration::from_secs(600);

/// A ticket's transcript, ready to write out.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub ticket: Ticket,
    pub customer: String,
    /// The customer's: its language and its calendar's zone.
    pub lang: Language,
    pub zone: Tz,
    /// The first-response target, and the first response on its clock.
    pub target: Duration,
    pub first_response: Option<Duration>,
    pub events: Vec<Event>,
    pub messages: Vec<KeptMessage>,
    /// When it was made.
    pub made_at: DateTime<Utc>,
}

impl App {
    /// The transcript of `number` as it stands now; `None` for no such
    /// ticket (or one of a customer no longer configured).
    pub async fn transcript(&self, number: &TicketNumber) -> Result<Option<Transcript>, AppError> {
        let Some(ticket) = self.store.ticket(number).await? else { return Ok(None) };
        let Some(customer) = self.config.customer(number.customer.as_str()) else { return Ok(None) };
        let (plan, calendar) = self.sla(customer)?;
        let target = plan.targets.get(ticket.severity);
        let first_response = ticket.acked_at.and_then(|acked| target.elapsed(calendar, ticket.opened_at, acked).ok());
        let (events, messages) = tokio::try_join!(self.store.events(ticket.id), self.store.record(ticket.id))?;
        Ok(Some(Transcript {
            customer: customer.name.clone(),
            lang: customer.language,
            zone: calendar.zone(),
            target: target.response(),
            first_response,
            events,
            messages,
            made_at: self.now(),
            ticket,
        }))
    }
}

impl Transcript {
    /// `transcript-ACME-42.html`.
    pub fn file_name(&self, extension: &str) -> String {
        format!("transcript-{}.{extension}", self.ticket.number)
    }

    /// The HTML page, as a file to post or answer with.
    pub fn document(&self) -> Document {
        Document { file_name: self.file_name("html"), bytes: self.html().into_bytes() }
    }

    /// The kept files: id and SHA-256 (for writing them out beside it).
    pub fn kept_files(&self) -> Vec<(Snowflake, String)> {
        self.messages
            .iter()
            .flat_map(|m| &m.files)
            .filter(|f| f.state == FileState::Kept)
            .filter_map(|f| Some((f.id, f.sha256.clone()?)))
            .collect()
    }

    fn say(&self, words: Local) -> &'static str {
        words.get(self.lang)
    }

    /// A time as the customer reads it: `lun 2026-11-30 10:05 CET`.
    fn time(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.zone);
        format!("{} {}", words::weekday(self.lang, local.weekday()), local.format("%Y-%m-%d %H:%M %Z"))
    }

    /// Who someone is, by the name they wrote under in the thread (or
    /// their id, if they never wrote there).
    fn names(&self) -> HashMap<Snowflake, String> {
        self.messages.iter().map(|m| (m.author, m.author_name.clone())).collect()
    }

    fn who(&self, names: &HashMap<Snowflake, String>, id: Snowflake) -> String {
        names.get(&id).cloned().unwrap_or_else(|| format!("@{id}"))
    }

    /// The facts on top: label and value, in the customer's language.
    fn facts(&self) -> Vec<(&'static str, String)> {
        let t = &self.ticket;
        let names = self.names();
        let mut facts = vec![
            (self.say(Local::new("Customer", "Cliente")), self.customer.clone()),
            (self.say(Local::new("Severity", "Severidad")), words::severity(self.lang, t.severity)),
            (
                self.say(Local::new("Opened", "Abierto")),
                format!("{} · {}", self.time(t.opened_at), self.who(&names, t.opened_by)),
            ),
        ];
        if let Some(r) = &t.signature {
            let kind = words::signature_kind(self.lang, r.kind);
            let stage = words::stage(self.lang, r.stage);
            facts.push((
                self.say(Local::new("Request", "Solicitud")),
                format!("{kind} · {} · {stage}", r.hash.as_str()),
            ));
        }
        facts.push((
            self.say(Local::new("Owner", "Responsable")),
            t.owner.map_or_else(|| "–".to_owned(), |o| self.who(&names, o)),
        ));
        let target = words::duration(self.target);
        let first = match (t.acked_at, t.acked_by, self.first_response) {
            (Some(at), by, Some(took)) => {
                let within = match at <= t.due_at {
                    true => self.say(Local::new("within", "dentro del")),
                    false => self.say(Local::new("outside", "fuera del")),
                };
                let by = by.map(|b| format!(" · {}", self.who(&names, b))).unwrap_or_default();
                let took = words::duration(took);
                match self.lang {
                    Language::En => format!("{} · after {took}, {within} target of {target}{by}", self.time(at)),
                    Language::Es => format!("{} · tras {took}, {within} objetivo de {target}{by}", self.time(at)),
                }
            }
            _ => match self.lang {
                Language::En => format!("none (target {target}, due {})", self.time(t.due_at)),
                Language::Es => format!("ninguna (objetivo {target}, vencía {})", self.time(t.due_at)),
            },
        };
        facts.push((self.say(Local::new("First response", "Primera respuesta")), first));
        let updates = self.events.iter().filter(|e| matches!(e.kind.fact(), Some(Fact::Updated { .. }))).count();
        facts.push((self.say(Local::new("Updates", "Actualizaciones")), updates.to_string()));
        let waits = self.waits();
        if !waits.is_empty() {
            let listed: Vec<String> = waits
                .iter()
                .map(|(from, to)| match to {
                    Some(to) => format!("{} → {}", self.time(*from), self.time(*to)),
                    None => format!("{} →", self.time(*from)),
                })
                .collect();
            facts.push((self.say(Local::new("Waits on the customer", "Esperas al cliente")), listed.join("; ")));
        }
        // The resolution is the closing's words, not a fact the summary counts.
        let resolution = self.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::Closed { resolution, .. } => Some(resolution.as_deref()),
            _ => None,
        });
        facts.push((
            self.say(Local::new("Closed", "Cerrado")),
            match (t.closed_at, resolution.flatten()) {
                (Some(at), Some(resolution)) => format!("{} · {resolution}", self.time(at)),
                (Some(at), None) => self.time(at),
                (None, _) => self.say(Local::new("not yet", "aún no")).to_owned(),
            },
        ));
        if let Some(Rating { score, comment }) = self.events.iter().rev().find_map(|e| match e.kind.fact() {
            Some(Fact::Rated(rating)) => Some(rating),
            _ => None,
        }) {
            let comment = comment.map(|c| format!(" · “{c}”")).unwrap_or_default();
            facts.push((self.say(Local::new("Rating", "Valoración")), format!("{score}/5{comment}")));
        }
        facts
    }

    /// The waits on the customer: when each began and ended.
    fn waits(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let mut waits: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
        for e in &self.events {
            match e.kind.fact() {
                Some(Fact::WaitStarted) => waits.push((e.at, None)),
                Some(Fact::WaitEnded | Fact::Closed) => {
                    if let Some(open) = waits.last_mut().filter(|(_, end)| end.is_none()) {
                        open.1 = Some(e.at);
                    }
                }
                _ => {}
            }
        }
        waits
    }

    /// The page: self-contained, printable, scriptless.
    pub fn html(&self) -> String {
        let t = &self.ticket;
        let lang = match self.lang {
            Language::En => "en",
            Language::Es => "es",
        };
        let title = format!("{} · {}", t.number, self.say(Local::new("Transcript", "Transcripción")));
        let mut h = String::with_capacity(16 * 1024 + self.messages.len() * 512);
        h.push_str("<!DOCTYPE html>\n");
        let _ = write!(h, "<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n");
        // Nothing runs, nothing is fetched: styles are the page's own.
        h.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
             base-uri 'none'; form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        );
        let _ = writeln!(h, "<title>{}</title>", escape(&title));
        h.push_str(STYLE);
        h.push_str("</head>\n<body>\n<header>\n");
        let kind = match t.kind {
            TicketKind::Signature => self.say(Local::new("Signature change request", "Solicitud de cambio de firma")),
            TicketKind::Incident => self.say(Local::new("Ticket", "Ticket")),
        };
        let _ = writeln!(h, "<p class=\"kind\">{} · {}</p>", escape(kind), escape(&self.customer));
        let _ = writeln!(
            h,
            "<h1><span class=\"number\">{}</span> <span dir=\"auto\">{}</span></h1>",
            escape(&t.number.to_string()),
            escape(&t.summary)
        );
        if let Some(details) = &t.details {
            let _ = writeln!(h, "<p class=\"details\" dir=\"auto\">{}</p>", escape(details));
        }
        h.push_str("<dl class=\"facts\">\n");
        for (label, value) in self.facts() {
            let _ = writeln!(h, "<dt>{}</dt><dd dir=\"auto\">{}</dd>", escape(label), escape(&value));
        }
        h.push_str("</dl>\n</header>\n<main>\n");
        let heading = self.say(Local::new("Messages in the thread", "Mensajes del hilo"));
        let _ = writeln!(h, "<h2>{} ({})</h2>", escape(heading), self.messages.len());
        if self.messages.is_empty() {
            let none = self
                .say(Local::new("No message was written in the thread.", "No se escribió ningún mensaje en el hilo."));
            let _ = writeln!(h, "<p class=\"none\">{}</p>", escape(none));
        }
        h.push_str("<ol class=\"messages\">\n");
        for m in &self.messages {
            self.message(&mut h, m);
        }
        h.push_str("</ol>\n</main>\n<footer>\n");
        let made = match self.lang {
            Language::En => format!("Transcript of {} made by priority-line on {}.", t.number, self.time(self.made_at)),
            Language::Es => {
                format!("Transcripción de {} hecha por priority-line el {}.", t.number, self.time(self.made_at))
            }
        };
        let _ = writeln!(h, "<p>{}</p>", escape(&made));
        h.push_str("</footer>\n</body>\n</html>\n");
        h
    }

    fn message(&self, h: &mut String, m: &KeptMessage) {
        let mut class = String::from("message");
        if m.by_bot {
            class.push_str(" bot");
        }
        if m.deleted_at.is_some() {
            class.push_str(" deleted");
        }
        let _ = write!(
            h,
            "<li class=\"{class}\">\n<p class=\"meta\"><span class=\"author\">{}</span>",
            escape(&m.author_name)
        );
        if m.by_bot {
            let _ = write!(h, " <span class=\"badge\">bot</span>");
        }
        let _ = write!(h, " <time>{}</time>", escape(&self.time(m.at)));
        if m.texts.len() > 1 {
            if let Some((at, _)) = m.texts.last() {
                let edited = self.say(Local::new("edited", "editado"));
                let _ = write!(h, " <span class=\"mark\">{} {}</span>", escape(edited), escape(&self.time(*at)));
            }
        }
        if let Some(at) = m.deleted_at {
            let deleted = self.say(Local::new("deleted", "borrado"));
            let _ = write!(h, " <span class=\"mark deleted\">{} {}</span>", escape(deleted), escape(&self.time(at)));
        }
        h.push_str("</p>\n");
        let _ = writeln!(h, "<div class=\"text\" dir=\"auto\">{}</div>", escape(m.text()));
        if !m.earlier().is_empty() {
            let label = self.say(Local::new("Earlier text", "Texto anterior"));
            h.push_str("<ol class=\"earlier\">\n");
            for (at, text) in m.earlier() {
                let _ = writeln!(
                    h,
                    "<li><span class=\"mark\">{} · {}</span><div class=\"text\" dir=\"auto\">{}</div></li>",
                    escape(label),
                    escape(&self.time(*at)),
                    escape(text)
                );
            }
            h.push_str("</ol>\n");
        }
        if !m.files.is_empty() {
            h.push_str("<ul class=\"files\">\n");
            for f in &m.files {
                let state = match f.state {
                    FileState::Kept => None,
                    FileState::Pending => Some(Local::new("still being kept", "aún guardándose")),
                    FileState::TooLarge => Some(Local::new("not kept: too large", "no guardado: demasiado grande")),
                    FileState::Failed => Some(Local::new("not kept: its link failed", "no guardado: su enlace falló")),
                };
                let _ = write!(
                    h,
                    "<li><span class=\"file\" dir=\"auto\">{}</span> · {}",
                    escape(&f.name),
                    size_words(f.size)
                );
                if let Some(sha) = &f.sha256 {
                    let _ = write!(h, " · SHA-256 <code>{}</code>", escape(sha));
                }
                if let Some(state) = state {
                    let _ = write!(h, " · <span class=\"mark\">{}</span>", escape(self.say(state)));
                }
                if f.sample {
                    let sample = self.say(Local::new("the request's sample", "la muestra de la solicitud"));
                    let _ = write!(h, " <span class=\"badge sample\">{}</span>", escape(sample));
                }
                h.push_str("</li>\n");
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</li>\n");
    }

    /// The transcript for scripts: the ticket's facts and every message as
    /// kept, instants in RFC 3339.
    pub fn json(&self) -> Value {
        let t = &self.ticket;
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| {
                json!({
                    "id": m.id.to_string(), "author": m.author.to_string(), "author_name": m.author_name,
                    "by_bot": m.by_bot, "at": m.at, "deleted_at": m.deleted_at,
                    "texts": m.texts.iter().map(|(at, text)| json!({"at": at, "text": text})).collect::<Vec<_>>(),
                    "files": m.files.iter().map(|f| json!({
                        "id": f.id.to_string(), "name": f.name, "content_type": f.content_type, "size": f.size,
                        "state": f.state.as_str(), "sha256": f.sha256, "sample": f.sample,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "ticket": t.number.to_string(), "customer": self.customer, "summary": t.summary,
            "severity": t.severity.level(), "state": t.state.as_str(), "opened_at": t.opened_at,
            "opened_by": t.opened_by.to_string(), "owner": t.owner.map(|o| o.to_string()),
            "due_at": t.due_at, "acked_at": t.acked_at,
            "first_response_s": self.first_response.map(|d| d.as_secs()),
            "target_s": self.target.as_secs(), "closed_at": t.closed_at,
            "messages": messages,
        })
    }
}

/// Text as HTML text or attribute value: nothing in it is markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's styles: readable on screen, printed without colours wasted.
const STYLE: &str = "<style>
:root { color-scheme: light; --ink: #1d1f24; --muted: #5c6370; --line: #d9dce1; --bot: #f3f5f9; --mark: #8a4b00; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink);
       max-width: 56rem; margin: 2rem auto; padding: 0 1.25rem; }
header { border-bottom: 2px solid var(--ink); padding-bottom: 1rem; margin-bottom: 1.5rem; }
.kind { color: var(--muted); margin: 0; text-transform: uppercase; letter-spacing: .04em; font-size: .8rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 .6rem; overflow-wrap: anywhere; }
h1 .number { font-variant-numeric: tabular-nums; }
h2 { font-size: 1.1rem; margin: 0 0 .8rem; }
.details { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 .8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ol.messages { list-style: none; padding: 0; margin: 0; }
li.message { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin-bottom: .6rem;
             break-inside: avoid; }
li.message.bot { background: var(--bot); }
li.message.deleted > .text { text-decoration: line-through; color: var(--muted); }
.meta { margin: 0 0 .3rem; color: var(--muted); font-size: .85rem; }
.author { color: var(--ink); font-weight: 600; }
.badge { border: 1px solid var(--line); border-radius: 4px; padding: 0 .3rem; font-size: .75rem; }
.badge.sample { border-color: var(--mark); color: var(--mark); font-weight: 600; }
.mark { color: var(--mark); }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
ol.earlier { list-style: none; margin: .4rem 0 0; padding: .3rem 0 0 .8rem; border-left: 3px solid var(--line);
             color: var(--muted); font-size: .9rem; }
ul.files { margin: .4rem 0 0; padding-left: 1.2rem; font-size: .9rem; }
code { font: .8rem ui-monospace, 'SFMono-Regular', Consolas, monospace; overflow-wrap: anywhere; }
.none { color: var(--muted); }
footer { margin-top: 2rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .8rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  li.message.bot { background: none; }
  a { color: inherit; }
}
</style>
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_holds_no_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("plain \u{202e}text"), "plain \u{202e}text", "right-to-left marks stay text");
    }
}
