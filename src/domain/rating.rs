//! How the customer rated a closed ticket: a score of 1 to 5 and, maybe, a
//! comment in their own words. A ticket has one rating, its latest; the
//! weekly summary counts it and lists the low ones with their comments.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest comment a rating keeps (Discord's modal field allows up to
/// 4,000; a comment is a sentence or two, not a report).
pub const COMMENT_MAX: usize = 1000;

/// A score, 1 (poor) to 5 (excellent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    /// Every score, lowest first.
    pub const ALL: [Score; 5] = [Score(1), Score(2), Score(3), Score(4), Score(5)];

    pub fn new(score: u8) -> Option<Score> {
        (1..=5).contains(&score).then_some(Score(score))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// A score the summary lists with its ticket and comment: 1 or 2.
    pub fn is_low(self) -> bool {
        self.0 <= 2
    }
}

impl TryFrom<u8> for Score {
    type Error = String;

    fn try_from(n: u8) -> Result<Score, String> {
        Score::new(n).ok_or_else(|| format!("a score is 1 to 5, not {n}"))
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> u8 {
        s.0
    }
}

impl std::str::FromStr for Score {
    type Err = String;

    fn from_str(s: &str) -> Result<Score, String> {
        s.trim().parse::<u8>().ok().and_then(Score::new).ok_or_else(|| format!("\"{s}\" is not a score of 1 to 5"))
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A ticket's rating as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub score: Score,
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_is_one_to_five_however_it_arrives() {
        assert_eq!(Score::ALL.map(Score::get), [1, 2, 3, 4, 5]);
        assert_eq!("4".parse::<Score>(), Ok(Score(4)));
        for bad in ["0", "6", "-1", "five", "", "4.5"] {
            assert!(bad.parse::<Score>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::from_str::<Score>("2").unwrap(), Score(2));
        assert!(serde_json::from_str::<Score>("9").is_err(), "a stored 9 is corrupt, not a score");
        assert_eq!(serde_json::to_string(&Score(5)).unwrap(), "5");
        assert_eq!(Score::ALL.iter().filter(|s| s.is_low()).count(), 2);
    }
}
