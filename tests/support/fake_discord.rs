//! A fake Discord on 127.0.0.1 for driving the real serenity client: the REST
//! paths the bot uses and a gateway websocket (HELLO, IDENTIFY/RESUME,
//! heartbeats, READY, GUILD_CREATE, and the events a test dispatches).
//!
//! It behaves as Discord does where the bot's correctness depends on it:
//! - every gateway session receives every dispatched event (several bot
//!   processes on one token each see each interaction), with its own sequence
//!   numbers and a replay on RESUME;
//! - an interaction is answered once: a second callback gets 400 with code
//!   40060 ("Interaction has already been acknowledged");
//! - a post with `enforce_nonce` whose nonce the same author used in the same
//!   channel within the last few minutes ([`NONCE_WINDOW`]) returns the first
//!   message; after that it is a new message, so exactly-once tests prove the
//!   bot's outbox, not this memory;
//! - threads can be archived (a post gets 400 with code 50083 until the bot
//!   unarchives it), locked (unarchiving is refused with 403), or deleted
//!   (404, code 10003); channels can deny access (403, code 50001);
//!   `GET /guilds/{id}/threads/active` lists the active ones;
//! - it keeps Discord's rate limits ([`Limits`]): a global 50 requests a
//!   second (interaction callbacks and follow-ups aside), and per channel 5
//!   messages, 5 thread creations, 5 edits and 5 member additions every 5
//!   seconds; every answer carries the `X-RateLimit-*` headers of its
//!   route's bucket, and a request past a limit gets 429 with `retry_after`
//!   (and `X-RateLimit-Global` for the global one). Each request records
//!   the status it got.
//!
//! - the bot's own messages come back to every session as `MESSAGE_CREATE`
//!   (Discord echoes them); messages written as people ([`FakeDiscord::write`])
//!   are kept, edited and deleted with their gateway events, and
//!   `GET /channels/{id}/messages/{id}` returns them with fresh links;
//! - attachments are served from `/cdn/…` links that stop working once
//!   [`FakeDiscord::expire_links`] says their time is up (404, as Discord's
//!   CDN answers), and a download can be held part-way
//!   ([`FakeDiscord::hold_downloads`]);
//! - a session that asks for an intent the application may not have is
//!   closed with code 4014 ([`FakeDiscord::refuse_intents`]).
//!
//! Every REST request is recorded, and every JSON body is validated against
//! Discord's own OpenAPI description (`tests/discord/openapi.json`, v10, MIT
//! licence): a body Discord would refuse is recorded as a violation, and
//! [`FakeDiscord::assert_valid`] fails the test on any. Failures can be
//! injected ([`FakeDiscord::fail_next`]): before the request takes effect, or
//! after (an ambiguous failure).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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

/// How long a nonce is remembered ("within the past few minutes").
pub const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Without the `/api/v10` prefix, e.g. `/channels/1/messages`.
    pub path: String,
    /// The JSON body (a multipart body's `payload_json`).
    pub body: Value,
    /// A multipart body's files.
    pub files: Vec<Upload>,
    /// When it arrived.
    pub at: Instant,
    /// The status it was answered with.
    pub status: u16,
    /// For a 429: its scope (`user` or `global`).
    pub limited: Option<&'static str>,
}

/// A file uploaded in a multipart body.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The part's name: `files[0]`.
    pub part: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// One gateway frame a bot sent (IDENTIFY, RESUME, heartbeats).
#[derive(Debug, Clone)]
pub struct Sent {
    pub op: u64,
    pub d: Value,
}

/// A failure the fake answers one matching request with.
#[derive(Debug, Clone)]
pub struct Failure {
    pub method: &'static str,
    pub path_suffix: String,
    pub status: u16,
    /// The request took effect before the error (an ambiguous failure).
    pub processed: bool,
}

/// Discord's rate limits, as the fake keeps them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests a second in all, interaction callbacks aside.
    pub global: usize,
    /// Per channel (the top-level resource), per kind of request: messages,
    /// thread creations, edits, member additions.
    pub per_channel: u32,
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DISCORD
    }
}

impl Limits {
    /// Discord's, as observed.
    pub const DISCORD: Limits = Limits { global: 50, per_channel: 5, window: Duration::from_secs(5) };
    /// None worth the name: for benchmarks of something else (the quiet
    /// day's latency), where tickets arrive faster than a channel's
    /// buckets allow.
    pub const GENEROUS: Limits = Limits { global: 100_000, per_channel: 100_000, window: Duration::from_secs(5) };
}

/// What the fake counts of its limits.
#[derive(Default)]
struct Counted {
    /// When the requests of the last second arrived (global).
    global: std::collections::VecDeque<Instant>,
    /// Per bucket and top-level resource: the window's start and count.
    buckets: HashMap<(String, String), (Instant, u32)>,
    /// Route 429s to answer next: (method, path suffix, retry_after).
    forced: Vec<(&'static str, String, Duration)>,
}

/// A request the fake never answers (the bot is left waiting), optionally
/// after it took effect.
#[derive(Debug, Clone)]
pub struct Stall {
    pub method: &'static str,
    pub path_suffix: String,
    pub processed: bool,
}

/// A route that answers slowly: every matching request waits `delay`
/// before it is carried out and answered.
#[derive(Debug, Clone)]
pub struct Slow {
    pub method: &'static str,
    pub path_suffix: String,
    pub delay: Duration,
}

/// A thread the bot created.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    pub parent: u64,
    pub name: String,
    pub members: Vec<u64>,
    pub archived: bool,
    pub locked: bool,
    pub deleted: bool,
}

/// A gateway session: its events, numbered, for RESUME replays.
#[derive(Default)]
struct Session {
    seq: u64,
    events: Vec<(u64, Value)>,
    connection: Option<mpsc::UnboundedSender<Outgoing>>,
}

#[derive(Default)]
struct Shared {
    port: u16,
    requests: Mutex<Vec<Request>>,
    violations: Mutex<Vec<String>>,
    sent: Mutex<Vec<Sent>>,
    sessions: Mutex<HashMap<String, Session>>,
    next_id: AtomicU64,
    changed: Notify,
    /// Messages by id, with when they were created (for the nonce window).
    messages: Mutex<HashMap<u64, (Value, Instant)>>,
    threads: Mutex<HashMap<u64, Thread>>,
    /// Channels the bot may not see or post in.
    denied: Mutex<Vec<u64>>,
    /// Failures to answer with, first match first.
    failures: Mutex<Vec<Failure>>,
    stalls: Mutex<Vec<Stall>>,
    slow: Mutex<Vec<Slow>>,
    slow_once: Mutex<Vec<Slow>>,
    /// Close frames received (clean disconnects).
    closes: AtomicU64,
    /// When each interaction's first callback arrived, by interaction id.
    callbacks: Mutex<HashMap<u64, Instant>>,
    /// Check bodies against the OpenAPI description (off only in benchmarks,
    /// where the checking would compete with the bot for the CPU).
    validate: bool,
    limits: Limits,
    counted: Mutex<Counted>,
    /// Attachments served at `/cdn/…`, by id.
    files: Mutex<HashMap<u64, CdnFile>>,
    /// Links signed before this generation have expired.
    links_valid_from: AtomicU64,
    link_generation: AtomicU64,
    /// A download sends this many bytes, then stalls (a process to kill).
    hold_after: Mutex<Option<usize>>,
    /// Intents whose asking closes the session with 4014.
    refused_intents: AtomicU64,
    /// The instant messages the fake makes are stamped with.
    time: Mutex<String>,
    /// The next message written hands out links that expired already.
    stale_links: std::sync::atomic::AtomicBool,
}

/// A file the fake's CDN serves.
#[derive(Debug, Clone)]
struct CdnFile {
    channel: u64,
    filename: String,
    /// Shared by every answer that serves it (no copy per download).
    bytes: Bytes,
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

/// Dispatches an event to every session (see [`FakeDiscord::dispatch`]).
fn dispatch(shared: &Shared, t: &str, d: &Value) {
    let mut sessions = shared.sessions.lock().unwrap();
    for session in sessions.values_mut() {
        session.seq += 1;
        let frame = json!({"op": 0, "t": t, "s": session.seq, "d": d});
        session.events.push((session.seq, frame.clone()));
        if let Some(tx) = &session.connection {
            let _ = tx.send(Outgoing::Frame(frame));
        }
    }
}

/// An attachment as a message shows it, with a link signed now.
fn attachment(shared: &Shared, fid: u64) -> Value {
    let files = shared.files.lock().unwrap();
    let Some(f) = files.get(&fid) else { return Value::Null };
    let generation = shared.link_generation.load(Ordering::SeqCst);
    let url = format!(
        "http://127.0.0.1:{}/cdn/attachments/{}/{fid}/{}?ex=6a2b1c00&is=6a29ca80&hm={generation}",
        shared.port, f.channel, f.filename
    );
    json!({"id": fid.to_string(), "filename": f.filename, "size": f.bytes.len(), "url": url, "proxy_url": url,
           "content_type": "application/octet-stream"})
}

/// The CDN: a file while its link lasts, else 404 as Discord's answers.
async fn cdn(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path((_, file, _)): axum::extract::Path<(u64, u64, String)>,
    uri: Uri,
) -> Response {
    let arrived = Instant::now();
    let generation: Option<u64> =
        uri.query().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("hm="))).and_then(|g| g.parse().ok());
    // A link of no generation was signed too long ago.
    let expired = generation.is_none_or(|g| g < shared.links_valid_from.load(Ordering::SeqCst));
    let found = shared.files.lock().unwrap().get(&file).cloned();
    let record = |status: u16| {
        shared.requests.lock().unwrap().push(Request {
            method: "GET".into(),
            path: uri.path().to_owned(),
            body: Value::Null,
            files: vec![],
            at: arrived,
            status,
            limited: None,
        });
        shared.changed.notify_waiters();
    };
    let (Some(f), false) = (found, expired) else {
        record(404);
        return (StatusCode::NOT_FOUND, "This content is no longer available.").into_response();
    };
    record(200);
    let hold = *shared.hold_after.lock().unwrap();
    let body = match hold {
        None => axum::body::Body::from(f.bytes),
        Some(n) => {
            // Part of it, then nothing more: the download hangs.
            let first = f.bytes.slice(..n.min(f.bytes.len()));
            use futures_util::StreamExt;
            let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(first) })
                .chain(futures_util::stream::pending());
            axum::body::Body::from_stream(stream)
        }
    };
    ([(axum::http::header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with(true, Limits::DISCORD).await
    }

    /// A fake that does not check request bodies: for benchmarks only.
    pub async fn start_unchecked(limits: Limits) -> FakeDiscord {
        FakeDiscord::start_with(false, limits).await
    }

    async fn start_with(validate: bool, limits: Limits) -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            port: addr.port(),
            next_id: AtomicU64::new(1),
            validate,
            limits,
            time: Mutex::new("2026-11-30T09:00:00.000000+00:00".into()),
            ..Shared::default()
        });
        let router = Router::new()
            .route("/cdn/attachments/{channel}/{file}/{name}", get(cdn))
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

    /// Fails if any request body a bot sent is one Discord would refuse.
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

    /// Waits until bots have identified (or resumed) `n` times in all, and
    /// a session is connected to dispatch on.
    pub async fn connected(&self, n: usize) {
        self.wait_for("the bot's gateway session", |f| {
            (f.sent().iter().filter(|s| s.op == 2 || s.op == 6).count() >= n).then_some(())
        })
        .await;
        self.wait_for("an open gateway connection", |f| (f.open_sessions() >= 1).then_some(())).await;
    }

    /// How many gateway sessions are connected now.
    pub fn open_sessions(&self) -> usize {
        self.shared.sessions.lock().unwrap().values().filter(|s| s.connection.is_some()).count()
    }

    /// Dispatches an event to every session, as Discord does for a guild's
    /// events (a session not connected gets it in its RESUME replay).
    pub fn dispatch(&self, t: &str, d: Value) {
        dispatch(&self.shared, t, &d);
    }

    /// `member` writes `content` in `channel`, attaching `files` (name and
    /// bytes): the message is kept (for `GET` and edits) and dispatched as
    /// `MESSAGE_CREATE` with its attachments' links. Returns its id.
    pub fn write(&self, channel: u64, member: &Value, content: &str, files: &[(&str, &[u8])]) -> u64 {
        let shared: Vec<(&str, Bytes)> = files.iter().map(|(n, b)| (*n, Bytes::copy_from_slice(b))).collect();
        self.write_shared(channel, member, content, &shared)
    }

    /// [`FakeDiscord::write`] with files the caller keeps too (no copy).
    pub fn write_shared(&self, channel: u64, member: &Value, content: &str, files: &[(&str, Bytes)]) -> u64 {
        let id = self.next_id();
        let author = member["user"]["id"].as_str().and_then(|i| i.parse().ok()).unwrap_or(0);
        let name = member["user"]["username"].as_str().unwrap_or("someone").to_owned();
        let roles: Vec<u64> =
            member["roles"].as_array().into_iter().flatten().filter_map(|r| r.as_str()?.parse().ok()).collect();
        let mut m = typed_message(id, channel, author, &name, &roles, content);
        m["timestamp"] = json!(self.shared.time.lock().unwrap().clone());
        let attachments: Vec<Value> = files
            .iter()
            .map(|(filename, bytes)| {
                let fid = self.next_id();
                let file = CdnFile { channel, filename: (*filename).to_owned(), bytes: bytes.clone() };
                self.shared.files.lock().unwrap().insert(fid, file);
                let mut a = attachment(&self.shared, fid);
                if self.shared.stale_links.load(Ordering::SeqCst) {
                    // Signed long ago: expired before anyone fetches it.
                    let url = a["url"].as_str().unwrap_or_default().replace("&hm=", "&hm=stale");
                    a["url"] = json!(url.clone());
                    a["proxy_url"] = json!(url);
                }
                a
            })
            .collect();
        self.shared.stale_links.store(false, Ordering::SeqCst);
        m["attachments"] = json!(attachments);
        self.shared.messages.lock().unwrap().insert(id, (m.clone(), Instant::now()));
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// A kept message's author edits it to `content`: `MESSAGE_UPDATE`.
    pub fn edit(&self, id: u64, content: &str) {
        let m = {
            let mut messages = self.shared.messages.lock().unwrap();
            let (m, _) = messages.get_mut(&id).expect("a message the fake keeps");
            m["content"] = json!(content);
            m["edited_timestamp"] = json!(self.shared.time.lock().unwrap().clone());
            m.clone()
        };
        self.dispatch("MESSAGE_UPDATE", m);
    }

    /// A kept message is deleted: `MESSAGE_DELETE`.
    pub fn delete(&self, id: u64) {
        let (m, _) = self.shared.messages.lock().unwrap().remove(&id).expect("a message the fake keeps");
        self.dispatch(
            "MESSAGE_DELETE",
            json!({"id": id.to_string(), "channel_id": m["channel_id"], "guild_id": GUILD.to_string()}),
        );
    }

    /// Every attachment link handed out so far stops working (as Discord's
    /// expire within about a day); links handed out later work.
    pub fn expire_links(&self) {
        let next = self.shared.link_generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.shared.links_valid_from.store(next, Ordering::SeqCst);
    }

    /// The next message written carries links that expired already: fetched
    /// again (`GET` the message), they are signed anew.
    pub fn next_links_stale(&self) {
        self.shared.stale_links.store(true, Ordering::SeqCst);
    }

    /// Downloads send `bytes` bytes, then stall (`None`: they complete).
    pub fn hold_downloads(&self, bytes: Option<usize>) {
        *self.shared.hold_after.lock().unwrap() = bytes;
    }

    /// Identifying with any of `intents` is refused with close code 4014,
    /// as when the application may not use them (privileged intents).
    pub fn refuse_intents(&self, intents: u64) {
        self.shared.refused_intents.store(intents, Ordering::SeqCst);
    }

    /// The instant messages are stamped with from now on (RFC 3339).
    pub fn set_time(&self, at: &str) {
        *self.shared.time.lock().unwrap() = at.to_owned();
    }

    /// Cuts every gateway connection without a close frame, as a network drop does.
    pub fn drop_connection(&self) {
        for session in self.shared.sessions.lock().unwrap().values_mut() {
            if let Some(tx) = session.connection.take() {
                let _ = tx.send(Outgoing::Drop);
            }
        }
    }

    pub fn next_id(&self) -> u64 {
        next_id(&self.shared)
    }

    /// How many times a bot closed its gateway connection with a close frame.
    pub fn clean_closes(&self) -> u64 {
        self.shared.closes.load(Ordering::SeqCst)
    }

    /// When the first callback of each answered interaction arrived.
    pub fn callback_times(&self) -> HashMap<u64, Instant> {
        self.shared.callbacks.lock().unwrap().clone()
    }

    /// The next request that matches answers with this failure instead.
    pub fn fail_next(&self, failure: Failure) {
        self.shared.failures.lock().unwrap().push(failure);
    }

    /// The next request that matches is answered 429 by its route's bucket,
    /// to be tried again after `retry_after`.
    pub fn rate_limit_next(&self, method: &'static str, path_suffix: &str, retry_after: Duration) {
        self.shared.counted.lock().unwrap().forced.push((method, path_suffix.to_owned(), retry_after));
    }

    /// The requests answered 429, by scope (`user`, `global`).
    pub fn rate_limited(&self, scope: &str) -> usize {
        self.requests().iter().filter(|r| r.limited == Some(scope)).count()
    }

    /// The next request that matches is never answered.
    /// Makes a route slow, for every request from now on.
    pub fn slow(&self, slow: Slow) {
        self.shared.slow.lock().unwrap().push(slow);
    }

    /// Makes the next request that matches slow, and that one only.
    pub fn slow_next(&self, slow: Slow) {
        self.shared.slow_once.lock().unwrap().push(slow);
    }

    pub fn stall_next(&self, stall: Stall) {
        self.shared.stalls.lock().unwrap().push(stall);
    }

    /// The messages that exist in a channel (created, not merely requested).
    pub fn messages_in(&self, channel: u64) -> Vec<Value> {
        let messages = self.shared.messages.lock().unwrap();
        let channel = channel.to_string();
        let mut found: Vec<Value> = messages
            .values()
            .map(|(m, _)| m)
            .filter(|m| m["channel_id"].as_str() == Some(channel.as_str()))
            .cloned()
            .collect();
        found.sort_by_key(|m| m["id"].as_str().and_then(|id| id.parse::<u64>().ok()));
        found
    }

    /// The threads that exist, by id.
    pub fn threads(&self) -> HashMap<u64, Thread> {
        self.shared.threads.lock().unwrap().clone()
    }

    /// Changes a thread as a moderator would (archive, lock, delete it).
    pub fn edit_thread(&self, id: u64, edit: impl FnOnce(&mut Thread)) {
        if let Some(t) = self.shared.threads.lock().unwrap().get_mut(&id) {
            edit(t);
        }
    }

    /// The bot loses access to a channel: its requests there get 403.
    pub fn deny(&self, channel: u64) {
        self.shared.denied.lock().unwrap().push(channel);
    }

    /// Forgets the nonces of every message so far, as Discord does after a
    /// few minutes.
    pub fn forget_nonces(&self) {
        let long_ago = Instant::now().checked_sub(NONCE_WINDOW * 2).unwrap_or_else(Instant::now);
        for (_, created) in self.shared.messages.lock().unwrap().values_mut() {
            *created = long_ago;
        }
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
    ws.on_upgrade(move |socket| connection(shared, socket))
}

/// One gateway connection; it serves a session once the bot identifies or resumes.
async fn connection(shared: Arc<Shared>, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if socket.send(WsMessage::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    let mut session_id: Option<String> = None;
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
                let refused = shared.refused_intents.load(Ordering::SeqCst);
                if op == 2 && v["d"]["intents"].as_u64().unwrap_or(0) & refused != 0 {
                    let close = axum::extract::ws::CloseFrame { code: 4014, reason: "Disallowed intent(s).".into() };
                    let _ = socket.send(WsMessage::Close(Some(close))).await;
                    shared.changed.notify_waiters();
                    break;
                }
                let replies = {
                    let mut sessions = shared.sessions.lock().unwrap();
                    match op {
                        1 => vec![json!({"op": 11})],
                        2 => {
                            let id = format!("fake-session-{}", sessions.len() + 1);
                            let session = Session { seq: 2, connection: Some(tx.clone()), ..Session::default() };
                            sessions.insert(id.clone(), session);
                            session_id = Some(id.clone());
                            vec![
                                json!({"op": 0, "t": "READY", "s": 1, "d": ready(shared.port, &id)}),
                                json!({"op": 0, "t": "GUILD_CREATE", "s": 2, "d": guild()}),
                            ]
                        }
                        6 => {
                            let id = v["d"]["session_id"].as_str().unwrap_or_default().to_owned();
                            let after = v["d"]["seq"].as_u64().unwrap_or(0);
                            match sessions.get_mut(&id) {
                                Some(session) => {
                                    let mut frames: Vec<Value> =
                                        session.events.iter().filter(|(s, _)| *s > after).map(|(_, f)| f.clone()).collect();
                                    session.seq += 1;
                                    frames.push(json!({"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}));
                                    session.connection = Some(tx.clone());
                                    session_id = Some(id);
                                    frames
                                }
                                // Invalid session: identify again.
                                None => vec![json!({"op": 9, "d": false})],
                            }
                        }
                        _ => vec![],
                    }
                };
                for r in replies {
                    if socket.send(WsMessage::Text(r.to_string().into())).await.is_err() {
                        break;
                    }
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
    if let Some(id) = session_id {
        if let Some(session) = shared.sessions.lock().unwrap().get_mut(&id) {
            if session.connection.as_ref().is_some_and(|c| c.same_channel(&tx)) {
                session.connection = None;
            }
        }
    }
    shared.changed.notify_waiters();
}

/// Discord notifies the users `allowed_mentions.users` lists only where the
/// content mentions them: one listed but not mentioned is a ping that never
/// happens.
fn pings_are_mentioned(body: &Value) -> Result<(), String> {
    let content = body["content"].as_str().unwrap_or_default();
    let users = body["allowed_mentions"]["users"].as_array().into_iter().flatten();
    let unmentioned: Vec<&str> =
        users.filter_map(Value::as_str).filter(|u| !content.contains(&format!("<@{u}>"))).collect();
    match unmentioned.is_empty() {
        true => Ok(()),
        false => Err(format!("allowed_mentions.users lists {unmentioned:?}, whom the content does not mention")),
    }
}

/// Every REST call: recorded, validated, answered as Discord would.
async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let arrived = Instant::now();
    let path = uri.path().strip_prefix("/api/v10").unwrap_or(uri.path()).to_owned();
    let boundary = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok());
    let (mut body, files) = match boundary {
        Some(boundary) => match multipart(&body, boundary).await {
            Ok(parsed) => parsed,
            Err(problem) => {
                shared.violations.lock().unwrap().push(format!("{method} {path}: multipart: {problem}"));
                (Value::Null, vec![])
            }
        },
        None if body.is_empty() => (Value::Null, vec![]),
        None => (serde_json::from_slice(&body).unwrap_or(Value::Null), vec![]),
    };
    if shared.validate && !body.is_null() {
        if let Err(problem) = openapi().validate(method.as_str(), &path, &body) {
            shared.violations.lock().unwrap().push(format!("{method} {path}: {problem}\n  body: {body}"));
        }
        if let Err(problem) = attachments_match(&body, &files) {
            shared.violations.lock().unwrap().push(format!("{method} {path}: {problem}"));
        }
        if let Err(problem) = pings_are_mentioned(&body) {
            shared.violations.lock().unwrap().push(format!("{method} {path}: {problem}\n  body: {body}"));
        }
    }
    // What Discord stores of each file: the message shows them as attachments.
    if !files.is_empty() {
        let stored: Vec<Value> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let url = format!("https://cdn.example/attachments/{i}/{}", f.filename);
                json!({"id": (1_000 + i).to_string(), "filename": f.filename, "size": f.bytes.len(),
                       "url": url, "proxy_url": url})
            })
            .collect();
        body["attachments"] = json!(stored);
    }
    // Every request is kept with how it was answered (0: never), and told.
    let record = |status: u16, limited: Option<&'static str>| {
        shared.requests.lock().unwrap().push(Request {
            method: method.to_string(),
            path: path.clone(),
            body: body.clone(),
            files: files.clone(),
            at: arrived,
            status,
            limited,
        });
        shared.changed.notify_waiters();
    };
    let bucket = match limited(&shared, &method, &path, arrived) {
        Ok(bucket) => bucket,
        Err(refused) => {
            let (response, scope) = (refused.response(), refused.scope);
            record(429, Some(scope));
            return response;
        }
    };
    let delay = {
        let matches = |s: &Slow| s.method == method.as_str() && path.ends_with(&s.path_suffix);
        let mut once = shared.slow_once.lock().unwrap();
        match once.iter().position(matches) {
            Some(i) => Some(once.remove(i).delay),
            None => shared.slow.lock().unwrap().iter().find(|s| matches(s)).map(|s| s.delay),
        }
    };
    if let Some(delay) = delay {
        // The fake answering late, not the test waiting.
        tokio::time::sleep(delay).await;
    }
    let stall = {
        let mut stalls = shared.stalls.lock().unwrap();
        let found = stalls.iter().position(|f| f.method == method.as_str() && path.ends_with(&f.path_suffix));
        found.map(|i| stalls.remove(i))
    };
    if let Some(stall) = stall {
        if stall.processed {
            let _ = answer(&shared, &method, &path, &body, arrived);
        }
        record(0, None);
        std::future::pending::<()>().await;
    }
    let failure = {
        let mut failures = shared.failures.lock().unwrap();
        let found = failures.iter().position(|f| f.method == method.as_str() && path.ends_with(&f.path_suffix));
        found.map(|i| failures.remove(i))
    };
    let response = match failure {
        None => answer(&shared, &method, &path, &body, arrived),
        Some(f) => {
            if f.processed {
                let _ = answer(&shared, &method, &path, &body, arrived);
            }
            let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            match f.status {
                429 => (
                    status,
                    Json(json!({"message": "You are being rate limited.", "retry_after": 0.01, "global": false})),
                )
                    .into_response(),
                _ => error(status, 0, "fake Discord: injected failure"),
            }
        }
    };
    let mut response = response;
    bucket.headers(response.headers_mut());
    let status = response.status().as_u16();
    record(status, None);
    response
}

/// The state of the bucket a request counted in, for its answer's headers.
struct Counting {
    bucket: String,
    limit: u32,
    remaining: u32,
    reset_at: Instant,
}

impl Counting {
    fn headers(&self, headers: &mut axum::http::HeaderMap) {
        let reset_after = self.reset_at.saturating_duration_since(Instant::now()).as_secs_f64();
        let reset =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64() + reset_after;
        for (name, value) in [
            ("x-ratelimit-bucket", self.bucket.clone()),
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", format!("{reset:.3}")),
            ("x-ratelimit-reset-after", format!("{reset_after:.3}")),
        ] {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
    }
}

/// A request's bucket (its kind) and top-level resource, as Discord counts
/// them: each channel's messages, thread creations, edits and member
/// additions apart; the rest by route, generously.
fn bucket_of(method: &Method, path: &str) -> (String, String, bool) {
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let major = match seg.as_slice() {
        ["channels" | "guilds" | "webhooks" | "interactions", id, ..] => format!("{}/{id}", seg[0]),
        _ => String::new(),
    };
    let (kind, per_channel) = match (method.as_str(), seg.as_slice()) {
        ("POST", ["channels", _, "messages"]) => ("messages", true),
        ("POST", ["channels", _, "threads"]) => ("threads", true),
        ("PATCH", ["channels", _, "messages", _]) => ("edits", true),
        ("PUT" | "DELETE", ["channels", _, "thread-members", _]) => ("members", true),
        ("PATCH", ["channels", _]) => ("channel", true),
        _ => ("other", false),
    };
    (format!("fake-{kind}"), major, per_channel)
}

/// A request past a limit.
struct TooMany {
    retry_after: Duration,
    /// `user` or `global`.
    scope: &'static str,
    /// The route's bucket (for a route's 429).
    bucket: Option<(String, u32)>,
}

impl TooMany {
    /// The 429 Discord answers: `retry_after` in its body, the scope and
    /// (for a route's) the bucket's headers.
    fn response(&self) -> Response {
        let global = self.scope == "global";
        let body = json!({"message": "You are being rate limited.", "retry_after": self.retry_after.as_secs_f64(),
                          "global": global, "code": 0});
        let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-scope", axum::http::HeaderValue::from_static(self.scope));
        if global {
            headers.insert("x-ratelimit-global", axum::http::HeaderValue::from_static("true"));
        }
        if let Some((bucket, limit)) = &self.bucket {
            let reset_at = Instant::now() + self.retry_after;
            Counting { bucket: bucket.clone(), limit: *limit, remaining: 0, reset_at }.headers(headers);
        }
        response
    }
}

/// Counts a request against the limits: its bucket's state for the headers,
/// or why it gets a 429.
fn limited(shared: &Shared, method: &Method, path: &str, now: Instant) -> Result<Counting, TooMany> {
    let limits = shared.limits;
    let mut counted = shared.counted.lock().unwrap();
    let exempt = path.starts_with("/interactions/") || path.starts_with("/webhooks/");
    let (bucket, major, per_channel) = bucket_of(method, path);
    let limit = if per_channel { limits.per_channel } else { limits.per_channel.saturating_mul(10) };
    let key = (bucket.clone(), major);
    let (start, count) = *counted.buckets.entry(key.clone()).or_insert((now, 0));
    let (start, count) = match now.duration_since(start) >= limits.window {
        true => (now, 0),
        false => (start, count),
    };
    let reset_at = start + limits.window;
    let too_many = |retry_after: Duration, scope: &'static str| TooMany {
        retry_after,
        scope,
        bucket: (scope == "user").then(|| (bucket.clone(), limit)),
    };
    let forced =
        counted.forced.iter().position(|(m, suffix, _)| *m == method.as_str() && path.ends_with(suffix.as_str()));
    if let Some(i) = forced {
        let (_, _, retry_after) = counted.forced.remove(i);
        return Err(too_many(retry_after, "user"));
    }
    if !exempt {
        while counted.global.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            counted.global.pop_front();
        }
        if counted.global.len() >= limits.global {
            let first = counted.global.front().copied().unwrap_or(now);
            return Err(too_many((first + Duration::from_secs(1)).saturating_duration_since(now), "global"));
        }
    }
    if count >= limit {
        return Err(too_many(reset_at.saturating_duration_since(now), "user"));
    }
    if !exempt {
        counted.global.push_back(now);
    }
    counted.buckets.insert(key, (start, count + 1));
    Ok(Counting { bucket, limit, remaining: limit - count - 1, reset_at })
}

/// A multipart body as Discord reads it: `payload_json` and `files[n]`.
async fn multipart(body: &[u8], boundary: String) -> Result<(Value, Vec<Upload>), String> {
    let mut parts = multer::Multipart::with_reader(body, boundary);
    let (mut payload, mut files) = (Value::Null, Vec::new());
    while let Some(field) = parts.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| e.to_string())?;
        match (name.as_str(), filename) {
            ("payload_json", _) => {
                payload = serde_json::from_slice(&bytes).map_err(|e| format!("payload_json is not JSON: {e}"))?
            }
            (part, Some(filename)) if part.starts_with("files[") => {
                files.push(Upload { part: name, filename, bytes: bytes.to_vec() })
            }
            (other, _) => return Err(format!("unexpected part {other:?}")),
        }
    }
    Ok((payload, files))
}

/// Each `files[n]` is described in the attachments of `payload_json` (or of
/// its `data`, for an interaction response) with id `n`
/// and the same file name, and each described attachment is uploaded.
fn attachments_match(body: &Value, files: &[Upload]) -> Result<(), String> {
    // A message's own, or an interaction response's message's.
    let described = [&body["attachments"], &body["data"]["attachments"]]
        .into_iter()
        .find_map(|a| a.as_array().cloned())
        .unwrap_or_default();
    if files.is_empty() {
        return Ok(());
    }
    if described.len() != files.len() {
        return Err(format!("{} files uploaded, {} described in attachments", files.len(), described.len()));
    }
    for f in files {
        let n = f.part.trim_start_matches("files[").trim_end_matches(']');
        let found = described
            .iter()
            .find(|a| a["id"].as_str() == Some(n) || a["id"].as_u64().map(|i| i.to_string()).as_deref() == Some(n));
        match found {
            Some(a) if a["filename"] == json!(f.filename) => {}
            Some(a) => return Err(format!("{} is {:?}, described as {}", f.part, f.filename, a["filename"])),
            None => return Err(format!("{} has no attachments entry with id {n}", f.part)),
        }
    }
    Ok(())
}

fn error(status: StatusCode, code: u64, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// Why a request in `channel` (a channel or thread) is refused, if it is.
fn refused_in(shared: &Shared, channel: u64, posting: bool) -> Option<Response> {
    if shared.denied.lock().unwrap().contains(&channel) {
        return Some(error(StatusCode::FORBIDDEN, 50001, "Missing Access"));
    }
    let threads = shared.threads.lock().unwrap();
    let thread = threads.get(&channel)?;
    if thread.deleted {
        return Some(error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"));
    }
    if thread.denied_parent(&shared.denied.lock().unwrap()) {
        return Some(error(StatusCode::FORBIDDEN, 50001, "Missing Access"));
    }
    if posting && thread.archived {
        return Some(error(StatusCode::BAD_REQUEST, 50083, "Thread is archived"));
    }
    None
}

impl Thread {
    fn denied_parent(&self, denied: &[u64]) -> bool {
        denied.contains(&self.parent)
    }
}

fn answer(shared: &Shared, method: &Method, path: &str, body: &Value, arrived: Instant) -> Response {
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let no_content = || StatusCode::NO_CONTENT.into_response();
    let id = |s: &str| s.parse::<u64>().unwrap_or(0);
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
        ("POST", ["interactions", interaction, _, "callback"]) => {
            let mut callbacks = shared.callbacks.lock().unwrap();
            if callbacks.contains_key(&id(interaction)) {
                return error(StatusCode::BAD_REQUEST, 40060, "Interaction has already been acknowledged.");
            }
            callbacks.insert(id(interaction), arrived);
            no_content()
        }
        ("GET", ["oauth2", "applications", "@me"]) => Json(application()).into_response(),
        ("GET", ["guilds", _, "threads", "active"]) => {
            let threads = shared.threads.lock().unwrap();
            let active: Vec<Value> = threads
                .iter()
                .filter(|(_, t)| !t.deleted && !t.archived)
                .map(|(tid, t)| thread(*tid, t.parent, &t.name))
                .collect();
            Json(json!({"threads": active, "members": []})).into_response()
        }
        ("PUT", ["channels", channel, "thread-members", user]) => {
            if let Some(refused) = refused_in(shared, id(channel), false) {
                return refused;
            }
            if let Some(t) = shared.threads.lock().unwrap().get_mut(&id(channel)) {
                if !t.members.contains(&id(user)) {
                    t.members.push(id(user));
                }
            }
            no_content()
        }
        ("DELETE", ["channels", channel, "thread-members", user]) => {
            if let Some(refused) = refused_in(shared, id(channel), false) {
                return refused;
            }
            let mut threads = shared.threads.lock().unwrap();
            match threads.get_mut(&id(channel)) {
                Some(t) if t.members.contains(&id(user)) => {
                    t.members.retain(|m| *m != id(user));
                    no_content()
                }
                _ => error(StatusCode::NOT_FOUND, 10007, "Unknown Member"),
            }
        }
        ("PATCH", ["channels", channel]) => {
            if let Some(refused) = refused_in(shared, id(channel), false) {
                return refused;
            }
            let mut threads = shared.threads.lock().unwrap();
            let Some(t) = threads.get_mut(&id(channel)) else {
                return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
            };
            if t.locked {
                return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
            }
            if let Some(archived) = body["archived"].as_bool() {
                t.archived = archived;
            }
            Json(thread(id(channel), t.parent, &t.name)).into_response()
        }
        ("POST", ["channels", parent, "threads"]) => {
            if let Some(refused) = refused_in(shared, id(parent), true) {
                return refused;
            }
            let tid = next_id(shared);
            let name = body["name"].as_str().unwrap_or("").to_owned();
            shared
                .threads
                .lock()
                .unwrap()
                .insert(tid, Thread { parent: id(parent), name: name.clone(), ..Thread::default() });
            Json(thread(tid, id(parent), &name)).into_response()
        }
        ("POST", ["channels", channel, "messages"]) => {
            if let Some(refused) = refused_in(shared, id(channel), true) {
                return refused;
            }
            let nonce = &body["nonce"];
            let mut messages = shared.messages.lock().unwrap();
            if body["enforce_nonce"] == json!(true) && !nonce.is_null() {
                let same = messages.values().find(|(m, created)| {
                    m["channel_id"] == *channel && m["nonce"] == *nonce && created.elapsed() < NONCE_WINDOW
                });
                if let Some((m, _)) = same {
                    return Json(m.clone()).into_response();
                }
            }
            let mid = next_id(shared);
            let mut m = message(mid, id(channel), BOT_ID, body);
            m["timestamp"] = json!(shared.time.lock().unwrap().clone());
            messages.insert(mid, (m.clone(), Instant::now()));
            // Discord tells every session of the bot's own message too.
            let mut echo = m.clone();
            echo["author"]["bot"] = json!(true);
            echo["guild_id"] = json!(GUILD.to_string());
            dispatch(shared, "MESSAGE_CREATE", &echo);
            Json(m).into_response()
        }
        ("GET", ["channels", channel, "messages", mid]) => {
            if let Some(refused) = refused_in(shared, id(channel), false) {
                return refused;
            }
            let messages = shared.messages.lock().unwrap();
            let Some((m, _)) = messages.get(&id(mid)).filter(|(m, _)| m["channel_id"] == *channel) else {
                return error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
            };
            // Fetched again, a message's links are signed anew.
            let mut m = m.clone();
            if let Some(attachments) = m["attachments"].as_array_mut() {
                for a in attachments {
                    if let Some(fid) = a["id"].as_str().and_then(|f| f.parse().ok()) {
                        *a = attachment(shared, fid);
                    }
                }
            }
            Json(m).into_response()
        }
        ("PATCH", ["channels", channel, "messages", mid]) => {
            if let Some(refused) = refused_in(shared, id(channel), true) {
                return refused;
            }
            let mut messages = shared.messages.lock().unwrap();
            let Some((m, _)) = messages.get_mut(&id(mid)) else {
                return error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
            };
            for field in ["content", "embeds", "components"] {
                if let Some(v) = body.get(field) {
                    m[field] = v.clone();
                }
            }
            Json(m.clone()).into_response()
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            Json(message(next_id(shared), 0, BOT_ID, body)).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, 0, &format!("fake Discord: no route {method} {path}")),
    }
}

// ------------------------------------------------------------------ payloads

pub fn user(id: u64, name: &str) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": name, "avatar": null})
}

/// The application, as `GET /oauth2/applications/@me` returns it.
pub fn application() -> Value {
    json!({
        "id": APP_ID.to_string(), "name": "priority-line", "icon": null, "description": "", "bot_public": false,
        "bot_require_code_grant": false, "owner": null, "verify_key": "", "team": null, "flags": 0
    })
}

pub fn member(id: u64, name: &str, roles: &[u64]) -> Value {
    json!({
        "user": user(id, name),
        "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": "2026-01-01T00:00:00.000000+00:00",
        "deaf": false, "mute": false, "flags": 0, "permissions": "2248473465835073"
    })
}

pub fn ready(port: u16, session: &str) -> Value {
    json!({
        "v": 10,
        "user": {"id": BOT_ID.to_string(), "username": "priority-line", "discriminator": "0", "avatar": null,
                 "bot": true, "verified": true, "mfa_enabled": false, "flags": 0},
        "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
        "session_id": session,
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
        "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": sent.get("attachments").cloned().unwrap_or(json!([])),
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

/// A slash command's options: subcommand `name` with string `options`.
pub fn subcommand(name: &str, options: &[(&str, &str)]) -> Value {
    let options: Vec<Value> = options.iter().map(|(n, v)| json!({"name": n, "type": 3, "value": v})).collect();
    json!([{"name": name, "type": 1, "options": options}])
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

/// INTERACTION_CREATE for a modal submitted in `channel` (type 5): its one
/// text field `field` holding `value`, as Discord sends it (no style, no
/// label).
pub fn modal_submit(id: u64, channel: u64, member: Value, custom_id: &str, field: &str, value: &str) -> Value {
    json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 5, "token": format!("token-{id}"),
        "version": 1, "guild_id": GUILD.to_string(), "channel_id": channel.to_string(), "member": member,
        "data": {"custom_id": custom_id, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]}
        ]},
        "locale": "en-US", "guild_locale": "en-US", "app_permissions": "2248473465835073", "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD.to_string()}, "context": 0,
        "attachment_size_limit": 26214400
    })
}

/// MESSAGE_CREATE for a person's message in `channel`.
/// `interaction` with the members its user options name resolved, as
/// Discord sends them: their users and, for members, their roles.
pub fn resolving(mut interaction: Value, members: &[(u64, &str, &[u64])]) -> Value {
    let mut users = serde_json::Map::new();
    let mut partial = serde_json::Map::new();
    for (id, name, roles) in members {
        users.insert(id.to_string(), user(*id, name));
        partial.insert(
            id.to_string(),
            json!({"roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                   "joined_at": "2026-01-01T00:00:00.000000+00:00", "flags": 0, "permissions": "2248473465835073"}),
        );
    }
    interaction["data"]["resolved"] = json!({"users": users, "members": partial});
    interaction
}

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
