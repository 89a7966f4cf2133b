//! Tickets: numbers, states, the state machine and the events that record
//! every change. Pure: transitions take the current ticket and return the
//! changed one with its event, or a refusal saying why and what to do.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::customer::{CustomerKey, Snowflake};
use super::rating::{Rating, Score};
use super::signature::{Label, SignatureRequest, Stage, StageRefusal};
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

/// A ticket as a person names it: `ACME-42` anywhere, or just `42` (also
/// `#42`) where the customer goes without saying (its support channel and
/// threads, a contact's own customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketRef {
    Number(TicketNumber),
    Seq(i64),
}

impl TicketRef {
    /// The ticket it names, `customer`'s if it names none.
    pub fn of(&self, customer: &CustomerKey) -> TicketNumber {
        match self {
            TicketRef::Number(n) => n.clone(),
            TicketRef::Seq(seq) => TicketNumber { customer: customer.clone(), seq: *seq },
        }
    }
}

impl From<TicketNumber> for TicketRef {
    fn from(n: TicketNumber) -> TicketRef {
        TicketRef::Number(n)
    }
}

impl FromStr for TicketRef {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bare = s.trim().trim_start_matches('#');
        match bare.parse::<i64>() {
            Ok(seq) if seq > 0 => Ok(TicketRef::Seq(seq)),
            _ => s.parse().map(TicketRef::Number),
        }
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
    /// The engineer who owns it: named with `/ticket assign`, else the one
    /// who acknowledged it.
    pub owner: Option<Snowflake>,
    /// When the next update is due: after the first response, on the update
    /// clock of its severity; none while it waits on the customer, once it
    /// is closed, or without an update clock.
    pub update_due_at: Option<DateTime<Utc>>,
    /// Waiting on the customer since then (more data needed).
    pub waiting_since: Option<DateTime<Utc>>,
    /// Taken by phone (or any channel outside Discord) and logged by this
    /// staff member for its contact.
    pub logged_by: Option<Snowflake>,
    pub version: i64,
    /// What a signature change request reports, and its stage (`kind`
    /// `signature` only).
    pub signature: Option<SignatureRequest>,
}

/// A ticket about to be opened; storage gives it its id and its number
/// (the customer's next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub customer: CustomerKey,
    pub opened_by: Snowflake,
    pub severity: Severity,
    pub summary: String,
    pub details: Option<String>,
    pub product: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The classification rule that chose its severity, if one did.
    pub classified_by: Option<String>,
    /// What a signature change request reports (a ticket of kind `signature`).
    pub signature: Option<SignatureRequest>,
    /// Taken by phone: who logged it for its contact.
    pub logged_by: Option<Snowflake>,
}

impl NewTicket {
    pub fn kind(&self) -> TicketKind {
        match self.signature {
            Some(_) => TicketKind::Signature,
            None => TicketKind::Incident,
        }
    }

    /// Its opening, as the first event of its audit trail.
    pub fn event(&self) -> EventKind {
        EventKind::Opened {
            severity: self.severity.level(),
            due_at: self.due_at,
            classified_by: self.classified_by.clone(),
            logged_by: self.logged_by,
        }
    }

    /// The ticket as opened, once stored with this id and number: open,
    /// unanswered, unowned, its thread still to come.
    pub fn numbered(&self, id: i64, seq: i64) -> Ticket {
        Ticket {
            id,
            number: TicketNumber { customer: self.customer.clone(), seq },
            opened_by: self.opened_by,
            severity: self.severity,
            kind: self.kind(),
            summary: self.summary.clone(),
            details: self.details.clone(),
            product: self.product.clone(),
            state: TicketState::Open,
            opened_at: self.opened_at,
            due_at: self.due_at,
            acked_at: None,
            acked_by: None,
            closed_at: None,
            thread_id: None,
            card_message_id: None,
            owner: None,
            update_due_at: None,
            waiting_since: None,
            logged_by: self.logged_by,
            version: 1,
            signature: self.signature.clone(),
        }
    }
}

/// What happened to a ticket: the audit trail, with before and after values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Opened {
        severity: u8,
        due_at: DateTime<Utc>,
        classified_by: Option<String>,
        /// Taken by phone: the staff member who logged it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        logged_by: Option<Snowflake>,
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
        /// Closed by the bot: the customer did not answer a wait.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        no_answer: bool,
    },
    Reopened {
        state_after: TicketState,
    },
    /// The first-response deadline passed unanswered; recorded at the
    /// deadline instant, whenever it was noticed.
    Breached {
        due_at: DateTime<Utc>,
    },
    /// A new owner.
    Assigned {
        from: Option<Snowflake>,
        to: Snowflake,
    },
    /// A progress update for the customer: `/ticket update`, or a staff
    /// member's message in the thread. `due_at` is the update deadline it
    /// answered, if the update clock was running.
    Updated {
        note: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_message: bool,
        due_at: Option<DateTime<Utc>>,
    },
    /// An update deadline passed without an update; recorded at the
    /// deadline, whenever it was noticed.
    UpdateOverdue {
        due_at: DateTime<Utc>,
    },
    /// Waiting on the customer: the update clock stops.
    WaitStarted {
        reason: String,
    },
    /// The wait ended: the customer answered in the thread, or someone
    /// resumed the ticket.
    WaitEnded {
        by_customer: bool,
    },
    /// A signature change request moved to another stage.
    StageChanged {
        from: Stage,
        to: Stage,
        release: Option<String>,
        note: Option<String>,
        /// Released because another request of the same file was.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_fix: bool,
    },
    /// The customer's contact rated the closed ticket (a later rating
    /// replaces it).
    Rated {
        score: Score,
        comment: Option<String>,
    },
}

/// What the record needs to know of an event: the weekly summary's figures
/// replay these, and a transcript tells them. Each event kind says its own
/// ([`EventKind::fact`]), so a new kind is one variant and one arm there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// The severity and deadline after a reclassification.
    Reclassified {
        severity: Severity,
        due_at: DateTime<Utc>,
    },
    /// The first response (an acknowledgement, or a request's analysis).
    Answered,
    Closed,
    Reopened,
    /// A signature request's new stage.
    Stage(Stage),
    /// The first-response deadline passed unanswered.
    Breached,
    /// A new owner.
    Owned(Snowflake),
    /// An update for the customer, meeting the update deadline `due` if
    /// the update clock ran.
    Updated {
        due: Option<DateTime<Utc>>,
    },
    /// The update deadline `due` passed without one.
    UpdateMissed {
        due: DateTime<Utc>,
    },
    WaitStarted,
    WaitEnded,
    /// The customer's rating (the latest stands).
    Rated(Rating),
}

impl EventKind {
    /// What the record needs to know of it (the opening is a history's
    /// own start, not a fact of it).
    pub fn fact(&self) -> Option<Fact> {
        Some(match self {
            EventKind::Opened { .. } => return None,
            EventKind::SeverityChanged { to, due_after, .. } => {
                Fact::Reclassified { severity: Severity::from_level(*to)?, due_at: *due_after }
            }
            EventKind::Acknowledged { .. } => Fact::Answered,
            EventKind::Closed { .. } => Fact::Closed,
            EventKind::Reopened { .. } => Fact::Reopened,
            EventKind::StageChanged { to, .. } => Fact::Stage(*to),
            EventKind::Breached { .. } => Fact::Breached,
            EventKind::Assigned { to, .. } => Fact::Owned(*to),
            EventKind::Updated { due_at, .. } => Fact::Updated { due: *due_at },
            EventKind::UpdateOverdue { due_at } => Fact::UpdateMissed { due: *due_at },
            EventKind::WaitStarted { .. } => Fact::WaitStarted,
            EventKind::WaitEnded { .. } => Fact::WaitEnded,
            EventKind::Rated { score, comment } => Fact::Rated(Rating { score: *score, comment: comment.clone() }),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Opened { .. } => "opened",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::Acknowledged { .. } => "acknowledged",
            EventKind::Closed { .. } => "closed",
            EventKind::Reopened { .. } => "reopened",
            EventKind::Breached { .. } => "breached",
            EventKind::StageChanged { .. } => "stage_changed",
            EventKind::Assigned { .. } => "assigned",
            EventKind::Updated { .. } => "updated",
            EventKind::UpdateOverdue { .. } => "update_overdue",
            EventKind::WaitStarted { .. } => "wait_started",
            EventKind::WaitEnded { .. } => "wait_ended",
            EventKind::Rated { .. } => "rated",
        }
    }
}

/// One entry of the append-only audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its place in the log: an event written later has a greater id.
    pub id: i64,
    pub ticket_id: i64,
    pub at: DateTime<Utc>,
    pub actor: Snowflake,
    pub kind: EventKind,
}

/// Why a transition cannot happen; the application layer words it in the
/// reader's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
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
    #[error("the ticket is not a signature change request")]
    NotASignatureRequest,
    #[error("a signature change request is answered by moving it to analysing")]
    AnsweredByStage,
    #[error("a signature change request ends as confirmed or rejected")]
    EndedByStage,
    #[error("the request is {0:?} and stays so")]
    RequestFinished(Stage),
    #[error("the request cannot move so: {0:?}")]
    Stage(StageRefusal),
    #[error("the ticket is closed: reopen it first")]
    ClosedNoFollowUp,
    #[error("the ticket has had no first response yet: acknowledge it first")]
    NotAnsweredYet,
    #[error("the ticket is owned by {0} already")]
    AlreadyOwner(Snowflake),
    #[error("the ticket has been waiting on the customer since {since}")]
    AlreadyWaiting { since: DateTime<Utc> },
    #[error("the ticket is not waiting on the customer")]
    NotWaiting,
    #[error("the ticket is not closed ({}): it is rated once closed", .0.as_str())]
    RatedWhenClosed(TicketState),
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

    /// Waiting on the customer.
    pub fn is_waiting(&self) -> bool {
        self.waiting_since.is_some()
    }

    /// The qualified first response: stops the response clock, starts the
    /// update clock (`next_update`, computed by the caller on the ticket's
    /// clock), and makes the acknowledger the owner of an unowned ticket.
    pub fn acknowledge(
        &self,
        by: Snowflake,
        at: DateTime<Utc>,
        note: Option<String>,
        next_update: Option<DateTime<Utc>>,
    ) -> Result<(Ticket, EventKind), Refusal> {
        if self.signature.is_some() {
            return Err(Refusal::AnsweredByStage);
        }
        let (mut t, event) = self.answer(by, at, note)?;
        t.owner = t.owner.or(Some(by));
        t.update_due_at = next_update;
        Ok((t, event))
    }

    /// After the first response: the engineer `to` owns the ticket.
    pub fn assign(&self, to: Snowflake) -> Result<(Ticket, EventKind), Refusal> {
        if self.state == TicketState::Closed {
            return Err(Refusal::ClosedNoFollowUp);
        }
        if self.owner == Some(to) {
            return Err(Refusal::AlreadyOwner(to));
        }
        let mut t = self.clone();
        t.owner = Some(to);
        Ok((t, EventKind::Assigned { from: self.owner, to }))
    }

    /// A progress update for the customer; the next one is due at
    /// `next_update`. While the ticket waits on the customer the update
    /// clock stays stopped.
    pub fn update(
        &self,
        note: Option<String>,
        by_message: bool,
        next_update: Option<DateTime<Utc>>,
    ) -> Result<(Ticket, EventKind), Refusal> {
        self.followed_up()?;
        let mut t = self.clone();
        if !self.is_waiting() {
            t.update_due_at = next_update;
        }
        Ok((t, EventKind::Updated { note, by_message, due_at: self.update_due_at }))
    }

    /// Waiting on the customer from `at`: the update clock stops.
    pub fn wait(&self, at: DateTime<Utc>, reason: String) -> Result<(Ticket, EventKind), Refusal> {
        self.followed_up()?;
        if let Some(since) = self.waiting_since {
            return Err(Refusal::AlreadyWaiting { since });
        }
        let mut t = self.clone();
        t.waiting_since = Some(at);
        t.update_due_at = None;
        Ok((t, EventKind::WaitStarted { reason }))
    }

    /// The wait ends (the customer answered, or someone resumed the
    /// ticket): the next update is due at `next_update`, a full interval on.
    pub fn resume(
        &self,
        by_customer: bool,
        next_update: Option<DateTime<Utc>>,
    ) -> Result<(Ticket, EventKind), Refusal> {
        if self.state == TicketState::Closed {
            return Err(Refusal::ClosedNoFollowUp);
        }
        if self.waiting_since.is_none() {
            return Err(Refusal::NotWaiting);
        }
        let mut t = self.clone();
        t.waiting_since = None;
        t.update_due_at = next_update;
        Ok((t, EventKind::WaitEnded { by_customer }))
    }

    /// Open and answered: what following up (an update, a wait) needs.
    fn followed_up(&self) -> Result<(), Refusal> {
        if self.state == TicketState::Closed {
            return Err(Refusal::ClosedNoFollowUp);
        }
        if self.acked_at.is_none() {
            return Err(Refusal::NotAnsweredYet);
        }
        Ok(())
    }

    /// Waiting for a staff member's acknowledgement (a signature change
    /// request waits for its `analysing` stage instead).
    pub fn awaits_acknowledgement(&self) -> bool {
        self.is_unanswered() && self.signature.is_none()
    }

    /// The qualified first response, however it was given.
    fn answer(&self, by: Snowflake, at: DateTime<Utc>, note: Option<String>) -> Result<(Ticket, EventKind), Refusal> {
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
    /// `next_update` is the update deadline on the new severity's clock
    /// (the caller's: kept, started or stopped).
    pub fn reclassify(
        &self,
        to: Severity,
        due_at: DateTime<Utc>,
        reason: String,
        next_update: Option<DateTime<Utc>>,
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
        if t.acked_at.is_some() && !t.is_waiting() {
            t.update_due_at = next_update;
        }
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
        if self.signature.is_some() {
            return Err(Refusal::EndedByStage);
        }
        Ok(self.closed(at, resolution, false))
    }

    /// Closed by the bot: the customer did not answer the wait that began
    /// `since` (`None` if the ticket no longer waits since then).
    pub fn close_unanswered(&self, at: DateTime<Utc>, since: DateTime<Utc>) -> Option<(Ticket, EventKind)> {
        (self.state != TicketState::Closed && self.waiting_since == Some(since)).then(|| self.closed(at, None, true))
    }

    fn closed(&self, at: DateTime<Utc>, resolution: Option<String>, no_answer: bool) -> (Ticket, EventKind) {
        let mut t = self.clone();
        t.state = TicketState::Closed;
        t.closed_at = Some(at);
        t.waiting_since = None;
        t.update_due_at = None;
        (t, EventKind::Closed { resolution, no_answer })
    }

    /// The customer's rating of the closed ticket, replacing an earlier one.
    /// The ticket itself does not change (its rating is in its log).
    pub fn rate(&self, score: Score, comment: Option<String>) -> Result<EventKind, Refusal> {
        match self.state {
            TicketState::Closed => Ok(EventKind::Rated { score, comment }),
            state => Err(Refusal::RatedWhenClosed(state)),
        }
    }

    /// Moves a signature change request to `to` (staff, the specialist
    /// group, or the requester confirming). Leaving `received` is the
    /// qualified first response; `confirmed` and `rejected` close the ticket.
    /// Returns the changed ticket and its events, in order.
    pub fn advance(
        &self,
        to: Stage,
        release: Option<Label>,
        note: Option<String>,
        by: Snowflake,
        at: DateTime<Utc>,
    ) -> Result<(Ticket, Vec<EventKind>), Refusal> {
        // A request is closed exactly when its stage is final, and the stage
        // machine refuses to move on from those.
        let request = self.signature.as_ref().ok_or(Refusal::NotASignatureRequest)?;
        let reason = note.as_deref().filter(|_| to == Stage::Rejected);
        request.stage.advance(to, release.as_ref(), reason).map_err(Refusal::Stage)?;
        Ok(self.moved(to, release, note, false, by, at))
    }

    /// Released because a fix for the same file was released for another
    /// request: from any stage before `released`. `None` if this one is
    /// past that (or closed).
    pub fn release_by_fix(
        &self,
        release: &Label,
        by: Snowflake,
        at: DateTime<Utc>,
    ) -> Option<(Ticket, Vec<EventKind>)> {
        let stage = self.signature.as_ref()?.stage;
        (stage.released_by_fix() && self.state != TicketState::Closed)
            .then(|| self.moved(Stage::Released, Some(release.clone()), None, true, by, at))
    }

    fn moved(
        &self,
        to: Stage,
        release: Option<Label>,
        note: Option<String>,
        by_fix: bool,
        by: Snowflake,
        at: DateTime<Utc>,
    ) -> (Ticket, Vec<EventKind>) {
        let mut events = Vec::new();
        let mut t = match self.answer(by, at, None) {
            Ok((answered, event)) => {
                events.push(event);
                answered
            }
            // Answered before: the stage moves on its own.
            Err(_) => self.clone(),
        };
        let from = self.signature.as_ref().map_or(Stage::Received, |s| s.stage);
        if let Some(request) = t.signature.as_mut() {
            request.stage = to;
            if to == Stage::Released {
                request.fixed_in = release.clone();
            }
        }
        events.push(EventKind::StageChanged {
            from,
            to,
            release: release.map(|r| r.to_string()),
            note: note.clone(),
            by_fix,
        });
        if !to.is_open() {
            let (closed, event) = t.closed(at, note, false);
            t = closed;
            events.push(event);
        }
        (t, events)
    }

    /// Reopens a closed ticket; an answered one's update clock starts again
    /// (`next_update`).
    pub fn reopen(&self, next_update: Option<DateTime<Utc>>) -> Result<(Ticket, EventKind), Refusal> {
        if self.state != TicketState::Closed {
            return Err(Refusal::NotClosed(self.state));
        }
        if let Some(stage) = self.signature.as_ref().map(|s| s.stage).filter(|s| !s.is_open()) {
            return Err(Refusal::RequestFinished(stage));
        }
        let mut t = self.clone();
        t.state = TicketState::Reopened;
        t.closed_at = None;
        if t.acked_at.is_some() {
            t.update_due_at = next_update;
        }
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
            owner: None,
            update_due_at: None,
            waiting_since: None,
            logged_by: None,
            version: 1,
            signature: None,
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
    fn a_ticket_is_named_by_its_number_or_where_the_customer_is_known_by_its_sequence() {
        let acme: CustomerKey = "ACME".parse().unwrap();
        let globex: CustomerKey = "GLOBEX".parse().unwrap();
        for typed in ["42", "#42", " 42 "] {
            let named: TicketRef = typed.parse().unwrap();
            assert_eq!(named, TicketRef::Seq(42), "{typed}");
            assert_eq!(named.of(&acme).to_string(), "ACME-42");
        }
        let named: TicketRef = "acme-42".parse().unwrap();
        assert_eq!(named.of(&globex).to_string(), "ACME-42", "a full number names its own customer");
        for bad in ["0", "-4", "#", "x", "ACME-0", "4.5"] {
            assert!(bad.parse::<TicketRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn acknowledgement_records_who_when_and_the_response_time_once() {
        let (t, ev) = ticket().acknowledge(Snowflake(99), at("2026-11-30T09:20:00Z"), None, None).unwrap();
        assert_eq!(t.state, TicketState::Acknowledged);
        assert_eq!(t.acked_by, Some(Snowflake(99)));
        assert_eq!(ev, EventKind::Acknowledged { note: None, response_ms: 20 * 60 * 1000 });
        let again = t.acknowledge(Snowflake(98), at("2026-11-30T09:30:00Z"), None, None).unwrap_err();
        assert_eq!(again, Refusal::AlreadyAcknowledged { by: Snowflake(99), at: at("2026-11-30T09:20:00Z") });
    }

    #[test]
    fn closed_tickets_refuse_changes_until_reopened() {
        let (closed, _) = ticket().close(at("2026-11-30T10:00:00Z"), Some("fixed".into())).unwrap();
        assert_eq!(
            closed.acknowledge(Snowflake(1), at("2026-11-30T10:01:00Z"), None, None).unwrap_err(),
            Refusal::ClosedCannotAcknowledge
        );
        assert!(closed.close(at("2026-11-30T10:02:00Z"), None).is_err());
        assert!(closed.reclassify(Severity::High, at("2026-11-30T13:00:00Z"), "x".into(), None).is_err());
        let (reopened, _) = closed.reopen(None).unwrap();
        assert_eq!(reopened.state, TicketState::Reopened);
        assert!(reopened.is_unanswered(), "never acknowledged, so still waiting for a first response");
        assert_eq!(ticket().reopen(None).unwrap_err(), Refusal::NotClosed(TicketState::Open));
    }

    #[test]
    fn reclassification_records_before_and_after() {
        let (t, ev) =
            ticket().reclassify(Severity::Critical, at("2026-11-30T09:30:00Z"), "outage".into(), None).unwrap();
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
            t.reclassify(Severity::Critical, t.due_at, "again".into(), None).unwrap_err(),
            Refusal::SameSeverity(Severity::Critical)
        );
    }

    fn request() -> Ticket {
        use crate::domain::signature::*;
        let mut t = ticket();
        t.kind = TicketKind::Signature;
        t.signature = Some(SignatureRequest {
            kind: SignatureKind::FalsePositive,
            hash: "d41d8cd98f00b204e9800998ecf8427e".parse().unwrap(),
            product_version: "11.2".parse().unwrap(),
            database_release: "R3".parse().unwrap(),
            detection: None,
            stage: Stage::Received,
            fixed_in: None,
        });
        t
    }

    #[test]
    fn leaving_received_is_the_first_response_and_the_end_closes() {
        let staff = Snowflake(99);
        let t = request();
        let (analysing, events) = t.advance(Stage::Analysing, None, None, staff, at("2026-11-30T09:10:00Z")).unwrap();
        assert_eq!((analysing.state, analysing.acked_by), (TicketState::Acknowledged, Some(staff)));
        assert!(matches!(
            events[..],
            [
                EventKind::Acknowledged { response_ms: 600_000, .. },
                EventKind::StageChanged { from: Stage::Received, to: Stage::Analysing, .. }
            ]
        ));
        let (scheduled, events) =
            analysing.advance(Stage::FixScheduled, None, None, staff, at("2026-11-30T10:00:00Z")).unwrap();
        assert_eq!(events.len(), 1, "answered already: the stage alone");
        let release: Label = "R4".parse().unwrap();
        assert_eq!(
            scheduled.advance(Stage::Released, None, None, staff, at("2026-11-30T11:00:00Z")).unwrap_err(),
            Refusal::Stage(StageRefusal::ReleaseNeeded)
        );
        let (released, _) =
            scheduled.advance(Stage::Released, Some(release.clone()), None, staff, at("2026-11-30T11:00:00Z")).unwrap();
        assert_eq!(released.signature.as_ref().unwrap().fixed_in, Some(release));
        let (confirmed, events) =
            released.advance(Stage::Confirmed, None, None, Snowflake(10), at("2026-11-30T12:00:00Z")).unwrap();
        assert_eq!(confirmed.state, TicketState::Closed);
        assert!(matches!(events.last(), Some(EventKind::Closed { .. })));
        assert_eq!(
            confirmed.advance(Stage::Rejected, None, Some("x".into()), staff, at("2026-11-30T13:00:00Z")).unwrap_err(),
            Refusal::Stage(StageRefusal::NotAllowed { from: Stage::Confirmed, to: Stage::Rejected, allowed: vec![] })
        );
        assert_eq!(confirmed.reopen(None).unwrap_err(), Refusal::RequestFinished(Stage::Confirmed));
        assert_eq!(
            ticket().advance(Stage::Analysing, None, None, staff, at("2026-11-30T09:10:00Z")).unwrap_err(),
            Refusal::NotASignatureRequest
        );
    }

    /// Its first response is a stage, and it ends by one: not by /ack or
    /// /ticket close.
    #[test]
    fn a_request_is_answered_and_ended_by_its_stages_only() {
        let t = request();
        let now = at("2026-11-30T09:10:00Z");
        assert_eq!(t.acknowledge(Snowflake(99), now, None, None).unwrap_err(), Refusal::AnsweredByStage);
        assert_eq!(t.close(now, None).unwrap_err(), Refusal::EndedByStage);
        assert!(!t.awaits_acknowledgement() && t.is_unanswered());
        assert!(ticket().awaits_acknowledgement());
    }

    #[test]
    fn a_fix_releases_requests_not_yet_released_and_answers_them() {
        let release: Label = "R4".parse().unwrap();
        let (released, events) = request().release_by_fix(&release, Snowflake(99), at("2026-11-30T09:30:00Z")).unwrap();
        assert_eq!(released.signature.as_ref().unwrap().stage, Stage::Released);
        assert!(released.acked_at.is_some(), "the fix is the first response too");
        assert!(matches!(events.last(), Some(EventKind::StageChanged { by_fix: true, to: Stage::Released, .. })));
        assert!(
            released.release_by_fix(&release, Snowflake(99), at("2026-11-30T09:31:00Z")).is_none(),
            "released already"
        );
    }

    /// A closed ticket is rated, again and again (the latest stands); an
    /// open or reopened one is not yet, whichever its history.
    #[test]
    fn a_ticket_is_rated_once_closed() {
        let four = Score::new(4).unwrap();
        assert_eq!(ticket().rate(four, None), Err(Refusal::RatedWhenClosed(TicketState::Open)));
        let (closed, _) = ticket().close(at("2026-11-30T10:00:00Z"), None).unwrap();
        let rated = closed.rate(four, Some("Quick".into())).unwrap();
        assert_eq!(rated, EventKind::Rated { score: four, comment: Some("Quick".into()) });
        assert_eq!(rated.fact(), Some(Fact::Rated(Rating { score: four, comment: Some("Quick".into()) })));
        let json = serde_json::to_string(&rated).unwrap();
        assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), rated, "{json}");
        let (reopened, _) = closed.reopen(None).unwrap();
        assert_eq!(reopened.rate(four, None), Err(Refusal::RatedWhenClosed(TicketState::Reopened)));
    }
}
