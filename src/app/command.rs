//! The commands, as typed options. The Discord adapter and the console both
//! build these; the application layer applies them.

use crate::domain::customer::Snowflake;
use crate::domain::sla::Severity;
use crate::domain::ticket::TicketNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    TicketOpen { summary: String, severity: Option<Severity>, product: Option<String>, details: Option<String> },
    TicketStatus { number: Option<TicketNumber> },
    TicketList { all: bool },
    TicketSeverity { number: TicketNumber, level: Severity, reason: String },
    TicketClose { number: TicketNumber, resolution: Option<String> },
    TicketReopen { number: TicketNumber },
    Ack { note: Option<String> },
    ContactsAdd { user: Snowflake, name: Option<String>, email: Option<String>, phone: Option<String> },
    ContactsRemove { user: Snowflake },
    ContactsList,
    Queue,
}

impl Command {
    /// The command as users type it, for logs and help.
    pub fn name(&self) -> &'static str {
        match self {
            Command::TicketOpen { .. } => "/ticket open",
            Command::TicketStatus { .. } => "/ticket status",
            Command::TicketList { .. } => "/ticket list",
            Command::TicketSeverity { .. } => "/ticket severity",
            Command::TicketClose { .. } => "/ticket close",
            Command::TicketReopen { .. } => "/ticket reopen",
            Command::Ack { .. } => "/ack",
            Command::ContactsAdd { .. } => "/contacts add",
            Command::ContactsRemove { .. } => "/contacts remove",
            Command::ContactsList => "/contacts list",
            Command::Queue => "/queue",
        }
    }
}

/// The commands and their options, as users type them: the help text and the
/// grammar both adapters share. `name` is required, `name?` optional.
pub const GRAMMAR: &[(&str, &[&str], &str)] = &[
    ("ticket open", &["summary", "severity?", "product?", "details?"], "open a ticket (contacts)"),
    ("ticket status", &["number?"], "a ticket's card; in a ticket thread the number may be left out"),
    ("ticket list", &["which?"], "the customer's tickets: which:open (default) or which:all"),
    ("ticket severity", &["number", "level", "reason"], "reclassify a ticket, level 1 to 4"),
    ("ticket close", &["number", "resolution?"], "close a ticket"),
    ("ticket reopen", &["number"], "reopen a closed ticket"),
    ("ack", &["note?"], "acknowledge the ticket of this thread (staff)"),
    ("contacts add", &["user", "name?", "email?", "phone?"], "register a technical contact (staff)"),
    ("contacts remove", &["user"], "remove a technical contact (staff)"),
    ("contacts list", &[], "the customer's technical contacts"),
    ("queue", &[], "every unanswered ticket, premium first (staff)"),
];

impl Command {
    /// Builds a command from its path (`"ticket open"`) and named options,
    /// refusing unknown paths and options, missing required options and bad
    /// values with a message that says what to write instead.
    pub fn build(path: &str, options: &[(String, String)]) -> Result<Command, String> {
        let Some((_, allowed, _)) = GRAMMAR.iter().find(|(p, _, _)| *p == path) else {
            return Err(format!(
                "unknown command /{path}. Commands: {}",
                GRAMMAR.iter().map(|g| format!("/{}", g.0)).collect::<Vec<_>>().join(", ")
            ));
        };
        let usage = || {
            let opts: Vec<String> = allowed
                .iter()
                .map(|o| match o.strip_suffix('?') {
                    Some(o) => format!("[{o}:…]"),
                    None => format!("{o}:…"),
                })
                .collect();
            format!("usage: /{path} {}", opts.join(" "))
        };
        for (name, _) in options {
            if !allowed.iter().any(|a| a.trim_end_matches('?') == name) {
                return Err(format!("/{path} has no option \"{name}\"; {}", usage()));
            }
        }
        let get = |name: &str| options.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let need = |name: &str| get(name).ok_or_else(|| format!("/{path} needs {name}:…; {}", usage()));
        let number = |v: String| v.parse::<TicketNumber>();
        let severity = |v: String| v.parse::<Severity>();
        let user = |v: String| {
            let digits = v.trim().trim_start_matches("<@").trim_start_matches('!').trim_end_matches('>');
            digits
                .parse::<Snowflake>()
                .map_err(|_| format!("\"{v}\" is not a user: mention them (@name) or give their id"))
        };
        Ok(match path {
            "ticket open" => Command::TicketOpen {
                summary: need("summary")?,
                severity: get("severity").map(severity).transpose()?,
                product: get("product"),
                details: get("details"),
            },
            "ticket status" => Command::TicketStatus { number: get("number").map(number).transpose()? },
            "ticket list" => Command::TicketList {
                all: match get("which").as_deref() {
                    None | Some("open") => false,
                    Some("all") => true,
                    Some(other) => return Err(format!("which:{other} is not a choice: write which:open or which:all")),
                },
            },
            "ticket severity" => Command::TicketSeverity {
                number: number(need("number")?)?,
                level: severity(need("level")?)?,
                reason: need("reason")?,
            },
            "ticket close" => Command::TicketClose { number: number(need("number")?)?, resolution: get("resolution") },
            "ticket reopen" => Command::TicketReopen { number: number(need("number")?)? },
            "ack" => Command::Ack { note: get("note") },
            "contacts add" => Command::ContactsAdd {
                user: user(need("user")?)?,
                name: get("name"),
                email: get("email"),
                phone: get("phone"),
            },
            "contacts remove" => Command::ContactsRemove { user: user(need("user")?)? },
            "contacts list" => Command::ContactsList,
            _ => Command::Queue,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn commands_build_from_typed_options() {
        assert_eq!(
            Command::build("ticket open", &opts(&[("summary", "VPN down"), ("severity", "1")])),
            Ok(Command::TicketOpen {
                summary: "VPN down".into(),
                severity: Some(Severity::Critical),
                product: None,
                details: None
            })
        );
        assert_eq!(
            Command::build("contacts add", &opts(&[("user", "<@!42>")])).unwrap(),
            Command::ContactsAdd { user: Snowflake(42), name: None, email: None, phone: None }
        );
        assert_eq!(Command::build("ticket list", &opts(&[("which", "all")])), Ok(Command::TicketList { all: true }));
    }

    #[test]
    fn bad_commands_say_what_to_write() {
        let err = |path, o: &[(&str, &str)]| Command::build(path, &opts(o)).unwrap_err();
        assert!(err("ticket opne", &[]).starts_with("unknown command /ticket opne. Commands: /ticket open"));
        assert_eq!(
            err("ticket open", &[]),
            "/ticket open needs summary:…; usage: /ticket open summary:… [severity:…] [product:…] [details:…]"
        );
        assert!(err("ticket open", &[("summary", "x"), ("sev", "1")]).contains("has no option \"sev\""));
        assert!(err("ticket open", &[("summary", "x"), ("severity", "9")]).contains("not a severity level"));
        assert!(err("ticket close", &[("number", "42")]).contains("not a ticket number"));
        assert!(err("ticket list", &[("which", "closed")]).contains("which:open or which:all"));
        assert!(err("contacts add", &[("user", "bob")]).contains("mention them"));
    }
}
