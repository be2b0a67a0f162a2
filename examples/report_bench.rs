//! Bench-only bulk loader for `bench/report.sh`: generates N seeded NPS/CSAT/CES responses
//! over 24 monthly periods (2025-01 … 2026-12), 50 touchpoints (one survey each) and 20
//! segments, and loads them into a store the fast way.
//!
//! Storing 10 M responses one transaction at a time would take hours, so only the first
//! `--raw` responses go through `Store::insert_response` (raw rows + rollups, the real path);
//! the counters of all the others are computed here with the same `store::counters` function
//! and written with `Store::add_rollups`. Every response (raw or not) is also written to a
//! CSV for DuckDB, so both sides see the same data.
//!
//! Usage: report_bench DATABASE_URL RESPONSES RAW CSV_OUT

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use anyhow::Context;
use ecoute::records::{Answer, Attributes, NewResponse};
use ecoute::rollup::{RollupCount, RollupKey, counters};
use ecoute::store::Store;
use jiff::Timestamp;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PERIODS: usize = 24;
const TOUCHPOINTS: usize = 50;
const SEGMENTS: usize = 20;
/// Questions per survey: (id, lowest value, highest value).
const QUESTIONS: [(&str, u8, u8); 3] = [("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7)];

fn period(i: usize) -> String {
    format!("{}-{:02}", 2025 + i / 12, 1 + i % 12)
}

/// Compact counter identity: period, touchpoint, segment (0 = all), question (0 = count),
/// value.
type Compact = (u8, u8, u8, u8, u8);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, total, raw, csv_path] = args.as_slice() else {
        anyhow::bail!("usage: report_bench DATABASE_URL RESPONSES RAW CSV_OUT");
    };
    let total: u64 = total.parse().context("RESPONSES is a number")?;
    let raw: u64 = raw.parse().context("RAW is a number")?;
    let store = Store::open(url).await?;
    let mut csv = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(csv_path).context("cannot create the CSV")?,
    );
    writeln!(csv, "period,touchpoint,segment,nps,csat,ces")?;
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut compact: HashMap<Compact, u64> = HashMap::new();
    let started = std::time::Instant::now();
    for i in 0..total {
        let p = rng.random_range(0..PERIODS);
        let t = rng.random_range(0..TOUCHPOINTS);
        let s = rng.random_range(0..SEGMENTS);
        // Skewed like real answers: more high scores than low ones.
        let values: Vec<u8> = QUESTIONS
            .iter()
            .map(|&(_, lo, hi)| {
                let a = rng.random_range(lo..=hi);
                let b = rng.random_range(lo..=hi);
                a.max(b)
            })
            .collect();
        writeln!(
            csv,
            "{},tp{:02},s{:02},{},{},{}",
            period(p),
            t + 1,
            s + 1,
            values[0],
            values[1],
            values[2]
        )?;
        if i < raw {
            let mut respondent = Attributes::new();
            respondent.insert("segment".into(), format!("s{:02}", s + 1).into());
            let response = NewResponse {
                invitation_id: None,
                program_id: "bench".into(),
                survey_id: format!("tp{:02}", t + 1),
                touchpoint_id: Some(format!("tp{:02}", t + 1)),
                channel: "email".into(),
                period: period(p),
                submitted_at: Timestamp::UNIX_EPOCH,
                email: None,
                respondent: Some(respondent),
                external_id: Some(format!("bench-{i}")),
                answers: QUESTIONS
                    .iter()
                    .zip(&values)
                    .map(|(&(q, _, _), &v)| Answer {
                        question_id: q.into(),
                        ordinal: 0,
                        num_value: Some(f64::from(v)),
                        choice: None,
                        text_value: None,
                    })
                    .collect(),
                cases: Vec::new(),
                version: None,
            };
            store.insert_response(&response).await?;
            continue;
        }
        for segment in [0, s as u8 + 1] {
            *compact
                .entry((p as u8, t as u8, segment, 0, 0))
                .or_default() += 1;
            for (q, v) in values.iter().enumerate() {
                *compact
                    .entry((p as u8, t as u8, segment, q as u8 + 1, *v))
                    .or_default() += 1;
            }
        }
    }
    csv.flush()?;
    eprintln!(
        "generated {total} responses ({raw} through insert_response) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Cross-check: the compact keys match what the real path computes for one response.
    let probe = counters(&NewResponse {
        invitation_id: None,
        program_id: "bench".into(),
        survey_id: "tp01".into(),
        touchpoint_id: Some("tp01".into()),
        channel: "email".into(),
        period: period(0),
        submitted_at: Timestamp::UNIX_EPOCH,
        email: None,
        respondent: Some(Attributes::from_iter([(
            "segment".to_owned(),
            "s01".into(),
        )])),
        external_id: None,
        answers: Vec::new(),
        cases: Vec::new(),
        version: None,
    });
    anyhow::ensure!(
        probe.len() == 2,
        "the counter layout changed: update this loader"
    );
    let rows: Vec<RollupCount> = compact
        .into_iter()
        .map(|((p, t, s, q, v), n)| RollupCount {
            key: RollupKey {
                program_id: "bench".into(),
                period: period(usize::from(p)),
                segment: if s == 0 {
                    String::new()
                } else {
                    "segment".into()
                },
                segment_value: if s == 0 {
                    String::new()
                } else {
                    format!("s{s:02}")
                },
                survey_id: format!("tp{:02}", t + 1),
                touchpoint_id: format!("tp{:02}", t + 1),
                channel: "email".into(),
                question_id: if q == 0 {
                    String::new()
                } else {
                    QUESTIONS[usize::from(q) - 1].0.into()
                },
                value: v,
            },
            n,
        })
        .collect();
    let started = std::time::Instant::now();
    store.add_rollups(&rows).await?;
    eprintln!(
        "wrote {} counters in {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}
