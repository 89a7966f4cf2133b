//! Delivery that survives a bad moment: REST calls that meet a 429 or a 5xx
//! (or no answer at all) are tried again with exponential backoff, and posts
//! carry a nonce that Discord enforces, so a retry of a post whose first try
//! did reach Discord returns that message instead of posting it twice.
//!
//! Against Discord itself serenity's rate limiter already waits out 429s from
//! the response headers. Through a proxy (`api_base`) the proxy rate-limits,
//! and the 429s that still reach us carry no delay serenity passes on, so we
//! back off: 0.25 s, doubling, at most 30 s between tries, [`ATTEMPTS`] tries.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serenity::all::Nonce;
use serenity::http::HttpError;

pub const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs `call` until it succeeds, fails for a reason retrying cannot fix, or
/// [`ATTEMPTS`] tries have failed.
pub async fn with_retries<T, Fut>(what: &str, mut call: impl FnMut() -> Fut) -> serenity::Result<T>
where
    Fut: Future<Output = serenity::Result<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < ATTEMPTS && retryable(&e) => {
                tracing::warn!(what, attempt, error = %e, retry_in = ?backoff, "Discord call failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Rate limited, a server error, or no response: worth another try. A 4xx
/// other than 429 is our mistake or a missing resource: trying again cannot help.
fn retryable(e: &serenity::Error) -> bool {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            r.status_code.as_u16() == 429 || r.status_code.is_server_error()
        }
        serenity::Error::Http(HttpError::Request(_)) => true,
        _ => false,
    }
}

/// A nonce for one message, the same on every retry of it: unique per process
/// run (start time and a counter), at most 25 characters as Discord requires.
pub fn nonce() -> Nonce {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Nonce::String(format!("pl{:x}.{n:x}", start % (1 << 44)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_unique_and_short() {
        let a = serde_json::to_value(nonce()).unwrap();
        let b = serde_json::to_value(nonce()).unwrap();
        assert_ne!(a, b);
        assert!(a.as_str().unwrap().len() <= 25, "{a}");
    }
}
