//! Operational indicators in the store: counters per period and group that imports add to,
//! and the ledger of imported `row_id`s that keeps a re-import from counting twice.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{Store, StoreError};
use crate::metrics::IndicatorCounter;

/// Where a counter belongs: program-level key parts the report groups by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndicatorKey {
    /// Stored period key (`2026-11`).
    pub period: String,
    /// Indicator id.
    pub indicator: String,
    /// Touchpoint id; empty when program-wide.
    pub touchpoint: String,
    /// Segment value; empty when none.
    pub segment: String,
    /// Breakdown category of a count; empty when none.
    pub category: String,
}

/// A stored counter.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorCount {
    /// Where it belongs.
    pub key: IndicatorKey,
    /// Its figures.
    pub counter: IndicatorCounter,
}

/// One imported row: its key, what it adds, and the id that makes a re-import harmless.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    /// Where it counts.
    pub key: IndicatorKey,
    /// What it adds.
    pub counter: IndicatorCounter,
    /// The file's `row_id`, when it has one.
    pub row_id: Option<String>,
}

/// What an import stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndicatorImport {
    /// Rows added to the counters.
    pub imported: u64,
    /// Rows whose `row_id` was already imported: skipped.
    pub already_imported: u64,
}

/// Statements shared by both backends.
pub(super) mod sql {
    pub(in crate::store) const MARK_ROW: &str = "INSERT INTO indicator_rows \
         (program_id, row_id, imported_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    pub(in crate::store) const ADD_COUNTER: &str = "INSERT INTO indicator_counters \
         (program_id, period, indicator, touchpoint, segment, category, n, total, total_sq, \
          without_sd, numerator, denominator) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (program_id, period, indicator, touchpoint, segment, category) DO UPDATE SET \
           n = indicator_counters.n + excluded.n, \
           total = indicator_counters.total + excluded.total, \
           total_sq = indicator_counters.total_sq + excluded.total_sq, \
           without_sd = indicator_counters.without_sd + excluded.without_sd, \
           numerator = indicator_counters.numerator + excluded.numerator, \
           denominator = indicator_counters.denominator + excluded.denominator";
    pub(in crate::store) const COUNTERS: &str = "SELECT period, indicator, touchpoint, segment, \
         category, n, total, total_sq, without_sd, numerator, denominator \
         FROM indicator_counters WHERE program_id = $1 \
         ORDER BY period, indicator, touchpoint, segment, category";
}

/// Sums rows per key, so one statement per key is written whatever the number of rows.
pub(super) fn per_key<'r>(
    rows: impl IntoIterator<Item = &'r IndicatorRow>,
) -> BTreeMap<IndicatorKey, IndicatorCounter> {
    let mut sums: BTreeMap<IndicatorKey, IndicatorCounter> = BTreeMap::new();
    for row in rows {
        sums.entry(row.key.clone()).or_default().merge(&row.counter);
    }
    sums
}

impl Store {
    /// Adds imported indicator rows to their counters in one transaction; a row whose
    /// `row_id` was imported before is skipped, so a file imported twice counts once.
    pub async fn import_indicators(
        &self,
        program_id: &str,
        rows: &[IndicatorRow],
        now: Timestamp,
    ) -> Result<IndicatorImport, StoreError> {
        dispatch!(self, b => b.import_indicators(program_id, rows, now.as_second()))
    }

    /// A program's indicator counters of the given stored periods.
    pub async fn indicator_counts(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<IndicatorCount>, StoreError> {
        let all = dispatch!(self, b => b.indicator_counts(program_id))?;
        Ok(all
            .into_iter()
            .filter(|c| periods.contains(&c.key.period))
            .collect())
    }

    /// The stored periods with indicator counters of a program, sorted and distinct.
    pub async fn indicator_periods(&self, program_id: &str) -> Result<Vec<String>, StoreError> {
        let all = dispatch!(self, b => b.indicator_counts(program_id))?;
        let mut periods: Vec<String> = all.into_iter().map(|c| c.key.period).collect();
        periods.dedup();
        Ok(periods)
    }
}
