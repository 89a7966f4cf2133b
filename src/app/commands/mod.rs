//! The commands, one module each. A module declares its command once (path,
//! options, English and Spanish names and descriptions, help, who may run
//! it), parses typed options into its own struct and applies it. The list
//! below is the only other place a command is named: Discord's
//! registration, the console's grammar and help, parsing, usage messages,
//! the dispatch, and every message that points the reader to a command
//! (through its module's `SPEC`) derive from it.
//!
//! Beside them: who is acting and what they may touch (`access.rs`), what
//! a command returns and the dispatch that runs it once per Discord event
//! (`dispatch.rs`), and how a refusal is worded (`refusals.rs`).
//!
//! Adding a command: a new file here with its `SPEC`, its struct, a
//! [`Declared`] impl and an `apply`, and one line in the list. A command
//! that posts in its ticket's thread writes its post there too (a struct of
//! facts and its `ThreadPost` wording) and names it on its line
//! (`posts Noted`): the outbox stores it and delivery words it from that.

mod access;
mod dispatch;
mod message;
mod refusals;

pub use super::args::{Args, Chosen, Problem, UsageError};
pub use super::declare::{Access, Choice, Group, Kind, Opt, Spec, SEVERITY_CHOICES};
pub use super::msg::Local;
pub(crate) use access::Actor;
pub use access::{Cx, EventId, Invocation};
pub use dispatch::{button_command, buttons_command, handled_once, Outcome, Reply};
pub use ticket_rate::CommentForm;

use super::application::{App, AppError};
use super::jobs::Effect;
use super::posts::{Facts, Post, ThreadPost};

/// A command that parses from its declared options.
pub trait Declared: Sized {
    fn parse(args: &Args) -> Result<Self, UsageError>;
}

/// One entry of the list: a declaration and how to parse it.
pub struct Entry {
    pub spec: &'static Spec,
    parse: fn(&Args) -> Result<Command, UsageError>,
}

fn parse_as<C: Declared + Into<Command>>(args: &Args) -> Result<Command, UsageError> {
    C::parse(args).map(Into::into)
}

macro_rules! commands {
    ($($variant:ident in $module:ident $(posts $($post:ident)+)?),* $(,)?) => {
        $(mod $module; pub use $module::$variant;)*
        $($(pub use $module::{$($post),+};)?)*

        /// A command with its typed options, ready to apply.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Command { $($variant($variant)),* }

        $(impl From<$variant> for Command {
            fn from(c: $variant) -> Command { Command::$variant(c) }
        }

        impl $variant {
            /// Its declaration, for messages that point the reader to it.
            pub fn spec() -> &'static Spec { &$module::SPEC }
        })*

        /// Every command, in the order help and Discord list them.
        pub static ALL: &[Entry] = &[$(Entry { spec: &$module::SPEC, parse: parse_as::<$variant> }),*];

        impl Command {
            pub fn spec(&self) -> &'static Spec {
                match self { $(Command::$variant(_) => &$module::SPEC),* }
            }

            async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
                match self { $(Command::$variant(c) => c.apply(app, cx).await),* }
            }
        }

        /// What the commands post in their tickets' threads (each worded
        /// beside its command), as the outbox stores it: JSON whose `kind`
        /// is the post's name in snake case (`updated` for [`Updated`]).
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum CommandPost {
            $($($($post($module::$post),)+)?)*
            /// A kind no command of this version posts (a [`Job`], or a
            /// newer version's post): never queued, only read.
            ///
            /// [`Job`]: crate::app::jobs::Job
            #[serde(other)]
            Unknown,
        }

        impl ThreadPost for CommandPost {
            fn posts(&self, f: &Facts) -> Vec<Post> {
                match self {
                    $($($(CommandPost::$post(p) => ThreadPost::posts(p, f),)+)?)*
                    CommandPost::Unknown => vec![],
                }
            }
        }

        $($($(impl From<$module::$post> for Effect {
            fn from(p: $module::$post) -> Effect {
                let urgency = ThreadPost::urgency(&p);
                Effect::tagged(&CommandPost::$post(p), urgency)
            }
        })+)?)*
    };
}

commands! {
    TicketOpen in ticket_open posts CriticalOpened PhoneReminder,
    TicketStatus in ticket_status,
    TicketList in ticket_list,
    TicketSeverity in ticket_severity posts Reclassified,
    TicketAssign in ticket_assign posts Assigned,
    TicketUpdate in ticket_update posts Updated,
    TicketNote in ticket_note posts Noted,
    TicketWait in ticket_wait posts Waiting,
    TicketResume in ticket_resume posts Resumed,
    TicketClose in ticket_close posts Closed,
    TicketReopen in ticket_reopen posts Reopened,
    TicketRate in ticket_rate,
    TicketTranscript in ticket_transcript,
    Ack in ack posts Acknowledged,
    ContactsAdd in contacts_add,
    ContactsRemove in contacts_remove,
    ContactsList in contacts_list,
    Queue in queue,
    RequestSignature in signature_request posts SignatureOpened,
    AdvanceSignature in signature_advance posts StageChanged,
    ConfirmSignature in signature_confirm,
    LatestDb in signature_latest_db,
    SignatureQueue in signature_queue,
    Summary in summary,
}

impl Command {
    /// Parses a command from its path and named options, as a person typed
    /// them (the console) or Discord sent them.
    pub fn parse(path: &str, options: &[(String, String)]) -> Result<Command, UsageError> {
        let words: Vec<&str> = path.split_whitespace().collect();
        if words.is_empty() {
            return Err(UsageError::NoCommand);
        }
        let entry = ALL
            .iter()
            .find(|e| e.spec.is(&words))
            .ok_or_else(|| UsageError::UnknownCommand { typed: crate::domain::text::quote(&words.join(" "), 60) })?;
        (entry.parse)(&Args::new(entry.spec, options)?)
    }
}

/// The groups the commands name, each once, in order.
pub fn groups() -> Vec<&'static Group> {
    let mut groups: Vec<&'static Group> = Vec::new();
    for g in ALL.iter().filter_map(|e| e.spec.group) {
        if !groups.iter().any(|known| std::ptr::eq(*known, g)) {
            groups.push(g);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::jobs::Job;
    use crate::app::posts::testing::*;
    use crate::domain::customer::{Language, Snowflake};
    use crate::domain::escalation::Trigger;
    use crate::domain::sla::Severity;
    use crate::domain::ticket::{Ticket, TicketState};

    /// Posts are stored as the outbox has always stored them (rows queued
    /// by an earlier release are delivered after an upgrade), and a kind no
    /// command posts is no post.
    #[test]
    fn posts_keep_their_stored_form() {
        let stored = [
            r#"{"kind":"phone_reminder"}"#,
            r#"{"kind":"critical_opened","by":7}"#,
            r#"{"kind":"updated","by":7,"note":"Patched"}"#,
            r#"{"kind":"closed","by":0,"resolution":null,"unanswered_since":"2026-12-01T10:00:00Z"}"#,
            r#"{"kind":"stage_changed","to":"released","release":"R4","note":null}"#,
            r#"{"kind":"reclassified","from":3,"to":1,"by":7,"reason":"Worse"}"#,
        ];
        for json in stored {
            let post: CommandPost = serde_json::from_str(json).unwrap();
            assert_ne!(post, CommandPost::Unknown, "{json}");
            let again: serde_json::Value = serde_json::to_value(&post).unwrap();
            assert_eq!(again, serde_json::from_str::<serde_json::Value>(json).unwrap(), "{json}");
        }
        let card: CommandPost = serde_json::from_str(r#"{"kind":"card"}"#).unwrap();
        assert_eq!(card, CommandPost::Unknown);
        let queued = Effect::from(PhoneReminder {}).queued(at("2026-12-01T10:00:00Z"), None);
        assert_eq!(queued.job, r#"{"kind":"phone_reminder"}"#);
    }

    /// Everyone a post notifies is named in it: nobody is pinged unseen.
    #[test]
    fn every_post_names_whom_it_notifies_in_both_languages() {
        let config = config();
        let due = answered().update_due_at.unwrap();
        let since = at("2026-12-02T10:00:00Z");
        let waiting = Ticket { update_due_at: None, waiting_since: Some(since), ..answered() };
        let critical = Ticket {
            severity: Severity::Critical,
            state: TicketState::Open,
            due_at: at("2026-12-01T17:46:00Z"),
            acked_at: None,
            acked_by: None,
            owner: None,
            update_due_at: None,
            ..answered()
        };
        let cases: Vec<(Ticket, Box<dyn ThreadPost>)> = vec![
            (critical.clone(), Box::new(CriticalOpened { by: ALICE })),
            (critical, Box::new(Job::Step { trigger: Trigger::Percent(80), past: None })),
            (answered(), Box::new(Acknowledged { by: ENGINEER, note: Some("On it".into()) })),
            (answered(), Box::new(Assigned { by: ENGINEER, to: Snowflake(3), from: Some(ENGINEER) })),
            (answered(), Box::new(Updated { by: ENGINEER, note: Some("Progress".into()) })),
            (answered(), Box::new(Job::UpdateReminder { due })),
            (answered(), Box::new(Job::UpdateOverdue { due })),
            (answered(), Box::new(Waiting { by: ENGINEER, reason: "The log, please".into() })),
            (waiting.clone(), Box::new(Job::WaitReminder { since, reason: "The log, please".into() })),
            (answered(), Box::new(Resumed { by: ALICE, by_customer: true })),
            (
                answered(),
                Box::new(Reclassified { from: Severity::Low, to: Severity::High, by: ALICE, reason: "Worse".into() }),
            ),
            (answered(), Box::new(Closed { by: ENGINEER, resolution: Some("Fixed".into()), unanswered_since: None })),
            (waiting, Box::new(Closed { by: ENGINEER, resolution: None, unanswered_since: Some(since) })),
            (answered(), Box::new(Reopened { by: ALICE })),
        ];
        for (ticket, job) in &cases {
            for lang in [Language::En, Language::Es] {
                let posts = posts(&config, ticket, job.as_ref(), lang);
                assert!(!posts.is_empty(), "{job:?} says nothing");
                for post in posts {
                    let text = post.msg.plain();
                    assert!(!text.trim().is_empty(), "{job:?}");
                    for user in &post.ping {
                        assert!(text.contains(&format!("@{user}")), "{job:?} pings {user} unnamed: {text}");
                    }
                }
            }
        }
    }

    /// A value every option of `kind` accepts.
    fn sample(kind: &Kind) -> String {
        match kind {
            Kind::Text { .. } => "x".into(),
            Kind::Severity => "2".into(),
            Kind::Ticket => "ACME-1".into(),
            Kind::User => "<@42>".into(),
            Kind::Choice(choices) => choices.first().map_or("", |c| c.value).into(),
            Kind::Hash => "D41D8CD98F00B204E9800998ECF8427E".into(),
            Kind::Label => "2026.11.30-01".into(),
            Kind::Week => "2026-W48".into(),
            Kind::Customer => "ACME".into(),
        }
    }

    /// Each command reads its options as the kinds it declares (an
    /// accessor of another kind, or an option it does not declare, fails
    /// here), and every declared choice, by its value or its name in either
    /// language, names a value of the command's enum.
    #[test]
    fn every_declared_command_parses_from_its_declared_options_in_both_languages() {
        for entry in ALL {
            let spec = entry.spec;
            for lang in [Language::En, Language::Es] {
                let all: Vec<(String, String)> =
                    spec.options.iter().map(|o| (o.name.get(lang).to_owned(), sample(&o.kind))).collect();
                let parsed = Command::parse(&spec.path(lang), &all);
                assert!(parsed.as_ref().is_ok_and(|c| c.spec() == spec), "{spec:?} in {lang:?}: {parsed:?}");
                let required: Vec<(String, String)> = spec
                    .options
                    .iter()
                    .filter(|o| o.required)
                    .map(|o| (o.name.en.to_owned(), sample(&o.kind)))
                    .collect();
                assert!(Command::parse(&spec.path(lang), &required).is_ok(), "{spec:?} with its required options");
                for (i, o) in spec.options.iter().enumerate() {
                    let Kind::Choice(choices) = &o.kind else { continue };
                    for typed in choices.iter().flat_map(|c| [c.value, c.name.en, c.name.es]) {
                        let mut given = all.clone();
                        given[i].1 = typed.to_owned();
                        let parsed = Command::parse(&spec.path(lang), &given);
                        assert!(parsed.is_ok(), "{spec:?} {}:{typed}: {parsed:?}", o.name.en);
                    }
                }
            }
        }
    }

    #[test]
    fn a_choice_outside_the_declared_ones_is_refused_not_defaulted() {
        let options = [("number".to_owned(), "ACME-1".to_owned()), ("stage".to_owned(), "fixed".to_owned())];
        let refused = Command::parse("signature advance", &options);
        assert!(matches!(refused, Err(UsageError::Invalid { problem: Problem::NotAChoice, .. })), "{refused:?}");
        let listed = Command::parse("ticket list", &[("which".to_owned(), "some".to_owned())]);
        assert!(matches!(listed, Err(UsageError::Invalid { problem: Problem::NotAChoice, .. })), "{listed:?}");
    }

    #[test]
    fn a_label_option_is_checked_as_a_label_and_text_against_its_declared_length() {
        let too_long = "x".repeat(200);
        let options = [
            ("kind".to_owned(), "false_positive".to_owned()),
            ("hash".to_owned(), "D41D8CD98F00B204E9800998ECF8427E".to_owned()),
            ("product_version".to_owned(), "12.1".to_owned()),
            ("database_release".to_owned(), "R1".to_owned()),
            ("detection".to_owned(), too_long),
        ];
        let refused = Command::parse("signature request", &options);
        assert!(
            matches!(&refused, Err(UsageError::Invalid { option, problem: Problem::NotALabel(_), .. }) if option.name.en == "detection"),
            "{refused:?}"
        );
    }

    /// Discord's limits (names of 1-32 lower-case characters, descriptions of
    /// 1-100, at most 25 options and 25 choices), and every name and
    /// description in Spanish too.
    #[test]
    fn every_declaration_has_spanish_and_fits_discord() {
        let name_ok = |n: &str| {
            (1..=32).contains(&n.chars().count())
                && n.chars().all(|c| c.is_lowercase() || c.is_numeric() || c == '-' || c == '_')
        };
        let text_ok = |t: &str| (1..=100).contains(&t.chars().count());
        let check = |what: &str, name: Local, description: Local| {
            for n in [name.en, name.es] {
                assert!(name_ok(n), "{what}: name {n:?}");
            }
            for d in [description.en, description.es] {
                assert!(text_ok(d), "{what}: description {d:?}");
            }
        };
        for g in groups() {
            check(g.name.en, g.name, g.description);
        }
        for entry in ALL {
            let spec = entry.spec;
            let what = format!("{spec:?}");
            check(&what, spec.name, spec.description);
            for t in [spec.help, spec.what] {
                assert!(!t.en.is_empty() && !t.es.is_empty(), "{what}: help and refusal phrase in both languages");
            }
            assert!(spec.options.len() <= 25, "{what}: too many options");
            for o in spec.options {
                check(&format!("{what} {}", o.name.en), o.name, o.description);
                if let Kind::Choice(choices) = &o.kind {
                    assert!(choices.len() <= 25, "{what}: too many choices");
                    for c in *choices {
                        assert!(text_ok(c.name.en) && text_ok(c.name.es), "{what}: choice {c:?}");
                    }
                }
            }
            let first_optional = spec.options.iter().position(|o| !o.required).unwrap_or(spec.options.len());
            assert!(spec.options[first_optional..].iter().all(|o| !o.required), "{what}: required options come first");
            let names: std::collections::BTreeSet<&str> = spec.options.iter().map(|o| o.name.en).collect();
            assert_eq!(names.len(), spec.options.len(), "{what}: option names are unique");
        }
        for (_, label) in &SEVERITY_CHOICES {
            assert!(text_ok(label.en) && text_ok(label.es));
        }
        // At most 25 subcommands a group, 100 top-level commands.
        for g in groups() {
            let subs = ALL.iter().filter(|e| e.spec.group.is_some_and(|x| std::ptr::eq(x, g))).count();
            assert!(subs <= 25, "{}: too many subcommands", g.name.en);
        }
        assert!(ALL.iter().filter(|e| e.spec.group.is_none()).count() + groups().len() <= 100);
    }

    #[test]
    fn paths_are_unique_in_each_language_and_unknown_paths_are_errors() {
        for lang in [Language::En, Language::Es] {
            let paths: std::collections::BTreeSet<String> = ALL.iter().map(|e| e.spec.path(lang)).collect();
            assert_eq!(paths.len(), ALL.len(), "{lang:?}");
        }
        assert_eq!(Command::parse("ticket opne", &[]), Err(UsageError::UnknownCommand { typed: "ticket opne".into() }));
        assert_eq!(Command::parse("  ", &[]), Err(UsageError::NoCommand));
    }
}
