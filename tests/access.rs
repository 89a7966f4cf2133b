//! Who may do what, on both backends: a TAM without the staff role is staff
//! for the customers that name them and for no other. Every command is
//! tried by Globex's TAM on Acme's ticket, channel and thread (what they
//! get follows from its declaration, so a new command is tried too), then
//! on Globex's own; the staff role keeps its reach over every customer.

use crate::support::world::*;
use crate::support::{cmd, TestDb};
use priority_line::app::commands::{Access, Kind, Opt};
use priority_line::app::{commands, Command, Refusal, Spec};
use priority_line::domain::customer::Language;
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::TicketNumber;

/// What Globex's TAM gets for one command about Acme.
enum Expect {
    /// Told that they act for Globex only.
    Outside,
    /// Acme's ticket is unknown to them, as to a contact of another customer.
    NoSuch,
    /// Refused as the command's declared access says (as for a contact).
    Refused(fn(&Refusal) -> bool),
    /// Runs, about Globex only: the reply must not name Acme's ticket.
    Theirs,
}

struct World2 {
    w: World,
    acme: TicketNumber,
    acme_thread: Snowflake,
    globex: TicketNumber,
    globex_thread: Snowflake,
}

async fn two_customers(db: &TestDb) -> World2 {
    let w = World::new(db).await;
    let (acme, acme_thread, _) = w.open("VPN down", Some(Severity::Critical)).await;
    w.ok(BOB, GLOBEX_CHANNEL, cmd("ticket open", &[("summary", "Portal slow"), ("severity", "2")])).await;
    let globex: TicketNumber = "GLOBEX-1".parse().unwrap();
    let stored = w.app.store().ticket(&globex).await.unwrap().unwrap();
    let globex_thread = stored.thread_id.expect("a thread");
    World2 { w, acme, acme_thread, globex, globex_thread }
}

/// A value the option accepts, about Acme where it names something.
fn sample(option: &Opt) -> String {
    match &option.kind {
        Kind::Text { .. } => "Still on it".into(),
        Kind::Severity => "4".into(),
        Kind::Ticket => "ACME-1".into(),
        Kind::User => ALICE.to_string(),
        Kind::Choice(choices) => choices.first().map_or("", |c| c.value).into(),
        Kind::Hash => "44d88612fea8a8f36de82e1278abb02f".into(),
        Kind::Label => "2026.12.01".into(),
        Kind::Week => "2026-W49".into(),
        Kind::Customer => "ACME".into(),
    }
}

/// What Globex's TAM gets for a command, as its declaration says: a
/// command for others than staff and TAMs is refused as such; one that
/// takes a ticket does not find Acme's (named from Globex's channel), nor
/// Acme's thread's when the number is left out; any other is told that
/// Acme's thread is not theirs. With its required options (and its ticket,
/// when named), about Acme.
fn derived(spec: &'static Spec, acme_thread: Snowflake) -> Vec<(Command, Snowflake, Expect)> {
    let path = spec.path(Language::En);
    let ticket = spec.options.iter().find(|o| matches!(o.kind, Kind::Ticket));
    let required: Vec<(String, String)> = spec
        .options
        .iter()
        .filter(|o| o.required && !matches!(o.kind, Kind::Ticket))
        .map(|o| (o.name.en.to_owned(), sample(o)))
        .collect();
    let command = |with_ticket: bool| {
        let mut options = required.clone();
        if let (true, Some(t)) = (with_ticket, ticket) {
            options.push((t.name.en.to_owned(), "ACME-1".to_owned()));
        }
        let options: Vec<(&str, &str)> = options.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        cmd(&path, &options)
    };
    let refused = match spec.access {
        Access::Contacts => Some(Expect::Refused(|r| matches!(r, Refusal::ContactsOnly { .. }))),
        Access::StaffRole => Some(Expect::Refused(|r| matches!(r, Refusal::StaffRoleOnly { .. }))),
        Access::StaffAndSpecialists => Some(Expect::Refused(|r| matches!(r, Refusal::SpecialistsOnly { .. }))),
        Access::Staff | Access::ContactsAndStaff => None,
    };
    if let Some(refused) = refused {
        return vec![(command(true), GLOBEX_CHANNEL, refused)];
    }
    match ticket {
        Some(t) if !t.required => {
            vec![(command(true), GLOBEX_CHANNEL, Expect::NoSuch), (command(false), acme_thread, Expect::Outside)]
        }
        Some(_) => vec![(command(true), GLOBEX_CHANNEL, Expect::NoSuch)],
        // About the thread's ticket (/ack), or its customer (/contacts).
        None => vec![(command(false), acme_thread, Expect::Outside)],
    }
}

/// Each command, run by Globex's TAM where it reaches Acme, and what they
/// get: derived from each declaration, but for the commands that show a
/// TAM their own customers' things (the queue, the summary, their tickets)
/// and a ticket phoned in (staff name its contact).
fn cases(acme_thread: Snowflake) -> Vec<(Command, Snowflake, Expect)> {
    let alice = ALICE.to_string();
    let mut cases: Vec<(Command, Snowflake, Expect)> = vec![
        (cmd("ticket open", &[("summary", "Phoned in"), ("contact", &alice)]), ACME_CHANNEL, Expect::Outside),
        (cmd("queue", &[]), ACME_CHANNEL, Expect::Theirs),
        (cmd("summary", &[("week", "2026-W49"), ("customer", "ACME")]), GLOBEX_CHANNEL, Expect::Outside),
        (cmd("summary", &[("week", "2026-W49")]), GLOBEX_CHANNEL, Expect::Theirs),
        (cmd("ticket list", &[("which", "mine")]), ACME_CHANNEL, Expect::Theirs),
        (cmd("ticket list", &[("which", "all")]), ACME_CHANNEL, Expect::Outside),
    ];
    for entry in commands::ALL {
        if !cases.iter().any(|(c, ..)| std::ptr::eq(c.spec(), entry.spec)) {
            cases.extend(derived(entry.spec, acme_thread));
        }
    }
    cases
}

/// Globex's TAM reaches nothing of Acme's, by any command, and changes nothing.
async fn a_tam_of_another_customer_reaches_nothing(db: &TestDb) {
    let World2 { w, acme, acme_thread, .. } = two_customers(db).await;
    let cases = cases(acme_thread);
    assert!(cases.len() > commands::ALL.len(), "every command has its case: {}", cases.len());
    let globex = w.app.config().customer("GLOBEX").unwrap().name.clone();
    let before = w.app.store().ticket(&acme).await.unwrap().unwrap();
    for (command, channel, expect) in cases {
        let what = format!("/{} in {channel:?}", command.spec().path(Default::default()));
        match expect {
            Expect::Outside => {
                let refusal = w.refused(TAM_GLOBEX, channel, command).await;
                assert_eq!(refusal, Refusal::OutsideYourCustomers { customers: vec![globex.clone()] }, "{what}");
            }
            Expect::NoSuch => {
                let refusal = w.refused(TAM_GLOBEX, channel, command).await;
                assert_eq!(refusal, Refusal::NoSuchTicket { number: acme.clone() }, "{what}");
            }
            Expect::Refused(is) => {
                let refusal = w.refused(TAM_GLOBEX, channel, command).await;
                assert!(is(&refusal), "{what}: {refusal:?}");
            }
            Expect::Theirs => {
                let out = w.ok(TAM_GLOBEX, channel, command).await;
                let text = out.text().plain() + &out.summary().map(|s| s.msg.plain() + &s.title).unwrap_or_default();
                assert!(!text.contains("ACME") && !text.contains("Acme"), "{what}: {text}");
            }
        }
    }
    // Their message in Acme's thread neither acknowledges nor updates.
    assert!(w.say_in(TAM_GLOBEX, acme_thread).await.is_none());
    let after = w.app.store().ticket(&acme).await.unwrap().unwrap();
    assert_eq!(after, before, "Acme's ticket is untouched");
    let contacts = w.ok(ENGINEER, ACME_CHANNEL, cmd("contacts list", &[])).await.text().plain();
    assert!(!contacts.contains(&MALLORY.to_string()), "{contacts}");
}

/// For their own customer a TAM is staff: contacts, the acknowledgement
/// (by command or by a message), owners, updates, waits, the queue and the
/// summary, limited to that customer.
async fn a_tam_is_staff_for_their_own_customer(db: &TestDb) {
    let World2 { w, globex, globex_thread, acme, .. } = two_customers(db).await;
    let tam = TAM_GLOBEX.to_string();
    w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("contacts add", &[("user", &MALLORY.to_string())])).await;
    w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("contacts remove", &[("user", &MALLORY.to_string())])).await;
    let queue = w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("queue", &[])).await.text().plain();
    assert!(queue.contains("GLOBEX-1") && !queue.contains("ACME-1"), "{queue}");
    assert!(w.say_in(TAM_GLOBEX, globex_thread).await.is_some(), "their message acknowledges");
    let ticket = w.app.store().ticket(&globex).await.unwrap().unwrap();
    assert_eq!((ticket.acked_by, ticket.owner), (Some(TAM_GLOBEX), Some(TAM_GLOBEX)));
    w.ok(
        TAM_GLOBEX,
        GLOBEX_CHANNEL,
        cmd("ticket assign", &[("number", "GLOBEX-1"), ("engineer", &ENGINEER.to_string())]),
    )
    .await;
    w.ok(TAM_GLOBEX, globex_thread, cmd("ticket update", &[("note", "Found the cause")])).await;
    w.ok(TAM_GLOBEX, globex_thread, cmd("ticket wait", &[("reason", "Logs, please")])).await;
    w.ok(TAM_GLOBEX, globex_thread, cmd("ticket resume", &[])).await;
    w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("ticket assign", &[("number", "GLOBEX-1"), ("engineer", &tam)])).await;
    let mine = w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("ticket list", &[("which", "mine")])).await.text().plain();
    assert!(mine.contains("GLOBEX-1"), "{mine}");
    let summary = w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("summary", &[("week", "2026-W49")])).await;
    assert_eq!(summary.summary().unwrap().title, "Weekly summary 2026-W49 · Globex Corporation");
    w.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("ticket close", &[("number", "GLOBEX-1")])).await;
    // The staff role keeps its reach: the engineer acts on both.
    w.ok(ENGINEER, GLOBEX_CHANNEL, cmd("ticket reopen", &[("number", "GLOBEX-1")])).await;
    w.ok(ENGINEER, ACME_CHANNEL, cmd("ticket status", &[("number", acme.to_string().as_str())])).await;
    let queue = w.ok(ENGINEER, ACME_CHANNEL, cmd("queue", &[])).await.text().plain();
    assert!(queue.contains("ACME-1"), "{queue}");
}

both_backends! {
    a_tam_of_another_customer_reaches_nothing,
    a_tam_is_staff_for_their_own_customer,
}
