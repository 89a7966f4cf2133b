//! Shared by the benchmarks: a scratch PostgreSQL database.

/// A database created for one benchmark run on the server of
/// `PRIORITY_LINE_TEST_POSTGRES` (default the local one), dropped by [`Scratch::drop_now`].
pub struct Scratch {
    pool: sqlx::AnyPool,
    name: String,
    pub url: String,
}

impl Scratch {
    /// `None` (with a line saying so) when no server answers.
    pub async fn create(tag: &str) -> Option<Scratch> {
        sqlx::any::install_default_drivers();
        let admin = std::env::var("PRIORITY_LINE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let Ok(pool) = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&admin).await else {
            println!("postgres  skipped: {admin} is unreachable");
            return None;
        };
        let name = format!("pl_bench_{tag}_{}", std::process::id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        Some(Scratch { pool, name, url })
    }

    pub async fn drop_now(self) {
        let drop = format!("DROP DATABASE {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&self.pool).await.unwrap();
    }
}

/// The engineer (staff) registers `user` as a technical contact of Acme, in
/// Acme's support channel, as the example configuration names them.
#[allow(dead_code)] // Not every bench registers contacts.
pub async fn add_acme_contact(app: &priority_line::app::App, user: u64) {
    use priority_line::domain::customer::Snowflake;
    let staff = priority_line::app::Invocation {
        user: Snowflake(410000000000000001),
        is_staff: true,
        is_specialist: false,
        channel: Snowflake(310000000000000001),
        language: None,
        event: None,
        named_staff: vec![],
    };
    let added = app.handle_input(&staff, "contacts add", &[("user".into(), user.to_string())]).await;
    assert!(added.refusal().is_none(), "{added:?}");
}
