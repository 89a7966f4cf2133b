//! The outbox's vocabulary, shared by the application and the adapters. A
//! change queues [`Effect`]s (a [`Job`], or a command's post: what is to
//! happen, as facts) in its own transaction; when one falls due it becomes
//! a [`Delivery`]: [`Action`]s on concrete channels, which an adapter
//! carries out and reports on with a [`Receipt`] or a [`DeliveryError`].
//! What each post says lives beside what it words (see `posts.rs`); how
//! jobs are claimed, delivered and recorded is `delivery.rs`'s.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card::Card;
use super::msg::{Document, Local, Msg, SummaryPost};
use crate::domain::customer::{Language, Snowflake};
use crate::domain::escalation::Trigger;
use crate::domain::rating::Score;
use crate::domain::sla::Severity;
use crate::domain::ticket::{EventKind, TicketNumber};
use crate::storage::Queued;

/// What a change or a clock asks to happen on Discord, beside the posts
/// commands word themselves (`commands::CommandPost`): a ticket's thread,
/// card and members, its clocks' steps, a weekly summary. Stored in the
/// outbox as JSON (its `kind` names it), as facts: posts are worded when
/// delivered, from these facts and the ticket then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Create the ticket's private thread, with these members and its card
    /// `with_card` (as jobs of earlier releases did); the card and the
    /// members now follow as jobs of their own ([`Job::Card`],
    /// [`Job::Members`]), after what is urgent (an L1's ping).
    Thread {
        members: Vec<Snowflake>,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        with_card: bool,
    },
    /// Bring the ticket's card up to date: post it if it has none yet, else
    /// edit it.
    Card,
    /// Add these people to the ticket's thread.
    Members { users: Vec<Snowflake> },
    /// An escalation step, worded when it falls due; `past` when a change
    /// made its instant one already gone (a breach announced at once).
    Step {
        trigger: Trigger,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        past: Option<Past>,
    },
    /// Take a person out of the ticket's thread.
    Leave { user: Snowflake },
    /// The summary of `week` (`2026-W48`) for the `[[summaries]]` entry of
    /// `channel` and `customer` (none: every customer).
    Summary { channel: Snowflake, customer: Option<String>, week: String },
    /// A job that could not be delivered where it should have been: said in
    /// `to` instead, naming where it failed.
    Undeliverable { to: Snowflake, failed_in: Snowflake, lost: Lost },
    /// Add a person to the ticket's thread (its owner).
    Join { user: Snowflake },
    /// 80 % of the update interval to `due` has passed without an update.
    UpdateReminder { due: DateTime<Utc> },
    /// The update deadline `due` passed without an update.
    UpdateOverdue { due: DateTime<Utc> },
    /// The wait that began at `since` is still unanswered: remind the opener once.
    WaitReminder { since: DateTime<Utc>, reason: String },
    /// The wait that began at `since` went unanswered for
    /// `[followup].close_after`: the ticket closes.
    WaitClose { since: DateTime<Utc> },
    /// Bring an escalation group's message up to date: post it, or edit it
    /// to show every line (see `storage::escalations`).
    Escalation { group: i64 },
    /// Archive the ticket's thread (closed), or bring it back (reopened).
    Archive { archived: bool },
    /// Tell the thread that a file of `size` bytes was recorded without its
    /// bytes, being over `[transcripts].max_file` (`max`).
    FileNotKept { name: String, size: u64, max: u64 },
    /// Post the closed ticket's transcript to `[transcripts].channel`,
    /// once its files are in (or [`TRANSCRIPT_PATIENCE`] after closing).
    ///
    /// [`TRANSCRIPT_PATIENCE`]: crate::app::transcript::TRANSCRIPT_PATIENCE
    Transcript,
    /// A kind this version does not know (a newer version queued it, during
    /// a rolling upgrade, or a command's post: `commands::CommandPost`):
    /// never queued, only read.
    #[serde(other)]
    Unknown,
}

impl Job {
    /// A new ticket's jobs: its thread, then its first `posts` (an L1's
    /// ping goes out before the card, which can follow), then its card and
    /// its `members`.
    pub fn opening(members: Vec<Snowflake>, posts: Vec<Effect>) -> Vec<Effect> {
        let mut jobs: Vec<Effect> = vec![Job::Thread { members: vec![], with_card: false }.into()];
        jobs.extend(posts);
        jobs.push(Job::Card.into());
        jobs.push(Job::Members { users: members }.into());
        jobs
    }

    /// The job as an outbox row due at `at`, of a ticket of `severity`.
    pub fn queued(&self, at: DateTime<Utc>, severity: Option<Severity>) -> Queued {
        Effect::from(self.clone()).queued(at, severity)
    }

    /// How soon its calls go out when Discord's limits hold calls back.
    fn urgency(&self) -> Urgency {
        match self {
            // A TAM's ping goes to the thread, and a breach or a missed
            // update is what someone must hear of now.
            Job::Thread { .. } | Job::Step { .. } | Job::UpdateOverdue { .. } | Job::Escalation { .. } => Urgency::Ping,
            Job::UpdateReminder { .. } | Job::WaitReminder { .. } | Job::WaitClose { .. } => Urgency::Post,
            Job::FileNotKept { .. } => Urgency::Post,
            Job::Undeliverable { .. } | Job::Unknown => Urgency::Post,
            Job::Card
            | Job::Members { .. }
            | Job::Leave { .. }
            | Job::Join { .. }
            | Job::Archive { .. }
            | Job::Summary { .. }
            | Job::Transcript => Urgency::Background,
        }
    }

    /// The name of the clock step it is, if it is one: an escalation step
    /// by its trigger; the update clock's and a wait's by what they are and
    /// the instant their cycle is tied to, so that each cycle's steps are
    /// its own (a step already sent is never queued again).
    fn step(&self) -> Option<String> {
        let ms = |t: &DateTime<Utc>| t.timestamp_millis();
        Some(match self {
            Job::Step { trigger, .. } => trigger.name(),
            Job::UpdateReminder { due } => format!("update 80% {}", ms(due)),
            Job::UpdateOverdue { due } => format!("update due {}", ms(due)),
            Job::WaitReminder { since, .. } => format!("wait remind {}", ms(since)),
            Job::WaitClose { since } => format!("wait close {}", ms(since)),
            _ => return None,
        })
    }

    /// The kind a stored job names (`"thread"`, `"step"`), known to this
    /// version or not.
    pub fn kind_of(stored: &str) -> Option<String> {
        #[derive(Deserialize)]
        struct Tagged {
            kind: String,
        }
        serde_json::from_str::<Tagged>(stored).ok().map(|t| t.kind)
    }
}

/// How soon a job's calls go out when Discord's limits hold calls back
/// (the busiest day): the outbox claims, and the limiter admits, the most
/// urgent first; a ticket's own jobs keep their order whatever theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// A TAM's ping, a breach, an overdue update, and the thread they go to.
    Ping,
    /// Any other post.
    Post,
    /// What can follow: cards, thread membership and archiving, summaries,
    /// transcripts.
    Background,
}

impl Urgency {
    /// As the outbox stores it (lower first): by class, then the higher
    /// severity first (`None`: no ticket's).
    pub fn rank(self, severity: Option<Severity>) -> i64 {
        let class = match self {
            Urgency::Ping => 0,
            Urgency::Post => 10,
            Urgency::Background => 50,
        };
        class + severity.map_or(5, |s| i64::from(s.level()))
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A job as a change queues it: its stored form (JSON tagged with its
/// `kind`), the name of the clock step it is, if it is one, and its
/// urgency. A [`Job`] or a command's post becomes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    job: String,
    step: Option<String>,
    urgency: Urgency,
}

impl Effect {
    /// A job of no clock, as its tagged JSON.
    pub fn tagged(job: &impl Serialize, urgency: Urgency) -> Effect {
        // Enums of plain fields: serialising them cannot fail.
        Effect { job: serde_json::to_string(job).expect("jobs serialise"), step: None, urgency }
    }

    /// The job as an outbox row due at `at`, of a ticket of `severity`.
    pub fn queued(&self, at: DateTime<Utc>, severity: Option<Severity>) -> Queued {
        Queued { step: self.step.clone(), job: self.job.clone(), due_at: at, urgency: self.urgency.rank(severity) }
    }
}

impl From<Job> for Effect {
    fn from(job: Job) -> Effect {
        Effect { step: job.step(), ..Effect::tagged(&job, job.urgency()) }
    }
}

/// What a job that could not be delivered was about to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lost {
    /// Create the ticket's thread.
    Thread,
    /// Update the ticket's card.
    Card,
    /// Post this.
    Post { msg: Msg },
    /// Create the ticket's thread: the server has as many active threads as
    /// Discord allows.
    ThreadLimit,
    /// A job of this kind that could not even be worded (it failed on our
    /// side, or no running version knows it).
    Job { what: String },
}

/// The change that moved a ticket's deadline into the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Past {
    Reclassified,
    Reopened,
}

/// What identifies a post across retries and restarts, so that it is posted
/// once: the Discord adapter makes Discord's enforced nonce of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostKey {
    /// The outbox row.
    pub job: i64,
    /// Which of the row's posts.
    pub index: u8,
}

/// One thing to do on Discord, on concrete channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a private thread named `name` in `parent` (or adopt the one a
    /// try whose outcome is unknown created), add `members`, post `card`
    /// (rows of earlier releases; now members and the card follow as jobs
    /// of their own, after the ping). The adapter reports the thread's id,
    /// and the card's, in its [`Receipt`].
    OpenThread {
        parent: Snowflake,
        name: String,
        members: Vec<Snowflake>,
        card: Option<Box<Card>>,
        key: PostKey,
    },
    /// Post the ticket's card in its thread; the adapter reports its id.
    PostCard {
        thread: Snowflake,
        card: Box<Card>,
        key: PostKey,
    },
    EditCard {
        channel: Snowflake,
        message: Snowflake,
        card: Box<Card>,
    },
    /// A message that may mention exactly `ping` and `roles`; `thread` when
    /// `channel` is a ticket's thread (unarchived if it has been archived);
    /// with buttons to press, maybe.
    Post {
        channel: Snowflake,
        msg: Msg,
        /// The language it is worded in (the customer's): its times read
        /// in it too where an adapter writes them out.
        lang: Language,
        ping: Vec<Snowflake>,
        roles: Vec<Snowflake>,
        key: PostKey,
        thread: bool,
        buttons: Vec<Button>,
    },
    RemoveMember {
        thread: Snowflake,
        user: Snowflake,
    },
    AddMember {
        thread: Snowflake,
        user: Snowflake,
    },
    /// Archive a thread (its slot among the server's 1,000 active threads
    /// freed), or unarchive it.
    ArchiveThread {
        thread: Snowflake,
        archived: bool,
    },
    /// A weekly summary: its text and chart, posted once (`key`).
    Summary {
        channel: Snowflake,
        post: Box<SummaryPost>,
        key: PostKey,
    },
    /// A closed ticket's transcript, as a file with a line about it,
    /// posted once (`key`).
    Transcript {
        channel: Snowflake,
        msg: Msg,
        document: Document,
        key: PostKey,
    },
    /// The escalation channel's message of a group of notices (`msg`, each
    /// ticket on its line): posted once for the group if it has no
    /// `message` yet, else that message edited to show every line. The
    /// adapter reports the message's id.
    Escalation {
        channel: Snowflake,
        message: Option<Snowflake>,
        msg: Msg,
        lang: Language,
        ping: Vec<Snowflake>,
        roles: Vec<Snowflake>,
        group: i64,
    },
}

impl Action {
    /// Whether it creates something on Discord (a thread, a message), which
    /// a delivery does only while it holds its job.
    pub fn creates(&self) -> bool {
        match self {
            Action::OpenThread { .. }
            | Action::PostCard { .. }
            | Action::Post { .. }
            | Action::Summary { .. }
            | Action::Transcript { .. } => true,
            Action::Escalation { message, .. } => message.is_none(),
            Action::EditCard { .. }
            | Action::RemoveMember { .. }
            | Action::AddMember { .. }
            | Action::ArchiveThread { .. } => false,
        }
    }
}

/// A button under a post, or under a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// The requester confirms that a released fix works.
    Confirm { ticket: TicketNumber, lang: Language },
    /// A contact rates the closed ticket `score` (five of them, 1 to 5).
    Rate { ticket: TicketNumber, score: Score },
    /// Under the thanks for a rating: a comment to go with it.
    Comment { ticket: TicketNumber, score: Score, lang: Language },
}

impl Button {
    /// What the button says, in its language.
    pub fn label(&self) -> String {
        match self {
            Button::Confirm { lang, .. } => Local::new("Confirm the fix", "Confirmar la corrección").get(*lang).into(),
            Button::Rate { score, .. } => score.to_string(),
            Button::Comment { lang, .. } => Local::new("Add a comment", "Añadir un comentario").get(*lang).into(),
        }
    }
}

/// A claimed job and what to do for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub ticket: Option<TicketNumber>,
    /// The job's kind, for logs.
    pub what: String,
    pub due_at: DateTime<Utc>,
    /// It fell due while no instance was running, and is sent well after.
    pub late: bool,
    pub actions: Vec<Action>,
    /// Tries so far, this one included: above 1, an earlier try may have
    /// taken effect without being recorded.
    pub attempts: i64,
    /// How soon its calls go out when Discord's limits hold calls back
    /// (lower first: [`Urgency::rank`]).
    pub urgency: i64,
    pub(super) ticket_id: Option<i64>,
    /// What the delivery records once done (a breach, at its deadline).
    pub(super) record: Option<EventKind>,
    /// The job (none for a command's post), to say something in its place
    /// if it cannot be delivered, and to queue the one that follows.
    pub(super) job: Option<Job>,
    /// Its notices for the escalation channel: lines of groups.
    pub(super) lines: Vec<crate::storage::Line>,
    /// An escalation group's job: the group, and how many lines its
    /// message shows.
    pub(super) group: Option<(i64, usize)>,
}

/// What a delivery makes on Discord, which its [`Receipt`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    Thread,
    Card,
    /// An escalation group's message.
    Message,
}

impl Delivery {
    /// The receipt of carrying it out, with the ids `id` gives what it
    /// makes (of the job, or of the escalation group): for adapters that
    /// only show what Discord would do (the console, tests' recorders).
    pub fn receipt_with(&self, id: impl Fn(Made, i64) -> Snowflake) -> Receipt {
        let mut receipt = Receipt::default();
        for action in &self.actions {
            match action {
                Action::OpenThread { card, .. } => {
                    receipt.thread = Some(id(Made::Thread, self.id));
                    receipt.card = receipt.card.or(card.as_ref().map(|_| id(Made::Card, self.id)));
                }
                Action::PostCard { .. } => receipt.card = Some(id(Made::Card, self.id)),
                Action::Escalation { message, group, .. } => {
                    receipt.message = Some(message.unwrap_or_else(|| id(Made::Message, *group)));
                }
                _ => {}
            }
        }
        receipt
    }
}

/// What the adapter reports of a delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The ticket's thread, when an [`Action::OpenThread`] ran.
    pub thread: Option<Snowflake>,
    /// The ticket's card, when it was posted.
    pub card: Option<Snowflake>,
    /// An escalation group's message.
    pub message: Option<Snowflake>,
}

/// Where jobs are carried out: the Discord adapter, the console, a test's
/// recorder.
#[async_trait]
pub trait Deliver: Send + Sync {
    /// Carries out one job's actions, in order. Before each action that
    /// creates something (a thread, a post) it asks `lease` whether this
    /// instance still holds the job, and stops with [`DeliveryError::Taken`]
    /// if not.
    async fn deliver(&self, delivery: &Delivery, lease: &dyn Lease) -> Result<Receipt, DeliveryError>;
}

/// A delivery's hold on its job.
#[async_trait]
pub trait Lease: Send + Sync {
    /// Whether this instance still holds the job: no other instance took
    /// it over since (its lease ran out while the delivery was slow).
    async fn held(&self) -> bool;
}

/// Why a delivery did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Rate limited, a server error, no answer: tried again later.
    #[error("{0}")]
    Transient(String),
    /// The job is no longer this instance's: another took it over and
    /// delivers it; this one records nothing.
    #[error("another instance took the job over")]
    Taken,
    /// Retrying cannot help; `action` is the index of the action that failed.
    #[error("{problem:?}: {detail}")]
    Permanent { action: usize, problem: Permanent, detail: String },
}

/// Failures that end a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permanent {
    /// 403: the bot may not see or post in the channel.
    MissingAccess,
    /// 404: the channel, thread or message is gone.
    NotFound,
    /// The thread is archived and locked: only moderators can reopen it.
    Locked,
    /// Discord refused the request for another reason (a 4xx).
    Rejected,
    /// It kept failing for longer than `[discord].give_up_after`.
    GaveUp,
    /// The server has as many active threads as Discord allows (1,000).
    ThreadLimit,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the busiest day: a TAM's ping or a breach before any other post,
    /// a post before a card or a member, and within each, the higher
    /// severity first.
    #[test]
    fn the_urgent_go_first_then_posts_then_what_can_follow() {
        let (l1, l4) = (Some(Severity::Critical), Some(Severity::Low));
        let order = [
            Urgency::Ping.rank(l1),
            Urgency::Ping.rank(l4),
            Urgency::Post.rank(l1),
            Urgency::Post.rank(l4),
            Urgency::Background.rank(l1),
            Urgency::Background.rank(l4),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        let rank = |job: Job| Effect::from(job).queued(DateTime::<Utc>::UNIX_EPOCH, l1).urgency;
        let at = DateTime::<Utc>::UNIX_EPOCH;
        for urgent in [
            Job::Thread { members: vec![], with_card: false },
            Job::Step { trigger: Trigger::Breach, past: None },
            Job::UpdateOverdue { due: at },
            Job::Escalation { group: 1 },
        ] {
            assert_eq!(rank(urgent.clone()), Urgency::Ping.rank(l1), "{urgent:?}");
        }
        for later in [Job::Card, Job::Members { users: vec![] }, Job::Archive { archived: true }] {
            assert_eq!(rank(later.clone()), Urgency::Background.rank(l1), "{later:?}");
        }
        // A ticket's opening: its thread and ping before its card and members.
        let opening: Vec<i64> =
            Job::opening(vec![Snowflake(1)], vec![]).iter().map(|e| e.queued(at, l1).urgency).collect();
        assert_eq!(opening, [Urgency::Ping.rank(l1), Urgency::Background.rank(l1), Urgency::Background.rank(l1)]);
    }
}
