//! Every REST call the bot makes to Discord (or to `api_base`: a
//! rate-limiting proxy, or the tests' fake), through one client that keeps
//! Discord's limits: each call waits for its route's bucket and the global
//! budget (`limits.rs`), the answer's headers teach the buckets, and a 429
//! that still comes is waited out for its `retry_after` (a global one
//! pauses every call) before the call is tried again. With
//! `[discord].rate_limits = "proxy"` the proxy keeps the limits, and only
//! its 429s are waited out here.
//!
//! Request bodies are serenity's builders as JSON, or multipart with the
//! files as `files[n]` and the JSON as `payload_json`; answers are read
//! into the few fields the bot uses.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::limits::{BucketHeaders, Limits};
use super::retry::{with_retries, CallError, CALL_TIMEOUT};
use crate::config::{DiscordConfig, RateLimits};
use crate::metrics::Metrics;

/// Discord's REST API version, as the bot speaks it.
const API: &str = "/api/v10/";

/// 429s in a row on one call before it fails (and is tried again later).
const MAX_RATE_LIMITED: u32 = 5;

/// A file sent with a message or an interaction's answer.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: bytes::Bytes,
}

/// What a call sends.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    /// `payload_json` and the files, described in its `attachments`.
    Files {
        payload: Value,
        files: Vec<Upload>,
    },
}

impl Body {
    /// JSON, or multipart when there are files.
    pub fn with_files(payload: Value, files: Vec<Upload>) -> Body {
        match files.is_empty() {
            true => Body::Json(payload),
            false => Body::Files { payload, files },
        }
    }
}

/// How soon a call goes out when the limits hold calls back: lower first.
/// Interactions' answers, outside the global budget, go at once.
pub const INTERACTION: i64 = 0;

/// The REST client.
pub struct Rest {
    client: reqwest::Client,
    /// `api_base` without a trailing slash.
    base: String,
    /// `Bot <token>`. Never logged.
    auth: String,
    /// The bot's own limits; none when a proxy keeps them.
    limits: Option<Limits>,
    metrics: Arc<Metrics>,
    application: OnceLock<u64>,
}

/// A 429, as its headers and body tell it.
#[derive(Debug, Clone, Copy)]
struct RateLimited {
    retry_after: Duration,
    global: bool,
    scope: &'static str,
}

impl Rest {
    pub fn new(discord: &DiscordConfig, token: &str, metrics: Arc<Metrics>) -> anyhow::Result<Rest> {
        let client = reqwest::Client::builder().build()?;
        let limits = match discord.rate_limits {
            RateLimits::Own => Some(Limits::new(metrics.clone())),
            RateLimits::Proxy => None,
        };
        Ok(Rest {
            client,
            base: discord.api_base.trim_end_matches('/').to_owned(),
            auth: format!("Bot {token}"),
            limits,
            metrics,
            application: OnceLock::new(),
        })
    }

    /// The application's id, once [`Rest::learn_application`] read it.
    pub fn application(&self) -> Option<u64> {
        self.application.get().copied()
    }

    /// Reads the application's id (`GET /oauth2/applications/@me`), which
    /// interactions' follow-ups and the commands' registration name.
    pub async fn learn_application(&self) -> Result<u64, CallError> {
        #[derive(serde::Deserialize)]
        struct Application {
            id: super::Id,
        }
        let app: Application = self.json(Method::GET, "oauth2/applications/@me", &Body::Empty, 10).await?;
        let _ = self.application.set(app.id.0);
        Ok(app.id.0)
    }

    /// A call whose answer is read as `T`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &Body,
        urgency: i64,
    ) -> Result<T, CallError> {
        let bytes = self.call(method, path, body, urgency).await?;
        serde_json::from_slice(&bytes).map_err(|e| CallError::Decode(e.to_string()))
    }

    /// A call to `path` (`channels/1/messages`), admitted by the limits at
    /// `urgency`; its answer's body on success.
    pub async fn call(&self, method: Method, path: &str, body: &Body, urgency: i64) -> Result<bytes::Bytes, CallError> {
        let mut limited = 0;
        loop {
            let admitted = match &self.limits {
                Some(limits) => Some(limits.admit(&method, path, urgency).await),
                None => None,
            };
            let request = self.request(method.clone(), path, body)?;
            let answer = tokio::time::timeout(CALL_TIMEOUT, async {
                let response = request.send().await?;
                let (status, headers) = (response.status(), response.headers().clone());
                Ok::<_, reqwest::Error>((status, headers, response.bytes().await?))
            })
            .await;
            // Without an answer the permit is dropped: the bucket learns nothing.
            let (status, headers, bytes) = match answer {
                Err(_) => return Err(CallError::Timeout(CALL_TIMEOUT)),
                Ok(Err(e)) => return Err(CallError::Transport(without_url(&e))),
                Ok(Ok(answer)) => answer,
            };
            if let Some((permit, _)) = admitted {
                permit.complete(bucket(&headers));
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                let rl = rate_limited(&headers, &bytes);
                self.metrics.discord_ratelimited.get_or_create(&crate::metrics::ScopeLabel::of(rl.scope)).inc();
                tracing::warn!(
                    path = route(path),
                    scope = rl.scope,
                    retry_after_ms = rl.retry_after.as_millis() as u64,
                    "Discord answered 429; waiting it out"
                );
                if rl.global {
                    if let Some(limits) = &self.limits {
                        limits.pause_all(rl.retry_after);
                    }
                }
                limited += 1;
                if limited >= MAX_RATE_LIMITED {
                    return Err(CallError::RateLimited(rl.retry_after));
                }
                // Not sooner than Discord says (the bucket waits as long).
                tokio::time::sleep(rl.retry_after).await;
                continue;
            }
            if status.is_success() {
                return Ok(bytes);
            }
            return Err(error(status, &bytes));
        }
    }

    fn request(&self, method: Method, path: &str, body: &Body) -> Result<reqwest::RequestBuilder, CallError> {
        let url = format!("{}{API}{path}", self.base);
        let request = self
            .client
            .request(method, url)
            .header(AUTHORIZATION, &self.auth)
            .header(USER_AGENT, concat!("DiscordBot (priority-line, ", env!("CARGO_PKG_VERSION"), ")"));
        Ok(match body {
            Body::Empty => request,
            Body::Json(json) => request.header(CONTENT_TYPE, "application/json").body(json.to_string()),
            Body::Files { payload, files } => {
                let mut form = reqwest::multipart::Form::new().text("payload_json", payload.to_string());
                for (i, file) in files.iter().enumerate() {
                    let part = reqwest::multipart::Part::stream_with_length(
                        reqwest::Body::from(file.bytes.clone()),
                        file.bytes.len() as u64,
                    )
                    .file_name(file.filename.clone())
                    .mime_str(mime_of(&file.filename))
                    .map_err(|e| CallError::Transport(e.to_string()))?;
                    form = form.part(format!("files[{i}]"), part);
                }
                request.multipart(form)
            }
        })
    }

    /// An interaction's response (its callback), with the files it
    /// describes: outside the global budget.
    pub async fn respond(&self, id: u64, token: &str, body: Value, files: Vec<Upload>) -> Result<(), CallError> {
        let (path, body) = (format!("interactions/{id}/{token}/callback"), Body::with_files(body, files));
        with_retries("interaction reply", || self.call(Method::POST, &path, &body, INTERACTION)).await.map(|_| ())
    }

    /// The edit of a deferred interaction's response (a follow-up on the
    /// interaction's token: outside the global budget).
    pub async fn edit_response(&self, token: &str, body: Value, files: Vec<Upload>) -> Result<(), CallError> {
        let app = match self.application() {
            Some(app) => app,
            None => self.learn_application().await?,
        };
        let (path, body) = (format!("webhooks/{app}/{token}/messages/@original"), Body::with_files(body, files));
        with_retries("deferred answer", || self.call(Method::PATCH, &path, &body, INTERACTION)).await.map(|_| ())
    }
}

/// The route's shape for logs: ids replaced (`channels/{id}/messages`), no
/// interaction token.
fn route(path: &str) -> String {
    path.split('/')
        .map(|s| match s.chars().next().is_some_and(|c| c.is_ascii_digit()) || s.len() > 40 {
            true => "{id}",
            false => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A transport error's kind, without its text (its URL may hold an
/// interaction's token).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "the request failed"
    };
    kind.to_owned()
}

fn mime_of(filename: &str) -> &'static str {
    match filename.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The route bucket's state an answer's headers tell, if they do.
fn bucket(headers: &HeaderMap) -> Option<BucketHeaders> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let reset_after: f64 = text("x-ratelimit-reset-after")?.parse().ok()?;
    Some(BucketHeaders {
        bucket: text("x-ratelimit-bucket")?.to_owned(),
        limit: text("x-ratelimit-limit")?.parse().ok()?,
        remaining: text("x-ratelimit-remaining")?.parse().ok()?,
        reset_at: tokio::time::Instant::now() + Duration::try_from_secs_f64(reset_after.clamp(0.0, 3600.0)).ok()?,
    })
}

/// A 429's `retry_after` (its body's, else its header's), and whether it
/// is global.
fn rate_limited(headers: &HeaderMap, body: &[u8]) -> RateLimited {
    let json: Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let seconds = json["retry_after"]
        .as_f64()
        .or_else(|| text("retry-after").and_then(|s| s.parse().ok()))
        .unwrap_or(1.0)
        .clamp(0.0, 3600.0);
    let global = json["global"].as_bool().unwrap_or(false) || text("x-ratelimit-global") == Some("true");
    let scope = match text("x-ratelimit-scope") {
        _ if global => "global",
        Some("shared") => "shared",
        _ => "user",
    };
    RateLimited { retry_after: Duration::from_secs_f64(seconds), global, scope }
}

/// An error answer, with Discord's JSON error code when it sent one.
fn error(status: StatusCode, body: &[u8]) -> CallError {
    let json: Value = serde_json::from_slice(body).unwrap_or_default();
    CallError::Status {
        status: status.as_u16(),
        code: json["code"].as_i64(),
        message: json["message"].as_str().unwrap_or_default().chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429s_retry_after_and_scope_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-scope", "shared".parse().unwrap());
        let rl = rate_limited(
            &headers,
            br#"{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}"#,
        );
        assert_eq!((rl.retry_after, rl.global, rl.scope), (Duration::from_millis(1500), false, "shared"));
        let rl = rate_limited(&HeaderMap::new(), br#"{"retry_after": 0.25, "global": true}"#);
        assert_eq!((rl.retry_after, rl.global, rl.scope), (Duration::from_millis(250), true, "global"));
    }

    #[test]
    fn a_bucket_is_read_from_the_headers_or_not_at_all() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-ratelimit-bucket", "abc"),
            ("x-ratelimit-limit", "5"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset-after", "4.5"),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        let b = bucket(&headers).unwrap();
        assert_eq!((b.bucket.as_str(), b.limit, b.remaining), ("abc", 5, 0));
        headers.remove("x-ratelimit-bucket");
        assert!(bucket(&headers).is_none());
    }

    #[test]
    fn routes_in_logs_carry_no_ids_or_tokens() {
        assert_eq!(route("channels/123/messages/456"), "channels/{id}/messages/{id}");
        let token = "a".repeat(70);
        assert_eq!(route(&format!("interactions/1/{token}/callback")), "interactions/{id}/{id}/callback");
    }
}
