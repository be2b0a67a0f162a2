//! What can go wrong with the database, worded for the person who has to fix it.

use std::time::Duration;

use sqlx::migrate::MigrateError;

/// A store failure; each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL's scheme is not one ecoute knows (often a typo).
    #[error(
        "unsupported database URL `{url}`: {hint}accepted forms are {}",
        crate::records::ACCEPTED_SCHEMES
    )]
    UnsupportedUrl {
        /// The URL, password hidden.
        url: String,
        /// A suggestion such as "did you mean `sqlite:`? ", or empty.
        hint: String,
    },
    /// The SQLite file or its folder cannot be written.
    #[error(
        "the SQLite database {path} is read-only: make the file and its folder writable \
         (SQLite also writes {path}-wal and {path}-shm next to it), or use a writable copy"
    )]
    ReadOnly {
        /// The database file.
        path: String,
    },
    /// Another process held the write lock longer than the busy timeout.
    #[error(
        "the database {path} is locked by another writer (waited {waited:?}): let the other \
         ecoute command finish or stop it, then run this one again; nothing was changed"
    )]
    Locked {
        /// The database file.
        path: String,
        /// The busy timeout that ran out.
        waited: Duration,
    },
    /// SQLite could not open or create the file.
    #[error(
        "cannot open the SQLite database {path}: {source}; check that its folder exists \
         and is writable"
    )]
    CannotOpen {
        /// The database file.
        path: String,
        /// What SQLite said.
        source: sqlx::Error,
    },
    /// The file exists but is not an SQLite database.
    #[error("{path} is not an SQLite database: check the path in the database URL")]
    NotADatabase {
        /// The file.
        path: String,
    },
    /// The PostgreSQL server could not be reached or refused the login.
    #[error(
        "cannot connect to PostgreSQL at {url}: {source}; check that the server is running \
         and that the URL's user, host, port and database are right"
    )]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// What the driver said.
        source: sqlx::Error,
    },
    /// The database was migrated by a newer ecoute than this one.
    #[error(
        "the database schema has migration {version}, which this ecoute does not know: it was \
         upgraded by a newer ecoute; upgrade this one (ecoute never downgrades a database)"
    )]
    NewerSchema {
        /// The unknown migration.
        version: i64,
    },
    /// A migration could not be applied; the database is left at the previous version.
    #[error("could not migrate the database: {0}")]
    Migrate(#[source] MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// `db backup` on a backend whose backups are made by its own tools.
    #[error(
        "ecoute cannot back up a PostgreSQL database itself: use `pg_dump` (for example \
         `pg_dump --format=custom --file=ecoute.dump DATABASE_URL`), which copies it \
         consistently while `serve` runs"
    )]
    NoBackup,
}

impl StoreError {
    /// True when the database as a whole failed (unreachable, locked, read-only, closed)
    /// rather than refusing one row: retrying the rows of a batch one by one would only fail
    /// the same way, slower.
    pub fn is_outage(&self) -> bool {
        match self {
            StoreError::ReadOnly { .. }
            | StoreError::Locked { .. }
            | StoreError::CannotOpen { .. }
            | StoreError::NotADatabase { .. }
            | StoreError::Connect { .. } => true,
            StoreError::Database(e) => matches!(
                e,
                sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::Protocol(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
            ),
            _ => false,
        }
    }
}

/// The errors a backend method produces, before they are classified into [`StoreError`].
#[derive(Debug)]
pub(super) enum BackendError {
    /// From a query.
    Sql(sqlx::Error),
    /// From the migrator.
    Migrate(MigrateError),
}

impl From<sqlx::Error> for BackendError {
    fn from(e: sqlx::Error) -> Self {
        BackendError::Sql(e)
    }
}

impl From<MigrateError> for BackendError {
    fn from(e: MigrateError) -> Self {
        match e {
            MigrateError::Execute(e) => BackendError::Sql(e),
            other => BackendError::Migrate(other),
        }
    }
}

impl BackendError {
    /// Classifies the migrator's own errors; query errors go to the backend's classifier.
    pub(super) fn classify_with(self, sql: impl FnOnce(sqlx::Error) -> StoreError) -> StoreError {
        match self {
            BackendError::Sql(e) => sql(e),
            BackendError::Migrate(MigrateError::VersionMissing(version)) => {
                StoreError::NewerSchema { version }
            }
            BackendError::Migrate(MigrateError::ExecuteMigration(e, _)) => sql(e),
            BackendError::Migrate(other) => StoreError::Migrate(other),
        }
    }
}
