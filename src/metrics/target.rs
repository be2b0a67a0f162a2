//! Whether a KPI meets its goal, judged on its confidence interval rather than its point
//! value.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Interval;

/// A KPI against its target, so a report never claims a goal is met or missed on noise.
/// Every KPI is "higher is better" (CES: 7 = very easy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// The whole interval is at or above the target.
    Met,
    /// The whole interval is below the target.
    Missed,
    /// The interval straddles the target.
    Inconclusive,
}

impl TargetStatus {
    /// Met when the interval's lower bound ≥ target, missed when its upper bound < target,
    /// inconclusive otherwise. Intervals may be asymmetric (Wilson, adjusted-Wald), so the
    /// bounds decide, not value ± margin. An unknown interval (`None`, e.g. a mean of one
    /// answer) or a non-finite input is always inconclusive.
    pub fn judge(interval: Option<Interval>, target: f64) -> Self {
        let Some(Interval { low, high }) = interval else {
            return TargetStatus::Inconclusive;
        };
        if !(low.is_finite() && high.is_finite() && target.is_finite()) {
            return TargetStatus::Inconclusive;
        }
        if low >= target {
            TargetStatus::Met
        } else if high < target {
            TargetStatus::Missed
        } else {
            TargetStatus::Inconclusive
        }
    }
}

/// A goal with its side: survey KPIs and "higher is better" indicators are aimed at from
/// below (`at_least`), a waiting time or a churn rate from above (`at_most`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The figure should be at least this value.
    AtLeast(f64),
    /// The figure should be at most this value.
    AtMost(f64),
}

impl Goal {
    /// The goal's value, as the report's `target` column shows it.
    pub fn value(self) -> f64 {
        match self {
            Goal::AtLeast(v) | Goal::AtMost(v) => v,
        }
    }

    /// Judges an interval against the goal on its bounds: for `at_most`, met when the upper
    /// bound ≤ goal and missed when the lower bound > goal (the mirror of
    /// [`TargetStatus::judge`]).
    pub fn judge(self, interval: Option<Interval>) -> TargetStatus {
        match self {
            Goal::AtLeast(target) => TargetStatus::judge(interval, target),
            Goal::AtMost(target) => TargetStatus::judge(
                interval.map(|i| Interval {
                    low: -i.high,
                    high: -i.low,
                }),
                -target,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn between(low: f64, high: f64) -> Option<Interval> {
        Some(Interval { low, high })
    }

    #[test]
    fn at_most_is_judged_on_the_mirrored_bounds() {
        // Waiting time [40, 55] s against at most 60: the whole interval is below, met.
        assert_eq!(
            Goal::AtMost(60.0).judge(between(40.0, 55.0)),
            TargetStatus::Met
        );
        // [61, 70] against at most 60: the lower bound 61 > 60, missed.
        assert_eq!(
            Goal::AtMost(60.0).judge(between(61.0, 70.0)),
            TargetStatus::Missed
        );
        // [50, 60] against at most 60: 60 ≤ 60, met (the bound itself meets the goal).
        assert_eq!(
            Goal::AtMost(60.0).judge(between(50.0, 60.0)),
            TargetStatus::Met
        );
        // [55, 65] straddles 60.
        assert_eq!(
            Goal::AtMost(60.0).judge(between(55.0, 65.0)),
            TargetStatus::Inconclusive
        );
        assert_eq!(Goal::AtMost(60.0).judge(None), TargetStatus::Inconclusive);
        assert_eq!(
            Goal::AtLeast(40.0).judge(between(43.0, 61.0)),
            TargetStatus::Met
        );
    }

    #[test]
    fn judged_on_the_bounds() {
        // NPS interval [30, 48] vs target 40: contains 40.
        assert_eq!(
            TargetStatus::judge(between(30.0, 48.0), 40.0),
            TargetStatus::Inconclusive
        );
        // [43, 61] vs 40: lower bound 43 ≥ 40.
        assert_eq!(
            TargetStatus::judge(between(43.0, 61.0), 40.0),
            TargetStatus::Met
        );
        // Lower bound exactly 40 counts as met.
        assert_eq!(
            TargetStatus::judge(between(40.0, 58.0), 40.0),
            TargetStatus::Met
        );
        // [21, 39]: upper bound 39 < 40.
        assert_eq!(
            TargetStatus::judge(between(21.0, 39.0), 40.0),
            TargetStatus::Missed
        );
        // Upper bound exactly 40 is not below the target.
        assert_eq!(
            TargetStatus::judge(between(22.0, 40.0), 40.0),
            TargetStatus::Inconclusive
        );
        // An asymmetric interval: CSAT 7 of 7 = 100 %, Wilson [64.6, 100]; value − half-width
        // (100 − 17.7 = 82.3) would wrongly call a target of 70 met.
        assert_eq!(
            TargetStatus::judge(between(64.6, 100.0), 60.0),
            TargetStatus::Met
        );
        assert_eq!(
            TargetStatus::judge(between(64.6, 100.0), 70.0),
            TargetStatus::Inconclusive
        );
    }

    #[test]
    fn point_or_unknown_interval() {
        assert_eq!(
            TargetStatus::judge(between(40.0, 40.0), 40.0),
            TargetStatus::Met
        );
        assert_eq!(
            TargetStatus::judge(between(39.9, 39.9), 40.0),
            TargetStatus::Missed
        );
        assert_eq!(TargetStatus::judge(None, 4.0), TargetStatus::Inconclusive);
        assert_eq!(
            TargetStatus::judge(between(f64::NAN, 1.0), 4.0),
            TargetStatus::Inconclusive
        );
    }

    #[test]
    fn serde_names() {
        let json = serde_json::to_string(&[
            TargetStatus::Met,
            TargetStatus::Missed,
            TargetStatus::Inconclusive,
        ])
        .expect("serialises");
        assert_eq!(json, r#"["met","missed","inconclusive"]"#);
    }
}
