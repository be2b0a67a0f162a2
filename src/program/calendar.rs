//! The program's calendar, resolved once by validation: its time zone, cron, cadence and
//! explicit windows as typed values, and the period rules every stage asks of them (which
//! period a moment or a `--period` falls in, when a period closes, which stored periods
//! make up a longer one).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::period::{Cadence, Period, PeriodError};

/// Why a period could not be chosen or placed in time.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The `--period` text is neither a period nor a window id of the program.
    #[error("{0}")]
    Period(#[from] PeriodError),
    /// The `--period` names a window the program does not declare.
    #[error("program has no period `{given}`; its windows are: {known}")]
    UnknownWindow {
        /// What was asked for.
        given: String,
        /// The window ids declared.
        known: String,
    },
    /// Today falls in no explicit window of the program.
    #[error("today falls in no period of this program; pass `--period` with one of: {0}")]
    NoCurrentWindow(String),
    /// Date arithmetic overflowed (dates far outside 0001–9999).
    #[error("date out of range: {0}")]
    Range(#[from] jiff::Error),
}

/// An explicit window of the program, by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedWindow {
    /// The id used with `--period`.
    pub id: String,
    /// Its days.
    pub period: Period,
}

/// When things happen in a program: the typed form of its `timezone` and `periods`.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
    cron: croner::Cron,
    cadence: Option<Cadence>,
    windows: Vec<NamedWindow>,
    close_after_days: u32,
}

/// The period of a window written with inclusive first and last days, as program files do.
pub fn inclusive_window(first: Date, last: Date) -> Result<Period, PeriodError> {
    let end = last.tomorrow().map_err(|_| PeriodError::OutOfRange)?;
    Period::window(first, end)
}

impl Calendar {
    /// A calendar from values validation has already checked.
    pub fn new(
        zone: TimeZone,
        cron: croner::Cron,
        cadence: Option<Cadence>,
        windows: Vec<NamedWindow>,
        close_after_days: u32,
    ) -> Self {
        Calendar {
            zone,
            cron,
            cadence,
            windows,
            close_after_days,
        }
    }

    /// The program's time zone, in which periods, waves and send windows are computed.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The cron schedule of the dispatch waves (program time zone).
    pub fn cron(&self) -> &croner::Cron {
        &self.cron
    }

    /// The regular cadence, when the program has one instead of windows.
    pub fn cadence(&self) -> Option<Cadence> {
        self.cadence
    }

    /// The explicit windows, as declared.
    pub fn windows(&self) -> &[NamedWindow] {
        &self.windows
    }

    /// The program's periods that share at least one day with `[first, end)`, oldest first:
    /// every period of the cadence from the one holding `first`, or the overlapping windows.
    pub fn periods_between(&self, first: Date, end: Date) -> Result<Vec<Period>, CalendarError> {
        let Some(cadence) = self.cadence else {
            let mut overlapping: Vec<Period> = self
                .windows
                .iter()
                .map(|w| w.period)
                .filter(|p| p.first_day() < end && first < p.end_day())
                .collect();
            overlapping.sort();
            return Ok(overlapping);
        };
        let mut periods = Vec::new();
        let mut period = Period::of_date(cadence, first)?;
        while period.first_day() < end {
            let next = Period::of_date(cadence, period.end_day())?;
            periods.push(period);
            period = next;
        }
        Ok(periods)
    }

    /// The period holding `at`: by cadence, else the window that contains it.
    pub fn period_of(&self, at: Timestamp) -> Option<Period> {
        match self.cadence {
            Some(cadence) => Period::containing(cadence, at, &self.zone).ok(),
            None => self
                .windows
                .iter()
                .map(|w| w.period)
                .find(|p| p.contains(at, &self.zone)),
        }
    }

    /// The period a command is about: `requested` as a window id or a period spelling, else
    /// the period that contains `now`.
    pub fn resolve_period(
        &self,
        requested: Option<&str>,
        now: Timestamp,
    ) -> Result<Period, CalendarError> {
        let known = || {
            self.windows
                .iter()
                .map(|w| w.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (requested, self.cadence) {
            (Some(text), _) => {
                if let Some(window) = self.windows.iter().find(|w| w.id == text) {
                    return Ok(window.period);
                }
                match text.parse::<Period>() {
                    Ok(period) => Ok(period),
                    Err(_) if !self.windows.is_empty() => Err(CalendarError::UnknownWindow {
                        given: text.to_owned(),
                        known: known(),
                    }),
                    Err(err) => Err(err.into()),
                }
            }
            (None, Some(cadence)) => Ok(Period::containing(cadence, now, &self.zone)?),
            (None, None) => self
                .period_of(now)
                .ok_or_else(|| CalendarError::NoCurrentWindow(known())),
        }
    }

    /// When the period stops accepting answers: its end plus `close_after_days`.
    pub fn closes_at(&self, period: &Period) -> Result<Zoned, CalendarError> {
        let end = period.end(&self.zone)?.to_zoned(self.zone.clone());
        Ok(end.checked_add(i64::from(self.close_after_days).days())?)
    }

    /// The stored period keys whose union is `period`, oldest first: `period` itself when it
    /// is one of the program's periods, its months when a quarter is asked of a monthly
    /// program, and so on. `None` when `period` does not line up with the program's periods.
    pub fn parts_of(&self, period: &Period) -> Option<Vec<Period>> {
        match self.cadence {
            None => self
                .windows
                .iter()
                .any(|w| w.period == *period)
                .then(|| vec![*period]),
            Some(cadence) => {
                let mut parts = Vec::new();
                let mut part = Period::of_date(cadence, period.first_day()).ok()?;
                if part.first_day() != period.first_day() {
                    return None;
                }
                while part.end_day() <= period.end_day() {
                    parts.push(part);
                    if part.end_day() == period.end_day() {
                        return Some(parts);
                    }
                    part = Period::of_date(cadence, part.end_day()).ok()?;
                }
                None
            }
        }
    }

    /// The program periods an action started on `started` is judged on, oldest first:
    /// up to `n` whole periods that end on or before `started`, and up to `n` (the latest)
    /// that begin on or after it and end by `until`. A period `started` falls inside is
    /// left out of both sides: it mixes answers from before and after.
    pub fn around(&self, started: Date, n: usize, until: Date) -> (Vec<Period>, Vec<Period>) {
        let last_before = match self.cadence {
            Some(cadence) => Period::of_date(cadence, started)
                .and_then(|p| p.previous())
                .ok(),
            None => self
                .windows
                .iter()
                .map(|w| w.period)
                .filter(|p| p.end_day() <= started)
                .max(),
        };
        let before = last_before.map_or_else(Vec::new, |p| self.history(&p, n));
        let mut since: Vec<Period> = self
            .periods_between(started, until)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.first_day() >= started && p.end_day() <= until)
            .collect();
        since.drain(..since.len().saturating_sub(n));
        (before, since)
    }

    /// The `n` program periods ending with `period` (fewer for windows), oldest first.
    pub fn history(&self, period: &Period, n: usize) -> Vec<Period> {
        match self.cadence {
            Some(_) => period.last_n(n).collect(),
            None => {
                let mut before: Vec<Period> = self
                    .windows
                    .iter()
                    .map(|w| w.period)
                    .filter(|p| p.first_day() <= period.first_day())
                    .collect();
                before.sort();
                let skip = before.len().saturating_sub(n);
                before.into_iter().skip(skip).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monthly() -> Calendar {
        Calendar::new(
            TimeZone::get("Europe/Paris").expect("zone"),
            "0 10 2 * *".parse().expect("cron"),
            Some(Cadence::Monthly),
            Vec::new(),
            14,
        )
    }

    fn seasons() -> Calendar {
        let window = |id: &str, first: &str, last: &str| NamedWindow {
            id: id.to_owned(),
            period: inclusive_window(first.parse().expect("date"), last.parse().expect("date"))
                .expect("window"),
        };
        Calendar::new(
            TimeZone::get("Europe/Paris").expect("zone"),
            "0 10 * * 1".parse().expect("cron"),
            None,
            vec![
                window("hiver", "2026-12-01", "2027-02-28"),
                window("printemps", "2027-03-01", "2027-05-31"),
            ],
            0,
        )
    }

    #[test]
    fn an_action_is_judged_on_whole_periods_on_each_side_of_its_start() {
        let keys = |periods: Vec<Period>| -> Vec<String> {
            periods.iter().map(ToString::to_string).collect()
        };
        let date = |text: &str| -> Date { text.parse().expect("date") };
        // Started on the first of October: September and before, October and after.
        let (before, since) = monthly().around(date("2026-10-01"), 3, date("2027-01-01"));
        assert_eq!(keys(before), ["2026-07", "2026-08", "2026-09"]);
        assert_eq!(keys(since), ["2026-10", "2026-11", "2026-12"]);
        // Started mid-October: October is on neither side; only the latest 2 since.
        let (before, since) = monthly().around(date("2026-10-15"), 2, date("2027-01-01"));
        assert_eq!(keys(before), ["2026-08", "2026-09"]);
        assert_eq!(keys(since), ["2026-11", "2026-12"]);
        // Windows: those ended before, those begun after.
        let (before, since) = seasons().around(date("2027-03-01"), 3, date("2027-06-01"));
        assert_eq!(keys(before), ["2026-12-01..2027-03-01"]);
        assert_eq!(keys(since), ["2027-03-01..2027-06-01"]);
        // Nothing reported yet after a start in the future.
        let (_, since) = monthly().around(date("2027-02-01"), 3, date("2027-01-01"));
        assert!(since.is_empty());
    }

    #[test]
    fn an_inclusive_window_ends_the_day_after_its_last_day() {
        let period = inclusive_window(
            "2026-11-03".parse().expect("date"),
            "2026-11-16".parse().expect("date"),
        )
        .expect("window");
        assert_eq!(period.to_string(), "2026-11-03..2026-11-17");
    }

    #[test]
    fn a_period_closes_its_close_after_days_after_its_end() {
        let close = monthly()
            .closes_at(&"2026-11".parse().expect("period"))
            .expect("close");
        assert_eq!(close.to_string(), "2026-12-15T00:00:00+01:00[Europe/Paris]");
    }

    #[test]
    fn periods_split_into_the_program_cadence() {
        let calendar = monthly();
        let quarter: Period = "2026-Q3".parse().expect("quarter");
        let parts: Vec<String> = calendar
            .parts_of(&quarter)
            .expect("a quarter is three months")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(parts, vec!["2026-07", "2026-08", "2026-09"]);
        let week: Period = "2026-W45".parse().expect("week");
        assert_eq!(calendar.parts_of(&week), None, "a week is not whole months");
        let month: Period = "2026-11".parse().expect("month");
        let history: Vec<String> = calendar
            .history(&month, 3)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(history, vec!["2026-09", "2026-10", "2026-11"]);
    }

    #[test]
    fn the_periods_between_two_days_are_those_sharing_a_day_with_them() {
        let day = |text: &str| text.parse::<Date>().expect("date");
        let months: Vec<String> = monthly()
            .periods_between(day("2026-11-30"), day("2027-01-01"))
            .expect("months")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(months, ["2026-11", "2026-12"]);
        let windows: Vec<String> = seasons()
            .periods_between(day("2027-02-28"), day("2027-03-02"))
            .expect("windows")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            windows,
            ["2026-12-01..2027-03-01", "2027-03-01..2027-06-01"]
        );
        let none = seasons()
            .periods_between(day("2027-06-01"), day("2027-07-01"))
            .expect("no window");
        assert!(none.is_empty());
    }

    #[test]
    fn windows_are_found_by_id_by_date_and_in_history() {
        let calendar = seasons();
        let spring = calendar
            .resolve_period(Some("printemps"), Timestamp::UNIX_EPOCH)
            .expect("window id");
        assert_eq!(spring.to_string(), "2027-03-01..2027-06-01");
        let january: Timestamp = "2027-01-15T12:00:00Z".parse().expect("timestamp");
        assert_eq!(
            calendar
                .period_of(january)
                .map(|p| p.to_string())
                .as_deref(),
            Some("2026-12-01..2027-03-01")
        );
        let error = calendar
            .resolve_period(Some("ete"), january)
            .expect_err("unknown window");
        assert_eq!(
            error.to_string(),
            "program has no period `ete`; its windows are: hiver, printemps"
        );
        let summer: Timestamp = "2027-07-01T12:00:00Z".parse().expect("timestamp");
        assert!(calendar.resolve_period(None, summer).is_err());
        let history: Vec<String> = calendar
            .history(&spring, 5)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            history,
            ["2026-12-01..2027-03-01", "2027-03-01..2027-06-01"]
        );
        assert_eq!(calendar.parts_of(&spring), Some(vec![spring]));
    }
}
