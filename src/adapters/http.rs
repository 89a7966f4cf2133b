//! The operators' HTTP endpoints (`[http].listen`): `GET /metrics` in the
//! Prometheus text format and `GET /healthz`, which answers 200 when the
//! database answers and (for a bot that keeps one) the gateway session is
//! up, else 503 with what is wrong; both name the instance and its mode.
//! The Discord adapter adds `POST /interactions` in HTTP mode.

use std::future::Future;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::app::App;

pub fn router(app: App) -> Router {
    app.metrics().describe(app.instance(), app.mode());
    Router::new().route("/metrics", get(metrics)).route("/healthz", get(healthz)).with_state(app)
}

/// Serves the operators' endpoints, and `more` routes beside them, until
/// `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    more: Option<Router>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = match more {
        Some(more) => router(app).merge(more),
        None => router(app),
    };
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn metrics(State(app): State<App>) -> Response {
    match app.store().open_ticket_counts().await {
        Ok(counts) => app.metrics().set_open_tickets(&counts),
        // The rest is still worth scraping; the gauge keeps its last values.
        Err(e) => tracing::warn!(error = %e, "cannot count the open tickets for /metrics"),
    }
    if app.config().transcripts.is_some() {
        match app.store().record_bytes().await {
            Ok(bytes) => {
                app.metrics().transcript_bytes.set(bytes);
            }
            Err(e) => tracing::warn!(error = %e, "cannot measure the record for /metrics"),
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], app.metrics().encode()).into_response()
}

async fn healthz(State(app): State<App>) -> Response {
    let database = match app.storage_health().await {
        Ok(()) => "ok",
        Err(e) => {
            // The driver's words (hosts, users) stay in the log.
            tracing::warn!(error = %e, "health check: the database does not answer");
            "unreachable"
        }
    };
    let gateway = if app.metrics().gateway_up() { "ok" } else { "disconnected" };
    let healthy = database == "ok" && gateway == "ok";
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let gateway = match app.metrics().gateway_expected.load(std::sync::atomic::Ordering::Relaxed) {
        true => gateway,
        false => "not used",
    };
    let body = json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "instance": app.instance(),
        "mode": app.mode(),
        "database": database,
        "gateway": gateway,
        "events_skipped": app.metrics().events_skipped.get(),
    });
    (status, Json(body)).into_response()
}
