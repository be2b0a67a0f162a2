//! The audit stamp: what the report is about, the notes the reader must know, and the
//! digest of the counters it was computed from.

use sha2::{Digest, Sha256};

use super::Inputs;
use super::groups::Aggregates;
use crate::records::Delivery;
use crate::report::Stamp;
use crate::rollup::RollupCount;

/// The stamp of a report built from `inputs`.
pub(super) fn stamp(inputs: &Inputs<'_>, aggregates: &Aggregates, lang: &str) -> Stamp {
    let now_parts = &inputs.period.parts;
    let vs_parts = &aggregates.vs_parts;
    let responses = aggregates.total_now.responses;
    let mut notes = inputs.notes.clone();
    if responses == 0 {
        notes.push(if lang == "fr" {
            format!(
                "Aucune réponse sur la période {}\u{a0}: les indicateurs et les écarts sont vides.",
                inputs.period.key
            )
        } else {
            format!(
                "No responses in period {}: KPIs and deltas are empty.",
                inputs.period.key
            )
        });
    }
    let used = inputs
        .counters
        .iter()
        .chain(inputs.segment_counters)
        .filter(|c| now_parts.contains(&c.key.period) || vs_parts.contains(&c.key.period));
    let deliveries: Vec<Delivery> = inputs
        .deliveries
        .iter()
        .filter(|d| now_parts.contains(&d.period) || vs_parts.contains(&d.period))
        .cloned()
        .collect();
    Stamp {
        program_id: inputs.program.id().to_owned(),
        program_sha256: inputs.program.sha256.clone(),
        period: inputs.period.key.clone(),
        period_start: inputs.period.start.clone(),
        period_end: inputs.period.end.clone(),
        vs_period: inputs.vs.as_ref().map(|v| v.key.clone()),
        vs_start: inputs.vs.as_ref().map(|v| v.start.clone()),
        vs_end: inputs.vs.as_ref().map(|v| v.end.clone()),
        group_by: inputs.group_by.to_string(),
        alpha: inputs.alpha,
        responses,
        prev_responses: aggregates
            .has_vs
            .then_some(aggregates.total_before.responses),
        responses_digest: digest(used, &deliveries),
        generated_at: inputs.generated_at.clone(),
        notes,
    }
}

/// The SHA-256 of the counters and deliveries a report used, in a canonical order: equal
/// counters give an equal digest, whatever order the store returned them in.
pub fn digest<'a>(
    counters: impl IntoIterator<Item = &'a RollupCount>,
    deliveries: &[Delivery],
) -> String {
    let mut lines: Vec<String> = counters
        .into_iter()
        .map(|c| {
            let k = &c.key;
            format!(
                "r\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                k.program_id,
                k.period,
                k.segment,
                k.segment_value,
                k.survey_id,
                k.touchpoint_id,
                k.channel,
                k.question_id,
                k.value,
                c.n
            )
        })
        .chain(deliveries.iter().map(|d| {
            format!(
                "d\t{}\t{}\t{}\t{}\t{}",
                d.period, d.survey_id, d.channel, d.delivered, d.answered
            )
        }))
        .collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    crate::program::hex(&hasher.finalize())
}
