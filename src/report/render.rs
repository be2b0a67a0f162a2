//! Writing a [`Report`]: long-form CSV and JSON for machines (unrounded), HTML and Markdown
//! for people (rounded, in the program's language) through minijinja templates in
//! `templates/report/`, embedded in the binary and overridable file by file from the
//! team's templates folder. Chart geometry is computed here so templates only draw.

use std::path::{Path, PathBuf};

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde::Serialize;

use super::{Report, Row, TouchpointView};
use crate::metrics::{Kpi, Significance, TargetStatus};
use crate::responses::protect_cell;

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

/// The CSV columns, in order: exactly the fields of [`Row`].
pub const CSV_COLUMNS: [&str; 13] = [
    "group_by",
    "group",
    "kpi",
    "n",
    "value",
    "moe95",
    "prev_n",
    "prev_value",
    "delta",
    "p_value",
    "significance",
    "target",
    "target_status",
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

/// The machine form: `{"stamp": …, "rows": […]}`.
pub fn json(report: &Report) -> Result<String, RenderError> {
    #[derive(Serialize)]
    struct Machine<'a> {
        stamp: &'a super::Stamp,
        rows: &'a [Row],
    }
    Ok(serde_json::to_string_pretty(&Machine {
        stamp: &report.stamp,
        rows: &report.rows,
    })?)
}

/// The long-form CSV: one line per (group, KPI), numbers unrounded, empty when unknown;
/// group names are respondents' text, made spreadsheet-safe.
pub fn csv(report: &Report) -> Result<String, RenderError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_COLUMNS)?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in &report.rows {
        writer.write_record([
            protect_cell(&r.group_by).into_owned(),
            protect_cell(&r.group).into_owned(),
            r.kpi.as_str().to_owned(),
            r.n.to_string(),
            opt(r.value),
            opt(r.moe95),
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
        let t = self.labels(&report.lang)?;
        let view = View::of(report, &t);
        let template = self.environment.get_template(template)?;
        Ok(template.render(context! {
            report => Serde(report),
            stamp => Serde(&report.stamp),
            t => Serde(&t),
            lang => &report.lang,
            rows => Serde(&view.rows),
            journey => Serde(&view.journey),
            trends => Serde(&view.trends),
            nps => Serde(&report.nps),
            themes => Serde(&report.themes),
            quotes => Serde(&report.quotes),
            verbatims => report.verbatims,
            standalone => false,
        })?)
    }

    /// The touchpoint map alone, as SVG.
    pub fn map_svg(&self, journey: &Journey, lang: &str) -> Result<String, RenderError> {
        let t = self.labels(lang)?;
        let template = self.environment.get_template("report/journey.svg")?;
        Ok(template
            .render(context! { journey => Serde(journey), t => Serde(&t), standalone => true })?)
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
}

/// What the templates draw, computed once.
struct View {
    rows: Vec<PeopleRow>,
    journey: Journey,
    trends: Vec<Trend>,
}

fn label(t: &serde_json::Value, key: &str) -> String {
    t.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or(key)
        .to_owned()
}

/// Formats a KPI value for people: NPS as a signed integer, shares as percent, CES with
/// one decimal; French uses a decimal comma.
fn people_value(kpi: Kpi, v: f64, lang: &str) -> String {
    let text = match kpi {
        Kpi::Nps => format!("{:+.0}", v),
        Kpi::Ces => format!("{v:.1}"),
        _ => format!("{v:.0} %"),
    };
    let text = if text == "-0" || text == "+0" {
        "0".to_owned()
    } else {
        text
    };
    if lang == "fr" {
        text.replace('.', ",")
    } else {
        text.replace(" %", "%")
    }
}

fn people_delta(kpi: Kpi, d: f64, lang: &str) -> String {
    let text = match kpi {
        Kpi::Ces => format!("{d:+.1}"),
        _ => format!("{d:+.0}"),
    };
    let text = if text == "-0" || text == "+0" || text == "-0.0" || text == "+0.0" {
        "=".to_owned()
    } else {
        text
    };
    if lang == "fr" {
        text.replace('.', ",")
    } else {
        text
    }
}

fn people_rows(report: &Report, t: &serde_json::Value) -> Vec<PeopleRow> {
    let lang = report.lang.as_str();
    report
        .rows
        .iter()
        .map(|r| {
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
            let delta_class = match (r.delta, r.significance) {
                (Some(d), Some(Significance::Significant)) if d > 0.0 => "up",
                (Some(d), Some(Significance::Significant)) if d < 0.0 => "down",
                (Some(_), _) => "flat",
                _ => "none",
            };
            PeopleRow {
                group: r.group.clone(),
                group_label,
                is_total,
                kpi: r.kpi.as_str().to_owned(),
                kpi_label: label(t, r.kpi.as_str()),
                n: r.n,
                value: r
                    .value
                    .map(|v| people_value(r.kpi, v, lang))
                    .unwrap_or_else(|| "–".to_owned()),
                moe: r
                    .moe95
                    .filter(|_| r.value.is_some())
                    .map(|m| {
                        let m = if r.kpi == Kpi::Ces {
                            format!("±{m:.1}")
                        } else {
                            format!("±{m:.0}")
                        };
                        if lang == "fr" { m.replace('.', ",") } else { m }
                    })
                    .unwrap_or_default(),
                prev: r
                    .prev_value
                    .map(|v| people_value(r.kpi, v, lang))
                    .unwrap_or_else(|| "–".to_owned()),
                delta: r
                    .delta
                    .map(|d| people_delta(r.kpi, d, lang))
                    .unwrap_or_else(|| "–".to_owned()),
                delta_class,
                direction: match r.delta {
                    Some(d) if d > 0.0 => "up",
                    Some(d) if d < 0.0 => "down",
                    _ => "flat",
                },
                p_value: r
                    .p_value
                    .map(|p| {
                        let s = if p < 0.001 {
                            "< 0.001".to_owned()
                        } else {
                            format!("{p:.3}")
                        };
                        if lang == "fr" { s.replace('.', ",") } else { s }
                    })
                    .unwrap_or_default(),
                significance,
                significance_label: label(t, significance),
                target: r
                    .target
                    .map(|v| people_value(r.kpi, v, lang))
                    .unwrap_or_default(),
                status,
                status_label: if status == "none" {
                    String::new()
                } else {
                    label(t, status)
                },
            }
        })
        .collect()
}

/// One touchpoint on the journey map.
#[derive(Debug, Serialize)]
pub struct Node {
    id: String,
    name: String,
    x: f64,
    y: f64,
    r: f64,
    moment_of_truth: bool,
    status: &'static str,
    value: String,
    kpi_label: String,
}

/// A journey stage's band on the map.
#[derive(Debug, Serialize)]
pub struct Band {
    label: String,
    x: f64,
    width: f64,
}

/// The journey map's geometry.
#[derive(Debug, Serialize)]
pub struct Journey {
    width: f64,
    height: f64,
    nodes: Vec<Node>,
    bands: Vec<Band>,
    path: String,
    title: String,
}

/// Lays the touchpoints out along the experience cycle: one column each in stage order,
/// higher on the curve for a higher emotional intensity, bands per stage.
pub fn journey(touchpoints: &[TouchpointView], t: &serde_json::Value, title: &str) -> Journey {
    let width = 1100.0;
    let height = 300.0;
    let margin = 30.0;
    let count = touchpoints.len().max(1) as f64;
    let step = (width - 2.0 * margin) / count;
    let nodes: Vec<Node> = touchpoints
        .iter()
        .enumerate()
        .map(|(i, tp)| {
            let intensity = f64::from(tp.intensity.clamp(1, 5));
            let status = tp.row.as_ref().and_then(|r| r.target_status).map_or(
                if tp.row.as_ref().and_then(|r| r.value).is_some() {
                    "none"
                } else {
                    "nodata"
                },
                status_name,
            );
            Node {
                id: tp.id.clone(),
                name: tp.name.clone(),
                x: margin + step * (i as f64 + 0.5),
                y: 215.0 - intensity * 26.0,
                r: 16.0 + intensity * 3.0,
                moment_of_truth: tp.moment_of_truth,
                status,
                value: tp
                    .row
                    .as_ref()
                    .and_then(|r| r.value.map(|v| people_value(r.kpi, v, lang_of(t))))
                    .unwrap_or_default(),
                kpi_label: tp.kpi.map(|k| label(t, k.as_str())).unwrap_or_default(),
            }
        })
        .collect();
    let mut bands: Vec<Band> = Vec::new();
    let mut last_stage: Option<&str> = None;
    for (i, tp) in touchpoints.iter().enumerate() {
        let x = margin + step * i as f64;
        if last_stage == Some(tp.stage.as_str()) {
            if let Some(b) = bands.last_mut() {
                b.width += step;
            }
        } else {
            bands.push(Band {
                label: label(t, &format!("stage_{}", tp.stage)),
                x,
                width: step,
            });
        }
        last_stage = Some(tp.stage.as_str());
    }
    let path = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, n.x, n.y))
        .collect();
    Journey {
        width,
        height,
        nodes,
        bands,
        path,
        title: title.to_owned(),
    }
}

fn lang_of(t: &serde_json::Value) -> &str {
    t.get("lang").and_then(|v| v.as_str()).unwrap_or("en")
}

/// A trend chart's geometry for one touchpoint.
#[derive(Debug, Serialize)]
struct Trend {
    name: String,
    kpi_label: String,
    width: f64,
    height: f64,
    line: String,
    band: String,
    points: Vec<(f64, f64, String)>,
    labels: Vec<(f64, String)>,
    target_y: Option<f64>,
    target_label: String,
    axis: Vec<(f64, String)>,
}

fn trends(report: &Report, t: &serde_json::Value) -> Vec<Trend> {
    let lang = report.lang.as_str();
    report
        .touchpoints
        .iter()
        .filter_map(|tp| {
            let kpi = tp.kpi?;
            let points: Vec<(usize, f64, f64)> = tp
                .trend
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.value.map(|v| (i, v, p.moe95.unwrap_or(0.0))))
                .collect();
            if points.is_empty() {
                return None;
            }
            let target = tp.row.as_ref().and_then(|r| r.target);
            let (mut lo, mut hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
                (lo.min(p.1 - p.2), hi.max(p.1 + p.2))
            });
            if let Some(tg) = target {
                lo = lo.min(tg);
                hi = hi.max(tg);
            }
            let (min, max) = match kpi {
                Kpi::Nps => (-100.0, 100.0),
                Kpi::Ces => (1.0, 7.0),
                _ => (0.0, 100.0),
            };
            // Round the axis to whole tens (halves of a point for CES) around the data.
            let step = if kpi == Kpi::Ces { 0.5 } else { 10.0 };
            let lo = ((lo / step).floor() * step).max(min);
            let hi = ((hi / step).ceil() * step).min(max);
            let hi = if hi - lo < step {
                (lo + step).min(max)
            } else {
                hi
            };
            let (width, height, left, top, bottom) = (340.0, 150.0, 40.0, 14.0, 28.0);
            let slots = tp.trend.len().max(2) as f64 - 1.0;
            let x = |i: usize| left + 8.0 + (width - left - 36.0) * i as f64 / slots;
            let y = |v: f64| top + (height - top - bottom) * (hi - v) / (hi - lo).max(1e-9);
            let line = points
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    format!(
                        "{}{:.1},{:.1}",
                        if k == 0 { "M" } else { " L" },
                        x(p.0),
                        y(p.1)
                    )
                })
                .collect();
            let upper = points
                .iter()
                .map(|p| format!("{:.1},{:.1}", x(p.0), y((p.1 + p.2).min(max))));
            let lower = points
                .iter()
                .rev()
                .map(|p| format!("{:.1},{:.1}", x(p.0), y((p.1 - p.2).max(min))));
            let band = upper.chain(lower).collect::<Vec<_>>().join(" ");
            let labels = tp
                .trend
                .iter()
                .enumerate()
                .filter(|(i, _)| tp.trend.len() <= 6 || i % 2 == (tp.trend.len() - 1) % 2)
                .map(|(i, p)| (x(i), p.period.clone()))
                .collect();
            let axis = [lo, (lo + hi) / 2.0, hi]
                .into_iter()
                .map(|v| (y(v), people_value(kpi, v, lang)))
                .collect();
            Some(Trend {
                name: tp.name.clone(),
                kpi_label: label(t, kpi.as_str()),
                width,
                height,
                line,
                band,
                points: points
                    .iter()
                    .map(|p| (x(p.0), y(p.1), people_value(kpi, p.1, lang)))
                    .collect(),
                labels,
                target_y: target.map(y),
                target_label: target
                    .map(|v| people_value(kpi, v, lang))
                    .unwrap_or_default(),
                axis,
            })
        })
        .collect()
}

impl View {
    fn of(report: &Report, t: &serde_json::Value) -> View {
        View {
            rows: people_rows(report, t),
            journey: journey(&report.touchpoints, t, &report.title),
            trends: trends(report, t),
        }
    }
}

/// The labels of a language, for callers that draw the map without a report.
pub fn labels_for(renderer: &Renderer, lang: &str) -> Result<serde_json::Value, RenderError> {
    renderer.labels(lang)
}
