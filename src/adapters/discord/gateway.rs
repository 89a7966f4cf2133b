//! The gateway session: interactions (in gateway mode) answered over REST
//! within Discord's three seconds, messages in tickets' threads (in both
//! modes: they acknowledge, update and end waits, and with transcripts on
//! the record keeps them, their edits and deletions), and the session's
//! health. Every instance's session receives every event; the application
//! layer's claims make each take effect once, and an instance that did not
//! take an event says nothing.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{
    ChannelId, Context, EventHandler, GuildId, Interaction, InteractionId, Message, MessageId, MessageUpdateEvent,
    Ready, ShardStageUpdateEvent,
};
use serenity::gateway::ConnectionStage;

use super::answer::{deferral, identity, Answer, Answerer};
use super::files;
use super::rest::Rest;
use super::retry::ALREADY_ACKNOWLEDGED;
use super::{register_commands, DEFER_AFTER};
use crate::app::{EventId, Invocation};
use crate::domain::customer::Snowflake;

pub struct Handler {
    pub answerer: Answerer,
    /// Interactions' answers and the commands' registration.
    pub rest: Arc<Rest>,
    pub guild: Snowflake,
    pub global_commands: bool,
    /// Interactions come over this session (gateway mode); in HTTP mode the
    /// session is only for the messages in tickets' threads.
    pub interactions: bool,
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(bot = %ready.user.name, session = %ready.session_id, "connected to the Discord gateway");
        let app = &self.answerer.app;
        app.metrics().gateway_connected.set(1);
        if self.interactions {
            register_commands(&self.rest, self.guild, self.global_commands).await;
        }
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        let connected = matches!(event.new, ConnectionStage::Connected);
        tracing::info!(stage = %event.new, "gateway connection stage");
        self.answerer.app.metrics().gateway_connected.set(i64::from(connected));
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        let Some((id, token)) = identity(&interaction) else { return };
        let work = self.answerer.answer(&interaction);
        answer(&self.rest, id, token, &self.answerer, work).await;
    }

    async fn message(&self, _: Context, message: Message) {
        // The record keeps every message of a ticket's thread, the bot's own too.
        if let Some(arrived) = files::arrived(&message) {
            if let Err(e) = self.answerer.app.record_message(&arrived).await {
                tracing::error!(error = %e, message = message.id.get(), "cannot record a thread message");
            }
        }
        // Discord echoes the bot's own posts; other bots are neither staff nor contacts.
        if message.author.bot || message.guild_id.is_none() {
            return;
        }
        let is_staff = message.member.as_ref().is_some_and(|m| m.roles.contains(&self.answerer.staff_role));
        let inv = Invocation {
            user: Snowflake(message.author.id.get()),
            is_staff,
            // A first message acknowledges as staff only.
            is_specialist: false,
            channel: Snowflake(message.channel_id.get()),
            language: None,
            event: Some(EventId::Message(message.id.get())),
            named_staff: vec![],
        };
        if let Some(outcome) = self.answerer.app.thread_message(&inv).await {
            if !outcome.skipped() {
                tracing::info!(user = %inv.user, refused = outcome.refusal().is_some(), "a message in a ticket's thread counted");
            }
        }
    }

    async fn message_update(&self, _: Context, _: Option<Message>, _: Option<Message>, event: MessageUpdateEvent) {
        self.record_edit(&event).await;
    }

    async fn message_delete(&self, _: Context, channel: ChannelId, message: MessageId, _: Option<GuildId>) {
        self.record_deletion(channel, message).await;
    }

    async fn message_delete_bulk(&self, _: Context, channel: ChannelId, messages: Vec<MessageId>, _: Option<GuildId>) {
        for message in messages {
            self.record_deletion(channel, message).await;
        }
    }
}

impl Handler {
    /// Records a message's new text, if it was edited (an update that only
    /// adds an embed's preview has no edit time).
    async fn record_edit(&self, event: &MessageUpdateEvent) {
        let (Some(text), Some(at)) = (&event.content, event.edited_timestamp.as_ref().and_then(files::instant)) else {
            return;
        };
        let (channel, message) = (Snowflake(event.channel_id.get()), Snowflake(event.id.get()));
        if let Err(e) = self.answerer.app.record_edit(channel, message, at, text).await {
            tracing::error!(error = %e, message = event.id.get(), "cannot record a message's edit");
        }
    }

    async fn record_deletion(&self, channel: ChannelId, message: MessageId) {
        let (channel, id) = (Snowflake(channel.get()), Snowflake(message.get()));
        if let Err(e) = self.answerer.app.record_deletion(channel, id).await {
            tracing::error!(error = %e, message = message.get(), "cannot record a message's deletion");
        }
    }
}

/// Answers an interaction over REST with what `work` gives, deferring first
/// if it is slow. An instance that did not take the event answers nothing.
async fn answer(rest: &Rest, id: InteractionId, token: &str, answerer: &Answerer, work: impl Future<Output = Answer>) {
    let arrived = std::time::Instant::now();
    tokio::pin!(work);
    let answer = tokio::select! {
        answer = &mut work => {
            if let Some(response) = answer.response() {
                match rest.respond(id.get(), token, response, answer.files()).await {
                    Ok(()) => {}
                    // Another instance deferred it while this one worked:
                    // the answer goes in as the deferral's edit.
                    Err(e) if e.code() == Some(ALREADY_ACKNOWLEDGED) => edit(rest, token, &answer).await,
                    Err(e) => tracing::error!(error = %e, "the interaction reply failed"),
                }
            }
            answer
        }
        () = tokio::time::sleep(DEFER_AFTER) => {
            let deferral = serde_json::to_value(deferral()).unwrap_or_default();
            match rest.respond(id.get(), token, deferral, vec![]).await {
                Ok(()) => {}
                // Another instance answered first; whichever applied the
                // event edits its answer in.
                Err(e) if e.code() == Some(ALREADY_ACKNOWLEDGED) => {}
                Err(e) => tracing::error!(error = %e, "deferring the interaction failed"),
            }
            let answer = work.await;
            edit(rest, token, &answer).await;
            answer
        }
    };
    if !matches!(&answer, Answer::Nothing) {
        answerer.app.metrics().interaction_seconds.observe(arrived.elapsed().as_secs_f64());
    }
    tracing::debug!(%answer, "interaction answered");
}

/// The answer of a deferred interaction, if this instance has one.
async fn edit(rest: &Rest, token: &str, answer: &Answer) {
    let Some(edit) = answer.edit() else { return };
    if let Err(e) = rest.edit_response(token, edit, answer.files()).await {
        tracing::error!(error = %e, "the deferred interaction answer failed");
    }
}
