//! The escalation watcher at scale, on SQLite (file, WAL) and PostgreSQL:
//!
//! - with N open tickets (default 100,000) and their 3 N pending notifications,
//!   the time of an idle tick (nothing due) and of a tick with 1,000 due;
//! - notification lag (due → sent) under load: 2,000 notifications falling
//!   due over 10 s, sent by the running scheduler loop with the system clock;
//! - the real bot binary's memory (RSS) and idle CPU with 10,000 and N open
//!   tickets, connected to the fake Discord of the tests (SQLite only).
//!
//! `cargo bench --bench watcher`; BENCH_OPEN sets N. Figures: docs/performance.md.

mod common;
#[allow(dead_code)]
#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use priority_line::app::{App, Delivery, DeliveryError, ManualClock, Receipt, SystemClock};
use priority_line::config::Config;
use priority_line::scheduler::{self, Deliver};
use priority_line::storage::Store;

struct Discard;

#[async_trait]
impl Deliver for Discard {
    async fn deliver(&self, _: &Delivery, _: &dyn priority_line::app::Lease) -> Result<Receipt, DeliveryError> {
        Ok(Receipt::default())
    }
}

/// N open L1-L4 tickets of ACME opened at `opened`, each with 3 pending
/// notifications due from a day later on: the state of a busy deployment.
async fn fill(store: &Store, n: usize, opened: DateTime<Utc>) {
    let opened = opened.timestamp_millis();
    let day = 86_400_000i64;
    let mut tx = store.pool().begin().await.unwrap();
    for chunk in (1..=n).collect::<Vec<_>>().chunks(1000) {
        let tickets: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('ACME', {i}, 500000000000000001, {}, 'incident', 'Bench ticket {i}', 'open', {opened}, {})",
                    1 + i % 4,
                    opened + day + *i as i64
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO tickets (customer, seq, opened_by, severity, kind, summary, state, opened_at, due_at) VALUES {}",
            tickets.join(",")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    }
    let sql = format!(
        "INSERT INTO outbox (ticket_id, step, job, due_at)
         SELECT id, s.step, '{{\"kind\":\"step\",\"trigger\":\"' || s.step || '\"}}', due_at - s.before FROM tickets,
           (SELECT '50%' AS step, 3600000 AS before UNION ALL SELECT '80%', 1800000 UNION ALL SELECT 'breach', 0) s
         WHERE customer = 'ACME' AND seq <= {n}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await.unwrap();
    let seq = format!("INSERT INTO customer_seq (customer, last_ticket) VALUES ('ACME', {n})");
    sqlx::query(sqlx::AssertSqlSafe(seq)).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

fn config() -> Arc<Config> {
    Arc::new(Config::load(Path::new("config/example.toml")).unwrap())
}

async fn ticks(label: &str, url: &str, n: usize) {
    let store = Store::connect(url).await.unwrap();
    let opened: DateTime<Utc> = "2026-11-30T09:00:00Z".parse().unwrap();
    let started = Instant::now();
    fill(&store, n, opened).await;
    let filled = started.elapsed();
    let clock = Arc::new(ManualClock::new(opened + chrono::Duration::hours(1)));
    let app = App::new(config(), store.clone(), clock.clone());

    // Idle: nothing due.
    let rounds = 2000;
    let t = Instant::now();
    for _ in 0..rounds {
        assert_eq!(scheduler::tick(&app, &Discard).await.unwrap().sent, 0);
    }
    let idle = t.elapsed() / rounds;
    let t = Instant::now();
    for _ in 0..rounds {
        app.next_due().await.unwrap();
    }
    let next_due = t.elapsed() / rounds;

    // 1,000 due at once: move the first 1,000 notifications to the past.
    let due_now = clock.now_for_bench();
    let sql = format!(
        "UPDATE outbox SET due_at = {} WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT 1000)",
        due_now.timestamp_millis() - 1000
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.pool()).await.unwrap();
    let t = Instant::now();
    let done = scheduler::tick(&app, &Discard).await.unwrap();
    let busy = t.elapsed();
    assert_eq!(done.sent, 1000);
    println!(
        "{label:<9} {n} open tickets ({} pending notifications, filled in {:.1} s): idle tick {:.3} ms \
         (next-due probe {:.3} ms), tick with 1,000 due {:.0} ms ({:.2} ms each)",
        3 * n,
        filled.as_secs_f64(),
        idle.as_secs_f64() * 1e3,
        next_due.as_secs_f64() * 1e3,
        busy.as_secs_f64() * 1e3,
        busy.as_secs_f64() * 1e3 / 1000.0
    );

    // Lag under load: the scheduler loop with the system clock; 2,000
    // notifications falling due over the next 10 s.
    let app = App::new(config(), store.clone(), Arc::new(SystemClock));
    let start = Utc::now() + chrono::Duration::seconds(1);
    let sql = format!(
        "UPDATE outbox SET due_at = {} + (id % 10000)
         WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 2000)",
        start.timestamp_millis()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.pool()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn(scheduler::run(app.clone(), Discard, async move {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_secs(12)).await;
    let _ = stop.send(());
    let _ = runner.await;
    let rows = sqlx::query_as::<_, (i64,)>(
        "SELECT done_at - due_at FROM outbox WHERE state = 'sent' AND due_at BETWEEN $1 AND $1 + 10000",
    )
    .bind(start.timestamp_millis())
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut lags: Vec<i64> = rows.into_iter().map(|(l,)| l).collect();
    lags.sort_unstable();
    let p = |q: f64| lags.get(((lags.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(-1);
    println!(
        "{label:<9} lag due → sent, 2,000 falling due over 10 s: p50 {} ms, p99 {} ms, max {} ms ({} sent)",
        p(0.5),
        p(0.99),
        lags.last().copied().unwrap_or(-1),
        lags.len()
    );
    store.close().await;
}

trait BenchNow {
    fn now_for_bench(&self) -> DateTime<Utc>;
}

impl BenchNow for ManualClock {
    fn now_for_bench(&self) -> DateTime<Utc> {
        priority_line::app::Clock::now(self)
    }
}

/// The bot binary's resident memory and CPU over 10 idle seconds, with `n`
/// open tickets in its SQLite file.
async fn bot_memory(n: usize) {
    let fake = fake_discord::FakeDiscord::start_unchecked(fake_discord::Limits::GENEROUS).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bot.db", dir.path().display());
    {
        let store = Store::connect(&url).await.unwrap();
        fill(&store, n, Utc::now()).await;
        store.close().await;
    }
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let config = example
        .replace("api_base = \"https://discord.com\"", &format!("api_base = \"{}\"", fake.api_base()))
        .replace("url = \"sqlite://data/priority-line.db\"", &format!("url = \"{url}\""))
        .replace("listen = \"127.0.0.1:9184\"", "listen = \"127.0.0.1:0\"");
    let path = dir.path().join("bot.toml");
    std::fs::write(&path, config).unwrap();
    let mut bot = std::process::Command::new(env!("CARGO_BIN_EXE_priority-line"))
        .args(["run", "--config"])
        .arg(&path)
        .env("DISCORD_TOKEN", "bench-token")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    fake.connected(1).await;
    let pid = bot.id();
    let cpu = || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
        // utime and stime, fields 14 and 15 of stat (11 and 12 after the name).
        fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
            + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
    };
    let before = cpu();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let ticks = cpu() - before;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: ? kB").to_owned();
    let hwm = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: ? kB").to_owned();
    println!(
        "bot       {n} open tickets: {} ({}), CPU over 10 idle s: {} ms",
        rss.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        hwm.replace("VmHWM:", "peak").split_whitespace().collect::<Vec<_>>().join(" "),
        ticks * 10 // clock ticks of 10 ms
    );
    let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = bot.wait();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_OPEN").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    ticks("sqlite", &format!("sqlite://{}/bench.db", dir.path().display()), n).await;

    if let Some(db) = common::Scratch::create("watcher").await {
        ticks("postgres", &db.url, n).await;
        db.drop_now().await;
    }

    for open in [10_000, n] {
        bot_memory(open).await;
    }
}
