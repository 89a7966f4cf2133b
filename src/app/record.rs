//! The record of tickets' threads (`[transcripts]`): every message stored
//! as it arrives, is edited or deleted (the bot's own posts too), and every
//! file attached kept while its link lasts. Files come in through
//! [`App::keep_files`], a few at a time, a chunk at a time, each download
//! claimed under a lease so that a crash, a restart or a second instance
//! neither loses nor doubles it; an expired link is renewed by asking the
//! chat for the message again. Files are never opened: their bytes are
//! hashed and stored, nothing else.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::application::{App, AppError};
use super::jobs::Job;
use crate::domain::customer::Snowflake;
use crate::domain::record::{size_words, Arrived, FileState, Hasher};
use crate::storage::{Download, CHUNK};

/// How many files download at once (each holds at most a chunk in memory).
pub const DOWNLOADS_AT_ONCE: usize = 3;

/// A download's claim lasts this long unless renewed; it is renewed every
/// [`RENEW_DOWNLOAD`] while bytes come.
pub const DOWNLOAD_LEASE: Duration = Duration::from_secs(60);
const RENEW_DOWNLOAD: Duration = Duration::from_secs(20);

/// After a failed try, the pause before the next: doubling from this...
const RETRY_FIRST: Duration = Duration::from_secs(10);
/// ... up to this; after [`MAX_TRIES`] tries the file has failed for good.
const RETRY_MAX: Duration = Duration::from_secs(3600);
pub const MAX_TRIES: i64 = 12;

/// A download that makes no progress for this long is abandoned (and tried
/// again).
const STALLED: Duration = Duration::from_secs(60);

/// Tickets whose records one pass of the retention deletes.
const FORGET_BATCH: i64 = 20;

/// Where files come from: the chat's links, and fresh links for expired
/// ones. The Discord adapter fetches from Discord's CDN; the console reads
/// local files.
#[async_trait]
pub trait Fetch: Send + Sync {
    /// Opens a file's link.
    async fn open(&self, url: &str) -> Result<Box<dyn FileBytes>, FetchError>;

    /// A fresh link of the file `file` of `message` in `channel` (the chat
    /// signs links anew when a message is fetched again); `None` when the
    /// message or the file is gone.
    async fn fresh_url(
        &self,
        channel: Snowflake,
        message: Snowflake,
        file: Snowflake,
    ) -> Result<Option<String>, FetchError>;
}

/// An open file's bytes, a piece at a time.
#[async_trait]
pub trait FileBytes: Send {
    /// The next piece; `None` at the end.
    async fn next(&mut self) -> Result<Option<bytes::Bytes>, FetchError>;
}

/// Why a download did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The link no longer works (expired, or the file is gone): renew it.
    #[error("the link no longer works")]
    Expired,
    /// Anything else (the network, a server error): try again later.
    #[error("{0}")]
    Failed(String),
}

impl App {
    /// A message written in a ticket's thread, stored once (the others see
    /// it stored and store nothing): its text, and its files to download
    /// (a file over `[transcripts].max_file` is recorded without its bytes,
    /// and the thread is told). True when this call stored it. Nothing when
    /// transcripts are off, or the channel is no ticket's thread.
    pub async fn record_message(&self, m: &Arrived) -> Result<bool, AppError> {
        let Some(t) = self.config.transcripts else { return Ok(false) };
        let Some(ticket) = self.store.ticket_by_thread(m.channel).await? else { return Ok(false) };
        let now = self.now();
        let notices: Vec<_> = m
            .files
            .iter()
            .filter(|f| f.first_state(t.max_file) == FileState::TooLarge)
            .map(|f| Job::FileNotKept { name: f.name.clone(), size: f.size, max: t.max_file }.queued(now, None))
            .collect();
        let stored = self.store.record_message(ticket.id, m, t.max_file, &notices).await?;
        if stored {
            tracing::debug!(ticket = %ticket.number, files = m.files.len(), "a thread message recorded");
            if !notices.is_empty() {
                tracing::info!(ticket = %ticket.number, files = notices.len(), "files over max_file recorded without their bytes");
                self.queued_jobs();
            }
            if m.files.len() > notices.len() {
                self.files.notify_one();
            }
        }
        Ok(stored)
    }

    /// A message of `channel` edited at `at` to `text`: kept beside its
    /// earlier texts, once, if `channel` is a ticket's thread. (It may be
    /// seen before the message itself, which then finds it.)
    pub async fn record_edit(
        &self,
        channel: Snowflake,
        message: Snowflake,
        at: DateTime<Utc>,
        text: &str,
    ) -> Result<bool, AppError> {
        if self.config.transcripts.is_none() {
            return Ok(false);
        }
        let Some(ticket) = self.store.ticket_by_thread(channel).await? else { return Ok(false) };
        Ok(self.store.record_edit(ticket.id, message, at, text).await?)
    }

    /// A message of `channel` deleted: marked so, now, if `channel` is a
    /// ticket's thread (its texts and files stay).
    pub async fn record_deletion(&self, channel: Snowflake, message: Snowflake) -> Result<bool, AppError> {
        if self.config.transcripts.is_none() {
            return Ok(false);
        }
        let Some(ticket) = self.store.ticket_by_thread(channel).await? else { return Ok(false) };
        Ok(self.store.record_deletion(ticket.id, message, self.now()).await?)
    }

    /// Downloads the files of the record as they fall due, through
    /// `fetch`, [`DOWNLOADS_AT_ONCE`] at a time, until `stopping`
    /// completes (a download under way is left to its lease: the next try
    /// starts it again). Nothing when transcripts are off.
    pub async fn keep_files(&self, fetch: Arc<dyn Fetch>, stopping: impl std::future::Future<Output = ()>) {
        let Some(transcripts) = self.config.transcripts else { return };
        tokio::pin!(stopping);
        match self.store.release_download_claims().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "downloads a stopped process left are started again"),
            Err(e) => tracing::warn!(error = %e, "cannot free the downloads a stopped process left"),
        }
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < DOWNLOADS_AT_ONCE {
                let Some(d) = self.claim_next_download().await else { break };
                let (app, fetch) = (self.clone(), fetch.clone());
                running.spawn(async move { app.download(&*fetch, d, transcripts.max_file).await });
            }
            let next = match running.len() < DOWNLOADS_AT_ONCE {
                true => self.store.next_download_at().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot tell when the next file is due");
                    None
                }),
                false => None,
            };
            // Looked at again at least every half minute (another instance's
            // files, a lease run out), whatever wakes it sooner.
            let look_again = self.now() + chrono::Duration::seconds(30);
            let wake_at = next.map_or(look_again, |next| next.min(look_again));
            tokio::select! {
                () = &mut stopping => break,
                () = self.files.notified() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = self.sleep_until(wake_at) => {}
            }
        }
        running.abort_all();
    }

    /// Downloads every file due now, one after the other, through `fetch`:
    /// for the console, which keeps no downloads running aside. How many
    /// were tried.
    pub async fn keep_due_files(&self, fetch: &dyn Fetch) -> usize {
        let Some(transcripts) = self.config.transcripts else { return 0 };
        let mut tried = 0;
        while let Some(d) = self.claim_next_download().await {
            self.download(fetch, d, transcripts.max_file).await;
            tried += 1;
        }
        tried
    }

    /// The next file due for download, claimed for [`DOWNLOAD_LEASE`];
    /// `None` when none is due, or when the claim failed (logged: the next
    /// look tries again).
    async fn claim_next_download(&self) -> Option<Download> {
        let now = self.now();
        let until = now + chrono::Duration::from_std(DOWNLOAD_LEASE).unwrap_or_default();
        self.store.claim_download(now, until).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot claim a file to download");
            None
        })
    }

    /// One try of a file's download: its bytes stream into chunks and
    /// hashes; kept, or tried again later (with a fresh link when it had
    /// expired), or failed for good after [`MAX_TRIES`].
    async fn download(&self, fetch: &dyn Fetch, d: Download, max_file: u64) {
        let outcome = self.fetch_into_chunks(fetch, &d, max_file).await;
        let now = self.now();
        let result = match outcome {
            Ok(Some((size, hasher))) => {
                let digests = hasher.finish();
                let sample = d.sample_of.as_ref().is_some_and(|h| digests.match_hash(h));
                match self.store.keep_file(&d, size, &digests, sample).await {
                    Ok(true) => {
                        self.metrics.files_kept.inc();
                        tracing::info!(file = d.file.0, bytes = size, sample, "a file kept");
                        Ok(())
                    }
                    Ok(false) => {
                        tracing::warn!(file = d.file.0, "a download's claim was lost; another try keeps it");
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            // Lost its claim meanwhile: the other try carries on.
            Ok(None) => Ok(()),
            Err(FetchError::Expired) => match fetch.fresh_url(d.thread, d.message, d.file).await {
                Ok(Some(url)) if d.tries < MAX_TRIES => {
                    tracing::info!(file = d.file.0, "a file's link had expired; renewed");
                    self.store.retry_download(&d, Some(now), "the link had expired; renewed", Some(&url)).await
                }
                Ok(Some(_)) => self.give_up(&d, "its links kept expiring").await,
                Ok(None) => self.give_up(&d, "the message or the file is gone from the chat").await,
                Err(e) => self.try_again(&d, &format!("renewing the link failed: {e}")).await,
            },
            Err(FetchError::Failed(e)) => self.try_again(&d, &e).await,
        };
        if let Err(e) = result {
            tracing::warn!(file = d.file.0, error = %e, "cannot record a download's outcome; its lease runs out and it is tried again");
        }
    }

    /// Streams the file into chunks under `d`'s attempt; its size and
    /// hashes, or `None` when the claim was lost.
    async fn fetch_into_chunks(
        &self,
        fetch: &dyn Fetch,
        d: &Download,
        max_file: u64,
    ) -> Result<Option<(u64, Hasher)>, FetchError> {
        let stored = |e: crate::storage::StorageError| FetchError::Failed(format!("storing the file failed: {e}"));
        let mut bytes = fetch.open(&d.url).await?;
        let mut hasher = Hasher::default();
        let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK.min(usize::try_from(d.size).unwrap_or(CHUNK).max(1)));
        let mut n = 0_i64;
        let mut renew_at = self.now() + chrono::Duration::from_std(RENEW_DOWNLOAD).unwrap_or_default();
        loop {
            let piece = tokio::time::timeout(STALLED, bytes.next())
                .await
                .map_err(|_| FetchError::Failed(format!("no bytes for {} s", STALLED.as_secs())))??;
            let Some(mut piece) = piece else { break };
            if hasher.len() + piece.len() as u64 > max_file {
                return Err(FetchError::Failed(format!(
                    "larger than [transcripts].max_file ({})",
                    size_words(max_file)
                )));
            }
            hasher.update(&piece);
            while !piece.is_empty() {
                let room = CHUNK - chunk.len();
                let take = piece.split_to(room.min(piece.len()));
                chunk.extend_from_slice(&take);
                if chunk.len() == CHUNK {
                    self.store.write_chunk(d, n, std::mem::take(&mut chunk)).await.map_err(stored)?;
                    chunk.reserve(CHUNK);
                    n += 1;
                }
            }
            if self.now() >= renew_at {
                let until = self.now() + chrono::Duration::from_std(DOWNLOAD_LEASE).unwrap_or_default();
                if !self.store.renew_download(d, until).await.map_err(stored)? {
                    return Ok(None);
                }
                renew_at = self.now() + chrono::Duration::from_std(RENEW_DOWNLOAD).unwrap_or_default();
            }
        }
        if !chunk.is_empty() || n == 0 {
            self.store.write_chunk(d, n, chunk).await.map_err(stored)?;
        }
        Ok(Some((hasher.len(), hasher)))
    }

    async fn try_again(&self, d: &Download, error: &str) -> Result<(), crate::storage::StorageError> {
        if d.tries >= MAX_TRIES {
            return self.give_up(d, error).await;
        }
        let pause = RETRY_FIRST.saturating_mul(1 << (d.tries - 1).clamp(0, 20)).min(RETRY_MAX);
        let at = self.now() + chrono::Duration::from_std(pause).unwrap_or_default();
        tracing::warn!(
            file = d.file.0,
            tries = d.tries,
            error,
            retry_in_s = pause.as_secs(),
            "a file's download failed; tried again later"
        );
        self.store.retry_download(d, Some(at), error, None).await
    }

    async fn give_up(&self, d: &Download, error: &str) -> Result<(), crate::storage::StorageError> {
        tracing::error!(file = d.file.0, tries = d.tries, error, "a file could not be kept");
        self.metrics.files_failed.inc();
        self.store.retry_download(d, None, error, None).await
    }

    /// One pass of `[transcripts].keep`: the messages and files of a few
    /// tickets closed longer ago are deleted (their events stay). How many
    /// tickets' records went; none when nothing is to be forgotten.
    pub async fn forget_old_records(&self) -> Result<u64, AppError> {
        let Some(keep) = self.config.transcripts.and_then(|t| t.keep) else { return Ok(0) };
        let cutoff = self.now() - chrono::Duration::from_std(keep).unwrap_or_default();
        let forgotten = self.store.forget_records(cutoff, FORGET_BATCH).await?;
        if forgotten > 0 {
            tracing::info!(tickets = forgotten, "records of tickets closed before the retention's cutoff deleted");
        }
        Ok(forgotten)
    }
}
