//! Who may do what: the one place where authorization is decided. Each
//! command declares who may run it ([`Access`]); [`App::admit`] checks that
//! before the command applies, and the helpers here decide which customer's
//! data a contact may see. A command's context ([`Cx`]) carries the actor.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{Access, Spec};
use crate::app::refusal::Refusal;
use crate::app::tickets::Change;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::signature::FileHash;
use crate::domain::ticket::{EventKind, Ticket, TicketNumber};
use crate::storage::{Claim, Contact, Release, Reschedule};

/// Who is acting, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub user: Snowflake,
    /// Support staff: the Discord adapter knows it from the staff role, the
    /// console from its configured users. TAMs of any customer count as staff.
    pub is_staff: bool,
    /// In the specialist group (`[signatures].specialist_role`).
    pub is_specialist: bool,
    /// Where the command was typed: a support channel or a ticket's thread.
    pub channel: Snowflake,
    /// The user's language, when the adapter knows it.
    pub language: Option<Language>,
    /// The Discord event this is (an interaction, a message): it takes
    /// effect once across instances. `None` where nothing can repeat it
    /// (the console, tests).
    pub event: Option<EventId>,
    /// The people the command names (its user options) who are support
    /// staff: the adapter knows their roles (Discord sends them with the
    /// interaction), the application does not.
    pub named_staff: Vec<Snowflake>,
}

/// A Discord event, by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventId {
    Interaction(u64),
    Message(u64),
}

impl EventId {
    /// Its claim key.
    pub fn key(self) -> String {
        match self {
            EventId::Interaction(id) => format!("interaction:{id}"),
            EventId::Message(id) => format!("message:{id}"),
        }
    }
}

/// The acting person, as far as the rules are concerned.
pub(crate) enum Actor<'a> {
    /// Support staff or a TAM: may act for any customer.
    Staff,
    /// The specialist group: moves signature change requests on.
    Specialist,
    /// A registered technical contact: may act for their customer only.
    Contact {
        customer: &'a Customer,
        contact: Contact,
    },
    Unregistered,
}

impl Actor<'_> {
    /// The customer a contact belongs to.
    pub(crate) fn customer(&self) -> Option<&Customer> {
        match self {
            Actor::Contact { customer, .. } => Some(customer),
            _ => None,
        }
    }
}

/// A command's context: who runs it, where, and the language to answer in.
pub struct Cx<'a> {
    pub inv: &'a Invocation,
    pub(crate) actor: Actor<'a>,
    /// The caller's language: their locale, else their customer's, else English.
    pub lang: Language,
    /// The claim of the event that runs the command, for its change's transaction.
    claim: Option<Claim>,
    /// Set once a change committed with the claim.
    claimed: AtomicBool,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(inv: &'a Invocation, actor: Actor<'a>, lang: Language, claim: Option<Claim>) -> Cx<'a> {
        Cx { inv, actor, lang, claim, claimed: AtomicBool::new(false) }
    }

    /// The claim to write a change with; the change, once committed, has
    /// answered the event (see [`Cx::committed`]).
    pub(crate) fn claim(&self) -> Option<&Claim> {
        self.claim.as_ref()
    }

    /// A change committed with [`Cx::claim`].
    pub(crate) fn committed(&self) {
        self.claimed.store(true, Ordering::Relaxed);
    }

    /// Whether a change committed with the claim (which then answered the event).
    pub(crate) fn is_committed(&self) -> bool {
        self.claimed.load(Ordering::Relaxed)
    }

    /// Stores a ticket's change by the caller, with the event's claim.
    pub(crate) async fn commit(
        &self,
        app: &App,
        changed: &Ticket,
        event: EventKind,
        reschedule: Reschedule,
        jobs: &[crate::app::jobs::Job],
    ) -> Result<(), AppError> {
        let change = Change { ticket: changed, events: vec![event], reschedule, jobs: jobs.to_vec() };
        self.commit_all(app, &[change]).await
    }

    /// Stores changes of several tickets by the caller in one transaction,
    /// with the event's claim.
    pub(crate) async fn commit_all(&self, app: &App, changes: &[Change<'_>]) -> Result<(), AppError> {
        self.commit_releasing(app, changes, None).await.map(|_| ())
    }

    /// [`Cx::commit_all`], releasing the other open requests about a file
    /// with it (see `App::commit_releasing`).
    pub(crate) async fn commit_releasing(
        &self,
        app: &App,
        changes: &[Change<'_>],
        release: Option<(&FileHash, &Release<'_>)>,
    ) -> Result<Vec<TicketNumber>, AppError> {
        let released = app.commit_releasing(self.inv.user, self.claim(), changes, release).await?;
        self.committed();
        Ok(released)
    }

    /// The contact running a contacts-only command (admitted, so a contact).
    pub(crate) fn contact(&self) -> Result<(&'a Customer, &Contact), AppError> {
        match &self.actor {
            Actor::Contact { customer, contact } => Ok((customer, contact)),
            _ => refuse(Refusal::NotRegistered),
        }
    }
}

impl App {
    pub(crate) async fn actor(&self, inv: &Invocation) -> Result<Actor<'_>, AppError> {
        if inv.is_staff || self.config.tam_of(inv.user).next().is_some() {
            return Ok(Actor::Staff);
        }
        if inv.is_specialist {
            return Ok(Actor::Specialist);
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

    /// Whether `actor` may run the command declared by `spec`.
    pub(crate) fn admit(spec: &'static Spec, actor: &Actor<'_>) -> Result<(), Refusal> {
        match (spec.access, actor) {
            (Access::Staff | Access::StaffAndSpecialists, Actor::Staff) => Ok(()),
            (Access::StaffAndSpecialists, Actor::Specialist) => Ok(()),
            (Access::Staff, _) => Err(Refusal::StaffOnly { command: spec }),
            (Access::StaffAndSpecialists, _) => Err(Refusal::SpecialistsOnly { command: spec }),
            (Access::Contacts | Access::ContactsAndStaff, Actor::Specialist) => {
                Err(Refusal::NotForSpecialists { command: spec })
            }
            (Access::Contacts | Access::ContactsAndStaff, Actor::Unregistered) => Err(Refusal::NotRegistered),
            (Access::Contacts, Actor::Staff) => Err(Refusal::ContactsOnly { command: spec }),
            (Access::Contacts | Access::ContactsAndStaff, _) => Ok(()),
        }
    }

    /// The customer a command is about: a contact's own; for staff, the
    /// customer whose support channel (or ticket thread) this is.
    pub(crate) async fn customer_here<'s>(&'s self, cx: &Cx<'s>) -> Result<&'s Customer, AppError> {
        match &cx.actor {
            Actor::Contact { customer, .. } => Ok(customer),
            Actor::Unregistered | Actor::Specialist => refuse(Refusal::NotRegistered),
            Actor::Staff => {
                if let Some(c) = self.config.customer_by_channel(cx.inv.channel) {
                    return Ok(c);
                }
                if let Some(t) = self.store.ticket_by_thread(cx.inv.channel).await? {
                    if let Some(c) = self.config.customer(t.number.customer.as_str()) {
                        return Ok(c);
                    }
                }
                refuse(Refusal::NoCustomerHere)
            }
        }
    }

    /// A ticket the actor may see and act on. A contact asking for another
    /// customer's ticket learns nothing about it.
    pub(crate) async fn visible_ticket(
        &self,
        cx: &Cx<'_>,
        number: &TicketNumber,
    ) -> Result<(Ticket, &Customer), AppError> {
        let not_found = || refuse(Refusal::NoSuchTicket { number: number.clone() });
        match &cx.actor {
            Actor::Unregistered => return refuse(Refusal::NotRegistered),
            Actor::Contact { customer, .. } if customer.key != number.customer => return not_found(),
            _ => {}
        }
        let Some(ticket) = self.store.ticket(number).await? else { return not_found() };
        let Some(customer) = self.config.customer(number.customer.as_str()) else { return not_found() };
        Ok((ticket, customer))
    }

    /// The ticket whose thread this is.
    pub(crate) async fn ticket_of_thread(
        &self,
        cx: &Cx<'_>,
        command: &'static Spec,
    ) -> Result<(Ticket, &Customer), AppError> {
        let Some(ticket) = self.store.ticket_by_thread(cx.inv.channel).await? else {
            return refuse(Refusal::NotInThread { command });
        };
        match self.config.customer(ticket.number.customer.as_str()) {
            Some(c) => Ok((ticket, c)),
            None => refuse(Refusal::CustomerGone { number: ticket.number }),
        }
    }

    /// The ticket `number` names, else the one whose thread this is; one the
    /// actor may see and act on.
    pub(crate) async fn ticket_named_or_here(
        &self,
        cx: &Cx<'_>,
        number: Option<&TicketNumber>,
        command: &'static Spec,
    ) -> Result<(Ticket, &Customer), AppError> {
        let number = match number {
            Some(n) => n.clone(),
            None => self.ticket_of_thread(cx, command).await?.0.number,
        };
        self.visible_ticket(cx, &number).await
    }

    /// The language to answer `inv` in: their locale, else their customer's, else English.
    pub(crate) fn lang(inv: &Invocation, customer: Option<&Customer>) -> Language {
        inv.language.or(customer.map(|c| c.language)).unwrap_or_default()
    }

    pub(super) async fn visible_numbers(&self, inv: &Invocation, typed: &str) -> Vec<String> {
        let Ok(actor) = self.actor(inv).await else { return Vec::new() };
        let lang = Self::lang(inv, actor.customer());
        let cx = Cx::new(inv, actor, lang, None);
        let Ok(customer) = self.customer_here(&cx).await else { return Vec::new() };
        let Ok(tickets) = self.store.tickets(customer.key.as_str(), true).await else { return Vec::new() };
        let typed = typed.trim().to_uppercase();
        tickets
            .iter()
            .map(|t| t.number.to_string())
            .filter(|n| n.starts_with(&typed) || n.rsplit('-').next().is_some_and(|seq| seq.starts_with(&typed)))
            .take(25)
            .collect()
    }
}
