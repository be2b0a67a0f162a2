//! What drives the NPS: for each survey with an NPS question and each of its closed
//! questions, the NPS of the respondents in an answer group against the NPS of the others who
//! answered the question, with the NPS z-test between them.
//!
//! Answer groups: CSAT satisfied (the scale's satisfied answers) vs not; CES easy (5–7) vs
//! not; yes vs no; for single and multiple choice, each option chosen vs not chosen (among
//! those who answered the question). Everything comes from the driver counters (respondents
//! per NPS class and answer), so the cost does not grow with the number of responses.

use std::collections::BTreeMap;

use super::Inputs;
use crate::metrics::{CsatScale, Histogram, Nps, NpsCategory, Significance, compare_nps};
use crate::program::model::{LocalizedText, Question, QuestionType};
use crate::report::Driver;

/// Respondents per NPS class: detractors, passives, promoters.
type Classes = [u64; 3];

/// CES answers that count as an easy experience.
const CES_EASY: std::ops::RangeInclusive<u8> = 5..=7;

fn index(class: NpsCategory) -> usize {
    match class {
        NpsCategory::Detractor => 0,
        NpsCategory::Passive => 1,
        NpsCategory::Promoter => 2,
    }
}

/// The NPS of respondents counted per class (a detractor scores 0, a passive 7, a promoter
/// 10: any value of the class gives the same NPS).
fn nps(classes: &Classes) -> Option<Nps> {
    let mut h = Histogram::new();
    for (value, n) in [0, 7, 10].into_iter().zip(classes) {
        h.add_n(value, *n).ok()?;
    }
    Nps::from_histogram(&h)
}

/// The drivers of the report's period, significant ones first, each part by the size of the
/// difference.
pub(super) fn drivers(inputs: &Inputs<'_>, lang: &str) -> Vec<Driver> {
    let mut counts: BTreeMap<(&str, &str, &str), Classes> = BTreeMap::new();
    for (key, n) in inputs
        .drivers
        .iter()
        .filter(|(k, _)| inputs.period.parts.contains(&k.period))
    {
        let slot = counts
            .entry((&key.survey_id, &key.question_id, &key.answer))
            .or_default();
        slot[index(key.nps_class)] += n;
    }
    let default = inputs.program.file.program.default_locale.as_str();
    let mut out = Vec::new();
    for survey in &inputs.program.file.surveys {
        if !survey
            .questions
            .iter()
            .any(|q| *q.kind == QuestionType::Nps)
        {
            continue;
        }
        for q in &survey.questions {
            let of = |answer: &str| {
                counts
                    .get(&(survey.id.as_str(), q.id.as_str(), answer))
                    .copied()
                    .unwrap_or_default()
            };
            let answered = of("");
            if answered.iter().sum::<u64>() == 0 {
                continue;
            }
            for (group, group_label, answers) in groups(q, lang, default) {
                let mut inside = Classes::default();
                for answer in &answers {
                    let c = of(answer);
                    (0..3).for_each(|i| inside[i] += c[i]);
                }
                let rest: Classes = std::array::from_fn(|i| answered[i].saturating_sub(inside[i]));
                let (a, b) = (nps(&inside), nps(&rest));
                let comparison = a
                    .as_ref()
                    .zip(b.as_ref())
                    .map(|(a, b)| compare_nps(a, b, inputs.alpha));
                out.push(Driver {
                    survey: survey.id.to_string(),
                    question: q.id.to_string(),
                    question_text: q.text.pick(lang, default).to_owned(),
                    group,
                    group_label,
                    n: inside.iter().sum(),
                    nps: a.map(|a| a.score),
                    rest_n: rest.iter().sum(),
                    rest_nps: b.map(|b| b.score),
                    difference: comparison.map(|c| c.delta),
                    p_value: comparison.and_then(|c| c.p_value),
                    significance: comparison.map_or(Significance::TooFew, |c| c.significance),
                });
            }
        }
    }
    let rank = |d: &Driver| {
        (
            d.significance != Significance::Significant,
            -d.difference.map_or(0.0, f64::abs),
        )
    };
    out.sort_by(|a, b| {
        rank(a)
            .partial_cmp(&rank(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

/// The answer groups of a closed question: id, label, and the stored answers in the group.
fn groups(q: &Question, lang: &str, default: &str) -> Vec<(String, String, Vec<String>)> {
    let fr = lang == "fr";
    let numbers = |values: &mut dyn Iterator<Item = u8>| values.map(|v| v.to_string()).collect();
    match *q.kind {
        QuestionType::Csat => {
            let scale = q.scale.as_deref().copied().unwrap_or(CsatScale::Stars5);
            let label = if fr { "Satisfaits" } else { "Satisfied" };
            vec![(
                "satisfied".to_owned(),
                label.to_owned(),
                numbers(&mut scale.satisfied()),
            )]
        }
        QuestionType::Ces => {
            let label = if fr {
                "Effort faible (5–7)"
            } else {
                "Low effort (5–7)"
            };
            vec![(
                "easy".to_owned(),
                label.to_owned(),
                numbers(&mut CES_EASY.clone()),
            )]
        }
        QuestionType::YesNo => {
            let label = if fr { "Oui" } else { "Yes" };
            vec![("yes".to_owned(), label.to_owned(), vec!["1".to_owned()])]
        }
        QuestionType::Single | QuestionType::Multi => q
            .options
            .iter()
            .flat_map(|o| o.iter())
            .map(|o| {
                (
                    o.id.to_string(),
                    o.label.pick(lang, default).to_owned(),
                    vec![o.id.to_string()],
                )
            })
            .collect(),
        QuestionType::Nps | QuestionType::Text | QuestionType::Check => Vec::new(),
    }
}
