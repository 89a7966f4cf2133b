//! The Discord adapter: serenity's gateway client and REST calls around the
//! application layer, which it only translates. A slash command, a button or
//! a staff member's message in a ticket thread becomes an [`Invocation`] and
//! a [`Command`]; the [`Outcome`] becomes an interaction reply and messages.
//!
//! Interactions are answered within Discord's three seconds: the reply is
//! sent as soon as the application layer returns, and if it has not returned
//! after [`DEFER_AFTER`] (slow storage), an ephemeral "thinking" reply goes
//! first and the answer follows as its edit. What a command changes on
//! Discord (threads, cards, posts) went into the outbox with the change; the
//! scheduler delivers it (`deliver.rs`).

mod commands;
mod deliver;
mod render;
mod retry;

pub use render::markdown;

use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use serenity::all::{
    ChannelId, ClientBuilder, CommandInteraction, ComponentInteraction, Context, CreateAutocompleteResponse,
    CreateInteractionResponse, CreateInteractionResponseMessage, EditInteractionResponse, EventHandler, GatewayIntents,
    GuildId, HttpBuilder, Interaction, InteractionId, Member, Message, Ready, RoleId, ShardStageUpdateEvent, User,
};
use serenity::gateway::ConnectionStage;

use crate::app::commands::Ack;
use crate::app::{App, EventId, Invocation, Outcome, Refusal};
use crate::config::DiscordConfig;
use crate::domain::customer::{Language, Snowflake};
use crate::scheduler;

/// How long an interaction waits for the application layer before Discord is
/// told that an answer is coming (Discord allows three seconds in all).
pub const DEFER_AFTER: Duration = Duration::from_millis(1500);

/// Discord's error for a second response to an interaction.
const ALREADY_ACKNOWLEDGED: isize = 40060;

/// Discord's own REST base; anything else is a proxy or a test double.
const DISCORD: &str = "https://discord.com";

/// Connects to the gateway, registers the slash commands and serves them
/// until `shutdown` completes (then closes the gateway connection cleanly).
pub async fn run(
    app: App,
    discord: &DiscordConfig,
    token: &str,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut http = HttpBuilder::new(token).default_allowed_mentions(render::mentions(&[]));
    if discord.api_base != DISCORD {
        // serenity sends through a proxy base only with its own rate limiter
        // off: the proxy (twilight-http-proxy) does the rate limiting.
        http = http.proxy(discord.api_base.clone()).ratelimiter_disabled(true);
    }
    app.metrics().gateway_expected.store(true, std::sync::atomic::Ordering::Relaxed);
    let handler_guild: GuildId = id(discord.guild).context("discord.guild is 0")?;
    let handler = Handler {
        app: app.clone(),
        guild: handler_guild,
        staff_role: id(discord.staff_role).context("discord.staff_role is 0")?,
        global_commands: discord.global_commands,
        ack_by_first_message: discord.ack_by_first_message,
    };
    // Interactions arrive without intents; thread messages need GUILD_MESSAGES
    // (their content is not read, so no MESSAGE_CONTENT).
    let intents = GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES;
    let mut client = ClientBuilder::new_with_http(http.build(), intents)
        .event_handler(handler)
        .await
        .context("cannot build the Discord client")?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    let shards = client.shard_manager.clone();
    let mut gateway_stopping = stopping.clone();
    let signal = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing the gateway connection");
        let _ = signal.send(true);
    });
    tokio::spawn(async move {
        let _ = gateway_stopping.wait_for(|s| *s).await;
        shards.shutdown_all().await;
    });
    let out = deliver::DiscordOut { http: client.http.clone(), guild: handler_guild };
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let instance = app.clone();
    let alive = tokio::spawn({
        let stopping = until_stopped(stopping.clone());
        async move { instance.run_instance(stopping).await }
    });
    let watcher = tokio::spawn(scheduler::run(app, out, until_stopped(stopping)));
    let ended = client.start().await.context("the Discord gateway connection ended");
    // Let a delivery in progress finish and be recorded, rather than leave
    // its claim to run out.
    let _ = stop.send(true);
    if tokio::time::timeout(std::time::Duration::from_secs(15), watcher).await.is_err() {
        tracing::warn!("the scheduler did not stop within 15 s; its claims will be taken again");
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), alive).await;
    ended
}

struct Handler {
    app: App,
    guild: GuildId,
    staff_role: RoleId,
    global_commands: bool,
    ack_by_first_message: bool,
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(bot = %ready.user.name, session = %ready.session_id, "connected to the Discord gateway");
        self.app.metrics().gateway_connected.set(1);
        let commands = commands::all();
        let registered = if self.global_commands {
            serenity::all::Command::set_global_commands(&ctx.http, commands).await
        } else {
            self.guild.set_commands(&ctx.http, commands).await
        };
        match registered {
            Ok(c) => tracing::info!(count = c.len(), global = self.global_commands, "slash commands registered"),
            Err(e) => tracing::error!(error = %e, "registering the slash commands failed"),
        }
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        let connected = matches!(event.new, ConnectionStage::Connected);
        tracing::info!(stage = %event.new, "gateway connection stage");
        self.app.metrics().gateway_connected.set(i64::from(connected));
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(c) => self.command(&ctx, c).await,
            Interaction::Component(c) => self.button(&ctx, c).await,
            Interaction::Autocomplete(c) => self.autocomplete(&ctx, c).await,
            _ => {}
        }
    }

    async fn message(&self, _: Context, message: Message) {
        // Discord echoes the bot's own posts; other bots are not staff either.
        if !self.ack_by_first_message || message.author.bot || message.guild_id.is_none() {
            return;
        }
        let is_staff = message.member.as_ref().is_some_and(|m| m.roles.contains(&self.staff_role));
        let inv = Invocation {
            user: Snowflake(message.author.id.get()),
            is_staff,
            channel: Snowflake(message.channel_id.get()),
            language: None,
            event: Some(EventId::Message(message.id.get())),
        };
        if let Some(outcome) = self.app.thread_message(&inv).await {
            tracing::info!(user = %inv.user, reply = ?outcome.reply, "first staff message in the thread acknowledged its ticket");
        }
    }
}

impl Handler {
    fn invocation(
        &self,
        id: InteractionId,
        user: &User,
        member: Option<&Member>,
        channel: ChannelId,
        locale: &str,
    ) -> Invocation {
        Invocation {
            user: Snowflake(user.id.get()),
            is_staff: member.is_some_and(|m| m.roles.contains(&self.staff_role)),
            channel: Snowflake(channel.get()),
            language: Some(if locale.starts_with("es") { Language::Es } else { Language::En }),
            event: Some(EventId::Interaction(id.get())),
        }
    }

    async fn command(&self, ctx: &Context, c: CommandInteraction) {
        let inv = self.invocation(c.id, &c.user, c.member.as_deref(), c.channel_id, &c.locale);
        let (path, options) = typed_input(&c.data);
        let work = self.app.handle_input(&inv, &path, &options);
        self.answer(ctx, c.id, &c.token, work).await;
    }

    async fn button(&self, ctx: &Context, c: ComponentInteraction) {
        let inv = self.invocation(c.id, &c.user, c.member.as_ref(), c.channel_id, &c.locale);
        let work = async {
            match render::ack_button_ticket(&c.data.custom_id) {
                // The card lives in the ticket's thread, so /ack there is this ticket's.
                Some(_) => self.app.handle(&inv, Ack::default().into()).await,
                None => self.app.refuse_once(&inv, Refusal::UnknownButton).await,
            }
        };
        self.answer(ctx, c.id, &c.token, work).await;
    }

    async fn autocomplete(&self, ctx: &Context, c: CommandInteraction) {
        let inv = self.invocation(c.id, &c.user, c.member.as_deref(), c.channel_id, &c.locale);
        let typed = c.data.autocomplete().map(|a| a.value.to_owned()).unwrap_or_default();
        // Another instance answers it.
        let Some(numbers) = self.app.ticket_numbers(&inv, &typed).await else { return };
        let choices =
            numbers.into_iter().fold(CreateAutocompleteResponse::new(), |r, n| r.add_string_choice(n.clone(), n));
        if let Err(e) = c.create_response(&ctx.http, CreateInteractionResponse::Autocomplete(choices)).await {
            tracing::warn!(error = %e, "autocomplete answer failed");
        }
    }

    /// Replies to an interaction with the outcome of `work`, deferring first
    /// if it is slow. An outcome another instance took is not replied to.
    async fn answer(&self, ctx: &Context, id: InteractionId, token: &str, work: impl Future<Output = Outcome>) {
        let arrived = std::time::Instant::now();
        tokio::pin!(work);
        let outcome = tokio::select! {
            outcome = &mut work => {
                self.reply(ctx, id, token, &outcome).await;
                outcome
            }
            () = tokio::time::sleep(DEFER_AFTER) => {
                let defer = CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true));
                match retry::with_retries("interaction defer", || ctx.http.create_interaction_response(id, token, &defer, vec![])).await {
                    Ok(()) => {}
                    // Another instance answered first; whichever applied the event edits the answer in.
                    Err(e) if e.code() == Some(ALREADY_ACKNOWLEDGED) => {}
                    Err(e) => tracing::error!(error = %e, "deferring the interaction failed"),
                }
                let outcome = work.await;
                if !outcome.skipped() {
                    self.edit_reply(ctx, token, &outcome).await;
                }
                outcome
            }
        };
        if !outcome.skipped() {
            self.app.metrics().interaction_seconds.observe(arrived.elapsed().as_secs_f64());
        }
        tracing::debug!(reply = ?outcome.reply, "interaction answered");
    }

    async fn reply(&self, ctx: &Context, id: InteractionId, token: &str, outcome: &Outcome) {
        if outcome.skipped() {
            return;
        }
        let reply = CreateInteractionResponse::Message(reply_message(outcome));
        match retry::with_retries("interaction reply", || {
            ctx.http.create_interaction_response(id, token, &reply, vec![])
        })
        .await
        {
            Ok(()) => {}
            // Another instance deferred it while this one worked: the answer goes in as the deferral's edit.
            Err(e) if e.code() == Some(ALREADY_ACKNOWLEDGED) => self.edit_reply(ctx, token, outcome).await,
            Err(e) => tracing::error!(error = %e, "the interaction reply failed"),
        }
    }

    /// The answer of a deferred interaction.
    async fn edit_reply(&self, ctx: &Context, token: &str, outcome: &Outcome) {
        let mut edit = EditInteractionResponse::new()
            .content(render::fit(&render::markdown(&outcome.text())))
            .allowed_mentions(render::mentions(&[]));
        if let Some(card) = outcome.card() {
            edit = edit.embed(render::card_embed(card));
        }
        let sent = retry::with_retries("deferred answer", || {
            ctx.http.edit_original_interaction_response(token, &edit, vec![])
        })
        .await;
        if let Err(e) = sent {
            tracing::error!(error = %e, "the deferred interaction answer failed");
        }
    }
}

/// The path and named options of an invoked slash command, as the
/// commands' declarations parse them.
pub fn typed_input(data: &serenity::all::CommandData) -> (String, Vec<(String, String)>) {
    commands::invoked(&data.name, &data.options)
}

/// The interaction's reply: ephemeral, mentioning nobody.
fn reply_message(outcome: &Outcome) -> CreateInteractionResponseMessage {
    let message = CreateInteractionResponseMessage::new()
        .content(render::fit(&render::markdown(&outcome.text())))
        .ephemeral(true)
        .allowed_mentions(render::mentions(&[]));
    match outcome.card() {
        Some(card) => message.embed(render::card_embed(card)),
        None => message,
    }
}

/// A serenity id from ours; 0 is not an id (serenity's constructors panic on it).
fn id<T: From<NonZeroU64>>(s: Snowflake) -> anyhow::Result<T> {
    NonZeroU64::new(s.0).map(T::from).context("an id of 0")
}
