//! Storing ticket changes: each with its events, the jobs it queues (its
//! card update and posts) and its effect on the escalation steps, in one
//! transaction with the claim of the event that caused it, if any.

use super::application::{refuse, App, AppError};
use super::jobs::{Effect, Job};
use super::refusal::Refusal;
use crate::domain::calendar::Calendar;
use crate::domain::customer::Snowflake;
use crate::domain::signature::FileHash;
use crate::domain::ticket::{self, EventKind, Ticket, TicketNumber};
use crate::storage::{Claim, Queued, Release, Reschedule, TicketChange};

/// One ticket's change: the changed ticket, what happened, its steps and
/// the jobs it queues.
pub struct Change<'a> {
    pub ticket: &'a Ticket,
    pub events: Vec<EventKind>,
    pub reschedule: Reschedule,
    pub jobs: Vec<Effect>,
}

impl App {
    /// Stores changes of several tickets, made by `by`, in one transaction
    /// (all, or none when one of them changed meanwhile: then the change is
    /// refused with a way forward); and with `release`, what releasing a fix does
    /// to every other open request about the same file, decided inside the
    /// transaction (see `Store::update_tickets_releasing`). Returns the
    /// numbers of the other requests released.
    pub(super) async fn commit_releasing(
        &self,
        by: Snowflake,
        claim: Option<&Claim>,
        changes: &[Change<'_>],
        release: Option<(&FileHash, &Release<'_>)>,
    ) -> Result<Vec<TicketNumber>, AppError> {
        let now = self.now();
        let queued: Vec<Vec<Queued>> = changes
            .iter()
            .map(|c| {
                let mut rows: Vec<Queued> = c.jobs.iter().map(|j| j.queued(now, Some(c.ticket.severity))).collect();
                // Every closing, however it came, posts the record's transcript.
                if self.config.transcripts.is_some() && c.events.iter().any(|e| matches!(e, EventKind::Closed { .. })) {
                    let after = chrono::Duration::from_std(super::transcript::TRANSCRIPT_AFTER).unwrap_or_default();
                    rows.push(Job::Transcript.queued(now + after, Some(c.ticket.severity)));
                }
                rows
            })
            .collect();
        let stored: Vec<TicketChange> = changes
            .iter()
            .zip(&queued)
            .map(|(c, effects)| TicketChange {
                ticket: c.ticket,
                at: now,
                actor: by,
                events: &c.events,
                reschedule: &c.reschedule,
                effects,
            })
            .collect();
        let Some(released) = self.store.update_tickets_releasing(&stored, claim, release).await? else {
            let number = changes.first().map(|c| c.ticket.number.clone());
            return match number {
                Some(number) => refuse(Refusal::Conflict { number }),
                None => Ok(Vec::new()),
            };
        };
        self.queued_jobs();
        for c in changes {
            let events: Vec<&str> = c.events.iter().map(EventKind::name).collect();
            tracing::info!(ticket = %c.ticket.number, ?events, "ticket changed");
        }
        for number in &released {
            tracing::info!(ticket = %number, "signature request released by the same fix");
        }
        Ok(released)
    }
}

/// The ticket state machine's refusal, for the reader.
pub fn refused(ticket: &Ticket, calendar: &Calendar, refusal: ticket::Refusal) -> AppError {
    AppError::Refused(Refusal::Ticket { number: ticket.number.clone(), refusal, zone: calendar.zone() })
}
