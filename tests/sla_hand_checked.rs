//! Business-clock deadlines worked out by hand from SPEC.md's semantics. Each
//! case's comment derives the expected instant from first principles; the tz
//! facts used are the 2026 transitions of the IANA database:
//! - Europe/Madrid: 29 Mar 01:00Z (02:00 CET -> 03:00 CEST), 25 Oct 01:00Z (03:00 CEST -> 02:00 CET);
//! - America/New_York: 8 Mar 07:00Z (02:00 EST -> 03:00 EDT);
//! - Australia/Lord_Howe: 4 Apr 15:00Z (02:00 +11 -> 01:30 +10:30), 3 Oct 15:30Z (02:00 +10:30 -> 02:30 +11);
//! - America/Santiago: 5 Apr 03:00Z (Sun 00:00 -03 -> Sat 23:00 -04), 6 Sep 04:00Z (Sun 00:00 -04 -> 01:00 -03);
//! - Pacific/Chatham: 26 Sep 14:00Z (Sun 27 02:45 +12:45 -> 03:45 +13:45).

use chrono::{DateTime, Utc, Weekday};
use priority_line::domain::calendar::{Calendar, WeekHours};
use priority_line::domain::sla::{Clock, ResponseTarget};

struct Case {
    name: &'static str,
    zone: &'static str,
    hours: &'static [(Weekday, &'static [&'static str])],
    holidays: &'static [&'static str],
    opened: &'static str,
    target: &'static str,
    due: &'static str,
}

const MADRID_WEEK: &[(Weekday, &[&str])] = &[
    (Weekday::Mon, &["09:00-14:00", "15:00-18:00"]),
    (Weekday::Tue, &["09:00-14:00", "15:00-18:00"]),
    (Weekday::Wed, &["09:00-14:00", "15:00-18:00"]),
    (Weekday::Thu, &["09:00-14:00", "15:00-18:00"]),
    (Weekday::Fri, &["09:00-15:00"]),
];

const NY_WEEK: &[(Weekday, &[&str])] = &[
    (Weekday::Mon, &["08:00-17:00"]),
    (Weekday::Tue, &["08:00-17:00"]),
    (Weekday::Wed, &["08:00-17:00"]),
    (Weekday::Thu, &["08:00-17:00"]),
    (Weekday::Fri, &["08:00-17:00"]),
];

const CASES: &[Case] = &[
    Case {
        name: "SPEC example: opened after Friday's close, due Monday across the spring-forward weekend",
        // Fri 27 Mar 17:00 CET is after Friday's 09:00-15:00. Monday 30 Mar is CEST (+2):
        // 09:00-14:00 gives 5 h, 15:00-16:00 the sixth: 16:00 CEST = 14:00Z.
        zone: "Europe/Madrid",
        hours: MADRID_WEEK,
        holidays: &[],
        opened: "2026-03-27T17:00:00+01:00",
        target: "6h",
        due: "2026-03-30T14:00:00Z",
    },
    Case {
        name: "several intervals a day: the lunch break does not count",
        // Mon 30 Nov 13:00 CET: 1 h to 14:00, 3 h 15:00-18:00 (4 h), then Tue 09:00 + 2 h = 11:00 CET = 10:00Z.
        zone: "Europe/Madrid",
        hours: MADRID_WEEK,
        holidays: &[],
        opened: "2026-11-30T12:00:00Z",
        target: "6h",
        due: "2026-12-01T10:00:00Z",
    },
    Case {
        name: "holiday on a Friday, target completing exactly at an interval's end",
        // Thu 24 Dec 17:00 CET: 1 h to 18:00. Fri 25 Dec holiday, weekend closed.
        // Mon 28 Dec 09:00-14:00 gives the remaining 5 h exactly: due at the end, 14:00 CET = 13:00Z
        // (not at the 15:00 reopening).
        zone: "Europe/Madrid",
        hours: MADRID_WEEK,
        holidays: &["2026-12-25"],
        opened: "2026-12-24T16:00:00Z",
        target: "6h",
        due: "2026-12-28T13:00:00Z",
    },
    Case {
        name: "opened during the weekend: the clock starts at the next opening",
        // Sat 28 Nov: closed. Mon 30 Nov 09:00 CET (08:00Z) + 3 h = 12:00 CET = 11:00Z.
        zone: "Europe/Madrid",
        hours: MADRID_WEEK,
        holidays: &[],
        opened: "2026-11-28T10:00:00+01:00",
        target: "3h",
        due: "2026-11-30T11:00:00Z",
    },
    Case {
        name: "Madrid spring forward: an interval across the change is an hour shorter",
        // Sun 29 Mar 01:00 CET = 00:00Z to 05:00 CEST = 03:00Z: 3 h of real time.
        // Opened 00:30 CET = 23:30Z (before the opening): starts 00:00Z, 2 h later = 02:00Z.
        zone: "Europe/Madrid",
        hours: &[(Weekday::Sun, &["01:00-05:00"])],
        holidays: &[],
        opened: "2026-03-28T23:30:00Z",
        target: "2h",
        due: "2026-03-29T02:00:00Z",
    },
    Case {
        name: "Madrid spring forward: a target of the whole shortened interval ends at its end",
        // Same 3 h interval; 3 h complete exactly at 05:00 CEST = 03:00Z.
        zone: "Europe/Madrid",
        hours: &[(Weekday::Sun, &["01:00-05:00"])],
        holidays: &[],
        opened: "2026-03-29T00:00:00Z",
        target: "3h",
        due: "2026-03-29T03:00:00Z",
    },
    Case {
        name: "Madrid spring forward: a bound in the gap moves forward by the gap",
        // 02:30 does not exist on 29 Mar; it moves forward by 1 h to 03:30 CEST = 01:30Z.
        // Opened 03:00 CEST = 01:00Z, which is after 02:30 on the wall but before the moved
        // opening: the clock starts at 01:30Z; 1 h later = 02:30Z.
        zone: "Europe/Madrid",
        hours: &[(Weekday::Sun, &["02:30-06:00"])],
        holidays: &[],
        opened: "2026-03-29T01:00:00Z",
        target: "1h",
        due: "2026-03-29T02:30:00Z",
    },
    Case {
        name: "Madrid spring forward: opened inside a gap-shifted interval",
        // Interval 03:30 CEST (01:30Z) to 06:00 CEST (04:00Z). Opened 04:00 CEST = 02:00Z,
        // inside it: 1 h later = 03:00Z.
        zone: "Europe/Madrid",
        hours: &[(Weekday::Sun, &["02:30-06:00"])],
        holidays: &[],
        opened: "2026-03-29T02:00:00Z",
        target: "1h",
        due: "2026-03-29T03:00:00Z",
    },
    Case {
        name: "Madrid fall back: an ambiguous bound is its first occurrence",
        // 25 Oct: 02:00-03:00 happens twice. 02:30 -> first occurrence, 02:30 CEST = 00:30Z.
        // 04:00 CET = 03:00Z. The interval holds 2 h 30 of real time; 2 h from 00:30Z = 02:30Z.
        zone: "Europe/Madrid",
        hours: &[(Weekday::Sun, &["02:30-04:00"])],
        holidays: &[],
        opened: "2026-10-25T00:00:00Z",
        target: "2h",
        due: "2026-10-25T02:30:00Z",
    },
    Case {
        name: "Madrid fall back: an interval across the change is an hour longer",
        // 01:00 CEST = 23:00Z (24 Oct) to 03:00 CET = 02:00Z: 3 h of real time, all counted.
        zone: "Europe/Madrid",
        hours: &[(Weekday::Sun, &["01:00-03:00"])],
        holidays: &[],
        opened: "2026-10-24T23:00:00Z",
        target: "3h",
        due: "2026-10-25T02:00:00Z",
    },
    Case {
        name: "New York: Friday afternoon to Monday across the March DST change",
        // Fri 6 Mar 15:00 EST = 20:00Z: 2 h to 17:00 EST. Mon 9 Mar is EDT (-4): 08:00 EDT = 12:00Z
        // plus the remaining 6 h = 18:00Z.
        zone: "America/New_York",
        hours: NY_WEEK,
        holidays: &[],
        opened: "2026-03-06T20:00:00Z",
        target: "8h",
        due: "2026-03-09T18:00:00Z",
    },
    Case {
        name: "New York: Thanksgiving Thursday is skipped",
        // Wed 25 Nov 16:00 EST = 21:00Z: 1 h to 17:00. Thu 26 holiday. Fri 27 08:00 EST = 13:00Z + 3 h = 16:00Z.
        zone: "America/New_York",
        hours: NY_WEEK,
        holidays: &["2026-11-26"],
        opened: "2026-11-25T16:00:00-05:00",
        target: "4h",
        due: "2026-11-27T16:00:00Z",
    },
    Case {
        name: "Lord Howe: a 30-minute gap moves a bound forward by 30 minutes",
        // 4 Oct: 02:00-02:30 does not exist. 02:15 -> 02:45 +11 = 15:45Z (3 Oct); 04:00 +11 = 17:00Z.
        // Opened 01:30 +10:30 = 15:00Z; starts 15:45Z; 1 h later = 16:45Z.
        zone: "Australia/Lord_Howe",
        hours: &[(Weekday::Sun, &["02:15-04:00"])],
        holidays: &[],
        opened: "2026-10-03T15:00:00Z",
        target: "1h",
        due: "2026-10-03T16:45:00Z",
    },
    Case {
        name: "Lord Howe: the half-hour fall back makes the interval 30 minutes longer",
        // 5 Apr: 01:30-02:00 happens twice. 01:00 +11 = 14:00Z (4 Apr); 03:00 +10:30 = 16:30Z.
        // 2 h 30 of real time; a 2 h 30 target from 14:00Z ends exactly at 16:30Z.
        zone: "Australia/Lord_Howe",
        hours: &[(Weekday::Sun, &["01:00-03:00"])],
        holidays: &[],
        opened: "2026-04-04T14:00:00Z",
        target: "2h 30m",
        due: "2026-04-04T16:30:00Z",
    },
    Case {
        name: "Lord Howe: ambiguous start taken at its first occurrence (+11)",
        // 01:45 first occurs at +11 = 14:45Z; to 16:30Z is 1 h 45. 1 h 30 from 14:45Z = 16:15Z.
        zone: "Australia/Lord_Howe",
        hours: &[(Weekday::Sun, &["01:45-03:00"])],
        holidays: &[],
        opened: "2026-04-04T12:00:00Z",
        target: "1h 30m",
        due: "2026-04-04T16:15:00Z",
    },
    Case {
        name: "Santiago: midnight spring forward, 24:00 lands in the gap",
        // Sat 5 Sep 20:00 -04 = 00:00Z (6 Sep). 24:00 = Sun 00:00, in the gap 00:00-01:00:
        // moves forward by 1 h to 01:00 -03 = 04:00Z. Sun 00:00-02:00: 04:00Z to 02:00 -03 = 05:00Z.
        // Union: 00:00Z to 05:00Z, 5 h. 4 h 30 from 00:00Z = 04:30Z.
        zone: "America/Santiago",
        hours: &[(Weekday::Sat, &["20:00-24:00"]), (Weekday::Sun, &["00:00-02:00"])],
        holidays: &[],
        opened: "2026-09-06T00:00:00Z",
        target: "4h 30m",
        due: "2026-09-06T04:30:00Z",
    },
    Case {
        name: "Santiago: midnight fall back, Saturday's last hour happens twice",
        // Sat 4 Apr 23:00-24:00 is ambiguous. 22:00 -03 = 01:00Z (5 Apr); 24:00 = Sun 00:00 -04 = 04:00Z.
        // 3 h of real time; a 3 h target from 01:00Z completes exactly at 04:00Z.
        zone: "America/Santiago",
        hours: &[(Weekday::Sat, &["22:00-24:00"])],
        holidays: &[],
        opened: "2026-04-04T20:00:00-04:00",
        target: "3h",
        due: "2026-04-05T04:00:00Z",
    },
    Case {
        name: "Chatham: +12:45/+13:45, a bound in the gap moves forward by an hour",
        // 27 Sep: 02:45-03:45 does not exist. 03:00 -> 04:00 +13:45 = 14:15Z (26 Sep);
        // 05:00 +13:45 = 15:15Z. Opened at the transition 14:00Z; 30 min from 14:15Z = 14:45Z.
        zone: "Pacific/Chatham",
        hours: &[(Weekday::Sun, &["03:00-05:00"])],
        holidays: &[],
        opened: "2026-09-26T14:00:00Z",
        target: "30m",
        due: "2026-09-26T14:45:00Z",
    },
    Case {
        name: "Chatham: an ordinary working day at +13:45",
        // Mon 30 Nov 08:00 +13:45 = 18:15Z (29 Nov), before opening. 09:00 +13:45 = 19:15Z; + 6 h = 01:15Z.
        zone: "Pacific/Chatham",
        hours: &[(Weekday::Mon, &["09:00-17:00"])],
        holidays: &[],
        opened: "2026-11-29T18:15:00Z",
        target: "6h",
        due: "2026-11-30T01:15:00Z",
    },
];

fn calendar(case: &Case) -> Calendar {
    let mut hours = WeekHours::default();
    for (day, intervals) in case.hours {
        hours.set(*day, intervals.iter().map(|s| s.parse().unwrap()).collect()).unwrap();
    }
    let holidays = case.holidays.iter().map(|d| d.parse().unwrap());
    Calendar::new(case.zone.parse().unwrap(), hours, holidays)
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn business_deadlines_match_the_hand_checked_table() {
    let mut failures = Vec::new();
    for case in CASES {
        let cal = calendar(case);
        let target = ResponseTarget::parse(case.target, Clock::Business).unwrap();
        let opened = instant(case.opened);
        let got = target.due(&cal, opened).unwrap();
        if got != instant(case.due) {
            failures.push(format!("{}: expected {}, got {}", case.name, case.due, got.to_rfc3339()));
        }
        // The working time between opening and deadline is the target, by definition.
        let counted = cal.working_time_between(opened, got).unwrap();
        if counted != target.response() {
            failures.push(format!("{}: {counted:?} of working time counted up to the deadline", case.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn around_the_clock_targets_ignore_the_calendar() {
    // L1 opened on a Madrid Saturday night during the spring-forward gap: 30 min of real time.
    let cal = calendar(&CASES[0]);
    let target = ResponseTarget::parse("30m", Clock::AroundTheClock).unwrap();
    assert_eq!(target.due(&cal, instant("2026-03-29T00:50:00Z")).unwrap(), instant("2026-03-29T01:20:00Z"));
}

#[test]
fn fractions_of_a_business_target_count_working_time() {
    // 80 % of 6 working hours is 4 h 48 of working time. Opened Mon 30 Nov 09:00 CET (08:00Z):
    // 09:00-13:48 CET = 12:48Z. 50 % = 3 h: 12:00 CET = 11:00Z.
    let cal = calendar(&CASES[1]);
    let target = ResponseTarget::parse("6h", Clock::Business).unwrap();
    let opened = instant("2026-11-30T08:00:00Z");
    assert_eq!(target.at_percent(&cal, opened, 80).unwrap(), instant("2026-11-30T12:48:00Z"));
    assert_eq!(target.at_percent(&cal, opened, 50).unwrap(), instant("2026-11-30T11:00:00Z"));
    assert_eq!(target.at_percent(&cal, opened, 100).unwrap(), target.due(&cal, opened).unwrap());
}

#[test]
fn working_time_questions_the_watcher_asks() {
    let cal = calendar(&CASES[1]); // Madrid week
                                   // Mon 30 Nov 14:30 CET (13:30Z) is the lunch break; the next opening is 15:00 CET = 14:00Z.
    let lunch = instant("2026-11-30T13:30:00Z");
    assert!(!cal.is_working(lunch).unwrap());
    assert_eq!(cal.next_working_instant(lunch).unwrap(), instant("2026-11-30T14:00:00Z"));
    // Inside working time, the clock starts at once.
    let morning = instant("2026-11-30T09:00:00Z");
    assert!(cal.is_working(morning).unwrap());
    assert_eq!(cal.next_working_instant(morning).unwrap(), morning);
    // An interval's end is not working time; its start is.
    assert!(!cal.is_working(instant("2026-11-30T13:00:00Z")).unwrap(), "14:00 CET closes");
    assert!(cal.is_working(instant("2026-11-30T14:00:00Z")).unwrap(), "15:00 CET opens");
    // Friday 4 Dec 14:00 CET to Monday 7 Dec 10:00 CET: 1 h Friday + 1 h Monday.
    let counted = cal.working_time_between(instant("2026-12-04T13:00:00Z"), instant("2026-12-07T09:00:00Z")).unwrap();
    assert_eq!(counted, std::time::Duration::from_secs(2 * 3600));
    // Across the new year (a UTC-year boundary of the compiled spans): Thu 31 Dec 17:00 CET to
    // Mon 4 Jan 10:00 CET with 1 Jan a holiday: 1 h Thursday + 1 h Monday.
    let holidays = ["2027-01-01".parse().unwrap()];
    let cal = Calendar::new(cal.zone(), cal.hours().clone(), holidays);
    let counted = cal.working_time_between(instant("2026-12-31T16:00:00Z"), instant("2027-01-04T09:00:00Z")).unwrap();
    assert_eq!(counted, std::time::Duration::from_secs(2 * 3600));
}

#[test]
fn instants_outside_the_supported_years_are_refused_not_panicked() {
    let cal = calendar(&CASES[0]);
    let target = ResponseTarget::parse("6h", Clock::Business).unwrap();
    assert!(target.due(&cal, instant("1969-12-31T00:00:00Z")).is_err());
    assert!(target.due(&cal, instant("2201-01-01T00:00:00Z")).is_err());
}
