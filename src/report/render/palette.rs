//! The report's colours in one place, so that every text colour is checked against the
//! backgrounds it sits on (WCAG 2.1 AA: at least 4.5:1 for text). Templates read them as
//! `colour.NAME`; an overriding template that picks its own colours is on its own.

use serde::Serialize;

/// Named colours of the HTML report and the journey map (CSS hex).
#[derive(Debug, Serialize)]
pub struct Palette {
    /// Body text.
    pub ink: &'static str,
    /// Secondary text: hints, margins, captions, axes.
    pub muted: &'static str,
    /// Table headers, legends, stage names.
    pub heading: &'static str,
    /// Rules between rows.
    pub line: &'static str,
    /// Page background.
    pub page: &'static str,
    /// Section background.
    pub card: &'static str,
    /// Background of the program-wide rows.
    pub total_row: &'static str,
    /// Background of the notes box.
    pub notes: &'static str,
    /// Border of the notes box (not text).
    pub notes_border: &'static str,
    /// Target met (bubble, legend).
    pub met: &'static str,
    /// Target missed.
    pub missed: &'static str,
    /// Target neither met nor missed.
    pub inconclusive: &'static str,
    /// No target.
    pub none: &'static str,
    /// No answers.
    pub nodata: &'static str,
    /// A significant rise.
    pub up: &'static str,
    /// A significant fall.
    pub down: &'static str,
    /// NPS detractors' bar.
    pub detractors: &'static str,
    /// NPS passives' bar.
    pub passives: &'static str,
    /// NPS promoters' bar.
    pub promoters: &'static str,
    /// Text on the coloured bubbles and bars.
    pub on_colour: &'static str,
    /// "met" chip text.
    pub met_chip: &'static str,
    /// "met" chip background.
    pub met_chip_bg: &'static str,
    /// "missed" chip text.
    pub missed_chip: &'static str,
    /// "missed" chip background.
    pub missed_chip_bg: &'static str,
    /// "inconclusive" chip text.
    pub inconclusive_chip: &'static str,
    /// "inconclusive" chip background.
    pub inconclusive_chip_bg: &'static str,
    /// Journey stage bands, alternating.
    pub band_a: &'static str,
    /// The other band colour.
    pub band_b: &'static str,
    /// The dotted journey path (a graphic, not text).
    pub path: &'static str,
    /// Moment-of-truth ring.
    pub truth: &'static str,
    /// Trend line and points.
    pub trend: &'static str,
    /// Trend point labels.
    pub trend_label: &'static str,
    /// The margin band of a trend (drawn at [`TREND_BAND_OPACITY`]).
    pub trend_band: &'static str,
    /// The target line of a trend and its label.
    pub target: &'static str,
    /// Theme bars.
    pub theme_bar: &'static str,
    /// Quote border.
    pub quote_border: &'static str,
}

/// Opacity of the margin band of trend charts, over the section background.
pub const TREND_BAND_OPACITY: f64 = 0.15;

/// The colours the report templates use.
pub const PALETTE: Palette = Palette {
    ink: "#111827",
    muted: "#4b5563",
    heading: "#374151",
    line: "#e5e7eb",
    page: "#f8fafc",
    card: "#ffffff",
    total_row: "#f1f5f9",
    notes: "#fff7ed",
    notes_border: "#f59e0b",
    met: "#15803d",
    missed: "#b91c1c",
    inconclusive: "#b45309",
    none: "#2563eb",
    nodata: "#6b7280",
    up: "#15803d",
    down: "#b91c1c",
    detractors: "#b91c1c",
    passives: "#6b7280",
    promoters: "#15803d",
    on_colour: "#ffffff",
    met_chip: "#166534",
    met_chip_bg: "#dcfce7",
    missed_chip: "#991b1b",
    missed_chip_bg: "#fee2e2",
    inconclusive_chip: "#92400e",
    inconclusive_chip_bg: "#fef3c7",
    band_a: "#f3f4f6",
    band_b: "#eef2f7",
    path: "#9ca3af",
    truth: "#b45309",
    trend: "#4338ca",
    trend_label: "#312e81",
    trend_band: "#6366f1",
    target: "#92400e",
    theme_bar: "#6366f1",
    quote_border: "#c7d2fe",
};

#[cfg(test)]
mod tests {
    use super::{PALETTE as P, TREND_BAND_OPACITY};

    /// `#rrggbb` as three channels 0–255.
    fn rgb(hex: &str) -> [f64; 3] {
        let hex = hex.trim_start_matches('#');
        let channel =
            |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("a hex colour"));
        [channel(0), channel(2), channel(4)]
    }

    /// WCAG 2.1 relative luminance.
    fn luminance(c: [f64; 3]) -> f64 {
        let linear = |v: f64| {
            let s = v / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2])
    }

    /// WCAG 2.1 contrast ratio.
    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    /// `top` at `opacity` over `under`.
    fn over(top: [f64; 3], opacity: f64, under: [f64; 3]) -> [f64; 3] {
        [0, 1, 2].map(|i| top[i] * opacity + under[i] * (1.0 - opacity))
    }

    #[test]
    fn the_formula_matches_known_ratios() {
        // The ratios axe reported on the old colours (issue 13, point 30).
        let white = rgb("#ffffff");
        assert!((contrast(white, rgb("#9ca3af")) - 2.53).abs() < 0.01);
        assert!((contrast(white, rgb("#16a34a")) - 3.29).abs() < 0.01);
        assert!((contrast(rgb("#6b7280"), rgb("#f1f5f9")) - 4.41).abs() < 0.02);
        assert!((contrast(white, rgb("#000000")) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn every_text_colour_reaches_aa_on_its_backgrounds() {
        let band = over(rgb(P.trend_band), TREND_BAND_OPACITY, rgb(P.card));
        // (text, background, where)
        let pairs: Vec<([f64; 3], [f64; 3], &str)> = vec![
            (rgb(P.ink), rgb(P.page), "body text, quotes"),
            (rgb(P.ink), rgb(P.card), "tables"),
            (rgb(P.ink), rgb(P.total_row), "total rows"),
            (rgb(P.ink), rgb(P.notes), "notes"),
            (rgb(P.ink), rgb(P.band_a), "touchpoint names on the map"),
            (rgb(P.ink), rgb(P.band_b), "touchpoint names on the map"),
            (rgb(P.muted), rgb(P.card), "hints, margins, axes"),
            (rgb(P.muted), rgb(P.page), "quote captions"),
            (rgb(P.muted), rgb(P.total_row), "margins on total rows"),
            (rgb(P.muted), rgb(P.band_a), "map captions"),
            (rgb(P.muted), rgb(P.band_b), "map captions"),
            (rgb(P.heading), rgb(P.card), "table headers, legends"),
            (rgb(P.heading), rgb(P.band_a), "stage names"),
            (rgb(P.heading), rgb(P.band_b), "stage names"),
            (rgb(P.up), rgb(P.card), "rises"),
            (rgb(P.up), rgb(P.total_row), "rises on total rows"),
            (rgb(P.down), rgb(P.card), "falls"),
            (rgb(P.down), rgb(P.total_row), "falls on total rows"),
            (rgb(P.met_chip), rgb(P.met_chip_bg), "met chip"),
            (rgb(P.missed_chip), rgb(P.missed_chip_bg), "missed chip"),
            (
                rgb(P.inconclusive_chip),
                rgb(P.inconclusive_chip_bg),
                "inconclusive chip",
            ),
            (rgb(P.on_colour), rgb(P.met), "bubble: met"),
            (rgb(P.on_colour), rgb(P.missed), "bubble: missed"),
            (
                rgb(P.on_colour),
                rgb(P.inconclusive),
                "bubble: inconclusive",
            ),
            (rgb(P.on_colour), rgb(P.none), "bubble: no target"),
            (rgb(P.on_colour), rgb(P.nodata), "bubble: no data"),
            (rgb(P.on_colour), rgb(P.detractors), "detractors' bar"),
            (rgb(P.on_colour), rgb(P.passives), "passives' bar"),
            (rgb(P.on_colour), rgb(P.promoters), "promoters' bar"),
            (rgb(P.trend_label), rgb(P.card), "trend values"),
            (
                rgb(P.trend_label),
                band,
                "trend values over the margin band",
            ),
            (rgb(P.target), rgb(P.card), "target label"),
            (rgb(P.target), band, "target label over the margin band"),
        ];
        for (text, background, place) in pairs {
            let ratio = contrast(text, background);
            assert!(
                ratio >= 4.5,
                "{place}: contrast {ratio:.2}:1 is below 4.5:1"
            );
        }
    }
}
