//! After the first response, through the application's entry point on both
//! backends with an injected clock: owners, the update clock (by command and
//! by a staff message, its reminder and overdue post, on a business clock
//! across a weekend), waits on the customer (ended by the customer's
//! message, reminded and closed unanswered), phone tickets, threads archived
//! on closing, and what the weekly summary counts of it all.

use crate::support::world::*;
use crate::support::{cmd, Recorder, TestDb};
use chrono::{DateTime, Duration, Utc};
use priority_line::app::{
    Action, CardStatus, Clock, Deliver, Delivery, DeliveryError, Lease, Permanent, Receipt, Refusal,
};
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::{self as ticket, EventKind, Ticket, TicketNumber, TicketState};
use priority_line::scheduler;
use priority_line::storage::OutboxState;

const ESCALATIONS: Snowflake = Snowflake(310000000000000009);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

impl World {
    async fn ticket(&self, n: &TicketNumber) -> Ticket {
        self.app.store().ticket(n).await.unwrap().unwrap()
    }

    async fn events(&self, n: &TicketNumber) -> Vec<EventKind> {
        let id = self.ticket(n).await.id;
        self.app.store().events(id).await.unwrap().into_iter().map(|e| e.kind).collect()
    }

    /// Moves the clock to `t` and delivers what fell due on the way.
    async fn until(&self, t: &str) {
        self.clock.set(at(t));
        self.deliver().await;
    }

    fn refused_ticket(n: &TicketNumber, refusal: ticket::Refusal) -> Refusal {
        Refusal::Ticket { number: n.clone(), refusal, zone: chrono_tz::Europe::Madrid }
    }
}

/// The acknowledger of an unowned ticket owns it; staff name another owner
/// (staff, or the customer's TAM), announced in the thread, which the owner
/// joins; lists and the card name the owner.
async fn owners_are_the_acknowledger_or_named_by_staff(db: &TestDb) {
    let w = World::new(db).await;
    let (n, thread, _) = w.open("Mail gateway slow", Some(Severity::High)).await;
    w.out.clear();
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    assert_eq!(w.ticket(&n).await.owner, Some(ENGINEER));
    assert!(w.out.actions().contains(&Action::AddMember { thread, user: ENGINEER }), "{:?}", w.out.actions());

    let number = n.to_string();
    let assign = |who: Snowflake| cmd("ticket assign", &[("number", &number), ("engineer", &who.to_string())]);
    assert_eq!(
        w.refused(ALICE, ACME_CHANNEL, assign(TAM_ACME)).await,
        Refusal::StaffOnly { command: spec("ticket assign") }
    );
    assert_eq!(w.refused(ENGINEER, ACME_CHANNEL, assign(MALLORY)).await, Refusal::NotStaff { user: MALLORY });
    assert_eq!(
        w.refused(ENGINEER, ACME_CHANNEL, assign(ENGINEER)).await,
        World::refused_ticket(&n, ticket::Refusal::AlreadyOwner(ENGINEER))
    );

    w.out.clear();
    w.ok(ENGINEER, ACME_CHANNEL, assign(TAM_ACME)).await;
    assert!(w.out.actions().contains(&Action::AddMember { thread, user: TAM_ACME }));
    let posts = w.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let (channel, text, ping) = &posts[0];
    assert_eq!((*channel, ping.as_slice()), (thread, &[TAM_ACME][..]));
    assert!(
        text.contains(&format!(
            "@{TAM_ACME} se encarga ahora de ACME-1 en lugar de @{ENGINEER}, asignado por @{ENGINEER}"
        )),
        "{text}"
    );
    assert_eq!(w.events(&n).await.last(), Some(&EventKind::Assigned { from: Some(ENGINEER), to: TAM_ACME }));

    let mine = w.ok(TAM_ACME, ACME_CHANNEL, cmd("ticket list", &[("which", "mine")])).await.text().plain();
    assert!(mine.contains("ACME-1") && mine.contains(&format!("owner @{TAM_ACME}")), "{mine}");
    let engineers = w.ok(ENGINEER, ACME_CHANNEL, cmd("ticket list", &[("which", "mine")])).await.text().plain();
    assert!(engineers.contains("You own no open ticket"), "{engineers}");
    let status = w.ok(ALICE, ACME_CHANNEL, cmd("ticket status", &[("number", "ACME-1")])).await;
    let card = status.card().unwrap();
    assert!(card.follow_up().contains(&priority_line::app::FollowUp::Owner(TAM_ACME)));
}

/// The premium L1's update clock (hourly): a reminder to the owner at 80 %,
/// a staff message or /ticket update restarts it, an update a second before
/// its deadline makes the overdue post moot, and a missed deadline pings
/// the owner and the TAM in the thread and the escalation channel.
async fn the_update_clock_reminds_restarts_and_escalates(db: &TestDb) {
    let w = World::new(db).await;
    let (n, thread, _) = w.open("VPN concentrator down", Some(Severity::Critical)).await;
    // A real clock has nanoseconds; storage keeps milliseconds.
    w.until("2026-11-30T09:10:00.123456789Z").await;
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    assert_eq!(w.ticket(&n).await.update_due_at, Some(at("2026-11-30T10:10:00.123Z")), "an hour after the answer");

    w.out.clear();
    w.until("2026-11-30T09:57:59Z").await;
    assert!(w.posts().is_empty(), "not yet");
    w.until("2026-11-30T09:58:00.123Z").await;
    let posts = w.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!((posts[0].0, posts[0].2.as_slice()), (thread, &[ENGINEER][..]), "the owner, in the thread");
    assert!(posts[0].1.contains("necesita una actualización para el cliente"), "{}", posts[0].1);

    // A message of the engineer in the thread is an update.
    w.clock.set(at("2026-11-30T10:05:00Z"));
    w.out.clear();
    assert!(w.say_in(ENGINEER, thread).await.is_some_and(|o| o.refusal().is_none()));
    assert_eq!(w.ticket(&n).await.update_due_at, Some(at("2026-11-30T11:05:00Z")));
    assert!(matches!(
        w.events(&n).await.last(),
        Some(EventKind::Updated { note: None, by_message: true, due_at: Some(d) }) if *d == at("2026-11-30T10:10:00.123Z")
    ));
    assert!(w.posts().is_empty(), "the message was the update");
    assert!(w.out.actions().iter().any(|a| matches!(a, Action::EditCard { .. })), "the card shows the next one");
    w.until("2026-11-30T10:10:00.123Z").await;
    assert!(w.posts().is_empty(), "the old deadline is moot");

    // /ticket update a second before the deadline: for the opener, in the thread.
    w.clock.set(at("2026-11-30T11:04:59Z"));
    w.out.clear();
    w.ok(ENGINEER, thread, cmd("ticket update", &[("note", "New power supply fitted; watching it")])).await;
    let posts = w.posts();
    assert_eq!((posts.len(), posts[0].2.as_slice()), (1, &[ALICE][..]), "{posts:?}");
    assert!(
        posts[0].1.contains("Novedades de ACME-1") && posts[0].1.contains("New power supply fitted"),
        "{}",
        posts[0].1
    );
    w.out.clear();
    w.until("2026-11-30T11:05:00Z").await;
    assert!(w.posts().is_empty(), "an update came a second before: no overdue post");

    // Nothing for the next hour: the reminder, then the overdue post.
    w.out.clear();
    w.until("2026-11-30T12:04:59Z").await;
    let posts = w.posts();
    assert_eq!(posts.len(), 3, "the reminder and the overdue post in two places: {posts:?}");
    let overdue: Vec<_> = posts.iter().filter(|(_, text, _)| text.contains("VENCIDA")).collect();
    assert_eq!(overdue.len(), 2);
    assert_eq!((overdue[0].0, overdue[1].0), (thread, ESCALATIONS));
    for (_, _, ping) in &overdue {
        assert_eq!(ping.as_slice(), &[ENGINEER, TAM_ACME]);
    }
    assert_eq!(w.events(&n).await.last(), Some(&EventKind::UpdateOverdue { due_at: at("2026-11-30T12:04:59Z") }));
    assert_eq!(w.app.metrics().updates_overdue.get(), 1);
    assert!(w
        .out
        .actions()
        .iter()
        .any(|a| matches!(a, Action::EditCard { card, .. } if card.status == CardStatus::UpdateOverdue)));
}

/// A business-clock update interval counts working time: the premium L3's
/// 8 working hours from a Friday 14:00 answer in Madrid (Friday ends at
/// 15:00) are 1 h on Friday and 7 h on Monday (09:00-14:00, 15:00-17:00):
/// due Monday 17:00 CET; its 80 % (6 h 24 min) is Monday 15:24 CET. The
/// weekend passes without a word.
async fn a_business_clock_update_interval_spans_the_weekend(db: &TestDb) {
    let w = World::new(db).await;
    w.clock.set(at("2026-11-27T08:30:00Z"));
    let (n, thread, _) = w.open("Report export misses a column", Some(Severity::Medium)).await;
    w.until("2026-11-27T13:00:00Z").await;
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    assert_eq!(w.ticket(&n).await.update_due_at, Some(at("2026-11-30T16:00:00Z")));
    let id = w.ticket(&n).await.id;
    let steps: Vec<(String, DateTime<Utc>)> = w
        .app
        .store()
        .outbox(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.state == OutboxState::Pending)
        .filter_map(|r| Some((r.step?, r.due_at)))
        .collect();
    let ms = at("2026-11-30T16:00:00Z").timestamp_millis();
    assert_eq!(
        steps,
        [
            (format!("update 80% {ms}"), at("2026-11-30T14:24:00Z")),
            (format!("update due {ms}"), at("2026-11-30T16:00:00Z"))
        ]
    );
    w.out.clear();
    w.until("2026-11-29T12:00:00Z").await;
    assert!(w.posts().is_empty(), "nothing over the weekend");
    w.until("2026-11-30T14:24:00Z").await;
    assert_eq!(w.posts().len(), 1, "the reminder");
    w.until("2026-11-30T16:00:00Z").await;
    assert_eq!(w.posts().len(), 3, "and the overdue post, twice");
}

/// /ticket wait posts the reason for the opener and stops the update
/// clock; a message of a contact of the customer in the thread ends it (no
/// one else's does), and the next update is due a full interval later.
/// Waiting twice, waiting on an unanswered or a closed ticket, and resuming
/// one that does not wait are refused saying why.
async fn a_wait_stops_the_clock_until_the_customer_answers(db: &TestDb) {
    let w = World::new(db).await;
    let (n, thread, _) = w.open("Scans fail on the file server", Some(Severity::High)).await;
    let wait = || cmd("ticket wait", &[("reason", "Send us the scanner's log of last night")]);
    assert_eq!(w.refused(ENGINEER, thread, wait()).await, World::refused_ticket(&n, ticket::Refusal::NotAnsweredYet));
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    w.clock.advance(Duration::minutes(30));
    w.out.clear();
    w.ok(ENGINEER, thread, wait()).await;
    let t = w.ticket(&n).await;
    assert_eq!((t.waiting_since, t.update_due_at), (Some(w.clock.now()), None));
    let posts = w.posts();
    assert_eq!((posts.len(), posts[0].2.as_slice()), (1, &[ALICE][..]));
    assert!(
        posts[0].1.contains("Send us the scanner's log of last night") && posts[0].1.contains("/ticket reanudar"),
        "{}",
        posts[0].1
    );
    assert!(w
        .out
        .actions()
        .iter()
        .any(|a| matches!(a, Action::EditCard { card, .. } if card.status == CardStatus::Waiting)));
    let pending: Vec<String> = w
        .app
        .store()
        .outbox(t.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.state == OutboxState::Pending)
        .filter_map(|r| r.step)
        .collect();
    assert!(pending.iter().all(|s| s.starts_with("wait ")) && pending.len() == 2, "{pending:?}");
    assert!(matches!(
        w.refused(ENGINEER, thread, wait()).await,
        Refusal::Ticket { refusal: ticket::Refusal::AlreadyWaiting { .. }, .. }
    ));
    assert_eq!(w.refused(ALICE, thread, wait()).await, Refusal::StaffOnly { command: spec("ticket wait") });

    // Messages of others change nothing.
    for someone in [BOB, MALLORY, ENGINEER] {
        assert!(w.say_in(someone, thread).await.is_none(), "{someone}");
    }
    assert!(w.ticket(&n).await.is_waiting());

    // Alice answers in the thread.
    w.clock.advance(Duration::hours(1));
    w.out.clear();
    assert!(w.say_in(ALICE, thread).await.is_some_and(|o| o.refusal().is_none()));
    let t = w.ticket(&n).await;
    assert_eq!((t.waiting_since, t.update_due_at), (None, Some(w.clock.now() + Duration::hours(4))));
    assert_eq!(w.events(&n).await.last(), Some(&EventKind::WaitEnded { by_customer: true }));
    let posts = w.posts();
    assert_eq!(posts[0].2.as_slice(), &[ENGINEER], "the owner hears of it");
    assert!(posts[0].1.starts_with(&format!("@{ENGINEER} @{ALICE} ha respondido")), "named: {}", posts[0].1);

    assert_eq!(
        w.refused(ALICE, thread, cmd("ticket resume", &[])).await,
        World::refused_ticket(&n, ticket::Refusal::NotWaiting)
    );
    // Staff may end a wait too.
    w.ok(ENGINEER, thread, wait()).await;
    w.ok(ENGINEER, ACME_CHANNEL, cmd("ticket resume", &[("number", "ACME-1")])).await;
    assert_eq!(w.events(&n).await.last(), Some(&EventKind::WaitEnded { by_customer: false }));
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket close", &[("number", "ACME-1")])).await;
    assert_eq!(w.refused(ENGINEER, thread, wait()).await, World::refused_ticket(&n, ticket::Refusal::ClosedNoFollowUp));
}

/// A wait left unanswered: the opener is reminded once after
/// `[followup].remind_after` (2 days), and after `close_after` (7 days)
/// the bot closes the ticket as "no answer from the customer", says so and
/// archives the thread; reopening brings the thread back first.
async fn an_unanswered_wait_reminds_once_then_closes(db: &TestDb) {
    let w = World::new(db).await;
    let (n, thread, _) = w.open("Agent update fails on two servers", Some(Severity::High)).await;
    w.ok(ENGINEER, thread, cmd("ack", &[])).await;
    w.ok(ENGINEER, thread, cmd("ticket wait", &[("reason", "Which agent version do they run?")])).await;
    w.out.clear();
    w.until("2026-12-02T08:59:00Z").await;
    assert!(w.posts().is_empty());
    w.until("2026-12-02T09:00:00Z").await;
    let posts = w.posts();
    assert_eq!((posts.len(), posts[0].2.as_slice()), (1, &[ALICE][..]), "{posts:?}");
    assert!(posts[0].1.contains("Recordatorio") && posts[0].1.contains("Which agent version"), "{}", posts[0].1);
    w.out.clear();
    w.until("2026-12-07T08:59:00Z").await;
    assert!(w.posts().is_empty(), "reminded once");
    w.until("2026-12-07T09:00:00Z").await;
    let t = w.ticket(&n).await;
    assert_eq!((t.state, t.waiting_since), (TicketState::Closed, None));
    assert!(w.events(&n).await.contains(&EventKind::Closed { resolution: None, no_answer: true }));
    let posts = w.posts();
    assert!(posts[0].1.contains("sin respuesta del cliente") && posts[0].1.contains("/ticket reabrir"), "{posts:?}");
    let actions = w.out.actions();
    assert_eq!(actions.last(), Some(&Action::ArchiveThread { thread, archived: true }), "{actions:?}");

    w.out.clear();
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket reopen", &[("number", "ACME-1")])).await;
    assert_eq!(w.out.actions().first(), Some(&Action::ArchiveThread { thread, archived: false }));
    let t = w.ticket(&n).await;
    assert_eq!(
        t.update_due_at,
        Some(w.clock.now() + Duration::hours(4)),
        "answered before: its update clock runs again"
    );
}

/// Staff log a ticket phoned in for a registered contact: the contact's
/// ticket, on the same clock, with its thread and card, marked as taken by
/// phone and by whom; no reminder to phone. Anyone else is refused naming
/// the fix.
async fn phone_tickets_are_the_contacts_and_say_who_logged_them(db: &TestDb) {
    let w = World::new(db).await;
    w.clock.set(at("2026-11-28T22:00:00Z")); // Saturday night in Madrid
    let phoned = |contact: Snowflake| {
        cmd(
            "ticket open",
            &[("summary", "Ransomware alert on the file server"), ("severity", "1"), ("contact", &contact.to_string())],
        )
    };
    assert_eq!(
        w.refused(ENGINEER, ACME_CHANNEL, phoned(MALLORY)).await,
        Refusal::PhoneNotAContact { user: MALLORY, customer: "Acme Corp".into() }
    );
    assert_eq!(
        w.refused(ENGINEER, ACME_CHANNEL, phoned(BOB)).await,
        Refusal::PhoneContactOfAnother { user: BOB, channel: GLOBEX_CHANNEL }
    );
    assert_eq!(w.refused(ALICE, ACME_CHANNEL, phoned(ALICE)).await, Refusal::PhoneTicketsByStaff);
    assert_eq!(
        w.refused(ENGINEER, GLOBEX_CHANNEL, phoned(ALICE)).await,
        Refusal::PhoneContactOfAnother { user: ALICE, channel: ACME_CHANNEL }
    );

    w.out.clear();
    let reply = w.ok(ENGINEER, ACME_CHANNEL, phoned(ALICE)).await.text().plain();
    assert!(reply.contains(&format!("Opened ACME-1 for @{ALICE}, taken by phone")), "{reply}");
    assert!(!reply.contains("+34"), "phoned in already: no reminder to phone");
    let n: TicketNumber = "ACME-1".parse().unwrap();
    let t = w.ticket(&n).await;
    assert_eq!((t.opened_by, t.logged_by), (ALICE, Some(ENGINEER)));
    assert_eq!(t.due_at, w.clock.now() + Duration::minutes(30), "the same clock");
    let (card, members) = w.out.card_and_members();
    assert_eq!(members, [ALICE, TAM_ACME, BACKUP_ACME, ENGINEER]);
    assert!(card.unwrap().follow_up().contains(&priority_line::app::FollowUp::ByPhone(ENGINEER)));
    let posts = w.posts();
    assert_eq!(posts.len(), 1, "the L1 ping, and no reminder to phone: {posts:?}");
    assert!(
        posts[0].1.contains(&format!("recibido por teléfono de @{ALICE} y registrado por @{ENGINEER}")),
        "{}",
        posts[0].1
    );
    assert!(matches!(
        w.events(&n).await.first(),
        Some(EventKind::Opened { logged_by: Some(who), .. }) if *who == ENGINEER
    ));
    // Alice follows it like any other.
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket status", &[("number", "ACME-1")])).await;
}

/// Closing posts, then archives the thread.
async fn closing_archives_the_thread(db: &TestDb) {
    let w = World::new(db).await;
    let (_, thread, _) = w.open("Console colours look odd", Some(Severity::Low)).await;
    w.out.clear();
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket close", &[("number", "ACME-1"), ("resolution", "A theme setting")])).await;
    let kinds: Vec<&str> = w
        .out
        .actions()
        .iter()
        .map(|a| match a {
            Action::EditCard { .. } => "card",
            Action::Post { .. } => "post",
            Action::ArchiveThread { archived: true, .. } => "archive",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["card", "post", "archive"]);
    assert!(w.out.actions().contains(&Action::ArchiveThread { thread, archived: true }));
}

/// A deliverer whose server has as many active threads as Discord allows.
struct Full(Recorder);

#[async_trait::async_trait]
impl Deliver for Full {
    async fn deliver(&self, d: &Delivery, lease: &dyn Lease) -> Result<Receipt, DeliveryError> {
        if d.actions.iter().any(|a| matches!(a, Action::OpenThread { .. })) {
            let detail = "160006: Maximum number of active threads reached".to_owned();
            return Err(DeliveryError::Permanent { action: 0, problem: Permanent::ThreadLimit, detail });
        }
        self.0.deliver(d, lease).await
    }
}

/// A thread Discord refuses for the server's limit of active threads: the
/// job ends at once, counted as failed, and the support channel is told
/// why; the ticket's posts come there meanwhile.
async fn a_thread_beyond_the_active_limit_ends_at_once_saying_why(db: &TestDb) {
    let w = World::new(db).await;
    let full = Full(Recorder::new(w.clock.clone()));
    let open = cmd("ticket open", &[("summary", "Outage"), ("severity", "1")]);
    w.app.handle(&World::invocation(ALICE, ACME_CHANNEL), open).await;
    let tick = scheduler::tick(&w.app, &full).await.unwrap();
    assert_eq!(tick.failed, 1);
    assert_eq!(w.app.metrics().notifications_failed.get(), 1);
    let posts = full.0.posts();
    let notice = posts.iter().find(|(_, text, _)| text.contains("No se pudo crear el hilo de ACME-1"));
    let (channel, text, _) = notice.unwrap_or_else(|| panic!("{posts:?}"));
    assert_eq!(*channel, ACME_CHANNEL, "in the support channel, which works");
    assert!(text.contains("(1000)"), "{text}");
    assert!(posts.iter().any(|(c, text, _)| *c == ACME_CHANNEL && text.contains("Crítico (L1)")), "the ping, there");
}

/// The weekly summary counts update deadlines and phone tickets: in
/// 2026-W48 a phone L1 of Monday, answered at 09:05 (update due 10:05), is
/// updated on time at 10:00 (due 11:00), misses 11:00 (recorded at the
/// deadline), is updated late at 11:30 (due 12:30) and closed at 12:00
/// (that deadline never falls). An L2 answered at 09:30 (due 13:30) waits on
/// the customer from 10:00: its deadline never falls either.
async fn the_summary_counts_updates_and_phone_tickets(db: &TestDb) {
    let w = World::new(db).await;
    w.clock.set(at("2026-11-23T09:00:00Z"));
    let phoned = cmd("ticket open", &[("summary", "Mail down"), ("severity", "1"), ("contact", &ALICE.to_string())]);
    w.ok(ENGINEER, ACME_CHANNEL, phoned).await;
    let (_, l2, _) = w.open("Reports slow", Some(Severity::High)).await;
    let l1 = w.ticket(&"ACME-1".parse().unwrap()).await.thread_id.unwrap();
    w.until("2026-11-23T09:05:00Z").await;
    w.ok(ENGINEER, l1, cmd("ack", &[])).await;
    w.until("2026-11-23T09:30:00Z").await;
    w.ok(ENGINEER, l2, cmd("ack", &[])).await;
    w.until("2026-11-23T10:00:00Z").await;
    w.ok(ENGINEER, l1, cmd("ticket update", &[("note", "Queue drained")])).await;
    w.ok(ENGINEER, l2, cmd("ticket wait", &[("reason", "Which report?")])).await;
    w.until("2026-11-23T11:30:00Z").await;
    w.ok(ENGINEER, l1, cmd("ticket update", &[("note", "Back to normal")])).await;
    w.until("2026-11-23T12:00:00Z").await;
    w.ok(ALICE, ACME_CHANNEL, cmd("ticket close", &[("number", "ACME-1")])).await;
    w.until("2026-12-01T09:00:00Z").await;
    let report = w
        .app
        .report("2026-W48".parse().unwrap(), chrono_tz::Europe::Madrid, w.app.config().customer("ACME"))
        .await
        .unwrap();
    let json = report.json();
    let l1 = &json["by_severity"]["1"];
    assert_eq!(
        (l1["updates_due"].as_u64(), l1["updates_late"].as_u64(), l1["by_phone"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    let l2 = &json["by_severity"]["2"];
    assert_eq!(
        (l2["updates_due"].as_u64(), l2["updates_late"].as_u64(), l2["by_phone"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    let text = report.text(priority_line::domain::customer::Language::En).plain();
    assert!(text.contains("updates due 2, late 1 · by phone 1"), "{text}");
    assert!(report.csv().lines().any(|l| l == "2026-W48,1,1,1,1,0,300,300,2,1,1,0,"), "{}", report.csv());
}

both_backends! {
    owners_are_the_acknowledger_or_named_by_staff,
    the_update_clock_reminds_restarts_and_escalates,
    a_business_clock_update_interval_spans_the_weekend,
    a_wait_stops_the_clock_until_the_customer_answers,
    an_unanswered_wait_reminds_once_then_closes,
    phone_tickets_are_the_contacts_and_say_who_logged_them,
    closing_archives_the_thread,
    a_thread_beyond_the_active_limit_ends_at_once_saying_why,
    the_summary_counts_updates_and_phone_tickets,
}
