//! Counting: which KPI each question feeds, mergeable counts per group and period, and the
//! estimate of a KPI from them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::metrics::{
    Ces, Comparison, Confidence, CsatScale, Estimate, Histogram, Kpi, Mean, Nps, Proportion,
    Significance, compare_means, compare_nps, compare_proportions, fcr, response_rate,
};
use crate::program::Program;
use crate::records::Delivery;
use crate::rollup::RollupCount;

/// What a question feeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Feeds {
    Nps,
    Csat(CsatScale),
    Ces,
    Fcr,
}

impl Feeds {
    pub(super) fn kpi(self) -> Kpi {
        match self {
            Feeds::Nps => Kpi::Nps,
            Feeds::Csat(_) => Kpi::Csat,
            Feeds::Ces => Kpi::Ces,
            Feeds::Fcr => Kpi::Fcr,
        }
    }
}

/// Mergeable counts of one group in one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Counts {
    pub(super) nps: Histogram,
    pub(super) csat_satisfied: u64,
    pub(super) csat_n: u64,
    pub(super) ces: Histogram,
    pub(super) fcr: Histogram,
    pub(super) responses: u64,
    pub(super) delivered: u64,
    pub(super) answered: u64,
}

/// A KPI's estimate, typed so the right test applies.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stat {
    Nps(Nps),
    Share(Proportion),
    Mean(Mean),
    /// An exact figure, not a sample (a quotient of two totals, a volume): no interval and
    /// no test.
    Exact(f64),
}

impl Stat {
    /// Value and interval: Wilson for shares, adjusted-Wald for NPS, Student's t for CES.
    pub(super) fn estimate(&self, confidence: Confidence) -> Estimate {
        match self {
            Stat::Nps(s) => s.estimate(confidence),
            Stat::Share(p) => p.estimate(confidence),
            Stat::Mean(m) => m.estimate(confidence),
            Stat::Exact(value) => Estimate {
                n: 0,
                value: *value,
                interval: None,
            },
        }
    }

    pub(super) fn compare(&self, reference: &Stat, alpha: f64) -> Option<Comparison> {
        match (self, reference) {
            (Stat::Nps(a), Stat::Nps(b)) => Some(compare_nps(a, b, alpha)),
            (Stat::Share(a), Stat::Share(b)) => Some(compare_proportions(a, b, alpha)),
            // A mean of several values without a spread (an aggregate imported without its
            // standard deviation) cannot be tested.
            (Stat::Mean(a), Stat::Mean(b))
                if (a.std_dev.is_none() && a.n > 1) || (b.std_dev.is_none() && b.n > 1) =>
            {
                Some(untested(a.mean - b.mean))
            }
            (Stat::Mean(a), Stat::Mean(b)) => Some(compare_means(a, b, alpha)),
            (Stat::Exact(a), Stat::Exact(b)) => Some(untested(a - b)),
            _ => None,
        }
    }
}

/// A change shown without a p-value: significance `unknown`, never a guessed test.
fn untested(delta: f64) -> Comparison {
    Comparison {
        delta,
        p_value: None,
        significance: Significance::Unknown,
        interval: None,
    }
}

impl Counts {
    pub(super) fn n(&self, kpi: Kpi) -> u64 {
        match kpi {
            Kpi::Nps => self.nps.total(),
            Kpi::Csat => self.csat_n,
            Kpi::Ces => self.ces.count_in(Ces::VALUES),
            Kpi::Fcr => self.fcr.count_in(0..=1),
            Kpi::ResponseRate => self.delivered,
        }
    }

    pub(super) fn stat(&self, kpi: Kpi) -> Option<Stat> {
        match kpi {
            Kpi::Nps => Nps::from_histogram(&self.nps).map(Stat::Nps),
            Kpi::Csat => Proportion::new(self.csat_satisfied, self.csat_n).map(Stat::Share),
            Kpi::Ces => Ces::from_histogram(&self.ces).map(|c| Stat::Mean(c.mean)),
            Kpi::Fcr => fcr(&self.fcr).map(Stat::Share),
            Kpi::ResponseRate => response_rate(self.answered, self.delivered).map(Stat::Share),
        }
    }

    pub(super) fn add(&mut self, feeds: Option<Feeds>, question_id: &str, value: u8, n: u64) {
        if question_id.is_empty() {
            self.responses += n;
            return;
        }
        let _ignored_when_out_of_range = match feeds {
            Some(Feeds::Nps) => self.nps.add_n(value, n),
            Some(Feeds::Ces) => self.ces.add_n(value, n),
            Some(Feeds::Fcr) => self.fcr.add_n(value, n),
            Some(Feeds::Csat(scale)) => {
                if scale.is_valid(value) {
                    self.csat_n += n;
                    if scale.is_satisfied(value) {
                        self.csat_satisfied += n;
                    }
                }
                Ok(())
            }
            None => Ok(()),
        };
    }
}

/// The program's knowledge the aggregation needs.
pub(super) struct Catalogue {
    pub(super) feeds: HashMap<(String, String), Feeds>,
    pub(super) survey_touchpoint: HashMap<String, String>,
    pub(super) touchpoint_kpis: HashMap<String, BTreeSet<Kpi>>,
}

impl Catalogue {
    pub(super) fn of(program: &Program) -> Self {
        let mut feeds = HashMap::new();
        let mut survey_touchpoint = HashMap::new();
        let mut touchpoint_kpis: HashMap<String, BTreeSet<Kpi>> = HashMap::new();
        for survey in &program.file.surveys {
            survey_touchpoint.insert(survey.id.to_string(), survey.touchpoint.to_string());
            for q in &survey.questions {
                let f = q.measures().and_then(|kpi| match kpi {
                    Kpi::Nps => Some(Feeds::Nps),
                    Kpi::Ces => Some(Feeds::Ces),
                    Kpi::Csat => Some(Feeds::Csat(
                        q.scale.as_deref().copied().unwrap_or(CsatScale::Stars5),
                    )),
                    Kpi::Fcr => Some(Feeds::Fcr),
                    Kpi::ResponseRate => None,
                });
                if let Some(f) = f {
                    feeds.insert((survey.id.to_string(), q.id.to_string()), f);
                    touchpoint_kpis
                        .entry(survey.touchpoint.to_string())
                        .or_default()
                        .insert(f.kpi());
                }
            }
        }
        Catalogue {
            feeds,
            survey_touchpoint,
            touchpoint_kpis,
        }
    }

    pub(super) fn feeds(&self, survey: &str, question: &str) -> Option<Feeds> {
        self.feeds
            .get(&(survey.to_owned(), question.to_owned()))
            .copied()
    }
}

/// Counts per group of the counters whose period is one of `parts`.
pub(super) fn aggregate(
    catalogue: &Catalogue,
    counters: &[RollupCount],
    parts: &[String],
    group: impl Fn(&RollupCount) -> String,
) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for c in counters.iter().filter(|c| parts.contains(&c.key.period)) {
        let feeds = catalogue.feeds(&c.key.survey_id, &c.key.question_id);
        out.entry(group(c))
            .or_default()
            .add(feeds, &c.key.question_id, c.key.value, c.n);
    }
    out
}

/// Adds delivered/answered invitations per group.
pub(super) fn add_deliveries(
    into: &mut BTreeMap<String, Counts>,
    deliveries: &[Delivery],
    parts: &[String],
    group: impl Fn(&Delivery) -> Option<String>,
) {
    for d in deliveries.iter().filter(|d| parts.contains(&d.period)) {
        if let Some(g) = group(d) {
            let counts = into.entry(g).or_default();
            counts.delivered += d.delivered;
            counts.answered += d.answered;
        }
    }
}
