//! The record's side of the gateway: messages in tickets' threads as the
//! application records them, and files fetched from Discord's CDN while
//! their links last (an expired link is renewed by fetching the message
//! again, through the bot's rate limits).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serenity::all::{Message, Timestamp};

use super::rest::{Body, Rest};
use crate::app::{Fetch, FetchError, FileBytes};
use crate::domain::customer::Snowflake;
use crate::domain::record::{Arrived, Attached};

/// The record's message of a Discord message, if it is one people or the
/// bot write (not a system message such as a member joining).
pub fn arrived(message: &Message) -> Option<Arrived> {
    use serenity::all::MessageType;
    if !matches!(message.kind, MessageType::Regular | MessageType::InlineReply) {
        return None;
    }
    Some(Arrived {
        id: Snowflake(message.id.get()),
        channel: Snowflake(message.channel_id.get()),
        author: Snowflake(message.author.id.get()),
        author_name: message.author.display_name().to_owned(),
        by_bot: message.author.bot,
        at: instant(&message.timestamp).unwrap_or_else(Utc::now),
        text: message.content.clone(),
        files: message
            .attachments
            .iter()
            .map(|a| Attached {
                id: Snowflake(a.id.get()),
                name: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: u64::from(a.size),
                url: a.url.clone(),
            })
            .collect(),
    })
}

/// A Discord timestamp as an instant.
pub fn instant(t: &Timestamp) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&t.to_rfc3339()?).ok().map(|t| t.with_timezone(&Utc))
}

/// Files from Discord's CDN, and fresh links from Discord's API.
pub struct DiscordFiles {
    http: reqwest::Client,
    rest: Arc<Rest>,
    /// Hosts a link may point to: Discord's CDN, and `api_base`'s (a test
    /// double, or a proxy that serves files too). Anything else is refused:
    /// a link is fetched only where Discord keeps files.
    hosts: Vec<String>,
}

/// How long a file's server may take to start answering.
const CONNECT: Duration = Duration::from_secs(20);

impl DiscordFiles {
    pub fn new(rest: Arc<Rest>, api_base: &str) -> anyhow::Result<DiscordFiles> {
        let http = reqwest::Client::builder().connect_timeout(CONNECT).build()?;
        let mut hosts = vec!["cdn.discordapp.com".to_owned(), "media.discordapp.net".to_owned()];
        hosts.extend(url::Url::parse(api_base).ok().and_then(|u| u.host_str().map(str::to_owned)));
        Ok(DiscordFiles { http, rest, hosts })
    }
}

struct Response(reqwest::Response);

#[async_trait]
impl FileBytes for Response {
    async fn next(&mut self) -> Result<Option<bytes::Bytes>, FetchError> {
        self.0.chunk().await.map_err(|e| FetchError::Failed(format!("reading the file failed: {e}")))
    }
}

#[async_trait]
impl Fetch for DiscordFiles {
    async fn open(&self, url: &str) -> Result<Box<dyn FileBytes>, FetchError> {
        let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned));
        if !host.is_some_and(|h| self.hosts.contains(&h)) {
            return Err(FetchError::Failed("a link outside Discord's file servers is not fetched".into()));
        }
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| FetchError::Failed(format!("the file server did not answer: {}", e.without_url())))?;
        match response.status() {
            s if s.is_success() => Ok(Box::new(Response(response))),
            // What Discord's CDN answers for a link past its expiry.
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::GONE => Err(FetchError::Expired),
            s => Err(FetchError::Failed(format!("the file server answered {s}"))),
        }
    }

    async fn fresh_url(
        &self,
        channel: Snowflake,
        message: Snowflake,
        file: Snowflake,
    ) -> Result<Option<String>, FetchError> {
        #[derive(serde::Deserialize)]
        struct Fetched {
            attachments: Vec<Linked>,
        }
        #[derive(serde::Deserialize)]
        struct Linked {
            id: super::Id,
            url: String,
        }
        // As background as a card: a renewal waits for what is urgent.
        let path = format!("channels/{channel}/messages/{message}");
        match self.rest.json::<Fetched>(Method::GET, &path, &Body::Empty, 60).await {
            Ok(m) => Ok(m.attachments.into_iter().find(|a| a.id.0 == file.0).map(|a| a.url)),
            // The message, or its thread, is gone.
            Err(e) if matches!(e.status(), Some(404 | 403)) => Ok(None),
            Err(e) => Err(FetchError::Failed(format!("fetching the message again failed: {e}"))),
        }
    }
}
