//! Prepares and checks the response-ingest benchmark (see `bench/ingest.sh`).
//!
//! Usage:
//! - `ingest_setup invite DATABASE_URL PROGRAM.yaml COUNT TOKENS_FILE`: materialises one
//!   wave of COUNT invitations to the program's first survey in the current period, gives
//!   each a link token, and writes one line per invitation: `TOKEN FORM_KEY`.
//! - `ingest_setup count DATABASE_URL`: prints how many responses the store holds.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use ecoute::program::CheckContext;
use ecoute::records::{Attributes, NewInvitation, WaveKey, WavePlan};
use ecoute::store::Store;
use ecoute::templates::Templates;
use ecoute::token::LinkSecret;
use jiff::Timestamp;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["invite", url, program, count, tokens] => {
            let count: usize = count.parse().context("COUNT must be a number")?;
            invite(url, Path::new(program), count, Path::new(tokens)).await
        }
        ["count", url] => {
            let store = Store::open(url).await?;
            println!("{}", store.count_responses().await?);
            Ok(())
        }
        _ => bail!(
            "usage: ingest_setup invite DATABASE_URL PROGRAM.yaml COUNT TOKENS_FILE | ingest_setup count DATABASE_URL"
        ),
    }
}

async fn invite(url: &str, program: &Path, count: usize, tokens: &Path) -> anyhow::Result<()> {
    let context = CheckContext {
        templates: Templates::new(None),
    };
    let program = ecoute::program::load(program, &context)
        .map_err(|problems| anyhow::anyhow!("the program has {} problem(s)", problems.len()))?;
    let survey = program
        .file
        .surveys
        .first()
        .context("the program has no survey")?;
    let period = program.calendar().resolve_period(None, Timestamp::now())?;
    let store = Store::open(url).await?;
    let key = WaveKey {
        program_id: program.id().to_owned(),
        survey_id: survey.id.to_string(),
        channel_id: survey
            .channels
            .first()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        period: period.to_string(),
        wave: 1,
    };
    let plan = WavePlan {
        sample_id: "bench".to_owned(),
        seed: 0,
        program_sha256: Some(program.sha256.clone()),
        planned_at: Timestamp::now(),
    };
    let invitations: Vec<NewInvitation> = (0..count)
        .map(|i| NewInvitation {
            email: format!("bench{i:08}@example.org"),
            locale: Some("fr".to_owned()),
            contact_data: Attributes::new(),
            due_at: Timestamp::now(),
        })
        .collect();
    let wave = store.materialise_wave(&key, &plan, &invitations).await?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    let secret = LinkSecret::from_bytes(secret);
    let mut out = std::io::BufWriter::new(std::fs::File::create(tokens)?);
    let mut hashes = Vec::with_capacity(count);
    for invitation in store.wave_invitations(wave.wave_id).await? {
        let token = secret.invitation_token(invitation.id);
        hashes.push((invitation.id, token.hash()));
        writeln!(
            out,
            "{} {}",
            token.as_str(),
            ecoute::collect::form_key(token.as_str())
        )?;
    }
    for chunk in hashes.chunks(10_000) {
        store.set_token_hashes(chunk).await?;
    }
    out.flush()?;
    store.close().await;
    eprintln!(
        "{} invitations to {}/{} in {}; tokens in {}",
        hashes.len(),
        key.program_id,
        key.survey_id,
        key.period,
        tokens.display()
    );
    Ok(())
}
