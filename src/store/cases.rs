//! Cases (see `crate::cases` for their rules): opened with the response that matched an
//! alert rule, in its transaction, together with their alert emails, which are outbox rows
//! (invitations with a `case_id`) in a wave of their own per case.

use jiff::Timestamp;

use super::{Store, StoreError};
use crate::cases::CaseStatus;

/// The wave channel of alert emails: not an identifier a program can declare.
pub const ALERT_CHANNEL: &str = "!alert";

/// A case to open with its response.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// The alert rule that matched.
    pub rule_id: String,
    /// When the promised call-back is due.
    pub due_at: Timestamp,
    /// One alert email per recipient.
    pub alerts: Vec<NewAlert>,
}

/// One alert email to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// The recipient, as resolved (may not parse: the alert then fails alone).
    pub email: String,
    /// Its email template.
    pub template: String,
    /// Why it cannot be sent, when known already (no address attribute).
    pub problem: Option<String>,
}

/// A case as stored, with who answered (`None` when anonymous or erased).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Row id, the number `ecoute cases` shows.
    pub id: i64,
    /// The response that opened it.
    pub response_id: i64,
    /// Program id.
    pub program_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Touchpoint of the survey.
    pub touchpoint_id: Option<String>,
    /// Period of the response.
    pub period: String,
    /// The alert rule.
    pub rule_id: String,
    /// Where it is.
    pub status: CaseStatus,
    /// The owner's note.
    pub note: Option<String>,
    /// When it opened (the response was stored).
    pub opened_at: Timestamp,
    /// When the call-back is due.
    pub due_at: Timestamp,
    /// When the owner first reached the customer.
    pub contacted_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// When the owner gave up reaching the customer.
    pub unreachable_at: Option<Timestamp>,
    /// The respondent's email.
    pub respondent_email: Option<String>,
    /// The respondent's first and last names, as the contact had them.
    pub respondent_name: Option<String>,
}

impl Store {
    /// The case whose alert link token hashes to `hash`; `None` for an unknown token or an
    /// erased person.
    pub async fn case_by_token(&self, hash: &[u8; 32]) -> Result<Option<Case>, StoreError> {
        dispatch!(self, b => b.case_by_token(hash))
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<Option<Case>, StoreError> {
        dispatch!(self, b => b.case(id))
    }

    /// The cases of a program (or all), oldest first.
    pub async fn cases(&self, program_id: Option<&str>) -> Result<Vec<Case>, StoreError> {
        dispatch!(self, b => b.cases(program_id))
    }

    /// Moves case `id` from `from` to `to` (the caller checked the transition), stamping the
    /// step's time, and replaces its note when `note` is given. False when the case was no
    /// longer in `from` (someone else moved it first): nothing changed.
    pub async fn move_case(
        &self,
        id: i64,
        from: CaseStatus,
        to: CaseStatus,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        dispatch!(self, b => b.move_case(id, from, to, note, now.as_second()))
    }

    /// Replaces the note of case `id`.
    pub async fn note_case(&self, id: i64, note: &str, now: Timestamp) -> Result<bool, StoreError> {
        dispatch!(self, b => b.note_case(id, note, now.as_second()))
    }
}

/// Statements shared by both backends.
pub(super) mod sql {
    pub(in crate::store) const INSERT_CASE: &str = "INSERT INTO cases (response_id, program_id, \
         survey_id, touchpoint_id, period, rule_id, opened_at, due_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) ON CONFLICT DO NOTHING RETURNING id";
    pub(in crate::store) const INSERT_ALERT: &str = "INSERT INTO invitations (wave_id, email, \
         locale, contact_data, next_attempt_at, created_at, updated_at, case_id) \
         VALUES ($1, $2, NULL, $3, $4, $4, $4, $5) ON CONFLICT (wave_id, email) DO NOTHING";
    const COLUMNS: &str = "SELECT c.id, c.response_id, c.program_id, c.survey_id, \
         c.touchpoint_id, c.period, c.rule_id, c.status, c.note, c.opened_at, c.due_at, \
         c.contacted_at, c.resolved_at, c.unreachable_at, COALESCE(r.email, i.email) AS email, \
         i.contact_data FROM cases c JOIN responses r ON r.id = c.response_id \
         LEFT JOIN invitations i ON i.id = r.invitation_id ";
    pub(in crate::store) fn by_token() -> String {
        format!(
            "{COLUMNS} WHERE c.id = (SELECT case_id FROM invitations WHERE token_hash = $1 AND case_id IS NOT NULL)"
        )
    }
    pub(in crate::store) fn by_id() -> String {
        format!("{COLUMNS} WHERE c.id = $1")
    }
    pub(in crate::store) fn listed() -> String {
        format!("{COLUMNS} WHERE CAST($1 AS TEXT) IS NULL OR c.program_id = $1 ORDER BY c.id")
    }
    /// `{step}` is the time column of the state moved to.
    pub(in crate::store) fn move_case(step: &str) -> String {
        format!(
            "UPDATE cases SET status = $3, {step} = COALESCE({step}, $5), \
             note = COALESCE($4, note), updated_at = $5 WHERE id = $1 AND status = $2"
        )
    }
    pub(in crate::store) const NOTE_CASE: &str =
        "UPDATE cases SET note = $2, updated_at = $3 WHERE id = $1";
    /// The person's cases lose their note, and their alert links stop working.
    pub(in crate::store) fn forget_cases(their_responses: &str) -> [String; 2] {
        [
            format!(
                "UPDATE invitations SET token_hash = NULL WHERE case_id IN \
                 (SELECT id FROM cases WHERE response_id IN ({their_responses}))"
            ),
            format!("UPDATE cases SET note = NULL WHERE response_id IN ({their_responses})"),
        ]
    }
}
