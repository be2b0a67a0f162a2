//! `ecoute cases list|show|close`: the follow-up cases opened by alerts, for teams working
//! from the terminal.

use anyhow::Context;
use clap::{Args, Subcommand};
use jiff::Timestamp;

use super::options::StoreArgs;
use super::shared::{find_program, open};
use super::{Exit, Format};
use crate::cases::Case;
use crate::cases::{self, CaseStatus, case_json};
use crate::config::Settings;

/// The `cases` subcommands.
#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// The cases, oldest first, with their status and whether the call-back is overdue
    #[command(
        after_help = "Examples:\n  ecoute cases list\n  ecoute cases list fidelite-clients --overdue --format json"
    )]
    List(ListArgs),
    /// One case: its answers' rule, status, each step's time and the note
    #[command(after_help = "Example:\n  ecoute cases show 12")]
    Show(ShowArgs),
    /// Move a case to its next status (`contacted`, `resolved`, `not_reachable`), with a note
    #[command(
        after_help = "Examples:\n  ecoute cases close 12 --status contacted --note \"Rappelée, livraison reprogrammée\"\n  ecoute cases close 12 --status resolved"
    )]
    Close(CloseArgs),
}

/// Arguments of `ecoute cases list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this program (default: every program in the store)
    program: Option<String>,
    /// Only the open cases past their promised call-back (`respond_within_hours`)
    #[arg(long)]
    overdue: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `ecoute cases show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The case number (from `ecoute cases list`)
    id: i64,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `ecoute cases close`.
#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The case number (from `ecoute cases list`)
    id: i64,
    /// The status to move to: contacted, resolved or not_reachable
    #[arg(long, default_value = "resolved")]
    status: String,
    /// A note kept with the case (replaces the previous one)
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

impl CasesCommand {
    /// The store flags of whichever subcommand was given.
    pub fn store(&self) -> &StoreArgs {
        match self {
            CasesCommand::List(args) => &args.store,
            CasesCommand::Show(args) => &args.store,
            CasesCommand::Close(args) => &args.store,
        }
    }
}

/// Runs one `cases` subcommand.
pub async fn run(command: &CasesCommand, settings: &Settings) -> anyhow::Result<Exit> {
    let store = open(settings).await?;
    let now = Timestamp::now();
    let exit = match command {
        CasesCommand::List(args) => {
            let program = args.program.as_ref().map(|spec| {
                find_program(spec, settings)
                    .map(|p| p.id().to_owned())
                    .unwrap_or_else(|_| spec.clone())
            });
            let listed: Vec<Case> = store
                .cases(program.as_deref())
                .await?
                .into_iter()
                .filter(|c| !args.overdue || cases::is_overdue(c.status, c.due_at, now))
                .collect();
            match args.format {
                Format::Json => say!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "cases": listed.iter().map(|c| case_json(c, now)).collect::<Vec<_>>()
                    }))?
                ),
                Format::Human if listed.is_empty() => say!("no case"),
                Format::Human => {
                    for case in &listed {
                        say!("{}", line(case, now));
                    }
                }
            }
            Exit::Success
        }
        CasesCommand::Show(args) => {
            let case = found(store.case(args.id).await?, args.id)?;
            match args.format {
                Format::Json => say!("{}", serde_json::to_string_pretty(&case_json(&case, now))?),
                Format::Human => {
                    say!("{}", line(&case, now));
                    let step = |name: &str, at: Option<Timestamp>| {
                        if let Some(at) = at {
                            say!("  {name:<14} {at}");
                        }
                    };
                    step("opened", Some(case.opened_at));
                    step("due", Some(case.due_at));
                    step("contacted", case.contacted_at);
                    step("not reachable", case.unreachable_at);
                    step("resolved", case.resolved_at);
                    if let Some(note) = &case.note {
                        say!("  note           {note}");
                    }
                }
            }
            Exit::Success
        }
        CasesCommand::Close(args) => match close(&store, args, now).await? {
            Ok(line) => {
                say!("{line}");
                Exit::Success
            }
            Err(refused) => {
                eprintln!("error: {refused}");
                Exit::Problems
            }
        },
    };
    store.close().await;
    Ok(exit)
}

/// Moves a case; `Ok(Err(why))` when the request itself is wrong (no such case, unknown
/// status, a transition out of order), which exits 1.
async fn close(
    store: &crate::store::Store,
    args: &CloseArgs,
    now: Timestamp,
) -> anyhow::Result<Result<String, String>> {
    let Some(case) = store.case(args.id).await? else {
        return Ok(Err(format!(
            "no case {}; `ecoute cases list` shows the cases",
            args.id
        )));
    };
    let Ok(to) = args.status.parse::<CaseStatus>() else {
        return Ok(Err(format!(
            "unknown status `{}`; use contacted, resolved or not_reachable",
            args.status
        )));
    };
    if let Err(refused) = cases::transition(case.status, to) {
        return Ok(Err(refused.to_string()));
    }
    if !store
        .move_case(case.id, case.status, to, args.note.as_deref(), now)
        .await?
    {
        return Ok(Err(format!(
            "case {} changed while this command ran; look at it again with `ecoute cases show {}`",
            case.id, case.id
        )));
    }
    Ok(Ok(format!("case {}: {} → {to}", case.id, case.status)))
}

/// The case, or an error naming the number.
fn found(case: Option<Case>, id: i64) -> anyhow::Result<Case> {
    case.with_context(|| format!("no case {id}; `ecoute cases list` shows the cases"))
}

/// One line per case: number, status, rule, survey, period and due time.
fn line(case: &Case, now: Timestamp) -> String {
    let overdue = if cases::is_overdue(case.status, case.due_at, now) {
        " OVERDUE"
    } else {
        ""
    };
    format!(
        "#{} {}{overdue}  {} / {} / {}  due {}",
        case.id, case.status, case.rule_id, case.survey_id, case.period, case.due_at
    )
}
