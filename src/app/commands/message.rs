//! A message someone wrote in a ticket's thread (the gateway's
//! `MESSAGE_CREATE`, a console line without `/`). Counted by its author,
//! never by its content: a staff member's (or the customer's TAM's) first
//! message in an unanswered ticket's thread acknowledges it (if
//! `[discord].ack_by_first_message`), their message in an answered one is
//! a progress update, and a
//! message of one of the customer's contacts in a waiting one ends the wait.
//! Everyone else's messages cost nothing: not even a database query (the
//! contacts' ids are cached, see `App::may_be_contact`).

use super::{Ack, Actor, Invocation, Outcome, TicketResume, TicketUpdate};
use crate::app::application::App;

impl App {
    /// What a message in a thread does, if anything: the outcome of the
    /// command it counts as.
    pub async fn thread_message(&self, inv: &Invocation) -> Option<Outcome> {
        let maybe_staff = inv.is_staff || self.config.tam_of(inv.user).next().is_some();
        if !maybe_staff && !self.may_be_contact(inv.user).await {
            return None;
        }
        let actor = self.actor(inv).await.ok()?;
        let ticket = self.store.ticket_by_thread(inv.channel).await.ok()??;
        // Support staff, or a TAM of this ticket's customer.
        let staff = actor.is_staff_for(&ticket.number.customer);
        let command = match actor {
            _ if staff && ticket.awaits_acknowledgement() => {
                let acknowledges = self.config.discord.as_ref().is_none_or(|d| d.ack_by_first_message);
                acknowledges.then(|| Ack::default().into())?
            }
            // While its update clock runs (answered, not waiting, open).
            _ if staff && ticket.update_due_at.is_some() => TicketUpdate { number: None, note: None }.into(),
            Actor::Contact { customer, .. } if ticket.is_waiting() && customer.key == ticket.number.customer => {
                TicketResume { number: None }.into()
            }
            _ => return None,
        };
        Some(self.handle(inv, command).await)
    }
}
