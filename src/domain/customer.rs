//! Customers of the premium package, as the configuration declares them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A chat user or channel id (Discord snowflakes are 64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Snowflake(pub u64);

impl FromStr for Snowflake {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<u64>() {
            Ok(n) if n > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(Snowflake(n)),
            _ => Err(format!("\"{s}\" is not a Discord id (a positive number written in digits)")),
        }
    }
}

impl fmt::Display for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The short key that prefixes a customer's ticket numbers (`ACME` in `ACME-42`):
/// 2 to 12 capital ASCII letters or digits, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomerKey(String);

impl CustomerKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CustomerKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (2..=12).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_uppercase())
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(CustomerKey(s.to_owned()))
        } else {
            Err(format!("\"{s}\" is not a customer key (2 to 12 capital letters or digits, starting with a letter, e.g. \"ACME\")"))
        }
    }
}

impl fmt::Display for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The language of a customer's posts when no user locale is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Es,
}

impl FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Language::En),
            "es" => Ok(Language::Es),
            other => Err(format!("unsupported language \"{other}\" (expected \"en\" or \"es\")")),
        }
    }
}

/// A customer with a premium or standard support package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub key: CustomerKey,
    pub name: String,
    /// Name of the plan in the configuration.
    pub plan: String,
    /// Name of the calendar in the configuration.
    pub calendar: String,
    pub support_channel: Snowflake,
    pub tam: Snowflake,
    pub backup_tam: Option<Snowflake>,
    pub phone: Option<String>,
    pub language: Language,
}

impl Customer {
    /// The TAM and the backup TAM.
    pub fn tams(&self) -> Vec<Snowflake> {
        std::iter::once(self.tam).chain(self.backup_tam).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_keys_are_short_capitals() {
        assert!("ACME".parse::<CustomerKey>().is_ok());
        assert!("GLOBEX2".parse::<CustomerKey>().is_ok());
        for bad in ["acme", "A", "2ACME", "AC-ME", "ABCDEFGHIJKLM", ""] {
            assert!(bad.parse::<CustomerKey>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn snowflakes_are_positive_digit_strings() {
        assert_eq!("300000000000000001".parse::<Snowflake>(), Ok(Snowflake(300000000000000001)));
        for bad in ["0", "-1", "+5", "12a", "", "99999999999999999999"] {
            assert!(bad.parse::<Snowflake>().is_err(), "{bad} should be refused");
        }
    }
}
