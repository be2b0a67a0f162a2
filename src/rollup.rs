//! Report rollups, the pure part: the identity of a counter and the counters one response
//! adds (per program, period, segment, survey, touchpoint, channel, question and value), from
//! which every KPI, margin and test of a report is exact. The store adds them in the same
//! transaction as the response, and `ecoute db rebuild-rollups` recomputes them with the same
//! [`counters`], so the two paths cannot disagree.
//!
//! What is counted: every answer whose value is a whole number 0–10 (NPS, CSAT, CES,
//! yes/no), once for "all respondents" (`segment` = "") and once per respondent attribute
//! (`segment` = attribute name, `segment_value` = its value as text); plus one response
//! count per segment (`question_id` = "", value 0).
//!
//! Two more kinds of rows come from the same response, when it names the survey version it
//! answered ([`NewResponse::version`]):
//! - [`driver_counts`]: per closed question and answer, the respondents of each NPS class
//!   (the NPS of the survey's first NPS question), from which a report computes the NPS of
//!   each answer group ("what drives the NPS"); no respondent attribute, nothing personal;
//! - [`versions_seen`]: the definition and wording fingerprints of each question answered,
//!   with the earliest submission that used them, so a report knows when a question changed;
//! - [`audit_visit`]: for a mystery-shopper visit, its audit score, added to per-survey sums
//!   of the score and of its square ([`AuditSums`]) from which a report has the mean over
//!   visits and its Student t interval. Each item's met / applicable counts need nothing
//!   new: a `check` answer is stored as 1 (yes) or 0 (no), so the counters above hold them.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use foldhash::HashMap as FastMap;
use serde::Deserialize;
use serde_json::Value;

use crate::metrics::NpsCategory;
use crate::program::fingerprint::QuestionVersion;
use crate::program::model::QuestionType;
use crate::records::{Answer, NewResponse};

/// Text borrowed from the response being counted where it can be: a batch counts thousands
/// of responses into a few hundred counters, and allocating every key of every response
/// cost more than the counting.
pub type Text<'a> = Cow<'a, str>;

/// The identity of one counter: owned text (`S = String`) when read back from the store,
/// borrowed ([`Text`]) while a batch is counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct RollupKey<S = String> {
    /// Program id.
    pub program_id: S,
    /// Period key (`2026-11`…).
    pub period: S,
    /// Respondent attribute name, or "" for all respondents.
    pub segment: S,
    /// The attribute's value as text, "" for all respondents.
    pub segment_value: S,
    /// Survey id.
    pub survey_id: S,
    /// Touchpoint id, "" when the response has none.
    pub touchpoint_id: S,
    /// Channel of the response.
    pub channel: S,
    /// Question id, or "" for the response count.
    pub question_id: S,
    /// The answer value 0–10 (0 for the response count).
    pub value: u8,
}

impl RollupKey<Text<'_>> {
    /// The key with its own text, to outlive the response it was counted from.
    pub fn into_owned(self) -> RollupKey {
        RollupKey {
            program_id: self.program_id.into_owned(),
            period: self.period.into_owned(),
            segment: self.segment.into_owned(),
            segment_value: self.segment_value.into_owned(),
            survey_id: self.survey_id.into_owned(),
            touchpoint_id: self.touchpoint_id.into_owned(),
            channel: self.channel.into_owned(),
            question_id: self.question_id.into_owned(),
            value: self.value,
        }
    }
}

/// One counter and its count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct RollupCount {
    /// Which counter.
    pub key: RollupKey,
    /// How many.
    pub n: u64,
}

/// A respondent attribute's value as the text a segment is keyed by; `None` for values that
/// make no segment (null, lists, objects).
pub fn segment_value(value: &Value) -> Option<Text<'_>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// The answer value a counter holds: a whole number 0–10, else nothing.
fn counted_value(answer: &Answer) -> Option<u8> {
    let v = answer.num_value?;
    (v.fract() == 0.0 && (0.0..=10.0).contains(&v)).then_some(v as u8)
}

/// Each counter one response adds one to, borrowed from it; a key may come more than once
/// (two answers of one question with the same value).
fn counter_keys(r: &NewResponse) -> impl Iterator<Item = RollupKey<Text<'_>>> {
    let mut segments: Vec<(&str, Text<'_>)> = vec![("", Cow::Borrowed(""))];
    if let Some(attributes) = &r.respondent {
        segments.extend(
            attributes
                .iter()
                .filter(|(name, _)| !name.is_empty())
                .filter_map(|(name, v)| segment_value(v).map(|v| (name.as_str(), v))),
        );
    }
    let mut values: Vec<(&str, u8)> = vec![("", 0)];
    values.extend(
        r.answers
            .iter()
            .filter_map(|a| counted_value(a).map(|v| (a.question_id.as_str(), v))),
    );
    let touchpoint_id = r.touchpoint_id.as_deref().unwrap_or_default();
    segments
        .into_iter()
        .flat_map(move |(segment, segment_value)| {
            values
                .clone()
                .into_iter()
                .map(move |(question_id, value)| RollupKey {
                    program_id: Cow::Borrowed(r.program_id.as_str()),
                    period: Cow::Borrowed(r.period.as_str()),
                    segment: Cow::Borrowed(segment),
                    segment_value: segment_value.clone(),
                    survey_id: Cow::Borrowed(r.survey_id.as_str()),
                    touchpoint_id: Cow::Borrowed(touchpoint_id),
                    channel: Cow::Borrowed(r.channel.as_str()),
                    question_id: Cow::Borrowed(question_id),
                    value,
                })
        })
}

/// The counters one response adds, merged and sorted by key (so concurrent transactions
/// lock rows in the same order and never deadlock).
pub fn counters(r: &NewResponse) -> Vec<RollupCount> {
    let mut merged: BTreeMap<RollupKey<Text<'_>>, u64> = BTreeMap::new();
    for key in counter_keys(r) {
        *merged.entry(key).or_default() += 1;
    }
    merged
        .into_iter()
        .map(|(key, n)| RollupCount {
            key: key.into_owned(),
            n,
        })
        .collect()
}

/// Adds `more` into `totals`, for a rebuild or a bulk load.
pub fn accumulate(totals: &mut BTreeMap<RollupKey, u64>, more: Vec<RollupCount>) {
    for c in more {
        *totals.entry(c.key).or_default() += c.n;
    }
}

/// The identity of a driver counter: respondents of one NPS class who gave one answer to one
/// closed question of a survey.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DriverKey<S = String> {
    /// Program id.
    pub program_id: S,
    /// Period key.
    pub period: S,
    /// Survey id.
    pub survey_id: S,
    /// The closed question (CSAT, CES, yes/no, single or multiple choice).
    pub question_id: S,
    /// The answer: a value 0–10 written as digits, an option id, or "" for "answered the
    /// question at all" (a multiple-choice respondent counts once there, however many
    /// options they chose).
    pub answer: S,
    /// The respondent's NPS class.
    pub nps_class: NpsCategory,
}

/// The driver counters one response adds one to, sorted: none without a survey version, an
/// NPS question or an NPS answer 0–10.
pub fn driver_counts(r: &NewResponse) -> Vec<DriverKey<Text<'_>>> {
    let Some(version) = &r.version else {
        return Vec::new();
    };
    let nps_class = version
        .questions
        .iter()
        .find(|q| q.definition.kind == QuestionType::Nps)
        .and_then(|q| r.answers.iter().find(|a| a.question_id == q.id))
        .and_then(counted_value)
        .and_then(NpsCategory::of);
    let Some(nps_class) = nps_class else {
        return Vec::new();
    };
    let closed = version.questions.iter().filter(|q| {
        matches!(
            q.definition.kind,
            QuestionType::Csat
                | QuestionType::Ces
                | QuestionType::YesNo
                | QuestionType::Single
                | QuestionType::Multi
        )
    });
    let mut keys: Vec<DriverKey<Text<'_>>> = Vec::new();
    for q in closed {
        let mut answers: Vec<Text<'_>> = r
            .answers
            .iter()
            .filter(|a| a.question_id == q.id)
            .filter_map(|a| match (&a.choice, counted_value(a)) {
                (Some(choice), _) => Some(Cow::Borrowed(choice.as_str())),
                (None, Some(v)) => Some(Cow::Owned(v.to_string())),
                (None, None) => None,
            })
            .collect();
        if answers.is_empty() {
            continue;
        }
        answers.push(Cow::Borrowed(""));
        answers.sort();
        answers.dedup();
        keys.extend(answers.into_iter().map(|answer| DriverKey {
            program_id: Cow::Borrowed(r.program_id.as_str()),
            period: Cow::Borrowed(r.period.as_str()),
            survey_id: Cow::Borrowed(r.survey_id.as_str()),
            question_id: Cow::Borrowed(q.id.as_str()),
            answer,
            nps_class,
        }));
    }
    keys.sort();
    keys
}

/// The identity of an audit score counter: the visits of one audit survey in a period.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuditKey<S = String> {
    /// Program id.
    pub program_id: S,
    /// Period key.
    pub period: S,
    /// Survey id.
    pub survey_id: S,
    /// Touchpoint id, "" when the response has none.
    pub touchpoint_id: S,
}

/// Mergeable sums over visits: enough for the mean score and its t interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AuditSums {
    /// Visits with at least one applicable item.
    pub visits: u64,
    /// Sum of the visits' scores (percent).
    pub score_sum: f64,
    /// Sum of the squares of the visits' scores.
    pub score_squares: f64,
}

impl AuditSums {
    /// The sums of one visit scoring `score`.
    pub fn one(score: f64) -> Self {
        AuditSums {
            visits: 1,
            score_sum: score,
            score_squares: score * score,
        }
    }

    /// Adds `other` in.
    pub fn add(&mut self, other: AuditSums) {
        self.visits += other.visits;
        self.score_sum += other.score_sum;
        self.score_squares += other.score_squares;
    }
}

/// A visit's audit score, in percent: the weighted share of its applicable items that are
/// met, 100 × Σ weight·met ÷ Σ weight over the items answered `yes` or `no` (an item `not
/// applicable` or left unanswered counts on neither side). `None` without a survey version,
/// or when no item applied: such a visit has no score and is not counted.
pub fn audit_visit(r: &NewResponse) -> Option<(AuditKey<&str>, f64)> {
    let version = r.version.as_ref()?;
    let (mut met, mut applicable) = (0.0, 0.0);
    for q in version
        .questions
        .iter()
        .filter(|q| q.definition.kind == QuestionType::Check)
    {
        let weight = q
            .definition
            .weight
            .as_ref()
            .and_then(serde_json::Number::as_f64);
        let value = r
            .answers
            .iter()
            .find(|a| a.question_id == q.id)
            .and_then(counted_value);
        if let (Some(weight), Some(value)) = (weight, value) {
            applicable += weight;
            met += weight * f64::from(value);
        }
    }
    (applicable > 0.0).then(|| {
        let key = AuditKey {
            program_id: r.program_id.as_str(),
            period: r.period.as_str(),
            survey_id: r.survey_id.as_str(),
            touchpoint_id: r.touchpoint_id.as_deref().unwrap_or_default(),
        };
        (key, 100.0 * met / applicable)
    })
}

/// Which fingerprint of a question a [`VersionSeen`] is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::Display, strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum Aspect {
    /// Type, scale, options, KPI tag.
    Definition,
    /// Text and option labels in each locale.
    Wording,
}

/// The identity of a question version seen in a period.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionKey<S = String> {
    /// Program id.
    pub program_id: S,
    /// Period key.
    pub period: S,
    /// Survey id.
    pub survey_id: S,
    /// Question id.
    pub question_id: S,
    /// Definition or wording.
    pub aspect: Aspect,
    /// The fingerprint (SHA-256, hex).
    pub fingerprint: S,
}

/// A question version seen in a period: what it was and its earliest answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSeen {
    /// Which version.
    pub key: VersionKey,
    /// The definition as JSON, or the wording fingerprints per locale as JSON.
    pub detail: String,
    /// Earliest submission (unix seconds) that answered it.
    pub first_seen: i64,
}

/// A question version one response saw, borrowed from it: the question it is, for its
/// detail, written only once per batch and version.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a> {
    /// The question as asked.
    pub question: &'a QuestionVersion,
    /// The submission (unix seconds).
    pub at: i64,
}

impl Sighting<'_> {
    /// The definition as JSON, or the wording fingerprints per locale as JSON.
    pub fn detail(&self, aspect: Aspect) -> String {
        match aspect {
            Aspect::Definition => serde_json::to_string(&self.question.definition),
            Aspect::Wording => serde_json::to_string(&self.question.wording),
        }
        .unwrap_or_default()
    }
}

/// The question versions one response saw: two per question it answered (definition and
/// wording), sorted.
pub fn versions_seen(r: &NewResponse) -> Vec<(VersionKey<&str>, Sighting<'_>)> {
    let Some(version) = &r.version else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for q in &version.questions {
        if !r.answers.iter().any(|a| a.question_id == q.id) {
            continue;
        }
        let fingerprints = [
            (Aspect::Definition, &q.definition_fingerprint),
            (Aspect::Wording, &q.wording_fingerprint),
        ];
        for (aspect, fingerprint) in fingerprints {
            let key = VersionKey {
                program_id: r.program_id.as_str(),
                period: r.period.as_str(),
                survey_id: r.survey_id.as_str(),
                question_id: q.id.as_str(),
                aspect,
                fingerprint: fingerprint.as_str(),
            };
            let at = r.submitted_at.as_second();
            out.push((key, Sighting { question: q, at }));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The counters and verbatim locations of many responses added up, so that a batch (an
/// import, a group commit, a page of a rebuild) writes each counter once instead of once
/// per response. Keys borrow from the batch's responses, and are hashed with a fast
/// non-cryptographic hash (nothing here comes from an attacker who could choose collisions
/// at scale: one respondent adds a handful of keys).
#[derive(Default)]
pub struct BatchTally<'a> {
    /// Each counter's total.
    pub totals: FastMap<RollupKey<Text<'a>>, u64>,
    /// Each driver-analysis count.
    pub drivers: FastMap<DriverKey<Text<'a>>, u64>,
    /// Each question version, with its earliest sighting.
    pub versions: FastMap<VersionKey<&'a str>, Sighting<'a>>,
    /// Where verbatims are: the response, its id and the question.
    pub verbatims: Vec<(&'a NewResponse, i64, &'a str)>,
    /// Each audit survey and period's sums of visit scores.
    pub audits: FastMap<AuditKey<&'a str>, AuditSums>,
}

impl<'a> BatchTally<'a> {
    /// Counts a response already stored (a rebuild reads the verbatim locations by SQL).
    pub fn count(&mut self, response: &'a NewResponse) {
        for key in counter_keys(response) {
            *self.totals.entry(key).or_default() += 1;
        }
        for key in driver_counts(response) {
            *self.drivers.entry(key).or_default() += 1;
        }
        for (key, seen) in versions_seen(response) {
            let earliest = self.versions.entry(key).or_insert(seen);
            if seen.at < earliest.at {
                *earliest = seen;
            }
        }
        if let Some((key, score)) = audit_visit(response) {
            self.audits
                .entry(key)
                .or_default()
                .add(AuditSums::one(score));
        }
    }

    /// Counts response `id`, just stored, and remembers where its verbatims are.
    pub fn add(&mut self, id: i64, response: &'a NewResponse) {
        self.count(response);
        self.verbatims.extend(
            response
                .answers
                .iter()
                .filter(|a| a.is_verbatim())
                .map(|a| (response, id, a.question_id.as_str())),
        );
    }
}

/// A tally's entries in key order: rows are written (and locked) in the same order by every
/// transaction, so concurrent writers never deadlock.
pub fn in_key_order<K: Ord + Hash, V, S: BuildHasher>(entries: HashMap<K, V, S>) -> Vec<(K, V)> {
    let mut sorted: Vec<(K, V)> = entries.into_iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Attributes;
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
            cases: Vec::new(),
            version: None,
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

    fn versioned(answers: Vec<Answer>) -> NewResponse {
        use crate::program::fingerprint::{Definition, QuestionVersion, SurveyVersion};
        let question = |id: &str, kind: QuestionType| QuestionVersion {
            id: id.to_owned(),
            definition: Definition {
                kind,
                scale: None,
                options: Vec::new(),
                kpi: None,
                weight: None,
            },
            definition_fingerprint: format!("d-{id}"),
            wording: BTreeMap::new(),
            wording_fingerprint: format!("w-{id}"),
        };
        let questions = vec![
            question("nps", QuestionType::Nps),
            question("sat", QuestionType::Csat),
            question("m", QuestionType::Multi),
            question("why", QuestionType::Text),
        ];
        NewResponse {
            answers,
            version: Some(std::sync::Arc::new(SurveyVersion {
                fingerprint: "v".into(),
                questions,
            })),
            ..response(None)
        }
    }

    fn choice(q: &str, option: &str, ordinal: u32) -> Answer {
        Answer {
            ordinal,
            choice: Some(option.to_owned()),
            ..answer(q, None, None)
        }
    }

    #[test]
    fn a_visit_scores_the_weighted_share_of_applicable_items_met() {
        use crate::program::fingerprint::{Definition, QuestionVersion, SurveyVersion};
        let item = |id: &str, weight: f64| QuestionVersion {
            id: id.to_owned(),
            definition: Definition {
                kind: QuestionType::Check,
                scale: None,
                options: Vec::new(),
                kpi: None,
                weight: serde_json::Number::from_f64(weight),
            },
            definition_fingerprint: format!("d-{id}"),
            wording: BTreeMap::new(),
            wording_fingerprint: format!("w-{id}"),
        };
        let check = |id: &str, value: Option<f64>| Answer {
            choice: Some(
                if value.is_some() {
                    "yes"
                } else {
                    "not_applicable"
                }
                .to_owned(),
            ),
            ..answer(id, value, None)
        };
        let visit = |answers: Vec<Answer>| NewResponse {
            answers,
            version: Some(std::sync::Arc::new(SurveyVersion {
                fingerprint: "v".into(),
                questions: vec![item("a", 1.0), item("b", 2.0), item("c", 3.0)],
            })),
            ..response(None)
        };
        // a met (weight 1), b missed (weight 2), c not applicable: 100 × 1 ÷ (1 + 2) = 33.33…
        let partly_met = visit(vec![
            check("a", Some(1.0)),
            check("b", Some(0.0)),
            check("c", None),
        ]);
        let (key, score) = audit_visit(&partly_met).expect("a score");
        assert_eq!((key.survey_id, key.touchpoint_id), ("s", "t"));
        assert!((score - 100.0 / 3.0).abs() < 1e-9, "{score}");
        // Only c, met: 100 × 3 ÷ 3.
        let (_, full) = audit_visit(&visit(vec![check("c", Some(1.0))])).expect("a score");
        assert_eq!(full, 100.0);
        // Nothing applicable: no score.
        assert_eq!(audit_visit(&visit(vec![check("a", None)])), None);
        assert_eq!(audit_visit(&response(None)), None);
    }

    #[test]
    fn a_response_counts_once_per_closed_answer_and_once_per_question_answered() {
        let r = versioned(vec![
            answer("nps", Some(9.0), None),
            answer("sat", Some(4.0), None),
            choice("m", "a", 0),
            choice("m", "b", 1),
            answer("why", None, Some("bien")),
        ]);
        let counted = driver_counts(&r);
        let keys: Vec<(&str, &str, NpsCategory)> = counted
            .iter()
            .map(|k| (k.question_id.as_ref(), k.answer.as_ref(), k.nps_class))
            .collect();
        let p = NpsCategory::Promoter;
        assert_eq!(
            keys,
            [
                ("m", "", p),
                ("m", "a", p),
                ("m", "b", p),
                ("sat", "", p),
                ("sat", "4", p)
            ]
        );
        // Two versions (definition, wording) per question answered, with the submission time.
        let seen = versions_seen(&r);
        assert_eq!(seen.len(), 8);
        assert!(seen.iter().all(|(_, sighting)| sighting.at == 0));
        // No NPS answer, or no survey version: no driver counter.
        let without_nps = versioned(vec![answer("sat", Some(4.0), None)]);
        assert!(driver_counts(&without_nps).is_empty());
        assert!(driver_counts(&response(None)).is_empty());
        assert!(versions_seen(&response(None)).is_empty());
    }
}
