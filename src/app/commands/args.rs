//! From what a person typed (a path and `name:value` options, in English or
//! Spanish) to a declared command's checked options, or a [`UsageError`]
//! that says what is wrong in terms of the declaration.

use crate::domain::customer::{CustomerKey, Snowflake};
use crate::domain::signature::{FileHash, Label};
use crate::domain::sla::Severity;
use crate::domain::summary::Week;
use crate::domain::text::{quote, Clean, TextError};
use crate::domain::ticket::TicketNumber;

use super::declare::{Kind, Opt, Spec};

/// Why typed input is not a command; worded at the edge with the command's
/// usage in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageError {
    /// Nothing after the slash.
    NoCommand,
    UnknownCommand {
        typed: String,
    },
    UnknownOption {
        command: &'static Spec,
        typed: String,
    },
    Missing {
        command: &'static Spec,
        option: &'static Opt,
    },
    Invalid {
        command: &'static Spec,
        option: &'static Opt,
        value: String,
        problem: Problem,
    },
}

/// What is wrong with an option's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Text(TextError),
    NotASeverity,
    NotATicketNumber,
    NotAUser,
    NotAChoice,
    /// Not a hash; why.
    NotAHash(String),
    /// Not a short identifier; why.
    NotALabel(String),
    /// Not an ISO week; why.
    NotAWeek(String),
    /// Not a customer key; why.
    NotACustomer(String),
}

impl PartialEq for Opt {
    fn eq(&self, other: &Opt) -> bool {
        self.name == other.name
    }
}

impl Eq for Opt {}

/// A declared command's options as given, matched to their declarations.
#[derive(Debug)]
pub struct Args {
    command: &'static Spec,
    given: Vec<(&'static Opt, String)>,
}

impl Args {
    /// Matches `given` (names in either language; the last of a repeated
    /// option counts) to the declaration: unknown options, missing required
    /// ones and values outside a choice list are refused here.
    pub fn new(command: &'static Spec, given: &[(String, String)]) -> Result<Args, UsageError> {
        let mut matched: Vec<(&'static Opt, String)> = Vec::new();
        for (name, value) in given {
            let option =
                command.option(name).ok_or_else(|| UsageError::UnknownOption { command, typed: quote(name, 60) })?;
            let value = match &option.kind {
                Kind::Choice(choices) => match choices.iter().find(|c| c.is(value.trim())) {
                    Some(c) => c.value.to_owned(),
                    None => return Err(invalid(command, option, value, Problem::NotAChoice)),
                },
                _ => value.clone(),
            };
            matched.retain(|(o, _)| !std::ptr::eq(*o, option));
            matched.push((option, value));
        }
        if let Some(option) = command.options.iter().find(|o| o.required && !matched.iter().any(|(m, _)| *m == *o)) {
            return Err(UsageError::Missing { command, option });
        }
        Ok(Args { command, given: matched })
    }

    pub fn command(&self) -> &'static Spec {
        self.command
    }

    /// The option's declaration and value, if given. `name` is the English
    /// name the command declared; the declarations test checks each command
    /// asks only for its own options.
    fn get(&self, name: &str) -> Result<Option<(&'static Opt, &str)>, UsageError> {
        match self.command.options.iter().find(|o| o.name.en == name) {
            Some(option) => {
                Ok(self.given.iter().find(|(o, _)| std::ptr::eq(*o, option)).map(|(o, v)| (*o, v.as_str())))
            }
            None => Err(UsageError::UnknownOption { command: self.command, typed: name.to_owned() }),
        }
    }

    fn required<T>(&self, name: &str, value: Option<T>) -> Result<T, UsageError> {
        match value {
            Some(v) => Ok(v),
            None => {
                let option = self.command.options.iter().find(|o| o.name.en == name);
                match option {
                    Some(option) => Err(UsageError::Missing { command: self.command, option }),
                    None => Err(UsageError::UnknownOption { command: self.command, typed: name.to_owned() }),
                }
            }
        }
    }

    /// Parses an optional option's value with `parse`.
    fn parsed<T>(&self, name: &str, parse: impl Fn(&Opt, &str) -> Result<T, Problem>) -> Result<Option<T>, UsageError> {
        let Some((option, value)) = self.get(name)? else { return Ok(None) };
        parse(option, value).map(Some).map_err(|problem| invalid(self.command, option, value, problem))
    }

    /// Optional text: absent or blank is `None`.
    pub fn opt_text(&self, name: &str) -> Result<Option<Clean>, UsageError> {
        self.parsed(name, |option, value| {
            let max = match option.kind {
                Kind::Text { max } => max,
                _ => usize::MAX,
            };
            Clean::optional(Some(value), max).map_err(Problem::Text)
        })
        .map(Option::flatten)
    }

    pub fn text(&self, name: &str) -> Result<Clean, UsageError> {
        let Some((option, value)) = self.get(name)? else { return self.required(name, None) };
        let max = match option.kind {
            Kind::Text { max } => max,
            _ => usize::MAX,
        };
        Clean::new(value, max).map_err(|e| invalid(self.command, option, value, Problem::Text(e)))
    }

    pub fn opt_severity(&self, name: &str) -> Result<Option<Severity>, UsageError> {
        self.parsed(name, |_, value| value.parse().map_err(|_| Problem::NotASeverity))
    }

    pub fn severity(&self, name: &str) -> Result<Severity, UsageError> {
        let value = self.opt_severity(name)?;
        self.required(name, value)
    }

    pub fn opt_ticket(&self, name: &str) -> Result<Option<TicketNumber>, UsageError> {
        self.parsed(name, |_, value| value.parse().map_err(|_| Problem::NotATicketNumber))
    }

    pub fn ticket(&self, name: &str) -> Result<TicketNumber, UsageError> {
        let value = self.opt_ticket(name)?;
        self.required(name, value)
    }

    /// A person: a mention (`<@42>`, `<@!42>`) or an id.
    pub fn user(&self, name: &str) -> Result<Snowflake, UsageError> {
        let value = self.parsed(name, |_, value| {
            let digits = value.trim().trim_start_matches("<@").trim_start_matches('!').trim_end_matches('>');
            digits.parse::<Snowflake>().map_err(|_| Problem::NotAUser)
        })?;
        self.required(name, value)
    }

    pub fn hash(&self, name: &str) -> Result<FileHash, UsageError> {
        let value = self.parsed(name, |_, value| value.parse::<FileHash>().map_err(Problem::NotAHash))?;
        self.required(name, value)
    }

    pub fn opt_label(&self, name: &str) -> Result<Option<Label>, UsageError> {
        self.parsed(name, |_, value| value.parse::<Label>().map_err(Problem::NotALabel))
    }

    pub fn label(&self, name: &str) -> Result<Label, UsageError> {
        let value = self.opt_label(name)?;
        self.required(name, value)
    }

    pub fn opt_week(&self, name: &str) -> Result<Option<Week>, UsageError> {
        self.parsed(name, |_, value| value.parse::<Week>().map_err(Problem::NotAWeek))
    }

    pub fn opt_customer(&self, name: &str) -> Result<Option<CustomerKey>, UsageError> {
        self.parsed(name, |_, value| value.trim().to_uppercase().parse::<CustomerKey>().map_err(Problem::NotACustomer))
    }

    /// A choice's value (checked against the declaration by [`Args::new`]).
    pub fn choice(&self, name: &str) -> Result<Option<&str>, UsageError> {
        Ok(self.get(name)?.map(|(_, v)| v))
    }
}

fn invalid(command: &'static Spec, option: &'static Opt, value: &str, problem: Problem) -> UsageError {
    // The value is quoted back to its author: cut, and unable to ping.
    UsageError::Invalid { command, option, value: quote(value, 60), problem }
}
