//! `/queue` (staff): every unanswered ticket across customers (a TAM's own
//! customers', for a TAM without the staff role), premium first (by plan
//! rank), then severity, then deadline.

use super::Cx;
use super::Outcome;
use super::{Args, Declared, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{Access, Spec};
use crate::app::msg::{say, Local, Msg, Span, TimeStyle};
use crate::app::words;

pub static SPEC: Spec = Spec {
    group: None,
    name: Local::new("queue", "cola"),
    description: Local::new(
        "Unanswered tickets, premium first (staff)",
        "Tickets sin respuesta, premium primero (soporte)",
    ),
    help: Local::new(
        "every unanswered ticket, premium first, then severity, then deadline (staff)",
        "todos los tickets sin respuesta, premium primero, luego severidad y plazo (soporte)",
    ),
    what: Local::new("see the queue", "ver la cola"),
    access: Access::Staff,
    options: &[],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue;

impl Declared for Queue {
    fn parse(_: &Args) -> Result<Self, UsageError> {
        Ok(Queue)
    }
}

impl Queue {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let mut rows = Vec::new();
        // A TAM's queue holds their own customers' tickets.
        for t in app.store.unanswered_tickets().await?.into_iter().filter(|t| cx.actor.is_staff_for(&t.number.customer))
        {
            let Some(customer) = app.config.customer(t.number.customer.as_str()) else { continue };
            let (plan, calendar) = app.sla(customer)?;
            rows.push((plan.rank, t.severity, t.due_at, plan.name.clone(), calendar.zone(), t));
        }
        rows.sort_by_key(|r| (r.0, r.1, r.2));
        if rows.is_empty() {
            return Ok(Outcome::done(
                lang,
                say!(
                    lang,
                    "The queue is empty: every ticket has had its first response.",
                    "La cola está vacía: todos los tickets han tenido su primera respuesta."
                ),
            ));
        }
        let n = rows.len();
        let mut lines = vec![say!(
            lang,
            "Unanswered tickets ({n}), premium first:",
            "Tickets sin respuesta ({n}), premium primero:",
            n
        )];
        for (_, severity, due, plan, zone, t) in &rows {
            let severity = match t.signature {
                Some(_) => format!("{} · {}", words::severity(lang, *severity), words::request_marker(lang)),
                None => words::severity(lang, *severity).to_owned(),
            };
            let (number, due, summary) =
                (Span::strong(&t.number), Span::time(*due, Some(*zone), TimeStyle::Relative), &t.summary);
            let mut line = say!(
                lang,
                "• {number} {plan} · {severity} · due {due}",
                "• {number} {plan} · {severity} · vence {due}",
                number,
                plan,
                severity,
                due
            );
            if let Some(owner) = t.owner {
                let owner = Span::user(owner);
                line.append(say!(lang, " · owner {owner}", " · responsable {owner}", owner));
            }
            line.push_text(&format!(" · {summary}"));
            lines.push(line);
        }
        Ok(Outcome::done(lang, Msg::join(lines, "\n")))
    }
}
