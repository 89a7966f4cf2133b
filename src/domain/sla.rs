//! Severities, response targets and the SLA clock: when a first response is
//! due, and when a given share of the target has elapsed.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::calendar::{Calendar, CalendarError};

/// Ticket severity, level 1 (Critical) to 4 (Low). Stored as its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Severity {
    Critical = 1,
    High = 2,
    Medium = 3,
    Low = 4,
}

impl From<Severity> for u8 {
    fn from(s: Severity) -> u8 {
        s.level()
    }
}

impl TryFrom<u8> for Severity {
    type Error = String;

    fn try_from(level: u8) -> Result<Severity, String> {
        Severity::from_level(level).ok_or_else(|| format!("{level} is not a severity level (1 to 4)"))
    }
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    pub fn from_level(level: u8) -> Option<Self> {
        Severity::ALL.get(usize::from(level).checked_sub(1)?).copied()
    }

    pub fn level(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
        }
    }

    fn index(self) -> usize {
        usize::from(self.level() - 1)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{} {}", self.level(), self.name())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .trim_start_matches(['L', 'l'])
            .parse::<u8>()
            .ok()
            .and_then(Severity::from_level)
            .ok_or_else(|| format!("\"{s}\" is not a severity level (1 to 4)"))
    }
}

/// Which time counts towards a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Elapsed time, around the clock (`24x7`).
    AroundTheClock,
    /// Working time of the customer's calendar only (`business`).
    Business,
}

impl FromStr for Clock {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "24x7" => Ok(Clock::AroundTheClock),
            "business" => Ok(Clock::Business),
            other => Err(format!("unknown clock \"{other}\" (expected \"24x7\" or \"business\")")),
        }
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Clock::AroundTheClock => "24x7",
            Clock::Business => "business",
        })
    }
}

/// A first-response target: how much time, counted on which clock; and,
/// after the first response, how often an update is due on the same clock
/// (none: no update clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseTarget {
    response: Duration,
    clock: Clock,
    update: Option<Duration>,
}

impl ResponseTarget {
    /// A target must be a positive whole number of milliseconds.
    pub fn new(response: Duration, clock: Clock) -> Result<Self, String> {
        if response.is_zero() {
            return Err("a response target must be longer than zero".into());
        }
        if !response.subsec_nanos().is_multiple_of(1_000_000) {
            return Err("a response target must be a whole number of milliseconds".into());
        }
        Ok(ResponseTarget { response, clock, update: None })
    }

    /// The same target with an update interval (a positive whole number of
    /// milliseconds).
    pub fn with_update(self, update: Duration) -> Result<Self, String> {
        if update.is_zero() {
            return Err("an update interval must be longer than zero".into());
        }
        if !update.subsec_nanos().is_multiple_of(1_000_000) {
            return Err("an update interval must be a whole number of milliseconds".into());
        }
        Ok(ResponseTarget { update: Some(update), ..self })
    }

    /// How often an update is due after the first response, if at all.
    pub fn update(&self) -> Option<Duration> {
        self.update
    }

    /// When the next update is due after one (or the first response, or the
    /// end of a wait) at `from`, on this target's clock; `None` without an
    /// update clock.
    pub fn next_update(
        &self,
        calendar: &Calendar,
        from: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, CalendarError> {
        self.update.map(|every| self.after(calendar, from, every)).transpose()
    }

    /// The instant at which `percent` % of the update interval from `from`
    /// has been counted (the update reminder at 80 %).
    pub fn update_at_percent(
        &self,
        calendar: &Calendar,
        from: DateTime<Utc>,
        percent: u32,
    ) -> Result<Option<DateTime<Utc>>, CalendarError> {
        let Some(every) = self.update else { return Ok(None) };
        let ms = every.as_millis() * u128::from(percent) / 100;
        let share = Duration::from_millis(u64::try_from(ms).map_err(|_| CalendarError::OutOfRange)?);
        self.after(calendar, from, share).map(Some)
    }

    /// Parses a humantime duration such as `"30m"`, `"4h"` or `"90s"`.
    pub fn parse(response: &str, clock: Clock) -> Result<Self, String> {
        let d = humantime::parse_duration(response)
            .map_err(|e| format!("\"{response}\" is not a duration like \"30m\", \"4h\" or \"90s\": {e}"))?;
        ResponseTarget::new(d, clock)
    }

    pub fn response(&self) -> Duration {
        self.response
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The first-response deadline of a ticket opened at `opened`.
    pub fn due(&self, calendar: &Calendar, opened: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        self.after(calendar, opened, self.response)
    }

    /// The instant at which `percent` % of the target has been counted
    /// (50 → half-time reminder; 100 → the deadline). Business targets count
    /// working time: 80 % of 6 working hours is 4 h 48 min of working time.
    pub fn at_percent(
        &self,
        calendar: &Calendar,
        opened: DateTime<Utc>,
        percent: u32,
    ) -> Result<DateTime<Utc>, CalendarError> {
        let ms = self.response.as_millis() * u128::from(percent) / 100;
        let share = Duration::from_millis(u64::try_from(ms).map_err(|_| CalendarError::OutOfRange)?);
        self.after(calendar, opened, share)
    }

    /// Time counted on this target's clock between `opened` and `now`.
    pub fn elapsed(
        &self,
        calendar: &Calendar,
        opened: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Duration, CalendarError> {
        match self.clock {
            Clock::AroundTheClock => Ok((now - opened).to_std().unwrap_or_default()),
            Clock::Business => calendar.working_time_between(opened, now),
        }
    }

    fn after(&self, calendar: &Calendar, opened: DateTime<Utc>, d: Duration) -> Result<DateTime<Utc>, CalendarError> {
        match self.clock {
            Clock::AroundTheClock => chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| opened.checked_add_signed(d))
                .ok_or(CalendarError::OutOfRange),
            Clock::Business => calendar.add_working_time(opened, d),
        }
    }
}

/// One response target per severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets([ResponseTarget; 4]);

impl Targets {
    pub fn new(by_level: [ResponseTarget; 4]) -> Self {
        Targets(by_level)
    }

    pub fn get(&self, severity: Severity) -> &ResponseTarget {
        &self.0[severity.index()]
    }

    /// Whether any severity counts working time (the calendar then needs some).
    pub fn uses_business_clock(&self) -> bool {
        self.0.iter().any(|t| t.clock == Clock::Business)
    }
}

/// A support plan: queue rank (lower is served first) and targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub rank: i64,
    pub targets: Targets,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_from_levels_and_names() {
        assert_eq!("1".parse::<Severity>(), Ok(Severity::Critical));
        assert_eq!("L4".parse::<Severity>(), Ok(Severity::Low));
        for bad in ["0", "5", "", "high", "-1"] {
            assert!(bad.parse::<Severity>().is_err(), "{bad} should be refused");
        }
        assert_eq!(Severity::High.to_string(), "L2 High");
    }

    #[test]
    fn targets_parse_humantime_and_refuse_nonsense() {
        let t = ResponseTarget::parse("90s", Clock::AroundTheClock).unwrap();
        assert_eq!(t.response(), Duration::from_secs(90));
        assert!(ResponseTarget::parse("0s", Clock::Business).unwrap_err().contains("longer than zero"));
        assert!(ResponseTarget::parse("soon", Clock::Business).unwrap_err().contains("not a duration"));
        assert_eq!(
            "weekdays".parse::<Clock>().unwrap_err(),
            "unknown clock \"weekdays\" (expected \"24x7\" or \"business\")"
        );
    }

    #[test]
    fn the_update_clock_counts_like_the_response_clock() {
        let cal = Calendar::always_open();
        let t = ResponseTarget::parse("30m", Clock::AroundTheClock).unwrap();
        let from: DateTime<Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
        assert_eq!(t.next_update(&cal, from).unwrap(), None, "no update clock");
        let t = t.with_update(Duration::from_secs(3600)).unwrap();
        assert_eq!(t.next_update(&cal, from).unwrap().unwrap().to_rfc3339(), "2026-11-30T11:00:00+00:00");
        assert_eq!(t.update_at_percent(&cal, from, 80).unwrap().unwrap().to_rfc3339(), "2026-11-30T10:48:00+00:00");
        assert!(t.with_update(Duration::ZERO).unwrap_err().contains("longer than zero"));
    }

    #[test]
    fn around_the_clock_due_is_elapsed_time() {
        let cal = Calendar::always_open();
        let t = ResponseTarget::parse("30m", Clock::AroundTheClock).unwrap();
        let opened: DateTime<Utc> = "2026-03-29T00:45:00Z".parse().unwrap();
        assert_eq!(t.due(&cal, opened).unwrap().to_rfc3339(), "2026-03-29T01:15:00+00:00");
        assert_eq!(t.at_percent(&cal, opened, 50).unwrap().to_rfc3339(), "2026-03-29T01:00:00+00:00");
        let later: DateTime<Utc> = "2026-03-29T01:00:00Z".parse().unwrap();
        assert_eq!(t.elapsed(&cal, opened, later).unwrap(), Duration::from_secs(15 * 60));
        assert_eq!(t.elapsed(&cal, later, opened).unwrap(), Duration::ZERO, "negative spans count nothing");
    }
}
