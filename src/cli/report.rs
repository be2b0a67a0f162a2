//! `ecoute report` (a period against another, per touchpoint, segment or channel) and
//! `ecoute map` (the touchpoint map alone).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::plan::find_program;
use super::store_commands::open;
use crate::config::Settings;
use crate::metrics::DEFAULT_ALPHA;
use crate::period::Period;
use crate::program::Calendar;
use crate::report::render::{self, Renderer};
use crate::report::{self, GroupBy, Inputs, ReportPeriod, TREND_PERIODS};

/// Arguments of `ecoute report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Program id (in programs/) or program file
    program: String,
    /// Period: 2026-11, 2026-Q3, 2026-W45, a window id, or start..end; default: the current one
    #[arg(long)]
    period: Option<String>,
    /// Comparison: previous (default), year-ago, or a period
    #[arg(long, default_value = "previous")]
    vs: String,
    /// Rows per touchpoint (default), channel, or segment:ATTRIBUTE
    #[arg(long, default_value = "touchpoint")]
    by: String,
    /// Output format; default from the -o extension, else Markdown
    #[arg(long, value_enum)]
    format: Option<ReportFormat>,
    /// Output file (default: standard output)
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Significance level of the tests (two-sided)
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
}

/// Output formats of `ecoute report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page (inline CSS and SVG).
    Html,
    /// Tables for a wiki or a pull request.
    Md,
    /// Long form, one line per group and KPI.
    Csv,
    /// `{"stamp": …, "rows": […]}`.
    Json,
}

/// Arguments of `ecoute map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// Program id (in programs/) or program file
    program: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = MapFormat::Svg)]
    format: MapFormat,
    /// Output file (default: standard output)
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Output formats of `ecoute map`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapFormat {
    /// A standalone SVG picture.
    Svg,
    /// A Mermaid flowchart.
    Mermaid,
}

/// Opens the output now, so an unwritable path fails before any work.
fn create_output(path: Option<&Path>) -> anyhow::Result<Option<File>> {
    path.map(|p| {
        File::create(p).with_context(|| {
            format!(
                "cannot write the report to {}: check that the folder exists and is writable",
                p.display()
            )
        })
    })
    .transpose()
}

fn write_output(file: Option<File>, path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match file {
        Some(mut f) => f.write_all(text.as_bytes()).with_context(|| {
            format!(
                "cannot write {}",
                path.map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )
        }),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
    }
}

fn rfc3339(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A period with its bounds and its stored parts, or a clear error.
fn report_period(calendar: &Calendar, period: Period) -> anyhow::Result<ReportPeriod> {
    let parts = calendar.parts_of(&period).with_context(|| {
        let cadence = calendar.cadence().map_or("window", |c| c.as_str());
        format!(
            "period {period} does not line up with the program's {cadence} periods: \
             ask for one of them or a whole number of them (a quarter of a monthly program)"
        )
    })?;
    Ok(ReportPeriod {
        key: period.to_string(),
        start: rfc3339(period.start(calendar.zone())?, calendar.zone()),
        end: rfc3339(period.end(calendar.zone())?, calendar.zone()),
        parts: parts.iter().map(ToString::to_string).collect(),
    })
}

/// Runs `ecoute report`.
pub async fn run(args: &ReportArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        bail!(
            "--alpha {} is not a significance level: give a number between 0 and 1, such as 0.05",
            args.alpha
        );
    }
    let group_by: GroupBy = args.by.parse()?;
    let format = args.format.unwrap_or_else(|| {
        match args
            .output
            .as_deref()
            .and_then(Path::extension)
            .and_then(|e| e.to_str())
        {
            Some("html" | "htm") => ReportFormat::Html,
            Some("csv") => ReportFormat::Csv,
            Some("json") => ReportFormat::Json,
            _ => ReportFormat::Md,
        }
    });
    let program = find_program(&args.program, settings)?;
    let now = Timestamp::now();
    let calendar = program.calendar();
    let period = calendar
        .resolve_period(args.period.as_deref(), now)
        .map_err(|e| anyhow::anyhow!("--period: {e}"))?;
    let current = report_period(calendar, period)?;
    let output = create_output(args.output.as_deref())?;
    let store = open(settings).await?;

    let explicit_vs = args.vs != "previous";
    let vs_period = match args.vs.as_str() {
        // The program period before (for explicit windows: the window declared before).
        "previous" => match calendar.history(&period, 2).as_slice() {
            [before, _] => *before,
            _ => period.previous()?,
        },
        "year-ago" => period.year_ago()?,
        other => calendar.resolve_period(Some(other), now).map_err(|e| {
            anyhow::anyhow!("--vs {other}: give previous, year-ago or a period; {e}")
        })?,
    };
    let first: Option<Period> = store
        .first_period(program.id())
        .await?
        .and_then(|p| p.parse().ok());
    let mut notes = Vec::new();
    let fr = program.file.program.default_locale.starts_with("fr");
    let before_program = first.is_none_or(|f| vs_period.end_day() <= f.first_day());
    let vs = if before_program {
        let since = first.map_or_else(
            || "no responses yet".to_owned(),
            |f| format!("its first responses are in {f}"),
        );
        if explicit_vs {
            bail!(
                "cannot compare with {vs_period}: it is before the program `{}` existed ({since}); \
                 pick a later --vs period",
                program.id()
            );
        }
        notes.push(if fr {
            format!("Pas de comparaison : {vs_period} précède les premières réponses du programme.")
        } else {
            format!("No comparison: {vs_period} is before the program's first responses.")
        });
        None
    } else {
        Some(report_period(calendar, vs_period)?)
    };

    let people = matches!(format, ReportFormat::Html | ReportFormat::Md);
    let trend: Vec<ReportPeriod> = if people {
        calendar
            .history(&period, TREND_PERIODS)
            .into_iter()
            .filter_map(|p| report_period(calendar, p).ok())
            .collect()
    } else {
        Vec::new()
    };
    let mut keys: Vec<String> = current.parts.clone();
    if let Some(v) = &vs {
        keys.extend(v.parts.iter().cloned());
    }
    let compared = keys.clone();
    for p in &trend {
        keys.extend(p.parts.iter().cloned());
    }
    keys.sort();
    keys.dedup();
    let counters = store.rollups(program.id(), &keys, "").await?;
    let segment_counters = match &group_by {
        GroupBy::Segment(attribute) => {
            let rows = store.rollups(program.id(), &compared, attribute).await?;
            let any = counters.iter().any(|c| compared.contains(&c.key.period));
            if rows.is_empty() && any {
                let seen = store.segments(program.id(), &compared).await?;
                bail!(
                    "no respondent in {}{} has the attribute `{attribute}`; attributes seen: {}",
                    current.key,
                    vs.as_ref()
                        .map(|v| format!(" or {}", v.key))
                        .unwrap_or_default(),
                    if seen.is_empty() {
                        "none".to_owned()
                    } else {
                        seen.join(", ")
                    }
                );
            }
            rows
        }
        _ => Vec::new(),
    };
    let deliveries = store.deliveries(program.id(), &compared).await?;
    let verbatims = if people {
        store
            .verbatim_responses(program.id(), &current.parts)
            .await?
    } else {
        Vec::new()
    };
    let zone = calendar.zone().clone();
    let built = report::build(&Inputs {
        program: &program,
        group_by,
        alpha: args.alpha,
        period: current,
        vs,
        counters: &counters,
        segment_counters: &segment_counters,
        deliveries: &deliveries,
        trend,
        verbatims: &verbatims,
        generated_at: rfc3339(now, &zone),
        notes,
    });
    let text = match format {
        ReportFormat::Json => render::json(&built)?,
        ReportFormat::Csv => render::csv(&built)?,
        ReportFormat::Html => Renderer::new(settings.templates.as_deref()).html(&built)?,
        ReportFormat::Md => Renderer::new(settings.templates.as_deref()).markdown(&built)?,
    };
    write_output(output, args.output.as_deref(), &text)?;
    if let Some(path) = &args.output {
        eprintln!(
            "report {} of {} ({} responses) written to {}",
            built.stamp.period,
            program.id(),
            built.stamp.responses,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `ecoute map`.
pub fn map(args: &MapArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let program = find_program(&args.program, settings)?;
    let output = create_output(args.output.as_deref())?;
    let renderer = Renderer::new(settings.templates.as_deref());
    let text = match args.format {
        MapFormat::Svg => report::map::svg(&program, &renderer)?,
        MapFormat::Mermaid => report::map::mermaid(&program, &renderer)?,
    };
    write_output(output, args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
