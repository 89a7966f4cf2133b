//! The busiest day: many customers, each with a registered contact, whose
//! contacts open L1 tickets at once. Shared by the storm tests and the
//! storm benchmark.

use serde_json::{json, Value};

use super::fake_discord::{self as fake, FakeDiscord};

/// One customer of the storm.
#[derive(Debug, Clone)]
pub struct Customer {
    pub key: String,
    pub channel: u64,
    pub contact: u64,
    pub tam: u64,
}

/// `n` customers (keys `C1`, `C2`, …), each with its own support channel
/// and contact; their TAMs are five people, as a vendor's are.
pub fn customers(n: usize) -> Vec<Customer> {
    (1..=n)
        .map(|i| Customer {
            key: format!("C{i}"),
            channel: 311_000_000_000_000_000 + i as u64,
            contact: 510_000_000_000_000_000 + i as u64,
            tam: 400_000_000_000_000_100 + (i % 5) as u64,
        })
        .collect()
}

/// The example configuration with the storm's customers added (premium,
/// Madrid), against `fake` and `storage`, its HTTP endpoints on a port of
/// the system's choice, and premium L1's first-response target `target`
/// (`"60s"`: every breach falls due together in a minute).
pub fn config(fake: &FakeDiscord, storage: &str, customers: &[Customer], target: &str) -> String {
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let mut config = example
        .replace("api_base = \"https://discord.com\"", &format!("api_base = \"{}\"", fake.api_base()))
        .replace("url = \"sqlite://data/priority-line.db\"", &format!("url = \"{storage}\""))
        .replace("listen = \"127.0.0.1:9184\"", "listen = \"127.0.0.1:0\"")
        .replacen(
            "1 = { response = \"30m\", clock = \"24x7\", update = \"1h\" }",
            &format!("1 = {{ response = \"{target}\", clock = \"24x7\", update = \"1h\" }}"),
            1,
        );
    assert!(config.contains(&format!("response = \"{target}\"")), "the example's premium L1 target moved");
    for c in customers {
        config.push_str(&format!(
            "\n[[customers]]\nkey = \"{}\"\nname = \"Customer {}\"\nplan = \"premium\"\ncalendar = \"madrid\"\n\
             support_channel = \"{}\"\ntam = \"{}\"\nlanguage = \"en\"\n",
            c.key, c.key, c.channel, c.tam
        ));
    }
    config
}

/// The interaction of `contact` opening an L1 in `channel`.
pub fn open(id: u64, c: &Customer, n: usize) -> Value {
    let options = json!([{"name": "open", "type": 1, "options": [
        {"name": "summary", "type": 3, "value": format!("Outage {n} after the database release")},
        {"name": "severity", "type": 4, "value": 1}
    ]}]);
    fake::slash(id, c.channel, fake::member(c.contact, "contact", &[]), "en-US", "ticket", options)
}

/// Whether a ticket's opening is over on the fake: its thread has the TAM's
/// ping, its card and its members.
pub fn opened(f: &FakeDiscord, thread: u64) -> bool {
    let posts = f.messages_in(thread);
    posts.iter().any(|m| m["content"].as_str().is_some_and(|c| c.contains("is Critical (L1)")))
        && posts.iter().any(|m| m["embeds"] != json!([]))
        && f.threads().get(&thread).is_some_and(|t| t.members.len() >= 2)
}

/// The escalation channel's lines, as its messages show them now: a
/// ticket's number each.
pub fn escalated(f: &FakeDiscord, channel: u64) -> Vec<String> {
    f.messages_in(channel)
        .iter()
        .flat_map(|m| {
            m["content"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.strip_prefix("• **").and_then(|l| l.split("**").next()).map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect()
}
