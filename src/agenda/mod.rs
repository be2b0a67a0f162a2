//! What `ecoute calendar` lists: a program's upcoming waves, reminders and period closes
//! between two days, in the program's time zone, plus its event triggers. Pure: the
//! periods come from [`Calendar`], the waves and reminders from [`schedule::waves`], and the
//! sample sizes are filled in afterwards by a dry run of the planner.

pub mod ics;

use std::cmp::Ordering;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::dispatch::policy::SendWindow;
use crate::period::Period;
use crate::plan::dispatching_channel;
use crate::program::model::ChannelType;
use crate::program::{Calendar, CalendarError, Program, SendHours};
use crate::schedule;

/// What happens at an entry's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A dispatch wave's invitations leave.
    Wave,
    /// Reminders to a wave's non-respondents leave.
    Reminder,
    /// A period stops accepting answers.
    Close,
    /// A triggered survey, sent after each event rather than on a date.
    OnEvent,
}

impl Kind {
    /// The name used in JSON (`wave`, `reminder`, `close`, `on_event`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Wave => "wave",
            Kind::Reminder => "reminder",
            Kind::Close => "close",
            Kind::OnEvent => "on_event",
        }
    }
}

/// How many people a wave invites, as far as a dry run of the planner can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleSize {
    /// Not a wave, or not planned yet.
    NotApplicable,
    /// The invitations the wave would carry if planned now.
    Planned(u64),
    /// The planner could not run, and why (a missing contacts file, an unreachable store).
    Unknown(String),
}

/// One line of the calendar.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The program id.
    pub program: String,
    /// What happens.
    pub kind: Kind,
    /// When, in the program's time zone; `None` for [`Kind::OnEvent`].
    pub at: Option<Zoned>,
    /// The program's time zone (IANA name).
    pub zone: String,
    /// The survey (none for a close, which ends the whole period).
    pub survey: Option<String>,
    /// The channel that carries the wave, reminder or triggered survey.
    pub channel: Option<String>,
    /// The period the wave belongs to, or the one that closes.
    pub period: Option<Period>,
    /// The wave number in its period (waves and their reminders).
    pub wave: Option<u32>,
    /// 1 for the first reminder of a wave.
    pub reminder: Option<u32>,
    /// The wave's planned sample.
    pub sample_size: SampleSize,
    /// When the channel may send (program time zone), if it is limited.
    pub send_window: Option<SendHours>,
    /// When a wave or reminder falls outside the send window: when the window opens.
    pub waits_until: Option<Zoned>,
    /// For [`Kind::OnEvent`]: the event name posted to the API.
    pub event: Option<String>,
    /// For [`Kind::OnEvent`]: hours between the event and the invitation.
    pub delay_hours: Option<u32>,
}

impl Entry {
    fn new(program: &Program, kind: Kind, at: Option<Zoned>) -> Self {
        Entry {
            program: program.id().to_owned(),
            kind,
            at,
            zone: zone_name(program.calendar()),
            survey: None,
            channel: None,
            period: None,
            wave: None,
            reminder: None,
            sample_size: SampleSize::NotApplicable,
            send_window: None,
            waits_until: None,
            event: None,
            delay_hours: None,
        }
    }

    /// Chronological order; entries without a date last; then by program, kind, survey, wave
    /// and reminder, so the order never depends on file or hash-map order.
    pub fn chronological(&self, other: &Self) -> Ordering {
        type Key<'e> = (
            bool,
            Option<Timestamp>,
            &'e str,
            Kind,
            Option<&'e str>,
            Option<u32>,
            Option<u32>,
        );
        fn key(e: &Entry) -> Key<'_> {
            (
                e.at.is_none(),
                e.at.as_ref().map(Zoned::timestamp),
                &e.program,
                e.kind,
                e.survey.as_deref(),
                e.wave,
                e.reminder,
            )
        }
        key(self).cmp(&key(other))
    }
}

impl Entry {
    /// What happens, in a few words: `wave 1`, `reminder 2 of wave 1`, `close of 2026-11`,
    /// `on event commande_livree`.
    pub fn title(&self) -> String {
        let wave = self.wave.unwrap_or(1);
        let period = self.period.map(|p| p.to_string()).unwrap_or_default();
        match self.kind {
            Kind::Wave => format!("wave {wave} of {period}"),
            Kind::Reminder => format!(
                "reminder {} of wave {wave} of {period}",
                self.reminder.unwrap_or(1)
            ),
            Kind::Close => format!("close of {period}"),
            Kind::OnEvent => format!("on event {}", self.event.as_deref().unwrap_or("")),
        }
    }

    /// The survey and channel concerned, `livraison · email` (empty for a close).
    pub fn subject(&self) -> String {
        match (&self.survey, &self.channel) {
            (Some(survey), Some(channel)) => format!("{survey} · {channel}"),
            (Some(survey), None) => survey.clone(),
            _ => String::new(),
        }
    }

    /// What a CX team wants to know besides the time: the sample, the send window and
    /// whether the messages wait for it, what a close or a trigger does. `brief` leaves out
    /// why a sample is unknown (a table row shows it once, as a warning, instead).
    pub fn details(&self, brief: bool) -> Vec<String> {
        let mut details = Vec::new();
        match &self.sample_size {
            SampleSize::Planned(size) => details.push(format!("sample {size}")),
            SampleSize::Unknown(_) if brief => {
                details.push("sample unknown (see the warning)".to_owned());
            }
            SampleSize::Unknown(why) => details.push(format!("sample unknown: {why}")),
            SampleSize::NotApplicable => {}
        }
        if let Some(window) = &self.send_window {
            details.push(format!("window {}", describe_window(window)));
        }
        if let Some(opening) = &self.waits_until {
            details.push(format!("waits until {} over SMTP", local_time(opening)));
        }
        match self.kind {
            Kind::Close => {
                details.push("answers no longer accepted, pending invitations expire".to_owned())
            }
            Kind::OnEvent => details.push(format!(
                "{} h after each event posted to /api/v1/events",
                self.delay_hours.unwrap_or(0)
            )),
            Kind::Wave | Kind::Reminder => {}
        }
        details
    }
}

/// A time as the planner prints it: `2026-12-02 10:00 CET (Wed)`.
pub fn local_time(at: &Zoned) -> String {
    at.strftime("%Y-%m-%d %H:%M %Z (%a)").to_string()
}

/// The IANA name of the calendar's zone (`Europe/Paris`).
fn zone_name(calendar: &Calendar) -> String {
    calendar.zone().iana_name().unwrap_or("UTC").to_owned()
}

/// The waves, reminders and closes of `program` from the start of day `from` to the end of
/// day `to` (both in the program's time zone), then one [`Kind::OnEvent`] entry per
/// trigger, sorted by [`Entry::chronological`]. Reminders are the earliest each can leave
/// (the wave's time plus `reminder_days`), as the planner shows them.
pub fn entries(program: &Program, from: Date, to: Date) -> Result<Vec<Entry>, CalendarError> {
    let calendar = program.calendar();
    let zone = calendar.zone();
    let range = crate::program::inclusive_window(from, to)?;
    let (start, end) = (range.start(zone)?, range.end(zone)?);
    let in_range = |at: &Zoned| start <= at.timestamp() && at.timestamp() < end;
    let channels = &program.file.channels;
    let longest_reminder = channels
        .iter()
        .flat_map(|c| c.reminder_days.iter().map(|d| **d))
        .max()
        .unwrap_or(0);
    // A period that ended before `from` still has reminders or a close inside the range.
    let lookback = i64::from(longest_reminder) + i64::from(*program.file.periods.close_after_days);
    let earliest = from.checked_sub(lookback.days())?;
    let mut found = Vec::new();
    for period in calendar.periods_between(earliest, range.end_day())? {
        for survey in program.file.surveys.iter().filter(|s| s.sample.is_some()) {
            let Some(channel) = dispatching_channel(program, &survey.channels) else {
                continue;
            };
            let email = (*channel.kind == ChannelType::Email).then_some(channel);
            let send_window = program
                .channel(&channel.id)
                .and_then(|c| c.send_window.clone());
            let located = |kind: Kind, at: Zoned, wave: u32| {
                let waits_until = send_window.as_ref().and_then(|hours| {
                    let opening = SendWindow::from(hours).next_opening(at.timestamp(), zone);
                    (opening != at.timestamp()).then(|| opening.to_zoned(zone.clone()))
                });
                Entry {
                    survey: Some(survey.id.to_string()),
                    channel: Some(channel.id.to_string()),
                    period: Some(period),
                    wave: Some(wave),
                    send_window: send_window.clone(),
                    waits_until,
                    ..Entry::new(program, kind, Some(at))
                }
            };
            for wave in schedule::waves(calendar, &period, email)? {
                if in_range(&wave.at) {
                    found.push(located(Kind::Wave, wave.at.clone(), wave.number));
                }
                for (index, at) in wave.reminders.into_iter().enumerate() {
                    if in_range(&at) {
                        found.push(Entry {
                            reminder: Some(u32::try_from(index + 1).unwrap_or(u32::MAX)),
                            ..located(Kind::Reminder, at, wave.number)
                        });
                    }
                }
            }
        }
        let closes = calendar.closes_at(&period)?;
        if in_range(&closes) {
            found.push(Entry {
                period: Some(period),
                ..Entry::new(program, Kind::Close, Some(closes))
            });
        }
    }
    for trigger in &program.file.rules.triggers {
        found.push(Entry {
            survey: Some(trigger.survey.to_string()),
            channel: Some(trigger.channel.to_string()),
            event: Some(trigger.event.to_string()),
            delay_hours: Some(trigger.delay_hours),
            ..Entry::new(program, Kind::OnEvent, None)
        });
    }
    found.sort_by(Entry::chronological);
    Ok(found)
}

/// `mon–fri 09:00–19:00`, or `every day 09:00–19:00`: a send window as people read it.
pub fn describe_window(hours: &SendHours) -> String {
    let days = if hours.days.is_empty() {
        "every day".to_owned()
    } else {
        let names: Vec<&str> = hours.days.iter().map(|d| day_name(*d)).collect();
        let consecutive = hours
            .days
            .windows(2)
            .all(|pair| pair[0].to_monday_one_offset() + 1 == pair[1].to_monday_one_offset());
        match (names.first(), names.last()) {
            (Some(first), Some(last)) if consecutive && names.len() > 2 => {
                format!("{first}–{last}")
            }
            _ => names.join(","),
        }
    };
    format!(
        "{days} {}–{}",
        hours.from.strftime("%H:%M"),
        hours.to.strftime("%H:%M")
    )
}

/// The program-file spelling of a day (`mon`).
pub fn day_name(day: jiff::civil::Weekday) -> &'static str {
    use jiff::civil::Weekday;
    match day {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{CheckContext, load};

    fn example() -> Program {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/fidelite-clients.yaml");
        load(&path, &CheckContext::default()).expect("the example program is valid")
    }

    fn day(text: &str) -> Date {
        text.parse().expect("date")
    }

    #[test]
    fn a_month_of_the_example_has_its_waves_reminders_close_and_trigger() {
        let program = example();
        let found = entries(&program, day("2026-12-01"), day("2026-12-31")).expect("entries");
        let lines: Vec<String> = found
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {} {}",
                    e.kind.as_str(),
                    e.at.as_ref().map(|z| z.to_string()).unwrap_or_default(),
                    e.survey.as_deref().unwrap_or("-"),
                    e.period.map(|p| p.to_string()).unwrap_or_default(),
                    e.reminder.unwrap_or(0)
                )
            })
            .collect();
        // Cron 0 10 2 * *, reminders after 4 and 10 days, close 15 days after the month.
        // Surveys with a sample, in file order: livraison, centre-contacts, sav.
        let at = "T10:00:00+01:00[Europe/Paris]";
        let mut expected = Vec::new();
        for (kind, date, reminder) in [
            ("wave", "2026-12-02", 0),
            ("reminder", "2026-12-06", 1),
            ("reminder", "2026-12-12", 2),
        ] {
            for survey in ["centre-contacts", "livraison", "sav"] {
                expected.push(format!("{kind} {date}{at} {survey} 2026-12 {reminder}"));
            }
        }
        expected.push("close 2026-12-16T00:00:00+01:00[Europe/Paris] - 2026-11 0".to_owned());
        expected.push("on_event  livraison  0".to_owned());
        assert_eq!(lines, expected);
        let wave = &found[0];
        assert_eq!(wave.zone, "Europe/Paris");
        assert_eq!(wave.channel.as_deref(), Some("email"));
        assert_eq!(
            wave.waits_until, None,
            "Wednesday 10:00 is inside the window"
        );
        let window = wave
            .send_window
            .as_ref()
            .expect("the email channel has one");
        assert_eq!(describe_window(window), "mon–fri 09:00–19:00");
        let trigger = found.last().expect("trigger");
        assert_eq!(trigger.event.as_deref(), Some("commande_livree"));
        assert_eq!(trigger.delay_hours, Some(48));
    }

    #[test]
    fn a_saturday_wave_waits_for_the_window_to_open_on_monday() {
        let program = example();
        let found = entries(&program, day("2027-01-02"), day("2027-01-02")).expect("entries");
        assert_eq!(found.iter().filter(|e| e.kind == Kind::Wave).count(), 3);
        let opening = found[0].waits_until.as_ref().expect("outside the window");
        assert_eq!(
            opening.to_string(),
            "2027-01-04T09:00:00+01:00[Europe/Paris]"
        );
    }

    #[test]
    fn windows_read_as_ranges_lists_or_every_day() {
        use jiff::civil::{Time, Weekday};
        let hours = |days: Vec<Weekday>| SendHours {
            days,
            from: Time::constant(8, 30, 0, 0),
            to: Time::constant(12, 0, 0, 0),
        };
        assert_eq!(describe_window(&hours(vec![])), "every day 08:30–12:00");
        assert_eq!(
            describe_window(&hours(vec![Weekday::Monday, Weekday::Thursday])),
            "mon,thu 08:30–12:00"
        );
        assert_eq!(
            describe_window(&hours(vec![
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday
            ])),
            "tue–thu 08:30–12:00"
        );
    }
}
