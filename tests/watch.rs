//! The escalation watcher with an injected clock, on both backends: every
//! step at its instant (across a weekend and a DST change), cancellation by
//! acknowledgement, late delivery after downtime, breach events at the
//! deadline, and instances claiming concurrently without duplicates.

use crate::support;
use std::path::Path;
use std::sync::Arc;

use crate::support::{cmd, Recorder, TestDb};
use chrono::{DateTime, Duration, Utc};
use priority_line::app::Clock;
use priority_line::app::{Action, App, Invocation, ManualClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::EventKind;
use priority_line::scheduler;
use priority_line::storage::OutboxState;

const ACME_CHANNEL: Snowflake = Snowflake(310000000000000001);
const TAM_ACME: Snowflake = Snowflake(400000000000000002);
const BACKUP_ACME: Snowflake = Snowflake(400000000000000003);
const ESCALATION_ROLE: Snowflake = Snowflake(320000000000000002);
const ESCALATION_CHANNEL: Snowflake = Snowflake(310000000000000009);
const ENGINEER: Snowflake = Snowflake(410000000000000001);
const ALICE: Snowflake = Snowflake(500000000000000001);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The escalation steps delivered so far, as (ticket, step) read from
/// their post in the ticket's thread.
fn steps(out: &Recorder) -> Vec<(String, String)> {
    out.seen()
        .into_iter()
        .filter(|(_, d)| d.what == "step")
        .filter_map(|(_, d)| {
            let ticket = d.ticket.as_ref()?.to_string();
            d.actions.iter().find_map(|a| match a {
                Action::Post { msg, thread: true, .. } => Some((ticket.clone(), step_of(&msg.plain()))),
                _ => None,
            })
        })
        .collect()
}

/// How many jobs of a kind were delivered.
fn deliveries_of(out: &Recorder, what: &str) -> usize {
    out.seen().iter().filter(|(_, d)| d.what == what).count()
}

/// The step a post announces: "50%" … or "breach" (Acme posts in Spanish).
fn step_of(text: &str) -> String {
    if text.contains("INCUMPLIDO") {
        return "breach".into();
    }
    let p = text.split(" %").next().and_then(|s| s.rsplit(' ').next()).unwrap_or("?");
    format!("{p}%")
}

struct World {
    app: App,
    clock: Arc<ManualClock>,
    out: Recorder,
}

impl World {
    /// The example configuration, plus an 80 % step for L3 (to see a
    /// business-clock share across the weekend and the DST change).
    async fn new(db: &TestDb, start: DateTime<Utc>) -> World {
        let mut text = std::fs::read_to_string("config/example.toml").unwrap();
        text.push_str("\n[[escalation.steps]]\nplans = [\"premium\"]\nseverity = 3\nat = \"80%\"\nping = [\"tam\"]\n");
        let config = Config::parse(&text, Path::new("example + L3 80%")).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let app = App::new(Arc::new(config), db.store.clone(), clock.clone());
        let staff = Invocation {
            user: ENGINEER,
            is_staff: true,
            is_specialist: false,
            channel: ACME_CHANNEL,
            language: None,
            event: None,
            named_staff: vec![],
        };
        app.handle(&staff, cmd("contacts add", &[("user", &ALICE.to_string())])).await;
        World { app, out: Recorder::new(clock.clone()), clock }
    }

    /// Opens a ticket and delivers its thread and opening posts, so that
    /// what the test ticks next is its escalation steps.
    async fn open(&self, severity: Severity) -> String {
        let inv = Invocation {
            user: ALICE,
            is_staff: false,
            is_specialist: false,
            channel: ACME_CHANNEL,
            language: None,
            event: None,
            named_staff: vec![],
        };
        let level = severity.level().to_string();
        let out = self.app.handle(&inv, cmd("ticket open", &[("summary", "VPN down"), ("severity", &level)])).await;
        let sent = self.tick().await;
        assert!(sent.sent >= 1 && sent.late == 0, "the thread, at once: {sent:?}");
        let number = out.text().plain().split_whitespace().nth(1).unwrap().trim_end_matches(':').to_owned();
        assert!(number.starts_with("ACME-"), "{:?}", out.reply);
        self.out.clear();
        number
    }

    async fn tick(&self) -> scheduler::Tick {
        scheduler::tick(&self.app, &self.out).await.unwrap()
    }

    /// Delivers what is due; returns how many escalation steps went out, and
    /// how many of them late.
    async fn tick_steps(&self) -> (usize, usize) {
        let before = self.out.seen().len();
        self.tick().await;
        let new: Vec<_> = self.out.seen().into_iter().skip(before).filter(|(_, d)| d.what == "step").collect();
        (new.len(), new.iter().filter(|(_, d)| d.late).count())
    }

    async fn ack(&self, number: &str) {
        let t = self.app.store().ticket(&number.parse().unwrap()).await.unwrap().unwrap();
        let inv = Invocation {
            user: ENGINEER,
            is_staff: true,
            is_specialist: false,
            channel: t.thread_id.unwrap(),
            language: None,
            event: None,
            named_staff: vec![],
        };
        let out = self.app.handle(&inv, cmd("ack", &[])).await;
        assert!(out.text().plain().starts_with("You acknowledged"), "{:?}", out.reply);
    }

    async fn outbox(&self, number: &str) -> Vec<priority_line::storage::OutboxRow> {
        let t = self.app.store().ticket(&number.parse().unwrap()).await.unwrap().unwrap();
        self.app.store().outbox(t.id).await.unwrap()
    }
}

async fn every_default_step_fires_at_its_instant_across_a_weekend_and_dst(db: &TestDb) {
    // Friday 27 March 2026, 13:00 in Madrid (CET); Europe/Madrid springs
    // forward on Sunday 29 March at 01:00Z.
    let w = World::new(db, at("2026-03-27T12:00:00Z")).await;
    let l3 = w.open(Severity::Medium).await;
    let l4 = w.open(Severity::Low).await;
    w.clock.set(at("2026-03-28T23:00:00Z"));
    assert_eq!(w.tick().await.sent, 0);
    let l2 = w.open(Severity::High).await;
    w.clock.set(at("2026-03-29T00:50:00Z"));
    let l1 = w.open(Severity::Critical).await;

    // Expected instants, from first principles:
    // L1 (30 min, 24x7, opened 00:50Z): 50 % at 01:05Z, 80 % at 01:14Z, breach at 01:20Z
    //   (elapsed time: the clock change at 01:00Z changes nothing).
    // L2 (4 h, 24x7, opened 23:00Z): 75 % at 02:00Z, breach at 03:00Z.
    // L3 (6 working hours, opened Friday 13:00 CET): 2 h on Friday (13:00-15:00),
    //   then Monday in CEST: 80 % = 4 h 48 min → 2 h 48 min on Monday → 11:48 CEST
    //   = 09:48Z; breach after 4 h on Monday → 13:00 CEST = 11:00Z.
    // L4 (8 working hours): 2 h Friday + Monday 09:00-14:00 (5 h) + 15:00-16:00
    //   → 16:00 CEST = 14:00Z.
    let expected = [
        ("2026-03-29T01:05:00Z", &l1, "50%"),
        ("2026-03-29T01:14:00Z", &l1, "80%"),
        ("2026-03-29T01:20:00Z", &l1, "breach"),
        ("2026-03-29T02:00:00Z", &l2, "75%"),
        ("2026-03-29T03:00:00Z", &l2, "breach"),
        ("2026-03-30T09:48:00Z", &l3, "80%"),
        ("2026-03-30T11:00:00Z", &l3, "breach"),
        ("2026-03-30T14:00:00Z", &l4, "breach"),
    ];
    let mut seen = 0;
    for (instant, ticket, step) in expected {
        w.clock.set(at(instant) - Duration::seconds(1));
        assert_eq!(w.tick().await.sent, 0, "nothing before {instant}, got {:?}", &steps(&w.out)[seen..]);
        w.clock.set(at(instant));
        assert_eq!(w.tick_steps().await, (1, 0), "{ticket} {step} at {instant}");
        seen += 1;
        assert_eq!(steps(&w.out)[seen - 1], (ticket.to_string(), step.to_string()), "at {instant}");
    }
    assert_eq!(w.app.next_due().await.unwrap(), None, "nothing left");

    // The L1 80 % step pings the TAMs and the escalation role; its breach
    // also goes to the escalation channel; every step updates the card.
    let seen = w.out.seen();
    let actions_at = |t: &str| -> Vec<Action> {
        seen.iter().filter(|(when, _)| *when == at(t)).flat_map(|(_, d)| d.actions.clone()).collect()
    };
    let Some(Action::Post { ping, roles, key, .. }) = actions_at("2026-03-29T01:14:00Z").into_iter().next() else {
        panic!("{seen:?}")
    };
    assert_eq!((ping.as_slice(), roles.as_slice()), (&[TAM_ACME, BACKUP_ACME][..], &[ESCALATION_ROLE][..]));
    assert_eq!(key.index, 0, "keyed posts");
    let breach = actions_at("2026-03-29T01:20:00Z");
    assert!(breach.iter().any(|a| matches!(a, Action::Escalation { channel, .. } if *channel == ESCALATION_CHANNEL)));
    assert!(actions_at("2026-03-29T01:05:00Z")
        .iter()
        .any(|a| matches!(a, Action::EditCard { card, .. } if card.status == priority_line::app::CardStatus::Amber)));
}

async fn acknowledgement_cancels_what_is_pending(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    w.clock.advance(Duration::minutes(16));
    assert_eq!(w.tick_steps().await, (1, 0), "the 50 % reminder");
    w.ack(&l1).await;
    w.clock.advance(Duration::hours(2));
    assert_eq!(w.tick_steps().await, (0, 0), "80 % and breach are moot");
    // The response clock's steps (the update clock's start with the answer).
    let states: Vec<(String, OutboxState)> = w
        .outbox(&l1)
        .await
        .into_iter()
        .filter_map(|r| Some((r.step?, r.state)))
        .filter(|(step, _)| !step.starts_with("update "))
        .collect();
    assert_eq!(
        states,
        [
            ("50%".into(), OutboxState::Sent),
            ("80%".into(), OutboxState::Dropped),
            ("breach".into(), OutboxState::Dropped)
        ]
    );
}

async fn after_downtime_overdue_steps_go_out_late_in_order_and_the_breach_is_dated_at_the_deadline(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    // The bot was down from the opening until 40 minutes later.
    w.clock.advance(Duration::minutes(40));
    assert_eq!(w.tick_steps().await, (3, 3));
    assert_eq!(
        steps(&w.out),
        [(l1.clone(), "50%".into()), (l1.clone(), "80%".into()), (l1.clone(), "breach".into())],
        "in due order"
    );
    let texts: Vec<String> = w.out.posts().into_iter().map(|(_, text, _)| text).collect();
    assert!(texts.iter().all(|t| t.contains("Enviado con retraso")), "{texts:?}");
    let steps_stored: Vec<_> = w.outbox(&l1).await.into_iter().filter(|r| r.step.is_some()).collect();
    assert!(
        steps_stored
            .iter()
            .all(|n| n.state == OutboxState::Sent && n.late && n.done_at == Some(at("2026-11-30T09:40:00Z"))),
        "{steps_stored:?}"
    );
    let ticket = w.app.store().ticket(&l1.parse().unwrap()).await.unwrap().unwrap();
    let events = w.app.store().events(ticket.id).await.unwrap();
    let breach = events.iter().find(|e| matches!(e.kind, EventKind::Breached { .. })).expect("a breach event");
    assert_eq!(breach.at, at("2026-11-30T09:30:00Z"), "at the deadline, not when noticed");
    assert_eq!(w.tick().await.sent, 0, "each notification once");
}

async fn an_answer_during_downtime_drops_the_reminders_but_not_the_breach_before_it(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    w.clock.advance(Duration::minutes(40));
    w.ack(&l1).await; // answered at 09:40, after the 09:30 deadline, before the watcher ran
    assert_eq!(w.tick_steps().await, (1, 1));
    assert_eq!(steps(&w.out), [(l1.clone(), "breach".into())]);
}

async fn reclassification_reschedules_from_the_opening_time(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let number = w.open(Severity::High).await; // 75 % at 12:00, breach at 13:00
    w.clock.advance(Duration::minutes(10));
    let inv = Invocation {
        user: ALICE,
        is_staff: false,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: None,
        event: None,
        named_staff: vec![],
    };
    let change = cmd("ticket severity", &[("number", &number), ("level", "1"), ("reason", "worse")]);
    w.app.handle(&inv, change).await;
    w.tick().await; // the card and the note of the change
                    // L1 from 09:00: 50 % at 09:15, 80 % at 09:24, breach at 09:30.
    assert_eq!(w.app.next_due().await.unwrap(), Some(at("2026-11-30T09:15:00Z")));
    w.clock.set(at("2026-11-30T09:30:00Z"));
    assert_eq!(w.tick_steps().await.0, 3);
    w.clock.set(at("2026-11-30T13:00:00Z"));
    assert_eq!(w.tick_steps().await.0, 0, "the L2 steps were dropped");
}

async fn concurrent_watchers_send_each_notification_once(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    for _ in 0..40 {
        w.open(Severity::Critical).await;
    }
    w.clock.advance(Duration::hours(1));
    // A second instance: its own App and pool on the same database and clock.
    let second_store = priority_line::storage::Store::connect(&db.url).await.unwrap();
    let second = App::new(Arc::new(w.app.config().clone()), second_store.clone(), w.clock.clone());
    let second_out = Recorder::new(w.clock.clone());
    let (a, b) = tokio::join!(
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += scheduler::tick(&w.app, &w.out).await.unwrap().sent;
            }
            n
        },
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += scheduler::tick(&second, &second_out).await.unwrap().sent;
            }
            n
        }
    );
    let mut all = steps(&w.out);
    all.extend(steps(&second_out));
    assert_eq!(all.len(), 120, "40 tickets × 3 steps, once each (first {a}, second {b} deliveries)");
    let unique: std::collections::BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(unique.len(), all.len(), "no notification delivered twice");
    // The 40 breaches, due together, in the escalation channel's messages:
    // each once, in as few messages as fit, each message brought up to
    // date by one delivery at a time.
    let mut groups: std::collections::BTreeMap<i64, String> = Default::default();
    for (_, d) in w.out.seen().into_iter().chain(second_out.seen()) {
        for action in d.actions {
            if let Action::Escalation { group, msg, .. } = action {
                let shown = groups.entry(group).or_default();
                // Each edit shows every line so far: the longest is the last.
                if msg.plain().len() > shown.len() {
                    *shown = msg.plain();
                }
            }
        }
    }
    let mut lines: Vec<&str> = groups.values().flat_map(|m| m.lines().filter(|l| l.starts_with("• "))).collect();
    assert_eq!(lines.len(), 40, "{groups:#?}");
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), 40, "each breach once");
    assert!(groups.len() < 10, "grouped: {} messages", groups.len());
    assert_eq!(a + b, 120 + deliveries_of(&w.out, "escalation") + deliveries_of(&second_out, "escalation"));
    second_store.close().await;
}

/// Issue 13: a reclassification whose new deadline has already passed
/// records the breach at that deadline and announces it once, saying the
/// ticket was reclassified past its deadline (not "sent late"); the
/// reminders whose instants precede it are not sent at all.
async fn a_reclassification_past_its_new_deadline_announces_the_breach_once(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let number = w.open(Severity::Low).await;
    w.clock.set(at("2026-11-30T09:45:00Z"));
    let inv = Invocation {
        user: ALICE,
        is_staff: false,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: None,
        event: None,
        named_staff: vec![],
    };
    let change = cmd("ticket severity", &[("number", &number), ("level", "1"), ("reason", "it is an outage")]);
    w.app.handle(&inv, change).await;
    assert_eq!(w.tick_steps().await, (1, 0), "the breach, at once, not late");
    assert_eq!(steps(&w.out), [(number.clone(), "breach".into())], "no 50 % or 80 % reminder");
    let texts: Vec<String> = w.out.posts().into_iter().map(|(_, t, _)| t).collect();
    let breach = texts.iter().find(|t| t.contains("INCUMPLIDO")).unwrap();
    assert!(breach.contains("se ha reclasificado pasado su plazo") && !breach.contains("retraso"), "{breach}");
    let ping = texts.iter().find(|t| t.contains("Crítico (L1)")).expect("the L1 ping");
    assert!(ping.contains(&format!("@{ALICE} ha elevado {number} a Crítico")), "who raised it: {ping}");
    let ticket = w.app.store().ticket(&number.parse().unwrap()).await.unwrap().unwrap();
    let events = w.app.store().events(ticket.id).await.unwrap();
    let breaches: Vec<_> = events.iter().filter(|e| matches!(e.kind, EventKind::Breached { .. })).collect();
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].at, at("2026-11-30T09:30:00Z"), "at the new deadline");
    w.clock.advance(Duration::hours(1));
    assert_eq!(w.tick_steps().await, (0, 0), "once");
    assert_eq!(w.app.next_due().await.unwrap(), None);
}

/// Issue 13: "sent late … the bot was unavailable" only when no instance
/// was running when the step fell due; an instance that was up but busy
/// (or whose tick came after a pause) sends it plainly.
async fn a_step_is_late_only_when_no_instance_was_running(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    let store = w.app.store();
    // One instance ran from 09:00 and was last seen at 09:20: it covers the
    // 50 % step (09:15), not the 80 % one (09:24) nor the breach (09:30),
    // which fell due before another started at 09:35.
    store.instance_started("first", at("2026-11-30T09:00:00Z")).await.unwrap();
    store.instance_seen("first", at("2026-11-30T09:20:00Z")).await.unwrap();
    store.instance_started("second", at("2026-11-30T09:35:00Z")).await.unwrap();
    w.clock.set(at("2026-11-30T09:40:00Z"));
    assert_eq!(w.tick_steps().await, (3, 2));
    let late: Vec<bool> = w.out.seen().iter().filter(|(_, d)| d.what == "step").map(|(_, d)| d.late).collect();
    assert_eq!(late, [false, true, true], "50 %, 80 %, breach");
    let _ = l1;
}

/// Delivers nothing, ever: an instance stuck in a delivery.
struct Stuck;

#[async_trait::async_trait]
impl scheduler::Deliver for Stuck {
    async fn deliver(
        &self,
        _: &priority_line::app::Delivery,
        _: &dyn priority_line::app::Lease,
    ) -> Result<priority_line::app::Receipt, priority_line::app::DeliveryError> {
        std::future::pending().await
    }
}

/// Issue 9: the loop itself, not only a tick. An idle instance beside one
/// that claimed the due notifications and then hung (it neither delivers
/// nor renews its leases) sleeps until the first lease could run out,
/// instead of spinning; then it takes over.
/// (PostgreSQL: on SQLite one process, with one scheduler, owns the file, and
/// a starting scheduler takes back every claim.)
async fn an_idle_instance_beside_a_busy_one_sleeps_until_it_can_act(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    w.clock.set(at("2026-11-30T09:16:00Z")); // the 50 % step is due
    let busy = w.app.clone();
    let stuck = tokio::spawn(async move { scheduler::tick(&busy, &Stuck).await });
    let lease_end = at("2026-11-30T09:16:00Z") + Duration::from_std(priority_line::app::LEASE).unwrap();
    // The busy one holds the step until its lease ends.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while w.app.next_due().await.unwrap() != Some(lease_end) {
        assert!(tokio::time::Instant::now() < until, "the busy instance never claimed the step");
        tokio::task::yield_now().await;
    }
    // Hung: a live deliverer would renew its lease.
    stuck.abort();
    let idle = App::new(Arc::new(w.app.config().clone()), w.app.store().clone(), w.clock.clone());
    let out = Arc::new(Recorder::new(w.clock.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn({
        let out = out.clone();
        async move {
            scheduler::run(idle, Delegate(out), async move {
                let _ = stopped.await;
            })
            .await
        }
    });
    // It goes to sleep until the lease's end, or until it renews its
    // deliverer's lease if that comes first (a spinning loop would only
    // ever wait for "now", and never register this instant).
    let wake = lease_end.min(w.clock.now() + Duration::from_std(scheduler::LEAD_EVERY).unwrap());
    assert!(wake > w.clock.now());
    while !w.clock.sleepers().contains(&wake) {
        assert!(
            tokio::time::Instant::now() < until,
            "the idle instance did not sleep until {wake}: {:?}",
            w.clock.sleepers()
        );
        tokio::task::yield_now().await;
    }
    assert!(out.seen().is_empty());
    // When the lease runs out, it takes the step over.
    w.clock.set(lease_end);
    while steps(&out).is_empty() {
        assert!(tokio::time::Instant::now() < until, "the idle instance did not take over");
        tokio::task::yield_now().await;
    }
    assert_eq!(steps(&out), [(l1, "50%".to_owned())]);
    let _ = stop.send(());
    runner.await.unwrap();
}

/// A recorder shared with a test.
struct Delegate(Arc<Recorder>);

#[async_trait::async_trait]
impl scheduler::Deliver for Delegate {
    async fn deliver(
        &self,
        d: &priority_line::app::Delivery,
        lease: &dyn priority_line::app::Lease,
    ) -> Result<priority_line::app::Receipt, priority_line::app::DeliveryError> {
        self.0.deliver(d, lease).await
    }
}

both_backends! {
    a_reclassification_past_its_new_deadline_announces_the_breach_once,
    a_step_is_late_only_when_no_instance_was_running,
    every_default_step_fires_at_its_instant_across_a_weekend_and_dst,
    acknowledgement_cancels_what_is_pending,
    after_downtime_overdue_steps_go_out_late_in_order_and_the_breach_is_dated_at_the_deadline,
    an_answer_during_downtime_drops_the_reminders_but_not_the_breach_before_it,
    reclassification_reschedules_from_the_opening_time,
}

/// PostgreSQL only: SQLite serves one process (a second is refused, see
/// tests/storage.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_claim_concurrently_without_duplicates() {
    let Some(db) = support::postgres().await else { return };
    concurrent_watchers_send_each_notification_once(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_idle_instance_beside_a_busy_one_sleeps_until_it_can_act() {
    let Some(db) = support::postgres().await else { return };
    an_idle_instance_beside_a_busy_one_sleeps_until_it_can_act(&db).await;
    db.finish().await;
}
