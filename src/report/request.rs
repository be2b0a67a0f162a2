//! What a report is about, chosen once: the period, the comparison period (or why there is
//! none), the trend periods, the counters to read. The CLI parses flags into a
//! [`ReportRequest`]; [`ReportPlan`] resolves it against the program's calendar, then reads
//! the store and builds the [`Report`].

use std::convert::Infallible;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;

use super::build::language;
use super::calendar::ReportCalendar;
use super::{ACTION_PERIODS, ActionPeriods, GroupBy, Inputs, Report, ReportPeriod, build};
use crate::cases;
use crate::period::{Period, PeriodError};
use crate::program::{CalendarError, Program};
use crate::rollup::RollupCount;
use crate::store::{Store, StoreError};

/// What the period is compared with (`--vs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// The program period before (the default; for windows, the window declared before).
    Previous,
    /// The same period a year earlier.
    YearAgo,
    /// A period as the user spelled it (`2026-10`, a window id…).
    Period(String),
}

impl FromStr for Baseline {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "previous" => Baseline::Previous,
            "year-ago" => Baseline::YearAgo,
            other => Baseline::Period(other.to_owned()),
        })
    }
}

/// A report as asked for, before anything is resolved.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The period as the user spelled it; `None` for the current one.
    pub period: Option<String>,
    /// The comparison.
    pub vs: Baseline,
    /// Row grouping.
    pub group_by: GroupBy,
    /// Significance level of the tests.
    pub alpha: f64,
    /// Trend charts and quotes too (for the formats people read).
    pub details: bool,
}

/// Why a report cannot be made; each says what to ask instead.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `--period` is not a period of the program.
    #[error("--period: {0}")]
    Period(CalendarError),
    /// `--vs` is neither a keyword nor a period of the program.
    #[error("--vs {given}: give previous, year-ago or a period; {source}")]
    Vs {
        /// What was asked for.
        given: String,
        /// Why it is not a period.
        source: CalendarError,
    },
    /// The period is not made of whole program periods.
    #[error(
        "period {period} does not line up with the program's {cadence} periods: \
         ask for one of them or a whole number of them (a quarter of a monthly program)"
    )]
    Misaligned {
        /// The period asked for.
        period: Period,
        /// The program's cadence, or `window`.
        cadence: String,
    },
    /// Date arithmetic went out of range.
    #[error(transparent)]
    Date(#[from] PeriodError),
    /// An explicit comparison period ends before the program's first responses.
    #[error(
        "cannot compare with {vs}: it is before the program `{program}` existed ({since}); \
         pick a later --vs period"
    )]
    BeforeProgram {
        /// The comparison period.
        vs: Period,
        /// The program id.
        program: String,
        /// When its responses start, in words.
        since: String,
    },
    /// `--by segment:ATTR` names an attribute no respondent of the periods has.
    #[error("no respondent in {periods} has the attribute `{attribute}`; attributes seen: {seen}")]
    UnknownAttribute {
        /// The period, and the comparison period if any (`2026-11 or 2026-10`).
        periods: String,
        /// The attribute asked for.
        attribute: String,
        /// The attributes the respondents have, or `none`.
        seen: String,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A request resolved against the program's calendar: everything that can be checked
/// without the store, so a wrong period fails before the store is opened.
pub struct ReportPlan<'a> {
    program: &'a Program,
    request: ReportRequest,
    calendar: ReportCalendar<'a>,
    period: Period,
    current: ReportPeriod,
    vs_period: Period,
    now: Timestamp,
}

/// What the store holds for a report.
struct Readings {
    counters: Vec<RollupCount>,
    segment_counters: Vec<RollupCount>,
    deliveries: Vec<crate::records::Delivery>,
    verbatims: Vec<crate::records::VerbatimResponse>,
    versions: Vec<crate::rollup::VersionSeen>,
    drivers: Vec<(crate::rollup::DriverKey, u64)>,
    cases: Vec<crate::cases::Case>,
    indicators: Vec<crate::indicators::IndicatorCount>,
    audits: Vec<(crate::rollup::AuditKey, crate::rollup::AuditSums)>,
    mentions: Vec<crate::mentions::StoredMention>,
}

impl<'a> ReportPlan<'a> {
    /// Resolves the period and the comparison period of `request`, as of `now`.
    pub fn new(
        program: &'a Program,
        request: ReportRequest,
        now: Timestamp,
    ) -> Result<Self, ReportError> {
        let period = program
            .calendar()
            .resolve_period(request.period.as_deref(), now)
            .map_err(ReportError::Period)?;
        let calendar = ReportCalendar::of(program);
        let current = calendar.report_period(period)?;
        let vs_period = match &request.vs {
            Baseline::Previous => calendar.previous(&period)?,
            Baseline::YearAgo => period.year_ago()?,
            Baseline::Period(given) => program
                .calendar()
                .resolve_period(Some(given), now)
                .map_err(|source| ReportError::Vs {
                    given: given.clone(),
                    source,
                })?,
        };
        Ok(ReportPlan {
            program,
            request,
            calendar,
            period,
            current,
            vs_period,
            now,
        })
    }

    /// Reads the counters the report needs and builds it.
    pub async fn build(self, store: &Store) -> Result<Report, ReportError> {
        let mut notes = Vec::new();
        let vs = self.comparison(store, &mut notes).await?;
        let trend = if self.request.details {
            self.calendar.trend(&self.period)
        } else {
            Vec::new()
        };
        let actions = self.action_periods();
        let readings = self.read(store, vs.as_ref(), &trend, &actions).await?;
        let case_periods: Vec<(String, Vec<String>)> = std::iter::once(&self.current)
            .chain(vs.as_ref())
            .map(|p| (p.key.clone(), p.parts.clone()))
            .collect();
        Ok(build(&Inputs {
            program: self.program,
            group_by: self.request.group_by.clone(),
            alpha: self.request.alpha,
            period: self.current.clone(),
            vs,
            counters: &readings.counters,
            segment_counters: &readings.segment_counters,
            deliveries: &readings.deliveries,
            indicators: &readings.indicators,
            trend,
            verbatims: &readings.verbatims,
            versions: &readings.versions,
            drivers: &readings.drivers,
            audits: &readings.audits,
            mentions: &readings.mentions,
            actions,
            follow_up: cases::follow_up(&readings.cases, &case_periods, self.now),
            overdue: cases::overdue(&readings.cases, self.now),
            generated_at: self.calendar.rfc3339(self.now),
            notes,
        }))
    }

    /// The periods each action plan is judged on: whole program periods before its start
    /// and since, up to the report's period (nothing since when it starts later, or after
    /// today).
    fn action_periods(&self) -> Vec<ActionPeriods> {
        let calendar = self.program.calendar();
        let today = self.now.to_zoned(calendar.zone().clone()).date();
        let until = self.period.end_day();
        self.program
            .file
            .actions
            .iter()
            .filter_map(|action| {
                let started: Date = action.started.parse().ok()?;
                let n = action
                    .periods
                    .as_deref()
                    .map_or(ACTION_PERIODS, |&n| n as usize);
                let (before, since) = calendar.around(started, n, until);
                let report = |periods: Vec<Period>| -> Vec<ReportPeriod> {
                    periods
                        .into_iter()
                        .filter_map(|p| self.calendar.report_period(p).ok())
                        .collect()
                };
                Some(ActionPeriods {
                    id: action.id.to_string(),
                    before: report(before),
                    since: report(since),
                    not_started: started > today || started >= until,
                })
            })
            .collect()
    }

    /// The comparison period, unless it ends before the program's first responses: then
    /// none (with a note) for `previous` or `year-ago`, an error for an explicit period.
    async fn comparison(
        &self,
        store: &Store,
        notes: &mut Vec<String>,
    ) -> Result<Option<ReportPeriod>, ReportError> {
        let first_response: Option<Period> = store
            .first_period(self.program.id())
            .await?
            .and_then(|p| p.parse().ok());
        let first_indicator: Option<Period> = store
            .indicator_periods(self.program.id())
            .await?
            .iter()
            .filter_map(|p| p.parse::<Period>().ok())
            .min_by_key(Period::first_day);
        let first = [first_response, first_indicator]
            .into_iter()
            .flatten()
            .min_by_key(Period::first_day);
        let vs_period = self.vs_period;
        if first.is_some_and(|f| vs_period.end_day() > f.first_day()) {
            return Ok(Some(self.calendar.report_period(vs_period)?));
        }
        // An explicit period is a mistake to point out; `previous` and `year-ago` are
        // relative, and in a program's first period or year they simply have no data yet.
        if let Baseline::Period(_) = self.request.vs {
            return Err(ReportError::BeforeProgram {
                vs: vs_period,
                program: self.program.id().to_owned(),
                since: first.map_or_else(
                    || "no responses yet".to_owned(),
                    |f| format!("its first responses are in {f}"),
                ),
            });
        }
        notes.push(if language(self.program) == "fr" {
            format!(
                "Pas de comparaison\u{a0}: {vs_period} précède les premières réponses du programme."
            )
        } else {
            format!("No comparison: {vs_period} is before the program's first responses.")
        });
        Ok(None)
    }

    /// The counters of the period, the comparison and the trend; the grouping attribute's
    /// counters; deliveries; and, for details, the period's verbatims.
    async fn read(
        &self,
        store: &Store,
        vs: Option<&ReportPeriod>,
        trend: &[ReportPeriod],
        actions: &[ActionPeriods],
    ) -> Result<Readings, ReportError> {
        let id = self.program.id();
        let mut compared: Vec<String> = self.current.parts.clone();
        if let Some(v) = vs {
            compared.extend(v.parts.iter().cloned());
        }
        let mut keys = compared.clone();
        let action_periods = actions.iter().flat_map(|a| a.before.iter().chain(&a.since));
        for p in trend.iter().chain(action_periods) {
            keys.extend(p.parts.iter().cloned());
        }
        keys.sort();
        keys.dedup();
        let counters = store.rollups(id, &keys, "").await?;
        let segment_counters = match &self.request.group_by {
            GroupBy::Segment(attribute) => {
                let rows = store.rollups(id, &compared, attribute).await?;
                let any = counters.iter().any(|c| compared.contains(&c.key.period));
                if rows.is_empty() && any {
                    let seen = store.segments(id, &compared).await?;
                    return Err(ReportError::UnknownAttribute {
                        periods: match vs {
                            Some(v) => format!("{} or {}", self.current.key, v.key),
                            None => self.current.key.clone(),
                        },
                        attribute: attribute.clone(),
                        seen: if seen.is_empty() {
                            "none".to_owned()
                        } else {
                            seen.join(", ")
                        },
                    });
                }
                rows
            }
            _ => Vec::new(),
        };
        let deliveries = store.deliveries(id, &compared).await?;
        let verbatims = if self.request.details {
            store.verbatim_responses(id, &self.current.parts).await?
        } else {
            Vec::new()
        };
        let (versions, drivers) = store.statistics(id, &compared).await?;
        let cases = store.cases(Some(id)).await?;
        let indicators = store.indicator_counts(id, &keys).await?;
        let audits = store.audit_sums(id, &compared).await?;
        let mentions = store.mentions(id, &compared).await?;
        Ok(Readings {
            indicators,
            audits,
            mentions,
            cases,
            counters,
            segment_counters,
            deliveries,
            verbatims,
            versions,
            drivers,
        })
    }
}
