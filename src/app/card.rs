//! The ticket card: what a ticket's embed shows, computed from the ticket and
//! the time. Adapters render it; the countdown itself is a Discord timestamp,
//! so the card changes only when its status does.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::calendar::Calendar;
use crate::domain::customer::Language;
use crate::domain::sla::ResponseTarget;
use crate::domain::ticket::{Ticket, TicketState};

/// The card's colour and status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    /// Under half of the target used.
    Green,
    /// Half the target used.
    Amber,
    /// 80 % of the target used.
    Red,
    Breached,
    Acknowledged,
    Closed,
}

impl CardStatus {
    /// In English; `app::i18n::status` has both languages.
    pub fn label(self) -> &'static str {
        match self {
            CardStatus::Green => "waiting for first response",
            CardStatus::Amber => "waiting: half the response time used",
            CardStatus::Red => "waiting: response due soon",
            CardStatus::Breached => "response target BREACHED",
            CardStatus::Acknowledged => "acknowledged",
            CardStatus::Closed => "closed",
        }
    }

    /// Embed colour (RGB).
    pub fn colour(self) -> u32 {
        match self {
            CardStatus::Green => 0x2e_cc_71,
            CardStatus::Amber => 0xf1_c4_0f,
            CardStatus::Red => 0xe6_7e_22,
            CardStatus::Breached => 0xe7_4c_3c,
            CardStatus::Acknowledged => 0x34_98_db,
            CardStatus::Closed => 0x95_a5_a6,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub ticket: Ticket,
    pub status: CardStatus,
    pub customer_name: String,
    /// The customer's language: the card is read by the contact and the TAM.
    pub language: Language,
    /// The customer's time zone, for readers whose client does not localise times.
    pub zone: Tz,
}

impl Card {
    pub fn new(
        ticket: &Ticket,
        customer_name: &str,
        language: Language,
        target: &ResponseTarget,
        calendar: &Calendar,
        now: DateTime<Utc>,
    ) -> Card {
        Card {
            ticket: ticket.clone(),
            status: status(ticket, target, calendar, now),
            customer_name: customer_name.to_owned(),
            language,
            zone: calendar.zone(),
        }
    }

    /// Response time of an acknowledged ticket, in whole minutes.
    pub fn response_minutes(&self) -> Option<i64> {
        self.ticket.acked_at.map(|a| (a - self.ticket.opened_at).num_minutes())
    }
}

fn status(ticket: &Ticket, target: &ResponseTarget, calendar: &Calendar, now: DateTime<Utc>) -> CardStatus {
    if ticket.state == TicketState::Closed {
        return CardStatus::Closed;
    }
    if ticket.acked_at.is_some() {
        return CardStatus::Acknowledged;
    }
    if now >= ticket.due_at {
        return CardStatus::Breached;
    }
    let reached = |pct| target.at_percent(calendar, ticket.opened_at, pct).is_ok_and(|t| now >= t);
    if reached(80) {
        CardStatus::Red
    } else if reached(50) {
        CardStatus::Amber
    } else {
        CardStatus::Green
    }
}
