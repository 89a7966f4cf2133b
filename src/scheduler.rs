//! The durable scheduler: the loop that turns due escalation steps into
//! messages exactly once.
//!
//! It sleeps until the next notification falls due (one index probe tells
//! when), or until a ticket change wakes it, so an idle bot costs nothing and
//! a tick costs what is due, not what is open. Due rows are claimed (a lease,
//! see `storage::notifications`), delivered by the adapter, then marked sent.
//! A crash between delivery and marking leaves the row to be claimed again
//! when the lease ends; the post's key (Discord's enforced nonce) makes that
//! resend return the first message instead of posting a second one.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use crate::app::{App, AppError, Effect};

/// Claimed per round trip to the database.
pub const BATCH: i64 = 100;

/// The longest sleep: the wake-up that catches work scheduled by another
/// instance (each instance is woken at once by its own changes).
pub const MAX_IDLE: Duration = Duration::from_secs(30);

/// After a failed delivery, the pause before the next try.
pub const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Where due notifications go: the Discord adapter, the console.
#[async_trait]
pub trait Deliver: Send + Sync {
    /// Carries out one notification's effects; an error leaves it scheduled.
    async fn deliver(&self, effects: &[Effect]) -> Result<(), String>;
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub sent: usize,
    pub late: usize,
    pub failed: usize,
}

/// Delivers everything due now, earliest first.
pub async fn tick(app: &App, out: &dyn Deliver) -> Result<Tick, AppError> {
    let mut done = Tick::default();
    loop {
        let due = app.claim_due(BATCH).await?;
        let full = due.len() as i64 == BATCH;
        for d in &due {
            match out.deliver(&d.effects).await {
                Ok(()) => {
                    app.notification_sent(d).await?;
                    done.sent += 1;
                    done.late += usize::from(d.late);
                }
                Err(e) => {
                    tracing::warn!(ticket = %d.ticket, step = %d.trigger.name(), error = %e, "delivery failed");
                    app.notification_failed(d).await?;
                    done.failed += 1;
                }
            }
        }
        // A failure ends the pass: the next one comes after a pause.
        if !full || done.failed > 0 {
            return Ok(done);
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
        let pause = match tick(&app, &out).await {
            Ok(t) if t.failed > 0 => RETRY_PAUSE,
            Ok(_) => Duration::ZERO,
            Err(e) => {
                tracing::error!(error = %e, "the scheduler's tick failed");
                RETRY_PAUSE
            }
        };
        let wait = match app.next_due().await {
            Ok(Some(next)) => (next - app.now()).to_std().unwrap_or(Duration::ZERO).min(MAX_IDLE),
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::error!(error = %e, "the scheduler cannot read the next due instant");
                RETRY_PAUSE
            }
        }
        .max(pause);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
            () = &mut shutdown => return,
        }
    }
}
