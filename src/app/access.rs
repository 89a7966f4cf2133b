//! Who may do what: the one place where authorization is decided.

use super::{refuse, App, AppError, Invocation};
use crate::domain::customer::Customer;
use crate::domain::ticket::{Ticket, TicketNumber};
use crate::storage::Contact;

/// The acting person, as far as the rules are concerned.
pub(super) enum Actor<'a> {
    /// Support staff or a TAM: may act for any customer.
    Staff,
    /// A registered technical contact: may act for their customer only.
    Contact {
        customer: &'a Customer,
        contact: Contact,
    },
    Unregistered,
}

pub(super) const NOT_REGISTERED: &str =
    "You are not a registered technical contact of any customer, so you cannot do this. \
     Ask your Technical Account Manager to add you with /contacts add.";

impl App {
    pub(super) async fn actor(&self, inv: &Invocation) -> Result<Actor<'_>, AppError> {
        if inv.is_staff || self.config.tam_of(inv.user).next().is_some() {
            return Ok(Actor::Staff);
        }
        let Some(contact) = self.store.active_contact(inv.user).await? else {
            return Ok(Actor::Unregistered);
        };
        match self.config.customer(&contact.customer) {
            Some(customer) => Ok(Actor::Contact { customer, contact }),
            // A contact of a customer since removed from the configuration.
            None => Ok(Actor::Unregistered),
        }
    }

    /// Support staff only (TAMs included).
    pub(super) async fn require_staff(&self, inv: &Invocation, doing: &str) -> Result<(), AppError> {
        match self.actor(inv).await? {
            Actor::Staff => Ok(()),
            _ => refuse(format!(
                "Only support staff and TAMs can {doing}. If you need this, ask your TAM in your support channel."
            )),
        }
    }

    /// The customer a command is about: a contact's own; for staff, the
    /// customer whose support channel (or ticket thread) this is.
    pub(super) async fn customer_here<'s>(
        &'s self,
        inv: &Invocation,
        actor: &Actor<'s>,
    ) -> Result<&'s Customer, AppError> {
        match actor {
            Actor::Contact { customer, .. } => Ok(customer),
            Actor::Unregistered => refuse(NOT_REGISTERED),
            Actor::Staff => {
                if let Some(c) = self.config.customer_by_channel(inv.channel) {
                    return Ok(c);
                }
                if let Some(t) = self.store.ticket_by_thread(inv.channel).await? {
                    if let Some(c) = self.config.customer(t.number.customer.as_str()) {
                        return Ok(c);
                    }
                }
                refuse("This channel belongs to no customer. Run the command in the customer's support channel or in one of its ticket threads.")
            }
        }
    }

    /// A ticket the actor may see and act on. A contact asking for another
    /// customer's ticket learns nothing about it.
    pub(super) async fn visible_ticket(
        &self,
        actor: &Actor<'_>,
        number: &TicketNumber,
    ) -> Result<(Ticket, &Customer), AppError> {
        let not_found = || format!("There is no ticket {number} among your tickets. /ticket list shows them.");
        match actor {
            Actor::Unregistered => return refuse(NOT_REGISTERED),
            Actor::Contact { customer, .. } if customer.key != number.customer => return refuse(not_found()),
            _ => {}
        }
        let Some(ticket) = self.store.ticket(number).await? else { return refuse(not_found()) };
        let Some(customer) = self.config.customer(number.customer.as_str()) else { return refuse(not_found()) };
        Ok((ticket, customer))
    }

    /// The ticket whose thread this is.
    pub(super) async fn ticket_of_thread(
        &self,
        inv: &Invocation,
        command: &str,
    ) -> Result<(Ticket, &Customer), AppError> {
        let Some(ticket) = self.store.ticket_by_thread(inv.channel).await? else {
            return refuse(format!(
                "Use {command} inside a ticket's thread (or give the ticket number where the command takes one)."
            ));
        };
        match self.config.customer(ticket.number.customer.as_str()) {
            Some(c) => Ok((ticket, c)),
            None => refuse(format!("{} belongs to a customer that is no longer configured.", ticket.number)),
        }
    }
}
