//! What operators watch: Prometheus metrics, observed where things happen
//! (the application layer, the scheduler, the Discord adapter) and encoded
//! by the HTTP adapter at `GET /metrics`.

use std::sync::atomic::{AtomicBool, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::domain::sla::Severity;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SeverityLabel {
    pub severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InstanceLabels {
    pub instance: String,
    pub mode: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpenLabels {
    pub customer: String,
    pub severity: String,
    /// `open`, `acknowledged`, `waiting` (on the customer) or `reopened`.
    pub state: String,
}

/// The scope of a 429 Discord answered: `user` (a route's bucket), `global`
/// or `shared` (a resource's limit, which does not count against the bot).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScopeLabel {
    pub scope: String,
}

impl ScopeLabel {
    pub fn of(scope: &str) -> ScopeLabel {
        ScopeLabel { scope: scope.to_owned() }
    }
}

/// A rating's score, 1 to 5.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ScoreLabel {
    pub score: String,
}

impl SeverityLabel {
    pub fn of(s: Severity) -> SeverityLabel {
        SeverityLabel { severity: s.level().to_string() }
    }
}

pub struct Metrics {
    registry: Registry,
    /// Set from the database at each scrape.
    pub open_tickets: Family<OpenLabels, Gauge>,
    pub first_response_seconds: Family<SeverityLabel, Histogram, fn() -> Histogram>,
    pub breaches: Counter,
    pub updates_overdue: Counter,
    pub notifications_sent: Counter,
    pub notifications_late: Counter,
    pub notifications_failed: Counter,
    pub notification_lag_seconds: Histogram,
    pub interaction_seconds: Histogram,
    pub gateway_connected: Gauge,
    /// Events another instance took (each event takes effect once).
    pub events_skipped: Counter,
    /// Outbox jobs of kinds this version does not know, left for another instance.
    pub jobs_unknown: Counter,
    /// Outbox jobs this instance has claimed and not yet finished.
    pub deliveries_in_flight: Gauge,
    /// 1, labelled with this instance's name and mode.
    pub instance: Family<InstanceLabels, Gauge>,
    /// Whether this process runs a gateway connection at all (the console does not).
    pub gateway_expected: AtomicBool,
    /// 429s Discord answered, by scope.
    pub discord_ratelimited: Family<ScopeLabel, Counter>,
    /// How long calls waited for the bot's own limits (their route's bucket
    /// and the global budget).
    pub discord_ratelimit_wait_seconds: Histogram,
    /// 1 while this instance delivers the outbox (one at a time).
    pub deliverer: Gauge,
    /// Ratings given (a replaced rating counts again), by score.
    pub ratings: Family<ScoreLabel, Counter>,
    /// Bytes the record of tickets' threads keeps (files and texts); set
    /// from the database at each scrape.
    pub transcript_bytes: Gauge,
    /// Files of tickets' threads kept, and given up.
    pub files_kept: Counter,
    pub files_failed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("priority_line");
        let open_tickets = Family::<OpenLabels, Gauge>::default();
        registry.register(
            "open_tickets",
            "Tickets not closed, by customer, severity and state (waiting: on the customer)",
            open_tickets.clone(),
        );
        // From 1 minute to 2 days: L1's 30 minutes to L4's working days.
        fn response_histogram() -> Histogram {
            Histogram::new([60.0, 300.0, 900.0, 1800.0, 3600.0, 4.0 * 3600.0, 8.0 * 3600.0, 86400.0, 172800.0])
        }
        let first_response_seconds =
            Family::<SeverityLabel, Histogram, fn() -> Histogram>::new_with_constructor(response_histogram);
        registry.register(
            "first_response_seconds",
            "Time from opening to the qualified first response, by severity",
            first_response_seconds.clone(),
        );
        let breaches = Counter::default();
        registry.register("breaches", "First-response targets breached", breaches.clone());
        let updates_overdue = Counter::default();
        registry.register(
            "updates_overdue",
            "Update deadlines after the first response that passed without an update",
            updates_overdue.clone(),
        );
        let notifications_sent = Counter::default();
        registry.register(
            "notifications_sent",
            "Notifications delivered: threads, cards, posts and escalation steps",
            notifications_sent.clone(),
        );
        let notifications_late = Counter::default();
        registry.register(
            "notifications_late",
            "Notifications sent late (the bot was down when they fell due)",
            notifications_late.clone(),
        );
        let notifications_failed = Counter::default();
        registry.register(
            "notifications_failed",
            "Notifications that could not be delivered and were given up (said elsewhere instead)",
            notifications_failed.clone(),
        );
        let deliveries_in_flight = Gauge::default();
        registry.register(
            "deliveries_in_flight",
            "Outbox jobs this instance has claimed and is delivering",
            deliveries_in_flight.clone(),
        );
        let notification_lag_seconds = Histogram::new([0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0]);
        registry.register(
            "notification_lag_seconds",
            "From a notification's due instant to its sending",
            notification_lag_seconds.clone(),
        );
        let interaction_seconds = Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0]);
        registry.register(
            "interaction_seconds",
            "From a Discord interaction's arrival to its reply",
            interaction_seconds.clone(),
        );
        let events_skipped = Counter::default();
        registry.register(
            "events_skipped",
            "Discord events this instance left alone because another instance (or an earlier delivery) took them",
            events_skipped.clone(),
        );
        let jobs_unknown = Counter::default();
        registry.register(
            "jobs_unknown",
            "Outbox jobs of a kind this version does not know, left for an instance that does (a rolling upgrade)",
            jobs_unknown.clone(),
        );
        let instance = Family::<InstanceLabels, Gauge>::default();
        registry.register(
            "instance",
            "This instance: its name and how interactions reach it (gateway or http)",
            instance.clone(),
        );
        let gateway_connected = Gauge::default();
        registry.register("gateway_connected", "1 while the Discord gateway session is up", gateway_connected.clone());
        let discord_ratelimited = Family::<ScopeLabel, Counter>::default();
        registry.register(
            "discord_ratelimited",
            "Discord REST calls answered 429 (rate limited), by scope: user (a route), global or shared",
            discord_ratelimited.clone(),
        );
        let discord_ratelimit_wait_seconds =
            Histogram::new([0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]);
        registry.register(
            "discord_ratelimit_wait_seconds",
            "How long a Discord REST call waited for the bot's own rate limits (route bucket and global budget)",
            discord_ratelimit_wait_seconds.clone(),
        );
        let deliverer = Gauge::default();
        registry.register(
            "deliverer",
            "1 while this instance delivers the outbox (one instance at a time keeps Discord's budget)",
            deliverer.clone(),
        );
        let ratings = Family::<ScoreLabel, Counter>::default();
        registry.register("ratings", "Ratings customers gave closed tickets, by score (1 to 5)", ratings.clone());
        let transcript_bytes = Gauge::default();
        registry.register(
            "transcript_bytes",
            "Bytes the record of tickets' threads keeps: files and message texts",
            transcript_bytes.clone(),
        );
        let files_kept = Counter::default();
        registry.register("files_kept", "Files attached in tickets' threads, downloaded and kept", files_kept.clone());
        let files_failed = Counter::default();
        registry.register(
            "files_failed",
            "Files attached in tickets' threads that could not be kept (their links failed for good)",
            files_failed.clone(),
        );
        Metrics {
            transcript_bytes,
            files_kept,
            files_failed,
            ratings,
            registry,
            open_tickets,
            first_response_seconds,
            breaches,
            updates_overdue,
            notifications_sent,
            notifications_late,
            notifications_failed,
            notification_lag_seconds,
            interaction_seconds,
            gateway_connected,
            events_skipped,
            jobs_unknown,
            deliveries_in_flight,
            instance,
            gateway_expected: AtomicBool::new(false),
            discord_ratelimited,
            discord_ratelimit_wait_seconds,
            deliverer,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Sets the open-tickets gauges from the database's counts.
    pub fn set_open_tickets(&self, counts: &[crate::storage::OpenCount]) {
        self.open_tickets.clear();
        for c in counts {
            let labels =
                OpenLabels { customer: c.customer.clone(), severity: c.severity.to_string(), state: c.state.clone() };
            self.open_tickets.get_or_create(&labels).set(c.n);
        }
    }

    /// Names this instance in the metrics.
    pub fn describe(&self, instance: &str, mode: &str) {
        self.instance.clear();
        self.instance.get_or_create(&InstanceLabels { instance: instance.into(), mode: mode.into() }).set(1);
    }

    pub fn gateway_up(&self) -> bool {
        !self.gateway_expected.load(Ordering::Relaxed) || self.gateway_connected.get() == 1
    }
}
