//! What posts share: the facts a post is worded from, a post itself, and
//! the words several posts use. Each post's own wording lives beside the
//! thing it words: a command's post in the command's file (a
//! [`ThreadPost`]), the clocks' reminders in `reminders.rs`, the notice of
//! an undeliverable job in `delivery.rs`. Posts are worded when their job
//! falls due, from the ticket as it is then, in the customer's language,
//! since the contact and the TAM both read them; a job with nothing left
//! to say (a ping for a ticket answered meanwhile) gives no post.

use chrono::{DateTime, Utc};

use super::jobs::{Button, Urgency};
use super::msg::{say, Msg, Span, TimeStyle};
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::escalation::Policy;
use crate::domain::sla::ResponseTarget;
use crate::domain::ticket::{EventKind, Ticket};

/// What a ticket's post is worded from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The ticket as it is now.
    pub ticket: &'a Ticket,
    pub customer: &'a Customer,
    pub calendar: &'a Calendar,
    /// The ticket's target (its severity's, in the customer's plan).
    pub target: &'a ResponseTarget,
    /// The escalation steps of the customer's plan.
    pub policy: &'a Policy,
    /// `[discord].escalation_role`, which steps ping as "role".
    pub escalation_role: Option<Snowflake>,
    /// `[signatures].specialist_role`.
    pub specialist_role: Option<Snowflake>,
    /// When the job fell due.
    pub due_at: DateTime<Utc>,
    /// It goes out well after that, because no instance was running.
    pub late: bool,
    /// When the ticket's wait on the customer closes unanswered, if it does.
    pub close_at: Option<DateTime<Utc>>,
    /// `[satisfaction].enabled`: the closing post asks for a rating.
    pub satisfaction: bool,
}

impl Facts<'_> {
    /// The language posts are worded in: the customer's.
    pub fn lang(&self) -> Language {
        self.customer.language
    }

    /// An instant as the customer's readers see it.
    pub fn when(&self, t: DateTime<Utc>) -> Span {
        when(t, self.calendar)
    }
}

/// What a command posts in its ticket's thread: the job it queues with its
/// change (stored as JSON, so it carries facts, never words), and its
/// wording in both languages when it falls due. Implemented beside the
/// command, and listed with it in `commands!`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is listed as a post in `commands!` but says nothing",
    label = "no wording for this post",
    note = "write `impl ThreadPost for {Self}` in its command's file: `fn posts(&self, f: &Facts) -> Vec<Post>`, \
            English and Spanish side by side with `say!`"
)]
pub trait ThreadPost: std::fmt::Debug {
    /// Its posts, in order; none when it has nothing (left) to say.
    fn posts(&self, f: &Facts) -> Vec<Post>;

    /// How soon it goes out when Discord's limits hold calls back: a post,
    /// unless it pings a TAM.
    fn urgency(&self) -> Urgency {
        Urgency::Post
    }
}

/// Where a post goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The ticket's thread (its customer's support channel while it has none).
    Thread,
    /// `[discord].escalation_channel`, with a link to the thread.
    EscalationChannel,
}

/// One post of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub msg: Msg,
    /// The people and roles it may mention (and so notify); no one else.
    pub ping: Vec<Snowflake>,
    pub roles: Vec<Snowflake>,
    pub to: Vec<Place>,
    /// Buttons under it (Discord shows five to a row).
    pub buttons: Vec<Button>,
    /// News a change revealed (a breach already past): never late, even
    /// when sent well after its instant.
    pub news: bool,
    /// What delivering it records (a breach, dated at its deadline).
    pub record: Option<EventKind>,
    /// The card changes with it (an escalation step turns it amber or red).
    pub card: bool,
    /// For the escalation channel: what happened, in a few words (its line
    /// there names the ticket, the customer, the severity and the thread).
    pub what: Option<Msg>,
}

impl Post {
    /// A post in the thread, notifying `ping`.
    pub fn thread(msg: Msg, ping: Vec<Snowflake>) -> Post {
        Post {
            msg,
            ping,
            roles: vec![],
            to: vec![Place::Thread],
            buttons: vec![],
            news: false,
            record: None,
            card: false,
            what: None,
        }
    }
}

/// An instant as the customer's readers see it: date, time and countdown.
pub fn when(t: DateTime<Utc>, calendar: &Calendar) -> Span {
    Span::time(t, Some(calendar.zone()), TimeStyle::FullRelative)
}

/// How a ticket became critical, for its L1 ping.
#[derive(Debug, Clone, Copy)]
pub enum Raised {
    Opened(Snowflake),
    Reclassified(Snowflake),
}

/// The L1 ping in a ticket's thread (an opening's, or a reclassification's):
/// the TAMs, who made it critical, the deadline.
pub fn critical_ping(f: &Facts, raised: Raised) -> Post {
    let (lang, ticket) = (f.lang(), f.ticket);
    let tams = f.customer.tams();
    let who = Msg::join(tams.iter().map(|t| Msg::from(Span::user(*t))), " ");
    let (n, summary, due) = (Span::strong(&ticket.number), &ticket.summary, f.when(ticket.due_at));
    let msg = match (raised, ticket.logged_by) {
        (Raised::Opened(by), Some(logger)) => say!(
            lang,
            "{who} {n} is Critical (L1), taken by phone from {by} and logged by {logger}: {summary}. First response due {due}.",
            "{who} {n} es Crítico (L1), recibido por teléfono de {by} y registrado por {logger}: {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            logger = Span::user(logger),
            summary,
            due
        ),
        (Raised::Opened(by), None) => say!(
            lang,
            "{who} {n} is Critical (L1), opened by {by}: {summary}. First response due {due}.",
            "{who} {n} es Crítico (L1), abierto por {by}: {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            summary,
            due
        ),
        (Raised::Reclassified(by), _) => say!(
            lang,
            "{who} {n} was raised to Critical (L1) by {by}: {summary}. First response due {due}.",
            "{who} {by} ha elevado {n} a Crítico (L1): {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            summary,
            due
        ),
    };
    Post::thread(msg, tams)
}

/// The note on a post sent late.
pub fn late_note(lang: Language, at: &Span) -> Msg {
    say!(
        lang,
        " (Sent late: it was due {at}, while the bot was unavailable.)",
        " (Enviado con retraso: vencía {at}, cuando el bot no estaba disponible.)",
        at = at
    )
}

/// Posts worded from facts alone, for the tests beside each post: the
/// example configuration's Acme (Spanish, Madrid, working hours
/// 09:00–18:00 on weekdays, 15:00 on Fridays).
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::config::Config;
    use crate::domain::sla::Severity;
    use crate::domain::ticket::{TicketKind, TicketState};

    pub const ALICE: Snowflake = Snowflake(500000000000000001);
    pub const ENGINEER: Snowflake = Snowflake(410000000000000001);

    pub fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    pub fn config() -> Config {
        Config::load(std::path::Path::new("config/example.toml")).unwrap()
    }

    /// An L4 of Alice's opened on Tuesday at 18:16 in Madrid (after hours),
    /// acknowledged by the engineer on Wednesday at 10:16, who owns it.
    pub fn answered() -> Ticket {
        Ticket {
            id: 1,
            number: "ACME-1".parse().unwrap(),
            opened_by: ALICE,
            severity: Severity::Low,
            kind: TicketKind::Incident,
            summary: "Licence report shows the wrong seat count".into(),
            details: None,
            product: None,
            state: TicketState::Acknowledged,
            opened_at: at("2026-12-01T17:16:00Z"),
            due_at: at("2026-12-02T16:00:00Z"),
            acked_at: Some(at("2026-12-02T09:16:00Z")),
            acked_by: Some(ENGINEER),
            closed_at: None,
            thread_id: Some(Snowflake(7)),
            card_message_id: Some(Snowflake(8)),
            owner: Some(ENGINEER),
            update_due_at: Some(at("2026-12-03T09:16:00Z")),
            waiting_since: None,
            logged_by: None,
            version: 3,
            signature: None,
        }
    }

    /// `word` given the facts of `ticket` of Acme, worded in `lang`.
    pub fn worded<T>(config: &Config, ticket: &Ticket, lang: Language, word: impl FnOnce(&Facts) -> T) -> T {
        let mut customer = config.customer("ACME").unwrap().clone();
        customer.language = lang;
        let plan = config.plan(&customer.plan).unwrap();
        let calendar = config.calendar(&customer.calendar).unwrap();
        let facts = Facts {
            ticket,
            customer: &customer,
            calendar,
            target: plan.targets.get(ticket.severity),
            policy: config.escalation(&plan.name).unwrap(),
            escalation_role: Some(Snowflake(320000000000000002)),
            specialist_role: None,
            due_at: ticket.opened_at,
            late: false,
            close_at: None,
            satisfaction: config.satisfaction.enabled,
        };
        word(&facts)
    }

    /// The posts of `post` for `ticket` of Acme, in `lang`.
    pub fn posts(config: &Config, ticket: &Ticket, post: &dyn ThreadPost, lang: Language) -> Vec<Post> {
        worded(config, ticket, lang, |f| post.posts(f))
    }

    pub fn only(posts: Vec<Post>) -> Post {
        assert_eq!(posts.len(), 1, "{posts:#?}");
        posts.into_iter().next().unwrap()
    }
}
