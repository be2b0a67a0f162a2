//! KPI formulas and statistics, pure: no I/O, no database, no clock.
//!
//! Reports are built from per-group rollups, so every KPI here is computed from mergeable
//! counters ([`Histogram`]) rather than from raw answers: merging the histograms of two
//! groups and then computing a KPI gives exactly the KPI of the union.
//!
//! Conventions shared by every KPI:
//! - NPS is in points (−100…100), shares in percent (0…100), means on the scale's own values;
//! - intervals are honest at any n ([`interval`]: Wilson for shares, adjusted-Wald for NPS,
//!   Student's t for means), at a [`Confidence`] level; `moe95` is half their width;
//! - an empty sample (n = 0) gives `None`, never NaN and never a panic.

mod ces;
pub mod display;
mod histogram;
mod indicator;
mod interval;
mod nps;
mod proportion;
mod scale;
mod significance;
mod target;
mod themes;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use ces::{Ces, Mean};
pub use histogram::{Histogram, ValueOutOfRange};
pub use indicator::{Better, IndicatorCounter, IndicatorKind, KpiId, Unit};
pub use interval::{Confidence, Interval, mean_t, nps_adjusted_wald, wilson};
pub use nps::{Nps, NpsCategory};
pub use proportion::{Csat, Proportion, fcr, response_rate};
pub use scale::CsatScale;
pub use significance::{
    Comparison, DEFAULT_ALPHA, MIN_N_FOR_SIGNIFICANCE, Significance, compare_means, compare_nps,
    compare_proportions,
};
pub use target::{Goal, TargetStatus};
pub use themes::{CategoryCounts, ThemeCount, ThemeCounter, ThemeMatcher};

/// The KPIs a program can report and set targets on; the program model uses it for
/// `targets:` and reports use it for the `kpi` column.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// Net Promoter Score, in points (−100…100).
    Nps,
    /// Share of satisfied answers, in percent.
    Csat,
    /// Customer effort score: mean on 1–7, 7 = very easy.
    Ces,
    /// First-contact resolution: share of "yes", in percent.
    Fcr,
    /// Responses ÷ delivered invitations, in percent.
    ResponseRate,
}

impl Kpi {
    /// Every KPI in report order, so tables list them consistently.
    pub const ALL: [Kpi; 5] = [Kpi::Nps, Kpi::Csat, Kpi::Ces, Kpi::Fcr, Kpi::ResponseRate];

    /// The name used in program files and in CSV/JSON reports (`response_rate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::Nps => "nps",
            Kpi::Csat => "csat",
            Kpi::Ces => "ces",
            Kpi::Fcr => "fcr",
            Kpi::ResponseRate => "response_rate",
        }
    }
}

/// Where a report row's figures come from, so a reader of the long form can tell a survey
/// score from an operational indicator, an audit or a count of social mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Source {
    /// Answers to the program's surveys (and the invitations behind the response rate).
    Survey,
    /// An operational indicator imported from the team's own systems.
    Indicator,
    /// Mystery-shopper visits checked against a checklist.
    Audit,
    /// Mentions on social networks, imported from the team's listening tool.
    Mentions,
}

impl Kpi {
    /// Where this KPI's figures come from.
    pub fn source(self) -> Source {
        match self {
            Kpi::Nps | Kpi::Csat | Kpi::Ces | Kpi::Fcr | Kpi::ResponseRate => Source::Survey,
        }
    }
}

impl std::fmt::Display for Kpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every KPI boils down to in a report row: sample size, value and interval, so
/// reports and target checks can treat all KPIs alike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Number of answers (or delivered invitations, for the response rate).
    pub n: u64,
    /// The KPI in its report unit (points, percent or scale value).
    pub value: f64,
    /// The confidence interval; `None` when it cannot be estimated (a mean of one answer).
    pub interval: Option<Interval>,
}

impl Estimate {
    /// Judges this figure against a goal on its interval (see [`TargetStatus::judge`]).
    pub fn target_status(&self, target: f64) -> TargetStatus {
        TargetStatus::judge(self.interval, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_names_match_serde() {
        for kpi in Kpi::ALL {
            let json = serde_json::to_string(&kpi).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kpi.as_str()));
            assert_eq!(kpi.to_string(), kpi.as_str());
        }
        let parsed: Kpi = serde_json::from_str("\"response_rate\"").expect("parses");
        assert_eq!(parsed, Kpi::ResponseRate);
    }

    #[test]
    fn estimate_judges_target() {
        // 39 in [30, 48] against 40: the interval straddles the target.
        let e = Estimate {
            n: 290,
            value: 39.0,
            interval: Some(Interval {
                low: 30.0,
                high: 48.0,
            }),
        };
        assert_eq!(e.target_status(40.0), TargetStatus::Inconclusive);
        assert_eq!(e.target_status(30.0), TargetStatus::Met);
        assert_eq!(e.target_status(48.5), TargetStatus::Missed);
    }
}
