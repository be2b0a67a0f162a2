//! The mergeable counter every KPI is computed from.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

/// Counts of answers per value 0–10: one shape for every scored question (NPS 0–10, CSAT
/// scales, CES 1–7, yes/no 0–1), so rollups store and merge them uniformly and every KPI,
/// margin and test computed from them is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Histogram([u64; 11]);

/// An answer value no scale uses (above 10), rejected rather than silently dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("answer value {0} is outside 0–10")]
pub struct ValueOutOfRange(pub u8);

impl Histogram {
    /// The largest value a histogram counts.
    pub const MAX_VALUE: u8 = 10;

    /// An empty histogram, to add answers to.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a histogram from stored counts (index = answer value).
    pub fn from_counts(counts: [u64; 11]) -> Self {
        Self(counts)
    }

    /// The counts per value (index = answer value), for storage.
    pub fn counts(&self) -> &[u64; 11] {
        &self.0
    }

    /// Counts one answer.
    pub fn add(&mut self, value: u8) -> Result<(), ValueOutOfRange> {
        self.add_n(value, 1)
    }

    /// Counts `count` answers of the same value (e.g. from a `GROUP BY`).
    pub fn add_n(&mut self, value: u8, count: u64) -> Result<(), ValueOutOfRange> {
        let slot = self
            .0
            .get_mut(usize::from(value))
            .ok_or(ValueOutOfRange(value))?;
        *slot = slot.saturating_add(count);
        Ok(())
    }

    /// Adds another group's counts, so rollups of several groups combine exactly.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine = mine.saturating_add(theirs);
        }
    }

    /// The number of answers with this value (0 for values above 10).
    pub fn count(&self, value: u8) -> u64 {
        self.0.get(usize::from(value)).copied().unwrap_or(0)
    }

    /// The number of answers whose value lies in `values`.
    pub fn count_in(&self, values: RangeInclusive<u8>) -> u64 {
        values.fold(0u64, |acc, v| acc.saturating_add(self.count(v)))
    }

    /// The number of answers of any value.
    pub fn total(&self) -> u64 {
        self.count_in(0..=Self::MAX_VALUE)
    }
}

impl FromIterator<u8> for Histogram {
    /// Collects answers, ignoring values above 10 (callers validate answers on input).
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        let mut h = Histogram::new();
        for v in iter {
            let _ignored_when_out_of_range = h.add(v);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_count_and_merge() {
        let mut a = Histogram::new();
        a.add(9).expect("valid");
        a.add(9).expect("valid");
        a.add_n(3, 5).expect("valid");
        assert_eq!(a.count(9), 2);
        assert_eq!(a.count(3), 5);
        assert_eq!(a.total(), 7);
        assert_eq!(a.add(11), Err(ValueOutOfRange(11)));
        assert_eq!(a.count(11), 0);

        let b: Histogram = [0, 10, 10].into_iter().collect();
        a.merge(&b);
        assert_eq!(a.count(0), 1);
        assert_eq!(a.count(10), 2);
        assert_eq!(a.total(), 10);
        assert_eq!(a.count_in(9..=10), 4);
    }

    #[test]
    fn merge_equals_union() {
        let left: Histogram = [1, 2, 3, 9].into_iter().collect();
        let right: Histogram = [3, 7, 10].into_iter().collect();
        let union: Histogram = [1, 2, 3, 9, 3, 7, 10].into_iter().collect();
        let mut merged = left;
        merged.merge(&right);
        assert_eq!(merged, union);
    }

    #[test]
    fn serialises_as_plain_array() {
        let h = Histogram::from_counts([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let json = serde_json::to_string(&h).expect("serialises");
        assert_eq!(json, "[0,1,2,3,4,5,6,7,8,9,10]");
        let back: Histogram = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, h);
        assert_eq!(back.counts()[4], 4);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let mut h = Histogram::from_counts([u64::MAX, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        h.add(0).expect("valid");
        assert_eq!(h.count(0), u64::MAX);
        h.add(1).expect("valid");
        assert_eq!(h.total(), u64::MAX);
    }
}
