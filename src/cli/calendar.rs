//! `ecoute calendar`: the upcoming waves, reminders and period closes of every program, in
//! each program's time zone, with the sample each wave would draw (a dry run of the
//! planner), as a table, JSON or an iCalendar file to subscribe to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, Zoned};

use super::Exit;
use super::count::count;
use super::options::{StoreArgs, TemplatesArgs};
use super::serve::load_programs;
use super::shared::{find_program, open, write_output};
use crate::agenda::{self, Entry, Kind, SampleSize, day_name};
use crate::config::Settings;
use crate::period::Period;
use crate::plan;
use crate::program::Program;

/// The folder searched when no program is given.
const PROGRAMS: &str = "programs";

/// Days listed after `--from` when `--to` is not given.
const DEFAULT_DAYS: i64 = 90;

/// The longest range, in days: enough for a year ahead, and a typo such as `--to 9026-01-01`
/// does not plan thousands of periods.
const MAX_DAYS: i64 = 366;

/// Arguments of `ecoute calendar`.
#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// Program ids (in programs/), program files or folders; default: every program in programs/
    programs: Vec<String>,
    /// First day listed, YYYY-MM-DD, in each program's time zone (default: today)
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Last day listed, YYYY-MM-DD, included (default: 90 days after --from)
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: CalendarFormat,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
}

/// Output formats of `ecoute calendar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CalendarFormat {
    /// A readable table, sorted by time.
    #[default]
    Table,
    /// An array of entries for scripts.
    Json,
    /// An RFC 5545 iCalendar file to subscribe to.
    Ics,
}

/// Lists the calendar; bad dates and programs exit 1 with the reason.
pub async fn run(args: &CalendarArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let (from, to) = match range(
        args.from.as_deref(),
        args.to.as_deref(),
        Zoned::now().date(),
    ) {
        Ok(range) => range,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(Exit::Problems);
        }
    };
    let programs = match programs(&args.programs, settings) {
        Ok(programs) => programs,
        Err(err) => {
            eprintln!("error: {err:#}");
            return Ok(Exit::Problems);
        }
    };
    let mut entries = Vec::new();
    for program in &programs {
        entries.extend(
            agenda::entries(program, from, to)
                .with_context(|| format!("cannot compute the calendar of {}", program.id()))?,
        );
    }
    plan_samples(&mut entries, &programs, settings).await;
    entries.sort_by(Entry::chronological);
    match args.format {
        CalendarFormat::Table => print_table(&entries, from, to, programs.len()),
        CalendarFormat::Json => say!("{}", serde_json::to_string_pretty(&to_json(&entries))?),
        CalendarFormat::Ics => {
            write_output(None, None, &agenda::ics::render(&entries, Timestamp::now()))?
        }
    }
    Ok(Exit::Success)
}

/// The first and last days listed, from the flags; the message says what to type instead.
fn range(from: Option<&str>, to: Option<&str>, today: Date) -> Result<(Date, Date), String> {
    let parse = |flag: &str, text: &str| {
        text.parse::<Date>().map_err(|err| {
            format!(
                "`{flag} {text}` is not a date ({err}); write it as YYYY-MM-DD, e.g. 2026-11-02"
            )
        })
    };
    let from = from
        .map(|t| parse("--from", t))
        .transpose()?
        .unwrap_or(today);
    let to = match to {
        Some(text) => parse("--to", text)?,
        None => from
            .checked_add(DEFAULT_DAYS.days())
            .map_err(|err| format!("--from {from} is too late: {err}"))?,
    };
    if to < from {
        return Err(format!(
            "--to {to} is before --from {from}: give a last day on or after the first"
        ));
    }
    let days = from.until(to).map(|span| span.get_days()).unwrap_or(0);
    if i64::from(days) >= MAX_DAYS {
        return Err(format!(
            "{from} to {to} is {} days; the calendar covers at most {MAX_DAYS} days: give an earlier --to",
            days + 1
        ));
    }
    Ok((from, to))
}

/// The programs asked for (ids, files or folders; default `programs/`), checked; one with
/// problems, or two files with one id, stops the calendar with the diagnostics of `check`.
fn programs(specs: &[String], settings: &Settings) -> anyhow::Result<Vec<Program>> {
    let mut loaded = Vec::new();
    if specs.is_empty() {
        anyhow::ensure!(
            Path::new(PROGRAMS).is_dir(),
            "no {PROGRAMS}/ folder here: run `ecoute calendar` where your programs/ folder is, or give program files"
        );
        loaded = load_programs(&PathBuf::from(PROGRAMS), settings)?;
    }
    for spec in specs {
        let path = Path::new(spec);
        if path.is_dir() {
            loaded.extend(load_programs(&path.to_path_buf(), settings)?);
        } else {
            loaded.push(find_program(spec, settings)?);
        }
    }
    let mut by_id: BTreeMap<String, Program> = BTreeMap::new();
    for program in loaded {
        if let Some(first) = by_id.get(program.id()) {
            if first.path != program.path {
                anyhow::bail!(
                    "program id `{}` is declared by both {} and {}; run `ecoute check`: program ids must be unique",
                    program.id(),
                    first.path.display(),
                    program.path.display()
                );
            }
            continue;
        }
        by_id.insert(program.id().to_owned(), program);
    }
    Ok(by_id.into_values().collect())
}

/// Fills in each wave's sample size with a dry run of the planner (one per program and
/// period, as `ecoute plan PROGRAM --period P` would print now); when a plan cannot be made,
/// says why on its waves and on standard error, and the rest of the calendar stands.
async fn plan_samples(entries: &mut [Entry], programs: &[Program], settings: &Settings) {
    let wanted: BTreeSet<(String, Period)> = entries
        .iter()
        .filter(|e| e.kind == Kind::Wave)
        .filter_map(|e| Some((e.program.clone(), e.period?)))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let store = open(settings).await.map_err(|err| format!("{err:#}"));
    let now = Timestamp::now();
    for (program_id, period) in wanted {
        let Some(program) = programs.iter().find(|p| p.id() == program_id) else {
            continue;
        };
        let plan = match &store {
            Ok(store) => plan::build(store, program, period, now)
                .await
                .map_err(|err| err.to_string()),
            Err(why) => Err(why.clone()),
        };
        if let Err(why) = &plan {
            eprintln!(
                "warning: cannot plan {program_id} {period}, its sample sizes are unknown: {why}"
            );
        }
        for entry in entries
            .iter_mut()
            .filter(|e| e.kind == Kind::Wave && e.program == program_id && e.period == Some(period))
        {
            entry.sample_size = match &plan {
                Ok(plan) => plan
                    .surveys
                    .iter()
                    .filter(|s| Some(&s.survey) == entry.survey.as_ref())
                    .flat_map(|s| &s.waves)
                    .find(|w| Some(w.wave) == entry.wave)
                    .map_or_else(
                        || SampleSize::Unknown("the planner has no such wave".to_owned()),
                        |w| SampleSize::Planned(w.invitations),
                    ),
                Err(why) => SampleSize::Unknown(why.clone()),
            };
        }
    }
    if let Ok(store) = store {
        store.close().await;
    }
}

/// RFC 3339 with the offset in force at that time (`2026-12-02T10:00:00+01:00`).
fn rfc3339(at: &Zoned) -> String {
    at.timestamp().display_with_offset(at.offset()).to_string()
}

/// The JSON array: every field on every entry, `null` where it does not apply.
fn to_json(entries: &[Entry]) -> serde_json::Value {
    entries
        .iter()
        .map(|e| {
            let (sample_size, sample_note) = match &e.sample_size {
                SampleSize::Planned(size) => (Some(*size), None),
                SampleSize::Unknown(why) => (None, Some(why.clone())),
                SampleSize::NotApplicable => (None, None),
            };
            serde_json::json!({
                "program": e.program,
                "kind": e.kind.as_str(),
                "at": e.at.as_ref().map(rfc3339),
                "zone": e.zone,
                "survey": e.survey,
                "channel": e.channel,
                "period": e.period.map(|p| p.to_string()),
                "wave": e.wave,
                "reminder": e.reminder,
                "sample_size": sample_size,
                "sample_note": sample_note,
                "send_window": e.send_window.as_ref().map(|w| serde_json::json!({
                    "days": w.days.iter().map(|d| day_name(*d)).collect::<Vec<_>>(),
                    "from": w.from.strftime("%H:%M").to_string(),
                    "to": w.to.strftime("%H:%M").to_string(),
                })),
                "waits_until": e.waits_until.as_ref().map(rfc3339),
                "event": e.event,
                "delay_hours": e.delay_hours,
            })
        })
        .collect()
}

fn print_table(entries: &[Entry], from: Date, to: Date, programs: usize) {
    say!(
        "Calendar from {from} to {to} · {} · times in each program's time zone",
        count(programs, "program")
    );
    if entries.is_empty() {
        say!("\nNothing is scheduled in these days.");
        return;
    }
    let mut rows = vec![[
        "when".to_owned(),
        "zone".to_owned(),
        "program".to_owned(),
        "what".to_owned(),
        "survey · channel".to_owned(),
        "details".to_owned(),
    ]];
    rows.extend(entries.iter().map(|e| {
        [
            e.at.as_ref()
                .map_or_else(|| "on each event".to_owned(), agenda::local_time),
            e.zone.clone(),
            e.program.clone(),
            e.title(),
            e.subject(),
            e.details(true).join(" · "),
        ]
    }));
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    say!("");
    for row in &rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.push_str(&row[5]);
        say!("{}", line.trim_end());
    }
    if entries.iter().any(|e| e.kind == Kind::Wave) {
        say!(
            "\nSamples are dry runs of `ecoute plan PROGRAM --period P` as of now: nothing was written."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().expect("date")
    }

    #[test]
    fn the_range_defaults_to_today_and_ninety_days_after() {
        assert_eq!(
            range(None, None, day("2026-11-30")),
            Ok((day("2026-11-30"), day("2027-02-28")))
        );
        assert_eq!(
            range(Some("2027-03-01"), None, day("2026-11-30")),
            Ok((day("2027-03-01"), day("2027-05-30")))
        );
    }

    #[test]
    fn a_range_longer_than_a_year_is_refused() {
        let today = day("2026-11-30");
        assert!(range(Some("2027-01-01"), Some("2028-01-01"), today).is_ok());
        let error = range(Some("2027-01-01"), Some("2028-01-02"), today).expect_err("367 days");
        assert!(error.contains("367 days"), "{error}");
    }
}
