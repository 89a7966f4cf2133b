//! The record of a ticket's thread: its messages as they arrived, were
//! edited and deleted, and the files attached to them, each kept with its
//! digests. Pure: what a message or a file is, how sizes read and are
//! written, and whether a file is a signature request's sample.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::customer::Snowflake;
use super::signature::{FileHash, HashKind};

/// A message written in a ticket's thread, as the chat gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    /// The chat's id of the message (Discord's), which makes it stored once.
    pub id: Snowflake,
    /// The thread.
    pub channel: Snowflake,
    pub author: Snowflake,
    /// How the author was shown then (their display name).
    pub author_name: String,
    /// Written by this bot.
    pub by_bot: bool,
    pub at: DateTime<Utc>,
    pub text: String,
    pub files: Vec<Attached>,
}

/// A file attached to a message: where to fetch it while its link lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The chat's id of the attachment.
    pub id: Snowflake,
    pub name: String,
    pub content_type: Option<String>,
    /// As the chat reported it.
    pub size: u64,
    pub url: String,
}

impl Attached {
    /// How its record starts: waiting for its download, or, over
    /// `max_file` bytes, recorded without them.
    pub fn first_state(&self, max_file: u64) -> FileState {
        match self.size > max_file {
            true => FileState::TooLarge,
            false => FileState::Pending,
        }
    }
}

/// A message as kept: each text it had, in order (the first as written),
/// and when it was deleted, if it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMessage {
    pub id: Snowflake,
    pub author: Snowflake,
    pub author_name: String,
    pub by_bot: bool,
    pub at: DateTime<Utc>,
    /// `(when, text)`: as written (at `at`), then after each edit.
    pub texts: Vec<(DateTime<Utc>, String)>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub files: Vec<KeptFile>,
}

impl KeptMessage {
    /// The text as it stands (the latest edit's).
    pub fn text(&self) -> &str {
        self.texts.last().map_or("", |(_, t)| t.as_str())
    }

    /// The texts it had before its last edit, oldest first.
    pub fn earlier(&self) -> &[(DateTime<Utc>, String)] {
        &self.texts[..self.texts.len().saturating_sub(1)]
    }
}

/// A file of a message, and how far keeping it has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFile {
    pub id: Snowflake,
    pub name: String,
    pub content_type: Option<String>,
    pub size: u64,
    pub state: FileState,
    /// Lower-case hex, once its bytes are kept.
    pub sha256: Option<String>,
    /// The signature request's sample: one of its digests is the request's hash.
    pub sample: bool,
}

/// Where a file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// Its download is still to come, or under way.
    Pending,
    /// Its bytes are kept.
    Kept,
    /// Larger than `[transcripts].max_file`: recorded without its bytes.
    TooLarge,
    /// Its download failed for good (its link could not be renewed).
    Failed,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Pending => "pending",
            FileState::Kept => "kept",
            FileState::TooLarge => "too_large",
            FileState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<FileState> {
        [FileState::Pending, FileState::Kept, FileState::TooLarge, FileState::Failed]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// A file's digests, in lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
}

impl Digests {
    /// Whether these are the digests of the file `hash` names (by its kind).
    pub fn match_hash(&self, hash: &FileHash) -> bool {
        let mine = match hash.kind() {
            HashKind::Md5 => &self.md5,
            HashKind::Sha1 => &self.sha1,
            HashKind::Sha256 => &self.sha256,
        };
        mine == hash.as_str()
    }
}

/// The three digests of bytes that arrive a piece at a time.
#[derive(Default, Clone)]
pub struct Hasher {
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    len: u64,
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.sha1.update(bytes);
        self.sha256.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// How many bytes it has seen.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(self) -> Digests {
        Digests {
            md5: hex(&self.md5.finalize()),
            sha1: hex(&self.sha1.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A size as a configuration writes it: `25MB`, `512 KB`, `1GB`, `300B`
/// (K, M and G are 1,024-based, as Discord's upload limits are).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("\"{s}\" is not a size like \"25MB\", \"512KB\" or \"1GB\"");
    let trimmed = s.trim();
    let digits = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(bad()),
    };
    let bytes = number.checked_mul(factor).ok_or_else(bad)?;
    match bytes {
        0 => Err(format!("\"{s}\" is no size: a file of more than 0 bytes is kept up to it")),
        bytes => Ok(bytes),
    }
}

/// A size for people: `830 B`, `12.4 KB`, `3.1 MB`, `1.2 GB` (1,024-based).
pub fn size_words(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if value >= 100.0 => format!("{value:.0} {}", UNITS[unit]),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_configurations_write_them() {
        assert_eq!(parse_size("25MB"), Ok(25 * 1024 * 1024));
        assert_eq!(parse_size(" 512 kb "), Ok(512 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("300"), Ok(300));
        for bad in ["", "MB", "25TB", "2.5MB", "-1MB", "0MB", "99999999999999999GB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(size_words(830), "830 B");
        assert_eq!(size_words(12_700), "12.4 KB");
        assert_eq!(size_words(25 * 1024 * 1024), "25.0 MB");
        assert_eq!(size_words(300 * 1024 * 1024), "300 MB");
    }

    /// The digests of known inputs, a piece at a time or at once; a sample
    /// is found by the digest of the request's hash kind, in any case.
    #[test]
    fn digests_of_pieces_are_the_digests_of_the_whole() {
        let mut pieces = Hasher::default();
        pieces.update(b"ab");
        pieces.update(b"c");
        assert_eq!(pieces.len(), 3);
        let d = pieces.finish();
        assert_eq!(d.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(d.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        for hash in [&d.md5, &d.sha1, &d.sha256] {
            let upper: FileHash = hash.to_uppercase().parse().unwrap();
            assert!(d.match_hash(&upper), "{hash}");
        }
        let other: FileHash = "d41d8cd98f00b204e9800998ecf8427e".parse().unwrap();
        assert!(!d.match_hash(&other));
    }
}
