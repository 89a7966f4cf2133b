//! User-typed text: length limits, control characters, and mentions that
//! must never ping anyone because of what a user wrote.

use std::fmt;

/// Limits of SPEC.md's ticket fields, in characters.
pub const SUMMARY_MAX: usize = 200;
pub const DETAILS_MAX: usize = 4000;
pub const SHORT_MAX: usize = 200;

/// Why a text was refused; the application layer words it for the reader,
/// naming the option it was typed in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is {count} characters long; the limit is {max}")]
    TooLong { count: usize, max: usize },
}

/// Text a user typed, made safe to show: control characters other than
/// newlines and tabs removed, `@everyone`/`@here` and `<@…>`/`<@&…>` mentions
/// broken with a zero-width space so that they render as text, surrounding
/// white space trimmed, not empty, within its limit. The only way to build one
/// is [`Clean::new`], so no unchecked text reaches a post.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Clean(String);

impl Clean {
    pub fn new(text: &str, max: usize) -> Result<Clean, TextError> {
        let stripped: String = text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
        let trimmed = stripped.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        let count = trimmed.chars().count();
        if count > max {
            return Err(TextError::TooLong { count, max });
        }
        Ok(Clean(neutralise_mentions(trimmed)))
    }

    /// Like [`Clean::new`], for optional fields: empty text counts as absent.
    pub fn optional(text: Option<&str>, max: usize) -> Result<Option<Clean>, TextError> {
        match text {
            Some(t) if !t.trim().is_empty() => Clean::new(t, max).map(Some),
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text a user typed, quoted back to them (in a refusal that names what was
/// wrong): cleaned like [`Clean`] but possibly empty, and cut to `max`
/// characters with an ellipsis.
pub fn quote(text: &str, max: usize) -> String {
    let stripped: String = text.chars().filter(|c| !c.is_control()).collect();
    let trimmed = stripped.trim();
    let mut cut: String = trimmed.chars().take(max).collect();
    if cut.len() < trimmed.len() {
        cut.push('…');
    }
    neutralise_mentions(&cut)
}

fn neutralise_mentions(text: &str) -> String {
    const ZWSP: &str = "\u{200B}";
    text.replace("@everyone", &format!("@{ZWSP}everyone"))
        .replace("@here", &format!("@{ZWSP}here"))
        .replace("<@", &format!("<@{ZWSP}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_role_and_user_mentions_are_broken() {
        let out = Clean::new("@everyone look <@&320> <@!42> @here", 200).unwrap().into_string();
        assert!(!out.contains("@everyone") && !out.contains("@here") && !out.contains("<@&") && !out.contains("<@!"));
        assert_eq!(out.replace('\u{200B}', ""), "@everyone look <@&320> <@!42> @here");
    }

    #[test]
    fn control_characters_go_and_limits_count_characters() {
        assert_eq!(Clean::new(" VPN\u{0007} down\u{001b}[31m ", 200).unwrap().as_str(), "VPN down[31m");
        assert!(Clean::new(&"ñ".repeat(200), 200).is_ok(), "200 two-byte characters fit");
        assert_eq!(Clean::new(&"x".repeat(201), 200).unwrap_err(), TextError::TooLong { count: 201, max: 200 });
        assert_eq!(Clean::new(" \u{0000} ", 200).unwrap_err(), TextError::Empty);
        assert_eq!(Clean::optional(Some("  "), 10), Ok(None));
        assert_eq!(Clean::optional(None, 10), Ok(None));
    }

    #[test]
    fn quoted_text_is_cut_and_cannot_ping() {
        assert_eq!(quote("  abc\u{0007}def  ", 4), "abcd…");
        assert_eq!(quote("@everyone", 20).replace('\u{200B}', ""), "@everyone");
        assert!(!quote("@everyone", 20).contains("@everyone"));
        assert_eq!(quote("", 5), "");
    }
}
