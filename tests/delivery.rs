//! The outbox's delivery lifecycle on both backends, with an injected
//! clock: a job has one deliverer at a time (its lease renewed while a slow
//! delivery runs, checked before anything is created), rows that cannot be
//! delivered never hold the good ones beside them, a job of a kind this
//! version does not know is left for one that does, and old event claims
//! are forgotten.

use crate::support;
use std::sync::Arc;

use crate::support::world::*;
use crate::support::{Recorder, TestDb};
use chrono::Duration;
use priority_line::app::{Action, App, Clock, Deliver, Delivery, DeliveryError, Lease, Receipt, CLAIMS_KEPT, LEASE};
use priority_line::scheduler;
use priority_line::storage::{Once, OutboxState, Queued};

/// A deliverer that waits to be let through, then, as the Discord adapter
/// does, asks its lease before it creates anything.
struct Gate {
    open: tokio::sync::Semaphore,
    /// Jobs it has begun (claimed and resolved).
    begun: tokio::sync::watch::Sender<usize>,
    out: Recorder,
}

impl Gate {
    /// A tick of `w`'s instance through a new gate, returned once it has
    /// begun its first job (claimed, resolved and held at the gate).
    async fn hold(w: &World) -> (Arc<Gate>, tokio::task::JoinHandle<scheduler::Tick>) {
        let gate = Arc::new(Gate {
            open: tokio::sync::Semaphore::new(0),
            begun: tokio::sync::watch::Sender::new(0),
            out: Recorder::new(w.clock.clone()),
        });
        let tick = tokio::spawn({
            let (app, gate) = (w.app.clone(), gate.clone());
            async move { scheduler::tick(&app, gate.as_ref()).await.unwrap() }
        });
        gate.begun.subscribe().wait_for(|n| *n == 1).await.unwrap();
        (gate, tick)
    }
}

#[async_trait::async_trait]
impl Deliver for Gate {
    async fn deliver(&self, d: &Delivery, lease: &dyn Lease) -> Result<Receipt, DeliveryError> {
        self.begun.send_modify(|n| *n += 1);
        let _pass = self.open.acquire().await;
        if !lease.held().await {
            return Err(DeliveryError::Taken);
        }
        self.out.deliver(d, lease).await
    }
}

/// A second instance on the same database.
fn second(w: &World) -> App {
    App::new(Arc::new(w.app.config().clone()), w.app.store().clone(), w.clock.clone()).named("second")
}

/// The due thread of a ticket opened now (its delivery held back).
async fn open_undelivered(w: &World) -> i64 {
    let options = [("summary", "VPN down"), ("severity", "2")];
    let out = w.app.handle(&invocation(ALICE, ACME_CHANNEL), support::cmd("ticket open", &options)).await;
    assert!(out.refusal().is_none(), "{out:?}");
    let tickets = w.app.store().tickets("ACME", true).await.unwrap();
    tickets.iter().map(|t| t.id).max().unwrap()
}

fn invocation(
    user: priority_line::domain::customer::Snowflake,
    channel: priority_line::domain::customer::Snowflake,
) -> priority_line::app::Invocation {
    priority_line::app::Invocation {
        user,
        is_staff: user == ENGINEER,
        is_specialist: false,
        channel,
        language: None,
        event: None,
        named_staff: vec![],
    }
}

fn threads(out: &Recorder) -> usize {
    out.actions().iter().filter(|a| matches!(a, Action::OpenThread { .. })).count()
}

/// A delivery slower than a lease keeps its job: its lease is renewed while
/// it runs, so another instance never takes the job and creates the thread
/// a second time. Once through, the thread exists once.
async fn a_slow_delivery_keeps_its_job_while_it_runs(db: &TestDb) {
    let w = World::new(db).await;
    let ticket = open_undelivered(&w).await;
    let (gate, slow) = Gate::hold(&w).await;
    let other = second(&w);
    let lease = Duration::from_std(LEASE).unwrap();
    for _ in 0..4 {
        // Half a lease at a time: each renewal (every third of a lease)
        // keeps the job this instance's.
        let before = w.app.next_due().await.unwrap();
        w.clock.advance(lease / 2);
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while w.app.next_due().await.unwrap() == before {
            assert!(tokio::time::Instant::now() < until, "the lease was not renewed");
            tokio::task::yield_now().await;
        }
        let taken = scheduler::tick(&other, &w.out).await.unwrap();
        assert_eq!(taken.sent, 0, "the other instance finds nothing to take");
    }
    assert_eq!(threads(&w.out), 0);
    gate.open.add_permits(100);
    slow.await.unwrap();
    assert_eq!(threads(&gate.out), 1, "one thread");
    let rows = w.app.store().outbox(ticket).await.unwrap();
    assert_eq!(rows[0].state, OutboxState::Sent);
    // The rest of its jobs (the card, posts) go out once too.
    assert_eq!(scheduler::tick(&other, &w.out).await.unwrap().sent, 0, "nothing else was due");
}

/// A deliverer whose job another instance took over (its lease ran out
/// while it was stalled) creates nothing and records nothing: the other
/// instance delivers it.
async fn a_deliverer_that_lost_its_job_creates_nothing(db: &TestDb) {
    let w = World::new(db).await;
    let ticket = open_undelivered(&w).await;
    let (gate, stalled) = Gate::hold(&w).await;
    // Another instance claims the job, as it would after the lease ran out.
    let claimed = sqlx::query(
        "UPDATE outbox SET claimed_by = 'elsewhere', attempts = attempts + 1 WHERE ticket_id = $1 AND state = 'pending'",
    )
    .bind(ticket)
    .execute(w.app.store().pool())
    .await
    .unwrap();
    assert!(claimed.rows_affected() > 0);
    gate.open.add_permits(100);
    let done = stalled.await.unwrap();
    assert_eq!((done.sent, done.failed), (0, 0), "{done:?}");
    assert_eq!(threads(&gate.out), 0, "the stalled deliverer created nothing");
    let rows = w.app.store().outbox(ticket).await.unwrap();
    assert_eq!(rows[0].state, OutboxState::Pending, "left to the instance that holds it");
}

/// Beside good rows, a row of a kind this version does not know, one of a
/// known kind it cannot read, and one whose ticket is gone: the good rows
/// are delivered in the same tick. The unknown one is left pending for an
/// instance that knows it (counted once), the unreadable one is retried;
/// after `give_up_after` both end as failed, said in the escalation channel.
async fn rows_that_cannot_be_delivered_do_not_hold_the_good_ones(db: &TestDb) {
    let w = World::new(db).await;
    let store = w.app.store();
    let now = w.clock.now();
    let bad = [
        ("future", r#"{"kind":"from_a_newer_version","x":1}"#),
        ("unreadable", r#"{"kind":"thread"}"#),
        ("no ticket", r#"{"kind":"card"}"#),
    ];
    for (key, job) in bad {
        let row = Queued { step: None, job: job.to_owned(), due_at: now, urgency: 15 };
        assert!(store.queue_once(&Once { key: key.to_owned(), row }).await.unwrap());
    }
    let options = [("summary", "VPN down"), ("severity", "1")];
    let out = w.app.handle(&invocation(ALICE, ACME_CHANNEL), support::cmd("ticket open", &options)).await;
    assert!(out.refusal().is_none());
    let tick = w.deliver().await;
    assert_eq!(threads(&w.out), 1, "the good ticket's thread");
    assert!(w.posts().iter().any(|(_, text, _)| text.contains("Crítico (L1)")), "and its L1 ping, in the same tick");
    assert_eq!(tick.failed, 1, "the unreadable row's first try");
    let row = |key: &'static str| async move { store.outbox_once(key).await.unwrap().unwrap() };
    let future = row("future").await;
    assert_eq!(future.state, OutboxState::Pending, "not dropped: a newer instance will take it");
    assert!(future.last_error.as_deref().unwrap().contains("from_a_newer_version"), "{future:?}");
    assert_eq!(row("unreadable").await.state, OutboxState::Pending, "retried later");
    assert_eq!(row("no ticket").await.state, OutboxState::Dropped);
    assert_eq!(w.app.metrics().jobs_unknown.get(), 1);
    // Met again after its pause, it is counted (and logged) once.
    w.clock.advance(Duration::from_std(priority_line::app::UNKNOWN_PAUSE).unwrap());
    w.deliver().await;
    assert_eq!(w.app.metrics().jobs_unknown.get(), 1);
    assert_eq!(row("future").await.state, OutboxState::Pending);
    // No instance took it for give_up_after (1 h): both end as failed.
    w.out.clear();
    for _ in 0..20 {
        w.clock.advance(Duration::minutes(5));
        w.deliver().await;
    }
    assert_eq!(row("future").await.state, OutboxState::Failed);
    assert_eq!(row("unreadable").await.state, OutboxState::Failed);
    let escalation = priority_line::domain::customer::Snowflake(310000000000000009);
    let notices: Vec<String> = w
        .posts()
        .into_iter()
        .filter(|(channel, text, _)| *channel == escalation && text.contains("could not be delivered"))
        .map(|(_, text, _)| text)
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.iter().any(|n| n.contains("(from_a_newer_version)")), "{notices:?}");
    assert_eq!(w.app.metrics().notifications_failed.get(), 2);
}

/// Claims of Discord events are kept a day: the scheduler forgets older
/// ones, a batch at a time.
async fn event_claims_older_than_a_day_are_forgotten(db: &TestDb) {
    let w = World::new(db).await;
    let claim = |event: u64| priority_line::app::Invocation {
        event: Some(priority_line::app::EventId::Interaction(event)),
        ..invocation(ENGINEER, ACME_CHANNEL)
    };
    // A claim every 3 hours over a day and a half.
    for i in 0..12 {
        w.app.handle(&claim(i), support::cmd("queue", &[])).await;
        w.clock.advance(Duration::hours(3));
    }
    let kept = Duration::from_std(CLAIMS_KEPT).unwrap();
    let forgotten = w.app.prune_claims().await.unwrap();
    assert_eq!(forgotten, 4, "the claims made more than a day ago (0, 3, 6 and 9 hours in)");
    for i in 0..12u64 {
        let at = support::world::monday_morning() + Duration::hours(3 * i as i64);
        let taken = w.app.store().event_claimed(&format!("interaction:{i}")).await.unwrap();
        assert_eq!(taken, w.clock.now() - at <= kept, "claim {i}");
    }
}

both_backends! {
    a_slow_delivery_keeps_its_job_while_it_runs,
    a_deliverer_that_lost_its_job_creates_nothing,
    rows_that_cannot_be_delivered_do_not_hold_the_good_ones,
    event_claims_older_than_a_day_are_forgotten,
}
