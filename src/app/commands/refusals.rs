//! Why a command was refused, and what to do instead, in English and
//! Spanish: the one place where [`Refusal`]s and usage errors are worded.
//! A refusal that points the reader to another command writes it from that
//! command's declaration (`SPEC.mention`), so renaming a command or an
//! option renames it here too.

use super::{
    ack, contacts_add, contacts_list, contacts_remove, signature_advance, signature_queue, signature_request, summary,
    ticket_list, ticket_open, ticket_reopen, ticket_status, ticket_wait,
};
use crate::app::args::{Problem, UsageError};
use crate::app::declare::{Kind, Spec};
use crate::app::msg::{say, Msg, Span, TimeStyle};
use crate::app::refusal::Refusal;
use crate::app::words::{severity, stage, state};
use crate::domain::customer::Language;
use crate::domain::signature::StageRefusal;
use crate::domain::text::TextError;
use crate::domain::ticket;

/// The apology for a failure on our side (logged in full where it happened).
pub fn failed(lang: Language, command: &Spec) -> Msg {
    let name = command.mention(lang, &[]);
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
        Refusal::NotRegistered => {
            let add = contacts_add::SPEC.mention(lang, &[]);
            say!(
                lang,
                "You are not a registered technical contact of any customer, so you cannot do this. \
                 Ask your Technical Account Manager to add you with {add}.",
                "No eres contacto técnico registrado de ningún cliente, así que no puedes hacer esto. \
                 Pide a tu Technical Account Manager que te añada con {add}.",
                add
            )
        }
        Refusal::StaffOnly { command } => {
            let what = command.what.get(lang);
            say!(
                lang,
                "Only support staff and TAMs can {what}. If you need this, ask your TAM in your support channel.",
                "Solo el equipo de soporte y los TAM pueden {what}. Si lo necesitas, pídeselo a tu TAM en tu canal de soporte.",
                what
            )
        }
        Refusal::StaffRoleOnly { command } => {
            let what = command.what.get(lang);
            say!(
                lang,
                "Only members of the support staff role can {what}: it concerns every customer, and a TAM acts for their own customers only.",
                "Solo quienes tienen el rol del equipo de soporte pueden {what}: afecta a todos los clientes, y un TAM actúa solo para los suyos.",
                what
            )
        }
        Refusal::OutsideYourCustomers { customers } => {
            let customers = customers.join(", ");
            say!(
                lang,
                "As their TAM you act for {customers} only, and this is another customer's. Run the command in your customer's support channel or in one of its ticket threads.",
                "Como TAM actúas solo para {customers}, y esto es de otro cliente. Usa el comando en el canal de soporte de tu cliente o en uno de sus hilos de ticket.",
                customers
            )
        }
        Refusal::WhichCustomer { known } => {
            let example = summary::SPEC.mention(lang, &[("customer", known.first().map_or("", String::as_str))]);
            let known = known.join(", ");
            say!(
                lang,
                "You look after several customers: say which one, as in {example} (one of {known}).",
                "Atiendes a varios clientes: indica cuál, como en {example} (uno de {known}).",
                example,
                known
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
            let command = command.mention(lang, &[]);
            let (queue, advance) = (signature_queue::SPEC.mention(lang, &[]), signature_advance::SPEC.mention(lang, &[]));
            say!(
                lang,
                "{command} is for customers' contacts and support staff; the specialist group works with {queue} and {advance}.",
                "{command} es para los contactos de los clientes y el equipo de soporte; el grupo de especialistas trabaja con {queue} y {advance}.",
                command,
                queue,
                advance
            )
        }
        Refusal::ContactsOnly { command } => {
            let (what, add) = (command.what.get(lang), contacts_add::SPEC.mention(lang, &[]));
            say!(
                lang,
                "Only the customer's registered technical contacts can {what}. \
                 Ask a contact to do it, or add the person with {add}.",
                "Solo los contactos técnicos registrados del cliente pueden {what}. \
                 Pide a un contacto que lo haga, o añade a la persona con {add}.",
                what,
                add
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
        Refusal::BareNumber { seq } => say!(
            lang,
            "Here {seq} alone does not say whose ticket it is: write the number with its customer, like ACME-{seq} (in a customer's channel or threads {seq} is enough).",
            "Aquí {seq} a secas no dice de quién es el ticket: escribe el número con su cliente, como ACME-{seq} (en el canal de un cliente o sus hilos basta con {seq}).",
            seq
        ),
        Refusal::NotInThread { command } => {
            let command = command.mention(lang, &[]);
            say!(
                lang,
                "Use {command} inside a ticket's thread (or give the ticket number where the command takes one).",
                "Usa {command} dentro del hilo de un ticket (o indica el número del ticket si el comando lo admite).",
                command
            )
        }
        Refusal::NoSuchTicket { number } => {
            let list = ticket_list::SPEC.mention(lang, &[]);
            say!(
                lang,
                "There is no ticket {number} among your tickets. {list} shows them.",
                "No hay ningún ticket {number} entre los tuyos. {list} los muestra.",
                number,
                list
            )
        }
        Refusal::CustomerGone { number } => say!(
            lang,
            "{number} belongs to a customer that is no longer configured.",
            "{number} es de un cliente que ya no está configurado.",
            number
        ),
        Refusal::Ticket { number, refusal, zone } => ticket_refusal(lang, number, refusal, *zone),
        Refusal::Conflict { number } => {
            let status = ticket_status::SPEC.mention(lang, &[("number", &number.to_string())]);
            say!(
                lang,
                "{number} changed while you were acting on it. Look at it again with {status} and retry.",
                "{number} cambió mientras actuabas sobre él. Vuelve a mirarlo con {status} e inténtalo otra vez.",
                number,
                status
            )
        }
        Refusal::ContactLimit { customer, active, user } => {
            let user = Span::user(*user);
            let someone = crate::app::msg::Local::new("@someone", "@alguien").get(lang);
            let remove = contacts_remove::SPEC.mention(lang, &[("user", someone)]);
            say!(
                lang,
                "{customer} already has {active} active technical contacts, the most the premium package allows. \
                 Remove one with {remove} to free a seat, then add {user} again.",
                "{customer} ya tiene {active} contactos técnicos activos, el máximo que permite el paquete premium. \
                 Quita uno con {remove} para liberar una plaza y vuelve a añadir a {user}.",
                customer,
                active,
                remove,
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
            let (user, list) = (Span::user(*user), contacts_list::SPEC.mention(lang, &[]));
            say!(
                lang,
                "{user} is not an active contact of {customer}; {list} shows who is.",
                "{user} no es contacto activo de {customer}; {list} muestra quién lo es.",
                user,
                customer,
                list
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
        Refusal::TranscriptsOff => say!(
            lang,
            "This bot keeps no record of tickets' threads, so it has no transcript: its operators turn it on with \
             [transcripts] in its configuration.",
            "Este bot no guarda registro de los hilos de los tickets, así que no tiene transcripciones: sus \
             operadores lo activan con [transcripts] en su configuración."
        ),
        Refusal::UnknownButton => {
            let ack = ack::SPEC.mention(lang, &[]);
            say!(
                lang,
                "This button is no longer in use. Use {ack} in the ticket's thread.",
                "Este botón ya no se usa. Usa {ack} en el hilo del ticket.",
                ack
            )
        }
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
        Refusal::DuplicateRequest { number } => {
            let status = ticket_status::SPEC.mention(lang, &[("number", &number.to_string())]);
            say!(
                lang,
                "This file already has an open request of yours: {number}. {status} shows its progress.",
                "Este archivo ya tiene una solicitud tuya abierta: {number}. {status} muestra su progreso.",
                number,
                status
            )
        }
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
        Refusal::PhoneTicketsByStaff => {
            let contact = ticket_open::SPEC.option_named("contact", lang);
            say!(
                lang,
                "Only support staff log a ticket taken by phone for a contact. To open your own ticket, leave {contact}: out.",
                "Solo el equipo de soporte registra un ticket recibido por teléfono para un contacto. Para abrir el tuyo, omite {contact}:.",
                contact
            )
        }
        Refusal::PhoneTicketNeedsContact { command } => {
            let them = crate::app::msg::Local::new("@them", "@contacto").get(lang);
            let open = command.mention(lang, &[("summary", "\"…\""), ("contact", them)]);
            say!(
                lang,
                "Staff open a ticket for the contact who phoned it in: {open}",
                "El equipo de soporte abre el ticket para el contacto que llamó: {open}",
                open
            )
        }
        Refusal::PhoneNotAContact { user, customer } => {
            let them = crate::app::msg::Local::new("@them", "@contacto").get(lang);
            let (user, add) = (Span::user(*user), contacts_add::SPEC.mention(lang, &[("user", them)]));
            say!(
                lang,
                "{user} is not a registered technical contact of {customer}: add them with {add} first, then log the ticket.",
                "{user} no es contacto técnico registrado de {customer}: añádelo antes con {add} y registra luego el ticket.",
                user,
                customer,
                add
            )
        }
        Refusal::PhoneContactOfAnother { user, channel } => {
            let (user, channel) = (Span::user(*user), Span::channel(*channel));
            say!(
                lang,
                "{user} is a technical contact of another customer: log their ticket in {channel}.",
                "{user} es contacto técnico de otro cliente: registra su ticket en {channel}.",
                user,
                channel
            )
        }
        Refusal::NotStaff { user } => {
            let user = Span::user(*user);
            say!(
                lang,
                "{user} is not support staff: a ticket's owner is someone with the staff role, or the customer's TAM.",
                "{user} no es del equipo de soporte: el responsable de un ticket tiene el rol de soporte o es el TAM del cliente.",
                user
            )
        }
        Refusal::NotAnEmail { email } => {
            say!(lang, "\"{email}\" is not an e-mail address.", "\"{email}\" no es una dirección de correo.", email)
        }
    }
}

/// Why the ticket state machine refused a change.
fn ticket_refusal(lang: Language, n: &ticket::TicketNumber, r: &ticket::Refusal, zone: chrono_tz::Tz) -> Msg {
    use ticket::Refusal::*;
    match r {
        ClosedCannotAcknowledge | ClosedNoFollowUp => {
            let reopen = ticket_reopen::SPEC.mention(lang, &[("number", &n.to_string())]);
            say!(
                lang,
                "{n} is closed: reopen it with {reopen} first",
                "{n} está cerrado: reábrelo antes con {reopen}",
                n,
                reopen
            )
        }
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
        RatedWhenClosed(s) => {
            let s = state(lang, *s);
            say!(
                lang,
                "{n} is {s}: it can be rated once it is closed",
                "{n} está {s}: se puede valorar cuando esté cerrado",
                n,
                s
            )
        }
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
        AnsweredByStage => {
            let analysing =
                signature_advance::SPEC.mention(lang, &[("number", &n.to_string()), ("stage", "analysing")]);
            say!(
                lang,
                "{n} is a signature change request: its first response is {analysing}",
                "{n} es una solicitud de cambio de firma: su primera respuesta es {analysing}",
                n,
                analysing
            )
        }
        EndedByStage => {
            let reason = crate::app::msg::Local::new("<the reason>", "<el motivo>").get(lang);
            let reject = signature_advance::SPEC
                .mention(lang, &[("number", &n.to_string()), ("stage", "rejected"), ("note", reason)]);
            say!(
                lang,
                "{n} is a signature change request: it ends when confirmed, or with {reject}",
                "{n} es una solicitud de cambio de firma: termina al confirmarse, o con {reject}",
                n,
                reject
            )
        }
        RequestFinished(s) => {
            let (s, request) = (stage(lang, *s), signature_request::SPEC.mention(lang, &[]));
            say!(
                lang,
                "{n} is {s} and stays so: if the file needs another change, file a new {request}",
                "{n} está {s} y así queda: si el archivo necesita otro cambio, presenta una nueva {request}",
                n,
                s,
                request
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
        Stage(StageRefusal::ReleaseNeeded) => {
            let release = signature_advance::SPEC.option_named("release", lang);
            say!(
                lang,
                "Moving {n} to released needs the database release that fixes it: add {release}:<id>",
                "Para publicar {n} hace falta la versión de las bases de datos que lo corrige: añade {release}:<id>",
                n,
                release
            )
        }
        NotAnsweredYet => {
            let ack = ack::SPEC.mention(lang, &[]);
            say!(
                lang,
                "{n} has had no first response yet: acknowledge it with {ack} in its thread first",
                "{n} aún no tiene primera respuesta: acusa recibo antes con {ack} en su hilo",
                n,
                ack
            )
        }
        AlreadyOwner(owner) => {
            let owner = Span::user(*owner);
            say!(lang, "{owner} owns {n} already", "{owner} ya se encarga de {n}", owner, n)
        }
        AlreadyWaiting { since } => {
            let since = Span::time(*since, Some(zone), TimeStyle::Full);
            say!(
                lang,
                "{n} has been waiting on the customer since {since}",
                "{n} espera al cliente desde el {since}",
                n,
                since
            )
        }
        NotWaiting => {
            let wait = ticket_wait::SPEC.mention(lang, &[]);
            say!(
                lang,
                "{n} is not waiting on the customer: there is nothing to resume ({wait} puts it on hold)",
                "{n} no está esperando al cliente: no hay nada que reanudar ({wait} lo deja en espera)",
                n,
                wait
            )
        }
        Stage(StageRefusal::ReasonNeeded) => {
            let note = signature_advance::SPEC.option_named("note", lang);
            say!(
                lang,
                "Rejecting {n} needs a reason the contact will read: add {note}:<why>",
                "Para rechazar {n} hace falta un motivo para el contacto: añade {note}:<por qué>",
                n,
                note
            )
        }
    }
}

/// Input that is not a command as declared, with its usage in `lang`.
fn usage(lang: Language, u: &UsageError) -> Msg {
    match u {
        UsageError::NoCommand => {
            say!(lang, "A command name is missing after /.", "Falta el nombre del comando tras /.")
        }
        UsageError::UnknownCommand { typed } => {
            let known = super::ALL.iter().map(|e| format!("/{}", e.spec.path(lang))).collect::<Vec<_>>().join(", ");
            say!(
                lang,
                "unknown command /{typed}. Commands: {known}",
                "no existe el comando /{typed}. Comandos: {known}",
                typed,
                known
            )
        }
        // A command reading an option as it did not declare it: our bug.
        UsageError::Undeclared { command, .. } => failed(lang, command),
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
                    "{name}:{value} is not a ticket number: write it like ACME-42, or 42 in the customer's channel",
                    "{name}:{value} no es un número de ticket: escríbelo como ACME-42, o 42 en el canal del cliente",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::commands::ALL;
    use crate::app::msg::Span;
    use crate::domain::customer::Snowflake;
    use crate::domain::signature::{Recorded, Stage};
    use crate::domain::ticket::TicketState;

    /// One refusal of every kind (a new kind needs its sample here).
    fn samples() -> Vec<Refusal> {
        let number: ticket::TicketNumber = "ACME-3".parse().unwrap();
        let spec = ALL[0].spec;
        let zone = chrono_tz::Tz::UTC;
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ticket = |refusal| Refusal::Ticket { number: number.clone(), refusal, zone };
        let mut all = vec![
            Refusal::Usage(UsageError::NoCommand),
            Refusal::NotRegistered,
            Refusal::StaffOnly { command: spec },
            Refusal::SpecialistsOnly { command: spec },
            Refusal::StaffRoleOnly { command: spec },
            Refusal::OutsideYourCustomers { customers: vec!["Globex Inc".into()] },
            Refusal::WhichCustomer { known: vec!["ACME".into(), "GLOBEX".into()] },
            Refusal::NotForSpecialists { command: spec },
            Refusal::ContactsOnly { command: spec },
            Refusal::WrongChannel { support_channel: Snowflake(1) },
            Refusal::NoCustomerHere,
            Refusal::BareNumber { seq: 4 },
            Refusal::NotInThread { command: spec },
            Refusal::NoSuchTicket { number: number.clone() },
            Refusal::CustomerGone { number: number.clone() },
            Refusal::Conflict { number: number.clone() },
            Refusal::ContactLimit { customer: "Acme".into(), active: 8, user: Snowflake(2) },
            Refusal::AlreadyContact { user: Snowflake(2), customer: "Acme".into() },
            Refusal::ContactOfAnother { user: Snowflake(2), other: "GLOBEX".parse().unwrap() },
            Refusal::NotAContact { user: Snowflake(2), customer: "Acme".into() },
            Refusal::NotAnEmail { email: "x".into() },
            Refusal::UnknownButton,
            Refusal::TranscriptsOff,
            Refusal::UnknownCustomer { key: "X".into(), known: vec!["ACME".into()] },
            Refusal::DatabasesOutdated {
                named: "R1".parse().unwrap(),
                newest: Recorded { release: "R2".parse().unwrap(), at },
                zone,
            },
            Refusal::DatabasesUnknown { named: "R1".parse().unwrap(), newest: "R2".parse().unwrap() },
            Refusal::DuplicateRequest { number: number.clone() },
            Refusal::ReleaseRecorded { release: "R2".parse().unwrap(), at },
            Refusal::NotYourRequest { number: number.clone() },
            Refusal::PhoneTicketsByStaff,
            Refusal::PhoneTicketNeedsContact { command: spec },
            Refusal::PhoneNotAContact { user: Snowflake(2), customer: "Acme".into() },
            Refusal::PhoneContactOfAnother { user: Snowflake(2), channel: Snowflake(3) },
            Refusal::NotStaff { user: Snowflake(2) },
        ];
        all.extend(
            [
                ticket::Refusal::ClosedCannotAcknowledge,
                ticket::Refusal::AlreadyAcknowledged { by: Snowflake(2), at },
                ticket::Refusal::ClosedCannotReclassify,
                ticket::Refusal::SameSeverity(crate::domain::sla::Severity::High),
                ticket::Refusal::AlreadyClosed,
                ticket::Refusal::NotClosed(TicketState::Open),
                ticket::Refusal::NotASignatureRequest,
                ticket::Refusal::AnsweredByStage,
                ticket::Refusal::EndedByStage,
                ticket::Refusal::RequestFinished(Stage::Confirmed),
                ticket::Refusal::Stage(StageRefusal::ReleaseNeeded),
                ticket::Refusal::Stage(StageRefusal::ReasonNeeded),
                ticket::Refusal::ClosedNoFollowUp,
                ticket::Refusal::NotAnsweredYet,
                ticket::Refusal::AlreadyOwner(Snowflake(2)),
                ticket::Refusal::AlreadyWaiting { since: at },
                ticket::Refusal::NotWaiting,
                ticket::Refusal::RatedWhenClosed(TicketState::Reopened),
            ]
            .into_iter()
            .map(ticket),
        );
        all
    }

    /// A command as a message writes it is a declared command, with
    /// options it declares, in the message's language.
    fn assert_declared(typed: &str, lang: Language, context: &str) {
        let words: Vec<&str> = typed.trim_start_matches('/').split_whitespace().collect();
        let path: Vec<&str> = words.iter().copied().take_while(|w| !w.contains(':')).collect();
        let spec = ALL.iter().map(|e| e.spec).find(|s| s.is(&path));
        let spec = spec.unwrap_or_else(|| panic!("{context}: {typed} names no command"));
        assert_eq!(spec.path(lang), path.join(" "), "{context}: {typed} is not in {lang:?}");
        // A value may hold spaces (`note:<the reason>`): options are the words with a colon.
        for option in words[path.len()..].iter().filter(|w| w.contains(':')) {
            let name = option.split(':').next().unwrap_or_default();
            assert!(spec.options.iter().any(|o| o.name.get(lang) == name), "{context}: {typed} has no option {name}");
        }
    }

    #[test]
    fn every_command_a_refusal_names_is_declared_with_its_options() {
        let mut mentions = 0;
        for sample in samples() {
            for lang in [Language::En, Language::Es] {
                let msg = refusal(lang, &sample);
                assert!(!msg.is_empty(), "{sample:?}");
                for span in msg.spans() {
                    if let Span::Command { text } = span {
                        assert_declared(text, lang, &format!("{sample:?}"));
                        mentions += 1;
                    }
                }
                assert!(
                    !msg.plain().contains("/ticket ") || msg.spans().iter().any(|s| matches!(s, Span::Command { .. })),
                    "a command written by hand: {}",
                    msg.plain()
                );
            }
        }
        assert!(mentions >= 20, "refusals point to commands: {mentions}");
    }
}
