//! How soon a TAM hears of an L1: the time from a contact's `/ticket open`
//! (the interaction dispatched over the fake Discord's gateway) to the TAM
//! ping's request arriving at the fake, for L1 tickets opened at a steady
//! rate (default 5 a second), measured twice on fresh storage: with every
//! request answered at once, and with the first ticket's thread creation
//! answered after 10 s. Each ticket's jobs go in order (its ping follows its
//! thread), tickets go side by side: the slow request should hold up its
//! own ticket only. The first ticket is left out of both runs' figures and
//! reported on its own.
//!
//! `cargo bench --bench ping_latency`; BENCH_TICKETS (default 100),
//! BENCH_RATE (default 5), BENCH_SLOW_SECONDS (default 10) and
//! BENCH_STORAGE (`sqlite`, `postgres` or both, the default) set the run.
//! PostgreSQL: PRIORITY_LINE_TEST_POSTGRES, default the local server.
//! Figures: docs/performance.md.

mod common;
#[allow(dead_code)]
#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Slow};
use priority_line::adapters::discord::Bot;
use priority_line::app::{App, SystemClock};
use priority_line::config::Config;
use priority_line::storage::Store;
use serde_json::json;

const ACME_CHANNEL: u64 = 310000000000000001;
const ALICE: u64 = 500000000000000001;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank: the value at rank ceil(p·n).
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The bot on `url` against `fake`, Alice a contact of Acme.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops the bot and waits until it has let go of its storage, so that
    /// the next run starts on a quiet machine and its database can go.
    async fn stop(self) {
        let _ = self.stop.send(());
        match tokio::time::timeout(Duration::from_secs(30), self.task).await {
            Ok(Ok(Ok(()))) => {}
            ended => eprintln!("the bot did not stop cleanly: {ended:?}"),
        }
    }
}

async fn start_bot(fake: &FakeDiscord, url: &str) -> Running {
    let mut config = Config::load(Path::new("config/example.toml")).unwrap();
    config.storage.url = url.to_owned();
    let discord = config.discord.as_mut().unwrap();
    discord.api_base = fake.api_base();
    let config = Arc::new(config);
    let store = Store::connect(url).await.unwrap();
    let app = App::new(config.clone(), store, Arc::new(SystemClock)).named("bench");
    common::add_acme_contact(&app, ALICE).await;
    let bot = Bot::new(app, config.discord.as_ref().unwrap(), "bench-token").unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(bot.run(async move {
        let _ = stopped.await;
    }));
    fake.wait_for("the bot's session", |f| (f.open_sessions() == 1).then_some(())).await;
    Running { stop, task }
}

/// Each ticket's time from its opening to its TAM ping, in opening order
/// (`None`: no ping within a minute of the last opening).
async fn pings(fake: &FakeDiscord, rate: f64, tickets: usize) -> Vec<Option<Duration>> {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut opened = Vec::with_capacity(tickets);
    for i in 0..tickets {
        ticker.tick().await;
        let options = json!([{"name": "open", "type": 1, "options": [
            {"name": "summary", "type": 3, "value": format!("Benchmark ticket {i}")},
            {"name": "severity", "type": 4, "value": 1}
        ]}]);
        let alice = fake_discord::member(ALICE, "alice", &[]);
        let id = fake.next_id();
        opened.push(Instant::now());
        fake.dispatch("INTERACTION_CREATE", fake_discord::slash(id, ACME_CHANNEL, alice, "en-US", "ticket", options));
    }
    let ping_of = |f: &FakeDiscord, i: usize| {
        // The ping names the ticket's summary: "…: Benchmark ticket 7. Primera respuesta…".
        let words = format!(": Benchmark ticket {i}. ");
        f.requests().into_iter().find(|r| {
            r.method == "POST"
                && r.path.ends_with("/messages")
                && r.body["content"].as_str().is_some_and(|c| c.contains("(L1)") && c.contains(&words))
        })
    };
    // Polled, not woken at every request: checking all tickets after each of
    // the fake's hundreds of requests would take CPU from the bot being
    // measured. The figures come from the requests' own arrival times.
    let give_up = Instant::now() + Duration::from_secs(60);
    while (0..tickets).any(|i| ping_of(fake, i).is_none()) && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (0..tickets).map(|i| ping_of(fake, i).map(|r| r.at.saturating_duration_since(opened[i]))).collect()
}

async fn run(storage: &str, url: &str, slow: Option<Duration>, rate: f64, tickets: usize) {
    let fake = FakeDiscord::start_unchecked(fake_discord::Limits::GENEROUS).await;
    let bot = start_bot(&fake, url).await;
    if let Some(delay) = slow {
        let path_suffix = format!("/channels/{ACME_CHANNEL}/threads");
        fake.slow_next(Slow { method: "POST", path_suffix, delay });
    }
    let times = pings(&fake, rate, tickets).await;
    bot.stop().await;
    let mut others: Vec<Duration> = times.iter().skip(1).flatten().copied().collect();
    others.sort();
    let missing = tickets - 1 - others.len();
    let first = times[0].map_or("none within a minute".to_owned(), |d| format!("{:.0} ms", ms(d)));
    let label = match slow {
        Some(d) => format!("{storage}, first thread {} s", d.as_secs()),
        None => format!("{storage}, no slow request"),
    };
    println!(
        "{label:<28} other tickets: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms{} | first ticket: {first}",
        ms(percentile(&others, 0.5)),
        ms(percentile(&others, 0.99)),
        ms(*others.last().unwrap_or(&Duration::ZERO)),
        if missing > 0 { format!(" ({missing} never pinged)") } else { String::new() },
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tickets: usize = env("BENCH_TICKETS", 100);
    let rate: f64 = env("BENCH_RATE", 5.0);
    let slow = Duration::from_secs(env("BENCH_SLOW_SECONDS", 10));
    let storages = std::env::var("BENCH_STORAGE").unwrap_or_else(|_| "sqlite,postgres".into());
    println!("{tickets} L1 tickets opened at {rate}/s; from each opening to its TAM ping at the fake Discord");
    for storage in storages.split(',').map(str::trim) {
        for slowed in [None, Some(slow)] {
            match storage {
                "sqlite" => {
                    let dir = tempfile::tempdir().unwrap();
                    let url = format!("sqlite://{}/bench.db", dir.path().display());
                    run(storage, &url, slowed, rate, tickets).await;
                }
                _ => {
                    let Some(scratch) = common::Scratch::create("ping").await else { return };
                    run(storage, &scratch.url, slowed, rate, tickets).await;
                    scratch.drop_now().await;
                }
            }
        }
    }
}
