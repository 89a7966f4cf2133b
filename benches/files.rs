//! The record's downloads: memory and speed. Alice sends `BENCH_FILES`
//! (default 6) files of `BENCH_MB` (default 25) MB each in one ticket's
//! thread, served by the project's fake Discord CDN in this process; the
//! bot (the real adapter, three downloads at a time, chunks of 1 MiB into
//! the database) keeps them all. Reported: the time until every file is
//! kept, the throughput, and the peak resident memory above what it was
//! before the first download (sampled every 5 ms), on SQLite and on
//! PostgreSQL.
//!
//! `cargo bench --bench files`; BENCH_STORAGE (`sqlite`, `postgres` or both,
//! the default). Figures: docs/performance.md.

mod common;
#[allow(dead_code)]
#[path = "../tests/support/fake_discord.rs"]
mod fake_discord;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Limits};
use priority_line::adapters::discord::Bot;
use priority_line::app::{App, Invocation, SystemClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::storage::Store;

const ALICE: u64 = 500_000_000_000_000_001;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The resident set size, in bytes (Linux).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kb.unwrap_or(0) * 1024
}

async fn run(label: &str, url: &str, files: usize, mb: usize) {
    let fake = FakeDiscord::start_unchecked(Limits::GENEROUS).await;
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let text = example
        .replace("api_base = \"https://discord.com\"", &format!("api_base = \"{}\"", fake.api_base()))
        .replace("url = \"sqlite://data/priority-line.db\"", &format!("url = \"{url}\""));
    let path = dir.path().join("files.toml");
    std::fs::write(&path, text).unwrap();
    let config = Arc::new(Config::load(Path::new(&path)).unwrap());
    let store = Store::connect(url).await.unwrap();
    let app = App::new(config.clone(), store.clone(), Arc::new(SystemClock));
    common::add_acme_contact(&app, ALICE).await;
    let inv = Invocation {
        user: Snowflake(ALICE),
        is_staff: false,
        is_specialist: false,
        channel: config.customer("ACME").unwrap().support_channel,
        language: None,
        event: None,
        named_staff: vec![],
    };
    let bot = Bot::new(app.clone(), config.discord.as_ref().unwrap(), "bench-token").unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(bot.run(async move {
        let _ = stopped.await;
    }));
    fake.connected(1).await;
    let options = [("summary".to_owned(), "Logs of the outage".to_owned()), ("severity".to_owned(), "2".to_owned())];
    app.handle_input(&inv, "ticket open", &options).await;
    let number = "ACME-1".parse().unwrap();
    let thread = loop {
        if let Some(t) = store.ticket(&number).await.unwrap().and_then(|t| t.thread_id) {
            break t.0;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let size = mb * 1024 * 1024 - 1;
    // Made before the measurement, and served without copies.
    let bytes: Vec<bytes::Bytes> =
        (0..files).map(|i| (0..size).map(|j| (j as u8).wrapping_add(i as u8)).collect::<Vec<u8>>().into()).collect();
    let alice = fake_discord::member(ALICE, "alice", &[]);
    let ticket = store.ticket(&number).await.unwrap().unwrap();
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let base = rss();
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let start = Instant::now();
    for (i, b) in bytes.iter().enumerate() {
        fake.write_shared(thread, &alice, &format!("Log {i}"), &[(&format!("node{i}.log"), b.clone())]);
    }
    loop {
        let record = store.record(ticket.id).await.unwrap();
        let kept = record.iter().flat_map(|m| &m.files).filter(|f| f.sha256.is_some()).count();
        if kept == files {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = start.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    let total = (files * size) as f64 / 1e6;
    println!(
        "{label:<9} {files} files of {mb} MB kept in {:.2} s ({:.0} MB/s); peak resident memory {:.1} MB above the {:.0} MB before",
        took.as_secs_f64(),
        total / took.as_secs_f64(),
        peak.load(Ordering::Relaxed).saturating_sub(base) as f64 / 1e6,
        base as f64 / 1e6
    );
    let _ = stop.send(());
    let _ = task.await;
    store.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (files, mb) = (env("BENCH_FILES", 6), env("BENCH_MB", 25));
    let which: String = env("BENCH_STORAGE", "both".to_owned());
    if which != "postgres" {
        let dir = tempfile::tempdir().unwrap();
        run("sqlite", &format!("sqlite://{}/files.db", dir.path().display()), files, mb).await;
    }
    if which != "sqlite" {
        if let Some(db) = common::Scratch::create("files").await {
            run("postgres", &db.url, files, mb).await;
            db.drop_now().await;
        }
    }
}
