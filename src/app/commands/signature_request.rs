//! `/signature request kind hash product_version database_release [detection]
//! [details]` (contacts): the product missed an infected file or flagged a
//! clean one. The request is a ticket of kind `signature`, with its own
//! thread and card, on the `[signatures].severity` target of the plan.
//! It needs the latest antivirus databases (or the previous release, within
//! `[signatures].grace`); a file already under an open request of the
//! customer points to that request instead.

use serde::{Deserialize, Serialize};

use super::{Args, Chosen, Cx, Declared, Outcome, UsageError};
use crate::app::application::{refuse, App, AppError};
use crate::app::declare::{text, Access, Choice, Kind, Opt, Spec, SIGNATURE};
use crate::app::jobs::{Effect, Job};
use crate::app::msg::{say, Local, Msg, Span};
use crate::app::posts::{when, Facts, Post, ThreadPost};
use crate::app::refusal::Refusal;
use crate::app::words;
use crate::domain::customer::Snowflake;
use crate::domain::signature::{check_databases, FileHash, Label, Outdated, SignatureKind, SignatureRequest, Stage};
use crate::domain::text::{Clean, DETAILS_MAX};
use crate::domain::ticket::NewTicket;
use crate::storage::Queued;

pub static SPEC: Spec = Spec {
    group: Some(&SIGNATURE),
    name: Local::new("request", "solicitar"),
    description: Local::new(
        "Ask for a signature change: a false positive or negative (contacts)",
        "Pedir un cambio de firma: un falso positivo o negativo (contactos)",
    ),
    help: Local::new(
        "a signature change request for a misdetected file (contacts); needs the latest antivirus databases",
        "una solicitud de cambio de firma por un archivo mal detectado (contactos); requiere las últimas bases del antivirus",
    ),
    what: Local::new("file signature change requests", "presentar solicitudes de cambio de firma"),
    access: Access::Contacts,
    options: &[
        Opt {
            name: Local::new("kind", "tipo"),
            description: Local::new("What the product got wrong", "Qué hizo mal el producto"),
            kind: Kind::Choice(&[
                Choice { value: "false_positive", name: Local::new("false positive: a clean file flagged", "falso positivo: un archivo limpio detectado") },
                Choice { value: "false_negative", name: Local::new("false negative: an infected file missed", "falso negativo: un archivo infectado no detectado") },
            ]),
            required: true,
        },
        Opt {
            name: Local::new("hash", "hash"),
            description: Local::new("The file's MD5, SHA-1 or SHA-256, in hex", "El MD5, SHA-1 o SHA-256 del archivo, en hexadecimal"),
            kind: Kind::Hash,
            required: true,
        },
        Opt {
            name: Local::new("product_version", "versión_producto"),
            description: Local::new("The product's version", "La versión del producto"),
            kind: Kind::Label,
            required: true,
        },
        Opt {
            name: Local::new("database_release", "versión_bases"),
            description: Local::new("The antivirus databases' release the product runs", "La versión de las bases del antivirus que usa el producto"),
            kind: Kind::Label,
            required: true,
        },
        Opt {
            name: Local::new("detection", "detección"),
            description: Local::new("The detection's name, if the file was flagged", "El nombre de la detección, si se detectó"),
            kind: Kind::Label,
            required: false,
        },
        text(Local::new("details", "detalles"), Local::new("More about it", "Más detalles"), DETAILS_MAX, false),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSignature {
    pub kind: SignatureKind,
    pub hash: FileHash,
    pub product_version: Label,
    pub database_release: Label,
    pub detection: Option<Label>,
    pub details: Option<Clean>,
}

impl Declared for RequestSignature {
    fn parse(args: &Args) -> Result<Self, UsageError> {
        Ok(RequestSignature {
            kind: args.choice("kind")?,
            hash: args.hash("hash")?,
            product_version: args.label("product_version")?,
            database_release: args.label("database_release")?,
            detection: args.opt_label("detection")?,
            details: args.opt_text("details")?,
        })
    }
}

impl Chosen for SignatureKind {
    fn chosen(value: &str) -> Option<SignatureKind> {
        SignatureKind::parse(value)
    }
}

impl RequestSignature {
    pub(super) async fn apply(self, app: &App, cx: &Cx<'_>) -> Result<Outcome, AppError> {
        let (customer, contact) = cx.contact()?;
        let lang = cx.lang;
        if cx.inv.channel != customer.support_channel {
            return refuse(Refusal::WrongChannel { support_channel: customer.support_channel });
        }
        let now = app.now();
        let (plan, calendar) = app.sla(customer)?;
        // The latest-databases precondition.
        let named = &self.database_release;
        let releases = app.store.newest_releases(2).await?;
        let known = app.store.release_recorded(named).await?.is_some();
        let grace = chrono::Duration::from_std(app.config.signatures.grace).unwrap_or_default();
        if let Err(outdated) = check_databases(named, releases.first(), releases.get(1), known, now, grace) {
            let (reason, newest) = match &outdated {
                Outdated::Older { newest } => ("older", newest),
                Outdated::Unknown { newest } => ("unknown", newest),
            };
            let detail = serde_json::json!({
                "customer": customer.key.as_str(), "hash": self.hash.as_str(), "database_release": named.as_str(),
                "newest": newest.release.as_str(), "reason": reason,
            });
            // The refusal is an event of the audit trail, recorded once.
            let detail = detail.to_string();
            cx.write(async |claim| {
                app.store.record_audit(now, contact.user, "signature_refused", &detail, claim).await
            })
            .await?;
            let zone = calendar.zone();
            return refuse(match outdated {
                Outdated::Older { newest } => Refusal::DatabasesOutdated { named: named.clone(), newest, zone },
                Outdated::Unknown { newest } => {
                    Refusal::DatabasesUnknown { named: named.clone(), newest: newest.release }
                }
            });
        }
        if let Some(number) = app.store.open_request_for(&customer.key, &self.hash).await? {
            return refuse(Refusal::DuplicateRequest { number });
        }
        let severity = app.config.signatures.severity;
        let due_at = plan.targets.get(severity).due(calendar, now)?;
        let post_lang = customer.language;
        let summary = format!(
            "{}: {} {}",
            words::signature_kind(post_lang, self.kind),
            self.hash.kind().label(),
            self.hash.as_str()
        );
        let members = std::iter::once(contact.user).chain(customer.tams()).collect();
        let mut outbox: Vec<Queued> = Job::opening(members, vec![SignatureOpened { by: contact.user }.into()])
            .iter()
            .map(|j: &Effect| j.queued(now, Some(severity)))
            .collect();
        outbox.extend(app.schedule(customer, severity, (now, due_at), now, None)?);
        let request = SignatureRequest {
            kind: self.kind,
            hash: self.hash,
            product_version: self.product_version,
            database_release: self.database_release,
            detection: self.detection,
            stage: Stage::Received,
            fixed_in: None,
        };
        let new = NewTicket {
            customer: customer.key.clone(),
            opened_by: contact.user,
            severity,
            summary,
            details: self.details.map(Clean::into_string),
            product: Some(request.product_version.to_string()),
            opened_at: now,
            due_at,
            classified_by: None,
            signature: Some(request.clone()),
            logged_by: None,
        };
        let ticket = match cx.write(async |claim| app.store.open_ticket(&new, &outbox, claim).await).await {
            // Another request about the file was filed meanwhile.
            Err(crate::storage::StorageError::DuplicateRequest) => {
                match app.store.open_request_for(&customer.key, &request.hash).await? {
                    Some(number) => return refuse(Refusal::DuplicateRequest { number }),
                    None => return Err(crate::storage::StorageError::DuplicateRequest.into()),
                }
            }
            opened => opened?,
        };
        app.queued_jobs();
        tracing::info!(ticket = %ticket.number, hash = %request.hash, "signature change request filed");
        let (n, kind, hash_kind, due) = (
            Span::strong(&ticket.number),
            words::signature_kind(lang, request.kind),
            request.hash.kind().label(),
            when(due_at, calendar),
        );
        Ok(Outcome::done(
            lang,
            say!(
                lang,
                "Filed {n}: a signature change request ({kind}, {hash_kind}) for the specialist group. First response due {due}; its thread shows the progress.",
                "Presentada {n}: una solicitud de cambio de firma ({kind}, {hash_kind}) para el grupo de especialistas. Primera respuesta antes de {due}; su hilo muestra el progreso.",
                n,
                kind,
                hash_kind,
                due
            ),
        ))
    }
}

/// The request's first post: the specialist group's news of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureOpened {
    pub by: Snowflake,
}

impl ThreadPost for SignatureOpened {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        signature_opened(f, self.by).into_iter().collect()
    }
}

/// The specialist group's news of a request, in its thread.
fn signature_opened(f: &Facts, by: Snowflake) -> Option<Post> {
    let (lang, ticket) = (f.lang(), f.ticket);
    let r: &SignatureRequest = ticket.signature.as_ref()?;
    let specialists: Vec<Snowflake> = f.specialist_role.into_iter().collect();
    let mut msg = Msg::default();
    for role in &specialists {
        msg.push(Span::role(*role));
        msg.push_text(" ");
    }
    let (n, who, kind, hash_kind, hash) = (
        Span::strong(&ticket.number),
        Span::user(by),
        words::signature_kind(lang, r.kind),
        r.hash.kind().label(),
        r.hash.as_str(),
    );
    let (version, release) = (&r.product_version, &r.database_release);
    msg.append(say!(
        lang,
        "New signature change request {n} from {who}: {kind}, {hash_kind} {hash}, product {version}, databases {release}.",
        "Nueva solicitud de cambio de firma {n} de {who}: {kind}, {hash_kind} {hash}, producto {version}, bases de datos {release}.",
        n,
        who,
        kind,
        hash_kind,
        hash,
        version,
        release
    ));
    if let Some(detection) = &r.detection {
        msg.append(say!(lang, " Detected as {detection}.", " Detectado como {detection}.", detection));
    }
    if let Some(details) = &ticket.details {
        msg.push_text(&format!("\n{details}"));
    }
    Some(Post { roles: specialists, ..Post::thread(msg, vec![]) })
}
