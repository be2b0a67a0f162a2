//! `ecoute calls export`: the call list of a phone (or interview, mail) channel's wave, in
//! the shape `ecoute responses import` reads back.

use std::collections::BTreeSet;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Exit;
use super::options::{OutputArgs, SurveyArgs};
use super::shared::{find_program, open, write_csv};
use crate::config::Settings;
use crate::program::model::ChannelType;
use crate::responses;

/// `ecoute calls` subcommands.
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// Write the call list of a phone channel's wave, ready to be filled in and imported
    #[command(
        after_help = "Example:\n  ecoute calls export --program fidelite-clients --survey centre-contacts --channel relance-telephone --period 2026-11 -o appels.csv"
    )]
    Export(CallsArgs),
}

/// Arguments of `ecoute calls export`.
#[derive(Debug, Args)]
pub struct CallsArgs {
    #[command(flatten)]
    survey: SurveyArgs,
    /// The phone (or interview, mail) channel of the survey
    #[arg(long)]
    channel: String,
    /// Period of the wave (default: the current one)
    #[arg(long)]
    period: Option<String>,
    /// Wave number within the period
    #[arg(long, default_value_t = 1)]
    wave: u32,
    #[command(flatten)]
    output: OutputArgs,
}

impl CallsCommand {
    /// The setting flags of whichever subcommand was given.
    pub fn settings(&self) -> &SurveyArgs {
        let CallsCommand::Export(args) = self;
        &args.survey
    }
}

/// Runs a `calls` subcommand.
pub async fn run(command: &CallsCommand, settings: &Settings) -> anyhow::Result<Exit> {
    let CallsCommand::Export(args) = command;
    let program = find_program(&args.survey.program, settings)?;
    let survey = responses::find_survey(&program, &args.survey.survey)?;
    let channel = program
        .file
        .channels
        .iter()
        .find(|c| *c.id == args.channel)
        .filter(|c| survey.channels.iter().any(|s| **s == *c.id))
        .with_context(|| {
            format!(
                "survey `{}` has no channel `{}`; its channels are: {}",
                survey.id.as_str(),
                args.channel,
                survey
                    .channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    if !matches!(
        *channel.kind,
        ChannelType::Phone | ChannelType::Interview | ChannelType::Mail | ChannelType::Audit
    ) {
        anyhow::bail!(
            "channel `{}` is not an offline channel (phone, interview, mail or audit): ecoute sends its invitations itself",
            args.channel
        );
    }
    let period = program
        .calendar()
        .resolve_period(args.period.as_deref(), jiff::Timestamp::now())?;
    let store = open(settings).await?;
    let entries = store
        .call_list(
            program.id(),
            &survey.id,
            &args.channel,
            &period.to_string(),
            args.wave,
        )
        .await?;
    if entries.is_empty() {
        anyhow::bail!(
            "no wave {} of `{}` on `{}` in {period}: run `ecoute plan {} --period {period} --commit` first",
            args.wave,
            survey.id.as_str(),
            args.channel,
            program.id()
        );
    }
    let fields: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| e.contact_data.as_ref())
        .flat_map(|d| d.keys().cloned())
        .filter(|k| k != "email")
        .collect();
    let mut header: Vec<String> = ["response_id", "submitted_at", "email", "channel"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    header.extend(survey.questions.iter().map(|q| q.id.to_string()));
    header.extend(fields.iter().cloned());
    let mut records = vec![header];
    for e in entries.iter().filter(|e| e.email.is_some()) {
        let mut record = vec![
            format!("call-{}", e.invitation_id),
            String::new(),
            responses::protect_cell(e.email.as_deref().unwrap_or_default()).into_owned(),
            args.channel.clone(),
        ];
        record.extend(survey.questions.iter().map(|_| String::new()));
        for f in &fields {
            let value = e.contact_data.as_ref().and_then(|d| d.get(f));
            record.push(value.map(responses::attribute_cell).unwrap_or_default());
        }
        records.push(record);
    }
    write_csv(args.output.output.as_deref(), &records)?;
    if let Some(path) = &args.output.output {
        eprintln!(
            "{} people to call written to {}",
            records.len() - 1,
            path.display()
        );
    }
    Ok(Exit::Success)
}
