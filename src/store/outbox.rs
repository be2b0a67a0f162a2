//! The outbox: claiming due messages under a fenced lease, and recording what became of
//! them. Statements here are shared by both backends (the PostgreSQL claim adds
//! `FOR UPDATE SKIP LOCKED`, so several dispatchers share the work).
//!
//! Reminders ride on their invitation's row: an invitation in state `sent` with
//! `next_reminder_at` due is claimed like a planned one, with `reminder_in_flight` naming the
//! reminder. Every update after a claim checks the `fence` the claim set; a dispatcher that
//! lost its lease (paused, partitioned) can therefore never overwrite the row of the
//! dispatcher that took it over.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::Timestamp;

use super::model::Attributes;
use super::{Store, StoreError};

/// How one dispatcher asks for work.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// Who claims (host and process), kept in `lease_owner` for `ecoute status`.
    pub owner: &'a str,
    /// Only this program's invitations.
    pub program_id: &'a str,
    /// The dispatcher's clock.
    pub now: Timestamp,
    /// How long the claim is exclusive; after that another dispatcher may take it over.
    pub lease: Duration,
    /// At most this many messages.
    pub limit: u32,
    /// The first instant of the program's fatigue window at `now`: a claimed invitation whose
    /// person was contacted since then, or whose contact another invitation has held since
    /// then, comes back [`Claimed::fatigued`]. `None` when the program has no fatigue rule:
    /// its invitations still take their person's contact (so other programs see them) and
    /// are never held back.
    pub fatigue_since: Option<Timestamp>,
}

/// One message claimed for sending: an invitation (`message == 0`) or its n-th reminder.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The invitation row.
    pub invitation_id: i64,
    /// Its wave.
    pub wave_id: i64,
    /// The fence of this claim; every later update must present it.
    pub fence: i64,
    /// 0 for the invitation, n for the n-th reminder.
    pub message: u32,
    /// Recipient (erased invitations are never claimed).
    pub email: String,
    /// Locale of the message.
    pub locale: Option<String>,
    /// Template data.
    pub contact_data: Attributes,
    /// Attempts already made at this message.
    pub attempts: u32,
    /// When the invitation itself was accepted (reminders count their days from it).
    pub sent_at: Option<Timestamp>,
    /// True when a previous claim was never resolved (a crashed or paused dispatcher), so
    /// the server may already hold this message.
    pub taken_over: bool,
    /// An invitation the store did not give its person's contact to, decided in the claim's
    /// transaction: the person was contacted within the fatigue window, or another
    /// invitation (another survey, program or sender) holds their contact within it. Never
    /// set on reminders, which are no new contact.
    pub fatigued: bool,
    /// The address is suppressed (unsubscribed, bounced, erased), read in the claim's
    /// transaction so that screening a batch costs the store no further round trip.
    pub suppressed: bool,
    /// The case of an alert email (an outbox row of its own kind: no fatigue, no period,
    /// no reminder, no unsubscribe link); `None` for invitations.
    pub case_id: Option<i64>,
}

/// What became of a claimed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Accepted by the server; `next_reminder_at` is when its next reminder is due.
    Sent {
        /// When the next reminder is due, if any.
        next_reminder_at: Option<Timestamp>,
    },
    /// Temporary failure, to be tried again at `at`.
    Retry {
        /// The next attempt.
        at: Timestamp,
    },
    /// Permanent failure.
    Failed,
    /// Not sent: the person is suppressed or fatigued.
    Suppressed,
    /// Its period closed first.
    Expired,
    /// Handed back untried (outside the send window, or the run stopping), due again at
    /// `until`; not counted as an attempt.
    Postponed {
        /// When it is due again.
        until: Timestamp,
    },
}

impl Resolution {
    /// Whether the message will never leave (failed, suppressed or expired): an invitation
    /// that ends so gives its person's contact back for other surveys.
    pub fn never_sent(self) -> bool {
        matches!(
            self,
            Resolution::Failed | Resolution::Suppressed | Resolution::Expired
        )
    }

    /// The state name the message moves to, as recorded in its events.
    pub fn state_name(self) -> &'static str {
        match self {
            Resolution::Sent { .. } => "sent",
            Resolution::Retry { .. } => "deferred",
            Resolution::Failed => "failed",
            Resolution::Suppressed => "suppressed",
            Resolution::Expired => "expired",
            Resolution::Postponed { .. } => "planned",
        }
    }
}

/// One outcome to record, with the reason shown in `ecoute status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The invitation row.
    pub invitation_id: i64,
    /// The fence of the claim this outcome belongs to.
    pub fence: i64,
    /// 0 for the invitation, n for the n-th reminder.
    pub message: u32,
    /// Where it goes.
    pub resolution: Resolution,
    /// Short reason (`accepted`, `smtp 450`, `connection refused`, `fatigue`…).
    pub reason: String,
    /// The server's words or the error, if any.
    pub detail: Option<String>,
    /// The SMTP reply code, if there was one.
    pub smtp_code: Option<u16>,
    /// The server may hold the message although no reply came (connection lost after the
    /// body): flags the invitation as possibly sent twice.
    pub maybe_delivered: bool,
    /// The recipient refused the address permanently: add it to suppression as bounced.
    pub bounce_email: Option<String>,
    /// A first contact to count for fatigue (invitations only, never reminders).
    pub contact: Option<(String, String)>,
}

/// What recording did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Invitations whose fence had moved on: another dispatcher owns them now, so this
    /// outcome was not applied (only flagged as a possible duplicate when it was sent).
    pub fenced_out: Vec<i64>,
}

/// Work that is not due yet, so a run can say when to come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pending {
    /// The earliest time something becomes due (retry, reminder, lease expiry).
    pub next_due: Option<Timestamp>,
    /// Messages held by another dispatcher's live lease.
    pub held: u64,
}

/// The waves of a program, for the dispatcher to know surveys, channels and periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxWave {
    /// Row id.
    pub id: i64,
    /// Survey id.
    pub survey_id: String,
    /// Channel id.
    pub channel_id: String,
    /// Period key.
    pub period: String,
    /// Wave number.
    pub wave: u32,
}

/// Counts of one wave for `ecoute status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveStatus {
    /// Program id.
    pub program_id: String,
    /// The wave.
    pub wave: OutboxWave,
    /// Invitations per state.
    pub states: BTreeMap<String, u64>,
    /// Reminders sent.
    pub reminders_sent: u64,
    /// Invitations flagged as possibly sent twice.
    pub possibly_duplicate: u64,
    /// Invitations that reached their recipient's mail server (a `sent_at`).
    pub sent: u64,
    /// Invitations answered (a response through their link).
    pub responses: u64,
    /// Invitations whose recipient is now unsubscribed.
    pub unsubscribed: u64,
    /// Invitations whose recipient's address bounced.
    pub bounced: u64,
    /// When the first and the last of its invitations reached the mail server.
    pub sent_between: Option<(Timestamp, Timestamp)>,
}

impl WaveStatus {
    /// Responses per invitation sent, from 0 to 1; `None` before any was sent.
    pub fn response_rate(&self) -> Option<f64> {
        (self.sent > 0).then(|| self.responses as f64 / self.sent as f64)
    }
}

/// A recent failure or deferral, for `ecoute status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureEvent {
    /// Its program (whose time zone shows the time).
    pub program_id: String,
    /// The invitation.
    pub invitation_id: i64,
    /// Its recipient (`None` once erased).
    pub email: Option<String>,
    /// 0 invitation, n reminder.
    pub message: u32,
    /// `deferred` or `failed`.
    pub state: String,
    /// Short reason.
    pub reason: String,
    /// Server words or error.
    pub detail: Option<String>,
    /// SMTP code.
    pub smtp_code: Option<u16>,
    /// When.
    pub at: Timestamp,
}

/// One row of an invitation's history, for audits and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationEvent {
    /// 0 invitation, n reminder.
    pub message: u32,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// Short reason.
    pub reason: String,
    /// Details.
    pub detail: Option<String>,
    /// SMTP code.
    pub smtp_code: Option<u16>,
    /// When.
    pub at: Timestamp,
}

/// The outbox columns of one invitation, for `ecoute status` details and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// Recipient.
    pub email: Option<String>,
    /// State of the invitation message.
    pub state: String,
    /// Attempts at the invitation message.
    pub attempts: u32,
    /// Next attempt, when deferred.
    pub next_attempt_at: Option<Timestamp>,
    /// When the invitation was accepted by the server.
    pub sent_at: Option<Timestamp>,
    /// Reminders sent.
    pub reminders_sent: u32,
    /// When the next reminder is due.
    pub next_reminder_at: Option<Timestamp>,
    /// The last claim's fence.
    pub fence: i64,
    /// Possibly sent twice.
    pub possibly_duplicate: bool,
    /// Whether a link token hash is stored.
    pub has_token: bool,
    /// Last error.
    pub last_error: Option<String>,
}

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
            resolution_time(outcome.resolution),
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

/// The `{time}` of a resolution: the next attempt or reminder.
pub(super) fn resolution_time(resolution: Resolution) -> Option<i64> {
    match resolution {
        Resolution::Sent { next_reminder_at } => next_reminder_at.map(|t| t.as_second()),
        Resolution::Retry { at } => Some(at.as_second()),
        Resolution::Postponed { until } => Some(until.as_second()),
        Resolution::Failed | Resolution::Suppressed | Resolution::Expired => None,
    }
}

impl Outcome {
    /// The `last_error` text of an outcome (none once sent), also logged per batch.
    pub fn error_text(&self) -> Option<String> {
        match self.resolution {
            Resolution::Sent { .. } => None,
            _ => Some(match &self.detail {
                Some(detail) => format!("{}: {detail}", self.reason),
                None => self.reason.clone(),
            }),
        }
    }
}

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

impl Store {
    /// Claims up to `limit` due messages of a program under a lease, storing each new
    /// invitation's link-token hash (`token_hash(id)`) in the same transaction so the link
    /// works before the email leaves.
    pub async fn claim(
        &self,
        request: &ClaimRequest<'_>,
        token_hash: &(dyn Fn(i64) -> [u8; 32] + Sync),
    ) -> Result<Vec<Claimed>, StoreError> {
        dispatch!(self, b => b.claim(request, token_hash))
    }

    /// Records outcomes in one transaction (group commit), each checked against its fence;
    /// `now` is the dispatcher's clock (sent times, reminder bases, event times).
    pub async fn record(
        &self,
        outcomes: &[Outcome],
        now: Timestamp,
    ) -> Result<Recorded, StoreError> {
        dispatch!(self, b => b.record(outcomes, now.as_second()))
    }

    /// The waves of a program.
    pub async fn program_waves(&self, program_id: &str) -> Result<Vec<OutboxWave>, StoreError> {
        dispatch!(self, b => b.program_waves(program_id))
    }

    /// When something of the program next becomes due, and what others hold.
    pub async fn pending(&self, program_id: &str, now: Timestamp) -> Result<Pending, StoreError> {
        dispatch!(self, b => b.pending(program_id, now.as_second()))
    }

    /// Per-wave counts and the last failures, for one program or all.
    pub async fn outbox_status(
        &self,
        program_id: Option<&str>,
        last_failures: u32,
    ) -> Result<(Vec<WaveStatus>, Vec<FailureEvent>), StoreError> {
        dispatch!(self, b => b.outbox_status(program_id, last_failures))
    }

    /// SMTP replies recorded per code class (2, 4, 5), for `/metrics`.
    pub async fn smtp_reply_classes(&self) -> Result<Vec<(u16, u64)>, StoreError> {
        dispatch!(self, b => b.smtp_reply_classes())
    }

    /// Proves the database answers and holds ecoute's tables (`/healthz`); the caller
    /// bounds the wait.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, b => b.ping())
    }

    /// An invitation's events, oldest first.
    pub async fn invitation_events(&self, id: i64) -> Result<Vec<InvitationEvent>, StoreError> {
        dispatch!(self, b => b.invitation_events(id))
    }

    /// An invitation's outbox columns.
    pub async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        dispatch!(self, b => b.outbox_row(id))
    }

    /// The invitation a link token belongs to, looked up by the token's hash.
    pub async fn invitation_by_token_hash(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<i64>, StoreError> {
        dispatch!(self, b => b.invitation_by_token_hash(hash))
    }
}
