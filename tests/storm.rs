//! The busiest day, small: many customers' contacts open L1 tickets at
//! once against a fake Discord that keeps Discord's rate limits, and every
//! breach falls due together. The bot keeps the limits itself: no global
//! 429; a route's 429 that still comes is waited out for its `retry_after`,
//! not sooner; nothing is lost or sent twice; the escalation channel's
//! grouped message lists every ticket once. Two instances in one storm
//! stay within the one global budget together.

use crate::support;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::support::fake_discord::FakeDiscord;
use crate::support::process::{self, kill};
use crate::support::storm::{self, Customer};
use crate::support::TestDb;
use priority_line::app::{App, ManualClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::storage::NewContact;

const ESCALATION_CHANNEL: u64 = 310000000000000009;

/// Registers each customer's contact, straight in storage.
async fn register(db: &TestDb, customers: &[Customer]) {
    let at = "2026-11-30T09:00:00Z".parse().unwrap();
    for c in customers {
        let contact = NewContact::default();
        db.store.add_contact(&c.key, &contact, (Snowflake(c.contact), at, Snowflake(1)), None).await.unwrap();
    }
}

/// Dispatches every customer's `per_customer` L1 opens at once.
fn open_all(fake: &FakeDiscord, customers: &[Customer], per_customer: usize) -> Vec<u64> {
    let mut interactions = Vec::new();
    for n in 1..=per_customer {
        for c in customers {
            let id = fake.next_id();
            fake.dispatch("INTERACTION_CREATE", storm::open(id, c, n));
            interactions.push(id);
        }
    }
    interactions
}

/// Waits until every ticket's opening is over; returns the threads.
async fn all_opened(fake: &FakeDiscord, tickets: usize) -> Vec<u64> {
    fake.wait_for(&format!("{tickets} tickets' threads, pings, cards and members"), |f| {
        let threads: Vec<u64> = f.threads().keys().copied().filter(|t| storm::opened(f, *t)).collect();
        (threads.len() == tickets).then_some(threads)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_storm_keeps_the_limits_and_loses_nothing() {
    let fake = FakeDiscord::start().await;
    let db = support::sqlite().await;
    let customers = storm::customers(8);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("storm.toml");
    std::fs::write(&path, storm::config(&fake, &db.url, &customers, "30m")).unwrap();
    let config = Config::load(Path::new(&path)).unwrap();
    let discord = config.discord.clone().unwrap();
    register(&db, &customers).await;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let app = App::new(Arc::new(config), db.store.clone(), clock.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let bot = tokio::spawn({
        let app = app.clone();
        async move {
            let stopping = async move {
                let _ = stopped.await;
            };
            priority_line::adapters::discord::run(app, &discord, "fake-token", stopping).await
        }
    });
    fake.connected(1).await;

    // Discord refuses one thread creation for 1.5 s.
    let limited = customers[2].channel;
    fake.rate_limit_next("POST", &format!("/channels/{limited}/threads"), Duration::from_millis(1500));
    let interactions = open_all(&fake, &customers, 2);
    let threads = all_opened(&fake, 16).await;

    for id in &interactions {
        fake.request("POST", &format!("/interactions/{id}/token-{id}/callback"), 1).await;
    }
    let requests = fake.requests();
    assert_eq!(fake.rate_limited("global"), 0, "the bot kept the global budget");
    assert_eq!(fake.rate_limited("user"), 1, "no route was pushed past its bucket but the one refused");
    // The refused creation was tried again only after its retry_after.
    let creates: Vec<_> =
        requests.iter().filter(|r| r.method == "POST" && r.path == format!("/channels/{limited}/threads")).collect();
    let refused = creates.iter().find(|r| r.status == 429).expect("the 429");
    let again = creates
        .iter()
        .filter(|r| r.status != 429 && r.body["name"] == refused.body["name"])
        .map(|r| r.at)
        .min()
        .expect("tried again");
    let after = again.duration_since(refused.at);
    assert!(after >= Duration::from_millis(1500), "tried again {after:?} after the 429");
    // One thread, one ping and one card per ticket; one answer per open.
    assert_eq!(threads.len(), 16);
    assert_eq!(fake.threads().len(), 16, "no thread twice");
    for thread in &threads {
        let posts = fake.messages_in(*thread);
        let pings = posts.iter().filter(|m| m["content"].as_str().is_some_and(|c| c.contains("(L1)"))).count();
        let cards = posts.iter().filter(|m| m["embeds"] != serde_json::json!([])).count();
        assert_eq!((pings, cards), (1, 1), "{posts:#?}");
    }
    let callbacks = requests.iter().filter(|r| r.path.ends_with("/callback")).count();
    assert_eq!(callbacks, interactions.len());
    // Operators see it: the 429 Discord answered, and the calls that waited.
    let metrics = app.metrics().encode();
    assert!(metrics.lines().any(|l| l == "priority_line_discord_ratelimited_total{scope=\"user\"} 1"), "{metrics}");
    let waited: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("priority_line_discord_ratelimit_wait_seconds_count "))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(waited as usize >= requests.len() - callbacks - 1, "every call went through the limits: {waited}");

    // Every breach falls due at once: one line per ticket in the
    // escalation channel, in as few messages as fit, the role once each.
    support::eventually(|| async {
        let idle = app.metrics().deliveries_in_flight.get() == 0;
        let next = app.next_due().await.unwrap();
        match idle && next.is_none_or(|at| at > app.now()) {
            true => Ok(()),
            false => Err(format!("the outbox did not settle: next due {next:?}")),
        }
    })
    .await;
    clock.advance(chrono::Duration::minutes(30));
    app.wake_handle().notify_one();
    let lines = fake
        .wait_for("every ticket's line in the escalation channel", |f| {
            let lines = storm::escalated(f, ESCALATION_CHANNEL);
            (lines.len() >= 16).then_some(lines)
        })
        .await;
    // The breach goes to the escalation channel (the example's steps for
    // premium L1): each ticket's once.
    let mut sorted = lines.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((sorted.len(), lines.len()), (16, 16), "each notice once: {lines:?}");
    let messages = fake.messages_in(ESCALATION_CHANNEL);
    assert!(messages.len() < 16, "grouped: {} messages", messages.len());
    for m in &messages {
        let content = m["content"].as_str().unwrap();
        assert_eq!(content.matches("<@&").count(), 1, "the role once a message: {content}");
        assert!(content.chars().count() <= 2000, "{}", content.chars().count());
    }
    assert_eq!(fake.rate_limited("global"), 0);
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), bot).await;
    fake.assert_valid();
}

/// Two bot processes on one PostgreSQL database, in one storm: together
/// they stay within Discord's global budget (one delivers at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_in_one_storm_stay_within_the_global_budget() {
    let Some(db) = support::postgres().await else { return };
    let fake = FakeDiscord::start().await;
    let customers = storm::customers(12);
    register(&db, &customers).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bot.toml");
    std::fs::write(&path, storm::config(&fake, &db.url, &customers, "30m")).unwrap();
    let mut first = process::start(&path);
    fake.connected(1).await;
    let mut second = process::start(&path);
    fake.connected(2).await;
    open_all(&fake, &customers, 2);
    all_opened(&fake, 24).await;
    kill(&mut first, "-TERM");
    kill(&mut second, "-TERM");
    let requests = fake.requests();
    assert_eq!(fake.rate_limited("global"), 0, "no global 429");
    assert_eq!(requests.iter().filter(|r| r.status == 429).count(), 0, "no 429 at all");
    // In no second did the two send more than the global budget.
    let sent: Vec<_> = requests
        .iter()
        .filter(|r| !r.path.starts_with("/interactions/") && !r.path.starts_with("/webhooks/"))
        .map(|r| r.at)
        .collect();
    for t in &sent {
        let in_second = sent.iter().filter(|u| **u >= *t && u.duration_since(*t) < Duration::from_secs(1)).count();
        assert!(in_second <= 50, "{in_second} requests in the second from {t:?}");
    }
    assert!(sent.len() > 100, "a storm worth the name: {} requests", sent.len());
    fake.assert_valid();
    db.finish().await;
}
