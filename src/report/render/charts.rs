//! Chart geometry, computed here so that templates only draw: the journey map (one column
//! per touchpoint in journey order, higher for a stronger emotional intensity) and the trend
//! charts (round axis ticks, every point labelled).

use serde::Serialize;

use super::{Shape, label, people_change, people_figure, people_value, status_name};
use crate::metrics::{Better, KpiId, Significance};
use crate::report::{IndicatorTrend, Report, Row, TouchpointView, TrendPoint};

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
    /// The status in words (`objectif atteint`, `sans objectif`…).
    status_label: String,
    value: String,
    kpi_label: String,
    /// A short KPI name that fits in the bubble (`NPS`, `CES`…).
    kpi_short: String,
    /// The line under the name: KPI and moment of truth, without empty parts.
    caption: String,
    /// Stage, intensity, KPI and status, for the small-screen list.
    detail: String,
    /// The first [`MAP_INDICATORS`] of the touchpoint's indicators.
    indicators: Vec<NodeIndicator>,
    /// How many more it has, shown as `+N`.
    more_indicators: usize,
}

/// How many indicators a bubble names; more would crowd the map.
pub const MAP_INDICATORS: usize = 2;

/// An indicator under a touchpoint's bubble: its figure and its change, coloured by
/// whether the change is good news (read with `better`).
#[derive(Debug, Serialize)]
struct NodeIndicator {
    /// Full name, for the tooltip and the small-screen list.
    name: String,
    /// The name cut to fit the bubble's column.
    short_name: String,
    value: String,
    /// `▲`, `▼`, or `=` when the change rounds to nothing or is unknown.
    arrow: &'static str,
    /// A palette key: `met` for a significant change for the better, `missed` for the
    /// worse, `muted` otherwise.
    tone: &'static str,
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
    /// Width in pixels (an intrinsic size for slides; the report scales it down).
    width: u32,
    /// Height of the drawing (bands and nodes).
    height: u32,
    /// Height of the whole picture: the drawing and its legend.
    total_height: u32,
    /// Room added under the names for the indicators' lines.
    extra: u32,
    nodes: Vec<Node>,
    bands: Vec<Band>,
    path: String,
    title: String,
}

/// Vertical position of a node of emotional intensity `intensity` (1–5).
fn intensity_y(intensity: f64) -> f64 {
    215.0 - intensity * 26.0
}

/// Lays the touchpoints out along the experience cycle: one column each in stage order,
/// higher on the curve for a higher emotional intensity, bands per stage.
pub fn journey(touchpoints: &[TouchpointView], t: &serde_json::Value, title: &str) -> Journey {
    let (width, height) = (1100, 300);
    let margin = 30.0;
    let lang = t.get("lang").and_then(|v| v.as_str()).unwrap_or("en");
    let count = touchpoints.len().max(1) as f64;
    let step = (f64::from(width) - 2.0 * margin) / count;
    let nodes: Vec<Node> = touchpoints
        .iter()
        .enumerate()
        .map(|(i, tp)| {
            let intensity = tp.intensity.clamp(1, 5);
            let status = tp.row.as_ref().and_then(|r| r.target_status).map_or(
                if tp.row.as_ref().and_then(|r| r.value).is_some() {
                    "none"
                } else {
                    "nodata"
                },
                status_name,
            );
            let kpi_label = tp.kpi.map(|k| label(t, k.as_str())).unwrap_or_default();
            let status_label = label(t, &format!("legend_{status}"));
            let mut caption = vec![kpi_label.clone()];
            if tp.moment_of_truth {
                caption.push(label(t, "moment_of_truth"));
            }
            let detail = [
                label(t, &format!("stage_{}", tp.stage)),
                format!("{} {intensity}/5", label(t, "intensity")),
                kpi_label.clone(),
                status_label.clone(),
            ];
            Node {
                id: tp.id.clone(),
                name: tp.name.clone(),
                x: margin + step * (i as f64 + 0.5),
                y: intensity_y(f64::from(intensity)),
                r: 16.0 + f64::from(intensity) * 3.0,
                moment_of_truth: tp.moment_of_truth,
                status,
                status_label,
                value: tp
                    .row
                    .as_ref()
                    .and_then(|r| r.value.zip(r.kpi.survey()))
                    .map(|(v, kpi)| people_value(kpi, v, lang))
                    .unwrap_or_default(),
                kpi_short: tp
                    .kpi
                    .map(|k| label(t, &format!("short_{}", k.as_str())))
                    .unwrap_or_default(),
                kpi_label,
                caption: join(&caption),
                detail: join(&detail),
                indicators: Vec::new(),
                more_indicators: 0,
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
        total_height: height + 28,
        extra: 0,
        nodes,
        bands,
        path,
        title: title.to_owned(),
    }
}

impl Journey {
    /// Names under each bubble its touchpoint's indicators (program-wide figures, which are
    /// the touchpoint's own), at most [`MAP_INDICATORS`], and makes room for them.
    pub(super) fn with_indicators(mut self, report: &Report) -> Journey {
        let lang = report.lang.as_str();
        for node in &mut self.nodes {
            let mine: Vec<&Row> = report
                .indicators
                .iter()
                .filter(|i| i.touchpoint.as_deref() == Some(node.id.as_str()))
                .filter_map(|i| {
                    report
                        .rows
                        .iter()
                        .find(|r| r.group_by == "all" && r.kpi == KpiId::Indicator(i.id.clone()))
                })
                .collect();
            node.more_indicators = mine.len().saturating_sub(MAP_INDICATORS);
            node.indicators = mine
                .into_iter()
                .take(MAP_INDICATORS)
                .map(|r| node_indicator(r, report, lang))
                .collect();
        }
        let lines = self
            .nodes
            .iter()
            .map(|n| n.indicators.len())
            .max()
            .unwrap_or(0);
        self.extra = if lines == 0 { 0 } else { 14 * lines as u32 + 6 };
        self.total_height += self.extra;
        self
    }
}

/// An indicator's total row as a bubble names it.
fn node_indicator(r: &Row, report: &Report, lang: &str) -> NodeIndicator {
    let shape = Shape::of(&r.kpi, report);
    let (name, lower_is_better) = report
        .indicator_of(r.kpi.as_str())
        .map_or((r.kpi.as_str().to_owned(), false), |(i, _)| {
            (i.name.clone(), i.better == Better::Lower)
        });
    let change = r.delta.map(|d| (d, people_change(&shape, d, lang)));
    let arrow = match change {
        Some((_, text)) if text == "=" => "=",
        Some((d, _)) if d > 0.0 => "▲",
        Some((d, _)) if d < 0.0 => "▼",
        _ => "=",
    };
    let tone = match (r.delta, r.significance) {
        (Some(d), Some(Significance::Significant)) if d != 0.0 => {
            if (d < 0.0) == lower_is_better {
                "met"
            } else {
                "missed"
            }
        }
        _ => "muted",
    };
    const FIT: usize = 22;
    let short_name = if name.chars().count() > FIT {
        format!("{}…", name.chars().take(FIT).collect::<String>().trim_end())
    } else {
        name.clone()
    };
    NodeIndicator {
        short_name,
        name,
        value: r
            .value
            .map_or_else(|| "–".to_owned(), |v| people_figure(&shape, v, lang)),
        arrow,
        tone,
    }
}

/// The non-empty parts, separated by a middle dot.
fn join(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A trend chart's geometry: a touchpoint's main KPI or an indicator.
#[derive(Debug, Serialize)]
pub(super) struct Trend {
    name: String,
    kpi_label: String,
    /// Whether a lower figure is better (said under the chart's title).
    lower_is_better: bool,
    width: f64,
    height: f64,
    /// Left edge of the plot (axis labels are to its left).
    left: f64,
    /// Right edge of the plot.
    right: f64,
    line: String,
    band: String,
    /// Each point: x, y and its value in words.
    points: Vec<(f64, f64, String)>,
    /// Period names under the plot: x and text.
    labels: Vec<(f64, String)>,
    target_y: Option<f64>,
    target_label: String,
    /// Axis ticks: y and text.
    axis: Vec<(f64, String)>,
}

/// The range a figure lives on, the finest axis step that makes sense for it, and the
/// coarsest, which divides the range's bounds so the ends stay round when clamped.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    min: f64,
    max: f64,
    finest: f64,
    coarsest: f64,
}

impl Scale {
    /// The scale of a figure written in `shape`: NPS points, the CES scale, percent, or
    /// an indicator's non-negative amount stepped by its last shown decimal.
    fn of_shape(shape: &Shape) -> Scale {
        let (min, max, finest, coarsest) = match shape {
            Shape::Points => (-100.0, 100.0, 10.0, 50.0),
            Shape::Scale => (1.0, 7.0, 0.5, 1.0),
            Shape::Percent => (0.0, 100.0, 10.0, 50.0),
            Shape::Amount { decimals, .. } => (
                0.0,
                f64::MAX,
                10f64.powi(-(*decimals as i32)),
                f64::INFINITY,
            ),
        };
        Scale {
            min,
            max,
            finest,
            coarsest,
        }
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// Round axis ticks covering `lo..=hi` inside the scale: about four steps of 1, 2 or
/// 5 × 10ⁿ, starting and ending on a multiple of the step.
pub(super) fn ticks(scale: Scale, lo: f64, hi: f64) -> Vec<f64> {
    let Scale {
        min,
        max,
        finest,
        coarsest,
    } = scale;
    let (lo, hi) = (lo.clamp(min, max), hi.clamp(min, max));
    let step = nice_step(((hi - lo) / 4.0).max(finest)).min(coarsest);
    let first = ((lo / step).floor() * step).max(min);
    let mut last = ((hi / step).ceil() * step).min(max);
    if last - first < step / 2.0 {
        last = (first + step).min(max);
    }
    let first = if last - first < step / 2.0 {
        last - step
    } else {
        first
    };
    let count = ((last - first) / step).round() as usize;
    (0..=count).map(|i| first + step * i as f64).collect()
}

/// What one trend chart draws.
struct Series<'a> {
    name: String,
    kpi_label: String,
    shape: Shape,
    lower_is_better: bool,
    trend: &'a [TrendPoint],
    target: Option<f64>,
}

/// The trend charts: each touchpoint's main KPI followed by its indicators, in journey
/// order; then the program-wide indicators (those without a touchpoint).
pub(super) fn trends(report: &Report, t: &serde_json::Value) -> (Vec<Trend>, Vec<Trend>) {
    let lang = report.lang.as_str();
    let per_touchpoint = report
        .touchpoints
        .iter()
        .flat_map(|tp| {
            let main = tp.kpi.map(|kpi| Series {
                name: tp.name.clone(),
                kpi_label: label(t, kpi.as_str()),
                shape: Shape::of_kpi(kpi),
                lower_is_better: false,
                trend: &tp.trend,
                target: tp.row.as_ref().and_then(|r| r.target),
            });
            let indicators = report
                .indicator_trends
                .iter()
                .filter(|it| it.touchpoint.as_deref() == Some(tp.id.as_str()))
                .filter_map(|it| indicator_series(report, it, tp.name.clone()));
            main.into_iter().chain(indicators)
        })
        .filter_map(|series| chart(series, lang))
        .collect();
    let program = report
        .indicator_trends
        .iter()
        .filter(|it| it.touchpoint.is_none())
        .filter_map(|it| indicator_series(report, it, label(t, "total")))
        .filter_map(|series| chart(series, lang))
        .collect();
    (per_touchpoint, program)
}

/// An indicator's trend chart, titled `name` (its touchpoint, or the whole program).
fn indicator_series<'r>(
    report: &'r Report,
    it: &'r IndicatorTrend,
    name: String,
) -> Option<Series<'r>> {
    report
        .indicator_of(&it.indicator)
        .map(|(indicator, _)| Series {
            name,
            kpi_label: indicator.name.clone(),
            shape: Shape::of(&KpiId::Indicator(it.indicator.clone()), report),
            lower_is_better: indicator.better == Better::Lower,
            trend: &it.trend,
            target: it.target,
        })
}

/// One trend chart's geometry; `None` when no period measured the figure.
fn chart(series: Series<'_>, lang: &str) -> Option<Trend> {
    let Series {
        name,
        kpi_label,
        shape,
        lower_is_better,
        trend,
        target,
    } = series;
    // (slot, value, lower bound, upper bound); no interval draws no band.
    let points: Vec<(usize, f64, f64, f64)> = trend
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            p.value.map(|v| {
                let (low, high) = p.interval.map_or((v, v), |b| (b.low, b.high));
                (i, v, low, high)
            })
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let scale = Scale::of_shape(&shape);
    let (mut lo, mut hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1).min(p.2), hi.max(p.1).max(p.3))
    });
    if let Some(tg) = target {
        lo = lo.min(tg);
        hi = hi.max(tg);
    }
    let axis = ticks(scale, lo, hi);
    let (lo, hi) = (
        axis.first().copied().unwrap_or(scale.min),
        axis.last().copied().unwrap_or(scale.max),
    );
    // Room above the top tick for a point's label, below for the period names.
    let (width, height, left, right, top, bottom) = (340.0, 170.0, 40.0, 330.0, 24.0, 30.0);
    let slots = trend.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + 14.0 + (right - left - 28.0) * i as f64 / slots;
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
        .map(|p| format!("{:.1},{:.1}", x(p.0), y(p.3.min(hi))));
    let lower = points
        .iter()
        .rev()
        .map(|p| format!("{:.1},{:.1}", x(p.0), y(p.2.max(lo))));
    let band = upper.chain(lower).collect::<Vec<_>>().join(" ");
    let labels = trend
        .iter()
        .enumerate()
        .filter(|(i, _)| trend.len() <= 6 || i % 2 == (trend.len() - 1) % 2)
        .map(|(i, p)| (x(i), p.period.clone()))
        .collect();
    let target_label = target.map_or_else(String::new, |v| {
        let figure = people_figure(&shape, v, lang);
        if lower_is_better {
            format!("≤ {figure}")
        } else {
            figure
        }
    });
    Some(Trend {
        name,
        kpi_label,
        lower_is_better,
        width,
        height,
        left,
        right,
        line,
        band,
        points: points
            .iter()
            .map(|p| (x(p.0), y(p.1), people_figure(&shape, p.1, lang)))
            .collect(),
        labels,
        target_y: target.map(y),
        target_label,
        axis: axis
            .iter()
            .map(|&v| (y(v), people_figure(&shape, v, lang)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Kpi;

    /// Whether `step` is 1, 2 or 5 times a power of ten.
    fn round_step(step: f64) -> bool {
        let power = 10f64.powf(step.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .iter()
            .any(|m| (step / power - m).abs() < 1e-9)
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        for (kpi, lo, hi) in [
            (Kpi::Nps, -60.0, 80.0),
            (Kpi::Nps, 12.0, 14.0),
            (Kpi::Nps, 50.0, 50.0),
            (Kpi::Nps, -100.0, 100.0),
            (Kpi::Csat, 37.5, 62.5),
            (Kpi::Csat, 71.0, 100.0),
            (Kpi::Csat, 100.0, 100.0),
            (Kpi::Fcr, 0.0, 0.0),
            (Kpi::Ces, 4.2, 6.3),
            (Kpi::Ces, 7.0, 7.0),
            (Kpi::Ces, 1.0, 7.0),
        ] {
            let ticks = ticks(Scale::of_shape(&Shape::of_kpi(kpi)), lo, hi);
            assert!(ticks.len() >= 2, "{kpi} {lo}..{hi}: {ticks:?}");
            let step = ticks[1] - ticks[0];
            assert!(round_step(step), "{kpi} {lo}..{hi}: step {step}");
            for pair in ticks.windows(2) {
                assert!((pair[1] - pair[0] - step).abs() < 1e-9, "{ticks:?}");
            }
            for tick in &ticks {
                let multiple = tick / step;
                assert!((multiple - multiple.round()).abs() < 1e-6, "{ticks:?}");
            }
            let Scale { min, max, .. } = Scale::of_shape(&Shape::of_kpi(kpi));
            let (first, last) = (ticks[0], ticks[ticks.len() - 1]);
            assert!(first >= min && last <= max, "{kpi}: {ticks:?}");
            assert!(first <= lo && last >= hi, "{kpi} {lo}..{hi}: {ticks:?}");
            assert!(ticks.len() <= 8, "{kpi} {lo}..{hi}: {ticks:?}");
        }
        assert_eq!(
            ticks(Scale::of_shape(&Shape::of_kpi(Kpi::Nps)), -60.0, 80.0),
            vec![-100.0, -50.0, 0.0, 50.0, 100.0]
        );
        assert_eq!(
            ticks(Scale::of_shape(&Shape::of_kpi(Kpi::Csat)), 37.5, 62.5),
            vec![30.0, 40.0, 50.0, 60.0, 70.0]
        );
    }
}
