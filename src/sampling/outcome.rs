//! What a sample draw reports: who was drawn, and why everyone else was left out.
//!
//! Everything is in sorted containers so that `serde_json` output is byte-identical for
//! identical inputs, which is what `ecoute plan --format json` promises.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::Draw;

/// The result of drawing one sample: counts per exclusion rule, per stratum, and the list of
/// drawn contacts. `population = excluded_suppressed + excluded_fatigue + Σ
/// excluded_drawn_earlier + excluded_filter + eligible` and `eligible = drawn.len() +
/// not_drawn`, so a plan can account for everyone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleOutcome {
    /// The sample's id in the program, so a plan listing several samples stays readable.
    pub sample: String,
    /// The scope mixed into the draw (program/survey/period), to reproduce it.
    pub scope: String,
    /// The seed mixed into the draw, to reproduce it.
    pub seed: u64,
    /// What was asked: a size or a rate.
    pub draw: Draw,
    /// The attribute names that define the strata, in the order of `StratumOutcome::values`.
    pub strata: Vec<String>,
    /// Every candidate offered to the sampler.
    pub population: u64,
    /// Left out first: unsubscribed, bounced or erased.
    pub excluded_suppressed: u64,
    /// Left out second: contacted by any program within the fatigue window.
    pub excluded_fatigue: u64,
    /// Left out third, under a fatigue rule: drawn by an earlier survey of the same plan
    /// (surveys are planned in file order), counted per earlier survey id.
    pub excluded_drawn_earlier: BTreeMap<String, u64>,
    /// Left out fourth: the filter is false for them (including those lacking an attribute
    /// the filter reads).
    pub excluded_filter: u64,
    /// Per attribute the filter reads, how many candidates lack it (treated as not
    /// matching). A candidate lacking two attributes is counted under both.
    pub filter_missing_attribute: BTreeMap<String, u64>,
    /// Candidates that passed every exclusion and could be drawn.
    pub eligible: u64,
    /// Eligible candidates the draw did not pick.
    pub not_drawn: u64,
    /// One entry per stratum value combination seen among eligible candidates, sorted by
    /// values (a single entry with no values when the sample has no strata).
    pub per_stratum: Vec<StratumOutcome>,
    /// The drawn contacts, sorted by email.
    pub drawn: Vec<Drawn>,
    /// Things the CX team should know before sending, in a fixed order: size, then per
    /// stratum (in stratum order), then per filter attribute (alphabetical).
    pub warnings: Vec<Warning>,
}

/// One drawn contact, with what the plan needs to show and invite them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Drawn {
    /// The normalised email, the contact's stable identity.
    pub email: String,
    /// The contact's locale if known, to choose the survey language.
    pub locale: Option<String>,
    /// The contact's stratum values, in the order of `SampleOutcome::strata`.
    pub stratum: Vec<String>,
}

/// Counts for one stratum, so the plan can show the sample per stratum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StratumOutcome {
    /// The stratum's attribute values, in the order of `SampleOutcome::strata`; a missing
    /// attribute reads [`super::MISSING_STRATUM_VALUE`].
    pub values: Vec<String>,
    /// Eligible candidates in the stratum.
    pub eligible: u64,
    /// The stratum's share of a sample `size` (none for a rate).
    pub allocated: Option<u64>,
    /// Candidates actually drawn from the stratum.
    pub drawn: u64,
}

/// Something surprising about a draw that is not an error: the plan prints it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// The sample size is larger than the eligible population, so everyone was taken.
    Shortfall {
        /// The size asked for.
        requested: u64,
        /// Eligible candidates, all drawn.
        eligible: u64,
    },
    /// The minimum per stratum needs more contacts than the sample size; the minimums were
    /// kept, so the sample is larger than asked.
    MinimumsExceedSize {
        /// The size asked for.
        size: u64,
        /// What the minimums need (each capped at its stratum's population).
        required: u64,
    },
    /// A stratum has fewer eligible candidates than the minimum: all of them were taken.
    StratumBelowMinimum {
        /// The stratum's values.
        stratum: Vec<String>,
        /// The minimum asked for.
        minimum: u64,
        /// Its eligible candidates.
        eligible: u64,
    },
    /// Candidates lacking an attribute the filter reads were treated as not matching.
    FilterMissingAttribute {
        /// The attribute's name.
        attribute: String,
        /// How many candidates lack it.
        contacts: u64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shortfall {
                requested,
                eligible,
            } => write!(
                f,
                "asked for {requested}, only {eligible} eligible: all taken"
            ),
            Self::MinimumsExceedSize { size, required } => write!(
                f,
                "the minimum per stratum needs {required} contacts, more than the sample size \
                 {size}: minimums kept, the sample is larger than asked"
            ),
            Self::StratumBelowMinimum {
                stratum,
                minimum,
                eligible,
            } => write!(
                f,
                "stratum {} has only {eligible} eligible contacts, fewer than the minimum \
                 {minimum}: all taken",
                stratum.join(" / ")
            ),
            Self::FilterMissingAttribute {
                attribute,
                contacts,
            } => write!(
                f,
                "{contacts} contacts have no `{attribute}`: treated as not matching the filter"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_read_as_sentences() {
        let shortfall = Warning::Shortfall {
            requested: 500,
            eligible: 312,
        };
        assert_eq!(
            shortfall.to_string(),
            "asked for 500, only 312 eligible: all taken"
        );
        let missing = Warning::FilterMissingAttribute {
            attribute: "segment".to_owned(),
            contacts: 1204,
        };
        assert_eq!(
            missing.to_string(),
            "1204 contacts have no `segment`: treated as not matching the filter"
        );
        assert_eq!(
            serde_json::to_string(&shortfall).expect("serialises"),
            r#"{"kind":"shortfall","requested":500,"eligible":312}"#
        );
    }
}
