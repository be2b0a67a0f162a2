//! When a period's waves are dispatched and when their reminders leave, computed in the
//! program's time zone from its cron expression (so daylight-saving changes and restarts
//! never shift them). Which period a moment belongs to is the program's
//! [`Calendar`](crate::program::Calendar).

use jiff::{ToSpan, Zoned};

use crate::period::Period;
use crate::program::model::Channel;
use crate::program::{Calendar, CalendarError};

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

/// The waves of `period` (cron fires inside it) and, for an email channel, their reminders.
pub fn waves(
    calendar: &Calendar,
    period: &Period,
    channel: Option<&Channel>,
) -> Result<Vec<Wave>, CalendarError> {
    let zone = calendar.zone();
    let start = period.start(zone)?.to_zoned(zone.clone());
    let end = period.end(zone)?.to_zoned(zone.clone());
    let reminder_days: Vec<i64> = channel
        .map(|c| c.reminder_days.iter().map(|d| i64::from(**d)).collect())
        .unwrap_or_default();
    let mut found = Vec::new();
    for (index, at) in calendar
        .cron()
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
    use jiff::Timestamp;

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
        let waves = waves(program.calendar(), &period, email).expect("schedule");
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
        let close = program.calendar().closes_at(&period).expect("close");
        assert_eq!(close.to_string(), "2026-12-16T00:00:00+01:00[Europe/Paris]");
    }

    #[test]
    fn the_wave_keeps_ten_oclock_across_daylight_saving() {
        let program = example();
        let april: Period = "2026-04".parse().expect("period");
        let waves = waves(program.calendar(), &april, None).expect("schedule");
        assert_eq!(
            waves[0].at.to_string(),
            "2026-04-02T10:00:00+02:00[Europe/Paris]"
        );
    }

    #[test]
    fn the_current_period_follows_the_cadence_in_the_program_zone() {
        let program = example();
        let late_utc: Timestamp = "2026-11-30T23:30:00Z".parse().expect("timestamp");
        let calendar = program.calendar();
        let period = calendar.resolve_period(None, late_utc).expect("period");
        assert_eq!(
            period.to_string(),
            "2026-12",
            "23:30 UTC is already December in Paris"
        );
        let error = calendar
            .resolve_period(Some("novembre"), late_utc)
            .expect_err("bad");
        assert!(error.to_string().contains("2026-W45"), "{error}");
    }
}
