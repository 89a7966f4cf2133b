//! Interaction latency through the fake Discord on loopback, in one run:
//! over the gateway (dispatch → the first interaction callback at the fake)
//! and at the HTTP Interactions Endpoint (signed POST → response), with one
//! instance and with two instances on one PostgreSQL database, each beside two
//! floors measured by the same harness: a bare handler that answers the same
//! interaction with a constant reply and touches no storage, and a
//! committing one that first commits what an open commits (the event's
//! claim, the customer's counter, the ticket, its event and four outbox
//! rows) in one transaction (over the gateway, a serenity client of its
//! own; over HTTP, an endpoint that verifies the signature). The
//! interaction is `/ticket open` by a contact, at a steady rate (default
//! 200/s).
//!
//! `cargo bench --bench discord_latency`; BENCH_SECONDS sets how long each
//! measurement runs (default 20), BENCH_RATE the rate, BENCH_MODES and
//! BENCH_INSTANCES which to run (default "gateway,http" and "1,2"). Needs PostgreSQL
//! (PRIORITY_LINE_TEST_POSTGRES, default the local server). Figures:
//! docs/performance.md.

mod common;
#[allow(dead_code)]
#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use ed25519_dalek::{Signer, SigningKey};
use fake_discord::FakeDiscord;
use priority_line::adapters::discord::Bot;
use priority_line::app::{App, SystemClock};
use priority_line::config::{Config, Interactions};
use priority_line::storage::Store;
use serde_json::{json, Value};
use serenity::all::{Context, CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler, Interaction};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACME_CHANNEL: u64 = 310000000000000001;
const ALICE: u64 = 500000000000000001;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank: the value at rank ceil(p·n).
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn open_payload(id: u64, i: usize) -> Value {
    let options = json!([{"name": "open", "type": 1, "options": [
        {"name": "summary", "type": 3, "value": format!("Benchmark ticket {i}")},
        {"name": "severity", "type": 4, "value": 2}
    ]}]);
    fake_discord::slash(id, ACME_CHANNEL, fake_discord::member(ALICE, "alice", &[]), "en-US", "ticket", options)
}

/// Latencies of `n` interactions dispatched over the gateway at `rate`.
async fn over_gateway(fake: &FakeDiscord, rate: u32, n: usize) -> Vec<Duration> {
    let mut sent: HashMap<u64, Instant> = HashMap::with_capacity(n);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..n {
        ticker.tick().await;
        let id = fake.next_id();
        sent.insert(id, Instant::now());
        fake.dispatch("INTERACTION_CREATE", open_payload(id, i));
    }
    let give_up = Instant::now() + Duration::from_secs(60);
    let times = loop {
        let times = fake.callback_times();
        if sent.keys().all(|id| times.contains_key(id)) || Instant::now() > give_up {
            break times;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut latencies: Vec<Duration> =
        sent.iter().filter_map(|(id, at)| times.get(id).map(|back| back.saturating_duration_since(*at))).collect();
    latencies.sort();
    latencies
}

/// One signed POST over a fresh connection; the time to the whole response.
async fn post(addr: SocketAddr, body: String) -> Option<Duration> {
    let started = Instant::now();
    // Signed now: the endpoint refuses timestamps more than five minutes away.
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature: String = key()
        .sign(&[timestamp.as_bytes(), body.as_bytes()].concat())
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = tcp.set_nodelay(true);
    let request = format!(
        "POST /interactions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         X-Signature-Ed25519: {signature}\r\nX-Signature-Timestamp: {timestamp}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.ok()?;
    response.starts_with(b"HTTP/1.1 200").then(|| started.elapsed())
}

/// Latencies of `n` interactions posted at `rate`, alternating between `addrs`
/// (a load balancer's round robin).
async fn over_http(fake: &FakeDiscord, addrs: &[SocketAddr], rate: u32, n: usize) -> Vec<Duration> {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        ticker.tick().await;
        let body = open_payload(fake.next_id(), i).to_string();
        tasks.push(tokio::spawn(post(addrs[i % addrs.len()], body)));
    }
    let mut latencies = Vec::with_capacity(n);
    for t in tasks {
        if let Ok(Some(d)) = t.await {
            latencies.push(d);
        }
    }
    latencies.sort();
    latencies
}

/// What a floor handler commits before it answers: nothing (bare), or the
/// rows an open commits, in one transaction on its own database.
#[derive(Clone)]
struct Floor {
    commit: Option<sqlx::PgPool>,
}

impl Floor {
    /// The event's claim, the customer's counter, the ticket, its `opened`
    /// event and four outbox rows (thread, card, two escalation steps): what
    /// `/ticket open` of an L2 writes, as plain SQL in one transaction.
    /// Whether this handler answers: with two instances over the gateway,
    /// both see every interaction, and the one whose claim loses does not.
    async fn answer(&self, interaction: u64) -> bool {
        let Some(pool) = &self.commit else { return true };
        let now = chrono::Utc::now().timestamp_millis();
        let mut tx = pool.begin().await.unwrap();
        let claimed = sqlx::query(
            "INSERT INTO event_claims (event, claimed_at, instance) VALUES ($1, $2, 'floor') ON CONFLICT DO NOTHING",
        )
        .bind(format!("interaction:{interaction}"))
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        if claimed.rows_affected() == 0 {
            return false;
        }
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO customer_seq (customer, last_ticket) VALUES ('ACME', 1)
             ON CONFLICT (customer) DO UPDATE SET last_ticket = customer_seq.last_ticket + 1 RETURNING last_ticket",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        let ticket: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (customer, seq, opened_by, severity, kind, summary, state, opened_at, due_at)
             VALUES ('ACME', $1, $2, 2, 'incident', 'Benchmark ticket', 'open', $3, $4) RETURNING id",
        )
        .bind(seq)
        .bind(ALICE as i64)
        .bind(now)
        .bind(now + 4 * 3_600_000)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, 'opened', '{}')",
        )
        .bind(ticket)
        .bind(now)
        .bind(ALICE as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            r#"INSERT INTO outbox (ticket_id, step, job, due_at) VALUES
               ($1, NULL, '{"kind":"thread"}', $2), ($1, NULL, '{"kind":"card"}', $2),
               ($1, '75%', '{"kind":"step"}', $3), ($1, 'breach', '{"kind":"step"}', $4)"#,
        )
        .bind(ticket)
        .bind(now)
        .bind(now + 3 * 3_600_000)
        .bind(now + 4 * 3_600_000)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        true
    }
}

/// A floor over the gateway: answers every interaction with a constant
/// reply, after committing what the floor commits.
struct OverGateway(Floor);

#[async_trait]
impl EventHandler for OverGateway {
    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(c) = interaction {
            if !self.0.answer(c.id.get()).await {
                return;
            }
            let reply = CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content("Opened.").ephemeral(true),
            );
            let _ = c.create_response(&ctx.http, reply).await;
        }
    }
}

async fn floor_gateway(fake: &FakeDiscord, floor: Floor) -> tokio::task::JoinHandle<()> {
    let http = serenity::all::HttpBuilder::new("bench-token").proxy(fake.api_base()).ratelimiter_disabled(true).build();
    let mut client = serenity::all::ClientBuilder::new_with_http(http, serenity::all::GatewayIntents::GUILDS)
        .event_handler(OverGateway(floor))
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = client.start().await;
    })
}

/// A floor over HTTP: verifies the signature, reads the interaction,
/// commits what the floor commits, answers a constant.
async fn floor_endpoint(floor: Floor) -> SocketAddr {
    let verifier = serenity::interactions_endpoint::Verifier::try_new(key().verifying_key().to_bytes()).unwrap();
    let router = axum::Router::new().route(
        "/interactions",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (verifier, floor) = (verifier.clone(), floor.clone());
            async move {
                let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                if verifier.verify(&header("x-signature-ed25519"), &header("x-signature-timestamp"), &body).is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                }
                let interaction: Interaction = serde_json::from_slice(&body).unwrap();
                if let Interaction::Command(c) = &interaction {
                    // One endpoint gets each interaction: it always answers.
                    floor.answer(c.id.get()).await;
                }
                axum::Json(json!({"type": 4, "data": {"content": "Opened.", "flags": 64}})).into_response()
            }
        }),
    );
    serve(router).await
}

/// The committing floor's database: migrated as the bot's, its own.
async fn committing(tag: &str) -> Option<(common::Scratch, Floor)> {
    let scratch = common::Scratch::create(tag).await?;
    Store::connect(&scratch.url).await.unwrap().close().await;
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(10).connect(&scratch.url).await.unwrap();
    Some((scratch, Floor { commit: Some(pool) }))
}

/// Latencies of a floor (one handler per instance) at `rate`.
async fn measure_floor(mode: &str, floor: Floor, instances: usize, rate: u32, n: usize) -> Vec<Duration> {
    let fake = FakeDiscord::start_unchecked(fake_discord::Limits::GENEROUS).await;
    if mode == "gateway" {
        let mut handlers = Vec::new();
        for _ in 0..instances {
            handlers.push(floor_gateway(&fake, floor.clone()).await);
        }
        fake.wait_for("the floor's sessions", |f| (f.open_sessions() == instances).then_some(())).await;
        over_gateway(&fake, 50, 50).await; // warm-up
        let measured = over_gateway(&fake, rate, n).await;
        handlers.iter().for_each(|h| h.abort());
        measured
    } else {
        let mut endpoints = Vec::new();
        for _ in 0..instances {
            endpoints.push(floor_endpoint(floor.clone()).await);
        }
        over_http(&fake, &endpoints, 50, 50).await;
        over_http(&fake, &endpoints, rate, n).await
    }
}

async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// The example configuration on `url`, pointed at the fake, in `mode`.
fn config(fake: &FakeDiscord, url: &str, http: bool) -> Arc<Config> {
    let mut config = Config::load(Path::new("config/example.toml")).unwrap();
    config.storage.url = url.to_owned();
    let discord = config.discord.as_mut().unwrap();
    discord.api_base = fake.api_base();
    discord.ack_by_first_message = false;
    if http {
        discord.interactions = Interactions::Http { public_key: key().verifying_key().to_bytes() };
    }
    Arc::new(config)
}

/// Running bots, stopped when dropped.
struct Bots {
    /// Their endpoints (HTTP mode).
    endpoints: Vec<SocketAddr>,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Bots {
    /// `instances` bots on one database, each with a pool of its own.
    /// With `BENCH_DELIVER=0` (HTTP mode only, for diagnosis) the bots
    /// answer interactions but do not run: no outbox deliveries beside them.
    async fn start(config: &Arc<Config>, url: &str, instances: usize) -> Bots {
        let deliver = std::env::var("BENCH_DELIVER").map_or(true, |v| v != "0");
        let mut bots = Bots { endpoints: Vec::new(), stops: Vec::new() };
        for i in 0..instances {
            let store = Store::connect(url).await.unwrap();
            let app = App::new(config.clone(), store, Arc::new(SystemClock)).named(&format!("bench-{i}"));
            let bot = Bot::new(app, config.discord.as_ref().unwrap(), "bench-token").unwrap();
            if let Some(routes) = bot.routes().unwrap() {
                bots.endpoints.push(serve(routes).await);
            }
            if !deliver && !bots.endpoints.is_empty() {
                continue;
            }
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            bots.stops.push(stop);
            tokio::spawn(bot.run(async move {
                let _ = stopped.await;
            }));
        }
        bots
    }

    async fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn line(label: &str, bare: &[Duration], committing: &[Duration], bot: &[Duration], n: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (bare99, commit99, bot99) = (percentile(bare, 0.99), percentile(committing, 0.99), percentile(bot, 0.99));
    let answered = [bare.len(), committing.len(), bot.len()];
    println!(
        "{label:<22} bare p50 {:.2} p99 {:.2} | committing p50 {:.2} p99 {:.2} | bot p50 {:.2} p99 {:.2} max {:.2} ms \
         | bot p99 / bare {:.1}, / committing {:.2}{}",
        ms(percentile(bare, 0.5)),
        ms(bare99),
        ms(percentile(committing, 0.5)),
        ms(commit99),
        ms(percentile(bot, 0.5)),
        ms(bot99),
        ms(*bot.last().unwrap()),
        bot99.as_secs_f64() / bare99.as_secs_f64(),
        bot99.as_secs_f64() / commit99.as_secs_f64(),
        if answered.iter().any(|a| *a < n) {
            format!(" (answered of {n}: bare {}, committing {}, bot {})", answered[0], answered[1], answered[2])
        } else {
            String::new()
        }
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u32 = std::env::var("BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let rate: u32 = std::env::var("BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let n = (rate * seconds) as usize;
    println!(
        "/ticket open by a contact at {rate}/s for {seconds} s ({n} interactions) per measurement; PostgreSQL storage"
    );
    let modes = std::env::var("BENCH_MODES").unwrap_or_else(|_| "gateway,http".into());
    let counts = std::env::var("BENCH_INSTANCES").unwrap_or_else(|_| "1,2".into());
    for mode in modes.split(',').map(str::trim) {
        for instances in counts.split(',').filter_map(|c| c.trim().parse::<usize>().ok()) {
            let Some(scratch) = common::Scratch::create(&format!("latency_{mode}_{instances}")).await else { return };
            // Alice is a contact of ACME.
            {
                let store = Store::connect(&scratch.url).await.unwrap();
                let app = App::new(
                    Arc::new(Config::load(Path::new("config/example.toml")).unwrap()),
                    store.clone(),
                    Arc::new(SystemClock),
                );
                common::add_acme_contact(&app, ALICE).await;
                store.close().await;
            }
            let label = format!("{mode}, {instances} instance{}", if instances > 1 { "s" } else { "" });
            let bare = measure_floor(mode, Floor { commit: None }, instances, rate, n).await;
            let Some((floor_db, floor)) = committing(&format!("floor_{mode}_{instances}")).await else { return };
            let committed = measure_floor(mode, floor, instances, rate, n).await;
            floor_db.drop_now().await;
            let bot = match mode {
                "gateway" => {
                    let fake = FakeDiscord::start_unchecked(fake_discord::Limits::GENEROUS).await;
                    let config = config(&fake, &scratch.url, false);
                    let bots = Bots::start(&config, &scratch.url, instances).await;
                    fake.wait_for("the bots' sessions", |f| (f.open_sessions() == instances).then_some(())).await;
                    over_gateway(&fake, 50, 50).await;
                    let measured = over_gateway(&fake, rate, n).await;
                    bots.stop().await;
                    measured
                }
                _ => {
                    let fake = FakeDiscord::start_unchecked(fake_discord::Limits::GENEROUS).await;
                    let config = config(&fake, &scratch.url, true);
                    let bots = Bots::start(&config, &scratch.url, instances).await;
                    over_http(&fake, &bots.endpoints, 50, 50).await;
                    let measured = over_http(&fake, &bots.endpoints, rate, n).await;
                    bots.stop().await;
                    measured
                }
            };
            line(&label, &bare, &committed, &bot, n);
            tokio::time::sleep(Duration::from_secs(1)).await;
            scratch.drop_now().await;
        }
    }
}
