//! `/queue`: every unanswered ticket, premium first, then severity, then deadline.

use super::i18n::{self, say};
use super::{App, AppError, Invocation, Outcome, Reply};

impl App {
    pub(super) async fn queue(&self, inv: &Invocation) -> Result<Outcome, AppError> {
        self.require_staff(inv, ("see the queue", "ver la cola")).await?;
        let lang = self.lang(inv, None);
        let mut rows = Vec::new();
        for t in self.store.unanswered_tickets().await? {
            let Some(customer) = self.config.customer(t.number.customer.as_str()) else { continue };
            let (plan, _) = self.sla(customer)?;
            rows.push((plan.rank, t.severity, t.due_at, plan.name.clone(), t));
        }
        rows.sort_by_key(|r| (r.0, r.1, r.2));
        if rows.is_empty() {
            return Ok(Outcome::reply(Reply::private(say!(
                lang,
                "The queue is empty: every ticket has had its first response.",
                "La cola está vacía: todos los tickets han tenido su primera respuesta."
            ))));
        }
        let n = rows.len();
        let mut lines = vec![say!(
            lang,
            "Unanswered tickets ({n}), premium first:",
            "Tickets sin respuesta ({n}), premium primero:"
        )];
        for (_, severity, due, plan, t) in &rows {
            let (number, severity, due, summary) =
                (&t.number, i18n::severity(lang, *severity), due.timestamp(), &t.summary);
            lines.push(say!(
                lang,
                "• **{number}** {plan} · {severity} · due <t:{due}:R> · {summary}",
                "• **{number}** {plan} · {severity} · vence <t:{due}:R> · {summary}"
            ));
        }
        Ok(Outcome::reply(Reply::private(lines.join("\n"))))
    }
}
