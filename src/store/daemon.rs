//! The statements of what `ecoute daemon` keeps in the store: its wave ticks (what is due, claimed once across
//! daemons and restarts) and the periods it closed.

pub(super) const DROP_FUTURE_TICKS: &str = "DELETE FROM daemon_ticks \
     WHERE program_id = $1 AND period = $2 AND done_at IS NULL AND fire_at > $3 \
     AND (claim_expires_at IS NULL OR claim_expires_at <= $3)";
pub(super) const INSERT_TICK: &str = "INSERT INTO daemon_ticks \
     (program_id, survey_id, channel_id, period, wave, fire_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (program_id, survey_id, channel_id, period, wave) DO NOTHING";
pub(super) const DUE_TICKS: &str = "SELECT id, program_id, survey_id, channel_id, \
     period, wave, fire_at FROM daemon_ticks WHERE done_at IS NULL AND fire_at <= $1 \
     AND (claim_expires_at IS NULL OR claim_expires_at <= $1) ORDER BY fire_at, id LIMIT 100";
pub(super) const CLAIM_TICK: &str = "UPDATE daemon_ticks SET claimed_by = $2, \
     claim_expires_at = $4 WHERE id = $1 AND done_at IS NULL \
     AND (claim_expires_at IS NULL OR claim_expires_at <= $3)";
pub(super) const FINISH_TICK: &str =
    "UPDATE daemon_ticks SET done_at = $2, outcome = $3 WHERE id = $1 AND done_at IS NULL";
pub(super) const NEXT_TICK: &str = "SELECT MIN(fire_at) FROM daemon_ticks WHERE done_at IS NULL";
pub(super) const OPEN_PERIODS: &str = "SELECT DISTINCT w.period FROM waves w \
     WHERE w.program_id = $1 AND NOT EXISTS (SELECT 1 FROM closed_periods c \
     WHERE c.program_id = w.program_id AND c.period = w.period) ORDER BY w.period";
pub(super) const CLOSED_PERIODS: &str =
    "SELECT period FROM closed_periods WHERE program_id = $1 ORDER BY period";
pub(super) const MARK_CLOSED: &str = "INSERT INTO closed_periods \
     (program_id, period, closed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
/// The period's invitations that can still leave: planned, deferred, or claimed by a
/// dispatcher whose lease ran out.
const PENDING: &str = "wave_id IN (SELECT id FROM waves WHERE program_id = $1 AND period = $2) \
     AND (state IN ('planned', 'deferred') OR (state = 'sending' AND lease_expires_at <= $3))";
pub(super) fn log_expired() -> String {
    format!(
        "INSERT INTO invitation_events (invitation_id, message, from_state, to_state, reason, \
         at) SELECT id, 0, state, 'expired', 'period closed', CAST($3 AS BIGINT) \
         FROM invitations WHERE {PENDING}"
    )
}
pub(super) fn expire() -> String {
    format!(
        "UPDATE invitations SET state = 'expired', next_attempt_at = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, last_error = 'period closed', \
         updated_at = $3 WHERE {PENDING}"
    )
}
pub(super) const RELEASE_EXPIRED: &str = "DELETE FROM contact_guard WHERE \
     invitation_id IN (SELECT i.id FROM invitations i JOIN waves w ON w.id = i.wave_id \
     WHERE w.program_id = $1 AND w.period = $2 AND i.state = 'expired')";
pub(super) const END_REMINDERS: &str = "UPDATE invitations SET \
     next_reminder_at = NULL WHERE state = 'sent' AND reminder_in_flight IS NULL \
     AND next_reminder_at IS NOT NULL \
     AND wave_id IN (SELECT id FROM waves WHERE program_id = $1 AND period = $2)";
