//! What the web server (`ecoute serve`) needs from the store: invitations found by the hash of
//! their link token, unsubscribing, batched response inserts (group commit), and invitations
//! scheduled by transactional events.

use jiff::Timestamp;

use super::{Attributes, InvitationState, NewInvitation, NewResponse, Store, StoreError};
use super::{WaveKey, WavePlan};

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

/// Statements shared by both backends.
pub(super) mod sql {
    /// The invitations of some link token hashes; the backend appends the `IN` list.
    pub(in crate::store) const BY_TOKEN_HASHES: &str = "SELECT i.token_hash, i.id, i.state, \
         i.email, i.locale, i.contact_data, w.program_id, w.survey_id, w.channel_id, w.period, \
         EXISTS (SELECT 1 FROM responses r WHERE r.invitation_id = i.id) AS answered \
         FROM invitations i JOIN waves w ON w.id = i.wave_id \
         WHERE i.case_id IS NULL AND i.token_hash IN ";
    pub(in crate::store) const LOG_UNSUBSCRIBED: &str = "INSERT INTO invitation_events \
         (invitation_id, from_state, to_state, reason, at) \
         SELECT id, state, 'suppressed', 'unsubscribed', CAST($2 AS BIGINT) FROM invitations \
         WHERE email = $1 AND state IN ('planned', 'deferred')";
    pub(in crate::store) const CANCEL_PENDING: &str = "UPDATE invitations \
         SET state = 'suppressed', updated_at = $2 \
         WHERE email = $1 AND state IN ('planned', 'deferred')";
    pub(in crate::store) const SUPPRESS_UNSUBSCRIBED: &str = "INSERT INTO suppression \
         (email, reason, detail, at) VALUES ($1, 'unsubscribed', $2, $3) \
         ON CONFLICT (email, reason) DO NOTHING";
    pub(in crate::store) const INSERT_EVENT: &str = "INSERT INTO events \
         (program_id, event, email, attributes, occurred_at, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    pub(in crate::store) const INSERT_ONE_INVITATION: &str = "INSERT INTO invitations \
         (wave_id, email, locale, contact_data, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (wave_id, email) DO NOTHING RETURNING id";
    pub(in crate::store) const FIND_INVITATION: &str =
        "SELECT id FROM invitations WHERE wave_id = $1 AND email = $2";
    pub(in crate::store) const LOG_ONE_PLANNED: &str = "INSERT INTO invitation_events \
         (invitation_id, from_state, to_state, reason, detail, at) \
         VALUES ($1, NULL, 'planned', 'triggered', $2, $3)";
    pub(in crate::store) const COUNT_RESPONSES: &str = "SELECT COUNT(*) FROM responses";
    pub(in crate::store) const COUNT_EVENTS: &str =
        "SELECT COUNT(*) FROM events WHERE program_id = $1 AND event = $2";
}

impl Store {
    /// The invitation whose link token hashes to `hash`, if any.
    pub async fn token_invitation(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<TokenInvitation>, StoreError> {
        let found = self.token_invitations(std::slice::from_ref(hash)).await?;
        Ok(found.into_iter().next().map(|(_, invitation)| invitation))
    }

    /// The invitations of many link token hashes in one query (per thousand), each with its
    /// hash; unknown hashes are left out.
    pub async fn token_invitations(
        &self,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<([u8; 32], TokenInvitation)>, StoreError> {
        dispatch!(self, b => b.token_invitations(hashes))
    }

    /// Stores several responses in one transaction (group commit): each one exactly as
    /// [`Store::insert_response`] would, `None` for a duplicate.
    pub async fn insert_responses(
        &self,
        responses: &[NewResponse],
        now: Timestamp,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let now = now.as_second();
        dispatch!(self, b => b.insert_responses(responses, now))
    }

    /// Unsubscribes `email` in one transaction: adds it to suppression (reason
    /// `unsubscribed`) and turns its planned and deferred invitations into `suppressed`,
    /// each with an event. Reminders stop too: they go only to people not suppressed.
    /// Idempotent.
    pub async fn unsubscribe(
        &self,
        email: &str,
        detail: Option<&str>,
    ) -> Result<Unsubscribed, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.unsubscribe(email, detail, now))
    }

    /// Records a transactional event; returns its id.
    pub async fn record_event(&self, event: &NewEvent) -> Result<i64, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.record_event(event, now))
    }

    /// How many events of this name were recorded for this program.
    pub async fn count_events(&self, program_id: &str, event: &str) -> Result<u64, StoreError> {
        dispatch!(self, b => b.count_events(program_id, event))
    }

    /// How many responses the store holds.
    pub async fn count_responses(&self) -> Result<u64, StoreError> {
        dispatch!(self, b => b.count_responses())
    }

    /// Records the token hashes of many invitations in one transaction (see
    /// [`Store::set_token_hash`]).
    pub async fn set_token_hashes(&self, hashes: &[(i64, [u8; 32])]) -> Result<(), StoreError> {
        dispatch!(self, b => b.set_token_hashes(hashes))
    }

    /// Appends one invitation to the wave `key` (creating the wave if needed), idempotently:
    /// a person gets at most one invitation per wave, so two events for the same email,
    /// survey, channel and period schedule one invitation.
    pub async fn schedule_triggered(
        &self,
        key: &WaveKey,
        plan: &WavePlan,
        invitation: &NewInvitation,
        event: &str,
    ) -> Result<Triggered, StoreError> {
        let now = Timestamp::now().as_second();
        dispatch!(self, b => b.schedule_triggered(key, plan, invitation, event, now))
    }
}
