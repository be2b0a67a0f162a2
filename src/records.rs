//! The records the stages hand to the store and get back: contacts, waves, invitations,
//! responses and what the report reads. Plain data with no I/O, so the planning, collecting
//! and reporting code and the store share one definition.

use std::sync::Arc;

use jiff::Timestamp;

use crate::program::fingerprint::SurveyVersion;
use crate::redact::redact_url;
use crate::store::StoreError;

/// Free-form contact or respondent attributes (segment, region, last purchase…); keys sorted.
pub type Attributes = serde_json::Map<String, serde_json::Value>;

/// A contact to insert or update, as read from a CSV file or an API call.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactInput {
    /// Normalised email, the contact's identity.
    pub email: String,
    /// Given name; `None` keeps the stored one.
    pub first_name: Option<String>,
    /// Family name; `None` keeps the stored one.
    pub last_name: Option<String>,
    /// Preferred locale (`fr`, `en-GB`…); `None` keeps the stored one.
    pub locale: Option<String>,
    /// Typed attributes, merged key by key into the stored ones.
    pub attributes: Attributes,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// Normalised email.
    pub email: String,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Preferred locale.
    pub locale: Option<String>,
    /// Typed attributes.
    pub attributes: Attributes,
    /// First import.
    pub created_at: Timestamp,
    /// Last import that touched it.
    pub updated_at: Timestamp,
}

/// What an upsert did, for the import summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    /// New contacts.
    pub inserted: u64,
    /// Known contacts whose fields were refreshed.
    pub updated: u64,
}

/// Why an email must not be contacted; the names are the `reason` column's values.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum SuppressionReason {
    /// The person clicked unsubscribe.
    Unsubscribed,
    /// Mail to the address bounced permanently.
    Bounced,
    /// The person asked to be forgotten.
    Erased,
}

impl SuppressionReason {
    /// The value stored in the `reason` column.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One entry of the suppression list.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// The suppressed email.
    pub email: String,
    /// Why.
    pub reason: SuppressionReason,
    /// Free text (an SMTP reply, where the unsubscribe came from…).
    pub detail: Option<String>,
    /// When it was added.
    pub at: Timestamp,
}

/// The unique identity of a wave: the same key never creates a second wave.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WaveKey {
    /// Program id.
    pub program_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Channel id.
    pub channel_id: String,
    /// Period key (`2026-11`, `2026-Q3`, `2026-W45`…).
    pub period: String,
    /// Wave number within the period, from 1.
    pub wave: u32,
}

/// How a wave was drawn, kept so it can be audited and reproduced.
#[derive(Debug, Clone, PartialEq)]
pub struct WavePlan {
    /// The program's sample that drew it.
    pub sample_id: String,
    /// The seed of the draw.
    pub seed: u64,
    /// SHA-256 of the program file used, when known.
    pub program_sha256: Option<String>,
    /// When the wave is due to go out.
    pub planned_at: Timestamp,
}

/// One message to send, as planned.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvitation {
    /// Normalised recipient email (unique within the wave).
    pub email: String,
    /// Locale of the message.
    pub locale: Option<String>,
    /// Snapshot of the contact's fields for the templates (erased by `forget`).
    pub contact_data: Attributes,
    /// When it becomes due for sending.
    pub due_at: Timestamp,
}

/// What `materialise_wave` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaveOutcome {
    /// The wave's id (new or existing).
    pub wave_id: i64,
    /// True when this call created the wave; false when it already existed.
    pub created: bool,
    /// How many invitations the wave has.
    pub invitations: u64,
}

/// The life of an invitation in the outbox; the names are the `state` column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum InvitationState {
    /// Waiting to be sent.
    Planned,
    /// Claimed by a dispatcher under a lease.
    Sending,
    /// Accepted by the mail server.
    Sent,
    /// Permanently failed.
    Failed,
    /// Temporarily failed, retried at `next_attempt_at`.
    Deferred,
    /// Not sent: unsubscribed, bounced, erased or fatigued.
    Suppressed,
    /// Its period closed before it could go.
    Expired,
}

impl InvitationState {
    /// The value stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An invitation as stored (the fields the outbox shows).
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// Row id.
    pub id: i64,
    /// Its wave.
    pub wave_id: i64,
    /// Recipient; `None` once the person was erased.
    pub email: Option<String>,
    /// Locale of the message.
    pub locale: Option<String>,
    /// Template data; `None` once the person was erased.
    pub contact_data: Option<Attributes>,
    /// Where it is in the outbox.
    pub state: InvitationState,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it is next due.
    pub next_attempt_at: Option<Timestamp>,
    /// True when a crash may have sent it twice.
    pub possibly_duplicate: bool,
}

/// One answer of a response, as given and as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The question's id.
    pub question_id: String,
    /// Position among several values of one question (multiple choice), from 0.
    pub ordinal: u32,
    /// Score for NPS, CSAT, CES, yes/no (1/0).
    pub num_value: Option<f64>,
    /// Chosen option id for single and multiple choice.
    pub choice: Option<String>,
    /// Open verbatim (personal data: erased by `forget`).
    pub text_value: Option<String>,
}

impl Answer {
    /// Whether it is a verbatim worth a report's reading: a text that is not blank.
    pub fn is_verbatim(&self) -> bool {
        self.text_value
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
    }
}

/// What an export writes as the `response_id` of a response stored without an external id:
/// `ecoute-{id}`, its row id.
const EXPORTED_ID_PREFIX: &str = "ecoute-";

/// The `response_id` an export gives a response stored without an external id
/// (`ecoute-42`), so that importing the export back finds that response.
pub fn exported_id(id: i64) -> String {
    format!("{EXPORTED_ID_PREFIX}{id}")
}

/// The row id an exported `response_id` names (`ecoute-42` → 42); `None` for any other id.
pub fn exported_id_target(external_id: &str) -> Option<i64> {
    external_id
        .strip_prefix(EXPORTED_ID_PREFIX)
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
}

/// A response to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    /// The invitation answered (one response per invitation), or `None` for open links and
    /// imports.
    pub invitation_id: Option<i64>,
    /// Program id.
    pub program_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Touchpoint of the survey at the time of answering.
    pub touchpoint_id: Option<String>,
    /// Channel (`email`, `link`, `phone`, `import`…).
    pub channel: String,
    /// Period key the response counts in.
    pub period: String,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Respondent email, for imports that carry one.
    pub email: Option<String>,
    /// Respondent attributes (segment, region…) for grouping in reports.
    pub respondent: Option<Attributes>,
    /// Id given by an external system, unique per program: re-imports are ignored.
    pub external_id: Option<String>,
    /// The answers.
    pub answers: Vec<Answer>,
    /// The cases it opens (alert rules it matched), in its transaction.
    pub cases: Vec<crate::cases::NewCase>,
    /// The survey's questions as they were asked (fingerprints of their definition and
    /// wording); `None` when unknown (responses stored before version 0.7).
    pub version: Option<Arc<SurveyVersion>>,
}

/// A response as stored, with its answers ordered by question then ordinal.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    /// Row id.
    pub id: i64,
    /// The invitation answered.
    pub invitation_id: Option<i64>,
    /// Program id.
    pub program_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Channel.
    pub channel: String,
    /// Period key.
    pub period: String,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Respondent email; `None` once erased.
    pub email: Option<String>,
    /// Respondent attributes; `None` once erased.
    pub respondent: Option<Attributes>,
    /// External id.
    pub external_id: Option<String>,
    /// The answers.
    pub answers: Vec<Answer>,
}

/// What `forget` erased, so the CLI can confirm it to the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgetReport {
    /// Contact rows deleted (0 or 1).
    pub contacts: u64,
    /// Invitations whose email and data were blanked.
    pub invitations: u64,
    /// Responses whose respondent data was removed.
    pub responses: u64,
    /// Text answers removed.
    pub verbatims: u64,
    /// Contact-history rows deleted.
    pub history: u64,
    /// The ids of the person's invitations, whose emails the file outbox names after them
    /// (`ecoute.<id>.<message>.<program>@…`), so the caller can delete those files too.
    pub invitation_ids: Vec<i64>,
    /// True when SQLite could not empty its write-ahead log because another process was
    /// reading: the erased values stay in the `-wal` file until its next checkpoint.
    pub wal_pending: bool,
}

/// An invitation found by its token, with what the form needs to know about its wave.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInvitation {
    /// Row id.
    pub invitation_id: i64,
    /// Where it is in the outbox.
    pub state: InvitationState,
    /// Recipient; `None` once the person was erased.
    pub email: Option<String>,
    /// Locale of the message, used for the form.
    pub locale: Option<String>,
    /// Template data; `None` once erased.
    pub contact_data: Option<Attributes>,
    /// Program of the wave.
    pub program_id: String,
    /// Survey of the wave.
    pub survey_id: String,
    /// Channel of the wave.
    pub channel_id: String,
    /// Period of the wave: the period the response counts in.
    pub period: String,
    /// True when a response to it is already stored.
    pub answered: bool,
}

/// What an unsubscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribed {
    /// False when the email already was on the suppression list as unsubscribed.
    pub newly_suppressed: bool,
    /// Planned or deferred invitations that became `suppressed`.
    pub cancelled: u64,
}

/// A transactional event as received by the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The program whose trigger it matched.
    pub program_id: String,
    /// Event name (`commande_livree`…).
    pub event: String,
    /// The person concerned.
    pub email: Option<String>,
    /// Free attributes sent with it.
    pub attributes: Attributes,
    /// When it happened.
    pub occurred_at: Timestamp,
}

/// What scheduling a triggered invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triggered {
    /// The invitation (new or existing).
    pub invitation_id: i64,
    /// False when that person already had an invitation in this wave (one per email,
    /// survey, channel and period).
    pub created: bool,
}

/// What a rebuild found, for the operator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildSummary {
    /// Responses read.
    pub responses: u64,
    /// Counters written.
    pub counters: u64,
}

/// Invitations of a period's waves that reached the mail server, and how many were
/// answered: the response rate's denominator and numerator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Period key of the wave.
    pub period: String,
    /// Survey id.
    pub survey_id: String,
    /// Channel id of the wave.
    pub channel: String,
    /// Invitations in state `sent` (delivered; a bounce moves them to `failed`).
    pub delivered: u64,
    /// Of those, the ones with a response.
    pub answered: u64,
}

/// A response that carries at least one verbatim, with all its answers, for theme counts.
#[derive(Debug, Clone, PartialEq)]
pub struct VerbatimResponse {
    /// Row id.
    pub id: i64,
    /// Survey id.
    pub survey_id: String,
    /// Touchpoint id.
    pub touchpoint_id: Option<String>,
    /// Channel.
    pub channel: String,
    /// Respondent attributes (no email).
    pub respondent: Option<Attributes>,
    /// Every answer of the response.
    pub answers: Vec<Answer>,
}

/// One invitation of a wave for a call list.
#[derive(Debug, Clone, PartialEq)]
pub struct CallListEntry {
    /// Invitation id.
    pub invitation_id: i64,
    /// Email; `None` once erased.
    pub email: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// The contact fields snapshot (name, phone, attributes…).
    pub contact_data: Option<Attributes>,
    /// Outbox state.
    pub state: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_exported_id_names_a_row() {
        assert_eq!(exported_id_target(&exported_id(42)), Some(42));
        assert_eq!(exported_id_target("ecoute-"), None);
        assert_eq!(exported_id_target("ecoute-+5"), None);
        assert_eq!(exported_id_target("ecoute-12a"), None);
        assert_eq!(exported_id_target("ECOUTE-12"), None);
        assert_eq!(exported_id_target("r-12"), None);
        // Past i64::MAX (9223372036854775807): no row can have that id.
        assert_eq!(exported_id_target("ecoute-9223372036854775808"), None);
    }
}

/// A migration this binary knows but the database has not applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMigration {
    /// Its version number.
    pub version: i64,
    /// Its description.
    pub description: String,
}

/// The schema's state, for `ecoute db status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Which database.
    pub backend: BackendKind,
    /// Highest applied migration, `None` for an empty database.
    pub current: Option<i64>,
    /// Highest migration this binary knows.
    pub latest: i64,
    /// Migrations still to apply, in order.
    pub pending: Vec<PendingMigration>,
}

/// The URL schemes a user may write, shown in the error for any other one.
pub const ACCEPTED_SCHEMES: &str = "sqlite://PATH, sqlite:PATH, postgres://… or postgresql://…";

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum BackendKind {
    /// A local file: the embedded default.
    Sqlite,
    /// A server shared by several daemons.
    Postgres,
}

impl BackendKind {
    /// Reads the backend from a URL's scheme; any other scheme is a clear error, with a
    /// suggestion when it looks like a typo.
    pub fn from_url(url: &str) -> Result<BackendKind, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => Ok(BackendKind::Sqlite),
            Some("postgres" | "postgresql") => Ok(BackendKind::Postgres),
            Some(other) => {
                let suggestion = ["sqlite", "postgres", "postgresql"]
                    .into_iter()
                    .map(|s| (strsim::levenshtein(other, s), s))
                    .filter(|(d, _)| *d <= 3)
                    .min()
                    .map(|(_, s)| format!("did you mean `{s}:`? "));
                Err(StoreError::UnsupportedUrl {
                    url: redact_url(url),
                    hint: suggestion.unwrap_or_default(),
                })
            }
            None => Err(StoreError::UnsupportedUrl {
                url: redact_url(url),
                hint: format!("did you mean `sqlite://{url}`? "),
            }),
        }
    }
}
