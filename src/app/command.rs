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
