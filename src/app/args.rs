//! From what a person typed (a path and `name:value` options, in English or
//! Spanish) to a declared command's typed options, or a [`UsageError`] that
//! says what is wrong in terms of the declaration.
//!
//! Each value is parsed by the kind its option declares, once, when the
//! options are matched to the declaration: a label is checked as a label, a
//! text against its declared length, a choice against its choices. The
//! accessors then hand out values of that kind only; asking for another
//! kind is a declaration bug, which the declarations test finds for every
//! command.

use crate::domain::customer::{CustomerKey, Snowflake};
use crate::domain::signature::{FileHash, Label};
use crate::domain::sla::Severity;
use crate::domain::summary::Week;
use crate::domain::text::{quote, Clean, TextError};
use crate::domain::ticket::TicketRef;

use super::declare::{Kind, Opt, Spec};

/// Why typed input is not a command; worded at the edge with the command's
/// usage in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
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
    /// The command reads an option it does not declare, or as another kind
    /// than declared: a bug of the command, never of its user.
    Undeclared {
        command: &'static Spec,
        option: &'static str,
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

/// A value parsed as its option's declared kind.
#[derive(Debug, Clone)]
enum Value {
    /// Blank text of an optional option is no value.
    Text(Option<Clean>),
    Severity(Severity),
    Ticket(TicketRef),
    User(Snowflake),
    /// A choice's declared value.
    Choice(&'static str),
    Hash(FileHash),
    Label(Label),
    Week(Week),
    Customer(CustomerKey),
}

impl Value {
    fn parse(option: &Opt, typed: &str) -> Result<Value, Problem> {
        Ok(match &option.kind {
            Kind::Text { max } => Value::Text(match option.required {
                true => Some(Clean::new(typed, *max).map_err(Problem::Text)?),
                false => Clean::optional(Some(typed), *max).map_err(Problem::Text)?,
            }),
            Kind::Severity => Value::Severity(typed.parse().map_err(|_| Problem::NotASeverity)?),
            Kind::Ticket => Value::Ticket(typed.parse().map_err(|_| Problem::NotATicketNumber)?),
            Kind::User => {
                let digits = typed.trim().trim_start_matches("<@").trim_start_matches('!').trim_end_matches('>');
                Value::User(digits.parse().map_err(|_| Problem::NotAUser)?)
            }
            Kind::Choice(choices) => {
                Value::Choice(choices.iter().find(|c| c.is(typed.trim())).ok_or(Problem::NotAChoice)?.value)
            }
            Kind::Hash => Value::Hash(typed.parse().map_err(Problem::NotAHash)?),
            Kind::Label => Value::Label(typed.parse().map_err(Problem::NotALabel)?),
            Kind::Week => Value::Week(typed.parse().map_err(Problem::NotAWeek)?),
            Kind::Customer => Value::Customer(typed.trim().to_uppercase().parse().map_err(Problem::NotACustomer)?),
        })
    }
}

/// What a choice option's values mean: an enum whose every declared choice
/// value names one variant (the declarations test tries them all).
pub trait Chosen: Sized {
    fn chosen(value: &str) -> Option<Self>;
}

/// A declared command's options as given, parsed as their declared kinds.
#[derive(Debug)]
pub struct Args {
    command: &'static Spec,
    given: Vec<(&'static Opt, Value)>,
}

impl Args {
    /// Matches `given` (names in either language; the last of a repeated
    /// option counts) to the declaration and parses each value as its
    /// option's kind: unknown options, missing required ones and values
    /// that are not of their kind are refused here.
    pub fn new(command: &'static Spec, given: &[(String, String)]) -> Result<Args, UsageError> {
        let mut matched: Vec<(&'static Opt, Value)> = Vec::new();
        for (name, typed) in given {
            let option =
                command.option(name).ok_or_else(|| UsageError::UnknownOption { command, typed: quote(name, 60) })?;
            let value = Value::parse(option, typed).map_err(|problem| {
                // The value is quoted back to its author: cut, and unable to ping.
                UsageError::Invalid { command, option, value: quote(typed, 60), problem }
            })?;
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

    /// The value of the option declared with the English name `name`, if
    /// given: `declared` says which kinds give a `T`, `of_kind` takes it.
    fn get<T>(
        &self,
        name: &'static str,
        declared: fn(&Kind) -> bool,
        of_kind: fn(&Value) -> Option<T>,
    ) -> Result<Option<T>, UsageError> {
        match self.command.options.iter().find(|o| o.name.en == name) {
            Some(option) if declared(&option.kind) => {
                Ok(self.given.iter().find(|(o, _)| std::ptr::eq(*o, option)).and_then(|(_, v)| of_kind(v)))
            }
            _ => Err(UsageError::Undeclared { command: self.command, option: name }),
        }
    }

    fn required<T>(&self, name: &'static str, value: Option<T>) -> Result<T, UsageError> {
        value.ok_or_else(|| match self.command.options.iter().find(|o| o.name.en == name) {
            Some(option) => UsageError::Missing { command: self.command, option },
            None => UsageError::Undeclared { command: self.command, option: name },
        })
    }

    /// Optional text: absent or blank is `None`.
    pub fn opt_text(&self, name: &'static str) -> Result<Option<Clean>, UsageError> {
        Ok(self
            .get(
                name,
                |k| matches!(k, Kind::Text { .. }),
                |v| match v {
                    Value::Text(t) => Some(t.clone()),
                    _ => None,
                },
            )?
            .flatten())
    }

    pub fn text(&self, name: &'static str) -> Result<Clean, UsageError> {
        let value = self.opt_text(name)?;
        self.required(name, value)
    }

    pub fn opt_severity(&self, name: &'static str) -> Result<Option<Severity>, UsageError> {
        self.get(
            name,
            |k| matches!(k, Kind::Severity),
            |v| match v {
                Value::Severity(s) => Some(*s),
                _ => None,
            },
        )
    }

    pub fn severity(&self, name: &'static str) -> Result<Severity, UsageError> {
        let value = self.opt_severity(name)?;
        self.required(name, value)
    }

    pub fn opt_ticket(&self, name: &'static str) -> Result<Option<TicketRef>, UsageError> {
        self.get(
            name,
            |k| matches!(k, Kind::Ticket),
            |v| match v {
                Value::Ticket(t) => Some(t.clone()),
                _ => None,
            },
        )
    }

    pub fn ticket(&self, name: &'static str) -> Result<TicketRef, UsageError> {
        let value = self.opt_ticket(name)?;
        self.required(name, value)
    }

    /// A person: a mention (`<@42>`, `<@!42>`) or an id.
    pub fn opt_user(&self, name: &'static str) -> Result<Option<Snowflake>, UsageError> {
        self.get(
            name,
            |k| matches!(k, Kind::User),
            |v| match v {
                Value::User(u) => Some(*u),
                _ => None,
            },
        )
    }

    pub fn user(&self, name: &'static str) -> Result<Snowflake, UsageError> {
        let value = self.opt_user(name)?;
        self.required(name, value)
    }

    pub fn hash(&self, name: &'static str) -> Result<FileHash, UsageError> {
        let value = self.get(
            name,
            |k| matches!(k, Kind::Hash),
            |v| match v {
                Value::Hash(h) => Some(h.clone()),
                _ => None,
            },
        )?;
        self.required(name, value)
    }

    pub fn opt_label(&self, name: &'static str) -> Result<Option<Label>, UsageError> {
        self.get(
            name,
            |k| matches!(k, Kind::Label),
            |v| match v {
                Value::Label(l) => Some(l.clone()),
                _ => None,
            },
        )
    }

    pub fn label(&self, name: &'static str) -> Result<Label, UsageError> {
        let value = self.opt_label(name)?;
        self.required(name, value)
    }

    pub fn opt_week(&self, name: &'static str) -> Result<Option<Week>, UsageError> {
        self.get(
            name,
            |k| matches!(k, Kind::Week),
            |v| match v {
                Value::Week(w) => Some(*w),
                _ => None,
            },
        )
    }

    pub fn opt_customer(&self, name: &'static str) -> Result<Option<CustomerKey>, UsageError> {
        self.get(
            name,
            |k| matches!(k, Kind::Customer),
            |v| match v {
                Value::Customer(c) => Some(c.clone()),
                _ => None,
            },
        )
    }

    /// A choice, as the enum its values name. A declared value that names
    /// no variant is a declaration bug, never a default.
    pub fn opt_choice<T: Chosen>(&self, name: &'static str) -> Result<Option<T>, UsageError> {
        let value = self.get(
            name,
            |k| matches!(k, Kind::Choice(_)),
            |v| match v {
                Value::Choice(c) => Some(*c),
                _ => None,
            },
        )?;
        value.map(|v| T::chosen(v).ok_or(UsageError::Undeclared { command: self.command, option: name })).transpose()
    }

    pub fn choice<T: Chosen>(&self, name: &'static str) -> Result<T, UsageError> {
        let value = self.opt_choice(name)?;
        self.required(name, value)
    }
}
