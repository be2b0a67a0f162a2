//! Net Promoter Score from a 0–10 histogram.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Confidence, Estimate, Histogram, Interval, nps_adjusted_wald};

/// Where a 0–10 answer puts a respondent, so reports can split counts and themes by it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::AsRefStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NpsCategory {
    /// 9–10.
    Promoter,
    /// 7–8.
    Passive,
    /// 0–6.
    Detractor,
}

impl NpsCategory {
    /// The category of a 0–10 answer; `None` above 10.
    pub fn of(score: u8) -> Option<Self> {
        match score {
            0..=6 => Some(NpsCategory::Detractor),
            7..=8 => Some(NpsCategory::Passive),
            9..=10 => Some(NpsCategory::Promoter),
            _ => None,
        }
    }
}

/// The NPS of a group with what its margin and significance tests need.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Nps {
    /// Number of 0–10 answers.
    pub n: u64,
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
    /// 100 · (p₊ − p₋), in points (−100…100).
    pub score: f64,
    /// Variance of one answer on the −1/0/+1 scale: p₊ + p₋ − (p₊ − p₋)².
    pub variance: f64,
}

impl Nps {
    /// Computes the NPS of a 0–10 histogram; `None` when it has no answers.
    pub fn from_histogram(h: &Histogram) -> Option<Self> {
        let promoters = h.count_in(9..=10);
        let passives = h.count_in(7..=8);
        let detractors = h.count_in(0..=6);
        let n = promoters
            .saturating_add(passives)
            .saturating_add(detractors);
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let p_plus = promoters as f64 / nf;
        let p_minus = detractors as f64 / nf;
        let diff = p_plus - p_minus;
        // Rounding can push an exact zero slightly negative (e.g. all promoters).
        let variance = (p_plus + p_minus - diff * diff).max(0.0);
        Some(Nps {
            n,
            promoters,
            passives,
            detractors,
            // From the counts, not the rounded shares: 35 promoters and 10 detractors of 50
            // give exactly 50, not 49.999….
            score: 100.0 * (promoters as f64 - detractors as f64) / nf,
            variance,
        })
    }

    /// The adjusted-Wald interval in points (see [`nps_adjusted_wald`]).
    pub fn interval(&self, confidence: Confidence) -> Option<Interval> {
        nps_adjusted_wald(self.promoters, self.detractors, self.n, confidence)
    }

    /// The report figure: score and interval in points.
    pub fn estimate(&self, confidence: Confidence) -> Estimate {
        Estimate {
            n: self.n,
            value: self.score,
            interval: self.interval(confidence),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// 165 promoters (all 10), 72 passives (all 8), 53 detractors (all 3).
    fn seeds_example() -> Histogram {
        let mut h = Histogram::new();
        h.add_n(10, 165).expect("valid");
        h.add_n(8, 72).expect("valid");
        h.add_n(3, 53).expect("valid");
        h
    }

    #[test]
    fn categories() {
        assert_eq!(NpsCategory::of(0), Some(NpsCategory::Detractor));
        assert_eq!(NpsCategory::of(6), Some(NpsCategory::Detractor));
        assert_eq!(NpsCategory::of(7), Some(NpsCategory::Passive));
        assert_eq!(NpsCategory::of(8), Some(NpsCategory::Passive));
        assert_eq!(NpsCategory::of(9), Some(NpsCategory::Promoter));
        assert_eq!(NpsCategory::of(10), Some(NpsCategory::Promoter));
        assert_eq!(NpsCategory::of(11), None);
    }

    #[test]
    fn seeds_example_gives_39() {
        // n = 165 + 72 + 53 = 290
        // p₊ = 165/290 = 0.568966, p₋ = 53/290 = 0.182759
        // NPS = 100 · 112/290 = 38.6207 → 39 once rounded for people
        // p₊ + p₋ = 218/290 = 0.7517241; (p₊ − p₋)² = 0.3862069² = 0.1491558
        // v = 0.7517241 − 0.1491558 = 0.6025684
        // The interval is the adjusted-Wald one (counts in interval.rs): [29.3336, 47.1169].
        let nps = Nps::from_histogram(&seeds_example()).expect("answers");
        assert_eq!(nps.n, 290);
        assert_eq!((nps.promoters, nps.passives, nps.detractors), (165, 72, 53));
        assert!(close(nps.score, 38.6207, 1e-4), "{}", nps.score);
        assert_eq!(nps.score.round(), 39.0);
        assert!(close(nps.variance, 0.6025684, 1e-6), "{}", nps.variance);
        let i = nps.interval(Confidence::NINETY_FIVE).expect("answers");
        assert!(
            close(i.low, 29.3336, 1e-3) && close(i.high, 47.1169, 1e-3),
            "{i:?}"
        );
    }

    #[test]
    fn all_promoters_has_zero_variance_but_an_interval() {
        // p₊ = 1, p₋ = 0: NPS = 100, v = 1 + 0 − 1² = 0; the adjusted-Wald interval still
        // has a width: n′ = 53, p₊′ = 50.75/53, p₋′ = 0.75/53 → [86.6443, 100].
        let mut h = Histogram::new();
        h.add_n(9, 20).expect("valid");
        h.add_n(10, 30).expect("valid");
        let nps = Nps::from_histogram(&h).expect("answers");
        assert_eq!(nps.score, 100.0);
        assert_eq!(nps.variance, 0.0);
        let i = nps.interval(Confidence::NINETY_FIVE).expect("answers");
        assert!(close(i.low, 86.6443, 1e-3) && i.high == 100.0, "{i:?}");
        assert_eq!(nps.promoters, 50);
    }

    #[test]
    fn all_detractors_and_all_passives() {
        let mut h = Histogram::new();
        h.add_n(0, 4).expect("valid");
        let nps = Nps::from_histogram(&h).expect("answers");
        assert_eq!(nps.score, -100.0);
        assert_eq!(nps.variance, 0.0);

        let mut h = Histogram::new();
        h.add_n(7, 4).expect("valid");
        let nps = Nps::from_histogram(&h).expect("answers");
        assert_eq!(nps.score, 0.0);
        assert_eq!(nps.variance, 0.0);
        assert_eq!(nps.passives, 4);
    }

    #[test]
    fn one_answer() {
        // A single detractor: p₋ = 1, NPS = −100, v = 0 + 1 − 1 = 0; the interval is not
        // "±0": n′ = 4, p₊′ = 0.1875, p₋′ = 0.4375 → [−98.4986, 48.4986], widened to hold
        // the score −100 → [−100, 48.4986] (interval.rs).
        let h: Histogram = [5].into_iter().collect();
        let nps = Nps::from_histogram(&h).expect("answers");
        assert_eq!(nps.n, 1);
        assert_eq!(nps.score, -100.0);
        let i = nps.interval(Confidence::NINETY_FIVE).expect("answers");
        assert!(
            close(i.low, -100.0, 1e-3) && close(i.high, 48.4986, 1e-3),
            "{i:?}"
        );
    }

    #[test]
    fn half_promoters_half_detractors() {
        // p₊ = p₋ = 0.5: NPS = 0, v = 1 − 0 = 1 (the maximum).
        // Adjusted: n′ = 103, p₊′ = p₋′ = 50.75/103 = 0.492718, v′ = 0.985437,
        // half = 100 · 1.959964 · √(0.985437/103) = 195.9964 · 0.097813 = 19.1710.
        let mut h = Histogram::new();
        h.add_n(10, 50).expect("valid");
        h.add_n(2, 50).expect("valid");
        let nps = Nps::from_histogram(&h).expect("answers");
        assert_eq!(nps.score, 0.0);
        assert!(close(nps.variance, 1.0, 1e-12));
        let i = nps.interval(Confidence::NINETY_FIVE).expect("answers");
        assert!(
            close(i.high, 19.1710, 1e-3) && close(i.low, -i.high, 1e-9),
            "{i:?}"
        );
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(Nps::from_histogram(&Histogram::new()), None);
    }

    #[test]
    fn estimate_carries_score_and_margin() {
        let nps = Nps::from_histogram(&seeds_example()).expect("answers");
        let e = nps.estimate(Confidence::NINETY_FIVE);
        assert_eq!(e.n, 290);
        assert_eq!(e.value, nps.score);
        assert_eq!(e.interval, nps.interval(Confidence::NINETY_FIVE));
    }
}
