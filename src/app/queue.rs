//! `/queue`: every unanswered ticket, premium first, then severity, then deadline.

use super::{App, AppError, Invocation, Outcome, Reply};

impl App {
    pub(super) async fn queue(&self, inv: &Invocation) -> Result<Outcome, AppError> {
        self.require_staff(inv, "see the queue").await?;
        let mut rows = Vec::new();
        for t in self.store.unanswered_tickets().await? {
            let Some(customer) = self.config.customer(t.number.customer.as_str()) else { continue };
            let (plan, _) = self.sla(customer)?;
            rows.push((plan.rank, t.severity, t.due_at, plan.name.clone(), t));
        }
        rows.sort_by_key(|r| (r.0, r.1, r.2));
        if rows.is_empty() {
            return Ok(Outcome::reply(Reply::private("The queue is empty: every ticket has had its first response.")));
        }
        let mut lines = vec![format!("Unanswered tickets ({}), premium first:", rows.len())];
        for (_, severity, due, plan, t) in &rows {
            lines.push(format!(
                "• **{}** {plan} · {severity} · due <t:{}:R> · {}",
                t.number,
                due.timestamp(),
                t.summary
            ));
        }
        Ok(Outcome::reply(Reply::private(lines.join("\n"))))
    }
}
