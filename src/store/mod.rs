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
//! error classification and counting upserted contacts. Not `sqlx::Any`: it has no JSON type.
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
/// [`StoreError`]s that tell the user what to do. Defined before the submodules so that a
/// feature's `impl Store` block can live in its own file.
macro_rules! dispatch {
    ($self:ident, $b:ident => $call:expr) => {
        match &$self.backend {
            $crate::store::Backend::Sqlite($b) => $call.await.map_err(|e| $b.classify(e)),
            $crate::store::Backend::Postgres($b) => $call.await.map_err(|e| $b.classify(e)),
        }
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
mod model;
mod outbox;
mod postgres;
mod rollups;
mod sql;
mod sqlite;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use jiff::Timestamp;
use sqlx::migrate::{AppliedMigration, Migrator};

pub use audits::{AuditKey, AuditSums, NewMention, StoredMention};
pub use cases::{ALERT_CHANNEL, Case, NewAlert, NewCase};
pub use collect::{NewEvent, TokenInvitation, Triggered, Unsubscribed};
pub use daemon::{DueTick, TickKey};
pub use error::StoreError;
pub use indicators::{IndicatorCount, IndicatorImport, IndicatorKey, IndicatorRow};
pub use model::{
    Answer, Attributes, BackendKind, Contact, ContactInput, ForgetReport, Invitation,
    InvitationState, MigrationStatus, NewInvitation, NewResponse, PendingMigration, StoredResponse,
    Suppression, SuppressionReason, UpsertCounts, WaveKey, WaveOutcome, WavePlan, exported_id,
    exported_id_target,
};
pub use outbox::{
    ClaimRequest, Claimed, FailureEvent, InvitationEvent, OutboxRow, OutboxWave, Outcome, Pending,
    Recorded, Resolution, WaveStatus,
};

pub use rollups::{
    Aspect, CallListEntry, Delivery, DriverKey, RebuildSummary, RollupCount, RollupKey,
    VerbatimResponse, VersionKey, VersionSeen, accumulate, counters, segment_value,
};

use crate::redact::redact_url;
use error::BackendError;

/// The URL schemes a user may write, shown in the error for any other one.
pub const ACCEPTED_SCHEMES: &str = "sqlite://PATH, sqlite:PATH, postgres://… or postgresql://…";

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

    /// The schema version and the migrations this binary would still apply.
    pub async fn status(&self) -> Result<MigrationStatus, StoreError> {
        dispatch!(self, b => b.status())
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

    /// One page of the contact directory, ordered by email.
    pub async fn list_contacts(&self, limit: u32, offset: u64) -> Result<Vec<Contact>, StoreError> {
        dispatch!(self, b => b.list_contacts(limit, offset))
    }

    /// Every contact, ordered by email, so a sample never depends on physical row order.
    pub async fn all_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        dispatch!(self, b => b.all_contacts())
    }

    /// How many contacts the directory holds.
    pub async fn count_contacts(&self) -> Result<u64, StoreError> {
        dispatch!(self, b => b.count_contacts())
    }

    /// The contact with this (normalised) email, if any.
    pub async fn get_contact(&self, email: &str) -> Result<Option<Contact>, StoreError> {
        dispatch!(self, b => b.get_contact(email))
    }

    /// Adds `email` to the suppression list for `reason`; returns false when it already was
    /// (the first time and detail are kept).
    pub async fn suppress(
        &self,
        email: &str,
        reason: SuppressionReason,
        detail: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.suppress(email, reason, detail, now))
    }

    /// The suppression entries of one email; empty when it may be contacted.
    pub async fn suppressions_for(&self, email: &str) -> Result<Vec<Suppression>, StoreError> {
        dispatch!(self, b => b.suppressions_for(email))
    }

    /// The whole suppression list, ordered by email then reason.
    pub async fn list_suppressions(&self) -> Result<Vec<Suppression>, StoreError> {
        dispatch!(self, b => b.list_suppressions())
    }

    /// Erases a person's personal data everywhere, in one transaction: the contact row is
    /// deleted; their invitations lose email, contact data and link token hash (pending ones
    /// become `suppressed`; their links then find nothing); their responses lose respondent
    /// attributes, email and text verbatims, and their attribute counters leave the rollups
    /// (numeric and choice answers stay as anonymous aggregates); their contact history is
    /// deleted; and the email is suppressed as `erased` so it is never contacted again. On
    /// SQLite (`secure_delete` on) the write-ahead log is then emptied, so the erased values
    /// are in neither file. The report names the invitations, whose outbox files the caller
    /// deletes.
    pub async fn forget(&self, email: &str) -> Result<ForgetReport, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.forget(email, now))
    }

    /// Remembers that `email` was contacted by `program_id` at `at` (for the fatigue rule).
    pub async fn record_contact(
        &self,
        email: &str,
        program_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, b => b.record_contact(email, program_id, at.as_second()))
    }

    /// When `email` was last contacted by any program.
    pub async fn last_contacted(&self, email: &str) -> Result<Option<Timestamp>, StoreError> {
        dispatch!(self, b => b.last_contacted(email))
    }

    /// Every email contacted at or after `since`, with its latest contact time: the fatigue
    /// exclusions of a plan, in one query.
    pub async fn contacted_since(
        &self,
        since: Timestamp,
    ) -> Result<HashMap<String, Timestamp>, StoreError> {
        dispatch!(self, b => b.contacted_since(since.as_second()))
    }

    /// Records the hash of a program file's YAML; returns true the first time it is seen.
    pub async fn record_program_version(
        &self,
        program_id: &str,
        sha256: &str,
    ) -> Result<bool, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.record_program_version(program_id, sha256, now))
    }

    /// Creates a wave and its invitations once. Safe to call twice or from two processes at
    /// the same time: the unique keys decide (`INSERT … ON CONFLICT DO NOTHING` in one
    /// transaction), so the loser sees `created == false` and nothing is duplicated. An
    /// existing wave is returned as it is; `invitations` is not merged into it.
    pub async fn materialise_wave(
        &self,
        key: &WaveKey,
        plan: &WavePlan,
        invitations: &[NewInvitation],
    ) -> Result<WaveOutcome, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.materialise_wave(key, plan, invitations, now))
    }

    /// The invitations of a wave, ordered by id.
    pub async fn wave_invitations(&self, wave_id: i64) -> Result<Vec<Invitation>, StoreError> {
        dispatch!(self, b => b.wave_invitations(wave_id))
    }

    /// Stores a response and its answers in one transaction. Returns `None` when it is a
    /// duplicate (its invitation already answered, or its `external_id` already imported
    /// for this program) and nothing was written.
    pub async fn insert_response(&self, response: &NewResponse) -> Result<Option<i64>, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.insert_response(response, now))
    }

    /// Records the SHA-256 of an invitation's link token (see `crate::token`); the store never
    /// sees the token itself. Setting the same hash again is harmless.
    pub async fn set_token_hash(
        &self,
        invitation_id: i64,
        hash: &[u8; 32],
    ) -> Result<(), StoreError> {
        dispatch!(self, b => b.set_token_hash(invitation_id, hash))
    }

    /// A stored response with its answers.
    pub async fn response(&self, id: i64) -> Result<Option<StoredResponse>, StoreError> {
        dispatch!(self, b => b.response(id))
    }

    /// Closes the pool, waiting for connections to finish (checkpoints SQLite's WAL).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(b) => b.close().await,
            Backend::Postgres(b) => b.close().await,
        }
    }
}

impl BackendKind {
    /// Reads the backend from a URL's scheme; any other scheme is a clear error, with a
    /// suggestion when it looks like a typo.
    pub fn from_url(url: &str) -> Result<BackendKind, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(BackendKind::Sqlite),
            Some("postgres" | "postgresql") => Ok(BackendKind::Postgres),
            Some(other) => {
                let suggestion = ["sqlite", "postgres", "postgresql"]
                    .into_iter()
                    .map(|s| (strsim::levenshtein(other, s), s))
                    .filter(|(d, _)| *d <= 3)
                    .min()
                    .map(|(_, s)| format!("did you mean `{s}:`? "));
                Err(StoreError::UnsupportedUrl {
                    url: redact_url(url),
                    hint: suggestion.unwrap_or_default(),
                })
            }
            None => Err(StoreError::UnsupportedUrl {
                url: redact_url(url),
                hint: format!("did you mean `sqlite://{url}`? "),
            }),
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
