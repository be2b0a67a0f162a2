//! The outbox as the dispatcher sees it: what it asks the store to claim, what it gets back,
//! and what it records of each message; the store applies them under each claim's fence.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::records::Attributes;

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

    /// When the message is next due (its next attempt or reminder), if ever: the store's
    /// `next_attempt_at` or `next_reminder_at`.
    pub fn next_at(self) -> Option<Timestamp> {
        match self {
            Resolution::Sent { next_reminder_at } => next_reminder_at,
            Resolution::Retry { at } => Some(at),
            Resolution::Postponed { until } => Some(until),
            Resolution::Failed | Resolution::Suppressed | Resolution::Expired => None,
        }
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
