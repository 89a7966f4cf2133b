//! Business calendars: working intervals in local wall time, holidays, and the
//! arithmetic of working time between UTC instants.
//!
//! Semantics (SPEC.md, "SLA clock"):
//! - working intervals are local wall times per weekday; `24:00` ends a day;
//! - a bound that does not exist (DST gap) moves forward by the gap's length;
//! - an ambiguous bound (DST overlap) is its first occurrence;
//! - elapsed time inside an interval is real time, so an interval across a DST
//!   change is an hour shorter or longer (and one squeezed to nothing by a gap
//!   holds no working time at all).
//!
//! A [`Calendar`] compiles its rules lazily into one sorted list of UTC working
//! spans per UTC year, with a running total of working time, so every question
//! (deadline, working time between two instants, is this instant working) is a
//! binary search. Compiled years are memoised; the calendar stays immutable from
//! the outside and can be shared between threads.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::{LazyLock, OnceLock};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Minutes in a day: the largest wall-time bound (`24:00`).
const DAY_MINUTES: u16 = 24 * 60;

/// First and last UTC year the engine answers for. Wide enough for any ticket;
/// bounded so a calendar that somehow holds no working time cannot loop forever.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2200;

/// UTC milliseconds at 1 January 00:00 of each year `FIRST_YEAR..=LAST_YEAR + 1`.
static YEAR_STARTS: LazyLock<Vec<i64>> = LazyLock::new(|| {
    (FIRST_YEAR..=LAST_YEAR + 1)
        .map(|y| {
            NaiveDate::from_ymd_opt(y, 1, 1)
                // Every year in this range has a 1 January.
                .expect("1 January exists")
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_millis()
        })
        .collect()
});

/// A wall-clock time of day in whole minutes, `00:00` to `24:00` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallTime(u16);

impl WallTime {
    pub const MIDNIGHT: WallTime = WallTime(0);
    pub const END_OF_DAY: WallTime = WallTime(DAY_MINUTES);

    pub fn from_hm(hour: u16, minute: u16) -> Option<Self> {
        let total = hour.checked_mul(60)?.checked_add(minute)?;
        (minute < 60 && total <= DAY_MINUTES).then_some(WallTime(total))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for WallTime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("\"{s}\" is not a time of day (HH:MM, 00:00 to 24:00)");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let hour: u16 = h.parse().map_err(|_| bad())?;
        let minute: u16 = m.parse().map_err(|_| bad())?;
        WallTime::from_hm(hour, minute).ok_or_else(bad)
    }
}

/// A working interval `start-end` in local wall time; `start < end`, and only
/// `end` may be `24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingInterval {
    start: WallTime,
    end: WallTime,
}

impl WorkingInterval {
    pub fn new(start: WallTime, end: WallTime) -> Result<Self, String> {
        if start == WallTime::END_OF_DAY {
            return Err("an interval cannot start at 24:00".into());
        }
        if start >= end {
            return Err(format!("interval {start}-{end} does not end after it starts"));
        }
        Ok(WorkingInterval { start, end })
    }

    pub fn start(self) -> WallTime {
        self.start
    }

    pub fn end(self) -> WallTime {
        self.end
    }
}

impl fmt::Display for WorkingInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for WorkingInterval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("\"{s}\" is not an interval (HH:MM-HH:MM, e.g. \"09:00-14:00\")"))?;
        WorkingInterval::new(a.trim().parse()?, b.trim().parse()?)
    }
}

/// The working intervals of each weekday, sorted and non-overlapping
/// (touching is allowed: `09:00-12:00` and `12:00-14:00`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekHours {
    /// Index 0 is Monday (`Weekday::num_days_from_monday`).
    days: [Vec<WorkingInterval>; 7],
}

impl WeekHours {
    /// Sets a weekday's intervals, refusing overlaps. Order of input is free.
    pub fn set(&mut self, day: Weekday, mut intervals: Vec<WorkingInterval>) -> Result<(), String> {
        intervals.sort();
        if let Some(w) = intervals.windows(2).find(|w| w[1].start < w[0].end) {
            return Err(format!("intervals {} and {} overlap", w[0], w[1]));
        }
        self.days[day.num_days_from_monday() as usize] = intervals;
        Ok(())
    }

    pub fn day(&self, day: Weekday) -> &[WorkingInterval] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Whether any weekday has an interval at all.
    pub fn has_working_time(&self) -> bool {
        self.days.iter().any(|d| !d.is_empty())
    }
}

/// Why a calendar question had no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("instant outside the supported years {FIRST_YEAR} to {LAST_YEAR}")]
    OutOfRange,
    #[error("the calendar has no working time before {LAST_YEAR}")]
    NoWorkingTime,
}

/// One contiguous stretch of working time, UTC milliseconds `[start, end)`,
/// with the working time counted in its year before it.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: i64,
    end: i64,
    before: i64,
}

/// The working spans of one UTC year, clipped to the year.
#[derive(Debug)]
struct YearSpans {
    spans: Vec<Span>,
    total: i64,
}

impl YearSpans {
    /// Working time in this year before `t` (ms), and how many spans start at or before `t`.
    fn counted_before(&self, t: i64) -> (i64, usize) {
        let i = self.spans.partition_point(|s| s.start <= t);
        let counted = match i.checked_sub(1).map(|j| self.spans[j]) {
            Some(s) => s.before + (t.min(s.end) - s.start),
            None => 0,
        };
        (counted, i)
    }

    /// The instant at which the counted working time of this year reaches
    /// `count` (`0 < count <= total`): the end of a span if it completes there.
    fn instant_at(&self, count: i64) -> i64 {
        let i = self.spans.partition_point(|s| s.before + (s.end - s.start) < count);
        let s = self.spans[i];
        s.start + (count - s.before)
    }
}

/// A business calendar: time zone, weekly working hours and holidays.
pub struct Calendar {
    zone: Tz,
    hours: WeekHours,
    holidays: BTreeSet<NaiveDate>,
    years: Box<[OnceLock<YearSpans>]>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("zone", &self.zone)
            .field("hours", &self.hours)
            .field("holidays", &self.holidays)
            .finish_non_exhaustive()
    }
}

impl Clone for Calendar {
    fn clone(&self) -> Self {
        Calendar::new(self.zone, self.hours.clone(), self.holidays.iter().copied())
    }
}

impl Calendar {
    pub fn new(zone: Tz, hours: WeekHours, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        let years = (FIRST_YEAR..=LAST_YEAR).map(|_| OnceLock::new()).collect();
        Calendar { zone, hours, holidays: holidays.into_iter().collect(), years }
    }

    /// A calendar that works around the clock in UTC, every day.
    pub fn always_open() -> Self {
        let mut hours = WeekHours::default();
        let all_day = WorkingInterval { start: WallTime::MIDNIGHT, end: WallTime::END_OF_DAY };
        for d in 0..7 {
            hours.days[d] = vec![all_day];
        }
        Calendar::new(Tz::UTC, hours, [])
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    pub fn hours(&self) -> &WeekHours {
        &self.hours
    }

    /// Whether the weekly hours hold any working time at all.
    pub fn has_working_time(&self) -> bool {
        self.hours.has_working_time()
    }

    /// Whether `t` lies inside working time (interval starts count, ends do not).
    pub fn is_working(&self, t: DateTime<Utc>) -> Result<bool, CalendarError> {
        let t = t.timestamp_millis();
        let year = self.year_of(t)?;
        let (_, i) = year.counted_before(t);
        Ok(i > 0 && t < year.spans[i - 1].end)
    }

    /// `t` itself when it is working time, otherwise the next opening after it:
    /// the instant at which a business clock started at `t` begins to count.
    pub fn next_working_instant(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let mut t = t.timestamp_millis();
        loop {
            let year = self.year_of(t)?;
            let (_, i) = year.counted_before(t);
            if i > 0 && t < year.spans[i - 1].end {
                return Ok(from_ms(t));
            }
            if let Some(next) = year.spans.get(i) {
                return Ok(from_ms(next.start));
            }
            t = self.year_end(t)?;
        }
    }

    /// Working time between two instants (zero when `to <= from`).
    pub fn working_time_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<std::time::Duration, CalendarError> {
        let (mut t, to) = (from.timestamp_millis(), to.timestamp_millis());
        let mut total = 0i64;
        while t < to {
            let year = self.year_of(t)?;
            let end = self.year_end(t)?;
            let (counted_from, _) = year.counted_before(t);
            let (counted_to, _) = year.counted_before(to.min(end));
            total += counted_to - counted_from;
            t = end;
        }
        Ok(std::time::Duration::from_millis(total.unsigned_abs()))
    }

    /// The instant at which `work` of working time has been counted from `from`.
    /// A count that completes exactly at the end of an interval is due at that
    /// end; a zero count is due at `from`.
    pub fn add_working_time(
        &self,
        from: DateTime<Utc>,
        work: std::time::Duration,
    ) -> Result<DateTime<Utc>, CalendarError> {
        let mut remaining = i64::try_from(work.as_millis()).map_err(|_| CalendarError::OutOfRange)?;
        let mut t = from.timestamp_millis();
        if remaining == 0 {
            return Ok(from);
        }
        loop {
            let year = self.year_of(t).map_err(|e| match e {
                CalendarError::OutOfRange if t > from.timestamp_millis() => CalendarError::NoWorkingTime,
                e => e,
            })?;
            let (counted, _) = year.counted_before(t);
            let available = year.total - counted;
            if remaining <= available {
                return Ok(from_ms(year.instant_at(counted + remaining)));
            }
            remaining -= available;
            t = self.year_end(t)?;
        }
    }

    fn year_index(&self, t: i64) -> Result<usize, CalendarError> {
        let starts = &*YEAR_STARTS;
        match starts.partition_point(|&s| s <= t) {
            0 => Err(CalendarError::OutOfRange),
            i if i >= starts.len() => Err(CalendarError::OutOfRange),
            i => Ok(i - 1),
        }
    }

    fn year_end(&self, t: i64) -> Result<i64, CalendarError> {
        Ok(YEAR_STARTS[self.year_index(t)? + 1])
    }

    fn year_of(&self, t: i64) -> Result<&YearSpans, CalendarError> {
        let i = self.year_index(t)?;
        Ok(self.years[i].get_or_init(|| self.compile_year(FIRST_YEAR + i as i32)))
    }

    /// Resolves every interval of the local dates that can reach into UTC
    /// year `year` and keeps the union of their working time inside it.
    fn compile_year(&self, year: i32) -> YearSpans {
        let (lo, hi) = (YEAR_STARTS[(year - FIRST_YEAR) as usize], YEAR_STARTS[(year - FIRST_YEAR + 1) as usize]);
        // A bound's instant is its wall time minus an offset of at most ±15 h, plus
        // at most one gap (never more than a day), so local dates further than three
        // days from the year cannot reach into it.
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists") - Days::new(3);
        let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December exists") + Days::new(3);
        let mut raw: Vec<(i64, i64)> = Vec::with_capacity(800);
        for date in first.iter_days().take_while(|d| *d <= last) {
            if self.holidays.contains(&date) {
                continue;
            }
            for iv in self.hours.day(date.weekday()) {
                let start = resolve_wall(self.zone, date, iv.start);
                let end = resolve_wall(self.zone, date, iv.end);
                let (start, end) = (start.max(lo), end.min(hi));
                if start < end {
                    raw.push((start, end));
                }
            }
        }
        raw.sort_unstable();
        let mut spans: Vec<Span> = Vec::with_capacity(raw.len());
        let mut total = 0i64;
        for (start, end) in raw {
            match spans.last_mut() {
                Some(last) if start <= last.end => {
                    if end > last.end {
                        total += end - last.end;
                        last.end = end;
                    }
                }
                _ => {
                    spans.push(Span { start, end, before: total });
                    total += end - start;
                }
            }
        }
        YearSpans { spans, total }
    }
}

/// The UTC instant (ms) of wall time `time` on local date `date` in `zone`:
/// an ambiguous time is its first occurrence; a time inside a gap moves
/// forward by the gap's length, which is the same as reading it with the
/// offset in force before the gap. `24:00` is the next day's `00:00`.
pub fn resolve_wall(zone: Tz, date: NaiveDate, time: WallTime) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    let naive = midnight + chrono::Duration::minutes(i64::from(time.0));
    resolve_naive(zone, naive)
}

/// The instant of a local wall time in `zone`, by the one rule for wall
/// times (SPEC.md): an ambiguous time is its first occurrence; a time
/// inside a DST gap moves forward by the gap's length (02:30 on a night
/// that jumps from 02:00 to 03:00 is 03:30). Calendars' interval bounds and
/// the weekly summary's weeks and posting times all use it.
pub fn local_instant(zone: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    from_ms(resolve_naive(zone, naive))
}

fn resolve_naive(zone: Tz, naive: NaiveDateTime) -> i64 {
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.timestamp_millis(),
        chrono::LocalResult::Ambiguous(a, b) => a.timestamp_millis().min(b.timestamp_millis()),
        chrono::LocalResult::None => {
            // The offset a day earlier is the one before the gap: transitions are
            // never a day apart (the approach of TC39 Temporal's "compatible").
            let before = zone.offset_from_utc_datetime(&(naive - Days::new(1))).fix().local_minus_utc();
            (naive.and_utc().timestamp() - i64::from(before)) * 1000
        }
    }
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    // Every instant here lies between FIRST_YEAR and LAST_YEAR, well inside chrono's range.
    DateTime::from_timestamp_millis(ms).expect("instant within chrono's range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_parse_strictly() {
        assert_eq!("09:30".parse::<WallTime>().unwrap().minutes(), 570);
        assert_eq!("24:00".parse::<WallTime>().unwrap(), WallTime::END_OF_DAY);
        for bad in ["9:30", "24:01", "12:60", "ab:cd", "12-30", "", "123:00", "+1:00"] {
            assert!(bad.parse::<WallTime>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn intervals_must_end_after_they_start() {
        assert!("09:00-14:00".parse::<WorkingInterval>().is_ok());
        assert!("00:00-24:00".parse::<WorkingInterval>().is_ok());
        assert!("14:00-09:00".parse::<WorkingInterval>().is_err());
        assert!("09:00-09:00".parse::<WorkingInterval>().is_err());
        assert!("24:00-24:00".parse::<WorkingInterval>().is_err());
        assert!("0900-1400".parse::<WorkingInterval>().is_err());
    }

    #[test]
    fn overlapping_intervals_are_refused_touching_ones_accepted() {
        let iv = |s: &str| s.parse::<WorkingInterval>().unwrap();
        let mut week = WeekHours::default();
        assert!(week.set(Weekday::Mon, vec![iv("12:00-14:00"), iv("09:00-12:00")]).is_ok());
        assert_eq!(week.day(Weekday::Mon)[0], iv("09:00-12:00"), "intervals are kept sorted");
        let err = week.set(Weekday::Tue, vec![iv("09:00-12:00"), iv("11:00-14:00")]).unwrap_err();
        assert!(err.contains("overlap"), "{err}");
    }
}
