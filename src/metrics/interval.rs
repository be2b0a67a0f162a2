//! Confidence intervals that stay honest at any number of answers.
//!
//! The textbook Wald interval p̂ ± z·√(p̂(1−p̂)/n) says "100 % ±0" for 2 answers out of 2 and
//! can leave its range; the intervals here do not:
//! - shares: the Wilson score interval (Wilson 1927);
//! - NPS: the adjusted-Wald interval of Rocks (2016), recommended by Sauro & Lewis;
//! - means: Student's t with n − 1 degrees of freedom, clamped to the scale.

use std::ops::RangeInclusive;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A confidence level 1 − α, the one place where a level becomes a quantile, so every
/// interval of a report (and a plan's expected margins) has the same confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confidence {
    alpha: f64,
}

impl Confidence {
    /// 95 %, the level of `moe95` and of plans.
    pub const NINETY_FIVE: Confidence = Confidence { alpha: 0.05 };

    /// The level 1 − `alpha`; `None` unless 0 < α < 1.
    pub fn from_alpha(alpha: f64) -> Option<Self> {
        (alpha > 0.0 && alpha < 1.0).then_some(Confidence { alpha })
    }

    /// The level in percent (95 for α = 0.05), as reports name it.
    pub fn percent(self) -> f64 {
        100.0 * (1.0 - self.alpha)
    }

    /// The level in percent as people read it, without trailing zeros: `95`, `99.9`.
    pub fn percent_text(self) -> String {
        let text = super::display::fixed(self.percent(), 4);
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }

    /// The level as it names report columns: `95` for `moe95`, `90`, `99_9` for 99.9 %.
    pub fn name(self) -> String {
        self.percent_text().replace('.', "_")
    }

    /// The two-sided standard normal quantile z₁₋α/₂ (1.959964 at 95 %).
    pub fn z(self) -> f64 {
        Normal::standard().inverse_cdf(1.0 - self.alpha / 2.0)
    }

    /// The two-sided Student quantile t₁₋α/₂ with `df` degrees of freedom; `None` for
    /// df ≤ 0.
    pub fn t(self, df: f64) -> Option<f64> {
        let t = StudentsT::new(0.0, 1.0, df).ok()?;
        Some(t.inverse_cdf(1.0 - self.alpha / 2.0))
    }
}

/// A confidence interval in the KPI's unit; `low ≤ high`, never outside the KPI's range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// `centre ± half`, clamped to `range`.
    fn around(centre: f64, half: f64, range: RangeInclusive<f64>) -> Self {
        Interval {
            low: (centre - half).clamp(*range.start(), *range.end()),
            high: (centre + half).clamp(*range.start(), *range.end()),
        }
    }

    /// Half the width: what `moe95` reports, and what "±" shows when the interval is
    /// symmetric around the value.
    pub fn half_width(self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// Wilson score interval of `successes` out of `n`, in percent:
/// (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). `None` when n = 0 or
/// successes > n.
pub fn wilson(successes: u64, n: u64, confidence: Confidence) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z = confidence.z();
    let z2 = z * z;
    let denominator = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Some(Interval::around(100.0 * centre, 100.0 * half, 0.0..=100.0))
}

/// Adjusted-Wald NPS interval (Rocks 2016), in points: with n′ = n + 3, p₊′ = (promoters +
/// ¾)/n′ and p₋′ = (detractors + ¾)/n′, 100·((p₊′ − p₋′) ± z·√((p₊′ + p₋′ − (p₊′ − p₋′)²)/n′)),
/// clamped to −100…100, and widened to reach the observed NPS where the adjusted centre leaves
/// it out (one answer: a single detractor's −100 lies below −98.5), so an interval always
/// contains the score it is shown with. `None` without answers (n = 0) or when the counts
/// exceed n.
pub fn nps_adjusted_wald(
    promoters: u64,
    detractors: u64,
    n: u64,
    confidence: Confidence,
) -> Option<Interval> {
    if n == 0 || promoters.saturating_add(detractors) > n {
        return None;
    }
    let adjusted_n = n as f64 + 3.0;
    let plus = (promoters as f64 + 0.75) / adjusted_n;
    let minus = (detractors as f64 + 0.75) / adjusted_n;
    let adjusted = plus - minus;
    let variance = (plus + minus - adjusted * adjusted).max(0.0);
    let half = confidence.z() * (variance / adjusted_n).sqrt();
    let interval = Interval::around(100.0 * adjusted, 100.0 * half, -100.0..=100.0);
    let observed = 100.0 * (promoters as f64 - detractors as f64) / n as f64;
    Some(Interval {
        low: interval.low.min(observed),
        high: interval.high.max(observed),
    })
}

/// Student's t interval of a mean: mean ± t₁₋α/₂,ₙ₋₁ · s/√n, clamped to `scale`. `None` for
/// fewer than 2 answers (no spread to estimate).
pub fn mean_t(
    mean: f64,
    std_dev: f64,
    n: u64,
    scale: RangeInclusive<f64>,
    confidence: Confidence,
) -> Option<Interval> {
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let t = confidence.t(nf - 1.0)?;
    Some(Interval::around(mean, t * std_dev / nf.sqrt(), scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    const C95: Confidence = Confidence::NINETY_FIVE;
    /// z₀.₉₇₅ from a normal table.
    const Z: f64 = 1.959_963_985;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn assert_interval(i: Interval, low: f64, high: f64, tol: f64) {
        assert!(
            close(i.low, low, tol) && close(i.high, high, tol),
            "{i:?} vs [{low}, {high}]"
        );
    }

    #[test]
    fn quantiles() {
        assert!(close(C95.z(), Z, 1e-9), "{}", C95.z());
        assert_eq!(C95.percent(), 95.0);
        // z₀.₉₅ = 1.644854 for α = 0.10.
        let c90 = Confidence::from_alpha(0.10).expect("level");
        assert!(close(c90.z(), 1.644_854, 1e-6));
        assert!(close(c90.percent(), 90.0, 1e-12));
        assert_eq!(C95.name(), "95");
        assert_eq!(c90.name(), "90");
        assert_eq!(Confidence::from_alpha(0.001).expect("level").name(), "99_9");
        // t₀.₉₇₅ with 7 df = 2.364624 (t table); with 1 df = 12.706205.
        assert!(close(C95.t(7.0).expect("df"), 2.364_624, 1e-6));
        assert!(close(C95.t(1.0).expect("df"), 12.706_205, 1e-6));
        assert_eq!(C95.t(0.0), None);
        assert_eq!(Confidence::from_alpha(0.0), None);
        assert_eq!(Confidence::from_alpha(1.0), None);
    }

    #[test]
    fn wilson_by_hand() {
        // 80 of 200: p = 0.4, z² = 3.841459, z²/n = 0.019207, 1 + z²/n = 1.019207
        // centre = (0.4 + 0.0096037) / 1.019207 = 0.401887
        // half = 1.959964 / 1.019207 · √(0.0012 + 3.841459/160000)
        //      = 1.923029 · √0.00122401 = 1.923029 · 0.0349859 = 0.067279
        // → [33.4606, 46.9163] %
        let i = wilson(80, 200, C95).expect("share");
        assert_interval(i, 33.4606, 46.9163, 1e-3);
        // Asymmetric: the centre is pulled towards 50 %.
        assert!(close(i.half_width(), 6.7279, 1e-3));
    }

    #[test]
    fn wilson_small_n() {
        assert_eq!(wilson(0, 0, C95), None);
        assert_eq!(wilson(3, 2, C95), None);
        // n = 1, 1 success: 1 + z² = 4.841459
        // centre = (1 + 1.920729) / 4.841459 = 0.603275
        // half = 1.959964 / 4.841459 · √(z²/4) = 0.404829 · 0.979982 = 0.396725
        // → [20.6549, 100] %
        assert_interval(wilson(1, 1, C95).expect("share"), 20.6549, 100.0, 1e-3);
        // n = 1, no success: the mirror image → [0, 79.3451] %
        assert_interval(wilson(0, 1, C95).expect("share"), 0.0, 79.3451, 1e-3);
        // n = 2, 2 successes: 1 + z²/2 = 2.920730
        // centre = (1 + 0.960365) / 2.920730 = 0.671190
        // half = 1.959964 / 2.920730 · √(z²/16) = 0.671054 · 0.489991 = 0.328810
        // → [34.2380, 100] % where Wald said 100 % ± 0.
        assert_interval(wilson(2, 2, C95).expect("share"), 34.2380, 100.0, 1e-3);
        // n = 2, 1 success: centre = (0.5 + 0.960365) / 2.920730 = 0.5
        // half = 0.671054 · √(0.125 + 0.240091) = 0.671054 · 0.604228 = 0.405469
        // → [9.4531, 90.5469] %
        assert_interval(wilson(1, 2, C95).expect("share"), 9.4531, 90.5469, 1e-3);
    }

    #[test]
    fn nps_by_hand() {
        // 165 promoters, 72 passives, 53 detractors (n = 290): n′ = 293
        // p₊′ = 165.75/293 = 0.565700, p₋′ = 53.75/293 = 0.183447, NPS′ = 0.382253
        // v = 0.749147 − 0.146117 = 0.603030, se = √(0.603030/293) = 0.045367
        // z·se = 0.088917 → [29.3336, 47.1169]
        let i = nps_adjusted_wald(165, 53, 290, C95).expect("answers");
        assert_interval(i, 29.3336, 47.1169, 1e-3);
    }

    #[test]
    fn nps_edges() {
        assert_eq!(nps_adjusted_wald(0, 0, 0, C95), None);
        assert_eq!(nps_adjusted_wald(2, 2, 3, C95), None);
        // All promoters, n = 50: n′ = 53, p₊′ = 50.75/53 = 0.957547, p₋′ = 0.75/53 = 0.014151
        // NPS′ = 0.943396, v = 0.971698 − 0.889996 = 0.081702, se = √(0.081702/53) = 0.039263
        // z·se = 0.076953 → [86.6443, 102.0349] clamped to [86.6443, 100]
        assert_interval(
            nps_adjusted_wald(50, 0, 50, C95).expect("answers"),
            86.6443,
            100.0,
            1e-3,
        );
        // All detractors, n = 50: the mirror image → [−100, −86.6443]
        assert_interval(
            nps_adjusted_wald(0, 50, 50, C95).expect("answers"),
            -100.0,
            -86.6443,
            1e-3,
        );
        // One detractor: n′ = 4, p₊′ = 0.1875, p₋′ = 0.4375, NPS′ = −0.25
        // v = 0.625 − 0.0625 = 0.5625, se = √(0.5625/4) = 0.375, z·se = 0.734986
        // → [−98.4986, 48.4986], which leaves out the observed NPS, 100 · (0 − 1)/1 = −100:
        // widened to [−100, 48.4986]
        assert_interval(
            nps_adjusted_wald(0, 1, 1, C95).expect("answers"),
            -100.0,
            48.4986,
            1e-3,
        );
        // One promoter: the mirror image, [−48.4986, 98.4986] widened to reach 100
        assert_interval(
            nps_adjusted_wald(1, 0, 1, C95).expect("answers"),
            -48.4986,
            100.0,
            1e-3,
        );
        // One promoter and one detractor: n′ = 5, p₊′ = p₋′ = 0.35, NPS′ = 0
        // v = 0.7, se = √0.14 = 0.374166, z·se = 0.733351 → [−73.3351, 73.3351]
        assert_interval(
            nps_adjusted_wald(1, 1, 2, C95).expect("answers"),
            -73.3351,
            73.3351,
            1e-3,
        );
    }

    #[test]
    fn mean_by_hand() {
        // CES answers 2, 4, 4, 5, 6, 6, 7, 7: mean 5.125, s = 1.726888 (see ces.rs)
        // t₀.₉₇₅,₇ = 2.364624, s/√8 = 0.610547, half = 1.443714 → [3.681286, 6.568714]
        let i = mean_t(5.125, 1.726_888, 8, 1.0..=7.0, C95).expect("n ≥ 2");
        assert_interval(i, 3.681286, 6.568714, 1e-5);
        // n = 2 (answers 1 and 7): mean 4, s = √18 = 4.242641, t₀.₉₇₅,₁ = 12.706205
        // half = 12.706205 · 4.242641 / √2 = 38.1186 → clamped to the scale [1, 7]
        let i = mean_t(4.0, 18f64.sqrt(), 2, 1.0..=7.0, C95).expect("n ≥ 2");
        assert_interval(i, 1.0, 7.0, 1e-12);
        assert_eq!(mean_t(6.0, 0.0, 1, 1.0..=7.0, C95), None);
        assert_eq!(mean_t(6.0, 0.0, 0, 1.0..=7.0, C95), None);
    }
}
