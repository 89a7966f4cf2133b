//! The configuration file as written: TOML shapes only. Values that need
//! checking stay strings here so that validation can report every problem at
//! once with its key (see `super::Validator`).

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub calendars: BTreeMap<String, RawCalendar>,
    #[serde(default)]
    pub plans: BTreeMap<String, RawPlan>,
    #[serde(default)]
    pub storage: RawStorage,
    #[serde(default)]
    pub http: RawHttp,
    pub discord: Option<RawDiscord>,
    #[serde(default)]
    pub customers: Vec<RawCustomer>,
    #[serde(default)]
    pub classification: RawClassification,
    #[serde(default)]
    pub console: RawConsole,
    #[serde(default)]
    pub escalation: RawEscalation,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub signatures: RawSignatures,
    #[serde(default)]
    pub summaries: Vec<RawSummary>,
    #[serde(default)]
    pub followup: RawFollowup,
    #[serde(default)]
    pub satisfaction: RawSatisfaction,
    #[serde(default)]
    pub transcripts: RawTranscripts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTranscripts {
    #[serde(default)]
    pub enabled: bool,
    pub channel: Option<String>,
    pub max_file: Option<String>,
    pub keep: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSatisfaction {
    #[serde(default)]
    pub enabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFollowup {
    pub remind_after: Option<String>,
    pub close_after: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSummary {
    pub channel: String,
    pub customer: Option<String>,
    pub day: String,
    pub time: String,
    pub zone: String,
    #[serde(default = "default_language")]
    pub language: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignatures {
    pub specialist_role: Option<String>,
    pub severity: Option<i64>,
    pub grace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub format: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEscalation {
    #[serde(default)]
    pub steps: Vec<RawStep>,
    /// A notification sent later than this after its due instant is marked late.
    pub late_after: Option<String>,
    /// Escalation-channel notices this close together are one message.
    pub group_window: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// The plans it applies to; every plan when absent.
    pub plans: Option<Vec<String>>,
    pub severity: i64,
    pub at: String,
    #[serde(default)]
    pub ping: Vec<String>,
    #[serde(default = "thread")]
    pub post: Vec<String>,
}

fn thread() -> Vec<String> {
    vec!["thread".into()]
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClassification {
    #[serde(default)]
    pub rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: String,
    pub severity: i64,
    pub language: Option<String>,
    pub pattern: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    #[serde(default)]
    pub users: Vec<RawConsoleUser>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsoleUser {
    pub name: String,
    pub id: String,
    #[serde(default)]
    pub staff: bool,
    #[serde(default)]
    pub specialist: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    pub zone: String,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub hours: RawHours,
}

/// Working intervals per weekday; a missing day is closed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHours {
    pub mon: Option<Vec<String>>,
    pub tue: Option<Vec<String>>,
    pub wed: Option<Vec<String>>,
    pub thu: Option<Vec<String>>,
    pub fri: Option<Vec<String>>,
    pub sat: Option<Vec<String>>,
    pub sun: Option<Vec<String>>,
}

impl RawHours {
    /// The days in order, Monday first, with their TOML key.
    pub fn days(&self) -> [(&'static str, chrono::Weekday, Option<&Vec<String>>); 7] {
        use chrono::Weekday::*;
        [
            ("mon", Mon, self.mon.as_ref()),
            ("tue", Tue, self.tue.as_ref()),
            ("wed", Wed, self.wed.as_ref()),
            ("thu", Thu, self.thu.as_ref()),
            ("fri", Fri, self.fri.as_ref()),
            ("sat", Sat, self.sat.as_ref()),
            ("sun", Sun, self.sun.as_ref()),
        ]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    pub rank: i64,
    /// Severity level ("1" to "4") to target.
    #[serde(default)]
    pub targets: BTreeMap<String, RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub response: String,
    pub clock: String,
    /// After the first response, an update is due this often.
    pub update: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    #[serde(default = "default_storage_url")]
    pub url: String,
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage { url: default_storage_url() }
    }
}

fn default_storage_url() -> String {
    "sqlite://data/priority-line.db".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    #[serde(default = "default_listen")]
    pub listen: String,
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp { listen: default_listen() }
    }
}

fn default_listen() -> String {
    "127.0.0.1:9184".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscord {
    #[serde(default = "default_token_env")]
    pub token_env: String,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    pub guild: String,
    pub staff_role: String,
    pub escalation_channel: Option<String>,
    pub escalation_role: Option<String>,
    #[serde(default = "default_commands")]
    pub commands: String,
    #[serde(default = "yes")]
    pub ack_by_first_message: bool,
    pub give_up_after: Option<String>,
    #[serde(default = "default_interactions")]
    pub interactions: String,
    pub public_key: Option<String>,
    #[serde(default = "default_rate_limits")]
    pub rate_limits: String,
}

fn default_rate_limits() -> String {
    "own".into()
}

fn default_interactions() -> String {
    "gateway".into()
}

fn default_commands() -> String {
    "guild".into()
}

fn yes() -> bool {
    true
}

fn default_token_env() -> String {
    "DISCORD_TOKEN".into()
}

fn default_api_base() -> String {
    "https://discord.com".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomer {
    pub key: String,
    pub name: String,
    pub plan: String,
    pub calendar: String,
    pub support_channel: String,
    pub tam: String,
    pub backup_tam: Option<String>,
    pub phone: Option<String>,
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "en".into()
}
