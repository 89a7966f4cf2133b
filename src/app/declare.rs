//! What a command declares about itself: its path, options, names and
//! descriptions in English and Spanish, help, and who may run it. The
//! Discord registration, the console's grammar and help, parsing and usage
//! messages all read these declarations; nothing else lists commands.

use std::fmt;

use super::msg::{Local, Span};
use crate::domain::customer::Language;
use crate::domain::text::SHORT_MAX;

/// A command group (`/ticket …`, `/contacts …`): a Discord command whose
/// subcommands are the commands that name it.
#[derive(Debug)]
pub struct Group {
    pub name: Local,
    pub description: Local,
}

pub static TICKET: Group = Group {
    name: Local::new("ticket", "ticket"),
    description: Local::new("Priority-line tickets", "Tickets de la línea prioritaria"),
};

pub static SIGNATURE: Group = Group {
    name: Local::new("signature", "firma"),
    description: Local::new("Antivirus signature change requests", "Solicitudes de cambio de firma del antivirus"),
};

pub static CONTACTS: Group = Group {
    name: Local::new("contacts", "contactos"),
    description: Local::new("Technical contacts", "Contactos técnicos"),
};

/// Who may run a command. Checked once, before the command applies
/// (`app::access`); which customer's data a contact may touch is checked by
/// the command with the helpers there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A customer's registered technical contacts: the SLA clock runs for them.
    Contacts,
    /// Contacts (for their own customer) and support staff.
    ContactsAndStaff,
    /// Support staff, and TAMs for their own customers.
    Staff,
    /// Members of the staff role only: a command about every customer
    /// (a TAM acts for their own customers only).
    StaffRole,
    /// Support staff and the specialist group (signature change requests).
    StaffAndSpecialists,
}

/// One option of a command.
#[derive(Debug)]
pub struct Opt {
    pub name: Local,
    pub description: Local,
    pub kind: Kind,
    pub required: bool,
}

/// What an option takes, with Discord's limits for it.
#[derive(Debug)]
pub enum Kind {
    /// Free text of at most `max` characters.
    Text { max: usize },
    /// A severity level, 1 to 4 (Discord: an integer with four choices).
    Severity,
    /// A ticket number such as `ACME-42`, autocompleted in Discord.
    Ticket,
    /// A person (Discord: a user option; the console: `@name` or an id).
    User,
    /// One of fixed values.
    Choice(&'static [Choice]),
    /// A file's MD5, SHA-1 or SHA-256, in hex.
    Hash,
    /// A short identifier: a database release, a product version.
    Label,
    /// An ISO week: `2026-W48`.
    Week,
    /// A customer's key: `ACME`.
    Customer,
}

#[derive(Debug)]
pub struct Choice {
    /// The value Discord sends back and the console accepts.
    pub value: &'static str,
    pub name: Local,
}

impl Choice {
    /// Whether `typed` is this choice: its value or its name in either language.
    pub fn is(&self, typed: &str) -> bool {
        typed == self.value || self.name.is(typed)
    }
}

/// The severity choices: shared by every option of kind [`Kind::Severity`].
pub static SEVERITY_CHOICES: [(u8, Local); 4] = [
    (1, Local::new("1 Critical: systems down or data lost", "1 Crítica: sistemas caídos o datos perdidos")),
    (2, Local::new("2 High: functionality hurt, no outage", "2 Alta: funcionalidad afectada, sin caída")),
    (3, Local::new("3 Medium: partly affects the product", "3 Media: afecta en parte al producto")),
    (4, Local::new("4 Low: a request or minor problem", "4 Baja: una petición o un problema menor")),
];

/// A command's declaration.
pub struct Spec {
    pub group: Option<&'static Group>,
    pub name: Local,
    /// One line for Discord's command list (at most 100 characters).
    pub description: Local,
    /// The console's help line: what it does, and the options' forms.
    pub help: Local,
    /// What running it means, for refusals: "Only support staff can {what}".
    pub what: Local,
    pub access: Access,
    pub options: &'static [Opt],
}

impl Spec {
    /// The path as typed in `lang`, without the slash: `ticket open`.
    pub fn path(&self, lang: Language) -> String {
        match self.group {
            Some(g) => format!("{} {}", g.name.get(lang), self.name.get(lang)),
            None => self.name.get(lang).to_owned(),
        }
    }

    /// Whether `words` (English or Spanish, or a mix) name this command.
    pub fn is(&self, words: &[&str]) -> bool {
        match (self.group, words) {
            (Some(g), [group, name]) => g.name.is(group) && self.name.is(name),
            (None, [name]) => self.name.is(name),
            _ => false,
        }
    }

    /// The option named `typed` in either language.
    pub fn option(&self, typed: &str) -> Option<&'static Opt> {
        self.options.iter().find(|o| o.name.is(typed))
    }

    /// The command as typed in `lang` with these options (named by their
    /// English names): `/ticket reopen number:ACME-3`. Messages that point
    /// the reader to a command write it so, from its declaration, so that
    /// renaming a command or an option renames it everywhere.
    pub fn typed(&self, lang: Language, options: &[(&str, &str)]) -> String {
        let mut typed = format!("/{}", self.path(lang));
        for (name, value) in options {
            // A name the command does not declare is a bug the messages test finds.
            debug_assert!(self.options.iter().any(|o| o.name.en == *name), "{self:?} has no option {name}");
            let name = self.option_named_or(name, lang);
            typed.push_str(&format!(" {name}:{value}"));
        }
        typed
    }

    /// The name in `lang` of the option declared as `en`.
    pub fn option_named(&self, en: &'static str, lang: Language) -> &'static str {
        self.option_named_or(en, lang)
    }

    fn option_named_or<'s>(&self, en: &'s str, lang: Language) -> &'s str {
        self.options.iter().find(|o| o.name.en == en).map_or(en, |o| o.name.get(lang))
    }

    /// [`Spec::typed`] as a piece of a message.
    pub fn mention(&self, lang: Language, options: &[(&str, &str)]) -> Span {
        Span::command(self.typed(lang, options))
    }

    /// `/ticket open summary:… [severity:…]`, in `lang`.
    pub fn usage(&self, lang: Language) -> String {
        let mut usage = format!("/{}", self.path(lang));
        for o in self.options {
            let name = o.name.get(lang);
            usage.push(' ');
            usage.push_str(&if o.required { format!("{name}:…") } else { format!("[{name}:…]") });
        }
        usage
    }
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}", self.path(Language::En))
    }
}

/// Two declarations are the same command when their paths are.
impl PartialEq for Spec {
    fn eq(&self, other: &Spec) -> bool {
        self.group.map(|g| g.name) == other.group.map(|g| g.name) && self.name == other.name
    }
}

impl Eq for Spec {}

/// Shorthands for the options several commands share.
pub const fn text(name: Local, description: Local, max: usize, required: bool) -> Opt {
    Opt { name, description, kind: Kind::Text { max }, required }
}

pub const TICKET_NUMBER: Local = Local::new("number", "número");
pub const TICKET_NUMBER_DESCRIPTION: Local =
    Local::new("Ticket number, e.g. ACME-42", "Número de ticket, p. ej. ACME-42");

pub const fn ticket_number(required: bool) -> Opt {
    Opt { name: TICKET_NUMBER, description: TICKET_NUMBER_DESCRIPTION, kind: Kind::Ticket, required }
}

pub const fn user(description: Local) -> Opt {
    Opt { name: Local::new("user", "usuario"), description, kind: Kind::User, required: true }
}

pub const fn short(name: Local, description: Local) -> Opt {
    text(name, description, SHORT_MAX, false)
}
