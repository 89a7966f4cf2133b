//! The commands, one module each. A module declares its command once (path,
//! options, English and Spanish names and descriptions, help, who may run
//! it), parses typed options into its own struct and applies it. The list at
//! the end of this file is the only other place a command is named: Discord's
//! registration, the console's grammar and help, parsing, usage messages and
//! the dispatch all derive from it.
//!
//! Adding a command: a new file here with its `SPEC`, its struct, a
//! [`Declared`] impl and an `apply`, and one line in the list.

mod args;
mod declare;

pub use args::{Args, Problem, UsageError};
pub use declare::{Access, Choice, Group, Kind, Local, Opt, Spec, SEVERITY_CHOICES};

use super::access::Cx;
use super::{App, AppError, Outcome};

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
    ($($variant:ident in $module:ident),* $(,)?) => {
        $(mod $module; pub use $module::$variant;)*

        /// A command with its typed options, ready to apply.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Command { $($variant($variant)),* }

        $(impl From<$variant> for Command {
            fn from(c: $variant) -> Command { Command::$variant(c) }
        })*

        /// Every command, in the order help and Discord list them.
        pub static ALL: &[Entry] = &[$(Entry { spec: &$module::SPEC, parse: parse_as::<$variant> }),*];

        impl Command {
            pub fn spec(&self) -> &'static Spec {
                match self { $(Command::$variant(_) => &$module::SPEC),* }
            }

            pub(crate) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
                match self { $(Command::$variant(c) => c.apply(app, cx).await),* }
            }
        }
    };
}

commands! {
    TicketOpen in ticket_open,
    TicketStatus in ticket_status,
    TicketList in ticket_list,
    TicketSeverity in ticket_severity,
    TicketClose in ticket_close,
    TicketReopen in ticket_reopen,
    Ack in ack,
    ContactsAdd in contacts_add,
    ContactsRemove in contacts_remove,
    ContactsList in contacts_list,
    Queue in queue,
    RequestSignature in signature_request,
    AdvanceSignature in signature_advance,
    ConfirmSignature in signature_confirm,
    LatestDb in signature_latest_db,
    SignatureQueue in signature_queue,
    Summary in summary,
}

/// The command named by `path` (`ticket open`, `ticket abrir`: words in
/// either language).
pub fn find(path: &str) -> Option<&'static Spec> {
    let words: Vec<&str> = path.split_whitespace().collect();
    ALL.iter().map(|e| e.spec).find(|s| s.is(&words))
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
    use crate::domain::customer::Language;

    /// A value every option of `kind` accepts.
    fn sample(kind: &Kind) -> String {
        match kind {
            Kind::Text { .. } => "x".into(),
            Kind::Severity => "2".into(),
            Kind::Ticket => "ACME-1".into(),
            Kind::User => "<@42>".into(),
            Kind::Choice(choices) => choices[0].value.into(),
            Kind::Hash => "D41D8CD98F00B204E9800998ECF8427E".into(),
            Kind::Label => "2026.11.30-01".into(),
            Kind::Week => "2026-W48".into(),
            Kind::Customer => "ACME".into(),
        }
    }

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
            }
        }
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
