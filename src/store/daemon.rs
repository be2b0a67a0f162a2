//! What `ecoute daemon` keeps in the store: its wave ticks (what is due, claimed once across
//! daemons and restarts) and the periods it closed.

use jiff::Timestamp;

use super::{Store, StoreError};

/// A wave tick: when one wave of a program's survey fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickKey {
    /// Survey id.
    pub survey_id: String,
    /// The channel that carries its invitations.
    pub channel_id: String,
    /// Period key.
    pub period: String,
    /// Wave number in the period.
    pub wave: u32,
    /// When it fires.
    pub fire_at: Timestamp,
}

/// A tick that is due, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTick {
    /// Row id, to claim and finish it.
    pub id: i64,
    /// Program id.
    pub program_id: String,
    /// The tick.
    pub key: TickKey,
}

/// Statements shared by both backends.
pub(super) mod sql {
    pub(in crate::store) const DROP_FUTURE_TICKS: &str = "DELETE FROM daemon_ticks \
         WHERE program_id = $1 AND period = $2 AND done_at IS NULL AND fire_at > $3 \
         AND (claim_expires_at IS NULL OR claim_expires_at <= $3)";
    pub(in crate::store) const INSERT_TICK: &str = "INSERT INTO daemon_ticks \
         (program_id, survey_id, channel_id, period, wave, fire_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (program_id, survey_id, channel_id, period, wave) DO NOTHING";
    pub(in crate::store) const DUE_TICKS: &str = "SELECT id, program_id, survey_id, channel_id, \
         period, wave, fire_at FROM daemon_ticks WHERE done_at IS NULL AND fire_at <= $1 \
         AND (claim_expires_at IS NULL OR claim_expires_at <= $1) ORDER BY fire_at, id LIMIT 100";
    pub(in crate::store) const CLAIM_TICK: &str = "UPDATE daemon_ticks SET claimed_by = $2, \
         claim_expires_at = $4 WHERE id = $1 AND done_at IS NULL \
         AND (claim_expires_at IS NULL OR claim_expires_at <= $3)";
    pub(in crate::store) const FINISH_TICK: &str =
        "UPDATE daemon_ticks SET done_at = $2, outcome = $3 WHERE id = $1 AND done_at IS NULL";
    pub(in crate::store) const NEXT_TICK: &str =
        "SELECT MIN(fire_at) FROM daemon_ticks WHERE done_at IS NULL";
    pub(in crate::store) const OPEN_PERIODS: &str = "SELECT DISTINCT w.period FROM waves w \
         WHERE w.program_id = $1 AND NOT EXISTS (SELECT 1 FROM closed_periods c \
         WHERE c.program_id = w.program_id AND c.period = w.period) ORDER BY w.period";
    pub(in crate::store) const CLOSED_PERIODS: &str =
        "SELECT period FROM closed_periods WHERE program_id = $1 ORDER BY period";
    pub(in crate::store) const MARK_CLOSED: &str = "INSERT INTO closed_periods \
         (program_id, period, closed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    /// The period's invitations that can still leave: planned, deferred, or claimed by a
    /// dispatcher whose lease ran out.
    const PENDING: &str = "wave_id IN (SELECT id FROM waves WHERE program_id = $1 AND period = $2) \
         AND (state IN ('planned', 'deferred') OR (state = 'sending' AND lease_expires_at <= $3))";
    pub(in crate::store) fn log_expired() -> String {
        format!(
            "INSERT INTO invitation_events (invitation_id, message, from_state, to_state, reason, \
             at) SELECT id, 0, state, 'expired', 'period closed', CAST($3 AS BIGINT) \
             FROM invitations WHERE {PENDING}"
        )
    }
    pub(in crate::store) fn expire() -> String {
        format!(
            "UPDATE invitations SET state = 'expired', next_attempt_at = NULL, \
             lease_owner = NULL, lease_expires_at = NULL, last_error = 'period closed', \
             updated_at = $3 WHERE {PENDING}"
        )
    }
    pub(in crate::store) const RELEASE_EXPIRED: &str = "DELETE FROM contact_guard WHERE \
         invitation_id IN (SELECT i.id FROM invitations i JOIN waves w ON w.id = i.wave_id \
         WHERE w.program_id = $1 AND w.period = $2 AND i.state = 'expired')";
    pub(in crate::store) const END_REMINDERS: &str = "UPDATE invitations SET \
         next_reminder_at = NULL WHERE state = 'sent' AND reminder_in_flight IS NULL \
         AND next_reminder_at IS NOT NULL \
         AND wave_id IN (SELECT id FROM waves WHERE program_id = $1 AND period = $2)";
}

impl Store {
    /// Keeps the ticks of `periods` of a program as `ticks` says: the future ticks nobody
    /// holds are replaced (a program reloaded with another cron applies from its next tick);
    /// ticks done or due stay as they are, so none runs twice.
    pub async fn seed_ticks(
        &self,
        program_id: &str,
        periods: &[String],
        ticks: &[TickKey],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, b => b.seed_ticks(program_id, periods, ticks, now.as_second()))
    }

    /// The ticks due at `now` that no daemon holds, oldest first.
    pub async fn due_ticks(&self, now: Timestamp) -> Result<Vec<DueTick>, StoreError> {
        dispatch!(self, b => b.due_ticks(now.as_second()))
    }

    /// Takes a due tick for `owner` until `until`; false when another daemon has it or it is
    /// done.
    pub async fn claim_tick(
        &self,
        id: i64,
        owner: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, b => b.claim_tick(id, owner, now.as_second(), until.as_second()))
    }

    /// Marks a tick done with its outcome (`planned`, `missed`, `dropped`).
    pub async fn finish_tick(
        &self,
        id: i64,
        outcome: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        dispatch!(self, b => b.finish_tick(id, outcome, now.as_second()))
    }

    /// When the next tick not yet done fires.
    pub async fn next_tick(&self) -> Result<Option<Timestamp>, StoreError> {
        dispatch!(self, b => b.next_tick())
    }

    /// The periods of a program's waves that are not closed yet.
    pub async fn open_periods(&self, program_id: &str) -> Result<Vec<String>, StoreError> {
        dispatch!(self, b => b.periods(sql::OPEN_PERIODS, program_id))
    }

    /// The periods of a program the daemon closed: their reports are final.
    pub async fn closed_periods(&self, program_id: &str) -> Result<Vec<String>, StoreError> {
        dispatch!(self, b => b.periods(sql::CLOSED_PERIODS, program_id))
    }

    /// Closes a period in one transaction: marks it closed, expires the invitations that
    /// could still leave (with an event each, their people's contact given back) and ends
    /// the reminders. Returns how many expired, or `None` when it was already closed.
    pub async fn close_period(
        &self,
        program_id: &str,
        period: &str,
        now: Timestamp,
    ) -> Result<Option<u64>, StoreError> {
        dispatch!(self, b => b.close_period(program_id, period, now.as_second()))
    }
}
