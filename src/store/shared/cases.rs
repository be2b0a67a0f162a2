//! The case operations (see `store::cases`).

use jiff::Timestamp;
use sqlx::Row;
use sqlx::types::Json;

use super::{BEGIN_WRITE, BackendStore, DbConnection, DbRow, Result, create_or_find_wave, parse};
use crate::cases::{ALERT_CHANNEL, Case, CaseStatus};
use crate::records::{Attributes, NewResponse, WaveKey, WavePlan};
use crate::store::cases as sql;
use crate::store::{moment, timestamp};

operations! {
    /// The case whose alert link token hashes to `hash`; `None` for an unknown token or an
    /// erased person.
    pub async fn case_by_token(&self, hash: &[u8; 32]) -> Result<Option<Case>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql::by_token()))
            .bind(&hash[..])
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case).transpose()
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql::by_id()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(case).transpose()
    }

    /// The cases of a program (or all), oldest first.
    pub async fn cases(&self, program_id: Option<&str>) -> Result<Vec<Case>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql::listed()))
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(case).collect()
    }

    /// Moves case `id` from `from` to `to` (the caller checked the transition), stamping the
    /// step's time, and replaces its note when `note` is given. False when the case was no
    /// longer in `from` (someone else moved it first): nothing changed.
    pub async fn move_case(&self, id: i64, from: CaseStatus, to: CaseStatus, note: Option<&str>,
        now: Timestamp) -> Result<bool> {
        let now = now.as_second();
        let step = match to {
            CaseStatus::Open | CaseStatus::Contacted => "contacted_at",
            CaseStatus::Resolved => "resolved_at",
            CaseStatus::NotReachable => "unreachable_at",
        };
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(sql::move_case(step)))
            .bind(id)
            .bind(<&str>::from(from))
            .bind(<&str>::from(to))
            .bind(note)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces the note of case `id`.
    pub async fn note_case(&self, id: i64, note: &str, now: Timestamp) -> Result<bool> {
        let now = now.as_second();
        let done = sqlx::query(sql::NOTE_CASE)
            .bind(id)
            .bind(note)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Opens the cases of response `response_id` inside its transaction, each with its alert
/// emails queued (due now) in a wave of its own.
pub(super) async fn open_cases(
    conn: &mut DbConnection,
    response_id: i64,
    r: &NewResponse,
    now: i64,
) -> Result<()> {
    for new in &r.cases {
        let Some(case_id) = sqlx::query_scalar::<_, i64>(sql::INSERT_CASE)
            .bind(response_id)
            .bind(&r.program_id)
            .bind(&r.survey_id)
            .bind(r.touchpoint_id.as_deref())
            .bind(&r.period)
            .bind(&new.rule_id)
            .bind(now)
            .bind(new.due_at.as_second())
            .fetch_optional(&mut *conn)
            .await?
        else {
            continue;
        };
        let key = WaveKey {
            program_id: r.program_id.clone(),
            survey_id: r.survey_id.clone(),
            channel_id: ALERT_CHANNEL.to_owned(),
            period: r.period.clone(),
            wave: u32::try_from(case_id).unwrap_or(u32::MAX),
        };
        let plan = WavePlan {
            sample_id: new.rule_id.clone(),
            seed: 0,
            program_sha256: None,
            planned_at: jiff::Timestamp::from_second(now).unwrap_or_default(),
        };
        let (wave_id, _) = create_or_find_wave(&mut *conn, &key, &plan, now).await?;
        for alert in &new.alerts {
            let data = serde_json::json!({ "template": alert.template, "problem": alert.problem });
            sqlx::query(sql::INSERT_ALERT)
                .bind(wave_id)
                .bind(&alert.email)
                .bind(Json(data))
                .bind(now)
                .bind(case_id)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(crate::store::sql::LOG_PLANNED)
            .bind(wave_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn case(row: &DbRow) -> Result<Case> {
    let data: Option<Json<Attributes>> = row.try_get("contact_data")?;
    let text = |key: &str| {
        data.as_ref()
            .and_then(|d| d.0.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let name = [text("first_name"), text("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Case {
        id: row.try_get("id")?,
        response_id: row.try_get("response_id")?,
        program_id: row.try_get("program_id")?,
        survey_id: row.try_get("survey_id")?,
        touchpoint_id: row.try_get("touchpoint_id")?,
        period: row.try_get("period")?,
        rule_id: row.try_get("rule_id")?,
        status: parse(row.try_get("status")?)?,
        note: row.try_get("note")?,
        opened_at: timestamp(row.try_get("opened_at")?)?,
        due_at: timestamp(row.try_get("due_at")?)?,
        contacted_at: moment(row.try_get("contacted_at")?)?,
        resolved_at: moment(row.try_get("resolved_at")?)?,
        unreachable_at: moment(row.try_get("unreachable_at")?)?,
        respondent_email: row.try_get("email")?,
        respondent_name: (!name.is_empty()).then_some(name),
    })
}
