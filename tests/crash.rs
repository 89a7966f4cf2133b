//! The real binary under failure: killed with SIGKILL at arbitrary points
//! while an L1's escalation steps fall due and restarted each time, and two
//! processes sharing one PostgreSQL database. Every notification reaches the
//! (fake) Discord exactly once.
//!
//! The premium L1 target is shortened to 10 s (steps at 5 s, 8 s and 10 s) so
//! that the steps fall due in real time during the test. The kill points come
//! from a fixed list, so a failure can be replayed; nothing is asserted about
//! timing, only about what Discord received.

use crate::support;
use crate::support::process::Running;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::fake_discord::{self as fake, FakeDiscord, STAFF_ROLE};
use crate::support::process::{self, kill, slash, start};
use serde_json::{json, Value};

const ESCALATION_CHANNEL: u64 = 310000000000000009;
const ENGINEER: u64 = 410000000000000001;
const ALICE: u64 = 500000000000000001;

/// SIGKILL, `down` milliseconds without a bot, and a new process.
async fn restart(bot: &mut Running, config: &Path, down: u64) {
    kill(bot, "-KILL");
    tokio::time::sleep(Duration::from_millis(down)).await;
    *bot = start(config);
}

/// The example configuration pointed at the fake and at `storage`, with a
/// 10-second L1 target for the premium plan and 1 s as the lateness threshold.
fn write_config(fake: &FakeDiscord, dir: &Path, storage: &str) -> PathBuf {
    let edits = [
        (
            "1 = { response = \"30m\", clock = \"24x7\", update = \"1h\" }",
            "1 = { response = \"10s\", clock = \"24x7\", update = \"1h\" }",
        ),
        ("late_after = \"1m\"", "late_after = \"1s\""),
    ];
    process::write_config(fake, dir, storage, &edits)
}

/// Registers Alice and has her open an L1; returns the ticket's thread.
async fn open_l1(fake: &FakeDiscord) -> u64 {
    let staff = fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let user = json!([{"name": "user", "type": 6, "value": ALICE.to_string()}]);
    let add = slash(fake, staff, "contacts", json!([{"name": "add", "type": 1, "options": user}])).await;
    assert!(add["data"]["content"].as_str().unwrap().starts_with("Added"), "{add}");
    let options = json!([{"name": "summary", "type": 3, "value": "Everything is down"},
                         {"name": "severity", "type": 4, "value": 1}]);
    let alice = fake::member(ALICE, "alice", &[]);
    let open = slash(fake, alice, "ticket", json!([{"name": "open", "type": 1, "options": options}])).await;
    assert!(open["data"]["content"].as_str().unwrap().starts_with("Opened **ACME-1**"), "{open}");
    fake.wait_for("the ticket's card", |f| {
        let card = f.requests().into_iter().find(|r| r.method == "POST" && r.body["embeds"] != Value::Null);
        card.and_then(|r| r.path.trim_start_matches("/channels/").split('/').next()?.parse().ok())
    })
    .await
}

/// The escalation posts that exist in the thread.
fn steps(fake: &FakeDiscord, thread: u64) -> Vec<String> {
    fake.messages_in(thread)
        .iter()
        .filter_map(|m| m["content"].as_str().map(str::to_owned))
        .filter(|c| c.contains("Recordatorio") || c.contains("INCUMPLIDO"))
        .collect()
}

async fn breach_posted(fake: &FakeDiscord, thread: u64) {
    fake.wait_for("the breach notice", |f| steps(f, thread).iter().any(|c| c.contains("INCUMPLIDO")).then_some(()))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_the_bot_sends_every_notification_exactly_once() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&fake, dir.path(), &format!("sqlite://{}/bot.db", dir.path().display()));
    let mut bot = start(&path);
    let mut sessions = 1;
    fake.connected(sessions).await;
    let thread = open_l1(&fake).await;

    // Kill points, in milliseconds after each start: two before the 50 % step.
    for pause in [700u64, 800] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        restart(&mut bot, &path, 0).await;
        sessions += 1;
        fake.connected(sessions).await;
    }
    // Right after the 50 % reminder (due at 5 s), down for 4 s: across the
    // 80 % step (8 s), which therefore goes out more than 1 s late.
    fake.wait_for("the 50 % reminder", |f| steps(f, thread).iter().any(|c| c.contains("el 50 %")).then_some(())).await;
    restart(&mut bot, &path, 4000).await;
    sessions += 1;
    fake.connected(sessions).await;
    // And across the breach (10 s), some while a step is being sent.
    for pause in [300u64, 1200, 900] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        restart(&mut bot, &path, 0).await;
        sessions += 1;
        fake.connected(sessions).await;
    }
    breach_posted(&fake, thread).await;
    // One more restart after everything was sent: nothing is sent again.
    kill(&mut bot, "-KILL");
    bot = start(&path);
    fake.connected(sessions + 1).await;
    // Its scheduler ran its first tick at start, before the gateway session
    // that answers this (the tick is a few statements; the session a handshake).
    let number = json!([{"name": "number", "type": 3, "value": "ACME-1"}]);
    let alice = fake::member(ALICE, "alice", &[]);
    let status = slash(&fake, alice, "ticket", json!([{"name": "status", "type": 1, "options": number}])).await;
    assert!(status["data"]["content"].as_str().unwrap().starts_with("ACME-1"), "{status}");
    kill(&mut bot, "-TERM");

    let sent = steps(&fake, thread);
    for step in ["el 50 %", "el 80 %", "INCUMPLIDO"] {
        let n = sent.iter().filter(|c| c.contains(step)).count();
        assert_eq!(n, 1, "{step:?} posted {n} times in: {sent:#?}");
    }
    let late: Vec<&String> = sent.iter().filter(|c| c.contains("Enviado con retraso")).collect();
    assert!(
        late.iter().any(|c| c.contains("el 80 %")),
        "the 80 % step, sent after the downtime, says it is late: {sent:#?}"
    );
    let escalations = fake.messages_in(ESCALATION_CHANNEL);
    assert_eq!(escalations.len(), 1, "one breach notice in the escalation channel: {escalations:#?}");
    fake.assert_valid();
}

/// Two bot processes on one PostgreSQL database share the work: each
/// notification is sent by one of them, once (counted in requests, so
/// Discord's nonce deduplication cannot hide a double send).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgresql_send_each_notification_once() {
    let Some(db) = support::postgres().await else { return };
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&fake, dir.path(), &db.url);
    let mut first = start(&path);
    fake.connected(1).await;
    let mut second = start(&path);
    fake.connected(2).await;
    let thread = open_l1(&fake).await;
    breach_posted(&fake, thread).await;
    kill(&mut first, "-TERM");
    kill(&mut second, "-TERM");
    let keyed: Vec<String> = fake
        .requests()
        .iter()
        .filter_map(|r| r.body["nonce"].as_str().filter(|n| n.starts_with("pl-o")).map(str::to_owned))
        .collect();
    let unique: std::collections::BTreeSet<&String> = keyed.iter().collect();
    // The card, the L1 ping, 50 %, 80 %, the breach in the thread and in the
    // escalation channel; outside Acme's working hours, the phone reminder too.
    assert!(keyed.len() >= 6, "{keyed:?}");
    assert_eq!(unique.len(), keyed.len(), "no notification sent twice: {keyed:?}");
    fake.assert_valid();
    db.finish().await;
}

/// Issue 13: the bot is killed after answering `/ticket open` and before the
/// thread exists: once while its creation hangs unprocessed, once after
/// Discord created the thread but before the bot heard of it. After each
/// restart the outbox completes the opening: one thread, one card, one TAM
/// ping per ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_the_reply_and_the_thread_the_next_start_completes_it_once() {
    use support::fake_discord::Stall;
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&fake, dir.path(), &format!("sqlite://{}/bot.db", dir.path().display()));
    let mut bot = start(&path);
    let mut sessions = 1;
    fake.connected(sessions).await;
    let staff = fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let user = json!([{"name": "user", "type": 6, "value": ALICE.to_string()}]);
    slash(&fake, staff, "contacts", json!([{"name": "add", "type": 1, "options": user}])).await;
    for (n, processed) in [(1, false), (2, true)] {
        fake.stall_next(Stall { method: "POST", path_suffix: "/threads".into(), processed });
        let options = json!([{"name": "summary", "type": 3, "value": format!("Outage {n}")},
                             {"name": "severity", "type": 4, "value": 1}]);
        let alice = fake::member(ALICE, "alice", &[]);
        let open = slash(&fake, alice, "ticket", json!([{"name": "open", "type": 1, "options": options}])).await;
        assert!(open["data"]["content"].as_str().unwrap().starts_with(&format!("Opened **ACME-{n}**")), "{open}");
        fake.request("POST", "/threads", n).await;
        kill(&mut bot, "-KILL");
        bot = start(&path);
        sessions += 1;
        fake.connected(sessions).await;
        let thread = fake
            .wait_for(&format!("the ping, the card and the members of ACME-{n}"), |f| {
                f.threads().into_iter().find(|(id, t)| {
                    let posts = f.messages_in(*id);
                    t.name.starts_with(&format!("ACME-{n} "))
                        && posts.iter().any(|m| m["content"].as_str().is_some_and(|c| c.contains("es Crítico")))
                        && posts.iter().any(|m| m["embeds"] != json!([]))
                        && t.members.len() == 3
                })
            })
            .await;
        let named = fake.threads().values().filter(|t| t.name.starts_with(&format!("ACME-{n} "))).count();
        assert_eq!(
            named,
            1,
            "one thread for ACME-{n} (the stall {} Discord)",
            if processed { "reached" } else { "never reached" }
        );
        let posts = fake.messages_in(thread.0);
        let cards = posts.iter().filter(|m| m["embeds"] != json!([])).count();
        let pings = posts.iter().filter(|m| m["content"].as_str().is_some_and(|c| c.contains("es Crítico"))).count();
        assert_eq!((cards, pings), (1, 1), "{posts:#?}");
        assert_eq!(thread.1.members, [ALICE, 400000000000000002, 400000000000000003]);
    }
    kill(&mut bot, "-TERM");
    fake.assert_valid();
}

/// One fix releases two customers' requests about the same file. The bot is
/// killed while the first progress post is in flight (Discord stored it but
/// the answer never came) and started again: each requester is told of the
/// release once, in their own thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_a_fix_is_announced_each_requester_is_told_once() {
    use support::fake_discord::Stall;
    use support::process::slash_in;
    const GLOBEX_CHANNEL: u64 = 310000000000000002;
    const BOB: u64 = 500000000000000002;
    const ANALYST: u64 = 420000000000000001;
    const SPECIALIST_ROLE: u64 = 320000000000000003;
    let sub = fake::subcommand;
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = process::write_config(&fake, dir.path(), &format!("sqlite://{}/bot.db", dir.path().display()), &[]);
    let mut bot = start(&path);
    fake.connected(1).await;
    let staff = fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let analyst = fake::member(ANALYST, "analyst", &[SPECIALIST_ROLE]);
    let people = [(ALICE, "alice", process::ACME_CHANNEL), (BOB, "bob", GLOBEX_CHANNEL)];
    for (user, _, channel) in people {
        let user = json!([{"name": "user", "type": 6, "value": user.to_string()}]);
        slash_in(&fake, channel, staff.clone(), "contacts", json!([{"name": "add", "type": 1, "options": user}])).await;
    }
    slash_in(&fake, process::ACME_CHANNEL, staff.clone(), "signature", sub("latest-db", &[("release", "R1")])).await;
    let file = [
        ("kind", "false_positive"),
        ("hash", "d41d8cd98f00b204e9800998ecf8427e"),
        ("product_version", "12.1"),
        ("database_release", "R1"),
    ];
    for (user, name, channel) in people {
        let filed = slash_in(&fake, channel, fake::member(user, name, &[]), "signature", sub("request", &file)).await;
        assert!(filed["data"]["content"].as_str().unwrap().starts_with("Filed"), "{filed}");
    }
    // Each request's thread, once the specialists were told of it.
    let specialists = format!("<@&{SPECIALIST_ROLE}>");
    let threads: Vec<u64> = fake
        .wait_for("both requests' threads", |f| {
            let told: Vec<u64> = f
                .threads()
                .into_keys()
                .filter(|id| f.messages_in(*id).iter().any(|m| m["content"].to_string().contains(&specialists)))
                .collect();
            (told.len() == 2).then_some(told)
        })
        .await;
    let advance = |stage: &'static str, release: Option<&'static str>| {
        let mut options = vec![("number", "ACME-1"), ("stage", stage)];
        options.extend(release.map(|r| ("release", r)));
        sub("advance", &options)
    };
    for stage in ["analysing", "fix_scheduled"] {
        slash_in(&fake, process::ACME_CHANNEL, analyst.clone(), "signature", advance(stage, None)).await;
    }
    let released = |f: &FakeDiscord, thread: u64| {
        f.messages_in(thread).iter().filter(|m| m["content"].as_str().is_some_and(|c| c.contains("R2"))).count()
    };
    let posts_before = fake.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages")).count();
    fake.stall_next(Stall { method: "POST", path_suffix: "/messages".into(), processed: true });
    let reply =
        slash_in(&fake, process::ACME_CHANNEL, analyst.clone(), "signature", advance("released", Some("R2"))).await;
    assert!(reply["data"]["content"].as_str().unwrap().contains("released"), "{reply}");
    // The stalled post reached Discord (it is the first of the release's posts).
    let posts = |f: &FakeDiscord| -> Vec<(String, Value)> {
        let requests = f.requests().into_iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages"));
        requests.map(|r| (r.path, r.body["nonce"].clone())).collect()
    };
    let stalled = fake.wait_for("the stalled post", |f| posts(f).get(posts_before).cloned()).await;
    kill(&mut bot, "-KILL");
    bot = start(&path);
    fake.connected(2).await;
    fake.wait_for("the stalled post sent again", |f| {
        (posts(f).iter().filter(|p| **p == stalled).count() == 2).then_some(())
    })
    .await;
    fake.wait_for("both requesters told", |f| threads.iter().all(|t| released(f, *t) >= 1).then_some(())).await;
    for thread in &threads {
        assert_eq!(released(&fake, *thread), 1, "told once in {thread}: {:#?}", fake.messages_in(*thread));
    }
    kill(&mut bot, "-TERM");
    fake.assert_valid();
}

/// The weekly summary, due seconds after the start, is killed during its
/// upload (Discord stored the message, the answer never came) and started
/// again: the summary is posted once, its chart a PNG uploaded as
/// `files[0]` and described in `payload_json`, the embed showing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_the_summary_upload_it_is_posted_once() {
    use chrono::{Datelike, Utc};
    use support::fake_discord::Stall;
    const ALL_SUMMARIES: u64 = 310000000000000011;
    // Due in a few seconds, in the same ISO week as now.
    let mut due = Utc::now() + chrono::Duration::seconds(4);
    if due.iso_week() != Utc::now().iso_week() {
        tokio::time::sleep(Duration::from_secs(6)).await;
        due = Utc::now() + chrono::Duration::seconds(4);
    }
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let entry = "channel = \"310000000000000011\"\nday = \"mon\"\ntime = \"08:00\"";
    let now_due = format!(
        "channel = \"310000000000000011\"\nday = \"{}\"\ntime = \"{}\"",
        due.format("%a").to_string().to_lowercase(),
        due.format("%H:%M:%S")
    );
    let storage = format!("sqlite://{}/bot.db", dir.path().display());
    let path = process::write_config(&fake, dir.path(), &storage, &[(entry, &now_due)]);
    let mut bot = start(&path);
    fake.connected(1).await;
    let messages = format!("/channels/{ALL_SUMMARIES}/messages");
    fake.stall_next(Stall { method: "POST", path_suffix: messages.clone(), processed: true });
    let first = fake.request("POST", &messages, 1).await;
    kill(&mut bot, "-KILL");
    bot = start(&path);
    fake.connected(2).await;
    let again = fake.request("POST", &messages, 2).await;
    assert_eq!(again.body["nonce"], first.body["nonce"], "the same post, by its nonce");
    assert_eq!(fake.messages_in(ALL_SUMMARIES).len(), 1, "posted once: {:#?}", fake.messages_in(ALL_SUMMARIES));
    let file = &again.files[0];
    assert_eq!(file.part, "files[0]");
    let reader = png::Decoder::new(std::io::Cursor::new(file.bytes.clone())).read_info().expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (960, 540));
    let embed = &again.body["embeds"][0];
    assert_eq!(embed["image"]["url"], format!("attachment://{}", file.filename));
    assert!(embed["title"].as_str().unwrap().starts_with("Weekly summary"), "{embed}");
    kill(&mut bot, "-TERM");
    fake.assert_valid();
}

/// Issue 17: the "update overdue" post reached Discord but its answer never
/// came, and the bot is SIGKILLed then; started again, it sends the post
/// again with the same nonce (Discord returns the first): the owner and the
/// TAM are told once in the thread and once in the escalation channel, and
/// the missed deadline is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_an_overdue_update_is_posted_it_is_posted_once() {
    use support::fake_discord::Stall;
    const ESCALATIONS: u64 = 310000000000000009;
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = format!("sqlite://{}/bot.db", dir.path().display());
    // The premium L1's update clock, in seconds.
    let edits = [
        (
            "1 = { response = \"30m\", clock = \"24x7\", update = \"1h\" }",
            "1 = { response = \"30m\", clock = \"24x7\", update = \"4s\" }",
        ),
        ("late_after = \"1m\"", "late_after = \"1s\""),
    ];
    let path = process::write_config(&fake, dir.path(), &storage, &edits);
    let mut bot = start(&path);
    fake.connected(1).await;
    let thread = open_l1(&fake).await;
    // The L1 ping follows the card once the thread's id is stored: a
    // message before that is in a thread the bot does not know yet.
    fake.request("POST", &format!("/channels/{thread}/messages"), 2).await;
    let id = fake.next_id();
    fake.dispatch("MESSAGE_CREATE", fake::typed_message(id, thread, ENGINEER, "engineer", &[STAFF_ROLE], "On it"));
    let said = |f: &FakeDiscord, channel: u64, what: &str| {
        f.messages_in(channel).iter().filter(|m| m["content"].as_str().is_some_and(|c| c.contains(what))).count()
    };
    // The reminder at 80 %; then the overdue post, whose first place (the
    // thread) takes it without answering.
    fake.wait_for("the update reminder", |f| (said(f, thread, "necesita una actualización") == 1).then_some(())).await;
    fake.stall_next(Stall { method: "POST", path_suffix: format!("/channels/{thread}/messages"), processed: true });
    fake.wait_for("the overdue post, stalled", |f| (said(f, thread, "VENCIDA") == 1).then_some(())).await;
    kill(&mut bot, "-KILL");
    bot = start(&path);
    fake.connected(2).await;
    fake.wait_for("the overdue post, escalated", |f| (said(f, ESCALATIONS, "VENCIDA") == 1).then_some(())).await;
    let resent = fake
        .requests()
        .iter()
        .filter(|r| {
            r.path == format!("/channels/{thread}/messages") && r.body["content"].to_string().contains("VENCIDA")
        })
        .count();
    assert_eq!(resent, 2, "sent again after the restart, with its nonce");
    assert_eq!((said(&fake, thread, "VENCIDA"), said(&fake, ESCALATIONS, "VENCIDA")), (1, 1));
    kill(&mut bot, "-TERM");
    let store = priority_line::storage::Store::connect(&storage).await.unwrap();
    let ticket = store.ticket(&"ACME-1".parse().unwrap()).await.unwrap().unwrap();
    let missed = store
        .events(ticket.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, priority_line::domain::ticket::EventKind::UpdateOverdue { .. }))
        .count();
    assert_eq!(missed, 1, "recorded once");
    fake.assert_valid();
}

/// Issue 24: the bot is killed (SIGKILL) half-way through downloading a
/// file of Alice's, a chunk of it already written; started again, it
/// downloads the file anew and keeps it once, with the SHA-256 of what was
/// sent and no chunk of the dead try left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_download_the_file_is_kept_once_after_restart() {
    use sha2::Digest;
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bot.db", dir.path().display());
    let path = process::write_config(&fake, dir.path(), &url, &[]);
    let mut bot = start(&path);
    fake.connected(1).await;
    let thread = open_l1(&fake).await;
    let log: Vec<u8> = (0..2_500_000_u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    fake.hold_downloads(Some(1_600_000));
    fake.write(thread, &fake::member(ALICE, "alice", &[]), "The log", &[("vpn.log", &log)]);
    fake.wait_for("the download", |f| f.requests().into_iter().find(|r| r.path.ends_with("/vpn.log"))).await;
    // Read beside the bot, as the report and transcript commands do.
    let reader = priority_line::storage::Store::connect_reader(&url).await.unwrap();
    let chunks = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM file_chunks").fetch_one(reader.pool()).await.unwrap()
    };
    support::eventually(|| async { (chunks().await >= 1).then_some(()).ok_or("no chunk written yet".to_owned()) })
        .await;
    kill(&mut bot, "-KILL");
    fake.hold_downloads(None);
    bot = start(&path);
    fake.connected(2).await;
    let kept = || async {
        sqlx::query_scalar::<_, Option<String>>("SELECT sha256 FROM message_files WHERE name = 'vpn.log'")
            .fetch_one(reader.pool())
            .await
            .unwrap()
    };
    support::eventually(|| async { kept().await.map(|_| ()).ok_or("not kept yet".to_owned()) }).await;
    let expected: String = sha2::Sha256::digest(&log).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(kept().await, Some(expected));
    assert_eq!(chunks().await, 3, "2.5 MB in chunks of 1 MiB, the dead try's gone");
    let tries = fake.requests().iter().filter(|r| r.path.ends_with("/vpn.log")).count();
    assert_eq!(tries, 2, "the interrupted download and the one after the restart");
    kill(&mut bot, "-TERM");
    reader.close().await;
    fake.assert_valid();
}

/// Issue 24: with transcripts on, the bot asks for the Message Content
/// intent; when Discord refuses it (close code 4014) the bot stops, exits
/// with a failure and says which Developer Portal setting to switch on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_content_intent_stops_the_bot_naming_the_setting() {
    let fake = FakeDiscord::start().await;
    fake.refuse_intents(1 << 15);
    let dir = tempfile::tempdir().unwrap();
    let path = process::write_config(&fake, dir.path(), &format!("sqlite://{}/bot.db", dir.path().display()), &[]);
    let log = dir.path().join("bot.log");
    let mut bot = process::start_logged(&path, &log, "warn");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = bot.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the bot did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.success(), "{status:?}");
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("4014") && said.contains("Message Content Intent"), "{said}");
    assert!(said.contains("Developer Portal"), "{said}");
}
