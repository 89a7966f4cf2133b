//! The durable scheduler: the loop that delivers the outbox's jobs (threads,
//! cards, posts, escalation steps) exactly once.
//!
//! It sleeps on the application's clock until the next job can be acted on
//! (two index probes tell when), or until a change wakes it, so an idle bot
//! costs nothing and a tick costs what is due, not what is open. Due jobs are
//! claimed, each under its own lease (see `storage::outbox`), and delivered
//! side by side, up to [`PARALLEL`] at once: one ticket's jobs in order (only
//! the head of a ticket's queue can be claimed), different tickets' jobs
//! concurrently, so that one slow request delays only its own ticket. A
//! delivery renews its lease while it runs and checks it before creating
//! anything, so no job has two deliverers. A crash between delivery and
//! recording leaves the job to be claimed again when the lease ends; its
//! post's key (Discord's enforced nonce) makes that resend return the first
//! message instead of a second.
//!
//! On the busiest day the most urgent due jobs are claimed first (a TAM's
//! ping, a breach) and [`URGENT_ROOM`] of the deliveries are kept for them,
//! so that cards and member additions never fill every place while a ping
//! waits.
//!
//! Several instances: one delivers at a time (`App::lead`), so that the
//! deployment keeps Discord's one budget; the others wait to take over.
//!
//! The loop also forgets Discord event claims older than a day, a small
//! batch at a time, every [`PRUNE_EVERY`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::task::JoinSet;

use crate::app::{App, AppError, Done, Urgency, DELIVERER_LEASE};
pub use crate::app::{Deliver, Lease};

/// Deliveries in flight at once.
pub const PARALLEL: usize = 32;

/// Of those, the places only the most urgent jobs may take.
pub const URGENT_ROOM: usize = 8;

/// The deliverer renews its lease this often (a third of it); an instance
/// that does not deliver looks as often whether it should take over.
pub const LEAD_EVERY: Duration = Duration::from_millis(DELIVERER_LEASE.as_millis() as u64 / 3);

/// After the scheduler itself failed (the database, say), the pause before
/// the next try.
pub const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Woken by a change, the scheduler waits this long for others before it
/// claims: under a burst of commands it claims and records their jobs in
/// batches, rather than a few statements per command.
pub const GATHER: Duration = Duration::from_millis(10);

/// How often the loop forgets old event claims.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub sent: usize,
    pub late: usize,
    pub failed: usize,
}

impl Tick {
    fn count(&mut self, done: Done) {
        match done {
            Done::Sent { late } => {
                self.sent += 1;
                self.late += usize::from(late);
            }
            Done::Failed => self.failed += 1,
            Done::Left => {}
        }
    }
}

/// Delivers everything that can be delivered now, and returns when nothing
/// more can: a ticket's next job becomes claimable as soon as the one before
/// it is done. Each claimed batch is delivered concurrently, one job per
/// ticket; nothing else is awaited meanwhile (a delivery may be holding
/// SQLite's writer turn).
pub async fn tick(app: &App, out: &dyn Deliver) -> Result<Tick, AppError> {
    let mut done = Tick::default();
    loop {
        let claimed = app.claim_due(PARALLEL).await?;
        if claimed.is_empty() {
            return Ok(done);
        }
        let mut flight: FuturesUnordered<_> = claimed.into_iter().map(|due| app.deliver_due(due, out)).collect();
        while let Some(d) = flight.next().await {
            done.count(d);
        }
    }
}

/// Runs until `shutdown` completes, then lets the deliveries in flight
/// finish (the caller bounds how long it waits). Each delivery is a task of
/// its own, so that it progresses while the loop claims, sleeps or prunes.
pub async fn run(app: App, out: impl Deliver + 'static, shutdown: impl Future<Output = ()>) {
    let wake = app.wake_handle();
    tokio::pin!(shutdown);
    match app.release_all_claims().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(claims = n, "took back the claims of a process that stopped mid-delivery"),
        Err(e) => tracing::error!(error = %e, "cannot take back earlier claims; they wait for their leases"),
    }
    let out: Arc<dyn Deliver> = Arc::new(out);
    // Another instance's jobs wake this one too, should it be the deliverer.
    let watching = app.watch_outbox();
    let mut flight: JoinSet<Done> = JoinSet::new();
    let mut pruned_at = None;
    let mut led_at: Option<chrono::DateTime<chrono::Utc>> = None;
    let lead_every = chrono::Duration::from_std(LEAD_EVERY).unwrap_or_default();
    loop {
        // Registered before claiming, so a change meanwhile is not missed.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let now = app.now();
        let mut failed = false;
        // Whether this instance delivers: renewed a third of the lease
        // before it runs out.
        if led_at.is_none_or(|at| now >= at + lead_every || now < at) {
            led_at = match app.lead().await {
                Ok(true) => Some(now),
                Ok(false) => None,
                Err(e) => {
                    tracing::error!(error = %e, "the scheduler cannot tell whether it delivers");
                    failed = true;
                    None
                }
            };
        }
        let leads = led_at.is_some();
        // Each turn of the loop (a delivery ended, a sleep ended, a change
        // woke it) may have made jobs claimable.
        if leads && flight.len() < PARALLEL {
            let most = (flight.len() >= PARALLEL - URGENT_ROOM).then_some(Urgency::Ping);
            match app.claim_due_up_to(PARALLEL - flight.len(), most).await {
                Ok(claimed) => {
                    for due in claimed {
                        let (app, out) = (app.clone(), out.clone());
                        flight.spawn(async move { app.deliver_due(due, out.as_ref()).await });
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "the scheduler cannot claim due jobs");
                    failed = true;
                }
            }
        }
        if pruned_at.is_none_or(|at| now >= at + chrono::Duration::from_std(PRUNE_EVERY).unwrap_or_default()) {
            pruned_at = Some(now);
            match app.prune_claims().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(claims = n, "forgot Discord event claims older than a day"),
                Err(e) => tracing::warn!(error = %e, "cannot forget old event claims; trying again later"),
            }
        }
        let pause = |d: Duration| now + chrono::Duration::from_std(d).unwrap_or_default();
        let until = match (failed, leads, flight.len() >= PARALLEL) {
            (true, ..) => pause(RETRY_PAUSE),
            // Another instance delivers: look again whether it still does.
            (false, false, _) => pause(LEAD_EVERY),
            // Full: the next thing to do is a delivery ending.
            (false, true, true) => pause(LEAD_EVERY),
            (false, true, false) => match app.next_due().await {
                Ok(next) => next.map_or(pause(LEAD_EVERY), |next| next.min(pause(LEAD_EVERY))),
                Err(e) => {
                    tracing::error!(error = %e, "the scheduler cannot read when the next job is due");
                    pause(RETRY_PAUSE)
                }
            },
        };
        tokio::select! {
            Some(ended) = flight.join_next(), if !flight.is_empty() => {
                if let Err(e) = ended {
                    tracing::error!(error = %e, "a delivery task ended abnormally; its job is claimed again when its lease ends");
                }
            }
            () = app.sleep_until(until) => {}
            () = &mut woken => tokio::time::sleep(GATHER).await,
            () = &mut shutdown => break,
        }
    }
    while flight.join_next().await.is_some() {}
    if let Some(watching) = watching {
        watching.abort();
    }
    if led_at.is_some() {
        app.step_down().await;
    }
}
