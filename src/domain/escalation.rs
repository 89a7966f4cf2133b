//! Escalation before breach: the steps of a plan and severity (at a share of
//! the target, or at the deadline), whom each pings and where it posts, and
//! the instants at which a ticket's steps fall due.

use chrono::{DateTime, Utc};

use crate::domain::calendar::{Calendar, CalendarError};
use crate::domain::sla::{ResponseTarget, Severity};

/// When a step falls due. Stored by its name (`"80%"`, `"breach"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Trigger {
    /// This share of the target has been counted (working time for business
    /// targets), 1 to 99.
    Percent(u8),
    /// The deadline itself: the ticket breaches.
    Breach,
}

impl From<Trigger> for String {
    fn from(t: Trigger) -> String {
        t.name()
    }
}

impl TryFrom<String> for Trigger {
    type Error = String;

    fn try_from(s: String) -> Result<Trigger, String> {
        Trigger::parse(&s)
    }
}

impl Trigger {
    /// `"80%"` or `"breach"`: how the configuration writes it, and the step's
    /// name in storage.
    pub fn name(self) -> String {
        match self {
            Trigger::Percent(p) => format!("{p}%"),
            Trigger::Breach => "breach".into(),
        }
    }

    pub fn parse(s: &str) -> Result<Trigger, String> {
        if s == "breach" {
            return Ok(Trigger::Breach);
        }
        let p = s
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<u8>().ok())
            .filter(|p| (1..=99).contains(p))
            .ok_or_else(|| {
                format!("\"{s}\" is not a step: write a share of the target such as \"80%\" (1 to 99), or \"breach\"")
            })?;
        Ok(Trigger::Percent(p))
    }
}

/// Who a step pings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Tam,
    BackupTam,
    /// `[discord].escalation_role`.
    Role,
}

impl Recipient {
    pub fn parse(s: &str) -> Result<Recipient, String> {
        match s {
            "tam" => Ok(Recipient::Tam),
            "backup_tam" => Ok(Recipient::BackupTam),
            "role" => Ok(Recipient::Role),
            other => Err(format!("\"{other}\" is not a recipient: use \"tam\", \"backup_tam\" or \"role\"")),
        }
    }
}

/// Where a step posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// The ticket's thread.
    Thread,
    /// `[discord].escalation_channel`.
    EscalationChannel,
}

impl Destination {
    pub fn parse(s: &str) -> Result<Destination, String> {
        match s {
            "thread" => Ok(Destination::Thread),
            "escalation_channel" => Ok(Destination::EscalationChannel),
            other => Err(format!("\"{other}\" is not a destination: use \"thread\" or \"escalation_channel\"")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub trigger: Trigger,
    pub ping: Vec<Recipient>,
    pub post: Vec<Destination>,
}

impl Step {
    fn new(trigger: Trigger, ping: &[Recipient], post: &[Destination]) -> Step {
        Step { trigger, ping: ping.to_vec(), post: post.to_vec() }
    }
}

/// The steps of every severity of one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy([Vec<Step>; 4]);

impl Policy {
    pub fn new(mut by_level: [Vec<Step>; 4]) -> Policy {
        for steps in &mut by_level {
            steps.sort_by_key(|s| s.trigger);
        }
        Policy(by_level)
    }

    pub fn steps(&self, severity: Severity) -> &[Step] {
        &self.0[usize::from(severity.level() - 1)]
    }

    /// SPEC.md's defaults. L1: a reminder to the TAM at 50 %; the TAM, the
    /// backup TAM and the escalation role at 80 %; at breach the thread and
    /// the escalation channel. L2: the TAM at 75 % and at breach. L3 and L4:
    /// a note in the thread at breach.
    pub fn spec_default() -> Policy {
        use Destination::*;
        use Recipient::*;
        Policy::new([
            vec![
                Step::new(Trigger::Percent(50), &[Tam], &[Thread]),
                Step::new(Trigger::Percent(80), &[Tam, BackupTam, Role], &[Thread]),
                Step::new(Trigger::Breach, &[Tam, BackupTam, Role], &[Thread, EscalationChannel]),
            ],
            vec![Step::new(Trigger::Percent(75), &[Tam], &[Thread]), Step::new(Trigger::Breach, &[Tam], &[Thread])],
            vec![Step::new(Trigger::Breach, &[], &[Thread])],
            vec![Step::new(Trigger::Breach, &[], &[Thread])],
        ])
    }
}

/// When each step falls due for a ticket opened at `opened` with `target`
/// (`due_at` is the deadline already computed from the same target).
pub fn schedule(
    steps: &[Step],
    target: &ResponseTarget,
    calendar: &Calendar,
    opened: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> Result<Vec<(Trigger, DateTime<Utc>)>, CalendarError> {
    steps
        .iter()
        .map(|s| match s.trigger {
            Trigger::Percent(p) => Ok((s.trigger, target.at_percent(calendar, opened, u32::from(p))?)),
            Trigger::Breach => Ok((s.trigger, due_at)),
        })
        .collect()
}

/// The escalation channel's grouped messages: notices that fall due within
/// a window of a group's first become one message, each on its line, until
/// it is full. Pure: storage keeps the groups and decides with this.
pub mod group {
    use chrono::{DateTime, Utc};

    /// Discord's limit of a message's length, in characters.
    pub const MESSAGE_MAX: usize = 2000;

    /// Room kept in each message for the role mentioned once at its top.
    pub const HEADER: usize = 64;

    /// A group as it stands: when its first notice fell due, and how long
    /// its message is with every line so far (an upper bound of the text
    /// Discord receives).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Group {
        pub first_due: DateTime<Utc>,
        pub length: usize,
    }

    /// Whether a notice due at `due`, whose line is `length` characters
    /// long, joins `group`: it fell due within `window` of the group's
    /// first (before or after: a notice delivered late, after a crash, still
    /// joins by its due instant), and the message has room for it (a line
    /// and its line break). Else it starts a group of its own.
    pub fn joins(group: &Group, due: DateTime<Utc>, length: usize, window: chrono::Duration) -> bool {
        let apart = (due - group.first_due).abs();
        apart < window && HEADER + group.length + 1 + length <= MESSAGE_MAX
    }

    /// A group started by a notice due at `due`, with its line.
    pub fn start(due: DateTime<Utc>, length: usize) -> Group {
        Group { first_due: due, length }
    }

    /// `group` with a line of `length` added.
    pub fn add(group: Group, length: usize) -> Group {
        Group { length: group.length + 1 + length, ..group }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sla::Clock;

    mod grouping {
        use super::super::group::*;
        use chrono::{DateTime, Duration, Utc};

        fn at(s: &str) -> DateTime<Utc> {
            s.parse().unwrap()
        }

        const WINDOW: Duration = Duration::seconds(30);

        /// Notices that fall due within the window of the group's first join
        /// it; one due at the window's end starts the next.
        #[test]
        fn notices_due_within_the_window_of_the_first_join_it() {
            let first = at("2026-12-07T10:00:00Z");
            let group = start(first, 100);
            assert!(joins(&group, first, 100, WINDOW), "due together");
            assert!(joins(&group, at("2026-12-07T10:00:29.999Z"), 100, WINDOW));
            assert!(!joins(&group, at("2026-12-07T10:00:30Z"), 100, WINDOW), "the window's end starts another");
            assert!(!joins(&group, at("2026-12-07T10:05:00Z"), 100, WINDOW));
        }

        /// A message takes lines until Discord's 2,000 characters (its role
        /// mention kept room for); the next line starts a new message.
        #[test]
        fn a_full_message_leaves_the_next_line_to_a_new_one() {
            let due = at("2026-12-07T10:00:00Z");
            let mut group = start(due, 150);
            let mut lines = 1;
            while joins(&group, due, 150, WINDOW) {
                group = add(group, 150);
                lines += 1;
            }
            assert_eq!(lines, (MESSAGE_MAX - HEADER + 1) / 151, "as many lines of 150 as fit");
            assert!(HEADER + group.length <= MESSAGE_MAX, "{group:?}");
            assert!(HEADER + group.length + 151 > MESSAGE_MAX, "no room for one more");
        }

        /// A notice delivered long after its instant (the bot was down) joins
        /// the group of the notices due with it, by its due instant; one due
        /// a little before the group's first (delivered in another order)
        /// too.
        #[test]
        fn a_late_joiner_after_a_crash_joins_by_its_due_instant() {
            let first = at("2026-12-07T10:00:10Z");
            let group = start(first, 100);
            assert!(joins(&group, at("2026-12-07T10:00:20Z"), 100, WINDOW), "due with it, delivered ten minutes on");
            assert!(joins(&group, at("2026-12-07T10:00:00Z"), 100, WINDOW), "due ten seconds before it");
        }
    }

    #[test]
    fn triggers_read_and_write_as_the_configuration_does() {
        assert_eq!(Trigger::parse("80%"), Ok(Trigger::Percent(80)));
        assert_eq!(Trigger::parse("breach"), Ok(Trigger::Breach));
        for bad in ["0%", "100%", "80", "soon", "%"] {
            assert!(Trigger::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Trigger::Percent(75).name(), "75%");
    }

    #[test]
    fn round_the_clock_steps_fall_at_shares_of_elapsed_time() {
        let calendar = Calendar::always_open();
        let target = ResponseTarget::parse("30m", Clock::AroundTheClock).unwrap();
        let opened: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
        let due = target.due(&calendar, opened).unwrap();
        let policy = Policy::spec_default();
        let when = schedule(policy.steps(Severity::Critical), &target, &calendar, opened, due).unwrap();
        let minutes: Vec<(String, i64)> = when.iter().map(|(t, at)| (t.name(), (*at - opened).num_minutes())).collect();
        assert_eq!(minutes, [("50%".into(), 15), ("80%".into(), 24), ("breach".into(), 30)]);
    }
}
