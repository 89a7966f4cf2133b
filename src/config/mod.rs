//! The configuration: a TOML file parsed into domain values. Every problem is
//! reported with the file, the key and what is wrong, all of them at once.
//! Secrets never live here: the file only names the environment variable that
//! holds the Discord token.

mod raw;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::domain::calendar::{Calendar, WeekHours, WorkingInterval};
use crate::domain::classify::{Classifier, Rule};
use crate::domain::customer::{Customer, CustomerKey, Snowflake};
use crate::domain::escalation::{Destination, Policy, Recipient, Step, Trigger};
use crate::domain::sla::{Clock, Plan, ResponseTarget, Severity, Targets};
use raw::RawConfig;

/// A loaded, valid configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: PathBuf,
    pub calendars: BTreeMap<String, Arc<Calendar>>,
    pub plans: BTreeMap<String, Plan>,
    pub storage: StorageConfig,
    pub http: HttpConfig,
    pub discord: Option<DiscordConfig>,
    pub customers: Vec<Customer>,
    pub classifier: Classifier,
    pub console_users: Vec<ConsoleUser>,
    /// Escalation steps by plan name.
    pub escalation: BTreeMap<String, Policy>,
    /// A notification sent later than this after its due instant is marked late.
    pub late_after: std::time::Duration,
    /// `[escalation].group_window`: escalation-channel notices that fall due
    /// this close to a group's first are one message.
    pub group_window: std::time::Duration,
    pub log_format: LogFormat,
    pub signatures: SignaturesConfig,
    /// `[[summaries]]`: where weekly summaries are posted.
    pub summaries: Vec<SummaryConfig>,
    /// `[followup]`: waits on the customer left unanswered.
    pub followup: FollowupConfig,
    /// `[satisfaction]`: the rating asked on closing.
    pub satisfaction: SatisfactionConfig,
    /// `[transcripts]`: the record of tickets' threads; `None` when off.
    pub transcripts: Option<TranscriptsConfig>,
}

/// `[transcripts]`, when `enabled`: every message and file of tickets'
/// threads kept, and a transcript posted on closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscriptsConfig {
    /// The staff channel each closed ticket's transcript goes to.
    pub channel: Snowflake,
    /// Larger attachments are recorded without their bytes.
    pub max_file: u64,
    /// Messages and files of tickets closed longer ago are deleted; `None`:
    /// kept for ever.
    pub keep: Option<std::time::Duration>,
}

/// `[transcripts].max_file` when not given: Discord's own upload limit
/// for a server without boosts.
pub const DEFAULT_MAX_FILE: u64 = 25 * 1024 * 1024;

/// `[satisfaction]`: whether the closing post asks "How did we do?".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SatisfactionConfig {
    pub enabled: bool,
}

/// `[followup]`: what happens to a wait on the customer left unanswered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowupConfig {
    /// Unanswered this long, the opener is reminded once; `None`: never.
    pub remind_after: Option<std::time::Duration>,
    /// Unanswered this long from the wait's start, the ticket closes as "no
    /// answer from the customer"; `None`: never.
    pub close_after: Option<std::time::Duration>,
}

/// One `[[summaries]]` entry: a channel that gets a weekly summary, of one
/// customer or of all, at a local day and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryConfig {
    pub channel: Snowflake,
    pub customer: Option<crate::domain::customer::CustomerKey>,
    pub day: chrono::Weekday,
    pub time: chrono::NaiveTime,
    pub zone: chrono_tz::Tz,
    pub language: crate::domain::customer::Language,
}

/// `[signatures]`: antivirus signature change requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignaturesConfig {
    /// The specialist group, who analyse requests (staff can act on them too).
    pub specialist_role: Option<Snowflake>,
    /// Whose first-response target of the customer's plan a request gets.
    pub severity: Severity,
    /// How long a superseded database release still counts.
    pub grace: std::time::Duration,
}

impl Default for SignaturesConfig {
    fn default() -> Self {
        SignaturesConfig {
            specialist_role: None,
            severity: Severity::High,
            grace: std::time::Duration::from_secs(4 * 3600),
        }
    }
}

/// Someone the console can act as (`:as NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    pub name: String,
    pub id: Snowflake,
    /// Counts as support staff (in Discord: has the staff role).
    pub staff: bool,
    /// In the specialist group (in Discord: has `[signatures].specialist_role`).
    pub specialist: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordConfig {
    /// Name of the environment variable that holds the bot token.
    pub token_env: String,
    pub api_base: String,
    pub guild: Snowflake,
    pub staff_role: Snowflake,
    pub escalation_channel: Option<Snowflake>,
    /// The role the escalation steps ping as "role".
    pub escalation_role: Option<Snowflake>,
    /// Register the slash commands in the support server only (fast to update)
    /// or globally.
    pub global_commands: bool,
    /// A staff member's first message in an unanswered ticket's thread
    /// acknowledges it, like /ack.
    pub ack_by_first_message: bool,
    /// A post that keeps failing for this long is given up: said in the
    /// support or escalation channel instead, and marked failed.
    pub give_up_after: std::time::Duration,
    /// How interactions arrive.
    pub interactions: Interactions,
    /// Who keeps Discord's rate limits.
    pub rate_limits: RateLimits,
}

/// Who keeps Discord's rate limits (`[discord].rate_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimits {
    /// The bot itself (`"own"`): every call waits for its route's bucket
    /// and the global budget.
    #[default]
    Own,
    /// A rate-limiting proxy in front of `api_base` (`"proxy"`, such as
    /// twilight-http-proxy).
    Proxy,
}

/// How Discord delivers interactions to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interactions {
    /// Over the gateway, to every instance's session (`"gateway"`).
    Gateway,
    /// Posted once to `POST /interactions` on `[http].listen` (`"http"`),
    /// signed with the application's Ed25519 key.
    Http { public_key: [u8; 32] },
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Lines for people (ANSI colours only on a terminal).
    #[default]
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("\"{other}\" is not a log format: write \"text\" or \"json\"")),
        }
    }
}

/// A delivery that keeps failing is given up after this long.
pub const DEFAULT_GIVE_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Sent more than this after its due instant, a notification is marked late.
pub const DEFAULT_LATE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// `[escalation].group_window` when not given (SPEC.md).
pub const DEFAULT_GROUP_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

/// One thing wrong with a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted TOML key, e.g. `calendars.madrid.hours.mon[1]`; empty for the file as a whole.
    pub key: String,
    pub message: String,
}

/// A configuration file that cannot be used, with everything wrong in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "{}: invalid configuration ({n} problem{})", self.file.display(), if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            write!(f, "\n  {}: ", self.file.display())?;
            if !p.key.is_empty() {
                write!(f, "{}: ", p.key)?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            problems: vec![Problem { key: String::new(), message: format!("cannot read the file: {e}") }],
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let fail = |problems| ConfigError { file: path.to_owned(), problems };
        let raw = parse_toml(text).map_err(|p| fail(vec![p]))?;
        let mut v = Validator::default();
        let config = v.config(raw, path);
        if v.problems.is_empty() {
            Ok(config)
        } else {
            Err(fail(v.problems))
        }
    }

    pub fn calendar(&self, name: &str) -> Result<&Arc<Calendar>, String> {
        self.calendars.get(name).ok_or_else(|| unknown("calendar", name, self.calendars.keys()))
    }

    /// A plan's escalation steps (every plan has them: defaults at least).
    pub fn escalation(&self, plan: &str) -> Result<&Policy, String> {
        self.escalation.get(plan).ok_or_else(|| unknown("plan", plan, self.plans.keys()))
    }

    pub fn plan(&self, name: &str) -> Result<&Plan, String> {
        self.plans.get(name).ok_or_else(|| unknown("plan", name, self.plans.keys()))
    }

    pub fn customer(&self, key: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.key.as_str() == key)
    }

    /// The `[[summaries]]` entry of `channel` and `customer` (none: all).
    pub fn summary(&self, channel: Snowflake, customer: Option<&str>) -> Option<&SummaryConfig> {
        self.summaries.iter().find(|s| s.channel == channel && s.customer.as_ref().map(|k| k.as_str()) == customer)
    }

    /// The customer whose support channel this is.
    pub fn customer_by_channel(&self, channel: Snowflake) -> Option<&Customer> {
        self.customers.iter().find(|c| c.support_channel == channel)
    }

    /// Customers of whom this user is the TAM or backup TAM.
    pub fn tam_of(&self, user: Snowflake) -> impl Iterator<Item = &Customer> {
        self.customers.iter().filter(move |c| c.tam == user || c.backup_tam == Some(user))
    }
}

fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    if known.is_empty() {
        format!("unknown {what} \"{name}\": the configuration defines none")
    } else {
        format!("unknown {what} \"{name}\" (defined: {})", known.join(", "))
    }
}

/// TOML syntax and shape errors, with the key path and line:column.
fn parse_toml(text: &str) -> Result<RawConfig, Problem> {
    let located = |e: &toml::de::Error| {
        let at = e.span().map(|s| line_col(text, s.start)).map(|(l, c)| format!(" (line {l}, column {c})"));
        format!("{}{}", e.message().trim_end(), at.unwrap_or_default())
    };
    let de = toml::Deserializer::parse(text).map_err(|e| Problem { key: String::new(), message: located(&e) })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        Problem { key: if key == "." { String::new() } else { key }, message: located(e.inner()) }
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { key: key.into(), message: message.into() });
    }

    /// Parses `value`, recording a problem at `key` when it fails.
    fn parsed<T>(&mut self, key: impl Into<String>, value: Result<T, String>) -> Option<T> {
        value.map_err(|e| self.problem(key, e)).ok()
    }

    /// A humantime duration at `key` (`"30m"`, `"2d"`).
    fn duration(&mut self, key: impl Into<String>, d: &str) -> Option<std::time::Duration> {
        self.parsed(
            key,
            humantime::parse_duration(d).map_err(|e| format!("\"{d}\" is not a duration like \"1h\" or \"2d\": {e}")),
        )
    }

    /// An optional duration at `key` that, given, is longer than zero.
    fn positive(&mut self, key: &str, d: Option<&str>) -> Option<std::time::Duration> {
        let parsed = self.duration(key, d?)?;
        if parsed.is_zero() {
            self.problem(key, "must be longer than zero (leave it out for never)");
            return None;
        }
        Some(parsed)
    }

    /// `[transcripts]`: when enabled, a channel to post to; a size; a
    /// positive duration to keep for, if any.
    fn transcripts(&mut self, raw: &raw::RawTranscripts) -> Option<TranscriptsConfig> {
        let channel = raw.channel.as_ref().and_then(|c| self.parsed("transcripts.channel", c.parse()));
        let max_file = match &raw.max_file {
            Some(size) => self.parsed("transcripts.max_file", crate::domain::record::parse_size(size)),
            None => Some(DEFAULT_MAX_FILE),
        };
        let keep = self.positive("transcripts.keep", raw.keep.as_deref());
        if !raw.enabled {
            return None;
        }
        let Some(channel) = channel else {
            if raw.channel.is_none() {
                self.problem("transcripts.channel", "transcripts need a staff channel to post to (its id)");
            }
            return None;
        };
        Some(TranscriptsConfig { channel, max_file: max_file?, keep })
    }

    /// `[followup]`: each key a positive duration; closing after reminding.
    fn followup(&mut self, raw: &raw::RawFollowup) -> FollowupConfig {
        let remind_after = self.positive("followup.remind_after", raw.remind_after.as_deref());
        let close_after = self.positive("followup.close_after", raw.close_after.as_deref());
        if let (Some(remind), Some(close)) = (remind_after, close_after) {
            if close <= remind {
                self.problem(
                    "followup.close_after",
                    "must be longer than followup.remind_after: the reminder comes before the closing",
                );
            }
        }
        FollowupConfig { remind_after, close_after }
    }

    /// A `severity = N` key.
    fn severity(&mut self, key: String, level: i64) -> Option<Severity> {
        let severity = u8::try_from(level).ok().and_then(Severity::from_level);
        self.parsed(key, severity.ok_or_else(|| format!("{level} is not a severity level (1 to 4)")))
    }

    fn config(&mut self, raw: RawConfig, path: &Path) -> Config {
        let calendars: BTreeMap<String, Arc<Calendar>> = raw
            .calendars
            .iter()
            .filter_map(|(name, c)| Some((name.clone(), Arc::new(self.calendar(name, c)?))))
            .collect();
        let plans: BTreeMap<String, Plan> =
            raw.plans.iter().filter_map(|(name, p)| Some((name.clone(), self.plan(name, p)?))).collect();
        let storage = StorageConfig { url: raw.storage.url.clone() };
        if url_has_password(&storage.url) {
            // The URL is not echoed: it holds the secret.
            self.problem(
                "storage.url",
                "holds a password; remove it from the file and set PGPASSWORD in the environment instead \
                 (secrets come only from the environment)",
            );
        } else if !["sqlite:", "postgres:", "postgresql:"].iter().any(|s| storage.url.starts_with(s)) {
            self.problem("storage.url", format!("\"{}\" is neither a sqlite:// nor a postgres:// URL", storage.url));
        }
        let listen = self.parsed(
            "http.listen",
            raw.http
                .listen
                .parse()
                .map_err(|_| format!("\"{}\" is not an address like 127.0.0.1:9184", raw.http.listen)),
        );
        let http = HttpConfig { listen: listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9184))) };
        let discord = raw.discord.as_ref().and_then(|d| self.discord(d));
        let customers = self.customers(&raw, &calendars, &plans);
        self.separate_channels(&raw, discord.as_ref());
        let classifier = self.classifier(&raw.classification);
        let console_users = self.console_users(&raw.console);
        let escalation = self.escalation(&raw.escalation, &plans);
        let late_after = match &raw.escalation.late_after {
            Some(d) => self.duration("escalation.late_after", d).unwrap_or(DEFAULT_LATE_AFTER),
            None => DEFAULT_LATE_AFTER,
        };
        let group_window = match &raw.escalation.group_window {
            Some(d) => self.duration("escalation.group_window", d).unwrap_or(DEFAULT_GROUP_WINDOW),
            None => DEFAULT_GROUP_WINDOW,
        };
        let followup = self.followup(&raw.followup);
        let transcripts = self.transcripts(&raw.transcripts);
        let log_format = match &raw.log.format {
            Some(f) => self.parsed("log.format", f.parse()).unwrap_or_default(),
            None => LogFormat::default(),
        };
        let signatures = self.signatures(&raw.signatures);
        let summaries = self.summaries(&raw, &customers);
        Config {
            summaries,
            followup,
            satisfaction: SatisfactionConfig { enabled: raw.satisfaction.enabled },
            transcripts,
            escalation,
            late_after,
            group_window,
            log_format,
            signatures,
            source: path.to_owned(),
            calendars,
            plans,
            storage,
            http,
            discord,
            customers,
            classifier,
            console_users,
        }
    }

    fn classifier(&mut self, raw: &raw::RawClassification) -> Classifier {
        let mut rules = Vec::new();
        for (i, r) in raw.rules.iter().enumerate() {
            let at = format!("classification.rules[{i}]");
            let severity = self.severity(format!("{at}.severity"), r.severity);
            let language = match &r.language {
                Some(l) => self.parsed(format!("{at}.language"), l.parse()).map(Some),
                None => Some(None),
            };
            let pattern = self.parsed(
                format!("{at}.pattern"),
                regex::Regex::new(&r.pattern).map_err(|e| format!("not a valid regular expression: {e}")),
            );
            if let (Some(severity), Some(language), Some(pattern)) = (severity, language, pattern) {
                rules.push(Rule { name: r.name.clone(), severity, language, pattern });
            }
        }
        Classifier::new(rules)
    }

    /// Each plan's steps: SPEC.md's defaults, except for the (plan, severity)
    /// pairs that `[[escalation.steps]]` configures, whose steps replace them.
    fn escalation(&mut self, raw: &raw::RawEscalation, plans: &BTreeMap<String, Plan>) -> BTreeMap<String, Policy> {
        let defaults = Policy::spec_default();
        let mut configured: BTreeMap<(String, Severity), Vec<Step>> = BTreeMap::new();
        for (i, s) in raw.steps.iter().enumerate() {
            let at = format!("escalation.steps[{i}]");
            let severity = self.severity(format!("{at}.severity"), s.severity);
            let names: Vec<String> = s.plans.clone().unwrap_or_else(|| plans.keys().cloned().collect());
            for name in &names {
                if !plans.contains_key(name) {
                    self.problem(format!("{at}.plans"), unknown("plan", name, plans.keys()));
                }
            }
            let trigger = self.parsed(format!("{at}.at"), Trigger::parse(&s.at));
            let ping: Vec<Option<Recipient>> =
                s.ping.iter().map(|r| self.parsed(format!("{at}.ping"), Recipient::parse(r))).collect();
            let post: Vec<Option<Destination>> =
                s.post.iter().map(|d| self.parsed(format!("{at}.post"), Destination::parse(d))).collect();
            let (Some(severity), Some(trigger)) = (severity, trigger) else { continue };
            let step = Step {
                trigger,
                ping: ping.into_iter().flatten().collect(),
                post: post.into_iter().flatten().collect(),
            };
            for name in names {
                configured.entry((name, severity)).or_default().push(step.clone());
            }
        }
        plans
            .keys()
            .map(|name| {
                let by_level = Severity::ALL.map(|severity| {
                    configured.remove(&(name.clone(), severity)).unwrap_or_else(|| defaults.steps(severity).to_vec())
                });
                (name.clone(), Policy::new(by_level))
            })
            .collect()
    }

    fn console_users(&mut self, raw: &raw::RawConsole) -> Vec<ConsoleUser> {
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        for (i, u) in raw.users.iter().enumerate() {
            let at = format!("console.users[{i}]");
            let name_ok = !u.name.is_empty() && u.name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                self.problem(
                    format!("{at}.name"),
                    format!("\"{}\" is not a user name (letters, digits, - and _)", u.name),
                );
            } else if !names.insert(u.name.clone()) {
                self.problem(format!("{at}.name"), format!("user name \"{}\" is used twice", u.name));
            }
            if let Some(id) = self.parsed(format!("{at}.id"), u.id.parse()) {
                out.push(ConsoleUser { name: u.name.clone(), id, staff: u.staff, specialist: u.specialist });
            }
        }
        out
    }

    fn calendar(&mut self, name: &str, raw: &raw::RawCalendar) -> Option<Calendar> {
        let at = format!("calendars.{name}");
        let zone = self.parsed(
            format!("{at}.zone"),
            raw.zone.parse::<Tz>().map_err(|_| {
                format!("unknown time zone \"{}\" (expected an IANA name such as \"Europe/Madrid\")", raw.zone)
            }),
        );
        let mut hours = WeekHours::default();
        let mut hours_ok = true;
        for (key, day, intervals) in raw.hours.days() {
            let parsed: Vec<Option<WorkingInterval>> = intervals
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, s)| self.parsed(format!("{at}.hours.{key}[{i}]"), s.parse()))
                .collect();
            match parsed.into_iter().collect::<Option<Vec<_>>>() {
                Some(list) => {
                    if let Err(e) = hours.set(day, list) {
                        self.problem(format!("{at}.hours.{key}"), e);
                        hours_ok = false;
                    }
                }
                None => hours_ok = false,
            }
        }
        let mut holidays = BTreeSet::new();
        for (i, h) in raw.holidays.iter().enumerate() {
            let date =
                NaiveDate::parse_from_str(h, "%Y-%m-%d").map_err(|_| format!("\"{h}\" is not a date (YYYY-MM-DD)"));
            if let Some(d) = self.parsed(format!("{at}.holidays[{i}]"), date) {
                holidays.insert(d);
            }
        }
        Some(Calendar::new(zone?, hours_ok.then_some(hours)?, holidays))
    }

    fn plan(&mut self, name: &str, raw: &raw::RawPlan) -> Option<Plan> {
        let at = format!("plans.{name}.targets");
        let mut by_level: [Option<ResponseTarget>; 4] = [None; 4];
        let mut complete = true;
        for (level, t) in &raw.targets {
            let key = format!("{at}.{level}");
            let Some(severity) = level.parse::<u8>().ok().and_then(Severity::from_level) else {
                self.problem(key, format!("\"{level}\" is not a severity level (1 to 4)"));
                complete = false;
                continue;
            };
            let clock = self.parsed(format!("{key}.clock"), t.clock.parse::<Clock>());
            let mut target =
                clock.and_then(|c| self.parsed(format!("{key}.response"), ResponseTarget::parse(&t.response, c)));
            if let (Some(update), Some(t)) = (&t.update, target) {
                let every = self.duration(format!("{key}.update"), update);
                target = every.and_then(|every| self.parsed(format!("{key}.update"), t.with_update(every)));
            }
            complete &= target.is_some();
            by_level[usize::from(severity.level() - 1)] = target;
        }
        let missing: Vec<String> = Severity::ALL
            .iter()
            .filter(|s| !raw.targets.keys().any(|k| k.parse::<u8>().ok() == Some(s.level())))
            .map(|s| s.level().to_string())
            .collect();
        if !missing.is_empty() {
            self.problem(
                at,
                format!("missing target for severity {} (every plan needs levels 1 to 4)", missing.join(", ")),
            );
            return None;
        }
        let targets = by_level.into_iter().collect::<Option<Vec<_>>>()?;
        let targets: [ResponseTarget; 4] = targets.try_into().ok()?;
        complete.then(|| Plan { name: name.to_owned(), rank: raw.rank, targets: Targets::new(targets) })
    }

    fn discord(&mut self, raw: &raw::RawDiscord) -> Option<DiscordConfig> {
        if raw.token_env.is_empty() || !raw.token_env.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            self.problem("discord.token_env", format!("\"{}\" is not an environment variable name", raw.token_env));
        }
        if !(raw.api_base.starts_with("http://") || raw.api_base.starts_with("https://")) {
            self.problem("discord.api_base", format!("\"{}\" is not an http:// or https:// URL", raw.api_base));
        }
        let guild = self.parsed("discord.guild", raw.guild.parse());
        let staff_role = self.parsed("discord.staff_role", raw.staff_role.parse());
        let escalation_channel = match &raw.escalation_channel {
            Some(c) => Some(self.parsed("discord.escalation_channel", c.parse())?),
            None => None,
        };
        let give_up_after = match &raw.give_up_after {
            Some(d) => self.parsed(
                "discord.give_up_after",
                humantime::parse_duration(d).map_err(|e| format!("\"{d}\" is not a duration like \"1h\": {e}")),
            )?,
            None => DEFAULT_GIVE_UP_AFTER,
        };
        let escalation_role = match &raw.escalation_role {
            Some(r) => Some(self.parsed("discord.escalation_role", r.parse())?),
            None => None,
        };
        Some(DiscordConfig {
            escalation_role,
            token_env: raw.token_env.clone(),
            api_base: raw.api_base.trim_end_matches('/').to_owned(),
            guild: guild?,
            staff_role: staff_role?,
            escalation_channel,
            global_commands: match raw.commands.as_str() {
                "guild" => false,
                "global" => true,
                other => {
                    self.problem("discord.commands", format!("\"{other}\" is not \"guild\" or \"global\""));
                    return None;
                }
            },
            ack_by_first_message: raw.ack_by_first_message,
            give_up_after,
            interactions: self.interactions(raw)?,
            rate_limits: match raw.rate_limits.as_str() {
                "own" => RateLimits::Own,
                "proxy" => RateLimits::Proxy,
                other => {
                    self.problem("discord.rate_limits", format!("\"{other}\" is not \"own\" or \"proxy\""));
                    return None;
                }
            },
        })
    }

    /// Channels that would mix customers' conversations: two customers
    /// sharing a support channel, or a support channel that is also the
    /// escalation channel. Each problem names both keys.
    fn separate_channels(&mut self, raw: &RawConfig, discord: Option<&DiscordConfig>) {
        let mut seen: Vec<(String, String)> = Vec::new();
        if let (Some(d), Some(c)) = (discord, raw.discord.as_ref().and_then(|d| d.escalation_channel.clone())) {
            if d.escalation_channel.is_some() {
                seen.push(("discord.escalation_channel".into(), c));
            }
        }
        for (i, c) in raw.customers.iter().enumerate() {
            let key = format!("customers[{i}].support_channel");
            if let Some((other, _)) = seen.iter().find(|(_, channel)| *channel == c.support_channel) {
                self.problem(
                    key.clone(),
                    format!(
                        "\"{}\" is also {other}: a customer's support channel must be its own, or one customer's \
                         posts would reach another",
                        c.support_channel
                    ),
                );
            }
            seen.push((key, c.support_channel.clone()));
        }
    }

    /// `[[summaries]]`: each entry's values, its customer configured, and no
    /// summary where another customer's contacts would read it (a support
    /// channel holds its own customer's summary only).
    fn summaries(&mut self, raw: &RawConfig, customers: &[Customer]) -> Vec<SummaryConfig> {
        let mut out = Vec::new();
        for (i, s) in raw.summaries.iter().enumerate() {
            let at = format!("summaries[{i}]");
            let channel = self.parsed(format!("{at}.channel"), s.channel.parse());
            let customer = match &s.customer {
                Some(key) => match customers.iter().find(|c| c.key.as_str() == key) {
                    Some(c) => Some(Some(c.key.clone())),
                    None => {
                        let known: Vec<&str> = customers.iter().map(|c| c.key.as_str()).collect();
                        self.problem(
                            format!("{at}.customer"),
                            format!(
                                "\"{key}\" is not a configured customer ({}); leave it out for all",
                                known.join(", ")
                            ),
                        );
                        None
                    }
                },
                None => Some(None),
            };
            let day = self.parsed(
                format!("{at}.day"),
                s.day
                    .parse::<chrono::Weekday>()
                    .map_err(|_| format!("\"{}\" is not a day: write mon, tue, wed, thu, fri, sat or sun", s.day)),
            );
            let time = self.parsed(
                format!("{at}.time"),
                chrono::NaiveTime::parse_from_str(&s.time, "%H:%M")
                    .or_else(|_| chrono::NaiveTime::parse_from_str(&s.time, "%H:%M:%S"))
                    .map_err(|_| format!("\"{}\" is not a time of day like \"09:00\"", s.time)),
            );
            let zone = self.parsed(
                format!("{at}.zone"),
                s.zone
                    .parse::<chrono_tz::Tz>()
                    .map_err(|_| format!("\"{}\" is not an IANA time zone such as \"Europe/Madrid\"", s.zone)),
            );
            let language = self.parsed(format!("{at}.language"), s.language.parse());
            if let (Some(channel), Some(customer)) = (channel, &customer) {
                let readers = customers.iter().find(|c| c.support_channel == channel);
                if let Some(reader) = readers.filter(|r| customer.as_ref() != Some(&r.key)) {
                    self.problem(
                        format!("{at}.channel"),
                        format!(
                            "{channel} is the support channel of {}, whose contacts would read {}: post it in a \
                             staff channel",
                            reader.key,
                            match customer {
                                Some(other) => format!("{other}'s summary"),
                                None => "every customer's summary".into(),
                            }
                        ),
                    );
                }
            }
            if let (Some(channel), Some(customer), Some(day), Some(time), Some(zone), Some(language)) =
                (channel, customer, day, time, zone, language)
            {
                if out.iter().any(|o: &SummaryConfig| o.channel == channel && o.customer == customer) {
                    self.problem(
                        format!("{at}.channel"),
                        format!("{channel} already gets this summary from an earlier [[summaries]] entry"),
                    );
                    continue;
                }
                out.push(SummaryConfig { channel, customer, day, time, zone, language });
            }
        }
        out
    }

    fn signatures(&mut self, raw: &raw::RawSignatures) -> SignaturesConfig {
        let defaults = SignaturesConfig::default();
        let specialist_role =
            raw.specialist_role.as_ref().and_then(|r| self.parsed("signatures.specialist_role", r.parse()));
        let severity =
            raw.severity.and_then(|s| self.severity("signatures.severity".into(), s)).unwrap_or(defaults.severity);
        let grace = match &raw.grace {
            Some(g) => self
                .parsed(
                    "signatures.grace",
                    humantime::parse_duration(g).map_err(|e| format!("\"{g}\" is not a duration like \"4h\": {e}")),
                )
                .unwrap_or(defaults.grace),
            None => defaults.grace,
        };
        SignaturesConfig { specialist_role, severity, grace }
    }

    /// `[discord].interactions` and, for `"http"`, a valid Ed25519 `public_key`.
    fn interactions(&mut self, raw: &raw::RawDiscord) -> Option<Interactions> {
        let key = raw.public_key.as_deref().map(|k| self.parsed("discord.public_key", public_key(k)));
        match raw.interactions.as_str() {
            "gateway" => Some(Interactions::Gateway),
            "http" => match key {
                Some(public_key) => Some(Interactions::Http { public_key: public_key? }),
                None => {
                    self.problem(
                        "discord.public_key",
                        "interactions = \"http\" needs the application's public key (General Information in the \
                         Developer Portal: 64 hex digits)",
                    );
                    None
                }
            },
            other => {
                self.problem("discord.interactions", format!("\"{other}\" is not \"gateway\" or \"http\""));
                None
            }
        }
    }

    fn customers(
        &mut self,
        raw: &RawConfig,
        calendars: &BTreeMap<String, Arc<Calendar>>,
        plans: &BTreeMap<String, Plan>,
    ) -> Vec<Customer> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, c) in raw.customers.iter().enumerate() {
            let at = format!("customers[{i}]");
            let key = self.parsed(format!("{at}.key"), c.key.parse::<CustomerKey>());
            if key.is_some() && !seen.insert(c.key.clone()) {
                self.problem(format!("{at}.key"), format!("customer key \"{}\" is used twice", c.key));
            }
            if c.name.trim().is_empty() {
                self.problem(format!("{at}.name"), "a customer needs a name");
            }
            if !raw.plans.contains_key(&c.plan) {
                self.problem(format!("{at}.plan"), unknown("plan", &c.plan, raw.plans.keys()));
            }
            if !raw.calendars.contains_key(&c.calendar) {
                self.problem(format!("{at}.calendar"), unknown("calendar", &c.calendar, raw.calendars.keys()));
            }
            if let (Some(plan), Some(cal)) = (plans.get(&c.plan), calendars.get(&c.calendar)) {
                if plan.targets.uses_business_clock() && !cal.has_working_time() {
                    self.problem(
                        format!("{at}.calendar"),
                        format!(
                            "plan \"{}\" counts business hours but calendar \"{}\" has no working time: add hours to calendars.{}.hours",
                            c.plan, c.calendar, c.calendar
                        ),
                    );
                }
            }
            let support_channel = self.parsed(format!("{at}.support_channel"), c.support_channel.parse());
            let tam = self.parsed(format!("{at}.tam"), c.tam.parse());
            let backup_tam = match &c.backup_tam {
                Some(b) => self.parsed(format!("{at}.backup_tam"), b.parse()).map(Some),
                None => Some(None),
            };
            let language = self.parsed(format!("{at}.language"), c.language.parse());
            if let (Some(key), Some(support_channel), Some(tam), Some(backup_tam), Some(language)) =
                (key, support_channel, tam, backup_tam, language)
            {
                out.push(Customer {
                    key,
                    name: c.name.clone(),
                    plan: c.plan.clone(),
                    calendar: c.calendar.clone(),
                    support_channel,
                    tam,
                    backup_tam,
                    phone: c.phone.clone(),
                    language,
                });
            }
        }
        out
    }
}

/// An application's Ed25519 public key, as the Developer Portal shows it.
fn public_key(hex: &str) -> Result<[u8; 32], String> {
    let bad = || format!("\"{hex}\" is not a public key: the Developer Portal shows 64 hex digits");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    // The key must be a point of the curve, as the endpoint's verifier needs.
    serenity::interactions_endpoint::Verifier::try_new(key)
        .map(|_| key)
        .map_err(|e| format!("\"{hex}\" is not a valid Ed25519 public key ({e})"))
}

/// Whether a database URL carries a password: in its authority
/// (`scheme://user:secret@host`) or as a query parameter (`?password=…`).
fn url_has_password(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else { return false };
    parsed.password().is_some() || parsed.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("password"))
}
