//! CSAT answer scales and the one table that says which answers count as "satisfied".

use std::ops::RangeInclusive;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The scale a CSAT question is asked on; program files declare it (`scale: stars5`) and
/// the CSAT share depends on it through [`CsatScale::is_satisfied`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsatScale {
    /// One to five stars (1–5).
    Stars5,
    /// Three smileys, from unhappy (1) to happy (3).
    Smileys3,
    /// Five smileys, from very unhappy (1) to very happy (5).
    Smileys5,
    /// A score from 1 to 10.
    Score10,
    /// Yes (1) or no (0).
    YesNo,
    /// Green (1) or red (0).
    GreenRed,
}

impl CsatScale {
    /// The name written in program files (`stars5`).
    pub fn as_str(self) -> &'static str {
        match self {
            CsatScale::Stars5 => "stars5",
            CsatScale::Smileys3 => "smileys3",
            CsatScale::Smileys5 => "smileys5",
            CsatScale::Score10 => "score10",
            CsatScale::YesNo => "yes_no",
            CsatScale::GreenRed => "green_red",
        }
    }

    /// Every scale, so forms, docs and tests can enumerate them.
    pub const ALL: [CsatScale; 6] = [
        CsatScale::Stars5,
        CsatScale::Smileys3,
        CsatScale::Smileys5,
        CsatScale::Score10,
        CsatScale::YesNo,
        CsatScale::GreenRed,
    ];

    /// The valid answer values, so answers can be validated and histograms read.
    pub fn values(self) -> RangeInclusive<u8> {
        match self {
            CsatScale::Stars5 | CsatScale::Smileys5 => 1..=5,
            CsatScale::Smileys3 => 1..=3,
            CsatScale::Score10 => 1..=10,
            CsatScale::YesNo | CsatScale::GreenRed => 0..=1,
        }
    }

    /// The satisfied answers: the single documented table behind every CSAT share.
    ///
    /// | scale      | satisfied            |
    /// |------------|----------------------|
    /// | `stars5`   | 4, 5 (top-2-box)     |
    /// | `smileys5` | 4, 5 (top-2-box)     |
    /// | `smileys3` | 3 (the happy smiley) |
    /// | `score10`  | 9, 10                |
    /// | `yes_no`   | 1 (yes)              |
    /// | `green_red`| 1 (green)            |
    pub fn satisfied(self) -> RangeInclusive<u8> {
        match self {
            CsatScale::Stars5 | CsatScale::Smileys5 => 4..=5,
            CsatScale::Smileys3 => 3..=3,
            CsatScale::Score10 => 9..=10,
            CsatScale::YesNo | CsatScale::GreenRed => 1..=1,
        }
    }

    /// Whether an answer counts as satisfied on this scale (false for values off the scale).
    pub fn is_satisfied(self, value: u8) -> bool {
        self.satisfied().contains(&value)
    }

    /// Whether `value` is a valid answer on this scale, so collection can reject others.
    pub fn is_valid(self, value: u8) -> bool {
        self.values().contains(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfied_table() {
        let satisfied = |scale: CsatScale| -> Vec<u8> {
            scale.values().filter(|&v| scale.is_satisfied(v)).collect()
        };
        assert_eq!(satisfied(CsatScale::Stars5), vec![4, 5]);
        assert_eq!(satisfied(CsatScale::Smileys5), vec![4, 5]);
        assert_eq!(satisfied(CsatScale::Smileys3), vec![3]);
        assert_eq!(satisfied(CsatScale::Score10), vec![9, 10]);
        assert_eq!(satisfied(CsatScale::YesNo), vec![1]);
        assert_eq!(satisfied(CsatScale::GreenRed), vec![1]);
    }

    #[test]
    fn satisfied_values_are_on_the_scale() {
        for scale in CsatScale::ALL {
            for v in scale.satisfied() {
                assert!(scale.is_valid(v), "{scale:?} {v}");
            }
        }
        assert!(!CsatScale::Stars5.is_valid(0));
        assert!(!CsatScale::Stars5.is_satisfied(6));
        assert!(!CsatScale::Smileys3.is_valid(4));
        assert_eq!(CsatScale::Score10.values().count(), 10);
    }

    #[test]
    fn serde_names() {
        let json = serde_json::to_string(&CsatScale::ALL).expect("serialises");
        assert_eq!(
            json,
            r#"["stars5","smileys3","smileys5","score10","yes_no","green_red"]"#
        );
        let back: Vec<CsatScale> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, CsatScale::ALL);
    }
}
