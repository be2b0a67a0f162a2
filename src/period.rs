//! Reporting periods: months, quarters, ISO weeks and explicit windows, with their bounds in
//! the program's time zone.
//!
//! A period is a half-open range of civil dates `[first_day, end_day)`; its instants are
//! from the first instant of `first_day` to the first instant of `end_day` in the program's
//! time zone, so a month is 743 hours long in March and 745 in October in Europe/Paris. A
//! response belongs to the period containing the local calendar date of its `submitted_at`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The accepted spellings of a period, quoted by every parse error.
const FORMATS: &str = "`2026-11` (month), `2026-Q3` (quarter), `2026-W45` (ISO week), \
                       `2026-11-03..2026-11-17` (window: start inclusive, end exclusive)";

/// How often a program's periods repeat; the program model declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// ISO weeks, Monday to Sunday.
    Weekly,
    /// Calendar months.
    Monthly,
    /// Calendar quarters (Q1 = January–March).
    Quarterly,
}

impl Cadence {
    /// The name written in program files (`monthly`).
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
        }
    }
}

/// Why a period could not be parsed, built or moved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text matches none of the accepted formats.
    #[error("`{input}` is not a period; accepted formats: {FORMATS}")]
    Format {
        /// The text as given.
        input: String,
    },
    /// A month number outside 1–12.
    #[error("month {month} does not exist (months are 01–12)")]
    Month {
        /// The number given.
        month: i8,
    },
    /// A quarter number outside 1–4.
    #[error("quarter Q{quarter} does not exist (quarters are Q1–Q4)")]
    Quarter {
        /// The number given.
        quarter: i8,
    },
    /// An ISO week the year does not have (week 53 exists only in some years).
    #[error("{year} has no ISO week {week} (its weeks are W01–W{weeks:02})")]
    Week {
        /// The ISO week-numbering year.
        year: i16,
        /// The week number given.
        week: i8,
        /// How many ISO weeks that year has (52 or 53).
        weeks: i8,
    },
    /// A window date that is not a valid date.
    #[error("`{text}` is not a valid date in a window ({reason}); accepted formats: {FORMATS}")]
    Date {
        /// The date text as given.
        text: String,
        /// What the date parser said.
        reason: String,
    },
    /// A window whose end is not after its start.
    #[error("window {start}..{end} is empty: its end (exclusive) must be after its start")]
    EmptyWindow {
        /// First day.
        start: Date,
        /// Day after the last.
        end: Date,
    },
    /// The period would fall outside the supported dates (years 1–9999).
    #[error("period outside the supported dates (years 0001–9999)")]
    OutOfRange,
}

/// What kind of period it is, with the numbers its text is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Week { year: i16, week: i8 },
    Month { year: i16, month: i8 },
    Quarter { year: i16, quarter: i8 },
    Window,
}

/// A reporting period (`--period 2026-11`), ordered chronologically by first day then end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    first: Date,
    end: Date,
    kind: Kind,
}

fn out_of_range<E>(_: E) -> PeriodError {
    PeriodError::OutOfRange
}

fn check_year(year: i16) -> Result<(), PeriodError> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(PeriodError::OutOfRange)
    }
}

/// Number of ISO weeks in an ISO week-numbering year (52 or 53).
fn iso_weeks_in(year: i16) -> i8 {
    if ISOWeekDate::new(year, 53, Weekday::Monday).is_ok() {
        53
    } else {
        52
    }
}

impl Period {
    /// A calendar month.
    pub fn month(year: i16, month: i8) -> Result<Self, PeriodError> {
        check_year(year)?;
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month { month });
        }
        let first = Date::new(year, month, 1).map_err(out_of_range)?;
        let end = first.checked_add(1.month()).map_err(out_of_range)?;
        Ok(Period {
            first,
            end,
            kind: Kind::Month { year, month },
        })
    }

    /// A calendar quarter (1 = January–March).
    pub fn quarter(year: i16, quarter: i8) -> Result<Self, PeriodError> {
        check_year(year)?;
        if !(1..=4).contains(&quarter) {
            return Err(PeriodError::Quarter { quarter });
        }
        let first = Date::new(year, 3 * quarter - 2, 1).map_err(out_of_range)?;
        let end = first.checked_add(3.months()).map_err(out_of_range)?;
        Ok(Period {
            first,
            end,
            kind: Kind::Quarter { year, quarter },
        })
    }

    /// An ISO week (Monday to Sunday) of an ISO week-numbering year.
    pub fn week(year: i16, week: i8) -> Result<Self, PeriodError> {
        check_year(year)?;
        let weeks = iso_weeks_in(year);
        if !(1..=weeks).contains(&week) {
            return Err(PeriodError::Week { year, week, weeks });
        }
        let first = ISOWeekDate::new(year, week, Weekday::Monday)
            .map_err(out_of_range)?
            .date();
        let end = first.checked_add(7.days()).map_err(out_of_range)?;
        Ok(Period {
            first,
            end,
            kind: Kind::Week { year, week },
        })
    }

    /// An explicit window of days, `start` inclusive and `end` exclusive.
    pub fn window(start: Date, end: Date) -> Result<Self, PeriodError> {
        if end <= start {
            return Err(PeriodError::EmptyWindow { start, end });
        }
        Ok(Period {
            first: start,
            end,
            kind: Kind::Window,
        })
    }

    /// The period of `cadence` that contains a civil date.
    pub fn of_date(cadence: Cadence, date: Date) -> Result<Self, PeriodError> {
        match cadence {
            Cadence::Monthly => Period::month(date.year(), date.month()),
            Cadence::Quarterly => Period::quarter(date.year(), (date.month() - 1) / 3 + 1),
            Cadence::Weekly => {
                let iso = date.iso_week_date();
                Period::week(iso.year(), iso.week())
            }
        }
    }

    /// The period of `cadence` a response submitted at `at` belongs to, by its local date
    /// in the program's time zone.
    pub fn containing(cadence: Cadence, at: Timestamp, tz: &TimeZone) -> Result<Self, PeriodError> {
        Period::of_date(cadence, at.to_zoned(tz.clone()).date())
    }

    /// Whether a response submitted at `at` belongs to this period (by its local date in
    /// `tz`, consistently with [`Period::containing`]).
    pub fn contains(&self, at: Timestamp, tz: &TimeZone) -> bool {
        let date = at.to_zoned(tz.clone()).date();
        self.first <= date && date < self.end
    }

    /// The cadence of a month, quarter or week; `None` for an explicit window.
    pub fn cadence(&self) -> Option<Cadence> {
        match self.kind {
            Kind::Week { .. } => Some(Cadence::Weekly),
            Kind::Month { .. } => Some(Cadence::Monthly),
            Kind::Quarter { .. } => Some(Cadence::Quarterly),
            Kind::Window => None,
        }
    }

    /// The first day of the period.
    pub fn first_day(&self) -> Date {
        self.first
    }

    /// The day after the last day of the period (exclusive end).
    pub fn end_day(&self) -> Date {
        self.end
    }

    /// The first instant of the period in `tz` (start of its first local day).
    pub fn start(&self, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
        start_of_day(self.first, tz)
    }

    /// The first instant after the period in `tz` (exclusive end).
    pub fn end(&self, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
        start_of_day(self.end, tz)
    }

    /// The period just before: the previous month, quarter or ISO week, or for a window the
    /// window of the same number of days ending where this one starts (`--vs previous`).
    pub fn previous(&self) -> Result<Self, PeriodError> {
        match self.kind {
            Kind::Month { year, month: 1 } => Period::month(year - 1, 12),
            Kind::Month { year, month } => Period::month(year, month - 1),
            Kind::Quarter { year, quarter: 1 } => Period::quarter(year - 1, 4),
            Kind::Quarter { year, quarter } => Period::quarter(year, quarter - 1),
            Kind::Week { .. } => {
                let day_before = self.first.yesterday().map_err(out_of_range)?;
                Period::of_date(Cadence::Weekly, day_before)
            }
            Kind::Window => {
                let length = self.first.until(self.end).map_err(out_of_range)?;
                let start = self.first.checked_sub(length).map_err(out_of_range)?;
                Period::window(start, self.first)
            }
        }
    }

    /// The same period one year earlier (`--vs year-ago`): same month or quarter of the
    /// previous year; same ISO week number of the previous ISO year, or its week 52 when
    /// that year has no week 53; a window shifted by one calendar year (29 February
    /// becomes 28 February).
    pub fn year_ago(&self) -> Result<Self, PeriodError> {
        match self.kind {
            Kind::Month { year, month } => Period::month(year - 1, month),
            Kind::Quarter { year, quarter } => Period::quarter(year - 1, quarter),
            Kind::Week { year, week } => Period::week(year - 1, week.min(iso_weeks_in(year - 1))),
            Kind::Window => {
                let start = self.first.checked_sub(1.year()).map_err(out_of_range)?;
                let end = self.end.checked_sub(1.year()).map_err(out_of_range)?;
                Period::window(start, end)
            }
        }
    }

    /// The last `n` periods ending with this one, oldest first, for trend charts; shorter
    /// when the supported dates run out.
    pub fn last_n(&self, n: usize) -> impl DoubleEndedIterator<Item = Period> + use<> {
        let mut periods = Vec::with_capacity(n);
        let mut current = Ok(*self);
        while periods.len() < n {
            let Ok(period) = current else { break };
            periods.push(period);
            current = period.previous();
        }
        periods.into_iter().rev()
    }
}

fn start_of_day(date: Date, tz: &TimeZone) -> Result<Timestamp, PeriodError> {
    // Midnight in a DST gap resolves to the first instant after it: still the day's start.
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(out_of_range)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Kind::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Kind::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Kind::Window => write!(f, "{}..{}", self.first, self.end),
        }
    }
}

/// Parses a period number written with 1 to `max_digits` ASCII digits.
fn small_number(text: &str, max_digits: usize) -> Option<i8> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_date(text: &str) -> Result<Date, PeriodError> {
    text.trim()
        .parse::<Date>()
        .map_err(|err| PeriodError::Date {
            text: text.trim().to_owned(),
            reason: err.to_string(),
        })
}

impl FromStr for Period {
    type Err = PeriodError;

    /// Accepts `2026-11`, `2026-Q3`, `2026-W45` and `2026-11-03..2026-11-17`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        let format_error = || PeriodError::Format {
            input: input.to_owned(),
        };
        if let Some((start, end)) = text.split_once("..") {
            return Period::window(parse_date(start)?, parse_date(end)?);
        }
        let (year, rest) = text.split_once('-').ok_or_else(format_error)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format_error());
        }
        let year: i16 = year.parse().map_err(|_| format_error())?;
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            Period::quarter(year, small_number(q, 1).ok_or_else(format_error)?)
        } else if let Some(w) = rest.strip_prefix(['W', 'w']) {
            Period::week(year, small_number(w, 2).ok_or_else(format_error)?)
        } else {
            Period::month(year, small_number(rest, 2).ok_or_else(format_error)?)
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Period {
    fn schema_name() -> Cow<'static, str> {
        "Period".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": format!("A reporting period: {FORMATS}."),
            "pattern": r"^(\d{4}-(\d{1,2}|[Qq]\d|[Ww]\d{1,2})|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").expect("bundled tzdb")
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("valid timestamp")
    }

    fn p(text: &str) -> Period {
        text.parse().expect("valid period")
    }

    #[test]
    fn parse_and_display_round_trip() {
        for text in [
            "2026-11",
            "2026-01",
            "2026-Q3",
            "2026-W45",
            "2026-W05",
            "2026-11-03..2026-11-17",
        ] {
            assert_eq!(p(text).to_string(), text);
        }
        // Lenient spellings normalise.
        assert_eq!(p("2026-1").to_string(), "2026-01");
        assert_eq!(p("2026-w5").to_string(), "2026-W05");
        assert_eq!(p(" 2026-q2 ").to_string(), "2026-Q2");
        assert_eq!(
            p("2026-11-03 .. 2026-11-17").to_string(),
            "2026-11-03..2026-11-17"
        );
    }

    #[test]
    fn kinds_and_days() {
        let m = p("2026-11");
        assert_eq!(m.cadence(), Some(Cadence::Monthly));
        assert_eq!(
            (m.first_day(), m.end_day()),
            (date(2026, 11, 1), date(2026, 12, 1))
        );
        let q = p("2026-Q4");
        assert_eq!(q.cadence(), Some(Cadence::Quarterly));
        assert_eq!(
            (q.first_day(), q.end_day()),
            (date(2026, 10, 1), date(2027, 1, 1))
        );
        // 2026-W45: Monday 2 November to Monday 9 November.
        let w = p("2026-W45");
        assert_eq!(w.cadence(), Some(Cadence::Weekly));
        assert_eq!(
            (w.first_day(), w.end_day()),
            (date(2026, 11, 2), date(2026, 11, 9))
        );
        let win = p("2026-11-03..2026-11-17");
        assert_eq!(win.cadence(), None);
        assert_eq!(
            (win.first_day(), win.end_day()),
            (date(2026, 11, 3), date(2026, 11, 17))
        );
    }

    #[test]
    fn format_errors_list_accepted_formats() {
        for bad in [
            "",
            "2026",
            "nov 2026",
            "26-11",
            "2026-Q",
            "2026-W",
            "2026-Q12",
            "2026-123",
            "2026-11-03",
        ] {
            let err = bad.parse::<Period>().expect_err(bad);
            assert!(matches!(err, PeriodError::Format { .. }), "{bad}: {err:?}");
            let msg = err.to_string();
            assert!(msg.contains("2026-Q3") && msg.contains("2026-W45"), "{msg}");
            assert!(msg.contains("2026-11-03..2026-11-17"), "{msg}");
        }
        assert_eq!(
            "2026-13".parse::<Period>(),
            Err(PeriodError::Month { month: 13 })
        );
        assert_eq!(
            "2026-00".parse::<Period>(),
            Err(PeriodError::Month { month: 0 })
        );
        assert_eq!(
            "2026-Q5".parse::<Period>(),
            Err(PeriodError::Quarter { quarter: 5 })
        );
        assert_eq!("0000-05".parse::<Period>(), Err(PeriodError::OutOfRange));
        assert!(matches!(
            "2026-02-30..2026-03-02".parse::<Period>(),
            Err(PeriodError::Date { .. })
        ));
        assert!(matches!(
            "2026-11-17..2026-11-03".parse::<Period>(),
            Err(PeriodError::EmptyWindow { .. })
        ));
        assert!(matches!(
            "2026-11-03..2026-11-03".parse::<Period>(),
            Err(PeriodError::EmptyWindow { .. })
        ));
    }

    #[test]
    fn iso_week_53() {
        // 2026 starts on a Thursday, so it has 53 ISO weeks; 2025 (starts Wednesday, not
        // leap) and 2027 (starts Friday) have 52.
        let w53 = p("2026-W53");
        assert_eq!(
            (w53.first_day(), w53.end_day()),
            (date(2026, 12, 28), date(2027, 1, 4))
        );
        assert_eq!(
            "2025-W53".parse::<Period>(),
            Err(PeriodError::Week {
                year: 2025,
                week: 53,
                weeks: 52
            })
        );
        assert!("2027-W53".parse::<Period>().is_err());
        assert!("2026-W00".parse::<Period>().is_err());
        // 2020 started on a Wednesday and was a leap year: 53 weeks.
        assert!("2020-W53".parse::<Period>().is_ok());
        assert_eq!(
            "2025-W53"
                .parse::<Period>()
                .expect_err("no week")
                .to_string(),
            "2025 has no ISO week 53 (its weeks are W01–W52)"
        );
    }

    #[test]
    fn dst_months_in_paris() {
        let tz = paris();
        // March 2026: starts at +01:00, ends at +02:00 (DST began Sunday 29 March).
        // start = 2026-03-01T00:00+01:00 = 2026-02-28T23:00Z
        // end   = 2026-04-01T00:00+02:00 = 2026-03-31T22:00Z
        // length = 31 · 24 − 1 = 743 h
        let march = p("2026-03");
        let (start, end) = (
            march.start(&tz).expect("start"),
            march.end(&tz).expect("end"),
        );
        assert_eq!(start, ts("2026-02-28T23:00:00Z"));
        assert_eq!(end, ts("2026-03-31T22:00:00Z"));
        assert_eq!(start.duration_until(end).as_hours(), 743);
        // October 2026: DST ends Sunday 25 October; 31 · 24 + 1 = 745 h.
        let october = p("2026-10");
        let (start, end) = (
            october.start(&tz).expect("start"),
            october.end(&tz).expect("end"),
        );
        assert_eq!(start, ts("2026-09-30T22:00:00Z"));
        assert_eq!(end, ts("2026-10-31T23:00:00Z"));
        assert_eq!(start.duration_until(end).as_hours(), 745);
        // ISO week 2026-W13 (23–29 March) holds the spring-forward: 7 · 24 − 1 = 167 h.
        let w13 = p("2026-W13");
        let hours = w13
            .start(&tz)
            .expect("start")
            .duration_until(w13.end(&tz).expect("end"))
            .as_hours();
        assert_eq!(hours, 167);
    }

    #[test]
    fn containing_and_contains_across_dst() {
        let tz = paris();
        // 2026-03-31T21:59:59Z is 23:59:59+02:00 on 31 March: still March.
        let before = ts("2026-03-31T21:59:59Z");
        // 2026-03-31T22:00:00Z is midnight 1 April in Paris: April (though still 31 March UTC).
        let after = ts("2026-03-31T22:00:00Z");
        assert_eq!(
            Period::containing(Cadence::Monthly, before, &tz),
            Ok(p("2026-03"))
        );
        assert_eq!(
            Period::containing(Cadence::Monthly, after, &tz),
            Ok(p("2026-04"))
        );
        assert!(p("2026-03").contains(before, &tz));
        assert!(!p("2026-03").contains(after, &tz));
        assert!(p("2026-Q2").contains(after, &tz));
        assert_eq!(
            Period::containing(Cadence::Quarterly, before, &tz),
            Ok(p("2026-Q1"))
        );
        // In UTC the same instant is still in March.
        assert!(p("2026-03").contains(after, &TimeZone::UTC));
        // The end instant is exclusive, the start inclusive.
        let oct = p("2026-10");
        assert!(oct.contains(oct.start(&tz).expect("start"), &tz));
        assert!(!oct.contains(oct.end(&tz).expect("end"), &tz));
        // ISO weeks: 1 January 2027 belongs to 2026-W53, 29 December 2025 to 2026-W01.
        let new_year = ts("2027-01-01T12:00:00Z");
        assert_eq!(
            Period::containing(Cadence::Weekly, new_year, &tz),
            Ok(p("2026-W53"))
        );
        let monday = ts("2025-12-29T08:00:00Z");
        assert_eq!(
            Period::containing(Cadence::Weekly, monday, &tz),
            Ok(p("2026-W01"))
        );
        // Window membership.
        let win = p("2026-11-03..2026-11-17");
        assert!(win.contains(ts("2026-11-16T22:59:59Z"), &tz)); // 23:59:59 on the 16th
        assert!(!win.contains(ts("2026-11-16T23:00:00Z"), &tz)); // midnight on the 17th
        assert!(!win.contains(ts("2026-11-02T22:59:59Z"), &tz));
    }

    #[test]
    fn previous_periods() {
        assert_eq!(p("2026-01").previous(), Ok(p("2025-12")));
        assert_eq!(p("2026-11").previous(), Ok(p("2026-10")));
        assert_eq!(p("2026-Q1").previous(), Ok(p("2025-Q4")));
        assert_eq!(p("2026-Q3").previous(), Ok(p("2026-Q2")));
        assert_eq!(p("2026-W45").previous(), Ok(p("2026-W44")));
        assert_eq!(p("2027-W01").previous(), Ok(p("2026-W53")));
        assert_eq!(p("2026-W01").previous(), Ok(p("2025-W52")));
        // A 14-day window is preceded by the 14 days before it.
        assert_eq!(
            p("2026-11-03..2026-11-17").previous(),
            Ok(p("2026-10-20..2026-11-03"))
        );
        assert_eq!(p("0001-01").previous(), Err(PeriodError::OutOfRange));
    }

    #[test]
    fn year_ago_periods() {
        assert_eq!(p("2026-11").year_ago(), Ok(p("2025-11")));
        assert_eq!(p("2026-Q3").year_ago(), Ok(p("2025-Q3")));
        assert_eq!(p("2026-W45").year_ago(), Ok(p("2025-W45")));
        // 2025 has no week 53: its last week stands in.
        assert_eq!(p("2026-W53").year_ago(), Ok(p("2025-W52")));
        assert_eq!(
            p("2026-11-03..2026-11-17").year_ago(),
            Ok(p("2025-11-03..2025-11-17"))
        );
        assert_eq!(
            p("2028-02-29..2028-03-07").year_ago(),
            Ok(p("2027-02-28..2027-03-07"))
        );
    }

    #[test]
    fn last_n_for_trends() {
        let months: Vec<String> = p("2026-02").last_n(6).map(|p| p.to_string()).collect();
        assert_eq!(
            months,
            [
                "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"
            ]
        );
        let weeks: Vec<String> = p("2027-W02").last_n(3).map(|p| p.to_string()).collect();
        assert_eq!(weeks, ["2026-W53", "2027-W01", "2027-W02"]);
        assert_eq!(p("2026-02").last_n(0).count(), 0);
        // Runs out at the first supported month.
        assert_eq!(p("0001-02").last_n(12).count(), 2);
    }

    #[test]
    fn ordering_is_chronological() {
        let mut periods = [p("2026-11"), p("2025-Q4"), p("2026-W01"), p("2026-01")];
        periods.sort();
        let texts: Vec<String> = periods.iter().map(Period::to_string).collect();
        assert_eq!(texts, ["2025-Q4", "2026-W01", "2026-01", "2026-11"]);
    }

    #[test]
    fn serde_as_text() {
        let json = serde_json::to_string(&p("2026-W45")).expect("serialises");
        assert_eq!(json, "\"2026-W45\"");
        let back: Period = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, p("2026-W45"));
        let err = serde_json::from_str::<Period>("\"2026/11\"").expect_err("bad");
        assert!(err.to_string().contains("accepted formats"), "{err}");
        let cadence: Cadence = serde_json::from_str("\"quarterly\"").expect("parses");
        assert_eq!(cadence, Cadence::Quarterly);
        let schema = schemars::schema_for!(Period);
        assert_eq!(schema.get("type"), Some(&serde_json::json!("string")));
    }
}
