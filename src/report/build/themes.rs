//! Themes and quotes: what the period's verbatims talk about, and a few of them.

use std::collections::BTreeSet;

use super::Inputs;
use super::counts::{Catalogue, Feeds};
use crate::metrics::{NpsCategory, ThemeCounter, ThemeMatcher};
use crate::report::{MAX_VERBATIMS, Quote, ThemeView, TouchpointView};

/// Theme counts over the period's verbatims (split by NPS category), and a few quotes:
/// detractors first, emails masked, no respondent data.
pub(super) fn themes_and_quotes(
    inputs: &Inputs<'_>,
    catalogue: &Catalogue,
    touchpoints: &[TouchpointView],
) -> (Vec<ThemeView>, u64, Vec<Quote>) {
    let matcher = ThemeMatcher::new(
        inputs
            .program
            .file
            .themes
            .iter()
            .map(|(name, words)| (name.clone(), words.iter().cloned().collect::<Vec<_>>())),
    );
    let mut counter = ThemeCounter::new(&matcher);
    let mut candidates: Vec<(u8, Quote)> = Vec::new();
    for response in inputs.verbatims {
        let score = response
            .answers
            .iter()
            .find(|a| catalogue.feeds(&response.survey_id, &a.question_id) == Some(Feeds::Nps))
            .and_then(|a| a.num_value)
            .filter(|v| v.fract() == 0.0 && (0.0..=10.0).contains(v))
            .map(|v| v as u8);
        let category = score.and_then(NpsCategory::of);
        let touchpoint = response
            .touchpoint_id
            .as_deref()
            .and_then(|id| touchpoints.iter().find(|t| t.id == id))
            .map(|t| t.name.clone())
            .unwrap_or_default();
        for text in response
            .answers
            .iter()
            .filter_map(|a| a.text_value.as_deref())
        {
            if text.trim().is_empty() {
                continue;
            }
            counter.add(text, category);
            let rank = match category {
                Some(NpsCategory::Detractor) => 0,
                Some(NpsCategory::Passive) => 2,
                Some(NpsCategory::Promoter) => 1,
                None => 3,
            };
            candidates.push((
                rank,
                Quote {
                    touchpoint: touchpoint.clone(),
                    score,
                    text: anonymise(text),
                },
            ));
        }
    }
    candidates.sort_by_key(|(rank, _)| *rank);
    let mut seen = BTreeSet::new();
    candidates.retain(|(_, q)| seen.insert(q.text.to_lowercase()));
    let quotes = candidates
        .into_iter()
        .take(MAX_VERBATIMS)
        .map(|(_, q)| q)
        .collect();
    let themes = counter
        .counts()
        .into_iter()
        .filter(|t| t.count > 0)
        .map(|t| ThemeView {
            theme: t.theme,
            count: t.count,
            share: t.share,
            detractors: t.by_category.detractors,
            passives: t.by_category.passives,
            promoters: t.by_category.promoters,
            no_score: t.count.saturating_sub(
                t.by_category.detractors + t.by_category.passives + t.by_category.promoters,
            ),
        })
        .collect();
    (themes, counter.verbatims(), quotes)
}

/// Longest quote, in characters.
pub(super) const QUOTE_CHARS: usize = 280;

/// Masks anything that looks like an email and shortens long texts.
pub(super) fn anonymise(text: &str) -> String {
    let masked: Vec<&str> = text
        .split_whitespace()
        .map(|w| if w.contains('@') { "[…]" } else { w })
        .collect();
    let joined = masked.join(" ");
    if joined.chars().count() > QUOTE_CHARS {
        let cut: String = joined.chars().take(QUOTE_CHARS).collect();
        format!("{cut}…")
    } else {
        joined
    }
}
