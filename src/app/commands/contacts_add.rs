//! `/contacts add user [name] [email] [phone]` (staff): register a technical
//! contact of the customer whose channel this is. A ninth active contact is
//! refused; the customer's counter row decides that under concurrency.

use super::Cx;
use super::Outcome;
use super::{Args, Declared, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{short, user, Access, Spec, CONTACTS};
use crate::app::msg::{say, Local, Span};
use crate::app::refusal::Refusal;
use crate::domain::customer::Snowflake;
use crate::domain::text::Clean;
use crate::storage::{AddContactError, NewContact, MAX_CONTACTS};

pub static SPEC: Spec = Spec {
    group: Some(&CONTACTS),
    name: Local::new("add", "añadir"),
    description: Local::new("Register a technical contact (staff)", "Registrar un contacto técnico (soporte)"),
    help: Local::new(
        "register a technical contact of this channel's customer (staff); at most 8",
        "registrar un contacto técnico del cliente de este canal (soporte); como mucho 8",
    ),
    what: Local::new("manage the contact list", "gestionar la lista de contactos"),
    access: Access::Staff,
    options: &[
        user(Local::new("The person", "La persona")),
        short(Local::new("name", "nombre"), Local::new("Full name", "Nombre completo")),
        short(Local::new("email", "correo"), Local::new("E-mail address", "Correo electrónico")),
        short(Local::new("phone", "teléfono"), Local::new("Phone number", "Número de teléfono")),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactsAdd {
    pub user: Snowflake,
    pub name: Option<Clean>,
    pub email: Option<Clean>,
    pub phone: Option<Clean>,
}

impl Declared for ContactsAdd {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(ContactsAdd {
            user: args.user("user")?,
            name: args.opt_text("name")?,
            email: args.opt_text("email")?,
            phone: args.opt_text("phone")?,
        })
    }
}

impl ContactsAdd {
    /// A contact with only a user (tests and scripts).
    pub fn user(user: Snowflake) -> ContactsAdd {
        ContactsAdd { user, name: None, email: None, phone: None }
    }

    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let customer = app.customer_here(cx).await?;
        if let Some(e) =
            self.email.as_ref().filter(|e| !e.as_str().contains('@') || e.as_str().contains(char::is_whitespace))
        {
            return refuse(Refusal::NotAnEmail { email: e.to_string() });
        }
        let user = self.user;
        let contact = NewContact {
            user: Some(user),
            name: self.name.map(Clean::into_string),
            email: self.email.map(Clean::into_string),
            phone: self.phone.map(Clean::into_string),
        };
        let name = &customer.name;
        let added = cx
            .write(async |claim| {
                app.store.add_contact(customer.key.as_str(), &contact, (user, app.now(), cx.inv.user), claim).await
            })
            .await;
        match added {
            Ok(_) => app.contacts_changed(),
            Err(AddContactError::LimitReached { active }) => {
                return refuse(Refusal::ContactLimit { customer: name.clone(), active, user })
            }
            Err(AddContactError::AlreadyContact { customer: other }) if other == customer.key.as_str() => {
                return refuse(Refusal::AlreadyContact { user, customer: name.clone() })
            }
            Err(AddContactError::AlreadyContact { customer: other }) => {
                let other = other.parse().map_err(AppError::Config)?;
                return refuse(Refusal::ContactOfAnother { user, other });
            }
            Err(AddContactError::Storage(e)) => return Err(e.into()),
        }
        let seats = app.store.contacts(customer.key.as_str()).await?.len();
        tracing::info!(customer = %customer.key, contact = %user, "contact added");
        let who = Span::user(user);
        Ok(Outcome::done(
            cx.lang,
            say!(
                cx.lang,
                "Added {who} as a technical contact of {name} ({seats} of {MAX_CONTACTS} seats used).",
                "{who} es ahora contacto técnico de {name} ({seats} de {MAX_CONTACTS} plazas ocupadas).",
                who,
                name,
                seats,
                MAX_CONTACTS
            ),
        ))
    }
}
