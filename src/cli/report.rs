//! `ecoute report`: a period against another, per touchpoint, segment or channel.

use std::path::Path;

use anyhow::bail;
use clap::{Args, ValueEnum};
use jiff::Timestamp;

use super::Exit;
use super::count::count;
use super::options::{OutputArgs, StoreArgs, TemplatesArgs};
use super::shared::{create_output, find_program, open, write_output};
use crate::config::Settings;
use crate::metrics::DEFAULT_ALPHA;
use crate::report::render::{self, Renderer};
use crate::report::{Baseline, GroupBy, ReportPlan, ReportRequest};

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
    vs: Baseline,
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
    let request = ReportRequest {
        period: args.period.clone(),
        vs: args.vs.clone(),
        group_by,
        alpha: args.alpha,
        details: matches!(format, ReportFormat::Html | ReportFormat::Md),
    };
    let plan = ReportPlan::new(&program, request, Timestamp::now())?;
    let output = create_output(args.output.output.as_deref())?;
    let store = open(settings).await?;
    let built = plan.build(&store).await?;
    let text = match format {
        ReportFormat::Json => render::json(&built)?,
        ReportFormat::Csv => render::csv(&built)?,
        ReportFormat::Html => Renderer::new(settings.templates.as_deref()).html(&built)?,
        ReportFormat::Md => Renderer::new(settings.templates.as_deref()).markdown(&built)?,
    };
    write_output(output, args.output.output.as_deref(), &text)?;
    if let Some(path) = &args.output.output {
        eprintln!(
            "report {} of {} ({}) written to {}",
            built.stamp.period,
            program.id(),
            count(built.stamp.responses, "response"),
            path.display()
        );
    }
    Ok(Exit::Success)
}
