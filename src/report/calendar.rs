//! The program's periods as a report needs them: bounds, stored parts, the period before,
//! the trend. The one place that knows where they come from (today
//! [`crate::responses::PeriodRule`]).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{ReportError, ReportPeriod, TREND_PERIODS};
use crate::period::{Period, PeriodError};
use crate::program::Program;
use crate::responses::PeriodRule;

/// A program's calendar, read once per report.
pub(super) struct Calendar {
    rule: PeriodRule,
    /// `monthly`, `quarterly`… or `window`, for error messages.
    cadence: String,
}

impl Calendar {
    /// The calendar of `program`.
    pub(super) fn of(program: &Program) -> Result<Self, ReportError> {
        let cadence = program
            .file
            .periods
            .cadence
            .as_deref()
            .map_or("window".to_owned(), |c| format!("{c:?}").to_lowercase());
        Ok(Calendar {
            rule: PeriodRule::of(program)?,
            cadence,
        })
    }

    /// The program's time zone.
    pub(super) fn zone(&self) -> &TimeZone {
        self.rule.zone()
    }

    /// `at` in RFC 3339, in the program's time zone.
    pub(super) fn rfc3339(&self, at: Timestamp) -> String {
        at.to_zoned(self.zone().clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }

    /// The program period before `period` (for explicit windows: the window declared
    /// before it).
    pub(super) fn previous(&self, period: &Period) -> Result<Period, PeriodError> {
        match self.rule.history(period, 2).as_slice() {
            [before, _] => Ok(*before),
            _ => period.previous(),
        }
    }

    /// `period` with its bounds and its stored parts, or why it cannot be reported on.
    pub(super) fn report_period(&self, period: Period) -> Result<ReportPeriod, ReportError> {
        let parts = self
            .rule
            .parts_of(&period)
            .ok_or_else(|| ReportError::Misaligned {
                period,
                cadence: self.cadence.clone(),
            })?;
        Ok(ReportPeriod {
            key: period.to_string(),
            start: self.rfc3339(period.start(self.zone())?),
            end: self.rfc3339(period.end(self.zone())?),
            parts: parts.iter().map(ToString::to_string).collect(),
        })
    }

    /// The periods of the trend charts, oldest first, ending with `period`.
    pub(super) fn trend(&self, period: &Period) -> Vec<ReportPeriod> {
        self.rule
            .history(period, TREND_PERIODS)
            .into_iter()
            .filter_map(|p| self.report_period(p).ok())
            .collect()
    }
}
