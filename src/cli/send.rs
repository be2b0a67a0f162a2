//! `ecoute send` (plan the period's waves if needed, then dispatch what is due) and
//! `ecoute status` (the outbox, per wave, with the last errors).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::Format;
use super::plan::find_program;
use super::store_commands::open;
use crate::config::Settings;
use crate::dispatch::engine::{self, Dispatch, DispatchOptions, RunReport, Stop, Tally};
use crate::dispatch::policy::RetryPolicy;
use crate::dispatch::transport::MailSettings;
use crate::plan;
use crate::templates::Templates;
use crate::token::LinkSecret;

/// Exit code when the mail server could not be reached: nothing is lost, try again later.
pub const EXIT_TEMPORARY: u8 = 3;
/// Exit code after Ctrl-C (128 + SIGINT), as shells expect.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Arguments of `ecoute send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Program id (a file in programs/) or path to a program file
    program: String,
    /// Period whose waves to plan before sending: 2026-11, 2026-Q4, 2026-W48 or a window id
    /// (default: the current one)
    #[arg(long)]
    period: Option<String>,
    /// Most messages claimed and not yet recorded at once; after a crash, at most this many
    /// can go out twice (each flagged in `ecoute status`)
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
    /// SMTP connections kept open
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    connections: u32,
    /// Cap on messages per second for this run, over every channel (channels have their own
    /// `rate_per_second` too)
    #[arg(long, value_name = "PER_SECOND", env = "ECOUTE_MAX_RATE")]
    max_rate: Option<f64>,
    /// Seconds a claim stays exclusive; a crashed sender's messages are taken over after it
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    lease: u64,
    /// Delay before the first retry of a temporary failure; it doubles at each attempt
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    retry_base: u64,
    /// Attempts before a temporary failure is given up as failed
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_attempts: u32,
    /// Keep running while deferred messages and reminders come due within this many seconds
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    wait: u64,
    /// Do not plan the period's waves first; only send what is already in the outbox
    #[arg(long)]
    no_plan: bool,
    /// Run as if it started at this instant (RFC 3339), to rehearse send windows and
    /// reminders; the clock then runs on from there
    #[arg(long, hide = true, value_name = "TIMESTAMP")]
    at: Option<jiff::Timestamp>,
}

/// Arguments of `ecoute status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this program (default: every program in the store)
    program: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// How many recent errors to show
    #[arg(long, default_value_t = 10)]
    errors: u32,
}

/// Plans (unless `--no-plan`), then dispatches until nothing is due.
pub async fn send(args: &SendArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let program = find_program(&args.program, settings)?;
    let mail = MailSettings::parse(&settings.mail)?;
    let secret = LinkSecret::load_or_create(&settings.secret_file)?;
    let store = open(settings).await?;
    let now = args.at.unwrap_or_else(jiff::Timestamp::now);
    if !args.no_plan {
        let period = program
            .calendar()
            .resolve_period(args.period.as_deref(), now)?;
        let built = plan::build(&store, &program, period, now).await?;
        for wave in plan::commit(&store, &program, period, &built).await? {
            if wave.created {
                eprintln!(
                    "planned {} wave {} of {}: {} invitations",
                    wave.survey, wave.wave, period, wave.invitations
                );
            }
        }
    }
    let options = DispatchOptions {
        owner: format!(
            "{}:{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into()),
            std::process::id()
        ),
        concurrency: args.concurrency as usize,
        connections: args.connections as usize,
        lease: Duration::from_secs(args.lease.max(1)),
        retry: RetryPolicy {
            base: Duration::from_secs(args.retry_base),
            max_attempts: args.max_attempts,
            ..RetryPolicy::default()
        },
        max_rate: args.max_rate,
        wait: Duration::from_secs(args.wait),
        clock_shift: args
            .at
            .map(|at| at.duration_since(jiff::Timestamp::now()))
            .unwrap_or_default(),
        ..DispatchOptions::default()
    };
    eprintln!("sending {} via {}", program.id(), mail.describe());
    let dispatch = Dispatch {
        store: store.clone(),
        program: Arc::new(program),
        templates: Arc::new(Templates::new(settings.templates.as_deref())),
        secret,
        public_url: settings.public_url.clone(),
        mail,
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: letting messages in flight finish…");
            let _ = stop_tx.send(true);
        }
    });
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let show = |tally: &Tally| {
        let rate = tally.sent as f64 / started.elapsed().as_secs_f64().max(0.001);
        bar.set_message(format!(
            "sent {} · reminders {} · deferred {} · failed {} · {rate:.0}/s",
            tally.sent, tally.reminders, tally.deferred, tally.failed
        ));
    };
    let report = engine::run(dispatch, options, stop_rx, &show).await;
    bar.finish_and_clear();
    store.close().await;
    let report = report.context("dispatch stopped")?;
    print_report(&report, started.elapsed());
    Ok(match &report.stop {
        None => ExitCode::SUCCESS,
        Some(Stop::Interrupted) => ExitCode::from(EXIT_INTERRUPTED),
        Some(Stop::Unreachable(_)) => ExitCode::from(EXIT_TEMPORARY),
        Some(Stop::Fatal(_)) => ExitCode::from(super::EXIT_USAGE),
    })
}

fn print_report(report: &RunReport, elapsed: Duration) {
    let t = &report.tally;
    say!(
        "sent {} invitations and {} reminders in {:.1} s; deferred {}, failed {}, suppressed {}, expired {}, postponed {}",
        t.sent,
        t.reminders,
        elapsed.as_secs_f64(),
        t.deferred,
        t.failed,
        t.suppressed,
        t.expired,
        t.postponed
    );
    if t.possibly_duplicate > 0 {
        say!(
            "{} message(s) may have reached their recipient twice (taken over after a crash or a dropped connection); they are flagged in `ecoute status`",
            t.possibly_duplicate
        );
    }
    if t.fenced_out > 0 {
        say!(
            "{} outcome(s) were not recorded: another sender had taken those messages over",
            t.fenced_out
        );
    }
    match &report.stop {
        Some(Stop::Interrupted) => {
            eprintln!("interrupted: nothing is left half-sent; run `ecoute send` again to go on")
        }
        Some(Stop::Unreachable(error)) => eprintln!(
            "error: the mail server cannot be reached ({error}); the messages wait as deferred, run `ecoute send` again later"
        ),
        Some(Stop::Fatal(error)) => eprintln!("error: {error}; nothing more was sent"),
        None => {}
    }
    if report.held > 0 {
        say!(
            "{} message(s) are held by another sender right now",
            report.held
        );
    }
    if let Some(next) = report.next_due {
        say!("next message due at {next}");
    }
}

/// Shows the outbox.
pub async fn status(args: &StatusArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    let program_id = args.program.as_ref().map(|spec| {
        find_program(spec, settings)
            .map(|p| p.id().to_owned())
            .unwrap_or_else(|_| spec.clone())
    });
    let (waves, failures) = store
        .outbox_status(program_id.as_deref(), args.errors)
        .await?;
    store.close().await;
    match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "waves": waves.iter().map(|w| serde_json::json!({
                    "program": w.program_id,
                    "survey": w.wave.survey_id,
                    "channel": w.wave.channel_id,
                    "period": w.wave.period,
                    "wave": w.wave.wave,
                    "states": w.states,
                    "reminders_sent": w.reminders_sent,
                    "possibly_duplicate": w.possibly_duplicate,
                })).collect::<Vec<_>>(),
                "last_errors": failures.iter().map(|f| serde_json::json!({
                    "invitation": f.invitation_id,
                    "email": f.email,
                    "message": f.message,
                    "state": f.state,
                    "reason": f.reason,
                    "detail": f.detail,
                    "smtp_code": f.smtp_code,
                    "at": f.at.to_string(),
                })).collect::<Vec<_>>(),
            });
            say!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Human => {
            if waves.is_empty() {
                say!(
                    "The outbox is empty: run `ecoute plan PROGRAM --commit` or `ecoute send PROGRAM`."
                );
            }
            for w in &waves {
                let states: Vec<String> =
                    w.states.iter().map(|(s, n)| format!("{s} {n}")).collect();
                say!(
                    "{} · {} · {} · {} wave {}: {} · reminders sent {}{}",
                    w.program_id,
                    w.wave.survey_id,
                    w.wave.channel_id,
                    w.wave.period,
                    w.wave.wave,
                    states.join(", "),
                    w.reminders_sent,
                    if w.possibly_duplicate > 0 {
                        format!(" · possibly sent twice {}", w.possibly_duplicate)
                    } else {
                        String::new()
                    }
                );
            }
            if !failures.is_empty() {
                say!("\nLast errors:");
                for f in &failures {
                    say!(
                        "  {} {} #{} ({}): {}{}",
                        f.at,
                        f.email.as_deref().unwrap_or("(erased)"),
                        f.invitation_id,
                        if f.message == 0 {
                            "invitation".to_owned()
                        } else {
                            format!("reminder {}", f.message)
                        },
                        f.state,
                        f.detail
                            .as_deref()
                            .map(|d| format!(" — {} {d}", f.reason))
                            .unwrap_or_else(|| format!(" — {}", f.reason))
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
