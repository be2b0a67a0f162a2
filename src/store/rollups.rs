//! Report rollups: per-(program, period, segment, survey, touchpoint, channel, question,
//! value) counters, updated in the same transaction as each response (see
//! `insert_response`), from which every KPI, margin and test of a report is exact.
//!
//! The counters a response adds are computed here, once, by [`counters`]: the incremental
//! path and `ecoute db rebuild-rollups` both use it, so they cannot disagree.
//!
//! What is counted: every answer whose value is a whole number 0–10 (NPS, CSAT, CES,
//! yes/no), once for "all respondents" (`segment` = "") and once per respondent attribute
//! (`segment` = attribute name, `segment_value` = its value as text); plus one response
//! count per segment (`question_id` = "", value 0). Verbatim locations (not their text) go
//! to `verbatim_refs` so a report reads only its period's texts.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::model::{Answer, Attributes, NewResponse, StoredResponse};
use super::{Store, StoreError};

/// The identity of one counter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct RollupKey {
    /// Program id.
    pub program_id: String,
    /// Period key (`2026-11`…).
    pub period: String,
    /// Respondent attribute name, or "" for all respondents.
    pub segment: String,
    /// The attribute's value as text, "" for all respondents.
    pub segment_value: String,
    /// Survey id.
    pub survey_id: String,
    /// Touchpoint id, "" when the response has none.
    pub touchpoint_id: String,
    /// Channel of the response.
    pub channel: String,
    /// Question id, or "" for the response count.
    pub question_id: String,
    /// The answer value 0–10 (0 for the response count).
    pub value: u8,
}

/// One counter and its count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct RollupCount {
    /// Which counter.
    pub key: RollupKey,
    /// How many.
    pub n: u64,
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

/// A respondent attribute's value as the text a segment is keyed by; `None` for values that
/// make no segment (null, lists, objects).
pub fn segment_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The answer value a counter holds: a whole number 0–10, else nothing.
fn counted_value(answer: &Answer) -> Option<u8> {
    let v = answer.num_value?;
    (v.fract() == 0.0 && (0.0..=10.0).contains(&v)).then_some(v as u8)
}

/// Whether an answer is a verbatim worth a `verbatim_refs` row.
pub(super) fn is_verbatim(answer: &Answer) -> bool {
    answer
        .text_value
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
}

/// The counters one response adds, merged and sorted by key (so concurrent transactions
/// lock rows in the same order and never deadlock).
pub fn counters(r: &NewResponse) -> Vec<RollupCount> {
    let mut segments: Vec<(String, String)> = vec![(String::new(), String::new())];
    if let Some(attributes) = &r.respondent {
        segments.extend(
            attributes
                .iter()
                .filter(|(name, _)| !name.is_empty())
                .filter_map(|(name, v)| segment_value(v).map(|v| (name.clone(), v))),
        );
    }
    let mut values: Vec<(&str, u8)> = vec![("", 0)];
    values.extend(
        r.answers
            .iter()
            .filter_map(|a| counted_value(a).map(|v| (a.question_id.as_str(), v))),
    );
    let mut merged: BTreeMap<RollupKey, u64> = BTreeMap::new();
    for (segment, segment_value) in &segments {
        for (question_id, value) in &values {
            let key = RollupKey {
                program_id: r.program_id.clone(),
                period: r.period.clone(),
                segment: segment.clone(),
                segment_value: segment_value.clone(),
                survey_id: r.survey_id.clone(),
                touchpoint_id: r.touchpoint_id.clone().unwrap_or_default(),
                channel: r.channel.clone(),
                question_id: (*question_id).to_owned(),
                value: *value,
            };
            *merged.entry(key).or_default() += 1;
        }
    }
    merged
        .into_iter()
        .map(|(key, n)| RollupCount { key, n })
        .collect()
}

/// Adds `more` into `totals`, for a rebuild or a bulk load.
pub fn accumulate(totals: &mut BTreeMap<RollupKey, u64>, more: Vec<RollupCount>) {
    for c in more {
        *totals.entry(c.key).or_default() += c.n;
    }
}

/// Columns of a counter row, in insert order.
pub(super) const INSERT_ROLLUPS: &str = "INSERT INTO rollups (program_id, period, segment, \
     segment_value, survey_id, touchpoint_id, channel, question_id, value, n) ";
/// Adds to existing counters instead of failing on them.
pub(super) const ADD_TO_ROLLUPS: &str = " ON CONFLICT (program_id, period, segment, \
     segment_value, survey_id, touchpoint_id, channel, question_id, value) \
     DO UPDATE SET n = rollups.n + excluded.n";
pub(super) const INSERT_VERBATIM_REF: &str = "INSERT INTO verbatim_refs \
     (program_id, period, response_id, question_id) VALUES ($1, $2, $3, $4) \
     ON CONFLICT DO NOTHING";
pub(super) const CLEAR_ROLLUPS: &str = "DELETE FROM rollups";
/// Drops the counters nobody is counted in any more.
pub(super) const DROP_EMPTY_ROLLUPS: &str = "DELETE FROM rollups WHERE n <= 0";
pub(super) const CLEAR_VERBATIM_REFS: &str = "DELETE FROM verbatim_refs";
pub(super) const REBUILD_VERBATIM_REFS: &str = "INSERT INTO verbatim_refs \
     (program_id, period, response_id, question_id) \
     SELECT DISTINCT r.program_id, r.period, a.response_id, a.question_id \
     FROM answers a JOIN responses r ON r.id = a.response_id \
     WHERE a.text_value IS NOT NULL AND TRIM(a.text_value) <> ''";
pub(super) const RESPONSES_PAGE: &str = "SELECT id, program_id, survey_id, touchpoint_id, \
     channel, period, respondent FROM responses WHERE id > $1 ORDER BY id LIMIT $2";
pub(super) const ANSWERS_OF_PAGE: &str = "SELECT response_id, question_id, ordinal, num_value, \
     choice, text_value FROM answers WHERE response_id >= $1 AND response_id <= $2 AND num_value IS NOT NULL";
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use serde_json::json;

    fn answer(q: &str, v: Option<f64>, text: Option<&str>) -> Answer {
        Answer {
            question_id: q.to_owned(),
            ordinal: 0,
            num_value: v,
            choice: None,
            text_value: text.map(str::to_owned),
        }
    }

    fn response(respondent: Option<Attributes>) -> NewResponse {
        NewResponse {
            invitation_id: None,
            program_id: "p".into(),
            survey_id: "s".into(),
            touchpoint_id: Some("t".into()),
            channel: "import".into(),
            period: "2026-11".into(),
            submitted_at: Timestamp::UNIX_EPOCH,
            email: None,
            respondent,
            external_id: None,
            answers: vec![
                answer("nps", Some(9.0), None),
                answer("ces", Some(4.5), None),
                answer("why", None, Some("trop long")),
            ],
        }
    }

    #[test]
    fn one_response_without_attributes_counts_once_plus_its_answers() {
        let c = counters(&response(None));
        let summary: Vec<(&str, &str, u8, u64)> = c
            .iter()
            .map(|c| {
                (
                    c.key.segment.as_str(),
                    c.key.question_id.as_str(),
                    c.key.value,
                    c.n,
                )
            })
            .collect();
        // The response count and the NPS 9; CES 4.5 is not a whole number; text is not counted.
        assert_eq!(summary, vec![("", "", 0, 1), ("", "nps", 9, 1)]);
    }

    #[test]
    fn each_attribute_is_a_segment_and_odd_values_are_skipped() {
        let attributes = json!({"segment": "pro", "vip": true, "age": 42, "tags": ["a"], "": "x"});
        let Value::Object(attributes) = attributes else {
            unreachable!("literal object")
        };
        let c = counters(&response(Some(attributes)));
        let segments: Vec<(&str, &str)> = c
            .iter()
            .filter(|c| c.key.question_id == "nps")
            .map(|c| (c.key.segment.as_str(), c.key.segment_value.as_str()))
            .collect();
        assert_eq!(
            segments,
            vec![("", ""), ("age", "42"), ("segment", "pro"), ("vip", "true")]
        );
        assert_eq!(c.len(), 8);
        assert!(c.windows(2).all(|w| w[0].key < w[1].key), "sorted");
    }
}
