//! Interaction latency through the fake Discord on loopback, in one run:
//! over the gateway (dispatch → the first interaction callback at the fake)
//! and at the HTTP Interactions Endpoint (signed POST → response), with one
//! instance and with two instances on one PostgreSQL database, each beside a
//! floor measured by the same harness: a bare handler that answers the same
//! interaction with a constant reply and touches no storage (over the
//! gateway, a serenity client of its own; over HTTP, an endpoint that
//! verifies the signature and answers). The interaction is `/ticket open`
//! by a contact, at a steady rate (default 200/s).
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
use priority_line::app::{App, Invocation, SystemClock};
use priority_line::config::{Config, Interactions};
use priority_line::domain::customer::Snowflake;
use priority_line::storage::Store;
use serde_json::{json, Value};
use serenity::all::{Context, CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler, Interaction};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACME_CHANNEL: u64 = 310000000000000001;
const ENGINEER: u64 = 410000000000000001;
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

/// The floor over the gateway: answers every interaction with a constant reply.
struct Bare;

#[async_trait]
impl EventHandler for Bare {
    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(c) = interaction {
            let reply = CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content("Opened.").ephemeral(true),
            );
            let _ = c.create_response(&ctx.http, reply).await;
        }
    }
}

async fn bare_gateway(fake: &FakeDiscord) -> tokio::task::JoinHandle<()> {
    let http = serenity::all::HttpBuilder::new("bench-token").proxy(fake.api_base()).ratelimiter_disabled(true).build();
    let mut client = serenity::all::ClientBuilder::new_with_http(http, serenity::all::GatewayIntents::GUILDS)
        .event_handler(Bare)
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = client.start().await;
    })
}

/// The floor over HTTP: verifies the signature, reads the interaction, answers a constant.
async fn bare_endpoint() -> SocketAddr {
    let verifier = serenity::interactions_endpoint::Verifier::try_new(key().verifying_key().to_bytes()).unwrap();
    let router = axum::Router::new().route(
        "/interactions",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let verifier = verifier.clone();
            async move {
                let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                if verifier.verify(&header("x-signature-ed25519"), &header("x-signature-timestamp"), &body).is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED.into_response();
                }
                let _: Interaction = serde_json::from_slice(&body).unwrap();
                axum::Json(json!({"type": 4, "data": {"content": "Opened.", "flags": 64}})).into_response()
            }
        }),
    );
    serve(router).await
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

fn line(label: &str, floor: &[Duration], bot: &[Duration], n: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (f99, b99) = (percentile(floor, 0.99), percentile(bot, 0.99));
    println!(
        "{label:<22} floor p50 {:.2} p99 {:.2} ms | bot p50 {:.2} p99 {:.2} max {:.2} ms | p99 ratio {:.2}{}",
        ms(percentile(floor, 0.5)),
        ms(f99),
        ms(percentile(bot, 0.5)),
        ms(b99),
        ms(*bot.last().unwrap()),
        b99.as_secs_f64() / f99.as_secs_f64(),
        if bot.len() < n || floor.len() < n {
            format!(" ({} bot / {} floor of {n} answered)", bot.len(), floor.len())
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
                let staff = Invocation {
                    user: Snowflake(ENGINEER),
                    is_staff: true,
                    is_specialist: false,
                    channel: Snowflake(ACME_CHANNEL),
                    language: None,
                    event: None,
                    named_staff: vec![],
                };
                app.handle_input(&staff, "contacts add", &[("user".into(), ALICE.to_string())]).await;
                store.close().await;
            }
            let label = format!("{mode}, {instances} instance{}", if instances > 1 { "s" } else { "" });
            let (floor, bot) = match mode {
                "gateway" => {
                    let floor_fake = FakeDiscord::start_unchecked().await;
                    let mut floors = Vec::new();
                    for _ in 0..instances {
                        floors.push(bare_gateway(&floor_fake).await);
                    }
                    floor_fake.connected(instances).await;
                    floor_fake
                        .wait_for("the floor's sessions", |f| (f.open_sessions() == instances).then_some(()))
                        .await;
                    over_gateway(&floor_fake, 50, 50).await; // warm-up
                    let floor = over_gateway(&floor_fake, rate, n).await;
                    floors.iter().for_each(|f| f.abort());
                    let fake = FakeDiscord::start_unchecked().await;
                    let config = config(&fake, &scratch.url, false);
                    let bots = Bots::start(&config, &scratch.url, instances).await;
                    fake.wait_for("the bots' sessions", |f| (f.open_sessions() == instances).then_some(())).await;
                    over_gateway(&fake, 50, 50).await;
                    let measured = over_gateway(&fake, rate, n).await;
                    bots.stop().await;
                    (floor, measured)
                }
                _ => {
                    let fake = FakeDiscord::start_unchecked().await;
                    let mut floors = Vec::new();
                    for _ in 0..instances {
                        floors.push(bare_endpoint().await);
                    }
                    over_http(&fake, &floors, 50, 50).await;
                    let floor = over_http(&fake, &floors, rate, n).await;
                    let config = config(&fake, &scratch.url, true);
                    let bots = Bots::start(&config, &scratch.url, instances).await;
                    over_http(&fake, &bots.endpoints, 50, 50).await;
                    let measured = over_http(&fake, &bots.endpoints, rate, n).await;
                    bots.stop().await;
                    (floor, measured)
                }
            };
            line(&label, &floor, &bot, n);
            tokio::time::sleep(Duration::from_secs(1)).await;
            scratch.drop_now().await;
        }
    }
}
