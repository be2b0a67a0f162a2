//! What a survey's draw is expected to give before anything is sent: answers (drawn × a
//! response rate) and the 95 % margin of each KPI it measures. The rate is the one observed
//! for the survey and channel over its last closed periods, else an assumption said as
//! such; the spread of answers is the last closed period's, else the worst case.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::metrics::{
    Ces, Csat, CsatScale, Goal, Histogram, Kpi, MIN_N_FOR_SIGNIFICANCE, Nps, fcr,
};
use crate::period::Period;
use crate::program::Program;
use crate::program::model::{Sample, Survey};
use crate::sampling::PrecisionGoal;
use crate::sampling::precision::{expected_margin, worst_case_variance};
use crate::store::{Store, StoreError};

/// The response rate assumed when a survey has no history and its sample states no
/// `expected_response_rate`.
pub const DEFAULT_RESPONSE_RATE: f64 = 0.2;

/// How many closed periods the observed response rate and spread look back over.
pub const HISTORY_PERIODS: usize = 3;

/// Where an expected response rate comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum RateBasis {
    /// Observed for the survey and channel over its last closed periods.
    Observed {
        /// The periods, oldest first.
        periods: Vec<String>,
        /// Invitations delivered in them.
        delivered: u64,
        /// Of those, answered.
        answered: u64,
    },
    /// No invitation was delivered in the last closed periods: the sample's
    /// `expected_response_rate`, else [`DEFAULT_RESPONSE_RATE`].
    Assumption {
        /// True when the sample states the rate, false for the default.
        stated: bool,
    },
}

/// The spread of a KPI's answers in the last closed period that has some.
#[derive(Debug, Clone, PartialEq)]
struct Spread {
    period: String,
    variance: f64,
    value: f64,
}

/// A survey's history, read from the store before its draw.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    rate: f64,
    basis: RateBasis,
    spreads: BTreeMap<Kpi, Spread>,
}

/// The expected margin of one KPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectedMargin {
    /// The KPI.
    pub kpi: Kpi,
    /// Expected half-width of the 95 % interval; `None` below one expected answer.
    pub moe95: Option<f64>,
    /// The period whose answers gave the spread; `None` for the worst case.
    pub spread_from: Option<String>,
    /// The KPI in that period.
    pub last_value: Option<f64>,
    /// The KPI's target for the survey's touchpoint (else program-wide).
    pub target: Option<f64>,
}

/// What a survey's draw is expected to give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// Expected share of invitations answered, 0…1.
    pub response_rate: f64,
    /// Where it comes from.
    pub response_rate_basis: RateBasis,
    /// Drawn × response rate.
    pub answers: f64,
    /// One per KPI the survey measures, in report order.
    pub margins: Vec<ExpectedMargin>,
    /// What the operator should know before sending: too few answers expected, a margin too
    /// wide to judge a target, a precision goal out of reach. `plan` prints them; `send`
    /// does not repeat them.
    pub warnings: Vec<String>,
}

impl History {
    /// Reads the survey's delivered and answered invitations on `channel` and its answers
    /// over the last [`HISTORY_PERIODS`] periods before `period` that are closed at `now`.
    pub async fn read(
        store: &Store,
        program: &Program,
        survey: &Survey,
        sample: &Sample,
        channel: &str,
        period: &Period,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let calendar = program.calendar();
        let mut closed: Vec<String> = calendar
            .history(period, HISTORY_PERIODS + 3)
            .into_iter()
            .filter(|p| p != period)
            .filter(|p| calendar.closes_at(p).is_ok_and(|at| at.timestamp() <= now))
            .map(|p| p.to_string())
            .collect();
        closed.drain(..closed.len().saturating_sub(HISTORY_PERIODS));
        let (delivered, answered) = store
            .deliveries(program.id(), &closed)
            .await?
            .iter()
            .filter(|d| d.survey_id == *survey.id && d.channel == channel)
            .fold((0, 0), |(d, a), x| (d + x.delivered, a + x.answered));
        let (rate, basis) = if delivered > 0 {
            (
                answered as f64 / delivered as f64,
                RateBasis::Observed {
                    periods: closed.clone(),
                    delivered,
                    answered,
                },
            )
        } else {
            let stated = sample.expected_response_rate.as_deref().copied();
            (
                stated.unwrap_or(DEFAULT_RESPONSE_RATE),
                RateBasis::Assumption {
                    stated: stated.is_some(),
                },
            )
        };
        let counters = store.rollups(program.id(), &closed, "").await?;
        let mut histograms: BTreeMap<(String, String), Histogram> = BTreeMap::new();
        for c in counters.iter().filter(|c| c.key.survey_id == *survey.id) {
            let _ignored_when_out_of_range = histograms
                .entry((c.key.period.clone(), c.key.question_id.clone()))
                .or_default()
                .add_n(c.key.value, c.n);
        }
        let mut spreads = BTreeMap::new();
        for question in &survey.questions {
            let Some(kpi) = question.measures() else {
                continue;
            };
            let scale = question
                .scale
                .as_deref()
                .copied()
                .unwrap_or(CsatScale::Stars5);
            let latest = closed.iter().rev().find_map(|p| {
                let h = histograms.get(&(p.clone(), question.id.to_string()))?;
                let (variance, value) = spread(kpi, h, scale)?;
                Some(Spread {
                    period: p.clone(),
                    variance,
                    value,
                })
            });
            if let Some(latest) = latest {
                spreads.entry(kpi).or_insert(latest);
            }
        }
        Ok(History {
            rate,
            basis,
            spreads,
        })
    }

    /// The expected response rate, 0…1.
    pub fn response_rate(&self) -> f64 {
        self.rate
    }

    /// The variance of one answer of `kpi`: last period's, else the worst case.
    pub fn variance(&self, kpi: Kpi) -> Option<f64> {
        self.spreads
            .get(&kpi)
            .map(|s| s.variance)
            .or_else(|| worst_case_variance(kpi))
    }

    /// What drawing `drawn` of `eligible` contacts is expected to give for `survey`, whose
    /// sample may have a precision `goal`.
    pub fn expect(
        &self,
        program: &Program,
        survey: &Survey,
        drawn: u64,
        eligible: u64,
        goal: Option<PrecisionGoal>,
    ) -> Expectation {
        let answers = drawn as f64 * self.rate;
        let mut kpis: Vec<Kpi> = survey
            .questions
            .iter()
            .filter_map(|q| q.measures())
            .collect();
        kpis.sort_unstable();
        kpis.dedup();
        let margins: Vec<ExpectedMargin> = kpis
            .into_iter()
            .map(|kpi| {
                let spread = self.spreads.get(&kpi);
                ExpectedMargin {
                    kpi,
                    // Never wider than the KPI's half-range (NPS 100, shares 50, CES 3, the
                    // square roots of the worst-case variances): no interval is wider.
                    moe95: self
                        .variance(kpi)
                        .and_then(|v| expected_margin(v, answers, eligible))
                        .map(|m| m.min(worst_case_variance(kpi).map_or(m, f64::sqrt))),
                    spread_from: spread.map(|s| s.period.clone()),
                    last_value: spread.map(|s| s.value),
                    target: program
                        .target(&kpi.into(), Some(survey.touchpoint.as_str()))
                        .or_else(|| program.target(&kpi.into(), None))
                        .map(Goal::value),
                }
            })
            .collect();
        let mut warnings = Vec::new();
        if let Some(goal) = goal
            && !goal.reachable(eligible)
        {
            warnings.push(format!(
                "precision goal ±{} on {} needs {:.0} answers; drawing all {eligible} eligible \
                 contacts is expected to give {:.0}: the goal cannot be reached this period",
                goal.moe95,
                goal.kpi,
                goal.answers_needed(eligible).ceil(),
                eligible as f64 * goal.response_rate
            ));
        }
        warnings.extend(margin_warnings(answers, &margins));
        Expectation {
            response_rate: self.rate,
            response_rate_basis: self.basis.clone(),
            answers,
            margins,
            warnings,
        }
    }
}

/// Too few answers expected; an expected margin wider than the distance between a KPI's
/// last value and its target.
fn margin_warnings(answers: f64, margins: &[ExpectedMargin]) -> Vec<String> {
    let mut notices = Vec::new();
    if answers < MIN_N_FOR_SIGNIFICANCE as f64 {
        notices.push(format!(
            "{answers:.0} answers expected, under {MIN_N_FOR_SIGNIFICANCE}: changes will read \
             `too_few` and targets `inconclusive`; draw more contacts"
        ));
    }
    for m in margins {
        if let (Some(moe), Some(last), Some(target)) = (m.moe95, m.last_value, m.target)
            && moe > (last - target).abs()
        {
            notices.push(format!(
                "the expected margin on {} (±{moe:.1}) is wider than the distance between \
                 its last value ({last:.1}) and its target ({target}): the target cannot \
                 be judged; `precision: {{ kpi: {}, moe95: {:.1} }}` would size the draw \
                 for it",
                m.kpi,
                m.kpi,
                (last - target).abs()
            ));
        }
    }
    notices
}

/// Variance of one answer (in the KPI's unit squared) and the KPI's value, from a
/// question's histogram; `None` without answers (or a single CES answer, no spread).
fn spread(kpi: Kpi, h: &Histogram, scale: CsatScale) -> Option<(f64, f64)> {
    let share = |p: f64| 100.0 * 100.0 * p * (1.0 - p);
    match kpi {
        Kpi::Nps => Nps::from_histogram(h).map(|n| (100.0 * 100.0 * n.variance, n.score)),
        Kpi::Csat => Csat::from_histogram(h, scale)
            .map(|c| (share(c.satisfied.fraction()), c.satisfied.percent)),
        Kpi::Ces => {
            Ces::from_histogram(h).and_then(|c| c.mean.std_dev.map(|s| (s * s, c.mean.mean)))
        }
        Kpi::Fcr => fcr(h).map(|p| (share(p.fraction()), p.percent)),
        Kpi::ResponseRate => None,
    }
}

/// For `ecoute check`, which reads no store: samples of a fixed size whose surveys are
/// expected to get fewer than [`MIN_N_FOR_SIGNIFICANCE`] answers at the sample's expected
/// response rate (else the default, said as an assumption).
pub fn check_warnings(program: &Program) -> Vec<String> {
    program
        .file
        .samples
        .iter()
        .filter_map(|sample| {
            let size = **sample.size.as_ref()?;
            let stated = sample.expected_response_rate.as_deref().copied();
            let rate = stated.unwrap_or(DEFAULT_RESPONSE_RATE);
            let answers = size as f64 * rate;
            (answers < MIN_N_FOR_SIGNIFICANCE as f64).then(|| {
                format!(
                    "sample `{}`: {size} drawn × {}% expected response rate ({}) = {answers:.0} \
                     answers expected, under {MIN_N_FOR_SIGNIFICANCE}: changes will read \
                     `too_few`; raise `size` or use `precision`",
                    *sample.id,
                    100.0 * rate,
                    if stated.is_some() {
                        "`expected_response_rate`"
                    } else {
                        "assumption: default"
                    }
                )
            })
        })
        .collect()
}
