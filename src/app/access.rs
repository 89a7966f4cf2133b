//! Who may do what: the one place where authorization is decided.

use super::i18n::say;
use super::{refuse, App, AppError, Invocation};
use crate::domain::customer::{Customer, Language};
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

pub(super) fn not_registered(lang: Language) -> String {
    say!(
        lang,
        "You are not a registered technical contact of any customer, so you cannot do this. \
         Ask your Technical Account Manager to add you with /contacts add.",
        "No eres contacto técnico registrado de ningún cliente, así que no puedes hacer esto. \
         Pide a tu Technical Account Manager que te añada con /contactos añadir."
    )
}

impl Actor<'_> {
    /// The customer a contact belongs to.
    pub(super) fn customer(&self) -> Option<&Customer> {
        match self {
            Actor::Contact { customer, .. } => Some(customer),
            _ => None,
        }
    }
}

impl App {
    /// The language to answer `inv` in: their locale, else their customer's, else English.
    pub(super) fn lang(&self, inv: &Invocation, customer: Option<&Customer>) -> Language {
        inv.language.or(customer.map(|c| c.language)).unwrap_or_default()
    }

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

    /// Support staff only (TAMs included); `doing` says what, in English and Spanish.
    pub(super) async fn require_staff(&self, inv: &Invocation, doing: (&str, &str)) -> Result<(), AppError> {
        match self.actor(inv).await? {
            Actor::Staff => Ok(()),
            actor => {
                let (en, es) = doing;
                refuse(say!(
                    self.lang(inv, actor.customer()),
                    "Only support staff and TAMs can {en}. If you need this, ask your TAM in your support channel.",
                    "Solo el equipo de soporte y los TAM pueden {es}. Si lo necesitas, pídeselo a tu TAM en tu canal de soporte."
                ))
            }
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
            Actor::Unregistered => refuse(not_registered(self.lang(inv, None))),
            Actor::Staff => {
                if let Some(c) = self.config.customer_by_channel(inv.channel) {
                    return Ok(c);
                }
                if let Some(t) = self.store.ticket_by_thread(inv.channel).await? {
                    if let Some(c) = self.config.customer(t.number.customer.as_str()) {
                        return Ok(c);
                    }
                }
                refuse(say!(
                    self.lang(inv, None),
                    "This channel belongs to no customer. Run the command in the customer's support channel or in one of its ticket threads.",
                    "Este canal no es de ningún cliente. Usa el comando en el canal de soporte del cliente o en uno de sus hilos de ticket."
                ))
            }
        }
    }

    /// A ticket the actor may see and act on. A contact asking for another
    /// customer's ticket learns nothing about it.
    pub(super) async fn visible_ticket(
        &self,
        inv: &Invocation,
        actor: &Actor<'_>,
        number: &TicketNumber,
    ) -> Result<(Ticket, &Customer), AppError> {
        let lang = self.lang(inv, actor.customer());
        let not_found = || {
            say!(
                lang,
                "There is no ticket {number} among your tickets. /ticket list shows them.",
                "No hay ningún ticket {number} entre los tuyos. /ticket lista los muestra."
            )
        };
        match actor {
            Actor::Unregistered => return refuse(not_registered(lang)),
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
        let lang = self.lang(inv, None);
        let Some(ticket) = self.store.ticket_by_thread(inv.channel).await? else {
            return refuse(say!(
                lang,
                "Use {command} inside a ticket's thread (or give the ticket number where the command takes one).",
                "Usa {command} dentro del hilo de un ticket (o indica el número del ticket si el comando lo admite)."
            ));
        };
        let n = &ticket.number;
        match self.config.customer(n.customer.as_str()) {
            Some(c) => Ok((ticket, c)),
            None => refuse(say!(
                lang,
                "{n} belongs to a customer that is no longer configured.",
                "{n} es de un cliente que ya no está configurado."
            )),
        }
    }
}
