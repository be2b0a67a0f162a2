//! `ecoute send`: plan the period's waves if needed, then dispatch what is due.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::Exit;
use super::count::count;
use super::options::{DispatchArgs, LinkArgs, LogArgs, MailArgs, StoreArgs, TemplatesArgs};
use super::shared::{find_program, local_time, open};
use crate::clock::Clock;
use crate::config::Settings;
use crate::dispatch::engine::{self, Dispatch, DispatchOptions, RunReport, Stop, Tally};
use crate::dispatch::message::is_https;
use crate::dispatch::transport::{MailSettings, is_loopback};
use crate::plan;
use crate::templates::Templates;
use crate::token::LinkSecret;

/// Arguments of `ecoute send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Program id (a file in programs/) or path to a program file
    program: String,
    /// Period whose waves to plan before sending: 2026-11, 2026-Q4, 2026-W48 or a window id
    /// (default: the current one)
    #[arg(long)]
    period: Option<String>,
    #[command(flatten)]
    pub dispatch: DispatchArgs,
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
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub links: LinkArgs,
    // With a log format (flag or ECOUTE_LOG_FORMAT), one log line per batch replaces the
    // progress bar.
    #[command(flatten)]
    pub log: LogArgs,
}

/// Plans (unless `--no-plan`), then dispatches until nothing is due.
pub async fn run(args: &SendArgs, settings: &Settings) -> anyhow::Result<Exit> {
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
        for survey in &built.surveys {
            for notice in &survey.notices {
                eprintln!("warning: survey {}: {notice}", survey.survey);
            }
        }
        for wave in plan::commit(&store, &program, period, &built).await? {
            if wave.created {
                eprintln!(
                    "planned {} wave {} of {}: {}",
                    wave.survey,
                    wave.wave,
                    period,
                    count(wave.invitations, "invitation")
                );
            }
        }
    }
    let clock = args
        .at
        .map_or_else(Clock::real, |at| Clock::starting_at(at, 1.0));
    let options = DispatchOptions {
        wait: Duration::from_secs(args.wait),
        ..args.dispatch.options(clock)
    };
    eprintln!("sending {} via {}", program.id(), mail.describe());
    if matches!(mail, MailSettings::Smtp(_)) {
        for warning in link_warnings(&settings.public_url) {
            eprintln!("{warning}");
        }
    } else {
        eprintln!(
            "note: the file outbox ignores send windows (nothing leaves this machine); over SMTP, messages wait for their channel's `send_window`"
        );
    }
    let zone = program.calendar().zone().clone();
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
    let bar = if args.log.requested() {
        args.log.init();
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
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
    print_report(&report, started.elapsed(), &zone);
    Ok(match &report.stop {
        None => Exit::Success,
        Some(Stop::Interrupted) => Exit::Interrupted,
        Some(Stop::Unreachable(_)) => Exit::Unreachable,
        Some(Stop::Fatal(_)) => Exit::Usage,
    })
}

/// What is wrong with the survey links for emails that leave this machine: a loopback
/// base is useless to a customer, and without https the one-click unsubscribe header of
/// RFC 8058 is left out.
fn link_warnings(public_url: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    if is_loopback(host) {
        warnings.push(format!(
            "WARNING: survey links point to {public_url}, this machine: customers cannot open them. Set `public_url` in ecoute.toml (or ECOUTE_PUBLIC_URL) to the address where `ecoute serve` is reachable, e.g. https://avis.example.fr"
        ));
    }
    if !is_https(public_url) {
        warnings.push(format!(
            "WARNING: `public_url` {public_url} is not https: survey answers cross the network in clear text and the one-click unsubscribe header (List-Unsubscribe-Post, RFC 8058) is left out, which large mailbox providers require of bulk senders"
        ));
    }
    warnings
}

fn print_report(report: &RunReport, elapsed: Duration, zone: &jiff::tz::TimeZone) {
    let t = &report.tally;
    say!(
        "sent {} and {} in {:.1} s; deferred {}, failed {}, suppressed {}, expired {}, postponed {}",
        count(t.sent, "invitation"),
        count(t.reminders, "reminder"),
        elapsed.as_secs_f64(),
        t.deferred,
        t.failed,
        t.suppressed,
        t.expired,
        t.postponed
    );
    if t.possibly_duplicate > 0 {
        say!(
            "{} may have reached their recipient twice (taken over after a crash or a dropped connection); they are flagged in `ecoute status`",
            count(t.possibly_duplicate, "message")
        );
    }
    if t.fenced_out > 0 {
        say!(
            "{} not recorded: another sender had taken those messages over",
            count(t.fenced_out, "outcome")
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
            "{} held by another sender right now",
            count(report.held, "message")
        );
    }
    if let Some(next) = report.next_due {
        let next = local_time(next, zone);
        if t.postponed > 0 {
            say!(
                "{} message(s) wait outside their channel's `send_window`, which spares customers' evenings and weekends; they leave from {next}: run `ecoute send` again then (or keep it running with --wait)",
                t.postponed
            );
        } else {
            say!("next message due at {next}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_or_plain_http_public_url_is_warned_about() {
        let loopback = link_warnings("http://127.0.0.1:8080");
        assert_eq!(loopback.len(), 2, "{loopback:?}");
        assert!(loopback[0].contains("customers cannot open them"));
        assert!(loopback[1].contains("not https"));
        assert_eq!(link_warnings("http://localhost/").len(), 2);
        assert_eq!(link_warnings("https://[::1]:8443").len(), 1);
        let plain = link_warnings("http://avis.example.fr");
        assert_eq!(plain.len(), 1, "{plain:?}");
        assert!(link_warnings("https://avis.example.fr").is_empty());
    }
}
