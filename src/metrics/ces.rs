//! Customer effort score (1–7, 7 = very easy) and the sample mean it rests on.

use std::ops::RangeInclusive;

use serde::Serialize;

use super::{Confidence, Estimate, Histogram, Interval, Proportion, mean_t};

/// A sample mean with its spread, as Welch's test and the interval of a mean need.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mean {
    /// Number of answers.
    pub n: u64,
    /// Arithmetic mean of the answers.
    pub mean: f64,
    /// Sample standard deviation s (divisor n − 1); `None` for a single answer.
    pub std_dev: Option<f64>,
    /// The lowest and highest possible values (a scale's ends; 0 and +∞ for an operational
    /// indicator such as a waiting time), which bound the mean's interval.
    pub scale: (f64, f64),
}

impl Mean {
    /// The mean of `n` values on `scale` known by their sum and the sum of their squares
    /// (mergeable counters, as audit scores are kept): s² = (Σx² − (Σx)²/n) ÷ (n − 1),
    /// floored at 0 against rounding. `None` when n is 0.
    pub fn from_sums(n: u64, sum: f64, squares: f64, scale: (f64, f64)) -> Option<Self> {
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let std_dev = (n > 1).then(|| ((squares - sum * sum / nf) / (nf - 1.0)).max(0.0).sqrt());
        Some(Mean {
            n,
            mean: sum / nf,
            std_dev,
            scale,
        })
    }

    /// The mean of the answers in `values` (others are ignored); `None` when there are none.
    pub fn from_histogram(h: &Histogram, values: RangeInclusive<u8>) -> Option<Self> {
        let n = h.count_in(values.clone());
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let weighted = |f: &dyn Fn(f64) -> f64| -> f64 {
            values
                .clone()
                .map(|v| h.count(v) as f64 * f(f64::from(v)))
                .sum()
        };
        let mean = weighted(&|v| v) / nf;
        // Two-pass sum of squares: exact for integer answers, no cancellation.
        let std_dev = (n > 1).then(|| (weighted(&|v| (v - mean) * (v - mean)) / (nf - 1.0)).sqrt());
        Some(Mean {
            n,
            mean,
            std_dev,
            scale: (f64::from(*values.start()), f64::from(*values.end())),
        })
    }

    /// Student's t interval, clamped to the scale; `None` for a single answer (see
    /// [`mean_t`]).
    pub fn interval(&self, confidence: Confidence) -> Option<Interval> {
        mean_t(
            self.mean,
            self.std_dev?,
            self.n,
            self.scale.0..=self.scale.1,
            confidence,
        )
    }

    /// The report figure: the mean on its scale.
    pub fn estimate(&self, confidence: Confidence) -> Estimate {
        Estimate {
            n: self.n,
            value: self.mean,
            interval: self.interval(confidence),
        }
    }
}

/// CES of a group: the mean effort and the share of low-effort answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ces {
    /// Mean on 1–7 with its spread and margin.
    pub mean: Mean,
    /// Share of answers 5–7 ("easy"), in percent.
    pub low_effort: Proportion,
}

impl Ces {
    /// The valid CES answers; 7 means "very easy", so higher is better.
    pub const VALUES: RangeInclusive<u8> = 1..=7;
    /// The answers that count as low effort.
    pub const LOW_EFFORT: RangeInclusive<u8> = 5..=7;

    /// Computes CES from a histogram; values outside 1–7 are ignored, `None` without answers.
    pub fn from_histogram(h: &Histogram) -> Option<Self> {
        let mean = Mean::from_histogram(h, Self::VALUES)?;
        let low_effort = Proportion::new(h.count_in(Self::LOW_EFFORT), mean.n)?;
        Some(Ces { mean, low_effort })
    }

    /// The report figure: the mean effort score.
    pub fn estimate(&self, confidence: Confidence) -> Estimate {
        self.mean.estimate(confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mean_from_sums_matches_the_mean_of_the_values() {
        // Scores 80, 40, 100: sum 220, squares 6400 + 1600 + 10000 = 18000; mean 73.33;
        // s² = (18000 − 220² ÷ 3) ÷ 2 = (18000 − 16133.33) ÷ 2 = 933.33.
        let m = Mean::from_sums(3, 220.0, 18_000.0, (0.0, 100.0)).expect("a mean");
        assert!((m.mean - 220.0 / 3.0).abs() < 1e-12);
        let s = m.std_dev.expect("three values");
        assert!((s * s - (18_000.0 - 220.0 * 220.0 / 3.0) / 2.0).abs() < 1e-9);
        assert_eq!(
            Mean::from_sums(1, 50.0, 2_500.0, (0.0, 100.0)).and_then(|m| m.std_dev),
            None
        );
        assert_eq!(Mean::from_sums(0, 0.0, 0.0, (0.0, 100.0)), None);
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn ces_by_hand() {
        // Answers 2, 4, 4, 5, 6, 6, 7, 7 (n = 8)
        // mean = 41 / 8 = 5.125
        // squared deviations: 9.765625 + 1.265625·2 + 0.015625 + 0.765625·2 + 3.515625·2
        //   = 9.765625 + 2.53125 + 0.015625 + 1.53125 + 7.03125 = 20.875
        // s² = 20.875 / 7 = 2.982143, s = 1.726888
        // t interval: 5.125 ± 2.364624 · 0.610547 = 5.125 ± 1.443714 → [3.681286, 6.568714]
        // low effort (5–7): 5 of 8 = 62.5 %
        let h: Histogram = [2, 4, 4, 5, 6, 6, 7, 7].into_iter().collect();
        let ces = Ces::from_histogram(&h).expect("answers");
        assert_eq!(ces.mean.n, 8);
        assert!(close(ces.mean.mean, 5.125, 1e-12));
        let s = ces.mean.std_dev.expect("n > 1");
        assert!(close(s, 1.726888, 1e-6), "{s}");
        let i = ces.mean.interval(Confidence::NINETY_FIVE).expect("n > 1");
        assert!(
            close(i.low, 3.681286, 1e-5) && close(i.high, 6.568714, 1e-5),
            "{i:?}"
        );
        assert_eq!(ces.mean.scale, (1.0, 7.0));
        assert_eq!(ces.low_effort.successes, 5);
        assert!(close(ces.low_effort.percent, 62.5, 1e-12));
        assert_eq!(ces.estimate(Confidence::NINETY_FIVE).value, ces.mean.mean);
    }

    #[test]
    fn one_answer_has_no_spread() {
        let h: Histogram = [6].into_iter().collect();
        let ces = Ces::from_histogram(&h).expect("answers");
        assert_eq!(ces.mean.mean, 6.0);
        assert_eq!(ces.mean.std_dev, None);
        assert_eq!(ces.mean.interval(Confidence::NINETY_FIVE), None);
        assert_eq!(ces.estimate(Confidence::NINETY_FIVE).interval, None);
        assert_eq!(ces.low_effort.percent, 100.0);
    }

    #[test]
    fn zero_variance() {
        let mut h = Histogram::new();
        h.add_n(4, 50).expect("valid");
        let ces = Ces::from_histogram(&h).expect("answers");
        assert_eq!(ces.mean.mean, 4.0);
        assert_eq!(ces.mean.std_dev, Some(0.0));
        let i = ces.mean.interval(Confidence::NINETY_FIVE).expect("n > 1");
        assert_eq!((i.low, i.high), (4.0, 4.0));
        assert_eq!(ces.low_effort.percent, 0.0);
    }

    #[test]
    fn ignores_values_off_the_scale() {
        let h: Histogram = [0, 8, 10, 3].into_iter().collect();
        let ces = Ces::from_histogram(&h).expect("answers");
        assert_eq!(ces.mean.n, 1);
        assert_eq!(ces.mean.mean, 3.0);
        assert_eq!(Ces::from_histogram(&Histogram::new()), None);
        let off_scale: Histogram = [0, 9].into_iter().collect();
        assert_eq!(Ces::from_histogram(&off_scale), None);
    }
}
