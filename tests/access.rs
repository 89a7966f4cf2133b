//! Who may do what, on both backends: a TAM without the staff role is staff
//! for the customers that name them and for no other. Every command is
//! tried by Globex's TAM on Acme's ticket, channel and thread (a command
//! added without a case here fails the test), then on Globex's own; the
//! staff role keeps its reach over every customer.

mod support;

use priority_line::app::{commands, Command, Refusal};
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::TicketNumber;
use support::world::*;
use support::{cmd, TestDb};

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

/// Each command, run by Globex's TAM where it reaches Acme, and what they get.
fn cases(acme_thread: Snowflake) -> Vec<(Command, Snowflake, Expect)> {
    let (alice, tam) = (ALICE.to_string(), TAM_GLOBEX.to_string());
    let n = [("number", "ACME-1")];
    let hash = "44d88612fea8a8f36de82e1278abb02f";
    vec![
        (cmd("ticket open", &[("summary", "Phoned in"), ("contact", &alice)]), ACME_CHANNEL, Expect::Outside),
        (cmd("ticket status", &n), GLOBEX_CHANNEL, Expect::NoSuch),
        (cmd("ticket status", &[]), acme_thread, Expect::Outside),
        (cmd("ticket list", &[("which", "all")]), ACME_CHANNEL, Expect::Outside),
        (
            cmd("ticket severity", &[("number", "ACME-1"), ("level", "4"), ("reason", "minor")]),
            GLOBEX_CHANNEL,
            Expect::NoSuch,
        ),
        (cmd("ticket close", &n), GLOBEX_CHANNEL, Expect::NoSuch),
        (cmd("ticket reopen", &n), GLOBEX_CHANNEL, Expect::NoSuch),
        (cmd("ticket assign", &[("number", "ACME-1"), ("engineer", &tam)]), GLOBEX_CHANNEL, Expect::NoSuch),
        (cmd("ticket update", &[("note", "Still on it")]), acme_thread, Expect::Outside),
        (cmd("ticket update", &[("number", "ACME-1"), ("note", "Still on it")]), GLOBEX_CHANNEL, Expect::NoSuch),
        (cmd("ticket wait", &[("reason", "Logs, please")]), acme_thread, Expect::Outside),
        (cmd("ticket resume", &n), GLOBEX_CHANNEL, Expect::NoSuch),
        (cmd("ack", &[]), acme_thread, Expect::Outside),
        (cmd("contacts add", &[("user", &MALLORY.to_string())]), ACME_CHANNEL, Expect::Outside),
        (cmd("contacts remove", &[("user", &alice)]), ACME_CHANNEL, Expect::Outside),
        (cmd("contacts list", &[]), ACME_CHANNEL, Expect::Outside),
        (
            cmd(
                "signature request",
                &[
                    ("kind", "false_positive"),
                    ("hash", hash),
                    ("product_version", "9.1"),
                    ("database_release", "2026.12.01"),
                ],
            ),
            ACME_CHANNEL,
            Expect::Refused(|r| matches!(r, Refusal::ContactsOnly { .. })),
        ),
        (
            cmd("signature advance", &[("number", "ACME-1"), ("stage", "analysing")]),
            GLOBEX_CHANNEL,
            Expect::Refused(|r| matches!(r, Refusal::SpecialistsOnly { .. })),
        ),
        (cmd("signature confirm", &n), GLOBEX_CHANNEL, Expect::NoSuch),
        (
            cmd("signature latest-db", &[("release", "2026.12.01")]),
            GLOBEX_CHANNEL,
            Expect::Refused(|r| matches!(r, Refusal::StaffRoleOnly { .. })),
        ),
        (
            cmd("signature queue", &[]),
            GLOBEX_CHANNEL,
            Expect::Refused(|r| matches!(r, Refusal::SpecialistsOnly { .. })),
        ),
        (cmd("queue", &[]), ACME_CHANNEL, Expect::Theirs),
        (cmd("summary", &[("week", "2026-W49"), ("customer", "ACME")]), GLOBEX_CHANNEL, Expect::Outside),
        (cmd("summary", &[("week", "2026-W49")]), GLOBEX_CHANNEL, Expect::Theirs),
        (cmd("ticket list", &[("which", "mine")]), ACME_CHANNEL, Expect::Theirs),
    ]
}

/// Globex's TAM reaches nothing of Acme's, by any command, and changes nothing.
async fn a_tam_of_another_customer_reaches_nothing(db: &TestDb) {
    let World2 { w, acme, acme_thread, .. } = two_customers(db).await;
    let cases = cases(acme_thread);
    for entry in commands::ALL {
        assert!(
            cases.iter().any(|(c, ..)| std::ptr::eq(c.spec(), entry.spec)),
            "/{} has no case: say what Globex's TAM gets for it",
            entry.spec.path(Default::default())
        );
    }
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
