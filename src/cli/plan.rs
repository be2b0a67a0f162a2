//! `ecoute plan`: a dry run of who would be asked and why the others are not; `--commit`
//! materialises the waves.

use clap::{Args, ValueEnum};

use super::Exit;
use super::count::count;
use super::options::{StoreArgs, TemplatesArgs};
use super::shared::{find_program, open};
use crate::config::Settings;
use crate::metrics::Kpi;
use crate::plan::{self, Expectation, Plan, RateBasis};
use crate::sampling::Warning;

/// Arguments of `ecoute plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Program id (looked up in programs/) or path to a program file
    program: String,
    /// Period: 2026-11, 2026-Q3, 2026-W45, a window id, or start..end; default: the current one
    #[arg(long)]
    period: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: PlanFormat,
    /// Also list the drawn contacts
    #[arg(long)]
    list: bool,
    /// Materialise the waves and invitations in the store (idempotent)
    #[arg(long)]
    commit: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
}

/// Output formats of `ecoute plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum PlanFormat {
    /// A readable table.
    #[default]
    Table,
    /// JSON, identical for identical inputs.
    Json,
}

/// Builds (and optionally commits) the plan, then prints it.
pub async fn run(args: &PlanArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let program = find_program(&args.program, settings)?;
    let now = jiff::Timestamp::now();
    let period = program
        .calendar()
        .resolve_period(args.period.as_deref(), now)?;
    let store = open(settings).await?;
    let mut plan = plan::build(&store, &program, period, now).await?;
    let committed = if args.commit {
        Some(plan::commit(&store, &program, period, &plan).await?)
    } else {
        None
    };
    if !args.list {
        for survey in &mut plan.surveys {
            survey.sample.drawn.clear();
        }
    }
    match args.format {
        PlanFormat::Json => {
            let mut value = serde_json::to_value(&plan)?;
            if let Some(committed) = &committed {
                value["committed"] = serde_json::to_value(committed)?;
            }
            say!("{}", serde_json::to_string_pretty(&value)?);
        }
        PlanFormat::Table => {
            print_table(&plan, args.list);
            match &committed {
                Some(waves) => {
                    for wave in waves {
                        say!(
                            "committed {} wave {}: {} ({})",
                            wave.survey,
                            wave.wave,
                            if wave.created {
                                "created"
                            } else {
                                "already existed, unchanged"
                            },
                            count(wave.invitations, "invitation")
                        );
                    }
                }
                None => say!("\nDry run: nothing was written. Add --commit to create the waves."),
            }
        }
    }
    Ok(Exit::Success)
}

fn print_table(plan: &Plan, list: bool) {
    say!(
        "Plan {} — period {} ({} → {}), answers until {}",
        plan.program,
        plan.period,
        plan.period_start,
        plan.period_end,
        plan.closes_at
    );
    say!("program file sha256 {}", plan.program_sha256);
    if plan.surveys.is_empty() {
        say!("No survey of this program invites a sample (link and trigger surveys need no plan).");
    }
    for survey in &plan.surveys {
        let sample = &survey.sample;
        say!(
            "\nsurvey {} · channel {} ({}) · sample {}",
            survey.survey,
            survey.channel,
            survey.channel_type,
            sample.sample
        );
        say!(
            "  source {}: {}{}",
            survey.source,
            count(sample.population, "contact"),
            if survey.source_rejected_rows > 0 {
                format!(" ({} unreadable rows skipped)", survey.source_rejected_rows)
            } else {
                String::new()
            }
        );
        say!("  excluded, in order:");
        say!(
            "    suppressed (unsubscribed, bounced, erased)  {:>8}",
            sample.excluded_suppressed
        );
        say!(
            "    contacted within the fatigue window         {:>8}",
            sample.excluded_fatigue
        );
        for (earlier, count) in &sample.excluded_drawn_earlier {
            say!(
                "    {:<44}{count:>8}",
                format!("drawn by survey `{earlier}`")
            );
        }
        say!(
            "    filtered out                                {:>8}",
            sample.excluded_filter
        );
        say!(
            "    not drawn                                   {:>8}",
            sample.not_drawn
        );
        say!(
            "  eligible {} → drawn {}",
            sample.eligible,
            sample.eligible - sample.not_drawn
        );
        if !sample.strata.is_empty() {
            say!(
                "  {:<28} {:>9} {:>10} {:>7}",
                sample.strata.join(" / "),
                "eligible",
                "allocated",
                "drawn"
            );
            for (stratum, (eligible, allocated, drawn)) in plan::strata_table(sample) {
                say!(
                    "  {:<28} {:>9} {:>10} {:>7}",
                    stratum,
                    eligible,
                    allocated.map_or("-".to_owned(), |a| a.to_string()),
                    drawn
                );
            }
        }
        print_expected(&survey.expected, sample.eligible - sample.not_drawn);
        for wave in &survey.waves {
            let reminders = if wave.reminders.is_empty() {
                String::new()
            } else {
                format!("; reminders {}", wave.reminders.join(", "))
            };
            say!(
                "  wave {} at {}: {}{reminders}",
                wave.wave,
                wave.at,
                count(wave.invitations, "invitation")
            );
        }
        if survey.waves.is_empty() {
            say!("  no wave falls in this period (cron of `periods.waves`)");
        }
        if !sample.excluded_drawn_earlier.is_empty() {
            say!(
                "  surveys are planned in file order: under the fatigue rule, nobody an \
                 earlier survey drew is asked again"
            );
        }
        for notice in survey.notices.iter().chain(&survey.expected.warnings) {
            say!("  ! {notice}");
        }
        // With an empty source, "asked for N, only 0 eligible" only repeats the notice.
        for warning in sample
            .warnings
            .iter()
            .filter(|w| sample.population > 0 || !matches!(w, Warning::Shortfall { .. }))
        {
            say!("  ! {warning}");
        }
        if list {
            for drawn in &sample.drawn {
                say!("    {} {}", drawn.email, drawn.stratum.join(" / "));
            }
        }
    }
}

/// Expected answers and margins, with where the response rate comes from.
fn print_expected(expected: &Expectation, drawn: u64) {
    let basis = match &expected.response_rate_basis {
        RateBasis::Observed {
            periods,
            delivered,
            answered,
        } => format!(
            "observed in {}: {answered} answered of {delivered} delivered",
            periods.join(", ")
        ),
        RateBasis::Assumption { stated: true } => {
            "assumption: the sample's `expected_response_rate`, no invitation delivered in the \
             last closed periods"
                .to_owned()
        }
        RateBasis::Assumption { stated: false } => {
            "assumption: default, no invitation delivered in the last closed periods".to_owned()
        }
    };
    say!(
        "  expected answers {:.0} ({drawn} drawn × {:.1}% response rate, {basis})",
        expected.answers,
        100.0 * expected.response_rate
    );
    for margin in &expected.margins {
        let unit = match margin.kpi {
            Kpi::Nps => " points",
            Kpi::Ces => "",
            _ => " % points",
        };
        let spread = match (&margin.spread_from, margin.last_value) {
            (Some(period), Some(value)) => format!("spread of {period}, where it was {value:.1}"),
            _ => "worst-case spread".to_owned(),
        };
        let target = margin
            .target
            .map(|t| format!("; target {t}"))
            .unwrap_or_default();
        match margin.moe95 {
            Some(moe) => say!(
                "  expected 95% margin on {}: ±{moe:.1}{unit} ({spread}{target})",
                margin.kpi
            ),
            None => say!(
                "  expected 95% margin on {}: unknown, under one answer expected",
                margin.kpi
            ),
        }
    }
}
