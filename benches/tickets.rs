//! Tickets opened per second through the application layer, against a plain
//! single-row insert into the same database in the same run, on SQLite (file,
//! WAL, synchronous=NORMAL) and PostgreSQL (when reachable).
//!
//! Two shapes, four concurrent tasks each: four contacts of one customer
//! (their numbers come from one counter, so opens queue on it) and contacts
//! of four customers (independent counters).
//!
//! `cargo bench --bench tickets`; BENCH_TICKETS sets the count (default 5000);
//! PostgreSQL from PRIORITY_LINE_TEST_POSTGRES (default
//! postgres://postgres@127.0.0.1:5432/postgres), in a scratch database created
//! and dropped. Figures: docs/performance.md.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use priority_line::app::{App, Invocation, SystemClock};
use priority_line::config::Config;
use priority_line::domain::customer::{Language, Snowflake};
use priority_line::storage::{NewContact, Store};

const TASKS: usize = 4;

/// The example configuration plus two customers, so that four customers exist.
fn config() -> Config {
    let mut text = std::fs::read_to_string("config/example.toml").unwrap();
    for i in 3..=4 {
        text.push_str(&format!(
            "\n[[customers]]\nkey = \"BENCH{i}\"\nname = \"Bench {i}\"\nplan = \"premium\"\ncalendar = \"madrid\"\n\
             support_channel = \"31000000000000000{i}\"\ntam = \"40000000000000009{i}\"\nphone = \"+34 900 000 00{i}\"\n"
        ));
    }
    Config::parse(&text, Path::new("config/example.toml + 2 bench customers")).unwrap()
}

async fn plain_inserts(store: &Store, n: usize) -> Duration {
    sqlx::query("DROP TABLE IF EXISTS bench_plain").execute(store.pool()).await.unwrap();
    sqlx::query("CREATE TABLE bench_plain (id BIGINT NOT NULL, customer TEXT NOT NULL, summary TEXT NOT NULL, at BIGINT NOT NULL)")
        .execute(store.pool())
        .await
        .unwrap();
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in (t..n).step_by(TASKS) {
                    sqlx::query("INSERT INTO bench_plain (id, customer, summary, at) VALUES ($1, $2, $3, $4)")
                        .bind(i as i64)
                        .bind("ACME")
                        .bind("VPN down for all users")
                        .bind(1_796_000_000_000i64)
                        .execute(store.pool())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// `customers` are the customers whose contacts open tickets, one task per contact.
async fn ticket_opens(app: &App, customers: &[&str], n: usize, first_user: u64) -> Duration {
    let mut people = Vec::new();
    for t in 0..TASKS {
        let key = customers[t % customers.len()];
        let user = Snowflake(first_user + t as u64);
        app.store().add_contact(key, &NewContact::default(), (user, app.now(), Snowflake(1)), None).await.unwrap();
        let channel = app.config().customer(key).unwrap().support_channel;
        people.push((user, channel));
    }
    let start = Instant::now();
    let tasks: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(t, (user, channel))| {
            let app = app.clone();
            tokio::spawn(async move {
                let inv = Invocation {
                    user,
                    is_staff: false,
                    is_specialist: false,
                    channel,
                    language: Some(Language::En),
                    event: None,
                    named_staff: vec![],
                };
                for _ in (t..n).step_by(TASKS) {
                    let options =
                        [("summary".into(), "VPN down for all users".into()), ("severity".into(), "2".into())];
                    let out = app.handle_input(&inv, "ticket open", &options).await;
                    assert!(out.text().plain().starts_with("Opened"), "{:?}", out.reply);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

async fn measure(label: &str, url: &str, n: usize) {
    let store = Store::connect(url).await.unwrap();
    let app = App::new(Arc::new(config()), store.clone(), Arc::new(SystemClock));
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let shapes: [(&str, &[&str]); 2] =
        [("1 customer", &["ACME"]), ("4 customers", &["ACME", "GLOBEX", "BENCH3", "BENCH4"])];
    for (i, (shape, customers)) in shapes.into_iter().enumerate() {
        let plain = rate(plain_inserts(&store, n).await);
        let opens = rate(ticket_opens(&app, customers, n, 500_000_000_000_000_100 + 10 * i as u64).await);
        println!(
            "{label:<9} {shape:<12} plain insert {plain:>7.0}/s   ticket open {opens:>6.0}/s   ratio {:.2}   ({n} each, {TASKS} tasks)",
            opens / plain
        );
    }
    store.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes --bench; nothing to parse.
    let n: usize = std::env::var("BENCH_TICKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let dir = tempfile::tempdir().unwrap();
    measure("sqlite", &format!("sqlite://{}/bench.db", dir.path().display()), n).await;

    if let Some(db) = common::Scratch::create("tickets").await {
        measure("postgres", &db.url, n).await;
        db.drop_now().await;
    }
}
