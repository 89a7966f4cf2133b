//! The application layer through its public entry point, on both backends,
//! with `config/example.toml` and a clock the tests move.

mod support;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use priority_line::app::{App, CardStatus, Command, Effect, Invocation, ManualClock, Outcome, Place};
use priority_line::config::Config;
use priority_line::domain::customer::{Language, Snowflake};
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::{EventKind, TicketNumber, TicketState};
use support::TestDb;

const ACME_CHANNEL: Snowflake = Snowflake(310000000000000001);
const GLOBEX_CHANNEL: Snowflake = Snowflake(310000000000000002);
const TAM_ACME: Snowflake = Snowflake(400000000000000002);
const BACKUP_ACME: Snowflake = Snowflake(400000000000000003);
const TAM_GLOBEX: Snowflake = Snowflake(400000000000000004);
const ENGINEER: Snowflake = Snowflake(410000000000000001);
const ALICE: Snowflake = Snowflake(500000000000000001);
const BOB: Snowflake = Snowflake(500000000000000002);
const MALLORY: Snowflake = Snowflake(500000000000000099);

/// Monday 30 November 2026, 10:00 in Madrid (09:00Z): inside Acme's working hours.
fn monday_morning() -> DateTime<Utc> {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

struct World {
    app: App,
    clock: Arc<ManualClock>,
}

impl World {
    async fn new(db: &TestDb) -> World {
        let config = Config::load(Path::new("config/example.toml")).unwrap();
        let clock = Arc::new(ManualClock::new(monday_morning()));
        let world = World { app: App::new(Arc::new(config), db.store.clone(), clock.clone()), clock };
        world
            .ok(
                TAM_ACME,
                ACME_CHANNEL,
                Command::ContactsAdd { user: ALICE, name: Some("Alice".into()), email: None, phone: None },
            )
            .await;
        world
            .ok(TAM_GLOBEX, GLOBEX_CHANNEL, Command::ContactsAdd { user: BOB, name: None, email: None, phone: None })
            .await;
        world
    }

    async fn run(&self, user: Snowflake, channel: Snowflake, command: Command) -> Outcome {
        let inv = Invocation { user, is_staff: user == ENGINEER, channel, language: None };
        self.app.handle(&inv, command).await
    }

    /// Runs a command that must succeed (a refusal fails the test with its text).
    async fn ok(&self, user: Snowflake, channel: Snowflake, command: Command) -> Outcome {
        let out = self.run(user, channel, command.clone()).await;
        assert!(
            !out.effects.is_empty() || !looks_refused(&out.reply.text),
            "{} was refused: {}",
            command.name(),
            out.reply.text
        );
        out
    }

    /// Opens a ticket as Alice and gives it a thread, as the adapter would.
    async fn open(&self, summary: &str, severity: Option<Severity>) -> (TicketNumber, Snowflake, Outcome) {
        let out = self
            .ok(
                ALICE,
                ACME_CHANNEL,
                Command::TicketOpen { summary: summary.into(), severity, product: None, details: None },
            )
            .await;
        let Some(Effect::OpenThread { card, .. }) = out.effects.first() else { panic!("no thread: {out:?}") };
        let number = card.ticket.number.clone();
        let thread = Snowflake(900_000 + number.seq as u64);
        self.app.attach_thread(&number, thread, Snowflake(800_000 + number.seq as u64)).await.unwrap();
        (number, thread, out)
    }
}

fn looks_refused(text: &str) -> bool {
    const ENGLISH: [&str; 8] = ["cannot", "Only", "not ", "Use ", "already", "Sorry", "There is no", "Open tickets in"];
    const SPANISH: [&str; 7] = ["Solo ", "No eres", "No hay", "Usa ", " ya ", "Lo sentimos", "Abre los tickets"];
    ENGLISH.iter().chain(&SPANISH).any(|w| text.contains(w))
}

fn posts(out: &Outcome) -> Vec<(&Place, &str, &[Snowflake])> {
    out.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Post { place, text, ping, .. } => Some((place, text.as_str(), ping.as_slice())),
            _ => None,
        })
        .collect()
}

async fn a_critical_ticket_gets_a_thread_a_card_and_a_tam_ping(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, out) = w.open("VPN concentrator down for all users", Some(Severity::Critical)).await;
    assert_eq!(number.to_string(), "ACME-1");
    let Effect::OpenThread { card, channel, members } = &out.effects[0] else { unreachable!() };
    assert_eq!(*channel, ACME_CHANNEL);
    assert_eq!(members, &vec![ALICE, TAM_ACME, BACKUP_ACME]);
    assert_eq!(card.status, CardStatus::Green);
    assert_eq!(card.ticket.due_at, monday_morning() + Duration::minutes(30), "L1 premium: 30 minutes");
    let pings = posts(&out);
    assert_eq!(pings.len(), 1, "working hours: no phone reminder");
    assert_eq!(pings[0].2, &[TAM_ACME, BACKUP_ACME]);
    // Acme's language is Spanish: its contacts' replies and its threads' posts are in Spanish.
    assert!(pings[0].1.contains(&format!("<@{TAM_ACME}>")) && pings[0].1.contains("es Crítico (L1)"), "{}", pings[0].1);
    assert!(out.reply.ephemeral);
    assert!(
        out.reply.text.contains("Abierto **ACME-1**: L1 Crítica")
            && out.reply.text.contains("severidad elegida por ti"),
        "{}",
        out.reply.text
    );
}

async fn without_a_severity_the_rules_decide_and_the_reply_says_how(db: &TestDb) {
    let w = World::new(db).await;
    // Acme writes in Spanish (its configured language), so the Spanish rules apply.
    let (_, _, out) = w.open("El correo va lento desde esta mañana", None).await;
    assert!(
        out.reply.text.contains("L2 Alta") && out.reply.text.contains("regla \"degradado\", que encontró \"lento\""),
        "{}",
        out.reply.text
    );
    let (_, _, out) = w.open("Mail gateway is slow", None).await;
    assert!(
        out.reply.text.contains("L3 Media"),
        "the English rule does not apply to Spanish tickets: {}",
        out.reply.text
    );
    let (_, _, out) = w.open("Console colours look odd", None).await;
    assert!(
        out.reply.text.contains("L3 Media") && out.reply.text.contains("nivel 3 por defecto"),
        "{}",
        out.reply.text
    );
}

async fn an_l1_outside_working_hours_adds_the_phone_reminder(db: &TestDb) {
    let w = World::new(db).await;
    w.clock.set("2026-11-28T22:00:00Z".parse().unwrap()); // Saturday night in Madrid
    let (_, _, out) = w.open("Ransomware: encrypted files on file server", None).await;
    assert!(out.reply.text.contains("+34 900 000 000"), "{}", out.reply.text);
    assert!(posts(&out)
        .iter()
        .any(|(_, text, ping)| text.contains("llama también a la línea prioritaria, al +34 900 000 000")
            && ping.is_empty()));
    // An L3 at the same hour gets no reminder.
    let (_, _, out) = w.open("Report export misses a column", Some(Severity::Medium)).await;
    assert!(!out.reply.text.contains("+34"), "{}", out.reply.text);
}

async fn unregistered_users_and_staff_cannot_open_tickets(db: &TestDb) {
    let w = World::new(db).await;
    let open = || Command::TicketOpen { summary: "help".into(), severity: None, product: None, details: None };
    let out = w.run(MALLORY, ACME_CHANNEL, open()).await;
    assert!(out.reply.ephemeral && out.effects.is_empty());
    assert!(out.reply.text.contains("not a registered technical contact") && out.reply.text.contains("/contacts add"));
    let out = w.run(ENGINEER, ACME_CHANNEL, open()).await;
    assert!(out.reply.text.contains("opened by the customer's registered technical contacts"), "{}", out.reply.text);
    let out = w.run(ALICE, GLOBEX_CHANNEL, open()).await;
    assert!(out.reply.text.contains(&format!("<#{ACME_CHANNEL}>")), "{}", out.reply.text);
}

async fn a_contact_cannot_see_or_touch_another_customers_tickets(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, _) = w.open("VPN down", Some(Severity::High)).await;
    for command in [
        Command::TicketStatus { number: Some(number.clone()) },
        Command::TicketClose { number: number.clone(), resolution: None },
        Command::TicketSeverity { number: number.clone(), level: Severity::Low, reason: "meh".into() },
    ] {
        let out = w.run(BOB, GLOBEX_CHANNEL, command).await;
        assert!(out.reply.ephemeral && out.effects.is_empty());
        assert!(out.reply.text.contains("There is no ticket ACME-1 among your tickets"), "{}", out.reply.text);
    }
    let out = w.ok(BOB, GLOBEX_CHANNEL, Command::TicketList { all: true }).await;
    assert!(!out.reply.text.contains("ACME-1"), "{}", out.reply.text);
    let ticket = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!((ticket.state, ticket.severity), (TicketState::Open, Severity::High), "nothing changed");
}

async fn staff_acknowledge_once_inside_the_thread(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::Critical)).await;
    let out = w.run(ALICE, thread, Command::Ack { note: None }).await;
    assert!(out.reply.text.contains("Solo el equipo de soporte"), "contacts cannot acknowledge: {}", out.reply.text);
    let out = w.run(ENGINEER, ACME_CHANNEL, Command::Ack { note: None }).await;
    assert!(out.reply.text.contains("inside a ticket's thread"), "{}", out.reply.text);

    w.clock.advance(Duration::minutes(12));
    let out = w.ok(ENGINEER, thread, Command::Ack { note: Some("Looking at the concentrator logs".into()) }).await;
    let Some(Effect::UpdateCard { card }) = out.effects.first() else { panic!("{out:?}") };
    assert_eq!(card.status, CardStatus::Acknowledged);
    assert_eq!(card.response_minutes(), Some(12));
    assert!(posts(&out)[0].1.contains("tras 12 min (dentro del objetivo)"), "{}", posts(&out)[0].1);

    let again = w.run(TAM_ACME, thread, Command::Ack { note: None }).await;
    assert!(again.reply.text.contains("already acknowledged") && again.effects.is_empty(), "{}", again.reply.text);
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!((t.acked_by, t.acked_at), (Some(ENGINEER), Some(monday_morning() + Duration::minutes(12))));
}

async fn reclassification_recomputes_from_the_opening_time_and_is_audited(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, _) = w.open("Reports are wrong", Some(Severity::Low)).await;
    w.clock.advance(Duration::hours(2));
    let out = w
        .ok(
            ALICE,
            ACME_CHANNEL,
            Command::TicketSeverity { number: number.clone(), level: Severity::High, reason: "finance blocked".into() },
        )
        .await;
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!(t.due_at, monday_morning() + Duration::hours(4), "4 h from the original opening, not from now");
    assert!(posts(&out)[0].1.contains("de L4 Baja a L2 Alta") && posts(&out)[0].1.contains("finance blocked"));
    let events = db.store.events(t.id).await.unwrap();
    assert!(
        matches!(&events[1].kind, EventKind::SeverityChanged { from: 4, to: 2, reason, .. } if reason == "finance blocked")
    );
    assert_eq!(events[1].actor, ALICE);
}

async fn close_and_reopen_follow_the_state_machine(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("Agent update fails", Some(Severity::Medium)).await;
    w.ok(
        ALICE,
        ACME_CHANNEL,
        Command::TicketClose { number: number.clone(), resolution: Some("worked around".into()) },
    )
    .await;
    let out = w.run(ENGINEER, thread, Command::Ack { note: None }).await;
    assert!(out.reply.text.contains("is closed: reopen it"), "{}", out.reply.text);
    let out = w.run(ALICE, ACME_CHANNEL, Command::TicketClose { number: number.clone(), resolution: None }).await;
    assert!(out.reply.text.contains("ACME-1 ya está cerrado"), "{}", out.reply.text);
    w.ok(TAM_ACME, ACME_CHANNEL, Command::TicketReopen { number: number.clone() }).await;
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert_eq!(t.state, TicketState::Reopened);
    w.ok(ENGINEER, thread, Command::Ack { note: None }).await;
}

async fn a_ninth_contact_is_refused_with_the_way_out(db: &TestDb) {
    let w = World::new(db).await; // Alice is the first of Acme's contacts
    for i in 2..=8u64 {
        w.ok(
            TAM_ACME,
            ACME_CHANNEL,
            Command::ContactsAdd { user: Snowflake(600 + i), name: None, email: None, phone: None },
        )
        .await;
    }
    let out = w
        .run(
            TAM_ACME,
            ACME_CHANNEL,
            Command::ContactsAdd { user: Snowflake(699), name: None, email: None, phone: None },
        )
        .await;
    assert!(out.reply.ephemeral);
    assert!(
        out.reply.text.contains("already has 8 active technical contacts")
            && out.reply.text.contains("/contacts remove"),
        "{}",
        out.reply.text
    );
    let out = w
        .run(ALICE, ACME_CHANNEL, Command::ContactsAdd { user: Snowflake(699), name: None, email: None, phone: None })
        .await;
    assert!(out.reply.text.contains("Solo el equipo de soporte"), "{}", out.reply.text);
    let list = w.ok(ALICE, ACME_CHANNEL, Command::ContactsList).await;
    assert!(list.reply.text.contains("(8 de 8 plazas)") && list.reply.text.contains("Alice"), "{}", list.reply.text);
}

async fn the_queue_puts_premium_first_then_severity_then_deadline(db: &TestDb) {
    let w = World::new(db).await;
    let standard_l1 = w
        .ok(
            BOB,
            GLOBEX_CHANNEL,
            Command::TicketOpen {
                summary: "Globex outage".into(),
                severity: Some(Severity::Critical),
                product: None,
                details: None,
            },
        )
        .await;
    assert!(standard_l1.reply.text.contains("GLOBEX-1"));
    w.open("Acme slow console", Some(Severity::High)).await;
    w.open("Acme down", Some(Severity::Critical)).await;
    let out = w.run(ALICE, ACME_CHANNEL, Command::Queue).await;
    assert!(out.reply.text.contains("Solo el equipo de soporte"), "{}", out.reply.text);
    let out = w.ok(ENGINEER, ACME_CHANNEL, Command::Queue).await;
    let order: Vec<&str> = out.reply.text.lines().skip(1).map(|l| l.split("**").nth(1).unwrap()).collect();
    assert_eq!(order, vec!["ACME-2", "ACME-1", "GLOBEX-1"]);
}

async fn replies_follow_the_callers_language_and_posts_the_customers(db: &TestDb) {
    let w = World::new(db).await;
    let (number, thread, _) = w.open("VPN down", Some(Severity::High)).await;
    // Alice's Discord is in English: her replies are, Acme's thread stays Spanish.
    let english = Invocation { user: ALICE, is_staff: false, channel: ACME_CHANNEL, language: Some(Language::En) };
    let reason = "not that urgent".to_owned();
    let out =
        w.app.handle(&english, Command::TicketSeverity { number: number.clone(), level: Severity::Low, reason }).await;
    assert!(out.reply.text.starts_with("ACME-1 is now L4 Low; first response due"), "{}", out.reply.text);
    assert!(posts(&out)[0].1.contains("cambió la severidad de L2 Alta a L4 Baja"), "{}", posts(&out)[0].1);
    // Bob (Globex, English) in Spanish: the refusal is in Spanish.
    let spanish = Invocation { user: BOB, is_staff: false, channel: GLOBEX_CHANNEL, language: Some(Language::Es) };
    let out = w.app.handle(&spanish, Command::TicketStatus { number: Some(number) }).await;
    assert!(out.reply.text.contains("No hay ningún ticket ACME-1 entre los tuyos"), "{}", out.reply.text);
    // Staff in Spanish acknowledging: the reply in Spanish, the card in Acme's language.
    let staff = Invocation { user: ENGINEER, is_staff: true, channel: thread, language: Some(Language::Es) };
    let out = w.app.handle(&staff, Command::Ack { note: None }).await;
    assert_eq!(out.reply.text, "Has acusado recibo de ACME-1.");
    let Some(Effect::UpdateCard { card }) = out.effects.first() else { panic!("{out:?}") };
    assert_eq!(card.language, Language::Es);
}

async fn user_text_cannot_mass_mention(db: &TestDb) {
    let w = World::new(db).await;
    let (number, _, _) = w.open("@everyone the VPN <@&320000000000000001> is down", Some(Severity::Critical)).await;
    let t = db.store.ticket(&number).await.unwrap().unwrap();
    assert!(!t.summary.contains("@everyone") && !t.summary.contains("<@&"), "{}", t.summary);
    let long = "x".repeat(201);
    let out = w
        .run(ALICE, ACME_CHANNEL, Command::TicketOpen { summary: long, severity: None, product: None, details: None })
        .await;
    assert!(out.reply.text.contains("resumen tiene 201 caracteres; el límite es 200"), "{}", out.reply.text);
}

both_backends! {
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
    user_text_cannot_mass_mention,
    replies_follow_the_callers_language_and_posts_the_customers,
}
