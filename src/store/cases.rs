//! Cases (see `crate::cases` for their rules): opened with the response that matched an
//! alert rule, in its transaction, together with their alert emails, which are outbox rows
//! (invitations with a `case_id`) in a wave of their own per case.

pub(super) const INSERT_CASE: &str = "INSERT INTO cases (response_id, program_id, \
     survey_id, touchpoint_id, period, rule_id, opened_at, due_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) ON CONFLICT DO NOTHING RETURNING id";
pub(super) const INSERT_ALERT: &str = "INSERT INTO invitations (wave_id, email, \
     locale, contact_data, next_attempt_at, created_at, updated_at, case_id) \
     VALUES ($1, $2, NULL, $3, $4, $4, $4, $5) ON CONFLICT (wave_id, email) DO NOTHING";
const COLUMNS: &str = "SELECT c.id, c.response_id, c.program_id, c.survey_id, \
     c.touchpoint_id, c.period, c.rule_id, c.status, c.note, c.opened_at, c.due_at, \
     c.contacted_at, c.resolved_at, c.unreachable_at, COALESCE(r.email, i.email) AS email, \
     i.contact_data FROM cases c JOIN responses r ON r.id = c.response_id \
     LEFT JOIN invitations i ON i.id = r.invitation_id ";
pub(super) fn by_token() -> String {
    format!(
        "{COLUMNS} WHERE c.id = (SELECT case_id FROM invitations WHERE token_hash = $1 AND case_id IS NOT NULL)"
    )
}
pub(super) fn by_id() -> String {
    format!("{COLUMNS} WHERE c.id = $1")
}
pub(super) fn listed() -> String {
    format!("{COLUMNS} WHERE CAST($1 AS TEXT) IS NULL OR c.program_id = $1 ORDER BY c.id")
}
/// `{step}` is the time column of the state moved to.
pub(super) fn move_case(step: &str) -> String {
    format!(
        "UPDATE cases SET status = $3, {step} = COALESCE({step}, $5), \
         note = COALESCE($4, note), updated_at = $5 WHERE id = $1 AND status = $2"
    )
}
pub(super) const NOTE_CASE: &str = "UPDATE cases SET note = $2, updated_at = $3 WHERE id = $1";
/// The person's cases lose their note, and their alert links stop working.
pub(super) fn forget_cases(their_responses: &str) -> [String; 2] {
    [
        format!(
            "UPDATE invitations SET token_hash = NULL WHERE case_id IN \
             (SELECT id FROM cases WHERE response_id IN ({their_responses}))"
        ),
        format!("UPDATE cases SET note = NULL WHERE response_id IN ({their_responses})"),
    ]
}
