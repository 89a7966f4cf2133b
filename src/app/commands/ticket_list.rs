//! `/ticket list [which]`: the customer's open tickets, or all of them.

use crate::app::declare::{Access, Choice, Kind, Opt, Spec, TICKET};
use super::{Args, Chosen, Declared, UsageError};
use super::Cx;
use crate::app::msg::{say, Local, Msg, Span, TimeStyle};
use crate::app::application::{App, AppError};
use super::{Outcome};
use crate::app::words;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("list", "lista"),
    description: Local::new("Your company's tickets", "Los tickets de tu empresa"),
    help: Local::new(
        "the customer's tickets: which:open (the default) or which:all",
        "los tickets del cliente: cuáles:abiertos (por defecto) o cuáles:todos",
    ),
    what: Local::new("list tickets", "listar tickets"),
    access: Access::ContactsAndStaff,
    options: &[Opt {
        name: Local::new("which", "cuáles"),
        description: Local::new("Open tickets or all", "Tickets abiertos o todos"),
        kind: Kind::Choice(&[
            Choice { value: "open", name: Local::new("open", "abiertos") },
            Choice { value: "all", name: Local::new("all", "todos") },
        ]),
        required: false,
    }],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketList {
    /// Closed tickets too.
    pub all: bool,
}

/// Which tickets a list shows.
enum Which {
    Open,
    All,
}

impl Chosen for Which {
    fn chosen(value: &str) -> Option<Which> {
        match value {
            "open" => Some(Which::Open),
            "all" => Some(Which::All),
            _ => None,
        }
    }
}

impl Declared for TicketList {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketList { all: matches!(args.opt_choice("which")?, Some(Which::All)) })
    }
}

impl TicketList {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let customer = app.customer_here(cx).await?;
        let (_, calendar) = app.sla(customer)?;
        let tickets = app.store.tickets(customer.key.as_str(), self.all).await?;
        let name = &customer.name;
        if tickets.is_empty() {
            return Ok(Outcome::done(
                lang,
                match self.all {
                    true => say!(lang, "{name} has no tickets.", "{name} no tiene tickets.", name),
                    false => say!(lang, "{name} has no open tickets.", "{name} no tiene tickets abiertos.", name),
                },
            ));
        }
        let mut lines = vec![match self.all {
            true => say!(lang, "All tickets of {name}:", "Todos los tickets de {name}:", name),
            false => say!(lang, "Open tickets of {name}:", "Tickets abiertos de {name}:", name),
        }];
        for t in &tickets {
            let card = app.card(customer, t)?;
            let (number, level, status) =
                (Span::strong(&t.number), words::severity(lang, t.severity), card.status_line(lang));
            let (due, summary) = (Span::time(t.due_at, Some(calendar.zone()), TimeStyle::Relative), &t.summary);
            lines.push(say!(
                lang,
                "• {number} {level} · {status} · due {due} · {summary}",
                "• {number} {level} · {status} · vence {due} · {summary}",
                number,
                level,
                status,
                due,
                summary
            ));
        }
        Ok(Outcome::done(lang, Msg::join(lines, "\n")))
    }
}
