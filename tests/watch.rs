//! The escalation watcher with an injected clock, on both backends: every
//! step at its instant (across a weekend and a DST change), cancellation by
//! acknowledgement, late delivery after downtime, breach events at the
//! deadline, and instances claiming concurrently without duplicates.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use priority_line::app::{App, Effect, Invocation, ManualClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::EventKind;
use priority_line::scheduler::{self, Deliver};
use support::{cmd, TestDb};

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

/// Records what the watcher delivers, with the (injected) time it did.
struct Recorder {
    clock: Arc<ManualClock>,
    seen: Mutex<Vec<(DateTime<Utc>, Effect)>>,
}

#[async_trait]
impl Deliver for Recorder {
    async fn deliver(&self, effects: &[Effect]) -> Result<(), String> {
        let now = priority_line::app::Clock::now(&*self.clock);
        self.seen.lock().unwrap().extend(effects.iter().map(|e| (now, e.clone())));
        Ok(())
    }
}

impl Recorder {
    /// Posts delivered so far in threads, as (ticket, step) read from their text.
    fn steps(&self) -> Vec<(String, String)> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(_, e)| match e {
                Effect::Post { place: priority_line::app::Place::Ticket(n), msg, .. } => {
                    Some((n.to_string(), step_of(&msg.plain())))
                }
                _ => None,
            })
            .collect()
    }
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
        let staff = Invocation { user: ENGINEER, is_staff: true, channel: ACME_CHANNEL, language: None };
        app.handle(&staff, cmd("contacts add", &[("user", &ALICE.to_string())])).await;
        let out = Recorder { clock: clock.clone(), seen: Mutex::default() };
        World { app, clock, out }
    }

    async fn open(&self, severity: Severity) -> String {
        let inv = Invocation { user: ALICE, is_staff: false, channel: ACME_CHANNEL, language: None };
        let level = severity.level().to_string();
        let out = self.app.handle(&inv, cmd("ticket open", &[("summary", "VPN down"), ("severity", &level)])).await;
        let Some(Effect::OpenThread { card, .. }) = out.effects.first() else { panic!("{out:?}") };
        let number = card.ticket.number.clone();
        // Give it a thread, as the Discord adapter does.
        let thread = Snowflake(900_000 + number.seq as u64);
        self.app.attach_thread(&number, thread, Snowflake(800_000 + number.seq as u64)).await.unwrap();
        number.to_string()
    }

    async fn tick(&self) -> scheduler::Tick {
        scheduler::tick(&self.app, &self.out).await.unwrap()
    }

    async fn ack(&self, number: &str) {
        let t = self.app.store().ticket(&number.parse().unwrap()).await.unwrap().unwrap();
        let inv = Invocation { user: ENGINEER, is_staff: true, channel: t.thread_id.unwrap(), language: None };
        let out = self.app.handle(&inv, cmd("ack", &[])).await;
        assert!(out.text().plain().starts_with("You acknowledged"), "{:?}", out.reply);
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
        let t = w.tick().await;
        assert_eq!(t.sent, 0, "nothing before {instant}, got {:?}", &w.out.steps()[seen..]);
        w.clock.set(at(instant));
        let t = w.tick().await;
        assert_eq!((t.sent, t.late), (1, 0), "{ticket} {step} at {instant}");
        seen += 1;
        assert_eq!(w.out.steps()[seen - 1], (ticket.to_string(), step.to_string()), "at {instant}");
    }
    assert_eq!(w.app.next_due().await.unwrap(), None, "nothing left");

    // The L1 80 % step pings the TAMs and the escalation role; its breach
    // also goes to the escalation channel; every post updates the card.
    let seen = w.out.seen.lock().unwrap().clone();
    let l1_80 = seen.iter().find(|(t, _)| *t == at("2026-03-29T01:14:00Z")).unwrap();
    let Effect::Post { ping, ping_roles, key, .. } = &l1_80.1 else { panic!("{l1_80:?}") };
    assert_eq!((ping.as_slice(), ping_roles.as_slice()), (&[TAM_ACME, BACKUP_ACME][..], &[ESCALATION_ROLE][..]));
    assert!(key.is_some(), "scheduled posts carry a key");
    let breach_posts: Vec<_> =
        seen.iter().filter(|(t, e)| *t == at("2026-03-29T01:20:00Z") && matches!(e, Effect::Post { .. })).collect();
    assert!(breach_posts.iter().any(|(_, e)| matches!(e, Effect::Post { place: priority_line::app::Place::Channel(c), .. } if *c == ESCALATION_CHANNEL)));
    assert!(seen.iter().any(|(t, e)| *t == at("2026-03-29T01:05:00Z")
        && matches!(e, Effect::UpdateCard { card } if card.status == priority_line::app::CardStatus::Amber)));
}

async fn acknowledgement_cancels_what_is_pending(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    w.clock.advance(Duration::minutes(16));
    assert_eq!(w.tick().await.sent, 1, "the 50 % reminder");
    w.ack(&l1).await;
    w.clock.advance(Duration::hours(2));
    assert_eq!(w.tick().await.sent, 0, "80 % and breach are moot");
    let t = w.app.store().ticket(&l1.parse().unwrap()).await.unwrap().unwrap();
    let states: Vec<(String, String)> =
        w.app.store().notifications(t.id).await.unwrap().into_iter().map(|n| (n.step, n.state)).collect();
    assert_eq!(
        states,
        [("50%".into(), "sent".into()), ("80%".into(), "dropped".into()), ("breach".into(), "dropped".into())]
    );
}

async fn after_downtime_overdue_steps_go_out_late_in_order_and_the_breach_is_dated_at_the_deadline(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let l1 = w.open(Severity::Critical).await;
    // The bot was down from the opening until 40 minutes later.
    w.clock.advance(Duration::minutes(40));
    let t = w.tick().await;
    assert_eq!((t.sent, t.late), (3, 3));
    assert_eq!(
        w.out.steps(),
        [(l1.clone(), "50%".into()), (l1.clone(), "80%".into()), (l1.clone(), "breach".into())],
        "in due order"
    );
    let texts: Vec<String> = w
        .out
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, e)| match e {
            Effect::Post { msg, .. } => Some(msg.plain()),
            _ => None,
        })
        .collect();
    assert!(texts.iter().all(|t| t.contains("Enviado con retraso")), "{texts:?}");
    let ticket = w.app.store().ticket(&l1.parse().unwrap()).await.unwrap().unwrap();
    let notes = w.app.store().notifications(ticket.id).await.unwrap();
    assert!(notes.iter().all(|n| n.state == "sent" && n.late && n.sent_at == Some(at("2026-11-30T09:40:00Z"))));
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
    let t = w.tick().await;
    assert_eq!((t.sent, t.late), (1, 1));
    assert_eq!(w.out.steps(), [(l1.clone(), "breach".into())]);
}

async fn reclassification_reschedules_from_the_opening_time(db: &TestDb) {
    let w = World::new(db, at("2026-11-30T09:00:00Z")).await;
    let number = w.open(Severity::High).await; // 75 % at 12:00, breach at 13:00
    w.clock.advance(Duration::minutes(10));
    let inv = Invocation { user: ALICE, is_staff: false, channel: ACME_CHANNEL, language: None };
    let change = cmd("ticket severity", &[("number", &number), ("level", "1"), ("reason", "worse")]);
    w.app.handle(&inv, change).await;
    // L1 from 09:00: 50 % at 09:15, 80 % at 09:24, breach at 09:30.
    assert_eq!(w.app.next_due().await.unwrap(), Some(at("2026-11-30T09:15:00Z")));
    w.clock.set(at("2026-11-30T09:30:00Z"));
    assert_eq!(w.tick().await.sent, 3);
    w.clock.set(at("2026-11-30T13:00:00Z"));
    assert_eq!(w.tick().await.sent, 0, "the L2 steps were dropped");
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
    let second_out = Recorder { clock: w.clock.clone(), seen: Mutex::default() };
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
    assert_eq!(a + b, 120, "40 tickets × 3 steps, once each (first {a}, second {b})");
    let mut all = w.out.steps();
    all.extend(second_out.steps());
    let unique: std::collections::BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(unique.len(), all.len(), "no notification delivered twice");
    second_store.close().await;
}

both_backends! {
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
