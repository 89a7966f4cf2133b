//! `GET /metrics` and `GET /healthz`, scraped over real HTTP from the HTTP
//! adapter, after real work: tickets opened, one acknowledged, the watcher
//! announcing a breach.

use crate::support;
use std::path::Path;
use std::sync::Arc;

use crate::support::{cmd, Recorder};
use chrono::Duration;
use priority_line::app::{App, Invocation, ManualClock};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::scheduler;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACME_CHANNEL: Snowflake = Snowflake(310000000000000001);
const ENGINEER: Snowflake = Snowflake(410000000000000001);
const ALICE: Snowflake = Snowflake(500000000000000001);

/// One request over a plain TCP connection: (status line, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_over_http() {
    let db = support::sqlite().await;
    let config = Config::load(Path::new("config/example.toml")).unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let app = App::new(Arc::new(config), db.store.clone(), clock.clone());
    let staff = Invocation {
        user: ENGINEER,
        is_staff: true,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: None,
        event: None,
        named_staff: vec![],
    };
    app.handle(&staff, cmd("contacts add", &[("user", &ALICE.to_string())])).await;
    let alice = Invocation {
        user: ALICE,
        is_staff: false,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: None,
        event: None,
        named_staff: vec![],
    };
    let out = Recorder::new(clock.clone());
    for severity in [Severity::Critical, Severity::High] {
        let level = severity.level().to_string();
        app.handle(&alice, cmd("ticket open", &[("summary", "VPN"), ("severity", &level)])).await;
    }
    // The threads, the L1's ping, the cards and the members.
    assert_eq!(scheduler::tick(&app, &out).await.unwrap(), scheduler::Tick { sent: 7, late: 0, failed: 0 });
    let thread = app.ticket_thread(&"ACME-2".parse().unwrap()).await.unwrap().flatten().unwrap();
    // The L2 is answered after 20 minutes (its card, a post, and its new
    // owner in its thread); the L1's 50 % step, due at 15 minutes while no
    // instance ran, goes out late.
    clock.advance(Duration::minutes(20));
    let ack = Invocation {
        user: ENGINEER,
        is_staff: true,
        is_specialist: false,
        channel: thread,
        language: None,
        event: None,
        named_staff: vec![],
    };
    app.handle(&ack, cmd("ack", &[])).await;
    let tick = scheduler::tick(&app, &out).await.unwrap();
    assert_eq!((tick.sent, tick.late), (4, 1));
    // The L1 breaches unanswered: its 80 % step and breach, overdue by
    // then, and the breach's line in the escalation channel's message.
    clock.advance(Duration::minutes(20));
    let tick = scheduler::tick(&app, &out).await.unwrap();
    assert_eq!((tick.sent, tick.late), (3, 2));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server =
        tokio::spawn(priority_line::adapters::http::serve(listener, app.clone(), None, std::future::pending()));

    let (status, body) = get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let info = format!("priority_line_instance{{instance=\"{}\",mode=\"gateway\"}} 1", app.instance());
    for line in [
        "priority_line_open_tickets{customer=\"ACME\",severity=\"1\",state=\"open\"} 1",
        "priority_line_open_tickets{customer=\"ACME\",severity=\"2\",state=\"acknowledged\"} 1",
        "priority_line_first_response_seconds_count{severity=\"2\"} 1",
        "priority_line_first_response_seconds_sum{severity=\"2\"} 1200.0",
        "priority_line_breaches_total 1",
        "priority_line_notifications_sent_total 14",
        "priority_line_notifications_late_total 3",
        "priority_line_notifications_failed_total 0",
        "priority_line_notification_lag_seconds_count 14",
        "priority_line_gateway_connected 0",
        "priority_line_events_skipped_total 0",
        "priority_line_jobs_unknown_total 0",
        "priority_line_deliveries_in_flight 0",
        "priority_line_deliverer 0",
        "priority_line_discord_ratelimit_wait_seconds_count 0",
        info.as_str(),
    ] {
        assert!(body.lines().any(|l| l == line), "missing {line:?} in:\n{body}");
    }

    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, "HTTP/1.1 200 OK", "no gateway expected here: {body}");
    assert!(body.contains("\"database\":\"ok\"") && body.contains("\"gateway\":\"not used\""), "{body}");
    let named = format!("\"instance\":\"{}\"", app.instance());
    assert!(body.contains(&named) && body.contains("\"mode\":\"gateway\""), "{body}");
    assert!(
        body.contains(&format!("\"instance\":\"{}\"", app.instance())) && body.contains("\"mode\":\"gateway\""),
        "{body}"
    );
    // A bot whose gateway is down is unhealthy.
    app.metrics().gateway_expected.store(true, std::sync::atomic::Ordering::Relaxed);
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    assert!(body.contains("\"gateway\":\"disconnected\""), "{body}");
    // A database that does not answer is said so, without the driver's words.
    app.metrics().gateway_expected.store(false, std::sync::atomic::Ordering::Relaxed);
    app.store().close().await;
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
    assert!(body.contains("\"database\":\"unreachable\""), "{body}");
    assert!(!body.to_lowercase().contains("pool") && !body.contains("error"), "no driver text: {body}");
    server.abort();
    db.finish().await;
}
