//! `/contacts remove user` (staff): the person is no longer a technical
//! contact of the customer; their tickets and history stay, and they are
//! taken out of the threads of the customer's tickets that are not closed.

use super::Cx;
use super::Outcome;
use super::{Args, Declared, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{user, Access, Spec, CONTACTS};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local, Span};
use crate::app::refusal::Refusal;
use crate::domain::customer::Snowflake;
use crate::storage::MAX_CONTACTS;

pub static SPEC: Spec = Spec {
    group: Some(&CONTACTS),
    name: Local::new("remove", "quitar"),
    description: Local::new("Remove a technical contact (staff)", "Quitar un contacto técnico (soporte)"),
    help: Local::new(
        "remove a technical contact of this channel's customer (staff)",
        "quitar un contacto técnico del cliente de este canal (soporte)",
    ),
    what: Local::new("manage the contact list", "gestionar la lista de contactos"),
    access: Access::Staff,
    options: &[user(Local::new("The person", "La persona"))],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactsRemove {
    pub user: Snowflake,
}

impl Declared for ContactsRemove {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(ContactsRemove { user: args.user("user")? })
    }
}

impl ContactsRemove {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let customer = app.customer_here(cx).await?;
        let (name, user) = (&customer.name, self.user);
        let now = app.now();
        let leave = Job::Leave { user }.queued(now, None);
        let removed = cx.write(async |claim| {
            app.store.remove_contact(customer.key.as_str(), (user, now, cx.inv.user), &leave, claim).await
        });
        if !removed.await? {
            return refuse(Refusal::NotAContact { user, customer: name.clone() });
        }
        app.contacts_changed();
        app.queued_jobs();
        let seats = app.store.contacts(customer.key.as_str()).await?.len();
        tracing::info!(customer = %customer.key, contact = %user, "contact removed");
        let who = Span::user(user);
        Ok(Outcome::done(
            cx.lang,
            say!(
                cx.lang,
                "Removed {who} from {name}'s contacts; their tickets and history stay ({seats} of {MAX_CONTACTS} seats used).",
                "{who} ya no es contacto de {name}; sus tickets y su historial se conservan ({seats} de {MAX_CONTACTS} plazas ocupadas).",
                who,
                name,
                seats,
                MAX_CONTACTS
            ),
        ))
    }
}
