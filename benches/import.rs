//! Contact import speed: generates a CSV of N contacts (1,000,000 by default, or the first
//! argument) the way a CRM export looks (`;`-separated, accents, typed attributes), imports it
//! into a fresh SQLite store, then imports it again (every row an update), and prints
//! contacts per second. Run with `cargo bench --bench import [-- ROWS]` or `bench/import.sh`.

use std::io::{BufWriter, Write};
use std::time::Instant;

use ecoute::contacts::{self, ImportOptions, parse};
use ecoute::store::Store;

const FIRST: [&str; 8] = [
    "Jean", "Hélène", "Zoé", "Marc", "Amélie", "Éric", "Chloé", "Luc",
];
const LAST: [&str; 6] = ["Dupont", "Lefèvre", "Martin", "Bernard", "Faure", "Girard"];
const SEGMENTS: [&str; 4] = ["B2C", "B2B", "PME", "Grands comptes"];
const REGIONS: [&str; 5] = ["IDF", "PACA", "ARA", "Bretagne", "Occitanie"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("import benchmark skipped: run it with `cargo bench --bench import`");
        return Ok(());
    }
    let rows: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("contacts.csv");

    let started = Instant::now();
    let mut out = BufWriter::new(std::fs::File::create(&csv)?);
    writeln!(
        out,
        "email;first_name;last_name;locale;segment;region;orders;basket;last_purchase;vip"
    )?;
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..rows {
        // xorshift: the same file on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pick = |n: usize, shift: u32| (state >> shift) as usize % n;
        writeln!(
            out,
            "client{i:07}@example{}.fr;{};{};fr;{};{};{};{},{:02};2026-{:02}-{:02};{}",
            pick(50, 3),
            FIRST[pick(FIRST.len(), 7)],
            LAST[pick(LAST.len(), 11)],
            SEGMENTS[pick(SEGMENTS.len(), 15)],
            REGIONS[pick(REGIONS.len(), 19)],
            pick(40, 23),
            pick(500, 29),
            pick(100, 37),
            1 + pick(12, 41),
            1 + pick(28, 45),
            if pick(2, 51) == 0 { "oui" } else { "non" },
        )?;
    }
    out.flush()?;
    drop(out);
    let size = std::fs::metadata(&csv)?.len();
    println!(
        "generated {rows} rows ({:.1} MB) in {:.2} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut input = std::io::BufReader::new(std::fs::File::open(&csv)?);
    let dialect = parse::sniff(&mut input, None, None)?;
    let mut parsed = parse::ContactRows::new(
        parse::DecodeReader::new(input, dialect.encoding),
        dialect.delimiter,
    )?;
    let mut good = 0u64;
    while let Some(row) = parsed.next_row() {
        good += u64::from(row.is_ok());
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "parse only (no database): {good} rows in {seconds:.2} s = {:.0} rows/s",
        good as f64 / seconds
    );

    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&url).await?;
    let options = ImportOptions::default();
    for pass in ["first import (inserts)", "second import (updates)"] {
        let started = Instant::now();
        let summary = contacts::import_file(&store, &csv, &options).await?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{pass}: {} inserted, {} updated, {} rejected in {seconds:.2} s = {:.0} contacts/s",
            summary.inserted,
            summary.updated,
            summary.rejected,
            summary.rows as f64 / seconds
        );
    }
    store.close().await;
    Ok(())
}
