//! Whether the questions behind a KPI row were the same in both compared periods, from the
//! question versions the store saw (definition and wording fingerprints with their first
//! sighting): a new definition makes the change meaningless (`not_comparable`, with a note
//! saying what changed and when); a new wording keeps it, flagged `wording_changed`.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Inputs;
use super::counts::Catalogue;
use crate::metrics::{Kpi, Significance};
use crate::program::fingerprint::{Definition, DefinitionChange, changed_locales, wording_note};
use crate::report::Row;
use crate::rollup::{Aspect, VersionSeen};

/// The versions of one question aspect seen in the compared periods, one per fingerprint
/// with its earliest sighting, oldest first.
fn seen<'a>(
    inputs: &'a Inputs<'_>,
    parts: &[&String],
    survey: &str,
    question: &str,
    aspect: Aspect,
) -> Vec<(&'a str, i64)> {
    let mut first: BTreeMap<&str, (&str, i64)> = BTreeMap::new();
    for v in inputs.versions.iter().filter(|v: &&VersionSeen| {
        v.key.survey_id == survey
            && v.key.question_id == question
            && v.key.aspect == aspect
            && parts.contains(&&v.key.period)
    }) {
        let entry = first
            .entry(v.key.fingerprint.as_str())
            .or_insert((v.detail.as_str(), v.first_seen));
        entry.1 = entry.1.min(v.first_seen);
    }
    let mut out: Vec<(&str, i64)> = first.into_values().collect();
    out.sort_by_key(|(_, at)| *at);
    out
}

/// Marks `row` when the questions feeding its KPI (those of `touchpoint`'s surveys, or of
/// every survey) changed between or within the compared periods.
pub(super) fn mark(
    row: &mut Row,
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    touchpoint: Option<&str>,
    lang: &str,
) {
    let Some(vs) = &inputs.vs else {
        return;
    };
    if row.kpi == Kpi::ResponseRate {
        return;
    }
    let parts: Vec<&String> = inputs.period.parts.iter().chain(&vs.parts).collect();
    let zone = inputs.program.calendar().zone();
    let date = |at: i64| {
        Timestamp::from_second(at)
            .map(|t| t.to_zoned(zone.clone()).date().to_string())
            .unwrap_or_default()
    };
    let mut definition_notes = Vec::new();
    let mut wording: Option<(i64, String)> = None;
    for ((survey, question), feeds) in &catalogue.feeds {
        let in_scope = touchpoint
            .is_none_or(|t| catalogue.survey_touchpoint.get(survey).map(String::as_str) == Some(t));
        if row.kpi != feeds.kpi() || !in_scope {
            continue;
        }
        let definitions = seen(inputs, &parts, survey, question, Aspect::Definition);
        if let (Some(oldest), Some(newest)) = (definitions.first(), definitions.last())
            && definitions.len() > 1
        {
            let parse = |text: &str| serde_json::from_str::<Definition>(text).ok();
            let change = parse(oldest.0)
                .zip(parse(newest.0))
                .and_then(|(a, b)| DefinitionChange::between(&a, &b));
            definition_notes
                .push(change.map_or_else(String::new, |c| c.note(&date(newest.1), lang)));
        }
        let wordings = seen(inputs, &parts, survey, question, Aspect::Wording);
        if let (Some(oldest), Some(newest)) = (wordings.first(), wordings.last())
            && wordings.len() > 1
            && wording.as_ref().is_none_or(|(at, _)| *at < newest.1)
        {
            let parse = |text: &str| {
                serde_json::from_str::<BTreeMap<String, String>>(text).unwrap_or_default()
            };
            let locales = changed_locales(&parse(oldest.0), &parse(newest.0));
            wording = Some((newest.1, wording_note(&date(newest.1), &locales, lang)));
        }
    }
    if !definition_notes.is_empty() {
        definition_notes.sort();
        row.delta = None;
        row.p_value = None;
        row.significance = Some(Significance::NotComparable);
        row.note = Some(definition_notes.join("; "));
    } else if let Some((at, note)) = wording {
        row.wording_changed = Some(date(at));
        row.note = Some(note);
    }
}
