//! Statements whose text is the same on SQLite and PostgreSQL (both accept `$N` parameters,
//! `ON CONFLICT`, `RETURNING` and `CAST`); each backend runs them with its own driver.

/// Start of the multi-row contact upsert; the backend appends `VALUES` and its conflict clause.
pub(super) const INSERT_CONTACTS: &str = "INSERT INTO contacts (email, first_name, last_name, locale, attributes, created_at, updated_at) ";

/// Refreshes a known contact: absent fields keep their value, attributes are merged with
/// `{merge}` (the backend's JSON merge), and `revision` counts the updates.
pub(super) fn upsert_contacts_tail(merge: &str) -> String {
    format!(
        " ON CONFLICT (email) DO UPDATE SET \
           first_name = COALESCE(excluded.first_name, contacts.first_name), \
           last_name = COALESCE(excluded.last_name, contacts.last_name), \
           locale = COALESCE(excluded.locale, contacts.locale), \
           attributes = {merge}, \
           revision = contacts.revision + 1, \
           updated_at = excluded.updated_at"
    )
}

/// The newest contact row id (SQLite hands out increasing ids under its write lock).
pub(super) const MAX_CONTACT_ID: &str = "SELECT COALESCE(MAX(id), 0) FROM contacts";
/// Contacts created after a given id: the inserts of a batch.
pub(super) const CONTACTS_AFTER: &str = "SELECT COUNT(*) FROM contacts WHERE id > $1";

pub(super) const LIST_CONTACTS: &str = "SELECT email, first_name, last_name, locale, attributes, \
     created_at, updated_at FROM contacts ORDER BY email LIMIT $1 OFFSET $2";
pub(super) const ALL_CONTACTS: &str = "SELECT email, first_name, last_name, locale, attributes, \
     created_at, updated_at FROM contacts ORDER BY email";
pub(super) const GET_CONTACT: &str = "SELECT email, first_name, last_name, locale, attributes, \
     created_at, updated_at FROM contacts WHERE email = $1";
pub(super) const COUNT_CONTACTS: &str = "SELECT COUNT(*) FROM contacts";

pub(super) const SUPPRESS: &str = "INSERT INTO suppression (email, reason, detail, at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (email, reason) DO NOTHING";
pub(super) const SUPPRESSIONS_FOR: &str =
    "SELECT email, reason, detail, at FROM suppression WHERE email = $1 ORDER BY reason";
pub(super) const LIST_SUPPRESSIONS: &str =
    "SELECT email, reason, detail, at FROM suppression ORDER BY email, reason";

/// The person's responses: given with their email, or answering one of their invitations.
pub(super) const THEIR_RESPONSES: &str = "SELECT id FROM responses WHERE email = $1 \
     OR invitation_id IN (SELECT id FROM invitations WHERE email = $1)";

pub(super) fn forget_verbatims() -> String {
    format!(
        "UPDATE answers SET text_value = NULL \
         WHERE text_value IS NOT NULL AND response_id IN ({THEIR_RESPONSES})"
    )
}
/// The person's responses as `store::rollups::RESPONSES_PAGE` reads them, for their counters.
pub(super) fn forget_counted_responses() -> String {
    format!(
        "SELECT id, program_id, survey_id, touchpoint_id, channel, period, respondent \
         FROM responses WHERE id IN ({THEIR_RESPONSES})"
    )
}
/// The counted answers of the person's responses, as `ANSWERS_OF_PAGE` reads them.
pub(super) fn forget_counted_answers() -> String {
    format!(
        "SELECT response_id, question_id, ordinal, num_value, choice, text_value FROM answers \
         WHERE num_value IS NOT NULL AND response_id IN ({THEIR_RESPONSES})"
    )
}
pub(super) fn forget_responses() -> String {
    format!("UPDATE responses SET email = NULL, respondent = NULL WHERE id IN ({THEIR_RESPONSES})")
}
pub(super) const FORGET_LOG_CANCELLED: &str = "INSERT INTO invitation_events \
     (invitation_id, from_state, to_state, reason, at) \
     SELECT id, state, 'suppressed', 'erased', CAST($2 AS BIGINT) FROM invitations \
     WHERE email = $1 AND state IN ('planned', 'deferred')";
pub(super) const FORGET_EVENT_DETAILS: &str = "UPDATE invitation_events SET detail = NULL \
     WHERE invitation_id IN (SELECT id FROM invitations WHERE email = $1)";
/// The person's invitations, whose `.eml` files the file outbox names after them.
pub(super) const FORGET_INVITATION_IDS: &str =
    "SELECT id FROM invitations WHERE email = $1 ORDER BY id";
/// Blanks the person's invitations; without its token hash, their link finds nothing and
/// answers the same 404 as a link that never existed.
pub(super) const FORGET_INVITATIONS: &str = "UPDATE invitations SET \
     state = CASE WHEN state IN ('planned', 'deferred') THEN 'suppressed' ELSE state END, \
     email = NULL, contact_data = NULL, last_error = NULL, token_hash = NULL, updated_at = $2 \
     WHERE email = $1";
pub(super) const FORGET_CONTACT: &str = "DELETE FROM contacts WHERE email = $1";
pub(super) const FORGET_HISTORY: &str = "DELETE FROM contact_history WHERE email = $1";
pub(super) const FORGET_GUARD: &str = "DELETE FROM contact_guard WHERE email = $1";
/// Events posted by the API keep their name and time (for audits) but lose the person.
pub(super) const FORGET_EVENTS: &str =
    "UPDATE events SET email = NULL, attributes = '{}' WHERE email = $1";
pub(super) const FORGET_SUPPRESSION_DETAILS: &str =
    "UPDATE suppression SET detail = NULL WHERE email = $1";
pub(super) const SUPPRESS_ERASED: &str = "INSERT INTO suppression (email, reason, detail, at) \
     VALUES ($1, 'erased', NULL, $2) ON CONFLICT (email, reason) DO NOTHING";

pub(super) const RECORD_CONTACT: &str =
    "INSERT INTO contact_history (email, program_id, contacted_at) VALUES ($1, $2, $3)";
pub(super) const LAST_CONTACTED: &str =
    "SELECT MAX(contacted_at) FROM contact_history WHERE email = $1";
pub(super) const CONTACTED_SINCE: &str = "SELECT email, MAX(contacted_at) FROM contact_history \
     WHERE contacted_at >= $1 GROUP BY email";

pub(super) const RECORD_PROGRAM_VERSION: &str = "INSERT INTO program_versions \
     (program_id, sha256, first_seen_at) VALUES ($1, $2, $3) \
     ON CONFLICT (program_id, sha256) DO NOTHING";

pub(super) const INSERT_WAVE: &str = "INSERT INTO waves (program_id, survey_id, channel_id, \
     period, wave, sample_id, seed, program_sha256, planned_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (program_id, survey_id, channel_id, period, wave) DO NOTHING RETURNING id";
pub(super) const FIND_WAVE: &str = "SELECT id FROM waves WHERE program_id = $1 \
     AND survey_id = $2 AND channel_id = $3 AND period = $4 AND wave = $5";
pub(super) const INSERT_INVITATIONS: &str = "INSERT INTO invitations (wave_id, email, locale, \
     contact_data, next_attempt_at, created_at, updated_at) ";
pub(super) const INSERT_INVITATIONS_TAIL: &str = " ON CONFLICT (wave_id, email) DO NOTHING";
pub(super) const LOG_PLANNED: &str = "INSERT INTO invitation_events \
     (invitation_id, from_state, to_state, reason, at) \
     SELECT id, NULL, 'planned', 'planned', CAST($2 AS BIGINT) FROM invitations \
     WHERE wave_id = $1";
pub(super) const COUNT_INVITATIONS: &str = "SELECT COUNT(*) FROM invitations WHERE wave_id = $1";
pub(super) const WAVE_INVITATIONS: &str = "SELECT id, wave_id, email, locale, contact_data, \
     state, attempts, next_attempt_at, possibly_duplicate FROM invitations \
     WHERE wave_id = $1 ORDER BY id";

/// Several responses in one statement (the backend appends the rows, then
/// [`INSERT_RESPONSES_TAIL`]); a duplicate is skipped, and each stored row comes back with
/// its keys, which tell which response it was.
pub(super) const INSERT_RESPONSES: &str = "INSERT INTO responses (invitation_id, program_id, \
     survey_id, touchpoint_id, channel, period, submitted_at, email, respondent, external_id, \
     created_at, survey_version) ";
pub(super) const INSERT_RESPONSES_TAIL: &str =
    " ON CONFLICT DO NOTHING RETURNING id, invitation_id, program_id, external_id";
/// Whether a response of the program was stored under this row id without an external id:
/// what an exported `ecoute-{id}` names.
pub(super) const EXPORTED_RESPONSE_EXISTS: &str = "SELECT 1 FROM responses WHERE id = $1 AND \
     program_id = $2 AND external_id IS NULL";
pub(super) const INSERT_ANSWERS: &str = "INSERT INTO answers (response_id, question_id, ordinal, \
     num_value, choice, text_value) ";
pub(super) const GET_RESPONSE: &str = "SELECT id, invitation_id, program_id, survey_id, channel, \
     period, submitted_at, email, respondent, external_id FROM responses WHERE id = $1";
pub(super) const GET_ANSWERS: &str = "SELECT question_id, ordinal, num_value, choice, text_value \
     FROM answers WHERE response_id = $1 ORDER BY question_id, ordinal";

pub(super) const SET_TOKEN_HASH: &str = "UPDATE invitations SET token_hash = $2 WHERE id = $1";
