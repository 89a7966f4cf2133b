//! A world for application tests: `config/example.toml`, a fresh database,
//! a clock the tests move, and the outbox delivered to a recorder after
//! each command. Alice is a contact of ACME, Bob of GLOBEX; the engineer is
//! staff; the analyst is in the specialist group.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use priority_line::app::commands;
use priority_line::app::{Action, App, Command, Invocation, ManualClock, Outcome, Refusal};
use priority_line::config::Config;
use priority_line::domain::customer::Snowflake;
use priority_line::domain::sla::Severity;
use priority_line::domain::ticket::TicketNumber;

use super::{cmd, Recorder, TestDb};

pub const ACME_CHANNEL: Snowflake = Snowflake(310000000000000001);
pub const GLOBEX_CHANNEL: Snowflake = Snowflake(310000000000000002);
pub const TAM_ACME: Snowflake = Snowflake(400000000000000002);
pub const BACKUP_ACME: Snowflake = Snowflake(400000000000000003);
pub const TAM_GLOBEX: Snowflake = Snowflake(400000000000000004);
pub const ENGINEER: Snowflake = Snowflake(410000000000000001);
pub const ALICE: Snowflake = Snowflake(500000000000000001);
pub const BOB: Snowflake = Snowflake(500000000000000002);
pub const MALLORY: Snowflake = Snowflake(500000000000000099);
/// In the specialist group (`[signatures].specialist_role`).
pub const ANALYST: Snowflake = Snowflake(420000000000000001);

/// Monday 30 November 2026, 10:00 in Madrid (09:00Z): inside Acme's working hours.
pub fn monday_morning() -> DateTime<Utc> {
    "2026-11-30T09:00:00Z".parse().unwrap()
}

/// The declaration of the command typed as `path` (`ticket open`).
pub fn spec(path: &str) -> &'static priority_line::app::Spec {
    let words: Vec<&str> = path.split_whitespace().collect();
    commands::ALL.iter().map(|e| e.spec).find(|s| s.is(&words)).unwrap_or_else(|| panic!("no command /{path}"))
}

pub struct World {
    pub app: App,
    pub clock: Arc<ManualClock>,
    /// Delivers the outbox, as the Discord adapter would.
    pub out: Recorder,
}

impl World {
    pub async fn new(db: &TestDb) -> World {
        let config = Config::load(Path::new("config/example.toml")).unwrap();
        let clock = Arc::new(ManualClock::new(monday_morning()));
        let app = App::new(Arc::new(config), db.store.clone(), clock.clone());
        let world = World { app, out: Recorder::new(clock.clone()), clock };
        let alice = ALICE.to_string();
        world.ok(TAM_ACME, ACME_CHANNEL, cmd("contacts add", &[("user", &alice), ("name", "Alice")])).await;
        world.ok(TAM_GLOBEX, GLOBEX_CHANNEL, cmd("contacts add", &[("user", &BOB.to_string())])).await;
        world
    }

    /// Who `user` is, acting in `channel`: the engineer has the staff role
    /// (and is known as staff when a command names them, as Discord tells).
    pub fn invocation(user: Snowflake, channel: Snowflake) -> Invocation {
        Invocation {
            user,
            is_staff: user == ENGINEER,
            is_specialist: user == ANALYST,
            channel,
            language: None,
            event: None,
            named_staff: vec![ENGINEER],
        }
    }

    /// Runs a command, then delivers what it queued (recorded in `out`).
    pub async fn run(&self, user: Snowflake, channel: Snowflake, command: Command) -> Outcome {
        let out = self.app.handle(&Self::invocation(user, channel), command).await;
        self.deliver().await;
        out
    }

    /// `user` writes a message in `channel` (its words are not read), then
    /// what it caused is delivered.
    pub async fn say_in(&self, user: Snowflake, channel: Snowflake) -> Option<Outcome> {
        let out = self.app.thread_message(&Self::invocation(user, channel)).await;
        self.deliver().await;
        out
    }

    pub async fn deliver(&self) -> priority_line::scheduler::Tick {
        priority_line::scheduler::tick(&self.app, &self.out).await.unwrap()
    }

    /// The posts the last command made: (channel, text, pinged).
    pub fn posts(&self) -> Vec<(Snowflake, String, Vec<Snowflake>)> {
        self.out.posts()
    }

    /// Runs a command that must succeed.
    pub async fn ok(&self, user: Snowflake, channel: Snowflake, command: Command) -> Outcome {
        let out = self.run(user, channel, command.clone()).await;
        assert!(
            matches!(out.reply, priority_line::app::Reply::Done { .. }),
            "{:?} did not succeed: {:?}",
            command.spec(),
            out.reply
        );
        out
    }

    /// Runs a command that must be refused, and returns the refusal.
    pub async fn refused(&self, user: Snowflake, channel: Snowflake, command: Command) -> Refusal {
        self.out.clear();
        let out = self.run(user, channel, command).await;
        assert!(self.out.seen().is_empty(), "a refusal changes nothing on Discord: {:?}", self.out.seen());
        out.refusal().cloned().unwrap_or_else(|| panic!("not refused: {out:?}"))
    }

    /// Opens a ticket as Alice; its thread is created by delivering the outbox.
    pub async fn open(&self, summary: &str, severity: Option<Severity>) -> (TicketNumber, Snowflake, Outcome) {
        let level = severity.map(|s| s.level().to_string());
        let mut options = vec![("summary", summary)];
        options.extend(level.as_deref().map(|l| ("severity", l)));
        self.out.clear();
        let out = self.ok(ALICE, ACME_CHANNEL, cmd("ticket open", &options)).await;
        let Some((_, opening)) =
            self.out.seen().into_iter().find(|(_, d)| d.actions.iter().any(|a| matches!(a, Action::OpenThread { .. })))
        else {
            panic!("no thread: {:?}", self.out.seen())
        };
        let number = opening.ticket.expect("a ticket's thread");
        let stored = self.app.store().ticket(&number).await.unwrap().unwrap();
        (number, stored.thread_id.expect("the thread is recorded"), out)
    }
}

/// Files as a chat's file server would hand them out, by link: what the
/// record's downloads fetch in application tests.
#[derive(Default)]
pub struct Served(std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>);

impl Served {
    pub fn add(&self, url: &str, bytes: &[u8]) {
        self.0.lock().unwrap().insert(url.to_owned(), bytes.to_vec());
    }
}

struct Whole(Option<Vec<u8>>);

#[async_trait::async_trait]
impl priority_line::app::FileBytes for Whole {
    async fn next(&mut self) -> Result<Option<bytes::Bytes>, priority_line::app::FetchError> {
        Ok(self.0.take().filter(|b| !b.is_empty()).map(Into::into))
    }
}

#[async_trait::async_trait]
impl priority_line::app::Fetch for Served {
    async fn open(&self, url: &str) -> Result<Box<dyn priority_line::app::FileBytes>, priority_line::app::FetchError> {
        let bytes = self.0.lock().unwrap().get(url).cloned();
        bytes
            .map(|b| Box::new(Whole(Some(b))) as Box<dyn priority_line::app::FileBytes>)
            .ok_or(priority_line::app::FetchError::Expired)
    }

    async fn fresh_url(
        &self,
        _: Snowflake,
        _: Snowflake,
        _: Snowflake,
    ) -> Result<Option<String>, priority_line::app::FetchError> {
        Ok(None)
    }
}
