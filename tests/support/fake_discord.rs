//! A fake Discord on 127.0.0.1 for driving the real serenity client: the REST
//! paths the bot uses and a gateway websocket (HELLO, IDENTIFY/RESUME,
//! heartbeats, READY, GUILD_CREATE, and the events a test dispatches).
//!
//! Every REST request is recorded, and every JSON body is validated against
//! Discord's own OpenAPI description (`tests/discord/openapi.json`, v10, MIT
//! licence): a body Discord would refuse is recorded as a violation, and
//! [`FakeDiscord::assert_valid`] fails the test on any.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

pub const APP_ID: u64 = 900_000_000_000_000_001;
pub const BOT_ID: u64 = 900_000_000_000_000_002;
pub const GUILD: u64 = 300_000_000_000_000_001;
pub const STAFF_ROLE: u64 = 320_000_000_000_000_001;

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Without the `/api/v10` prefix, e.g. `/channels/1/messages`.
    pub path: String,
    pub body: Value,
}

/// One gateway frame the bot sent (IDENTIFY, RESUME, heartbeats).
#[derive(Debug, Clone)]
pub struct Sent {
    pub op: u64,
    pub d: Value,
}

#[derive(Default)]
struct Shared {
    port: u16,
    requests: Mutex<Vec<Request>>,
    violations: Mutex<Vec<String>>,
    sent: Mutex<Vec<Sent>>,
    /// Every dispatched event with its sequence number, for RESUME replays.
    events: Mutex<Vec<(u64, Value)>>,
    seq: AtomicU64,
    next_id: AtomicU64,
    /// The open gateway connection's outbox.
    connection: Mutex<Option<mpsc::UnboundedSender<Outgoing>>>,
    changed: Notify,
    /// Messages by id, for edits.
    messages: Mutex<HashMap<u64, Value>>,
    /// Failures to answer with, first match first.
    failures: Mutex<Vec<Failure>>,
    /// Close frames received (clean disconnects by the bot).
    closes: AtomicU64,
    /// When each interaction's callback arrived, by interaction id.
    callbacks: Mutex<HashMap<u64, std::time::Instant>>,
    /// Check bodies against the OpenAPI description (off only in benchmarks,
    /// where the checking would compete with the bot for the CPU).
    validate: bool,
}

/// A failure the fake answers a request with, once.
#[derive(Debug, Clone)]
pub struct Failure {
    pub method: &'static str,
    pub path_suffix: String,
    pub status: u16,
    /// The request took effect before the error (an ambiguous failure).
    pub processed: bool,
}

enum Outgoing {
    Frame(Value),
    Drop,
}

pub struct FakeDiscord {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with(true).await
    }

    /// A fake that does not check request bodies: for benchmarks only.
    pub async fn start_unchecked() -> FakeDiscord {
        FakeDiscord::start_with(false).await
    }

    async fn start_with(validate: bool) -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared { port: addr.port(), next_id: AtomicU64::new(1), validate, ..Shared::default() });
        let router = Router::new()
            .route("/api/v10/gateway", get(gateway_url))
            .route("/api/v10/gateway/bot", get(gateway_url))
            .route("/gateway", get(gateway))
            .fallback(rest)
            .with_state(shared.clone());
        // Small frames go out at once, as from Discord's edge: without
        // TCP_NODELAY, Nagle and delayed ACKs would add up to 40 ms.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeDiscord { addr, shared, server }
    }

    /// The `api_base` to configure the bot with.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.shared.sent.lock().unwrap().clone()
    }

    /// Fails if any request body the bot sent is one Discord would refuse.
    pub fn assert_valid(&self) {
        let v = self.shared.violations.lock().unwrap();
        assert!(v.is_empty(), "request bodies that Discord's OpenAPI description refuses:\n{}", v.join("\n"));
    }

    /// Waits (at most 30 s, a guard against a hung test, not a timing) until
    /// `check` finds what it looks for in the recorded state.
    pub async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&FakeDiscord) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let changed = self.shared.changed.notified();
            if let Some(found) = check(self) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("fake Discord: gave up waiting for {what}; requests so far: {:#?}", self.requests());
            }
        }
    }

    /// Waits for the `n`th (1-based) request matching `method` and a path
    /// that ends with `suffix`, and returns it.
    pub async fn request(&self, method: &str, suffix: &str, n: usize) -> Request {
        self.wait_for(&format!("request #{n} {method} …{suffix}"), |f| {
            f.requests().into_iter().filter(|r| r.method == method && r.path.ends_with(suffix)).nth(n - 1)
        })
        .await
    }

    /// Waits until the bot has identified (or resumed) `n` times in all.
    pub async fn connected(&self, n: usize) {
        self.wait_for("the bot's gateway session", |f| {
            (f.sent().iter().filter(|s| s.op == 2 || s.op == 6).count() >= n).then_some(())
        })
        .await;
        // And until the connection's outbox is there to dispatch on.
        self.wait_for("an open gateway connection", |f| f.shared.connection.lock().unwrap().is_some().then_some(()))
            .await;
    }

    /// Dispatches an event to the bot (or keeps it for the RESUME replay if
    /// the bot is not connected at the moment).
    pub fn dispatch(&self, t: &str, d: Value) {
        let s = self.shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let frame = json!({"op": 0, "t": t, "s": s, "d": d});
        self.shared.events.lock().unwrap().push((s, frame.clone()));
        if let Some(tx) = self.shared.connection.lock().unwrap().as_ref() {
            let _ = tx.send(Outgoing::Frame(frame));
        }
    }

    /// Cuts the gateway connection without a close frame, as a network drop does.
    pub fn drop_connection(&self) {
        if let Some(tx) = self.shared.connection.lock().unwrap().take() {
            let _ = tx.send(Outgoing::Drop);
        }
    }

    pub fn next_id(&self) -> u64 {
        next_id(&self.shared)
    }

    /// How many times the bot closed its gateway connection with a close frame.
    pub fn clean_closes(&self) -> u64 {
        self.shared.closes.load(Ordering::SeqCst)
    }

    /// When the callback of each answered interaction arrived.
    pub fn callback_times(&self) -> HashMap<u64, std::time::Instant> {
        self.shared.callbacks.lock().unwrap().clone()
    }

    /// The next request that matches answers with this failure instead.
    pub fn fail_next(&self, failure: Failure) {
        self.shared.failures.lock().unwrap().push(failure);
    }

    /// The messages that exist in a channel (created, not merely requested).
    pub fn messages_in(&self, channel: u64) -> Vec<Value> {
        let messages = self.shared.messages.lock().unwrap();
        let channel = channel.to_string();
        let mut found: Vec<Value> =
            messages.values().filter(|m| m["channel_id"].as_str() == Some(channel.as_str())).cloned().collect();
        found.sort_by_key(|m| m["id"].as_str().and_then(|id| id.parse::<u64>().ok()));
        found
    }
}

fn next_id(shared: &Shared) -> u64 {
    1_000_000_000_000_000_000 + shared.next_id.fetch_add(1, Ordering::SeqCst)
}

async fn gateway_url(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({
        "url": format!("ws://127.0.0.1:{}/gateway", shared.port),
        "shards": 1,
        "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    }))
}

async fn gateway(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(shared, socket))
}

/// One gateway connection.
async fn session(shared: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if socket.send(WsMessage::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let Some(Ok(frame)) = frame else { break };
                let text = match frame {
                    WsMessage::Text(t) => t.to_string(),
                    WsMessage::Close(frame) => {
                        // Completes the closing handshake, as Discord does.
                        let _ = socket.send(WsMessage::Close(frame)).await;
                        shared.closes.fetch_add(1, Ordering::SeqCst);
                        shared.changed.notify_waiters();
                        break;
                    }
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let op = v["op"].as_u64().unwrap_or(u64::MAX);
                shared.sent.lock().unwrap().push(Sent { op, d: v["d"].clone() });
                let replies = match op {
                    1 => vec![json!({"op": 11})],
                    2 => {
                        let s = shared.seq.fetch_add(2, Ordering::SeqCst);
                        vec![
                            json!({"op": 0, "t": "READY", "s": s + 1, "d": ready(shared.port)}),
                            json!({"op": 0, "t": "GUILD_CREATE", "s": s + 2, "d": guild()}),
                        ]
                    }
                    6 => {
                        let after = v["d"]["seq"].as_u64().unwrap_or(0);
                        let mut frames: Vec<Value> = shared.events.lock().unwrap().iter()
                            .filter(|(s, _)| *s > after).map(|(_, f)| f.clone()).collect();
                        let s = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
                        frames.push(json!({"op": 0, "t": "RESUMED", "s": s, "d": {}}));
                        frames
                    }
                    _ => vec![],
                };
                for r in replies {
                    if socket.send(WsMessage::Text(r.to_string().into())).await.is_err() {
                        break;
                    }
                }
                if op == 2 || op == 6 {
                    *shared.connection.lock().unwrap() = Some(tx.clone());
                }
                shared.changed.notify_waiters();
            }
            out = rx.recv() => match out {
                Some(Outgoing::Frame(f)) => {
                    if socket.send(WsMessage::Text(f.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Drop) | None => break,
            }
        }
    }
    let mut connection = shared.connection.lock().unwrap();
    if connection.as_ref().is_some_and(|c| c.same_channel(&tx)) {
        *connection = None;
    }
    drop(connection);
    shared.changed.notify_waiters();
}

/// Every REST call: recorded, validated, answered as Discord would.
async fn rest(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, body: Bytes) -> Response {
    let arrived = std::time::Instant::now();
    let path = uri.path().strip_prefix("/api/v10").unwrap_or(uri.path()).to_owned();
    if let ["interactions", id, _, "callback"] = path.trim_start_matches('/').split('/').collect::<Vec<_>>()[..] {
        if let Ok(id) = id.parse() {
            shared.callbacks.lock().unwrap().insert(id, arrived);
        }
    }
    let body: Value = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap_or(Value::Null) };
    if shared.validate && !body.is_null() {
        if let Err(problem) = openapi().validate(method.as_str(), &path, &body) {
            shared.violations.lock().unwrap().push(format!("{method} {path}: {problem}\n  body: {body}"));
        }
    }
    let failure = {
        let mut failures = shared.failures.lock().unwrap();
        let found = failures.iter().position(|f| f.method == method.as_str() && path.ends_with(&f.path_suffix));
        found.map(|i| failures.remove(i))
    };
    let response = match failure {
        None => answer(&shared, &method, &path, &body),
        Some(f) => {
            if f.processed {
                let _ = answer(&shared, &method, &path, &body);
            }
            let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = if f.status == 429 {
                json!({"message": "You are being rate limited.", "retry_after": 0.01, "global": false})
            } else {
                json!({"code": 0, "message": "fake Discord: injected failure"})
            };
            (status, Json(body)).into_response()
        }
    };
    shared.requests.lock().unwrap().push(Request { method: method.to_string(), path, body });
    shared.changed.notify_waiters();
    response
}

fn answer(shared: &Shared, method: &Method, path: &str, body: &Value) -> Response {
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let no_content = || StatusCode::NO_CONTENT.into_response();
    match (method.as_str(), seg.as_slice()) {
        ("PUT", ["applications", app, "guilds", _, "commands"]) | ("PUT", ["applications", app, "commands"]) => {
            let commands: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!(next_id(shared).to_string());
                    c["application_id"] = json!(app);
                    c["version"] = json!("1");
                    if c.get("type").is_none() {
                        c["type"] = json!(1);
                    }
                    c
                })
                .collect();
            Json(commands).into_response()
        }
        ("POST", ["interactions", _, _, "callback"]) => no_content(),
        ("PUT", ["channels", _, "thread-members", _]) => no_content(),
        ("POST", ["channels", parent, "threads"]) => {
            let id = next_id(shared);
            Json(thread(id, parent.parse().unwrap_or(0), body["name"].as_str().unwrap_or(""))).into_response()
        }
        ("POST", ["channels", channel, "messages"]) => {
            let nonce = &body["nonce"];
            if body["enforce_nonce"] == json!(true) && !nonce.is_null() {
                let messages = shared.messages.lock().unwrap();
                let same = messages.values().find(|m| m["channel_id"] == *channel && m["nonce"] == *nonce);
                if let Some(m) = same {
                    return Json(m.clone()).into_response();
                }
            }
            let id = next_id(shared);
            let m = message(id, channel.parse().unwrap_or(0), BOT_ID, body);
            shared.messages.lock().unwrap().insert(id, m.clone());
            Json(m).into_response()
        }
        ("PATCH", ["channels", channel, "messages", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            Json(message(id, channel.parse().unwrap_or(0), BOT_ID, body)).into_response()
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            Json(message(next_id(shared), 0, BOT_ID, body)).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({"code": 0, "message": format!("fake Discord: no route {method} {path}")})),
        )
            .into_response(),
    }
}

// ------------------------------------------------------------------ payloads

pub fn user(id: u64, name: &str) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": name, "avatar": null})
}

pub fn member(id: u64, name: &str, roles: &[u64]) -> Value {
    json!({
        "user": user(id, name),
        "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": "2026-01-01T00:00:00.000000+00:00",
        "deaf": false, "mute": false, "flags": 0, "permissions": "2248473465835073"
    })
}

pub fn ready(port: u16) -> Value {
    json!({
        "v": 10,
        "user": {"id": BOT_ID.to_string(), "username": "priority-line", "discriminator": "0", "avatar": null,
                 "bot": true, "verified": true, "mfa_enabled": false, "flags": 0},
        "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
        "session_id": "fake-session",
        "resume_gateway_url": format!("ws://127.0.0.1:{port}/gateway"),
        "shard": [0, 1],
        "application": {"id": APP_ID.to_string(), "flags": 0}
    })
}

fn role(id: u64, name: &str, position: u64) -> Value {
    json!({
        "id": id.to_string(), "name": name, "color": 0, "hoist": false, "icon": null, "unicode_emoji": null,
        "position": position, "permissions": "0", "managed": false, "mentionable": false, "flags": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null}
    })
}

pub fn guild() -> Value {
    let mut g = json!({
        "id": GUILD.to_string(), "name": "Priority Line", "icon": null, "splash": null, "discovery_splash": null,
        "owner_id": "400000000000000001", "afk_channel_id": null, "afk_timeout": 300, "verification_level": 1,
        "default_message_notifications": 1, "explicit_content_filter": 2,
        "roles": [role(GUILD, "@everyone", 0), role(STAFF_ROLE, "Support staff", 1)],
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": null,
        "system_channel_flags": 0, "rules_channel_id": null, "vanity_url_code": null, "description": null,
        "banner": null, "premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": null
    });
    let more = json!({
        "nsfw_level": 0, "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null,
        "stickers": [], "joined_at": "2026-01-01T00:00:00.000000+00:00", "large": false, "unavailable": false,
        "member_count": 3, "voice_states": [], "members": [], "channels": [], "threads": [], "presences": [],
        "stage_instances": [], "guild_scheduled_events": [], "max_members": 500000, "max_presences": null,
        "max_video_channel_users": 25, "max_stage_video_channel_users": 50, "premium_subscription_count": 0,
        "widget_enabled": false, "widget_channel_id": null, "incidents_data": null
    });
    if let (Some(g), Some(more)) = (g.as_object_mut(), more.as_object()) {
        g.extend(more.clone());
    }
    g
}

pub fn thread(id: u64, parent: u64, name: &str) -> Value {
    json!({
        "id": id.to_string(), "type": 12, "guild_id": GUILD.to_string(), "name": name,
        "parent_id": parent.to_string(), "owner_id": BOT_ID.to_string(), "last_message_id": null,
        "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "flags": 0, "total_message_sent": 0,
        "thread_metadata": {"archived": false, "auto_archive_duration": 10080, "locked": false,
                            "archive_timestamp": "2026-11-27T00:00:00.000000+00:00", "invitable": false,
                            "create_timestamp": "2026-11-27T00:00:00.000000+00:00"},
        "position": 0, "permission_overwrites": [], "nsfw": false
    })
}

/// A message as Discord returns it, from what was sent.
pub fn message(id: u64, channel: u64, author: u64, sent: &Value) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "author": user(author, "priority-line"),
        "content": sent.get("content").cloned().unwrap_or(json!("")),
        "timestamp": "2026-11-27T00:00:00.000000+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": sent.get("embeds").cloned().unwrap_or(json!([])),
        "components": sent.get("components").cloned().unwrap_or(json!([])),
        "pinned": false, "type": 0, "flags": 0, "nonce": sent.get("nonce").cloned().unwrap_or(Value::Null)
    })
}

/// INTERACTION_CREATE for a slash command typed by `member` in `channel`.
pub fn slash(id: u64, channel: u64, member: Value, locale: &str, name: &str, options: Value) -> Value {
    json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 2, "token": format!("token-{id}"),
        "version": 1, "guild_id": GUILD.to_string(), "channel_id": channel.to_string(), "member": member,
        "data": {"id": "800000000000000001", "name": name, "type": 1, "options": options, "guild_id": GUILD.to_string()},
        "locale": locale, "guild_locale": "en-US", "app_permissions": "2248473465835073", "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD.to_string()}, "context": 0,
        "attachment_size_limit": 26214400
    })
}

/// INTERACTION_CREATE for a button press on `message` in `channel`.
pub fn button(id: u64, channel: u64, member: Value, custom_id: &str, message: Value) -> Value {
    json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 3, "token": format!("token-{id}"),
        "version": 1, "guild_id": GUILD.to_string(), "channel_id": channel.to_string(), "member": member,
        "message": message,
        "data": {"custom_id": custom_id, "component_type": 2},
        "locale": "en-US", "guild_locale": "en-US", "app_permissions": "2248473465835073", "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD.to_string()}, "context": 0,
        "attachment_size_limit": 26214400
    })
}

/// MESSAGE_CREATE for a person's message in `channel`.
pub fn typed_message(id: u64, channel: u64, author: u64, name: &str, roles: &[u64], content: &str) -> Value {
    let mut m = message(id, channel, author, &json!({"content": content}));
    m["author"] = user(author, name);
    m["guild_id"] = json!(GUILD.to_string());
    m["member"] = json!({
        "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0
    });
    m
}

// ------------------------------------------------------------------- openapi

/// Checks a request body against Discord's OpenAPI description.
pub fn validate_body(method: &str, path: &str, body: &Value) -> Result<(), String> {
    openapi().validate(method, path, body)
}

struct OpenApi {
    doc: Value,
    validators: Mutex<HashMap<(String, String), Arc<jsonschema::Validator>>>,
}

fn openapi() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/discord/openapi.json");
        let text = std::fs::read_to_string(path).expect("tests/discord/openapi.json");
        OpenApi { doc: serde_json::from_str(&text).expect("openapi.json is JSON"), validators: Mutex::default() }
    })
}

impl OpenApi {
    /// The path template (`/channels/{channel_id}/messages`) a concrete path
    /// matches, preferring literal segments.
    fn template(&self, path: &str) -> Option<String> {
        let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|t| {
                let ts: Vec<&str> = t.trim_start_matches('/').split('/').collect();
                if ts.len() != seg.len() {
                    return None;
                }
                let mut literal = 0;
                for (a, b) in ts.iter().zip(&seg) {
                    if a.starts_with('{') {
                        continue;
                    }
                    if a != b {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, t.clone()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, t)| t)
    }

    fn validate(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        let template = self.template(path).ok_or_else(|| format!("no such path in Discord's API: {path}"))?;
        let key = (method.to_lowercase(), template.clone());
        let validator = {
            let mut cache = self.validators.lock().unwrap();
            match cache.get(&key) {
                Some(v) => v.clone(),
                None => {
                    let schema =
                        &self.doc["paths"][&template][&key.0]["requestBody"]["content"]["application/json"]["schema"];
                    if schema.is_null() {
                        return Err(format!("{method} {template} takes no JSON body in Discord's API"));
                    }
                    let mut root = schema.clone();
                    root["components"] = self.doc["components"].clone();
                    let v = Arc::new(jsonschema::validator_for(&root).map_err(|e| format!("schema: {e}"))?);
                    cache.insert(key, v.clone());
                    v
                }
            }
        };
        let errors: Vec<String> =
            validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}
