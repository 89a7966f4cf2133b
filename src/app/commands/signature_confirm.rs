//! `/signature confirm number`, or the Confirm button under a release's
//! post: the contact who filed the request confirms that the fix works
//! (staff may too, after checking).

use super::{Actor, Args, Cx, Declared, Outcome, StageChanged, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{ticket_number, Access, Spec, SIGNATURE};
use crate::app::jobs::Job;
use crate::app::msg::{say, Local};
use crate::app::refusal::Refusal;
use crate::app::tickets::{refused, Change};
use crate::domain::signature::Stage;
use crate::domain::ticket::TicketRef;
use crate::storage::Reschedule;

pub static SPEC: Spec = Spec {
    group: Some(&SIGNATURE),
    name: Local::new("confirm", "confirmar"),
    description: Local::new(
        "Confirm that a released fix works (the requester)",
        "Confirmar que una corrección publicada funciona (el solicitante)",
    ),
    help: Local::new(
        "confirm that the released fix of your request works (the contact who filed it; staff too)",
        "confirmar que funciona la corrección publicada de tu solicitud (el contacto que la presentó; también soporte)",
    ),
    what: Local::new("confirm fixes", "confirmar correcciones"),
    access: Access::ContactsAndStaff,
    options: &[ticket_number(true)],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmSignature {
    pub number: TicketRef,
}

impl Declared for ConfirmSignature {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(ConfirmSignature { number: args.ticket("number")? })
    }
}

impl ConfirmSignature {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (ticket, customer) = app.visible_ticket(cx, &self.number).await?;
        if matches!(cx.actor, Actor::Contact { .. }) && ticket.opened_by != cx.inv.user {
            return refuse(Refusal::NotYourRequest { number: ticket.number });
        }
        let (_, calendar) = app.sla(customer)?;
        let (changed, events) = ticket
            .advance(Stage::Confirmed, None, None, cx.inv.user, app.now())
            .map_err(|r| refused(&ticket, calendar, r))?;
        let jobs = vec![
            Job::Card.into(),
            StageChanged { to: Stage::Confirmed, release: None, note: None }.into(),
            Job::Archive { archived: true }.into(),
        ];
        cx.commit_all(app, &[Change { ticket: &changed, events, reschedule: Reschedule::Cancel, jobs }]).await?;
        let n = &ticket.number;
        Ok(Outcome::done(
            cx.lang,
            say!(
                cx.lang,
                "You confirmed the fix of {n}. Thank you.",
                "Has confirmado la corrección de {n}. Gracias.",
                n
            ),
        ))
    }
}
