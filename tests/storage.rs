//! The storage suite, run against SQLite and PostgreSQL alike.

use crate::support::TestDb;
use chrono::{DateTime, Duration, Utc};
use priority_line::domain::customer::{CustomerKey, Snowflake};
use priority_line::domain::escalation::Trigger;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::{EventKind, NewTicket, Ticket, TicketState};
use priority_line::storage::{
    AddContactError, Claim, NewContact, Queued, Reschedule, StorageError, Store, TicketChange, MAX_CONTACTS,
};
use sqlx::Row;

fn t0() -> DateTime<Utc> {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

const STAFF: Snowflake = Snowflake(9);
/// Taking a removed contact out of a ticket's thread.
fn leave() -> Queued {
    Queued { step: None, job: r#"{"kind":"leave","user":3}"#.into(), due_at: t0(), urgency: 55 }
}

fn new_ticket(customer: &str, by: u64, at: DateTime<Utc>) -> NewTicket {
    NewTicket {
        customer: customer.parse::<CustomerKey>().unwrap(),
        opened_by: Snowflake(by),
        severity: Severity::Medium,
        summary: "VPN down".into(),
        details: Some("since 08:40".into()),
        product: None,
        opened_at: at,
        due_at: at + Duration::hours(6),
        classified_by: None,
        signature: None,
        logged_by: None,
    }
}

/// A new ticket's outbox: its breach step.
fn breach_step(at: DateTime<Utc>) -> Vec<Queued> {
    vec![Queued {
        step: Some(Trigger::Breach.name()),
        job: r#"{"kind":"step","trigger":"breach"}"#.into(),
        due_at: at + Duration::hours(6),
        urgency: 1,
    }]
}

fn opened_event(at: DateTime<Utc>) -> EventKind {
    EventKind::Opened { severity: 3, due_at: at + Duration::hours(6), classified_by: None, logged_by: None }
}

fn change<'a>(
    ticket: &'a Ticket,
    at: DateTime<Utc>,
    actor: Snowflake,
    event: &'a EventKind,
    reschedule: &'a Reschedule,
) -> TicketChange<'a> {
    TicketChange { ticket, at, actor, events: std::slice::from_ref(event), reschedule, effects: &[] }
}

async fn add(store: &Store, customer: &str, user: u64) -> Result<(), AddContactError> {
    store.add_contact(customer, &NewContact::default(), (Snowflake(user), t0(), STAFF), None).await.map(|_| ())
}

async fn a_ninth_contact_is_refused_and_removal_frees_a_seat(db: &TestDb) {
    let store = &db.store;
    for user in 1..=MAX_CONTACTS as u64 {
        add(store, "ACME", user).await.unwrap();
    }
    match add(store, "ACME", 100).await {
        Err(AddContactError::LimitReached { active }) => assert_eq!(active, MAX_CONTACTS),
        other => panic!("expected the limit, got {other:?}"),
    }
    assert!(store.remove_contact("ACME", (Snowflake(3), t0(), STAFF), &leave(), None).await.unwrap());
    assert!(
        !store.remove_contact("ACME", (Snowflake(3), t0(), STAFF), &leave(), None).await.unwrap(),
        "already removed"
    );
    add(store, "ACME", 100).await.unwrap();
    assert_eq!(store.contacts("ACME").await.unwrap().len() as i64, MAX_CONTACTS);
    // Another customer's seats are its own.
    add(store, "GLOBEX", 200).await.unwrap();
}

async fn a_removed_contacts_email_and_phone_are_erased(db: &TestDb) {
    let store = &db.store;
    let details = NewContact {
        name: Some("Alice".into()),
        email: Some("alice@acme.example".into()),
        phone: Some("+34 600 000 000".into()),
        ..NewContact::default()
    };
    store.add_contact("ACME", &details, (Snowflake(1), t0(), STAFF), None).await.unwrap();
    store.add_contact("ACME", &details, (Snowflake(2), t0(), STAFF), None).await.unwrap();
    store.remove_contact("ACME", (Snowflake(1), t0(), STAFF), &leave(), None).await.unwrap();
    let rows = sqlx::query("SELECT user_id, name, email, phone FROM contacts ORDER BY user_id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    type Kept = (i64, Option<String>, Option<String>, Option<String>);
    let kept: Vec<Kept> =
        rows.iter().map(|r| (r.get("user_id"), r.get("name"), r.get("email"), r.get("phone"))).collect();
    let (alice, email, phone) = (Some("Alice".to_owned()), details.email.clone(), details.phone.clone());
    assert_eq!(kept, vec![(1, alice.clone(), None, None), (2, alice, email, phone)]);
}

async fn a_person_is_the_contact_of_one_customer_at_a_time(db: &TestDb) {
    add(&db.store, "ACME", 1).await.unwrap();
    match add(&db.store, "GLOBEX", 1).await {
        Err(AddContactError::AlreadyContact { customer }) => assert_eq!(customer, "ACME"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let c = db.store.active_contact(Snowflake(1)).await.unwrap().unwrap();
    assert_eq!(c.customer, "ACME");
}

async fn concurrent_adds_never_exceed_eight(db: &TestDb) {
    for user in 1..=7 {
        add(&db.store, "ACME", user).await.unwrap();
    }
    // Twenty staff race for the last seat: exactly one wins.
    let tasks: Vec<_> = (100..120)
        .map(|user| {
            let store = db.store.clone();
            tokio::spawn(async move { add(&store, "ACME", user).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(AddContactError::LimitReached { .. }) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(db.store.contacts("ACME").await.unwrap().len() as i64, MAX_CONTACTS);
}

async fn fifty_concurrent_opens_number_one_to_fifty(db: &TestDb) {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let at = t0() + Duration::seconds(i);
                store.open_ticket(&new_ticket("ACME", 1, at), &breach_step(at), None).await.unwrap().number.seq
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=50).collect::<Vec<i64>>());
    // Numbering is per customer.
    let other = db.store.open_ticket(&new_ticket("GLOBEX", 2, t0()), &breach_step(t0()), None).await.unwrap();
    assert_eq!(other.number.to_string(), "GLOBEX-1");
}

async fn tickets_round_trip_and_changes_are_versioned(db: &TestDb) {
    let store = &db.store;
    let opened = store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), None).await.unwrap();
    let read = store.ticket(&opened.number).await.unwrap().unwrap();
    assert_eq!(read, opened);

    let at = t0() + Duration::minutes(20);
    let next_update = at + Duration::hours(8);
    let (acked, event) = read.acknowledge(STAFF, at, Some("on it".into()), Some(next_update)).unwrap();
    let answered = Reschedule::Answered { at, then: vec![] };
    assert!(store.update_tickets(&[change(&acked, at, STAFF, &event, &answered)], None).await.unwrap());
    let stored = store.ticket(&opened.number).await.unwrap().unwrap();
    assert_eq!((stored.owner, stored.update_due_at), (Some(STAFF), Some(next_update)), "the acknowledger owns it");
    // A second change based on the stale read loses.
    let (stale, event2) = read.acknowledge(Snowflake(10), at, None, None).unwrap();
    assert!(!store
        .update_tickets(&[change(&stale, at, Snowflake(10), &event2, &Reschedule::Keep)], None)
        .await
        .unwrap());

    let now = store.ticket(&opened.number).await.unwrap().unwrap();
    assert_eq!(
        (now.state, now.acked_by, now.acked_at, now.version),
        (TicketState::Acknowledged, Some(STAFF), Some(at), 2)
    );
    let events = store.events(opened.id).await.unwrap();
    assert_eq!(events.len(), 2, "the stale change left no event");
    assert_eq!(events[0].kind, opened_event(t0()));
    assert_eq!(events[1].kind, event);
    assert_eq!(events[1].actor, STAFF);
}

async fn the_audit_trail_cannot_be_edited(db: &TestDb) {
    let store = &db.store;
    store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), None).await.unwrap();
    let update = sqlx::query("UPDATE ticket_events SET actor = 0").execute(store.pool()).await;
    assert!(update.is_err(), "events are append-only");
    let delete = sqlx::query("DELETE FROM ticket_events").execute(store.pool()).await;
    assert!(delete.is_err(), "events are append-only");
}

async fn unanswered_tickets_come_soonest_deadline_first(db: &TestDb) {
    let store = &db.store;
    let mut late = new_ticket("ACME", 1, t0());
    late.due_at = t0() + Duration::hours(8);
    let mut soon = new_ticket("GLOBEX", 2, t0());
    soon.due_at = t0() + Duration::minutes(30);
    let a = store.open_ticket(&late, &breach_step(t0()), None).await.unwrap();
    let b = store.open_ticket(&soon, &breach_step(t0()), None).await.unwrap();
    let c = store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), None).await.unwrap();
    let (closed, ev) = c.close(t0(), None).unwrap();
    store.update_tickets(&[change(&closed, t0(), Snowflake(1), &ev, &Reschedule::Cancel)], None).await.unwrap();
    let ids: Vec<i64> = store.unanswered_tickets().await.unwrap().iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![b.id, a.id]);
    assert_eq!(store.tickets("ACME", false).await.unwrap().len(), 1);
    assert_eq!(store.tickets("ACME", true).await.unwrap().len(), 2);
}

async fn removing_a_contact_keeps_their_tickets(db: &TestDb) {
    let store = &db.store;
    add(store, "ACME", 1).await.unwrap();
    let t = store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), None).await.unwrap();
    store.remove_contact("ACME", (Snowflake(1), t0(), STAFF), &leave(), None).await.unwrap();
    assert!(store.active_contact(Snowflake(1)).await.unwrap().is_none());
    assert_eq!(store.ticket(&t.number).await.unwrap().unwrap().opened_by, Snowflake(1));
    assert_eq!(store.events(t.id).await.unwrap().len(), 1);
}

async fn migrations_are_idempotent(db: &TestDb) {
    db.store.migrate().await.unwrap();
    db.store.migrate().await.unwrap();
    db.store.ping().await.unwrap();
}

/// One process per SQLite file: a second store on it is refused, clearly,
/// until the first is gone. (PostgreSQL takes any number of instances.)
#[tokio::test]
async fn a_second_process_on_the_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bot.db", dir.path().display());
    let first = Store::connect(&url).await.unwrap();
    let err = Store::connect(&url).await.expect_err("the file is in use");
    let message = err.to_string();
    assert!(message.contains("in use by another priority-line process") && message.contains("PostgreSQL"), "{message}");
    first.close().await;
    drop(first);
    let second = Store::connect(&url).await.expect("free again once the first is gone");
    second.close().await;
}

/// Issue 12: twenty instances apply the same event at once (the same
/// interaction, delivered to every gateway session): one ticket, nineteen
/// told the event is taken. A claim in the change's transaction.
async fn an_event_claimed_with_its_change_takes_effect_once(db: &TestDb) {
    let claim = |i: u32| Claim { event: "interaction:42".into(), instance: format!("instance-{i}"), at: t0() };
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), Some(&claim(i))).await
            })
        })
        .collect();
    let mut opened = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(ticket) => {
                opened += 1;
                assert_eq!(ticket.number.seq, 1);
            }
            Err(StorageError::AlreadyClaimed) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(opened, 1);
    assert_eq!(db.store.tickets("ACME", true).await.unwrap().len(), 1, "no second ticket");
    // The same event again, for a change that stores nothing else, is taken too.
    assert!(!db.store.claim_event(&claim(99)).await.unwrap());
    // Another event is not.
    let other = Claim { event: "message:43".into(), ..claim(1) };
    assert!(db.store.claim_event(&other).await.unwrap());
    // Claims older than a day are forgotten, a batch at a time.
    assert_eq!(db.store.forget_claims(t0() + Duration::days(1), 1).await.unwrap(), 1);
    assert_eq!(db.store.forget_claims(t0() + Duration::days(1), 100).await.unwrap(), 1);
    assert_eq!(db.store.forget_claims(t0() + Duration::days(1), 100).await.unwrap(), 0);
    assert!(db.store.claim_event(&claim(7)).await.unwrap());
}

/// A change whose claim is refused changes nothing, and leaves the
/// ticket's version for the instance that has the event.
async fn a_taken_event_changes_nothing(db: &TestDb) {
    let opened = db.store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), None).await.unwrap();
    let claim = Claim { event: "interaction:7".into(), instance: "a".into(), at: t0() };
    assert!(db.store.claim_event(&claim).await.unwrap());
    let (closed, event) = opened.close(t0(), None).unwrap();
    let taken = change(&closed, t0(), STAFF, &event, &Reschedule::Cancel);
    assert!(matches!(db.store.update_tickets(&[taken], Some(&claim)).await, Err(StorageError::AlreadyClaimed)));
    let t = db.store.ticket(&opened.number).await.unwrap().unwrap();
    assert_eq!((t.state, t.version), (TicketState::Open, 1));
    assert_eq!(db.store.events(t.id).await.unwrap().len(), 1, "only the opening");
}

/// Requests about one file, filed at once by two contacts of a customer:
/// one is stored, the other is told (the check before the insert cannot
/// see a request still being written). Other customers are not affected,
/// and a request that ended frees the file.
async fn one_open_request_per_file_and_customer_even_in_a_race(db: &TestDb) {
    use priority_line::domain::signature::{SignatureKind, SignatureRequest, Stage};
    let request = |customer: &str| {
        let mut new = new_ticket(customer, 1, t0());
        new.signature = Some(SignatureRequest {
            kind: SignatureKind::FalseNegative,
            hash: "d41d8cd98f00b204e9800998ecf8427e".parse().unwrap(),
            product_version: "12.1".parse().unwrap(),
            database_release: "R1".parse().unwrap(),
            detection: None,
            stage: Stage::Received,
            fixed_in: None,
        });
        new
    };
    let (a, b) = (request("ACME"), request("ACME"));
    let (ev, store) = (breach_step(t0()), &db.store);
    let (first, second) = tokio::join!(store.open_ticket(&a, &ev, None), store.open_ticket(&b, &ev, None));
    let mut outcomes = [first.is_ok(), second.is_ok()];
    outcomes.sort();
    assert_eq!(outcomes, [false, true], "{first:?} {second:?}");
    let refused = if first.is_err() { first } else { second };
    assert!(matches!(refused, Err(StorageError::DuplicateRequest)), "{refused:?}");
    let globex = store.open_ticket(&request("GLOBEX"), &ev, None).await.unwrap();
    // Rejected: the file may be filed again.
    let (rejected, events) = globex.advance(Stage::Rejected, None, Some("clean".into()), STAFF, t0()).unwrap();
    let change = TicketChange {
        ticket: &rejected,
        at: t0(),
        actor: STAFF,
        events: &events,
        reschedule: &Reschedule::Cancel,
        effects: &[],
    };
    assert!(store.update_tickets(&[change], None).await.unwrap());
    store.open_ticket(&request("GLOBEX"), &ev, None).await.unwrap();
}

/// Issue 24: the record. A message seen twice is stored once, its files
/// too; an edit seen before its message, and a deletion, are kept once and
/// read with it. A download claimed by one try is not claimed by another
/// until its lease runs out; the later try's chunks become the file's, in
/// order, and the stale try can neither keep it nor leave chunks behind. A
/// failed try waits with a fresh link, or fails for good. The retention
/// deletes the records of tickets closed before its cutoff, a batch at a
/// time, and their events stay.
async fn the_record_keeps_each_thing_once_and_files_by_their_claims(db: &TestDb) {
    use priority_line::domain::record::{Arrived, Attached, Digests, FileState};
    let store = &db.store;
    let t = store.open_ticket(&new_ticket("ACME", 1, t0()), &breach_step(t0()), None).await.unwrap();
    let file = |id: u64, name: &str, size: u64| Attached {
        id: Snowflake(id),
        name: name.into(),
        content_type: Some("text/plain".into()),
        size,
        url: format!("https://cdn.discordapp.com/attachments/7/{id}/{name}"),
    };
    let message = Arrived {
        id: Snowflake(100),
        channel: Snowflake(7),
        author: Snowflake(1),
        author_name: "alice".into(),
        by_bot: false,
        at: t0(),
        text: "The log is attached".into(),
        files: vec![file(200, "vpn.log", 3_000_000), file(201, "disk.img", 9_000_000)],
    };
    let notice = Queued {
        step: None,
        job: r#"{"kind":"file_not_kept","name":"disk.img","size":9000000,"max":5000000}"#.into(),
        due_at: t0(),
        urgency: 15,
    };
    let edited = t0() + Duration::minutes(1);
    assert!(store.record_edit(t.id, Snowflake(100), edited, "The log is attached, v2").await.unwrap());
    assert!(!store.record_edit(t.id, Snowflake(100), edited, "The log is attached, v2").await.unwrap());
    assert!(store.record_message(t.id, &message, 5_000_000, std::slice::from_ref(&notice)).await.unwrap());
    assert!(!store.record_message(t.id, &message, 5_000_000, std::slice::from_ref(&notice)).await.unwrap());
    let deleted = t0() + Duration::minutes(2);
    assert!(store.record_deletion(t.id, Snowflake(100), deleted).await.unwrap());
    assert!(!store.record_deletion(t.id, Snowflake(100), deleted + Duration::minutes(1)).await.unwrap());
    let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE job LIKE '%file_not_kept%'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(notices, 1, "the thread is told once");
    let record = store.record(t.id).await.unwrap();
    assert_eq!(record.len(), 1);
    let m = &record[0];
    assert_eq!(
        m.texts.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["The log is attached", "The log is attached, v2"]
    );
    assert_eq!((m.text(), m.deleted_at), ("The log is attached, v2", Some(deleted)));
    let states: Vec<(&str, FileState)> = m.files.iter().map(|f| (f.name.as_str(), f.state)).collect();
    assert_eq!(states, [("vpn.log", FileState::Pending), ("disk.img", FileState::TooLarge)]);

    // Two tries of one download.
    let lease = Duration::seconds(60);
    let first = store.claim_download(t0(), t0() + lease).await.unwrap().expect("the log is due");
    assert_eq!((first.file, first.attempt, first.tries), (Snowflake(200), 1, 1));
    assert_eq!(store.claim_download(t0(), t0() + lease).await.unwrap(), None, "claimed already");
    store.write_chunk(&first, 0, vec![9; 1000]).await.unwrap();
    let later = t0() + Duration::minutes(5);
    assert_eq!(store.next_download_at().await.unwrap(), Some(t0() + lease), "free again once the lease runs out");
    let second = store.claim_download(later, later + lease).await.unwrap().expect("the first try's lease ran out");
    assert_eq!(second.attempt, 2);
    assert!(!store.renew_download(&first, later + lease).await.unwrap(), "the first try lost its claim");
    let (a, b) = (vec![1_u8; 1 << 20], vec![2_u8; 5]);
    store.write_chunk(&second, 0, a.clone()).await.unwrap();
    store.write_chunk(&second, 1, b.clone()).await.unwrap();
    let digests = Digests { md5: "m".into(), sha1: "s".into(), sha256: "abc".into() };
    assert!(!store.keep_file(&first, 1000, &digests, false).await.unwrap(), "a lost claim keeps nothing");
    assert!(store.keep_file(&second, (a.len() + b.len()) as u64, &digests, false).await.unwrap());
    let mut read = Vec::new();
    assert!(store
        .read_file(Snowflake(200), |chunk| {
            read.extend_from_slice(chunk);
            Ok(())
        })
        .await
        .unwrap());
    assert_eq!(read, [a, b].concat());
    let chunks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM file_chunks").fetch_one(store.pool()).await.unwrap();
    assert_eq!(chunks, 2, "the stale try's chunk is gone");
    assert!(!store.read_file(Snowflake(201), |_| Ok(())).await.unwrap(), "no bytes kept of a file too large");
    assert!(store.record_bytes().await.unwrap() >= (1 << 20) + 5);

    // A failed try: again with a fresh link, then for good.
    let another = Arrived { id: Snowflake(101), files: vec![file(202, "dump.bin", 10)], ..message.clone() };
    assert!(store.record_message(t.id, &another, 5_000_000, &[]).await.unwrap());
    let d = store.claim_download(later, later + lease).await.unwrap().unwrap();
    store
        .retry_download(&d, Some(later), "the link had expired", Some("https://cdn.discordapp.com/fresh"))
        .await
        .unwrap();
    let d = store.claim_download(later, later + lease).await.unwrap().unwrap();
    assert_eq!((d.url.as_str(), d.tries), ("https://cdn.discordapp.com/fresh", 2));
    store.retry_download(&d, None, "gone", None).await.unwrap();
    assert_eq!(store.claim_download(later, later + lease).await.unwrap(), None);
    assert_eq!(store.pending_files(t.id).await.unwrap(), 0);

    // Retention.
    let (closed, event) = t.close(t0() + Duration::hours(1), None).unwrap();
    let keep = Reschedule::Keep;
    assert!(store.update_tickets(&[change(&closed, t0(), STAFF, &event, &keep)], None).await.unwrap());
    assert_eq!(store.forget_records(t0(), 10).await.unwrap(), 0, "closed after the cutoff");
    assert_eq!(store.forget_records(t0() + Duration::days(2), 10).await.unwrap(), 1);
    assert!(store.record(t.id).await.unwrap().is_empty());
    assert_eq!(store.record_bytes().await.unwrap(), 0);
    assert_eq!(store.forget_records(t0() + Duration::days(2), 10).await.unwrap(), 0, "nothing left to forget");
    assert_eq!(store.events(t.id).await.unwrap().len(), 2, "the events stay");
}

both_backends! {
    the_record_keeps_each_thing_once_and_files_by_their_claims,
    one_open_request_per_file_and_customer_even_in_a_race,
    an_event_claimed_with_its_change_takes_effect_once,
    a_taken_event_changes_nothing,
    a_ninth_contact_is_refused_and_removal_frees_a_seat,
    a_removed_contacts_email_and_phone_are_erased,
    a_person_is_the_contact_of_one_customer_at_a_time,
    concurrent_adds_never_exceed_eight,
    fifty_concurrent_opens_number_one_to_fifty,
    tickets_round_trip_and_changes_are_versioned,
    the_audit_trail_cannot_be_edited,
    unanswered_tickets_come_soonest_deadline_first,
    removing_a_contact_keeps_their_tickets,
    migrations_are_idempotent,
}
