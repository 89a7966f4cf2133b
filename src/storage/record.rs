//! The record of tickets' threads (migration 0013): messages stored once
//! (Discord's ids are their keys, so whichever instance sees an event first
//! stores it and the others find it there), their edits and deletions,
//! and their files, whose rows are also the downloads' queue: a pending
//! file is claimed by one instance at a time under a lease, its bytes are
//! written in chunks under the claim's attempt, and kept in the one
//! transaction that marks it kept (a try that died leaves chunks no row
//! points to, which the next try clears).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{id_from_db, id_to_db, instant, Queued, StorageError, Store};
use crate::domain::customer::Snowflake;
use crate::domain::record::{Arrived, Digests, FileState, KeptFile, KeptMessage};
use crate::domain::signature::FileHash;

/// The most bytes a chunk of a file holds.
pub const CHUNK: usize = 1 << 20;

/// A file's download, as claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub file: Snowflake,
    pub ticket_id: i64,
    /// Where its message is: to renew an expired link.
    pub thread: Snowflake,
    pub message: Snowflake,
    pub name: String,
    pub url: String,
    /// As the chat reported it.
    pub size: u64,
    /// This try's number: its chunks are its own.
    pub attempt: i64,
    /// Tries so far, this one included.
    pub tries: i64,
    /// The ticket's signature request's hash, if it has one: a file whose
    /// digest equals it is the request's sample.
    pub sample_of: Option<FileHash>,
}

impl Store {
    /// Stores a message of the ticket `ticket_id`'s thread with its texts
    /// and files, once: files up to `max_file` bytes wait for their
    /// download, larger ones are recorded without their bytes, and
    /// `notices` (what the thread is told of them) are queued with it.
    /// False when the message was stored already (another instance, or an
    /// event delivered twice): nothing is written.
    pub async fn record_message(
        &self,
        ticket_id: i64,
        m: &Arrived,
        max_file: u64,
        notices: &[Queued],
    ) -> Result<bool, StorageError> {
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO thread_messages (id, ticket_id, author, author_name, by_bot, at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id_to_db(m.id))
        .bind(ticket_id)
        .bind(id_to_db(m.author))
        .bind(m.author_name.clone())
        .bind(i64::from(m.by_bot))
        .bind(m.at.timestamp_millis())
        .execute(&mut *w.tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO message_texts (message_id, edited_at, ticket_id, text) VALUES ($1, 0, $2, $3)")
            .bind(id_to_db(m.id))
            .bind(ticket_id)
            .bind(m.text.clone())
            .execute(&mut *w.tx)
            .await?;
        for f in &m.files {
            let state = f.first_state(max_file);
            sqlx::query(
                "INSERT INTO message_files (id, message_id, ticket_id, thread_id, name, content_type, size, url, state,
                                            next_try_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id_to_db(f.id))
            .bind(id_to_db(m.id))
            .bind(ticket_id)
            .bind(id_to_db(m.channel))
            .bind(f.name.clone())
            .bind(f.content_type.clone())
            .bind(i64::try_from(f.size).unwrap_or(i64::MAX))
            .bind(f.url.clone())
            .bind(state.as_str())
            .bind(m.at.timestamp_millis())
            .execute(&mut *w.tx)
            .await?;
        }
        self.queue(&mut w.tx, ticket_id, notices).await?;
        w.tx.commit().await?;
        Ok(true)
    }

    /// A message of the ticket `ticket_id`'s thread, its text after an edit
    /// at `at`: kept beside the earlier ones, once (false when it was kept
    /// already). It may come before the message itself, whose row then
    /// finds it.
    pub async fn record_edit(
        &self,
        ticket_id: i64,
        message: Snowflake,
        at: DateTime<Utc>,
        text: &str,
    ) -> Result<bool, StorageError> {
        let done = self
            .execute_write(
                sqlx::query(
                    "INSERT INTO message_texts (message_id, edited_at, ticket_id, text) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (message_id, edited_at) DO NOTHING",
                )
                .bind(id_to_db(message))
                .bind(at.timestamp_millis().max(1))
                .bind(ticket_id)
                .bind(text.to_owned()),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A message of the ticket `ticket_id`'s thread deleted at `at`: marked
    /// so, once (its texts and files stay).
    pub async fn record_deletion(
        &self,
        ticket_id: i64,
        message: Snowflake,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let done = self
            .execute_write(
                sqlx::query(
                    "INSERT INTO message_deletions (message_id, ticket_id, at) VALUES ($1, $2, $3)
                     ON CONFLICT (message_id) DO NOTHING",
                )
                .bind(id_to_db(message))
                .bind(ticket_id)
                .bind(at.timestamp_millis()),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims the pending file that has waited longest, if one is due at
    /// `now`, until `until`; the claim is a new attempt.
    pub async fn claim_download(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Download>, StorageError> {
        let free = "state = 'pending' AND next_try_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)";
        let claim = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE message_files SET claimed_until = $2, attempt = attempt + 1, tries = tries + 1
             WHERE id = (SELECT id FROM message_files WHERE {free} ORDER BY next_try_at, id LIMIT 1) AND {free}
             RETURNING id, ticket_id, thread_id, message_id, name, url, size, attempt, tries"
        )))
        .bind(now.timestamp_millis())
        .bind(until.timestamp_millis());
        let row = {
            let _turn = self.writer_turn().await;
            claim.fetch_optional(&self.pool).await?
        };
        let Some(r) = row else { return Ok(None) };
        let ticket_id: i64 = r.try_get("ticket_id")?;
        let hash: Option<String> = sqlx::query_scalar("SELECT hash FROM signature_requests WHERE ticket_id = $1")
            .bind(ticket_id)
            .fetch_optional(&self.pool)
            .await?;
        let corrupt = |problem: String| StorageError::Corrupt { table: "signature_requests", problem };
        Ok(Some(Download {
            file: id_from_db(r.try_get("id")?),
            ticket_id,
            thread: id_from_db(r.try_get("thread_id")?),
            message: id_from_db(r.try_get("message_id")?),
            name: r.try_get("name")?,
            url: r.try_get("url")?,
            size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or_default(),
            attempt: r.try_get("attempt")?,
            tries: r.try_get("tries")?,
            sample_of: hash.map(|h| h.parse().map_err(corrupt)).transpose()?,
        }))
    }

    /// Frees every download's claim. Only for a store that is the
    /// database's one user (SQLite): the tries of a process that died start
    /// again at once instead of when their leases run out.
    pub async fn release_download_claims(&self) -> Result<u64, StorageError> {
        if self.backend != super::Backend::Sqlite {
            return Ok(0);
        }
        let release =
            "UPDATE message_files SET claimed_until = NULL WHERE state = 'pending' AND claimed_until IS NOT NULL";
        Ok(self.execute_write(sqlx::query(release)).await?.rows_affected())
    }

    /// Extends a download's claim; false when it is no longer this try's.
    pub async fn renew_download(&self, d: &Download, until: DateTime<Utc>) -> Result<bool, StorageError> {
        let done = self
            .execute_write(
                sqlx::query(
                    "UPDATE message_files SET claimed_until = $3 WHERE id = $1 AND attempt = $2 AND state = 'pending'",
                )
                .bind(id_to_db(d.file))
                .bind(d.attempt)
                .bind(until.timestamp_millis()),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes the `n`th chunk of a download's bytes (at most [`CHUNK`]).
    pub async fn write_chunk(&self, d: &Download, n: i64, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.execute_write(
            sqlx::query("INSERT INTO file_chunks (file_id, attempt, n, bytes) VALUES ($1, $2, $3, $4)")
                .bind(id_to_db(d.file))
                .bind(d.attempt)
                .bind(n)
                .bind(bytes),
        )
        .await?;
        Ok(())
    }

    /// The download done: its chunks are the file's, with these digests
    /// and `size` bytes. False when the claim was lost meanwhile (another
    /// try keeps it). Chunks of other tries go.
    pub async fn keep_file(
        &self,
        d: &Download,
        size: u64,
        digests: &Digests,
        sample: bool,
    ) -> Result<bool, StorageError> {
        let mut w = self.begin_write().await?;
        let kept = sqlx::query(
            "UPDATE message_files SET state = 'kept', size = $3, md5 = $4, sha1 = $5, sha256 = $6, sample = $7,
                                      claimed_until = NULL, last_error = NULL
             WHERE id = $1 AND attempt = $2 AND state = 'pending'",
        )
        .bind(id_to_db(d.file))
        .bind(d.attempt)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(digests.md5.clone())
        .bind(digests.sha1.clone())
        .bind(digests.sha256.clone())
        .bind(i64::from(sample))
        .execute(&mut *w.tx)
        .await?;
        if kept.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM file_chunks WHERE file_id = $1 AND attempt <> $2")
            .bind(id_to_db(d.file))
            .bind(d.attempt)
            .execute(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(true)
    }

    /// The try failed: the file waits until `retry_at` (with a fresh link,
    /// if one was found), or, `retry_at` none, has failed for good. The
    /// try's chunks go.
    pub async fn retry_download(
        &self,
        d: &Download,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
        fresh_url: Option<&str>,
    ) -> Result<(), StorageError> {
        let mut w = self.begin_write().await?;
        let state = if retry_at.is_some() { FileState::Pending } else { FileState::Failed };
        sqlx::query(
            "UPDATE message_files SET state = $3, next_try_at = COALESCE($4, next_try_at), last_error = $5,
                                      url = COALESCE($6, url), claimed_until = NULL
             WHERE id = $1 AND attempt = $2 AND state = 'pending'",
        )
        .bind(id_to_db(d.file))
        .bind(d.attempt)
        .bind(state.as_str())
        .bind(retry_at.map(|t| t.timestamp_millis()))
        .bind(error.to_owned())
        .bind(fresh_url.map(str::to_owned))
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM file_chunks WHERE file_id = $1 AND attempt = $2")
            .bind(id_to_db(d.file))
            .bind(d.attempt)
            .execute(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// When the next pending file falls due (now, if one is waiting), if any.
    pub async fn next_download_at(&self) -> Result<Option<DateTime<Utc>>, StorageError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN claimed_until IS NULL OR claimed_until < next_try_at THEN next_try_at
                             ELSE claimed_until END)
             FROM message_files WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        next.map(|ms| instant(ms, "message_files")).transpose()
    }

    /// How many of the ticket's files are still to be downloaded.
    pub async fn pending_files(&self, ticket_id: i64) -> Result<i64, StorageError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM message_files WHERE ticket_id = $1 AND state = 'pending'")
            .bind(ticket_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The ticket's thread as kept: its messages in order, each with its
    /// texts and files.
    pub async fn record(&self, ticket_id: i64) -> Result<Vec<KeptMessage>, StorageError> {
        let bad = |table: &'static str| move |problem: String| StorageError::Corrupt { table, problem };
        let rows = sqlx::query(
            "SELECT m.id, m.author, m.author_name, m.by_bot, m.at, d.at AS deleted_at FROM thread_messages m
             LEFT JOIN message_deletions d ON d.message_id = m.id
             WHERE m.ticket_id = $1 ORDER BY m.at, m.id",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = Vec::with_capacity(rows.len());
        for r in &rows {
            messages.push(KeptMessage {
                id: id_from_db(r.try_get("id")?),
                author: id_from_db(r.try_get("author")?),
                author_name: r.try_get("author_name")?,
                by_bot: r.try_get::<i64, _>("by_bot")? == 1,
                at: instant(r.try_get("at")?, "thread_messages")?,
                texts: Vec::new(),
                deleted_at: r
                    .try_get::<Option<i64>, _>("deleted_at")?
                    .map(|ms| instant(ms, "thread_messages"))
                    .transpose()?,
                files: Vec::new(),
            });
        }
        let index: std::collections::HashMap<Snowflake, usize> =
            messages.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
        let texts = sqlx::query(
            "SELECT message_id, edited_at, text FROM message_texts WHERE ticket_id = $1 ORDER BY message_id, edited_at",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        for r in &texts {
            let Some(&i) = index.get(&id_from_db(r.try_get("message_id")?)) else { continue };
            let at = match r.try_get::<i64, _>("edited_at")? {
                0 => messages[i].at,
                ms => instant(ms, "message_texts")?,
            };
            messages[i].texts.push((at, r.try_get("text")?));
        }
        let files = sqlx::query(
            "SELECT id, message_id, name, content_type, size, state, sha256, sample FROM message_files
             WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        for r in &files {
            let Some(&i) = index.get(&id_from_db(r.try_get("message_id")?)) else { continue };
            let state: String = r.try_get("state")?;
            messages[i].files.push(KeptFile {
                id: id_from_db(r.try_get("id")?),
                name: r.try_get("name")?,
                content_type: r.try_get("content_type")?,
                size: u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or_default(),
                state: FileState::parse(&state).ok_or_else(|| bad("message_files")(format!("state {state}")))?,
                sha256: r.try_get("sha256")?,
                sample: r.try_get::<i64, _>("sample")? == 1,
            });
        }
        Ok(messages)
    }

    /// Hands a kept file's bytes to `sink`, a chunk at a time; false when
    /// the file has no bytes kept.
    pub async fn read_file(
        &self,
        file: Snowflake,
        mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<bool, StorageError> {
        let attempt: Option<i64> =
            sqlx::query_scalar("SELECT attempt FROM message_files WHERE id = $1 AND state = 'kept'")
                .bind(id_to_db(file))
                .fetch_optional(&self.pool)
                .await?;
        let Some(attempt) = attempt else { return Ok(false) };
        let mut n = 0_i64;
        loop {
            let chunk: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT bytes FROM file_chunks WHERE file_id = $1 AND attempt = $2 AND n = $3")
                    .bind(id_to_db(file))
                    .bind(attempt)
                    .bind(n)
                    .fetch_optional(&self.pool)
                    .await?;
            let Some(chunk) = chunk else { return Ok(true) };
            sink(&chunk).map_err(|e| StorageError::Corrupt { table: "file_chunks", problem: e.to_string() })?;
            n += 1;
        }
    }

    /// Deletes the messages and files of at most `batch` tickets closed
    /// before `cutoff` that still have some (their events stay); how many
    /// tickets' records went.
    pub async fn forget_records(&self, cutoff: DateTime<Utc>, batch: i64) -> Result<u64, StorageError> {
        let mut w = self.begin_write().await?;
        let tickets: Vec<i64> = sqlx::query_scalar(
            "SELECT t.id FROM tickets t WHERE t.closed_at IS NOT NULL AND t.closed_at < $1
                 AND (EXISTS (SELECT 1 FROM thread_messages m WHERE m.ticket_id = t.id)
                      OR EXISTS (SELECT 1 FROM message_texts x WHERE x.ticket_id = t.id))
             ORDER BY t.closed_at LIMIT $2",
        )
        .bind(cutoff.timestamp_millis())
        .bind(batch)
        .fetch_all(&mut *w.tx)
        .await?;
        for id in &tickets {
            // Chunks go with their files (ON DELETE CASCADE).
            for table in ["message_files", "message_texts", "message_deletions", "thread_messages"] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE ticket_id = $1")))
                    .bind(*id)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        w.tx.commit().await?;
        Ok(tickets.len() as u64)
    }

    /// What the record keeps, in bytes: the files' and the texts'.
    pub async fn record_bytes(&self) -> Result<i64, StorageError> {
        let files: Option<i64> =
            sqlx::query_scalar("SELECT CAST(SUM(size) AS BIGINT) FROM message_files WHERE state = 'kept'")
                .fetch_one(&self.pool)
                .await?;
        let texts: Option<i64> = sqlx::query_scalar("SELECT CAST(SUM(LENGTH(text)) AS BIGINT) FROM message_texts")
            .fetch_one(&self.pool)
            .await?;
        Ok(files.unwrap_or(0) + texts.unwrap_or(0))
    }

    /// The samples kept of these tickets' requests: (ticket id, file name, size).
    pub async fn samples(&self, ticket_ids: &[i64]) -> Result<Vec<(i64, String, u64)>, StorageError> {
        let mut out = Vec::new();
        for id in ticket_ids {
            let rows = sqlx::query(
                "SELECT name, size FROM message_files WHERE ticket_id = $1 AND sample = 1 AND state = 'kept'
                 ORDER BY id",
            )
            .bind(*id)
            .fetch_all(&self.pool)
            .await?;
            for r in rows {
                out.push((*id, r.try_get("name")?, u64::try_from(r.try_get::<i64, _>("size")?).unwrap_or_default()));
            }
        }
        Ok(out)
    }
}
