//! Issue 9: tens of thousands of random command lines, to the console and to
//! the Discord command builder: fragments of the declared grammar in both
//! languages, quoting, unicode, control characters, huge numbers and
//! durations. None may panic, and each line gets one answer. The lines come
//! from proptest's runner with fixed seeds, so a failure replays.

use crate::support;
use std::path::Path;
use std::sync::Arc;

use priority_line::adapters::console::Console;
use priority_line::app::clock::ShiftedClock;
use priority_line::app::commands::{self, Kind};
use priority_line::app::{App, Invocation};
use priority_line::config::Config;
use priority_line::domain::customer::{Language, Snowflake};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

/// Console lines per run (over `SHARDS` consoles), and Discord payloads.
const LINES: usize = 20_000;
const SHARDS: u8 = 4;
const PAYLOADS: usize = 10_000;

/// Words a person might type: every declared path word, option name and
/// choice in both languages, and some that are not.
fn words() -> Vec<String> {
    let mut words: Vec<String> = vec!["ticket".into(), "contacts".into(), "contactos".into(), "nope".into(), "".into()];
    for entry in commands::ALL {
        let s = entry.spec;
        words.extend([s.name.en, s.name.es].map(String::from));
        for o in s.options {
            words.extend([o.name.en, o.name.es].map(String::from));
            if let Kind::Choice(choices) = &o.kind {
                for c in *choices {
                    words.extend([c.value, c.name.en, c.name.es].map(String::from));
                }
            }
        }
    }
    words
}

/// Values: plausible ones, huge numbers, durations, mentions, unicode and
/// control characters.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ACME-1".to_owned()),
        Just("ACME-999999999999999999999".to_owned()),
        Just("acme-0".to_owned()),
        Just("GLOBEX-2".to_owned()),
        Just("1".to_owned()),
        Just("5".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999999999".to_owned()),
        Just("@alice".to_owned()),
        Just("<@!500000000000000001>".to_owned()),
        Just("400000000000000002".to_owned()),
        Just("@everyone".to_owned()),
        Just("all".to_owned()),
        Just("todos".to_owned()),
        Just("x@y".to_owned()),
        "[a-zA-Z0-9 ]{0,12}",
        any::<String>(),
        "\\PC{0,30}",
        "[\\x00-\\x1f\\x7f]{1,5}",
        ".{200,260}",
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("20m".to_owned()),
        Just("1000000000000h".to_owned()),
        Just("18446744073709551615s".to_owned()),
        Just("367days".to_owned()),
        Just("-5m".to_owned()),
        Just("".to_owned()),
        "[0-9]{1,25}[smhdy]",
        any::<String>(),
    ]
}

/// One console line.
fn line(words: Vec<String>) -> impl Strategy<Value = String> {
    let word = proptest::sample::select(words);
    let option = (word.clone(), value(), any::<bool>()).prop_map(|(name, value, quoted)| match quoted {
        true => format!("{name}:\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
        false => format!("{name}:{value}"),
    });
    let command = (prop::collection::vec(word.clone(), 0..3), prop::collection::vec(option, 0..5), 0usize..3).prop_map(
        |(path, options, cut)| {
            let line = format!("/{} {}", path.join(" "), options.join(" "));
            // Sometimes cut short, mid-quote or mid-character boundary.
            match cut {
                0 => {
                    let n = line.chars().count() / 2;
                    line.chars().take(n).collect()
                }
                _ => line,
            }
        },
    );
    let meta = prop_oneof![
        duration().prop_map(|d| format!(":later {d}")),
        duration().prop_map(|d| format!(":luego {d}")),
        value().prop_map(|v| format!(":as {v}")),
        prop_oneof![Just("tam-acme"), Just("alice"), Just("engineer"), Just("mallory")]
            .prop_map(|u| format!(":as {u}")),
        value().prop_map(|v| format!(":in {v}")),
        prop_oneof![Just("ACME"), Just("ACME-1"), Just("GLOBEX")].prop_map(|p| format!(":in {p}")),
        prop_oneof![Just("es"), Just("en"), Just("fr")].prop_map(|l| format!(":lang {l}")),
        Just(":help".to_owned()),
        Just(":users".to_owned()),
        "[:][a-z]{0,8}",
    ];
    prop_oneof![6 => command, 2 => meta, 1 => any::<String>().prop_filter("not a quit", |s| !s.starts_with(':'))]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_console_lines_never_panic_and_each_gets_one_answer() {
    // Four consoles side by side, each with a database and a seed of its
    // own: the lines are the same every run, and one console's wait for its
    // database is another's turn.
    let shards = (0..SHARDS).map(|shard| console_lines(shard, LINES / SHARDS as usize));
    let replies: usize = futures_util::future::join_all(shards).await.into_iter().sum();
    assert!(replies > LINES / 2, "most lines were commands ({replies})");
}

/// `lines` random lines to a console of its own, seeded by `shard` (a failure
/// names its shard, and replays); the number of commands among them.
async fn console_lines(shard: u8, lines: usize) -> usize {
    let db = support::sqlite().await;
    let config = Arc::new(Config::load(Path::new("config/example.toml")).unwrap());
    let clock = Arc::new(ShiftedClock::default());
    let app = App::new(config, db.store.clone(), clock.clone());
    let mut console = Console::new(app, clock, Some("tam-acme")).await.unwrap();
    let seed = [shard; 32];
    let mut runner = TestRunner::new_with_rng(Default::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = line(words());
    let mut replies = 0;
    for _ in 0..lines {
        let line = strategy.new_tree(&mut runner).unwrap().current();
        let out = console.line(&line).await;
        let trimmed = line.trim();
        let Some(out) = out else {
            // Only a quit command quits (the meta strategy writes one now and then).
            let word = trimmed.split_whitespace().next().unwrap_or("");
            assert!([":q", ":quit", ":exit", ":salir"].contains(&word), "shard {shard}: {line:?} quit the console");
            continue;
        };
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        assert!(!out.trim().is_empty(), "shard {shard}: no answer to {line:?}");
        if trimmed.starts_with('/') {
            // The reply (or the grammar's error) comes once; thread posts may follow.
            let answers = out.lines().filter(|l| l.starts_with("bot (") || l.starts_with("error: ")).count();
            assert_eq!(answers, 1, "shard {shard}: {line:?} got {answers} answers:\n{out}");
            replies += 1;
        }
    }
    db.finish().await;
    replies
}

/// A slash command's data as Discord could send it: names from the
/// declarations or not, values of any option type.
fn payload(words: Vec<String>) -> impl Strategy<Value = serde_json::Value> {
    let word = proptest::sample::select(words);
    let leaf = (
        word.clone(),
        prop_oneof![
            value().prop_map(|v| (3, serde_json::json!(v))),
            any::<i64>().prop_map(|i| (4, serde_json::json!(i))),
            any::<bool>().prop_map(|b| (5, serde_json::json!(b))),
            any::<u64>().prop_map(|u| (6, serde_json::json!(u.max(1).to_string()))),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| (10, serde_json::json!(f))),
        ],
    )
        .prop_map(|(name, (kind, value))| serde_json::json!({"name": name, "type": kind, "value": value}));
    let leaves = prop::collection::vec(leaf, 0..5);
    (word.clone(), word, leaves, any::<bool>()).prop_map(|(name, sub, leaves, grouped)| {
        let options = match grouped {
            true => serde_json::json!([{"name": sub, "type": 1, "options": leaves}]),
            false => serde_json::json!(leaves),
        };
        serde_json::json!({"id": "800000000000000001", "name": name, "type": 1, "options": options})
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_discord_payloads_never_panic_and_each_gets_one_reply() {
    let db = support::sqlite().await;
    let config = Arc::new(Config::load(Path::new("config/example.toml")).unwrap());
    let app = App::new(config, db.store.clone(), Arc::new(priority_line::app::SystemClock));
    let mut runner = TestRunner::deterministic();
    let payloads = payload(words());
    let people = [(Snowflake(410000000000000001), true), (Snowflake(500000000000000001), false)];
    for i in 0..PAYLOADS {
        let json = payloads.new_tree(&mut runner).unwrap().current();
        // What serenity cannot read never reaches us; what it can, must not hurt.
        let Ok(data) = serde_json::from_value::<serenity::all::CommandData>(json.clone()) else { continue };
        let (user, is_staff) = people[i % 2];
        let language = Some(if i % 3 == 0 { Language::Es } else { Language::En });
        let inv = Invocation {
            user,
            is_staff,
            is_specialist: false,
            channel: Snowflake(310000000000000001),
            language,
            event: None,
            named_staff: vec![],
        };
        let (path, options) = priority_line::adapters::discord::typed_input(&data);
        let out = app.handle_input(&inv, &path, &options).await;
        let text = out.text();
        assert!(!text.is_empty(), "no reply to {json}");
        let shown = priority_line::adapters::discord::markdown(&text);
        assert!(!shown.is_empty() && !shown.contains("@everyone"), "{json}: {shown}");
    }
    db.finish().await;
}
