//! Plans one stratified sample over a contact CSV streamed from disk, to profile the sampler
//! alone on large sources (`bench/plan_memory.sh` measures the whole `ecoute plan` CLI).
//!
//! Usage: `plan_csv CONTACTS.csv [SIZE]`. The CSV has a header with `email`, optional
//! `locale`, and any other columns as attributes (numbers typed as numbers, empty cells
//! left out). The sample: `SIZE` (default 1000) contacts stratified by `segment`, at least
//! 20 per segment, filtered on `orders >= 2 and region != "Corse"`. Suppression and
//! fatigue are simulated from the email so that every exclusion rule is exercised.

use std::time::Instant;

use anyhow::{Context, bail};
use ecoute::expr::Expr;
use ecoute::sampling::{Candidate, Draw, Exclusions, Fatigue, SampleScope, SampleSpec, Sampler};
use jiff::{SignedDuration, Timestamp};

/// Stands in for the store: about 1% suppressed, about 7% contacted 10 days ago.
struct SimulatedHistory {
    ten_days_ago: Timestamp,
}

impl SimulatedHistory {
    fn id(email: &str) -> u64 {
        email
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0u64, |id, digit| {
                id.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'))
            })
    }
}

impl Exclusions for SimulatedHistory {
    fn is_suppressed(&self, email: &str) -> bool {
        Self::id(email).is_multiple_of(97)
    }

    fn last_contacted(&self, email: &str) -> Option<Timestamp> {
        Self::id(email)
            .is_multiple_of(13)
            .then_some(self.ten_days_ago)
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        bail!("usage: plan_csv CONTACTS.csv [SIZE]");
    };
    let size = match args.next() {
        Some(size) => size.parse().context("SIZE must be a whole number")?,
        None => 1000,
    };
    let spec = SampleSpec {
        id: "clients".to_owned(),
        filter: Some(Expr::compile(r#"orders >= 2 and region != "Corse""#)?),
        draw: Draw::Size(size),
        strata: vec!["segment".to_owned()],
        min_per_stratum: Some(20),
        seed: 2026,
    };
    let plan_time: Timestamp = "2026-11-02T08:00:00Z".parse()?;
    let history = SimulatedHistory {
        ten_days_ago: plan_time - SignedDuration::from_hours(240),
    };
    let fatigue = Fatigue {
        min_days_between_contacts: 30,
        plan_time,
    };
    let scope = SampleScope::new("fidelite", "livraison", "2026-11");

    let started = Instant::now();
    let mut reader = csv::Reader::from_path(&path).with_context(|| format!("opening {path}"))?;
    let headers = reader.headers()?.clone();
    let Some(email_column) = headers.iter().position(|name| name == "email") else {
        bail!("{path}: no `email` column");
    };
    let locale_column = headers.iter().position(|name| name == "locale");
    let mut sampler = Sampler::new(&spec, &scope, Some(fatigue), &history)?;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        let mut candidate = Candidate {
            email: record.get(email_column).unwrap_or_default().to_owned(),
            ..Candidate::default()
        };
        for (column, (name, value)) in headers.iter().zip(record.iter()).enumerate() {
            if value.is_empty() || column == email_column {
                continue;
            }
            if Some(column) == locale_column {
                candidate.locale = Some(value.to_owned());
                continue;
            }
            let value = match value.parse::<i64>() {
                Ok(number) => serde_json::Value::from(number),
                Err(_) => serde_json::Value::from(value),
            };
            candidate.attributes.insert(name.to_owned(), value);
        }
        sampler.offer(&candidate)?;
    }
    let outcome = sampler.finish()?;
    let elapsed = started.elapsed();

    let summary = serde_json::json!({
        "population": outcome.population,
        "excluded_suppressed": outcome.excluded_suppressed,
        "excluded_fatigue": outcome.excluded_fatigue,
        "excluded_filter": outcome.excluded_filter,
        "filter_missing_attribute": outcome.filter_missing_attribute,
        "eligible": outcome.eligible,
        "drawn": outcome.drawn.len(),
        "per_stratum": outcome.per_stratum,
        "warnings": outcome.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    let rows_per_second = outcome.population as f64 / elapsed.as_secs_f64();
    eprintln!(
        "planned {} rows in {:.2} s ({:.0} rows/s)",
        outcome.population,
        elapsed.as_secs_f64(),
        rows_per_second
    );
    Ok(())
}
