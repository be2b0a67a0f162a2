//! Report rollups: per-(program, period, segment, survey, touchpoint, channel, question,
//! value) counters, updated in the same transaction as each response (see
//! `insert_response`), from which every KPI, margin and test of a report is exact.
//!
//! The counters a response adds come from [`crate::rollup::counters`], the one pure rule
//! shared by the incremental path and `ecoute db rebuild-rollups`. Verbatim locations (not
//! their text) go to `verbatim_refs` so a report reads only its period's texts.

use super::model::{Answer, Attributes, StoredResponse};
use super::{Store, StoreError};
pub use crate::rollup::{
    Aspect, DriverKey, RollupCount, RollupKey, VersionKey, VersionSeen, accumulate, counters,
    driver_counts, earliest, segment_value, versions_seen,
};
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

/// Whether an answer is a verbatim worth a `verbatim_refs` row.
pub(super) fn is_verbatim(answer: &Answer) -> bool {
    answer
        .text_value
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
}

/// Columns of a counter row, in insert order.
pub(super) const INSERT_ROLLUPS: &str = "INSERT INTO rollups (program_id, period, segment, \
     segment_value, survey_id, touchpoint_id, channel, question_id, value, n) ";
/// Adds to existing counters instead of failing on them.
pub(super) const ADD_TO_ROLLUPS: &str = " ON CONFLICT (program_id, period, segment, \
     segment_value, survey_id, touchpoint_id, channel, question_id, value) \
     DO UPDATE SET n = rollups.n + excluded.n";
/// Columns of a verbatim location row, in insert order.
pub(super) const INSERT_VERBATIM_REFS: &str = "INSERT INTO verbatim_refs \
     (program_id, period, response_id, question_id) ";
/// A location already recorded stays as it is.
pub(super) const IGNORE_KNOWN_VERBATIM_REFS: &str = " ON CONFLICT DO NOTHING";
pub(super) const INSERT_SURVEY_VERSION: &str = "INSERT INTO survey_versions \
     (fingerprint, questions) VALUES ($1, $2) ON CONFLICT DO NOTHING";
pub(super) const INSERT_DRIVER_COUNTS: &str = "INSERT INTO driver_counts (program_id, period, \
     survey_id, question_id, answer, nps_class, n) ";
pub(super) const ADD_TO_DRIVER_COUNTS: &str = " ON CONFLICT (program_id, period, survey_id, \
     question_id, answer, nps_class) DO UPDATE SET n = driver_counts.n + excluded.n";
pub(super) const INSERT_QUESTION_VERSIONS: &str = "INSERT INTO question_versions (program_id, \
     period, survey_id, question_id, aspect, fingerprint, detail, first_seen) ";
/// A version seen again keeps its earliest sighting.
pub(super) const KEEP_EARLIEST: &str = " ON CONFLICT (program_id, period, survey_id, \
     question_id, aspect, fingerprint) DO UPDATE SET first_seen = excluded.first_seen \
     WHERE excluded.first_seen < question_versions.first_seen";
pub(super) const SURVEY_VERSIONS: &str = "SELECT fingerprint, questions FROM survey_versions";
pub(super) const DRIVER_COUNTS: &str = "SELECT period, survey_id, question_id, answer, \
     nps_class, n FROM driver_counts WHERE program_id = $1 AND period IN ";
pub(super) const QUESTION_VERSIONS: &str = "SELECT period, survey_id, question_id, aspect, \
     fingerprint, detail, first_seen FROM question_versions WHERE program_id = $1 AND period IN ";
pub(super) const CLEAR_ROLLUPS: &str = "DELETE FROM rollups";
pub(super) const CLEAR_STATISTICS: [&str; 2] =
    ["DELETE FROM driver_counts", "DELETE FROM question_versions"];
/// Drops the counters nobody is counted in any more.
pub(super) const DROP_EMPTY_ROLLUPS: &str = "DELETE FROM rollups WHERE n <= 0";
pub(super) const CLEAR_VERBATIM_REFS: &str = "DELETE FROM verbatim_refs";
pub(super) const REBUILD_VERBATIM_REFS: &str = "INSERT INTO verbatim_refs \
     (program_id, period, response_id, question_id) \
     SELECT DISTINCT r.program_id, r.period, a.response_id, a.question_id \
     FROM answers a JOIN responses r ON r.id = a.response_id \
     WHERE a.text_value IS NOT NULL AND TRIM(a.text_value) <> ''";
pub(super) const RESPONSES_PAGE: &str = "SELECT id, program_id, survey_id, touchpoint_id, \
     channel, period, respondent, submitted_at, survey_version FROM responses \
     WHERE id > $1 ORDER BY id LIMIT $2";
pub(super) const ANSWERS_OF_PAGE: &str = "SELECT response_id, question_id, ordinal, num_value, \
     choice, text_value FROM answers WHERE response_id >= $1 AND response_id <= $2 \
     AND (num_value IS NOT NULL OR choice IS NOT NULL)";
/// Start of a counter read, on SQLite: the counters of a program, segment and periods as one
/// JSON array of `[[key fields…], n]`, the layout a [`RollupCount`] deserialises from (sqlx
/// hands SQLite rows over one at a time between threads, which costs more than the query
/// itself for a few thousand counters); the backend appends the period list.
pub(super) const SELECT_ROLLUPS_SQLITE: &str = "SELECT COALESCE(json_group_array(json_array(\
     json_array(program_id, period, segment, segment_value, survey_id, touchpoint_id, channel, \
     question_id, value), n)), '[]') FROM rollups \
     WHERE program_id = $1 AND segment = $2 AND period IN ";
/// The same read on PostgreSQL, with its JSON functions.
pub(super) const SELECT_ROLLUPS_POSTGRES: &str = "SELECT COALESCE(json_agg(json_build_array(\
     json_build_array(program_id, period, segment, segment_value, survey_id, touchpoint_id, \
     channel, question_id, value), n)), '[]') FROM rollups \
     WHERE program_id = $1 AND segment = $2 AND period IN ";
pub(super) const SEGMENTS: &str = "SELECT DISTINCT segment FROM rollups \
     WHERE program_id = $1 AND segment <> '' AND period IN ";
pub(super) const FIRST_PERIOD: &str =
    "SELECT MIN(period) FROM rollups WHERE program_id = $1 AND segment = ''";
pub(super) const DELIVERIES: &str = "SELECT w.period, w.survey_id, w.channel_id, \
     COUNT(i.id), COUNT(r.id) FROM waves w JOIN invitations i ON i.wave_id = w.id \
     LEFT JOIN responses r ON r.invitation_id = i.id \
     WHERE w.program_id = $1 AND i.state = 'sent' AND w.period IN ";
pub(super) const DELIVERIES_TAIL: &str = " GROUP BY w.period, w.survey_id, w.channel_id";
pub(super) const VERBATIM_RESPONSES: &str = "SELECT r.id, r.survey_id, r.touchpoint_id, \
     r.channel, r.respondent, a.question_id, a.ordinal, a.num_value, a.choice, a.text_value \
     FROM responses r JOIN answers a ON a.response_id = r.id \
     WHERE r.id IN (SELECT response_id FROM verbatim_refs WHERE program_id = $1 AND period IN ";
pub(super) const VERBATIM_RESPONSES_TAIL: &str = ") ORDER BY r.id, a.question_id, a.ordinal";
pub(super) const EXPORT_RESPONSES: &str = "SELECT id, invitation_id, program_id, survey_id, \
     channel, period, submitted_at, email, respondent, external_id FROM responses \
     WHERE program_id = $1 AND survey_id = $2 ORDER BY submitted_at, id";
pub(super) const EXPORT_ANSWERS: &str = "SELECT a.response_id, a.question_id, a.ordinal, \
     a.num_value, a.choice, a.text_value FROM answers a JOIN responses r ON r.id = a.response_id \
     WHERE r.program_id = $1 AND r.survey_id = $2 ORDER BY a.response_id, a.question_id, a.ordinal";
pub(super) const CALL_LIST: &str = "SELECT i.id, i.email, i.locale, i.contact_data, i.state \
     FROM invitations i JOIN waves w ON w.id = i.wave_id \
     WHERE w.program_id = $1 AND w.survey_id = $2 AND w.channel_id = $3 AND w.period = $4 \
     AND w.wave = $5 ORDER BY i.id";

/// `($first, $first+1, …)` for an `IN` list of `count` values.
pub(super) fn in_list(first: usize, count: usize) -> String {
    let params: Vec<String> = (first..first + count).map(|i| format!("${i}")).collect();
    format!("({})", params.join(", "))
}

impl Store {
    /// Recomputes every counter from the raw answers, in one transaction that holds new
    /// responses back until it is done; identical to the incremental ones by construction.
    pub async fn rebuild_rollups(&self) -> Result<RebuildSummary, StoreError> {
        dispatch!(self, b => b.rebuild_rollups())
    }

    /// Adds counters in one transaction: the bulk path of benchmarks and migrations of old
    /// data (the normal path is `insert_response`).
    pub async fn add_rollups(&self, counts: &[RollupCount]) -> Result<(), StoreError> {
        dispatch!(self, b => b.add_rollups(counts))
    }

    /// The counters of `program_id` for the given periods and segment ("" = all respondents).
    pub async fn rollups(
        &self,
        program_id: &str,
        periods: &[String],
        segment: &str,
    ) -> Result<Vec<RollupCount>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.rollups(program_id, periods, segment))
    }

    /// The question versions seen and the driver counters of `program_id` in those periods.
    pub async fn statistics(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<(Vec<VersionSeen>, Vec<(DriverKey, u64)>), StoreError> {
        if periods.is_empty() {
            return Ok(Default::default());
        }
        dispatch!(self, b => b.statistics(program_id, periods))
    }

    /// The respondent attributes seen in those periods, sorted.
    pub async fn segments(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.segments(program_id, periods))
    }

    /// The earliest period key with a response of the program, if any.
    pub async fn first_period(&self, program_id: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, b => b.first_period(program_id))
    }

    /// Delivered and answered invitations of the waves of those periods.
    pub async fn deliveries(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<Delivery>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.deliveries(program_id, periods))
    }

    /// The responses of those periods that carry a verbatim, with all their answers.
    pub async fn verbatim_responses(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<VerbatimResponse>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.verbatim_responses(program_id, periods))
    }

    /// Every response to a survey with its answers, oldest first, for an export.
    pub async fn survey_responses(
        &self,
        program_id: &str,
        survey_id: &str,
    ) -> Result<Vec<StoredResponse>, StoreError> {
        dispatch!(self, b => b.survey_responses(program_id, survey_id))
    }

    /// The invitations of one wave of a survey on a channel, for a call list.
    pub async fn call_list(
        &self,
        program_id: &str,
        survey_id: &str,
        channel: &str,
        period: &str,
        wave: u32,
    ) -> Result<Vec<CallListEntry>, StoreError> {
        dispatch!(self, b => b.call_list(program_id, survey_id, channel, period, wave))
    }
}
