//! The web server's store operations (see `store::collect`).

use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use super::Result;
use super::{BEGIN_WRITE, BackendStore, by_email, create_or_find_wave, parse};
use crate::records::{
    Attributes, NewEvent, NewInvitation, TokenInvitation, Triggered, Unsubscribed, WaveKey,
    WavePlan,
};
use crate::store::ROWS_PER_STATEMENT;
use crate::store::collect as sql;
use crate::store::sql::SET_TOKEN_HASH;

operations! {
    /// The invitation whose link token hashes to `hash`, if any.
    pub async fn token_invitation(&self, hash: &[u8; 32]) -> Result<Option<TokenInvitation>> {
        let found = self.token_invitations(std::slice::from_ref(hash)).await?;
        Ok(found.into_iter().next().map(|(_, invitation)| invitation))
    }

    /// The invitations of many link token hashes in one query (per thousand), each with its
    /// hash; unknown hashes are left out.
    pub async fn token_invitations(&self, hashes: &[[u8; 32]])
        -> Result<Vec<([u8; 32], TokenInvitation)>> {
        let mut found = Vec::with_capacity(hashes.len());
        for chunk in hashes.chunks(ROWS_PER_STATEMENT) {
            let Some(last) = chunk.last() else {
                continue;
            };
            // A power of two of parameters, the last hash repeated: a few statement texts,
            // each prepared once per connection, serve every batch size.
            let width = chunk.len().next_power_of_two();
            let text = sql::by_token_hashes(width);
            let mut query = sqlx::query(AssertSqlSafe(text));
            for hash in chunk.iter().chain(std::iter::repeat(last)).take(width) {
                query = query.bind(&hash[..]);
            }
            for row in query.fetch_all(&self.pool).await? {
                let hash: Vec<u8> = row.try_get(0)?;
                let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) else {
                    continue;
                };
                let invitation = TokenInvitation {
                    invitation_id: row.try_get(1)?,
                    state: parse(row.try_get(2)?)?,
                    email: row.try_get(3)?,
                    locale: row.try_get(4)?,
                    contact_data: row.try_get::<Option<Json<Attributes>>, _>(5)?.map(|j| j.0),
                    program_id: row.try_get(6)?,
                    survey_id: row.try_get(7)?,
                    channel_id: row.try_get(8)?,
                    period: row.try_get(9)?,
                    answered: row.try_get(10)?,
                };
                found.push((hash, invitation));
            }
        }
        Ok(found)
    }

    /// Unsubscribes `email` in one transaction: adds it to suppression (reason
    /// `unsubscribed`) and turns its planned and deferred invitations into `suppressed`,
    /// each with an event. Reminders stop too: they go only to people not suppressed.
    /// Idempotent.
    pub async fn unsubscribe(&self, email: &str, detail: Option<&str>; now: i64) -> Result<Unsubscribed> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        by_email(&mut tx, sql::LOG_UNSUBSCRIBED, email, Some(now)).await?;
        let cancelled = by_email(&mut tx, sql::CANCEL_PENDING, email, Some(now)).await?;
        let added = sqlx::query(sql::SUPPRESS_UNSUBSCRIBED)
            .bind(email)
            .bind(detail)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Unsubscribed {
            newly_suppressed: added == 1,
            cancelled,
        })
    }

    /// Records a transactional event; returns its id.
    pub async fn record_event(&self, event: &NewEvent; now: i64) -> Result<i64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let id: i64 = sqlx::query_scalar(sql::INSERT_EVENT)
            .bind(&event.program_id)
            .bind(&event.event)
            .bind(event.email.as_deref())
            .bind(Json(&event.attributes))
            .bind(event.occurred_at.as_second())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// How many events of this name were recorded for this program.
    pub async fn count_events(&self, program_id: &str, event: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(sql::COUNT_EVENTS)
            .bind(program_id)
            .bind(event)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unsigned_abs())
    }

    /// How many responses the store holds.
    pub async fn count_responses(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(sql::COUNT_RESPONSES)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.unsigned_abs())
    }

    /// Records the token hashes of many invitations in one transaction (see
    /// `set_token_hash`).
    pub async fn set_token_hashes(&self, hashes: &[(i64, [u8; 32])]) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for (id, hash) in hashes {
            sqlx::query(SET_TOKEN_HASH)
                .bind(id)
                .bind(&hash[..])
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Appends one invitation to the wave `key` (creating the wave if needed), idempotently:
    /// a person gets at most one invitation per wave, so two events for the same email,
    /// survey, channel and period schedule one invitation.
    pub async fn schedule_triggered(&self, key: &WaveKey, plan: &WavePlan,
        invitation: &NewInvitation, event: &str; now: i64) -> Result<Triggered> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let (wave_id, _) = create_or_find_wave(&mut tx, key, plan, now).await?;
        let inserted: Option<i64> = sqlx::query_scalar(sql::INSERT_ONE_INVITATION)
            .bind(wave_id)
            .bind(&invitation.email)
            .bind(invitation.locale.as_deref())
            .bind(Json(&invitation.contact_data))
            .bind(invitation.due_at.as_second())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        let invitation_id = match inserted {
            Some(id) => {
                sqlx::query(sql::LOG_ONE_PLANNED)
                    .bind(id)
                    .bind(event)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                id
            }
            None => {
                sqlx::query_scalar(sql::FIND_INVITATION)
                    .bind(wave_id)
                    .bind(&invitation.email)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(Triggered {
            invitation_id,
            created: inserted.is_some(),
        })
    }
}
