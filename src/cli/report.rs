//! `ecoute report`: a period against another, per touchpoint, segment or channel.

use std::path::Path;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::Exit;
use super::options::{OutputArgs, StoreArgs, TemplatesArgs};
use super::shared::{create_output, find_program, open, write_output};
use crate::config::Settings;
use crate::metrics::DEFAULT_ALPHA;
use crate::period::Period;
use crate::program::Program;
use crate::report::render::{self, Renderer};
use crate::report::{self, GroupBy, Inputs, ReportPeriod, TREND_PERIODS};
use crate::responses::PeriodRule;

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
    #[command(flatten)]
    output: OutputArgs,
    /// Significance level of the tests (two-sided)
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
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

fn rfc3339(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A period with its bounds and its stored parts, or a clear error.
fn report_period(
    rule: &PeriodRule,
    period: Period,
    program: &Program,
) -> anyhow::Result<ReportPeriod> {
    let parts = rule.parts_of(&period).with_context(|| {
        let cadence = program
            .file
            .periods
            .cadence
            .as_deref()
            .map_or("window".to_owned(), |c| format!("{c:?}").to_lowercase());
        format!(
            "period {period} does not line up with the program's {cadence} periods: \
             ask for one of them or a whole number of them (a quarter of a monthly program)"
        )
    })?;
    Ok(ReportPeriod {
        key: period.to_string(),
        start: rfc3339(period.start(rule.zone())?, rule.zone()),
        end: rfc3339(period.end(rule.zone())?, rule.zone()),
        parts: parts.iter().map(ToString::to_string).collect(),
    })
}

/// Runs `ecoute report`.
pub async fn run(args: &ReportArgs, settings: &Settings) -> anyhow::Result<Exit> {
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
    let period = crate::schedule::resolve_period(&program.file, args.period.as_deref(), now)
        .map_err(|e| anyhow::anyhow!("--period: {e}"))?;
    let rule = PeriodRule::of(&program)?;
    let current = report_period(&rule, period, &program)?;
    let output = create_output(args.output.output.as_deref())?;
    let store = open(settings).await?;

    let explicit_vs = args.vs != "previous";
    let vs_period = match args.vs.as_str() {
        // The program period before (for explicit windows: the window declared before).
        "previous" => match rule.history(&period, 2).as_slice() {
            [before, _] => *before,
            _ => period.previous()?,
        },
        "year-ago" => period.year_ago()?,
        other => crate::schedule::resolve_period(&program.file, Some(other), now).map_err(|e| {
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
        Some(report_period(&rule, vs_period, &program)?)
    };

    let people = matches!(format, ReportFormat::Html | ReportFormat::Md);
    let trend: Vec<ReportPeriod> = if people {
        rule.history(&period, TREND_PERIODS)
            .into_iter()
            .filter_map(|p| report_period(&rule, p, &program).ok())
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
    let zone = rule.zone().clone();
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
    write_output(output, args.output.output.as_deref(), &text)?;
    if let Some(path) = &args.output.output {
        eprintln!(
            "report {} of {} ({} responses) written to {}",
            built.stamp.period,
            program.id(),
            built.stamp.responses,
            path.display()
        );
    }
    Ok(Exit::Success)
}
