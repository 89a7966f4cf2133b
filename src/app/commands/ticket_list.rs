//! `/ticket list [which]`: the customer's open tickets, all of them, or the
//! caller's own (for staff, the tickets they own, of every customer; for a
//! contact, the ones they opened).

use super::{Actor, Args, Chosen, Cx, Declared, Outcome, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{Access, Choice, Kind, Opt, Spec, TICKET};
use crate::app::msg::{say, Local, Msg, Span, TimeStyle};
use crate::app::words;
use crate::domain::ticket::Ticket;

pub static SPEC: Spec = Spec {
    group: Some(&TICKET),
    name: Local::new("list", "lista"),
    description: Local::new("Your company's tickets", "Los tickets de tu empresa"),
    help: Local::new(
        "tickets: which:open (the customer's, the default), which:all, or which:mine (staff: the ones you own)",
        "tickets: cuáles:abiertos (los del cliente, por defecto), cuáles:todos o cuáles:míos (soporte: de los que te encargas)",
    ),
    what: Local::new("list tickets", "listar tickets"),
    access: Access::ContactsAndStaff,
    options: &[Opt {
        name: Local::new("which", "cuáles"),
        description: Local::new("Open tickets, all, or your own", "Tickets abiertos, todos o los tuyos"),
        kind: Kind::Choice(&[
            Choice { value: "open", name: Local::new("open", "abiertos") },
            Choice { value: "all", name: Local::new("all", "todos") },
            Choice { value: "mine", name: Local::new("mine", "míos") },
        ]),
        required: false,
    }],
};

/// Which tickets a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Which {
    /// The customer's open tickets.
    #[default]
    Open,
    /// The customer's tickets, closed ones too.
    All,
    /// The caller's open tickets: owned (staff) or opened (a contact).
    Mine,
}

impl Chosen for Which {
    fn chosen(value: &str) -> Option<Which> {
        match value {
            "open" => Some(Which::Open),
            "all" => Some(Which::All),
            "mine" => Some(Which::Mine),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketList {
    pub which: Which,
}

impl Declared for TicketList {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(TicketList { which: args.opt_choice("which")?.unwrap_or_default() })
    }
}

impl TicketList {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let (tickets, heading, none) = match (self.which, &cx.actor) {
            (Which::Mine, Actor::Staff | Actor::Tam { .. }) => {
                let mut tickets = app.store.tickets_owned_by(cx.inv.user).await?;
                tickets.retain(|t| cx.actor.is_staff_for(&t.number.customer));
                (
                    tickets,
                    say!(lang, "Your tickets:", "Tus tickets:"),
                    say!(lang, "You own no open ticket.", "No te encargas de ningún ticket abierto."),
                )
            }
            (which, _) => {
                let customer = app.customer_here(cx).await?;
                let mut tickets = app.store.tickets(customer.key.as_str(), which == Which::All).await?;
                let name = &customer.name;
                match which {
                    Which::All => (
                        tickets,
                        say!(lang, "All tickets of {name}:", "Todos los tickets de {name}:", name),
                        say!(lang, "{name} has no tickets.", "{name} no tiene tickets.", name),
                    ),
                    Which::Open => (
                        tickets,
                        say!(lang, "Open tickets of {name}:", "Tickets abiertos de {name}:", name),
                        say!(lang, "{name} has no open tickets.", "{name} no tiene tickets abiertos.", name),
                    ),
                    Which::Mine => {
                        tickets.retain(|t| t.opened_by == cx.inv.user);
                        (
                            tickets,
                            say!(lang, "Your open tickets:", "Tus tickets abiertos:"),
                            say!(lang, "You have no open tickets.", "No tienes tickets abiertos."),
                        )
                    }
                }
            }
        };
        if tickets.is_empty() {
            return Ok(Outcome::done(lang, none));
        }
        let mut lines = vec![heading];
        for t in &tickets {
            lines.push(line(app, cx, t)?);
        }
        Ok(Outcome::done(lang, Msg::join(lines, "\n")))
    }
}

/// A ticket's line: number, severity, status, deadline, owner, summary.
fn line(app: &App, cx: &Cx<'_>, t: &Ticket) -> Result<Msg, AppError> {
    let lang = cx.lang;
    let Some(customer) = app.config.customer(t.number.customer.as_str()) else {
        return Ok(Msg::from(Span::strong(&t.number)));
    };
    let (_, calendar) = app.sla(customer)?;
    let card = app.card(customer, t)?;
    let (number, level, status) = (Span::strong(&t.number), words::severity(lang, t.severity), card.status_line(lang));
    let relative = |t| Span::time(t, Some(calendar.zone()), TimeStyle::Relative);
    let mut line = say!(lang, "• {number} {level} · {status}", "• {number} {level} · {status}", number, level, status);
    // What is due next: the first response, else the next update.
    match (t.is_unanswered(), t.update_due_at) {
        (true, _) => {
            let due = relative(t.due_at);
            line.append(say!(lang, " · due {due}", " · vence {due}", due));
        }
        (false, Some(next)) => {
            let next = relative(next);
            line.append(say!(lang, " · next update {next}", " · próxima actualización {next}", next));
        }
        (false, None) => {}
    }
    let summary = &t.summary;
    if let Some(owner) = t.owner {
        let owner = Span::user(owner);
        line.append(say!(lang, " · owner {owner}", " · responsable {owner}", owner));
    }
    line.push_text(&format!(" · {summary}"));
    Ok(line)
}
