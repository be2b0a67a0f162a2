//! Share-type KPIs: CSAT, first-contact resolution and response rate.

use serde::Serialize;

use super::{Confidence, CsatScale, Estimate, Histogram, Interval, wilson};

/// A share of a sample: the common shape of CSAT, FCR, response rate and the CES
/// low-effort share, so they share one interval (Wilson) and one significance test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// Sample size (answers, or delivered invitations).
    pub n: u64,
    /// How many of them are "successes" (satisfied, yes, responded…).
    pub successes: u64,
    /// 100 · successes / n.
    pub percent: f64,
}

impl Proportion {
    /// The share `successes / n`; `None` when `n` is 0 or `successes > n` (not a share).
    pub fn new(successes: u64, n: u64) -> Option<Self> {
        if n == 0 || successes > n {
            return None;
        }
        Some(Proportion {
            n,
            successes,
            percent: 100.0 * successes as f64 / n as f64,
        })
    }

    /// The Wilson score interval in percent (see [`wilson`]).
    pub fn interval(&self, confidence: Confidence) -> Option<Interval> {
        wilson(self.successes, self.n, confidence)
    }

    /// The share as a fraction in 0…1, as the statistical tests use it.
    pub fn fraction(&self) -> f64 {
        self.successes as f64 / self.n as f64
    }

    /// The report figure: percent and interval in percent.
    pub fn estimate(&self, confidence: Confidence) -> Estimate {
        Estimate {
            n: self.n,
            value: self.percent,
            interval: self.interval(confidence),
        }
    }
}

/// CSAT of a group: share satisfied (per [`CsatScale::is_satisfied`]) and mean answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Csat {
    /// The scale the question was asked on.
    pub scale: CsatScale,
    /// Satisfied answers among the answers valid on the scale.
    pub satisfied: Proportion,
    /// Mean answer on the scale's own values (e.g. 4.2 stars).
    pub mean: f64,
}

impl Csat {
    /// Computes CSAT from a histogram; counts outside `scale.values()` are ignored, and a
    /// histogram with no valid answer gives `None`.
    pub fn from_histogram(h: &Histogram, scale: CsatScale) -> Option<Self> {
        let n = h.count_in(scale.values());
        let satisfied = Proportion::new(h.count_in(scale.satisfied()), n)?;
        let sum: f64 = scale
            .values()
            .map(|v| f64::from(v) * h.count(v) as f64)
            .sum();
        Some(Csat {
            scale,
            satisfied,
            mean: sum / n as f64,
        })
    }

    /// The report figure: the satisfied share in percent.
    pub fn estimate(&self, confidence: Confidence) -> Estimate {
        self.satisfied.estimate(confidence)
    }
}

/// First-contact resolution from a yes/no histogram (0 = no, 1 = yes): the share of yes;
/// `None` without answers.
pub fn fcr(h: &Histogram) -> Option<Proportion> {
    Proportion::new(h.count(1), h.count_in(0..=1))
}

/// Response rate: responses ÷ invitations delivered (sent and not bounced), in percent.
///
/// `responses` must count the responses to those delivered invitations, so it cannot exceed
/// `delivered`; `None` when nothing was delivered or when it does.
pub fn response_rate(responses: u64, delivered: u64) -> Option<Proportion> {
    Proportion::new(responses, delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    const C95: Confidence = Confidence::NINETY_FIVE;

    #[test]
    fn proportion_formula() {
        // 80 of 200: p = 0.4; Wilson interval [33.4606, 46.9163] (worked in interval.rs).
        let p = Proportion::new(80, 200).expect("share");
        assert!(close(p.percent, 40.0, 1e-12));
        let i = p.interval(C95).expect("share");
        assert!(
            close(i.low, 33.4606, 1e-3) && close(i.high, 46.9163, 1e-3),
            "{i:?}"
        );
        assert!(close(p.fraction(), 0.4, 1e-12));
    }

    #[test]
    fn proportion_edges() {
        assert_eq!(Proportion::new(0, 0), None);
        assert_eq!(Proportion::new(5, 4), None);
        // p = 1 and p = 0 still have a width, inside 0…100, no NaN.
        // 7 of 7: 1 + z²/7 = 1.548780, centre = (1 + 0.274390)/1.548780 = 0.822835,
        // half = 1.959964/1.548780 · √(z²/196) = 1.265487 · 0.139997 = 0.177164 → [64.567, 100]
        let all = Proportion::new(7, 7).expect("share");
        assert_eq!(all.percent, 100.0);
        let i = all.interval(C95).expect("share");
        assert!(close(i.low, 64.567, 1e-3) && i.high == 100.0, "{i:?}");
        let none = Proportion::new(0, 7).expect("share");
        assert_eq!(none.percent, 0.0);
        let i = none.interval(C95).expect("share");
        assert!(i.low == 0.0 && close(i.high, 35.433, 1e-3), "{i:?}");
        // n = 1: [20.6549, 100], not "100 % ± 0".
        let one = Proportion::new(1, 1).expect("share");
        assert_eq!(one.percent, 100.0);
        let i = one.interval(C95).expect("share");
        assert!(close(i.low, 20.6549, 1e-3) && i.high == 100.0, "{i:?}");
    }

    #[test]
    fn csat_stars5() {
        // 1★×2, 2★×3, 3★×5, 4★×40, 5★×50 → n = 100, satisfied = 90 → 90 %.
        // mean = (2 + 6 + 15 + 160 + 250) / 100 = 4.33
        // Wilson: 1 + z²/100 = 1.038415, centre = (0.9 + 0.019207)/1.038415 = 0.885203
        // half = 1.959964/1.038415 · √(0.0009 + 0.0000960365) = 1.887457 · 0.031560 = 0.059568
        // → [82.5634, 94.4771]
        let mut h = Histogram::new();
        for (v, c) in [(1, 2), (2, 3), (3, 5), (4, 40), (5, 50)] {
            h.add_n(v, c).expect("valid");
        }
        let csat = Csat::from_histogram(&h, CsatScale::Stars5).expect("answers");
        assert_eq!(csat.satisfied.n, 100);
        assert_eq!(csat.satisfied.successes, 90);
        assert!(close(csat.satisfied.percent, 90.0, 1e-12));
        assert!(close(csat.mean, 4.33, 1e-12));
        let i = csat.satisfied.interval(C95).expect("answers");
        assert!(
            close(i.low, 82.5634, 1e-3) && close(i.high, 94.4771, 1e-3),
            "{i:?}"
        );
        assert_eq!(csat.estimate(C95).value, csat.satisfied.percent);
    }

    #[test]
    fn csat_smileys3_and_score10() {
        // smileys3: 1×1, 2×1, 3×2 → 2/4 = 50 %, mean = (1 + 2 + 6)/4 = 2.25
        let h: Histogram = [1, 2, 3, 3].into_iter().collect();
        let csat = Csat::from_histogram(&h, CsatScale::Smileys3).expect("answers");
        assert!(close(csat.satisfied.percent, 50.0, 1e-12));
        assert!(close(csat.mean, 2.25, 1e-12));

        // score10: 8, 9, 10, 10 → 3/4 = 75 %, mean = 37/4 = 9.25
        let h: Histogram = [8, 9, 10, 10].into_iter().collect();
        let csat = Csat::from_histogram(&h, CsatScale::Score10).expect("answers");
        assert!(close(csat.satisfied.percent, 75.0, 1e-12));
        assert!(close(csat.mean, 9.25, 1e-12));
    }

    #[test]
    fn csat_ignores_values_off_the_scale() {
        // A stray 0 and 9 on a 5-star question are not answers on that scale.
        let h: Histogram = [0, 9, 5, 3].into_iter().collect();
        let csat = Csat::from_histogram(&h, CsatScale::Stars5).expect("answers");
        assert_eq!(csat.satisfied.n, 2);
        assert!(close(csat.satisfied.percent, 50.0, 1e-12));
        assert!(close(csat.mean, 4.0, 1e-12));
    }

    #[test]
    fn csat_yes_no_mean_is_the_share() {
        let h: Histogram = [1, 1, 1, 0].into_iter().collect();
        for scale in [CsatScale::YesNo, CsatScale::GreenRed] {
            let csat = Csat::from_histogram(&h, scale).expect("answers");
            assert!(close(csat.satisfied.percent, 75.0, 1e-12));
            assert!(close(csat.mean, 0.75, 1e-12));
        }
    }

    #[test]
    fn csat_empty_is_none() {
        assert_eq!(
            Csat::from_histogram(&Histogram::new(), CsatScale::Stars5),
            None
        );
        let only_zeros: Histogram = [0, 0].into_iter().collect();
        assert_eq!(Csat::from_histogram(&only_zeros, CsatScale::Stars5), None);
    }

    #[test]
    fn fcr_share_of_yes() {
        // 3 yes, 1 no → 75 %; Wilson: 1 + z²/4 = 1.960365, centre = (0.75 + 0.480182)/1.960365
        // = 0.627528, half = 1.959964/1.960365 · √(0.046875 + 0.060023) = 0.999795 · 0.326953
        // = 0.326886 → [30.0642, 95.4414]
        let h: Histogram = [1, 1, 0, 1].into_iter().collect();
        let f = fcr(&h).expect("answers");
        assert_eq!((f.successes, f.n), (3, 4));
        assert!(close(f.percent, 75.0, 1e-12));
        let i = f.interval(C95).expect("answers");
        assert!(
            close(i.low, 30.0642, 1e-3) && close(i.high, 95.4414, 1e-3),
            "{i:?}"
        );
        assert_eq!(fcr(&Histogram::new()), None);
    }

    #[test]
    fn response_rate_share() {
        // 312 responses of 1 200 delivered = 26 %; Wilson: 1 + z²/1200 = 1.003201,
        // centre = (0.26 + 0.0016006)/1.003201 = 0.260766,
        // half = 1.959964/1.003201 · √(0.000160333 + 0.000000667) = 1.953710 · 0.012689
        // = 0.024790 → [23.5976, 28.5556]
        let r = response_rate(312, 1200).expect("delivered");
        assert!(close(r.percent, 26.0, 1e-12));
        let i = r.interval(C95).expect("delivered");
        assert!(
            close(i.low, 23.5976, 1e-3) && close(i.high, 28.5556, 1e-3),
            "{i:?}"
        );
        assert_eq!(response_rate(3, 0), None);
        assert_eq!(response_rate(5, 4), None);
    }
}
