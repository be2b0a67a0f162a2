//! Tagging open verbatims with themes by keywords, and counting them.
//!
//! Matching is on whole words after folding both the verbatim and the keywords the same way:
//! - lower case, accents removed (Unicode compatibility decomposition, combining marks
//!   dropped: "Délai" → "delai"), ligatures spelled out (œ → oe, æ → ae, ß → ss);
//! - words are runs of letters and digits, so apostrophes and punctuation separate them
//!   ("l'accueil" → "l", "accueil");
//! - simple plural folding: a word of 4+ letters loses a final `s` (not `ss`) or the `x` of
//!   `-ux` ("délais" → "delai", "jeux" → "jeu", "prices" → "price"; "prix", "express" stay).
//!
//! A keyword of several words matches those words in sequence ("service client").

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::NpsCategory;

/// Folds text into comparable words (see the module documentation).
fn words(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd().filter(|&c| !is_combining_mark(c)) {
        match c {
            'œ' | 'Œ' => folded.push_str("oe"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'ß' | 'ẞ' => folded.push_str("ss"),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| fold_plural(w).to_owned())
        .collect()
}

/// Drops a plural mark: final `s` (not `ss`) or the `x` of `-ux`, on words of 4+ letters.
fn fold_plural(word: &str) -> &str {
    let plural = (word.ends_with('s') && !word.ends_with("ss")) || word.ends_with("ux");
    if plural && word.chars().count() >= 4 {
        // The last character is the ASCII `s` or `x`, one byte long.
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// One theme with its keywords already folded into word sequences.
#[derive(Debug, Clone)]
struct Theme {
    name: String,
    keywords: Vec<Vec<String>>,
}

/// Tags verbatims with the themes of a program (`délai`, `prix`, `accueil`…), so open
/// answers can be counted by theme.
#[derive(Debug, Clone)]
pub struct ThemeMatcher {
    themes: Vec<Theme>,
}

impl ThemeMatcher {
    /// Builds a matcher from `(theme name, keywords)` pairs; keywords that fold to nothing
    /// (punctuation only) are dropped.
    pub fn new<N, K, S>(themes: impl IntoIterator<Item = (N, K)>) -> Self
    where
        N: Into<String>,
        K: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let themes = themes
            .into_iter()
            .map(|(name, keywords)| Theme {
                name: name.into(),
                keywords: keywords
                    .into_iter()
                    .map(|k| words(k.as_ref()))
                    .filter(|k| !k.is_empty())
                    .collect(),
            })
            .collect();
        ThemeMatcher { themes }
    }

    /// The theme names in declaration order.
    pub fn themes(&self) -> impl Iterator<Item = &str> {
        self.themes.iter().map(|t| t.name.as_str())
    }

    /// The themes a verbatim mentions, in declaration order, each at most once.
    pub fn matches(&self, verbatim: &str) -> Vec<&str> {
        let words = words(verbatim);
        self.matching_indices(&words)
            .map(|i| self.themes[i].name.as_str())
            .collect()
    }

    fn matching_indices<'a>(&'a self, words: &'a [String]) -> impl Iterator<Item = usize> + 'a {
        self.themes
            .iter()
            .enumerate()
            .filter_map(move |(i, theme)| {
                theme
                    .keywords
                    .iter()
                    .any(|k| words.windows(k.len()).any(|w| w == k.as_slice()))
                    .then_some(i)
            })
    }
}

/// One value per NPS category, so theme counts can be split by promoters, passives and
/// detractors ("top theme in detractors' verbatims").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CategoryCounts {
    /// Verbatims from promoters (9–10).
    pub promoters: u64,
    /// Verbatims from passives (7–8).
    pub passives: u64,
    /// Verbatims from detractors (0–6).
    pub detractors: u64,
}

impl CategoryCounts {
    /// The count for one category.
    pub fn get(&self, category: NpsCategory) -> u64 {
        match category {
            NpsCategory::Promoter => self.promoters,
            NpsCategory::Passive => self.passives,
            NpsCategory::Detractor => self.detractors,
        }
    }

    fn add(&mut self, category: NpsCategory) {
        let slot = match category {
            NpsCategory::Promoter => &mut self.promoters,
            NpsCategory::Passive => &mut self.passives,
            NpsCategory::Detractor => &mut self.detractors,
        };
        *slot = slot.saturating_add(1);
    }
}

/// How often a theme is mentioned among the counted verbatims.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeCount {
    /// The theme name.
    pub theme: String,
    /// Verbatims mentioning it.
    pub count: u64,
    /// Percent of all counted verbatims mentioning it.
    pub share: f64,
    /// Verbatims mentioning it, per NPS category of their respondent.
    pub by_category: CategoryCounts,
}

impl ThemeCount {
    /// Percent of one category's verbatims that mention the theme; `None` when that
    /// category has no verbatims. `totals` is [`ThemeCounter::verbatims_by_category`].
    pub fn share_in(&self, category: NpsCategory, totals: &CategoryCounts) -> Option<f64> {
        let total = totals.get(category);
        (total > 0).then(|| 100.0 * self.by_category.get(category) as f64 / total as f64)
    }
}

/// Counts theme mentions over a stream of verbatims (e.g. one period × group).
#[derive(Debug, Clone)]
pub struct ThemeCounter<'m> {
    matcher: &'m ThemeMatcher,
    verbatims: u64,
    by_category: CategoryCounts,
    counts: Vec<(u64, CategoryCounts)>,
}

impl<'m> ThemeCounter<'m> {
    /// An empty tally for the themes of `matcher`.
    pub fn new(matcher: &'m ThemeMatcher) -> Self {
        ThemeCounter {
            matcher,
            verbatims: 0,
            by_category: CategoryCounts::default(),
            counts: vec![(0, CategoryCounts::default()); matcher.themes.len()],
        }
    }

    /// Counts one verbatim, with the NPS category of its respondent when the survey has
    /// an NPS question. Blank verbatims (no word) are not counted at all.
    pub fn add(&mut self, verbatim: &str, category: Option<NpsCategory>) {
        let words = words(verbatim);
        if words.is_empty() {
            return;
        }
        self.verbatims = self.verbatims.saturating_add(1);
        if let Some(c) = category {
            self.by_category.add(c);
        }
        for i in self.matcher.matching_indices(&words) {
            if let Some((count, split)) = self.counts.get_mut(i) {
                *count = count.saturating_add(1);
                if let Some(c) = category {
                    split.add(c);
                }
            }
        }
    }

    /// Number of (non-blank) verbatims counted: the denominator of every share.
    pub fn verbatims(&self) -> u64 {
        self.verbatims
    }

    /// Number of counted verbatims per NPS category, the denominators of per-category shares.
    pub fn verbatims_by_category(&self) -> CategoryCounts {
        self.by_category
    }

    /// Every theme with its count and share, most mentioned first (declaration order on
    /// ties); empty when no verbatim was counted.
    pub fn counts(&self) -> Vec<ThemeCount> {
        if self.verbatims == 0 {
            return Vec::new();
        }
        let mut counts: Vec<ThemeCount> = self
            .matcher
            .themes
            .iter()
            .zip(&self.counts)
            .map(|(theme, &(count, by_category))| ThemeCount {
                theme: theme.name.clone(),
                count,
                share: 100.0 * count as f64 / self.verbatims as f64,
                by_category,
            })
            .collect();
        counts.sort_by_key(|c| std::cmp::Reverse(c.count));
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> ThemeMatcher {
        ThemeMatcher::new([
            ("délai", vec!["délai", "retard", "attente"]),
            ("prix", vec!["prix", "cher", "tarif"]),
            ("accueil", vec!["accueil", "aimable", "service client"]),
            ("produit", vec!["gâteau", "jeu"]),
        ])
    }

    #[test]
    fn folding() {
        assert_eq!(words("Délais trop longs !"), vec!["delai", "trop", "long"]);
        // "très" folds like a plural ("tre"): harmless, keywords fold the same way.
        assert_eq!(
            words("L’accueil, très AIMABLE"),
            vec!["l", "accueil", "tre", "aimable"]
        );
        assert_eq!(words("cœur Straße ﬁn"), vec!["coeur", "strasse", "fin"]);
        assert_eq!(
            words("prix express jeux bus"),
            vec!["prix", "express", "jeu", "bus"]
        );
        assert_eq!(words("  ... "), Vec::<String>::new());
    }

    #[test]
    fn accents_case_and_plurals() {
        let m = matcher();
        assert_eq!(m.matches("Délais trop longs"), vec!["délai"]);
        assert_eq!(m.matches("DELAI non respecté"), vec!["délai"]);
        assert_eq!(m.matches("des retards à chaque fois"), vec!["délai"]);
        assert_eq!(m.matches("Les gateaux étaient bons"), vec!["produit"]);
        assert_eq!(m.matches("Les jeux sont chers"), vec!["prix", "produit"]);
    }

    #[test]
    fn word_boundaries() {
        let m = matcher();
        // "cher" inside "chercher" and "tarif" inside "tarification" are not words.
        assert_eq!(
            m.matches("j'ai dû chercher la tarification"),
            Vec::<&str>::new()
        );
        // "pris" is not "prix".
        assert_eq!(m.matches("j'ai pris le colis"), Vec::<&str>::new());
        assert_eq!(m.matches("Prix: trop élevé."), vec!["prix"]);
    }

    #[test]
    fn multi_word_keywords() {
        let m = matcher();
        assert_eq!(m.matches("Le Service-Client m'a rappelé"), vec!["accueil"]);
        assert_eq!(
            m.matches("service rapide, client content"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn several_themes_each_once() {
        let m = matcher();
        assert_eq!(
            m.matches("Trop cher, et du retard, encore du retard. Accueil correct."),
            vec!["délai", "prix", "accueil"]
        );
        assert_eq!(
            m.themes().collect::<Vec<_>>(),
            vec!["délai", "prix", "accueil", "produit"]
        );
    }

    #[test]
    fn counter_counts_and_shares() {
        let m = matcher();
        let mut counter = ThemeCounter::new(&m);
        counter.add("Délais trop longs", Some(NpsCategory::Detractor));
        counter.add("Retard et trop cher", Some(NpsCategory::Detractor));
        counter.add("Accueil très aimable", Some(NpsCategory::Promoter));
        counter.add("Bien, un peu cher", Some(NpsCategory::Passive));
        counter.add("   ", Some(NpsCategory::Promoter));
        counter.add("Rien à dire", None);

        // 5 non-blank verbatims; délai 2, prix 2, accueil 1, produit 0.
        assert_eq!(counter.verbatims(), 5);
        let totals = counter.verbatims_by_category();
        assert_eq!(
            totals,
            CategoryCounts {
                promoters: 1,
                passives: 1,
                detractors: 2
            }
        );
        let counts = counter.counts();
        let names: Vec<&str> = counts.iter().map(|c| c.theme.as_str()).collect();
        assert_eq!(names, vec!["délai", "prix", "accueil", "produit"]);
        assert_eq!(counts[0].count, 2);
        assert_eq!(counts[0].share, 40.0); // 2 / 5
        assert_eq!(counts[0].by_category.detractors, 2);
        // délai: 2 of the 2 detractors' verbatims = 100 %.
        assert_eq!(
            counts[0].share_in(NpsCategory::Detractor, &totals),
            Some(100.0)
        );
        // prix: 1 detractor of 2 = 50 %, 1 passive of 1 = 100 %.
        assert_eq!(
            counts[1].share_in(NpsCategory::Detractor, &totals),
            Some(50.0)
        );
        assert_eq!(
            counts[1].share_in(NpsCategory::Passive, &totals),
            Some(100.0)
        );
        assert_eq!(counts[2].share, 20.0);
        assert_eq!(counts[3].count, 0);
        assert_eq!(counts[3].share, 0.0);
    }

    #[test]
    fn counter_empty_and_missing_category() {
        let m = matcher();
        let mut counter = ThemeCounter::new(&m);
        assert!(counter.counts().is_empty());
        counter.add("retard", None);
        let counts = counter.counts();
        assert_eq!(counts[0].count, 1);
        let totals = counter.verbatims_by_category();
        assert_eq!(counts[0].share_in(NpsCategory::Promoter, &totals), None);
    }

    #[test]
    fn punctuation_only_keywords_are_dropped() {
        let m = ThemeMatcher::new([("vide", vec!["...", ""])]);
        assert_eq!(m.matches("... !"), Vec::<&str>::new());
    }
}
