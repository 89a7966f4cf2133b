//! The weekly summary's report, and `/ticket open`, with a million tickets
//! in the database, on SQLite (file, WAL) and PostgreSQL (when reachable).
//!
//! 1. `/ticket open` through the application, one at a time, on the empty
//!    database: its latency percentiles.
//! 2. A million tickets (with their events: opened, acknowledged, closed)
//!    are written with SQL: 100,000 in 2026-W48, 100,000 in 2026-W47, the
//!    rest over the 30 weeks before. Tickets of the last two weeks are 10 %
//!    unanswered and 10 % answered but open; older ones are closed; one in a
//!    hundred was reclassified.
//! 3. `/ticket open` again, the same way: the p99 beside the empty one's.
//! 4. The report of 2026-W48 (every customer, and one), which reads both
//!    weeks: its time, best and median of five.
//! 5. One closed ticket in five rated (issue 25), and the report again.
//!
//! `cargo bench --bench summary`; BENCH_TICKETS sets the million,
//! BENCH_OPENS the opens measured (default 400). Figures: docs/performance.md.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use priority_line::app::{App, Invocation, SystemClock};
use priority_line::config::Config;
use priority_line::domain::customer::{Language, Snowflake};
use priority_line::domain::summary::Week;
use priority_line::storage::{Backend, NewContact, Store};

const ALICE: Snowflake = Snowflake(500_000_000_000_000_001);
const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(p * sorted.len()).div_ceil(100).max(1) - 1]
}

/// `n` opens, one after the other; their latencies, sorted.
async fn opens(app: &App, n: usize) -> Vec<Duration> {
    let channel = app.config().customer("ACME").unwrap().support_channel;
    let inv = Invocation {
        user: ALICE,
        is_staff: false,
        is_specialist: false,
        channel,
        language: Some(Language::En),
        event: None,
        named_staff: vec![],
    };
    let options = [("summary".into(), "VPN down for all users".into()), ("severity".into(), "2".into())];
    let mut took = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let out = app.handle_input(&inv, "ticket open", &options).await;
        took.push(start.elapsed());
        assert!(out.text().plain().starts_with("Opened"), "{:?}", out.reply);
    }
    took.sort();
    took
}

/// Writes `n` tickets and their events with SQL.
async fn seed(store: &Store, n: i64) {
    let w48 = "2026-W48".parse::<Week>().unwrap().start(Tz::UTC).timestamp_millis();
    let w47 = w48 - WEEK_MS;
    let (recent, old) = (n / 10, n - 2 * (n / 10));
    let postgres = store.backend() == Backend::Postgres;
    let numbers = match postgres {
        true => "SELECT i FROM generate_series(0::BIGINT, $1::BIGINT - 1) AS s(i)".to_owned(),
        false => "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $1 - 1) SELECT i FROM s"
            .to_owned(),
    };
    // Opened: W48, then W47, then backwards over 30 weeks. Answered after
    // 5 to 35 minutes, closed an hour later; the last two weeks keep some
    // tickets unanswered (i % 10 = 0) or answered and open (i % 10 = 1).
    let tickets = format!(
        "INSERT INTO tickets (id, customer, seq, opened_by, severity, kind, summary, state, opened_at, due_at,
                              acked_at, acked_by, closed_at, version)
         SELECT 1000000000 + i, CASE WHEN i % 2 = 0 THEN 'ACME' ELSE 'GLOBEX' END, 1000000000 + i, {alice}, 1 + i % 4, 'incident',
                'bench ticket',
                CASE WHEN i >= 2 * $2 THEN 'closed' WHEN i % 10 = 0 THEN 'open' WHEN i % 10 = 1 THEN 'acknowledged'
                     ELSE 'closed' END,
                o, o + CAST(1800000 AS BIGINT) * (1 + i % 4),
                CASE WHEN i < 2 * $2 AND i % 10 = 0 THEN NULL ELSE o + CAST(300000 AS BIGINT) * (1 + i % 7) END,
                CASE WHEN i < 2 * $2 AND i % 10 = 0 THEN NULL ELSE 410000000000000001 END,
                CASE WHEN i < 2 * $2 AND i % 10 < 2 THEN NULL ELSE o + CAST(300000 AS BIGINT) * (1 + i % 7) + 3600000 END,
                1
         FROM (SELECT i, CASE WHEN i < $2 THEN $3 + i * (CAST({WEEK_MS} AS BIGINT) / $2)
                              WHEN i < 2 * $2 THEN $4 + (i - $2) * (CAST({WEEK_MS} AS BIGINT) / $2)
                              ELSE $4 - 1 - (i - 2 * $2) * (CAST({WEEK_MS} AS BIGINT) * 30 / $5) END AS o
               FROM ({numbers}) AS n) AS t",
        alice = ALICE.0 as i64,
    );
    let start = Instant::now();
    sqlx::query(sqlx::AssertSqlSafe(tickets))
        .bind(n)
        .bind(recent)
        .bind(w48)
        .bind(w47)
        .bind(old)
        .execute(store.pool())
        .await
        .unwrap();
    let rfc3339 = |ms: &str| match postgres {
        true => format!("to_char(to_timestamp({ms} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"),
        false => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {ms} / 1000, 'unixepoch')"),
    };
    let events = [
        format!(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
             SELECT id, opened_at, opened_by, 'opened',
                    '{{\"type\":\"opened\",\"severity\":' || severity || ',\"due_at\":\"' || {} ||
                    '\",\"classified_by\":null}}'
             FROM tickets ORDER BY id",
            rfc3339("due_at")
        ),
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
         SELECT id, acked_at, acked_by, 'acknowledged',
                '{\"type\":\"acknowledged\",\"note\":null,\"response_ms\":' || (acked_at - opened_at) || '}'
         FROM tickets WHERE acked_at IS NOT NULL ORDER BY id"
            .to_owned(),
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
         SELECT id, closed_at, acked_by, 'closed', '{\"type\":\"closed\",\"resolution\":null}'
         FROM tickets WHERE closed_at IS NOT NULL ORDER BY id"
            .to_owned(),
        // One ticket in a hundred was reclassified an hour after opening,
        // which makes its log one the report reads event by event.
        format!(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
             SELECT id, opened_at + 3600000, acked_by, 'severity_changed',
                    '{{\"type\":\"severity_changed\",\"from\":' || severity || ',\"to\":' || severity ||
                    ',\"reason\":\"bench\",\"due_before\":\"' || {due} || '\",\"due_after\":\"' || {due} || '\"}}'
             FROM tickets WHERE id % 100 = 5 AND acked_by IS NOT NULL ORDER BY id",
            due = rfc3339("due_at")
        ),
        "INSERT INTO customer_seq (customer, last_ticket) VALUES ('ACME', 2000000000), ('GLOBEX', 2000000000)
         ON CONFLICT (customer) DO UPDATE SET last_ticket = 2000000000"
            .to_owned(),
    ];
    for sql in events {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.pool()).await.unwrap();
    }
    if postgres {
        for table in ["tickets", "ticket_events"] {
            let sql = format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(store.pool()).await.unwrap();
        }
    }
    // As a database that has been running would be: its statistics known,
    // and (PostgreSQL) no autovacuum of the load competing with what follows.
    let analyze = if postgres { "VACUUM ANALYZE" } else { "ANALYZE" };
    sqlx::query(analyze).execute(store.pool()).await.unwrap();
    if postgres {
        // The load's pages written out now, not during the measurement.
        sqlx::query("CHECKPOINT").execute(store.pool()).await.unwrap();
    }
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_events").fetch_one(store.pool()).await.unwrap();
    println!("  seeded {n} tickets, {events} events in {:.1} s", start.elapsed().as_secs_f64());
}

/// Rates one closed ticket in five, an hour after its closing; a rating of
/// 1 or 2 comes with a comment.
async fn rate(store: &Store) {
    let start = Instant::now();
    let rated = sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, actor, kind, detail)
         SELECT id, closed_at + 3600000, opened_by, 'rated',
                '{\"type\":\"rated\",\"score\":' || (1 + (id / 5) % 5) || ',\"comment\":' ||
                CASE WHEN (id / 5) % 5 < 2 THEN '\"took two days to get logs read\"' ELSE 'null' END || '}'
         FROM tickets WHERE closed_at IS NOT NULL AND id % 5 = 2 ORDER BY id",
    )
    .execute(store.pool())
    .await
    .unwrap()
    .rows_affected();
    let analyze = if store.backend() == Backend::Postgres { "VACUUM ANALYZE" } else { "ANALYZE" };
    sqlx::query(analyze).execute(store.pool()).await.unwrap();
    println!("  rated {rated} tickets in {:.1} s", start.elapsed().as_secs_f64());
}

async fn report_time(app: &App, customer: Option<&str>) -> (Duration, Duration, u32) {
    let week: Week = "2026-W48".parse().unwrap();
    let customer = customer.and_then(|k| app.config().customer(k));
    let mut took = Vec::new();
    let mut opened = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let report = app.report(week, Tz::UTC, customer).await.unwrap();
        took.push(start.elapsed());
        opened = report.this.opened();
    }
    took.sort();
    (took[0], took[2], opened)
}

async fn measure(label: &str, url: &str, n: i64, n_opens: usize) {
    let store = Store::connect(url).await.unwrap();
    let config = Config::load(Path::new("config/example.toml")).unwrap();
    let app = App::new(Arc::new(config), store.clone(), Arc::new(SystemClock));
    store.add_contact("ACME", &NewContact::default(), (ALICE, app.now(), Snowflake(1)), None).await.unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let empty = opens(&app, n_opens).await;
    seed(&store, n).await;
    let full = opens(&app, n_opens).await;
    for (what, l) in [("empty", &empty), ("1M", &full)] {
        println!(
            "{label:<9} /ticket open, {what:<5} database: p50 {:>6.2} ms  p99 {:>6.2} ms  ({n_opens} opens)",
            ms(percentile(l, 50)),
            ms(percentile(l, 99))
        );
    }
    println!(
        "{label:<9} p99 with the million / p99 empty: {:.2}",
        percentile(&full, 99).as_secs_f64() / percentile(&empty, 99).as_secs_f64()
    );
    for rated in [false, true] {
        if rated {
            rate(&store).await;
        }
        for customer in [None, Some("ACME")] {
            let (best, median, opened) = report_time(&app, customer).await;
            println!(
                "{label:<9} report 2026-W48 ({}, {opened} tickets that week{}): best {:>6.0} ms  median {:>6.0} ms",
                customer.unwrap_or("all customers"),
                if rated { ", one closed in five rated" } else { "" },
                ms(best),
                ms(median)
            );
        }
    }
    store.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: i64 = std::env::var("BENCH_TICKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let n_opens: usize = std::env::var("BENCH_OPENS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    // BENCH_DIR keeps the SQLite file there, for a look at it afterwards.
    let dir = tempfile::tempdir().unwrap();
    let at = std::env::var("BENCH_DIR").unwrap_or_else(|_| dir.path().display().to_string());
    measure("sqlite", &format!("sqlite://{at}/bench.db"), n, n_opens).await;
    if let Some(db) = common::Scratch::create("summary").await {
        measure("postgres", &db.url, n, n_opens).await;
        // BENCH_DIR keeps the PostgreSQL database too.
        match std::env::var("BENCH_DIR") {
            Ok(_) => println!("  kept {}", db.url),
            Err(_) => db.drop_now().await,
        }
    }
}
