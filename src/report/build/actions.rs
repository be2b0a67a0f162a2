//! Action plans: the KPI of the action's touchpoint pooled over the periods before its start
//! and over the periods since (the counters of several periods added up, so the cost does
//! not grow with the number of responses), the change with its interval and p-value, and a
//! verdict.

use super::counts::{Catalogue, Counts, aggregate};
use super::{ActionPeriods, Inputs, Period};
use crate::metrics::{MIN_N_FOR_SIGNIFICANCE, Significance, TargetStatus};
use crate::program::model::{ActionPlan, LocalizedText};
use crate::report::{ActionEffect, ActionVerdict};

/// Every action of the program, in file order.
pub(super) fn effects(inputs: &Inputs<'_>, catalogue: &Catalogue, lang: &str) -> Vec<ActionEffect> {
    let default_locale = &inputs.program.file.program.default_locale;
    inputs
        .program
        .file
        .actions
        .iter()
        .map(|action| {
            let periods = inputs.actions.iter().find(|p| p.id == *action.id);
            let mut effect = ActionEffect {
                id: action.id.to_string(),
                title: action.title.pick(lang, default_locale).to_owned(),
                touchpoint: action.touchpoint.to_string(),
                kpi: *action.kpi,
                owner: action.owner.to_string(),
                started: action.started.to_string(),
                expected: action.expected.as_deref().copied(),
                before_periods: Vec::new(),
                since_periods: Vec::new(),
                before_n: 0,
                before_value: None,
                since_n: 0,
                since_value: None,
                change: None,
                change_interval: None,
                p_value: None,
                verdict: None,
                expected_status: None,
                note: None,
            };
            if let Some(periods) = periods {
                measure(&mut effect, action, periods, inputs, catalogue, lang);
            }
            effect
        })
        .collect()
}

/// The action's touchpoint's counts over `periods`, pooled.
fn pooled(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    touchpoint: &str,
    periods: &[Period],
) -> Counts {
    let parts: Vec<String> = periods.iter().flat_map(|p| p.parts.clone()).collect();
    aggregate(catalogue, inputs.counters, &parts, |c| {
        c.key.touchpoint_id.clone()
    })
    .remove(touchpoint)
    .unwrap_or_default()
}

fn measure(
    effect: &mut ActionEffect,
    action: &ActionPlan,
    periods: &ActionPeriods,
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    lang: &str,
) {
    let kpi = *action.kpi;
    let confidence = inputs.confidence();
    let before = pooled(inputs, catalogue, &action.touchpoint, &periods.before);
    let since = pooled(inputs, catalogue, &action.touchpoint, &periods.since);
    effect.before_periods = periods.before.iter().map(|p| p.key.clone()).collect();
    effect.since_periods = periods.since.iter().map(|p| p.key.clone()).collect();
    effect.before_n = before.n(kpi);
    effect.since_n = since.n(kpi);
    let before_stat = before.stat(kpi);
    let since_stat = since.stat(kpi);
    effect.before_value = before_stat.map(|s| s.estimate(confidence).value);
    effect.since_value = since_stat.map(|s| s.estimate(confidence).value);
    let comparison = since_stat
        .zip(before_stat)
        .and_then(|(now, was)| now.compare(&was, inputs.alpha));
    if let Some(c) = comparison {
        effect.change = Some(c.delta);
        effect.change_interval = c.interval;
        effect.p_value = c.p_value;
        effect.expected_status = effect
            .expected
            .zip(c.interval)
            .map(|(expected, interval)| reached(expected, interval));
    }
    let fr = lang == "fr";
    let (verdict, note) = if periods.not_started {
        (
            Some(ActionVerdict::TooEarly),
            Some(if fr {
                format!("Démarre le {} : rien à mesurer encore.", effect.started)
            } else {
                format!("Starts on {}: nothing to measure yet.", effect.started)
            }),
        )
    } else if effect.since_n < MIN_N_FOR_SIGNIFICANCE {
        (Some(ActionVerdict::TooEarly), None)
    } else if effect.before_n == 0 {
        (
            None,
            Some(if fr {
                format!(
                    "Aucune réponse avant le {} : rien à comparer (l'action précède les premières réponses du programme).",
                    effect.started
                )
            } else {
                format!(
                    "No answers before {}: nothing to compare with (the action precedes the program's first answers).",
                    effect.started
                )
            }),
        )
    } else {
        let hoped_up = effect.expected.is_none_or(|e| e > 0.0);
        let verdict = match (comparison, effect.change) {
            (Some(c), Some(change)) if c.significance == Significance::Significant => {
                if (change > 0.0) == hoped_up {
                    ActionVerdict::Improved
                } else {
                    ActionVerdict::Worsened
                }
            }
            _ => ActionVerdict::NoMeasurableEffect,
        };
        let note = (effect.before_n < MIN_N_FOR_SIGNIFICANCE).then(|| {
            if fr {
                format!("Moins de {MIN_N_FOR_SIGNIFICANCE} réponses avant le démarrage : aucun écart ne peut être affirmé.")
            } else {
                format!("Fewer than {MIN_N_FOR_SIGNIFICANCE} answers before the start: no change can be asserted.")
            }
        });
        (Some(verdict), note)
    };
    effect.verdict = verdict;
    effect.note = note;
}

/// Whether the change reached the hoped-for one, judged on its interval like a target
/// (a hoped-for fall is judged on the mirrored interval).
fn reached(expected: f64, interval: crate::metrics::Interval) -> TargetStatus {
    if expected >= 0.0 {
        TargetStatus::judge(Some(interval), expected)
    } else {
        let mirrored = crate::metrics::Interval {
            low: -interval.high,
            high: -interval.low,
        };
        TargetStatus::judge(Some(mirrored), -expected)
    }
}
