//! The Discord adapter: serenity's client and REST calls around the
//! application layer, which it only translates. A slash command, a button or
//! a staff member's message in a ticket thread becomes an [`Invocation`] and
//! a command; the outcome becomes an interaction response.
//!
//! Interactions arrive over the gateway (`gateway.rs`) or at the HTTP
//! Interactions Endpoint (`endpoint.rs`), and are answered the same way
//! (`answer.rs`) within Discord's three seconds: the reply as soon as the
//! application layer returns, or, after [`DEFER_AFTER`] (slow storage), an
//! ephemeral "thinking" response first and the answer as its edit. What a
//! command changes on Discord (threads, cards, posts) went into the outbox
//! with the change; the scheduler delivers it (`deliver.rs`).
//!
//! [`Invocation`]: crate::app::Invocation

mod answer;
mod commands;
mod deliver;
mod endpoint;
mod files;
mod gateway;
mod limits;
mod render;
mod rest;
mod retry;

pub use endpoint::BODY_LIMIT;
pub use render::markdown;

use std::future::Future;
use std::num::NonZeroU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serenity::all::{ClientBuilder, GatewayIntents, HttpBuilder};
use serenity::http::Http;

pub use limits::{GLOBAL_BUDGET, GLOBAL_LIMIT, GLOBAL_WINDOW};
use rest::{Body, Rest};

use crate::app::App;
use crate::config::{DiscordConfig, Interactions};
use crate::domain::customer::Snowflake;
use crate::scheduler;

/// How long an interaction waits for the application layer before Discord is
/// told that an answer is coming (Discord allows three seconds in all).
pub const DEFER_AFTER: Duration = Duration::from_millis(1500);

/// Why the bot stops when Discord closes the gateway with code 4014.
pub const INTENT_REFUSED: &str = "Discord refused the Message Content intent (gateway close code 4014), which \
    [transcripts].enabled needs to read what people write in tickets' threads. Switch it on in the Discord \
    Developer Portal: your application, Bot, Privileged Gateway Intents, \"Message Content Intent\"; or set \
    [transcripts].enabled = false";

/// The bot: its REST client, how interactions reach it, and what it runs.
pub struct Bot {
    app: App,
    discord: DiscordConfig,
    /// The token, for the gateway session's own REST client. Never logged.
    token: String,
    /// Every REST call: the outbox's deliveries, interactions' answers, the
    /// commands' registration, through the bot's rate limits.
    rest: Arc<Rest>,
    answerer: answer::Answerer,
    guild: Snowflake,
}

impl Bot {
    pub fn new(app: App, discord: &DiscordConfig, token: &str) -> anyhow::Result<Bot> {
        let answerer = answer::Answerer {
            app: app.clone(),
            staff_role: id(discord.staff_role).context("discord.staff_role is 0")?,
            specialist_role: app.config().signatures.specialist_role.and_then(|r| id(r).ok()),
        };
        let rest = Arc::new(Rest::new(discord, token, app.metrics().clone())?);
        Ok(Bot { app, discord: discord.clone(), token: token.to_owned(), rest, answerer, guild: discord.guild })
    }

    /// The routes the bot serves beside `/metrics` and `/healthz`:
    /// `POST /interactions` in HTTP mode.
    pub fn routes(&self) -> anyhow::Result<Option<axum::Router>> {
        match self.discord.interactions {
            Interactions::Gateway => Ok(None),
            Interactions::Http { public_key } => {
                endpoint::router(self.answerer.clone(), self.rest.clone(), public_key).map(Some)
            }
        }
    }

    /// Runs until `shutdown` completes: the outbox's deliveries, this
    /// instance's heartbeat and the gateway session (closed cleanly at the
    /// end). In HTTP mode the slash commands are registered at start over
    /// REST.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let stop = Arc::new(stop);
        let signal = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = signal.send(true);
        });
        let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let app = self.app.clone();
        let alive = tokio::spawn({
            let app = app.clone();
            let stopping = until_stopped(stopping.clone());
            async move { app.run_instance(stopping).await }
        });
        let out = deliver::DiscordOut { rest: self.rest.clone(), guild: self.guild };
        let watcher = tokio::spawn(scheduler::run(app.clone(), out, until_stopped(stopping.clone())));
        // The record's files, downloaded while their links last.
        let keeper = match app.config().transcripts {
            Some(_) => {
                let fetch = Arc::new(files::DiscordFiles::new(self.rest.clone(), &self.discord.api_base)?);
                let (app, stopping) = (app.clone(), until_stopped(stopping.clone()));
                Some(tokio::spawn(async move { app.keep_files(fetch, stopping).await }))
            }
            None => None,
        };
        let http_mode = matches!(self.discord.interactions, Interactions::Http { .. });
        self.rest.learn_application().await.context("cannot read the application's id")?;
        if http_mode {
            register_commands(&self.rest, self.guild, self.discord.global_commands).await;
        }
        // A gateway session in both modes: in HTTP mode it brings only the
        // messages in tickets' threads (SPEC.md: a staff member's message
        // acknowledges or is an update, a contact's ends a wait).
        let ended = self.gateway(!http_mode, until_stopped(stopping)).await;
        // Let a delivery in progress finish and be recorded, rather than leave
        // its claim to run out.
        let _ = stop.send(true);
        if tokio::time::timeout(Duration::from_secs(15), watcher).await.is_err() {
            tracing::warn!("the scheduler did not stop within 15 s; its claims will be taken again");
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), alive).await;
        if let Some(keeper) = keeper {
            let _ = tokio::time::timeout(Duration::from_secs(5), keeper).await;
        }
        ended
    }

    /// The gateway session, until `stopping` completes.
    async fn gateway(
        &self,
        interactions: bool,
        stopping: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.app.metrics().gateway_expected.store(true, Ordering::Relaxed);
        let handler = gateway::Handler {
            answerer: self.answerer.clone(),
            rest: self.rest.clone(),
            guild: self.guild,
            global_commands: self.discord.global_commands,
            interactions,
        };
        // Interactions arrive without intents; thread messages need
        // GUILD_MESSAGES, and their text and files (for the record only)
        // the privileged MESSAGE_CONTENT.
        let mut intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES;
        if self.app.config().transcripts.is_some() {
            intents |= GatewayIntents::MESSAGE_CONTENT;
        }
        let mut client = ClientBuilder::new_with_http(rest_client(&self.discord, &self.token), intents)
            .event_handler(handler)
            .await
            .context("cannot build the Discord client")?;
        let shards = client.shard_manager.clone();
        tokio::spawn(async move {
            stopping.await;
            tracing::info!("closing the gateway connection");
            shards.shutdown_all().await;
        });
        match client.start().await {
            Err(serenity::Error::Gateway(serenity::gateway::GatewayError::DisallowedGatewayIntents)) => {
                Err(anyhow::anyhow!(INTENT_REFUSED))
            }
            ended => ended.context("the Discord gateway connection ended"),
        }
    }
}

/// Connects to Discord, registers the slash commands and serves them until
/// `shutdown` completes: [`Bot::run`] for a bot whose routes someone else serves.
pub async fn run(
    app: App,
    discord: &DiscordConfig,
    token: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    Bot::new(app, discord, token)?.run(shutdown).await
}

/// The gateway session's own REST client (serenity asks it for the gateway's
/// URL). The bot's calls go through [`Rest`], which keeps Discord's limits,
/// so serenity's limiter is off, whatever `api_base` is.
fn rest_client(discord: &DiscordConfig, token: &str) -> Http {
    HttpBuilder::new(token)
        .default_allowed_mentions(render::mentions(&[]))
        .proxy(discord.api_base.clone())
        .ratelimiter_disabled(true)
        .build()
}

/// Registers the slash commands in the support server, or globally.
async fn register_commands(rest: &Rest, guild: Snowflake, global: bool) {
    let Some(app) = rest.application() else {
        tracing::error!("registering the slash commands needs the application's id, which could not be read");
        return;
    };
    let path = match global {
        true => format!("applications/{app}/commands"),
        false => format!("applications/{app}/guilds/{guild}/commands"),
    };
    let body = Body::Json(serde_json::to_value(commands::all()).unwrap_or_default());
    let registered: Result<Vec<serde_json::Value>, _> =
        retry::with_retries("register commands", || rest.json(reqwest::Method::PUT, &path, &body, 10)).await;
    match registered {
        Ok(c) => tracing::info!(count = c.len(), global, "slash commands registered"),
        Err(e) => tracing::error!(error = %e, "registering the slash commands failed"),
    }
}

/// A Discord id as Discord writes it in JSON: a string of digits (or a
/// number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Id(u64);

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            Number(u64),
        }
        match Written::deserialize(d)? {
            Written::Number(n) => Ok(Id(n)),
            Written::Text(t) => t.parse().map(Id).map_err(serde::de::Error::custom),
        }
    }
}

/// The path and named options of an invoked slash command, as the
/// commands' declarations parse them.
pub fn typed_input(data: &serenity::all::CommandData) -> (String, Vec<(String, String)>) {
    commands::invoked(&data.name, &data.options)
}

/// A serenity id from ours; 0 is not an id (serenity's constructors panic on it).
fn id<T: From<NonZeroU64>>(s: Snowflake) -> anyhow::Result<T> {
    NonZeroU64::new(s.0).map(T::from).context("an id of 0")
}
