//! `ecoute responses import` in batches of thousands of rows per transaction: a bad row in
//! the middle of a batch is rejected alone with its line, `--strict` stores nothing, and a
//! `kill -9` during a large import loses no committed batch; the re-import by `response_id`
//! then leaves exactly one copy of each answer, with rollup counters equal to a hand count
//! of the file.

use std::time::{Duration, Instant};

use ecoute::rollup::RollupCount;
use ecoute::store::Store;

use crate::harness::{Project, finished, signal};
use crate::support::{TestDb, both_backends};

/// The period every generated row falls in.
const PERIOD: &str = "2026-11";

/// Row `i` of a generated file: response id `r{i}`, NPS `i % 11`, a verbatim on every
/// seventh row, region `nord` on even rows and `sud` on odd ones.
fn row(i: usize) -> String {
    let why = if i.is_multiple_of(7) { "trop lent" } else { "" };
    let region = if i.is_multiple_of(2) { "nord" } else { "sud" };
    format!("2026-11-{:02},r{i},{},{why},{region}\n", 1 + i % 28, i % 11)
}

const HEADER: &str = "submitted_at,response_id,recommandation,pourquoi,region\n";

fn project(db: TestDb) -> Project {
    Project::new()
        .program("essai", &crate::safety_data::program_with_verbatim())
        .contacts("email\n")
        .database(db)
}

fn import<'p>(project: &'p Project, file: &str) -> crate::harness::Run<'p> {
    project.args([
        "responses",
        "import",
        "--program",
        "essai",
        "--survey",
        "livraison",
        "--no-alerts",
        file,
    ])
}

/// The counters of all respondents of the period, as `(question, value) -> n`.
async fn counters(store: &Store, segment: &str) -> Vec<RollupCount> {
    store
        .rollups("essai", &[PERIOD.to_owned()], segment)
        .await
        .expect("rollups")
}

/// `n` of the counter for `question` (`""` = the response count) and `value`, in `segment`
/// (`""` = all respondents) with value `segment_value`.
fn counter(counts: &[RollupCount], segment_value: &str, question: &str, value: u8) -> u64 {
    counts
        .iter()
        .filter(|c| {
            c.key.segment_value == segment_value
                && c.key.question_id == question
                && c.key.value == value
        })
        .map(|c| c.n)
        .sum()
}

/// Checks the response count and every NPS counter of all respondents, and the response
/// count of the `region` segment, against a count of the rows `0..rows` made by [`row`],
/// leaving out `skipped`.
async fn assert_counters_match_the_file(store: &Store, rows: usize, skipped: &[usize]) {
    let kept: Vec<usize> = (0..rows).filter(|i| !skipped.contains(i)).collect();
    let all = counters(store, "").await;
    assert_eq!(counter(&all, "", "", 0), kept.len() as u64, "responses");
    for value in 0..=10u8 {
        // NPS value v is on the kept rows i with i % 11 == v.
        let by_hand = kept
            .iter()
            .filter(|&&i| i % 11 == usize::from(value))
            .count();
        assert_eq!(
            counter(&all, "", "recommandation", value),
            by_hand as u64,
            "NPS {value}"
        );
    }
    let regions = counters(store, "region").await;
    // Even rows are `nord`, odd rows `sud`.
    let nord = kept.iter().filter(|&&i| i.is_multiple_of(2)).count() as u64;
    assert_eq!(counter(&regions, "nord", "", 0), nord, "nord");
    assert_eq!(
        counter(&regions, "sud", "", 0),
        kept.len() as u64 - nord,
        "sud"
    );
}

both_backends!(a_bad_row_in_the_middle_of_a_batch_is_rejected_alone);
async fn a_bad_row_in_the_middle_of_a_batch_is_rejected_alone(db: TestDb) {
    // 7,000 rows: the first batch holds rows 0..5,000, so row 2,500 (file line 2,502: the
    // header is line 1 and row i is line i + 2) sits in the middle of it.
    let rows = 7_000;
    let bad = 2_500;
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        if i == bad {
            csv.push_str(&format!("2026-11-03,r{i},11,,nord\n"));
        } else {
            csv.push_str(&row(i));
        }
    }
    let s = project(db);
    s.write("gros.csv", &csv);

    import(&s, "gros.csv")
        .args(["--strict"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("line 2502: `recommandation`: `11`")
        .stdout_has("nothing imported (--strict)");
    let store = s.store().await;
    assert!(
        store
            .survey_responses("essai", "livraison")
            .await
            .expect("responses")
            .is_empty(),
        "--strict stores nothing when a row is bad"
    );

    import(&s, "gros.csv")
        .run()
        .status(1)
        .no_panic()
        .stderr_has("line 2502: `recommandation`: `11`")
        .stdout_has("7000 rows read: 6999 responses imported, 0 already imported, 1 rejected");
    let stored = store
        .survey_responses("essai", "livraison")
        .await
        .expect("responses");
    assert_eq!(stored.len(), rows - 1);
    let ids: std::collections::HashSet<&str> = stored
        .iter()
        .filter_map(|r| r.external_id.as_deref())
        .collect();
    assert!(
        ids.contains("r2499") && ids.contains("r2501"),
        "neighbours stored"
    );
    assert!(!ids.contains("r2500"), "the bad row is not stored");
    assert!(
        ids.contains("r0") && ids.contains("r6999"),
        "first and last stored"
    );
    assert_counters_match_the_file(&store, rows, &[bad]).await;

    // The same file again: every good row is already there, nothing is counted twice.
    import(&s, "gros.csv")
        .run()
        .status(1)
        .stdout_has("6999 already imported");
    assert_counters_match_the_file(&store, rows, &[bad]).await;
}

both_backends!(a_kill_9_during_a_batched_import_loses_no_batch_and_the_reimport_completes_it);
async fn a_kill_9_during_a_batched_import_loses_no_batch_and_the_reimport_completes_it(db: TestDb) {
    let rows = 60_000;
    let mut csv = String::with_capacity(rows * 40);
    csv.push_str(HEADER);
    for i in 0..rows {
        csv.push_str(&row(i));
    }
    let s = project(db);
    s.write("enorme.csv", &csv);
    // Migrate first, so the store the test polls exists before the import starts.
    let store = s.store().await;

    let child = import(&s, "enorme.csv").spawn();
    let started = Instant::now();
    let mut stored_before_kill = 0;
    while started.elapsed() < Duration::from_secs(120) {
        stored_before_kill = counter(&counters(&store, "").await, "", "", 0);
        if stored_before_kill > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&child, "-KILL");
    let killed = finished(child);
    assert!(
        stored_before_kill > 0,
        "a batch was committed before the kill: {}",
        killed.stderr()
    );
    let after_kill = counter(&counters(&store, "").await, "", "", 0);
    assert!(
        after_kill < rows as u64,
        "the import was killed mid-way ({after_kill} of {rows} stored)"
    );
    // Batches commit whole: what survived is a whole number of 5,000-row batches, and the
    // responses table agrees with the response counter.
    assert_eq!(after_kill % 5_000, 0, "{after_kill} is whole batches");
    let kept = store
        .survey_responses("essai", "livraison")
        .await
        .expect("responses");
    assert_eq!(kept.len() as u64, after_kill);

    let ran = import(&s, "enorme.csv").success();
    ran.stdout_has(&format!(
        "{} responses imported, {after_kill} already imported, 0 rejected",
        rows as u64 - after_kill
    ));
    let stored = store
        .survey_responses("essai", "livraison")
        .await
        .expect("responses");
    assert_eq!(stored.len(), rows, "exactly one copy of each answer");
    let ids: std::collections::HashSet<&str> = stored
        .iter()
        .filter_map(|r| r.external_id.as_deref())
        .collect();
    assert_eq!(ids.len(), rows, "every response_id once");
    assert_counters_match_the_file(&store, rows, &[]).await;
    // A rebuild reads the responses a page at a time (several pages here) and writes each
    // page's counters: the pages add up to the same counters.
    let rebuilt = store.rebuild_rollups().await.expect("rebuild");
    assert_eq!(rebuilt.responses, rows as u64);
    // All respondents, `nord` and `sud`: each a response count and NPS values 0 to 10.
    assert_eq!(rebuilt.counters, 3 * (1 + 11), "counters written once each");
    assert_counters_match_the_file(&store, rows, &[]).await;
}

/// A file whose header has no date column is refused before anything is stored: the error
/// says what to add, and the default SQLite file is not even created.
#[test]
fn a_file_without_a_date_column_touches_no_database() {
    let s = Project::new()
        .program("essai", &crate::safety_data::program_with_verbatim())
        .contacts("email\n");
    s.write("sans-date.csv", "response_id,recommandation\nr1,9\n");
    import(&s, "sans-date.csv")
        .run()
        .no_panic()
        .status(2)
        .stderr_has("no `submitted_at` column");
    assert!(!s.join("ecoute.db").exists(), "no database created");
}
