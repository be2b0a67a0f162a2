//! Fresh databases for tests: an SQLite file in a temporary folder, or a PostgreSQL schema of
//! its own (dropped at the end) so tests run in parallel against the one test server.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ecoute::store::{Store, StoreOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, SqliteConnection};
use tempfile::TempDir;

/// The PostgreSQL server of the development and CI machines (trust auth).
pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database that exists for one test.
pub struct TestDb {
    /// URL to give to `Store::open`.
    pub url: String,
    /// The SQLite folder, removed on drop.
    pub dir: Option<TempDir>,
    schema: Option<String>,
}

impl TestDb {
    /// A new SQLite file (not created yet: the store creates it).
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        TestDb {
            url: format!("sqlite://{}", dir.path().join("ecoute.db").display()),
            dir: Some(dir),
            schema: None,
        }
    }

    /// A new, empty schema on the test PostgreSQL server.
    pub async fn postgres() -> TestDb {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect(PG_URL)
            .await
            .expect("PostgreSQL runs at 127.0.0.1:5432 (see .ci/run)");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .await
            .expect("create schema");
        TestDb {
            url: format!("{PG_URL}?options[search_path]={schema}"),
            dir: None,
            schema: Some(schema),
        }
    }

    /// Opens (and migrates) the store.
    pub async fn open(&self) -> Store {
        Store::open(&self.url).await.expect("open store")
    }

    /// Leaves the database as an older ecoute would have: its backend's migration files applied
    /// up to `version`, then `rows` (statements valid on both backends) inserted.
    pub async fn at_version(&self, version: i64, rows: &str) {
        let folder = if self.schema.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let files = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(folder);
        let migrator = Migrator::new(files).await.expect("migration files");
        if self.schema.is_some() {
            let mut conn = PgConnection::connect(&self.url).await.expect("connect");
            migrator.run_to(version, &mut conn).await.expect("migrate");
            conn.execute(AssertSqlSafe(rows))
                .await
                .expect("insert rows");
        } else {
            let options = SqliteConnectOptions::from_str(&self.url).expect("sqlite URL");
            let mut conn = SqliteConnection::connect_with(&options.create_if_missing(true))
                .await
                .expect("connect");
            migrator.run_to(version, &mut conn).await.expect("migrate");
            conn.execute(AssertSqlSafe(rows))
                .await
                .expect("insert rows");
        }
    }

    /// Opens the store with options.
    pub async fn open_with(&self, options: &StoreOptions) -> Store {
        Store::open_with(&self.url, options)
            .await
            .expect("open store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // Drop runs inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(PG_URL).await.ok()?;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .await
                .ok()
            })
        })
        .join();
        drop(dropped);
    }
}

/// Runs one async test body against SQLite and against PostgreSQL.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(crate::support::TestDb::sqlite()).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name(crate::support::TestDb::postgres().await).await;
                }
            }
        )*
    };
}
pub(crate) use both_backends;
