//! The console's side of the record: files attached with `:attach` are
//! read from the local disk (a `file://` link, which never expires), and
//! messages get ids of Discord's form, from the console's clock.

use async_trait::async_trait;
use tokio::io::AsyncReadExt;

use crate::app::{Fetch, FetchError, FileBytes};
use crate::domain::customer::Snowflake;

/// Local files, by `file://` links.
pub struct LocalFiles;

struct Reading(tokio::fs::File);

#[async_trait]
impl FileBytes for Reading {
    async fn next(&mut self) -> Result<Option<bytes::Bytes>, FetchError> {
        let mut piece = vec![0; 64 * 1024];
        let n = self.0.read(&mut piece).await.map_err(|e| FetchError::Failed(format!("cannot read the file: {e}")))?;
        piece.truncate(n);
        Ok((n > 0).then(|| piece.into()))
    }
}

#[async_trait]
impl Fetch for LocalFiles {
    async fn open(&self, url: &str) -> Result<Box<dyn FileBytes>, FetchError> {
        let path = url::Url::parse(url)
            .ok()
            .filter(|u| u.scheme() == "file")
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| FetchError::Failed(format!("not a local file: {url}")))?;
        match tokio::fs::File::open(&path).await {
            Ok(f) => Ok(Box::new(Reading(f))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::Expired),
            Err(e) => Err(FetchError::Failed(format!("cannot open {}: {e}", path.display()))),
        }
    }

    async fn fresh_url(&self, _: Snowflake, _: Snowflake, _: Snowflake) -> Result<Option<String>, FetchError> {
        // A local file moved or deleted is gone.
        Ok(None)
    }
}

/// Discord's epoch, in Unix milliseconds: snowflakes count from it.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;

/// An id of Discord's form for something made at `at` (milliseconds), the
/// `n`th in that millisecond: unique in a database whose clock only moves on.
pub fn snowflake(at_ms: i64, n: u64) -> Snowflake {
    let since = u64::try_from(at_ms - DISCORD_EPOCH_MS).unwrap_or_default();
    Snowflake((since << 22) | (n & 0xFFF))
}
