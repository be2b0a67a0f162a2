//! Whether a KPI meets its goal, judged on its 95 % interval rather than its point value.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A KPI against its target, so a report never claims a goal is met or missed on noise.
/// Every KPI is "higher is better" (CES: 7 = very easy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// The whole 95 % interval is at or above the target.
    Met,
    /// The whole 95 % interval is below the target.
    Missed,
    /// The interval straddles the target.
    Inconclusive,
}

impl TargetStatus {
    /// Met when value − moe ≥ target, missed when value + moe < target, inconclusive
    /// otherwise. An unknown margin (`None`, e.g. a mean of one answer) or a non-finite
    /// input is always inconclusive.
    pub fn judge(value: f64, moe95: Option<f64>, target: f64) -> Self {
        let Some(moe) = moe95 else {
            return TargetStatus::Inconclusive;
        };
        if !(value.is_finite() && moe.is_finite() && target.is_finite()) {
            return TargetStatus::Inconclusive;
        }
        let moe = moe.abs();
        if value - moe >= target {
            TargetStatus::Met
        } else if value + moe < target {
            TargetStatus::Missed
        } else {
            TargetStatus::Inconclusive
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judged_on_the_interval() {
        // NPS 39 ± 9 vs target 40: [30, 48] contains 40.
        assert_eq!(
            TargetStatus::judge(39.0, Some(9.0), 40.0),
            TargetStatus::Inconclusive
        );
        // 52 ± 9 vs 40: lower bound 43 ≥ 40.
        assert_eq!(
            TargetStatus::judge(52.0, Some(9.0), 40.0),
            TargetStatus::Met
        );
        // 49 ± 9: lower bound exactly 40 counts as met.
        assert_eq!(
            TargetStatus::judge(49.0, Some(9.0), 40.0),
            TargetStatus::Met
        );
        // 30 ± 9: upper bound 39 < 40.
        assert_eq!(
            TargetStatus::judge(30.0, Some(9.0), 40.0),
            TargetStatus::Missed
        );
        // 31 ± 9: upper bound exactly 40 is not below the target.
        assert_eq!(
            TargetStatus::judge(31.0, Some(9.0), 40.0),
            TargetStatus::Inconclusive
        );
    }

    #[test]
    fn zero_or_unknown_margin() {
        assert_eq!(
            TargetStatus::judge(40.0, Some(0.0), 40.0),
            TargetStatus::Met
        );
        assert_eq!(
            TargetStatus::judge(39.9, Some(0.0), 40.0),
            TargetStatus::Missed
        );
        assert_eq!(
            TargetStatus::judge(7.0, None, 4.0),
            TargetStatus::Inconclusive
        );
        assert_eq!(
            TargetStatus::judge(f64::NAN, Some(1.0), 4.0),
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
