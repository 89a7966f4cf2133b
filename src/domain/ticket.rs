//! Tickets: numbers, states, the state machine and the events that record
//! every change. Pure: transitions take the current ticket and return the
//! changed one with its event, or a refusal saying why and what to do.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::customer::{CustomerKey, Snowflake};
use super::sla::Severity;

/// A ticket number as people read it: `ACME-42`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketNumber {
    pub customer: CustomerKey,
    pub seq: i64,
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.customer, self.seq)
    }
}

impl FromStr for TicketNumber {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("\"{s}\" is not a ticket number (like ACME-42)");
        let (key, seq) = s.trim().rsplit_once('-').ok_or_else(bad)?;
        let customer = key.to_ascii_uppercase().parse().map_err(|_| bad())?;
        let seq = seq.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(bad)?;
        Ok(TicketNumber { customer, seq })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Incident,
    Signature,
}

/// Where a ticket stands. A reopened ticket keeps its acknowledgement, if it had one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Open,
    Acknowledged,
    Closed,
    Reopened,
}

impl TicketState {
    /// The one place that maps states to storage and back.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Open => "open",
            TicketState::Acknowledged => "acknowledged",
            TicketState::Closed => "closed",
            TicketState::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [TicketState::Open, TicketState::Acknowledged, TicketState::Closed, TicketState::Reopened]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

impl TicketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Incident => "incident",
            TicketKind::Signature => "signature",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [TicketKind::Incident, TicketKind::Signature].into_iter().find(|t| t.as_str() == s)
    }
}

/// A ticket as stored. `version` grows with every change, so that two
/// concurrent changes cannot both apply to the same state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    pub number: TicketNumber,
    pub opened_by: Snowflake,
    pub severity: Severity,
    pub kind: TicketKind,
    pub summary: String,
    pub details: Option<String>,
    pub product: Option<String>,
    pub state: TicketState,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub acked_at: Option<DateTime<Utc>>,
    pub acked_by: Option<Snowflake>,
    pub closed_at: Option<DateTime<Utc>>,
    pub thread_id: Option<Snowflake>,
    pub card_message_id: Option<Snowflake>,
    pub version: i64,
}

/// What happened to a ticket: the audit trail, with before and after values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Opened {
        severity: u8,
        due_at: DateTime<Utc>,
        classified_by: Option<String>,
    },
    SeverityChanged {
        from: u8,
        to: u8,
        reason: String,
        due_before: DateTime<Utc>,
        due_after: DateTime<Utc>,
    },
    Acknowledged {
        note: Option<String>,
        response_ms: i64,
    },
    Closed {
        resolution: Option<String>,
    },
    Reopened {
        state_after: TicketState,
    },
    /// The first-response deadline passed unanswered; recorded at the
    /// deadline instant, whenever it was noticed.
    Breached {
        due_at: DateTime<Utc>,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Opened { .. } => "opened",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::Acknowledged { .. } => "acknowledged",
            EventKind::Closed { .. } => "closed",
            EventKind::Reopened { .. } => "reopened",
            EventKind::Breached { .. } => "breached",
        }
    }
}

/// One entry of the append-only audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub ticket_id: i64,
    pub at: DateTime<Utc>,
    pub actor: Snowflake,
    pub kind: EventKind,
}

/// Why a transition cannot happen; the application layer words it in the
/// reader's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the ticket is closed: reopen it first")]
    ClosedCannotAcknowledge,
    #[error("the ticket was already acknowledged by {by} at {at}")]
    AlreadyAcknowledged { by: Snowflake, at: DateTime<Utc> },
    #[error("the ticket is closed: reopen it before changing its severity")]
    ClosedCannotReclassify,
    #[error("the ticket is already {0}")]
    SameSeverity(Severity),
    #[error("the ticket is already closed")]
    AlreadyClosed,
    #[error("the ticket is not closed ({})", .0.as_str())]
    NotClosed(TicketState),
}

impl Ticket {
    /// The name of its thread: the number first, so that the thread can be
    /// found by it; then the severity and the start of the summary, within
    /// Discord's 100 characters.
    pub fn thread_name(&self) -> String {
        let name = format!("{} · L{} · {}", self.number, self.severity.level(), self.summary);
        name.chars().take(100).collect()
    }

    /// Waiting for a qualified first response.
    pub fn is_unanswered(&self) -> bool {
        self.state != TicketState::Closed && self.acked_at.is_none()
    }

    /// The qualified first response: stops the response clock.
    pub fn acknowledge(
        &self,
        by: Snowflake,
        at: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(Ticket, EventKind), Refusal> {
        if self.state == TicketState::Closed {
            return Err(Refusal::ClosedCannotAcknowledge);
        }
        if let (Some(at), Some(by)) = (self.acked_at, self.acked_by) {
            return Err(Refusal::AlreadyAcknowledged { by, at });
        }
        let mut t = self.clone();
        t.state = TicketState::Acknowledged;
        t.acked_at = Some(at);
        t.acked_by = Some(by);
        let response_ms = (at - self.opened_at).num_milliseconds().max(0);
        Ok((t, EventKind::Acknowledged { note, response_ms }))
    }

    /// Reclassification; the new deadline (computed by the caller from the
    /// original opening time) comes in with it.
    pub fn reclassify(
        &self,
        to: Severity,
        due_at: DateTime<Utc>,
        reason: String,
    ) -> Result<(Ticket, EventKind), Refusal> {
        if self.state == TicketState::Closed {
            return Err(Refusal::ClosedCannotReclassify);
        }
        if to == self.severity {
            return Err(Refusal::SameSeverity(self.severity));
        }
        let mut t = self.clone();
        t.severity = to;
        t.due_at = due_at;
        let event = EventKind::SeverityChanged {
            from: self.severity.level(),
            to: to.level(),
            reason,
            due_before: self.due_at,
            due_after: due_at,
        };
        Ok((t, event))
    }

    pub fn close(&self, at: DateTime<Utc>, resolution: Option<String>) -> Result<(Ticket, EventKind), Refusal> {
        if self.state == TicketState::Closed {
            return Err(Refusal::AlreadyClosed);
        }
        let mut t = self.clone();
        t.state = TicketState::Closed;
        t.closed_at = Some(at);
        Ok((t, EventKind::Closed { resolution }))
    }

    pub fn reopen(&self) -> Result<(Ticket, EventKind), Refusal> {
        if self.state != TicketState::Closed {
            return Err(Refusal::NotClosed(self.state));
        }
        let mut t = self.clone();
        t.state = TicketState::Reopened;
        t.closed_at = None;
        let event = EventKind::Reopened { state_after: t.state };
        Ok((t, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ticket() -> Ticket {
        Ticket {
            id: 1,
            number: "ACME-7".parse().unwrap(),
            opened_by: Snowflake(10),
            severity: Severity::Medium,
            kind: TicketKind::Incident,
            summary: "VPN down".into(),
            details: None,
            product: None,
            state: TicketState::Open,
            opened_at: at("2026-11-30T09:00:00Z"),
            due_at: at("2026-11-30T15:00:00Z"),
            acked_at: None,
            acked_by: None,
            closed_at: None,
            thread_id: None,
            card_message_id: None,
            version: 1,
        }
    }

    #[test]
    fn ticket_numbers_read_like_acme_42() {
        let n: TicketNumber = "acme-42".parse().unwrap();
        assert_eq!(n.to_string(), "ACME-42");
        for bad in ["ACME", "ACME-0", "ACME-x", "-4", "A-1"] {
            assert!(bad.parse::<TicketNumber>().is_err(), "{bad}");
        }
    }

    #[test]
    fn acknowledgement_records_who_when_and_the_response_time_once() {
        let (t, ev) = ticket().acknowledge(Snowflake(99), at("2026-11-30T09:20:00Z"), None).unwrap();
        assert_eq!(t.state, TicketState::Acknowledged);
        assert_eq!(t.acked_by, Some(Snowflake(99)));
        assert_eq!(ev, EventKind::Acknowledged { note: None, response_ms: 20 * 60 * 1000 });
        let again = t.acknowledge(Snowflake(98), at("2026-11-30T09:30:00Z"), None).unwrap_err();
        assert_eq!(again, Refusal::AlreadyAcknowledged { by: Snowflake(99), at: at("2026-11-30T09:20:00Z") });
    }

    #[test]
    fn closed_tickets_refuse_changes_until_reopened() {
        let (closed, _) = ticket().close(at("2026-11-30T10:00:00Z"), Some("fixed".into())).unwrap();
        assert_eq!(
            closed.acknowledge(Snowflake(1), at("2026-11-30T10:01:00Z"), None).unwrap_err(),
            Refusal::ClosedCannotAcknowledge
        );
        assert!(closed.close(at("2026-11-30T10:02:00Z"), None).is_err());
        assert!(closed.reclassify(Severity::High, at("2026-11-30T13:00:00Z"), "x".into()).is_err());
        let (reopened, _) = closed.reopen().unwrap();
        assert_eq!(reopened.state, TicketState::Reopened);
        assert!(reopened.is_unanswered(), "never acknowledged, so still waiting for a first response");
        assert_eq!(ticket().reopen().unwrap_err(), Refusal::NotClosed(TicketState::Open));
    }

    #[test]
    fn reclassification_records_before_and_after() {
        let (t, ev) = ticket().reclassify(Severity::Critical, at("2026-11-30T09:30:00Z"), "outage".into()).unwrap();
        assert_eq!(t.severity, Severity::Critical);
        assert_eq!(
            ev,
            EventKind::SeverityChanged {
                from: 3,
                to: 1,
                reason: "outage".into(),
                due_before: at("2026-11-30T15:00:00Z"),
                due_after: at("2026-11-30T09:30:00Z")
            }
        );
        assert_eq!(
            t.reclassify(Severity::Critical, t.due_at, "again".into()).unwrap_err(),
            Refusal::SameSeverity(Severity::Critical)
        );
    }
}
