//! The time source. Everything that needs "now" takes a [`Clock`], so tests
//! move time instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
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
}
