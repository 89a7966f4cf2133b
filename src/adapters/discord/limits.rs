//! Discord's rate limits, kept by the bot itself: the same code whatever
//! `api_base` is (Discord, or the tests' fake, which enforces the limits
//! too).
//!
//! - **Route buckets**: a route (a method and path shape, and its top-level
//!   resource: each channel or thread its own) belongs to the bucket its
//!   answers' `X-RateLimit-Bucket` names; a call waits while its bucket has
//!   no request left (`X-RateLimit-Remaining`, less the calls in flight)
//!   until it resets (`X-RateLimit-Reset-After`). Calls of one bucket go
//!   side by side as far as it allows, so one slow answer holds no other
//!   ticket's call; a route not yet learned allows [`UNKNOWN_AT_ONCE`].
//!   (twilight's limiter, `twilight-http-ratelimiting`, keeps one call in
//!   flight per bucket: a thread creation that takes ten seconds would hold
//!   every other thread creation in its customer's channel.)
//! - **The global budget**: at most [`GLOBAL_BUDGET`] calls (of Discord's
//!   [`GLOBAL_LIMIT`]) in any [`GLOBAL_WINDOW`] (interaction callbacks and
//!   follow-ups aside), given
//!   to the most urgent waiting call first (a TAM's ping before a card's
//!   edit), and paused for everyone after a global 429.
//!
//! Every wait is measured (`priority_line_discord_ratelimit_wait_seconds`),
//! and the bot says so in its log, at most once a minute, while limits hold
//! it back.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::metrics::Metrics;

/// Discord's global limit: requests a bot may make a second, interaction
/// callbacks aside.
pub const GLOBAL_LIMIT: usize = 50;

/// What the deliverer takes of it: the rest is left to the calls made
/// outside it (other instances' start-up: the application's id, the
/// gateway's address, the commands' registration).
pub const GLOBAL_BUDGET: usize = 45;

/// The window the budget is counted in: a second, and a margin for the
/// requests' travel times, which move a request's arrival against its
/// departure on a busy machine.
pub const GLOBAL_WINDOW: Duration = Duration::from_millis(1100);

/// Calls of a route whose bucket no answer has told yet, at once.
pub const UNKNOWN_AT_ONCE: u32 = 2;

/// A wait shorter than this is not holding back worth a log line.
const NOTEWORTHY: Duration = Duration::from_millis(250);

/// At most one "holding back" log line this often.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// Answers whose buckets reset within this of each other speak of one window.
const SAME_WINDOW: Duration = Duration::from_millis(250);

/// What waiting for the limits cost one call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Waited {
    pub bucket: Duration,
    pub global: Duration,
}

/// What an answer's headers say of its route's bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketHeaders {
    /// `X-RateLimit-Bucket`.
    pub bucket: String,
    pub limit: u32,
    pub remaining: u32,
    /// When it resets (`X-RateLimit-Reset-After` from the answer).
    pub reset_at: Instant,
}

/// The bot's rate limits: route buckets and the global budget.
#[derive(Clone)]
pub struct Limits {
    buckets: Arc<Buckets>,
    global: Arc<Global>,
    metrics: Arc<Metrics>,
    holding: Arc<Mutex<Holding>>,
}

/// Calls held back since the last log line.
#[derive(Default)]
struct Holding {
    logged: Option<Instant>,
    calls: u64,
    longest: Duration,
}

impl Limits {
    /// Limits for one process. (Several instances share Discord's budget
    /// by delivering from one at a time: see the scheduler.)
    pub fn new(metrics: Arc<Metrics>) -> Limits {
        Limits {
            buckets: Arc::default(),
            global: Arc::new(Global::new(GLOBAL_BUDGET, GLOBAL_WINDOW)),
            metrics,
            holding: Arc::default(),
        }
    }

    /// Waits until a call to `path` (`channels/1/messages`, no leading
    /// slash) may go out: room in its route's bucket, then (unless it is
    /// an interaction's) a place in the global budget, the most urgent
    /// (lowest `urgency`) first. The permit is completed with the answer's
    /// headers.
    pub async fn admit(&self, method: &reqwest::Method, path: &str, urgency: i64) -> (Permit, Waited) {
        let start = Instant::now();
        let permit = self.buckets.acquire(Route::of(method, path)).await;
        let bucket = start.elapsed();
        let global = match exempt(path) {
            true => Duration::ZERO,
            false => self.global.take(urgency).await,
        };
        let waited = Waited { bucket, global };
        self.record(waited);
        (permit, waited)
    }

    /// Discord answered a global 429: every call waits `retry_after`.
    pub fn pause_all(&self, retry_after: Duration) {
        self.global.pause(retry_after);
    }

    fn record(&self, waited: Waited) {
        let total = waited.bucket + waited.global;
        self.metrics.discord_ratelimit_wait_seconds.observe(total.as_secs_f64());
        if total < NOTEWORTHY {
            return;
        }
        let mut holding = self.holding.lock().unwrap_or_else(|p| p.into_inner());
        holding.calls += 1;
        holding.longest = holding.longest.max(total);
        let now = Instant::now();
        if holding.logged.is_none_or(|at| now.duration_since(at) >= LOG_EVERY) {
            tracing::warn!(
                calls = holding.calls,
                longest_ms = holding.longest.as_millis() as u64,
                "holding back for Discord's rate limits: calls waited for their route's bucket or the global budget"
            );
            *holding = Holding { logged: Some(now), ..Holding::default() };
        }
    }
}

/// A route as buckets know it: its shape (the method, and the path with
/// its ids and tokens taken out) and its top-level resource (`channels/1`),
/// which splits one bucket into one per channel, guild or webhook.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Route {
    shape: String,
    major: String,
}

impl Route {
    fn of(method: &reqwest::Method, path: &str) -> Route {
        let segments: Vec<&str> = path.split('/').collect();
        let major = match segments.as_slice() {
            ["channels" | "guilds", id, ..] => format!("{}/{id}", segments[0]),
            ["webhooks" | "interactions", id, token, ..] => format!("{}/{id}/{token}", segments[0]),
            _ => String::new(),
        };
        let shape: Vec<&str> = segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let token = i == 2 && matches!(segments[0], "webhooks" | "interactions");
                match token || s.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    true => "{}",
                    false => s,
                }
            })
            .collect();
        Route { shape: format!("{method} {}", shape.join("/")), major }
    }
}

/// Where a call's room is counted: its learned bucket (for its top-level
/// resource), or its route while no answer has told the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Route(Route),
    Bucket { bucket: String, major: String },
}

#[derive(Debug, Default)]
struct Bucket {
    /// 0 while unknown.
    limit: u32,
    remaining: u32,
    reset_at: Option<Instant>,
    in_flight: u32,
}

#[derive(Default)]
struct Buckets {
    state: Mutex<BucketsState>,
    changed: Notify,
}

#[derive(Default)]
struct BucketsState {
    /// A route shape's bucket, as answers told it.
    learned: HashMap<String, String>,
    buckets: HashMap<Key, Bucket>,
}

impl BucketsState {
    fn key(&self, route: &Route) -> Key {
        match self.learned.get(&route.shape) {
            Some(bucket) => Key::Bucket { bucket: bucket.clone(), major: route.major.clone() },
            None => Key::Route(route.clone()),
        }
    }
}

/// Room for one call in its bucket, taken until the answer (or the call's
/// end without one).
pub struct Permit {
    buckets: Arc<Buckets>,
    route: Route,
    done: bool,
}

impl Permit {
    /// The answer came: its headers teach the bucket.
    pub fn complete(mut self, headers: Option<BucketHeaders>) {
        self.buckets.complete(&self.route, headers);
        self.done = true;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            // No answer: the call leaves its room, and nothing is learned.
            self.buckets.complete(&self.route, None);
        }
    }
}

impl Buckets {
    async fn acquire(self: &Arc<Self>, route: Route) -> Permit {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let key = state.key(&route);
                let b = state.buckets.entry(key.clone()).or_default();
                let now = Instant::now();
                if b.reset_at.is_some_and(|at| now >= at) {
                    b.remaining = b.limit;
                    b.reset_at = None;
                }
                let room = match b.limit {
                    0 => b.in_flight < UNKNOWN_AT_ONCE,
                    _ => b.remaining > b.in_flight,
                };
                if room {
                    b.in_flight += 1;
                    return Permit { buckets: self.clone(), route, done: false };
                }
                // Spent: until it resets; else until a call in flight ends.
                b.reset_at.filter(|_| b.remaining == 0).map(|at| at.saturating_duration_since(now))
            };
            match wait {
                Some(d) => {
                    let _ = tokio::time::timeout(d, changed).await;
                }
                None => changed.await,
            }
        }
    }

    fn complete(&self, route: &Route, headers: Option<BucketHeaders>) {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            // Counted where its route is counted now (its bucket, if an
            // answer taught it meanwhile).
            let key = state.key(route);
            if let Some(b) = state.buckets.get_mut(&key) {
                b.in_flight = b.in_flight.saturating_sub(1);
            }
            if let Some(h) = headers {
                let bucket = Key::Bucket { bucket: h.bucket.clone(), major: route.major.clone() };
                // The route's other calls still in flight count in the
                // bucket from now on: its answers count them already.
                let moved = match state.learned.insert(route.shape.clone(), h.bucket.clone()) {
                    None => state.buckets.remove(&Key::Route(route.clone())).map_or(0, |b| b.in_flight),
                    Some(_) => 0,
                };
                let b = state.buckets.entry(bucket).or_default();
                b.in_flight += moved;
                let same_window = b
                    .reset_at
                    .is_some_and(|at| at.max(h.reset_at).saturating_duration_since(at.min(h.reset_at)) < SAME_WINDOW);
                // Answers of one window may arrive out of order: the least
                // remaining is the latest count.
                b.remaining = match same_window {
                    true => b.remaining.min(h.remaining),
                    false => h.remaining,
                };
                b.limit = h.limit.max(1);
                b.reset_at = Some(h.reset_at);
            }
        }
        self.changed.notify_waiters();
    }
}

/// Interaction callbacks and follow-ups are outside the global limit.
pub fn exempt(path: &str) -> bool {
    path.starts_with("interactions/") || path.starts_with("webhooks/")
}

/// The global budget: at most `limit` calls in any `window`, given out
/// most urgent first (then in order of asking), and paused for everyone
/// after a global 429.
struct Global {
    limit: usize,
    window: Duration,
    state: Mutex<GlobalState>,
    changed: Notify,
}

#[derive(Default)]
struct GlobalState {
    /// When the calls of the last window went out.
    sent: VecDeque<Instant>,
    /// The calls waiting: (urgency, order of asking).
    waiting: BTreeSet<(i64, u64)>,
    asked: u64,
    paused_until: Option<Instant>,
}

/// A call's place in the queue, given up if the call is dropped.
struct Place<'a> {
    global: &'a Global,
    key: (i64, u64),
    served: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if !self.served {
            self.global.state.lock().unwrap_or_else(|p| p.into_inner()).waiting.remove(&self.key);
            self.global.changed.notify_waiters();
        }
    }
}

impl Global {
    fn new(limit: usize, window: Duration) -> Global {
        Global { limit, window, state: Mutex::default(), changed: Notify::new() }
    }

    /// Waits for a place in the budget; returns how long it waited.
    async fn take(&self, urgency: i64) -> Duration {
        let start = Instant::now();
        let key = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.asked += 1;
            let key = (urgency, state.asked);
            state.waiting.insert(key);
            key
        };
        let mut place = Place { global: self, key, served: false };
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                while state.sent.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    state.sent.pop_front();
                }
                match state.paused_until {
                    Some(until) if until > now => Some(until - now),
                    _ if state.waiting.first() != Some(&key) => None,
                    _ if state.sent.len() >= self.limit => {
                        state.sent.front().map(|first| (*first + self.window).saturating_duration_since(now))
                    }
                    _ => {
                        state.waiting.remove(&key);
                        state.sent.push_back(now);
                        place.served = true;
                        drop(state);
                        // The next in line looks again.
                        self.changed.notify_waiters();
                        return start.elapsed();
                    }
                }
            };
            match wait {
                Some(d) => {
                    let _ = tokio::time::timeout(d, changed).await;
                }
                None => changed.await,
            }
        }
    }

    fn pause(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        }
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(bucket: &str, limit: u32, remaining: u32, reset_after: Duration) -> Option<BucketHeaders> {
        Some(BucketHeaders { bucket: bucket.into(), limit, remaining, reset_at: Instant::now() + reset_after })
    }

    #[test]
    fn routes_are_shapes_and_their_top_level_resource() {
        let post = |path: &str| Route::of(&reqwest::Method::POST, path);
        assert_eq!(post("channels/1/messages").shape, post("channels/2/messages").shape);
        assert_ne!(post("channels/1/messages").major, post("channels/2/messages").major);
        assert_eq!(post("channels/1/messages").major, "channels/1");
        let callback = post("interactions/9/secret-token/callback");
        assert_eq!(callback.shape, "POST interactions/{}/{}/callback", "no token in a shape");
        assert_ne!(post("channels/1/threads").shape, post("channels/1/messages").shape);
    }

    /// A bucket lets its calls go side by side while it has requests left,
    /// then waits for its reset: a slow call holds no other.
    #[tokio::test(start_paused = true)]
    async fn a_bucket_lets_calls_go_side_by_side_until_it_is_spent() {
        let buckets = Arc::new(Buckets::default());
        let route = Route::of(&reqwest::Method::POST, "channels/1/threads");
        // The first answer teaches the bucket: 5 a window, 4 left.
        buckets.acquire(route.clone()).await.complete(headers("t", 5, 4, Duration::from_secs(5)));
        let start = Instant::now();
        // Four at once, none answered yet (one of them slow, say).
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(buckets.acquire(route.clone()).await);
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "four calls fit the four left");
        // The fifth waits for the reset.
        let fifth = {
            let buckets = buckets.clone();
            let route = route.clone();
            tokio::spawn(async move {
                let _permit = buckets.acquire(route).await;
                Instant::now()
            })
        };
        for (i, permit) in held.into_iter().enumerate() {
            permit.complete(headers("t", 5, 3 - i as u32, Duration::from_secs(5)));
        }
        let went = fifth.await.unwrap();
        assert!(went.duration_since(start) >= Duration::from_secs(5), "{:?}", went.duration_since(start));
    }

    /// A call still in flight when the first answer teaches its bucket
    /// counts in the bucket: the answer's count already holds it.
    #[tokio::test(start_paused = true)]
    async fn calls_in_flight_count_in_the_bucket_their_answers_teach() {
        let buckets = Arc::new(Buckets::default());
        let route = Route::of(&reqwest::Method::POST, "channels/1/threads");
        let first = buckets.acquire(route.clone()).await;
        let second = buckets.acquire(route.clone()).await;
        // Discord counted both: 5 a window, 3 left after the first answer.
        first.complete(headers("t", 5, 3, Duration::from_secs(5)));
        let mut more = Vec::new();
        for _ in 0..2 {
            more.push(tokio::time::timeout(Duration::from_millis(1), buckets.acquire(route.clone())).await.unwrap());
        }
        // The second still in flight takes the third place left.
        assert!(tokio::time::timeout(Duration::from_millis(1), buckets.acquire(route.clone())).await.is_err());
        drop(second);
        assert!(tokio::time::timeout(Duration::from_millis(1), buckets.acquire(route.clone())).await.is_ok());
    }

    /// Before any answer, a route lets [`UNKNOWN_AT_ONCE`] calls go; another
    /// channel is another bucket.
    #[tokio::test(start_paused = true)]
    async fn an_unknown_route_lets_a_few_calls_go_and_channels_are_apart() {
        let buckets = Arc::new(Buckets::default());
        let route = Route::of(&reqwest::Method::POST, "channels/1/messages");
        let first = buckets.acquire(route.clone()).await;
        let second = buckets.acquire(route.clone()).await;
        let third = tokio::time::timeout(Duration::from_secs(1), buckets.acquire(route.clone())).await;
        assert!(third.is_err(), "a third waits while the bucket is unknown");
        let other = Route::of(&reqwest::Method::POST, "channels/2/messages");
        assert!(tokio::time::timeout(Duration::from_millis(1), buckets.acquire(other)).await.is_ok());
        // An answer without headers frees its room.
        first.complete(None);
        assert!(tokio::time::timeout(Duration::from_millis(1), buckets.acquire(route.clone())).await.is_ok());
        drop(second);
    }

    /// The budget is given most urgent first: with the budget spent, a
    /// ping asked for after many card edits goes out first.
    #[tokio::test(start_paused = true)]
    async fn the_most_urgent_call_goes_first_when_the_budget_is_spent() {
        let global = Arc::new(Global::new(2, Duration::from_secs(1)));
        global.take(50).await;
        global.take(50).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut calls = Vec::new();
        for (name, urgency) in [("card 1", 50), ("card 2", 50), ("ping", 1), ("card 3", 50)] {
            let (global, order) = (global.clone(), order.clone());
            calls.push(tokio::spawn(async move {
                global.take(urgency).await;
                order.lock().unwrap().push(name);
            }));
            tokio::task::yield_now().await;
        }
        for call in calls {
            call.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["ping", "card 1", "card 2", "card 3"]);
    }

    /// No more than the limit in any window.
    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_limit_goes_out_in_any_window() {
        let global = Arc::new(Global::new(5, Duration::from_secs(1)));
        let start = Instant::now();
        let mut calls = Vec::new();
        for _ in 0..12 {
            let global = global.clone();
            calls.push(tokio::spawn(async move {
                global.take(10).await;
                Instant::now()
            }));
        }
        let mut at = Vec::new();
        for call in calls {
            at.push(call.await.unwrap());
        }
        at.sort();
        for (i, t) in at.iter().enumerate() {
            let in_window = at[i..].iter().filter(|u| u.duration_since(*t) < Duration::from_secs(1)).count();
            assert!(in_window <= 5, "{in_window} calls in the window from {:?}", t.duration_since(start));
        }
        assert!(at[11].duration_since(start) >= Duration::from_secs(2), "12 calls at 5 a second take two windows");
    }

    /// A global 429 pauses every call for its `retry_after`.
    #[tokio::test(start_paused = true)]
    async fn a_global_pause_holds_every_call() {
        let global = Global::new(50, Duration::from_secs(1));
        global.pause(Duration::from_millis(1500));
        let start = Instant::now();
        global.take(1).await;
        assert!(start.elapsed() >= Duration::from_millis(1500), "{:?}", start.elapsed());
    }

    /// A call given up (its delivery abandoned) leaves the queue: the next
    /// in line is not held behind it.
    #[tokio::test(start_paused = true)]
    async fn a_call_given_up_leaves_its_place() {
        let global = Arc::new(Global::new(1, Duration::from_secs(1)));
        global.take(50).await;
        let urgent = {
            let global = global.clone();
            tokio::spawn(async move { global.take(1).await })
        };
        tokio::task::yield_now().await;
        urgent.abort();
        let _ = urgent.await;
        let start = Instant::now();
        global.take(50).await;
        assert!(start.elapsed() <= Duration::from_secs(1), "{:?}", start.elapsed());
    }
}
