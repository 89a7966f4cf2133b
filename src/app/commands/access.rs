//! Who may do what: the one place where authorization is decided. Each
//! command declares who may run it ([`Access`]); [`App::admit`] checks that
//! before the command applies, and the helpers here decide which customer's
//! data a contact may see. A command's context ([`Cx`]) carries the actor.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{Access, Spec};
use crate::app::jobs::Effect;
use crate::app::refusal::Refusal;
use crate::app::tickets::Change;
use crate::domain::customer::{Customer, CustomerKey, Language, Snowflake};
use crate::domain::signature::FileHash;
use crate::domain::ticket::{EventKind, Ticket, TicketNumber, TicketRef};
use crate::storage::{Claim, Contact, Release, Reschedule};

/// Who is acting, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub user: Snowflake,
    /// Support staff: the Discord adapter knows it from the staff role, the
    /// console from its configured users. A TAM without it is staff for the
    /// customers that name them only (see `Actor::Tam`).
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
    /// Support staff (the staff role): may act for any customer.
    Staff,
    /// A TAM or backup TAM without the staff role: staff for the customers
    /// that name them, and for no other.
    Tam {
        customers: Vec<&'a Customer>,
    },
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
    /// The customer a contact belongs to (whose language they are answered
    /// in when Discord gives no locale; staff and TAMs get English then).
    pub(crate) fn customer(&self) -> Option<&Customer> {
        match self {
            Actor::Contact { customer, .. } => Some(customer),
            _ => None,
        }
    }

    /// Whether the actor acts as support staff for `customer`'s tickets.
    pub(crate) fn is_staff_for(&self, customer: &CustomerKey) -> bool {
        match self {
            Actor::Staff => true,
            Actor::Tam { customers } => customers.iter().any(|c| c.key == *customer),
            Actor::Specialist | Actor::Contact { .. } | Actor::Unregistered => false,
        }
    }

    /// Whether the actor may see anything of `customer`'s: staff and the
    /// specialist group any customer's, a TAM their customers', a contact
    /// their own customer's.
    pub(crate) fn reaches(&self, customer: &CustomerKey) -> bool {
        match self {
            Actor::Staff | Actor::Specialist => true,
            Actor::Tam { .. } => self.is_staff_for(customer),
            Actor::Contact { customer: own, .. } => own.key == *customer,
            Actor::Unregistered => false,
        }
    }

    /// Why a TAM is refused another customer's channel or thread: it says
    /// whose they are.
    pub(crate) fn outside(&self) -> Refusal {
        let customers = match self {
            Actor::Tam { customers } => customers.iter().map(|c| c.name.clone()).collect(),
            _ => Vec::new(),
        };
        Refusal::OutsideYourCustomers { customers }
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

    /// Writes with the event's claim: `write` takes the claim in its
    /// transaction (storage commits it whenever the write returns `Ok`), and
    /// a write that succeeded has answered the event, so the dispatcher
    /// gives this command's reply and claims nothing more. The claim is
    /// reachable only through here, so no command can write with it and
    /// leave the event unanswered.
    pub(crate) async fn write<T, E>(&self, write: impl AsyncFnOnce(Option<&Claim>) -> Result<T, E>) -> Result<T, E> {
        let written = write(self.claim.as_ref()).await;
        if written.is_ok() {
            self.claimed.store(true, Ordering::Relaxed);
        }
        written
    }

    /// Whether a write took the event's claim (and so answered the event).
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
        jobs: &[Effect],
    ) -> Result<(), AppError> {
        let change = Change { ticket: changed, events: vec![event], reschedule, jobs: jobs.to_vec() };
        self.commit_all(app, &[change]).await
    }

    /// Queues a ticket's jobs that change nothing of it (a note in its
    /// thread), with the event's claim: as a change of no event, which a
    /// concurrent change of the ticket still refuses.
    pub(crate) async fn queue(&self, app: &App, ticket: &Ticket, jobs: &[Effect]) -> Result<(), AppError> {
        let change = Change { ticket, events: vec![], reschedule: Reschedule::Keep, jobs: jobs.to_vec() };
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
        self.write(async |claim| app.commit_releasing(self.inv.user, claim, changes, release).await).await
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
        if inv.is_staff {
            return Ok(Actor::Staff);
        }
        let customers: Vec<&Customer> = self.config.tam_of(inv.user).collect();
        if !customers.is_empty() {
            return Ok(Actor::Tam { customers });
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
            (Access::Staff | Access::StaffRole | Access::StaffAndSpecialists, Actor::Staff) => Ok(()),
            (Access::StaffAndSpecialists, Actor::Specialist) => Ok(()),
            // For their own customers: `customer_here`, `visible_ticket` and
            // `ticket_of_thread` see that the command is about one of them.
            (Access::Staff | Access::ContactsAndStaff, Actor::Tam { .. }) => Ok(()),
            (Access::StaffRole, Actor::Tam { .. }) => Err(Refusal::StaffRoleOnly { command: spec }),
            (Access::Staff | Access::StaffRole, _) => Err(Refusal::StaffOnly { command: spec }),
            (Access::StaffAndSpecialists, _) => Err(Refusal::SpecialistsOnly { command: spec }),
            (Access::Contacts | Access::ContactsAndStaff, Actor::Specialist) => {
                Err(Refusal::NotForSpecialists { command: spec })
            }
            (Access::Contacts | Access::ContactsAndStaff, Actor::Unregistered) => Err(Refusal::NotRegistered),
            (Access::Contacts, Actor::Staff | Actor::Tam { .. }) => Err(Refusal::ContactsOnly { command: spec }),
            (Access::Contacts | Access::ContactsAndStaff, _) => Ok(()),
        }
    }

    /// The customer a command is about: a contact's own; for staff, the
    /// customer whose support channel (or ticket thread) this is, one of
    /// their own for a TAM.
    pub(crate) async fn customer_here<'s>(&'s self, cx: &Cx<'s>) -> Result<&'s Customer, AppError> {
        match &cx.actor {
            Actor::Contact { customer, .. } => Ok(customer),
            Actor::Unregistered | Actor::Specialist => refuse(Refusal::NotRegistered),
            Actor::Staff | Actor::Tam { .. } => match self.customer_of_channel(cx.inv.channel).await? {
                Some(c) if cx.actor.is_staff_for(&c.key) => Ok(c),
                Some(_) => refuse(cx.actor.outside()),
                None => refuse(Refusal::NoCustomerHere),
            },
        }
    }

    /// The customer whose support channel, or ticket's thread, `channel` is.
    async fn customer_of_channel(&self, channel: Snowflake) -> Result<Option<&Customer>, AppError> {
        if let Some(c) = self.config.customer_by_channel(channel) {
            return Ok(Some(c));
        }
        let ticket = self.store.ticket_by_thread(channel).await?;
        Ok(ticket.and_then(|t| self.config.customer(t.number.customer.as_str())))
    }

    /// The ticket a person named: `ACME-42` as written; a bare `42` of the
    /// customer that goes without saying, a contact's own or, for everyone
    /// else, the one whose channel or thread this is. Elsewhere a bare
    /// number is refused, saying how to write it.
    async fn number_named(&self, cx: &Cx<'_>, named: &TicketRef) -> Result<TicketNumber, AppError> {
        let seq = match named {
            TicketRef::Number(number) => return Ok(number.clone()),
            TicketRef::Seq(seq) => *seq,
        };
        let customer = match &cx.actor {
            Actor::Contact { customer, .. } => Some(*customer),
            _ => self.customer_of_channel(cx.inv.channel).await?,
        };
        match customer {
            Some(c) => Ok(named.of(&c.key)),
            None => refuse(Refusal::BareNumber { seq }),
        }
    }

    /// A ticket the actor may see and act on. A contact (or a TAM) asking
    /// for another customer's ticket learns nothing about it.
    pub(crate) async fn visible_ticket(&self, cx: &Cx<'_>, named: &TicketRef) -> Result<(Ticket, &Customer), AppError> {
        let number = &self.number_named(cx, named).await?;
        let not_found = || refuse(Refusal::NoSuchTicket { number: number.clone() });
        match &cx.actor {
            Actor::Unregistered => return refuse(Refusal::NotRegistered),
            actor if !actor.reaches(&number.customer) => return not_found(),
            _ => {}
        }
        let Some(ticket) = self.store.ticket(number).await? else { return not_found() };
        let Some(customer) = self.config.customer(number.customer.as_str()) else { return not_found() };
        Ok((ticket, customer))
    }

    /// The ticket whose thread this is, one the actor may see.
    pub(crate) async fn ticket_of_thread(
        &self,
        cx: &Cx<'_>,
        command: &'static Spec,
    ) -> Result<(Ticket, &Customer), AppError> {
        let Some(ticket) = self.store.ticket_by_thread(cx.inv.channel).await? else {
            return refuse(Refusal::NotInThread { command });
        };
        match self.config.customer(ticket.number.customer.as_str()) {
            Some(c) if cx.actor.reaches(&c.key) => Ok((ticket, c)),
            Some(_) if matches!(cx.actor, Actor::Tam { .. }) => refuse(cx.actor.outside()),
            Some(_) => refuse(Refusal::NoSuchTicket { number: ticket.number }),
            None => refuse(Refusal::CustomerGone { number: ticket.number }),
        }
    }

    /// The ticket `number` names, else the one whose thread this is; one the
    /// actor may see and act on.
    pub(crate) async fn ticket_named_or_here(
        &self,
        cx: &Cx<'_>,
        named: Option<&TicketRef>,
        command: &'static Spec,
    ) -> Result<(Ticket, &Customer), AppError> {
        let named = match named {
            Some(n) => n.clone(),
            None => self.ticket_of_thread(cx, command).await?.0.number.into(),
        };
        self.visible_ticket(cx, &named).await
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
