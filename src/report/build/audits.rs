//! Mystery-shopper audits and social mentions: the audit score of each audit survey (mean
//! over visits, t interval, Welch's test against the comparison period), each checklist
//! item's compliance (Wilson interval, two-proportion z-test), and the mentions counted by
//! theme with their average rating.

use super::Inputs;
use crate::mentions::StoredMention;
use crate::metrics::{
    Comparison, Mean, Proportion, Significance, Source, ThemeMatcher, compare_means,
    compare_proportions, wilson,
};
use crate::program::model::{LocalizedText, QuestionType, Survey};
use crate::report::{AuditItem, AuditView, MentionTheme, MentionsView};
use crate::rollup::AuditSums;

/// Audit scores run from 0 to 100 (percent).
const SCORE_SCALE: (f64, f64) = (0.0, 100.0);

/// One audit view per survey with `check` items, in file order.
pub(super) fn audits(inputs: &Inputs<'_>, lang: &str) -> Vec<AuditView> {
    inputs
        .program
        .file
        .surveys
        .iter()
        .filter(|s| s.questions.iter().any(|q| *q.kind == QuestionType::Check))
        .map(|survey| audit(inputs, survey, lang))
        .collect()
}

fn audit(inputs: &Inputs<'_>, survey: &Survey, lang: &str) -> AuditView {
    let sums = |parts: &[String]| {
        let mut total = AuditSums::default();
        for (key, s) in inputs.audits {
            if key.survey_id == *survey.id && parts.contains(&key.period) {
                total.add(*s);
            }
        }
        Mean::from_sums(
            total.visits,
            total.score_sum,
            total.score_squares,
            SCORE_SCALE,
        )
    };
    let now = sums(&inputs.period.parts);
    let before = inputs.vs.as_ref().map(|vs| sums(&vs.parts));
    let change = match (&now, &before) {
        (Some(now), Some(Some(before))) => Some(compare_means(now, before, inputs.alpha)),
        _ => None,
    };
    let default_locale = &inputs.program.file.program.default_locale;
    let items: Vec<AuditItem> = survey
        .questions
        .iter()
        .filter(|q| *q.kind == QuestionType::Check)
        .map(|q| {
            let counts = |parts: &[String]| item_counts(inputs, survey, &q.id, parts);
            let (met, applicable) = counts(&inputs.period.parts);
            let prev = inputs.vs.as_ref().map(|vs| counts(&vs.parts));
            let share = |(met, applicable): (u64, u64)| Proportion::new(met, applicable);
            let change = match (share((met, applicable)), prev.and_then(share)) {
                (Some(now), Some(before)) => Some(compare_proportions(&now, &before, inputs.alpha)),
                _ => None,
            };
            AuditItem {
                id: q.id.to_string(),
                text: q.text.pick(lang, default_locale).to_owned(),
                weight: q.check_weight(),
                applicable,
                met,
                compliance: share((met, applicable)).map(|p| p.percent),
                interval: wilson(met, applicable, inputs.confidence()),
                prev_applicable: prev.map(|(_, a)| a),
                prev_met: prev.map(|(m, _)| m),
                prev_compliance: prev.and_then(share).map(|p| p.percent),
                delta: change.map(|c| c.delta),
                p_value: change.and_then(|c| c.p_value),
                significance: change.map(|c| c.significance),
            }
        })
        .collect();
    AuditView {
        source: Source::Audit,
        survey: survey.id.to_string(),
        touchpoint: survey.touchpoint.to_string(),
        visits: now.map_or(0, |m| m.n),
        score: now.map(|m| m.mean),
        interval: now.and_then(|m| m.interval(inputs.confidence())),
        prev_visits: before.map(|b| b.map_or(0, |m| m.n)),
        prev_score: before.flatten().map(|m| m.mean),
        delta: change.map(|c| c.delta),
        p_value: change.and_then(|c: Comparison| c.p_value),
        significance: change.map(|c| c.significance),
        changed_items: items
            .iter()
            .filter(|i| i.significance == Some(Significance::Significant))
            .map(|i| i.id.clone())
            .collect(),
        items,
    }
}

/// (met, applicable) of one item over some periods: the all-respondent counters of its
/// answers 1 (yes) and 0 (no).
fn item_counts(inputs: &Inputs<'_>, survey: &Survey, item: &str, parts: &[String]) -> (u64, u64) {
    let (mut met, mut applicable) = (0, 0);
    for c in inputs.counters.iter().filter(|c| {
        c.key.segment.is_empty()
            && c.key.survey_id == *survey.id
            && c.key.question_id == item
            && parts.contains(&c.key.period)
    }) {
        applicable += c.n;
        if c.key.value == 1 {
            met += c.n;
        }
    }
    (met, applicable)
}

/// The mentions of the period and the comparison period, in total and per theme.
pub(super) fn mentions(inputs: &Inputs<'_>) -> MentionsView {
    let matcher = ThemeMatcher::new(
        inputs
            .program
            .file
            .themes
            .iter()
            .map(|(name, words)| (name.clone(), words.iter().cloned().collect::<Vec<_>>())),
    );
    let of = |parts: &[String]| -> Vec<&StoredMention> {
        inputs
            .mentions
            .iter()
            .filter(|m| parts.contains(&m.period))
            .collect()
    };
    let now = of(&inputs.period.parts);
    let before = inputs.vs.as_ref().map(|vs| of(&vs.parts));
    let themed = |mentions: &[&StoredMention], theme: &str| -> Vec<Option<u8>> {
        mentions
            .iter()
            .filter(|m| matcher.matches(&m.text).contains(&theme))
            .map(|m| m.rating)
            .collect()
    };
    let all = |mentions: &[&StoredMention]| -> Vec<Option<u8>> {
        mentions.iter().map(|m| m.rating).collect()
    };
    let themes = matcher
        .themes()
        .filter_map(|theme| {
            let ratings = themed(&now, theme);
            let prev = before.as_ref().map(|b| themed(b, theme));
            if ratings.is_empty() && prev.as_ref().is_none_or(Vec::is_empty) {
                return None;
            }
            Some(MentionTheme {
                source: Source::Mentions,
                theme: theme.to_owned(),
                count: ratings.len() as u64,
                rated: ratings.iter().flatten().count() as u64,
                average_rating: average(&ratings),
                prev_count: prev.as_ref().map(|p| p.len() as u64),
                prev_average_rating: prev.as_deref().and_then(average),
            })
        })
        .collect();
    let ratings = all(&now);
    let prev = before.as_deref().map(all);
    MentionsView {
        count: ratings.len() as u64,
        rated: ratings.iter().flatten().count() as u64,
        average_rating: average(&ratings),
        prev_count: prev.as_ref().map(|p| p.len() as u64),
        prev_average_rating: prev.as_deref().and_then(average),
        themes,
    }
}

/// The mean of the ratings given; `None` when none is.
fn average(ratings: &[Option<u8>]) -> Option<f64> {
    let given: Vec<f64> = ratings.iter().flatten().map(|&r| f64::from(r)).collect();
    (!given.is_empty()).then(|| given.iter().sum::<f64>() / given.len() as f64)
}
