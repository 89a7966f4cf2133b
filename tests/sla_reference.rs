//! Property tests: the SLA engine against a deliberately simple reference that
//! walks time minute by minute, on random calendars in DST-heavy zones.
//!
//! The reference shares no code with the engine. It resolves a wall time by
//! scanning UTC minutes for the first one whose local time reads that wall time
//! (so an ambiguous time is its first occurrence); a wall time that never
//! appears is in a gap, whose length it measures from the jump in local time,
//! and it moves the time forward by that length. It then counts working minutes
//! one at a time. Everything is whole minutes: opening instants, bounds and
//! every offset these zones used since 2000.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use priority_line::domain::calendar::{Calendar, WeekHours, WorkingInterval};
use priority_line::domain::sla::{Clock, ResponseTarget};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "Europe/Madrid",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
    "America/Havana",
    "Pacific/Apia",
    "Antarctica/Troll",
    "Asia/Tehran",
    "Africa/Casablanca",
    "America/Sao_Paulo",
    "America/Asuncion",
    "Asia/Gaza",
    "Pacific/Norfolk",
    "UTC",
];

/// Bounds that sit on or near DST transitions in the zones above, plus ordinary ones.
const BOUNDS: &[u16] =
    &[0, 30, 60, 90, 105, 120, 135, 150, 165, 180, 210, 225, 240, 480, 540, 720, 840, 1020, 1320, 1380, 1410, 1440];

#[derive(Debug, Clone)]
struct Spec {
    zone: Tz,
    /// Per weekday (Monday first), intervals as (start, end) minutes.
    days: Vec<Vec<(u16, u16)>>,
    /// Holiday offsets in days from the opening's UTC date.
    holidays: Vec<i64>,
    opened: DateTime<Utc>,
    target_minutes: i64,
}

fn day_strategy() -> impl Strategy<Value = Vec<(u16, u16)>> {
    let bound = prop_oneof![3 => proptest::sample::select(BOUNDS), 1 => 0u16..=1440];
    proptest::collection::vec(bound, 0..=6).prop_map(|mut v| {
        v.sort_unstable();
        v.dedup();
        v.chunks_exact(2).map(|c| (c[0], c[1])).collect()
    })
}

/// An opening instant: mostly within a few days of one of the zone's DST
/// transitions in a year from 2000 to 2037, sometimes anywhere in that year.
fn opened_in(zone: Tz, year: i32, pick: usize, jitter_minutes: i64) -> DateTime<Utc> {
    let start = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
    let mut transitions = Vec::new();
    let mut prev = zone.offset_from_utc_datetime(&start.naive_utc()).fix();
    for h in 1..(366 * 24) {
        let t = start + Duration::hours(h);
        let o = zone.offset_from_utc_datetime(&t.naive_utc()).fix();
        if o != prev {
            transitions.push(t);
            prev = o;
        }
    }
    match transitions.get(pick % (transitions.len() + 1)) {
        Some(t) => *t + Duration::minutes(jitter_minutes),
        None => start + Duration::minutes(jitter_minutes.rem_euclid(365 * 24 * 60)),
    }
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    (
        proptest::sample::select(ZONES),
        proptest::collection::vec(day_strategy(), 7),
        proptest::collection::vec(-3i64..12, 0..4),
        2000i32..2038,
        0usize..8,
        -4 * 24 * 60i64..4 * 24 * 60,
        prop_oneof![1i64..=60, 60i64..=600],
    )
        .prop_filter("some working time", |(_, days, ..)| days.iter().any(|d| !d.is_empty()))
        .prop_map(|(zone, days, holidays, year, pick, jitter, target_minutes)| {
            let zone: Tz = zone.parse().unwrap();
            Spec { zone, days, holidays, opened: opened_in(zone, year, pick, jitter), target_minutes }
        })
}

fn holiday_dates(spec: &Spec) -> Vec<NaiveDate> {
    spec.holidays.iter().map(|d| spec.opened.date_naive() + Duration::days(*d)).collect()
}

fn engine_calendar(spec: &Spec) -> Calendar {
    let mut hours = WeekHours::default();
    for (i, day) in spec.days.iter().enumerate() {
        let weekday = Weekday::try_from(i as u8).unwrap();
        let intervals = day
            .iter()
            .map(|(s, e)| format!("{:02}:{:02}-{:02}:{:02}", s / 60, s % 60, e / 60, e % 60).parse().unwrap())
            .collect::<Vec<WorkingInterval>>();
        hours.set(weekday, intervals).unwrap();
    }
    Calendar::new(spec.zone, hours, holiday_dates(spec))
}

/// The reference model, in UTC minutes since the epoch.
struct Reference<'a> {
    spec: &'a Spec,
    holidays: Vec<NaiveDate>,
    resolved: RefCell<HashMap<NaiveDateTime, i64>>,
    by_date: RefCell<HashMap<NaiveDate, Vec<(i64, i64)>>>,
}

impl<'a> Reference<'a> {
    fn new(spec: &'a Spec) -> Self {
        Reference { spec, holidays: holiday_dates(spec), resolved: Default::default(), by_date: Default::default() }
    }

    fn local_minutes(&self, utc_minute: i64) -> NaiveDateTime {
        let t = DateTime::from_timestamp(utc_minute * 60, 0).unwrap();
        t.with_timezone(&self.spec.zone).naive_local()
    }

    /// First UTC minute whose local time reads `wall`; in a gap, `wall` moved forward by the gap.
    fn resolve(&self, wall: NaiveDateTime) -> i64 {
        if let Some(m) = self.resolved.borrow().get(&wall) {
            return *m;
        }
        let naive_minute = wall.and_utc().timestamp() / 60;
        let scan = (naive_minute - 16 * 60)..(naive_minute + 16 * 60);
        let found = scan.clone().find(|&u| self.local_minutes(u) == wall);
        let minute = match found {
            Some(u) => u,
            None => {
                let jump = scan
                    .map(|u| (self.local_minutes(u - 1), self.local_minutes(u)))
                    .find(|(before, after)| *before < wall && *after > wall)
                    .expect("a wall time that never appears lies in a gap");
                let gap = jump.1 - jump.0 - Duration::minutes(1);
                self.resolve(wall + gap)
            }
        };
        self.resolved.borrow_mut().insert(wall, minute);
        minute
    }

    fn intervals_of(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        if let Some(v) = self.by_date.borrow().get(&date) {
            return v.clone();
        }
        let mut out = Vec::new();
        if !self.holidays.contains(&date) {
            let midnight = date.and_hms_opt(0, 0, 0).unwrap();
            for (s, e) in &self.spec.days[date.weekday().num_days_from_monday() as usize] {
                let a = self.resolve(midnight + Duration::minutes(i64::from(*s)));
                let b = self.resolve(midnight + Duration::minutes(i64::from(*e)));
                out.push((a, b));
            }
        }
        self.by_date.borrow_mut().insert(date, out.clone());
        out
    }

    fn is_working(&self, minute: i64) -> bool {
        let local = self.local_minutes(minute).date();
        (-2..=2).any(|d| self.intervals_of(local + Duration::days(d)).iter().any(|(a, b)| *a <= minute && minute < *b))
    }

    /// Walks minute by minute until `target` working minutes are counted.
    fn due(&self, opened: i64, target: i64) -> Option<i64> {
        let mut remaining = target;
        let limit = opened + 120 * 24 * 60;
        let mut t = opened;
        while remaining > 0 {
            if t > limit {
                return None;
            }
            if self.is_working(t) {
                remaining -= 1;
            }
            t += 1;
        }
        Some(t)
    }
}

fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn business_deadline_matches_the_minute_walking_reference(spec in spec_strategy()) {
        let reference = Reference::new(&spec);
        let opened = spec.opened;
        let Some(expected) = reference.due(minute_of(opened), spec.target_minutes) else {
            // Calendars whose only intervals vanish into gaps: nothing to compare within the walk's horizon.
            return Ok(());
        };
        let cal = engine_calendar(&spec);
        let target = ResponseTarget::new(std::time::Duration::from_secs(spec.target_minutes as u64 * 60), Clock::Business).unwrap();
        let got = target.due(&cal, opened).expect("a deadline");
        prop_assert_eq!(minute_of(got), expected, "zone {} days {:?} holidays {:?} opened {} target {}m",
            spec.zone, spec.days, holiday_dates(&spec), opened, spec.target_minutes);
        prop_assert_eq!(got.timestamp() % 60, 0);
        // Counted working time up to the deadline is exactly the target.
        prop_assert_eq!(cal.working_time_between(opened, got).unwrap(), target.response());
    }

    #[test]
    fn working_time_and_next_opening_match_the_reference(spec in spec_strategy(), probe in 0i64..(3 * 24 * 60)) {
        let reference = Reference::new(&spec);
        let cal = engine_calendar(&spec);
        let t = spec.opened + Duration::minutes(probe);
        prop_assert_eq!(cal.is_working(t).unwrap(), reference.is_working(minute_of(t)), "is_working at {}", t);
        let first = (minute_of(t)..minute_of(t) + 60 * 24 * 60).find(|m| reference.is_working(*m));
        if let Some(first) = first {
            prop_assert_eq!(minute_of(cal.next_working_instant(t).unwrap()), first, "next opening after {}", t);
        }
        let counted = (minute_of(spec.opened)..minute_of(t)).filter(|m| reference.is_working(*m)).count() as u64;
        prop_assert_eq!(cal.working_time_between(spec.opened, t).unwrap().as_secs(), counted * 60);
    }

    #[test]
    fn fractions_are_monotone_and_end_at_the_deadline(spec in spec_strategy()) {
        let cal = engine_calendar(&spec);
        let target = ResponseTarget::new(std::time::Duration::from_secs(spec.target_minutes as u64 * 60), Clock::Business).unwrap();
        let Ok(due) = target.due(&cal, spec.opened) else { return Ok(()) };
        let mut last = spec.opened;
        for pct in [0, 25, 50, 75, 80, 100] {
            let at = target.at_percent(&cal, spec.opened, pct).unwrap();
            prop_assert!(at >= last, "{}% at {} before {}", pct, at, last);
            let share = target.response().as_millis() as u64 * u64::from(pct) / 100;
            prop_assert_eq!(cal.working_time_between(spec.opened, at).unwrap().as_millis() as u64, share);
            last = at;
        }
        prop_assert_eq!(last, due);
    }
}
