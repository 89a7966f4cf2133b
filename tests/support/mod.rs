//! Test support: a fresh database per test, on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from `PRIORITY_LINE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a database of
//! its own, created from it and dropped at the end. Without a server the
//! PostgreSQL cases are skipped with a notice on the terminal, unless
//! `PRIORITY_LINE_REQUIRE_POSTGRES=1` (set by `.ci/run`), which makes them fail.
#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use priority_line::app::Command;
use priority_line::storage::Store;
use sqlx::any::AnyPoolOptions;

pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl TestDb {
    /// Closes the pool and drops the database (PostgreSQL) or directory (SQLite).
    pub async fn finish(self) {
        self.store.close().await;
        if let Cleanup::Postgres { admin, name } = self.cleanup {
            if let Ok(pool) = AnyPoolOptions::new().max_connections(1).connect(&admin).await {
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await;
                pool.close().await;
            }
        }
    }
}

/// Polls `check` every 5 ms until it gives a value, for what nothing
/// announces (the application's database and metrics, a child process);
/// fails after 30 s with the last reason `check` gave.
pub async fn eventually<T, F>(mut check: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Result<T, String>>,
{
    let give_up = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match check().await {
            Ok(found) => return found,
            Err(why) => assert!(tokio::time::Instant::now() < give_up, "gave up after 30 s: {why}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// A command as a person types it: a path and options named in English.
pub fn cmd(path: &str, options: &[(&str, &str)]) -> Command {
    let options: Vec<(String, String)> = options.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    match Command::parse(path, &options) {
        Ok(c) => c,
        Err(e) => panic!("/{path} {options:?} is not a command: {e:?}"),
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    TestDb { store, url, cleanup: Cleanup::Dir(dir) }
}

fn admin_url() -> String {
    std::env::var("PRIORITY_LINE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL database, or `None` (with a notice) when there is no server.
pub async fn postgres() -> Option<TestDb> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    // Set on the first failed connection, so later tests skip at once.
    static UNREACHABLE: OnceLock<String> = OnceLock::new();
    sqlx::any::install_default_drivers();
    let admin = admin_url();
    let require = std::env::var("PRIORITY_LINE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if UNREACHABLE.get().is_some() && !require {
        return None;
    }
    let pool = match AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(&admin)
        .await
    {
        Ok(pool) => pool,
        Err(e) => {
            if require {
                panic!("PostgreSQL is required (PRIORITY_LINE_REQUIRE_POSTGRES=1) but {admin} is unreachable: {e}");
            }
            if UNREACHABLE.set(e.to_string()).is_ok() {
                // Straight to the process's stderr: libtest captures print macros, not this.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nNOTICE: PostgreSQL tests SKIPPED: {admin} is unreachable ({e}). \
                     Set PRIORITY_LINE_TEST_POSTGRES to a server to run them.\n"
                );
            }
            return None;
        }
    };
    let name = format!(
        "pl_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000_000
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
    pool.close().await;
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("PRIORITY_LINE_TEST_POSTGRES must end with /DATABASE"),
    };
    let store = Store::connect(&url).await.unwrap();
    Some(TestDb { store, url, cleanup: Cleanup::Postgres { admin, name } })
}

/// Runs one async test body on SQLite and, when available, PostgreSQL:
/// `both_backends!(name, …)` turns each `async fn name(&TestDb)` of the calling
/// file into the tests `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        pub mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::sqlite().await;
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        pub mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::postgres().await else { return };
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}
pub mod fake_discord;
pub mod process;
pub mod storm;
pub mod world;

/// Delivers the outbox as the Discord adapter would, recording each
/// delivery with the (application) time it happened; a thread it creates
/// gets the id `THREAD_BASE + job`, a card `CARD_BASE + job`, an escalation
/// group's message `GROUP_BASE + group`.
pub struct Recorder {
    clock: std::sync::Arc<dyn priority_line::app::Clock>,
    seen: std::sync::Mutex<Vec<(chrono::DateTime<chrono::Utc>, priority_line::app::Delivery)>>,
}

pub const THREAD_BASE: u64 = 900_000;
pub const CARD_BASE: u64 = 800_000;
pub const GROUP_BASE: u64 = 700_000;

impl Recorder {
    pub fn new(clock: std::sync::Arc<dyn priority_line::app::Clock>) -> Recorder {
        Recorder { clock, seen: Default::default() }
    }

    /// Every delivery so far, with when it happened.
    pub fn seen(&self) -> Vec<(chrono::DateTime<chrono::Utc>, priority_line::app::Delivery)> {
        self.seen.lock().unwrap().clone()
    }

    /// Every action so far, in order.
    pub fn actions(&self) -> Vec<priority_line::app::Action> {
        self.seen().into_iter().flat_map(|(_, d)| d.actions).collect()
    }

    /// The posts so far: channel, text (plain), who may be pinged; an
    /// escalation group's message each time it is posted or edited.
    pub fn posts(
        &self,
    ) -> Vec<(priority_line::domain::customer::Snowflake, String, Vec<priority_line::domain::customer::Snowflake>)>
    {
        use priority_line::app::Action;
        self.actions()
            .into_iter()
            .filter_map(|a| match a {
                Action::Post { channel, msg, ping, .. } | Action::Escalation { channel, msg, ping, .. } => {
                    Some((channel, msg.plain(), ping))
                }
                _ => None,
            })
            .collect()
    }

    /// The card posted so far (the last), and the people added to threads.
    pub fn card_and_members(
        &self,
    ) -> (Option<priority_line::app::Card>, Vec<priority_line::domain::customer::Snowflake>) {
        use priority_line::app::Action;
        let (mut card, mut members) = (None, Vec::new());
        for action in self.actions() {
            match action {
                Action::PostCard { card: c, .. } | Action::OpenThread { card: Some(c), .. } => card = Some(*c),
                Action::AddMember { user, .. } => members.push(user),
                _ => {}
            }
        }
        (card, members)
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

#[async_trait::async_trait]
impl priority_line::scheduler::Deliver for Recorder {
    async fn deliver(
        &self,
        delivery: &priority_line::app::Delivery,
        _: &dyn priority_line::app::Lease,
    ) -> Result<priority_line::app::Receipt, priority_line::app::DeliveryError> {
        use priority_line::app::Made;
        use priority_line::domain::customer::Snowflake;
        let receipt = delivery.receipt_with(|made, id| {
            let base = match made {
                Made::Thread => THREAD_BASE,
                Made::Card => CARD_BASE,
                Made::Message => GROUP_BASE,
            };
            Snowflake(base + id as u64)
        });
        self.seen.lock().unwrap().push((self.clock.now(), delivery.clone()));
        Ok(receipt)
    }
}
