//! The time source. Everything that needs "now", or to wait for an instant,
//! takes a [`Clock`], so tests move time instead of sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A future a clock completes at an instant.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Completes when this clock reaches `t` (at once if it has).
    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_>;
}

/// Real time to wait from `now` until `t`.
fn real_wait(now: DateTime<Utc>, t: DateTime<Utc>) -> Sleep<'static> {
    let wait = (t - now).to_std().unwrap_or_default();
    Box::pin(tokio::time::sleep(wait))
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        real_wait(self.now(), t)
    }
}

/// A clock that only moves when told to. Whoever sleeps on it wakes when it
/// is moved past their instant; [`ManualClock::sleepers`] tells tests who is
/// waiting, and for what.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: tokio::sync::watch::Sender<DateTime<Utc>>,
    sleepers: Mutex<Vec<(u64, DateTime<Utc>)>>,
    next_sleeper: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
            moved: tokio::sync::watch::Sender::new(start),
            sleepers: Mutex::default(),
            next_sleeper: Default::default(),
        }
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = t;
        self.moved.send_replace(t);
    }

    pub fn advance(&self, d: Duration) {
        let t = {
            let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
            *now += d;
            *now
        };
        self.moved.send_replace(t);
    }

    /// The instants someone is sleeping until, earliest first.
    pub fn sleepers(&self) -> Vec<DateTime<Utc>> {
        let mut instants: Vec<DateTime<Utc>> =
            self.sleepers.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(_, t)| *t).collect();
        instants.sort();
        instants
    }
}

/// Removes a sleeper from the list when its sleep ends or is dropped.
struct Sleeper<'a> {
    clock: &'a ManualClock,
    token: u64,
}

impl Drop for Sleeper<'_> {
    fn drop(&mut self) {
        self.clock.sleepers.lock().unwrap_or_else(|p| p.into_inner()).retain(|(t, _)| *t != self.token);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        let mut moved = self.moved.subscribe();
        let token = self.next_sleeper.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.sleepers.lock().unwrap_or_else(|p| p.into_inner()).push((token, t));
        let sleeper = Sleeper { clock: self, token };
        Box::pin(async move {
            let _sleeper = sleeper;
            // The sender lives as long as the clock, which outlives this borrow.
            let _ = moved.wait_for(|now| *now >= t).await;
        })
    }
}

/// The wall clock moved forward by an offset that only grows: the console's
/// `:later`, to see escalations fall due without waiting for them. The
/// offset stops growing where dates would leave chrono's range, so no shift
/// can make `now` overflow.
#[derive(Debug, Default)]
pub struct ShiftedClock(Mutex<Duration>);

/// The largest offset: a thousand years.
const SHIFT_MAX: Duration = Duration::days(1000 * 366);

impl ShiftedClock {
    pub fn shift(&self, by: std::time::Duration) {
        let by = Duration::from_std(by).unwrap_or(SHIFT_MAX);
        let mut offset = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *offset = offset.checked_add(&by).unwrap_or(SHIFT_MAX).min(SHIFT_MAX);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        let offset = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        now.checked_add_signed(offset).unwrap_or(now)
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Sleep<'_> {
        real_wait(self.now(), t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_never_overflows() {
        let clock = ShiftedClock::default();
        clock.shift(std::time::Duration::from_secs(u64::MAX));
        clock.shift(std::time::Duration::from_secs(u64::MAX));
        let now = clock.now();
        assert!(now > Utc::now() + Duration::days(365 * 999), "{now}");
    }

    #[test]
    fn manual_sleepers_wake_when_the_clock_passes_their_instant() {
        let start: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut sleep = clock.sleep_until(start + Duration::minutes(10));
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        assert_eq!(clock.sleepers(), [start + Duration::minutes(10)]);
        clock.advance(Duration::minutes(9));
        assert!(sleep.as_mut().poll(&mut cx).is_pending(), "not yet");
        clock.advance(Duration::minutes(1));
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
        drop(sleep);
        assert!(clock.sleepers().is_empty());
        let mut passed = clock.sleep_until(start);
        assert!(passed.as_mut().poll(&mut cx).is_ready(), "an instant already reached");
    }
}
