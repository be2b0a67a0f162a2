//! NPS stays within −100…100 and equals the hand formula; every confidence interval
//! contains its point estimate and stays in its KPI's range.

use ecoute::metrics::{Ces, Confidence, Csat, CsatScale, Histogram, Interval, Nps, wilson};
use proptest::prelude::*;

use super::config;

/// Counts per answer 0…10: often one or two answers in all (where intervals are most
/// fragile), else small groups, some large ones.
fn counts() -> impl Strategy<Value = [u64; 11]> {
    prop_oneof![
        prop::collection::vec(0u8..=10, 1..3).prop_map(|answers| {
            let mut counts = [0u64; 11];
            for answer in answers {
                counts[usize::from(answer)] += 1;
            }
            counts
        }),
        prop::array::uniform11(prop_oneof![
            4 => 0u64..4,
            2 => 0u64..60,
            1 => 0u64..1_000_000
        ]),
    ]
}

/// A confidence level between 50 % and 99.9 %.
fn confidence() -> impl Strategy<Value = Confidence> {
    prop_oneof![
        Just(Confidence::NINETY_FIVE),
        (0.001f64..0.5).prop_map(|alpha| Confidence::from_alpha(alpha).expect("0 < α < 1")),
    ]
}

/// `interval` holds `value` and lies within `low..=high`, with a rounding allowance.
fn holds(interval: Interval, value: f64, low: f64, high: f64) -> Result<(), TestCaseError> {
    const SLACK: f64 = 1e-9;
    prop_assert!(interval.low <= interval.high, "{interval:?} is reversed");
    prop_assert!(
        interval.low >= low && interval.high <= high,
        "{interval:?} leaves {low}…{high}"
    );
    prop_assert!(
        interval.low - SLACK <= value && value <= interval.high + SLACK,
        "{interval:?} does not contain its estimate {value}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn nps_stays_in_range_and_equals_the_hand_formula(counts in counts()) {
        let nps = Nps::from_histogram(&Histogram::from_counts(counts));
        // Promoters answer 9 or 10, detractors 0 to 6; NPS = 100 · (P − D) / n.
        let promoters = counts[9] + counts[10];
        let passives = counts[7] + counts[8];
        let detractors: u64 = counts[..=6].iter().sum();
        let n = promoters + passives + detractors;
        match nps {
            None => prop_assert_eq!(n, 0),
            Some(nps) => {
                let expected = 100.0 * (promoters as f64 - detractors as f64) / n as f64;
                prop_assert!((nps.score - expected).abs() <= 1e-9, "{} vs {}", nps.score, expected);
                prop_assert!((-100.0..=100.0).contains(&nps.score));
                prop_assert_eq!((nps.n, nps.promoters, nps.passives, nps.detractors),
                    (n, promoters, passives, detractors));
            }
        }
    }

    #[test]
    fn the_nps_interval_contains_the_score(counts in counts(), confidence in confidence()) {
        if let Some(nps) = Nps::from_histogram(&Histogram::from_counts(counts)) {
            let estimate = nps.estimate(confidence);
            let interval = estimate.interval.expect("an NPS with answers has an interval");
            holds(interval, estimate.value, -100.0, 100.0)?;
        }
    }

    #[test]
    fn the_wilson_interval_contains_the_share(
        (successes, n) in (1u64..100_000).prop_flat_map(|n| (0..=n, Just(n))),
        confidence in confidence(),
    ) {
        let interval = wilson(successes, n, confidence).expect("0 ≤ successes ≤ n, n > 0");
        // The share in percent: 100 · successes / n.
        holds(interval, 100.0 * successes as f64 / n as f64, 0.0, 100.0)?;
    }

    #[test]
    fn csat_and_ces_intervals_contain_their_estimate(
        counts in counts(),
        scale in prop::sample::select(CsatScale::ALL.to_vec()),
        confidence in confidence(),
    ) {
        let histogram = Histogram::from_counts(counts);
        if let Some(csat) = Csat::from_histogram(&histogram, scale) {
            let estimate = csat.estimate(confidence);
            let interval = estimate.interval.expect("a share with answers has an interval");
            holds(interval, estimate.value, 0.0, 100.0)?;
            let values = scale.values();
            prop_assert!(csat.mean >= f64::from(*values.start()) && csat.mean <= f64::from(*values.end()));
        }
        if let Some(ces) = Ces::from_histogram(&histogram) {
            let estimate = ces.estimate(confidence);
            // One answer has no spread, hence no interval; from two answers on, one on 1…7.
            let answers: u64 = counts[1..=7].iter().sum();
            prop_assert_eq!(estimate.interval.is_some(), answers >= 2);
            if let Some(interval) = estimate.interval {
                holds(interval, estimate.value, 1.0, 7.0)?;
            }
            let low_effort = ces.low_effort.estimate(confidence);
            holds(low_effort.interval.expect("answers"), low_effort.value, 0.0, 100.0)?;
        }
    }
}
