//! The daemon's store operations (see `store::daemon`).

use sqlx::{AssertSqlSafe, Row};

use super::{BEGIN_WRITE, BackendStore, Result};
use crate::store::daemon::{DueTick, TickKey, sql};
use crate::store::{moment, timestamp};

impl BackendStore {
    pub(crate) async fn seed_ticks(
        &self,
        program_id: &str,
        periods: &[String],
        ticks: &[TickKey],
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for period in periods {
            sqlx::query(sql::DROP_FUTURE_TICKS)
                .bind(program_id)
                .bind(period)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for tick in ticks {
            sqlx::query(sql::INSERT_TICK)
                .bind(program_id)
                .bind(&tick.survey_id)
                .bind(&tick.channel_id)
                .bind(&tick.period)
                .bind(i64::from(tick.wave))
                .bind(tick.fire_at.as_second())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn due_ticks(&self, now: i64) -> Result<Vec<DueTick>> {
        let rows = sqlx::query(sql::DUE_TICKS)
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DueTick {
                    id: row.try_get(0)?,
                    program_id: row.try_get(1)?,
                    key: TickKey {
                        survey_id: row.try_get(2)?,
                        channel_id: row.try_get(3)?,
                        period: row.try_get(4)?,
                        wave: u32::try_from(row.try_get::<i64, _>(5)?).unwrap_or(0),
                        fire_at: timestamp(row.try_get(6)?)?,
                    },
                })
            })
            .collect()
    }

    pub(crate) async fn claim_tick(
        &self,
        id: i64,
        owner: &str,
        now: i64,
        until: i64,
    ) -> Result<bool> {
        let done = sqlx::query(sql::CLAIM_TICK)
            .bind(id)
            .bind(owner)
            .bind(now)
            .bind(until)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn finish_tick(&self, id: i64, outcome: &str, now: i64) -> Result<()> {
        sqlx::query(sql::FINISH_TICK)
            .bind(id)
            .bind(now)
            .bind(outcome)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn next_tick(&self) -> Result<Option<jiff::Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(sql::NEXT_TICK)
            .fetch_one(&self.pool)
            .await?;
        moment(at)
    }

    pub(crate) async fn periods(
        &self,
        statement: &'static str,
        program_id: &str,
    ) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(statement)
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub(crate) async fn close_period(
        &self,
        program_id: &str,
        period: &str,
        now: i64,
    ) -> Result<Option<u64>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let marked = sqlx::query(sql::MARK_CLOSED)
            .bind(program_id)
            .bind(period)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if marked.rows_affected() == 0 {
            return Ok(None);
        }
        let mut expired = 0;
        for statement in [sql::log_expired(), sql::expire()] {
            expired = sqlx::query(AssertSqlSafe(statement))
                .bind(program_id)
                .bind(period)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        for statement in [sql::RELEASE_EXPIRED, sql::END_REMINDERS] {
            sqlx::query(statement)
                .bind(program_id)
                .bind(period)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(expired))
    }
}
