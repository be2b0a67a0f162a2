//! The program's periods as a report needs them: bounds in the program's time zone, stored
//! parts, the period before, the trend; a view over the program's own [`Calendar`].

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{ReportError, ReportPeriod, TREND_PERIODS};
use crate::period::{Period, PeriodError};
use crate::program::{Calendar, Program};

/// A program's calendar, seen from a report.
pub(super) struct ReportCalendar<'p> {
    calendar: &'p Calendar,
}

impl<'p> ReportCalendar<'p> {
    /// The calendar of `program`.
    pub(super) fn of(program: &'p Program) -> Self {
        ReportCalendar {
            calendar: program.calendar(),
        }
    }

    /// The program's time zone.
    pub(super) fn zone(&self) -> &TimeZone {
        self.calendar.zone()
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
        match self.calendar.history(period, 2).as_slice() {
            [before, _] => Ok(*before),
            _ => period.previous(),
        }
    }

    /// `period` with its bounds and its stored parts, or why it cannot be reported on.
    pub(super) fn report_period(&self, period: Period) -> Result<ReportPeriod, ReportError> {
        let parts = self
            .calendar
            .parts_of(&period)
            .ok_or_else(|| ReportError::Misaligned {
                period,
                cadence: self
                    .calendar
                    .cadence()
                    .map_or("window", |c| c.as_str())
                    .to_owned(),
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
        self.calendar
            .history(period, TREND_PERIODS)
            .into_iter()
            .filter_map(|p| self.report_period(p).ok())
            .collect()
    }
}
