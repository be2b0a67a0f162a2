//! Whether a change between two periods is real or noise.
//!
//! All tests are two-sided. A change is significant when its p-value is below α and both
//! periods have at least [`MIN_N_FOR_SIGNIFICANCE`] answers; below that the normal
//! approximations are unreliable, so the result is [`Significance::TooFew`] (the p-value is
//! still given when it can be computed).
//!
//! Zero variance: when the standard error of the difference is 0 (e.g. both periods all
//! promoters), identical values give p = 1 and different values give p = 0, never NaN.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::{Confidence, Interval, Mean, Nps, Proportion};

/// The default two-sided significance level.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// Below this many answers in either period a change is never called significant.
pub const MIN_N_FOR_SIGNIFICANCE: u64 = 30;

/// Differences smaller than this are treated as zero when the standard error is zero, so
/// rounding noise in two equal shares does not read as a certain change.
const EPSILON: f64 = 1e-12;

/// The verdict on a change, as reports print it (`significant`, `not_significant`, `too_few`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    /// p < α with enough answers on both sides.
    Significant,
    /// p ≥ α with enough answers on both sides.
    NotSignificant,
    /// Fewer than [`MIN_N_FOR_SIGNIFICANCE`] answers in a period: shown, never significant.
    TooFew,
    /// The question measuring the KPI changed definition (type, scale, options) between
    /// the periods: no change is computed.
    NotComparable,
    /// The data carry no spread to test the change with (a quotient of two totals, a
    /// volume, a mean imported without its standard deviation): the change is shown, no
    /// p-value is guessed.
    Unknown,
}

/// A change between the current and a reference period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// Current − reference, in the KPI's unit (points, percentage points, scale units).
    pub delta: f64,
    /// Two-sided p-value; `None` when the test is undefined (an empty period, or a mean of a
    /// single answer).
    pub p_value: Option<f64>,
    /// The verdict at the requested α.
    pub significance: Significance,
    /// The change's interval at 1 − α (unpooled standard error; Welch's degrees of freedom
    /// for means), in the unit of `delta`; `None` when the test is undefined.
    pub interval: Option<Interval>,
}

impl Comparison {
    fn new(delta: f64, p_value: Option<f64>, n_current: u64, n_reference: u64, alpha: f64) -> Self {
        let significance = if n_current.min(n_reference) < MIN_N_FOR_SIGNIFICANCE {
            Significance::TooFew
        } else {
            match p_value {
                Some(p) if p < alpha => Significance::Significant,
                _ => Significance::NotSignificant,
            }
        };
        Comparison {
            delta,
            p_value,
            significance,
            interval: None,
        }
    }

    /// The same comparison with `delta ± quantile · se` as its interval.
    fn within(self, half_width: Option<f64>) -> Self {
        Comparison {
            interval: half_width.map(|half| Interval {
                low: self.delta - half,
                high: self.delta + half,
            }),
            ..self
        }
    }
}

/// The normal quantile of the level 1 − α (95 % for an α out of range).
fn z_of(alpha: f64) -> f64 {
    Confidence::from_alpha(alpha)
        .unwrap_or(Confidence::NINETY_FIVE)
        .z()
}

/// Two-sided p-value of a z statistic `diff / se`, with the zero-variance rule.
fn z_p_value(diff: f64, se: f64) -> f64 {
    if se > 0.0 {
        (2.0 * Normal::standard().sf((diff / se).abs())).min(1.0)
    } else {
        zero_se_p_value(diff)
    }
}

/// With no sampling spread at all, equal values cannot differ and different ones surely do.
fn zero_se_p_value(diff: f64) -> f64 {
    if diff.abs() < EPSILON { 1.0 } else { 0.0 }
}

/// NPS change: z = (NPS₁ − NPS₂) / (100 · √(v₁/n₁ + v₂/n₂)).
pub fn compare_nps(current: &Nps, reference: &Nps, alpha: f64) -> Comparison {
    let delta = current.score - reference.score;
    let p = (current.n > 0 && reference.n > 0).then(|| {
        let se = (current.variance / current.n as f64 + reference.variance / reference.n as f64)
            .max(0.0)
            .sqrt();
        (z_p_value(delta / 100.0, se), 100.0 * z_of(alpha) * se)
    });
    Comparison::new(delta, p.map(|(p, _)| p), current.n, reference.n, alpha)
        .within(p.map(|(_, half)| half))
}

/// Change of a share (CSAT, FCR, response rate): pooled two-proportion z-test,
/// z = (p₁ − p₂) / √(p̂(1 − p̂)(1/n₁ + 1/n₂)) with p̂ = (x₁ + x₂)/(n₁ + n₂).
pub fn compare_proportions(current: &Proportion, reference: &Proportion, alpha: f64) -> Comparison {
    let delta = current.percent - reference.percent;
    let p = (current.n > 0 && reference.n > 0).then(|| {
        let (n1, n2) = (current.n as f64, reference.n as f64);
        let pooled = (current.successes as f64 + reference.successes as f64) / (n1 + n2);
        let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
            .max(0.0)
            .sqrt();
        let (f1, f2) = (current.fraction(), reference.fraction());
        let unpooled = (f1 * (1.0 - f1) / n1 + f2 * (1.0 - f2) / n2)
            .max(0.0)
            .sqrt();
        (z_p_value(f1 - f2, se), 100.0 * z_of(alpha) * unpooled)
    });
    Comparison::new(delta, p.map(|(p, _)| p), current.n, reference.n, alpha)
        .within(p.map(|(_, half)| half))
}

/// Change of a mean (CES): Welch's t-test, t = (m₁ − m₂)/√(s₁²/n₁ + s₂²/n₂), with
/// Welch–Satterthwaite degrees of freedom
/// df = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)).
///
/// The p-value is `None` when a period has a single answer (no standard deviation).
pub fn compare_means(current: &Mean, reference: &Mean, alpha: f64) -> Comparison {
    let delta = current.mean - reference.mean;
    let p = current
        .std_dev
        .zip(reference.std_dev)
        .and_then(|(s1, s2)| welch(delta, (s1, current.n), (s2, reference.n), alpha));
    Comparison::new(delta, p.map(|(p, _)| p), current.n, reference.n, alpha)
        .within(p.map(|(_, half)| half))
}

/// Welch's two-sided p-value and the half-width of the change's interval at 1 − α.
fn welch(diff: f64, (s1, n1): (f64, u64), (s2, n2): (f64, u64), alpha: f64) -> Option<(f64, f64)> {
    let (n1, n2) = (n1 as f64, n2 as f64);
    let a = s1 * s1 / n1;
    let b = s2 * s2 / n2;
    let se2 = a + b;
    if se2 <= 0.0 {
        return Some((zero_se_p_value(diff), 0.0));
    }
    let df = se2 * se2 / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    let quantile = Confidence::from_alpha(alpha)
        .unwrap_or(Confidence::NINETY_FIVE)
        .t(df)?;
    Some((
        (2.0 * t.sf((diff / se2.sqrt()).abs())).min(1.0),
        quantile * se2.sqrt(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Ces, Histogram};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn nps_of(counts: &[(u8, u64)]) -> Nps {
        let mut h = Histogram::new();
        for &(v, c) in counts {
            h.add_n(v, c).expect("valid");
        }
        Nps::from_histogram(&h).expect("answers")
    }

    #[test]
    fn nps_z_test_by_hand() {
        // Current: the seeds' example, 165 P / 72 Pa / 53 D of 290: NPS 38.6207,
        //   v₁ = 0.6025684, v₁/n₁ = 0.00207782.
        // Previous: 150 P / 80 Pa / 70 D of 300: NPS = 100 · 80/300 = 26.6667,
        //   v₂ = 220/300 − (80/300)² = 0.733333 − 0.071111 = 0.662222, v₂/n₂ = 0.00220741.
        // se = √(0.00207782 + 0.00220741) = √0.00428523 = 0.0654617
        // z = 0.1195402 / 0.0654617 = 1.826110
        // p = 2 · (1 − Φ(1.826110)) = 0.067834
        let current = nps_of(&[(10, 165), (8, 72), (3, 53)]);
        let previous = nps_of(&[(9, 150), (7, 80), (0, 70)]);
        let c = compare_nps(&current, &previous, DEFAULT_ALPHA);
        assert!(close(c.delta, 11.95402, 1e-5), "{}", c.delta);
        let p = c.p_value.expect("defined");
        assert!(close(p, 0.067834, 1e-5), "{p}");
        assert_eq!(c.significance, Significance::NotSignificant);
        // Interval of the change: 11.95402 ± 100 · 1.959964 · 0.0654617 = 11.95402 ± 12.83025.
        let interval = c.interval.expect("defined");
        assert!(close(interval.low, -0.87623, 1e-4), "{interval:?}");
        assert!(close(interval.high, 24.78427, 1e-4), "{interval:?}");
        // The same change is significant at α = 0.10.
        let c = compare_nps(&current, &previous, 0.10);
        assert_eq!(c.significance, Significance::Significant);
    }

    #[test]
    fn nps_zero_variance() {
        // Both periods all promoters: v = 0 on both sides, se = 0, delta = 0 → p = 1.
        let a = nps_of(&[(10, 40)]);
        let b = nps_of(&[(9, 35)]);
        let c = compare_nps(&a, &b, DEFAULT_ALPHA);
        assert_eq!(c.delta, 0.0);
        assert_eq!(c.p_value, Some(1.0));
        assert_eq!(c.significance, Significance::NotSignificant);
        // All promoters vs all detractors: se = 0, delta = 200 → p = 0.
        let d = nps_of(&[(0, 35)]);
        let c = compare_nps(&a, &d, DEFAULT_ALPHA);
        assert_eq!(c.delta, 200.0);
        assert_eq!(c.p_value, Some(0.0));
        assert_eq!(c.significance, Significance::Significant);
    }

    #[test]
    fn too_few_is_never_significant() {
        // 29 answers on one side: shown with its p-value, but too few.
        let a = nps_of(&[(10, 29)]);
        let b = nps_of(&[(0, 100)]);
        let c = compare_nps(&a, &b, DEFAULT_ALPHA);
        assert_eq!(c.p_value, Some(0.0));
        assert_eq!(c.significance, Significance::TooFew);
        let c = compare_nps(&b, &a, DEFAULT_ALPHA);
        assert_eq!(c.significance, Significance::TooFew);
        // n = 1 on both sides.
        let one = nps_of(&[(10, 1)]);
        let c = compare_nps(&one, &one, DEFAULT_ALPHA);
        assert_eq!(c.significance, Significance::TooFew);
        // Exactly 30 is enough.
        let thirty = nps_of(&[(10, 30)]);
        let c = compare_nps(&thirty, &b, DEFAULT_ALPHA);
        assert_eq!(c.significance, Significance::Significant);
    }

    #[test]
    fn pooled_proportion_z_test_by_hand() {
        // 90/100 vs 150/200: p̂ = 240/300 = 0.8
        // se = √(0.8 · 0.2 · (1/100 + 1/200)) = √(0.16 · 0.015) = √0.0024 = 0.0489898
        // z = (0.90 − 0.75) / 0.0489898 = 3.061862
        // p = 2 · (1 − Φ(3.061862)) = 0.0021996
        let current = Proportion::new(90, 100).expect("share");
        let previous = Proportion::new(150, 200).expect("share");
        let c = compare_proportions(&current, &previous, DEFAULT_ALPHA);
        assert!(close(c.delta, 15.0, 1e-9));
        let p = c.p_value.expect("defined");
        assert!(close(p, 0.0021996, 1e-6), "{p}");
        assert_eq!(c.significance, Significance::Significant);
        // Symmetric in direction.
        let back = compare_proportions(&previous, &current, DEFAULT_ALPHA);
        assert!(close(back.delta, -15.0, 1e-9));
        assert!(close(back.p_value.expect("defined"), p, 1e-15));
    }

    #[test]
    fn proportion_zero_variance() {
        // Both 100 %: pooled p̂ = 1, se = 0, equal shares → p = 1.
        let a = Proportion::new(40, 40).expect("share");
        let b = Proportion::new(50, 50).expect("share");
        let c = compare_proportions(&a, &b, DEFAULT_ALPHA);
        assert_eq!(c.p_value, Some(1.0));
        assert_eq!(c.significance, Significance::NotSignificant);
        let zero = Proportion::new(0, 50).expect("share");
        let c = compare_proportions(&zero, &Proportion::new(0, 60).expect("share"), 0.05);
        assert_eq!(c.p_value, Some(1.0));
    }

    #[test]
    fn identical_shares_are_not_significant() {
        let a = Proportion::new(30, 60).expect("share");
        let b = Proportion::new(50, 100).expect("share");
        let c = compare_proportions(&a, &b, DEFAULT_ALPHA);
        assert_eq!(c.delta, 0.0);
        assert_eq!(c.p_value, Some(1.0));
        assert_eq!(c.significance, Significance::NotSignificant);
    }

    #[test]
    fn welch_t_test_by_hand() {
        // Current: 7×10, 6×10, 5×10, 4×10 (n₁ = 40): m₁ = 5.5,
        //   Σ(x − m)² = 10 · (2.25 + 0.25 + 0.25 + 2.25) = 50, s₁² = 50/39 = 1.2820513
        //   a = s₁²/n₁ = 0.0320513
        // Previous: 6×10, 5×10, 3×10 (n₂ = 30): m₂ = 14/3 = 4.6666667,
        //   Σ(x − m)² = 10 · (1.777778 + 0.111111 + 2.777778) = 46.666667,
        //   s₂² = 46.666667/29 = 1.6091954, b = s₂²/n₂ = 0.0536398
        // se = √(a + b) = √0.0856911 = 0.2927305
        // t = 0.8333333 / 0.2927305 = 2.846760
        // df = 0.0856911² / (a²/39 + b²/29) = 0.00734296 / (0.00002634 + 0.00009922) = 58.4838
        // p = I_{df/(df+t²)}(df/2, 1/2) = 0.0060826
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        for v in [7, 6, 5, 4] {
            a.add_n(v, 10).expect("valid");
        }
        for v in [6, 5, 3] {
            b.add_n(v, 10).expect("valid");
        }
        let current = Ces::from_histogram(&a).expect("answers").mean;
        let previous = Ces::from_histogram(&b).expect("answers").mean;
        let c = compare_means(&current, &previous, DEFAULT_ALPHA);
        assert!(close(c.delta, 0.8333333, 1e-7));
        let p = c.p_value.expect("defined");
        assert!(close(p, 0.0060826, 1e-6), "{p}");
        assert_eq!(c.significance, Significance::Significant);
        // At α = 0.005 the same change is not significant.
        let c = compare_means(&current, &previous, 0.005);
        assert_eq!(c.significance, Significance::NotSignificant);
    }

    #[test]
    fn welch_edge_cases() {
        let constant = |v: u8, n: u64| {
            let mut h = Histogram::new();
            h.add_n(v, n).expect("valid");
            Mean::from_histogram(&h, 1..=7).expect("answers")
        };
        // Both periods constant and equal: se = 0 → p = 1.
        let c = compare_means(&constant(5, 40), &constant(5, 50), DEFAULT_ALPHA);
        assert_eq!(c.p_value, Some(1.0));
        assert_eq!(c.significance, Significance::NotSignificant);
        // Both constant, different: p = 0.
        let c = compare_means(&constant(6, 40), &constant(5, 50), DEFAULT_ALPHA);
        assert_eq!(c.p_value, Some(0.0));
        assert_eq!(c.significance, Significance::Significant);
        // One side constant: df = n_other − 1, still a finite p-value.
        let spread: Histogram = (0..40).map(|i| 3 + (i % 3) as u8).collect();
        let spread = Mean::from_histogram(&spread, 1..=7).expect("answers");
        let c = compare_means(&spread, &constant(4, 40), DEFAULT_ALPHA);
        let p = c.p_value.expect("defined");
        assert!((0.0..=1.0).contains(&p), "{p}");
        // A single answer has no standard deviation: no p-value, too few.
        let c = compare_means(&constant(7, 1), &constant(5, 50), DEFAULT_ALPHA);
        assert_eq!(c.p_value, None);
        assert_eq!(c.significance, Significance::TooFew);
    }

    #[test]
    fn empty_period_has_no_p_value() {
        // Built by hand (the constructors never give n = 0): no NaN, no verdict.
        let empty_nps = Nps {
            n: 0,
            promoters: 0,
            passives: 0,
            detractors: 0,
            score: 0.0,
            variance: 0.0,
        };
        let c = compare_nps(&nps_of(&[(10, 40)]), &empty_nps, DEFAULT_ALPHA);
        assert_eq!(c.p_value, None);
        assert_eq!(c.significance, Significance::TooFew);
        let empty_share = Proportion {
            n: 0,
            successes: 0,
            percent: 0.0,
        };
        let c = compare_proportions(&empty_share, &empty_share, DEFAULT_ALPHA);
        assert_eq!(c.p_value, None);
        assert_eq!(c.significance, Significance::TooFew);
    }

    #[test]
    fn significance_serde_names() {
        let json = serde_json::to_string(&[
            Significance::Significant,
            Significance::NotSignificant,
            Significance::TooFew,
        ])
        .expect("serialises");
        assert_eq!(json, r#"["significant","not_significant","too_few"]"#);
    }
}
