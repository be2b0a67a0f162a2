//! The SQLite backend: one file, WAL journal, foreign keys on, `secure_delete`, a busy
//! timeout, and every write transaction in `BEGIN IMMEDIATE` so two writers queue on the lock
//! instead of failing half-way (a lone write statement takes that lock as it starts). The
//! operations themselves are in `shared/`; this file keeps opening the file, its pragmas and
//! locks, error classification and contact-upsert counting.

/// `shared/`'s operations on this backend; this include also writes the `Store` methods.
macro_rules! operations {
    ($($ops:tt)*) => { store_operations!(with_store; $($ops)*); };
}

#[path = "shared/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "compiled per backend: see `store`'s doc"
)]
mod shared;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::error::{BackendError, StoreError};
use super::rollups as r;
use super::{ROWS_PER_STATEMENT, StoreOptions, outbox, sql};
use crate::records::{BackendKind, ContactInput, UpsertCounts};

/// The names `shared/` is written against.
type Db = Sqlite;
type BackendStore = SqliteStore;
const KIND: BackendKind = BackendKind::Sqlite;

/// The SQLite migrations, embedded in the binary.
const MIGRATIONS: &[(i64, &str, &str)] = embedded_migrations! {"sqlite",
    (1, "initial", "0001_initial.sql"), (2, "dispatch", "0002_dispatch.sql"),
    (3, "collect", "0003_collect.sql"), (4, "rollups", "0004_rollups.sql"),
    (5, "contact guard", "0005_contact_guard.sql"), (6, "daemon", "0006_daemon.sql"),
    (7, "statistics", "0007_statistics.sql"), (8, "cases", "0008_cases.sql"),
    (9, "indicators", "0009_indicators.sql"), (10, "audits and mentions", "0010_audits_mentions.sql"),
    (11, "partial case index", "0011_partial_case_index.sql"),
};

/// SQLite's primary result codes that deserve their own message.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_READONLY: i32 = 8;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

/// The statement that opens every write transaction: takes the write lock up front.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
/// The claim: one writer at a time holds the lock, so no row locking is needed.
const CLAIM: &str = outbox::CLAIM_SQLITE;
/// A rebuild already holds the only write lock.
const REBUILD_LOCK: Option<&str> = None;
/// Run after `forget` commits: copies the zeroed pages into the database file and empties
/// the write-ahead log, whose older frames still hold the erased values. Its first column is
/// 1 when a reader kept the log from being emptied.
const AFTER_ERASE: Option<&str> = Some("PRAGMA wal_checkpoint(TRUNCATE)");
/// A consistent copy of the live database, answers still in the write-ahead log included.
const BACKUP: Option<&str> = Some("VACUUM INTO ?1");
/// The rollup read, as JSON.
const SELECT_ROLLUPS: &str = r::SELECT_ROLLUPS_SQLITE;
/// How an upsert merges a contact's attributes.
const JSON_MERGE: &str = "json_patch(contacts.attributes, excluded.attributes)";

/// An open SQLite database.
#[derive(Debug, Clone)]
pub(super) struct SqliteStore {
    pool: SqlitePool,
    path: String,
    busy_timeout: Duration,
}

impl SqliteStore {
    /// Opens the file named by `url`, creating it on first use.
    pub(super) async fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|source| StoreError::CannotOpen {
                path: url.to_owned(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted and overwritten content is zeroed on disk, not just unlinked, so what
            // `forget` erases cannot be read back from the file.
            .pragma("secure_delete", "ON")
            // 64 MiB of page cache per connection: a wave's outbox updates touch pages all
            // over the invitations table, and re-reading them from disk dominated dispatch.
            .pragma("cache_size", "-65536")
            .statement_cache_capacity(super::STATEMENT_CACHE)
            .busy_timeout(options.busy_timeout);
        let path = connect.get_filename().display().to_string();
        refuse_read_only(connect.get_filename())?;
        create_private(connect.get_filename());
        let _lock = setup_lock(&path)
            .await
            .map_err(|e| StoreError::CannotOpen {
                path: path.clone(),
                source: sqlx::Error::Io(e),
            })?;
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await
            .map_err(|e| classify_sql(e, &path, options.busy_timeout))?;
        Ok(SqliteStore {
            pool,
            path,
            busy_timeout: options.busy_timeout,
        })
    }

    /// The database file.
    pub(super) fn path(&self) -> &str {
        &self.path
    }

    pub(super) fn classify(&self, e: BackendError) -> StoreError {
        e.classify_with(|e| classify_sql(e, &self.path, self.busy_timeout))
    }

    pub(super) async fn migrate(&self) -> Result<Vec<i64>, BackendError> {
        let _lock = setup_lock(&self.path).await.map_err(sqlx::Error::Io)?;
        let before = self.status().await?;
        shared::migrator().run(&self.pool).await?;
        Ok(before.pending.into_iter().map(|m| m.version).collect())
    }

    pub(super) async fn upsert_contacts(
        &self,
        batch: &[ContactInput],
        now: i64,
    ) -> Result<UpsertCounts, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // Counting rows above the previous highest id tells inserts from updates without
        // sending a row back per contact (`RETURNING`), which costs a third of the time.
        let before: i64 = sqlx::query_scalar(sql::MAX_CONTACT_ID)
            .fetch_one(&mut *tx)
            .await?;
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let mut query = shared::upsert_contacts_query(chunk, now);
            query.build().execute(&mut *tx).await?;
        }
        let inserted = sqlx::query_scalar::<_, i64>(sql::CONTACTS_AFTER)
            .bind(before)
            .fetch_one(&mut *tx)
            .await?
            .unsigned_abs();
        tx.commit().await?;
        Ok(UpsertCounts {
            inserted,
            updated: (batch.len() as u64).saturating_sub(inserted),
        })
    }
}

/// Refuses a file or folder whose permissions say read-only before SQLite opens it (SQLite
/// would otherwise fall back to read-only, or write anyway when run as root).
fn refuse_read_only(path: &Path) -> Result<(), StoreError> {
    let read_only = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.permissions().readonly());
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if read_only(path) || (path.exists() && read_only(folder)) {
        return Err(StoreError::ReadOnly {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// Creates a new database file readable by its owner only (0600), whatever the umask: it
/// holds personal data, and SQLite gives its `-wal` and `-shm` files the database file's
/// mode. An existing file keeps its mode; any error is left for SQLite to report.
fn create_private(path: &Path) {
    if path.as_os_str().is_empty() || path == Path::new(":memory:") || path.exists() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(path));
}

/// SQLite has no lock for setting a file up: two processes opening a new file at once race
/// on switching it to WAL and on creating the tables, and the loser gets `SQLITE_BUSY` at
/// once, without waiting. An OS lock on a file beside the database serialises the first
/// connection and the migrations; it is released when the returned file is dropped. (Not
/// the database file itself: closing another descriptor of it would drop SQLite's own POSIX
/// locks.)
async fn setup_lock(path: &str) -> std::io::Result<std::fs::File> {
    let lock_path = format!("{path}.setup-lock");
    tokio::task::spawn_blocking(move || {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Turns SQLite's result codes into errors that say what to do.
fn classify_sql(e: sqlx::Error, path: &str, busy_timeout: Duration) -> StoreError {
    let code = match &e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff),
        _ => None,
    };
    let path = path.to_owned();
    match code {
        Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Locked {
            path,
            waited: busy_timeout,
        },
        Some(SQLITE_READONLY) => StoreError::ReadOnly { path },
        Some(SQLITE_CANTOPEN) => StoreError::CannotOpen { path, source: e },
        Some(SQLITE_NOTADB) => StoreError::NotADatabase { path },
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{AssertSqlSafe, Row};

    use super::*;

    /// Survey links are found through their token's index however many arrive together: a
    /// plan through another index walks every invitation (60 ms a batch at 100,000 of them).
    #[tokio::test]
    async fn the_link_lookup_seeks_the_token_index_for_any_batch_size() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", folder.path().join("plan.db").display());
        let store = SqliteStore::open(&url, &StoreOptions::default())
            .await
            .expect("opens");
        store.migrate().await.expect("the migrations apply");
        for width in [1, 8, 64, 256] {
            let lookup = super::super::collect::by_token_hashes(width);
            let mut query = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {lookup}")));
            for _ in 0..width {
                query = query.bind(&[0u8; 32][..]);
            }
            let plan = query.fetch_all(&store.pool).await.expect("the plan");
            let steps: Vec<String> = plan.iter().map(|step| step.get(3)).collect();
            assert!(
                steps.iter().any(|s| s.contains("(token_hash=?)")),
                "{width}: {steps:?}"
            );
        }
    }
}
