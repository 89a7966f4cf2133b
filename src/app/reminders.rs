//! The posts a ticket's clocks make as they fall due: the escalation steps
//! of the first response (reminders, the breach), the update clock's
//! reminder and overdue notice, and the reminder of a wait on the
//! customer. A clock job that became moot meanwhile (answered, updated,
//! resumed) says nothing. The thread's other job posts are worded here too
//! (the record's notice of a file kept without its bytes).

use chrono::{DateTime, Utc};

use super::jobs::{Job, Past};
use super::msg::{say, Msg, Span, TimeStyle};
use super::posts::{late_note, Facts, Place, Post, ThreadPost};
use super::words;
use crate::domain::customer::{Language, Snowflake};
use crate::domain::escalation::{Destination, Recipient, Step, Trigger};
use crate::domain::record::size_words;
use crate::domain::ticket::{EventKind, Ticket, TicketState};

impl ThreadPost for Job {
    fn posts(&self, f: &Facts) -> Vec<Post> {
        match self {
            Job::Step { trigger, past } => step(f, *trigger, *past).into_iter().collect(),
            Job::UpdateReminder { due } => update_reminder(f, *due).into_iter().collect(),
            Job::UpdateOverdue { due } => update_overdue(f, *due).into_iter().collect(),
            Job::WaitReminder { since, reason } => wait_reminder(f, *since, reason).into_iter().collect(),
            Job::FileNotKept { name, size, max } => {
                vec![Post::thread(not_kept(f.lang(), name, *size, *max), vec![])]
            }
            // Not posts: a thread, a card, members, archiving, a summary,
            // the closing of an unanswered wait (its own post follows); or
            // posts delivery words itself (an undeliverable job's notice,
            // a transcript).
            Job::Thread { .. }
            | Job::Card
            | Job::Members { .. }
            | Job::Leave { .. }
            | Job::Join { .. }
            | Job::Archive { .. }
            | Job::WaitClose { .. }
            | Job::Summary { .. }
            | Job::Escalation { .. }
            | Job::Undeliverable { .. }
            | Job::Transcript
            | Job::Unknown => vec![],
        }
    }
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
    let short = Span::time(f.due_at, Some(f.calendar.zone()), TimeStyle::Relative);
    let what = match trigger {
        Trigger::Percent(p) => say!(
            lang,
            "{p} % of its first-response time used ({at})",
            "{p} % de su tiempo de primera respuesta consumido ({at})",
            p,
            at = &at
        ),
        Trigger::Breach => say!(
            lang,
            "first response BREACHED (due {at}, {short})",
            "primera respuesta INCUMPLIDA (vencía {at}, {short})",
            at = &at,
            short
        ),
    };
    let mut what = what;
    if f.late && !news {
        what.append(late_note(lang, &at));
    }
    let card = ticket.is_unanswered();
    Some(Post { msg, ping: users, roles, to, buttons: vec![], news, record, card, what: Some(what) })
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
    let mut what = say!(
        lang,
        "update for the customer OVERDUE (due {at})",
        "actualización al cliente VENCIDA (tocaba {at})",
        at = &at
    );
    if f.late {
        what.append(late_note(lang, &at));
    }
    Some(Post {
        msg,
        ping,
        roles: vec![],
        to: vec![Place::Thread, Place::EscalationChannel],
        buttons: vec![],
        news: false,
        record: Some(EventKind::UpdateOverdue { due_at: due }),
        card: true,
        what: Some(what),
    })
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

/// The thread's notice of a file recorded without its bytes.
fn not_kept(lang: Language, name: &str, size: u64, max: u64) -> Msg {
    let (name, size, max) = (Span::strong(name), size_words(size), size_words(max));
    say!(
        lang,
        "{name} ({size}) is larger than the {max} the record keeps: it is listed in the transcript without its bytes. If we need it, we will ask for it another way.",
        "{name} ({size}) supera los {max} que guarda el registro: figura en la transcripción sin su contenido. Si lo necesitamos, te lo pediremos por otra vía.",
        name,
        size,
        max
    )
}
