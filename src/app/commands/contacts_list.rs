//! `/contacts list`: the customer's technical contacts and the seats used.

use super::Cx;
use super::Outcome;
use super::{Args, Declared, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{Access, Spec, CONTACTS};
use crate::app::msg::{say, Local, Msg, Span};
use crate::storage::MAX_CONTACTS;

pub static SPEC: Spec = Spec {
    group: Some(&CONTACTS),
    name: Local::new("list", "lista"),
    description: Local::new("The technical contacts", "Los contactos técnicos"),
    help: Local::new("the customer's technical contacts", "los contactos técnicos del cliente"),
    what: Local::new("see the contact list", "ver la lista de contactos"),
    access: Access::ContactsAndStaff,
    options: &[],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactsList;

impl Declared for ContactsList {
    fn parse(_: &Args) -> Result<Self, UsageError> {
        Ok(ContactsList)
    }
}

impl ContactsList {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let customer = app.customer_here(cx).await?;
        let contacts = app.store.contacts(customer.key.as_str()).await?;
        let (name, n) = (&customer.name, contacts.len());
        let mut lines = vec![say!(
            lang,
            "Technical contacts of {name} ({n} of {MAX_CONTACTS} seats):",
            "Contactos técnicos de {name} ({n} de {MAX_CONTACTS} plazas):",
            name,
            n,
            MAX_CONTACTS
        )];
        for c in &contacts {
            let mut line = Msg::from(Span::text("• "));
            line.push(Span::user(c.user));
            let extra: Vec<&str> =
                [c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()].into_iter().flatten().collect();
            if !extra.is_empty() {
                line.push_text(&format!(" {}", extra.join(" · ")));
            }
            lines.push(line);
        }
        // E-mails and phones: shown to the caller, kept nowhere.
        Ok(Outcome::done(lang, Msg::join(lines, "\n")).personal())
    }
}
