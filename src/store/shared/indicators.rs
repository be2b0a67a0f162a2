//! The indicator store operations (see `store::indicators`).

use jiff::Timestamp;
use sqlx::Pool;
use sqlx::Row;

use super::{BEGIN_WRITE, BackendStore, Db, Result};
use crate::indicators::{IndicatorCount, IndicatorImport, IndicatorKey, IndicatorRow, per_key};
use crate::metrics::IndicatorCounter;
use crate::store::indicators as sql;

operations! {
    /// Adds imported indicator rows to their counters in one transaction; a row whose
    /// `row_id` was imported before is skipped, so a file imported twice counts once.
    pub async fn import_indicators(&self, program_id: &str, rows: &[IndicatorRow], now: Timestamp)
        -> Result<IndicatorImport> {
        let now = now.as_second();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let mut fresh = Vec::with_capacity(rows.len());
        let mut already = 0u64;
        for row in rows {
            if let Some(row_id) = &row.row_id {
                let marked = sqlx::query(sql::MARK_ROW)
                    .bind(program_id)
                    .bind(row_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if marked.rows_affected() == 0 {
                    already += 1;
                    continue;
                }
            }
            fresh.push(row);
        }
        for (key, c) in per_key(fresh.iter().copied()) {
            sqlx::query(sql::ADD_COUNTER)
                .bind(program_id)
                .bind(&key.period)
                .bind(&key.indicator)
                .bind(&key.touchpoint)
                .bind(&key.segment)
                .bind(&key.category)
                .bind(i64::try_from(c.n).unwrap_or(i64::MAX))
                .bind(c.sum)
                .bind(c.sum_sq)
                .bind(i64::try_from(c.without_sd).unwrap_or(i64::MAX))
                .bind(c.numerator)
                .bind(c.denominator)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(IndicatorImport {
            imported: fresh.len() as u64,
            already_imported: already,
        })
    }

    /// A program's indicator counters of the given stored periods.
    pub async fn indicator_counts(&self, program_id: &str, periods: &[String])
        -> Result<Vec<IndicatorCount>> {
        let all = all_counts(&self.pool, program_id).await?;
        Ok(all.into_iter().filter(|c| periods.contains(&c.key.period)).collect())
    }

    /// The stored periods with indicator counters of a program, sorted and distinct.
    pub async fn indicator_periods(&self, program_id: &str) -> Result<Vec<String>> {
        let all = all_counts(&self.pool, program_id).await?;
        let mut periods: Vec<String> = all.into_iter().map(|c| c.key.period).collect();
        periods.dedup();
        Ok(periods)
    }
}

/// Every indicator counter of a program, ordered by period then key.
async fn all_counts(pool: &Pool<Db>, program_id: &str) -> Result<Vec<IndicatorCount>> {
    let rows = sqlx::query(sql::COUNTERS)
        .bind(program_id)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(IndicatorCount {
                key: IndicatorKey {
                    period: row.try_get(0)?,
                    indicator: row.try_get(1)?,
                    touchpoint: row.try_get(2)?,
                    segment: row.try_get(3)?,
                    category: row.try_get(4)?,
                },
                counter: IndicatorCounter {
                    n: row.try_get::<i64, _>(5)?.unsigned_abs(),
                    sum: row.try_get(6)?,
                    sum_sq: row.try_get(7)?,
                    without_sd: row.try_get::<i64, _>(8)?.unsigned_abs(),
                    numerator: row.try_get(9)?,
                    denominator: row.try_get(10)?,
                },
            })
        })
        .collect()
}
