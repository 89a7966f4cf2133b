//! `/signature queue` (staff and the specialist group): every open
//! signature change request, premium first (by plan rank), then oldest.

use super::Cx;
use super::Outcome;
use super::{Args, Declared, UsageError};
use crate::app::application::{App, AppError};
use crate::app::declare::{Access, Spec, SIGNATURE};
use crate::app::msg::{say, Local, Msg, Span, TimeStyle};
use crate::app::words;

pub static SPEC: Spec = Spec {
    group: Some(&SIGNATURE),
    name: Local::new("queue", "cola"),
    description: Local::new("Open signature change requests, premium first (staff, specialists)", "Solicitudes de cambio de firma abiertas, premium primero (soporte, especialistas)"),
    help: Local::new(
        "every open signature change request, premium first, then oldest (staff, specialists)",
        "todas las solicitudes de cambio de firma abiertas, premium primero y luego las más antiguas (soporte, especialistas)",
    ),
    what: Local::new("see the signature requests", "ver las solicitudes de cambio de firma"),
    access: Access::StaffAndSpecialists,
    options: &[],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureQueue;

impl Declared for SignatureQueue {
    fn parse(_: &Args) -> Result<Self, UsageError> {
        Ok(SignatureQueue)
    }
}

impl SignatureQueue {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let lang = cx.lang;
        let mut rows = Vec::new();
        for t in app.store.open_requests().await? {
            let Some(customer) = app.config.customer(t.number.customer.as_str()) else { continue };
            let (plan, calendar) = app.sla(customer)?;
            rows.push((plan.rank, plan.name.clone(), calendar.zone(), t));
        }
        // Already oldest first: a stable sort by rank keeps that within each plan.
        rows.sort_by_key(|r| r.0);
        if rows.is_empty() {
            return Ok(Outcome::done(
                lang,
                say!(
                    lang,
                    "No signature change request is open.",
                    "No hay ninguna solicitud de cambio de firma abierta."
                ),
            ));
        }
        let n = rows.len();
        // With the record on: each request's sample, where its file was kept.
        let samples = match app.config.transcripts {
            Some(_) => app.store.samples(&rows.iter().map(|r| r.3.id).collect::<Vec<_>>()).await?,
            None => vec![],
        };
        let mut lines = vec![say!(
            lang,
            "Open signature change requests ({n}), premium first, then oldest:",
            "Solicitudes de cambio de firma abiertas ({n}), premium primero y luego las más antiguas:",
            n
        )];
        for (_, plan, zone, t) in &rows {
            let Some(r) = &t.signature else { continue };
            let (number, stage, kind, hash_kind, hash, opened) = (
                Span::strong(&t.number),
                words::stage(lang, r.stage),
                words::signature_kind(lang, r.kind),
                r.hash.kind().label(),
                r.hash.as_str(),
                Span::time(t.opened_at, Some(*zone), TimeStyle::Relative),
            );
            let mut line = say!(
                lang,
                "• {number} {plan} · {stage} · {kind} · {hash_kind} {hash} · filed {opened}",
                "• {number} {plan} · {stage} · {kind} · {hash_kind} {hash} · presentada {opened}",
                number,
                plan,
                stage,
                kind,
                hash_kind,
                hash,
                opened
            );
            for (_, name, size) in samples.iter().filter(|(id, ..)| *id == t.id) {
                let (name, size) = (Span::strong(name), crate::domain::record::size_words(*size));
                line.append(say!(
                    lang,
                    " · sample kept: {name} ({size})",
                    " · muestra guardada: {name} ({size})",
                    name,
                    size
                ));
            }
            lines.push(line);
        }
        Ok(Outcome::done(lang, Msg::join(lines, "\n")))
    }
}
