//! The journey map: each touchpoint in journey order with its main KPI's row and trend.

use std::collections::BTreeMap;

use super::Inputs;
use super::counts::{Catalogue, Counts, aggregate};
use super::groups::Aggregates;
use super::rows::{row, target};
use crate::metrics::{Confidence, Kpi};
use crate::program::model::LocalizedText;
use crate::program::model::Touchpoint;
use crate::report::{TouchpointView, TrendPoint};
use crate::rollup::RollupCount;

/// The touchpoint views, in the order of `journey`.
pub(super) fn touchpoints(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    aggregates: &Aggregates,
    journey: &[&Touchpoint],
    lang: &str,
) -> Vec<TouchpointView> {
    let trend_counts: Vec<(String, BTreeMap<String, Counts>)> = inputs
        .trend
        .iter()
        .map(|p| {
            (
                p.key.clone(),
                aggregate(catalogue, inputs.counters, &p.parts, |c: &RollupCount| {
                    c.key.touchpoint_id.clone()
                }),
            )
        })
        .collect();
    journey
        .iter()
        .map(|t| {
            let id = t.id.to_string();
            let kpi = main_kpi(inputs, catalogue, aggregates, &id);
            let row = kpi.map(|k| {
                row(
                    "touchpoint",
                    &id,
                    k,
                    aggregates.tp_now.get(&id),
                    aggregates
                        .before(&aggregates.tp_before, &id)
                        .as_ref()
                        .map(Option::as_ref),
                    target(inputs.program, k, Some(&id)),
                    inputs.alpha,
                    inputs.confidence(),
                )
            });
            let trend = kpi
                .map(|k| trend(&trend_counts, &id, k, inputs.confidence()))
                .unwrap_or_default();
            TouchpointView {
                id,
                name: t
                    .name
                    .pick(lang, &inputs.program.file.program.default_locale)
                    .to_owned(),
                stage: t.stage.as_str().to_owned(),
                moment_of_truth: t.moment_of_truth,
                intensity: *t.intensity,
                kpi,
                row,
                trend,
            }
        })
        .collect()
}

/// The KPI the map colours a touchpoint by: among NPS, CSAT, CES, FCR (in that order) the
/// touchpoint measures, the first with a target of its own that was answered now, else the
/// first answered now, else the first with a target, else the first.
fn main_kpi(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    aggregates: &Aggregates,
    id: &str,
) -> Option<Kpi> {
    let kpis = catalogue.touchpoint_kpis.get(id);
    let defined: Vec<Kpi> = [Kpi::Nps, Kpi::Csat, Kpi::Ces, Kpi::Fcr]
        .into_iter()
        .filter(|k| kpis.is_some_and(|set| set.contains(k)))
        .collect();
    let answered = |k: Kpi| aggregates.tp_now.get(id).is_some_and(|c| c.n(k) > 0);
    let targeted = |k: Kpi| target(inputs.program, k, Some(id)).is_some();
    let first = |keep: &dyn Fn(Kpi) -> bool| defined.iter().copied().find(|&k| keep(k));
    first(&|k| targeted(k) && answered(k))
        .or_else(|| first(&answered))
        .or_else(|| first(&targeted))
        .or_else(|| defined.first().copied())
}

/// The KPI of touchpoint `id` over the trend periods, from its first measured one.
fn trend(
    trend_counts: &[(String, BTreeMap<String, Counts>)],
    id: &str,
    kpi: Kpi,
    confidence: Confidence,
) -> Vec<TrendPoint> {
    trend_counts
        .iter()
        .map(|(period, by_tp)| {
            let c = by_tp.get(id).cloned().unwrap_or_default();
            let estimate = c.stat(kpi).map(|s| s.estimate(confidence));
            TrendPoint {
                period: period.clone(),
                n: c.n(kpi),
                value: estimate.map(|e| e.value),
                interval: estimate.and_then(|e| e.interval),
            }
        })
        .skip_while(|p: &TrendPoint| p.value.is_none())
        .collect()
}
