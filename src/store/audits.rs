//! Mystery-shopper audit sums and social mentions. Audit sums are rollups: added in the same
//! transaction as each visit's response (see `rollups`), recomputed by `db rebuild-rollups`
//! with the same rule ([`crate::rollup::audit_visit`]). Mentions are the verbatims of
//! channel `social`, imported from the team's listening tool; a report reads the texts of its
//! periods and themes them, as it does the survey verbatims.

pub(super) const ADD_AUDIT_SUMS: &str = "INSERT INTO audit_scores (program_id, period, \
     survey_id, touchpoint_id, visits, score_sum, score_squares) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (program_id, period, survey_id, touchpoint_id) DO UPDATE SET \
     visits = audit_scores.visits + excluded.visits, \
     score_sum = audit_scores.score_sum + excluded.score_sum, \
     score_squares = audit_scores.score_squares + excluded.score_squares";
pub(super) const CLEAR_AUDIT_SUMS: &str = "DELETE FROM audit_scores";
pub(super) const AUDIT_SUMS: &str = "SELECT period, survey_id, touchpoint_id, visits, \
     score_sum, score_squares FROM audit_scores WHERE program_id = $1 AND period IN ";
pub(super) const INSERT_MENTION: &str = "INSERT INTO mentions (program_id, period, posted_at, \
     source, text, rating, url, touchpoint_id, fingerprint) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (program_id, fingerprint) DO NOTHING";
pub(super) const MENTIONS: &str = "SELECT period, source, text, rating, touchpoint_id \
     FROM mentions WHERE program_id = $1 AND period IN ";
pub(super) const MENTIONS_TAIL: &str = " ORDER BY posted_at, id";
