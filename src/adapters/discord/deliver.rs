//! The outbox's jobs carried out on Discord. Every step is safe to repeat:
//! a post carries its job's nonce, adding a member or editing a card twice
//! changes nothing, and a thread whose creation may have happened (a 5xx, no
//! answer) is looked for among the guild's active threads, by the ticket
//! number its name starts with, and adopted instead of created again.
//! Failures that retrying cannot heal (403, 404, a locked thread) end the
//! job; an archived thread is unarchived first. Before each request that
//! creates something (a thread, a post) it asks the job's lease whether the
//! job is still this instance's: thread creation has no nonce, so two
//! deliverers of one job would make two threads. Every call goes through
//! the REST client's limits, at the job's urgency.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use serenity::all::{AutoArchiveDuration, ChannelType, CreateMessage, CreateThread, EditMessage, RoleId};

use super::rest::{Body, Rest};
use super::retry::{self, with_retries, CallError, ARCHIVED_THREAD};
use super::{render, Id};
use crate::app::{Action, Card, Delivery, DeliveryError, Msg, PostKey, Receipt};
use crate::domain::customer::Snowflake;
use crate::scheduler::{Deliver, Lease};

/// The scheduler's deliveries, on Discord.
pub struct DiscordOut {
    pub rest: Arc<Rest>,
    pub guild: Snowflake,
}

/// What the bot reads of a created channel or message: its id.
#[derive(Deserialize)]
struct Created {
    id: Id,
}

#[async_trait]
impl Deliver for DiscordOut {
    async fn deliver(&self, delivery: &Delivery, lease: &dyn Lease) -> Result<Receipt, DeliveryError> {
        let mut receipt = Receipt::default();
        let calls = Calls { rest: &self.rest, urgency: delivery.urgency };
        for (i, action) in delivery.actions.iter().enumerate() {
            let failed = |what: &'static str| move |e: CallError| e.for_outbox(i, what);
            if action.creates() && !lease.held().await {
                return Err(DeliveryError::Taken);
            }
            match action {
                Action::OpenThread { parent, name, members, card, key } => {
                    let retry = delivery.attempts > 1;
                    let thread = match self.thread(&calls, *parent, name, retry, lease).await {
                        Ok(thread) => thread,
                        Err(Creating::Taken) => return Err(DeliveryError::Taken),
                        Err(Creating::Failed(e)) => return Err(failed("creating the thread")(e)),
                    };
                    receipt.thread = Some(thread);
                    for member in members {
                        calls.add_member(thread, *member).await.map_err(failed("adding a member"))?;
                    }
                    if let Some(card) = card {
                        receipt.card =
                            Some(calls.post_card(thread, card, *key).await.map_err(failed("posting the card"))?);
                    }
                    tracing::info!(thread = thread.0, "ticket thread opened");
                }
                Action::PostCard { thread, card, key } => {
                    let posted = self.in_thread(&calls, *thread, || calls.post_card(*thread, card, *key)).await;
                    receipt.card = Some(posted.map_err(failed("posting the card"))?);
                }
                Action::EditCard { channel, message, card } => {
                    let edit = EditMessage::new()
                        .embed(render::card_embed(card))
                        .components(render::card_components(card))
                        .allowed_mentions(render::mentions(&[]));
                    let body = Body::Json(to_json(&edit));
                    let path = format!("channels/{channel}/messages/{message}");
                    self.in_thread(&calls, *channel, || calls.empty(Method::PATCH, &path, &body))
                        .await
                        .map_err(failed("editing the card"))?;
                }
                Action::Post { channel, msg, ping, roles, key, thread, buttons, .. } => {
                    let mut message = post(msg, ping, roles, *key);
                    if !buttons.is_empty() {
                        message = message.components(render::buttons(buttons));
                    }
                    let (body, path) = (Body::Json(to_json(&message)), format!("channels/{channel}/messages"));
                    let send = || calls.created(Method::POST, &path, &body);
                    match thread {
                        true => self.in_thread(&calls, *channel, send).await,
                        false => send().await,
                    }
                    .map_err(failed("posting"))?;
                }
                Action::Escalation { channel, message, msg, ping, roles, group, .. } => {
                    let content = render::fit(&render::markdown(msg));
                    let mentions =
                        render::mentions(ping).roles(roles.iter().filter_map(|r| super::id::<RoleId>(*r).ok()));
                    let id = match message {
                        // Edited to add the later lines: an edit notifies no one (each
                        // ticket's thread post did).
                        Some(message) => {
                            let edit = json!({"content": content, "allowed_mentions": to_json(&mentions)});
                            let path = format!("channels/{channel}/messages/{message}");
                            calls.empty(Method::PATCH, &path, &Body::Json(edit)).await.map(|()| *message)
                        }
                        None => {
                            let post = CreateMessage::new()
                                .content(content)
                                .allowed_mentions(mentions)
                                .nonce(serenity::all::Nonce::String(group_nonce(*group)))
                                .enforce_nonce(true);
                            calls
                                .created(
                                    Method::POST,
                                    &format!("channels/{channel}/messages"),
                                    &Body::Json(to_json(&post)),
                                )
                                .await
                        }
                    };
                    receipt.message = Some(id.map_err(failed("posting the escalations"))?);
                }
                Action::Summary { channel, post, key } => {
                    let message = CreateMessage::new()
                        .embed(render::summary_embed(post))
                        .allowed_mentions(render::mentions(&[]))
                        .nonce(serenity::all::Nonce::String(retry::outbox_nonce(*key)))
                        .enforce_nonce(true);
                    let payload = render::describing_chart(&message, &[], Some(&post.chart));
                    let body = Body::with_files(payload, vec![render::chart_file(&post.chart)]);
                    calls
                        .created(Method::POST, &format!("channels/{channel}/messages"), &body)
                        .await
                        .map_err(failed("posting the summary"))?;
                }
                Action::Transcript { channel, msg, document, key } => {
                    let message = CreateMessage::new()
                        .content(render::fit(&render::markdown(msg)))
                        .allowed_mentions(render::mentions(&[]))
                        .nonce(serenity::all::Nonce::String(retry::outbox_nonce(*key)))
                        .enforce_nonce(true);
                    let payload = render::describing_file(&message, &[], Some(&document.file_name));
                    let body = Body::with_files(payload, vec![render::document_file(document)]);
                    calls
                        .created(Method::POST, &format!("channels/{channel}/messages"), &body)
                        .await
                        .map_err(failed("posting the transcript"))?;
                }
                Action::AddMember { thread, user } => {
                    self.in_thread(&calls, *thread, || calls.add_member(*thread, *user))
                        .await
                        .map_err(failed("adding a member"))?;
                }
                Action::ArchiveThread { thread, archived } => {
                    calls.archive(*thread, *archived).await.map_err(failed(match archived {
                        true => "archiving the thread",
                        false => "unarchiving the thread",
                    }))?;
                }
                Action::RemoveMember { thread, user } => {
                    let path = format!("channels/{thread}/thread-members/{user}");
                    match calls.empty(Method::DELETE, &path, &Body::Empty).await {
                        // Not a member, or no thread any more: nothing to remove.
                        Err(e) if e.status() == Some(404) => {}
                        other => other.map_err(failed("removing a member"))?,
                    }
                }
            }
        }
        Ok(receipt)
    }
}

/// One delivery's calls, at its urgency, each tried again after a 5xx or
/// no answer.
struct Calls<'a> {
    rest: &'a Rest,
    urgency: i64,
}

impl Calls<'_> {
    async fn empty(&self, method: Method, path: &str, body: &Body) -> Result<(), CallError> {
        with_retries(path_kind(path), || self.rest.call(method.clone(), path, body, self.urgency)).await.map(|_| ())
    }

    /// A call that creates something; its id.
    async fn created(&self, method: Method, path: &str, body: &Body) -> Result<Snowflake, CallError> {
        let created: Created =
            with_retries(path_kind(path), || self.rest.json(method.clone(), path, body, self.urgency)).await?;
        Ok(Snowflake(created.id.0))
    }

    async fn add_member(&self, thread: Snowflake, user: Snowflake) -> Result<(), CallError> {
        self.empty(Method::PUT, &format!("channels/{thread}/thread-members/{user}"), &Body::Empty).await
    }

    async fn archive(&self, thread: Snowflake, archived: bool) -> Result<(), CallError> {
        self.empty(Method::PATCH, &format!("channels/{thread}"), &Body::Json(json!({"archived": archived}))).await
    }

    async fn post_card(&self, thread: Snowflake, card: &Card, key: PostKey) -> Result<Snowflake, CallError> {
        let message = CreateMessage::new()
            .embed(render::card_embed(card))
            .components(render::card_components(card))
            .allowed_mentions(render::mentions(&[]))
            .nonce(serenity::all::Nonce::String(retry::outbox_nonce(key)))
            .enforce_nonce(true);
        self.created(Method::POST, &format!("channels/{thread}/messages"), &Body::Json(to_json(&message))).await
    }
}

impl DiscordOut {
    /// The ticket's private thread: created, or, when an earlier try may have
    /// created it, the one that exists. Each try to create it first checks
    /// that the job is still this instance's.
    async fn thread(
        &self,
        calls: &Calls<'_>,
        parent: Snowflake,
        name: &str,
        look_first: bool,
        lease: &dyn Lease,
    ) -> Result<Snowflake, Creating> {
        let mut look = look_first;
        let mut attempt = 1;
        let create = CreateThread::new(name)
            .kind(ChannelType::PrivateThread)
            .invitable(false)
            .auto_archive_duration(AutoArchiveDuration::OneWeek);
        let body = Body::Json(to_json(&create));
        loop {
            if look {
                if let Some(found) = self.existing_thread(calls, parent, name).await? {
                    // Its name holds the ticket's summary: not for the logs.
                    tracing::info!(thread = found.0, "adopted the thread an earlier try created");
                    return Ok(found);
                }
            }
            if attempt > 1 && !lease.held().await {
                return Err(Creating::Taken);
            }
            let created: Result<Created, CallError> =
                calls.rest.json(Method::POST, &format!("channels/{parent}/threads"), &body, calls.urgency).await;
            match created {
                Ok(thread) => return Ok(Snowflake(thread.id.0)),
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
    async fn existing_thread(
        &self,
        calls: &Calls<'_>,
        parent: Snowflake,
        name: &str,
    ) -> Result<Option<Snowflake>, CallError> {
        #[derive(Deserialize)]
        struct Active {
            threads: Vec<Thread>,
        }
        #[derive(Deserialize)]
        struct Thread {
            id: Id,
            parent_id: Option<Id>,
            #[serde(default)]
            name: String,
        }
        let number = name.split(' ').next().unwrap_or(name);
        let prefix = format!("{number} ");
        let path = format!("guilds/{}/threads/active", self.guild);
        let active: Active =
            with_retries("list active threads", || calls.rest.json(Method::GET, &path, &Body::Empty, calls.urgency))
                .await?;
        Ok(active
            .threads
            .iter()
            .find(|t| t.parent_id.as_ref().is_some_and(|p| p.0 == parent.0) && t.name.starts_with(&prefix))
            .map(|t| Snowflake(t.id.0)))
    }

    /// Runs `call` in a ticket's thread; if the thread has been archived,
    /// unarchives it and runs it again. A locked thread stays refused.
    async fn in_thread<T, F, Fut>(&self, calls: &Calls<'_>, thread: Snowflake, call: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        match call().await {
            Err(e) if e.code() == Some(ARCHIVED_THREAD) => {
                tracing::info!(thread = thread.0, "the thread was archived: unarchiving it to post");
                calls.archive(thread, false).await?;
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
        .allowed_mentions(render::mentions(ping).roles(roles.iter().filter_map(|r| super::id::<RoleId>(*r).ok())))
        .nonce(serenity::all::Nonce::String(retry::outbox_nonce(key)))
        .enforce_nonce(true)
}

/// The nonce of an escalation group's message: one message per group,
/// whichever of its jobs posts it (`pl-g` and the group: at most 25
/// characters).
fn group_nonce(group: i64) -> String {
    format!("pl-g{group:x}")
}

/// A builder as the JSON body Discord reads.
fn to_json(body: &impl serde::Serialize) -> Value {
    // Builders of plain fields: serialising them cannot fail.
    serde_json::to_value(body).unwrap_or_default()
}

/// A path's kind for the retries' log lines: no ids.
fn path_kind(path: &str) -> &'static str {
    match path.rsplit('/').find(|s| !s.chars().next().is_some_and(|c| c.is_ascii_digit())) {
        Some("messages") => "message",
        Some("thread-members") => "thread member",
        Some("threads") | Some("active") => "threads",
        _ => "channel",
    }
}
