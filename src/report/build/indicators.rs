//! Indicator rows: each operational indicator per group (its touchpoint, or the segment of
//! its rows) and program-wide, from its counters summed over the period's parts, with the
//! test its kind allows (Welch for a mean with its spread, the two-proportion z-test for a
//! ratio and a count's category shares) and `unknown` significance otherwise.

use std::collections::BTreeMap;

use super::counts::Stat;
use super::rows::figures;
use super::{Inputs, language};
use crate::indicators::IndicatorCount;
use crate::metrics::{Goal, IndicatorCounter, IndicatorKind, KpiId};
use crate::program::model::{Indicator, LocalizedText};
use crate::report::{CATEGORY_SEPARATOR, GroupBy, IndicatorTrend, IndicatorView, Row, TrendPoint};

/// The program's indicators as the report names and formats them.
pub(super) fn views(inputs: &Inputs<'_>) -> Vec<IndicatorView> {
    let program = inputs.program;
    let lang = language(program);
    program
        .file
        .indicators
        .iter()
        .map(|i| IndicatorView {
            id: i.id.to_string(),
            name: i
                .name
                .pick(lang, &program.file.program.default_locale)
                .to_owned(),
            kind: *i.kind,
            unit: *i.unit,
            currency: i.currency.as_ref().map(|c| c.to_string()),
            better: *i.better,
            touchpoint: i.touchpoint.as_ref().map(|t| t.to_string()),
            breakdown: i.breakdown.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        })
        .collect()
}

/// The counters of one indicator in one group, per breakdown category (`""` for none).
type PerCategory = BTreeMap<String, IndicatorCounter>;

/// Sums the counters of `indicator` in the stored periods `parts` whose group is `group`
/// (`None`: every group).
fn sum(inputs: &Inputs<'_>, indicator: &str, parts: &[String], group: Option<&str>) -> PerCategory {
    let mut out = PerCategory::new();
    let group_of = |c: &IndicatorCount| match inputs.group_by {
        GroupBy::Touchpoint => c.key.touchpoint.clone(),
        GroupBy::Segment(_) => c.key.segment.clone(),
        GroupBy::Channel => String::new(),
    };
    for c in inputs.indicators {
        if c.key.indicator == indicator
            && parts.contains(&c.key.period)
            && group.is_none_or(|g| !g.is_empty() && group_of(c) == g)
        {
            out.entry(c.key.category.clone())
                .or_default()
                .merge(&c.counter);
        }
    }
    out
}

/// Sample size and statistic of an indicator's summed counters.
fn measure(kind: IndicatorKind, counters: &PerCategory) -> (u64, Option<Stat>) {
    let mut all = IndicatorCounter::default();
    for c in counters.values() {
        all.merge(c);
    }
    match kind {
        IndicatorKind::Mean => (all.n, all.mean().map(Stat::Mean)),
        IndicatorKind::Ratio => {
            let share = all.share();
            (share.map_or(0, |s| s.n), share.map(Stat::Share))
        }
        IndicatorKind::Quotient => (whole(all.denominator), all.quotient().map(Stat::Exact)),
        IndicatorKind::Count => (
            whole(all.numerator),
            (!counters.is_empty()).then_some(Stat::Exact(all.numerator)),
        ),
    }
}

/// A category's share of a count's volume.
fn share(counters: &PerCategory, category: &str) -> (u64, Option<Stat>) {
    let total: f64 = counters.values().map(|c| c.numerator).sum();
    let part = counters.get(category).map_or(0.0, |c| c.numerator);
    let share = IndicatorCounter::ratio(part, total).share();
    (share.map_or(0, |s| s.n), share.map(Stat::Share))
}

fn whole(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round() as u64
    } else {
        0
    }
}

/// The rows of one indicator in one group: its figure, then for a count each declared
/// category's share.
fn indicator_rows(
    inputs: &Inputs<'_>,
    indicator: &Indicator,
    (group_by, group): (&str, &str),
    scope: Option<&str>,
    target: Option<Goal>,
) -> Vec<Row> {
    let id = indicator.id.as_str();
    let now = sum(inputs, id, &inputs.period.parts, scope);
    let before = inputs
        .vs
        .as_ref()
        .map(|vs| sum(inputs, id, &vs.parts, scope));
    let confidence = inputs.confidence();
    let mut rows = vec![figures(
        group_by,
        group,
        KpiId::Indicator(id.to_owned()),
        measure(*indicator.kind, &now),
        before.as_ref().map(|b| measure(*indicator.kind, b)),
        target,
        inputs.alpha,
        confidence,
    )];
    for category in indicator.breakdown.iter().flat_map(|b| b.iter()) {
        rows.push(figures(
            group_by,
            group,
            KpiId::Indicator(format!("{id}{CATEGORY_SEPARATOR}{category}")),
            share(&now, category),
            before.as_ref().map(|b| share(b, category)),
            None,
            inputs.alpha,
            confidence,
        ));
    }
    rows
}

/// The indicator rows of group `g`: the indicators that belong to its touchpoint, and any
/// indicator measured in it in either period.
pub(super) fn group_rows(inputs: &Inputs<'_>, g: &str) -> Vec<Row> {
    if inputs.group_by == GroupBy::Channel {
        return Vec::new();
    }
    let group_by = inputs.group_by.to_string();
    let all_parts: Vec<String> = inputs
        .period
        .parts
        .iter()
        .chain(inputs.vs.iter().flat_map(|vs| &vs.parts))
        .cloned()
        .collect();
    let mut rows = Vec::new();
    for indicator in &inputs.program.file.indicators {
        let id = indicator.id.as_str();
        let home = inputs.group_by == GroupBy::Touchpoint
            && indicator.touchpoint.as_deref().map(String::as_str) == Some(g);
        if !home && sum(inputs, id, &all_parts, Some(g)).is_empty() {
            continue;
        }
        let target = match inputs.group_by {
            GroupBy::Touchpoint => {
                let kpi = KpiId::Indicator(id.to_owned());
                inputs
                    .program
                    .target(&kpi, Some(g))
                    .or_else(|| home.then(|| inputs.program.target(&kpi, None)).flatten())
            }
            _ => None,
        };
        rows.extend(indicator_rows(
            inputs,
            indicator,
            (&group_by, g),
            Some(g),
            target,
        ));
    }
    rows
}

/// The program-wide rows of every indicator.
pub(super) fn total_rows(inputs: &Inputs<'_>) -> Vec<Row> {
    inputs
        .program
        .file
        .indicators
        .iter()
        .flat_map(|indicator| {
            let target = inputs
                .program
                .target(&KpiId::Indicator(indicator.id.to_string()), None);
            indicator_rows(inputs, indicator, ("all", "all"), None, target)
        })
        .collect()
}

/// Each indicator's main figure over the trend periods, from its first measured period,
/// with its target at its touchpoint (else program-wide).
pub(super) fn trends(inputs: &Inputs<'_>) -> Vec<IndicatorTrend> {
    let confidence = inputs.confidence();
    inputs
        .program
        .file
        .indicators
        .iter()
        .map(|indicator| {
            let id = indicator.id.as_str();
            let touchpoint = indicator.touchpoint.as_ref().map(|t| t.to_string());
            let kpi = KpiId::Indicator(id.to_owned());
            let target = touchpoint
                .as_deref()
                .and_then(|tp| inputs.program.target(&kpi, Some(tp)))
                .or_else(|| inputs.program.target(&kpi, None))
                .map(Goal::value);
            let trend = inputs
                .trend
                .iter()
                .map(|p| {
                    let (n, stat) = measure(*indicator.kind, &sum(inputs, id, &p.parts, None));
                    let estimate = stat.map(|s| s.estimate(confidence));
                    TrendPoint {
                        period: p.key.clone(),
                        n,
                        value: estimate.map(|e| e.value),
                        interval: estimate.and_then(|e| e.interval),
                    }
                })
                .skip_while(|p| p.value.is_none())
                .collect();
            IndicatorTrend {
                indicator: id.to_owned(),
                touchpoint,
                target,
                trend,
            }
        })
        .collect()
}
