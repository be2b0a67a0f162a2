//! Periods: the cron of the waves, a cadence or contiguous windows, and reminders that leave
//! before their period closes. Builds the program's calendar.

use jiff::civil::Date;

use super::{Checker, Problem};
use crate::period::{Cadence, Period};
use crate::program::calendar::{Calendar, NamedWindow, inclusive_window};
use crate::program::model::{Periods, ProgramFile};
use crate::program::spanned::At;

impl Checker<'_> {
    pub(super) fn periods(&mut self, program: &ProgramFile) {
        let periods = &program.periods;
        let cron = match periods.waves.parse::<croner::Cron>() {
            Ok(cron) => Some(cron),
            Err(err) => {
                self.report(
                    periods.waves.position(),
                    format!("invalid cron expression `{}`: {err}", *periods.waves),
                    Some(
                        "five fields: minute hour day-of-month month day-of-week, e.g. \
                         `0 10 * * 2` = every Tuesday at 10:00 (program time zone)"
                            .to_owned(),
                    ),
                );
                None
            }
        };
        let windows = self.windows(periods);
        let cadence = periods.cadence.as_deref().copied();
        match (
            &periods.cadence,
            windows.is_empty() && periods.windows.is_empty(),
        ) {
            (Some(cadence), false) => self.report(
                cadence.position(),
                "periods set both `cadence` and `windows`",
                Some("keep one: a regular `cadence` or explicit `windows`".into()),
            ),
            (None, true) => self.report(
                periods.waves.position(),
                "periods need a `cadence` (weekly, monthly, quarterly) or explicit `windows`",
                None,
            ),
            _ => {}
        }
        let (Some(cron), Some(zone)) = (cron, self.zone.clone()) else {
            return;
        };
        let calendar = Calendar::new(zone, cron, cadence, windows, *periods.close_after_days);
        self.reminders_before_close(program, &calendar);
        self.calendar = Some(calendar);
    }

    /// Parses explicit windows and reports overlaps and holes between consecutive ones.
    pub(super) fn windows(&mut self, periods: &Periods) -> Vec<NamedWindow> {
        self.unique("period", periods.windows.iter().map(|w| &w.id));
        let mut parsed = Vec::new();
        for window in &periods.windows {
            let start = self.date(&window.start);
            let end = self.date(&window.end);
            if let (Some(start), Some(end)) = (start, end) {
                if end < start {
                    self.report(
                        window.end.position(),
                        format!("period `{}` ends before it starts", *window.id),
                        None,
                    );
                } else {
                    match inclusive_window(start, end) {
                        Ok(period) => parsed.push((period, window)),
                        Err(err) => self.report(
                            window.end.position(),
                            format!("period `{}`: {err}", *window.id),
                            None,
                        ),
                    }
                }
            }
        }
        parsed.sort_by_key(|(period, _)| period.first_day());
        for pair in parsed.windows(2) {
            let (previous_period, previous) = pair[0];
            let (period, window) = pair[1];
            let previous_end = previous_period.end_day();
            let start = period.first_day();
            if start < previous_end {
                let previous_last = previous_end.yesterday().unwrap_or(previous_end);
                self.report(
                    window.start.position(),
                    format!("period `{}` overlaps period `{}`", *window.id, *previous.id),
                    Some(format!(
                        "`{}` ends on {previous_last}; start the next one the day after",
                        *previous.id
                    )),
                );
            } else if previous_end < start {
                let previous_last = previous_end.yesterday().unwrap_or(previous_end);
                self.report(
                    window.start.position(),
                    format!(
                        "there is a hole between period `{}` (ends {previous_last}) and `{}` (starts {start})",
                        *previous.id, *window.id
                    ),
                    Some("answers in the gap would belong to no period; make the periods contiguous".into()),
                );
            }
        }
        parsed
            .into_iter()
            .map(|(period, window)| NamedWindow {
                id: window.id.to_string(),
                period,
            })
            .collect()
    }

    pub(super) fn date(&mut self, text: &At<String>) -> Option<Date> {
        match text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                self.report(
                    text.position(),
                    Problem::Invalid {
                        what: "date",
                        value: text.to_string(),
                    },
                    Some("write dates as `YYYY-MM-DD`".to_owned()),
                );
                None
            }
        }
    }

    /// A wave's last reminder must leave before its period closes, or it would invite people
    /// to a survey that no longer accepts answers.
    pub(super) fn reminders_before_close(&mut self, program: &ProgramFile, calendar: &Calendar) {
        let close_after = *program.periods.close_after_days;
        let sample_periods: Vec<Period> = match calendar.cadence() {
            Some(Cadence::Weekly) => (1..=8)
                .filter_map(|week| Period::week(2027, week).ok())
                .collect(),
            Some(Cadence::Monthly) => (1..=12)
                .filter_map(|month| Period::month(2027, month).ok())
                .collect(),
            Some(Cadence::Quarterly) => (1..=4)
                .filter_map(|quarter| Period::quarter(2027, quarter).ok())
                .collect(),
            None => calendar.windows().iter().map(|w| w.period).collect(),
        };
        let zone = calendar.zone();
        for channel in &program.channels {
            let Some(last) = channel.reminder_days.iter().map(|d| **d).max() else {
                continue;
            };
            for period in &sample_periods {
                let (Ok(start), Ok(period_end), Ok(close)) = (
                    period.start(zone),
                    period.end(zone),
                    calendar.closes_at(period),
                ) else {
                    continue;
                };
                let start = start.to_zoned(zone.clone());
                let period_end = period_end.to_zoned(zone.clone());
                let mut latest_wave = None;
                for wave in calendar.cron().iter_from(start, croner::Direction::Forward) {
                    if wave >= period_end {
                        break;
                    }
                    latest_wave = Some(wave);
                }
                let Some(wave) = latest_wave else { continue };
                let Ok(reminder) = wave.checked_add(jiff::Span::new().days(i64::from(last))) else {
                    continue;
                };
                if reminder >= close {
                    self.report(
                        channel.reminder_days.last().map(|d| d.position()).unwrap_or(channel.id.position()),
                        format!(
                            "a reminder {last} days after the wave of {} would leave on {}, after the period closes on {}",
                            wave.date(),
                            reminder.date(),
                            close.date()
                        ),
                        Some(format!(
                            "shorten `reminder_days`, raise `periods.close_after_days` (now {close_after}), or dispatch waves earlier in the period"
                        )),
                    );
                    break;
                }
            }
        }
    }
}
