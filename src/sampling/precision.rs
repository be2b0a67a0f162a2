//! Precision planned before sending: how many answers a margin needs, how many contacts to
//! draw for them, and what margin a draw can be expected to give.
//!
//! Normal approximation at 95 % with the finite-population correction: for a KPI whose
//! answers have variance V (in the KPI's unit squared) and N eligible contacts, a margin e
//! needs n₀ = z²·V/e² answers from an infinite population, n = n₀ / (1 + (n₀ − 1)/N) from N;
//! at an expected response rate r the draw is ⌈n / r⌉, capped at N. n answers give the
//! margin z·√(V/n · (N − n)/(N − 1)).

use serde::Serialize;

use crate::metrics::{Confidence, Kpi};

/// The variance of one answer when nothing is known yet: the largest a KPI can have, so a
/// plan never promises a margin narrower than it will be. NPS: 100² (half promoters, half
/// detractors); shares: 50² (p = ½); CES on 1–7: (7 − 1)²/4 = 9 (half 1s, half 7s). `None`
/// for the response rate, which no answer measures.
pub fn worst_case_variance(kpi: Kpi) -> Option<f64> {
    match kpi {
        Kpi::Nps => Some(100.0 * 100.0),
        Kpi::Csat | Kpi::Fcr => Some(50.0 * 50.0),
        Kpi::Ces => Some(9.0),
        Kpi::ResponseRate => None,
    }
}

/// The answers a margin of `moe95` needs when each answer has `variance`, out of a
/// population of `population` (finite-population correction); `u64::MAX` means unbounded.
pub fn answers_needed(variance: f64, moe95: f64, population: u64) -> f64 {
    let z = Confidence::NINETY_FIVE.z();
    let infinite = z * z * variance / (moe95 * moe95);
    if population == u64::MAX {
        return infinite;
    }
    infinite / (1.0 + (infinite - 1.0) / population as f64)
}

/// The 95 % margin that `answers` answers of `variance` give out of `population`; `None`
/// below one answer. All of a population answering gives a margin of 0.
pub fn expected_margin(variance: f64, answers: f64, population: u64) -> Option<f64> {
    if answers < 1.0 {
        return None;
    }
    let n_population = population as f64;
    if answers >= n_population {
        return Some(0.0);
    }
    let correction = (n_population - answers) / (n_population - 1.0);
    Some(Confidence::NINETY_FIVE.z() * (variance / answers * correction).sqrt())
}

/// A sample's `precision:` goal with what sizing it needs, so the sampler can size the draw
/// once it knows the eligible population.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrecisionGoal {
    /// The KPI the margin is on.
    pub kpi: Kpi,
    /// The 95 % margin wanted, in the KPI's unit.
    pub moe95: f64,
    /// The variance of one answer (last period's, else the worst case), in the unit squared.
    pub variance: f64,
    /// The share of invitations expected to be answered, 0 < r ≤ 1.
    pub response_rate: f64,
}

impl PrecisionGoal {
    /// Answers the goal needs out of `eligible` contacts.
    pub fn answers_needed(&self, eligible: u64) -> f64 {
        answers_needed(self.variance, self.moe95, eligible)
    }

    /// Contacts to draw: ⌈answers needed / response rate⌉, capped at `eligible`.
    pub fn size(&self, eligible: u64) -> u64 {
        let draw = (self.answers_needed(eligible) / self.response_rate).ceil();
        if draw.is_finite() && draw < eligible as f64 {
            // In range: below `eligible`, a u64.
            draw.max(0.0) as u64
        } else {
            eligible
        }
    }

    /// Whether drawing everyone eligible is expected to give the answers the goal needs.
    pub fn reachable(&self, eligible: u64) -> bool {
        eligible as f64 * self.response_rate >= self.answers_needed(eligible)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// z₀.₉₇₅ from a normal table.
    const Z: f64 = 1.959_963_985;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn sizing_by_hand() {
        // CSAT ±10 points, worst case V = 50² = 2500: n₀ = z² · 2500 / 100 = 3.841459 · 25
        // = 96.0365; out of N = 200: n = 96.0365 / (1 + 95.0365/200) = 96.0365 / 1.475182
        // = 65.1020; at r = 0.5 the draw is ⌈130.2040⌉ = 131.
        let goal = PrecisionGoal {
            kpi: Kpi::Csat,
            moe95: 10.0,
            variance: worst_case_variance(Kpi::Csat).expect("answers measure it"),
            response_rate: 0.5,
        };
        assert!(close(goal.answers_needed(u64::MAX), Z * Z * 25.0, 1e-6));
        assert!(close(goal.answers_needed(200), 65.1020, 1e-3));
        assert_eq!(goal.size(200), 131);
        assert!(goal.reachable(200));
        // 131 drawn × 0.5 = 65.5 answers give back about the margin asked:
        // 1.959964 · √(2500/65.5 · 134.5/199) = 1.959964 · √25.7968 = 9.9547.
        let margin = expected_margin(goal.variance, 65.5, 200).expect("answers");
        assert!(close(margin, 9.9547, 1e-3), "{margin}");
    }

    #[test]
    fn out_of_reach_takes_everyone() {
        // NPS ±5, V = 100²: n₀ = 3.841459 · 10000 / 25 = 1536.58; N = 1000:
        // n = 1536.58 / (1 + 1535.58/1000) = 1536.58 / 2.53558 = 606.0, draw ⌈606.0/0.2⌉
        // = 3030 > 1000: all 1000 taken, 200 answers expected < 606 needed.
        let goal = PrecisionGoal {
            kpi: Kpi::Nps,
            moe95: 5.0,
            variance: worst_case_variance(Kpi::Nps).expect("answers measure it"),
            response_rate: 0.2,
        };
        assert!(close(goal.answers_needed(1000), 606.0, 0.1));
        assert_eq!(goal.size(1000), 1000);
        assert!(!goal.reachable(1000));
        assert_eq!(goal.size(0), 0);
    }

    #[test]
    fn margins_at_the_edges() {
        assert_eq!(expected_margin(9.0, 0.5, 100), None);
        assert_eq!(expected_margin(9.0, 100.0, 100), Some(0.0));
        // CES worst case V = 9, 36 answers out of a very large population:
        // 1.959964 · √(9/36) = 0.979982.
        let margin = expected_margin(9.0, 36.0, u64::MAX).expect("answers");
        assert!(close(margin, 0.979982, 1e-5), "{margin}");
        assert_eq!(worst_case_variance(Kpi::ResponseRate), None);
    }
}
