//! `ecoute status`: the outbox, per wave, with the last errors.

use clap::Args;

use super::options::{StoreArgs, TemplatesArgs};
use super::shared::{find_program, open};
use super::{Exit, Format};
use crate::config::Settings;

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
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
}

/// Shows the outbox.
pub async fn run(args: &StatusArgs, settings: &Settings) -> anyhow::Result<Exit> {
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
                    "sent": w.sent,
                    "responses": w.responses,
                    "response_rate": w.response_rate(),
                    "unsubscribed": w.unsubscribed,
                    "bounced": w.bounced,
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
                    "{} · {} · {} · {} wave {}: {} · responses {} ({}) · unsubscribed {} · bounced {} · reminders sent {}{}",
                    w.program_id,
                    w.wave.survey_id,
                    w.wave.channel_id,
                    w.wave.period,
                    w.wave.wave,
                    states.join(", "),
                    w.responses,
                    w.response_rate()
                        .map_or("no invitation sent yet".to_owned(), |r| format!(
                            "{} % of sent",
                            (r * 100.0).round()
                        )),
                    w.unsubscribed,
                    w.bounced,
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
    Ok(Exit::Success)
}
