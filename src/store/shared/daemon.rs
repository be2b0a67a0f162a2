//! The daemon's store operations (see `store::daemon`).

use jiff::Timestamp;
use sqlx::Pool;
use sqlx::{AssertSqlSafe, Row};

use super::{BEGIN_WRITE, BackendStore, Db, Result};
use crate::schedule::{DueTick, TickKey};
use crate::store::daemon as sql;
use crate::store::{moment, timestamp};

operations! {
    /// Keeps the ticks of `periods` of a program as `ticks` says: the future ticks nobody
    /// holds are replaced (a program reloaded with another cron applies from its next tick);
    /// ticks done or due stay as they are, so none runs twice.
    pub async fn seed_ticks(&self, program_id: &str, periods: &[String], ticks: &[TickKey],
        now: Timestamp) -> Result<()> {
        let now = now.as_second();
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

    /// The ticks due at `now` that no daemon holds, oldest first.
    pub async fn due_ticks(&self, now: Timestamp) -> Result<Vec<DueTick>> {
        let now = now.as_second();
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

    /// Takes a due tick for `owner` until `until`; false when another daemon has it or it is
    /// done.
    pub async fn claim_tick(&self, id: i64, owner: &str, now: Timestamp, until: Timestamp)
        -> Result<bool> {
        let now = now.as_second();
        let until = until.as_second();
        let done = sqlx::query(sql::CLAIM_TICK)
            .bind(id)
            .bind(owner)
            .bind(now)
            .bind(until)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a tick done with its outcome (`planned`, `missed`, `dropped`).
    pub async fn finish_tick(&self, id: i64, outcome: &str, now: Timestamp) -> Result<()> {
        let now = now.as_second();
        sqlx::query(sql::FINISH_TICK)
            .bind(id)
            .bind(now)
            .bind(outcome)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// When the next tick not yet done fires.
    pub async fn next_tick(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(sql::NEXT_TICK)
            .fetch_one(&self.pool)
            .await?;
        moment(at)
    }

    /// The periods of a program's waves that are not closed yet.
    pub async fn open_periods(&self, program_id: &str) -> Result<Vec<String>> {
        periods(&self.pool, sql::OPEN_PERIODS, program_id).await
    }

    /// The periods of a program the daemon closed: their reports are final.
    pub async fn closed_periods(&self, program_id: &str) -> Result<Vec<String>> {
        periods(&self.pool, sql::CLOSED_PERIODS, program_id).await
    }

    /// Closes a period in one transaction: marks it closed, expires the invitations that
    /// could still leave (with an event each, their people's contact given back) and ends
    /// the reminders. Returns how many expired, or `None` when it was already closed.
    pub async fn close_period(&self, program_id: &str, period: &str, now: Timestamp)
        -> Result<Option<u64>> {
        let now = now.as_second();
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

/// The periods a statement lists for a program.
async fn periods(
    pool: &Pool<Db>,
    statement: &'static str,
    program_id: &str,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(statement)
        .bind(program_id)
        .fetch_all(pool)
        .await?)
}
