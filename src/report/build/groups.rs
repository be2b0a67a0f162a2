//! The counts every section starts from: per touchpoint and in total for both periods, and
//! per row group (touchpoint, channel or segment value) in the order rows are shown.

use std::collections::{BTreeMap, BTreeSet};

use super::Inputs;
use super::counts::{Catalogue, Counts, add_deliveries, aggregate};
use crate::program::model::Touchpoint;
use crate::records::Delivery;
use crate::report::GroupBy;
use crate::rollup::RollupCount;

/// Counts per touchpoint and in total, now and in the comparison period.
pub(super) struct Aggregates {
    /// Stored period keys of the comparison period (empty without one).
    pub(super) vs_parts: Vec<String>,
    /// Whether there is a comparison period.
    pub(super) has_vs: bool,
    pub(super) tp_now: BTreeMap<String, Counts>,
    pub(super) tp_before: BTreeMap<String, Counts>,
    pub(super) total_now: Counts,
    pub(super) total_before: Counts,
}

impl Aggregates {
    /// Aggregates the inputs' counters and deliveries.
    pub(super) fn of(inputs: &Inputs<'_>, catalogue: &Catalogue) -> Self {
        let now_parts = &inputs.period.parts;
        let vs_parts: Vec<String> = inputs
            .vs
            .as_ref()
            .map(|v| v.parts.clone())
            .unwrap_or_default();
        let per_touchpoint = |parts: &[String]| {
            let mut counts = aggregate(catalogue, inputs.counters, parts, |c: &RollupCount| {
                c.key.touchpoint_id.clone()
            });
            add_deliveries(&mut counts, inputs.deliveries, parts, |d: &Delivery| {
                catalogue.survey_touchpoint.get(&d.survey_id).cloned()
            });
            counts
        };
        let total = |parts: &[String]| {
            let mut t = aggregate(catalogue, inputs.counters, parts, |_| "all".to_owned());
            add_deliveries(&mut t, inputs.deliveries, parts, |_| Some("all".to_owned()));
            t.remove("all").unwrap_or_default()
        };
        Aggregates {
            tp_now: per_touchpoint(now_parts),
            tp_before: per_touchpoint(&vs_parts),
            total_now: total(now_parts),
            total_before: total(&vs_parts),
            has_vs: inputs.vs.is_some(),
            vs_parts,
        }
    }

    /// A group's counts in the comparison period: `None` without a comparison period,
    /// `Some(None)` when the group has no counts in it.
    pub(super) fn before(&self, m: &BTreeMap<String, Counts>, g: &str) -> Option<Option<Counts>> {
        self.has_vs.then(|| m.get(g).cloned())
    }
}

/// The row groups with their counts in both periods, in display order.
pub(super) struct Groups {
    pub(super) now: BTreeMap<String, Counts>,
    pub(super) before: BTreeMap<String, Counts>,
    pub(super) order: Vec<String>,
}

/// The touchpoints in journey order (stable on file order within a stage).
pub(super) fn journey_order<'a>(inputs: &Inputs<'a>) -> Vec<&'a Touchpoint> {
    let mut ordered: Vec<&Touchpoint> = inputs.program.file.touchpoints.iter().collect();
    ordered.sort_by_key(|t| t.stage);
    ordered
}

/// The row groups of `--by`.
pub(super) fn groups(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    aggregates: &Aggregates,
    journey: &[&Touchpoint],
) -> Groups {
    match &inputs.group_by {
        GroupBy::Touchpoint => by_touchpoint(aggregates, journey),
        GroupBy::Channel => by_channel(inputs, catalogue, &aggregates.vs_parts),
        GroupBy::Segment(_) => by_segment(inputs, catalogue, &aggregates.vs_parts),
    }
}

/// Touchpoints in journey order, then any unknown touchpoint that has counts.
fn by_touchpoint(aggregates: &Aggregates, journey: &[&Touchpoint]) -> Groups {
    let mut order: Vec<String> = journey.iter().map(|t| t.id.to_string()).collect();
    for g in aggregates.tp_now.keys().chain(aggregates.tp_before.keys()) {
        if !order.contains(g) && !g.is_empty() {
            order.push(g.clone());
        }
    }
    Groups {
        now: aggregates.tp_now.clone(),
        before: aggregates.tp_before.clone(),
        order,
    }
}

/// The program's channels that have counts, in file order, then any other channel.
fn by_channel(inputs: &Inputs<'_>, catalogue: &Catalogue, vs_parts: &[String]) -> Groups {
    let per_channel = |parts: &[String]| {
        let mut counts = aggregate(catalogue, inputs.counters, parts, |c: &RollupCount| {
            c.key.channel.clone()
        });
        add_deliveries(&mut counts, inputs.deliveries, parts, |d| {
            Some(d.channel.clone())
        });
        counts
    };
    let now = per_channel(&inputs.period.parts);
    let was = per_channel(vs_parts);
    let mut order: Vec<String> = inputs
        .program
        .file
        .channels
        .iter()
        .map(|c| c.id.to_string())
        .filter(|c| now.contains_key(c) || was.contains_key(c))
        .collect();
    for g in now.keys().chain(was.keys()) {
        if !order.contains(g) {
            order.push(g.clone());
        }
    }
    Groups {
        now,
        before: was,
        order,
    }
}

/// The values of the grouping attribute, sorted.
fn by_segment(inputs: &Inputs<'_>, catalogue: &Catalogue, vs_parts: &[String]) -> Groups {
    let by = |c: &RollupCount| c.key.segment_value.clone();
    let now = aggregate(catalogue, inputs.segment_counters, &inputs.period.parts, by);
    let was = aggregate(catalogue, inputs.segment_counters, vs_parts, by);
    let order: BTreeSet<String> = now.keys().chain(was.keys()).cloned().collect();
    Groups {
        now,
        before: was,
        order: order.into_iter().collect(),
    }
}
