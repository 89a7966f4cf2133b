//! Calls that survive a bad moment: a REST call that meets a 5xx, or no
//! (complete) answer within [`CALL_TIMEOUT`], is tried again with
//! exponential backoff, and posts carry a nonce that Discord enforces, so a
//! retry of a post whose first try did reach Discord returns that message
//! instead of posting it twice. 429s are waited out where the call is made
//! (`rest.rs`), for their `retry_after`. Longer outages are the outbox's
//! business: it tries a job again later, and gives up on failures that
//! cannot heal.

use std::future::Future;
use std::time::Duration;

use crate::app::{DeliveryError, Permanent, PostKey};

pub const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// No answer within this is a failure whose outcome is unknown.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Discord's error for an operation in an archived thread.
pub const ARCHIVED_THREAD: i64 = 50083;

/// Discord's error for a thread beyond the server's active threads (1,000).
pub const TOO_MANY_THREADS: i64 = 160006;

/// Discord's error for a second response to an interaction.
pub const ALREADY_ACKNOWLEDGED: i64 = 40060;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Discord answered with an error (`code`: its JSON error code).
    #[error("HTTP {status}{}: {message}", code.map(|c| format!(" (code {c})")).unwrap_or_default())]
    Status { status: u16, code: Option<i64>, message: String },
    /// The connection failed or broke off.
    #[error("{0}")]
    Transport(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A success whose answer could not be read.
    #[error("an answer that cannot be read: {0}")]
    Decode(String),
    /// 429 after 429: waited out each time, then given up for now.
    #[error("rate limited again and again (retry after {0:?})")]
    RateLimited(Duration),
}

impl CallError {
    /// A server error, no (complete or readable) answer, or limits that
    /// kept refusing: worth another try. A 4xx is our mistake or a missing
    /// resource.
    pub fn retryable(&self) -> bool {
        match self {
            CallError::Status { status, .. } => *status >= 500,
            CallError::Transport(_) | CallError::Timeout(_) | CallError::Decode(_) | CallError::RateLimited(_) => true,
        }
    }

    /// The request may have taken effect although it failed: a 5xx, no
    /// answer, a dropped connection, an unreadable success.
    pub fn ambiguous(&self) -> bool {
        self.retryable() && !matches!(self, CallError::RateLimited(_))
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Discord's JSON error code, if it sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            CallError::Status { code, .. } => *code,
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
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
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

/// The pause after the `attempt`th failed try (1-based).
pub fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF.saturating_mul(1 << attempt.clamp(1, 8).saturating_sub(1)).min(MAX_BACKOFF)
}

/// The nonce of an outbox post: the same across retries, restarts and
/// instances (`pl-o` and the row, `.` and the post's index: at most 25
/// characters for any row id).
pub fn outbox_nonce(key: PostKey) -> String {
    format!("pl-o{:x}.{:x}", key.job, key.index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_unique_and_short() {
        let longest = outbox_nonce(PostKey { job: i64::MAX, index: u8::MAX });
        assert!(longest.len() <= 25, "{longest}");
        assert_ne!(outbox_nonce(PostKey { job: 1, index: 0 }), outbox_nonce(PostKey { job: 1, index: 1 }));
    }

    #[test]
    fn server_errors_and_silence_are_tried_again_a_refusal_is_not() {
        let status = |status, code| CallError::Status { status, code, message: String::new() };
        assert!(status(502, None).retryable() && status(502, None).ambiguous());
        assert!(CallError::Timeout(CALL_TIMEOUT).ambiguous());
        assert!(CallError::RateLimited(Duration::from_secs(1)).retryable());
        assert!(!CallError::RateLimited(Duration::from_secs(1)).ambiguous(), "a 429 took no effect");
        assert!(!status(403, Some(50001)).retryable());
        let archived = status(400, Some(ARCHIVED_THREAD)).for_outbox(0, "posting");
        assert!(matches!(archived, DeliveryError::Permanent { problem: Permanent::Locked, .. }));
    }
}
