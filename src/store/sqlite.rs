//! The SQLite backend: one file, WAL journal, foreign keys on, a busy timeout, and every write
//! in `BEGIN IMMEDIATE` so two writers queue on the lock instead of failing half-way.

mod collect;
mod rollups;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migrate, Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, QueryBuilder, Row, SqlSafeStr};

mod outbox;

use super::error::{BackendError, StoreError};
use super::model::{
    Answer, Attributes, BackendKind, Contact, ContactInput, ForgetReport, Invitation,
    MigrationStatus, NewInvitation, NewResponse, StoredResponse, Suppression, SuppressionReason,
    UpsertCounts, WaveKey, WaveOutcome, WavePlan,
};
use super::{ROWS_PER_STATEMENT, StoreOptions, migration_status, sql, timestamp};

/// The SQLite migrations, embedded in the binary.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "dispatch",
        include_str!("../../migrations/sqlite/0002_dispatch.sql"),
    ),
    (
        3,
        "collect",
        include_str!("../../migrations/sqlite/0003_collect.sql"),
    ),
    (
        4,
        "rollups",
        include_str!("../../migrations/sqlite/0004_rollups.sql"),
    ),
];

/// SQLite's primary result codes that deserve their own message.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_READONLY: i32 = 8;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

/// The statement that opens every write transaction: takes the write lock up front.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, text)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    text.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

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
            // 64 MiB of page cache per connection: a wave's outbox updates touch pages all
            // over the invitations table, and re-reading them from disk dominated dispatch.
            .pragma("cache_size", "-65536")
            .busy_timeout(options.busy_timeout);
        let path = connect.get_filename().display().to_string();
        refuse_read_only(connect.get_filename())?;
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

    pub(super) fn classify(&self, e: BackendError) -> StoreError {
        e.classify_with(|e| classify_sql(e, &self.path, self.busy_timeout))
    }

    pub(super) async fn close(&self) {
        self.pool.close().await;
    }

    pub(super) async fn migrate(&self) -> Result<Vec<i64>, BackendError> {
        let _lock = setup_lock(&self.path).await.map_err(sqlx::Error::Io)?;
        let before = self.status().await?;
        migrator().run(&self.pool).await?;
        Ok(before.pending.into_iter().map(|m| m.version).collect())
    }

    pub(super) async fn status(&self) -> Result<MigrationStatus, BackendError> {
        let migrator = migrator();
        let mut conn = self.pool.acquire().await?;
        conn.ensure_migrations_table(&migrator.table_name).await?;
        let applied = conn.list_applied_migrations(&migrator.table_name).await?;
        Ok(migration_status(BackendKind::Sqlite, &migrator, &applied))
    }

    pub(super) async fn upsert_contacts(
        &self,
        batch: &[ContactInput],
        now: i64,
    ) -> Result<UpsertCounts, BackendError> {
        let tail =
            sql::upsert_contacts_tail("json_patch(contacts.attributes, excluded.attributes)");
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // Counting rows above the previous highest id tells inserts from updates without
        // sending a row back per contact (`RETURNING`), which costs a third of the time.
        let before: i64 = sqlx::query_scalar(sql::MAX_CONTACT_ID)
            .fetch_one(&mut *tx)
            .await?;
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(sql::INSERT_CONTACTS);
            query.push_values(chunk, |mut row, c| {
                row.push_bind(c.email.as_str())
                    .push_bind(c.first_name.as_deref())
                    .push_bind(c.last_name.as_deref())
                    .push_bind(c.locale.as_deref())
                    .push_bind(Json(&c.attributes))
                    .push_bind(now)
                    .push_bind(now);
            });
            query.push(&tail);
            query.build().execute(&mut *tx).await?;
        }
        let inserted: i64 = sqlx::query_scalar(sql::CONTACTS_AFTER)
            .bind(before)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        let inserted = inserted.unsigned_abs();
        Ok(UpsertCounts {
            inserted,
            updated: (batch.len() as u64).saturating_sub(inserted),
        })
    }

    pub(super) async fn list_contacts(
        &self,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Contact>, BackendError> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = sqlx::query(sql::LIST_CONTACTS)
            .bind(i64::from(limit))
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(contact).collect()
    }

    pub(super) async fn all_contacts(&self) -> Result<Vec<Contact>, BackendError> {
        let rows = sqlx::query(sql::ALL_CONTACTS).fetch_all(&self.pool).await?;
        rows.iter().map(contact).collect()
    }

    pub(super) async fn count_contacts(&self) -> Result<u64, BackendError> {
        let n: i64 = sqlx::query_scalar(sql::COUNT_CONTACTS)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unsigned_abs())
    }

    pub(super) async fn get_contact(&self, email: &str) -> Result<Option<Contact>, BackendError> {
        let row = sqlx::query(sql::GET_CONTACT)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contact).transpose()
    }

    pub(super) async fn suppress(
        &self,
        email: &str,
        reason: SuppressionReason,
        detail: Option<&str>,
        now: i64,
    ) -> Result<bool, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let done = sqlx::query(sql::SUPPRESS)
            .bind(email)
            .bind(reason.as_str())
            .bind(detail)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn suppressions_for(
        &self,
        email: &str,
    ) -> Result<Vec<Suppression>, BackendError> {
        let rows = sqlx::query(sql::SUPPRESSIONS_FOR)
            .bind(email)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(suppression).collect()
    }

    pub(super) async fn list_suppressions(&self) -> Result<Vec<Suppression>, BackendError> {
        let rows = sqlx::query(sql::LIST_SUPPRESSIONS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(suppression).collect()
    }

    pub(super) async fn forget(&self, email: &str, now: i64) -> Result<ForgetReport, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let verbatims = sqlx::query(AssertSqlSafe(sql::forget_verbatims()))
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let responses = sqlx::query(AssertSqlSafe(sql::forget_responses()))
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(sql::FORGET_LOG_CANCELLED)
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::FORGET_EVENT_DETAILS)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        let invitations = sqlx::query(sql::FORGET_INVITATIONS)
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let contacts = sqlx::query(sql::FORGET_CONTACT)
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let history = sqlx::query(sql::FORGET_HISTORY)
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(sql::FORGET_EVENTS)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::FORGET_SUPPRESSION_DETAILS)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql::SUPPRESS_ERASED)
            .bind(email)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ForgetReport {
            contacts,
            invitations,
            responses,
            verbatims,
            history,
        })
    }

    pub(super) async fn record_contact(
        &self,
        email: &str,
        program_id: &str,
        at: i64,
    ) -> Result<(), BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        sqlx::query(sql::RECORD_CONTACT)
            .bind(email)
            .bind(program_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn last_contacted(
        &self,
        email: &str,
    ) -> Result<Option<jiff::Timestamp>, BackendError> {
        let at: Option<i64> = sqlx::query_scalar(sql::LAST_CONTACTED)
            .bind(email)
            .fetch_one(&self.pool)
            .await?;
        at.map(timestamp).transpose()
    }

    pub(super) async fn contacted_since(
        &self,
        since: i64,
    ) -> Result<HashMap<String, jiff::Timestamp>, BackendError> {
        let rows = sqlx::query(sql::CONTACTED_SINCE)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, timestamp(r.try_get(1)?)?)))
            .collect()
    }

    pub(super) async fn record_program_version(
        &self,
        program_id: &str,
        sha256: &str,
        now: i64,
    ) -> Result<bool, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let done = sqlx::query(sql::RECORD_PROGRAM_VERSION)
            .bind(program_id)
            .bind(sha256)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn materialise_wave(
        &self,
        key: &WaveKey,
        plan: &WavePlan,
        invitations: &[NewInvitation],
        now: i64,
    ) -> Result<WaveOutcome, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let created: Option<i64> = sqlx::query_scalar(sql::INSERT_WAVE)
            .bind(&key.program_id)
            .bind(&key.survey_id)
            .bind(&key.channel_id)
            .bind(&key.period)
            .bind(i64::from(key.wave))
            .bind(&plan.sample_id)
            .bind(plan.seed.to_string())
            .bind(plan.program_sha256.as_deref())
            .bind(plan.planned_at.as_second())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let wave_id = match created {
            Some(id) => {
                for chunk in invitations.chunks(ROWS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<Sqlite>::new(sql::INSERT_INVITATIONS);
                    query.push_values(chunk, |mut row, i| {
                        row.push_bind(id)
                            .push_bind(i.email.as_str())
                            .push_bind(i.locale.as_deref())
                            .push_bind(Json(&i.contact_data))
                            .push_bind(i.due_at.as_second())
                            .push_bind(now)
                            .push_bind(now);
                    });
                    query.push(sql::INSERT_INVITATIONS_TAIL);
                    query.build().execute(&mut *tx).await?;
                }
                sqlx::query(sql::LOG_PLANNED)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                sqlx::query_scalar(sql::FIND_WAVE)
                    .bind(&key.program_id)
                    .bind(&key.survey_id)
                    .bind(&key.channel_id)
                    .bind(&key.period)
                    .bind(i64::from(key.wave))
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        let count: i64 = sqlx::query_scalar(sql::COUNT_INVITATIONS)
            .bind(wave_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(WaveOutcome {
            wave_id,
            created: created.is_some(),
            invitations: count.unsigned_abs(),
        })
    }

    pub(super) async fn wave_invitations(
        &self,
        wave_id: i64,
    ) -> Result<Vec<Invitation>, BackendError> {
        let rows = sqlx::query(sql::WAVE_INVITATIONS)
            .bind(wave_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(invitation).collect()
    }

    pub(super) async fn set_token_hash(
        &self,
        invitation_id: i64,
        hash: &[u8; 32],
    ) -> Result<(), BackendError> {
        sqlx::query(sql::SET_TOKEN_HASH)
            .bind(invitation_id)
            .bind(&hash[..])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn insert_response(
        &self,
        r: &NewResponse,
        now: i64,
    ) -> Result<Option<i64>, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let id = insert_response_in(&mut tx, r, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Several responses in one transaction (group commit), each exactly as
    /// `insert_response` stores it.
    pub(super) async fn insert_responses(
        &self,
        responses: &[NewResponse],
        now: i64,
    ) -> Result<Vec<Option<i64>>, BackendError> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let mut ids = Vec::with_capacity(responses.len());
        for r in responses {
            ids.push(insert_response_in(&mut tx, r, now).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    pub(super) async fn response(&self, id: i64) -> Result<Option<StoredResponse>, BackendError> {
        let Some(row) = sqlx::query(sql::GET_RESPONSE)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let answers = sqlx::query(sql::GET_ANSWERS)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(answer)
            .collect::<Result<Vec<_>, BackendError>>()?;
        Ok(Some(StoredResponse {
            id: row.try_get("id")?,
            invitation_id: row.try_get("invitation_id")?,
            program_id: row.try_get("program_id")?,
            survey_id: row.try_get("survey_id")?,
            channel: row.try_get("channel")?,
            period: row.try_get("period")?,
            submitted_at: timestamp(row.try_get("submitted_at")?)?,
            email: row.try_get("email")?,
            respondent: row
                .try_get::<Option<Json<Attributes>>, _>("respondent")?
                .map(|j| j.0),
            external_id: row.try_get("external_id")?,
            answers,
        }))
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

/// SQLite has no lock for setting a file up: two processes opening a new file at once race
/// on switching it to WAL and on creating the tables, and the loser gets `SQLITE_BUSY` at
/// once, without waiting. An OS lock on a file beside the database serialises the first
/// connection and the migrations; it is released when the returned file is dropped. (Not
/// the database file itself: closing another descriptor of it would drop SQLite's own POSIX
/// locks.)
async fn setup_lock(path: &str) -> std::io::Result<std::fs::File> {
    let lock_path = format!("{path}.setup-lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
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

fn contact(row: &SqliteRow) -> Result<Contact, BackendError> {
    Ok(Contact {
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        locale: row.try_get("locale")?,
        attributes: row.try_get::<Json<Attributes>, _>("attributes")?.0,
        created_at: timestamp(row.try_get("created_at")?)?,
        updated_at: timestamp(row.try_get("updated_at")?)?,
    })
}

fn suppression(row: &SqliteRow) -> Result<Suppression, BackendError> {
    let reason: String = row.try_get("reason")?;
    Ok(Suppression {
        email: row.try_get("email")?,
        reason: reason
            .parse()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        detail: row.try_get("detail")?,
        at: timestamp(row.try_get("at")?)?,
    })
}

fn invitation(row: &SqliteRow) -> Result<Invitation, BackendError> {
    let state: String = row.try_get("state")?;
    let next: Option<i64> = row.try_get("next_attempt_at")?;
    Ok(Invitation {
        id: row.try_get("id")?,
        wave_id: row.try_get("wave_id")?,
        email: row.try_get("email")?,
        locale: row.try_get("locale")?,
        contact_data: row
            .try_get::<Option<Json<Attributes>>, _>("contact_data")?
            .map(|j| j.0),
        state: state
            .parse()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: next.map(timestamp).transpose()?,
        possibly_duplicate: row.try_get("possibly_duplicate")?,
    })
}

fn answer(row: &SqliteRow) -> Result<Answer, BackendError> {
    Ok(Answer {
        question_id: row.try_get("question_id")?,
        ordinal: u32::try_from(row.try_get::<i64, _>("ordinal")?).unwrap_or(0),
        num_value: row.try_get("num_value")?,
        choice: row.try_get("choice")?,
        text_value: row.try_get("text_value")?,
    })
}

/// The body of storing one response inside an open transaction: shared by the single and the
/// batched insert so that everything done per response applies to both.
async fn insert_response_in(
    conn: &mut SqliteConnection,
    r: &NewResponse,
    now: i64,
) -> Result<Option<i64>, BackendError> {
    let id: Option<i64> = sqlx::query_scalar(sql::INSERT_RESPONSE)
        .bind(r.invitation_id)
        .bind(&r.program_id)
        .bind(&r.survey_id)
        .bind(r.touchpoint_id.as_deref())
        .bind(&r.channel)
        .bind(&r.period)
        .bind(r.submitted_at.as_second())
        .bind(r.email.as_deref())
        .bind(r.respondent.as_ref().map(Json))
        .bind(r.external_id.as_deref())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = id {
        for chunk in r.answers.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(sql::INSERT_ANSWERS);
            query.push_values(chunk, |mut row, a| {
                row.push_bind(id)
                    .push_bind(a.question_id.as_str())
                    .push_bind(i64::from(a.ordinal))
                    .push_bind(a.num_value)
                    .push_bind(a.choice.as_deref())
                    .push_bind(a.text_value.as_deref());
            });
            query.build().execute(&mut *conn).await?;
        }
        rollups::apply(&mut *conn, id, r).await?;
    }
    Ok(id)
}
