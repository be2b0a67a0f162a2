//! `ecoute demo`: the whole loop in one command (see [`crate::demo`]); this file reads the
//! flags, prints the progress and the next commands, and opens the report on request.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::Exit;
use crate::demo::{self, DemoOptions, PROGRAM, SECOND_PERIOD};

/// Arguments of `ecoute demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder of the demo (created; emptied when a previous demo left it)
    #[arg(long, default_value = "ecoute-demo", value_name = "DIR")]
    dir: PathBuf,
    /// Open the HTML report in the default browser at the end
    #[arg(long)]
    open: bool,
    /// Loopback port of the survey form (0: any free port)
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    port: u16,
}

/// Runs the demo and says where its report is and what to try next.
pub async fn run(args: &DemoArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let options = DemoOptions {
        dir: args.dir.clone(),
        port: args.port,
        contacts: demo::population::CONTACTS,
    };
    say!(
        "ecoute demo: two months of the French example program, in {}",
        args.dir.display()
    );
    let summary = demo::run(&options, &|line| say!("  {line}")).await?;
    let [html, markdown, json] = &summary.reports;
    if summary.too_late > 0 {
        say!(
            "  {} answers came after their period closed: the machine was too busy for the respondents to keep up, so this report differs from a quiet run's",
            summary.too_late
        );
    }
    say!(
        "\nDone in {:.0} s: {} emails written to {}, {} answers posted on the survey form, {} unsubscribed.",
        started.elapsed().as_secs_f64(),
        summary.emails,
        args.dir.join("outbox").display(),
        summary.answers,
        summary.unsubscribed
    );
    say!(
        "The report of {SECOND_PERIOD} against {}:\n  {}\n  {}\n  {}",
        demo::FIRST_PERIOD,
        html.display(),
        markdown.display(),
        json.display()
    );
    let ecoute = super::shared::ecoute_command();
    say!(
        "\nNext, try:\n  cd {}\n  {ecoute} status\n  {ecoute} report {PROGRAM} --period {SECOND_PERIOD} --format md\n  {ecoute} cases list\n  {ecoute} calendar",
        args.dir.display()
    );
    if args.open {
        open(html)?;
    }
    Ok(Exit::Success)
}

/// Opens `path` with the desktop's default program; says so when there is none.
fn open(path: &Path) -> anyhow::Result<()> {
    let path = std::path::absolute(path).context("cannot name the report's full path")?;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let opened = Command::new(opener)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if opened.is_err() {
        say!(
            "No browser to open it with ({opener} not found): open {} yourself.",
            path.display()
        );
    }
    Ok(())
}
