//! This process as one of the deployment's instances: it says when it
//! started, that it is still running (every [`App::heartbeat`]) and when it
//! stopped, so that a notification is marked late only when it fell due
//! while no instance was running; and whether it is the one that delivers
//! the outbox ([`App::lead`]).
//!
//! One instance delivers at a time, so that one limiter sees every call the
//! deployment makes to Discord and keeps the one budget Discord gives the
//! bot (budget shares would need each instance to know how many others
//! run, and could still meet in one channel's bucket). The deliverer holds
//! a lease of [`DELIVERER_LEASE`], renewed while it runs and given up when
//! it stops; another instance takes over when it runs out. Interactions
//! are answered by whichever instance takes them: their answers are
//! outside the global budget.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::application::{App, AppError};

/// How long the deliverer's lease holds unless renewed: an instance that
/// dies is taken over within this.
pub const DELIVERER_LEASE: Duration = Duration::from_secs(5);

impl App {
    /// This instance's name, in logs, health and metrics.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// How Discord's interactions reach this instance: `"gateway"` or
    /// `"http"`; `"console"` where no Discord is configured.
    pub fn mode(&self) -> &'static str {
        match self.config.discord.as_ref().map(|d| &d.interactions) {
            Some(crate::config::Interactions::Gateway) => "gateway",
            Some(crate::config::Interactions::Http { .. }) => "http",
            None => "console",
        }
    }

    /// The same application, under the instance name `name`.
    pub fn named(mut self, name: &str) -> App {
        self.instance = name.into();
        self
    }

    /// How often a running instance says so: a quarter of `late_after`, so
    /// that downtime is known well within it; between 250 ms and 15 s.
    pub fn heartbeat(&self) -> Duration {
        (self.config.late_after / 4).clamp(Duration::from_millis(250), Duration::from_secs(15))
    }

    /// Registers this instance and says that it runs until `shutdown`
    /// completes, then that it stopped. Failures are logged and tried again
    /// at the next beat.
    pub async fn run_instance(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let beat = chrono::Duration::from_std(self.heartbeat()).unwrap_or_default();
        if let Err(e) = self.store.instance_started(&self.instance, self.now()).await {
            tracing::warn!(error = %e, "cannot register this instance");
        }
        if let Err(e) = self.plan_summaries().await {
            tracing::error!(error = %e, "cannot schedule the weekly summaries");
        }
        loop {
            tokio::select! {
                () = self.sleep_until(self.now() + beat) => {}
                () = &mut shutdown => break,
            }
            if let Err(e) = self.store.instance_seen(&self.instance, self.now()).await {
                tracing::warn!(error = %e, "cannot record that this instance is running");
            }
            // `[transcripts].keep`: a few tickets' records a beat, aside
            // from anything someone waits for.
            if let Err(e) = self.forget_old_records().await {
                tracing::warn!(error = %e, "cannot delete records past their retention");
            }
        }
        if let Err(e) = self.store.instance_stopped(&self.instance, self.now()).await {
            tracing::warn!(error = %e, "cannot record that this instance stopped");
        }
    }

    /// Whether some instance was running at `t`.
    pub(super) async fn instance_running_at(&self, t: DateTime<Utc>) -> Result<bool, AppError> {
        Ok(self.store.instance_running_at(t, 2 * self.heartbeat()).await?)
    }

    /// Whether this instance delivers the outbox: it takes the deliverer's
    /// lease if it is free, or renews it if it holds it, for
    /// [`DELIVERER_LEASE`] from now.
    pub async fn lead(&self) -> Result<bool, AppError> {
        let now = self.now();
        let until = now + chrono::Duration::from_std(DELIVERER_LEASE).unwrap_or_default();
        let leads = self.store.lead(&self.instance, now, until).await?;
        if leads != (self.metrics.deliverer.get() == 1) {
            match leads {
                true => tracing::info!("this instance delivers the outbox now"),
                false => tracing::info!("another instance delivers the outbox"),
            }
            self.metrics.deliverer.set(i64::from(leads));
        }
        Ok(leads)
    }

    /// Gives up delivering (when stopping), so that another instance takes
    /// over at once.
    pub async fn step_down(&self) {
        self.metrics.deliverer.set(0);
        if let Err(e) = self.store.step_down(&self.instance).await {
            tracing::warn!(error = %e, "cannot give up the deliverer's lease; another instance takes over when it runs out");
        }
    }
}
