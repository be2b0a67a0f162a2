//! The NPS distribution: detractors, passives and promoters, in total and per group.

use super::Inputs;
use super::counts::Counts;
use super::groups::Groups;
use crate::metrics::Nps;
use crate::report::{GroupBy, NpsSplit, TouchpointView};

/// The total's split first, then each group's that has NPS answers.
pub(super) fn splits(
    inputs: &Inputs<'_>,
    total_now: &Counts,
    groups: &Groups,
    touchpoints: &[TouchpointView],
    lang: &str,
) -> Vec<NpsSplit> {
    let total_label = if lang == "fr" { "Ensemble" } else { "All" };
    let mut nps: Vec<NpsSplit> = split("all", total_label.to_owned(), total_now)
        .into_iter()
        .collect();
    for g in &groups.order {
        let label = match inputs.group_by {
            GroupBy::Touchpoint => touchpoints
                .iter()
                .find(|t| &t.id == g)
                .map_or_else(|| g.clone(), |t| t.name.clone()),
            _ => g.clone(),
        };
        if let Some(s) = groups.now.get(g).and_then(|c| split(g, label, c)) {
            nps.push(s);
        }
    }
    nps
}

fn split(group: &str, label: String, c: &Counts) -> Option<NpsSplit> {
    let nps = Nps::from_histogram(&c.nps)?;
    let n = nps.n as f64;
    Some(NpsSplit {
        group: group.to_owned(),
        label,
        n: nps.n,
        detractors: 100.0 * nps.detractors as f64 / n,
        passives: 100.0 * nps.passives as f64 / n,
        promoters: 100.0 * nps.promoters as f64 / n,
    })
}
