//! `/summary [week] [customer]` (staff): the weekly summary of any week, as
//! the summary channel would get it, with its chart; only the caller sees
//! it. Without a week, the last one that ended; without a customer, all of
//! them (for a TAM without the staff role: their customer, and only theirs
//! may be named). Times are in the zone of this channel's `[[summaries]]` entry, else
//! the customer's calendar's, else UTC.

use chrono_tz::Tz;

use super::{Actor, Cx};
use super::{Args, Declared, Kind, UsageError};
use super::{Outcome, Reply};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{Access, Opt, Spec};
use crate::app::msg::{say, Local};
use crate::app::refusal::Refusal;
use crate::domain::customer::CustomerKey;
use crate::domain::summary::Week;

pub static SPEC: Spec = Spec {
    group: None,
    name: Local::new("summary", "resumen"),
    description: Local::new(
        "A week's summary, with its chart (staff)",
        "El resumen de una semana, con su gráfico (soporte)",
    ),
    help: Local::new(
        "a week's summary as the summary channel gets it (week:2026-W48, customer:ACME; staff)",
        "el resumen de una semana como lo recibe su canal (semana:2026-W48, cliente:ACME; soporte)",
    ),
    what: Local::new("see weekly summaries", "ver resúmenes semanales"),
    access: Access::Staff,
    options: &[
        Opt {
            name: Local::new("week", "semana"),
            description: Local::new(
                "An ISO week such as 2026-W48 (the last one by default)",
                "Una semana ISO como 2026-W48 (por defecto, la última)",
            ),
            kind: Kind::Week,
            required: false,
        },
        Opt {
            name: Local::new("customer", "cliente"),
            description: Local::new(
                "A customer's key such as ACME (all by default)",
                "La clave de un cliente como ACME (por defecto, todos)",
            ),
            kind: Kind::Customer,
            required: false,
        },
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub week: Option<Week>,
    pub customer: Option<CustomerKey>,
}

impl Declared for Summary {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(Summary { week: args.opt_week("week")?, customer: args.opt_customer("customer")? })
    }
}

impl Summary {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let config = &app.config;
        let customer = match (&self.customer, &cx.actor) {
            // A TAM's summaries are their own customers'.
            (Some(key), Actor::Tam { .. }) if !cx.actor.is_staff_for(key) => return refuse(cx.actor.outside()),
            (None, Actor::Tam { customers }) => match customers.as_slice() {
                [only] => Some(*only),
                several => {
                    let known = several.iter().map(|c| c.key.as_str().to_owned()).collect();
                    return refuse(Refusal::WhichCustomer { known });
                }
            },
            (Some(key), _) => match config.customer(key.as_str()) {
                Some(c) => Some(c),
                None => {
                    let known = config.customers.iter().map(|c| c.key.as_str().to_owned()).collect();
                    return refuse(Refusal::UnknownCustomer { key: key.as_str().to_owned(), known });
                }
            },
            (None, _) => None,
        };
        let entry = config.summary(cx.inv.channel, customer.map(|c| c.key.as_str()));
        let zone = match (entry, customer) {
            (Some(s), _) => s.zone,
            (None, Some(c)) => app.sla(c)?.1.zone(),
            (None, None) => Tz::UTC,
        };
        let week = self.week.unwrap_or_else(|| Week::of(app.now().with_timezone(&zone).date_naive()).previous());
        let report = app.report(week, zone, customer).await?;
        let post = app.summary_post(report, lang).await;
        let msg = say!(lang, "The summary of {week}:", "El resumen de {week}:", week = week.to_string());
        Ok(Outcome {
            lang,
            reply: Reply::Done {
                msg,
                card: None,
                summary: Some(Box::new(post)),
                personal: false,
                button: None,
                document: None,
            },
        })
    }
}
