//! When things happen: which period a command is about, when its waves are dispatched and
//! when their reminders leave, all computed in the program's time zone from the program's
//! cron expression (so daylight-saving changes and restarts never shift them).

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::period::{Period, PeriodError};
use crate::program::model::{Channel, ProgramFile};

/// Why a schedule could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The program's time zone is unknown (`ecoute check` reports this too).
    #[error("unknown time zone `{0}`; run `ecoute check`")]
    TimeZone(String),
    /// The program's cron expression is invalid (`ecoute check` reports this too).
    #[error("invalid cron expression `{0}`; run `ecoute check`")]
    Cron(String),
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

/// A dispatch wave in a period, with the reminders that follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Wave {
    /// 1 for the first wave of the period.
    pub number: u32,
    /// When invitations go out, in the program's time zone.
    pub at: Zoned,
    /// When reminders to non-respondents go out.
    pub reminders: Vec<Zoned>,
}

/// The program's time zone.
pub fn time_zone(program: &ProgramFile) -> Result<TimeZone, ScheduleError> {
    TimeZone::get(&program.program.timezone)
        .map_err(|_| ScheduleError::TimeZone(program.program.timezone.to_string()))
}

/// The period a command is about: `--period` as a window id or a period spelling, else the
/// period that contains `now`.
pub fn resolve_period(
    program: &ProgramFile,
    requested: Option<&str>,
    now: Timestamp,
) -> Result<Period, ScheduleError> {
    let windows: Vec<(String, Period)> = program
        .periods
        .windows
        .iter()
        .filter_map(|window| {
            let start: jiff::civil::Date = window.start.parse().ok()?;
            let end: jiff::civil::Date = window.end.parse().ok()?;
            let end = end.tomorrow().ok()?;
            Some((window.id.to_string(), Period::window(start, end).ok()?))
        })
        .collect();
    let known = || {
        windows
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let zone = time_zone(program)?;
    match (requested, program.periods.cadence.as_deref()) {
        (Some(text), _) => {
            if let Some((_, period)) = windows.iter().find(|(id, _)| id == text) {
                return Ok(*period);
            }
            match text.parse::<Period>() {
                Ok(period) => Ok(period),
                Err(_) if !windows.is_empty() => Err(ScheduleError::UnknownWindow {
                    given: text.to_owned(),
                    known: known(),
                }),
                Err(err) => Err(err.into()),
            }
        }
        (None, Some(cadence)) => Ok(Period::containing(*cadence, now, &zone)?),
        (None, None) => windows
            .iter()
            .find(|(_, period)| period.contains(now, &zone))
            .map(|(_, period)| *period)
            .ok_or_else(|| ScheduleError::NoCurrentWindow(known())),
    }
}

/// When the period stops accepting answers: its end plus `close_after_days`.
pub fn closes_at(program: &ProgramFile, period: &Period) -> Result<Zoned, ScheduleError> {
    let zone = time_zone(program)?;
    let end = period.end(&zone)?.to_zoned(zone);
    Ok(end.checked_add(i64::from(*program.periods.close_after_days).days())?)
}

/// The waves of `period` (cron fires inside it) and, for an email channel, their reminders.
pub fn waves(
    program: &ProgramFile,
    period: &Period,
    channel: Option<&Channel>,
) -> Result<Vec<Wave>, ScheduleError> {
    let zone = time_zone(program)?;
    let cron: croner::Cron = program
        .periods
        .waves
        .parse()
        .map_err(|_| ScheduleError::Cron(program.periods.waves.to_string()))?;
    let start = period.start(&zone)?.to_zoned(zone.clone());
    let end = period.end(&zone)?.to_zoned(zone.clone());
    let reminder_days: Vec<i64> = channel
        .map(|c| c.reminder_days.iter().map(|d| i64::from(**d)).collect())
        .unwrap_or_default();
    let mut found = Vec::new();
    for (index, at) in cron
        .iter_from(start, croner::Direction::Forward)
        .take_while(|at| *at < end)
        .take(1000)
        .enumerate()
    {
        let reminders = reminder_days
            .iter()
            .map(|days| at.checked_add(days.days()))
            .collect::<Result<Vec<_>, _>>()?;
        found.push(Wave {
            number: u32::try_from(index + 1).unwrap_or(u32::MAX),
            at,
            reminders,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{CheckContext, load};

    fn example() -> crate::program::Program {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/fidelite-clients.yaml");
        load(&path, &CheckContext::default()).expect("the example program is valid")
    }

    #[test]
    fn monthly_wave_on_the_second_at_ten_paris_time_with_reminders() {
        let program = example();
        let period: Period = "2026-11".parse().expect("period");
        let email = program.file.channels.iter().find(|c| *c.id == "email");
        let waves = waves(&program.file, &period, email).expect("schedule");
        assert_eq!(waves.len(), 1);
        assert_eq!(
            waves[0].at.to_string(),
            "2026-11-02T10:00:00+01:00[Europe/Paris]"
        );
        let reminders: Vec<String> = waves[0]
            .reminders
            .iter()
            .map(|z| z.date().to_string())
            .collect();
        assert_eq!(reminders, ["2026-11-06", "2026-11-12"]);
        let close = closes_at(&program.file, &period).expect("close");
        assert_eq!(close.to_string(), "2026-12-16T00:00:00+01:00[Europe/Paris]");
    }

    #[test]
    fn the_wave_keeps_ten_oclock_across_daylight_saving() {
        let program = example();
        let april: Period = "2026-04".parse().expect("period");
        let waves = waves(&program.file, &april, None).expect("schedule");
        assert_eq!(
            waves[0].at.to_string(),
            "2026-04-02T10:00:00+02:00[Europe/Paris]"
        );
    }

    #[test]
    fn the_current_period_follows_the_cadence_in_the_program_zone() {
        let program = example();
        let late_utc: Timestamp = "2026-11-30T23:30:00Z".parse().expect("timestamp");
        let period = resolve_period(&program.file, None, late_utc).expect("period");
        assert_eq!(
            period.to_string(),
            "2026-12",
            "23:30 UTC is already December in Paris"
        );
        let error = resolve_period(&program.file, Some("novembre"), late_utc).expect_err("bad");
        assert!(error.to_string().contains("2026-W45"), "{error}");
    }
}
