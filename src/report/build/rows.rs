//! KPI rows: one per group and KPI it measures, then the program-wide total; each with its
//! margin, its change against the comparison period and its target.

use std::collections::BTreeSet;

use super::counts::{Catalogue, Counts, Stat};
use super::groups::{Aggregates, Groups};
use super::{Inputs, changes, indicators, language};
use crate::metrics::{
    Confidence, Goal, Interval, Kpi, KpiId, MIN_N_FOR_SIGNIFICANCE, Significance, TargetStatus,
};
use crate::program::Program;
use crate::report::{GroupBy, Row};

/// The rows of every group, in order, for each KPI it defines or measured.
pub(super) fn group_rows(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    aggregates: &Aggregates,
    groups: &Groups,
) -> Vec<Row> {
    let group_by_label = inputs.group_by.to_string();
    let lang = language(inputs.program);
    let mut rows = Vec::new();
    for g in &groups.order {
        let now = groups.now.get(g);
        let was = aggregates.before(&groups.before, g);
        let defined: BTreeSet<Kpi> = match inputs.group_by {
            GroupBy::Touchpoint => catalogue
                .touchpoint_kpis
                .get(g)
                .cloned()
                .unwrap_or_default(),
            _ => BTreeSet::new(),
        };
        for kpi in Kpi::ALL {
            let measured = |c: Option<&Counts>| c.is_some_and(|c| c.n(kpi) > 0);
            if !(defined.contains(&kpi)
                || measured(now)
                || measured(was.clone().flatten().as_ref()))
            {
                continue;
            }
            let tgt = match inputs.group_by {
                GroupBy::Touchpoint => target(inputs.program, kpi, Some(g)),
                _ => target(inputs.program, kpi, None),
            };
            let mut row = row(
                &group_by_label,
                g,
                kpi,
                now,
                was.as_ref().map(Option::as_ref),
                tgt,
                inputs.alpha,
                inputs.confidence(),
            );
            let touchpoint = (inputs.group_by == GroupBy::Touchpoint).then_some(g.as_str());
            changes::mark(&mut row, inputs, catalogue, touchpoint, lang);
            rows.push(row);
        }
        rows.extend(indicators::group_rows(inputs, g));
    }
    rows
}

/// The program-wide rows, for each KPI some touchpoint defines or that was measured.
pub(super) fn total_rows(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    aggregates: &Aggregates,
) -> Vec<Row> {
    let all_kpis: BTreeSet<Kpi> = catalogue
        .touchpoint_kpis
        .values()
        .flatten()
        .copied()
        .collect();
    let (total_now, total_before) = (&aggregates.total_now, &aggregates.total_before);
    let mut rows: Vec<Row> = Kpi::ALL
        .into_iter()
        .filter(|&kpi| all_kpis.contains(&kpi) || total_now.n(kpi) > 0 || total_before.n(kpi) > 0)
        .map(|kpi| {
            let mut row = row(
                "all",
                "all",
                kpi,
                Some(total_now),
                aggregates.has_vs.then_some(Some(total_before)),
                target(inputs.program, kpi, None),
                inputs.alpha,
                inputs.confidence(),
            );
            changes::mark(&mut row, inputs, catalogue, None, language(inputs.program));
            row
        })
        .collect();
    rows.extend(indicators::total_rows(inputs));
    rows
}

/// One row from the counts of a group in both periods.
#[allow(clippy::too_many_arguments)]
pub(super) fn row(
    group_by: &str,
    group: &str,
    kpi: Kpi,
    now: Option<&Counts>,
    before: Option<Option<&Counts>>,
    target: Option<Goal>,
    alpha: f64,
    confidence: Confidence,
) -> Row {
    let empty = Counts::default();
    let measure = |c: &Counts| (c.n(kpi), c.stat(kpi));
    figures(
        group_by,
        group,
        KpiId::Survey(kpi),
        measure(now.unwrap_or(&empty)),
        before.map(|b| measure(b.unwrap_or(&empty))),
        target,
        alpha,
        confidence,
    )
}

/// One row from a figure's sample size and statistic in both periods, whatever its source.
#[allow(clippy::too_many_arguments)]
pub(super) fn figures(
    group_by: &str,
    group: &str,
    kpi: KpiId,
    (n, stat): (u64, Option<Stat>),
    before: Option<(u64, Option<Stat>)>,
    target: Option<Goal>,
    alpha: f64,
    confidence: Confidence,
) -> Row {
    let estimate = stat.as_ref().map(|s| s.estimate(confidence));
    let value = estimate.map(|e| e.value);
    let interval = estimate.and_then(|e| e.interval);
    let (prev_n, prev_stat) = match before {
        None => (None, None),
        Some((n, stat)) => (Some(n), stat),
    };
    let prev_value = prev_stat.as_ref().map(|s| s.estimate(confidence).value);
    let comparison = stat
        .as_ref()
        .zip(prev_stat.as_ref())
        .and_then(|(a, b)| a.compare(b, alpha));
    let significance = match (&comparison, prev_n) {
        (Some(c), _) => Some(c.significance),
        (None, Some(_)) => Some(Significance::TooFew),
        (None, None) => None,
    };
    let exact = matches!(stat, Some(Stat::Exact(_)));
    let target_status = target.zip(estimate).map(|(goal, e)| {
        if exact {
            goal.judge(Some(Interval {
                low: e.value,
                high: e.value,
            }))
        } else if n < MIN_N_FOR_SIGNIFICANCE {
            TargetStatus::Inconclusive
        } else {
            goal.judge(e.interval)
        }
    });
    Row {
        group_by: group_by.to_owned(),
        group: group.to_owned(),
        source: kpi.source(),
        kpi,
        n,
        value,
        moe95: interval.map(|i| i.half_width()),
        ci95_low: interval.map(|i| i.low),
        ci95_high: interval.map(|i| i.high),
        prev_n,
        prev_value,
        delta: comparison.map(|c| c.delta),
        p_value: comparison.and_then(|c| c.p_value),
        significance,
        target: target.map(Goal::value),
        target_status,
        wording_changed: None,
        note: None,
    }
}

/// The goal of `kpi` for a touchpoint (`Some(id)`) or program-wide (`None`).
pub(super) fn target(program: &Program, kpi: Kpi, touchpoint: Option<&str>) -> Option<Goal> {
    program.target(&KpiId::Survey(kpi), touchpoint)
}
