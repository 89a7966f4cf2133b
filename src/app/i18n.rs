//! English and Spanish: the names of severities and card states, and the one
//! place where refusals are worded. Who reads decides the language: a reply
//! is in the caller's (their Discord locale), a post in a ticket's thread in
//! the customer's. Each text is written once per language, side by side
//! (`say!`), so a change to one is seen next to the other.

use super::commands::{Kind, Problem, Spec, UsageError};
use super::msg::{say, Msg, Span, TimeStyle};
use super::refusal::Refusal;
use crate::app::card::CardStatus;
use crate::domain::customer::Language;
use crate::domain::signature::{SignatureKind, Stage, StageRefusal};
use crate::domain::sla::Severity;
use crate::domain::text::TextError;
use crate::domain::ticket::{self, TicketState};

/// `L1 Critical` / `L1 Crítica`.
pub fn severity(lang: Language, s: Severity) -> String {
    match lang {
        Language::En => s.to_string(),
        Language::Es => {
            let name = match s {
                Severity::Critical => "Crítica",
                Severity::High => "Alta",
                Severity::Medium => "Media",
                Severity::Low => "Baja",
            };
            format!("L{} {name}", s.level())
        }
    }
}

pub fn status(lang: Language, s: CardStatus) -> &'static str {
    match (lang, s) {
        (Language::En, _) => s.label(),
        (Language::Es, CardStatus::Green) => "esperando la primera respuesta",
        (Language::Es, CardStatus::Amber) => "esperando: consumida la mitad del tiempo de respuesta",
        (Language::Es, CardStatus::Red) => "esperando: la respuesta vence pronto",
        (Language::Es, CardStatus::Breached) => "objetivo de respuesta INCUMPLIDO",
        (Language::Es, CardStatus::Acknowledged) => "con acuse de recibo",
        (Language::Es, CardStatus::Closed) => "cerrado",
    }
}

/// A signature change request's stage inside a sentence.
pub fn stage(lang: Language, s: Stage) -> &'static str {
    match (lang, s) {
        (Language::En, Stage::Received) => "received",
        (Language::En, Stage::Analysing) => "analysing",
        (Language::En, Stage::FixScheduled) => "fix scheduled",
        (Language::En, Stage::Released) => "released",
        (Language::En, Stage::Confirmed) => "confirmed",
        (Language::En, Stage::Rejected) => "rejected",
        (Language::Es, Stage::Received) => "recibida",
        (Language::Es, Stage::Analysing) => "en análisis",
        (Language::Es, Stage::FixScheduled) => "corrección programada",
        (Language::Es, Stage::Released) => "publicada",
        (Language::Es, Stage::Confirmed) => "confirmada",
        (Language::Es, Stage::Rejected) => "rechazada",
    }
}

/// A ticket's status in lists: the card's status, and for a signature
/// change request its stage (`signature request analysing`).
pub fn ticket_status(lang: Language, card: &crate::app::Card) -> String {
    let Some(request) = &card.ticket.signature else { return status(lang, card.status).to_owned() };
    let (what, st) = (request_marker(lang), stage(lang, request.stage));
    match card.status {
        CardStatus::Acknowledged | CardStatus::Closed => format!("{what} {st}"),
        waiting => format!("{what} {st} · {}", status(lang, waiting)),
    }
}

/// How lists mark a signature change request.
pub fn request_marker(lang: Language) -> &'static str {
    match lang {
        Language::En => "signature request",
        Language::Es => "solicitud de firma",
    }
}

/// What a request reports: `false positive` / `falso positivo`.
pub fn signature_kind(lang: Language, k: SignatureKind) -> &'static str {
    match (lang, k) {
        (Language::En, SignatureKind::FalsePositive) => "false positive",
        (Language::En, SignatureKind::FalseNegative) => "false negative",
        (Language::Es, SignatureKind::FalsePositive) => "falso positivo",
        (Language::Es, SignatureKind::FalseNegative) => "falso negativo",
    }
}

/// A ticket's state inside a sentence.
pub fn state(lang: Language, s: TicketState) -> &'static str {
    match (lang, s) {
        (Language::En, s) => s.as_str(),
        (Language::Es, TicketState::Open) => "abierto",
        (Language::Es, TicketState::Acknowledged) => "con acuse de recibo",
        (Language::Es, TicketState::Closed) => "cerrado",
        (Language::Es, TicketState::Reopened) => "reabierto",
    }
}

/// The apology for a failure on our side (logged in full where it happened).
pub fn failed(lang: Language, command: &Spec) -> Msg {
    let name = format!("/{}", command.path(lang));
    say!(
        lang,
        "Sorry, {name} failed on our side and the error has been logged. Please try again in a moment; \
         if it is urgent, phone the priority line.",
        "Lo sentimos: {name} ha fallado por nuestra parte y el error ha quedado registrado. Inténtalo de \
         nuevo en un momento; si es urgente, llama a la línea prioritaria.",
        name
    )
}

/// Why a command was refused, and what to do instead.
pub fn refusal(lang: Language, r: &Refusal) -> Msg {
    match r {
        Refusal::Usage(u) => usage(lang, u),
        Refusal::NotRegistered => say!(
            lang,
            "You are not a registered technical contact of any customer, so you cannot do this. \
             Ask your Technical Account Manager to add you with /contacts add.",
            "No eres contacto técnico registrado de ningún cliente, así que no puedes hacer esto. \
             Pide a tu Technical Account Manager que te añada con /contactos añadir."
        ),
        Refusal::StaffOnly { command } => {
            let what = command.what.get(lang);
            say!(
                lang,
                "Only support staff and TAMs can {what}. If you need this, ask your TAM in your support channel.",
                "Solo el equipo de soporte y los TAM pueden {what}. Si lo necesitas, pídeselo a tu TAM en tu canal de soporte.",
                what
            )
        }
        Refusal::SpecialistsOnly { command } => {
            let what = command.what.get(lang);
            say!(
                lang,
                "Only support staff and the specialist group can {what}.",
                "Solo el equipo de soporte y el grupo de especialistas pueden {what}.",
                what
            )
        }
        Refusal::NotForSpecialists { command } => {
            let command = format!("/{}", command.path(lang));
            say!(
                lang,
                "{command} is for customers' contacts and support staff; the specialist group works with /signature queue and /signature advance.",
                "{command} es para los contactos de los clientes y el equipo de soporte; el grupo de especialistas trabaja con /firma cola y /firma avanzar.",
                command
            )
        }
        Refusal::ContactsOnly { command } => {
            let what = command.what.get(lang);
            say!(
                lang,
                "Only the customer's registered technical contacts can {what}, so that the SLA clock runs for them. \
                 Ask a contact to do it, or add the person with /contacts add.",
                "Solo los contactos técnicos registrados del cliente pueden {what}, para que el reloj del SLA corra \
                 para ellos. Pide a un contacto que lo haga, o añade a la persona con /contactos añadir.",
                what
            )
        }
        Refusal::WrongChannel { support_channel } => {
            let channel = Span::channel(*support_channel);
            say!(lang, "Open tickets in your support channel {channel}.", "Abre los tickets en tu canal de soporte {channel}.", channel)
        }
        Refusal::NoCustomerHere => say!(
            lang,
            "This channel belongs to no customer. Run the command in the customer's support channel or in one of its ticket threads.",
            "Este canal no es de ningún cliente. Usa el comando en el canal de soporte del cliente o en uno de sus hilos de ticket."
        ),
        Refusal::NotInThread { command } => {
            let command = format!("/{}", command.path(lang));
            say!(
                lang,
                "Use {command} inside a ticket's thread (or give the ticket number where the command takes one).",
                "Usa {command} dentro del hilo de un ticket (o indica el número del ticket si el comando lo admite).",
                command
            )
        }
        Refusal::NoSuchTicket { number } => say!(
            lang,
            "There is no ticket {number} among your tickets. /ticket list shows them.",
            "No hay ningún ticket {number} entre los tuyos. /ticket lista los muestra.",
            number
        ),
        Refusal::CustomerGone { number } => say!(
            lang,
            "{number} belongs to a customer that is no longer configured.",
            "{number} es de un cliente que ya no está configurado.",
            number
        ),
        Refusal::Ticket { number, refusal, zone } => ticket_refusal(lang, number, refusal, *zone),
        Refusal::Conflict { number } => say!(
            lang,
            "{number} changed while you were acting on it. Look at it again with /ticket status number:{number} and retry.",
            "{number} cambió mientras actuabas sobre él. Vuelve a mirarlo con /ticket estado número:{number} e inténtalo otra vez.",
            number
        ),
        Refusal::ContactLimit { customer, active, user } => {
            let user = Span::user(*user);
            say!(
                lang,
                "{customer} already has {active} active technical contacts, the most the premium package allows. \
                 Remove one with /contacts remove user:@someone to free a seat, then add {user} again.",
                "{customer} ya tiene {active} contactos técnicos activos, el máximo que permite el paquete premium. \
                 Quita uno con /contactos quitar usuario:@alguien para liberar una plaza y vuelve a añadir a {user}.",
                customer,
                active,
                user
            )
        }
        Refusal::AlreadyContact { user, customer } => {
            let user = Span::user(*user);
            say!(lang, "{user} is already a technical contact of {customer}.", "{user} ya es contacto técnico de {customer}.", user, customer)
        }
        Refusal::ContactOfAnother { user, other } => {
            let user = Span::user(*user);
            say!(
                lang,
                "{user} is a technical contact of another customer ({other}); a person can be a contact of one \
                 customer at a time. Remove them there first.",
                "{user} es contacto técnico de otro cliente ({other}); una persona solo puede ser contacto de un \
                 cliente a la vez. Quítala allí primero.",
                user,
                other
            )
        }
        Refusal::NotAContact { user, customer } => {
            let user = Span::user(*user);
            say!(
                lang,
                "{user} is not an active contact of {customer}; /contacts list shows who is.",
                "{user} no es contacto activo de {customer}; /contactos lista muestra quién lo es.",
                user,
                customer
            )
        }
        Refusal::UnknownCustomer { key, known } => {
            let known = known.join(", ");
            say!(
                lang,
                "No customer has the key {key}: write one of {known}, or leave customer out for all of them.",
                "Ningún cliente tiene la clave {key}: escribe una de {known}, o no indiques cliente para verlos todos.",
                key,
                known
            )
        }
        Refusal::UnknownButton => say!(
            lang,
            "This button is no longer in use. Use /ack in the ticket's thread.",
            "Este botón ya no se usa. Usa /acuse en el hilo del ticket."
        ),
        Refusal::DatabasesOutdated { named, newest, zone } => {
            let (release, since) = (&newest.release, Span::time(newest.at, Some(*zone), TimeStyle::FullRelative));
            say!(
                lang,
                "Your antivirus databases ({named}) are older than the newest release, {release}, published {since}. \
                 Update the databases, scan the file again, and if it is still misdetected, file the request again.",
                "Tus bases del antivirus ({named}) son anteriores a la versión más reciente, {release}, publicada el {since}. \
                 Actualiza las bases, vuelve a analizar el archivo y, si sigue mal detectado, presenta de nuevo la solicitud.",
                named,
                release,
                since
            )
        }
        Refusal::DatabasesUnknown { named, newest } => say!(
            lang,
            "There is no database release {named}; the newest is {newest}. Check the release your product shows, update if it is older, and file the request again.",
            "No existe la versión de bases {named}; la más reciente es {newest}. Comprueba la versión que muestra tu producto, actualiza si es anterior y presenta de nuevo la solicitud.",
            named,
            newest
        ),
        Refusal::DuplicateRequest { number } => say!(
            lang,
            "This file already has an open request of yours: {number}. /ticket status number:{number} shows its progress.",
            "Este archivo ya tiene una solicitud tuya abierta: {number}. /ticket estado número:{number} muestra su progreso.",
            number
        ),
        Refusal::ReleaseRecorded { release, at } => {
            let at = Span::time(*at, None, TimeStyle::FullRelative);
            say!(lang, "Release {release} was recorded before, {at}.", "La versión {release} ya se registró, el {at}.", release, at)
        }
        Refusal::NotYourRequest { number } => say!(
            lang,
            "Only the contact who filed {number} can confirm its fix; ask them, or support staff.",
            "Solo el contacto que presentó {number} puede confirmar su corrección; pídeselo, o al equipo de soporte.",
            number
        ),
        Refusal::NotAnEmail { email } => {
            say!(lang, "\"{email}\" is not an e-mail address.", "\"{email}\" no es una dirección de correo.", email)
        }
    }
}

/// Why the ticket state machine refused a change.
fn ticket_refusal(lang: Language, n: &ticket::TicketNumber, r: &ticket::Refusal, zone: chrono_tz::Tz) -> Msg {
    use ticket::Refusal::*;
    match r {
        ClosedCannotAcknowledge => say!(
            lang,
            "{n} is closed: reopen it with /ticket reopen number:{n} first",
            "{n} está cerrado: reábrelo antes con /ticket reabrir número:{n}",
            n
        ),
        AlreadyAcknowledged { by, at } => {
            let (by, at) = (Span::user(*by), Span::time(*at, Some(zone), TimeStyle::Full));
            say!(lang, "{n} was already acknowledged by {by} at {at}", "{by} ya acusó recibo de {n} el {at}", n, by, at)
        }
        ClosedCannotReclassify => say!(
            lang,
            "{n} is closed: reopen it before changing its severity",
            "{n} está cerrado: reábrelo antes de cambiar su severidad",
            n
        ),
        SameSeverity(s) => {
            let s = severity(lang, *s);
            say!(lang, "{n} is already {s}", "{n} ya es {s}", n, s)
        }
        AlreadyClosed => say!(lang, "{n} is already closed", "{n} ya está cerrado", n),
        NotClosed(s) => {
            let s = state(lang, *s);
            say!(
                lang,
                "{n} is not closed ({s}), so there is nothing to reopen",
                "{n} no está cerrado ({s}): no hay nada que reabrir",
                n,
                s
            )
        }
        NotASignatureRequest => {
            say!(lang, "{n} is not a signature change request", "{n} no es una solicitud de cambio de firma", n)
        }
        AnsweredByStage => say!(
            lang,
            "{n} is a signature change request: its first response is /signature advance number:{n} stage:analysing",
            "{n} es una solicitud de cambio de firma: su primera respuesta es /firma avanzar número:{n} etapa:analysing",
            n
        ),
        EndedByStage => say!(
            lang,
            "{n} is a signature change request: it ends when confirmed, or with /signature advance number:{n} stage:rejected note:<the reason>",
            "{n} es una solicitud de cambio de firma: termina al confirmarse, o con /firma avanzar número:{n} etapa:rejected nota:<el motivo>",
            n
        ),
        RequestFinished(s) => {
            let s = stage(lang, *s);
            say!(
                lang,
                "{n} is {s} and stays so: if the file needs another change, file a new /signature request",
                "{n} está {s} y así queda: si el archivo necesita otro cambio, presenta una nueva /firma solicitar",
                n,
                s
            )
        }
        Stage(StageRefusal::NotAllowed { from, to, allowed }) => {
            let (from, to) = (stage(lang, *from), stage(lang, *to));
            let allowed = allowed.iter().map(|s| stage(lang, *s)).collect::<Vec<_>>();
            match allowed.is_empty() {
                true => say!(
                    lang,
                    "{n} is {from}, and a request that is {from} moves no further",
                    "{n} está {from}, y una solicitud {from} ya no avanza",
                    n,
                    from
                ),
                false => {
                    let allowed = allowed.join(", ");
                    say!(
                        lang,
                        "{n} is {from}: it can move to {allowed}, not to {to}",
                        "{n} está {from}: puede pasar a {allowed}, no a {to}",
                        n,
                        from,
                        allowed,
                        to
                    )
                }
            }
        }
        Stage(StageRefusal::ReleaseNeeded) => say!(
            lang,
            "Moving {n} to released needs the database release that fixes it: add release:<id>",
            "Para publicar {n} hace falta la versión de las bases de datos que lo corrige: añade versión:<id>",
            n
        ),
        Stage(StageRefusal::ReasonNeeded) => say!(
            lang,
            "Rejecting {n} needs a reason the contact will read: add note:<why>",
            "Para rechazar {n} hace falta un motivo para el contacto: añade nota:<por qué>",
            n
        ),
    }
}

/// Input that is not a command as declared, with its usage in `lang`.
fn usage(lang: Language, u: &UsageError) -> Msg {
    match u {
        UsageError::NoCommand => {
            say!(lang, "A command name is missing after /.", "Falta el nombre del comando tras /.")
        }
        UsageError::UnknownCommand { typed } => {
            let known =
                super::commands::ALL.iter().map(|e| format!("/{}", e.spec.path(lang))).collect::<Vec<_>>().join(", ");
            say!(
                lang,
                "unknown command /{typed}. Commands: {known}",
                "no existe el comando /{typed}. Comandos: {known}",
                typed,
                known
            )
        }
        UsageError::UnknownOption { command, typed } => {
            let (path, usage) = (command.path(lang), command.usage(lang));
            say!(
                lang,
                "/{path} has no option \"{typed}\"; usage: {usage}",
                "/{path} no tiene la opción \"{typed}\"; uso: {usage}",
                path,
                typed,
                usage
            )
        }
        UsageError::Missing { command, option } => {
            let (path, name, usage) = (command.path(lang), option.name.get(lang), command.usage(lang));
            say!(
                lang,
                "/{path} needs {name}:…; usage: {usage}",
                "/{path} necesita {name}:…; uso: {usage}",
                path,
                name,
                usage
            )
        }
        UsageError::Invalid { option, value, problem, .. } => {
            let name = option.name.get(lang);
            match problem {
                Problem::Text(TextError::Empty) => {
                    say!(lang, "{name} is empty: write a few words", "{name} está vacío: escribe unas palabras", name)
                }
                Problem::Text(TextError::TooLong { count, max }) => say!(
                    lang,
                    "{name} is {count} characters long; the limit is {max}: shorten it",
                    "{name} tiene {count} caracteres; el límite es {max}: acórtalo",
                    name,
                    count,
                    max
                ),
                Problem::NotASeverity => say!(
                    lang,
                    "{name}:{value} is not a severity level: write 1 (critical) to 4 (low)",
                    "{name}:{value} no es un nivel de severidad: escribe de 1 (crítica) a 4 (baja)",
                    name,
                    value
                ),
                Problem::NotATicketNumber => say!(
                    lang,
                    "{name}:{value} is not a ticket number: write it like ACME-42",
                    "{name}:{value} no es un número de ticket: escríbelo como ACME-42",
                    name,
                    value
                ),
                Problem::NotAUser => say!(
                    lang,
                    "{name}:{value} is not a user: mention them (@name) or give their id",
                    "{name}:{value} no es un usuario: menciónalo (@nombre) o da su id",
                    name,
                    value
                ),
                Problem::NotAHash(why) => say!(
                    lang,
                    "{name}:{value} is not a file's hash ({why}): give its MD5, SHA-1 or SHA-256 in hex",
                    "{name}:{value} no es el hash de un archivo ({why}): indica su MD5, SHA-1 o SHA-256 en hexadecimal",
                    name,
                    value,
                    why
                ),
                Problem::NotALabel(why) => say!(
                    lang,
                    "{name}:{value} cannot be used ({why}): write it as the product shows it",
                    "{name}:{value} no sirve ({why}): escríbelo como lo muestra el producto",
                    name,
                    value,
                    why
                ),
                Problem::NotAWeek(why) => say!(
                    lang,
                    "{name}:{value} is not a week ({why})",
                    "{name}:{value} no es una semana ({why}): escribe AAAA-Wss, como 2026-W48",
                    name,
                    value,
                    why
                ),
                Problem::NotACustomer(why) => say!(
                    lang,
                    "{name}:{value} is not a customer key ({why})",
                    "{name}:{value} no es la clave de un cliente ({why}): escribe una como ACME",
                    name,
                    value,
                    why
                ),
                Problem::NotAChoice => {
                    let choices = match &option.kind {
                        Kind::Choice(choices) => {
                            choices.iter().map(|c| format!("{name}:{}", c.name.get(lang))).collect::<Vec<_>>()
                        }
                        _ => Vec::new(),
                    };
                    let choices = choices.join(", ");
                    say!(
                        lang,
                        "{name}:{value} is not a choice: write one of {choices}",
                        "{name}:{value} no es una opción: escribe una de {choices}",
                        name,
                        value,
                        choices
                    )
                }
            }
        }
    }
}
