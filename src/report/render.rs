//! Writing a [`Report`]: long-form CSV and JSON for machines (unrounded), HTML and Markdown
//! for people (rounded, in the program's language) through minijinja templates in
//! `templates/report/`, embedded in the binary and overridable file by file from the
//! team's templates folder. Chart geometry is computed here so templates only draw.

use std::path::{Path, PathBuf};

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde::ser::{Error as _, SerializeMap};
use serde::{Serialize, Serializer};

mod charts;
mod palette;

use super::{ActionVerdict, Report, Row};
use crate::metrics::display::fixed;
use crate::metrics::{
    Better, Confidence, IndicatorKind, Interval, Kpi, KpiId, MIN_N_FOR_SIGNIFICANCE, Significance,
    TargetStatus, Unit,
};
use crate::responses::protect_cell;
pub use charts::{Journey, journey};
use charts::{Trend, trends};
pub use palette::{PALETTE, Palette, TREND_BAND_OPACITY};

/// The default report templates.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "report/report.html",
        include_str!("../../templates/report/report.html"),
    ),
    (
        "report/report.md",
        include_str!("../../templates/report/report.md"),
    ),
    (
        "report/journey.svg",
        include_str!("../../templates/report/journey.svg"),
    ),
    (
        "report/labels.json",
        include_str!("../../templates/report/labels.json"),
    ),
];

/// The CSV columns and JSON row fields at 95 %, in order: exactly the fields of [`Row`].
/// At another level ([`columns`]) the interval's three are named for it.
pub const CSV_COLUMNS: [&str; 18] = [
    "group_by",
    "group",
    "kpi",
    "source",
    "n",
    "value",
    "moe95",
    "ci95_low",
    "ci95_high",
    "prev_n",
    "prev_value",
    "delta",
    "p_value",
    "significance",
    "target",
    "target_status",
    "wording_changed",
    "note",
];

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed (a typo in an overriding template, usually).
    #[error("report template error: {0:#}")]
    Template(#[from] minijinja::Error),
    /// The labels file is not valid JSON.
    #[error("templates/report/labels.json is not valid JSON: {0}")]
    Labels(#[from] serde_json::Error),
    /// CSV writing failed.
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    /// CSV output was not UTF-8 (cannot happen with UTF-8 input).
    #[error("cannot write CSV: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
}

/// The column names of a report at `alpha`: [`CSV_COLUMNS`] with `moe95`, `ci95_low` and
/// `ci95_high` named for the level 1 − α (`moe90`, `ci90_low`… at α = 0.10), so a file
/// never calls a 90 % interval a 95 % one.
pub fn columns(alpha: f64) -> Vec<String> {
    let level = Confidence::from_alpha(alpha)
        .unwrap_or(Confidence::NINETY_FIVE)
        .name();
    CSV_COLUMNS
        .iter()
        .map(|column| match *column {
            "moe95" | "ci95_low" | "ci95_high" => column.replacen("95", &level, 1),
            other => other.to_owned(),
        })
        .collect()
}

/// A row serialised under its report's column names, in column order.
struct MachineRow<'a> {
    row: &'a Row,
    columns: &'a [String],
}

impl Serialize for MachineRow<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = serde_json::to_value(self.row).map_err(S::Error::custom)?;
        let mut map = serializer.serialize_map(Some(CSV_COLUMNS.len()))?;
        for (field, name) in CSV_COLUMNS.iter().zip(self.columns) {
            map.serialize_entry(name, &fields[*field])?;
        }
        map.end()
    }
}

/// The machine form: `{"stamp": …, "rows": […], "drivers": […], "actions": […],
/// "follow_up": […], "overdue": […], "audits": […], "mentions": {…}}`.
pub fn json(report: &Report) -> Result<String, RenderError> {
    #[derive(Serialize)]
    struct Machine<'a> {
        stamp: &'a super::Stamp,
        rows: Vec<MachineRow<'a>>,
        drivers: &'a [super::Driver],
        actions: &'a [super::ActionEffect],
        follow_up: &'a [crate::cases::FollowUp],
        overdue: &'a [crate::cases::OverdueCase],
        audits: &'a [super::AuditView],
        mentions: &'a super::MentionsView,
    }
    let columns = columns(report.stamp.alpha);
    Ok(serde_json::to_string_pretty(&Machine {
        stamp: &report.stamp,
        rows: report
            .rows
            .iter()
            .map(|row| MachineRow {
                row,
                columns: &columns,
            })
            .collect(),
        drivers: &report.drivers,
        actions: &report.actions,
        follow_up: &report.follow_up,
        overdue: &report.overdue,
        audits: &report.audits,
        mentions: &report.mentions,
    })?)
}

/// The long-form CSV: one line per (group, KPI), numbers unrounded, empty when unknown;
/// group names are respondents' text, made spreadsheet-safe.
pub fn csv(report: &Report) -> Result<String, RenderError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns(report.stamp.alpha))?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in &report.rows {
        writer.write_record([
            protect_cell(&r.group_by).into_owned(),
            protect_cell(&r.group).into_owned(),
            r.kpi.as_str().to_owned(),
            <&str>::from(r.source).to_owned(),
            r.n.to_string(),
            opt(r.value),
            opt(r.moe95),
            opt(r.ci95_low),
            opt(r.ci95_high),
            r.prev_n.map(|n| n.to_string()).unwrap_or_default(),
            opt(r.prev_value),
            opt(r.delta),
            opt(r.p_value),
            r.significance
                .map(significance_name)
                .unwrap_or_default()
                .to_owned(),
            opt(r.target),
            r.target_status
                .map(status_name)
                .unwrap_or_default()
                .to_owned(),
            r.wording_changed.clone().unwrap_or_default(),
            r.note.clone().unwrap_or_default(),
        ])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes)?)
}

fn significance_name(s: Significance) -> &'static str {
    match s {
        Significance::Significant => "significant",
        Significance::NotSignificant => "not_significant",
        Significance::TooFew => "too_few",
        Significance::NotComparable => "not_comparable",
        Significance::Unknown => "unknown",
    }
}

fn status_name(s: TargetStatus) -> &'static str {
    match s {
        TargetStatus::Met => "met",
        TargetStatus::Missed => "missed",
        TargetStatus::Inconclusive => "inconclusive",
    }
}

/// The report templates: embedded defaults, overridable from a folder.
pub struct Renderer {
    environment: Environment<'static>,
}

impl Renderer {
    /// Templates from `override_dir` (files named like `report/report.html`) win.
    pub fn new(override_dir: Option<&Path>) -> Self {
        let mut environment = Environment::new();
        environment.set_undefined_behavior(UndefinedBehavior::Strict);
        environment.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".svg") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        let dir: Option<PathBuf> = override_dir.map(Path::to_path_buf);
        environment.set_loader(move |name| {
            if let Some(dir) = &dir {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return std::fs::read_to_string(&candidate)
                        .map(Some)
                        .map_err(|err| {
                            minijinja::Error::new(
                                minijinja::ErrorKind::InvalidOperation,
                                format!("cannot read template {}: {err}", candidate.display()),
                            )
                        });
                }
            }
            Ok(EMBEDDED
                .iter()
                .find(|(embedded, _)| *embedded == name)
                .map(|(_, text)| (*text).to_owned()))
        });
        environment.add_filter("md", markdown_escape);
        Renderer { environment }
    }

    fn labels(&self, lang: &str) -> Result<serde_json::Value, RenderError> {
        let text = self
            .environment
            .get_template("report/labels.json")?
            .source()
            .to_owned();
        let all: serde_json::Value = serde_json::from_str(&text)?;
        Ok(all
            .get(lang)
            .or_else(|| all.get("en"))
            .cloned()
            .unwrap_or_default())
    }

    /// The self-contained HTML report.
    pub fn html(&self, report: &Report) -> Result<String, RenderError> {
        self.people(report, "report/report.html")
    }

    /// The Markdown report.
    pub fn markdown(&self, report: &Report) -> Result<String, RenderError> {
        self.people(report, "report/report.md")
    }

    fn people(&self, report: &Report, template: &str) -> Result<String, RenderError> {
        let lang = report.lang.as_str();
        let level = Confidence::from_alpha(report.stamp.alpha)
            .unwrap_or(Confidence::NINETY_FIVE)
            .percent_text();
        let t = with_level(self.labels(lang)?, &percent_with(&level, lang));
        let view = View::of(report, &t);
        let has_alerts = !report.follow_up.is_empty() || !report.overdue.is_empty();
        let template = self.environment.get_template(template)?;
        let mut text = template.render(context! {
            report => Serde(report),
            stamp => Serde(&report.stamp),
            t => Serde(&t),
            lang => lang,
            colour => Serde(&PALETTE),
            band_opacity => TREND_BAND_OPACITY,
            alpha => localise(report.stamp.alpha.to_string(), lang),
            responses => count(report.stamp.responses, "response", &t, lang),
            prev_responses => report.stamp.prev_responses.map(|n| count(n, "response", &t, lang)),
            verbatims => count(report.verbatims, "verbatim", &t, lang),
            rows => Serde(&view.rows),
            journey => Serde(&view.journey),
            trends => Serde(&view.trends),
            program_trends => Serde(&view.program_trends),
            audits => Serde(&view.audits),
            mentions => Serde(&view.mentions),
            has_mentions => report.mentions.count > 0 || report.mentions.prev_count.is_some_and(|n| n > 0),
            nps => Serde(&view.nps),
            themes => Serde(&view.themes),
            drivers => Serde(&view.drivers),
            actions => Serde(&view.actions),
            follow_up => Serde(&view.follow_up),
            overdue => Serde(&view.overdue),
            has_alerts => has_alerts,
            quotes => Serde(&report.quotes),
            standalone => false,
        })?;
        // A text file ends with a newline, whatever the template's last line.
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }

    /// The touchpoint map alone, as SVG.
    pub fn map_svg(&self, journey: &Journey, lang: &str) -> Result<String, RenderError> {
        let t = self.labels(lang)?;
        let template = self.environment.get_template("report/journey.svg")?;
        let mut text = template.render(context! {
            journey => Serde(journey),
            t => Serde(&t),
            colour => Serde(&PALETTE),
            standalone => true,
        })?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }
}

/// Escapes text for Markdown tables and paragraphs (minijinja does not for `.md`).
fn markdown_escape(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A row as people read it: rounded, localised, with colour classes.
#[derive(Debug, Serialize)]
struct PeopleRow {
    group: String,
    group_label: String,
    is_total: bool,
    kpi: String,
    kpi_label: String,
    n: u64,
    value: String,
    moe: String,
    prev: String,
    delta: String,
    delta_class: &'static str,
    direction: &'static str,
    p_value: String,
    significance: &'static str,
    significance_label: String,
    target: String,
    status: &'static str,
    status_label: String,
    note: String,
}

/// An action plan as people read it.
#[derive(Debug, Serialize)]
struct ActionRow {
    title: String,
    touchpoint: String,
    kpi_label: String,
    owner: String,
    started: String,
    before_n: u64,
    before: String,
    since_n: u64,
    since: String,
    change: String,
    interval: String,
    direction: &'static str,
    p_value: String,
    verdict: &'static str,
    verdict_label: String,
    expected: String,
    expected_label: String,
    note: String,
}

/// The follow-up of a touchpoint's cases in a period, as people read it.
#[derive(Debug, Serialize)]
struct FollowUpRow {
    touchpoint: String,
    period: String,
    opened: u64,
    in_time: String,
    median_contact: String,
    median_resolution: String,
}

/// An overdue case as people read it.
#[derive(Debug, Serialize)]
struct OverdueRow {
    id: i64,
    rule: String,
    touchpoint: String,
    period: String,
    due: String,
    late: String,
}

/// A significant driver as people read it.
#[derive(Debug, Serialize)]
struct DriverRow {
    question: String,
    group: String,
    n: u64,
    nps: String,
    rest_n: u64,
    rest_nps: String,
    difference: String,
    direction: &'static str,
    p_value: String,
}

/// An NPS split as people read it: bar widths unrounded, texts rounded.
#[derive(Debug, Serialize)]
struct SplitView {
    group: String,
    label: String,
    n: u64,
    widths: [f64; 3],
    texts: [String; 3],
}

/// A theme's line as people read it.
#[derive(Debug, Serialize)]
struct ThemeRow {
    theme: String,
    count: u64,
    share: String,
    width: f64,
    detractors: u64,
    passives: u64,
    promoters: u64,
    no_score: u64,
}

/// What the templates draw, computed once.
struct View {
    rows: Vec<PeopleRow>,
    journey: Journey,
    trends: Vec<Trend>,
    /// The program-wide indicators' charts.
    program_trends: Vec<Trend>,
    audits: Vec<AuditRow>,
    mentions: Vec<MentionRow>,
    nps: Vec<SplitView>,
    themes: Vec<ThemeRow>,
    drivers: Vec<DriverRow>,
    actions: Vec<ActionRow>,
    follow_up: Vec<FollowUpRow>,
    overdue: Vec<OverdueRow>,
}

fn label(t: &serde_json::Value, key: &str) -> String {
    t.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or(key)
        .to_owned()
}

/// `n` and its noun (`1 réponse`, `0 réponse`, `2 réponses`; `0 responses` in English):
/// labels `NOUN_one` and `NOUN_other`.
fn count(n: u64, noun: &str, t: &serde_json::Value, lang: &str) -> String {
    let one = if lang == "fr" { n <= 1 } else { n == 1 };
    let key = format!("{noun}_{}", if one { "one" } else { "other" });
    format!("{n} {}", label(t, &key))
}

/// The labels with `{level}` replaced by the intervals' confidence level (`95 %`).
fn with_level(labels: serde_json::Value, level: &str) -> serde_json::Value {
    match labels {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => (
                    key,
                    serde_json::Value::String(text.replace("{level}", level)),
                ),
                other => (key, other),
            })
            .collect(),
        other => other,
    }
}

/// A decimal comma in French.
fn localise(text: String, lang: &str) -> String {
    if lang == "fr" {
        text.replace('.', ",")
    } else {
        text
    }
}

/// A percentage for people: `38 %` in French, `38%` in English.
fn percent(v: f64, lang: &str) -> String {
    percent_with(&fixed(v, 0), lang)
}

/// A number already written for people, as a percentage in the page's language.
fn percent_with(number: &str, lang: &str) -> String {
    if lang == "fr" {
        format!("{} %", localise(number.to_owned(), lang))
    } else {
        format!("{number}%")
    }
}

/// `+` before a positive rounded number; a zero stays unsigned.
fn signed(text: String) -> String {
    if text.starts_with('-') || !text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        text
    } else {
        format!("+{text}")
    }
}

/// How a figure is written for people: its rounding and its unit.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// NPS points, signed, no decimal.
    Points,
    /// A mean on a survey scale (CES), one decimal.
    Scale,
    /// A percentage, no decimal.
    Percent,
    /// An indicator's amount: decimals and the unit written after it (`s`, `min`, `€`).
    Amount {
        /// Decimals shown.
        decimals: usize,
        /// Unit after the number; empty for a plain count.
        suffix: String,
    },
}

impl Shape {
    /// The shape of a survey KPI.
    fn of_kpi(kpi: Kpi) -> Shape {
        match kpi {
            Kpi::Nps => Shape::Points,
            Kpi::Ces => Shape::Scale,
            _ => Shape::Percent,
        }
    }

    /// The shape of a row's KPI: a survey KPI, or an indicator by its kind and unit (a
    /// ratio and a count's category share in percent).
    fn of(kpi: &KpiId, report: &Report) -> Shape {
        let id = match kpi {
            KpiId::Survey(kpi) => return Shape::of_kpi(*kpi),
            KpiId::Indicator(id) => id,
        };
        let Some((indicator, category)) = report.indicator_of(id) else {
            return Shape::Percent;
        };
        if category.is_some() || indicator.kind == IndicatorKind::Ratio {
            return Shape::Percent;
        }
        let (decimals, suffix) = match indicator.unit {
            Unit::Seconds => (0, "\u{a0}s".to_owned()),
            Unit::Minutes => (1, "\u{a0}min".to_owned()),
            Unit::Percent => return Shape::Percent,
            Unit::Count => (0, String::new()),
            Unit::Currency => (
                2,
                match indicator.currency.as_deref() {
                    Some("EUR") | None => "\u{a0}€".to_owned(),
                    Some(code) => format!("\u{a0}{code}"),
                },
            ),
        };
        Shape::Amount { decimals, suffix }
    }

    fn decimals(&self) -> usize {
        match self {
            Shape::Points | Shape::Percent => 0,
            Shape::Scale => 1,
            Shape::Amount { decimals, .. } => *decimals,
        }
    }
}

/// Formats a KPI value for people, rounded half away from zero: NPS as a signed integer,
/// shares as percent, CES with one decimal; French uses a decimal comma.
fn people_value(kpi: Kpi, v: f64, lang: &str) -> String {
    people_figure(&Shape::of_kpi(kpi), v, lang)
}

/// Formats any figure for people in its shape.
fn people_figure(shape: &Shape, v: f64, lang: &str) -> String {
    match shape {
        Shape::Points => signed(fixed(v, 0)),
        Shape::Scale => localise(fixed(v, 1), lang),
        Shape::Percent => percent(v, lang),
        Shape::Amount { decimals, suffix } => {
            format!("{}{suffix}", localise(fixed(v, *decimals), lang))
        }
    }
}

/// A change for people: signed, `=` when it rounds to zero.
fn people_delta(kpi: Kpi, d: f64, lang: &str) -> String {
    people_change(&Shape::of_kpi(kpi), d, lang)
}

/// A change of any figure for people, rounded like its values.
fn people_change(shape: &Shape, d: f64, lang: &str) -> String {
    let text = signed(fixed(d, shape.decimals()));
    if text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        localise(text, lang)
    } else {
        "=".to_owned()
    }
}

/// The interval for people, rounded like the value: `±4` when the value sits in its
/// middle once rounded, else its bounds, `[78–98]` (NPS: `[-35 ; +55]`, `[-35, +55]` in
/// English), so a small sample shows how wide its interval really is. The t interval of
/// identical answers has no width; below [`MIN_N_FOR_SIGNIFICANCE`] answers that "±0"
/// would claim a precision the sample does not have, so the row says "few answers".
fn people_interval(r: &Row, shape: &Shape, t: &serde_json::Value, lang: &str) -> String {
    let interval = r
        .ci95_low
        .zip(r.ci95_high)
        .map(|(low, high)| Interval { low, high });
    interval_text(r.value, interval, r.n, shape, t, lang)
}

/// [`people_interval`] of any figure: its value, interval and sample size.
fn interval_text(
    value: Option<f64>,
    interval: Option<Interval>,
    n: u64,
    shape: &Shape,
    t: &serde_json::Value,
    lang: &str,
) -> String {
    let (Some(value), Some(Interval { low, high })) = (value, interval) else {
        return String::new();
    };
    if high <= low && n < MIN_N_FOR_SIGNIFICANCE {
        return label(t, "few_answers");
    }
    let decimals = shape.decimals();
    let (below, above) = (fixed(value - low, decimals), fixed(high - value, decimals));
    if below == above {
        return format!("±{}", localise(below, lang));
    }
    let (low, high) = match shape {
        Shape::Points => (signed(fixed(low, 0)), signed(fixed(high, 0))),
        _ => (
            localise(fixed(low, decimals), lang),
            localise(fixed(high, decimals), lang),
        ),
    };
    let separator = match (shape, lang) {
        (Shape::Points, "fr") => " ; ",
        (Shape::Points, _) => ", ",
        _ => "–",
    };
    format!("[{low}{separator}{high}]")
}

/// A p-value for people: three decimals, `< 0.001` below.
fn people_p(p: f64, lang: &str) -> String {
    if p < 0.001 {
        localise("< 0.001".to_owned(), lang)
    } else {
        localise(fixed(p, 3), lang)
    }
}

/// Hours for people: `31 h`, `1,5 h` under ten hours.
fn people_hours(hours: f64, lang: &str) -> String {
    let decimals = if hours < 10.0 { 1 } else { 0 };
    format!("{}\u{a0}h", localise(fixed(hours, decimals), lang))
}

/// The alert follow-up and the overdue cases.
fn case_rows(report: &Report) -> (Vec<FollowUpRow>, Vec<OverdueRow>) {
    let lang = report.lang.as_str();
    let name = |id: &str| {
        report
            .touchpoints
            .iter()
            .find(|tp| tp.id == id)
            .map_or_else(|| id.to_owned(), |tp| tp.name.clone())
    };
    let hours = |h: Option<f64>| h.map_or_else(|| "–".to_owned(), |h| people_hours(h, lang));
    let follow_up = report
        .follow_up
        .iter()
        .map(|f| FollowUpRow {
            touchpoint: name(&f.touchpoint),
            period: f.period.clone(),
            opened: f.opened,
            in_time: f.in_time_share.map_or_else(
                || "–".to_owned(),
                |share| format!("{} ({}/{})", percent(share, lang), f.in_time, f.judged),
            ),
            median_contact: hours(f.median_hours_to_contact),
            median_resolution: hours(f.median_hours_to_resolution),
        })
        .collect();
    let overdue = report
        .overdue
        .iter()
        .map(|c| OverdueRow {
            id: c.id,
            rule: c.rule.clone(),
            touchpoint: name(&c.touchpoint),
            period: c.period.clone(),
            due: c.due_at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            late: people_hours(c.hours_overdue, lang),
        })
        .collect();
    (follow_up, overdue)
}

/// The action plans, in file order.
fn action_rows(report: &Report, t: &serde_json::Value) -> Vec<ActionRow> {
    let lang = report.lang.as_str();
    let dash = || "–".to_owned();
    report
        .actions
        .iter()
        .map(|a| {
            let value = |v: Option<f64>| v.map_or_else(dash, |v| people_value(a.kpi, v, lang));
            let decimals = if a.kpi == Kpi::Ces { 1 } else { 0 };
            let bound = |v: f64| localise(signed(fixed(v, decimals)), lang);
            let verdict = match a.verdict {
                Some(ActionVerdict::Improved) => "improved",
                Some(ActionVerdict::NoMeasurableEffect) => "no_measurable_effect",
                Some(ActionVerdict::Worsened) => "worsened",
                Some(ActionVerdict::TooEarly) => "too_early",
                None => "none",
            };
            let separator = if lang == "fr" { " ; " } else { ", " };
            ActionRow {
                title: a.title.clone(),
                touchpoint: report
                    .touchpoints
                    .iter()
                    .find(|tp| tp.id == a.touchpoint)
                    .map_or_else(|| a.touchpoint.clone(), |tp| tp.name.clone()),
                kpi_label: label(t, a.kpi.as_str()),
                owner: a.owner.clone(),
                started: a.started.clone(),
                before_n: a.before_n,
                before: value(a.before_value),
                since_n: a.since_n,
                since: value(a.since_value),
                change: a.change.map_or_else(dash, |d| people_delta(a.kpi, d, lang)),
                interval: a.change_interval.map_or_else(String::new, |i| {
                    format!("[{}{separator}{}]", bound(i.low), bound(i.high))
                }),
                direction: match a.change {
                    Some(d) if d > 0.0 => "up",
                    Some(d) if d < 0.0 => "down",
                    _ => "flat",
                },
                p_value: a.p_value.map(|p| people_p(p, lang)).unwrap_or_default(),
                verdict,
                verdict_label: if verdict == "none" {
                    String::new()
                } else {
                    label(t, verdict)
                },
                expected: a
                    .expected
                    .map(|e| localise(signed(fixed(e, decimals)), lang))
                    .unwrap_or_default(),
                expected_label: a
                    .expected_status
                    .map(|s| label(t, status_name(s)))
                    .unwrap_or_default(),
                note: a.note.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// The significant drivers, in the report's order.
fn driver_rows(report: &Report) -> Vec<DriverRow> {
    let lang = report.lang.as_str();
    let nps =
        |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| people_value(Kpi::Nps, v, lang));
    report
        .drivers
        .iter()
        .filter(|d| d.significance == Significance::Significant)
        .map(|d| DriverRow {
            question: d.question_text.clone(),
            group: d.group_label.clone(),
            n: d.n,
            nps: nps(d.nps),
            rest_n: d.rest_n,
            rest_nps: nps(d.rest_nps),
            difference: nps(d.difference),
            direction: if d.difference.is_some_and(|v| v < 0.0) {
                "down"
            } else {
                "up"
            },
            p_value: d.p_value.map(|p| people_p(p, lang)).unwrap_or_default(),
        })
        .collect()
}

/// The colour class of a change: `up` (green) for a significant change for the better, `down`
/// (red) for the worse, so a fall is green when less is better; `flat` otherwise, `none`
/// without a change.
fn delta_class(
    delta: Option<f64>,
    significance: Option<Significance>,
    lower_is_better: bool,
) -> &'static str {
    let (rise, fall) = if lower_is_better {
        ("down", "up")
    } else {
        ("up", "down")
    };
    match (delta, significance) {
        (Some(d), Some(Significance::Significant)) if d > 0.0 => rise,
        (Some(d), Some(Significance::Significant)) if d < 0.0 => fall,
        (Some(_), _) => "flat",
        _ => "none",
    }
}

/// The change's arrow direction.
fn direction(delta: Option<f64>) -> &'static str {
    match delta {
        Some(d) if d > 0.0 => "up",
        Some(d) if d < 0.0 => "down",
        _ => "flat",
    }
}

/// A checklist item as people read it.
#[derive(Debug, Serialize)]
struct AuditItemRow {
    text: String,
    applicable: u64,
    compliance: String,
    interval: String,
    prev: String,
    delta: String,
    delta_class: &'static str,
    direction: &'static str,
    significance_label: String,
    /// Whether its compliance changed significantly (marked in the table).
    changed: bool,
}

/// An audit survey's score and items as people read them.
#[derive(Debug, Serialize)]
struct AuditRow {
    touchpoint: String,
    visits: u64,
    score: String,
    interval: String,
    prev_visits: Option<u64>,
    prev: String,
    delta: String,
    delta_class: &'static str,
    direction: &'static str,
    p_value: String,
    significance_label: String,
    items: Vec<AuditItemRow>,
}

/// The mentions of the period, overall or of one theme, as people read them.
#[derive(Debug, Serialize)]
struct MentionRow {
    theme: String,
    count: u64,
    prev_count: String,
    count_change: String,
    rating: String,
    prev_rating: String,
    rating_change: String,
}

/// The audits: score with its t interval and change, each item with its Wilson interval.
fn audit_rows(report: &Report, t: &serde_json::Value) -> Vec<AuditRow> {
    let lang = report.lang.as_str();
    let shape = Shape::Percent;
    let dash = || "–".to_owned();
    let figure = |v: Option<f64>| v.map_or_else(dash, |v| people_figure(&shape, v, lang));
    let change = |d: Option<f64>| d.map_or_else(dash, |d| people_change(&shape, d, lang));
    let verdict = |s: Option<Significance>| {
        s.map(|s| label(t, significance_name(s)))
            .unwrap_or_default()
    };
    report
        .audits
        .iter()
        .map(|a| AuditRow {
            touchpoint: report
                .touchpoints
                .iter()
                .find(|tp| tp.id == a.touchpoint)
                .map_or_else(|| a.touchpoint.clone(), |tp| tp.name.clone()),
            visits: a.visits,
            score: figure(a.score),
            interval: interval_text(a.score, a.interval, a.visits, &shape, t, lang),
            prev_visits: a.prev_visits,
            prev: figure(a.prev_score),
            delta: change(a.delta),
            delta_class: delta_class(a.delta, a.significance, false),
            direction: direction(a.delta),
            p_value: a.p_value.map(|p| people_p(p, lang)).unwrap_or_default(),
            significance_label: verdict(a.significance),
            items: a
                .items
                .iter()
                .map(|i| AuditItemRow {
                    text: i.text.clone(),
                    applicable: i.applicable,
                    compliance: figure(i.compliance),
                    interval: interval_text(
                        i.compliance,
                        i.interval,
                        i.applicable,
                        &shape,
                        t,
                        lang,
                    ),
                    prev: figure(i.prev_compliance),
                    delta: change(i.delta),
                    delta_class: delta_class(i.delta, i.significance, false),
                    direction: direction(i.delta),
                    significance_label: verdict(i.significance),
                    changed: a.changed_items.contains(&i.id),
                })
                .collect(),
        })
        .collect()
}

/// The mentions: all of them first (theme empty), then per theme.
fn mention_rows(report: &Report) -> Vec<MentionRow> {
    let lang = report.lang.as_str();
    let m = &report.mentions;
    let rating = Shape::Scale;
    let dash = || "–".to_owned();
    let row = |theme: &str,
               (count, prev_count): (u64, Option<u64>),
               (now, before): (Option<f64>, Option<f64>)| MentionRow {
        theme: theme.to_owned(),
        count,
        prev_count: prev_count.map_or_else(dash, |n| n.to_string()),
        count_change: prev_count.map_or_else(dash, |p| {
            let d = count as f64 - p as f64;
            people_change(
                &Shape::Amount {
                    decimals: 0,
                    suffix: String::new(),
                },
                d,
                lang,
            )
        }),
        rating: now.map_or_else(dash, |v| people_figure(&rating, v, lang)),
        prev_rating: before.map_or_else(dash, |v| people_figure(&rating, v, lang)),
        rating_change: now
            .zip(before)
            .map_or_else(dash, |(a, b)| people_change(&rating, a - b, lang)),
    };
    std::iter::once(row(
        "",
        (m.count, m.prev_count),
        (m.average_rating, m.prev_average_rating),
    ))
    .chain(m.themes.iter().map(|th| {
        row(
            &th.theme,
            (th.count, th.prev_count),
            (th.average_rating, th.prev_average_rating),
        )
    }))
    .collect()
}

fn people_rows(report: &Report, t: &serde_json::Value) -> Vec<PeopleRow> {
    let lang = report.lang.as_str();
    report
        .rows
        .iter()
        .map(|r| {
            let shape = Shape::of(&r.kpi, report);
            let is_total = r.group_by == "all";
            let group_label = if is_total {
                label(t, "total")
            } else {
                report
                    .touchpoints
                    .iter()
                    .find(|tp| tp.id == r.group && r.group_by == "touchpoint")
                    .map_or_else(|| r.group.clone(), |tp| tp.name.clone())
            };
            let significance = r.significance.map_or("none", significance_name);
            let status = r.target_status.map_or("none", status_name);
            // The colour of a rise and of a fall: green for good news, so a fall is green when
            // less is better.
            let lower_is_better = matches!(
                report.indicator_of(r.kpi.as_str()),
                Some((i, None)) if i.better == Better::Lower
            );
            let delta_class = delta_class(r.delta, r.significance, lower_is_better);
            PeopleRow {
                group: r.group.clone(),
                group_label,
                is_total,
                kpi: r.kpi.as_str().to_owned(),
                kpi_label: match &r.kpi {
                    KpiId::Survey(kpi) => label(t, kpi.as_str()),
                    KpiId::Indicator(id) => report.indicator_label(id),
                },
                n: r.n,
                value: r
                    .value
                    .map(|v| people_figure(&shape, v, lang))
                    .unwrap_or_else(|| "–".to_owned()),
                moe: people_interval(r, &shape, t, lang),
                prev: r
                    .prev_value
                    .map(|v| people_figure(&shape, v, lang))
                    .unwrap_or_else(|| "–".to_owned()),
                delta: r
                    .delta
                    .map(|d| people_change(&shape, d, lang))
                    .unwrap_or_else(|| "–".to_owned()),
                delta_class,
                direction: direction(r.delta),
                p_value: r.p_value.map(|p| people_p(p, lang)).unwrap_or_default(),
                significance,
                significance_label: label(t, significance),
                target: r
                    .target
                    .map(|v| people_figure(&shape, v, lang))
                    .unwrap_or_default(),
                status,
                status_label: if status == "none" {
                    String::new()
                } else {
                    label(t, status)
                },
                note: r.note.clone().unwrap_or_default(),
            }
        })
        .collect()
}

impl View {
    fn of(report: &Report, t: &serde_json::Value) -> View {
        let lang = report.lang.as_str();
        let (follow_up, overdue) = case_rows(report);
        let (trends, program_trends) = trends(report, t);
        View {
            rows: people_rows(report, t),
            drivers: driver_rows(report),
            actions: action_rows(report, t),
            follow_up,
            overdue,
            journey: journey(&report.touchpoints, t, &report.title).with_indicators(report),
            trends,
            program_trends,
            audits: audit_rows(report, t),
            mentions: mention_rows(report),
            nps: report
                .nps
                .iter()
                .map(|s| SplitView {
                    group: s.group.clone(),
                    label: s.label.clone(),
                    n: s.n,
                    widths: [s.detractors, s.passives, s.promoters],
                    texts: [s.detractors, s.passives, s.promoters].map(|v| percent(v, lang)),
                })
                .collect(),
            themes: report
                .themes
                .iter()
                .map(|th| ThemeRow {
                    theme: th.theme.clone(),
                    count: th.count,
                    share: percent(th.share, lang),
                    width: th.share,
                    detractors: th.detractors,
                    passives: th.passives,
                    promoters: th.promoters,
                    no_score: th.no_score,
                })
                .collect(),
        }
    }
}

/// The labels of a language, for callers that draw the map without a report.
pub fn labels_for(renderer: &Renderer, lang: &str) -> Result<serde_json::Value, RenderError> {
    renderer.labels(lang)
}
