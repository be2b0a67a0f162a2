//! From counters to a report: aggregation per group, KPIs with margins, tests against the
//! comparison period, targets, trends, themes. Pure: everything comes in through [`Inputs`].
//! One submodule per section of the report.

mod actions;
mod audits;
mod changes;
mod counts;
mod drivers;
mod groups;
mod indicators;
mod journey;
mod nps;
mod rows;
mod stamp;
mod themes;

use super::{GroupBy, Report};
use crate::cases::{FollowUp, OverdueCase};
use crate::indicators::IndicatorCount;
use crate::mentions::StoredMention;
use crate::metrics::Confidence;
use crate::program::Program;
use crate::program::model::LocalizedText;
use crate::records::{Delivery, VerbatimResponse};
use crate::rollup::{AuditKey, AuditSums, DriverKey, RollupCount, VersionSeen};
use counts::Catalogue;
use groups::{Aggregates, groups, journey_order};

pub use stamp::digest;

/// A period as a report uses it: its name, bounds and the stored period keys it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// As the user wrote it (`2026-11`, `2026-Q3`…).
    pub key: String,
    /// First instant, RFC 3339.
    pub start: String,
    /// End (exclusive), RFC 3339.
    pub end: String,
    /// Stored period keys whose union it is.
    pub parts: Vec<String>,
}

/// The periods an action plan is judged on, chosen by the caller from the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPeriods {
    /// The action's id.
    pub id: String,
    /// Whole program periods before its start, oldest first.
    pub before: Vec<Period>,
    /// Whole program periods since its start, up to the report's period.
    pub since: Vec<Period>,
    /// Its start is after the report's period (or after today).
    pub not_started: bool,
}

/// Everything a report is made from, read by the caller.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The program.
    pub program: &'a Program,
    /// Row grouping.
    pub group_by: GroupBy,
    /// Significance level of the tests; intervals are at 1 − α.
    pub alpha: f64,
    /// The period.
    pub period: Period,
    /// The comparison period, if any.
    pub vs: Option<Period>,
    /// All-respondent counters of both periods (and of the trend periods).
    pub counters: &'a [RollupCount],
    /// Counters of the grouping attribute (for `--by segment:ATTR`), both periods.
    pub segment_counters: &'a [RollupCount],
    /// Delivered invitations of both periods.
    pub deliveries: &'a [Delivery],
    /// Indicator counters of both periods (and of the trend periods).
    pub indicators: &'a [IndicatorCount],
    /// The periods of the trend charts, oldest first (the period itself last).
    pub trend: Vec<Period>,
    /// The period's responses with verbatims.
    pub verbatims: &'a [VerbatimResponse],
    /// Question versions seen in the period and the comparison period.
    pub versions: &'a [VersionSeen],
    /// Driver counters of the period.
    pub drivers: &'a [(DriverKey, u64)],
    /// The periods of each action plan; their counters are in `counters`.
    pub actions: Vec<ActionPeriods>,
    /// The follow-up of cases in the period and the comparison period.
    pub follow_up: Vec<FollowUp>,
    /// Open cases past due.
    pub overdue: Vec<OverdueCase>,
    /// Audit sums of the period and the comparison period.
    pub audits: &'a [(AuditKey, AuditSums)],
    /// Social mentions of the period and the comparison period.
    pub mentions: &'a [StoredMention],
    /// When the report is made, RFC 3339.
    pub generated_at: String,
    /// Notes from the caller (e.g. why there is no comparison).
    pub notes: Vec<String>,
}

impl Inputs<'_> {
    /// The level of the report's intervals, 1 − α (the CLI accepts only 0 < α < 1; any
    /// other value falls back to 95 %).
    pub(super) fn confidence(&self) -> Confidence {
        Confidence::from_alpha(self.alpha).unwrap_or(Confidence::NINETY_FIVE)
    }
}

/// The report's language: French when the program's default locale is French, else English.
pub(super) fn language(program: &Program) -> &'static str {
    if program.file.program.default_locale.starts_with("fr") {
        "fr"
    } else {
        "en"
    }
}

/// Builds the report.
pub fn build(inputs: &Inputs<'_>) -> Report {
    let program = inputs.program;
    let lang = language(program);
    let catalogue = Catalogue::of(program);
    let aggregates = Aggregates::of(inputs, &catalogue);
    let journey = journey_order(inputs);
    let groups = groups(inputs, &catalogue, &aggregates, &journey);
    let mut rows = rows::group_rows(inputs, &catalogue, &aggregates, &groups);
    rows.extend(rows::total_rows(inputs, &catalogue, &aggregates));
    let touchpoints = journey::touchpoints(inputs, &catalogue, &aggregates, &journey, lang);
    let nps = nps::splits(inputs, &aggregates.total_now, &groups, &touchpoints, lang);
    let (themes, verbatims, quotes) = themes::themes_and_quotes(inputs, &catalogue, &touchpoints);
    Report {
        stamp: stamp::stamp(inputs, &aggregates, lang),
        rows,
        title: program
            .file
            .program
            .title
            .pick(lang, &program.file.program.default_locale)
            .to_owned(),
        lang: lang.to_owned(),
        touchpoints,
        nps,
        themes,
        verbatims,
        quotes,
        drivers: drivers::drivers(inputs, lang),
        actions: actions::effects(inputs, &catalogue, lang),
        follow_up: inputs.follow_up.clone(),
        overdue: inputs.overdue.clone(),
        indicators: indicators::views(inputs),
        indicator_trends: indicators::trends(inputs),
        audits: audits::audits(inputs, lang),
        mentions: audits::mentions(inputs),
    }
}

#[cfg(test)]
mod tests;
