//! What the bot posts, worded when a job falls due: pure functions from the
//! facts of a ticket to a [`Post`], English and Spanish side by side. The
//! post is in the customer's language, since the contact and the TAM both
//! read it. [`post`] is the one place that says which job is worded by which
//! function; a job with nothing left to say (a ping for a ticket answered
//! meanwhile) gives no post.
//!
//! Adding a post: a [`Job`] variant and its function here, with its arm in
//! [`post`].

use chrono::{DateTime, Utc};

use super::card::FirstResponse;
use super::declare::Spec;
use super::jobs::{Button, Job, Lost, Past};
use super::msg::{say, Local, Msg, Span, TimeStyle};
use super::words;
use crate::domain::calendar::Calendar;
use crate::domain::customer::{Customer, Language, Snowflake};
use crate::domain::escalation::{Destination, Policy, Recipient, Step, Trigger};
use crate::domain::signature::{SignatureRequest, Stage};
use crate::domain::sla::{ResponseTarget, Severity};
use crate::domain::ticket::{EventKind, Ticket, TicketNumber, TicketState};

/// What a ticket's post is worded from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The ticket as it is now.
    pub ticket: &'a Ticket,
    pub customer: &'a Customer,
    pub calendar: &'a Calendar,
    /// The ticket's target (its severity's, in the customer's plan).
    pub target: &'a ResponseTarget,
    /// The escalation steps of the customer's plan.
    pub policy: &'a Policy,
    /// `[discord].escalation_role`, which steps ping as "role".
    pub escalation_role: Option<Snowflake>,
    /// `[signatures].specialist_role`.
    pub specialist_role: Option<Snowflake>,
    /// When the job fell due.
    pub due_at: DateTime<Utc>,
    /// It goes out well after that, because no instance was running.
    pub late: bool,
    /// The commands posts point the reader to.
    pub commands: &'a Pointers,
    /// When the ticket's wait on the customer closes unanswered, if it does.
    pub close_at: Option<DateTime<Utc>>,
}

/// The commands a post may point its reader to, by their declarations.
#[derive(Debug, Clone, Copy)]
pub struct Pointers {
    pub reopen: &'static Spec,
    pub resume: &'static Spec,
}

impl Facts<'_> {
    fn lang(&self) -> Language {
        self.customer.language
    }

    fn when(&self, t: DateTime<Utc>) -> Span {
        when(t, self.calendar)
    }
}

/// Where a post goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The ticket's thread (its customer's support channel while it has none).
    Thread,
    /// `[discord].escalation_channel`, with a link to the thread.
    EscalationChannel,
}

/// One post of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub msg: Msg,
    /// The people and roles it may mention (and so notify); no one else.
    pub ping: Vec<Snowflake>,
    pub roles: Vec<Snowflake>,
    pub to: Vec<Place>,
    pub button: Option<Button>,
    /// News a change revealed (a breach already past): never late, even
    /// when sent well after its instant.
    pub news: bool,
    /// What delivering it records (a breach, dated at its deadline).
    pub record: Option<EventKind>,
    /// The card changes with it (an escalation step turns it amber or red).
    pub card: bool,
}

impl Post {
    /// A post in the thread, notifying `ping`.
    fn thread(msg: Msg, ping: Vec<Snowflake>) -> Post {
        Post { msg, ping, roles: vec![], to: vec![Place::Thread], button: None, news: false, record: None, card: false }
    }
}

/// The posts of a ticket's job, in order; none when it has nothing (left)
/// to say, or is no post at all (a thread, a card, a summary).
pub fn post(job: &Job, f: &Facts) -> Vec<Post> {
    match job {
        Job::CriticalOpened { by } => critical_opened(f, *by).into_iter().collect(),
        Job::PhoneReminder => vec![Post::thread(phone_reminder(f.lang(), f.customer), vec![])],
        Job::Reclassified { from, to, by, reason } => reclassified(f, *from, *to, *by, reason),
        Job::Acknowledged { by, note } => vec![acknowledged(f, *by, note.as_deref())],
        Job::Closed { by, resolution, unanswered_since: None } => vec![closed(f, *by, resolution.as_deref())],
        Job::Closed { unanswered_since: Some(since), .. } => vec![closed_unanswered(f, *since)],
        Job::Reopened { by } => vec![reopened(f, *by)],
        Job::Step { trigger, past } => step(f, *trigger, *past).into_iter().collect(),
        Job::SignatureOpened { by } => signature_opened(f, *by).into_iter().collect(),
        Job::StageChanged { to, release, note } => vec![stage_changed(f, *to, release.as_deref(), note.as_deref())],
        Job::Assigned { by, to, from } => vec![assigned(f, *by, *to, *from)],
        Job::Updated { by, note: Some(note) } => vec![updated(f, *by, note)],
        Job::UpdateReminder { due } => update_reminder(f, *due).into_iter().collect(),
        Job::UpdateOverdue { due } => update_overdue(f, *due).into_iter().collect(),
        Job::Waiting { by, reason } => vec![waiting(f, *by, reason)],
        Job::WaitReminder { since, reason } => wait_reminder(f, *since, reason).into_iter().collect(),
        Job::Resumed { by, by_customer } => vec![resumed(f, *by, *by_customer)],
        // A message in the thread was the update: nothing more to post.
        Job::Updated { note: None, .. } => vec![],
        Job::Thread { .. }
        | Job::Card
        | Job::Leave { .. }
        | Job::Join { .. }
        | Job::Archive { .. }
        | Job::WaitClose { .. }
        | Job::Summary { .. }
        | Job::Undeliverable { .. }
        | Job::Unknown => vec![],
    }
}

/// An instant as the customer's readers see it: date, time and countdown.
pub fn when(t: DateTime<Utc>, calendar: &Calendar) -> Span {
    Span::time(t, Some(calendar.zone()), TimeStyle::FullRelative)
}

/// The reminder to phone the priority line outside working hours (also in
/// the contact's reply).
pub fn phone_reminder(lang: Language, customer: &Customer) -> Msg {
    let name = &customer.name;
    match &customer.phone {
        Some(phone) => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line at {phone}.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria, al {phone}.",
            name,
            phone
        ),
        None => say!(
            lang,
            "It is outside {name}'s working hours: please also phone the priority line.",
            "Es fuera del horario laboral de {name}: llama también a la línea prioritaria.",
            name
        ),
    }
}

/// An L1 opened: the TAMs are pinged, unless it was answered meanwhile.
fn critical_opened(f: &Facts, by: Snowflake) -> Option<Post> {
    f.ticket.is_unanswered().then(|| critical_ping(f, Raised::Opened(by)))
}

/// How a ticket became critical, for its L1 ping.
#[derive(Debug, Clone, Copy)]
enum Raised {
    Opened(Snowflake),
    Reclassified(Snowflake),
}

/// The L1 ping in a ticket's thread: the TAMs, who made it critical, the deadline.
fn critical_ping(f: &Facts, raised: Raised) -> Post {
    let (lang, ticket) = (f.lang(), f.ticket);
    let tams = f.customer.tams();
    let who = Msg::join(tams.iter().map(|t| Msg::from(Span::user(*t))), " ");
    let (n, summary, due) = (Span::strong(&ticket.number), &ticket.summary, f.when(ticket.due_at));
    let msg = match (raised, ticket.logged_by) {
        (Raised::Opened(by), Some(logger)) => say!(
            lang,
            "{who} {n} is Critical (L1), taken by phone from {by} and logged by {logger}: {summary}. First response due {due}.",
            "{who} {n} es Crítico (L1), recibido por teléfono de {by} y registrado por {logger}: {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            logger = Span::user(logger),
            summary,
            due
        ),
        (Raised::Opened(by), None) => say!(
            lang,
            "{who} {n} is Critical (L1), opened by {by}: {summary}. First response due {due}.",
            "{who} {n} es Crítico (L1), abierto por {by}: {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            summary,
            due
        ),
        (Raised::Reclassified(by), _) => say!(
            lang,
            "{who} {n} was raised to Critical (L1) by {by}: {summary}. First response due {due}.",
            "{who} {by} ha elevado {n} a Crítico (L1): {summary}. Primera respuesta antes de {due}.",
            who,
            n,
            by = Span::user(by),
            summary,
            due
        ),
    };
    Post::thread(msg, tams)
}

/// A reclassification, and the L1 ping if it made the ticket critical.
fn reclassified(f: &Facts, from: Severity, to: Severity, by: Snowflake, reason: &str) -> Vec<Post> {
    let lang = f.lang();
    let (from, to, who, due) =
        (words::severity(lang, from), words::severity(lang, to), Span::user(by), f.when(f.ticket.due_at));
    let msg = say!(
        lang,
        "Severity changed from {from} to {to} by {who}: {reason}. First response now due {due}.",
        "{who} cambió la severidad de {from} a {to}: {reason}. La primera respuesta vence ahora {due}.",
        from,
        to,
        who,
        reason,
        due
    );
    let mut posts = vec![Post::thread(msg, vec![])];
    if f.ticket.severity == Severity::Critical && f.ticket.is_unanswered() {
        posts.push(critical_ping(f, Raised::Reclassified(by)));
    }
    posts
}

/// The first response, measured on the ticket's own clock.
fn acknowledged(f: &Facts, by: Snowflake, note: Option<&str>) -> Post {
    let (lang, who) = (f.lang(), Span::user(by));
    let mut msg = match FirstResponse::of(f.ticket, f.target, f.calendar) {
        Some(r) => {
            let response = r.words(lang);
            say!(lang, "Acknowledged by {who} {response}.", "{who} acusó recibo {response}.", who, response)
        }
        None => say!(lang, "Acknowledged by {who}.", "{who} acusó recibo.", who),
    };
    if let Some(note) = note {
        msg.push_text(&format!(" {note}"));
    }
    Post::thread(msg, vec![])
}

fn closed(f: &Facts, by: Snowflake, resolution: Option<&str>) -> Post {
    let (lang, who) = (f.lang(), Span::user(by));
    let msg = match resolution {
        Some(r) => say!(lang, "Closed by {who}: {r}", "Cerrado por {who}: {r}", who, r),
        None => say!(lang, "Closed by {who}.", "Cerrado por {who}.", who),
    };
    Post::thread(msg, vec![])
}

fn reopened(f: &Facts, by: Snowflake) -> Post {
    let who = Span::user(by);
    Post::thread(say!(f.lang(), "Reopened by {who}.", "Reabierto por {who}.", who), vec![])
}

/// An escalation step as it falls due: the configured step (one removed
/// from the configuration since it was scheduled still posts in the thread,
/// pinging nobody). Answered or closed after the step was scheduled, only a
/// breach that came before the answer is still news.
fn step(f: &Facts, trigger: Trigger, past: Option<Past>) -> Option<Post> {
    let ticket = f.ticket;
    let breached_unanswered = trigger == Trigger::Breach && ticket.acked_at.is_none_or(|a| a > f.due_at);
    if !ticket.is_unanswered() && !breached_unanswered {
        return None;
    }
    let fallback = Step { trigger, ping: vec![], post: vec![Destination::Thread] };
    let configured = f.policy.steps(ticket.severity).iter().find(|s| s.trigger == trigger).unwrap_or(&fallback);
    let mut users = Vec::new();
    let mut roles = Vec::new();
    for r in &configured.ping {
        match r {
            Recipient::Tam => users.push(f.customer.tam),
            Recipient::BackupTam => users.extend(f.customer.backup_tam),
            Recipient::Role => roles.extend(f.escalation_role),
        }
    }
    let lang = f.lang();
    let mut mentions = Msg::default();
    for span in users.iter().map(|u| Span::user(*u)).chain(roles.iter().map(|r| Span::role(*r))) {
        mentions.push(span);
        mentions.push_text(" ");
    }
    let (n, level, summary) = (Span::strong(&ticket.number), words::severity(lang, ticket.severity), &ticket.summary);
    let at = Span::time(f.due_at, Some(f.calendar.zone()), TimeStyle::Full);
    let mut msg = match trigger {
        Trigger::Percent(p) => {
            let due = f.when(ticket.due_at);
            say!(
                lang,
                "{mentions}Reminder: {n} ({level}, {summary}) has used {p} % of its first-response time; response due {due}.",
                "{mentions}Recordatorio: {n} ({level}, {summary}) ha consumido el {p} % de su tiempo de primera respuesta; vence {due}.",
                mentions = &mentions,
                n = &n,
                level,
                summary,
                p,
                due
            )
        }
        Trigger::Breach => match past {
            None => say!(
                lang,
                "{mentions}{n} ({level}, {summary}) BREACHED its first-response target: no qualified first response by {at}.",
                "{mentions}{n} ({level}, {summary}) ha INCUMPLIDO su objetivo: sin primera respuesta cualificada a las {at}.",
                mentions = &mentions,
                n = &n,
                level,
                summary,
                at = &at
            ),
            Some(Past::Reclassified) => say!(
                lang,
                "{mentions}{n} ({level}, {summary}) was reclassified past its deadline: its first-response target ({at}) is BREACHED.",
                "{mentions}{n} ({level}, {summary}) se ha reclasificado pasado su plazo: su objetivo de primera respuesta ({at}) está INCUMPLIDO.",
                mentions = &mentions,
                n = &n,
                level,
                summary,
                at = &at
            ),
            Some(Past::Reopened) => say!(
                lang,
                "{mentions}{n} ({level}, {summary}) was reopened past its deadline: its first-response target ({at}) is BREACHED.",
                "{mentions}{n} ({level}, {summary}) se ha reabierto pasado su plazo: su objetivo de primera respuesta ({at}) está INCUMPLIDO.",
                mentions = &mentions,
                n = &n,
                level,
                summary,
                at = &at
            ),
        },
    };
    // A breach a change revealed is news, not a late notice.
    let news = past.is_some();
    if f.late && !news {
        msg.append(late_note(lang, &at));
    }
    let to = configured
        .post
        .iter()
        .map(|d| match d {
            Destination::Thread => Place::Thread,
            Destination::EscalationChannel => Place::EscalationChannel,
        })
        .collect();
    let record = (trigger == Trigger::Breach).then_some(EventKind::Breached { due_at: f.due_at });
    Some(Post { msg, ping: users, roles, to, button: None, news, record, card: ticket.is_unanswered() })
}

/// A ticket closed by the bot: the customer did not answer its wait.
fn closed_unanswered(f: &Facts, since: DateTime<Utc>) -> Post {
    let (lang, opener) = (f.lang(), Span::user(f.ticket.opened_by));
    let (n, since) = (Span::strong(&f.ticket.number), f.when(since));
    let reopen = f.commands.reopen.mention(lang, &[("number", &f.ticket.number.to_string())]);
    let msg = say!(
        lang,
        "{opener} {n} is closed: no answer from the customer since {since}. If you still need help, {reopen} reopens it.",
        "{opener} {n} queda cerrado: sin respuesta del cliente desde {since}. Si aún necesitas ayuda, {reopen} lo reabre.",
        opener,
        n,
        since,
        reopen
    );
    Post::thread(msg, vec![f.ticket.opened_by])
}

/// A new owner, and who was one before.
fn assigned(f: &Facts, by: Snowflake, to: Snowflake, from: Option<Snowflake>) -> Post {
    let (lang, n, who, owner) = (f.lang(), Span::strong(&f.ticket.number), Span::user(by), Span::user(to));
    let msg = match from {
        None => say!(
            lang,
            "{owner} now owns {n}, assigned by {who}.",
            "{owner} se encarga ahora de {n}, asignado por {who}.",
            owner,
            n,
            who
        ),
        Some(before) => {
            let before = Span::user(before);
            say!(
                lang,
                "{owner} now owns {n} instead of {before}, assigned by {who}.",
                "{owner} se encarga ahora de {n} en lugar de {before}, asignado por {who}.",
                owner,
                n,
                before,
                who
            )
        }
    };
    Post::thread(msg, vec![to])
}

/// A progress update for the opener.
fn updated(f: &Facts, by: Snowflake, note: &str) -> Post {
    let (lang, t) = (f.lang(), f.ticket);
    let (opener, n, who) = (Span::user(t.opened_by), Span::strong(&t.number), Span::user(by));
    let mut msg = say!(
        lang,
        "{opener} Update on {n} from {who}: {note}",
        "{opener} Novedades de {n}, de {who}: {note}",
        opener,
        n,
        who,
        note
    );
    if let Some(next) = t.update_due_at {
        let next = f.when(next);
        msg.append(say!(lang, "\nNext update due {next}.", "\nPróxima actualización antes de {next}.", next));
    }
    Post::thread(msg, vec![t.opened_by])
}

/// Whether the update cycle due at `due` is still the ticket's running one.
fn update_cycle_running(t: &Ticket, due: DateTime<Utc>) -> bool {
    t.state != TicketState::Closed && !t.is_waiting() && t.update_due_at == Some(due)
}

/// Who update reminders ping: the owner, else the TAM.
fn owner_or_tam(f: &Facts) -> Snowflake {
    f.ticket.owner.unwrap_or(f.customer.tam)
}

/// 80 % of the update interval gone, no update yet: the owner (else the TAM).
fn update_reminder(f: &Facts, due: DateTime<Utc>) -> Option<Post> {
    let t = f.ticket;
    if !update_cycle_running(t, due) {
        return None;
    }
    let (lang, who) = (f.lang(), owner_or_tam(f));
    let (whom, n, level, due) =
        (Span::user(who), Span::strong(&t.number), words::severity(lang, t.severity), f.when(due));
    let msg = say!(
        lang,
        "{whom} Reminder: {n} ({level}) needs an update for the customer by {due}.",
        "{whom} Recordatorio: {n} ({level}) necesita una actualización para el cliente antes de {due}.",
        whom,
        n,
        level,
        due
    );
    Some(Post::thread(msg, vec![who]))
}

/// The update deadline passed without one: the owner and the TAM, in the
/// thread and the escalation channel; recorded at the deadline.
fn update_overdue(f: &Facts, due: DateTime<Utc>) -> Option<Post> {
    let t = f.ticket;
    if !update_cycle_running(t, due) {
        return None;
    }
    let lang = f.lang();
    let mut ping: Vec<Snowflake> = t.owner.into_iter().collect();
    if !ping.contains(&f.customer.tam) {
        ping.push(f.customer.tam);
    }
    let who = Msg::join(ping.iter().map(|u| Msg::from(Span::user(*u))), " ");
    let (n, level, summary) = (Span::strong(&t.number), words::severity(lang, t.severity), &t.summary);
    let at = Span::time(due, Some(f.calendar.zone()), TimeStyle::Full);
    let mut msg = say!(
        lang,
        "{who} The update for the customer on {n} ({level}, {summary}) is OVERDUE: it was due {at}.",
        "{who} La actualización para el cliente de {n} ({level}, {summary}) está VENCIDA: tocaba el {at}.",
        who,
        n,
        level,
        summary,
        at = &at
    );
    if f.late {
        msg.append(late_note(lang, &at));
    }
    Some(Post {
        msg,
        ping,
        roles: vec![],
        to: vec![Place::Thread, Place::EscalationChannel],
        button: None,
        news: false,
        record: Some(EventKind::UpdateOverdue { due_at: due }),
        card: true,
    })
}

/// On hold for the customer: the reason, to the opener.
fn waiting(f: &Facts, by: Snowflake, reason: &str) -> Post {
    let (lang, t) = (f.lang(), f.ticket);
    let (opener, n, who) = (Span::user(t.opened_by), Span::strong(&t.number), Span::user(by));
    let msg = say!(
        lang,
        "{opener} {who} needs something from you to go on with {n}: {reason}\nAnswer here in the thread when you have it, or use {resume} if you no longer need to.",
        "{opener} {who} necesita algo de tu parte para seguir con {n}: {reason}\nResponde aquí en el hilo cuando lo tengas, o usa {resume} si ya no hace falta.",
        opener,
        who,
        n,
        reason,
        resume = f.commands.resume.mention(lang, &[])
    );
    Post::thread(msg, vec![t.opened_by])
}

/// The wait is still unanswered: the opener, once.
fn wait_reminder(f: &Facts, since: DateTime<Utc>, reason: &str) -> Option<Post> {
    let t = f.ticket;
    if t.state == TicketState::Closed || t.waiting_since != Some(since) {
        return None;
    }
    let lang = f.lang();
    let (opener, n, since) = (Span::user(t.opened_by), Span::strong(&t.number), f.when(since));
    let mut msg = say!(
        lang,
        "{opener} Reminder: {n} has been waiting on you since {since}: {reason}",
        "{opener} Recordatorio: {n} espera tu respuesta desde {since}: {reason}",
        opener,
        n,
        since,
        reason
    );
    if let Some(close) = f.close_at {
        let close = f.when(close);
        msg.append(say!(lang, "\nWithout an answer it closes {close}.", "\nSin respuesta se cerrará {close}.", close));
    }
    Some(Post::thread(msg, vec![t.opened_by]))
}

/// The wait is over; the owner hears of it.
fn resumed(f: &Facts, by: Snowflake, by_customer: bool) -> Post {
    let (lang, t) = (f.lang(), f.ticket);
    let (n, who) = (Span::strong(&t.number), Span::user(by));
    let mut msg = match by_customer {
        true => say!(
            lang,
            "{who} answered: {n} is no longer waiting on the customer.",
            "{who} ha respondido: {n} ya no espera al cliente.",
            who,
            n
        ),
        false => say!(
            lang,
            "{who} resumed {n}: it is no longer waiting on the customer.",
            "{who} ha reanudado {n}: ya no espera al cliente.",
            who,
            n
        ),
    };
    if let Some(next) = t.update_due_at {
        let next = f.when(next);
        msg.append(say!(lang, " Next update due {next}.", " Próxima actualización antes de {next}.", next));
    }
    // The owner is told, by name: Discord notifies only the people a
    // message mentions.
    match t.owner.filter(|owner| *owner != by) {
        Some(owner) => {
            let mut told = Msg::from(Span::user(owner));
            told.push_text(" ");
            told.append(msg);
            Post::thread(told, vec![owner])
        }
        None => Post::thread(msg, vec![]),
    }
}

/// The note on a post sent late.
fn late_note(lang: Language, at: &Span) -> Msg {
    say!(
        lang,
        " (Sent late: it was due {at}, while the bot was unavailable.)",
        " (Enviado con retraso: vencía {at}, cuando el bot no estaba disponible.)",
        at = at
    )
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

/// The requester's news of a stage change, in the request's thread. It
/// names only this request: no other customer or ticket, though a fix may
/// have released several.
fn stage_changed(f: &Facts, to: Stage, release: Option<&str>, note: Option<&str>) -> Post {
    let (lang, ticket) = (f.lang(), f.ticket);
    let (who, n) = (Span::user(ticket.opened_by), Span::strong(&ticket.number));
    let release = release.unwrap_or_default();
    let mut msg = match to {
        Stage::Received => say!(lang, "{who} {n} is received.", "{who} {n} está recibida.", who, n),
        Stage::Analysing => say!(
            lang,
            "{who} The specialist group is analysing the file of {n}.",
            "{who} El grupo de especialistas está analizando el archivo de {n}.",
            who,
            n
        ),
        Stage::FixScheduled => say!(
            lang,
            "{who} A fix for {n} is scheduled in an accelerated database update.",
            "{who} La corrección de {n} está programada en una actualización acelerada de las bases de datos.",
            who,
            n
        ),
        Stage::Released => say!(
            lang,
            "{who} The fix for {n} is out in database release {release}. Update your antivirus databases, scan the file again, and confirm below that it is right now.",
            "{who} La corrección de {n} está publicada en la versión {release} de las bases de datos. Actualiza las bases del antivirus, vuelve a analizar el archivo y confirma abajo que ya es correcto.",
            who,
            n,
            release
        ),
        Stage::Confirmed => say!(
            lang,
            "{who} {n} is confirmed fixed. Thank you.",
            "{who} {n} queda confirmada como corregida. Gracias.",
            who,
            n
        ),
        Stage::Rejected => say!(lang, "{who} {n} was rejected.", "{who} {n} ha sido rechazada.", who, n),
    };
    if let Some(note) = note {
        let label = match to {
            Stage::Rejected => Local::new("Reason", "Motivo"),
            _ => Local::new("Note", "Nota"),
        };
        msg.push_text(&format!("\n{}: {note}", label.get(lang)));
    }
    let button = (to == Stage::Released).then(|| Button::Confirm { ticket: ticket.number.clone(), lang });
    Post { button, ..Post::thread(msg, vec![ticket.opened_by]) }
}

/// The notice of a job that could not be delivered where it should have
/// been, said elsewhere (of `ticket`, if it has one).
pub fn undeliverable(lang: Language, ticket: Option<&TicketNumber>, failed_in: Snowflake, lost: &Lost) -> Msg {
    let place = Span::channel(failed_in);
    let n = ticket.map(ToString::to_string).unwrap_or_default();
    match lost {
        Lost::Thread => say!(
            lang,
            "Could not create the thread of {n} in {place}: the bot lacks access there, or the channel is gone. \
             Its posts come here meanwhile.",
            "No se pudo crear el hilo de {n} en {place}: el bot no tiene acceso o el canal ya no existe. \
             Sus mensajes llegan aquí mientras tanto.",
            n,
            place
        ),
        Lost::ThreadLimit => say!(
            lang,
            "Could not create the thread of {n} in {place}: the server has as many active threads as Discord allows \
             (1,000). Closing tickets archives theirs; meanwhile its posts come here.",
            "No se pudo crear el hilo de {n} en {place}: el servidor tiene tantos hilos activos como permite Discord \
             (1000). Al cerrar tickets se archivan los suyos; mientras tanto sus mensajes llegan aquí.",
            n,
            place
        ),
        Lost::Card => say!(
            lang,
            "Could not update the card of {n} in {place}: the bot lacks access there, or it is gone.",
            "No se pudo actualizar la ficha de {n} en {place}: el bot no tiene acceso o ya no existe.",
            n,
            place
        ),
        Lost::Job { what } if ticket.is_none() => say!(
            lang,
            "A notification ({what}) could not be delivered: it failed on our side and was logged.",
            "No se pudo entregar un aviso ({what}): falló por nuestra parte y quedó registrado.",
            what
        ),
        Lost::Job { what } => say!(
            lang,
            "A notification of {n} ({what}) could not be delivered: it failed on our side and was logged.",
            "No se pudo entregar un aviso de {n} ({what}): falló por nuestra parte y quedó registrado.",
            n,
            what
        ),
        Lost::Post { msg } => say!(
            lang,
            "Could not post in {place} ({n}); the message was:\n{msg}",
            "No se pudo publicar en {place} ({n}); el mensaje era:\n{msg}",
            place,
            n,
            msg = msg.clone()
        ),
    }
}

#[cfg(test)]
mod tests {
    //! The posts worded from facts alone: no database, no clock but the
    //! instants written here, the example configuration's Acme (Spanish,
    //! Madrid, working hours 09:00–18:00 on weekdays, 15:00 on Fridays).

    use super::*;
    use crate::app::commands::{TicketReopen, TicketResume};
    use crate::config::Config;
    use crate::domain::ticket::TicketKind;

    const ALICE: Snowflake = Snowflake(500000000000000001);
    const ENGINEER: Snowflake = Snowflake(410000000000000001);

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn config() -> Config {
        Config::load(std::path::Path::new("config/example.toml")).unwrap()
    }

    /// An L4 of Alice's opened on Tuesday at 18:16 in Madrid (after hours),
    /// acknowledged by the engineer on Wednesday at 10:16, who owns it.
    fn answered() -> Ticket {
        Ticket {
            id: 1,
            number: "ACME-1".parse().unwrap(),
            opened_by: ALICE,
            severity: Severity::Low,
            kind: TicketKind::Incident,
            summary: "Licence report shows the wrong seat count".into(),
            details: None,
            product: None,
            state: TicketState::Acknowledged,
            opened_at: at("2026-12-01T17:16:00Z"),
            due_at: at("2026-12-02T16:00:00Z"),
            acked_at: Some(at("2026-12-02T09:16:00Z")),
            acked_by: Some(ENGINEER),
            closed_at: None,
            thread_id: Some(Snowflake(7)),
            card_message_id: Some(Snowflake(8)),
            owner: Some(ENGINEER),
            update_due_at: Some(at("2026-12-03T09:16:00Z")),
            waiting_since: None,
            logged_by: None,
            version: 3,
            signature: None,
        }
    }

    /// The posts of `job` for `ticket` of Acme, in `lang`.
    fn posts(config: &Config, ticket: &Ticket, job: &Job, lang: Language) -> Vec<Post> {
        let mut customer = config.customer("ACME").unwrap().clone();
        customer.language = lang;
        let plan = config.plan(&customer.plan).unwrap();
        let calendar = config.calendar(&customer.calendar).unwrap();
        let facts = Facts {
            ticket,
            customer: &customer,
            calendar,
            target: plan.targets.get(ticket.severity),
            policy: config.escalation(&plan.name).unwrap(),
            escalation_role: Some(Snowflake(320000000000000002)),
            specialist_role: None,
            due_at: ticket.opened_at,
            late: false,
            commands: &Pointers { reopen: TicketReopen::spec(), resume: TicketResume::spec() },
            close_at: None,
        };
        post(job, &facts)
    }

    fn only(posts: Vec<Post>) -> Post {
        assert_eq!(posts.len(), 1, "{posts:#?}");
        posts.into_iter().next().unwrap()
    }

    #[test]
    fn a_business_clock_acknowledgement_is_told_in_working_time() {
        let config = config();
        let job = Job::Acknowledged { by: ENGINEER, note: None };
        let es = only(posts(&config, &answered(), &job, Language::Es)).msg.plain();
        assert_eq!(
            es,
            format!(
                "@{ENGINEER} acusó recibo tras 1 h 16 min de tiempo laborable (16 h en total), \
                 dentro de las 8 horas laborables."
            )
        );
        let en = only(posts(&config, &answered(), &job, Language::En)).msg.plain();
        assert!(en.ends_with("after 1 h 16 min of working time (16 h elapsed), within the 8 working hours."), "{en}");
        // A 24x7 target is told in elapsed time alone.
        let critical = Ticket {
            severity: Severity::Critical,
            due_at: at("2026-12-01T17:46:00Z"),
            acked_at: Some(at("2026-12-01T17:28:00Z")),
            ..answered()
        };
        let en = only(posts(&config, &critical, &job, Language::En)).msg.plain();
        assert!(en.ends_with("after 12 min, within the 30 min target."), "{en}");
        let late = Ticket { acked_at: Some(at("2026-12-01T19:21:00Z")), ..critical };
        let es = only(posts(&config, &late, &job, Language::Es)).msg.plain();
        assert!(es.ends_with("tras 2 h 05 min, fuera del objetivo de 30 min."), "{es}");
    }

    #[test]
    fn an_update_is_for_the_opener_and_an_overdue_one_for_the_owner_and_the_tam() {
        let config = config();
        let tam = config.customer("ACME").unwrap().tam;
        let update = Job::Updated { by: ENGINEER, note: Some("Fixed in the next build".into()) };
        let post = only(posts(&config, &answered(), &update, Language::En));
        assert_eq!((post.ping.as_slice(), post.to.as_slice()), (&[ALICE][..], &[Place::Thread][..]));
        assert!(post.msg.plain().starts_with(&format!("@{ALICE} Update on ACME-1 from @{ENGINEER}: Fixed in")));
        // An update by a message in the thread: the message said it.
        assert!(posts(&config, &answered(), &Job::Updated { by: ENGINEER, note: None }, Language::En).is_empty());

        let due = answered().update_due_at.unwrap();
        let overdue = only(posts(&config, &answered(), &Job::UpdateOverdue { due }, Language::Es));
        assert_eq!(overdue.ping, [ENGINEER, tam]);
        assert_eq!(overdue.to, [Place::Thread, Place::EscalationChannel]);
        assert_eq!(overdue.record, Some(EventKind::UpdateOverdue { due_at: due }));
        assert!(overdue.msg.plain().contains("está VENCIDA"), "{:?}", overdue.msg);
        // Moot once an update moved the deadline, or the ticket waits.
        let updated = Ticket { update_due_at: Some(due + chrono::Duration::hours(8)), ..answered() };
        assert!(posts(&config, &updated, &Job::UpdateOverdue { due }, Language::Es).is_empty());
        let waiting = Ticket { update_due_at: None, waiting_since: Some(due), ..answered() };
        assert!(posts(&config, &waiting, &Job::UpdateReminder { due }, Language::Es).is_empty());
    }

    /// Everyone a post notifies is named in it: nobody is pinged unseen.
    #[test]
    fn every_post_names_whom_it_notifies_in_both_languages() {
        let config = config();
        let due = answered().update_due_at.unwrap();
        let since = at("2026-12-02T10:00:00Z");
        let waiting = Ticket { update_due_at: None, waiting_since: Some(since), ..answered() };
        let critical = Ticket {
            severity: Severity::Critical,
            state: TicketState::Open,
            due_at: at("2026-12-01T17:46:00Z"),
            acked_at: None,
            acked_by: None,
            owner: None,
            update_due_at: None,
            ..answered()
        };
        let cases: Vec<(Ticket, Job)> = vec![
            (critical.clone(), Job::CriticalOpened { by: ALICE }),
            (critical, Job::Step { trigger: crate::domain::escalation::Trigger::Percent(80), past: None }),
            (answered(), Job::Acknowledged { by: ENGINEER, note: Some("On it".into()) }),
            (answered(), Job::Assigned { by: ENGINEER, to: Snowflake(3), from: Some(ENGINEER) }),
            (answered(), Job::Updated { by: ENGINEER, note: Some("Progress".into()) }),
            (answered(), Job::UpdateReminder { due }),
            (answered(), Job::UpdateOverdue { due }),
            (answered(), Job::Waiting { by: ENGINEER, reason: "The log, please".into() }),
            (waiting.clone(), Job::WaitReminder { since, reason: "The log, please".into() }),
            (answered(), Job::Resumed { by: ALICE, by_customer: true }),
            (
                answered(),
                Job::Reclassified { from: Severity::Low, to: Severity::High, by: ALICE, reason: "Worse".into() },
            ),
            (answered(), Job::Closed { by: ENGINEER, resolution: Some("Fixed".into()), unanswered_since: None }),
            (waiting, Job::Closed { by: ENGINEER, resolution: None, unanswered_since: Some(since) }),
            (answered(), Job::Reopened { by: ALICE }),
        ];
        for (ticket, job) in &cases {
            for lang in [Language::En, Language::Es] {
                let posts = posts(&config, ticket, job, lang);
                assert!(!posts.is_empty(), "{job:?} says nothing");
                for post in posts {
                    let text = post.msg.plain();
                    assert!(!text.trim().is_empty(), "{job:?}");
                    for user in &post.ping {
                        assert!(text.contains(&format!("@{user}")), "{job:?} pings {user} unnamed: {text}");
                    }
                }
            }
        }
    }
}
