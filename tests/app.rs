//! The application layer through its public entry point, on both backends,
//! with `config/example.toml` and a clock the tests move. Refusals are
//! asserted as values; replies and posts by their text where the words are
//! the behaviour (the language, what the reply says about classification).

use crate::support::world::*;
use crate::support::{cmd, TestDb};
use chrono::Duration;
use priority_line::app::commands::{self, Problem};
use priority_line::app::{Action, Button, CardStatus, Command, Invocation, Refusal, UsageError};
use priority_line::domain::customer::{Language, Snowflake};
use priority_line::domain::rating::Score;
use priority_line::domain::sla::Severity;
use priority_line::domain::text::TextError;
use priority_line::domain::ticket::{self as ticket, EventKind, TicketState};

async fn a_critical_ticket_gets_a_thread_a_card_and_a_tam_ping(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, out) = w.open("VPN concentrator down for all users", Some(Severity::Critical)).await;
    assert_eq!(number.to_string(), "ACME-1");
    // The thread, the TAMs' ping, then what can follow: the card and the members.
    let actions = w.out.actions();
    let [Action::OpenThread { parent, name, card: None, .. }, Action::Post { channel, ping, .. }, Action::PostCard { card, .. }, added @ ..] =
        &actions[..]
    else {
        panic!("{actions:#?}")
    };
    assert_eq!(*parent, ACME_CHANNEL);
    assert!(name.starts_with("ACME-1 · L1 · VPN"), "{name}");
    assert_eq!((*channel, ping.as_slice()), (thread, &[TAM_ACME, BACKUP_ACME][..]), "the TAMs, in the thread");
    assert_eq!(card.status, CardStatus::Green);
    assert_eq!(card.ticket.due_at, monday_morning() + Duration::minutes(30), "L1 premium: 30 minutes");
    let members: Vec<Snowflake> = added
        .iter()
        .map(|a| match a {
            Action::AddMember { thread: t, user } if *t == thread => *user,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(members, [ALICE, TAM_ACME, BACKUP_ACME]);
    let pings = w.posts();
    assert_eq!(pings.len(), 1, "working hours: no phone reminder");
    // Acme's language is Spanish: its contacts' replies and its threads' posts are in Spanish.
    assert!(
        pings[0].1.contains(&format!("@{TAM_ACME}")) && pings[0].1.contains("es Crítico (L1), abierto por"),
        "{}",
        pings[0].1
    );
    let reply = out.text().plain();
    assert!(reply.contains("Abierto ACME-1: L1 Crítica") && reply.contains("severidad elegida por ti"), "{reply}");
}

async fn without_a_severity_the_rules_decide_and_the_reply_says_how(db: &TestDb) {
    let w = World::new(db).await;
    // Acme writes in Spanish (its configured language), so the Spanish rules apply.
    let (_, _, out) = w.open("El correo va lento desde esta mañana", None).await;
    let reply = out.text().plain();
    assert!(reply.contains("L2 Alta") && reply.contains("regla \"degradado\", que encontró \"lento\""), "{reply}");
    let (_, _, out) = w.open("Mail gateway is slow", None).await;
    assert!(out.text().plain().contains("L3 Media"), "the English rule does not apply to Spanish tickets");
    let (_, _, out) = w.open("Console colours look odd", None).await;
    let reply = out.text().plain();
    assert!(reply.contains("L3 Media") && reply.contains("nivel 3 por defecto"), "{reply}");
}

async fn an_l1_outside_working_hours_adds_the_phone_reminder(db: &TestDb) {
    let w = World::new(db).await;
    w.clock.set("2026-11-28T22:00:00Z".parse().unwrap()); // Saturday night in Madrid
    let (_, _, out) = w.open("Ransomware: encrypted files on file server", None).await;
    assert!(out.text().plain().contains("+34 900 000 000"), "{}", out.text().plain());
    assert!(w
        .posts()
        .iter()
        .any(|(_, text, ping)| text.contains("llama también a la línea prioritaria, al +34 900 000 000")
            && ping.is_empty()));
    // An L3 at the same hour gets no reminder.
    let (_, _, out) = w.open("Report export misses a column", Some(Severity::Medium)).await;
    assert!(!out.text().plain().contains("+34"), "{}", out.text().plain());
}

async fn unregistered_users_and_staff_cannot_open_tickets(db: &TestDb) {
    let w = World::new(db).await;
    let open = || cmd("ticket open", &[("summary", "help")]);
    assert_eq!(w.refused(MALLORY, ACME_CHANNEL, open()).await, Refusal::NotRegistered);
    // Staff log a ticket phoned in: they must say for which contact.
    assert_eq!(
        w.refused(ENGINEER, ACME_CHANNEL, open()).await,
        Refusal::PhoneTicketNeedsContact { command: spec("ticket open") }
    );
    assert_eq!(w.refused(ALICE, GLOBEX_CHANNEL, open()).await, Refusal::WrongChannel { support_channel: ACME_CHANNEL });
}

async fn a_contact_cannot_see_or_touch_another_customers_tickets(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, _) = w.open("VPN down", Some(Severity::High)).await;
    for command in [
        cmd("ticket status", &[("number", "ACME-1")]),
        cmd("ticket close", &[("number", "ACME-1")]),
        cmd("ticket severity", &[("number", "ACME-1"), ("level", "4"), ("reason", "meh")]),
    ] {
        let refusal = w.refused(BOB, GLOBEX_CHANNEL, command).await;
        assert_eq!(refusal, Refusal::NoSuchTicket { number: number.clone() });
    }
    let out = w.ok(BOB, GLOBEX_CHANNEL, cmd("ticket list", &[("which", "all")])).await;
    assert!(!out.text().plain().contains("ACME-1"), "{}", out.text().plain());
    let ticket = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!((ticket.state, ticket.severity), (TicketState::Open, Severity::High), "nothing changed");
}

async fn staff_acknowledge_once_inside_the_thread(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::Critical)).await;
    let ack = || cmd("ack", &[]);
    assert_eq!(w.refused(ALICE, thread, ack()).await, Refusal::StaffOnly { command: spec("ack") });
    assert_eq!(w.refused(ENGINEER, ACME_CHANNEL, ack()).await, Refusal::NotInThread { command: spec("ack") });

    w.clock.advance(Duration::minutes(12));
    w.out.clear();
    w.ok(ENGINEER, thread, cmd("ack", &[("note", "Looking at the concentrator logs")])).await;
    let Some(Action::EditCard { card, channel, .. }) = w.out.actions().into_iter().next() else {
        panic!("{:?}", w.out.seen())
    };
    assert_eq!((channel, card.status), (thread, CardStatus::Acknowledged));
    let response = card.response.expect("answered");
    assert_eq!((response.by, response.counted), (ENGINEER, std::time::Duration::from_secs(12 * 60)));
    let posts = w.posts();
    assert!(
        posts[0].1.contains("tras 12 min, dentro del objetivo de 30 min. Looking at the concentrator logs"),
        "{}",
        posts[0].1
    );

    let acked_at = monday_morning() + Duration::minutes(12);
    let again = w.refused(TAM_ACME, thread, ack()).await;
    assert!(
        matches!(&again, Refusal::Ticket { number: n, refusal: ticket::Refusal::AlreadyAcknowledged { by, at }, .. }
            if *n == number && *by == ENGINEER && *at == acked_at),
        "{again:?}"
    );
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!((t.acked_by, t.acked_at), (Some(ENGINEER), Some(acked_at)));
}

async fn reclassification_recomputes_from_the_opening_time_and_is_audited(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, _) = w.open("Reports are wrong", Some(Severity::Low)).await;
    w.clock.advance(Duration::hours(2));
    let change = cmd("ticket severity", &[("number", "ACME-1"), ("level", "2"), ("reason", "finance blocked")]);
    w.out.clear();
    w.ok(ALICE, ACME_CHANNEL, change).await;
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!(t.due_at, monday_morning() + Duration::hours(4), "4 h from the original opening, not from now");
    let posts = w.posts();
    assert!(posts[0].1.contains("de L4 Baja a L2 Alta") && posts[0].1.contains("finance blocked"), "{posts:?}");
    let events = db.store.events(t.id).await.unwrap();
    assert!(
        matches!(&events[1].kind, EventKind::SeverityChanged { from: 4, to: 2, reason, .. } if reason == "finance blocked")
    );
    assert_eq!(events[1].actor, ALICE);
    let same = cmd("ticket severity", &[("number", "ACME-1"), ("level", "2"), ("reason", "again")]);
    assert!(matches!(
        w.refused(ALICE, ACME_CHANNEL, same).await,
        Refusal::Ticket { refusal: ticket::Refusal::SameSeverity(Severity::High), .. }
    ));
}

async fn close_and_reopen_follow_the_state_machine(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("Agent update fails", Some(Severity::Medium)).await;
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket close", &[("number", "ACME-1"), ("resolution", "worked around")])).await;
    let state_refusal = |r: Refusal| match r {
        Refusal::Ticket { number: n, refusal, .. } if n == number => refusal,
        other => panic!("{other:?}"),
    };
    let r = w.refused(ENGINEER, thread, cmd("ack", &[])).await;
    assert_eq!(state_refusal(r), ticket::Refusal::ClosedCannotAcknowledge);
    let r = w.refused(ALICE, ACME_CHANNEL, cmd("ticket close", &[("number", "ACME-1")])).await;
    assert_eq!(state_refusal(r), ticket::Refusal::AlreadyClosed);
    w.ok(TAM_ACME, ACME_CHANNEL, cmd("ticket reopen", &[("number", "ACME-1")])).await;
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!(t.state, TicketState::Reopened);
    let r = w.refused(TAM_ACME, ACME_CHANNEL, cmd("ticket reopen", &[("number", "ACME-1")])).await;
    assert_eq!(state_refusal(r), ticket::Refusal::NotClosed(TicketState::Reopened));
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
}

async fn a_ninth_contact_is_refused_with_the_way_out(db: &TestDb) {
    let w = World::new(db).await; // Alice is the first of Acme's contacts
    for i in 2..=8u64 {
        w.ok(TAM_ACME, ACME_CHANNEL, cmd("contacts add", &[("user", &(600 + i).to_string())])).await;
    }
    let ninth = || cmd("contacts add", &[("user", "699")]);
    assert_eq!(
        w.refused(TAM_ACME, ACME_CHANNEL, ninth()).await,
        Refusal::ContactLimit { customer: "Acme Corp".into(), active: 8, user: Snowflake(699) }
    );
    assert_eq!(w.refused(ALICE, ACME_CHANNEL, ninth()).await, Refusal::StaffOnly { command: spec("contacts add") });
    let list = w.ok(ALICE, ACME_CHANNEL, cmd("contacts list", &[])).await;
    let text = list.text().plain();
    assert!(text.contains("(8 de 8 plazas)") && text.contains("Alice"), "{text}");
    // Removing one frees the seat; a second removal says who is a contact.
    w.ok(TAM_ACME, ACME_CHANNEL, cmd("contacts remove", &[("user", "602")])).await;
    assert_eq!(
        w.refused(TAM_ACME, ACME_CHANNEL, cmd("contacts remove", &[("user", "602")])).await,
        Refusal::NotAContact { user: Snowflake(602), customer: "Acme Corp".into() }
    );
    w.ok(TAM_ACME, ACME_CHANNEL, ninth()).await;
}

async fn the_queue_puts_premium_first_then_severity_then_deadline(db: &TestDb) {
    let w = World::new(db).await;
    let globex =
        w.ok(BOB, GLOBEX_CHANNEL, cmd("ticket open", &[("summary", "Globex outage"), ("severity", "1")])).await;
    assert!(globex.text().plain().contains("GLOBEX-1"));
    w.open("Acme slow console", Some(Severity::High)).await;
    w.open("Acme down", Some(Severity::Critical)).await;
    assert_eq!(
        w.refused(ALICE, ACME_CHANNEL, Command::from(commands::Queue)).await,
        Refusal::StaffOnly { command: spec("queue") }
    );
    let out = w.ok(ENGINEER, ACME_CHANNEL, Command::from(commands::Queue)).await;
    let text = out.text().plain();
    let order: Vec<&str> = text.lines().skip(1).map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(order, vec!["ACME-2", "ACME-1", "GLOBEX-1"]);
}

async fn replies_follow_the_callers_language_and_posts_the_customers(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::High)).await;
    // Alice's Discord is in English: her replies are, Acme's thread stays Spanish.
    let english = Invocation {
        user: ALICE,
        is_staff: false,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: Some(Language::En),
        event: None,
        named_staff: vec![],
    };
    let change = cmd("ticket severity", &[("number", "ACME-1"), ("level", "4"), ("reason", "not that urgent")]);
    let out = w.app.handle(&english, change).await;
    assert_eq!(out.lang, Language::En);
    assert!(out.text().plain().starts_with("ACME-1 is now L4 Low; first response due"), "{}", out.text().plain());
    w.out.clear();
    w.deliver().await;
    assert!(w.posts()[0].1.contains("cambió la severidad de L2 Alta a L4 Baja"), "{:?}", w.posts());
    // Bob (Globex, English) in Spanish: the refusal is worded in Spanish.
    let spanish = Invocation {
        user: BOB,
        is_staff: false,
        is_specialist: false,
        channel: GLOBEX_CHANNEL,
        language: Some(Language::Es),
        event: None,
        named_staff: vec![],
    };
    let out = w.app.handle(&spanish, cmd("ticket status", &[("number", "ACME-1")])).await;
    assert_eq!(out.refusal(), Some(&Refusal::NoSuchTicket { number }));
    assert_eq!(out.text().plain(), "No hay ningún ticket ACME-1 entre los tuyos. /ticket lista los muestra.");
    // Staff in Spanish acknowledging: the reply in Spanish, the card in Acme's language.
    let staff = Invocation {
        user: ENGINEER,
        is_staff: true,
        is_specialist: false,
        channel: thread,
        language: Some(Language::Es),
        event: None,
        named_staff: vec![],
    };
    let out = w.app.handle(&staff, cmd("ack", &[])).await;
    assert_eq!(out.text().plain(), "Has acusado recibo de ACME-1.");
    w.out.clear();
    w.deliver().await;
    let Some(Action::EditCard { card, .. }) = w.out.actions().into_iter().next() else { panic!("{:?}", w.out.seen()) };
    assert_eq!(card.language, Language::Es);
}

async fn user_text_cannot_mass_mention_and_limits_are_refused_as_values(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, _) = w.open("@everyone the VPN <@&320000000000000001> is down", Some(Severity::Critical)).await;
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert!(!t.summary.contains("@everyone") && !t.summary.contains("<@&"), "{}", t.summary);
    let inv = Invocation {
        user: ALICE,
        is_staff: false,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: None,
        event: None,
        named_staff: vec![],
    };
    let long = "x".repeat(201);
    let out = w.app.handle_input(&inv, "ticket open", &[("summary".into(), long)]).await;
    let summary = spec("ticket open").option("summary").unwrap();
    assert_eq!(
        out.refusal(),
        Some(&Refusal::Usage(UsageError::Invalid {
            command: spec("ticket open"),
            option: summary,
            value: format!("{}…", "x".repeat(60)),
            problem: Problem::Text(TextError::TooLong { count: 201, max: 200 }),
        }))
    );
    assert!(out.text().plain().contains("resumen tiene 201 caracteres; el límite es 200"), "{}", out.text().plain());
}

/// The Spanish success reply of a removal says "ya no es contacto": a value,
/// not a word guessed as a refusal.
async fn a_removal_in_spanish_is_a_success(db: &TestDb) {
    let w = World::new(db).await;
    let spanish = Invocation {
        user: TAM_ACME,
        is_staff: false,
        is_specialist: false,
        channel: ACME_CHANNEL,
        language: Some(Language::Es),
        event: None,
        named_staff: vec![],
    };
    let out = w.app.handle_input(&spanish, "contactos quitar", &[("usuario".into(), ALICE.to_string())]).await;
    assert!(out.refusal().is_none(), "{out:?}");
    assert!(out.text().plain().contains("ya no es contacto de Acme Corp"), "{}", out.text().plain());
}

/// A business-clock first response is told in working time, with the
/// elapsed time beside it: an L4 (8 working hours) opened on Tuesday at
/// 15:25 in Madrid and answered on Wednesday at 11:25 took 5 h of working
/// time (15:25-18:00, 09:00-11:25) and 20 h in all.
async fn a_business_clock_response_is_told_in_working_time(db: &TestDb) {
    let w = World::new(db).await;
    w.clock.set("2026-12-01T14:25:00Z".parse().unwrap());
    let (number, thread, _) = w.open("Licence report shows the wrong seat count", Some(Severity::Low)).await;
    w.clock.set("2026-12-02T10:25:00Z".parse().unwrap());
    w.out.clear();
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    let said = "acusó recibo tras 5 h de tiempo laborable (20 h en total), dentro de las 8 horas laborables.";
    assert!(w.posts().iter().any(|(_, text, _)| text.contains(said)), "{:?}", w.posts());
    let status = w.ok(ALICE, ACME_CHANNEL, cmd("ticket status", &[("number", &number.to_string())])).await;
    let response = status.card().unwrap().response.unwrap();
    assert_eq!(response.words(Language::En), "after 5 h of working time (20 h elapsed), within the 8 working hours");
    assert!(response.business && response.within);
}

/// `number:1` names ACME-1 wherever the customer goes without saying: a
/// contact's own tickets, and Acme's support channel and threads for staff;
/// elsewhere a bare number is refused saying how to write it, and
/// `ACME-1` works everywhere.
async fn a_ticket_is_named_by_its_bare_number_where_the_customer_is_known(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::High)).await;
    let elsewhere = Snowflake(310000000000000077);
    let status = |n: &str| cmd("ticket status", &[("number", n)]);
    for (user, channel) in [(ALICE, ACME_CHANNEL), (ALICE, thread), (ENGINEER, ACME_CHANNEL), (ENGINEER, thread)] {
        let card = w.ok(user, channel, status("1")).await;
        assert_eq!(card.card().unwrap().ticket.number, number, "{user:?} in {channel:?}");
    }
    assert_eq!(w.ok(ENGINEER, elsewhere, status("ACME-1")).await.card().unwrap().ticket.number, number);
    assert_eq!(w.refused(ENGINEER, elsewhere, status("1")).await, Refusal::BareNumber { seq: 1 });
    // Globex's contact and TAM: Globex's ticket 1, which does not exist.
    let globex_1: ticket::TicketNumber = "GLOBEX-1".parse().unwrap();
    assert_eq!(w.refused(BOB, GLOBEX_CHANNEL, status("1")).await, Refusal::NoSuchTicket { number: globex_1 });
    assert_eq!(w.refused(TAM_GLOBEX, ACME_CHANNEL, status("#1")).await, Refusal::NoSuchTicket { number });
    // Every command that takes a ticket reads it so: closing in Acme's channel.
    w.ok(ENGINEER, ACME_CHANNEL, cmd("ticket close", &[("number", "1")])).await;
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket reopen", &[("number", "#1")])).await;
}

/// A staff note is posted in the thread for the record, in the customer's
/// language, pinging nobody; it is no update, and a closed ticket takes
/// none.
async fn a_note_is_posted_in_the_thread_for_the_record(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::High)).await;
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    let before = w.app.store().ticket(&number).await.unwrap().unwrap();
    w.out.clear();
    let out = w.ok(ENGINEER, thread, cmd("ticket note", &[("text", "Customer phoned: 40 laptops affected")])).await;
    assert_eq!(out.text().plain(), "Note posted on ACME-1.");
    let posts = w.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, thread);
    assert_eq!(posts[0].1, format!("Nota de @{ENGINEER} sobre ACME-1: Customer phoned: 40 laptops affected"));
    assert!(posts[0].2.is_empty(), "a note pings nobody");
    let after = w.app.store().ticket(&number).await.unwrap().unwrap();
    assert_eq!(after.update_due_at, before.update_due_at, "a note is no update");
    assert_eq!(
        w.refused(ALICE, ACME_CHANNEL, cmd("ticket note", &[("number", "1"), ("text", "x")])).await,
        Refusal::StaffOnly { command: spec("ticket note") }
    );
    w.ok(ENGINEER, ACME_CHANNEL, cmd("ticket close", &[("number", "1")])).await;
    let refused = w.refused(ENGINEER, ACME_CHANNEL, cmd("ticket note", &[("number", "1"), ("text", "x")])).await;
    assert!(matches!(refused, Refusal::Ticket { refusal: ticket::Refusal::ClosedNoFollowUp, .. }), "{refused:?}");
}

/// The ratings of `number` in its audit trail: who, score, comment.
async fn ratings(w: &World, number: &ticket::TicketNumber) -> Vec<(Snowflake, u8, Option<String>)> {
    let id = w.app.store().ticket(number).await.unwrap().unwrap().id;
    let events = w.app.store().events(id).await.unwrap();
    events
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Rated { score, comment } => Some((e.actor, score.get(), comment)),
            _ => None,
        })
        .collect()
}

/// Issue 25: closing asks "How did we do?" (in the customer's language)
/// with a button for each score. A contact rates 5, then 2 with a comment:
/// each is an event, the latest stands, and nothing goes to Discord (the
/// thread stays archived). A second contact of the customer may rate;
/// staff, a TAM, another customer's contact and a stranger may not. A
/// reopened ticket is rated once closed again, and is asked again.
async fn a_contact_rates_a_closed_ticket_and_the_latest_rating_stands(db: &TestDb) {
    const CAROL: Snowflake = Snowflake(500000000000000003);
    let w = World::new(db).await;
    w.ok(TAM_ACME, ACME_CHANNEL, cmd("contacts add", &[("user", &CAROL.to_string())])).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::High)).await;
    let rate = |score: &str, comment: Option<&str>| {
        let mut options = vec![("number", "1"), ("score", score)];
        options.extend(comment.map(|c| ("comment", c)));
        cmd("ticket rate", &options)
    };
    let refused = w.refused(ALICE, ACME_CHANNEL, rate("4", None)).await;
    assert!(
        matches!(refused, Refusal::Ticket { refusal: ticket::Refusal::RatedWhenClosed(TicketState::Open), .. }),
        "{refused:?}"
    );
    w.out.clear();
    w.ok(ENGINEER, thread, cmd("ticket close", &[("number", "1"), ("resolution", "Patched")])).await;
    let asked = |w: &World| {
        w.out.actions().into_iter().find_map(|a| match a {
            Action::Post { msg, buttons, .. } if !buttons.is_empty() => Some((msg.plain(), buttons)),
            _ => None,
        })
    };
    let (text, buttons) = asked(&w).expect("the closing post asks");
    assert!(text.starts_with(&format!("Cerrado por @{ENGINEER}: Patched")), "{text}");
    assert!(text.contains("¿Qué tal lo hemos hecho? Valóralo de 1 (mal) a 5 (excelente)."), "{text}");
    let scores: Vec<Score> = (1..=5).map(|n| Score::new(n).unwrap()).collect();
    assert_eq!(buttons, scores.iter().map(|s| Button::Rate { ticket: number.clone(), score: *s }).collect::<Vec<_>>());

    w.out.clear();
    let five = w.ok(ALICE, ACME_CHANNEL, rate("5", None)).await;
    assert_eq!(
        five.text().plain(),
        "Gracias por valorar ACME-1 con un 5 sobre 5. ¿Algo más? Un comentario es lo que más nos ayuda."
    );
    assert_eq!(five.button(), Some(&Button::Comment { ticket: number.clone(), score: scores[4], lang: Language::Es }));
    let two = w
        .ok(
            ALICE,
            thread,
            cmd("ticket rate", &[("number", "ACME-1"), ("score", "2"), ("comment", "took two days to get logs read")]),
        )
        .await;
    assert_eq!(two.button(), None, "commented already");
    assert!(w.out.seen().is_empty(), "a rating changes nothing on Discord: {:?}", w.out.seen());
    let comment = Some("took two days to get logs read".to_owned());
    assert_eq!(ratings(&w, &number).await, [(ALICE, 5, None), (ALICE, 2, comment.clone())]);

    for (who, channel) in [(ENGINEER, ACME_CHANNEL), (TAM_ACME, ACME_CHANNEL)] {
        let refused = w.refused(who, channel, rate("1", None)).await;
        assert_eq!(refused, Refusal::ContactsOnly { command: spec("ticket rate") }, "{who}");
    }
    assert_eq!(w.refused(MALLORY, ACME_CHANNEL, rate("1", None)).await, Refusal::NotRegistered);
    let of_another = w.refused(BOB, GLOBEX_CHANNEL, cmd("ticket rate", &[("number", "ACME-1"), ("score", "1")])).await;
    assert_eq!(of_another, Refusal::NoSuchTicket { number: number.clone() });
    let six = [("number".to_owned(), "1".to_owned()), ("score".to_owned(), "6".to_owned())];
    let six = Command::parse("ticket rate", &six);
    assert!(matches!(six, Err(UsageError::Invalid { problem: Problem::NotAChoice, .. })), "{six:?}");

    w.ok(CAROL, ACME_CHANNEL, rate("4", None)).await;
    assert_eq!(ratings(&w, &number).await.last(), Some(&(CAROL, 4, None)), "a second contact's rating replaces it");
    let metrics = w.app.metrics().encode();
    for (score, n) in [(5, 1), (2, 1), (4, 1)] {
        assert!(metrics.contains(&format!("priority_line_ratings_total{{score=\"{score}\"}} {n}")), "{metrics}");
    }

    w.ok(ALICE, ACME_CHANNEL, cmd("ticket reopen", &[("number", "1")])).await;
    let refused = w.refused(ALICE, ACME_CHANNEL, rate("3", None)).await;
    assert!(
        matches!(refused, Refusal::Ticket { refusal: ticket::Refusal::RatedWhenClosed(TicketState::Reopened), .. }),
        "{refused:?}"
    );
    w.out.clear();
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket close", &[("number", "1")])).await;
    assert!(asked(&w).is_some(), "closed again, asked again");
}

both_backends! {
    a_contact_rates_a_closed_ticket_and_the_latest_rating_stands,
    a_note_is_posted_in_the_thread_for_the_record,
    a_ticket_is_named_by_its_bare_number_where_the_customer_is_known,
    a_business_clock_response_is_told_in_working_time,
    a_critical_ticket_gets_a_thread_a_card_and_a_tam_ping,
    without_a_severity_the_rules_decide_and_the_reply_says_how,
    an_l1_outside_working_hours_adds_the_phone_reminder,
    unregistered_users_and_staff_cannot_open_tickets,
    a_contact_cannot_see_or_touch_another_customers_tickets,
    staff_acknowledge_once_inside_the_thread,
    reclassification_recomputes_from_the_opening_time_and_is_audited,
    close_and_reopen_follow_the_state_machine,
    a_ninth_contact_is_refused_with_the_way_out,
    the_queue_puts_premium_first_then_severity_then_deadline,
    user_text_cannot_mass_mention_and_limits_are_refused_as_values,
    replies_follow_the_callers_language_and_posts_the_customers,
    a_removal_in_spanish_is_a_success,
}
