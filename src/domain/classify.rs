//! Severity classification from a ticket's text, by configured regex rules.

use regex::Regex;

use super::customer::Language;
use super::sla::Severity;

/// One rule: when `pattern` matches the summary or details, the ticket gets
/// `severity`. A rule with a language applies only to tickets in it.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub severity: Severity,
    pub language: Option<Language>,
    pub pattern: Regex,
}

/// How a severity was decided, so the reply can say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The contact chose it.
    Given,
    /// A rule matched: its name and the matched text.
    Rule { name: String, matched: String },
    /// No rule matched: the default level.
    Default,
}

/// Rules in file order; the first that matches decides. None matching: level 3.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    rules: Vec<Rule>,
}

impl Classifier {
    pub const DEFAULT: Severity = Severity::Medium;

    pub fn new(rules: Vec<Rule>) -> Self {
        Classifier { rules }
    }

    /// The first rule, in order, that applies to one of `languages` and
    /// matches the text; none: the default level.
    pub fn classify(&self, text: &str, languages: &[Language]) -> (Severity, Decision) {
        self.rules
            .iter()
            .filter(|r| r.language.is_none_or(|l| languages.contains(&l)))
            .find_map(|r| {
                let m = r.pattern.find(text)?;
                Some((r.severity, Decision::Rule { name: r.name.clone(), matched: m.as_str().to_owned() }))
            })
            .unwrap_or((Self::DEFAULT, Decision::Default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, severity: Severity, language: Option<Language>, pattern: &str) -> Rule {
        Rule { name: name.into(), severity, language, pattern: Regex::new(pattern).unwrap() }
    }

    #[test]
    fn first_matching_rule_of_the_language_decides_else_level_3() {
        let c = Classifier::new(vec![
            rule("caída", Severity::Critical, Some(Language::Es), r"(?i)\bcaíd[oa]s?\b"),
            rule("outage", Severity::Critical, Some(Language::En), r"(?i)\b(down|outage)\b"),
            rule("question", Severity::Low, None, r"(?i)\b(how do i|pregunta)\b"),
        ]);
        assert_eq!(
            c.classify("VPN down for everyone", &[Language::En]),
            (Severity::Critical, Decision::Rule { name: "outage".into(), matched: "down".into() })
        );
        assert_eq!(
            c.classify("VPN down", &[Language::Es]).1,
            Decision::Default,
            "English rule does not apply to Spanish"
        );
        assert_eq!(c.classify("Servidores caídos", &[Language::Es]).0, Severity::Critical);
        assert_eq!(c.classify("Pregunta sobre licencias", &[Language::Es]).0, Severity::Low);
        assert_eq!(c.classify("Console is slow", &[Language::En]), (Severity::Medium, Decision::Default));
        // A Spanish customer's contact with an English client: both languages' rules apply.
        assert_eq!(c.classify("VPN down", &[Language::Es, Language::En]).0, Severity::Critical);
        assert_eq!(c.classify("Servidores caídos", &[Language::Es, Language::En]).0, Severity::Critical);
    }
}
