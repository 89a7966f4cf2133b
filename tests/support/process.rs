//! The real binary, `priority-line run`, against the fake Discord: started
//! with a configuration written from the example, killed with a signal.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::fake_discord::{self as fake, FakeDiscord};

pub const ACME_CHANNEL: u64 = 310000000000000001;

/// A running bot process, killed if the test ends (or fails) without
/// stopping it: a process left behind would hold its database connections.
pub struct Running(Child);

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `priority-line run` with the configuration at `config`; its log
/// is shown when `PRIORITY_LINE_TEST_LOG` says which levels (`RUST_LOG`).
pub fn start(config: &Path) -> Running {
    let child = run(config)
        .env("RUST_LOG", std::env::var("PRIORITY_LINE_TEST_LOG").unwrap_or_else(|_| "warn".into()))
        .stderr(match std::env::var_os("PRIORITY_LINE_TEST_LOG") {
            Some(_) => Stdio::inherit(),
            None => Stdio::null(),
        })
        .spawn()
        .unwrap();
    Running(child)
}

/// Starts it with its log written to `log` as JSON lines, at the levels
/// `filter` sets (as `RUST_LOG`).
pub fn start_logged(config: &Path, log: &Path, filter: &str) -> Running {
    let file = std::fs::File::create(log).unwrap();
    Running(run(config).env("RUST_LOG", filter).env("PRIORITY_LINE_LOG_FORMAT", "json").stderr(file).spawn().unwrap())
}

fn run(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_priority-line"));
    command
        .arg("run")
        .arg("--config")
        .arg(config)
        .env("DISCORD_TOKEN", "fake-token")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdout(Stdio::null());
    command
}

/// Sends `signal` (`-KILL`, `-TERM`) and waits for the process to end.
pub fn kill(child: &mut Child, signal: &str) {
    let _ = Command::new("kill").args([signal, &child.id().to_string()]).status();
    let _ = child.wait();
}

/// The example configuration pointed at the fake and at `storage`, its HTTP
/// endpoints on a port of the system's choice, with `edits` (each a line of
/// the example and what replaces it) applied; written in `dir`.
pub fn write_config(fake: &FakeDiscord, dir: &Path, storage: &str, edits: &[(&str, &str)]) -> PathBuf {
    let example = std::fs::read_to_string("config/example.toml").unwrap();
    let mut config = example
        .replace("api_base = \"https://discord.com\"", &format!("api_base = \"{}\"", fake.api_base()))
        .replace("url = \"sqlite://data/priority-line.db\"", &format!("url = \"{storage}\""))
        .replace("listen = \"127.0.0.1:9184\"", "listen = \"127.0.0.1:0\"");
    for (line, replacement) in edits {
        assert!(config.contains(line), "the example has no line {line:?}: update this test");
        config = config.replacen(line, replacement, 1);
    }
    assert!(
        config.contains(storage) && config.contains(&fake.api_base()),
        "the example's lines moved: update this test"
    );
    let path = dir.join("bot.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Dispatches a slash command in Acme's support channel and returns the one
/// callback that answered it.
pub async fn slash(fake: &FakeDiscord, member: Value, name: &str, options: Value) -> Value {
    slash_in(fake, ACME_CHANNEL, member, name, options).await
}

/// Dispatches a slash command in `channel` and returns the one callback
/// that answered it.
pub async fn slash_in(fake: &FakeDiscord, channel: u64, member: Value, name: &str, options: Value) -> Value {
    let id = fake.next_id();
    fake.dispatch("INTERACTION_CREATE", fake::slash(id, channel, member, "en-US", name, options));
    fake.request("POST", &format!("/interactions/{id}/token-{id}/callback"), 1).await.body
}
