//! Operational indicators (waiting time, digital rate, churn, average basket, acquisition
//! cost, requests by reason): their kinds, their mergeable counters and the figures a report
//! draws from them. Like survey KPIs, every figure comes from counters that add up, so a
//! report reads the same whether a month came as one aggregate or as ten thousand rows.

use std::borrow::Cow;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Kpi, Mean, Proportion, Source};

/// How an indicator is computed from what the team imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A mean (waiting time, average basket): raw observations, or aggregates `value`, `n`
    /// and optionally `sd`.
    Mean,
    /// A share, numerator over denominator (digital rate, churn, retention, conversion,
    /// repurchase, cross-sell, FCR measured by the contact centre): raw 0/1 rows, or
    /// aggregates `numerator` and `denominator`.
    Ratio,
    /// One total divided by another (acquisition cost = spend ÷ new customers): no
    /// interval and no test, as the totals are not samples.
    Quotient,
    /// A volume per period, optionally per category of a `breakdown` (requests by reason).
    Count,
}

impl IndicatorKind {
    /// The name used in program files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Mean => "mean",
            IndicatorKind::Ratio => "ratio",
            IndicatorKind::Quotient => "quotient",
            IndicatorKind::Count => "count",
        }
    }
}

/// Which way an indicator should move, so targets sit on the right side and reports colour
/// a change correctly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// More is better (digital rate, retention, average basket).
    Higher,
    /// Less is better (waiting time, churn, acquisition cost).
    Lower,
}

/// The unit an indicator's values are in, as reports print them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds (a waiting time).
    Seconds,
    /// Minutes.
    Minutes,
    /// Percent; a ratio is always reported in percent.
    Percent,
    /// Money, in the indicator's `currency` (ISO 4217 code such as EUR).
    Currency,
    /// A plain number of things (requests, customers).
    Count,
}

/// Mergeable counters of one indicator in one group and period: observations, sum and sum
/// of squares for a mean; numerator and denominator for a ratio, a quotient or a volume.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IndicatorCounter {
    /// Observations behind the mean.
    pub n: u64,
    /// Sum of the observations.
    pub sum: f64,
    /// Sum of their squares (reconstructed from `sd` for an aggregate).
    pub sum_sq: f64,
    /// Aggregates imported without a standard deviation: the spread is then unknown.
    pub without_sd: u64,
    /// Numerator (ratio, quotient) or volume (count).
    pub numerator: f64,
    /// Denominator (ratio, quotient).
    pub denominator: f64,
}

impl IndicatorCounter {
    /// One raw observation of a mean.
    pub fn observation(value: f64) -> Self {
        IndicatorCounter {
            n: 1,
            sum: value,
            sum_sq: value * value,
            ..Self::default()
        }
    }

    /// An aggregate mean of `n` observations: sum = value·n and, when `sd` is known,
    /// sum of squares = sd²·(n − 1) + n·value².
    pub fn aggregate(value: f64, n: u64, sd: Option<f64>) -> Self {
        let nf = n as f64;
        IndicatorCounter {
            n,
            sum: value * nf,
            sum_sq: sd.map_or(0.0, |sd| sd * sd * (nf - 1.0) + nf * value * value),
            without_sd: u64::from(sd.is_none()),
            ..Self::default()
        }
    }

    /// A numerator over a denominator (or a volume, with a zero denominator).
    pub fn ratio(numerator: f64, denominator: f64) -> Self {
        IndicatorCounter {
            numerator,
            denominator,
            ..Self::default()
        }
    }

    /// Adds another group's or row's counters.
    pub fn merge(&mut self, other: &IndicatorCounter) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.without_sd += other.without_sd;
        self.numerator += other.numerator;
        self.denominator += other.denominator;
    }

    /// The mean, bounded below by 0 (indicator values are never negative); its standard
    /// deviation only when every aggregate brought one and there are two observations.
    pub fn mean(&self) -> Option<Mean> {
        let mean = Mean::from_sums(self.n, self.sum, self.sum_sq, (0.0, f64::INFINITY))?;
        Some(Mean {
            std_dev: mean.std_dev.filter(|_| self.without_sd == 0),
            ..mean
        })
    }

    /// The share numerator ÷ denominator, in percent; `None` when the denominator is 0.
    pub fn share(&self) -> Option<Proportion> {
        Proportion::new(whole(self.numerator), whole(self.denominator))
    }

    /// numerator ÷ denominator as a plain figure; `None` when the denominator is 0.
    pub fn quotient(&self) -> Option<f64> {
        (self.denominator > 0.0).then(|| self.numerator / self.denominator)
    }
}

/// A count stored as a float (the counters are one table): whole and non-negative by the
/// import's checks.
fn whole(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.round() as u64
    } else {
        0
    }
}

/// What a report row or a target is about: a survey KPI or an indicator of the program
/// (a count's category share is `indicator:category`). Serialises as its name, so the
/// long form keeps one `kpi` column of text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KpiId {
    /// A survey KPI.
    Survey(Kpi),
    /// An indicator id declared in `indicators:`.
    Indicator(String),
}

impl KpiId {
    /// The name in program files and reports (`nps`, `attente`, `demandes:facturation`).
    pub fn as_str(&self) -> &str {
        match self {
            KpiId::Survey(kpi) => kpi.as_str(),
            KpiId::Indicator(id) => id,
        }
    }

    /// The survey KPI, when it is one.
    pub fn survey(&self) -> Option<Kpi> {
        match self {
            KpiId::Survey(kpi) => Some(*kpi),
            KpiId::Indicator(_) => None,
        }
    }

    /// Where its figures come from.
    pub fn source(&self) -> Source {
        match self {
            KpiId::Survey(kpi) => kpi.source(),
            KpiId::Indicator(_) => Source::Indicator,
        }
    }
}

impl From<Kpi> for KpiId {
    fn from(kpi: Kpi) -> Self {
        KpiId::Survey(kpi)
    }
}

impl PartialEq<Kpi> for KpiId {
    fn eq(&self, other: &Kpi) -> bool {
        self.survey() == Some(*other)
    }
}

impl fmt::Display for KpiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for KpiId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KpiId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        let survey = Kpi::ALL.into_iter().find(|k| k.as_str() == text);
        Ok(survey.map_or_else(|| KpiId::Indicator(text.into_owned()), KpiId::Survey))
    }
}

impl JsonSchema for KpiId {
    fn schema_name() -> Cow<'static, str> {
        "KpiId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A survey KPI (nps, csat, ces, fcr, response_rate) or the id of one of the program's indicators.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn raw_observations_and_their_aggregate_give_one_mean() {
        // Observations 30, 50, 70: mean 50, s² = (400 + 0 + 400) / 2 = 400, s = 20.
        let mut raw = IndicatorCounter::default();
        for v in [30.0, 50.0, 70.0] {
            raw.merge(&IndicatorCounter::observation(v));
        }
        let mean = raw.mean().expect("observations");
        assert_eq!(mean.n, 3);
        assert!(close(mean.mean, 50.0));
        assert!(close(mean.std_dev.expect("spread"), 20.0));
        // The same as one aggregate (value 50, n 3, sd 20): sum_sq = 400·2 + 3·2500 = 8300,
        // as 900 + 2500 + 4900.
        let aggregate = IndicatorCounter::aggregate(50.0, 3, Some(20.0));
        assert!(close(aggregate.sum_sq, 8300.0));
        assert_eq!(aggregate.mean(), Some(mean));
    }

    #[test]
    fn an_aggregate_without_sd_leaves_the_spread_unknown() {
        let mut c = IndicatorCounter::aggregate(50.0, 100, Some(10.0));
        c.merge(&IndicatorCounter::aggregate(60.0, 100, None));
        let mean = c.mean().expect("observations");
        // (50·100 + 60·100) / 200 = 55.
        assert!(close(mean.mean, 55.0));
        assert_eq!(mean.std_dev, None);
    }

    #[test]
    fn ratio_quotient_and_empty_counters() {
        let c = IndicatorCounter::ratio(45.0, 60.0);
        // 45 / 60 = 75 %.
        assert!(close(c.share().expect("share").percent, 75.0));
        // 12 000 € / 40 customers = 300 €.
        assert!(close(
            IndicatorCounter::ratio(12_000.0, 40.0)
                .quotient()
                .expect("quotient"),
            300.0
        ));
        let empty = IndicatorCounter::default();
        assert_eq!(empty.mean(), None);
        assert_eq!(empty.share(), None);
        assert_eq!(empty.quotient(), None);
    }

    #[test]
    fn kpi_ids_read_and_write_their_names() {
        let nps: KpiId = serde_json::from_str("\"nps\"").expect("parses");
        assert_eq!(nps, KpiId::Survey(Kpi::Nps));
        assert_eq!(nps.source(), Source::Survey);
        let attente: KpiId = serde_json::from_str("\"attente\"").expect("parses");
        assert_eq!(attente, KpiId::Indicator("attente".into()));
        assert_eq!(attente.source(), Source::Indicator);
        assert_eq!(
            serde_json::to_string(&attente).expect("serialises"),
            "\"attente\""
        );
    }
}
