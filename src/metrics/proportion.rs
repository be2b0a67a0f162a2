//! Share-type KPIs: CSAT, first-contact resolution and response rate.

use serde::Serialize;

use super::{CsatScale, Estimate, Histogram, Z95};

/// A share of a sample with its 95 % margin: the common shape of CSAT, FCR, response rate
/// and the CES low-effort share, so they share one significance test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// Sample size (answers, or delivered invitations).
    pub n: u64,
    /// How many of them are "successes" (satisfied, yes, responded…).
    pub successes: u64,
    /// 100 · successes / n.
    pub percent: f64,
    /// 95 % margin of error in percentage points: 100 · 1.96 · √(p(1−p)/n).
    pub moe95: f64,
}

impl Proportion {
    /// The share `successes / n`; `None` when `n` is 0 or `successes > n` (not a share).
    pub fn new(successes: u64, n: u64) -> Option<Self> {
        if n == 0 || successes > n {
            return None;
        }
        let nf = n as f64;
        let p = successes as f64 / nf;
        Some(Proportion {
            n,
            successes,
            percent: 100.0 * p,
            moe95: 100.0 * Z95 * (p * (1.0 - p) / nf).sqrt(),
        })
    }

    /// The share as a fraction in 0…1, as the statistical tests use it.
    pub fn fraction(&self) -> f64 {
        self.successes as f64 / self.n as f64
    }

    /// The report figure: percent and margin in percentage points.
    pub fn estimate(&self) -> Estimate {
        Estimate {
            n: self.n,
            value: self.percent,
            moe95: Some(self.moe95),
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
    pub fn estimate(&self) -> Estimate {
        self.satisfied.estimate()
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

    #[test]
    fn proportion_formula() {
        // 80 of 200: p = 0.4, moe = 196 · √(0.4 · 0.6 / 200) = 196 · √0.0012
        //   = 196 · 0.0346410 = 6.7896
        let p = Proportion::new(80, 200).expect("share");
        assert!(close(p.percent, 40.0, 1e-12));
        assert!(close(p.moe95, 6.7896, 1e-4), "{}", p.moe95);
        assert!(close(p.fraction(), 0.4, 1e-12));
    }

    #[test]
    fn proportion_edges() {
        assert_eq!(Proportion::new(0, 0), None);
        assert_eq!(Proportion::new(5, 4), None);
        // p = 1 and p = 0: zero margin, no NaN.
        let all = Proportion::new(7, 7).expect("share");
        assert_eq!((all.percent, all.moe95), (100.0, 0.0));
        let none = Proportion::new(0, 7).expect("share");
        assert_eq!((none.percent, none.moe95), (0.0, 0.0));
        // n = 1
        let one = Proportion::new(1, 1).expect("share");
        assert_eq!((one.percent, one.moe95), (100.0, 0.0));
    }

    #[test]
    fn csat_stars5() {
        // 1★×2, 2★×3, 3★×5, 4★×40, 5★×50 → n = 100, satisfied = 90 → 90 %.
        // mean = (2 + 6 + 15 + 160 + 250) / 100 = 4.33
        // moe = 196 · √(0.9 · 0.1 / 100) = 196 · 0.03 = 5.88
        let mut h = Histogram::new();
        for (v, c) in [(1, 2), (2, 3), (3, 5), (4, 40), (5, 50)] {
            h.add_n(v, c).expect("valid");
        }
        let csat = Csat::from_histogram(&h, CsatScale::Stars5).expect("answers");
        assert_eq!(csat.satisfied.n, 100);
        assert_eq!(csat.satisfied.successes, 90);
        assert!(close(csat.satisfied.percent, 90.0, 1e-12));
        assert!(close(csat.mean, 4.33, 1e-12));
        assert!(close(csat.satisfied.moe95, 5.88, 1e-9));
        assert_eq!(csat.estimate().value, csat.satisfied.percent);
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
        // 3 yes, 1 no → 75 %, moe = 196 · √(0.75 · 0.25 / 4) = 196 · 0.216506 = 42.435
        let h: Histogram = [1, 1, 0, 1].into_iter().collect();
        let f = fcr(&h).expect("answers");
        assert_eq!((f.successes, f.n), (3, 4));
        assert!(close(f.percent, 75.0, 1e-12));
        assert!(close(f.moe95, 42.435, 1e-3), "{}", f.moe95);
        assert_eq!(fcr(&Histogram::new()), None);
    }

    #[test]
    fn response_rate_share() {
        // 312 responses of 1 200 delivered = 26 %,
        // moe = 196 · √(0.26 · 0.74 / 1200) = 196 · √0.000160333 = 196 · 0.0126623 = 2.4818
        let r = response_rate(312, 1200).expect("delivered");
        assert!(close(r.percent, 26.0, 1e-12));
        assert!(close(r.moe95, 2.4818, 1e-4), "{}", r.moe95);
        assert_eq!(response_rate(3, 0), None);
        assert_eq!(response_rate(5, 4), None);
    }
}
