//! The statements of operational indicators: counters per period and group that imports add to,
//! and the ledger of imported `row_id`s that keeps a re-import from counting twice.

pub(super) const MARK_ROW: &str = "INSERT INTO indicator_rows \
     (program_id, row_id, imported_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
pub(super) const ADD_COUNTER: &str = "INSERT INTO indicator_counters \
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
pub(super) const COUNTERS: &str = "SELECT period, indicator, touchpoint, segment, \
     category, n, total, total_sq, without_sd, numerator, denominator \
     FROM indicator_counters WHERE program_id = $1 \
     ORDER BY period, indicator, touchpoint, segment, category";
