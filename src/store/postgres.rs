//! The PostgreSQL backend, for several daemons sharing one database: the unique keys and
//! `ON CONFLICT` decide races between processes, and claims skip rows another dispatcher has
//! locked. The operations themselves are in `shared/`; this file keeps connecting, error
//! classification and contact-upsert counting.

/// `shared/`'s operations on this backend; the SQLite include writes the `Store` methods.
macro_rules! operations {
    ($($ops:tt)*) => { store_operations!(backend_only; $($ops)*); };
}

#[path = "shared/mod.rs"]
#[allow(
    clippy::duplicate_mod,
    reason = "compiled per backend: see `store`'s doc"
)]
mod shared;

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, Postgres};

use super::error::{BackendError, StoreError};
use super::rollups as r;
use super::{ROWS_PER_STATEMENT, StoreOptions, outbox};
use crate::records::{BackendKind, ContactInput, UpsertCounts};
use crate::redact::redact_url;

/// The names `shared/` is written against.
type Db = Postgres;
type BackendStore = PgStore;
const KIND: BackendKind = BackendKind::Postgres;

/// The PostgreSQL migrations, embedded in the binary.
const MIGRATIONS: &[(i64, &str, &str)] = embedded_migrations! {"postgres",
    (1, "initial", "0001_initial.sql"), (2, "dispatch", "0002_dispatch.sql"),
    (3, "collect", "0003_collect.sql"), (4, "rollups", "0004_rollups.sql"),
    (5, "bigint", "0005_bigint.sql"), (6, "contact guard", "0006_contact_guard.sql"),
    (7, "daemon", "0007_daemon.sql"), (8, "statistics", "0008_statistics.sql"),
    (9, "cases", "0009_cases.sql"), (10, "indicators", "0010_indicators.sql"),
    (11, "audits and mentions", "0011_audits_mentions.sql"),
    (12, "partial case index", "0012_partial_case_index.sql"),
};

/// The statement that opens every write transaction: row locks and unique keys do the rest.
const BEGIN_WRITE: &str = "BEGIN";
/// The claim, skipping rows another dispatcher is claiming right now.
const CLAIM: &str = outbox::CLAIM_POSTGRES;
/// Nothing to do after `forget`: PostgreSQL's own VACUUM reclaims the erased rows' old
/// versions.
const AFTER_ERASE: Option<&str> = None;
/// No backup statement: `pg_dump` is the tool for a PostgreSQL database.
const BACKUP: Option<&str> = None;
/// Holds back other writers of the counters while a rebuild runs: responses committed during
/// the rebuild wait at their own rollup update, then add to the rebuilt counters, so nothing
/// is counted twice or lost.
const REBUILD_LOCK: Option<&str> =
    Some("LOCK TABLE rollups, verbatim_refs, question_versions, driver_counts IN EXCLUSIVE MODE");
/// The rollup read, as JSON.
const SELECT_ROLLUPS: &str = r::SELECT_ROLLUPS_POSTGRES;
/// How an upsert merges a contact's attributes.
const JSON_MERGE: &str = "contacts.attributes || excluded.attributes";

/// A pool of connections to a PostgreSQL database.
#[derive(Debug, Clone)]
pub(super) struct PgStore {
    pool: PgPool,
    url: String,
}

impl PgStore {
    /// Connects to the server named by `url`.
    pub(super) async fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let redacted = redact_url(url);
        let cannot_connect = |source| StoreError::Connect {
            url: redacted.clone(),
            source,
        };
        let connect = PgConnectOptions::from_str(url)
            .map_err(cannot_connect)?
            .statement_cache_capacity(super::STATEMENT_CACHE);
        // One direct connection first: the pool would retry a refused connection until its
        // timeout and report only that, hiding the server's own reason.
        let probe = PgConnection::connect_with(&connect)
            .await
            .map_err(cannot_connect)?;
        probe.close().await.map_err(StoreError::Database)?;
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(connect)
            .await
            .map_err(cannot_connect)?;
        Ok(PgStore {
            pool,
            url: redacted,
        })
    }

    pub(super) fn classify(&self, e: BackendError) -> StoreError {
        e.classify_with(|e| classify_sql(e, &self.url))
    }

    pub(super) async fn migrate(&self) -> Result<Vec<i64>, BackendError> {
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
        let mut counts = UpsertCounts::default();
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            // `revision` is 0 on a new row and at least 1 on an updated one.
            let mut query = shared::upsert_contacts_query(chunk, now);
            query.push(" RETURNING revision");
            let revisions: Vec<i64> = query.build_query_scalar().fetch_all(&mut *tx).await?;
            let inserted = revisions.iter().filter(|&&r| r == 0).count() as u64;
            counts.inserted += inserted;
            counts.updated += revisions.len() as u64 - inserted;
        }
        tx.commit().await?;
        Ok(counts)
    }
}

/// Separates "cannot reach or log in to the server" from other database errors.
fn classify_sql(e: sqlx::Error, url: &str) -> StoreError {
    let connection_class = match &e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("28") || c.starts_with("08") || c == "3D000"),
        _ => false,
    };
    if connection_class {
        StoreError::Connect {
            url: url.to_owned(),
            source: e,
        }
    } else {
        StoreError::Database(e)
    }
}
