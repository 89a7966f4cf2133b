//! Signature change requests through the application's entry point, on
//! both backends: the latest-databases precondition, every stage
//! transition as a command, the fan-out of one fix to every requester of the
//! same file, and the specialists' queue. Refusals are asserted as values;
//! posts by whom they ping and what they must not say.

use crate::support::world::*;
use crate::support::{cmd, TestDb};
use chrono::Duration;
use priority_line::app::{Action, Button, Clock, Command, Refusal};
use priority_line::domain::customer::{Language, Snowflake};
use priority_line::domain::signature::{Recorded, Stage, StageRefusal};
use priority_line::domain::ticket::{self as ticket, EventKind, TicketNumber, TicketState};

/// A SHA-256 as a contact might paste it: upper case.
const FILE: &str = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
const OTHER_FILE: &str = "d41d8cd98f00b204e9800998ecf8427e";
const SPECIALISTS: Snowflake = Snowflake(320000000000000003);
const CAROL: Snowflake = Snowflake(500000000000000003);

/// A post: channel, text, users pinged, roles pinged, buttons.
type Posted = (Snowflake, String, Vec<Snowflake>, Vec<Snowflake>, Vec<Button>);

fn request(hash: &str, release: &str) -> Command {
    cmd(
        "signature request",
        &[("kind", "false_positive"), ("hash", hash), ("product_version", "12.1"), ("database_release", release)],
    )
}

fn advance(number: &TicketNumber, stage: &str, more: &[(&str, &str)]) -> Command {
    let number = number.to_string();
    let mut options = vec![("number", number.as_str()), ("stage", stage)];
    options.extend_from_slice(more);
    cmd("signature advance", &options)
}

fn release(id: &str) -> Recorded {
    Recorded { release: id.parse().unwrap(), at: monday_morning() }
}

impl World {
    async fn latest_db(&self, release: &str) {
        self.ok(ENGINEER, ACME_CHANNEL, cmd("signature latest-db", &[("release", release)])).await;
    }

    /// Files a request that must be accepted; returns its number and thread.
    async fn file(&self, who: Snowflake, channel: Snowflake, hash: &str, release: &str) -> (TicketNumber, Snowflake) {
        self.out.clear();
        self.ok(who, channel, request(hash, release)).await;
        let Some((_, opening)) = self.out.seen().into_iter().next() else { panic!("no thread") };
        assert!(matches!(opening.actions[..], [Action::OpenThread { .. }]), "{opening:?}");
        let number = opening.ticket.expect("a ticket's thread");
        let stored = self.app.store().ticket(&number).await.unwrap().unwrap();
        (number, stored.thread_id.expect("the thread is recorded"))
    }

    /// The posts delivered since the last clear.
    fn posted(&self) -> Vec<Posted> {
        self.out
            .actions()
            .into_iter()
            .filter_map(|a| match a {
                Action::Post { channel, msg, ping, roles, buttons, .. } => {
                    Some((channel, msg.plain(), ping, roles, buttons))
                }
                _ => None,
            })
            .collect()
    }

    async fn stage(&self, number: &TicketNumber) -> (Stage, TicketState) {
        let t = self.app.store().ticket(number).await.unwrap().unwrap();
        (t.signature.expect("a request").stage, t.state)
    }
}

async fn the_latest_databases_are_required_with_a_grace(db: &TestDb) {
    let w = World::new(db).await;
    w.latest_db("2026.11.29-01").await;
    w.clock.advance(Duration::hours(1));
    w.latest_db("2026.11.30-01").await;
    w.clock.advance(Duration::hours(1));
    w.latest_db("2026.11.30-02").await;
    let newest_at = w.clock.now();

    // Within the grace, the release just before the newest still counts.
    w.clock.advance(Duration::hours(3));
    let (number, _) = w.file(ALICE, ACME_CHANNEL, FILE, "2026.11.30-01").await;
    assert_eq!(w.stage(&number).await, (Stage::Received, TicketState::Open));
    // Not the one before that.
    let older = w.refused(BOB, GLOBEX_CHANNEL, request(FILE, "2026.11.29-01")).await;
    let newest = Recorded { at: newest_at, ..release("2026.11.30-02") };
    let new_york = chrono_tz::Tz::America__New_York;
    let expected =
        Refusal::DatabasesOutdated { named: "2026.11.29-01".parse().unwrap(), newest: newest.clone(), zone: new_york };
    assert_eq!(older, expected);
    // After the grace, not the previous one either.
    w.clock.advance(Duration::hours(1) + Duration::minutes(1));
    let late = w.refused(BOB, GLOBEX_CHANNEL, request(FILE, "2026.11.30-01")).await;
    assert_eq!(
        late,
        Refusal::DatabasesOutdated { named: "2026.11.30-01".parse().unwrap(), newest: newest.clone(), zone: new_york }
    );
    // An id nobody recorded is refused with the newest one named.
    let unknown = w.refused(BOB, GLOBEX_CHANNEL, request(FILE, "2026.12.31-99")).await;
    assert_eq!(
        unknown,
        Refusal::DatabasesUnknown { named: "2026.12.31-99".parse().unwrap(), newest: newest.release.clone() }
    );
    // Each refusal is an event of the audit trail, with why.
    let refused = w.app.store().audit_events("signature_refused").await.unwrap();
    let reasons: Vec<(Snowflake, String, String)> = refused
        .iter()
        .map(|(_, actor, detail)| {
            let d: serde_json::Value = serde_json::from_str(detail).unwrap();
            (*actor, d["database_release"].as_str().unwrap().to_owned(), d["reason"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (BOB, "2026.11.29-01".to_owned(), "older".to_owned()),
            (BOB, "2026.11.30-01".to_owned(), "older".to_owned()),
            (BOB, "2026.12.31-99".to_owned(), "unknown".to_owned()),
        ]
    );
    // The newest is accepted, and stored lower-case.
    let (globex, _) = w.file(BOB, GLOBEX_CHANNEL, FILE, "2026.11.30-02").await;
    let stored = w.app.store().ticket(&globex).await.unwrap().unwrap();
    assert_eq!(stored.signature.unwrap().hash.as_str(), FILE.to_lowercase());
    // A release is recorded once.
    let again = w.refused(ENGINEER, ACME_CHANNEL, cmd("signature latest-db", &[("release", "2026.11.30-02")])).await;
    assert_eq!(again, Refusal::ReleaseRecorded { release: "2026.11.30-02".parse().unwrap(), at: newest_at });
}

/// Not hex, or of no hash's length: refused as typed, before anything runs.
#[test]
fn hashes_are_checked_as_typed() {
    use priority_line::app::commands::Problem;
    use priority_line::app::UsageError;
    for bad in ["xyz", "g3b0c44298fc1c149afbf4c8996fb924", "e3b0c44298fc1c149afbf4c8996fb9242a"] {
        let options = [
            ("kind".to_owned(), "false_positive".to_owned()),
            ("hash".to_owned(), bad.to_owned()),
            ("product_version".to_owned(), "12.1".to_owned()),
            ("database_release".to_owned(), "R1".to_owned()),
        ];
        let err = Command::parse("signature request", &options).unwrap_err();
        assert!(matches!(err, UsageError::Invalid { problem: Problem::NotAHash(_), .. }), "{bad}: {err:?}");
    }
}

async fn every_stage_moves_by_command_and_tells_the_requester(db: &TestDb) {
    let w = World::new(db).await;
    w.latest_db("R1").await;
    w.ok(TAM_ACME, ACME_CHANNEL, cmd("contacts add", &[("user", &CAROL.to_string())])).await;
    let (n, thread) = w.file(ALICE, ACME_CHANNEL, FILE, "R1").await;

    // The thread: the specialists are told, then the card follows and the
    // contact and both TAMs join.
    let (card, members) = w.out.card_and_members();
    let card = card.expect("the card");
    assert_eq!(members, [ALICE, TAM_ACME, BACKUP_ACME]);
    let facts = card.request_facts();
    assert!(facts.iter().any(|(_, v)| v == &format!("SHA-256 {}", FILE.to_lowercase())), "{facts:?}");
    assert_eq!(card.stage_track().iter().filter(|(_, current)| *current).count(), 1);
    let opened = w.posted();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!((opened[0].0, &opened[0].3), (thread, &vec![SPECIALISTS]), "the specialist role is pinged");

    // Who may move it: staff and specialists, not contacts.
    let by_contact = w.refused(ALICE, ACME_CHANNEL, advance(&n, "analysing", &[])).await;
    assert_eq!(by_contact, Refusal::SpecialistsOnly { command: spec("signature advance") });
    // Its first response is a stage, not /ack.
    let ack = w.refused(ENGINEER, thread, cmd("ack", &[])).await;
    assert!(matches!(ack, Refusal::Ticket { refusal: ticket::Refusal::AnsweredByStage, .. }), "{ack:?}");
    // A transition that does not exist lists the ones that do.
    let skip = w.refused(ANALYST, ACME_CHANNEL, advance(&n, "released", &[("release", "R2")])).await;
    let Refusal::Ticket { refusal: ticket::Refusal::Stage(skip), .. } = skip else { panic!("{skip:?}") };
    assert_eq!(
        skip,
        StageRefusal::NotAllowed {
            from: Stage::Received,
            to: Stage::Released,
            allowed: vec![Stage::Analysing, Stage::Rejected]
        }
    );

    // received → analysing: the qualified first response.
    w.out.clear();
    w.ok(ANALYST, ACME_CHANNEL, advance(&n, "analysing", &[])).await;
    let t = w.app.store().ticket(&n).await.unwrap().unwrap();
    assert_eq!((t.acked_by, t.acked_at), (Some(ANALYST), Some(monday_morning())));
    let posts = w.posted();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!((posts[0].0, &posts[0].2, &posts[0].3), (thread, &vec![ALICE], &vec![]), "the requester alone");
    assert!(w.out.actions().iter().any(|a| matches!(a, Action::EditCard { .. })), "the card follows");
    // The clock stopped: the deadline passes without a reminder or breach.
    w.out.clear();
    w.clock.advance(Duration::hours(5));
    w.deliver().await;
    assert!(w.posted().is_empty(), "the escalation steps were cancelled: {:?}", w.posted());

    // analysing → fix_scheduled, with a note for the contact.
    w.out.clear();
    w.ok(ANALYST, ACME_CHANNEL, advance(&n, "fix_scheduled", &[("note", "in tonight's update")])).await;
    assert!(w.posted()[0].1.contains("in tonight's update"), "{:?}", w.posted());
    // released needs the release.
    let bare = w.refused(ENGINEER, ACME_CHANNEL, advance(&n, "released", &[])).await;
    assert!(matches!(bare, Refusal::Ticket { refusal: ticket::Refusal::Stage(StageRefusal::ReleaseNeeded), .. }));
    // fix_scheduled → released: the post carries the Confirm button.
    w.out.clear();
    w.ok(ENGINEER, ACME_CHANNEL, advance(&n, "released", &[("release", "R2")])).await;
    let posts = w.posted();
    assert_eq!(posts[0].4, [Button::Confirm { ticket: n.clone(), lang: Language::Es }]);
    assert!(posts[0].1.contains("R2"), "{posts:?}");
    // released → confirmed, by the contact who filed it only.
    let carol = w.refused(CAROL, ACME_CHANNEL, cmd("signature confirm", &[("number", &n.to_string())])).await;
    assert_eq!(carol, Refusal::NotYourRequest { number: n.clone() });
    w.ok(ALICE, thread, cmd("signature confirm", &[("number", &n.to_string())])).await;
    assert_eq!(w.stage(&n).await, (Stage::Confirmed, TicketState::Closed));
    let reopen = w.refused(ALICE, ACME_CHANNEL, cmd("ticket reopen", &[("number", &n.to_string())])).await;
    assert!(matches!(reopen, Refusal::Ticket { refusal: ticket::Refusal::RequestFinished(Stage::Confirmed), .. }));
    let stages: Vec<(Stage, Stage)> = w
        .app
        .store()
        .events(t.id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::StageChanged { from, to, .. } => Some((from, to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [
            (Stage::Received, Stage::Analysing),
            (Stage::Analysing, Stage::FixScheduled),
            (Stage::FixScheduled, Stage::Released),
            (Stage::Released, Stage::Confirmed)
        ]
    );

    // Rejected, from an open stage, needs a reason, which the contact reads;
    // /ticket close is not how a request ends.
    let (m, _) = w.file(ALICE, ACME_CHANNEL, OTHER_FILE, "R1").await;
    let close = w.refused(ENGINEER, ACME_CHANNEL, cmd("ticket close", &[("number", &m.to_string())])).await;
    assert!(matches!(close, Refusal::Ticket { refusal: ticket::Refusal::EndedByStage, .. }), "{close:?}");
    let bare = w.refused(ANALYST, ACME_CHANNEL, advance(&m, "rejected", &[])).await;
    assert!(matches!(bare, Refusal::Ticket { refusal: ticket::Refusal::Stage(StageRefusal::ReasonNeeded), .. }));
    w.out.clear();
    w.ok(ANALYST, ACME_CHANNEL, advance(&m, "rejected", &[("note", "the file is a packed dropper")])).await;
    assert!(w.posted()[0].1.contains("the file is a packed dropper"), "{:?}", w.posted());
    assert_eq!(w.stage(&m).await, (Stage::Rejected, TicketState::Closed));

    // Staff confirm after checking, with /signature advance.
    let (k, _) = w.file(ALICE, ACME_CHANNEL, OTHER_FILE, "R1").await;
    for (stage, more) in [("analysing", &[][..]), ("fix_scheduled", &[]), ("released", &[("release", "R3")])] {
        w.ok(ENGINEER, ACME_CHANNEL, advance(&k, stage, more)).await;
    }
    w.ok(ENGINEER, ACME_CHANNEL, advance(&k, "confirmed", &[])).await;
    assert_eq!(w.stage(&k).await, (Stage::Confirmed, TicketState::Closed));
}

/// Three requests of two customers: two about the same file. One fix
/// releases both, each requester told in their own thread and language,
/// and no post names the other customer, its contact or its ticket.
async fn one_fix_informs_every_requester_of_the_file_and_no_one_else(db: &TestDb) {
    let w = World::new(db).await;
    w.latest_db("R1").await;
    let (acme, acme_thread) = w.file(ALICE, ACME_CHANNEL, FILE, "R1").await;
    let (globex, globex_thread) = w.file(BOB, GLOBEX_CHANNEL, &FILE.to_lowercase(), "R1").await;
    let (other, other_thread) = w.file(BOB, GLOBEX_CHANNEL, OTHER_FILE, "R1").await;
    // The same customer's second request about the file points to the first.
    let dup = w.refused(ALICE, ACME_CHANNEL, request(&FILE.to_lowercase(), "R1")).await;
    assert_eq!(dup, Refusal::DuplicateRequest { number: acme.clone() });

    w.ok(ANALYST, ACME_CHANNEL, advance(&acme, "analysing", &[])).await;
    w.ok(ANALYST, ACME_CHANNEL, advance(&acme, "fix_scheduled", &[])).await;
    w.out.clear();
    w.ok(ANALYST, ACME_CHANNEL, advance(&acme, "released", &[("release", "R2")])).await;

    let posts = w.posted();
    let to = |thread: Snowflake| posts.iter().filter(|p| p.0 == thread).collect::<Vec<_>>();
    let (in_acme, in_globex) = (to(acme_thread), to(globex_thread));
    assert_eq!((in_acme.len(), in_globex.len(), to(other_thread).len()), (1, 1, 0), "{posts:#?}");
    assert_eq!((&in_acme[0].2, &in_globex[0].2), (&vec![ALICE], &vec![BOB]));
    assert!(in_acme[0].1.contains("publicada"), "Acme reads Spanish: {}", in_acme[0].1);
    assert!(in_globex[0].1.contains("is out in database release R2"), "Globex reads English: {}", in_globex[0].1);
    assert_eq!(in_globex[0].4, [Button::Confirm { ticket: globex.clone(), lang: Language::En }]);
    for (text, others) in [
        (&in_acme[0].1, ["GLOBEX", "Globex", &BOB.to_string()]),
        (&in_globex[0].1, ["ACME", "Acme", &ALICE.to_string()]),
    ] {
        for other in others {
            assert!(!text.contains(other), "{text:?} names {other}");
        }
    }
    // Both cards follow; the fix is the Globex request's first response.
    let edited: Vec<TicketNumber> = w
        .out
        .actions()
        .into_iter()
        .filter_map(|a| match a {
            Action::EditCard { card, .. } => Some(card.ticket.number),
            _ => None,
        })
        .collect();
    assert_eq!(edited.len(), 2, "{edited:?}");
    assert!(edited.contains(&acme) && edited.contains(&globex));
    let g = w.app.store().ticket(&globex).await.unwrap().unwrap();
    assert_eq!((g.signature.unwrap().stage, g.acked_at.is_some()), (Stage::Released, true));
    assert_eq!(w.stage(&other).await, (Stage::Received, TicketState::Open));
}

/// Premium first (by plan rank), then oldest; `/queue` marks requests.
async fn the_specialists_queue_puts_premium_first(db: &TestDb) {
    let w = World::new(db).await;
    w.latest_db("R1").await;
    let (globex, _) = w.file(BOB, GLOBEX_CHANNEL, FILE, "R1").await;
    w.clock.advance(Duration::minutes(5));
    let (acme, _) = w.file(ALICE, ACME_CHANNEL, FILE, "R1").await;
    w.clock.advance(Duration::minutes(5));
    let (globex2, _) = w.file(BOB, GLOBEX_CHANNEL, OTHER_FILE, "R1").await;
    let queue = w.ok(ANALYST, ACME_CHANNEL, cmd("signature queue", &[])).await.text().plain();
    let order: Vec<usize> =
        [&acme, &globex, &globex2].iter().map(|n| queue.find(&n.to_string()).expect("listed")).collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{queue}");
    let contact = w.refused(ALICE, ACME_CHANNEL, cmd("signature queue", &[])).await;
    assert_eq!(contact, Refusal::SpecialistsOnly { command: spec("signature queue") });
    let all = w.ok(ENGINEER, ACME_CHANNEL, cmd("queue", &[])).await.text().plain();
    let line = all.lines().find(|l| l.contains(&acme.to_string())).unwrap();
    assert!(line.contains("signature request"), "{all}");
    // /ticket list shows a request's stage.
    w.ok(ANALYST, ACME_CHANNEL, advance(&acme, "analysing", &[])).await;
    let list = w.ok(ALICE, ACME_CHANNEL, cmd("ticket list", &[])).await.text().plain();
    assert!(list.contains("solicitud de firma en análisis") || list.contains("signature request analysing"), "{list}");
}

/// A request about a file filed while a fix for it is being released, the
/// two commands at the same time: if the request was stored before the
/// release, the release releases it too (the release reads the open
/// requests inside its transaction); if after, it stays received, a request
/// of its own. Never stored first and missed.
async fn a_request_filed_while_a_fix_is_released_is_released_too(db: &TestDb) {
    let w = World::new(db).await;
    w.latest_db("R1").await;
    let as_who = |user: Snowflake, channel: Snowflake| priority_line::app::Invocation {
        user,
        is_staff: false,
        is_specialist: user == ANALYST,
        channel,
        language: None,
        event: None,
        named_staff: vec![],
    };
    let (mut before, mut after) = (0, 0);
    for round in 1..=8u32 {
        let hash = format!("{round:032x}");
        let (first, _) = w.file(ALICE, ACME_CHANNEL, &hash, "R1").await;
        for stage in ["analysing", "fix_scheduled"] {
            w.ok(ANALYST, ACME_CHANNEL, advance(&first, stage, &[])).await;
        }
        let (analyst, bob) = (as_who(ANALYST, ACME_CHANNEL), as_who(BOB, GLOBEX_CHANNEL));
        let (released, filed) = tokio::join!(
            w.app.handle(&analyst, advance(&first, "released", &[("release", "R2")])),
            w.app.handle(&bob, request(&hash, "R1")),
        );
        assert!(released.refusal().is_none() && filed.refusal().is_none(), "{released:?} {filed:?}");
        w.deliver().await;
        let store = w.app.store();
        let globex = store.tickets("GLOBEX", true).await.unwrap();
        let second = globex.iter().max_by_key(|t| t.id).unwrap();
        let first = store.ticket(&first).await.unwrap().unwrap();
        let released_at = store
            .events(first.id)
            .await
            .unwrap()
            .into_iter()
            .rev()
            .find(|e| matches!(e.kind, EventKind::StageChanged { to: Stage::Released, .. }));
        let opened_at = store.events(second.id).await.unwrap().into_iter().next().unwrap();
        let stage = second.signature.as_ref().unwrap().stage;
        if opened_at.id < released_at.unwrap().id {
            before += 1;
            assert_eq!(stage, Stage::Released, "round {round}: filed before the release, so released with it");
        } else {
            after += 1;
            assert_eq!(stage, Stage::Received, "round {round}: filed after the release");
        }
    }
    assert_eq!(before + after, 8);
}

/// Issue 24: in a request's thread, the file whose digest is the request's
/// hash (here its SHA-256) is kept as its sample, and /signature queue says
/// so; another file of the thread is not.
async fn the_requests_sample_is_found_among_its_threads_files(db: &TestDb) {
    use priority_line::domain::record::{Arrived, Attached};
    let w = World::new(db).await;
    w.latest_db("R1").await;
    let (number, thread) = w.file(ALICE, ACME_CHANNEL, FILE, "R1").await;
    let served = Served::default();
    let link = |name: &str| format!("https://cdn.discordapp.com/attachments/{thread}/1/{name}");
    served.add(&link("sample.bin"), b"");
    served.add(&link("notes.txt"), b"what we saw");
    let attached = |id: u64, name: &str, size: u64| Attached {
        id: Snowflake(id),
        name: name.into(),
        content_type: None,
        size,
        url: link(name),
    };
    let message = Arrived {
        id: Snowflake(9001),
        channel: thread,
        author: ALICE,
        author_name: "alice".into(),
        by_bot: false,
        at: w.clock.now(),
        text: "The file, and our notes".into(),
        files: vec![attached(9101, "sample.bin", 0), attached(9102, "notes.txt", 11)],
    };
    assert!(w.app.record_message(&message).await.unwrap());
    assert_eq!(w.app.keep_due_files(&served).await, 2);
    let ticket = w.app.store().ticket(&number).await.unwrap().unwrap();
    let files: Vec<(String, bool)> = w
        .app
        .store()
        .record(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|m| m.files)
        .map(|f| (f.name, f.sample))
        .collect();
    assert_eq!(files, [("sample.bin".to_owned(), true), ("notes.txt".to_owned(), false)]);
    let queue = w.ok(ANALYST, ACME_CHANNEL, cmd("signature queue", &[])).await.text().plain();
    let line = queue.lines().find(|l| l.contains(&number.to_string())).unwrap();
    assert!(line.ends_with("sample kept: sample.bin (0 B)"), "{queue}");
}

both_backends! {
    the_requests_sample_is_found_among_its_threads_files,
    a_request_filed_while_a_fix_is_released_is_released_too,
    the_latest_databases_are_required_with_a_grace,
    every_stage_moves_by_command_and_tells_the_requester,
    one_fix_informs_every_requester_of_the_file_and_no_one_else,
    the_specialists_queue_puts_premium_first,
}
