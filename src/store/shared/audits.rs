//! Audit sums and mentions (see `store::audits`).

use sqlx::Row;

use super::{BEGIN_WRITE, BackendStore, DbConnection, Result};
use crate::mentions::{NewMention, StoredMention};
use crate::rollup::{AuditKey, AuditSums};
use crate::store::audits as a;

/// Adds sums to the audit counters, creating the missing ones.
pub(crate) async fn add_audit_sums(
    conn: &mut DbConnection,
    sums: &[(AuditKey<&str>, AuditSums)],
) -> Result<()> {
    for (k, s) in sums {
        sqlx::query(a::ADD_AUDIT_SUMS)
            .bind(k.program_id)
            .bind(k.period)
            .bind(k.survey_id)
            .bind(k.touchpoint_id)
            .bind(i64::try_from(s.visits).unwrap_or(i64::MAX))
            .bind(s.score_sum)
            .bind(s.score_squares)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

operations! {
    /// The audit sums of `program_id` in those periods.
    pub async fn audit_sums(&self, program_id: &str, periods: &[String])
        -> Result<Vec<(AuditKey, AuditSums)>> {
        let rows = self.period_rows(a::AUDIT_SUMS, "", program_id, periods).await?;
        rows.iter()
            .map(|row| {
                let key = AuditKey {
                    program_id: program_id.to_owned(),
                    period: row.try_get(0)?,
                    survey_id: row.try_get(1)?,
                    touchpoint_id: row.try_get(2)?,
                };
                let sums = AuditSums {
                    visits: row.try_get::<i64, _>(3)?.unsigned_abs(),
                    score_sum: row.try_get(4)?,
                    score_squares: row.try_get(5)?,
                };
                Ok((key, sums))
            })
            .collect()
    }

    /// Stores mentions in one transaction; returns how many were new (a mention already
    /// imported, same date, source, text and url, is skipped).
    pub async fn insert_mentions(&self, mentions: &[NewMention]) -> Result<u64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let mut new = 0;
        for m in mentions {
            let done = sqlx::query(a::INSERT_MENTION)
                .bind(&m.program_id)
                .bind(&m.period)
                .bind(m.posted_at.as_second())
                .bind(&m.source)
                .bind(&m.text)
                .bind(m.rating.map(i64::from))
                .bind(&m.url)
                .bind(&m.touchpoint_id)
                .bind(m.fingerprint())
                .execute(&mut *tx)
                .await?;
            new += done.rows_affected();
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The mentions of `program_id` in those periods, oldest first.
    pub async fn mentions(&self, program_id: &str, periods: &[String]) -> Result<Vec<StoredMention>> {
        let rows = self.period_rows(a::MENTIONS, a::MENTIONS_TAIL, program_id, periods).await?;
        rows.iter()
            .map(|row| {
                Ok(StoredMention {
                    period: row.try_get(0)?,
                    source: row.try_get(1)?,
                    text: row.try_get(2)?,
                    rating: row
                        .try_get::<Option<i64>, _>(3)?
                        .and_then(|r| u8::try_from(r).ok()),
                    touchpoint_id: row.try_get(4)?,
                })
            })
            .collect()
    }
}
