//! `ecoute status`: the outbox, per wave, with its responses and the last errors; times in
//! each program's time zone.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::count::count;
use super::options::{StoreArgs, TemplatesArgs};
use super::shared::{find_program, local_rfc3339, local_time, open};
use super::{Exit, Format};
use crate::cases::ALERT_CHANNEL;
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
    let ids: BTreeSet<&str> = waves.iter().map(|w| w.program_id.as_str()).collect();
    let now = Timestamp::now();
    let mut programs = BTreeMap::new();
    for id in ids {
        let zone = program_zone(id, settings);
        let next_due = store.pending(id, now).await?.next_due;
        programs.insert(id, (zone, next_due));
    }
    store.close().await;
    let zone_of = |id: &str| {
        programs.get(id).map_or(TimeZone::UTC, |(zone, _)| {
            zone.clone().unwrap_or(TimeZone::UTC)
        })
    };
    match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "programs": programs.iter().map(|(id, (zone, next_due))| serde_json::json!({
                    "program": id,
                    "time_zone": zone.as_ref().map(|z| z.iana_name().unwrap_or("UTC")),
                    "next_due": next_due.map(|t| local_rfc3339(t, &zone_of(id))),
                })).collect::<Vec<_>>(),
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
                    "first_sent": w.sent_between.map(|(first, _)| local_rfc3339(first, &zone_of(&w.program_id))),
                    "last_sent": w.sent_between.map(|(_, last)| local_rfc3339(last, &zone_of(&w.program_id))),
                })).collect::<Vec<_>>(),
                "last_errors": failures.iter().map(|f| serde_json::json!({
                    "program": f.program_id,
                    "invitation": f.invitation_id,
                    "email": f.email,
                    "message": f.message,
                    "state": f.state,
                    "reason": f.reason,
                    "detail": f.detail,
                    "smtp_code": f.smtp_code,
                    "at": local_rfc3339(f.at, &zone_of(&f.program_id)),
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
            for (id, (zone, next_due)) in &programs {
                let zone_name = match zone {
                    Some(zone) => zone.iana_name().unwrap_or("UTC").to_owned(),
                    None => format!("UTC: no valid program file `{id}` in programs/"),
                };
                let due = match next_due {
                    Some(at) if *at <= now => {
                        format!("messages due since {}", local_time(*at, &zone_of(id)))
                    }
                    Some(at) => format!("next message due at {}", local_time(*at, &zone_of(id))),
                    None => "nothing left to send".to_owned(),
                };
                say!("{id} (times in {zone_name}): {due}");
            }
            // Alerts to staff are one wave per case: one line per survey and period says
            // how many left, instead of a line per detractor.
            let mut alerts: BTreeMap<(&str, &str, &str), BTreeMap<&str, u64>> = BTreeMap::new();
            for w in waves.iter().filter(|w| w.wave.channel_id == ALERT_CHANNEL) {
                let key = (
                    w.program_id.as_str(),
                    w.wave.survey_id.as_str(),
                    w.wave.period.as_str(),
                );
                let states = alerts.entry(key).or_default();
                for (state, n) in &w.states {
                    *states.entry(state.as_str()).or_default() += n;
                }
            }
            for ((program, survey, period), states) in &alerts {
                let total: u64 = states.values().sum();
                let states: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
                say!(
                    "{program} · {survey} · alerts to staff · {period}: {} ({})",
                    count(total, "alert"),
                    states.join(", ")
                );
            }
            for w in waves.iter().filter(|w| w.wave.channel_id != ALERT_CHANNEL) {
                let states: Vec<String> =
                    w.states.iter().map(|(s, n)| format!("{s} {n}")).collect();
                let zone = zone_of(&w.program_id);
                say!(
                    "{} · {} · {} · {} wave {}: {} · responses {} ({}) · unsubscribed {} · bounced {} · reminders sent {}{}{}",
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
                    },
                    match w.sent_between.map(|(first, last)| {
                        (local_time(first, &zone), local_time(last, &zone))
                    }) {
                        Some((first, last)) if first == last => format!(" · sent {first}"),
                        Some((first, last)) => format!(" · sent from {first} to {last}"),
                        None => String::new(),
                    }
                );
            }
            if !failures.is_empty() {
                say!("\nLast errors:");
                for f in &failures {
                    say!(
                        "  {} {} #{} ({}): {}{}",
                        local_time(f.at, &zone_of(&f.program_id)),
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

/// The time zone of a program, read from its file (the store keeps none); `None` when no
/// valid file of that id is found, and times are then shown in UTC.
fn program_zone(id: &str, settings: &Settings) -> Option<TimeZone> {
    find_program(id, settings)
        .ok()
        .map(|program| program.calendar().zone().clone())
}
