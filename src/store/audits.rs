//! Mystery-shopper audit sums and social mentions. Audit sums are rollups: added in the same
//! transaction as each visit's response (see `rollups`), recomputed by `db rebuild-rollups`
//! with the same rule ([`crate::rollup::audit_visit`]). Mentions are the verbatims of
//! channel `social`, imported from the team's listening tool; a report reads the texts of its
//! periods and themes them, as it does the survey verbatims.

use jiff::Timestamp;

use super::{Store, StoreError};
pub use crate::rollup::{AuditKey, AuditSums};

/// A mention to store, as `ecoute mentions import` read it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMention {
    /// Program id.
    pub program_id: String,
    /// Period key of `posted_at`.
    pub period: String,
    /// When it was posted.
    pub posted_at: Timestamp,
    /// Where it was posted (the network or site, as the listening tool names it).
    pub source: String,
    /// Its text.
    pub text: String,
    /// A rating 1–5, when the source gives one (a review site).
    pub rating: Option<u8>,
    /// Its address.
    pub url: Option<String>,
    /// The touchpoint it is about, when known.
    pub touchpoint_id: Option<String>,
}

/// A stored mention as a report reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMention {
    /// Period key.
    pub period: String,
    /// Source.
    pub source: String,
    /// Text.
    pub text: String,
    /// Rating 1–5.
    pub rating: Option<u8>,
    /// Touchpoint id.
    pub touchpoint_id: Option<String>,
}

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

impl NewMention {
    /// What makes a mention the same one when a file is imported again: SHA-256 (hex) of
    /// its date, source, text and url.
    pub(super) fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for part in [
            self.posted_at.as_second().to_string().as_str(),
            &self.source,
            &self.text,
            self.url.as_deref().unwrap_or_default(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        crate::program::hex(&hash.finalize())
    }
}

impl Store {
    /// The audit sums of `program_id` in those periods.
    pub async fn audit_sums(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<(AuditKey, AuditSums)>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.audit_sums(program_id, periods))
    }

    /// Stores mentions in one transaction; returns how many were new (a mention already
    /// imported, same date, source, text and url, is skipped).
    pub async fn insert_mentions(&self, mentions: &[NewMention]) -> Result<u64, StoreError> {
        dispatch!(self, b => b.insert_mentions(mentions))
    }

    /// The mentions of `program_id` in those periods, oldest first.
    pub async fn mentions(
        &self,
        program_id: &str,
        periods: &[String],
    ) -> Result<Vec<StoredMention>, StoreError> {
        if periods.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.mentions(program_id, periods))
    }
}
