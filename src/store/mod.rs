//! The store: every table ecoute writes, on SQLite (the embedded default, a single file) or on
//! PostgreSQL (several daemons sharing the work). This is the only module that contains SQL.
//!
//! The backend is chosen by the URL scheme (`sqlite://PATH`, `sqlite:PATH`, `postgres://…`,
//! `postgresql://…`), as atuin does: [`Store`] wraps one of two backends, each with its own
//! migrations in `migrations/sqlite/` and `migrations/postgres/`, embedded in the binary.
//!
//! Every operation is written once, in `shared/`, which `sqlite.rs` and `postgres.rs` each
//! include as their own module (`#[path]`) after naming their driver (`Db`), their handle
//! (`BackendStore`) and the few pieces that differ (`BEGIN_WRITE`, `CLAIM`, `REBUILD_LOCK`,
//! `SELECT_ROLLUPS`, `JSON_MERGE`); they keep only connecting, pragmas and locks, migrations,
//! error classification and counting upserted contacts. Each operation's signature and doc
//! are written once too: `store_operations!` makes both the backend's method and the
//! [`Store`] method that dispatches to it. The records that go in and out are plain data in
//! [`crate::records`] and the stage that owns them (`dispatch::outbox`, `cases`, `schedule`,
//! `mentions`, `indicators`, `rollup`): only SQL and row mapping live here. Not `sqlx::Any`: it has no JSON type.
//! Not code generic over `sqlx::Database`: it needs a higher-ranked `Executor` bound and an
//! `Encode`/`Decode` bound per type, which the `Send` futures of axum trip over.
//!
//! Conventions shared by both backends:
//! - timestamps are integer unix seconds (UTC) in every table, [`jiff::Timestamp`] in Rust;
//! - emails are stored already normalised (see `contacts::normalise_email`) and compared bytewise
//!   (`COLLATE "C"` on PostgreSQL), so `ORDER BY email` is the same everywhere;
//! - JSON columns (attributes, contact data, respondent) are `TEXT` checked by `json_valid` on
//!   SQLite and `JSONB` on PostgreSQL; objects come back with their keys sorted.

/// Calls the same method on whichever backend is open and turns its errors into
/// [`StoreError`]s that tell the user what to do.
macro_rules! dispatch {
    ($self:ident, $b:ident => $call:expr) => {
        match &$self.backend {
            $crate::store::Backend::Sqlite($b) => $call.await.map_err(|e| $b.classify(e)),
            $crate::store::Backend::Postgres($b) => $call.await.map_err(|e| $b.classify(e)),
        }
    };
}

/// Writes each operation of `shared/` once, with its doc: the backend's method, and on the
/// `with_store` include (SQLite's) the [`Store`] method that dispatches to the open backend.
/// Arguments after `;` are the clock (unix seconds), which the `Store` method reads itself.
macro_rules! store_operations {
    (@store with_store; $($(#[$doc:meta])* $name:ident($s:ident $(, $arg:ident: $ty:ty)*;
        $($now:ident)?) -> $ret:ty;)*) => {
        impl $crate::store::Store {
            $($(#[$doc])*
            pub async fn $name(&$s $(, $arg: $ty)*) -> std::result::Result<$ret, $crate::store::StoreError> {
                $(let $now = jiff::Timestamp::now().as_second();)?
                dispatch!($s, b => b.$name($($arg,)* $($now)?))
            })*
        }
    };
    (@store backend_only; $($t:tt)*) => {};
    ($include:ident; $($(#[$doc:meta])* pub async fn $name:ident(&$s:ident
        $(, $arg:ident: $ty:ty)* $(; $now:ident: i64)?) -> Result<$ret:ty> $body:block)*) => {
        impl BackendStore {
            $($(#[$doc])*
            pub(crate) async fn $name(&$s $(, $arg: $ty)* $(, $now: i64)?) -> Result<$ret> $body)*
        }
        store_operations!(@store $include; $($(#[$doc])* $name($s $(, $arg: $ty)*; $($now)?)
            -> $ret;)*);
    };
}

/// A backend's migrations, embedded in the binary: `(version, description, SQL)` for each
/// `(version, description, file)` of `migrations/<folder>/`.
macro_rules! embedded_migrations {
    ($folder:literal, $(($version:literal, $description:literal, $file:literal)),+ $(,)?) => {
        &[$(($version, $description,
            include_str!(concat!("../../migrations/", $folder, "/", $file)))),+]
    };
}

mod audits;
mod cases;
mod collect;
mod daemon;
mod error;
mod indicators;
mod outbox;
mod postgres;
mod rollups;
mod sql;
mod sqlite;

use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::migrate::{AppliedMigration, Migrator};

pub use error::StoreError;

use crate::records::{BackendKind, ContactInput, MigrationStatus, PendingMigration, UpsertCounts};
use error::BackendError;

/// How to open a store; the defaults suit the CLI and the daemon.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Apply pending migrations when opening (off only for `ecoute db status`).
    pub migrate: bool,
    /// How long an SQLite write waits for another writer before giving up with
    /// [`StoreError::Locked`].
    pub busy_timeout: Duration,
    /// Connections kept in the pool.
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            migrate: true,
            busy_timeout: Duration::from_secs(5),
            max_connections: 4,
        }
    }
}

/// The two implementations, chosen by URL scheme.
#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

/// A handle on the database; cheap to clone (it shares one connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

impl Store {
    /// Opens (creating an SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, &StoreOptions::default()).await
    }

    /// Opens the database at `url` with explicit options.
    pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let backend = match BackendKind::from_url(url)? {
            BackendKind::Sqlite => Backend::Sqlite(sqlite::SqliteStore::open(url, options).await?),
            BackendKind::Postgres => {
                Backend::Postgres(postgres::PgStore::open(url, options).await?)
            }
        };
        let store = Store { backend };
        if options.migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// The SQLite database file, `None` on PostgreSQL: the daemon locks a file beside it so
    /// that one daemon at a time runs on it.
    pub fn sqlite_path(&self) -> Option<&str> {
        match &self.backend {
            Backend::Sqlite(b) => Some(b.path()),
            Backend::Postgres(_) => None,
        }
    }

    /// Applies the pending migrations (an older database is upgraded in place, never
    /// recreated) and returns the versions applied now; a no-op when up to date.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        dispatch!(self, b => b.migrate())
    }

    /// Copies the live database into the new file `target`, answers still in SQLite's
    /// write-ahead log included, while other processes keep writing.
    pub async fn backup(&self, target: &str) -> Result<(), StoreError> {
        if dispatch!(self, b => b.backup(target))? {
            Ok(())
        } else {
            Err(StoreError::NoBackup)
        }
    }

    /// Inserts new contacts and updates known ones (matched by email) in one transaction.
    /// Empty optional fields keep the stored value; attributes are merged key by key.
    /// The emails must be normalised and distinct within the batch.
    pub async fn upsert_contacts(
        &self,
        batch: &[ContactInput],
    ) -> Result<UpsertCounts, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.upsert_contacts(batch, now))
    }

    /// Closes the pool, waiting for connections to finish (checkpoints SQLite's WAL).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(b) => b.close().await,
            Backend::Postgres(b) => b.close().await,
        }
    }
}

/// Converts a stored unix-seconds value back to a timestamp.
fn timestamp(seconds: i64) -> Result<Timestamp, BackendError> {
    Timestamp::from_second(seconds).map_err(|e| BackendError::Sql(sqlx::Error::Decode(Box::new(e))))
}

/// Converts a stored optional unix-seconds value back to a timestamp.
fn moment(seconds: Option<i64>) -> Result<Option<Timestamp>, BackendError> {
    seconds.map(timestamp).transpose()
}

/// Compares what the database applied with what this binary embeds.
fn migration_status(
    backend: BackendKind,
    migrator: &Migrator,
    applied: &[AppliedMigration],
) -> MigrationStatus {
    let done: HashSet<i64> = applied.iter().map(|m| m.version).collect();
    MigrationStatus {
        backend,
        current: done.iter().copied().max(),
        latest: migrator.iter().map(|m| m.version).max().unwrap_or(0),
        pending: migrator
            .iter()
            .filter(|m| !done.contains(&m.version))
            .map(|m| PendingMigration {
                version: m.version,
                description: m.description.to_string(),
            })
            .collect(),
    }
}

/// Rows per multi-row `INSERT` statement: large enough to amortise each statement, small
/// enough for SQLite's 32,766 bound parameters at up to 10 parameters per row.
const ROWS_PER_STATEMENT: usize = 1_000;

/// Prepared statements kept per connection. A multi-row statement has one text per row
/// count, so a batch writer meets hundreds of texts (responses, answers, counters at every
/// batch size); with the driver's default of 100, PostgreSQL parsed and planned the same
/// statements again and again.
const STATEMENT_CACHE: usize = 2_048;
