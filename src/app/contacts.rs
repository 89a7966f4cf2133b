//! `/contacts add|remove|list`: the registry of a customer's technical contacts.

use super::access::{not_registered, Actor};
use super::i18n::say;
use super::{bad_text, refuse, App, AppError, Invocation, Outcome, Reply};
use crate::domain::customer::Snowflake;
use crate::domain::text::{clean_optional, SHORT_MAX};
use crate::storage::{AddContactError, NewContact, MAX_CONTACTS};

const MANAGE: (&str, &str) = ("manage the contact list", "gestionar la lista de contactos");

impl App {
    pub(super) async fn add_contact(
        &self,
        inv: &Invocation,
        user: Snowflake,
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Outcome, AppError> {
        self.require_staff(inv, MANAGE).await?;
        let lang = self.lang(inv, None);
        let actor = self.actor(inv).await?;
        let customer = self.customer_here(inv, &actor).await?;
        let contact = NewContact {
            user: Some(user),
            name: clean_optional("name", name, SHORT_MAX).map_err(bad_text(lang))?,
            email: clean_optional("email", email, SHORT_MAX).map_err(bad_text(lang))?,
            phone: clean_optional("phone", phone, SHORT_MAX).map_err(bad_text(lang))?,
        };
        if let Some(e) = contact.email.as_deref().filter(|e| !e.contains('@') || e.contains(char::is_whitespace)) {
            return refuse(say!(lang, "\"{e}\" is not an e-mail address.", "\"{e}\" no es una dirección de correo."));
        }
        let name = &customer.name;
        match self.store.add_contact(customer.key.as_str(), &contact, user, self.now(), inv.user).await {
            Ok(_) => {}
            Err(AddContactError::LimitReached { active }) => {
                return refuse(say!(
                    lang,
                    "{name} already has {active} active technical contacts, the most the premium package allows. \
                     Remove one with /contacts remove user:@someone to free a seat, then add <@{user}> again.",
                    "{name} ya tiene {active} contactos técnicos activos, el máximo que permite el paquete premium. \
                     Quita uno con /contactos quitar usuario:@alguien para liberar una plaza y vuelve a añadir a <@{user}>."
                ))
            }
            Err(AddContactError::AlreadyContact { customer: other }) if other == customer.key.as_str() => {
                return refuse(say!(
                    lang,
                    "<@{user}> is already a technical contact of {name}.",
                    "<@{user}> ya es contacto técnico de {name}."
                ))
            }
            Err(AddContactError::AlreadyContact { customer: other }) => {
                return refuse(say!(
                    lang,
                    "<@{user}> is a technical contact of another customer ({other}); a person can be a contact of one \
                     customer at a time. Remove them there first.",
                    "<@{user}> es contacto técnico de otro cliente ({other}); una persona solo puede ser contacto de un \
                     cliente a la vez. Quítala allí primero."
                ))
            }
            Err(AddContactError::Storage(e)) => return Err(e.into()),
        }
        let seats = self.store.contacts(customer.key.as_str()).await?.len();
        tracing::info!(customer = %customer.key, contact = %user, "contact added");
        Ok(Outcome::reply(Reply::private(say!(
            lang,
            "Added <@{user}> as a technical contact of {name} ({seats} of {MAX_CONTACTS} seats used).",
            "<@{user}> es ahora contacto técnico de {name} ({seats} de {MAX_CONTACTS} plazas ocupadas)."
        ))))
    }

    pub(super) async fn remove_contact(&self, inv: &Invocation, user: Snowflake) -> Result<Outcome, AppError> {
        self.require_staff(inv, MANAGE).await?;
        let lang = self.lang(inv, None);
        let actor = self.actor(inv).await?;
        let customer = self.customer_here(inv, &actor).await?;
        let name = &customer.name;
        if !self.store.remove_contact(customer.key.as_str(), user, self.now(), inv.user).await? {
            return refuse(say!(
                lang,
                "<@{user}> is not an active contact of {name}; /contacts list shows who is.",
                "<@{user}> no es contacto activo de {name}; /contactos lista muestra quién lo es."
            ));
        }
        let seats = self.store.contacts(customer.key.as_str()).await?.len();
        tracing::info!(customer = %customer.key, contact = %user, "contact removed");
        Ok(Outcome::reply(Reply::private(say!(
            lang,
            "Removed <@{user}> from {name}'s contacts; their tickets and history stay ({seats} of {MAX_CONTACTS} seats used).",
            "<@{user}> ya no es contacto de {name}; sus tickets y su historial se conservan ({seats} de {MAX_CONTACTS} plazas ocupadas)."
        ))))
    }

    pub(super) async fn list_contacts(&self, inv: &Invocation) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let lang = self.lang(inv, actor.customer());
        if matches!(actor, Actor::Unregistered) {
            return refuse(not_registered(lang));
        }
        let customer = self.customer_here(inv, &actor).await?;
        let contacts = self.store.contacts(customer.key.as_str()).await?;
        let (name, n) = (&customer.name, contacts.len());
        let mut lines = vec![say!(
            lang,
            "Technical contacts of {name} ({n} of {MAX_CONTACTS} seats):",
            "Contactos técnicos de {name} ({n} de {MAX_CONTACTS} plazas):"
        )];
        for c in &contacts {
            let extra: Vec<&str> =
                [c.name.as_deref(), c.email.as_deref(), c.phone.as_deref()].into_iter().flatten().collect();
            lines.push(format!("• <@{}> {}", c.user, extra.join(" · ")).trim_end().to_owned());
        }
        Ok(Outcome::reply(Reply::private(lines.join("\n"))))
    }
}
