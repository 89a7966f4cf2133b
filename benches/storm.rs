//! The busiest day: 60 L1 tickets from 20 customers opened at once (three
//! contacts' opens each), against the project's fake Discord keeping
//! Discord's limits (a global 50 a second, interactions aside; per channel
//! 5 messages, 5 thread creations, 5 edits and 5 member additions every 5
//! s), with a 60 s first-response target, so that every breach falls due
//! together a minute later. Run with one instance on SQLite and two on
//! PostgreSQL (in this process, each with its own storage pool).
//!
//! Reported: the interactions' answer p99; the TAM pings' p50/p99 (from
//! the open's dispatch to the ping's arrival at the fake); the breach
//! notices' lateness in the escalation channel p50/p99 (from each ticket's
//! deadline to the request that put its line in a message there);
//! requests and 429s by scope; and the floor the limits alone impose on
//! the last ping (the thread creations and pings at 50 a second).
//!
//! `cargo bench --bench storm`; BENCH_STORAGE (`sqlite`, `postgres` or
//! both, the default), BENCH_CUSTOMERS (20) and BENCH_PER_CUSTOMER (3) set
//! the run. PostgreSQL: PRIORITY_LINE_TEST_POSTGRES, default the local
//! server. Figures: docs/performance.md.

mod common;
#[allow(dead_code)]
#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;
#[allow(dead_code)]
#[path = "../tests/support/storm.rs"]
mod storm;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Limits};
use priority_line::adapters::discord::Bot;
use priority_line::app::{App, SystemClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::storage::{NewContact, Store};

const ESCALATION_CHANNEL: u64 = 310000000000000009;
/// The first-response target of the storm's L1 tickets.
const TARGET: Duration = Duration::from_secs(60);

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank: the value at rank ceil(p·n).
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied().unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// An instance: on SQLite with the one store (one process owns the file),
/// on PostgreSQL with a pool of its own.
async fn start(config: &Arc<Config>, shared: &Store, url: &str, name: &str) -> (Running, App) {
    let store = match shared.backend() {
        priority_line::storage::Backend::Sqlite => shared.clone(),
        priority_line::storage::Backend::Postgres => Store::connect(url).await.unwrap(),
    };
    let app = App::new(config.clone(), store, Arc::new(SystemClock)).named(name);
    let bot = Bot::new(app.clone(), config.discord.as_ref().unwrap(), "bench-token").unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(bot.run(async move {
        let _ = stopped.await;
    }));
    (Running { stop, task }, app)
}

async fn run(label: &str, url: &str, instances: usize, customers: usize, per_customer: usize) {
    let fake = FakeDiscord::start_unchecked(Limits::DISCORD).await;
    let list = storm::customers(customers);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("storm.toml");
    std::fs::write(&path, storm::config(&fake, url, &list, &format!("{}s", TARGET.as_secs()))).unwrap();
    let config = Arc::new(Config::load(&path).unwrap());
    let setup = Store::connect(url).await.unwrap();
    for c in &list {
        let at = chrono::Utc::now();
        setup
            .add_contact(&c.key, &NewContact::default(), (Snowflake(c.contact), at, Snowflake(1)), None)
            .await
            .unwrap();
    }
    let mut bots = Vec::new();
    let mut apps = Vec::new();
    for i in 0..instances {
        let (bot, app) = start(&config, &setup, url, &format!("storm-{i}")).await;
        fake.connected(i + 1).await;
        bots.push(bot);
        apps.push(app);
    }
    let tickets = customers * per_customer;

    // Everyone at once.
    let mut opened: HashMap<u64, Instant> = HashMap::new();
    for n in 1..=per_customer {
        for c in &list {
            let id = fake.next_id();
            opened.insert(id, Instant::now());
            fake.dispatch("INTERACTION_CREATE", storm::open(id, c, n));
        }
    }
    let storm_start = *opened.values().min().unwrap();
    // Until every breach's line is in the escalation channel (or long after
    // the deadlines).
    let give_up = Instant::now() + TARGET + Duration::from_secs(120);
    while storm::escalated(&fake, ESCALATION_CHANNEL).len() < tickets && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for bot in bots {
        let _ = bot.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(30), bot.task).await;
    }

    let requests = fake.requests();
    // Interactions: answered within?
    let callbacks = fake.callback_times();
    let mut answers: Vec<Duration> =
        opened.iter().filter_map(|(id, at)| callbacks.get(id).map(|c| c.saturating_duration_since(*at))).collect();
    answers.sort();
    // Pings: each ticket's, by its number, from its open's dispatch (the
    // tickets' numbers follow the opens' order within each customer).
    let mut pings = Vec::new();
    let mut ping_at: HashMap<String, Instant> = HashMap::new();
    for r in requests.iter().filter(|r| r.method == "POST" && r.status == 200 && r.path.ends_with("/messages")) {
        let content = r.body["content"].as_str().unwrap_or_default();
        if let Some(number) = content.contains("is Critical (L1)").then(|| content.split("**").nth(1)).flatten() {
            ping_at.entry(number.to_owned()).or_insert(r.at);
        }
    }
    for at in ping_at.values() {
        pings.push(at.saturating_duration_since(storm_start));
    }
    pings.sort();
    // Breach notices: when each ticket's line first reached the escalation
    // channel, against its deadline.
    let mut lateness = Vec::new();
    let mut line_at: HashMap<String, Instant> = HashMap::new();
    for r in
        requests.iter().filter(|r| r.status == 200 && r.path.starts_with(&format!("/channels/{ESCALATION_CHANNEL}/")))
    {
        for line in r.body["content"].as_str().unwrap_or_default().lines() {
            if let Some(number) = line.strip_prefix("• **").and_then(|l| l.split("**").next()) {
                line_at.entry(number.to_owned()).or_insert(r.at);
            }
        }
    }
    let store = setup;
    let wall_start = chrono::Utc::now() - chrono::Duration::from_std(storm_start.elapsed()).unwrap();
    for (number, at) in &line_at {
        let ticket = store.ticket(&number.parse().unwrap()).await.unwrap().unwrap();
        let deadline = (ticket.due_at - wall_start).to_std().unwrap_or_default();
        lateness.push(at.saturating_duration_since(storm_start).saturating_sub(deadline));
    }
    lateness.sort();
    let count = |scope: &str| requests.iter().filter(|r| r.limited == Some(scope)).count();
    let exempt = requests.iter().filter(|r| r.path.starts_with("/interactions/") || r.path.starts_with("/webhooks/"));
    let floor = Duration::from_secs_f64((2 * tickets) as f64 / 50.0);
    println!("{label}: {tickets} L1 tickets from {customers} customers, {instances} instance(s)");
    println!("  interactions answered: {} of {}, p99 {}", answers.len(), tickets, secs(percentile(&answers, 0.99)));
    println!(
        "  TAM pings: {} of {}, p50 {}, p99 {} (floor for the last: {}, 2x: {})",
        pings.len(),
        tickets,
        secs(percentile(&pings, 0.5)),
        secs(percentile(&pings, 0.99)),
        secs(floor),
        secs(floor * 2)
    );
    println!(
        "  breach notices in the escalation channel: {} of {}, late p50 {}, p99 {}, in {} message(s)",
        lateness.len(),
        tickets,
        secs(percentile(&lateness, 0.5)),
        secs(percentile(&lateness, 0.99)),
        fake.messages_in(ESCALATION_CHANNEL).len()
    );
    println!(
        "  requests: {} ({} interactions' answers), 429s: {} user, {} global ({:.2} %)",
        requests.len(),
        exempt.count(),
        count("user"),
        count("global"),
        100.0 * (count("user") + count("global")) as f64 / requests.len().max(1) as f64
    );
    let threads = fake.threads().len();
    let doubled = ping_at.len() != tickets || threads != tickets;
    println!("  threads {threads}, pinged tickets {}{}", ping_at.len(), if doubled { " (CHECK)" } else { "" });
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let customers: usize = env("BENCH_CUSTOMERS", 20);
    let per_customer: usize = env("BENCH_PER_CUSTOMER", 3);
    let storages = std::env::var("BENCH_STORAGE").unwrap_or_else(|_| "sqlite,postgres".into());
    for storage in storages.split(',').map(str::trim) {
        match storage {
            "sqlite" => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/storm.db", dir.path().display());
                run("SQLite", &url, 1, customers, per_customer).await;
            }
            _ => {
                let Some(scratch) = common::Scratch::create("storm").await else { return };
                run("PostgreSQL", &scratch.url, 2, customers, per_customer).await;
                scratch.drop_now().await;
            }
        }
    }
}
