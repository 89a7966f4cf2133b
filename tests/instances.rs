//! Issue 12: two real `priority-line run` processes on one PostgreSQL
//! database, both on the gateway, against the fake Discord, which delivers
//! every event to every session as Discord does. Each `/ticket open` gives
//! one ticket, one thread and one reply; each staff message and each button
//! press one acknowledgement; and when one instance dies the other serves.

use crate::support;
use crate::support::fake_discord::{self as fake, FakeDiscord, STAFF_ROLE};
use crate::support::process::Running;
use crate::support::process::{kill, slash, start, write_config, ACME_CHANNEL};
use crate::support::TestDb;
use serde_json::{json, Value};

const ENGINEER: u64 = 410000000000000001;
const ALICE: u64 = 500000000000000001;

fn alice() -> Value {
    fake::member(ALICE, "alice", &[])
}

fn staff() -> Value {
    fake::member(ENGINEER, "engineer", &[STAFF_ROLE])
}

/// Two instances on `db`'s database, both connected to a new fake Discord,
/// and Alice registered as a contact of Acme. The directory holds their
/// configuration.
async fn two_instances(db: &TestDb) -> (FakeDiscord, tempfile::TempDir, Running, Running) {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&fake, dir.path(), &db.url, &[]);
    let first = start(&config);
    fake.connected(1).await;
    let second = start(&config);
    fake.wait_for("two sessions", |f| (f.open_sessions() == 2).then_some(())).await;
    let user = json!([{"name": "user", "type": 6, "value": ALICE.to_string()}]);
    let added = slash(&fake, staff(), "contacts", json!([{"name": "add", "type": 1, "options": user}])).await;
    assert!(added["data"]["content"].as_str().unwrap().starts_with("Added"), "{added}");
    (fake, dir, first, second)
}

/// Alice's `/ticket open` of the L1 "Outage {n}", as Discord dispatches it.
fn open_payload(id: u64, n: u64) -> Value {
    let options = json!([{"name": "open", "type": 1, "options": [
        {"name": "summary", "type": 3, "value": format!("Outage {n}")}, {"name": "severity", "type": 4, "value": 1}
    ]}]);
    fake::slash(id, ACME_CHANNEL, alice(), "en-US", "ticket", options)
}

/// Every callback the fake received for `interaction`.
fn callbacks(fake: &FakeDiscord, interaction: u64) -> usize {
    fake.requests().iter().filter(|r| r.path.starts_with(&format!("/interactions/{interaction}/"))).count()
}

/// Alice opens a ticket; returns its interaction id, once its thread has
/// its card and its L1 ping.
async fn open(fake: &FakeDiscord, n: u64) -> (u64, u64) {
    let id = fake.next_id();
    fake.dispatch("INTERACTION_CREATE", open_payload(id, n));
    let reply = fake.request("POST", &format!("/interactions/{id}/token-{id}/callback"), 1).await;
    assert!(
        reply.body["data"]["content"].as_str().unwrap().starts_with(&format!("Opened **ACME-{n}**")),
        "{}",
        reply.body
    );
    let thread = fake
        .wait_for(&format!("the thread of ACME-{n} with its ping and its card"), |f| {
            f.threads().into_iter().find_map(|(id, t)| {
                let posts = f.messages_in(id);
                let pinged = posts.iter().any(|m| m["content"].as_str().is_some_and(|c| c.contains("es Crítico")));
                let card = posts.iter().any(|m| m["embeds"] != json!([]));
                (t.name.starts_with(&format!("ACME-{n} ")) && pinged && card).then_some(id)
            })
        })
        .await;
    (id, thread)
}

/// The acknowledgement posts in a thread.
fn acks(fake: &FakeDiscord, thread: u64) -> usize {
    fake.messages_in(thread)
        .iter()
        .filter(|m| m["content"].as_str().is_some_and(|c| c.contains("acusó recibo")))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_the_gateway_apply_each_event_once() {
    let Some(db) = support::postgres().await else { return };
    let (fake, _dir, mut first, mut second) = two_instances(&db).await;

    // Three opens: three tickets, three threads, one reply each.
    let mut opened = Vec::new();
    for n in 1..=3 {
        opened.push(open(&fake, n).await);
    }
    assert_eq!(fake.threads().len(), 3, "{:?}", fake.threads());
    for (interaction, thread) in &opened {
        assert_eq!(callbacks(&fake, *interaction), 1, "one reply to {interaction}");
        let cards = fake.messages_in(*thread).iter().filter(|m| m["embeds"] != json!([])).count();
        assert_eq!(cards, 1);
    }

    // A staff member's first message acknowledges ACME-1 once.
    let (_, thread1) = opened[0];
    let id = fake.next_id();
    fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread1, ENGINEER, "engineer", &[STAFF_ROLE], "On it"));
    fake.wait_for("ACME-1's acknowledgement", |f| (acks(f, thread1) == 1).then_some(())).await;

    // The Acknowledge button on ACME-2: one acknowledgement, one reply.
    let (_, thread2) = opened[1];
    let card = fake.messages_in(thread2).into_iter().find(|m| m["embeds"] != json!([])).unwrap();
    let press = fake.next_id();
    fake.dispatch("INTERACTION_CREATE", fake::button(press, thread2, staff(), "ack:ACME-2", card));
    let reply = fake.request("POST", &format!("/interactions/{press}/token-{press}/callback"), 1).await;
    assert!(reply.body["data"]["content"].as_str().unwrap().starts_with("You acknowledged ACME-2"), "{}", reply.body);
    fake.wait_for("ACME-2's acknowledgement", |f| (acks(f, thread2) == 1).then_some(())).await;

    // ACME-2 closed; Alice's press of 5 under its closing post: one rating, one reply.
    let close = json!([{"name": "close", "type": 1, "options": [{"name": "number", "type": 3, "value": "ACME-2"}]}]);
    let closed = slash(&fake, staff(), "ticket", close).await;
    assert!(closed["data"]["content"].as_str().unwrap().starts_with("ACME-2 is closed"), "{closed}");
    let closing = fake
        .wait_for("ACME-2's closing post", |f| {
            f.messages_in(thread2).into_iter().find(|m| m["components"].as_array().is_some_and(|c| !c.is_empty()))
        })
        .await;
    let rate = fake.next_id();
    fake.dispatch("INTERACTION_CREATE", fake::button(rate, thread2, alice(), "rate:ACME-2:5", closing));
    let reply = fake.request("POST", &format!("/interactions/{rate}/token-{rate}/callback"), 1).await;
    assert!(
        reply.body["data"]["content"].as_str().unwrap().starts_with("Thank you for rating ACME-2 5"),
        "{}",
        reply.body
    );

    // Alice writes in ACME-1's thread with a file: both sessions see it;
    // the record keeps the message once and downloads the file once.
    let log: Vec<u8> = (0..300_000_u32).map(|i| (i % 251) as u8).collect();
    let written = fake.write(thread1, &alice(), "The log, as asked", &[("vpn.log", &log)]);
    let acme1 = db.store.ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    support::eventually(|| async {
        let record = db.store.record(acme1.id).await.map_err(|e| e.to_string())?;
        let kept = record.iter().flat_map(|m| &m.files).any(|f| f.sha256.is_some());
        kept.then_some(()).ok_or("the log is not kept yet".to_owned())
    })
    .await;

    // One instance dies; the other goes on serving.
    kill(&mut first, "-KILL");
    fake.wait_for("one session left", |f| (f.open_sessions() == 1).then_some(())).await;
    let (interaction, thread4) = open(&fake, 4).await;
    assert_eq!(callbacks(&fake, interaction), 1);
    let id = fake.next_id();
    fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread4, ENGINEER, "engineer", &[STAFF_ROLE], "Here"));
    fake.wait_for("ACME-4's acknowledgement", |f| (acks(f, thread4) == 1).then_some(())).await;
    kill(&mut second, "-TERM");

    // Nothing twice, counted in requests (the fake's nonce memory hides no double post).
    assert_eq!((acks(&fake, thread1), acks(&fake, thread2), acks(&fake, thread4)), (1, 1, 1));
    let creates = fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/threads")).count();
    assert_eq!(creates, 4, "one thread creation per ticket");
    let second_replies = fake.requests().iter().filter(|r| r.path.contains("/callback")).count();
    assert_eq!(second_replies, 8, "one reply per interaction: the contact, four opens, two buttons, the closing");
    assert_eq!(callbacks(&fake, rate), 1);
    let record = db.store.record(acme1.id).await.unwrap();
    assert!(record.iter().any(|m| m.id.0 == written), "Alice's message");
    assert!(record.iter().any(|m| m.by_bot), "the bot's posts, as Discord echoed them to both sessions");
    let downloads = fake.requests().iter().filter(|r| r.path.ends_with("/vpn.log")).count();
    assert_eq!(downloads, 1, "one download of the file");
    let acme2 = db.store.ticket(&"ACME-2".parse().unwrap()).await.unwrap().unwrap();
    let events = db.store.events(acme2.id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "rated").count(), 1, "one rating for one press");
    fake.assert_valid();
    db.finish().await;
}

/// Issue 18: Discord answers every thread creation slowly while a burst of
/// tickets is opened at two instances: each ticket gets one thread, one
/// card and one L1 ping, and no thread is asked for twice (thread creation
/// has no nonce: only the job's single deliverer prevents a second one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_under_slow_thread_creation_gets_one_thread_per_ticket() {
    let Some(db) = support::postgres().await else { return };
    let (fake, _dir, mut first, mut second) = two_instances(&db).await;
    fake.slow(fake::Slow { method: "POST", path_suffix: "/threads".into(), delay: std::time::Duration::from_secs(3) });
    const BURST: u64 = 16;
    for n in 1..=BURST {
        fake.dispatch("INTERACTION_CREATE", open_payload(fake.next_id(), n));
    }
    let pinged = |f: &FakeDiscord, thread: u64| {
        f.messages_in(thread).iter().filter(|m| m["content"].as_str().is_some_and(|c| c.contains("es Crítico"))).count()
    };
    let carded = |f: &FakeDiscord, thread: u64| f.messages_in(thread).iter().any(|m| m["embeds"] != json!([]));
    fake.wait_for("every ticket's thread, card and ping", |f| {
        let threads = f.threads();
        let done = threads.keys().filter(|t| pinged(f, **t) == 1 && carded(f, **t)).count();
        (done as u64 == BURST).then_some(())
    })
    .await;
    kill(&mut first, "-TERM");
    kill(&mut second, "-TERM");
    let threads = fake.threads();
    assert_eq!(threads.len() as u64, BURST, "{threads:?}");
    for (id, thread) in &threads {
        let cards = fake.messages_in(*id).iter().filter(|m| m["embeds"] != json!([])).count();
        assert_eq!((cards, pinged(&fake, *id)), (1, 1), "{}", thread.name);
    }
    let mut asked: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/threads"))
        .map(|r| r.body["name"].as_str().unwrap_or_default().split(' ').next().unwrap_or_default().to_owned())
        .collect();
    asked.sort();
    let before = asked.len();
    asked.dedup();
    assert_eq!((before, asked.len() as u64), (asked.len(), BURST), "no thread asked for twice: {asked:?}");
    fake.assert_valid();
    db.finish().await;
}
