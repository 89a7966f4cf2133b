//! Interaction-to-callback latency through the fake Discord on loopback: the
//! real serenity client of the library, fed `/ticket open` interactions over
//! the gateway at a steady rate, timed from the dispatch to the arrival of the
//! bot's interaction callback at the fake. Reports p50, p99 and max.
//!
//! `cargo bench --bench discord_latency`; BENCH_SECONDS sets how long each
//! rate runs (default 60), BENCH_RATES the rates (default "1,50,200").
//! Figures: docs/performance.md.

#[allow(dead_code)]
#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::FakeDiscord;
use priority_line::app::{App, Invocation, ManualClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::storage::Store;
use serde_json::json;

const ACME_CHANNEL: u64 = 310000000000000001;
const ENGINEER: u64 = 410000000000000001;
const ALICE: u64 = 500000000000000001;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run_rate(fake: &FakeDiscord, rate: u32, seconds: u32, report: bool) {
    let n = (rate * seconds) as usize;
    let mut sent: HashMap<u64, Instant> = HashMap::with_capacity(n);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..n {
        ticker.tick().await;
        let id = fake.next_id();
        let options = json!([{"name": "open", "type": 1, "options": [
            {"name": "summary", "type": 3, "value": format!("Benchmark ticket {i}")},
            {"name": "severity", "type": 4, "value": 2}
        ]}]);
        let member = fake_discord::member(ALICE, "alice", &[]);
        sent.insert(id, Instant::now());
        fake.dispatch("INTERACTION_CREATE", fake_discord::slash(id, ACME_CHANNEL, member, "en-US", "ticket", options));
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
    let missing = n - latencies.len();
    if !report {
        return;
    }
    println!(
        "{rate:>4}/s for {seconds} s: {n} interactions, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms{}",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        if missing > 0 { format!(", {missing} UNANSWERED") } else { String::new() }
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u32 = std::env::var("BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
    let rates: Vec<u32> = std::env::var("BENCH_RATES")
        .unwrap_or_else(|_| "1,50,200".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let fake = FakeDiscord::start_unchecked().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/bench.db", dir.path().display())).await.unwrap();
    let config = Config::load(Path::new("config/example.toml")).unwrap();
    let mut discord = config.discord.clone().unwrap();
    discord.api_base = fake.api_base();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let app = App::new(Arc::new(config), store, clock);
    let staff = Invocation {
        user: Snowflake(ENGINEER),
        is_staff: true,
        channel: Snowflake(ACME_CHANNEL),
        language: None,
        event: None,
    };
    app.handle_input(&staff, "contacts add", &[("user".into(), ALICE.to_string())]).await;
    let bot = app.clone();
    tokio::spawn(async move {
        priority_line::adapters::discord::run(bot, &discord, "bench-token", std::future::pending()).await
    });
    fake.connected(1).await;
    // Warm-up (connections, statement caches), not reported.
    run_rate(&fake, 50, 1, false).await;
    println!("SQLite file storage, L2 /ticket open by one contact (thread, card and posts follow each reply)");
    for rate in rates {
        run_rate(&fake, rate, seconds, true).await;
    }
}
