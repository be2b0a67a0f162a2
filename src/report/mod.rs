//! Period-over-period reports: what the CX director reads.
//!
//! Layers, each ignorant of the next: [`ReportPlan`] chooses the periods of a
//! [`ReportRequest`] and reads their counters from the store; [`build`] turns the counters
//! into a [`Report`] of rows, trends, themes and verbatims — pure, no I/O; [`render`] writes
//! a report as HTML, Markdown, CSV or JSON through templates; [`map`] draws a program's
//! touchpoint map on its own.

mod build;
mod calendar;
pub mod map;
pub mod render;
mod request;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::cases::{FollowUp, OverdueCase};
use crate::metrics::{
    Better, IndicatorKind, Interval, Kpi, KpiId, Significance, Source, TargetStatus, Unit,
};

pub use build::{ActionPeriods, Inputs, Period as ReportPeriod, build, digest};
pub use request::{Baseline, ReportError, ReportPlan, ReportRequest};

/// How many periods a trend chart shows, at most.
pub const TREND_PERIODS: usize = 12;
/// How many program periods an action plan compares on each side of its start, unless the
/// action sets `periods`.
pub const ACTION_PERIODS: usize = 3;
/// How many verbatims an HTML or Markdown report quotes, at most.
pub const MAX_VERBATIMS: usize = 6;

/// What the rows of a report are per.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// One row set per touchpoint (the default).
    Touchpoint,
    /// One row set per value of a respondent attribute.
    Segment(String),
    /// One row set per channel.
    Channel,
}

/// `--by` was not one of the accepted values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`--by {0}` is not a grouping; use touchpoint, channel or segment:ATTRIBUTE (e.g. segment:region)"
)]
pub struct BadGroupBy(String);

impl FromStr for GroupBy {
    type Err = BadGroupBy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "touchpoint" => Ok(GroupBy::Touchpoint),
            "channel" => Ok(GroupBy::Channel),
            _ => match s.strip_prefix("segment:").map(str::trim) {
                Some(attribute) if !attribute.is_empty() => {
                    Ok(GroupBy::Segment(attribute.to_owned()))
                }
                _ => Err(BadGroupBy(s.to_owned())),
            },
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupBy::Touchpoint => f.write_str("touchpoint"),
            GroupBy::Segment(a) => write!(f, "segment:{a}"),
            GroupBy::Channel => f.write_str("channel"),
        }
    }
}

/// One row of the long form: a KPI of a group, now and in the comparison period. The
/// fields are exactly the CSV columns, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// `touchpoint`, `segment:ATTR`, `channel`, or `all` for the program-wide total.
    pub group_by: String,
    /// The touchpoint id, segment value or channel id; `all` for the total.
    pub group: String,
    /// Which KPI: a survey KPI (`nps`…), an indicator id (`attente`), or a count's category
    /// share (`demandes:facturation`).
    pub kpi: KpiId,
    /// Where the KPI's figures come from (`survey`, `indicator`, `audit`, `mentions`).
    pub source: Source,
    /// Answers (for the response rate: delivered invitations) in the period.
    pub n: u64,
    /// NPS in points, shares in percent, CES on its 1–7 scale; `None` without answers.
    pub value: Option<f64>,
    /// Half the width of the interval (at 1 − α; 95 % by default, and JSON and CSV then
    /// name it `moe95`; at another level `moe90`, `moe99`…).
    pub moe95: Option<f64>,
    /// Lower bound of the interval: Wilson for shares, adjusted-Wald for NPS, Student's t
    /// for CES; renamed with the level like `moe95`.
    pub ci95_low: Option<f64>,
    /// Upper bound of the interval.
    pub ci95_high: Option<f64>,
    /// Answers in the comparison period; `None` without a comparison period.
    pub prev_n: Option<u64>,
    /// The KPI in the comparison period.
    pub prev_value: Option<f64>,
    /// `value − prev_value`; empty, never zero, when either is missing.
    pub delta: Option<f64>,
    /// Two-sided p-value of the change.
    pub p_value: Option<f64>,
    /// The verdict on the change.
    pub significance: Option<Significance>,
    /// The program's target for this KPI and group.
    pub target: Option<f64>,
    /// The KPI against its target, judged on the interval's bounds.
    pub target_status: Option<TargetStatus>,
    /// The date (program time zone) a new wording of a question feeding this KPI was first
    /// answered, when the compared periods saw two wordings; the change is still computed.
    pub wording_changed: Option<String>,
    /// What changed in the questions behind the KPI and when, in the report's language
    /// (`scale changed on 2026-10-14: stars5 → smileys5`).
    pub note: Option<String>,
}

/// What makes a report auditable: rebuilding it from the same program file and counters
/// gives the same digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stamp {
    /// Program id.
    pub program_id: String,
    /// SHA-256 of the program file.
    pub program_sha256: String,
    /// The period reported on.
    pub period: String,
    /// Its first instant (RFC 3339, program time zone).
    pub period_start: String,
    /// Its end, exclusive.
    pub period_end: String,
    /// The comparison period, if any.
    pub vs_period: Option<String>,
    /// Its first instant.
    pub vs_start: Option<String>,
    /// Its end, exclusive.
    pub vs_end: Option<String>,
    /// How rows are grouped.
    pub group_by: String,
    /// Significance level of the tests.
    pub alpha: f64,
    /// Responses in the period.
    pub responses: u64,
    /// Responses in the comparison period.
    pub prev_responses: Option<u64>,
    /// SHA-256 over the counters the figures were computed from.
    pub responses_digest: String,
    /// When the report was made.
    pub generated_at: String,
    /// Things the reader must know (no responses, no comparison…).
    pub notes: Vec<String>,
}

/// One point of a trend chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// Period key.
    pub period: String,
    /// Answers.
    pub n: u64,
    /// The KPI; `None` without answers.
    pub value: Option<f64>,
    /// Its interval, drawn as a band.
    pub interval: Option<Interval>,
}

/// A touchpoint as the journey map and the trend charts show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TouchpointView {
    /// Id.
    pub id: String,
    /// Name in the report's language.
    pub name: String,
    /// Journey stage (snake case).
    pub stage: String,
    /// Moment of truth.
    pub moment_of_truth: bool,
    /// Emotional intensity 1–5.
    pub intensity: u8,
    /// Its main KPI (NPS, else CSAT, else CES, else FCR), if it measures one.
    pub kpi: Option<Kpi>,
    /// The main KPI's row for the period, when there is one.
    pub row: Option<Row>,
    /// The main KPI over the last periods, oldest first.
    pub trend: Vec<TrendPoint>,
}

/// Detractors, passives and promoters of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NpsSplit {
    /// Group id (`all` for the total).
    pub group: String,
    /// Label for people.
    pub label: String,
    /// Answers.
    pub n: u64,
    /// Share of detractors, percent.
    pub detractors: f64,
    /// Share of passives, percent.
    pub passives: f64,
    /// Share of promoters, percent.
    pub promoters: f64,
}

/// A theme's count in the period's verbatims.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeView {
    /// Theme name.
    pub theme: String,
    /// Verbatims that mention it.
    pub count: u64,
    /// Share of all verbatims, percent.
    pub share: f64,
    /// Among detractors' verbatims.
    pub detractors: u64,
    /// Among passives' verbatims.
    pub passives: u64,
    /// Among promoters' verbatims.
    pub promoters: u64,
    /// Among verbatims of responses without an NPS score (a survey without NPS, or the
    /// question left blank), so the split adds up to the count.
    pub no_score: u64,
}

/// A quoted verbatim: its text (emails masked), where it comes from, no respondent data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// Touchpoint name.
    pub touchpoint: String,
    /// The NPS answer of the same response, if any.
    pub score: Option<u8>,
    /// The text.
    pub text: String,
}

/// A whole report, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The audit stamp.
    pub stamp: Stamp,
    /// The long-form rows: groups in order, then the total.
    pub rows: Vec<Row>,
    /// Program title in the report's language.
    pub title: String,
    /// `fr` or `en`.
    pub lang: String,
    /// The touchpoints in journey order.
    pub touchpoints: Vec<TouchpointView>,
    /// NPS splits: total first, then per group.
    pub nps: Vec<NpsSplit>,
    /// Themes, most mentioned first.
    pub themes: Vec<ThemeView>,
    /// Verbatims analysed.
    pub verbatims: u64,
    /// A few verbatims.
    pub quotes: Vec<Quote>,
    /// What drives the NPS: per closed question and answer group, most telling first.
    pub drivers: Vec<Driver>,
    /// The program's action plans with their measured effect, in file order.
    pub actions: Vec<ActionEffect>,
    /// Alerts opened and their follow-up, per period (the report's, then the comparison's)
    /// and touchpoint.
    pub follow_up: Vec<FollowUp>,
    /// Open cases past their promised call-back, most overdue first (no respondent data).
    pub overdue: Vec<OverdueCase>,
    /// The program's indicators, in file order, so readers know their names and units.
    pub indicators: Vec<IndicatorView>,
    /// Each indicator over the trend periods, in file order, so the trend charts show it
    /// beside its touchpoint's survey KPI (or in the program section when it has none).
    pub indicator_trends: Vec<IndicatorTrend>,
    /// Mystery-shopper audits: one per audit survey, in file order.
    pub audits: Vec<AuditView>,
    /// Social mentions imported from the listening tool, counted by theme.
    pub mentions: MentionsView,
}

impl Report {
    /// The indicator a row's `kpi` names, and the breakdown category of a share row
    /// (`demandes:facturation`).
    pub fn indicator_of<'r>(
        &'r self,
        kpi: &'r str,
    ) -> Option<(&'r IndicatorView, Option<&'r str>)> {
        let (id, category) = match kpi.split_once(CATEGORY_SEPARATOR) {
            Some((id, category)) => (id, Some(category)),
            None => (kpi, None),
        };
        self.indicators
            .iter()
            .find(|i| i.id == id)
            .map(|i| (i, category))
    }

    /// An indicator row's label: its name, and the category of a share row.
    pub fn indicator_label(&self, kpi: &str) -> String {
        match self.indicator_of(kpi) {
            Some((indicator, Some(category))) => format!("{} · {category}", indicator.name),
            Some((indicator, None)) => indicator.name.clone(),
            None => kpi.to_owned(),
        }
    }
}

/// Between an indicator id and a breakdown category in a share row's `kpi`.
pub const CATEGORY_SEPARATOR: char = ':';

/// An operational indicator as reports name and format it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorView {
    /// Id, the `kpi` of its rows.
    pub id: String,
    /// Name in the report's language.
    pub name: String,
    /// How it is computed.
    pub kind: IndicatorKind,
    /// Unit of its values.
    pub unit: Unit,
    /// ISO 4217 code of a currency unit.
    pub currency: Option<String>,
    /// Which way is better.
    pub better: Better,
    /// Its touchpoint, when it has one.
    pub touchpoint: Option<String>,
    /// The categories of a count's breakdown.
    pub breakdown: Vec<String>,
}

/// An indicator's main figure over the trend periods (a count's category shares are left
/// out: its volume tells the trend).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorTrend {
    /// Indicator id.
    pub indicator: String,
    /// Its touchpoint, when it has one.
    pub touchpoint: Option<String>,
    /// Its target (at its touchpoint, else program-wide), drawn as a dashed line.
    pub target: Option<f64>,
    /// The figure per trend period, oldest first, from its first measured period.
    pub trend: Vec<TrendPoint>,
}

/// An audit survey's score over the period's visits, and each checklist item's compliance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditView {
    /// Always `audit`.
    pub source: Source,
    /// Survey id.
    pub survey: String,
    /// Touchpoint id.
    pub touchpoint: String,
    /// Visits with at least one applicable item.
    pub visits: u64,
    /// Mean audit score over those visits, in percent.
    pub score: Option<f64>,
    /// Student's t interval of the mean, at 1 − α.
    pub interval: Option<Interval>,
    /// Visits in the comparison period.
    pub prev_visits: Option<u64>,
    /// Mean score in the comparison period.
    pub prev_score: Option<f64>,
    /// Score − previous score, in points.
    pub delta: Option<f64>,
    /// Welch's two-sided p-value of the change.
    pub p_value: Option<f64>,
    /// The verdict on the change.
    pub significance: Option<Significance>,
    /// Each checklist item, in survey order.
    pub items: Vec<AuditItem>,
    /// The ids of the items whose compliance changed significantly.
    pub changed_items: Vec<String>,
}

/// One checklist item: visits where it applied, and how often it was met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditItem {
    /// Question id.
    pub id: String,
    /// Its text in the report's language.
    pub text: String,
    /// Its weight in the visit score.
    pub weight: f64,
    /// Visits where it applied (answered yes or no).
    pub applicable: u64,
    /// Visits where it was met.
    pub met: u64,
    /// met ÷ applicable, in percent.
    pub compliance: Option<f64>,
    /// Wilson interval of the compliance, at 1 − α.
    pub interval: Option<Interval>,
    /// Applicable visits in the comparison period.
    pub prev_applicable: Option<u64>,
    /// Met in the comparison period.
    pub prev_met: Option<u64>,
    /// Compliance in the comparison period.
    pub prev_compliance: Option<f64>,
    /// Compliance − previous compliance, in points.
    pub delta: Option<f64>,
    /// Two-proportion z-test p-value.
    pub p_value: Option<f64>,
    /// The verdict on the change.
    pub significance: Option<Significance>,
}

/// Social mentions of the period and of the comparison period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MentionsView {
    /// Mentions in the period.
    pub count: u64,
    /// Of those, mentions with a rating.
    pub rated: u64,
    /// Their mean rating (1–5).
    pub average_rating: Option<f64>,
    /// Mentions in the comparison period.
    pub prev_count: Option<u64>,
    /// Mean rating in the comparison period.
    pub prev_average_rating: Option<f64>,
    /// Per theme, by theme name (themes mentioned in neither period are left out).
    pub themes: Vec<MentionTheme>,
}

/// The mentions of one theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MentionTheme {
    /// Always `mentions`.
    pub source: Source,
    /// Theme name.
    pub theme: String,
    /// Mentions in the period.
    pub count: u64,
    /// Of those, mentions with a rating.
    pub rated: u64,
    /// Their mean rating.
    pub average_rating: Option<f64>,
    /// Mentions in the comparison period.
    pub prev_count: Option<u64>,
    /// Mean rating in the comparison period.
    pub prev_average_rating: Option<f64>,
}

/// What an action plan did to its KPI, as far as the answers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionVerdict {
    /// The KPI changed significantly in the hoped-for direction.
    Improved,
    /// No significant change (or too few answers before to tell).
    NoMeasurableEffect,
    /// The KPI changed significantly the other way.
    Worsened,
    /// Fewer than 30 answers since the start: wait.
    TooEarly,
}

/// An action plan and its KPI before and since it started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionEffect {
    /// Action id.
    pub id: String,
    /// Title in the report's language.
    pub title: String,
    /// Touchpoint id.
    pub touchpoint: String,
    /// The KPI followed.
    pub kpi: Kpi,
    /// Who carries it.
    pub owner: String,
    /// Start day, `YYYY-MM-DD`.
    pub started: String,
    /// The hoped-for change, in the KPI's unit.
    pub expected: Option<f64>,
    /// The program periods before the start, oldest first.
    pub before_periods: Vec<String>,
    /// The program periods since the start, oldest first.
    pub since_periods: Vec<String>,
    /// Answers before.
    pub before_n: u64,
    /// The KPI over the periods before, pooled.
    pub before_value: Option<f64>,
    /// Answers since.
    pub since_n: u64,
    /// The KPI over the periods since, pooled.
    pub since_value: Option<f64>,
    /// `since_value − before_value`.
    pub change: Option<f64>,
    /// The change's interval at 1 − α.
    pub change_interval: Option<Interval>,
    /// Two-sided p-value of the change (NPS z-test, two-proportion z-test, Welch).
    pub p_value: Option<f64>,
    /// The verdict; `None` when there is nothing before to compare with.
    pub verdict: Option<ActionVerdict>,
    /// Whether the change reached `expected`, judged on its interval.
    pub expected_status: Option<TargetStatus>,
    /// Why a figure is missing or must be read with care, in the report's language.
    pub note: Option<String>,
}

/// The NPS of the respondents in one answer group of a closed question against the NPS of
/// the others who answered it, in the report's period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    /// Survey id.
    pub survey: String,
    /// Question id.
    pub question: String,
    /// The question in the report's language.
    pub question_text: String,
    /// `satisfied` (CSAT), `easy` (CES 5–7), `yes` (yes/no) or an option id.
    pub group: String,
    /// The group for people (`Satisfaits`, the option's label…).
    pub group_label: String,
    /// Respondents in the group (answered both the question and the NPS).
    pub n: u64,
    /// Their NPS, in points.
    pub nps: Option<f64>,
    /// Respondents who answered the question otherwise.
    pub rest_n: u64,
    /// Their NPS.
    pub rest_nps: Option<f64>,
    /// `nps − rest_nps`, in points.
    pub difference: Option<f64>,
    /// Two-sided p-value of the NPS z-test between the two groups.
    pub p_value: Option<f64>,
    /// The verdict; `too_few` when either group has under 30 respondents.
    pub significance: Significance,
}
