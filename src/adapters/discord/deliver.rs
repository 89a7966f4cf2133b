//! The outbox's jobs carried out on Discord. Every step is safe to repeat:
//! a post carries its job's nonce, adding a member or editing a card twice
//! changes nothing, and a thread whose creation may have happened (a 5xx, no
//! answer) is looked for among the guild's active threads, by the ticket
//! number its name starts with, and adopted instead of created again.
//! Failures that retrying cannot heal (403, 404, a locked thread) end the
//! job; an archived thread is unarchived first. Before each request that
//! creates something (a thread, a post) it asks the job's lease whether the
//! job is still this instance's: thread creation has no nonce, so two
//! deliverers of one job would make two threads.

use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{
    AutoArchiveDuration, ChannelId, ChannelType, CreateMessage, CreateThread, EditMessage, EditThread, GuildId,
    MessageId, RoleId, UserId,
};
use serenity::http::Http;

use super::retry::{self, with_retries, CallError, ARCHIVED_THREAD};
use super::{id, render};
use crate::app::{Action, Card, Delivery, DeliveryError, Msg, PostKey, Receipt};
use crate::domain::customer::Snowflake;
use crate::scheduler::{Deliver, Lease};

/// The scheduler's deliveries, on Discord.
pub struct DiscordOut {
    pub http: Arc<Http>,
    pub guild: GuildId,
}

#[async_trait]
impl Deliver for DiscordOut {
    async fn deliver(&self, delivery: &Delivery, lease: &dyn Lease) -> Result<Receipt, DeliveryError> {
        let mut receipt = Receipt::default();
        for (i, action) in delivery.actions.iter().enumerate() {
            let failed = |what: &'static str| move |e: CallError| e.for_outbox(i, what);
            let creates = matches!(action, Action::OpenThread { .. } | Action::Post { .. } | Action::Summary { .. });
            if creates && !lease.held().await {
                return Err(DeliveryError::Taken);
            }
            match action {
                Action::OpenThread { parent, name, members, card, key } => {
                    let parent = id::<ChannelId>(*parent).map_err(|e| permanent(i, &e))?;
                    let retry = delivery.attempts > 1;
                    let thread = match self.thread(parent, name, retry, lease).await {
                        Ok(thread) => thread,
                        Err(Creating::Taken) => return Err(DeliveryError::Taken),
                        Err(Creating::Failed(e)) => return Err(failed("creating the thread")(e)),
                    };
                    for member in members {
                        let user = id::<UserId>(*member).map_err(|e| permanent(i, &e))?;
                        with_retries("add thread member", || thread.add_thread_member(&self.http, user))
                            .await
                            .map_err(failed("adding a member"))?;
                    }
                    let card_message = self.post_card(thread, card, *key).await.map_err(failed("posting the card"))?;
                    receipt.thread = Some((Snowflake(thread.get()), Snowflake(card_message.get())));
                    tracing::info!(ticket = %card.ticket.number, %thread, "ticket thread opened");
                }
                Action::EditCard { channel, message, card } => {
                    let (channel, message) = (
                        id::<ChannelId>(*channel).map_err(|e| permanent(i, &e))?,
                        id::<MessageId>(*message).map_err(|e| permanent(i, &e))?,
                    );
                    let edit = EditMessage::new()
                        .embed(render::card_embed(card))
                        .components(render::card_components(card))
                        .allowed_mentions(render::mentions(&[]));
                    self.in_thread(channel, || {
                        with_retries("edit card", || channel.edit_message(&self.http, message, edit.clone()))
                    })
                    .await
                    .map_err(failed("editing the card"))?;
                }
                Action::Post { channel, msg, ping, roles, key, thread, button, .. } => {
                    let channel = id::<ChannelId>(*channel).map_err(|e| permanent(i, &e))?;
                    let mut message = post(msg, ping, roles, *key);
                    if let Some(button) = button {
                        message = message.components(render::button(button));
                    }
                    let send = || with_retries("post", || channel.send_message(&self.http, message.clone()));
                    match thread {
                        true => self.in_thread(channel, send).await,
                        false => send().await,
                    }
                    .map_err(failed("posting"))?;
                }
                Action::Summary { channel, post, key } => {
                    let channel = id::<ChannelId>(*channel).map_err(|e| permanent(i, &e))?;
                    let message = CreateMessage::new()
                        .embed(render::summary_embed(post))
                        .allowed_mentions(render::mentions(&[]))
                        .nonce(retry::outbox_nonce(*key))
                        .enforce_nonce(true);
                    let body = render::describing_chart(&message, &[], Some(&post.chart));
                    let file = render::chart_file(&post.chart);
                    with_retries("post summary", || self.http.send_message(channel, vec![file.clone()], &body))
                        .await
                        .map_err(failed("posting the summary"))?;
                }
                Action::AddMember { thread, user } => {
                    let (thread, user) = (
                        id::<ChannelId>(*thread).map_err(|e| permanent(i, &e))?,
                        id::<UserId>(*user).map_err(|e| permanent(i, &e))?,
                    );
                    self.in_thread(thread, || {
                        with_retries("add thread member", || thread.add_thread_member(&self.http, user))
                    })
                    .await
                    .map_err(failed("adding a member"))?;
                }
                Action::ArchiveThread { thread, archived } => {
                    let thread = id::<ChannelId>(*thread).map_err(|e| permanent(i, &e))?;
                    let edit = EditThread::new().archived(*archived);
                    with_retries("archive thread", || thread.edit_thread(&self.http, edit.clone()))
                        .await
                        .map_err(failed(if *archived { "archiving the thread" } else { "unarchiving the thread" }))?;
                }
                Action::RemoveMember { thread, user } => {
                    let (thread, user) = (
                        id::<ChannelId>(*thread).map_err(|e| permanent(i, &e))?,
                        id::<UserId>(*user).map_err(|e| permanent(i, &e))?,
                    );
                    match with_retries("remove thread member", || thread.remove_thread_member(&self.http, user)).await {
                        // Not a member, or no thread any more: nothing to remove.
                        Err(e) if e.status() == Some(404) => {}
                        other => other.map(|_| ()).map_err(failed("removing a member"))?,
                    }
                }
            }
        }
        Ok(receipt)
    }
}

impl DiscordOut {
    /// The ticket's private thread: created, or, when an earlier try may have
    /// created it, the one that exists. Each try to create it first checks
    /// that the job is still this instance's.
    async fn thread(
        &self,
        parent: ChannelId,
        name: &str,
        look_first: bool,
        lease: &dyn Lease,
    ) -> Result<ChannelId, Creating> {
        let mut look = look_first;
        let mut attempt = 1;
        loop {
            if look {
                if let Some(found) = self.existing_thread(parent, name).await? {
                    // Its name holds the ticket's summary: not for the logs.
                    tracing::info!(thread = %found, "adopted the thread an earlier try created");
                    return Ok(found);
                }
            }
            if attempt > 1 && !lease.held().await {
                return Err(Creating::Taken);
            }
            let create = CreateThread::new(name)
                .kind(ChannelType::PrivateThread)
                .invitable(false)
                .auto_archive_duration(AutoArchiveDuration::OneWeek);
            match retry::once(parent.create_thread(&self.http, create)).await {
                Ok(thread) => return Ok(thread.id),
                Err(e) if attempt < retry::ATTEMPTS && e.retryable() => {
                    tracing::warn!(attempt, error = %e, "creating a thread failed; retrying");
                    // Discord may have created it before failing: look before trying again.
                    look = e.ambiguous();
                    tokio::time::sleep(retry::backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// An active thread of `parent` whose name starts with the same ticket number.
    async fn existing_thread(&self, parent: ChannelId, name: &str) -> Result<Option<ChannelId>, CallError> {
        let number = name.split(' ').next().unwrap_or(name);
        let prefix = format!("{number} ");
        let active = with_retries("list active threads", || self.guild.get_active_threads(&self.http)).await?;
        Ok(active.threads.iter().find(|t| t.parent_id == Some(parent) && t.name.starts_with(&prefix)).map(|t| t.id))
    }

    async fn post_card(&self, thread: ChannelId, card: &Card, key: PostKey) -> Result<MessageId, CallError> {
        let message = CreateMessage::new()
            .embed(render::card_embed(card))
            .components(render::card_components(card))
            .allowed_mentions(render::mentions(&[]))
            .nonce(retry::outbox_nonce(key))
            .enforce_nonce(true);
        Ok(with_retries("post card", || thread.send_message(&self.http, message.clone())).await?.id)
    }

    /// Runs `call` in a ticket's thread; if the thread has been archived,
    /// unarchives it and runs it again. A locked thread stays refused.
    async fn in_thread<T, F, Fut>(&self, thread: ChannelId, call: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        match call().await {
            Err(e) if e.code() == Some(ARCHIVED_THREAD) => {
                tracing::info!(%thread, "the thread was archived: unarchiving it to post");
                with_retries("unarchive thread", || thread.edit_thread(&self.http, EditThread::new().archived(false)))
                    .await?;
                call().await
            }
            other => other,
        }
    }
}

/// Why a thread was not created.
enum Creating {
    /// The job is no longer this instance's.
    Taken,
    Failed(CallError),
}

impl From<CallError> for Creating {
    fn from(e: CallError) -> Creating {
        Creating::Failed(e)
    }
}

/// A message that may mention exactly `ping` and `roles`, keyed so that it
/// is posted once.
fn post(msg: &Msg, ping: &[Snowflake], roles: &[Snowflake], key: PostKey) -> CreateMessage {
    CreateMessage::new()
        .content(render::fit(&render::markdown(msg)))
        .allowed_mentions(render::mentions(ping).roles(roles.iter().filter_map(|r| id::<RoleId>(*r).ok())))
        .nonce(retry::outbox_nonce(key))
        .enforce_nonce(true)
}

fn permanent(action: usize, e: &anyhow::Error) -> DeliveryError {
    DeliveryError::Permanent { action, problem: crate::app::Permanent::Rejected, detail: e.to_string() }
}
