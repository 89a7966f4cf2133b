//! The schema's migrations, embedded in the binary: the files named once,
//! read from both backends' folders. sqlx's `migrate!` would read the folders by itself, but
//! it builds a second sqlx, SQLite's C source included, to run inside the
//! compiler: a sixth of a clean build. A test checks the lists against the
//! folders as sqlx reads them, checksum for checksum, so a migration added to
//! a folder and not here fails the suite naming the file.

use std::borrow::Cow;
use std::sync::LazyLock;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::SqlSafeStr;

/// `(file name without .sql, its SQL)` for every file of each folder: every
/// migration is written for both backends, under the same name.
macro_rules! folders {
    ($($file:literal),* $(,)?) => {
        pub const SQLITE: &[(&str, &str)] =
            &[$(($file, include_str!(concat!("../../migrations/sqlite/", $file, ".sql")))),*];
        pub const POSTGRES: &[(&str, &str)] =
            &[$(($file, include_str!(concat!("../../migrations/postgres/", $file, ".sql")))),*];
    };
}

folders!(
    "0001_tickets_and_contacts",
    "0002_notifications",
    "0003_outbox",
    "0004_instances",
    "0005_event_claims",
    "0006_signatures",
    "0007_summaries",
    "0008_job_leases",
    "0009_follow_up",
    "0010_removed_contacts_details",
    "0011_the_busiest_day",
    "0012_ratings",
    "0013_transcripts",
);

pub static SQLITE_MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| migrator(SQLITE));
pub static POSTGRES_MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| migrator(POSTGRES));

/// A migrator as `migrate!` builds one: the version before the first `_`,
/// the rest as the description with spaces, the checksum of the SQL as
/// written (so databases migrated by earlier builds match).
pub fn migrator(files: &'static [(&'static str, &'static str)]) -> Migrator {
    let migrations = files
        .iter()
        .map(|&(name, sql)| {
            let (version, description) = name.split_once('_').unwrap_or((name, ""));
            // The names are the literals above, checked by the test below.
            let version = version.parse().expect("a migration's name starts with its number");
            Migration::new(
                version,
                Cow::Owned(description.replace('_', " ")),
                MigrationType::Simple,
                sql.into_sql_str(),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The lists hold every file of their folder, in order, and sqlx reads
    /// the folder to the same versions, descriptions and checksums.
    #[tokio::test]
    async fn the_lists_are_the_folders() {
        for (dir, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dir);
            let read = Migrator::new(path.as_path()).await.unwrap();
            let ours = migrator(files);
            let names = |m: &Migrator| {
                m.iter()
                    .map(|m| (m.version, m.description.to_string(), m.checksum.to_vec(), m.no_tx))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                names(&ours),
                names(&read),
                "src/storage/migrations.rs lists the files of migrations/{dir}: add the new one there"
            );
        }
    }
}
