//! `/ticket open|status|list|severity|close|reopen` and `/ack`.
//!
//! Replies are in the caller's language; posts in a ticket's thread in the
//! customer's (the contact and the TAM both read them).

use super::access::{not_registered, Actor};
use super::i18n::{self, say};
use super::{bad_text, refuse, when, App, AppError, Effect, Invocation, Outcome, Place, Reply};
use crate::domain::classify::Decision;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::sla::Severity;
use crate::domain::text::{clean, clean_optional, DETAILS_MAX, SHORT_MAX, SUMMARY_MAX};
use crate::domain::ticket::{EventKind, Refusal, Ticket, TicketKind, TicketNumber};
use crate::metrics::SeverityLabel;
use crate::storage::{NewTicket, Reschedule};

impl App {
    pub(super) async fn open_ticket(
        &self,
        inv: &Invocation,
        summary: &str,
        severity: Option<Severity>,
        product: Option<&str>,
        details: Option<&str>,
    ) -> Result<Outcome, AppError> {
        let (customer, contact) = match self.actor(inv).await? {
            Actor::Contact { customer, contact } => (customer, contact),
            Actor::Staff => {
                return refuse(say!(
                    self.lang(inv, None),
                    "Tickets are opened by the customer's registered technical contacts, so the SLA clock runs for \
                     them. Ask a contact to open it, or add the person with /contacts add.",
                    "Los tickets los abren los contactos técnicos registrados del cliente, para quienes corre el reloj \
                     del SLA. Pide a un contacto que lo abra, o añade a la persona con /contactos añadir."
                ))
            }
            Actor::Unregistered => return refuse(not_registered(self.lang(inv, None))),
        };
        let lang = self.lang(inv, Some(customer));
        if inv.channel != customer.support_channel {
            let channel = customer.support_channel;
            return refuse(say!(
                lang,
                "Open tickets in your support channel <#{channel}>.",
                "Abre los tickets en tu canal de soporte <#{channel}>."
            ));
        }
        let summary = clean("summary", summary, SUMMARY_MAX).map_err(bad_text(lang))?;
        let details = clean_optional("details", details, DETAILS_MAX).map_err(bad_text(lang))?;
        let product = clean_optional("product", product, SHORT_MAX).map_err(bad_text(lang))?;
        let (severity, decision) = match severity {
            Some(s) => (s, Decision::Given),
            None => {
                let text = format!("{summary}\n{}", details.as_deref().unwrap_or(""));
                // The customer's language, and the contact's own if it differs.
                let mut languages = vec![customer.language];
                languages.extend(inv.language.filter(|l| *l != customer.language));
                self.config.classifier.classify(&text, &languages)
            }
        };
        let (plan, calendar) = self.sla(customer)?;
        let now = self.now();
        let due_at = plan.targets.get(severity).due(calendar, now)?;
        let classified_by = match &decision {
            Decision::Rule { name, .. } => Some(name.clone()),
            _ => None,
        };
        let new = NewTicket {
            customer: customer.key.clone(),
            opened_by: contact.user,
            severity,
            kind: TicketKind::Incident,
            summary,
            details,
            product,
            opened_at: now,
            due_at,
            schedule: self.schedule(customer, severity, now, due_at)?,
        };
        let event = EventKind::Opened { severity: severity.level(), due_at, classified_by };
        let ticket = self.store.open_ticket(&new, &event).await?;
        self.wake.notify_one();
        tracing::info!(ticket = %ticket.number, severity = severity.level(), "ticket opened");

        let tams: Vec<Snowflake> = std::iter::once(customer.tam).chain(customer.backup_tam).collect();
        let mut members = vec![contact.user];
        members.extend(&tams);
        let mut effects = vec![Effect::OpenThread {
            card: self.card(customer, &ticket)?,
            channel: customer.support_channel,
            members,
        }];
        if severity == Severity::Critical {
            effects.push(critical_ping(customer.language, &ticket, &tams, inv.user));
        }
        let (number, level, how, due) =
            (&ticket.number, i18n::severity(lang, severity), explain(lang, &decision), when(due_at));
        let mut text = say!(
            lang,
            "Opened **{number}**: {level} ({how}). First response due {due}.",
            "Abierto **{number}**: {level} ({how}). Primera respuesta antes de {due}."
        );
        if severity <= Severity::High && !calendar.is_working(now)? {
            effects.push(Effect::post(
                Place::Ticket(ticket.number.clone()),
                phone_reminder(customer.language, customer),
                vec![],
            ));
            text.push('\n');
            text.push_str(&phone_reminder(lang, customer));
        }
        Ok(Outcome { reply: Reply::private(text), effects })
    }

    pub(super) async fn ticket_status(
        &self,
        inv: &Invocation,
        number: Option<TicketNumber>,
    ) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let (ticket, customer) = match number {
            Some(n) => self.visible_ticket(inv, &actor, &n).await?,
            None => {
                let (ticket, customer) = self.ticket_of_thread(inv, "/ticket status").await?;
                self.visible_ticket(inv, &actor, &ticket.number).await.map(|_| (ticket, customer))?
            }
        };
        let lang = self.lang(inv, actor.customer());
        let card = self.card(customer, &ticket)?;
        let text = format!(
            "{} · {} · {}",
            ticket.number,
            i18n::severity(lang, ticket.severity),
            i18n::status(lang, card.status)
        );
        Ok(Outcome::reply(Reply { text, ephemeral: true, card: Some(card) }))
    }

    pub(super) async fn ticket_list(&self, inv: &Invocation, all: bool) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let lang = self.lang(inv, actor.customer());
        let customer = self.customer_here(inv, &actor).await?;
        let tickets = self.store.tickets(customer.key.as_str(), all).await?;
        let name = &customer.name;
        if tickets.is_empty() {
            return Ok(Outcome::reply(Reply::private(match all {
                true => say!(lang, "{name} has no tickets.", "{name} no tiene tickets."),
                false => say!(lang, "{name} has no open tickets.", "{name} no tiene tickets abiertos."),
            })));
        }
        let mut lines = vec![match all {
            true => say!(lang, "All tickets of {name}:", "Todos los tickets de {name}:"),
            false => say!(lang, "Open tickets of {name}:", "Tickets abiertos de {name}:"),
        }];
        for t in &tickets {
            let card = self.card(customer, t)?;
            let (number, level, status) =
                (&t.number, i18n::severity(lang, t.severity), i18n::status(lang, card.status));
            let (due, summary) = (t.due_at.timestamp(), &t.summary);
            lines.push(say!(
                lang,
                "• **{number}** {level} · {status} · due <t:{due}:R> · {summary}",
                "• **{number}** {level} · {status} · vence <t:{due}:R> · {summary}"
            ));
        }
        Ok(Outcome::reply(Reply::private(lines.join("\n"))))
    }

    pub(super) async fn reclassify(
        &self,
        inv: &Invocation,
        number: &TicketNumber,
        level: Severity,
        reason: &str,
    ) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let lang = self.lang(inv, actor.customer());
        let (ticket, customer) = self.visible_ticket(inv, &actor, number).await?;
        let reason = clean("reason", reason, SHORT_MAX).map_err(bad_text(lang))?;
        let (plan, calendar) = self.sla(customer)?;
        // SPEC: the deadline is recomputed from the original opening time.
        let due_at = plan.targets.get(level).due(calendar, ticket.opened_at)?;
        let (changed, event) =
            ticket.reclassify(level, due_at, reason.clone()).map_err(|r| refused(lang, &ticket, &r))?;
        let reschedule = match changed.is_unanswered() {
            true => Reschedule::Replace(self.schedule(customer, level, ticket.opened_at, due_at)?),
            false => Reschedule::Keep,
        };
        let mut outcome = self.commit(inv, lang, customer, &ticket, changed.clone(), event, reschedule).await?;
        let post = customer.language;
        let (from, to, by, due) =
            (i18n::severity(post, ticket.severity), i18n::severity(post, level), inv.user, when(due_at));
        outcome.effects.push(Effect::post(
            Place::Ticket(ticket.number.clone()),
            say!(
                post,
                "Severity changed from {from} to {to} by <@{by}>: {reason}. First response now due {due}.",
                "<@{by}> cambió la severidad de {from} a {to}: {reason}. La primera respuesta vence ahora {due}."
            ),
            vec![],
        ));
        if level == Severity::Critical && changed.is_unanswered() {
            let tams: Vec<Snowflake> = std::iter::once(customer.tam).chain(customer.backup_tam).collect();
            outcome.effects.push(critical_ping(post, &changed, &tams, inv.user));
        }
        let (number, level) = (&ticket.number, i18n::severity(lang, level));
        outcome.reply = Reply::private(say!(
            lang,
            "{number} is now {level}; first response due {due}.",
            "{number} es ahora {level}; la primera respuesta vence {due}."
        ));
        Ok(outcome)
    }

    pub(super) async fn close(
        &self,
        inv: &Invocation,
        number: &TicketNumber,
        resolution: Option<&str>,
    ) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let lang = self.lang(inv, actor.customer());
        let (ticket, customer) = self.visible_ticket(inv, &actor, number).await?;
        let resolution = clean_optional("resolution", resolution, DETAILS_MAX).map_err(bad_text(lang))?;
        let (changed, event) = ticket.close(self.now(), resolution.clone()).map_err(|r| refused(lang, &ticket, &r))?;
        let mut outcome = self.commit(inv, lang, customer, &ticket, changed, event, Reschedule::Cancel).await?;
        let by = inv.user;
        let text = match resolution {
            Some(r) => say!(customer.language, "Closed by <@{by}>: {r}", "Cerrado por <@{by}>: {r}"),
            None => say!(customer.language, "Closed by <@{by}>.", "Cerrado por <@{by}>."),
        };
        outcome.effects.push(Effect::post(Place::Ticket(ticket.number.clone()), text, vec![]));
        let n = &ticket.number;
        outcome.reply = Reply::private(say!(
            lang,
            "{n} is closed. /ticket reopen number:{n} reopens it.",
            "{n} está cerrado. /ticket reabrir número:{n} lo reabre."
        ));
        Ok(outcome)
    }

    pub(super) async fn reopen(&self, inv: &Invocation, number: &TicketNumber) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let lang = self.lang(inv, actor.customer());
        let (ticket, customer) = self.visible_ticket(inv, &actor, number).await?;
        let (changed, event) = ticket.reopen().map_err(|r| refused(lang, &ticket, &r))?;
        // Still waiting for its first response: its steps not yet sent come back.
        let reschedule = match changed.is_unanswered() {
            true => {
                Reschedule::Replace(self.schedule(customer, changed.severity, changed.opened_at, changed.due_at)?)
            }
            false => Reschedule::Keep,
        };
        let mut outcome = self.commit(inv, lang, customer, &ticket, changed, event, reschedule).await?;
        let (by, n) = (inv.user, &ticket.number);
        outcome.effects.push(Effect::post(
            Place::Ticket(ticket.number.clone()),
            say!(customer.language, "Reopened by <@{by}>.", "Reabierto por <@{by}>."),
            vec![],
        ));
        outcome.reply = Reply::private(say!(lang, "{n} is open again.", "{n} vuelve a estar abierto."));
        Ok(outcome)
    }

    /// The numbers of the tickets this person may act on here that start with
    /// what they typed (`ACME-4` or just `4`), at most 25: for autocomplete.
    pub async fn ticket_numbers(&self, inv: &Invocation, typed: &str) -> Vec<String> {
        let Ok(actor) = self.actor(inv).await else { return Vec::new() };
        let Ok(customer) = self.customer_here(inv, &actor).await else { return Vec::new() };
        let Ok(tickets) = self.store.tickets(customer.key.as_str(), true).await else { return Vec::new() };
        let typed = typed.trim().to_uppercase();
        tickets
            .iter()
            .map(|t| t.number.to_string())
            .filter(|n| n.starts_with(&typed) || n.rsplit('-').next().is_some_and(|seq| seq.starts_with(&typed)))
            .take(25)
            .collect()
    }

    /// A message a person wrote in a thread. When it is the first message of
    /// support staff in an unanswered ticket's thread, it acknowledges the
    /// ticket (deployments choose whether it counts); otherwise nothing happens.
    pub async fn thread_message(&self, inv: &Invocation) -> Option<Outcome> {
        if !matches!(self.actor(inv).await, Ok(Actor::Staff)) {
            return None;
        }
        let ticket = self.store.ticket_by_thread(inv.channel).await.ok()??;
        if !ticket.is_unanswered() {
            return None;
        }
        Some(self.handle(inv, super::Command::Ack { note: None }).await)
    }

    pub(super) async fn acknowledge(&self, inv: &Invocation, note: Option<&str>) -> Result<Outcome, AppError> {
        self.require_staff(inv, ("acknowledge a ticket", "acusar recibo de un ticket")).await?;
        let lang = self.lang(inv, None);
        let (ticket, customer) = self.ticket_of_thread(inv, "/ack").await?;
        let note = clean_optional("note", note, DETAILS_MAX).map_err(bad_text(lang))?;
        let now = self.now();
        let (changed, event) =
            ticket.acknowledge(inv.user, now, note.clone()).map_err(|r| refused(lang, &ticket, &r))?;
        let mut outcome = self.commit(inv, lang, customer, &ticket, changed, event, Reschedule::Answered(now)).await?;
        let response = (now - ticket.opened_at).to_std().unwrap_or_default();
        self.metrics
            .first_response_seconds
            .get_or_create(&SeverityLabel::of(ticket.severity))
            .observe(response.as_secs_f64());
        let (by, minutes, post) = (inv.user, (now - ticket.opened_at).num_minutes(), customer.language);
        let mut text = match now <= ticket.due_at {
            true => say!(
                post,
                "Acknowledged by <@{by}> after {minutes} min (within target).",
                "<@{by}> acusó recibo tras {minutes} min (dentro del objetivo)."
            ),
            false => say!(
                post,
                "Acknowledged by <@{by}> after {minutes} min (after the target).",
                "<@{by}> acusó recibo tras {minutes} min (fuera del objetivo)."
            ),
        };
        if let Some(n) = note {
            text.push(' ');
            text.push_str(&n);
        }
        outcome.effects.push(Effect::post(Place::Ticket(ticket.number.clone()), text, vec![]));
        let n = &ticket.number;
        outcome.reply = Reply::private(say!(lang, "You acknowledged {n}.", "Has acusado recibo de {n}."));
        Ok(outcome)
    }

    /// Stores a change with its event and its effect on the escalation
    /// schedule; a concurrent change wins and this one is refused with a way
    /// forward. The card follows the new state.
    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        inv: &Invocation,
        lang: Language,
        customer: &Customer,
        before: &Ticket,
        mut changed: Ticket,
        event: EventKind,
        reschedule: Reschedule,
    ) -> Result<Outcome, AppError> {
        if !self.store.update_ticket(&changed, self.now(), inv.user, &event, &reschedule).await? {
            let n = &before.number;
            return refuse(say!(
                lang,
                "{n} changed while you were acting on it. Look at it again with /ticket status number:{n} and retry.",
                "{n} cambió mientras actuabas sobre él. Vuelve a mirarlo con /ticket estado número:{n} e inténtalo otra vez."
            ));
        }
        changed.version += 1;
        self.wake.notify_one();
        tracing::info!(ticket = %changed.number, event = event.name(), "ticket changed");
        let card = self.card(customer, &changed)?;
        Ok(Outcome { reply: Reply::private(""), effects: vec![Effect::UpdateCard { card }] })
    }
}

fn refused(lang: Language, ticket: &Ticket, r: &Refusal) -> AppError {
    AppError::Refused(i18n::refusal(lang, &ticket.number, r))
}

fn explain(lang: Language, decision: &Decision) -> String {
    match decision {
        Decision::Given => say!(lang, "severity as you chose it", "severidad elegida por ti"),
        Decision::Rule { name, matched } => say!(
            lang,
            "classified by rule \"{name}\", which matched \"{matched}\"",
            "clasificado por la regla \"{name}\", que encontró \"{matched}\""
        ),
        Decision::Default => say!(
            lang,
            "no classification rule matched, so the default level 3 applies; use /ticket severity to change it",
            "ninguna regla de clasificación encajó, así que se aplica el nivel 3 por defecto; cámbialo con /ticket severidad"
        ),
    }
}

fn critical_ping(lang: Language, ticket: &Ticket, tams: &[Snowflake], opener: Snowflake) -> Effect {
    let mentions: Vec<String> = tams.iter().map(|t| format!("<@{t}>")).collect();
    let (who, n, summary, due) = (mentions.join(" "), &ticket.number, &ticket.summary, when(ticket.due_at));
    Effect::post(
        Place::Ticket(ticket.number.clone()),
        say!(
            lang,
            "{who} **{n}** is Critical (L1), raised by <@{opener}>: {summary}. First response due {due}.",
            "{who} **{n}** es Crítico (L1), abierto por <@{opener}>: {summary}. Primera respuesta antes de {due}."
        ),
        tams.to_vec(),
    )
}

fn phone_reminder(lang: Language, customer: &Customer) -> String {
    let name = &customer.name;
    match &customer.phone {
        Some(p) => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line at {p}.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria, al {p}."
        ),
        None => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria."
        ),
    }
}
