//! The statements of the web server (`ecoute serve`): invitations found by the hash of their
//! link token, unsubscribing, and invitations scheduled by transactional events.

/// The invitations of some link token hashes, before their `IN` list.
const BY_TOKEN_HASHES: &str = "SELECT i.token_hash, i.id, i.state, \
     i.email, i.locale, i.contact_data, w.program_id, w.survey_id, w.channel_id, w.period, \
     EXISTS (SELECT 1 FROM responses r WHERE r.invitation_id = i.id) AS answered \
     FROM invitations i JOIN waves w ON w.id = i.wave_id \
     WHERE i.case_id IS NULL AND i.token_hash IN ";
/// The lookup of `count` link token hashes, bound as `$1…$count`.
pub(super) fn by_token_hashes(count: usize) -> String {
    format!("{BY_TOKEN_HASHES}{}", super::rollups::in_list(1, count))
}

pub(super) const LOG_UNSUBSCRIBED: &str = "INSERT INTO invitation_events \
     (invitation_id, from_state, to_state, reason, at) \
     SELECT id, state, 'suppressed', 'unsubscribed', CAST($2 AS BIGINT) FROM invitations \
     WHERE email = $1 AND state IN ('planned', 'deferred')";
pub(super) const CANCEL_PENDING: &str = "UPDATE invitations \
     SET state = 'suppressed', updated_at = $2 \
     WHERE email = $1 AND state IN ('planned', 'deferred')";
pub(super) const SUPPRESS_UNSUBSCRIBED: &str = "INSERT INTO suppression \
     (email, reason, detail, at) VALUES ($1, 'unsubscribed', $2, $3) \
     ON CONFLICT (email, reason) DO NOTHING";
pub(super) const INSERT_EVENT: &str = "INSERT INTO events \
     (program_id, event, email, attributes, occurred_at, received_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
pub(super) const INSERT_ONE_INVITATION: &str = "INSERT INTO invitations \
     (wave_id, email, locale, contact_data, next_attempt_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (wave_id, email) DO NOTHING RETURNING id";
pub(super) const FIND_INVITATION: &str =
    "SELECT id FROM invitations WHERE wave_id = $1 AND email = $2";
pub(super) const LOG_ONE_PLANNED: &str = "INSERT INTO invitation_events \
     (invitation_id, from_state, to_state, reason, detail, at) \
     VALUES ($1, NULL, 'planned', 'triggered', $2, $3)";
pub(super) const COUNT_RESPONSES: &str = "SELECT COUNT(*) FROM responses";
pub(super) const COUNT_EVENTS: &str =
    "SELECT COUNT(*) FROM events WHERE program_id = $1 AND event = $2";
