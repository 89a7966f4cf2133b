//! `/contacts add|remove|list`: the registry of a customer's technical contacts.

use super::access::Actor;
use super::{refuse, App, AppError, Invocation, Outcome, Reply};
use crate::domain::customer::Snowflake;
use crate::domain::text::{clean_optional, SHORT_MAX};
use crate::storage::{AddContactError, NewContact, MAX_CONTACTS};

impl App {
    pub(super) async fn add_contact(
        &self,
        inv: &Invocation,
        user: Snowflake,
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Outcome, AppError> {
        self.require_staff(inv, "manage the contact list").await?;
        let actor = self.actor(inv).await?;
        let customer = self.customer_here(inv, &actor).await?;
        let contact = NewContact {
            user: Some(user),
            name: clean_optional("name", name, SHORT_MAX).map_err(AppError::Refused)?,
            email: clean_optional("email", email, SHORT_MAX).map_err(AppError::Refused)?,
            phone: clean_optional("phone", phone, SHORT_MAX).map_err(AppError::Refused)?,
        };
        if let Some(e) = contact.email.as_deref().filter(|e| !e.contains('@') || e.contains(char::is_whitespace)) {
            return refuse(format!("\"{e}\" is not an e-mail address."));
        }
        match self.store.add_contact(customer.key.as_str(), &contact, user, self.now(), inv.user).await {
            Ok(_) => {}
            Err(AddContactError::LimitReached { active }) => {
                return refuse(format!(
                    "{} already has {active} active technical contacts, the most the premium package allows. \
                     Remove one with /contacts remove user:@someone to free a seat, then add <@{user}> again.",
                    customer.name
                ))
            }
            Err(AddContactError::AlreadyContact { customer: other }) if other == customer.key.as_str() => {
                return refuse(format!("<@{user}> is already a technical contact of {}.", customer.name))
            }
            Err(AddContactError::AlreadyContact { customer: other }) => {
                return refuse(format!(
                    "<@{user}> is a technical contact of another customer ({other}); a person can be a contact of one customer at a time. \
                     Remove them there first."
                ))
            }
            Err(AddContactError::Storage(e)) => return Err(e.into()),
        }
        let seats = self.store.contacts(customer.key.as_str()).await?.len();
        tracing::info!(customer = %customer.key, contact = %user, "contact added");
        Ok(Outcome::reply(Reply::private(format!(
            "Added <@{user}> as a technical contact of {} ({seats} of {MAX_CONTACTS} seats used).",
            customer.name
        ))))
    }

    pub(super) async fn remove_contact(&self, inv: &Invocation, user: Snowflake) -> Result<Outcome, AppError> {
        self.require_staff(inv, "manage the contact list").await?;
        let actor = self.actor(inv).await?;
        let customer = self.customer_here(inv, &actor).await?;
        if !self.store.remove_contact(customer.key.as_str(), user, self.now(), inv.user).await? {
            return refuse(format!(
                "<@{user}> is not an active contact of {}; /contacts list shows who is.",
                customer.name
            ));
        }
        let seats = self.store.contacts(customer.key.as_str()).await?.len();
        tracing::info!(customer = %customer.key, contact = %user, "contact removed");
        Ok(Outcome::reply(Reply::private(format!(
            "Removed <@{user}> from {}'s contacts; their tickets and history stay ({seats} of {MAX_CONTACTS} seats used).",
            customer.name
        ))))
    }

    pub(super) async fn list_contacts(&self, inv: &Invocation) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        if matches!(actor, Actor::Unregistered) {
            return refuse(super::access::NOT_REGISTERED);
        }
        let customer = self.customer_here(inv, &actor).await?;
        let contacts = self.store.contacts(customer.key.as_str()).await?;
        let mut lines =
            vec![format!("Technical contacts of {} ({} of {MAX_CONTACTS} seats):", customer.name, contacts.len())];
        for c in &contacts {
            let extra: Vec<&str> =
                [c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()].into_iter().flatten().collect();
            lines.push(format!("• <@{}> {}", c.user, extra.join(" · ")).trim_end().to_owned());
        }
        Ok(Outcome::reply(Reply::private(lines.join("\n"))))
    }
}
