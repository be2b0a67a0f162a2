//! The store operations, written once and compiled per backend (see `store`'s documentation)
//! against the names the including backend defines: `Db`, `BackendStore`, and what differs.

mod audits;
mod cases;
mod collect;
mod daemon;
mod indicators;
mod outbox;
mod rollups;

use std::collections::HashMap;
use std::str::FromStr;

use jiff::Timestamp;
use sqlx::migrate::{Migrate, Migration, MigrationType, Migrator};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Database, QueryBuilder, Row, SqlSafeStr};

use super::super::error::BackendError;
use super::super::{ROWS_PER_STATEMENT, migration_status, moment, sql, timestamp};
use super::{BEGIN_WRITE, BackendStore, Db, JSON_MERGE, KIND, MIGRATIONS};
use crate::program::fingerprint::SurveyVersion;
use crate::records::{
    Answer, Attributes, Contact, ContactInput, ForgetReport, Invitation, MigrationStatus,
    NewInvitation, NewResponse, StoredResponse, Suppression, SuppressionReason, WaveKey,
    WaveOutcome, WavePlan, exported_id_target,
};

type DbRow = <Db as Database>::Row;
type DbConnection = <Db as Database>::Connection;

/// What every operation returns, before the backend classifies its error for the user.
type Result<T> = std::result::Result<T, BackendError>;

/// The backend's embedded migrations, as sqlx's migrator runs them.
pub(crate) fn migrator() -> Migrator {
    let migration = |&(version, description, text): &(i64, &'static str, &'static str)| {
        let sql = text.into_sql_str();
        Migration::new(
            version,
            description.into(),
            MigrationType::Simple,
            sql,
            false,
        )
    };
    Migrator::with_migrations(MIGRATIONS.iter().map(migration).collect())
}

impl BackendStore {
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Writes a consistent copy of the database to `target`; `false` when the backend has
    /// no backup statement.
    pub(crate) async fn backup(&self, target: &str) -> Result<bool> {
        let Some(statement) = super::BACKUP else {
            return Ok(false);
        };
        sqlx::query(statement)
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    /// Several responses in one transaction, `now` given by the caller.
    async fn store_responses(
        &self,
        responses: &[NewResponse],
        now: i64,
    ) -> Result<Vec<Option<i64>>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let ids = insert_responses_in(&mut tx, responses, now).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

operations! {
    /// The schema version and the migrations this binary would still apply.
    pub async fn status(&self) -> Result<MigrationStatus> {
        let migrator = migrator();
        let mut conn = self.pool.acquire().await?;
        conn.ensure_migrations_table(&migrator.table_name).await?;
        let applied = conn.list_applied_migrations(&migrator.table_name).await?;
        Ok(migration_status(KIND, &migrator, &applied))
    }

    /// One page of the contact directory, ordered by email.
    pub async fn list_contacts(&self, limit: u32, offset: u64) -> Result<Vec<Contact>> {
        let rows = sqlx::query(sql::LIST_CONTACTS)
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(contact).collect()
    }

    /// Every contact, ordered by email, so a sample never depends on physical row order.
    pub async fn all_contacts(&self) -> Result<Vec<Contact>> {
        let rows = sqlx::query(sql::ALL_CONTACTS).fetch_all(&self.pool).await?;
        rows.iter().map(contact).collect()
    }

    /// How many contacts the directory holds.
    pub async fn count_contacts(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(sql::COUNT_CONTACTS)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unsigned_abs())
    }

    /// The contact with this (normalised) email, if any.
    pub async fn get_contact(&self, email: &str) -> Result<Option<Contact>> {
        let row = sqlx::query(sql::GET_CONTACT)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contact).transpose()
    }

    /// Adds `email` to the suppression list for `reason`; returns false when it already was
    /// (the first time and detail are kept).
    pub async fn suppress(&self, email: &str, reason: SuppressionReason, detail: Option<&str>;
        now: i64) -> Result<bool> {
        let done = sqlx::query(sql::SUPPRESS)
            .bind(email)
            .bind(reason.as_str())
            .bind(detail)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The suppression entries of one email; empty when it may be contacted.
    pub async fn suppressions_for(&self, email: &str) -> Result<Vec<Suppression>> {
        let rows = sqlx::query(sql::SUPPRESSIONS_FOR)
            .bind(email)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(suppression).collect()
    }

    /// The whole suppression list, ordered by email then reason.
    pub async fn list_suppressions(&self) -> Result<Vec<Suppression>> {
        let rows = sqlx::query(sql::LIST_SUPPRESSIONS)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(suppression).collect()
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
    pub async fn forget(&self, email: &str; now: i64) -> Result<ForgetReport> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let invitation_ids: Vec<i64> = sqlx::query_scalar(sql::FORGET_INVITATION_IDS)
            .bind(email)
            .fetch_all(&mut *tx)
            .await?;
        rollups::forget_segments(&mut tx, email).await?;
        for statement in crate::store::cases::forget_cases(sql::THEIR_RESPONSES) {
            by_email(&mut tx, AssertSqlSafe(statement), email, None).await?;
        }
        let verbatims =
            by_email(&mut tx, AssertSqlSafe(sql::forget_verbatims()), email, None).await?;
        let responses =
            by_email(&mut tx, AssertSqlSafe(sql::forget_responses()), email, None).await?;
        by_email(&mut tx, sql::FORGET_LOG_CANCELLED, email, Some(now)).await?;
        by_email(&mut tx, sql::FORGET_EVENT_DETAILS, email, None).await?;
        let invitations = by_email(&mut tx, sql::FORGET_INVITATIONS, email, Some(now)).await?;
        let contacts = by_email(&mut tx, sql::FORGET_CONTACT, email, None).await?;
        let history = by_email(&mut tx, sql::FORGET_HISTORY, email, None).await?;
        by_email(&mut tx, sql::FORGET_GUARD, email, None).await?;
        by_email(&mut tx, sql::FORGET_EVENTS, email, None).await?;
        by_email(&mut tx, sql::FORGET_SUPPRESSION_DETAILS, email, None).await?;
        by_email(&mut tx, sql::SUPPRESS_ERASED, email, Some(now)).await?;
        tx.commit().await?;
        let wal_pending = match super::AFTER_ERASE {
            Some(statement) => {
                let busy: i64 = sqlx::query_scalar(statement).fetch_one(&self.pool).await?;
                busy != 0
            }
            None => false,
        };
        Ok(ForgetReport {
            contacts,
            invitations,
            responses,
            verbatims,
            history,
            invitation_ids,
            wal_pending,
        })
    }

    /// Remembers that `email` was contacted by `program_id` at `at` (for the fatigue rule).
    pub async fn record_contact(&self, email: &str, program_id: &str, at: Timestamp) -> Result<()> {
        sqlx::query(sql::RECORD_CONTACT)
            .bind(email)
            .bind(program_id)
            .bind(at.as_second())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// When `email` was last contacted by any program.
    pub async fn last_contacted(&self, email: &str) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(sql::LAST_CONTACTED)
            .bind(email)
            .fetch_one(&self.pool)
            .await?;
        at.map(timestamp).transpose()
    }

    /// Every email contacted at or after `since`, with its latest contact time: the fatigue
    /// exclusions of a plan, in one query.
    pub async fn contacted_since(&self, since: Timestamp) -> Result<HashMap<String, Timestamp>> {
        let rows = sqlx::query(sql::CONTACTED_SINCE)
            .bind(since.as_second())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, timestamp(r.try_get(1)?)?)))
            .collect()
    }

    /// Records the hash of a program file's YAML; returns true the first time it is seen.
    pub async fn record_program_version(&self, program_id: &str, sha256: &str; now: i64)
        -> Result<bool> {
        let done = sqlx::query(sql::RECORD_PROGRAM_VERSION)
            .bind(program_id)
            .bind(sha256)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Creates a wave and its invitations once. Safe to call twice or from two processes at
    /// the same time: the unique keys decide (`INSERT … ON CONFLICT DO NOTHING` in one
    /// transaction), so the loser sees `created == false` and nothing is duplicated. An
    /// existing wave is returned as it is; `invitations` is not merged into it.
    pub async fn materialise_wave(&self, key: &WaveKey, plan: &WavePlan,
        invitations: &[NewInvitation]; now: i64) -> Result<WaveOutcome> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let (wave_id, created) = create_or_find_wave(&mut tx, key, plan, now).await?;
        if created {
            for chunk in invitations.chunks(ROWS_PER_STATEMENT) {
                let mut query = QueryBuilder::<Db>::new(sql::INSERT_INVITATIONS);
                query.push_values(chunk, |mut row, i| {
                    row.push_bind(wave_id)
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
                .bind(wave_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let count: i64 = sqlx::query_scalar(sql::COUNT_INVITATIONS)
            .bind(wave_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(WaveOutcome {
            wave_id,
            created,
            invitations: count.unsigned_abs(),
        })
    }

    /// The invitations of a wave, ordered by id.
    pub async fn wave_invitations(&self, wave_id: i64) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(sql::WAVE_INVITATIONS)
            .bind(wave_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(invitation).collect()
    }

    /// Records the SHA-256 of an invitation's link token (see `crate::token`); the store never
    /// sees the token itself. Setting the same hash again is harmless.
    pub async fn set_token_hash(&self, invitation_id: i64, hash: &[u8; 32]) -> Result<()> {
        self.set_token_hashes(&[(invitation_id, *hash)]).await
    }

    /// Stores a response and its answers in one transaction. Returns `None` when it is a
    /// duplicate (its invitation already answered, or its `external_id` already imported
    /// for this program) and nothing was written.
    pub async fn insert_response(&self, response: &NewResponse; now: i64) -> Result<Option<i64>> {
        let ids = self.store_responses(std::slice::from_ref(response), now).await?;
        Ok(ids.into_iter().next().flatten())
    }

    /// Stores several responses in one transaction (group commit): each one exactly as
    /// `insert_response` would, `None` for a duplicate; the rollups of the batch are added
    /// up first and written once per counter.
    pub async fn insert_responses(&self, responses: &[NewResponse], now: Timestamp)
        -> Result<Vec<Option<i64>>> {
        self.store_responses(responses, now.as_second()).await
    }

    /// A stored response with its answers.
    pub async fn response(&self, id: i64) -> Result<Option<StoredResponse>> {
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
            .map(|row| answer(row, 0))
            .collect::<Result<Vec<_>>>()?;
        stored_response(&row, answers).map(Some)
    }
}

fn contact(row: &DbRow) -> Result<Contact> {
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

fn suppression(row: &DbRow) -> Result<Suppression> {
    Ok(Suppression {
        email: row.try_get("email")?,
        reason: parse(row.try_get("reason")?)?,
        detail: row.try_get("detail")?,
        at: timestamp(row.try_get("at")?)?,
    })
}

fn invitation(row: &DbRow) -> Result<Invitation> {
    Ok(Invitation {
        id: row.try_get("id")?,
        wave_id: row.try_get("wave_id")?,
        email: row.try_get("email")?,
        locale: row.try_get("locale")?,
        contact_data: row
            .try_get::<Option<Json<Attributes>>, _>("contact_data")?
            .map(|j| j.0),
        state: parse(row.try_get("state")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: moment(row.try_get("next_attempt_at")?)?,
        possibly_duplicate: row.try_get("possibly_duplicate")?,
    })
}

/// A stored name (state, reason) read back as its enum.
fn parse<T: FromStr<Err: std::error::Error + Send + Sync + 'static>>(name: String) -> Result<T> {
    Ok(name.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?)
}

/// An answer from the five columns `question_id, ordinal, num_value, choice, text_value`
/// starting at `offset`.
fn answer(row: &DbRow, offset: usize) -> Result<Answer> {
    Ok(Answer {
        question_id: row.try_get(offset)?,
        ordinal: u32::try_from(row.try_get::<i64, _>(offset + 1)?).unwrap_or(0),
        num_value: row.try_get(offset + 2)?,
        choice: row.try_get(offset + 3)?,
        text_value: row.try_get(offset + 4)?,
    })
}

/// A response from the columns `id, invitation_id, program_id, survey_id, channel, period,
/// submitted_at, email, respondent, external_id`, with its answers.
fn stored_response(row: &DbRow, answers: Vec<Answer>) -> Result<StoredResponse> {
    Ok(StoredResponse {
        id: row.try_get(0)?,
        invitation_id: row.try_get(1)?,
        program_id: row.try_get(2)?,
        survey_id: row.try_get(3)?,
        channel: row.try_get(4)?,
        period: row.try_get(5)?,
        submitted_at: timestamp(row.try_get(6)?)?,
        email: row.try_get(7)?,
        respondent: row.try_get::<Option<Json<Attributes>>, _>(8)?.map(|j| j.0),
        external_id: row.try_get(9)?,
        answers,
    })
}

/// Runs a statement about one person: on their email (`$1`), and on `now` (`$2`) for the
/// statements that record a time; returns the rows it changed.
async fn by_email(
    conn: &mut DbConnection,
    statement: impl SqlSafeStr,
    email: &str,
    now: Option<i64>,
) -> Result<u64> {
    let mut query = sqlx::query(statement).bind(email);
    if let Some(now) = now {
        query = query.bind(now);
    }
    Ok(query.execute(conn).await?.rows_affected())
}

/// The body of storing responses inside an open transaction, shared by the single and the
/// batched insert so that everything done per response applies to both: the response rows
/// in a few multi-row statements (each response's id, or `None` for a duplicate), then the
/// answers, survey versions, verbatim locations and rollups of the stored ones, a few
/// multi-row statements for the whole batch.
async fn insert_responses_in(
    conn: &mut DbConnection,
    responses: &[NewResponse],
    now: i64,
) -> Result<Vec<Option<i64>>> {
    let mut candidates = Vec::with_capacity(responses.len());
    for (i, r) in responses.iter().enumerate() {
        // A row of an export whose response had no external id names it `ecoute-{id}`:
        // imported back, it is that response again, not a new one.
        if let Some(target) = r.external_id.as_deref().and_then(exported_id_target) {
            let exists: Option<i32> = sqlx::query_scalar(sql::EXPORTED_RESPONSE_EXISTS)
                .bind(target)
                .bind(&r.program_id)
                .fetch_optional(&mut *conn)
                .await?;
            if exists.is_some() {
                continue;
            }
        }
        candidates.push(i);
    }
    let mut ids = vec![None; responses.len()];
    for run in candidates.chunks(RESPONSES_PER_STATEMENT) {
        insert_response_rows(conn, responses, run, now, &mut ids).await?;
    }
    let mut answers: Vec<(i64, &Answer)> = Vec::new();
    let mut versions: Vec<&SurveyVersion> = Vec::new();
    let mut tally = crate::rollup::BatchTally::default();
    for (r, id) in responses.iter().zip(&ids) {
        let Some(id) = *id else {
            continue;
        };
        if let Some(v) = &r.version
            && !versions
                .iter()
                .any(|seen| seen.fingerprint == v.fingerprint)
        {
            versions.push(v);
        }
        answers.extend(r.answers.iter().map(|a| (id, a)));
        tally.add(id, r);
        cases::open_cases(&mut *conn, id, r, now).await?;
    }
    for v in versions {
        sqlx::query(super::super::rollups::INSERT_SURVEY_VERSION)
            .bind(&v.fingerprint)
            .bind(Json(&v.questions))
            .execute(&mut *conn)
            .await?;
    }
    for chunk in answers.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(sql::INSERT_ANSWERS);
        query.push_values(chunk, |mut row, (id, a)| {
            row.push_bind(*id)
                .push_bind(a.question_id.as_str())
                .push_bind(i64::from(a.ordinal))
                .push_bind(a.num_value)
                .push_bind(a.choice.as_deref())
                .push_bind(a.text_value.as_deref());
        });
        query.build().execute(&mut *conn).await?;
    }
    rollups::write_tally(conn, tally).await?;
    Ok(ids)
}

/// Response rows per statement at most: 12 parameters each, far below either bound.
const RESPONSES_PER_STATEMENT: usize = 512;

/// Stores the responses `run` (indexes into `responses`) in one statement and writes the id
/// of each stored one into `ids`. The stored rows come back with their keys, in id order,
/// which is the order of the statement's rows: a response is stored when the next of them
/// has its keys (of several with one invitation or external id only the first can be).
async fn insert_response_rows(
    conn: &mut DbConnection,
    responses: &[NewResponse],
    run: &[usize],
    now: i64,
    ids: &mut [Option<i64>],
) -> Result<()> {
    let mut query = QueryBuilder::<Db>::new(sql::INSERT_RESPONSES);
    query.push_values(run, |mut row, &i| {
        let r = &responses[i];
        row.push_bind(r.invitation_id)
            .push_bind(r.program_id.as_str())
            .push_bind(r.survey_id.as_str())
            .push_bind(r.touchpoint_id.as_deref())
            .push_bind(r.channel.as_str())
            .push_bind(r.period.as_str())
            .push_bind(r.submitted_at.as_second())
            .push_bind(r.email.as_deref())
            .push_bind(r.respondent.as_ref().map(Json))
            .push_bind(r.external_id.as_deref())
            .push_bind(now)
            .push_bind(r.version.as_ref().map(|v| v.fingerprint.as_str()));
    });
    query.push(sql::INSERT_RESPONSES_TAIL);
    let mut stored: Vec<(i64, Option<i64>, String, Option<String>)> =
        query.build_query_as().fetch_all(&mut *conn).await?;
    stored.sort_unstable_by_key(|(id, ..)| *id);
    let mut stored = stored.into_iter().peekable();
    for &i in run {
        let r = &responses[i];
        let keys = (
            r.invitation_id,
            r.program_id.as_str(),
            r.external_id.as_deref(),
        );
        if let Some((id, ..)) = stored
            .next_if(|(_, inv, program, ext)| (*inv, program.as_str(), ext.as_deref()) == keys)
        {
            ids[i] = Some(id);
        }
    }
    Ok(())
}

/// The multi-row upsert of a chunk of contacts; each backend adds how it tells inserts from
/// updates.
pub(super) fn upsert_contacts_query(chunk: &[ContactInput], now: i64) -> QueryBuilder<Db> {
    let mut query = QueryBuilder::<Db>::new(sql::INSERT_CONTACTS);
    query.push_values(chunk, |mut row, c| {
        row.push_bind(c.email.as_str())
            .push_bind(c.first_name.as_deref())
            .push_bind(c.last_name.as_deref())
            .push_bind(c.locale.as_deref())
            .push_bind(Json(&c.attributes))
            .push_bind(now)
            .push_bind(now);
    });
    query.push(sql::upsert_contacts_tail(JSON_MERGE));
    query
}

/// Creates the wave `key` inside an open transaction, or finds it when it exists (another
/// caller won the unique key); true when created now.
async fn create_or_find_wave(
    conn: &mut DbConnection,
    key: &WaveKey,
    plan: &WavePlan,
    now: i64,
) -> Result<(i64, bool)> {
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
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = created {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar(sql::FIND_WAVE)
        .bind(&key.program_id)
        .bind(&key.survey_id)
        .bind(&key.channel_id)
        .bind(&key.period)
        .bind(i64::from(key.wave))
        .fetch_one(&mut *conn)
        .await?;
    Ok((id, false))
}
