//! What the bot's log says about people: nothing they typed or gave. The
//! real binary runs a support day against the fake Discord with its log at
//! `info` (and its own at `debug`) as JSON lines: a contact added with a
//! name, an e-mail address and a phone number, a mistyped e-mail address,
//! a ticket opened, a reclassification refused, a malformed number, a
//! contact list shown and a weekly summary with its chart. None of what
//! they typed reaches the log, nor the chart's bytes; what happened does
//! (the kinds of refusal, what each answer sent).

use crate::support::fake_discord::{self as fake, FakeDiscord, STAFF_ROLE};
use crate::support::process::{self, kill, slash, slash_in};
use serde_json::{json, Value};

const ENGINEER: u64 = 410000000000000001;
const ALICE: u64 = 500000000000000001;
const BOB: u64 = 500000000000000002;

const NAME: &str = "Alicia Quetzal-Personal";
const EMAIL: &str = "alicia.quetzal@acme.example";
const PHONE: &str = "+34 600 123 457";
const TYPO: &str = "bob.quetzal-at-acme.example";
const SUMMARY: &str = "Quetzal gateway drops the payroll VPN";
const DETAILS: &str = "Since the Quetzal upgrade, tunnel logs show";
const REASON: &str = "Quetzal reason for the same level";
const NUMBER: &str = "QUETZAL-NOT-A-NUMBER";

fn string(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

fn sub(name: &str, options: Value) -> Value {
    json!([{"name": name, "type": 1, "options": options}])
}

fn content(answer: &Value) -> &str {
    answer["data"]["content"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_of_a_support_day_holds_no_personal_data() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = format!("sqlite://{}/bot.db", dir.path().display());
    let config = process::write_config(&fake, dir.path(), &storage, &[]);
    let log = dir.path().join("bot.log");
    let mut bot = process::start_logged(&config, &log, "info,priority_line=debug");
    fake.connected(1).await;
    let staff = fake::member(ENGINEER, "engineer", &[STAFF_ROLE]);
    let alice = fake::member(ALICE, "alice", &[]);

    let user = |id: u64| json!({"name": "user", "type": 6, "value": id.to_string()});
    let add = json!([user(ALICE), string("name", NAME), string("email", EMAIL), string("phone", PHONE)]);
    let added = slash(&fake, staff.clone(), "contacts", sub("add", add)).await;
    assert!(content(&added).starts_with("Added"), "{added}");
    let typo = slash(&fake, staff.clone(), "contacts", sub("add", json!([user(BOB), string("email", TYPO)]))).await;
    assert!(content(&typo).contains(TYPO), "the reply, not the log, says what was wrong: {typo}");
    let listed = slash(&fake, staff.clone(), "contacts", sub("list", json!([]))).await;
    assert!(content(&listed).contains(EMAIL) && content(&listed).contains(PHONE), "{listed}");

    let open =
        json!([string("summary", SUMMARY), string("details", DETAILS), {"name": "severity", "type": 4, "value": 2}]);
    let opened = slash(&fake, alice.clone(), "ticket", sub("open", open)).await;
    assert!(content(&opened).starts_with("Opened **ACME-1**"), "{opened}");
    let thread = fake
        .wait_for("the ticket's thread", |f| {
            let card = f.requests().into_iter().find(|r| r.method == "POST" && r.body["embeds"] != Value::Null)?;
            card.path.trim_start_matches("/channels/").split('/').next()?.parse::<u64>().ok()
        })
        .await;
    let same = json!([string("number", "ACME-1"), {"name": "level", "type": 4, "value": 2}, string("reason", REASON)]);
    let refused = slash_in(&fake, thread, alice.clone(), "ticket", sub("severity", same)).await;
    assert!(content(&refused).contains("already"), "{refused}");
    let malformed = slash(&fake, alice, "ticket", sub("status", json!([string("number", NUMBER)]))).await;
    assert!(content(&malformed).contains(NUMBER), "{malformed}");

    let summary = slash(&fake, staff, "summary", json!([string("week", "2026-W48")])).await;
    assert!(content(&summary).contains("2026-W48"), "{summary}");
    kill(&mut bot, "-TERM");

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect();
    for secret in [NAME, EMAIL, PHONE, TYPO, SUMMARY, DETAILS, REASON, NUMBER, "Quetzal", "quetzal", "600 123"] {
        let found: Vec<&Value> = lines.iter().filter(|l| l.to_string().contains(secret)).collect();
        assert!(found.is_empty(), "{secret:?} is in the log: {found:#?}");
    }
    // No bytes of the chart: a PNG's signature, written as numbers or text.
    assert!(!text.contains("137, 80, 78, 71") && !text.contains("PNG\\r\\n"), "the chart's bytes are in the log");

    // What happened is there: refusals by kind, answers by what they sent.
    let with = |message: &str, field: &str, value: &str| {
        lines.iter().any(|l| l["message"] == message && l[field].as_str().is_some_and(|v| v.contains(value)))
    };
    assert!(with("command refused", "refusal", "not_an_email"), "{text}");
    assert!(with("command refused", "refusal", "ticket.same_severity"), "{text}");
    assert!(with("input refused", "refusal", "invalid"), "{text}");
    assert!(with("ticket opened", "ticket", "ACME-1"), "{text}");
    assert!(with("interaction answered", "answer", "personal data kept nowhere"), "{text}");
    let chart = lines.iter().filter_map(|l| l["answer"].as_str()).find(|a| a.contains("summary-2026-W48"));
    assert!(chart.is_some_and(|a| a.contains("bytes)")), "the summary's answer names its chart and size: {text}");
    assert!(lines.iter().all(|l| l["level"] != "ERROR"), "{text}");
    fake.assert_valid();
}
