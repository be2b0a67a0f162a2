//! When a period's waves are dispatched and when their reminders leave, computed in the
//! program's time zone from its cron expression (so daylight-saving changes and restarts
//! never shift them). Which period a moment belongs to is the program's
//! [`Calendar`](crate::program::Calendar).

use jiff::{Timestamp, ToSpan, Zoned};

use crate::period::Period;
use crate::program::model::Channel;
use crate::program::{Calendar, CalendarError};

/// A wave tick: when one wave of a program's survey fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickKey {
    /// Survey id.
    pub survey_id: String,
    /// The channel that carries its invitations.
    pub channel_id: String,
    /// Period key.
    pub period: String,
    /// Wave number in the period.
    pub wave: u32,
    /// When it fires.
    pub fire_at: Timestamp,
}

/// A tick that is due, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTick {
    /// Row id, to claim and finish it.
    pub id: i64,
    /// Program id.
    pub program_id: String,
    /// The tick.
    pub key: TickKey,
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

/// The periods whose wave ticks the daemon keeps in the store at `now`: with a cadence, the
/// current period and the next one (so the next fire time is always known); with explicit
/// windows, every window that has not closed yet.
pub fn watched_periods(calendar: &Calendar, now: Timestamp) -> Result<Vec<Period>, CalendarError> {
    match calendar.cadence() {
        Some(cadence) => {
            let current = Period::containing(cadence, now, calendar.zone())?;
            let next = Period::of_date(cadence, current.end_day())?;
            Ok(vec![current, next])
        }
        None => {
            let mut open = Vec::new();
            for window in calendar.windows() {
                if calendar.closes_at(&window.period)?.timestamp() > now {
                    open.push(window.period);
                }
            }
            Ok(open)
        }
    }
}

/// The wave ticks of `periods` for each `(survey, channel)` the program dispatches: one per
/// cron fire inside the period, at its instant in the program's time zone.
pub fn ticks(
    calendar: &Calendar,
    periods: &[Period],
    surveys: &[(String, String)],
) -> Result<Vec<TickKey>, CalendarError> {
    let mut ticks = Vec::new();
    for period in periods {
        for wave in waves(calendar, period, None)? {
            for (survey, channel) in surveys {
                ticks.push(TickKey {
                    survey_id: survey.clone(),
                    channel_id: channel.clone(),
                    period: period.to_string(),
                    wave: wave.number,
                    fire_at: wave.at.timestamp(),
                });
            }
        }
    }
    Ok(ticks)
}

/// The first wave still to come after `now` in the periods the daemon watches, for the
/// next-tick gauge of `/metrics`; `None` when no open period has one left.
pub fn next_wave(calendar: &Calendar, now: Timestamp) -> Option<Timestamp> {
    watched_periods(calendar, now)
        .ok()?
        .iter()
        .filter_map(|period| waves(calendar, period, None).ok())
        .flatten()
        .map(|wave| wave.at.timestamp())
        .filter(|at| *at > now)
        .min()
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
    fn the_next_wave_is_the_first_one_still_to_come() {
        let program = example();
        // The example's waves leave on the 2nd of each month at 10:00 Paris time: after
        // 30 November, the next is 2 December 10:00 CET, 09:00 UTC.
        let now: Timestamp = "2026-11-30T12:00:00Z".parse().expect("timestamp");
        let next = next_wave(program.calendar(), now).map(|t| t.to_string());
        assert_eq!(next.as_deref(), Some("2026-12-02T09:00:00Z"));
        let at_the_wave: Timestamp = "2026-12-02T09:00:00Z".parse().expect("timestamp");
        let after = next_wave(program.calendar(), at_the_wave).map(|t| t.to_string());
        assert_eq!(after.as_deref(), Some("2027-01-02T09:00:00Z"));
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

    fn daily(zone: &str, cron: &str) -> Calendar {
        Calendar::new(
            jiff::tz::TimeZone::get(zone).expect("zone"),
            cron.parse().expect("cron"),
            Some(crate::period::Cadence::Monthly),
            Vec::new(),
            0,
        )
    }

    /// The fires of `cron` in `zone` on the local days `first..=last` of `month`, written
    /// with their offset.
    fn fires(
        zone: &str,
        cron: &str,
        month: &str,
        days: std::ops::RangeInclusive<u8>,
    ) -> Vec<String> {
        let period: Period = month.parse().expect("period");
        waves(&daily(zone, cron), &period, None)
            .expect("schedule")
            .iter()
            .filter(|w| days.contains(&u8::try_from(w.at.day()).unwrap_or(0)))
            .map(|w| w.at.strftime("%d %H:%M%:z").to_string())
            .collect()
    }

    #[test]
    fn a_nine_oclock_wave_stays_at_nine_local_across_both_changes() {
        // Paris: summer time from 29 March 2026, winter time from 25 October 2026.
        assert_eq!(
            fires("Europe/Paris", "0 9 * * *", "2026-03", 28..=30),
            ["28 09:00+01:00", "29 09:00+02:00", "30 09:00+02:00"]
        );
        assert_eq!(
            fires("Europe/Paris", "0 9 * * *", "2026-10", 24..=26),
            ["24 09:00+02:00", "25 09:00+01:00", "26 09:00+01:00"]
        );
        // New York: daylight time from 8 March 2026, standard time from 1 November 2026.
        assert_eq!(
            fires("America/New_York", "0 9 * * *", "2026-03", 7..=9),
            ["07 09:00-05:00", "08 09:00-04:00", "09 09:00-04:00"]
        );
        assert_eq!(
            fires("America/New_York", "0 9 * * *", "2026-10", 31..=31),
            ["31 09:00-04:00"]
        );
        assert_eq!(
            fires("America/New_York", "0 9 * * *", "2026-11", 1..=2),
            ["01 09:00-05:00", "02 09:00-05:00"]
        );
    }

    #[test]
    fn a_time_skipped_by_spring_forward_fires_once_right_after_the_change() {
        // 02:30 does not exist on those days: the clocks jump from 02:00 to 03:00.
        assert_eq!(
            fires("Europe/Paris", "30 2 * * *", "2026-03", 28..=30),
            ["28 02:30+01:00", "29 03:00+02:00", "30 02:30+02:00"]
        );
        assert_eq!(
            fires("America/New_York", "30 2 * * *", "2026-03", 7..=9),
            ["07 02:30-05:00", "08 03:00-04:00", "09 02:30-04:00"]
        );
    }

    #[test]
    fn a_time_repeated_by_fall_back_fires_once() {
        // 02:30 happens twice in Paris on 25 October, 01:30 twice in New York on 1 November.
        assert_eq!(
            fires("Europe/Paris", "30 2 * * *", "2026-10", 24..=26),
            ["24 02:30+02:00", "25 02:30+02:00", "26 02:30+01:00"]
        );
        assert_eq!(
            fires("America/New_York", "30 1 * * *", "2026-11", 1..=2),
            ["01 01:30-04:00", "02 01:30-05:00"]
        );
    }

    #[test]
    fn the_daemon_watches_the_current_and_next_period_or_the_open_windows() {
        let program = example();
        let now: Timestamp = "2026-11-30T23:30:00Z".parse().expect("timestamp");
        let periods = watched_periods(program.calendar(), now).expect("periods");
        let names: Vec<String> = periods.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["2026-12", "2027-01"],
            "23:30 UTC is December in Paris"
        );
        let surveys = [("s".to_owned(), "email".to_owned())];
        let ticks = ticks(program.calendar(), &periods, &surveys).expect("ticks");
        let fire: Vec<String> = ticks.iter().map(|t| t.fire_at.to_string()).collect();
        assert_eq!(fire, ["2026-12-02T09:00:00Z", "2027-01-02T09:00:00Z"]);
        assert_eq!((ticks[1].period.as_str(), ticks[1].wave), ("2027-01", 1));
    }
}
