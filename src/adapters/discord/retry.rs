//! Calls that survive a bad moment: REST calls that meet a 429 or a 5xx, or
//! no answer at all within [`CALL_TIMEOUT`], are tried again with
//! exponential backoff, and posts carry a nonce that Discord enforces, so a
//! retry of a post whose first try did reach Discord returns that message
//! instead of posting it twice. Longer outages are the outbox's business:
//! it tries a job again later, and gives up on failures that cannot heal.
//!
//! Against Discord itself serenity's rate limiter already waits out 429s from
//! the response headers. Through a proxy (`api_base`) the proxy rate-limits,
//! and the 429s that still reach us carry no delay serenity passes on, so we
//! back off: 0.25 s, doubling, [`ATTEMPTS`] tries in all.

use std::future::Future;
use std::time::Duration;

use serenity::all::Nonce;
use serenity::http::HttpError;

use crate::app::{DeliveryError, Permanent, PostKey};

pub const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// No answer within this is a failure whose outcome is unknown.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Discord's error for an operation in an archived thread.
pub const ARCHIVED_THREAD: isize = 50083;

/// Discord's error for a thread beyond the server's active threads (1,000).
pub const TOO_MANY_THREADS: isize = 160006;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Discord(#[from] serenity::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

impl CallError {
    /// Rate limited, a server error, or no (complete) answer: worth another
    /// try. A 4xx other than 429 is our mistake or a missing resource.
    pub fn retryable(&self) -> bool {
        match self {
            CallError::Timeout(_) => true,
            CallError::Discord(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) => {
                r.status_code.as_u16() == 429 || r.status_code.is_server_error()
            }
            CallError::Discord(serenity::Error::Http(HttpError::Request(_))) => true,
            CallError::Discord(_) => false,
        }
    }

    /// The request may have taken effect although it failed: a 5xx, no
    /// answer, a dropped connection.
    pub fn ambiguous(&self) -> bool {
        self.retryable() && self.status() != Some(429)
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Discord(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) => {
                Some(r.status_code.as_u16())
            }
            _ => None,
        }
    }

    /// Discord's JSON error code, if it sent one.
    pub fn code(&self) -> Option<isize> {
        match self {
            CallError::Discord(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) => Some(r.error.code),
            _ => None,
        }
    }

    /// As the outbox sees it: a failure to try again later, or one that ends
    /// the job (`action` is the index of the action that failed).
    pub fn for_outbox(&self, action: usize, what: &str) -> DeliveryError {
        let detail = format!("{what}: {self}");
        let problem = match (self.status(), self.code()) {
            _ if self.retryable() => return DeliveryError::Transient(detail),
            (_, Some(ARCHIVED_THREAD)) => Permanent::Locked,
            (_, Some(TOO_MANY_THREADS)) => Permanent::ThreadLimit,
            (Some(403), _) => Permanent::MissingAccess,
            (Some(404), _) => Permanent::NotFound,
            _ => Permanent::Rejected,
        };
        DeliveryError::Permanent { action, problem, detail }
    }
}

/// Runs `call` until it succeeds, fails for a reason retrying cannot fix, or
/// [`ATTEMPTS`] tries have failed.
pub async fn with_retries<T, Fut>(what: &str, mut call: impl FnMut() -> Fut) -> Result<T, CallError>
where
    Fut: Future<Output = serenity::Result<T>>,
{
    let mut attempt = 1;
    loop {
        match once(call()).await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < ATTEMPTS && e.retryable() => {
                let pause = backoff(attempt);
                tracing::warn!(what, attempt, error = %e, retry_in = ?pause, "Discord call failed; retrying");
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// One try, bounded by [`CALL_TIMEOUT`].
pub async fn once<T>(call: impl Future<Output = serenity::Result<T>>) -> Result<T, CallError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(r) => r.map_err(CallError::from),
        Err(_) => Err(CallError::Timeout(CALL_TIMEOUT)),
    }
}

/// The pause after the `attempt`th failed try (1-based).
pub fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF.saturating_mul(1 << attempt.clamp(1, 8).saturating_sub(1)).min(MAX_BACKOFF)
}

/// The nonce of an outbox post: the same across retries, restarts and
/// instances (`pl-o` and the row, `.` and the post's index: at most 25
/// characters for any row id).
pub fn outbox_nonce(key: PostKey) -> Nonce {
    Nonce::String(format!("pl-o{:x}.{:x}", key.job, key.index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_unique_and_short() {
        let longest = serde_json::to_value(outbox_nonce(PostKey { job: i64::MAX, index: u8::MAX })).unwrap();
        assert!(longest.as_str().unwrap().len() <= 25, "{longest}");
        let nonce = |index| serde_json::to_value(outbox_nonce(PostKey { job: 1, index })).unwrap();
        assert_ne!(nonce(0), nonce(1));
    }
}
