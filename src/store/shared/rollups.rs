//! The report rollups' store operations (see `store::rollups`); each backend reads the
//! counters back its own way.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sqlx::query::Query;
use sqlx::query_builder::Separated;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Database, QueryBuilder, Row};

use super::Result;
use super::{BEGIN_WRITE, BackendStore, Db, DbConnection, DbRow, answer, parse, stored_response};
use crate::program::fingerprint::SurveyVersion;
use crate::records::{
    Answer, Attributes, CallListEntry, Delivery, NewResponse, RebuildSummary, StoredResponse,
    VerbatimResponse,
};
use crate::rollup::{
    self, BatchTally, DriverKey, RollupCount, RollupKey, Text, VersionKey, VersionSeen,
};
use crate::store::ROWS_PER_STATEMENT;
use crate::store::audits::CLEAR_AUDIT_SUMS;
use crate::store::rollups::{self as r, in_list};

/// Responses read at a time by a rebuild.
const PAGE: i64 = 10_000;

/// Adds everything a batch counted to the store; returns how many counters it touched.
pub(crate) async fn write_tally(conn: &mut DbConnection, tally: BatchTally<'_>) -> Result<u64> {
    let counts: Vec<(RollupKey<Text<'_>>, i64)> = rollup::in_key_order(tally.totals)
        .into_iter()
        .map(|(k, n)| (k, i64::try_from(n).unwrap_or(i64::MAX)))
        .collect();
    add_counts(conn, &counts).await?;
    let drivers = rollup::in_key_order(tally.drivers);
    let versions: Vec<VersionRow<'_>> = rollup::in_key_order(tally.versions)
        .into_iter()
        .map(|(key, seen)| {
            let detail = seen.detail(key.aspect);
            (key, detail, seen.at)
        })
        .collect();
    insert_statistics(conn, &drivers, &versions).await?;
    super::audits::add_audit_sums(conn, &rollup::in_key_order(tally.audits)).await?;
    let statements = (r::INSERT_VERBATIM_REFS, r::VERBATIM_REFS_TAIL);
    upsert(conn, statements, &tally.verbatims, |mut row, (r, id, q)| {
        row.push_bind(r.program_id.as_str())
            .push_bind(r.period.as_str())
            .push_bind(*id)
            .push_bind(*q);
    })
    .await?;
    Ok(counts.len() as u64)
}

/// A question version as written: its key, its detail and its earliest sighting.
type VersionRow<'a> = (VersionKey<&'a str>, String, i64);

/// Takes the attribute counters of a forgotten person's responses back out of the rollups
/// (their "all respondents" counters stay): the counters are then what a rebuild gives, and a
/// group label only that person had is deleted with its last count.
pub(crate) async fn forget_segments(conn: &mut DbConnection, email: &str) -> Result<()> {
    let responses_sql = crate::store::sql::forget_counted_responses();
    let answers_sql = crate::store::sql::forget_counted_answers();
    let mut answers = by_response(
        sqlx::query(AssertSqlSafe(answers_sql))
            .bind(email)
            .fetch_all(&mut *conn)
            .await?,
    )?;
    let mut totals: BTreeMap<RollupKey, u64> = BTreeMap::new();
    for row in sqlx::query(AssertSqlSafe(responses_sql))
        .bind(email)
        .fetch_all(&mut *conn)
        .await?
    {
        let id: i64 = row.try_get(0)?;
        let response = counted(&row, answers.remove(&id).unwrap_or_default())?;
        rollup::accumulate(&mut totals, rollup::counters(&response));
    }
    let taken_back: Vec<(RollupKey, i64)> = totals
        .into_iter()
        .filter(|(k, _)| !k.segment.is_empty())
        .map(|(k, n)| (k, -i64::try_from(n).unwrap_or(i64::MAX)))
        .collect();
    add_counts(conn, &taken_back).await?;
    sqlx::query(r::DROP_EMPTY_ROLLUPS)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Answers read as `response_id` then the answer's columns, grouped by response.
fn by_response(rows: Vec<super::DbRow>) -> Result<HashMap<i64, Vec<Answer>>> {
    let mut answers: HashMap<i64, Vec<Answer>> = HashMap::new();
    for row in rows {
        answers
            .entry(row.try_get(0)?)
            .or_default()
            .push(answer(&row, 1)?);
    }
    Ok(answers)
}

/// A response as its counters need it, from the columns `id, program_id, survey_id,
/// touchpoint_id, channel, period, respondent`.
fn counted(row: &super::DbRow, answers: Vec<Answer>) -> Result<NewResponse> {
    Ok(NewResponse {
        invitation_id: None,
        program_id: row.try_get(1)?,
        survey_id: row.try_get(2)?,
        touchpoint_id: row.try_get(3)?,
        channel: row.try_get(4)?,
        period: row.try_get(5)?,
        submitted_at: jiff::Timestamp::UNIX_EPOCH,
        email: None,
        respondent: row.try_get::<Option<Json<Attributes>>, _>(6)?.map(|j| j.0),
        external_id: None,
        answers,
        cases: Vec::new(),
        version: None,
    })
}

async fn insert_counts(conn: &mut DbConnection, counts: &[RollupCount]) -> Result<()> {
    let rows: Vec<(&RollupKey, i64)> = counts
        .iter()
        .map(|c| (&c.key, i64::try_from(c.n).unwrap_or(i64::MAX)))
        .collect();
    add_counts(conn, &rows).await
}

/// Adds driver counters and keeps the earliest sighting of question versions.
async fn insert_statistics(
    conn: &mut DbConnection,
    drivers: &[(DriverKey<Text<'_>>, u64)],
    versions: &[VersionRow<'_>],
) -> Result<()> {
    let statements = (r::INSERT_DRIVER_COUNTS, r::ADD_TO_DRIVER_COUNTS);
    upsert(conn, statements, drivers, |mut row, (k, n)| {
        row.push_bind(k.program_id.as_ref())
            .push_bind(k.period.as_ref())
            .push_bind(k.survey_id.as_ref())
            .push_bind(k.question_id.as_ref())
            .push_bind(k.answer.as_ref())
            .push_bind(k.nps_class.as_ref())
            .push_bind(i64::try_from(*n).unwrap_or(i64::MAX));
    })
    .await?;
    let statements = (r::INSERT_QUESTION_VERSIONS, r::KEEP_EARLIEST);
    upsert(
        conn,
        statements,
        versions,
        |mut row, (key, detail, first_seen)| {
            row.push_bind(key.program_id)
                .push_bind(key.period)
                .push_bind(key.survey_id)
                .push_bind(key.question_id)
                .push_bind(key.aspect.to_string())
                .push_bind(key.fingerprint)
                .push_bind(detail.as_str())
                .push_bind(*first_seen);
        },
    )
    .await
}

/// Adds `n` (negative to take back) to each counter, creating the missing ones.
async fn add_counts<K, S>(conn: &mut DbConnection, counts: &[(K, i64)]) -> Result<()>
where
    K: std::borrow::Borrow<RollupKey<S>>,
    S: AsRef<str>,
{
    upsert(
        conn,
        (r::INSERT_ROLLUPS, r::ADD_TO_ROLLUPS),
        counts,
        |mut row, (k, n)| {
            let k = k.borrow();
            row.push_bind(k.program_id.as_ref())
                .push_bind(k.period.as_ref())
                .push_bind(k.segment.as_ref())
                .push_bind(k.segment_value.as_ref())
                .push_bind(k.survey_id.as_ref())
                .push_bind(k.touchpoint_id.as_ref())
                .push_bind(k.channel.as_ref())
                .push_bind(k.question_id.as_ref())
                .push_bind(i64::from(k.value))
                .push_bind(*n);
        },
    )
    .await
}

/// Writes `rows` a chunk per statement: `head`, their values as `bind` pushes them, `tail`.
async fn upsert<T>(
    conn: &mut DbConnection,
    (head, tail): (&str, &str),
    rows: &[T],
    mut bind: impl FnMut(Separated<'_, Db, &'static str>, &T),
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(head);
        query.push_values(chunk, &mut bind);
        query.push(tail);
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A statement on some periods: `head`, the `IN` list of `periods`, then `tail`, with the
/// `first` values bound before the periods.
fn with_periods<'q>(
    head: &str,
    tail: &str,
    first: &[&'q str],
    periods: &'q [String],
) -> Query<'q, Db, <Db as Database>::Arguments> {
    let text = format!("{head}{}{tail}", in_list(first.len() + 1, periods.len()));
    let mut query = sqlx::query(AssertSqlSafe(text));
    for value in first
        .iter()
        .copied()
        .chain(periods.iter().map(String::as_str))
    {
        query = query.bind(value);
    }
    query
}

impl BackendStore {
    /// The rows of a statement on some periods of a program (see `with_periods`); none
    /// without a period, as `IN ()` is not SQL.
    pub(super) async fn period_rows(
        &self,
        head: &str,
        tail: &str,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<DbRow>> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        let query = with_periods(head, tail, &[program_id], periods);
        Ok(query.fetch_all(&self.pool).await?)
    }
}

operations! {
    /// Recomputes every counter from the raw answers, in one transaction that holds new
    /// responses back until it is done; identical to the incremental ones by construction.
    pub async fn rebuild_rollups(&self) -> Result<RebuildSummary> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        if let Some(lock) = super::super::REBUILD_LOCK {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let clear = [r::CLEAR_ROLLUPS, CLEAR_AUDIT_SUMS];
        for statement in clear.into_iter().chain(r::CLEAR_STATISTICS) {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        let survey_versions: HashMap<String, Arc<SurveyVersion>> =
            sqlx::query_as::<_, (String, Json<_>)>(r::SURVEY_VERSIONS)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(fingerprint, Json(questions))| {
                    let version = SurveyVersion {
                        fingerprint,
                        questions,
                    };
                    (version.fingerprint.clone(), Arc::new(version))
                })
                .collect();
        let mut summary = RebuildSummary::default();
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(r::RESPONSES_PAGE)
                .bind(last)
                .bind(PAGE)
                .fetch_all(&mut *tx)
                .await?;
            let (Some(first), Some(end)) = (rows.first(), rows.last()) else {
                break;
            };
            let (first, end): (i64, i64) = (first.try_get(0)?, end.try_get(0)?);
            let mut answers = by_response(
                sqlx::query(r::ANSWERS_OF_PAGE)
                    .bind(first)
                    .bind(end)
                    .fetch_all(&mut *tx)
                    .await?,
            )?;
            let mut page = Vec::with_capacity(rows.len());
            for row in &rows {
                let id: i64 = row.try_get(0)?;
                let mut response = counted(row, answers.remove(&id).unwrap_or_default())?;
                response.submitted_at = super::timestamp(row.try_get(7)?)?;
                let version: Option<String> = row.try_get(8)?;
                response.version = version.and_then(|v| survey_versions.get(&v).cloned());
                page.push(response);
            }
            // A page at a time: the counters are added, so pages add up to the whole.
            let mut tally = BatchTally::default();
            for response in &page {
                tally.count(response);
            }
            write_tally(&mut tx, tally).await?;
            summary.responses += page.len() as u64;
            last = end;
        }
        let counters: i64 = sqlx::query_scalar(r::COUNT_ROLLUPS).fetch_one(&mut *tx).await?;
        summary.counters = counters.unsigned_abs();
        for statement in [r::CLEAR_VERBATIM_REFS, r::REBUILD_VERBATIM_REFS] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// Adds counters in one transaction: the bulk path of benchmarks and migrations of old
    /// data (the normal path is `insert_response`).
    pub async fn add_rollups(&self, counts: &[RollupCount]) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        insert_counts(&mut tx, counts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The counters of `program_id` for the given periods and segment ("" = all respondents),
    /// read as one JSON array (see `rollups::SELECT_ROLLUPS_SQLITE`).
    pub async fn rollups(&self, program_id: &str, periods: &[String], segment: &str)
        -> Result<Vec<RollupCount>> {
        if periods.is_empty() {
            return Ok(Default::default());
        }
        let first = [program_id, segment];
        let row = with_periods(super::super::SELECT_ROLLUPS, "", &first, periods)
            .fetch_one(&self.pool)
            .await?;
        let Json(counts): Json<Vec<RollupCount>> = row.try_get(0)?;
        Ok(counts)
    }

    /// The question versions seen and the driver counters of `program_id` in those periods.
    pub async fn statistics(&self, program_id: &str, periods: &[String])
        -> Result<(Vec<VersionSeen>, Vec<(DriverKey, u64)>)> {
        let versions = self.period_rows(r::QUESTION_VERSIONS, "", program_id, periods).await?;
        let drivers = self.period_rows(r::DRIVER_COUNTS, "", program_id, periods).await?;
        let versions = versions.iter().map(|row| {
            let key = VersionKey {
                program_id: program_id.to_owned(),
                period: row.try_get(0)?,
                survey_id: row.try_get(1)?,
                question_id: row.try_get(2)?,
                aspect: parse(row.try_get(3)?)?,
                fingerprint: row.try_get(4)?,
            };
            let (detail, first_seen) = (row.try_get(5)?, row.try_get(6)?);
            Ok(VersionSeen {
                key,
                detail,
                first_seen,
            })
        });
        let drivers = drivers.iter().map(|row| {
            let key = DriverKey {
                program_id: program_id.to_owned(),
                period: row.try_get(0)?,
                survey_id: row.try_get(1)?,
                question_id: row.try_get(2)?,
                answer: row.try_get(3)?,
                nps_class: parse(row.try_get(4)?)?,
            };
            Ok((key, row.try_get::<i64, _>(5)?.unsigned_abs()))
        });
        Ok((
            versions.collect::<Result<_>>()?,
            drivers.collect::<Result<_>>()?,
        ))
    }

    /// The respondent attributes seen in those periods, sorted.
    pub async fn segments(&self, program_id: &str, periods: &[String]) -> Result<Vec<String>> {
        let rows = self.period_rows(r::SEGMENTS, " ORDER BY segment", program_id, periods).await?;
        Ok(rows
            .iter()
            .map(|row| row.try_get(0))
            .collect::<sqlx::Result<_>>()?)
    }

    /// The earliest period key with a response of the program, if any.
    pub async fn first_period(&self, program_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(r::FIRST_PERIOD)
            .bind(program_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Delivered and answered invitations of the waves of those periods.
    pub async fn deliveries(&self, program_id: &str, periods: &[String]) -> Result<Vec<Delivery>> {
        let rows = self.period_rows(r::DELIVERIES, r::DELIVERIES_TAIL, program_id, periods).await?;
        rows.iter()
            .map(|row| {
                Ok(Delivery {
                    period: row.try_get(0)?,
                    survey_id: row.try_get(1)?,
                    channel: row.try_get(2)?,
                    delivered: row.try_get::<i64, _>(3)?.unsigned_abs(),
                    answered: row.try_get::<i64, _>(4)?.unsigned_abs(),
                })
            })
            .collect()
    }

    /// The responses of those periods that carry a verbatim, with all their answers.
    pub async fn verbatim_responses(&self, program_id: &str, periods: &[String])
        -> Result<Vec<VerbatimResponse>> {
        let (head, tail) = (r::VERBATIM_RESPONSES, r::VERBATIM_RESPONSES_TAIL);
        let mut out: Vec<VerbatimResponse> = Vec::new();
        for row in self.period_rows(head, tail, program_id, periods).await? {
            let id: i64 = row.try_get(0)?;
            if out.last().is_none_or(|v| v.id != id) {
                out.push(VerbatimResponse {
                    id,
                    survey_id: row.try_get(1)?,
                    touchpoint_id: row.try_get(2)?,
                    channel: row.try_get(3)?,
                    respondent: row.try_get::<Option<Json<Attributes>>, _>(4)?.map(|j| j.0),
                    answers: Vec::new(),
                });
            }
            if let Some(last) = out.last_mut() {
                last.answers.push(answer(&row, 5)?);
            }
        }
        Ok(out)
    }

    /// Every response to a survey with its answers, oldest first, for an export.
    pub async fn survey_responses(&self, program_id: &str, survey_id: &str)
        -> Result<Vec<StoredResponse>> {
        let mut answers: HashMap<i64, Vec<Answer>> = HashMap::new();
        for row in sqlx::query(r::EXPORT_ANSWERS)
            .bind(program_id)
            .bind(survey_id)
            .fetch_all(&self.pool)
            .await?
        {
            answers
                .entry(row.try_get(0)?)
                .or_default()
                .push(answer(&row, 1)?);
        }
        let rows = sqlx::query(r::EXPORT_RESPONSES)
            .bind(program_id)
            .bind(survey_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| stored_response(row, answers.remove(&row.try_get(0)?).unwrap_or_default()))
            .collect()
    }

    /// The invitations of one wave of a survey on a channel, for a call list.
    pub async fn call_list(&self, program_id: &str, survey_id: &str, channel: &str, period: &str,
        wave: u32) -> Result<Vec<CallListEntry>> {
        let rows = sqlx::query(r::CALL_LIST)
            .bind(program_id)
            .bind(survey_id)
            .bind(channel)
            .bind(period)
            .bind(i64::from(wave))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(CallListEntry {
                    invitation_id: row.try_get(0)?,
                    email: row.try_get(1)?,
                    locale: row.try_get(2)?,
                    contact_data: row.try_get::<Option<Json<Attributes>>, _>(3)?.map(|j| j.0),
                    state: row.try_get(4)?,
                })
            })
            .collect()
    }
}
