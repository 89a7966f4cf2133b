//! The weekly summary's figures, computed from tickets' event logs so that
//! any past week can be recomputed. A ticket counts as it stood at the end
//! of the week (its severity, deadline, state, stage), whatever happened to
//! it later, except for its first response, which counts whenever it came:
//! a ticket opened on Friday evening and answered on Monday morning is
//! answered, in minutes of working time.
//!
//! - A ticket belongs to the week in which it was opened (local midnight on
//!   Monday to the next, in the summary's zone).
//! - First response: the acknowledgement minus the opening, on the
//!   ticket's own clock (working time of its customer's calendar for
//!   business targets).
//! - Within target: answered at or before the deadline.
//! - Breach: a deadline inside the week with no answer by then (and the
//!   ticket not closed by then), late by the time until its answer, its
//!   closing or the end of the week, whichever came first; still going if
//!   the week ended first.
//! - Median and 90th percentile by the nearest-rank method.
//! - Updates: the update deadlines that fell within the week (met by an
//!   update, or recorded missed at the deadline), and how many of them were
//!   met late or not at all; phone tickets among those opened.
//! - Satisfaction: the tickets of the week rated by its end, and their
//!   average score; the ratings of 1 or 2 listed with their comments.
//! - A week in progress is told as it stands now: tickets as they stand
//!   now, no deadline counted as breached before it has passed, ages and
//!   lateness up to now.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use super::calendar::{local_instant, Calendar};
use super::customer::CustomerKey;
use super::rating::{Rating, Score};
use super::signature::Stage;
use super::sla::{ResponseTarget, Severity};
pub use super::ticket::Fact;
use super::ticket::{EventKind, TicketKind, TicketNumber};

/// An ISO week: `2026-W48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Week {
    /// Its Monday.
    monday: NaiveDate,
}

impl Week {
    /// The week holding `date`.
    pub fn of(date: NaiveDate) -> Week {
        let back = date.weekday().num_days_from_monday();
        Week { monday: date - chrono::Duration::days(i64::from(back)) }
    }

    /// The week before.
    pub fn previous(self) -> Week {
        Week { monday: self.monday - chrono::Duration::days(7) }
    }

    /// The week after.
    pub fn next(self) -> Week {
        Week { monday: self.monday + chrono::Duration::days(7) }
    }

    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    /// Its first instant in `zone`: local midnight at the start of Monday
    /// (moved forward by the gap where a zone skips midnight).
    pub fn start(self, zone: Tz) -> DateTime<Utc> {
        local_midnight(self.monday, zone)
    }

    /// The first instant of the next week in `zone`.
    pub fn end(self, zone: Tz) -> DateTime<Utc> {
        self.next().start(zone)
    }

    /// The instant of `day` at `time`, local to `zone`, in this week (moved
    /// forward by the gap when a DST gap swallows it; the first of two when
    /// it happens twice): the calendars' rule, [`local_instant`].
    pub fn at(self, day: Weekday, time: chrono::NaiveTime, zone: Tz) -> DateTime<Utc> {
        let date = self.monday + chrono::Duration::days(i64::from(day.num_days_from_monday()));
        local_instant(zone, date.and_time(time))
    }
}

fn local_midnight(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    local_instant(zone, date.and_time(chrono::NaiveTime::MIN))
}

impl fmt::Display for Week {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iso = self.monday.iso_week();
        write!(f, "{}-W{:02}", iso.year(), iso.week())
    }
}

impl FromStr for Week {
    type Err = String;

    /// `2026-W48` (the ISO year, which may differ from the calendar year of
    /// some of its days).
    fn from_str(s: &str) -> Result<Week, String> {
        let bad = || format!("\"{s}\" is not an ISO week: write YYYY-Www, such as 2026-W48");
        let (year, week) = s.trim().split_once("-W").ok_or_else(bad)?;
        let (year, week): (i32, u32) = (year.parse().map_err(|_| bad())?, week.parse().map_err(|_| bad())?);
        if !(1970..=9999).contains(&year) {
            return Err(bad());
        }
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| format!("{year} has no ISO week {week}: it has 52 or 53"))?;
        Ok(Week { monday })
    }
}

/// A ticket as opened, and the facts of its log since, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub number: TicketNumber,
    pub kind: TicketKind,
    pub opened_at: DateTime<Utc>,
    /// Its severity and deadline at the opening.
    pub severity: Severity,
    pub due_at: DateTime<Utc>,
    pub facts: Vec<(DateTime<Utc>, Fact)>,
    /// Taken by phone.
    pub by_phone: bool,
}

/// An update deadline as the event log tells it: met by an update made at
/// `updated_at`, or (`None`) recorded missed at the deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMark {
    pub ticket: TicketNumber,
    pub due_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl UpdateMark {
    /// The mark an event leaves, if any.
    pub fn of(ticket: &TicketNumber, at: DateTime<Utc>, event: &EventKind) -> Option<UpdateMark> {
        let (due_at, updated_at) = match event.fact()? {
            Fact::Updated { due: Some(due) } => (due, Some(at)),
            Fact::UpdateMissed { due } => (due, None),
            _ => return None,
        };
        Some(UpdateMark { ticket: ticket.clone(), due_at, updated_at })
    }
}

/// A ticket as it stood at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsAt {
    pub severity: Severity,
    pub due_at: DateTime<Utc>,
    /// Its first response, whenever it came (even after the instant).
    pub answered_at: Option<DateTime<Utc>>,
    /// Closed then (closed_at is when it was, last).
    pub closed_at: Option<DateTime<Utc>>,
    /// A signature request's stage then.
    pub stage: Option<Stage>,
    /// Its latest rating by then.
    pub rating: Option<Rating>,
}

impl History {
    /// The ticket as it stood just before `at` (with its first response,
    /// whenever it came), or `None` if it was not opened by then.
    pub fn as_at(&self, at: DateTime<Utc>) -> Option<AsAt> {
        if self.opened_at >= at {
            return None;
        }
        let mut s = AsAt {
            severity: self.severity,
            due_at: self.due_at,
            answered_at: self.facts.iter().find(|(_, f)| *f == Fact::Answered).map(|(when, _)| *when),
            closed_at: None,
            stage: (self.kind == TicketKind::Signature).then_some(Stage::Received),
            rating: None,
        };
        for (when, fact) in self.facts.iter().take_while(|(when, _)| *when < at) {
            match fact {
                Fact::Reclassified { severity, due_at } => {
                    s.severity = *severity;
                    s.due_at = *due_at;
                }
                Fact::Closed => s.closed_at = Some(*when),
                Fact::Reopened => s.closed_at = None,
                Fact::Stage(to) => s.stage = Some(*to),
                Fact::Rated(rating) => s.rating = Some(rating.clone()),
                // The answer counts whenever it came (above); the rest
                // changes no figure of the first response.
                Fact::Answered
                | Fact::Breached
                | Fact::Owned(_)
                | Fact::Updated { .. }
                | Fact::UpdateMissed { .. }
                | Fact::WaitStarted
                | Fact::WaitEnded => {}
            }
        }
        Some(s)
    }
}

/// The clock of a customer's target: its plan's target for a severity and
/// its calendar. `None` for a customer no longer configured.
pub trait Clocks {
    fn clock(&self, customer: &CustomerKey, severity: Severity) -> Option<(&ResponseTarget, &Calendar)>;
}

/// One severity's figures of a week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeverityFigures {
    pub opened: u32,
    pub answered: u32,
    pub within_target: u32,
    pub breached: u32,
    pub median: Option<Duration>,
    pub p90: Option<Duration>,
    /// Update deadlines that fell within the week.
    pub updates_due: u32,
    /// … met late or not at all.
    pub updates_late: u32,
    /// Tickets taken by phone.
    pub by_phone: u32,
    /// Tickets rated.
    pub rated: u32,
    /// The sum of their scores.
    pub scores: u32,
}

impl SeverityFigures {
    /// The rated tickets' average score, to two decimals; none when none
    /// was rated.
    pub fn satisfaction_avg(&self) -> Option<f64> {
        (self.rated > 0).then(|| (f64::from(self.scores) * 100.0 / f64::from(self.rated)).round() / 100.0)
    }
}

/// A ticket's first response against its target (the chart's points).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub ticket: TicketNumber,
    pub severity: Severity,
    /// On the ticket's clock.
    pub first_response: Duration,
    pub target: Duration,
    pub within_target: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub ticket: TicketNumber,
    pub severity: Severity,
    pub due_at: DateTime<Utc>,
    pub late_by: Duration,
    /// Still unanswered and open at the end of the week (or now, for the
    /// week in progress).
    pub ongoing: bool,
}

/// A rating of 1 or 2, listed with its ticket and the customer's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowRating {
    pub ticket: TicketNumber,
    pub severity: Severity,
    pub score: Score,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub ticket: TicketNumber,
    pub severity: Severity,
    pub age: Duration,
}

/// A week's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// L1 to L4.
    pub by_severity: [SeverityFigures; 4],
    /// Latest first.
    pub breaches: Vec<Breach>,
    /// Open at the end of the week, oldest first.
    pub open: Vec<Open>,
    /// The week's ratings of 1 or 2, lowest first.
    pub low_ratings: Vec<LowRating>,
    /// Signature requests opened in the week, by their stage at its end,
    /// in [`Stage::ALL`]'s order.
    pub signatures: [u32; 6],
    /// The week's answered tickets, in opening order.
    pub responses: Vec<Response>,
    /// Tickets that could not be measured (their customer is gone, or a
    /// calendar failed); they count as opened only.
    pub unmeasured: u32,
}

impl Figures {
    /// Tickets opened in the week.
    pub fn opened(&self) -> u32 {
        self.by_severity.iter().map(|s| s.opened).sum()
    }
}

/// The figures of the week `[start, end)` over `histories` and the update
/// deadlines' `marks` (which may belong to other weeks: those only count
/// where they belong), as they stand at `now`: for a week that has not
/// ended, tickets stand as they are now, and ages and lateness run to now.
pub fn figures(
    histories: &[History],
    marks: &[UpdateMark],
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
    clocks: &dyn Clocks,
) -> Figures {
    let mut f = Figures::default();
    // The week as far as it has gone.
    let end = end.min(now).max(start);
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for h in histories {
        let Some(s) = h.as_at(end) else { continue };
        let level = usize::from(s.severity.level() - 1);
        let in_week = h.opened_at >= start;
        if in_week {
            let by = &mut f.by_severity[level];
            by.opened += 1;
            by.by_phone += u32::from(h.by_phone);
            if let Some(stage) = s.stage {
                let i = Stage::ALL.iter().position(|x| *x == stage).unwrap_or(0);
                f.signatures[i] += 1;
            }
            if let Some(rating) = &s.rating {
                by.rated += 1;
                by.scores += u32::from(rating.score.get());
                if rating.score.is_low() {
                    f.low_ratings.push(LowRating {
                        ticket: h.number.clone(),
                        severity: s.severity,
                        score: rating.score,
                        comment: rating.comment.clone(),
                    });
                }
            }
            if let Some(answered) = s.answered_at {
                by.answered += 1;
                let within = answered <= s.due_at;
                by.within_target += u32::from(within);
                match clocks.clock(&h.number.customer, s.severity).and_then(|(target, calendar)| {
                    Some((target.elapsed(calendar, h.opened_at, answered).ok()?, target.response()))
                }) {
                    Some((first_response, target)) => {
                        samples[level].push(first_response);
                        f.responses.push(Response {
                            ticket: h.number.clone(),
                            severity: s.severity,
                            first_response,
                            target,
                            within_target: within,
                        });
                    }
                    None => f.unmeasured += 1,
                }
            }
        }
        // A deadline inside the week that found the ticket unanswered and open.
        let settled = [s.answered_at, s.closed_at].into_iter().flatten().min();
        if (start..end).contains(&s.due_at) && settled.is_none_or(|t| t > s.due_at) {
            let until = settled.unwrap_or(end).min(end);
            f.breaches.push(Breach {
                ticket: h.number.clone(),
                severity: s.severity,
                due_at: s.due_at,
                late_by: (until - s.due_at).to_std().unwrap_or_default(),
                ongoing: settled.is_none_or(|t| t >= end),
            });
            f.by_severity[level].breached += 1;
        }
        if s.closed_at.is_none() {
            let age = (end - h.opened_at).to_std().unwrap_or_default();
            f.open.push(Open { ticket: h.number.clone(), severity: s.severity, age });
        }
    }
    updates(&mut f, histories, marks, (start, end));
    for (by, mut samples) in f.by_severity.iter_mut().zip(samples) {
        samples.sort_unstable();
        by.median = nearest_rank(&samples, 50);
        by.p90 = nearest_rank(&samples, 90);
    }
    f.breaches.sort_by(|a, b| b.late_by.cmp(&a.late_by).then_with(|| a.due_at.cmp(&b.due_at)));
    f.open.sort_by(|a, b| b.age.cmp(&a.age).then_with(|| a.ticket.seq.cmp(&b.ticket.seq)));
    f.low_ratings.sort_by(|a, b| {
        (a.score, a.ticket.customer.as_str(), a.ticket.seq).cmp(&(b.score, b.ticket.customer.as_str(), b.ticket.seq))
    });
    f
}

/// Counts the update deadlines that fell within `[start, end)`, by the
/// severity their ticket has at `end`: each deadline once, late unless an
/// update met it in time.
fn updates(f: &mut Figures, histories: &[History], marks: &[UpdateMark], (start, end): (DateTime<Utc>, DateTime<Utc>)) {
    let mut deadlines: std::collections::BTreeMap<(String, i64, DateTime<Utc>), bool> = Default::default();
    for m in marks.iter().filter(|m| (start..end).contains(&m.due_at)) {
        let met = m.updated_at.is_some_and(|at| at <= m.due_at);
        let key = (m.ticket.customer.as_str().to_owned(), m.ticket.seq, m.due_at);
        *deadlines.entry(key).or_default() |= met;
    }
    for ((customer, seq, _), met) in deadlines {
        let history = histories.iter().find(|h| h.number.seq == seq && h.number.customer.as_str() == customer);
        let Some(s) = history.and_then(|h| h.as_at(end)) else { continue };
        let by = &mut f.by_severity[usize::from(s.severity.level() - 1)];
        by.updates_due += 1;
        by.updates_late += u32::from(!met);
    }
}

/// The `percent`th percentile of sorted values by the nearest-rank method:
/// the value at rank ceil(percent/100 · n), counting from 1.
pub fn nearest_rank<T: Copy>(sorted: &[T], percent: u32) -> Option<T> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (percent as usize * n).div_ceil(100).max(1);
    sorted.get(rank.min(n) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weeks_read_and_write_as_iso() {
        let w: Week = "2026-W48".parse().unwrap();
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(w.to_string(), "2026-W48");
        // Week 1 of 2026 starts in 2025; 2026 has 53 weeks, 2025 has 52.
        assert_eq!("2026-W01".parse::<Week>().unwrap().monday(), NaiveDate::from_ymd_opt(2025, 12, 29).unwrap());
        assert!("2026-W53".parse::<Week>().is_ok());
        assert!("2025-W53".parse::<Week>().unwrap_err().contains("52 or 53"));
        for bad in ["2026-48", "2026-W", "W48", "2026-W4x", "0000-W01"] {
            assert!(bad.parse::<Week>().unwrap_err().contains("YYYY-Www"), "{bad}");
        }
        assert_eq!(Week::of(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()), w, "Sunday ends the week");
        assert_eq!(w.previous().next(), w);
    }

    #[test]
    fn a_week_spans_local_midnights_also_when_the_clocks_change() {
        let madrid = Tz::Europe__Madrid;
        // 2026-W43 ends on Sunday 25 October, the night of the autumn change:
        // 169 hours from Monday's midnight to the next.
        let w: Week = "2026-W43".parse().unwrap();
        assert_eq!(w.start(madrid).to_rfc3339(), "2026-10-18T22:00:00+00:00");
        assert_eq!(w.end(madrid).to_rfc3339(), "2026-10-25T23:00:00+00:00");
        assert_eq!((w.end(madrid) - w.start(madrid)).num_hours(), 169);
        let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        assert_eq!(w.next().at(Weekday::Mon, nine, madrid).to_rfc3339(), "2026-10-26T08:00:00+00:00");
        assert_eq!(w.at(Weekday::Mon, nine, madrid).to_rfc3339(), "2026-10-19T07:00:00+00:00");
        // A wall time the spring change skips moves forward by the gap, as a
        // calendar's bound does: 02:30 is 03:30 CEST.
        let spring: Week = "2026-W13".parse().unwrap();
        let skipped = chrono::NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(spring.at(Weekday::Sun, skipped, madrid).to_rfc3339(), "2026-03-29T01:30:00+00:00");
        let calendar_bound = crate::domain::calendar::resolve_wall(
            madrid,
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
            "02:30".parse().unwrap(),
        );
        assert_eq!(calendar_bound, spring.at(Weekday::Sun, skipped, madrid).timestamp_millis(), "one rule for both");
    }

    #[test]
    fn nearest_rank_by_hand() {
        let v = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&v, 50), Some(35), "rank ceil(2.5) = 3");
        assert_eq!(nearest_rank(&v, 90), Some(50), "rank ceil(4.5) = 5");
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), Some(2), "rank 2 exactly");
        assert_eq!(nearest_rank::<u32>(&[], 50), None);
    }

    proptest! {
        /// The nearest rank is a value of the list with at least p % of the
        /// values at or below it, and fewer than p % strictly below it.
        #[test]
        fn nearest_rank_is_the_smallest_value_covering_p_percent(
            mut v in proptest::collection::vec(0u32..1000, 1..200),
            p in 1u32..=100,
        ) {
            v.sort_unstable();
            let x = nearest_rank(&v, p).unwrap();
            let n = v.len() as u64;
            let at_or_below = v.iter().filter(|y| **y <= x).count() as u64;
            let below = v.iter().filter(|y| **y < x).count() as u64;
            prop_assert!(at_or_below * 100 >= u64::from(p) * n);
            prop_assert!(below * 100 < u64::from(p) * n);
        }
    }
}
