//! `/ticket open|status|list|severity|close|reopen` and `/ack`.

use super::access::{Actor, NOT_REGISTERED};
use super::{refuse, when, App, AppError, Effect, Invocation, Outcome, Place, Reply};
use crate::domain::classify::Decision;
use crate::domain::customer::{Customer, Snowflake};
use crate::domain::sla::Severity;
use crate::domain::text::{clean, clean_optional, DETAILS_MAX, SHORT_MAX, SUMMARY_MAX};
use crate::domain::ticket::{EventKind, Ticket, TicketKind, TicketNumber};
use crate::storage::NewTicket;

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
            Actor::Staff => return refuse(
                "Tickets are opened by the customer's registered technical contacts, so the SLA clock runs for them. \
                     Ask a contact to open it, or add the person with /contacts add.",
            ),
            Actor::Unregistered => return refuse(NOT_REGISTERED),
        };
        if inv.channel != customer.support_channel {
            return refuse(format!("Open tickets in your support channel <#{}>.", customer.support_channel));
        }
        let summary = clean("summary", summary, SUMMARY_MAX).map_err(AppError::Refused)?;
        let details = clean_optional("details", details, DETAILS_MAX).map_err(AppError::Refused)?;
        let product = clean_optional("product", product, SHORT_MAX).map_err(AppError::Refused)?;
        let language = inv.language.unwrap_or(customer.language);
        let (severity, decision) = match severity {
            Some(s) => (s, Decision::Given),
            None => {
                let text = format!("{summary}\n{}", details.as_deref().unwrap_or(""));
                self.config.classifier.classify(&text, language)
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
        };
        let event = EventKind::Opened { severity: severity.level(), due_at, classified_by };
        let ticket = self.store.open_ticket(&new, &event).await?;
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
            effects.push(critical_ping(&ticket, &tams, inv.user));
        }
        let mut text = format!(
            "Opened **{}**: {} ({}). First response due {}.",
            ticket.number,
            severity,
            explain(&decision),
            when(due_at)
        );
        if severity <= Severity::High && !calendar.is_working(now)? {
            let phone = phone_reminder(customer);
            effects.push(Effect::Post {
                place: Place::Ticket(ticket.number.clone()),
                text: phone.clone(),
                ping: vec![],
            });
            text.push('\n');
            text.push_str(&phone);
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
            Some(n) => self.visible_ticket(&actor, &n).await?,
            None => {
                let (ticket, customer) = self.ticket_of_thread(inv, "/ticket status without a number").await?;
                self.visible_ticket(&actor, &ticket.number).await.map(|_| (ticket, customer))?
            }
        };
        let card = self.card(customer, &ticket)?;
        let text = format!("{} · {} · {}", ticket.number, ticket.severity, card.status.label());
        Ok(Outcome::reply(Reply { text, ephemeral: true, card: Some(card) }))
    }

    pub(super) async fn ticket_list(&self, inv: &Invocation, all: bool) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let customer = self.customer_here(inv, &actor).await?;
        let tickets = self.store.tickets(customer.key.as_str(), all).await?;
        if tickets.is_empty() {
            let which = if all { "no tickets" } else { "no open tickets" };
            return Ok(Outcome::reply(Reply::private(format!("{} has {which}.", customer.name))));
        }
        let mut lines = vec![format!("{} tickets of {}:", if all { "All" } else { "Open" }, customer.name)];
        for t in &tickets {
            let card = self.card(customer, t)?;
            lines.push(format!(
                "• **{}** {} · {} · due <t:{}:R> · {}",
                t.number,
                t.severity,
                card.status.label(),
                t.due_at.timestamp(),
                t.summary
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
        let (ticket, customer) = self.visible_ticket(&actor, number).await?;
        let reason = clean("reason", reason, SHORT_MAX).map_err(AppError::Refused)?;
        let (plan, calendar) = self.sla(customer)?;
        // SPEC: the deadline is recomputed from the original opening time.
        let due_at = plan.targets.get(level).due(calendar, ticket.opened_at)?;
        let (changed, event) = ticket.reclassify(level, due_at, reason.clone()).map_err(|r| AppError::Refused(r.0))?;
        let mut outcome = self.commit(inv, customer, &ticket, changed.clone(), event).await?;
        outcome.effects.push(Effect::Post {
            place: Place::Ticket(ticket.number.clone()),
            text: format!(
                "Severity changed from {} to {} by <@{}>: {reason}. First response now due {}.",
                ticket.severity,
                level,
                inv.user,
                when(due_at)
            ),
            ping: vec![],
        });
        if level == Severity::Critical && changed.is_unanswered() {
            let tams: Vec<Snowflake> = std::iter::once(customer.tam).chain(customer.backup_tam).collect();
            outcome.effects.push(critical_ping(&changed, &tams, inv.user));
        }
        outcome.reply =
            Reply::private(format!("{} is now {}; first response due {}.", ticket.number, level, when(due_at)));
        Ok(outcome)
    }

    pub(super) async fn close(
        &self,
        inv: &Invocation,
        number: &TicketNumber,
        resolution: Option<&str>,
    ) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let (ticket, customer) = self.visible_ticket(&actor, number).await?;
        let resolution = clean_optional("resolution", resolution, DETAILS_MAX).map_err(AppError::Refused)?;
        let (changed, event) = ticket.close(self.now(), resolution.clone()).map_err(|r| AppError::Refused(r.0))?;
        let mut outcome = self.commit(inv, customer, &ticket, changed, event).await?;
        let text = match resolution {
            Some(r) => format!("Closed by <@{}>: {r}", inv.user),
            None => format!("Closed by <@{}>.", inv.user),
        };
        outcome.effects.push(Effect::Post { place: Place::Ticket(ticket.number.clone()), text, ping: vec![] });
        outcome.reply =
            Reply::private(format!("{} is closed. /ticket reopen number:{} reopens it.", ticket.number, ticket.number));
        Ok(outcome)
    }

    pub(super) async fn reopen(&self, inv: &Invocation, number: &TicketNumber) -> Result<Outcome, AppError> {
        let actor = self.actor(inv).await?;
        let (ticket, customer) = self.visible_ticket(&actor, number).await?;
        let (changed, event) = ticket.reopen().map_err(|r| AppError::Refused(r.0))?;
        let mut outcome = self.commit(inv, customer, &ticket, changed, event).await?;
        outcome.effects.push(Effect::Post {
            place: Place::Ticket(ticket.number.clone()),
            text: format!("Reopened by <@{}>.", inv.user),
            ping: vec![],
        });
        outcome.reply = Reply::private(format!("{} is open again.", ticket.number));
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
        self.require_staff(inv, "acknowledge a ticket").await?;
        let (ticket, customer) = self.ticket_of_thread(inv, "/ack").await?;
        let note = clean_optional("note", note, DETAILS_MAX).map_err(AppError::Refused)?;
        let now = self.now();
        let (changed, event) = ticket.acknowledge(inv.user, now, note.clone()).map_err(|r| AppError::Refused(r.0))?;
        let mut outcome = self.commit(inv, customer, &ticket, changed, event).await?;
        let minutes = (now - ticket.opened_at).num_minutes();
        let met = if now <= ticket.due_at { "within target" } else { "after the target" };
        let mut text = format!("Acknowledged by <@{}> after {minutes} min ({met}).", inv.user);
        if let Some(n) = note {
            text.push(' ');
            text.push_str(&n);
        }
        outcome.effects.push(Effect::Post { place: Place::Ticket(ticket.number.clone()), text, ping: vec![] });
        outcome.reply = Reply::private(format!("You acknowledged {}.", ticket.number));
        Ok(outcome)
    }

    /// Stores a change with its event; a concurrent change wins and this one
    /// is refused with a way forward. The card follows the new state.
    async fn commit(
        &self,
        inv: &Invocation,
        customer: &Customer,
        before: &Ticket,
        mut changed: Ticket,
        event: EventKind,
    ) -> Result<Outcome, AppError> {
        if !self.store.update_ticket(&changed, self.now(), inv.user, &event).await? {
            return refuse(format!(
                "{} changed while you were acting on it. Look at it again with /ticket status number:{} and retry.",
                before.number, before.number
            ));
        }
        changed.version += 1;
        tracing::info!(ticket = %changed.number, event = event.name(), "ticket changed");
        let card = self.card(customer, &changed)?;
        Ok(Outcome { reply: Reply::private(""), effects: vec![Effect::UpdateCard { card }] })
    }
}

fn explain(decision: &Decision) -> String {
    match decision {
        Decision::Given => "severity as you chose it".into(),
        Decision::Rule { name, matched } => format!("classified by rule \"{name}\", which matched \"{matched}\""),
        Decision::Default => "no classification rule matched, so the default level 3 applies; \
             use /ticket severity to change it"
            .into(),
    }
}

fn critical_ping(ticket: &Ticket, tams: &[Snowflake], opener: Snowflake) -> Effect {
    let mentions: Vec<String> = tams.iter().map(|t| format!("<@{t}>")).collect();
    Effect::Post {
        place: Place::Ticket(ticket.number.clone()),
        text: format!(
            "{} **{}** is Critical (L1), raised by <@{opener}>: {}. First response due {}.",
            mentions.join(" "),
            ticket.number,
            ticket.summary,
            when(ticket.due_at)
        ),
        ping: tams.to_vec(),
    }
}

fn phone_reminder(customer: &Customer) -> String {
    match &customer.phone {
        Some(p) => {
            format!("It is outside {}'s working hours: please also phone the priority line at {p}.", customer.name)
        }
        None => format!("It is outside {}'s working hours: please also phone the priority line.", customer.name),
    }
}
