//! Issue 12: `[discord].interactions = "http"`. The bot serves `POST
//! /interactions` on `[http].listen`, verifying Discord's Ed25519 signature;
//! the test plays Discord with a test key pair, over real HTTP, while the
//! bot's REST calls (the outbox's threads and posts, command registration)
//! go to the fake Discord.

use crate::support;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::support::fake_discord::{self as fake, FakeDiscord, STAFF_ROLE};
use crate::support::TestDb;
use ed25519_dalek::{Signer, SigningKey};
use priority_line::adapters::discord::Bot;
use priority_line::app::{App, ManualClock};
use priority_line::config::Config;
use priority_line::domain::ticket::EventKind;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACME_CHANNEL: u64 = 310000000000000001;
const ENGINEER: u64 = 410000000000000001;
const ALICE: u64 = 500000000000000001;

/// The test's "Discord": it signs what it posts with this key.
fn discord_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The example configuration in HTTP mode, pointed at the fake, with the
/// test key's public half.
fn config(fake: &FakeDiscord, storage: &str, ack_by_first_message: bool) -> Arc<Config> {
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let key = hex(discord_key().verifying_key().as_bytes());
    let text = example
        .replace("api_base = \"https://discord.com\"", &format!("api_base = \"{}\"", fake.api_base()))
        .replace("url = \"sqlite://data/priority-line.db\"", &format!("url = \"{storage}\""))
        .replace("ack_by_first_message = true", &format!("ack_by_first_message = {ack_by_first_message}"))
        .replace("interactions = \"gateway\"", &format!("interactions = \"http\"\npublic_key = \"{key}\""));
    assert!(text.contains("interactions = \"http\""), "the example's lines moved: update this test");
    Arc::new(Config::parse(&text, Path::new("example in http mode")).unwrap())
}

/// One instance: the bot and its HTTP endpoints on a port of its own.
struct Instance {
    app: App,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Instance {
    /// On SQLite the test's store (one process owns the file); on
    /// PostgreSQL a pool of the instance's own.
    async fn start(config: Arc<Config>, db: &TestDb, name: &str) -> Instance {
        let store = match db.store.backend() {
            priority_line::storage::Backend::Sqlite => db.store.clone(),
            priority_line::storage::Backend::Postgres => priority_line::storage::Store::connect(&db.url).await.unwrap(),
        };
        let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
        let app = App::new(config.clone(), store, clock).named(name);
        let discord = config.discord.clone().unwrap();
        let bot = Bot::new(app.clone(), &discord, "fake-token").unwrap();
        let routes = bot.routes().unwrap();
        assert!(routes.is_some(), "POST /interactions in HTTP mode");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(priority_line::adapters::http::serve(listener, app.clone(), routes, std::future::pending()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(bot.run(async move {
            let _ = stopped.await;
        }));
        Instance { app, addr, stop: Some(stop), task }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let ended = tokio::time::timeout(std::time::Duration::from_secs(30), self.task).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "the bot did not stop cleanly: {ended:?}");
    }
}

/// A POST over a plain TCP connection: (status code, body).
async fn post(addr: SocketAddr, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "POST /interactions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body).await.unwrap();
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_owned())
}

/// The instances' clock: Monday 30 November 2026, 09:00 UTC.
const NOW: i64 = 1796029200;

/// Signs `body` as Discord does: over the timestamp (now) and the body.
fn signed(key: &SigningKey, body: &[u8]) -> Vec<(&'static str, String)> {
    signed_at(key, body, NOW)
}

/// Signs `body` with the timestamp `at` (Unix seconds).
fn signed_at(key: &SigningKey, body: &[u8], at: i64) -> Vec<(&'static str, String)> {
    let timestamp = at.to_string();
    let signature = key.sign(&[timestamp.as_bytes(), body].concat());
    vec![("X-Signature-Ed25519", hex(&signature.to_bytes())), ("X-Signature-Timestamp", timestamp)]
}

async fn interaction(addr: SocketAddr, payload: &Value) -> (u16, Value) {
    let body = payload.to_string();
    let (status, text) = post(addr, &signed(&discord_key(), body.as_bytes()), body.as_bytes()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn open(id: u64, summary: &str) -> Value {
    let options = json!([{"name": "open", "type": 1, "options": [
        {"name": "summary", "type": 3, "value": summary}, {"name": "severity", "type": 4, "value": 1}
    ]}]);
    fake::slash(id, ACME_CHANNEL, fake::member(ALICE, "alice", &[]), "en-US", "ticket", options)
}

fn add_alice(id: u64) -> Value {
    let user = json!([{"name": "user", "type": 6, "value": ALICE.to_string()}]);
    let options = json!([{"name": "add", "type": 1, "options": user}]);
    fake::slash(id, ACME_CHANNEL, fake::member(ENGINEER, "engineer", &[STAFF_ROLE]), "en-US", "contacts", options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_interactions_are_answered_in_the_response_and_bad_signatures_get_401() {
    let fake = FakeDiscord::start().await;
    let db = support::sqlite().await;
    let bot = Instance::start(config(&fake, &db.url, false), &db, "http-a").await;
    // Commands are registered over REST at start.
    fake.request("PUT", &format!("/guilds/{}/commands", fake::GUILD), 1).await;

    let (status, pong) = interaction(
        bot.addr,
        &json!({"id": "1", "application_id": fake::APP_ID.to_string(), "type": 1, "token": "t", "version": 1}),
    )
    .await;
    assert_eq!((status, pong), (200, json!({"type": 1})), "PING is answered with PONG");

    let (status, reply) = interaction(bot.addr, &add_alice(fake.next_id())).await;
    assert_eq!(status, 200);
    assert!(reply["data"]["content"].as_str().unwrap().starts_with("Added"), "{reply}");
    let (status, reply) = interaction(bot.addr, &open(fake.next_id(), "VPN down")).await;
    assert_eq!((status, reply["type"].clone()), (200, json!(4)), "{reply}");
    assert_eq!(reply["data"]["flags"], 64, "ephemeral");
    assert!(reply["data"]["content"].as_str().unwrap().starts_with("Opened **ACME-1**"), "{reply}");
    // The thread comes from the outbox, over REST.
    fake.request("POST", &format!("/channels/{ACME_CHANNEL}/threads"), 1).await;
    assert_eq!(fake::validate_body("POST", "/interactions/1/t/callback", &reply), Ok(()), "a valid callback body");

    // Refused: a tampered body, a wrong key, missing headers. None has an effect.
    let payload = open(fake.next_id(), "Tampered").to_string();
    let headers = signed(&discord_key(), payload.as_bytes());
    let tampered = payload.replace("Tampered", "Tempered");
    assert_eq!(post(bot.addr, &headers, tampered.as_bytes()).await.0, 401, "tampered body");
    let wrong = SigningKey::from_bytes(&[8; 32]);
    assert_eq!(post(bot.addr, &signed(&wrong, payload.as_bytes()), payload.as_bytes()).await.0, 401, "wrong key");
    assert_eq!(post(bot.addr, &[], payload.as_bytes()).await.0, 401, "no headers");
    assert_eq!(post(bot.addr, &headers[..1], payload.as_bytes()).await.0, 401, "no timestamp");
    let garbled = vec![headers[0].clone(), ("X-Signature-Timestamp", (NOW + 1).to_string())];
    assert_eq!(post(bot.addr, &garbled, payload.as_bytes()).await.0, 401, "another timestamp");
    // Signed rightly, but more than five minutes from now: a replay, refused.
    for stale in [NOW - 301, NOW + 301] {
        let headers = signed_at(&discord_key(), payload.as_bytes(), stale);
        assert_eq!(post(bot.addr, &headers, payload.as_bytes()).await.0, 401, "signed at {stale}");
    }
    // A body over the limit is refused before anything reads it.
    let huge = vec![b'x'; priority_line::adapters::discord::BODY_LIMIT + 1];
    assert_eq!(post(bot.addr, &signed(&discord_key(), &huge), &huge).await.0, 413);

    let tickets = bot.app.ticket_thread(&"ACME-2".parse().unwrap()).await.unwrap();
    assert_eq!(tickets, None, "no ticket from a refused request");
    // Within five minutes it is fresh: the request is answered.
    let late = open(fake.next_id(), "Signed a while ago").to_string();
    let (status, reply) = post(bot.addr, &signed_at(&discord_key(), late.as_bytes(), NOW - 299), late.as_bytes()).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains("ACME-2"), "{reply}");

    // A rating's "Add a comment" is answered with its form (a modal), and
    // the form's submission (type 5) as the command it stands for.
    let alice = fake::member(ALICE, "alice", &[]);
    let thanks = fake::message(fake.next_id(), ACME_CHANNEL, fake::BOT_ID, &json!({"content": "Thank you"}));
    let press = fake::button(fake.next_id(), ACME_CHANNEL, alice.clone(), "comment:ACME-1:4", thanks);
    let (status, form) = interaction(bot.addr, &press).await;
    assert_eq!(
        (status, form["type"].clone(), form["data"]["custom_id"].clone()),
        (200, json!(9), json!("rating:ACME-1:4"))
    );
    assert_eq!(fake::validate_body("POST", "/interactions/1/t/callback", &form), Ok(()), "a valid modal: {form}");
    let submitted = fake::modal_submit(fake.next_id(), ACME_CHANNEL, alice, "rating:ACME-1:4", "comment", "Fast");
    let (status, reply) = interaction(bot.addr, &submitted).await;
    assert_eq!(status, 200);
    assert_eq!(reply["data"]["content"], "ACME-1 is open: it can be rated once it is closed", "{reply}");
    bot.stop().await;
    fake.assert_valid();
    db.finish().await;
}

/// A reply that shows a contact's e-mail or phone is given, and kept
/// nowhere: what is kept for a retried delivery of the interaction says
/// only that it was handled. (A refusal that quotes a mistyped address is
/// treated the same.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_with_contact_details_are_not_kept() {
    let fake = FakeDiscord::start().await;
    let db = support::sqlite().await;
    let bot = Instance::start(config(&fake, &db.url, false), &db, "http-a").await;
    let staff = || fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let contacts = |sub: &str, options: Value| json!([{"name": sub, "type": 1, "options": options}]);
    let add = contacts(
        "add",
        json!([{"name": "user", "type": 6, "value": ALICE.to_string()},
               {"name": "email", "type": 3, "value": "alice@acme.example"},
               {"name": "phone", "type": 3, "value": "+34 600 111 222"}]),
    );
    let (status, _) =
        interaction(bot.addr, &fake::slash(fake.next_id(), ACME_CHANNEL, staff(), "en-US", "contacts", add)).await;
    assert_eq!(status, 200);
    let list_id = fake.next_id();
    let list = fake::slash(list_id, ACME_CHANNEL, staff(), "en-US", "contacts", contacts("list", json!([])));
    let (_, reply) = interaction(bot.addr, &list).await;
    let shown = reply["data"]["content"].as_str().unwrap();
    assert!(shown.contains("alice@acme.example") && shown.contains("+34 600 111 222"), "{reply}");
    let mistyped_id = fake.next_id();
    let mistyped = contacts(
        "add",
        json!([{"name": "user", "type": 6, "value": "500000000000000002"},
               {"name": "email", "type": 3, "value": "bob-at-acme.example"}]),
    );
    let (_, refused) =
        interaction(bot.addr, &fake::slash(mistyped_id, ACME_CHANNEL, staff(), "en-US", "contacts", mistyped)).await;
    assert!(refused["data"]["content"].as_str().unwrap().contains("bob-at-acme.example"), "{refused}");
    for id in [list_id, mistyped_id] {
        let event = format!("interaction:{id}");
        // Kept once the response is on its way.
        let kept = loop {
            if let Some(Some(kept)) = bot.app.claimed_reply(&event).await.unwrap() {
                break kept;
            }
            tokio::task::yield_now().await;
        };
        assert!(!kept.contains("acme.example") && !kept.contains("600 111"), "{kept}");
        assert!(kept.contains("handled once"), "{kept}");
    }
    bot.stop().await;
    db.finish().await;
}

/// A retrying load balancer delivers the same interaction to two instances
/// on one PostgreSQL database: one ticket, one thread, and both responses
/// say the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_interaction_at_two_instances_opens_one_ticket() {
    let Some(db) = support::postgres().await else { return };
    let fake = FakeDiscord::start().await;
    let config = config(&fake, &db.url, false);
    let a = Instance::start(config.clone(), &db, "http-a").await;
    let b = Instance::start(config, &db, "http-b").await;
    interaction(a.addr, &add_alice(fake.next_id())).await;
    let payload = open(fake.next_id(), "Twice delivered");
    let (first, second) = tokio::join!(interaction(a.addr, &payload), interaction(b.addr, &payload));
    assert_eq!((first.0, second.0), (200, 200));
    for reply in [&first.1, &second.1] {
        assert!(reply["data"]["content"].as_str().is_some_and(|c| c.starts_with("Opened **ACME-1**")), "{reply}");
    }
    fake.request("POST", &format!("/channels/{ACME_CHANNEL}/threads"), 1).await;
    let (_, next) = interaction(b.addr, &open(fake.next_id(), "Another")).await;
    assert!(next["data"]["content"].as_str().unwrap().starts_with("Opened **ACME-2**"), "one ticket before it: {next}");
    fake.request("POST", &format!("/channels/{ACME_CHANNEL}/threads"), 2).await;
    let threads = fake.threads();
    assert_eq!(threads.len(), 2, "{threads:?}");
    let skipped = a.app.metrics().events_skipped.get() + b.app.metrics().events_skipped.get();
    assert_eq!(skipped, 1, "one instance left the duplicate alone");
    a.stop().await;
    b.stop().await;
    fake.assert_valid();
    db.finish().await;
}

/// Opens an L1 for Alice over the endpoint and returns its thread, once
/// the thread is recorded (its L1 ping follows the thread's job).
async fn an_l1_thread(fake: &FakeDiscord, bot: &Instance) -> u64 {
    interaction(bot.addr, &add_alice(fake.next_id())).await;
    interaction(bot.addr, &open(fake.next_id(), "VPN down")).await;
    fake.wait_for("the thread's ping", |f| {
        let t = f.threads().keys().next().copied()?;
        f.messages_in(t).iter().any(|m| m["content"].as_str().is_some_and(|c| c.contains("es Crítico"))).then_some(t)
    })
    .await
}

/// In HTTP mode the gateway session brings only the messages in threads:
/// with `ack_by_first_message`, a staff member's first one acknowledges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_http_mode_the_gateway_brings_thread_messages_only() {
    let fake = FakeDiscord::start().await;
    let db = support::sqlite().await;
    let bot = Instance::start(config(&fake, &db.url, true), &db, "http-a").await;
    fake.connected(1).await;
    let identify = fake.sent().into_iter().find(|s| s.op == 2).unwrap();
    assert_eq!(identify.d["intents"].as_u64().unwrap(), 1 | 512 | 32768, "GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT");
    let thread = an_l1_thread(&fake, &bot).await;
    let id = fake.next_id();
    fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread, ENGINEER, "engineer", &[STAFF_ROLE], "On it"));
    fake.wait_for("the acknowledgement post", |f| {
        f.messages_in(thread).into_iter().find(|m| m["content"].as_str().is_some_and(|c| c.contains("acusó recibo")))
    })
    .await;
    let puts = fake.requests().iter().filter(|r| r.method == "PUT" && r.path.ends_with("/commands")).count();
    assert_eq!(puts, 1, "registered once, at start, not again at READY");
    bot.stop().await;
    fake.assert_valid();
    db.finish().await;
}

/// Without first-message acknowledgements the session is kept all the
/// same: once `/ack` answered the ticket, a staff member's message in its
/// thread is a progress update (SPEC.md, after the first response).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_first_message_acknowledgements_a_staff_message_is_still_an_update() {
    let fake = FakeDiscord::start().await;
    let db = support::sqlite().await;
    let bot = Instance::start(config(&fake, &db.url, false), &db, "http-a").await;
    fake.connected(1).await;
    let thread = an_l1_thread(&fake, &bot).await;
    let staff = fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let ack = fake::slash(fake.next_id(), thread, staff, "en-US", "ack", json!([]));
    let (status, acked) = interaction(bot.addr, &ack).await;
    assert_eq!(status, 200);
    assert!(acked["data"]["content"].as_str().unwrap().contains("You acknowledged ACME-1"), "{acked}");

    let id = fake.next_id();
    fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread, ENGINEER, "engineer", &[STAFF_ROLE], "Rebooting"));
    let ticket = bot.app.store().ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    support::eventually(|| async {
        let events = bot.app.store().events(ticket.id).await.unwrap();
        match events.iter().any(|e| matches!(e.kind, EventKind::Updated { by_message: true, .. })) {
            true => Ok(()),
            false => Err(format!("the staff message was not an update: {events:#?}")),
        }
    })
    .await;
    bot.stop().await;
    fake.assert_valid();
    db.finish().await;
}

/// A reply that uploads a file (the summary's chart) cannot travel in the
/// HTTP response: the endpoint defers, then edits the answer in over REST
/// with the chart as `files[0]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_is_deferred_and_edited_in_with_its_chart() {
    let fake = FakeDiscord::start().await;
    let db = support::sqlite().await;
    let bot = Instance::start(config(&fake, &db.url, false), &db, "http-a").await;
    let week = json!([{"name": "week", "type": 3, "value": "2026-W48"}]);
    let staff = fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let id = fake.next_id();
    let (status, reply) = interaction(bot.addr, &fake::slash(id, ACME_CHANNEL, staff, "en-US", "summary", week)).await;
    assert_eq!((status, reply["type"].clone(), reply["data"]["flags"].clone()), (200, json!(5), json!(64)), "{reply}");
    let edit = fake.request("PATCH", "/messages/@original", 1).await;
    assert_eq!(edit.body["embeds"][0]["title"], "Weekly summary 2026-W48 · all customers");
    assert_eq!(edit.body["embeds"][0]["image"]["url"], "attachment://summary-2026-W48-all.png");
    assert_eq!(edit.files.len(), 1);
    assert_eq!(&edit.files[0].bytes[..4], b"\x89PNG");
    bot.stop().await;
    fake.assert_valid();
    db.finish().await;
}
