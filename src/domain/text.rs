//! User-typed text: length limits, control characters, and mentions that
//! must never ping anyone because of what a user wrote.

/// Limits of SPEC.md's ticket fields, in characters.
pub const SUMMARY_MAX: usize = 200;
pub const DETAILS_MAX: usize = 4000;
pub const SHORT_MAX: usize = 200;

/// Why a text was refused; the application layer words it for the reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} is {count} characters long; the limit is {max}")]
    TooLong { field: &'static str, count: usize, max: usize },
}

/// Cleans user text: control characters other than newlines and tabs are
/// removed, `@everyone`/`@here` and `<@…>`/`<@&…>` mentions are broken with a
/// zero-width space so they render as text, and surrounding white space is
/// trimmed. Then the length is checked; `field` names it in the refusal.
pub fn clean(field: &'static str, text: &str, max: usize) -> Result<String, TextError> {
    let stripped: String = text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    let trimmed = stripped.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty { field });
    }
    let count = trimmed.chars().count();
    if count > max {
        return Err(TextError::TooLong { field, count, max });
    }
    Ok(neutralise_mentions(trimmed))
}

/// Like [`clean`], for optional fields: empty text counts as absent.
pub fn clean_optional(field: &'static str, text: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match text {
        Some(t) if !t.trim().is_empty() => clean(field, t, max).map(Some),
        _ => Ok(None),
    }
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
        let out = clean("summary", "@everyone look <@&320> <@!42> @here", 200).unwrap();
        assert!(!out.contains("@everyone") && !out.contains("@here") && !out.contains("<@&") && !out.contains("<@!"));
        assert_eq!(out.replace('\u{200B}', ""), "@everyone look <@&320> <@!42> @here");
    }

    #[test]
    fn control_characters_go_and_limits_count_characters() {
        assert_eq!(clean("summary", " VPN\u{0007} down\u{001b}[31m ", 200).unwrap(), "VPN down[31m");
        assert!(clean("summary", &"ñ".repeat(200), 200).is_ok(), "200 two-byte characters fit");
        let err = clean("summary", &"x".repeat(201), 200).unwrap_err();
        assert_eq!(err, TextError::TooLong { field: "summary", count: 201, max: 200 });
        assert_eq!(clean("summary", " \u{0000} ", 200).unwrap_err(), TextError::Empty { field: "summary" });
        assert_eq!(clean_optional("details", Some("  "), 10), Ok(None));
    }
}
