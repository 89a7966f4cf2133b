//! The operators' HTTP endpoints (`[http].listen`): `GET /metrics` in the
//! Prometheus text format and `GET /healthz`, which answers 200 when the
//! database answers and (for the bot) the gateway session is up, else 503
//! with what is wrong.

use std::future::Future;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::app::App;

pub fn router(app: App) -> Router {
    Router::new().route("/metrics", get(metrics)).route("/healthz", get(healthz)).with_state(app)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
}

async fn metrics(State(app): State<App>) -> Response {
    if let Err(e) = app.refresh_open_tickets().await {
        // The rest is still worth scraping; the gauge keeps its last values.
        tracing::warn!(error = %e, "cannot count the open tickets for /metrics");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], app.metrics().encode()).into_response()
}

async fn healthz(State(app): State<App>) -> Response {
    let database = match app.storage_health().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("unreachable: {e}"),
    };
    let gateway = if app.metrics().gateway_up() { "ok" } else { "disconnected" };
    let healthy = database == "ok" && gateway == "ok";
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({"status": if healthy { "ok" } else { "unhealthy" }, "database": database, "gateway": gateway});
    (status, Json(body)).into_response()
}
