//! The application layer: one module per command (`commands/`), each taking
//! who is acting and what they asked and returning a reply and effects;
//! authorization lives in `commands/access.rs`, once, for every adapter.
//!
//! # Layers
//!
//! Files are layered, and a file imports only from its own layer or those
//! below, never in a circle (`tests/layers.rs` checks both). This file is
//! the façade: it declares the modules and re-exports what the adapters
//! use; nothing inside `app` imports from it.
//!
//! 1. **Vocabulary**: what the application speaks of, with no `App` and
//!    no I/O. `msg` (messages of typed pieces, `say!`, words in both
//!    languages), `words` (the words of the domain's things), `clock`,
//!    `declare` and `args` (commands' declarations and their typed options),
//!    `refusal` (refusals as values), `card` (a ticket's card and its
//!    states), `jobs` (what a change asks of Discord, and what an adapter
//!    does and reports).
//! 2. **Wording**: `posts` (what posts share: the facts they are worded
//!    from, a post, the L1 ping) and `reminders` (the posts of a ticket's
//!    clocks). A command's own post is worded in its command's file.
//! 3. **Core**: `application` (the `App`: configuration, storage, clock;
//!    plans, cards and escalation steps), `tickets` (storing changes),
//!    `instance` (this process among the deployment's), `summary` and
//!    `chart` (weekly figures, worded and drawn), `record` (threads'
//!    messages and files kept) and `transcript` (a ticket's record as a
//!    page).
//! 4. **Top**: `commands` (one file per command, the list, who may run
//!    what, how refusals read, the dispatch) and `delivery` (the outbox's
//!    lifecycle: claim, resolve, deliver, record, retry, give up).
//!
//! # What the application offers
//!
//! Every use case of [`App`], whichever file holds it (`tests/layers.rs`
//! checks that this list names them all):
//!
//! - **Commands**: [`App::handle`] runs a command for someone
//!   ([`Invocation`]); [`App::handle_input`] parses one as typed first;
//!   [`App::thread_message`] is a message in a ticket's thread (an
//!   acknowledgement, an update, the end of a wait); [`App::ticket_numbers`]
//!   completes a ticket number as typed; [`App::comment_form`] opens the
//!   form of a rating's comment; [`App::refuse_once`] answers an event with
//!   a refusal (a button no longer in use).
//! - **The outbox**: [`App::lead`] (whether this instance delivers: one at
//!   a time) and [`App::step_down`], [`App::claim_due`] (or
//!   [`App::claim_due_up_to`] an urgency) and [`App::deliver_due`] (what
//!   the scheduler loops on), [`App::next_due`],
//!   [`App::release_all_claims`] (after a crash, on SQLite),
//!   [`App::wake_handle`] and [`App::watch_outbox`] (woken by changes
//!   here and at other instances).
//! - **Weekly summaries**: [`App::report`], [`App::summary_post`],
//!   [`App::plan_summaries`].
//! - **The record of tickets' threads**: [`App::record_message`],
//!   [`App::record_edit`] and [`App::record_deletion`] (as the chat tells
//!   them), [`App::keep_files`] (downloads in the background) or
//!   [`App::keep_due_files`] (the console's, at once),
//!   [`App::transcript`], [`App::forget_old_records`] (the retention).
//! - **This instance among the deployment's**: [`App::named`],
//!   [`App::instance`], [`App::mode`], [`App::heartbeat`],
//!   [`App::run_instance`].
//! - **Discord events answered once**: [`App::remember_reply`],
//!   [`App::claimed_reply`], [`App::prune_claims`].
//! - **What adapters look up**: [`App::customer_of_contact`],
//!   [`App::ticket_thread`], [`App::zone_of_channel`].
//! - **Its parts**: [`App::new`], [`App::config`], [`App::store`],
//!   [`App::metrics`], [`App::now`], [`App::sleep_until`],
//!   [`App::storage_health`].

mod application;
mod args;
mod card;
mod chart;
pub mod clock;
pub mod commands;
mod declare;
mod delivery;
mod instance;
mod jobs;
pub mod msg;
mod posts;
mod record;
mod refusal;
mod reminders;
mod summary;
mod tickets;
mod transcript;
pub mod words;

pub use application::{App, AppError, CLAIMS_KEPT};
pub use card::{Card, CardStatus, FollowUp};
pub use clock::{Clock, ManualClock, SystemClock};
pub use commands::{Command, EventId, Invocation, Outcome, Reply, Spec, UsageError};
pub use delivery::{Done, Due, DELIVERY_BUDGET, LEASE, UNKNOWN_PAUSE};
pub use instance::DELIVERER_LEASE;
pub use jobs::{
    Action, Button, Deliver, Delivery, DeliveryError, Job, Lease, Made, Permanent, PostKey, Receipt, Urgency,
};
pub use msg::{Chart, Document, Local, Msg, Span, SummaryPost, TimeStyle};
pub use record::{Fetch, FetchError, FileBytes, DOWNLOADS_AT_ONCE};
pub use refusal::Refusal;
pub use summary::{next_week_to_post, posting_instant, Report};
pub use transcript::Transcript;
