//! The durable scheduler: the loop that delivers the outbox's jobs (threads,
//! cards, posts, escalation steps) exactly once.
//!
//! It sleeps on the application's clock until the next job can be acted on
//! (two index probes tell when), or until a change wakes it, so an idle bot
//! costs nothing and a tick costs what is due, not what is open. Due jobs are
//! claimed (a lease, see `storage::outbox`), delivered by the adapter, then
//! recorded. A crash between delivery and recording leaves the job to be
//! claimed again when the lease ends; its post's key (Discord's enforced
//! nonce) makes that resend return the first message instead of a second.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use crate::app::DELIVERY_BUDGET;
use crate::app::{App, AppError, Delivery, DeliveryError, Receipt};

/// Claimed per round trip to the database.
pub const BATCH: i64 = 100;

/// The longest sleep: the wake-up that catches work queued by another
/// instance (each instance is woken at once by its own changes).
pub const MAX_IDLE: Duration = Duration::from_secs(30);

/// After the scheduler itself failed (the database, say), the pause before
/// the next try.
pub const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Woken by a change, the scheduler waits this long for others before it
/// claims: under a burst of commands it claims and records their jobs in
/// batches, rather than a few statements per command.
pub const GATHER: Duration = Duration::from_millis(10);

/// Where jobs are carried out: the Discord adapter, the console.
#[async_trait]
pub trait Deliver: Send + Sync {
    /// Carries out one job's actions, in order.
    async fn deliver(&self, delivery: &Delivery) -> Result<Receipt, DeliveryError>;
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub sent: usize,
    pub late: usize,
    pub failed: usize,
}

/// Delivers everything that can be delivered now, earliest first: a
/// ticket's next job becomes claimable as soon as the one before it is done.
pub async fn tick(app: &App, out: &dyn Deliver) -> Result<Tick, AppError> {
    let mut done = Tick::default();
    loop {
        let due = app.claim_due(BATCH).await?;
        if due.is_empty() {
            return Ok(done);
        }
        for d in &due {
            let delivered = match tokio::time::timeout(DELIVERY_BUDGET, out.deliver(d)).await {
                Ok(result) => result,
                Err(_) => Err(DeliveryError::Transient(format!("abandoned after {DELIVERY_BUDGET:?}"))),
            };
            match delivered {
                Ok(receipt) => {
                    app.delivered(d, receipt).await?;
                    done.sent += 1;
                    done.late += usize::from(d.late);
                }
                Err(e) => {
                    app.delivery_failed(d, &e).await?;
                    done.failed += 1;
                }
            }
        }
    }
}

/// Runs until `shutdown` completes.
pub async fn run(app: App, out: impl Deliver, shutdown: impl Future<Output = ()>) {
    let wake = app.wake_handle();
    tokio::pin!(shutdown);
    match app.release_all_claims().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(claims = n, "took back the claims of a process that stopped mid-delivery"),
        Err(e) => tracing::error!(error = %e, "cannot take back earlier claims; they wait for their leases"),
    }
    loop {
        // Registered before the tick, so a change during it is not missed.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let failed = match tick(&app, &out).await {
            Ok(_) => false,
            Err(e) => {
                tracing::error!(error = %e, "the scheduler's tick failed");
                true
            }
        };
        let now = app.now();
        let idle = now + chrono::Duration::from_std(MAX_IDLE).unwrap_or_default();
        let until = match app.next_due().await {
            Ok(next) if !failed => next.map_or(idle, |next| next.min(idle)),
            Ok(_) => now + chrono::Duration::from_std(RETRY_PAUSE).unwrap_or_default(),
            Err(e) => {
                tracing::error!(error = %e, "the scheduler cannot read when the next job is due");
                now + chrono::Duration::from_std(RETRY_PAUSE).unwrap_or_default()
            }
        };
        tokio::select! {
            () = app.sleep_until(until) => {}
            () = &mut woken => tokio::time::sleep(GATHER).await,
            () = &mut shutdown => return,
        }
    }
}
