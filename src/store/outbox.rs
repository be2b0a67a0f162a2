//! The outbox: claiming due messages under a fenced lease, and recording what became of
//! them. Statements here are shared by both backends (the PostgreSQL claim adds
//! `FOR UPDATE SKIP LOCKED`, so several dispatchers share the work).
//!
//! Reminders ride on their invitation's row: an invitation in state `sent` with
//! `next_reminder_at` due is claimed like a planned one, with `reminder_in_flight` naming the
//! reminder. Every update after a claim checks the `fence` the claim set; a dispatcher that
//! lost its lease (paused, partitioned) can therefore never overwrite the row of the
//! dispatcher that took it over.

use std::collections::HashMap;

use crate::dispatch::outbox::{Outcome, Resolution};

/// The claim's `SET` and `RETURNING`, around the backend's choice of rows.
macro_rules! claim_sql {
    ($rows:literal) => {
        concat!(
            "UPDATE invitations SET \
               state = CASE WHEN state = 'sent' THEN 'sent' ELSE 'sending' END, \
               reminder_in_flight = CASE WHEN state = 'sent' THEN reminders_sent + 1 ELSE NULL END, \
               possibly_duplicate = (possibly_duplicate OR lease_owner IS NOT NULL), \
               taken_over = (lease_owner IS NOT NULL), \
               lease_owner = $1, lease_expires_at = $2, fence = fence + 1, updated_at = $3 \
             WHERE id IN (",
            $rows,
            ") RETURNING id, wave_id, fence, state, reminder_in_flight, email, locale, \
               contact_data, attempts, reminder_attempts, sent_at, taken_over, case_id, \
               (token_hash IS NULL) AS needs_token"
        )
    };
}

/// Claims due messages on SQLite (one writer at a time). The three kinds of due rows are
/// separate index range scans (`state, next_attempt_at` and `state, next_reminder_at`);
/// one `OR` over them made SQLite scan the whole table at every claim.
pub(super) const CLAIM_SQLITE: &str = claim_sql!(
    "SELECT id FROM ( \
       SELECT id FROM invitations WHERE state IN ('planned', 'deferred') \
         AND next_attempt_at <= $3 AND email IS NOT NULL \
         AND wave_id IN (SELECT id FROM waves WHERE program_id = $4) \
       UNION ALL SELECT id FROM invitations WHERE state = 'sending' \
         AND lease_expires_at <= $3 AND email IS NOT NULL \
         AND wave_id IN (SELECT id FROM waves WHERE program_id = $4) \
       UNION ALL SELECT i.id FROM invitations i WHERE i.state = 'sent' \
         AND i.next_reminder_at <= $3 AND i.email IS NOT NULL \
         AND (i.lease_expires_at IS NULL OR i.lease_expires_at <= $3) \
         AND i.wave_id IN (SELECT id FROM waves WHERE program_id = $4) \
         AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.invitation_id = i.id)) \
     LIMIT $5"
);
/// Claims due messages on PostgreSQL, skipping rows another dispatcher is claiming right
/// now, so several dispatchers share the work.
pub(super) const CLAIM_POSTGRES: &str = claim_sql!(
    "SELECT i.id FROM invitations i JOIN waves w ON w.id = i.wave_id \
       WHERE w.program_id = $4 AND i.email IS NOT NULL AND ( \
         (i.state IN ('planned', 'deferred') AND i.next_attempt_at <= $3) \
         OR (i.state = 'sending' AND i.lease_expires_at <= $3) \
         OR (i.state = 'sent' AND i.next_reminder_at <= $3 \
             AND (i.lease_expires_at IS NULL OR i.lease_expires_at <= $3) \
             AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.invitation_id = i.id))) \
       ORDER BY i.id LIMIT $5 FOR UPDATE OF i SKIP LOCKED"
);

/// What a resolution sets, by the message it is about; `{now}` and `{time}` (the next
/// attempt or reminder, or NULL) are bound by [`push_resolution`].
pub(super) fn resolution_set(resolution: Resolution, message: u32) -> &'static str {
    match (resolution, message) {
        (Resolution::Sent { .. }, 0) => {
            "state = 'sent', sent_at = {now}, attempts = attempts + 1, next_attempt_at = NULL, \
             next_reminder_at = {time}"
        }
        (Resolution::Retry { .. }, 0) => {
            "state = 'deferred', attempts = attempts + 1, next_attempt_at = {time}"
        }
        (Resolution::Failed, 0) => {
            "state = 'failed', attempts = attempts + 1, next_attempt_at = {time}"
        }
        (Resolution::Suppressed, 0) => "state = 'suppressed', next_attempt_at = {time}",
        (Resolution::Expired, 0) => "state = 'expired', next_attempt_at = {time}",
        (Resolution::Postponed { .. }, 0) => {
            "state = CASE WHEN attempts = 0 THEN 'planned' ELSE 'deferred' END, \
             next_attempt_at = {time}"
        }
        (Resolution::Sent { .. }, _) => {
            "reminders_sent = reminder_in_flight, last_reminder_at = {now}, \
             reminder_in_flight = NULL, reminder_attempts = 0, next_reminder_at = {time}"
        }
        (Resolution::Retry { .. }, _) => {
            "reminder_in_flight = NULL, reminder_attempts = reminder_attempts + 1, \
             next_reminder_at = {time}"
        }
        (_, _) => "reminder_in_flight = NULL, next_reminder_at = {time}",
    }
}

/// What outcomes recorded by one statement share: the statement, the next time, the
/// duplicate flag and the error text.
type GroupKey = (&'static str, Option<i64>, bool, Option<String>);

/// Outcomes that one statement can record together: same resolution statement and the same
/// values besides the row and its fence.
pub(super) fn resolution_groups(outcomes: &[Outcome]) -> Vec<Vec<&Outcome>> {
    let mut groups: Vec<Vec<&Outcome>> = Vec::new();
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    for outcome in outcomes {
        let key = (
            resolution_set(outcome.resolution, outcome.message),
            outcome.resolution.next_at().map(|t| t.as_second()),
            outcome.maybe_delivered,
            outcome.error_text(),
        );
        let slot = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(outcome);
    }
    groups
}

/// Flags a message a fenced-out dispatcher may have delivered as well.
pub(super) const FLAG_STALE: &str = "UPDATE invitations SET possibly_duplicate = \
     (possibly_duplicate OR $2) WHERE id = $1";

pub(super) const PROGRAM_WAVES: &str = "SELECT id, survey_id, channel_id, period, wave FROM waves \
     WHERE program_id = $1 ORDER BY id";

pub(super) const PENDING: &str = "SELECT MIN(CASE \
       WHEN i.state IN ('planned', 'deferred') THEN i.next_attempt_at \
       WHEN i.state = 'sending' THEN i.lease_expires_at \
       WHEN i.state = 'sent' AND NOT EXISTS \
         (SELECT 1 FROM responses r WHERE r.invitation_id = i.id) THEN i.next_reminder_at END), \
     COUNT(CASE WHEN i.lease_expires_at > $2 THEN 1 END) \
     FROM invitations i JOIN waves w ON w.id = i.wave_id \
     WHERE w.program_id = $1 AND i.email IS NOT NULL";

pub(super) const STATUS: &str = "SELECT w.program_id, w.id, w.survey_id, w.channel_id, w.period, \
     w.wave, i.state, COUNT(*) AS n, CAST(SUM(i.reminders_sent) AS BIGINT) AS reminders, \
     CAST(SUM(CASE WHEN i.possibly_duplicate THEN 1 ELSE 0 END) AS BIGINT) AS duplicates \
     FROM waves w JOIN invitations i ON i.wave_id = w.id \
     WHERE CAST($1 AS TEXT) IS NULL OR w.program_id = $1 \
     GROUP BY w.program_id, w.id, w.survey_id, w.channel_id, w.period, w.wave, i.state \
     ORDER BY w.program_id, w.id, i.state";

/// Per wave: invitations sent, answered, and whose recipient unsubscribed or bounced (one
/// row each at most: one response per invitation, one suppression per email and reason).
pub(super) const OUTCOMES: &str = "SELECT w.id, COUNT(i.sent_at) AS sent, COUNT(r.id) AS responses, \
     MIN(i.sent_at) AS first_sent, MAX(i.sent_at) AS last_sent, COUNT(u.email) AS unsubscribed, COUNT(b.email) AS bounced \
     FROM waves w JOIN invitations i ON i.wave_id = w.id \
     LEFT JOIN responses r ON r.invitation_id = i.id \
     LEFT JOIN suppression u ON u.email = i.email AND u.reason = 'unsubscribed' \
     LEFT JOIN suppression b ON b.email = i.email AND b.reason = 'bounced' \
     WHERE CAST($1 AS TEXT) IS NULL OR w.program_id = $1 \
     GROUP BY w.id";

pub(super) const LAST_FAILURES: &str = "SELECT w.program_id, e.invitation_id, i.email, e.message, e.to_state, \
     e.reason, e.detail, e.smtp_code, e.at FROM invitation_events e \
     JOIN invitations i ON i.id = e.invitation_id JOIN waves w ON w.id = i.wave_id \
     WHERE (CAST($1 AS TEXT) IS NULL OR w.program_id = $1) \
       AND e.to_state IN ('deferred', 'failed') \
     ORDER BY e.id DESC LIMIT $2";

/// Start of "which invitation holds the contact of these emails"; the backend appends the
/// list.
pub(super) const GUARD_HOLDERS: &str =
    "SELECT email, invitation_id FROM contact_guard WHERE email IN (";
/// Start of "these invitations give their person's contact back".
pub(super) const RELEASE_GUARD: &str = "DELETE FROM contact_guard WHERE invitation_id IN (";

/// Start of "which of these emails are suppressed"; the backend appends the list.
pub(super) const SUPPRESSED_AMONG: &str = "SELECT DISTINCT email FROM suppression WHERE email IN (";
/// Start of "which of these were contacted since $since"; the claim binds the time and
/// appends the list.
pub(super) const CONTACTED_AMONG: &str =
    "SELECT DISTINCT email FROM contact_history WHERE contacted_at >= ";

pub(super) const INVITATION_EVENTS: &str = "SELECT message, from_state, to_state, reason, detail, \
     smtp_code, at FROM invitation_events WHERE invitation_id = $1 ORDER BY id";

pub(super) const OUTBOX_ROW: &str = "SELECT id, email, state, attempts, next_attempt_at, sent_at, \
     reminders_sent, next_reminder_at, fence, possibly_duplicate, \
     (token_hash IS NOT NULL) AS has_token, last_error FROM invitations WHERE id = $1";

/// SMTP replies recorded per code class (2 for 2xx: an accepted message keeps no code).
pub(super) const SMTP_CLASSES: &str = "SELECT COALESCE(smtp_code / 100, 2) AS class, \
     COUNT(*) AS n FROM invitation_events WHERE smtp_code IS NOT NULL OR reason = 'accepted' \
     GROUP BY 1 ORDER BY 1";
/// The cheapest statement that proves the database answers and holds ecoute's tables.
pub(super) const PING: &str = "SELECT 1 FROM waves LIMIT 1";

pub(super) const INVITATION_BY_TOKEN: &str = "SELECT id FROM invitations WHERE token_hash = $1";

/// A stored counter as `u32`.
pub(super) fn small(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A stored count as `u64`.
pub(super) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A stored SMTP code.
pub(super) fn code(value: Option<i64>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}
