//! Antivirus signature change requests: what a contact reports (a false
//! positive or negative, the file's hash, the product and database
//! versions), the latest-databases precondition, and the stages a request
//! moves through. Pure.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the product got wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// A clean file flagged.
    FalsePositive,
    /// An infected file missed.
    FalseNegative,
}

impl SignatureKind {
    pub const ALL: [SignatureKind; 2] = [SignatureKind::FalsePositive, SignatureKind::FalseNegative];

    /// The one place kinds meet storage and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureKind::FalsePositive => "false_positive",
            SignatureKind::FalseNegative => "false_negative",
        }
    }

    pub fn parse(s: &str) -> Option<SignatureKind> {
        SignatureKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The digest a hash is, told by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashKind {
    Md5,
    Sha1,
    Sha256,
}

impl HashKind {
    pub const ALL: [HashKind; 3] = [HashKind::Md5, HashKind::Sha1, HashKind::Sha256];

    pub fn as_str(self) -> &'static str {
        match self {
            HashKind::Md5 => "md5",
            HashKind::Sha1 => "sha1",
            HashKind::Sha256 => "sha256",
        }
    }

    pub fn parse(s: &str) -> Option<HashKind> {
        HashKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// `MD5`, `SHA-1`, `SHA-256`.
    pub fn label(self) -> &'static str {
        match self {
            HashKind::Md5 => "MD5",
            HashKind::Sha1 => "SHA-1",
            HashKind::Sha256 => "SHA-256",
        }
    }

    fn of_length(hex_digits: usize) -> Option<HashKind> {
        match hex_digits {
            32 => Some(HashKind::Md5),
            40 => Some(HashKind::Sha1),
            64 => Some(HashKind::Sha256),
            _ => None,
        }
    }
}

/// A file's hash: MD5, SHA-1 or SHA-256 in hex, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash {
    kind: HashKind,
    hex: String,
}

impl FileHash {
    pub fn kind(&self) -> HashKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.hex
    }
}

impl FromStr for FileHash {
    type Err = String;

    /// Surrounding white space is ignored; case is not significant.
    fn from_str(s: &str) -> Result<FileHash, String> {
        let hex = s.trim();
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a hash is written in hex digits (0-9, a-f) only".into());
        }
        let kind = HashKind::of_length(hex.len())
            .ok_or_else(|| format!("{} hex digits is no hash: MD5 has 32, SHA-1 40, SHA-256 64", hex.len()))?;
        Ok(FileHash { kind, hex: hex.to_ascii_lowercase() })
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex)
    }
}

/// A short identifier a person types (a database release, a product
/// version): trimmed, 1 to [`Label::MAX`] printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

impl Label {
    pub const MAX: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Label {
    type Err = String;

    fn from_str(s: &str) -> Result<Label, String> {
        let s = s.trim();
        let count = s.chars().count();
        if count == 0 {
            return Err("it is empty".into());
        }
        if count > Label::MAX {
            return Err(format!("it is {count} characters long; the limit is {}", Label::MAX));
        }
        if s.chars().any(|c| c.is_control() || c == '@' || c == '<' || c == '>') {
            return Err("it may not hold control characters, @, < or >".into());
        }
        Ok(Label(s.to_owned()))
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Received,
    /// The specialist group is on it: the qualified first response.
    Analysing,
    /// An accelerated database update is scheduled.
    FixScheduled,
    /// The update is out, in a named database release.
    Released,
    /// The contact (or staff) confirmed the fix.
    Confirmed,
    Rejected,
}

impl Stage {
    pub const ALL: [Stage; 6] =
        [Stage::Received, Stage::Analysing, Stage::FixScheduled, Stage::Released, Stage::Confirmed, Stage::Rejected];

    /// The stages a request goes through when all goes well, in order.
    pub const TRACK: [Stage; 5] =
        [Stage::Received, Stage::Analysing, Stage::FixScheduled, Stage::Released, Stage::Confirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Received => "received",
            Stage::Analysing => "analysing",
            Stage::FixScheduled => "fix_scheduled",
            Stage::Released => "released",
            Stage::Confirmed => "confirmed",
            Stage::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still in progress: not confirmed, not rejected.
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Confirmed | Stage::Rejected)
    }

    /// Where a request may go from here: the next stage of the track, or
    /// rejected from any open stage.
    pub fn allowed(self) -> Vec<Stage> {
        let next = Stage::TRACK.iter().position(|s| *s == self).and_then(|i| Stage::TRACK.get(i + 1)).copied();
        next.into_iter().chain(self.is_open().then_some(Stage::Rejected)).collect()
    }

    /// A move to `to`, with what it needs: `released` names the database
    /// release; `rejected` gives a reason.
    pub fn advance(self, to: Stage, release: Option<&Label>, reason: Option<&str>) -> Result<Stage, StageRefusal> {
        if !self.allowed().contains(&to) {
            return Err(StageRefusal::NotAllowed { from: self, to, allowed: self.allowed() });
        }
        match to {
            Stage::Released if release.is_none() => Err(StageRefusal::ReleaseNeeded),
            Stage::Rejected if reason.is_none_or(|r| r.trim().is_empty()) => Err(StageRefusal::ReasonNeeded),
            _ => Ok(to),
        }
    }

    /// Whether a fix released for another request of the same file
    /// releases this one too: any open stage before `released`.
    pub fn released_by_fix(self) -> bool {
        matches!(self, Stage::Received | Stage::Analysing | Stage::FixScheduled)
    }
}

/// Why a request cannot move as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageRefusal {
    NotAllowed { from: Stage, to: Stage, allowed: Vec<Stage> },
    ReleaseNeeded,
    ReasonNeeded,
}

/// A database release as staff recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub release: Label,
    pub at: DateTime<Utc>,
}

/// Why a request is refused by the latest-databases precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outdated {
    /// The named release is older than the newest one, whose grace is over.
    Older { newest: Recorded },
    /// No release of that name was ever recorded.
    Unknown { newest: Recorded },
}

/// The latest-databases precondition: the request must name the newest
/// recorded release, or the one before it while the newest was recorded
/// less than `grace` ago (updates take time to reach every machine). With
/// no release recorded yet there is nothing to check against.
pub fn check_databases(
    named: &Label,
    newest: Option<&Recorded>,
    previous: Option<&Recorded>,
    known: bool,
    now: DateTime<Utc>,
    grace: chrono::Duration,
) -> Result<(), Outdated> {
    let Some(newest) = newest else { return Ok(()) };
    if named == &newest.release {
        return Ok(());
    }
    let within_grace = now - newest.at < grace;
    if previous.is_some_and(|p| &p.release == named) && within_grace {
        return Ok(());
    }
    match known {
        true => Err(Outdated::Older { newest: newest.clone() }),
        false => Err(Outdated::Unknown { newest: newest.clone() }),
    }
}

/// What a contact reported, and where the request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRequest {
    pub kind: SignatureKind,
    pub hash: FileHash,
    pub product_version: Label,
    pub database_release: Label,
    pub detection: Option<Label>,
    pub stage: Stage,
    /// The database release that fixed it.
    pub fixed_in: Option<Label>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(s: &str) -> Label {
        s.parse().unwrap()
    }

    #[test]
    fn hashes_are_told_by_their_length_and_stored_lower_case() {
        let md5: FileHash = " D41D8CD98F00B204E9800998ECF8427E ".parse().unwrap();
        assert_eq!((md5.kind(), md5.as_str()), (HashKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"));
        assert_eq!("da39a3ee5e6b4b0d3255bfef95601890afd80709".parse::<FileHash>().unwrap().kind(), HashKind::Sha1);
        assert_eq!(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse::<FileHash>().unwrap().kind(),
            HashKind::Sha256
        );
        for bad in [
            "",
            "abc",
            "g3b0c44298fc1c149afbf4c8996fb924",
            "d41d8cd98f00b204e9800998ecf8427e0",
            "0x41d8cd98f00b204e9800998ecf8427e",
        ] {
            assert!(bad.parse::<FileHash>().is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_are_trimmed_and_limited() {
        assert_eq!(label("  2026.11.28-03 ").as_str(), "2026.11.28-03");
        assert!("".parse::<Label>().is_err());
        assert!("x".repeat(65).parse::<Label>().is_err());
        assert!("a@everyone".parse::<Label>().is_err());
        assert!("a\u{7}".parse::<Label>().is_err());
    }

    /// Every pair of stages: the track forward, rejected from any open one,
    /// nothing else; released needs a release, rejected a reason.
    #[test]
    fn every_pair_of_stages() {
        use Stage::*;
        let allowed = |from: Stage, to: Stage| {
            matches!(
                (from, to),
                (Received, Analysing)
                    | (Analysing, FixScheduled)
                    | (FixScheduled, Released)
                    | (Released, Confirmed)
                    | (Received | Analysing | FixScheduled | Released, Rejected)
            )
        };
        let release = label("2026.11.28-03");
        for from in Stage::ALL {
            for to in Stage::ALL {
                let got = from.advance(to, Some(&release), Some("not a detection problem"));
                match allowed(from, to) {
                    true => assert_eq!(got, Ok(to), "{from:?} → {to:?}"),
                    false => assert_eq!(
                        got,
                        Err(StageRefusal::NotAllowed { from, to, allowed: from.allowed() }),
                        "{from:?} → {to:?}"
                    ),
                }
            }
            assert_eq!(from.allowed(), Stage::ALL.into_iter().filter(|to| allowed(from, *to)).collect::<Vec<_>>());
        }
        assert_eq!(FixScheduled.advance(Released, None, None), Err(StageRefusal::ReleaseNeeded));
        assert_eq!(Analysing.advance(Rejected, None, None), Err(StageRefusal::ReasonNeeded));
        assert_eq!(Analysing.advance(Rejected, None, Some("  ")), Err(StageRefusal::ReasonNeeded));
        let released_by_fix: Vec<Stage> = Stage::ALL.into_iter().filter(|s| s.released_by_fix()).collect();
        assert_eq!(released_by_fix, [Received, Analysing, FixScheduled]);
        assert!(Stage::ALL.iter().all(|s| Stage::parse(s.as_str()) == Some(*s)));
    }

    #[test]
    fn the_newest_release_or_the_previous_within_grace() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let newest = Recorded { release: label("R3"), at: at("2026-11-30T08:00:00Z") };
        let previous = Recorded { release: label("R2"), at: at("2026-11-29T08:00:00Z") };
        let grace = chrono::Duration::hours(4);
        let check = |named: &str, known: bool, now: &str| {
            check_databases(&label(named), Some(&newest), Some(&previous), known, at(now), grace)
        };
        assert_eq!(check("R3", true, "2026-11-30T20:00:00Z"), Ok(()));
        assert_eq!(check("R2", true, "2026-11-30T11:59:00Z"), Ok(()), "within the grace");
        assert_eq!(check("R2", true, "2026-11-30T12:00:00Z"), Err(Outdated::Older { newest: newest.clone() }));
        assert_eq!(
            check("R1", true, "2026-11-30T09:00:00Z"),
            Err(Outdated::Older { newest: newest.clone() }),
            "two behind"
        );
        assert_eq!(check("R9", false, "2026-11-30T09:00:00Z"), Err(Outdated::Unknown { newest: newest.clone() }));
        assert_eq!(check_databases(&label("R1"), None, None, false, at("2026-11-30T09:00:00Z"), grace), Ok(()));
    }
}
