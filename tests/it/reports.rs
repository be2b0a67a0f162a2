//! Offline answers by CSV, rollups and reports, end to end through the real binary; the
//! expected KPIs are computed here from the answers, never by ecoute's code.

use std::process::Command;

use ecoute::records::{Answer, Attributes, NewResponse};
use ecoute::store::Store;
use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::harness::{Project, Run, repo_path};
use crate::support::{TestDb, both_backends};

/// z₀.₉₇₅, the two-sided 95 % normal quantile, from a table.
const Z95: f64 = 1.959_963_984_540_054;

/// `ecoute report` of the example program for `period`, with `extra` arguments.
pub(crate) fn run_report<'p>(project: &'p Project, period: &str, extra: &[&str]) -> Run<'p> {
    project
        .args(["report", "fidelite-clients", "--period", period])
        .args(extra)
}

/// The JSON report of `period` (with `extra` arguments), which must succeed.
pub(crate) fn report_json(project: &Project, period: &str, extra: &[&str]) -> Value {
    run_report(project, period, extra)
        .args(["--format", "json"])
        .success()
        .json()
}

/// `ecoute responses import` of a CSV file into `survey` of the example program.
pub(crate) fn import<'p>(project: &'p Project, survey: &str, file: &str) -> Run<'p> {
    project.args([
        "responses",
        "import",
        "--program",
        "fidelite-clients",
        "--survey",
        survey,
        file,
    ])
}

/// Rows `(date, nps, stars, region)` repeated `count` times, numbered from `first`.
fn delivery_rows(out: &mut String, first: &mut u32, spec: &[(&str, u8, u8, &str, u32)]) {
    for (date, nps, stars, region, count) in spec {
        for _ in 0..*count {
            *first += 1;
            let why = if *nps <= 6 {
                "\"Livraison en retard, livreur pas aimable\""
            } else {
                ""
            };
            out.push_str(&format!("{date},d{first},{nps},{stars},{why},{region}\n"));
        }
    }
}

/// October: NPS 20×10, 10×8, 10×3 and stars 30×5, 10×2; November: 35×9, 5×7, 10×0 and
/// stars 45×4, 5×1. Regions: IDF for the promoters, Nord for the others.
fn delivery_csv() -> String {
    let mut csv =
        String::from("submitted_at,response_id,recommandation,satisfaction,pourquoi,region\n");
    let mut n = 0;
    delivery_rows(
        &mut csv,
        &mut n,
        &[
            ("2026-10-03", 10, 5, "IDF", 20),
            ("2026-10-10", 8, 5, "Nord", 10),
            ("2026-10-20T18:00:00+02:00", 3, 2, "Nord", 10),
            ("2026-11-02", 9, 4, "IDF", 35),
            ("2026-11-15", 7, 4, "Nord", 5),
            ("2026-11-30T23:59:00+01:00", 0, 4, "Nord", 5),
            ("2026-11-29", 0, 1, "Nord", 5),
        ],
    );
    csv
}

/// October: FCR 24 yes of 30, effort 7×10, 5×10, 3×10; November: 27 of 30, effort 7×15, 5×15.
fn contact_centre_csv() -> String {
    let mut csv = String::from("submitted_at;channel;response_id;resolu;effort\n");
    let mut n = 0;
    let mut rows = |date: &str, yes: bool, effort: u8, count: u32| {
        for _ in 0..count {
            n += 1;
            let yes = if yes { "oui" } else { "non" };
            csv.push_str(&format!("{date};relance-telephone;c{n};{yes};{effort}\n"));
        }
    };
    rows("2026-10-05", true, 7, 10);
    rows("2026-10-06", true, 5, 10);
    rows("2026-10-07", true, 3, 4);
    rows("2026-10-07", false, 3, 6);
    rows("2026-11-05", true, 7, 15);
    rows("2026-11-06", true, 5, 12);
    rows("2026-11-06", false, 5, 3);
    csv
}

pub(crate) fn row<'a>(report: &'a Value, group: &str, kpi: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["group"] == group && r["kpi"] == kpi))
        .unwrap_or_else(|| panic!("no row {group}/{kpi} in {report:#}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

fn close(v: &Value, expected: f64) {
    assert!((num(v) - expected).abs() < 1e-9, "{v} is not {expected}");
}

pub(crate) fn imported(s: &Project) {
    s.write("livraison.csv", delivery_csv());
    s.write("appels.csv", contact_centre_csv());
    import(s, "livraison", "livraison.csv")
        .success()
        .stdout_has("90 responses imported");
    import(s, "centre-contacts", "appels.csv")
        .success()
        .stdout_has("60 responses imported");
}

#[test]
fn two_periods_imported_by_csv_give_the_expected_report() {
    let s = Project::example();
    imported(&s);
    let report = report_json(&s, "2026-11", &[]);

    // The stamp: the program file's hash, Paris bounds, responses counted.
    let program = std::fs::read(s.join("programs/fidelite-clients.yaml")).expect("program");
    let sha: String = Sha256::digest(&program)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stamp = &report["stamp"];
    assert_eq!(stamp["program_sha256"], sha.as_str());
    assert_eq!(stamp["period"], "2026-11");
    assert_eq!(stamp["period_start"], "2026-11-01T00:00:00+01:00");
    assert_eq!(stamp["period_end"], "2026-12-01T00:00:00+01:00");
    assert_eq!(stamp["vs_period"], "2026-10");
    assert_eq!(stamp["vs_start"], "2026-10-01T00:00:00+02:00");
    assert_eq!(stamp["responses"], 80);
    assert_eq!(stamp["prev_responses"], 70);
    assert_eq!(stamp["responses_digest"].as_str().map(str::len), Some(64));

    // Exactly the long-form fields.
    let fields: Vec<&str> = report["rows"][0]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut expected = vec![
        "ci95_high",
        "ci95_low",
        "delta",
        "group",
        "group_by",
        "kpi",
        "moe95",
        "source",
        "n",
        "note",
        "p_value",
        "prev_n",
        "prev_value",
        "significance",
        "target",
        "target_status",
        "value",
        "wording_changed",
    ];
    expected.sort_unstable();
    let mut fields_sorted = fields.clone();
    fields_sorted.sort_unstable();
    assert_eq!(fields_sorted, expected);

    // NPS livraison: November p+ = 35/50, p− = 10/50; October p+ = 20/40, p− = 10/40.
    let nps = row(&report, "livraison", "nps");
    let (p1, m1, p2, m2) = (35.0 / 50.0, 10.0 / 50.0, 20.0 / 40.0, 10.0 / 40.0);
    let v1: f64 = p1 + m1 - (p1 - m1) * (p1 - m1);
    let v2: f64 = p2 + m2 - (p2 - m2) * (p2 - m2);
    assert_eq!(nps["group_by"], "touchpoint");
    assert_eq!(nps["source"], "survey");
    assert_eq!(nps["n"], 50);
    close(&nps["value"], 50.0);
    // Adjusted-Wald (Rocks 2016): n′ = 53, p₊′ = 35.75/53, p₋′ = 10.75/53, centred on
    // NPS′ = 25/53, half-width 100 · z · √((p₊′ + p₋′ − NPS′²)/n′).
    let (pa, ma): (f64, f64) = (35.75 / 53.0, 10.75 / 53.0);
    let half = 100.0 * Z95 * ((pa + ma - (pa - ma).powi(2)) / 53.0).sqrt();
    close(&nps["ci95_low"], 100.0 * (pa - ma) - half);
    close(&nps["ci95_high"], 100.0 * (pa - ma) + half);
    close(&nps["moe95"], half);
    assert_eq!(nps["prev_n"], 40);
    close(&nps["prev_value"], 25.0);
    close(&nps["delta"], 25.0);
    let z = 0.25 / (v1 / 50.0 + v2 / 40.0).sqrt();
    close(&nps["p_value"], 2.0 * Normal::standard().sf(z));
    assert_eq!(nps["significance"], "not_significant");
    close(&nps["target"], 40.0);
    assert_eq!(nps["target_status"], "inconclusive");

    // CSAT stars5 top-2-box: 45/50 = 90 % vs 30/40 = 75 %, pooled two-proportion z-test.
    let csat = row(&report, "livraison", "csat");
    close(&csat["value"], 90.0);
    // Wilson: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), p = 0.9, n = 50.
    let z2 = Z95 * Z95;
    let centre = (0.9 + z2 / 100.0) / (1.0 + z2 / 50.0);
    let half = Z95 / (1.0 + z2 / 50.0) * (0.9f64 * 0.1 / 50.0 + z2 / 10_000.0).sqrt();
    close(&csat["ci95_low"], 100.0 * (centre - half));
    close(&csat["ci95_high"], 100.0 * (centre + half));
    close(&csat["moe95"], 100.0 * half);
    close(&csat["prev_value"], 75.0);
    let pooled: f64 = 75.0 / 90.0;
    let z = 0.15 / (pooled * (1.0 - pooled) * (1.0 / 50.0 + 1.0 / 40.0)).sqrt();
    close(&csat["p_value"], 2.0 * Normal::standard().sf(z));
    // z = 1.90: p = 0.058, fifteen points that are not (quite) significant at 5 %.
    assert_eq!(csat["significance"], "not_significant");
    assert_eq!(csat["target"], Value::Null);
    assert_eq!(csat["target_status"], Value::Null);

    // CES: means 6 (s² = 30/29) vs 5 (s² = 80/29), Welch's t-test.
    let ces = row(&report, "centre-contacts", "ces");
    let (a, b): (f64, f64) = (30.0 / 29.0 / 30.0, 80.0 / 29.0 / 30.0);
    close(&ces["value"], 6.0);
    // Student's t with 29 degrees of freedom: 6 ± t₀.₉₇₅,₂₉ · s/√30.
    let t29 = StudentsT::new(0.0, 1.0, 29.0)
        .expect("df")
        .inverse_cdf(0.975);
    close(&ces["moe95"], t29 * (30.0f64 / 29.0 / 30.0).sqrt());
    close(
        &ces["ci95_high"],
        6.0 + t29 * (30.0f64 / 29.0 / 30.0).sqrt(),
    );
    close(&ces["delta"], 1.0);
    let df = (a + b) * (a + b) / (a * a / 29.0 + b * b / 29.0);
    let t = StudentsT::new(0.0, 1.0, df).expect("df");
    close(&ces["p_value"], 2.0 * t.sf(1.0 / (a + b).sqrt()));
    assert_eq!(ces["significance"], "significant");
    assert_eq!(ces["target_status"], "met");

    // FCR: 27/30 vs 24/30.
    let fcr = row(&report, "centre-contacts", "fcr");
    close(&fcr["value"], 90.0);
    close(&fcr["prev_value"], 80.0);
    assert_eq!(fcr["n"], 30);
    assert_eq!(fcr["significance"], "not_significant");

    // The program-wide total: NPS of the delivery survey only (the SAV one is unanswered).
    let total = row(&report, "all", "nps");
    assert_eq!(total["group_by"], "all");
    close(&total["value"], 50.0);
    let sav = row(&report, "sav", "nps");
    assert_eq!(
        (sav["n"].clone(), sav["value"].clone()),
        (Value::from(0), Value::Null)
    );
    assert_eq!(sav["delta"], Value::Null);

    // By segment: IDF were all promoters both months, Nord none.
    let by_region = report_json(&s, "2026-11", &["--by", "segment:region"]);
    let idf = row(&by_region, "IDF", "nps");
    assert_eq!(idf["group_by"], "segment:region");
    assert_eq!(idf["n"], 35);
    close(&idf["value"], 100.0);
    let nord = row(&by_region, "Nord", "nps");
    assert_eq!(nord["n"], 15);
    close(&nord["value"], -100.0 * 10.0 / 15.0);

    // The CSV is the same long form.
    let csv = run_report(&s, "2026-11", &["--format", "csv"])
        .success()
        .stdout();
    assert!(csv.starts_with(
        "group_by,group,kpi,source,n,value,moe95,ci95_low,ci95_high,prev_n,prev_value,delta,p_value,significance,target,target_status,wording_changed,note\n"
    ));
    assert!(
        csv.contains("\ntouchpoint,livraison,nps,survey,50,50,"),
        "{csv}"
    );

    // Markdown: the same table, rounded for people, in French.
    let md = run_report(&s, "2026-11", &["--format", "md"])
        .success()
        .stdout();
    // The NPS interval [25.38, 68.96] is not centred on 50 (24.6 below, 19.0 above): its
    // bounds are shown.
    assert!(
        md.contains("| Livraison | NPS | 50 | +50 | [+25 ; +69] | +25 | +25 | 0,150 | non significative | +40 | non concluant |"),
        "{md}"
    );

    // A quarter of a monthly program merges its months: Q4 so far is October + November.
    let quarter = report_json(&s, "2026-Q4", &[]);
    assert_eq!(quarter["stamp"]["responses"], 150);
    close(
        &row(&quarter, "livraison", "nps")["value"],
        100.0 * (55.0 - 20.0) / 90.0,
    );
}

#[test]
fn another_alpha_gives_intervals_at_its_level_named_for_it() {
    let s = Project::example();
    imported(&s);
    let report = report_json(&s, "2026-11", &["--alpha", "0.10"]);
    let nps = row(&report, "livraison", "nps");
    assert_eq!(
        nps.get("moe95"),
        None,
        "a 90 % margin is never called moe95"
    );
    // 90 %: z₀.₉₅ = 1.644854 (table); adjusted-Wald with n′ = 53 as at 95 %.
    let (pa, ma): (f64, f64) = (35.75 / 53.0, 10.75 / 53.0);
    let half = 100.0 * 1.644_853_627 * ((pa + ma - (pa - ma).powi(2)) / 53.0).sqrt();
    close(&nps["moe90"], half);
    close(&nps["ci90_low"], 100.0 * (pa - ma) - half);
    close(&nps["ci90_high"], 100.0 * (pa - ma) + half);
    let csv = run_report(&s, "2026-11", &["--format", "csv", "--alpha", "0.10"])
        .success()
        .stdout();
    assert!(
        csv.starts_with("group_by,group,kpi,source,n,value,moe90,ci90_low,ci90_high,prev_n,"),
        "{csv}"
    );
    let md = run_report(&s, "2026-11", &["--format", "md", "--alpha", "0.10"])
        .success()
        .stdout();
    assert!(md.contains("| Intervalle 90 % |"), "{md}");
}

#[test]
fn rebuilding_the_rollups_gives_identical_figures() {
    let s = Project::example();
    imported(&s);
    let before = report_json(&s, "2026-11", &[]);
    s.args(["db", "rebuild-rollups"])
        .success()
        .stdout_has("from 150 responses");
    let after = report_json(&s, "2026-11", &[]);
    assert_eq!(before["rows"], after["rows"]);
    assert_eq!(
        before["stamp"]["responses_digest"],
        after["stamp"]["responses_digest"]
    );
}

#[test]
fn import_errors_name_their_lines_and_strict_imports_nothing() {
    let s = Project::example();
    s.write(
        "bad.csv",
        "submitted_at,response_id,recommandation,satisfaction\n\
         2026-11-03,a,9,5\n\
         2026-11-03,b,11,5\n\
         2026-11-03,c,-1,5\n\
         2026-11-03,d,abc,5\n\
         yesterday,e,9,5\n\
         2026-11-03,f,9,\n",
    );
    let ran = import(&s, "livraison", "bad.csv")
        .args(["--strict"])
        .run()
        .status(1)
        .no_panic()
        .stdout_has("6 rows read, 5 rejected: nothing imported (--strict)");
    for expected in [
        "bad.csv: line 3: `recommandation`: `11` is not a whole number from 0 to 10",
        "line 4: `recommandation`: `-1` is not a whole number from 0 to 10",
        "line 5: `recommandation`: `abc` is not a whole number from 0 to 10",
        "line 6: `submitted_at` `yesterday` is not a date",
        "line 7: required question `satisfaction` has no answer",
    ] {
        assert!(
            ran.stderr().contains(expected),
            "missing {expected:?} in {}",
            ran.stderr()
        );
    }
    let none = report_json(&s, "2026-11", &[]);
    assert_eq!(none["stamp"]["responses"], 0);

    import(&s, "livraison", "bad.csv")
        .run()
        .status(1)
        .no_panic()
        .stdout_has("6 rows read: 1 response imported, 0 already imported, 5 rejected");
    import(&s, "livraison", "bad.csv")
        .run()
        .status(1)
        .no_panic()
        .stdout_has("0 responses imported, 1 already imported");
    import(&s, "livrason", "bad.csv")
        .run()
        .status(2)
        .no_panic()
        .stderr_has("no survey `livrason`");
}

#[test]
fn export_has_the_import_shape_and_round_trips() {
    let s = Project::example();
    imported(&s);
    s.args([
        "responses",
        "export",
        "--program",
        "fidelite-clients",
        "--survey",
        "livraison",
        "-o",
        "export.csv",
    ])
    .success();
    let text = std::fs::read_to_string(s.join("export.csv")).expect("export written");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("response_id,submitted_at,email,channel,recommandation,satisfaction,pourquoi,region")
    );
    assert_eq!(lines.count(), 90);
    import(&s, "livraison", "export.csv")
        .success()
        .stdout_has("0 responses imported, 90 already imported");
}

#[test]
fn bad_report_requests_get_clear_errors() {
    let s = Project::example();
    // No responses at all: the report says so, values and deltas are empty.
    let empty = report_json(&s, "2026-11", &[]);
    assert_eq!(empty["stamp"]["responses"], 0);
    let notes = empty["stamp"]["notes"].to_string();
    assert!(
        notes.contains("Aucune réponse sur la période 2026-11"),
        "{notes}"
    );
    assert_eq!(row(&empty, "all", "nps")["value"], Value::Null);
    assert_eq!(row(&empty, "all", "nps")["delta"], Value::Null);

    imported(&s);
    for (arguments, message) in [
        (
            "fidelite-clients --period 2026/11",
            "accepted formats: `2026-11` (month), `2026-Q3` (quarter)",
        ),
        (
            "fidelite-clients --period 2026-W45",
            "does not line up with the program's monthly periods",
        ),
        ("inconnu --period 2026-11", "no program `inconnu`"),
        (
            "fidelite-clients --period 2026-11 --by segment:age",
            "no respondent in 2026-11 or 2026-10 has the attribute `age`; attributes seen: region",
        ),
        (
            "fidelite-clients --period 2026-11 --by region",
            "use touchpoint, channel or segment:ATTRIBUTE",
        ),
        (
            "fidelite-clients --period 2026-11 --vs 2025-11",
            "cannot compare with 2025-11: it is before the program `fidelite-clients` existed (its first responses are in 2026-10)",
        ),
        (
            "fidelite-clients --period 2026-11 -o missing-folder/r.html",
            "cannot write the report to missing-folder/r.html",
        ),
    ] {
        s.args(["report"])
            .args(arguments.split(' '))
            .run()
            .status(2)
            .no_panic()
            .stderr_has(message);
    }
    // The first month has no previous one: a note, not an error.
    let first = report_json(&s, "2026-10", &[]);
    assert_eq!(first["stamp"]["vs_period"], Value::Null);
    assert_eq!(row(&first, "livraison", "nps")["prev_n"], Value::Null);
    // A later month without answers.
    let later = report_json(&s, "2026-12", &[]);
    assert_eq!(later["stamp"]["responses"], 0);
    assert_eq!(row(&later, "livraison", "nps")["prev_n"], 50);
    assert_eq!(row(&later, "livraison", "nps")["delta"], Value::Null);
}

#[test]
fn map_draws_the_journey_without_data() {
    let s = Project::example();
    let svg = s.args(["map", "fidelite-clients"]).success().stdout();
    assert!(svg.starts_with("<?xml"), "{svg}");
    for name in [
        "Site web et espace client",
        "★ Livraison",
        "Service après-vente",
    ] {
        assert!(svg.contains(name), "missing {name}");
    }
    let mermaid = s
        .args(["map", "fidelite-clients", "--format", "mermaid"])
        .success()
        .stdout();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(
        mermaid.contains("tp0 --> tp1 --> tp2 --> tp3 --> tp4"),
        "{mermaid}"
    );
    assert!(mermaid.contains("class tp2,tp4 truth"), "{mermaid}");
}

#[test]
fn calls_export_needs_an_offline_channel_and_a_wave() {
    let s = Project::example();
    for (survey, channel, message) in [
        ("livraison", "email", "`email` is not an offline channel"),
        (
            "centre-contacts",
            "relance-telephone",
            "no wave 1 of `centre-contacts` on `relance-telephone` in 2026-11",
        ),
    ] {
        s.args(["calls", "export", "--program", "fidelite-clients"])
            .args([
                "--survey",
                survey,
                "--channel",
                channel,
                "--period",
                "2026-11",
            ])
            .run()
            .status(2)
            .no_panic()
            .stderr_has(message);
    }
}

/// Renders the example program's HTML report and photographs it with headless Chromium;
/// the PNG is kept in `target/artefacts/` for CI.
#[test]
fn the_html_report_opens_in_chromium() {
    let s = Project::example();
    imported(&s);
    crate::drivers::after_sales(&s, "2026-11-10");
    run_report(&s, "2026-11", &["-o", "rapport.html"]).success();
    let html = std::fs::read_to_string(s.join("rapport.html")).expect("report written");
    let (_, drivers) = html.split_once("Leviers du NPS").expect("drivers section");
    assert!(
        drivers.contains("Le délai"),
        "a significant driver is ranked"
    );
    assert!(html.contains("<svg"), "inline SVG");
    for external in ["<script", "<link", "src=\"http", "url(http"] {
        assert!(!html.contains(external), "no external assets: {external}");
    }
    assert!(html.contains("Cartographie des points de contact"));
    assert!(html.contains("Livraison en retard"), "a verbatim is quoted");
    // The NPS interval [25.38, 68.96] around +50 is asymmetric: its bounds are shown.
    assert!(
        html.contains("+50<span class=\"moe\">[+25 ; +69]</span>"),
        "an asymmetric interval"
    );
    let (artefacts, bytes) = screenshot(&s.join("rapport.html"), "report-fidelite-clients.png");
    assert!(
        bytes.len() > 50_000,
        "a screenshot of a real page: {} bytes",
        bytes.len()
    );
    std::fs::copy(
        s.join("rapport.html"),
        artefacts.join("report-fidelite-clients.html"),
    )
    .expect("keep the HTML next to its screenshot");
}

/// Photographs an HTML file with headless Chromium into `target/artefacts/NAME`; returns the
/// artefacts folder and the PNG's bytes, checked to be a PNG.
pub(crate) fn screenshot(html: &std::path::Path, name: &str) -> (std::path::PathBuf, Vec<u8>) {
    screenshot_of_height(html, name, 3000)
}

/// [`screenshot`] of a page `height` pixels tall, for a report whose later sections must
/// show too.
pub(crate) fn screenshot_of_height(
    html: &std::path::Path,
    name: &str,
    height: u32,
) -> (std::path::PathBuf, Vec<u8>) {
    let artefacts = repo_path("target/artefacts");
    std::fs::create_dir_all(&artefacts).expect("artefacts folder");
    let png = artefacts.join(name);
    let _ = std::fs::remove_file(&png);
    let status = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            &format!("--screenshot={}", png.display()),
            &format!("--window-size=1280,{height}"),
            &format!("file://{}", html.display()),
        ])
        .output()
        .expect("chromium is installed (see .ci/run)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    (artefacts, bytes)
}

/// A `livraison` response of November 2026 (also the base of other areas' test responses).
pub(crate) fn response(email: &str, region: &str, nps: u8, text: Option<&str>) -> NewResponse {
    let mut respondent = Attributes::new();
    respondent.insert("region".into(), region.into());
    let mut answers = vec![Answer {
        question_id: "recommandation".into(),
        ordinal: 0,
        num_value: Some(f64::from(nps)),
        choice: None,
        text_value: None,
    }];
    if let Some(text) = text {
        answers.push(Answer {
            question_id: "pourquoi".into(),
            ordinal: 0,
            num_value: None,
            choice: None,
            text_value: Some(text.into()),
        });
    }
    NewResponse {
        invitation_id: None,
        program_id: "fidelite-clients".into(),
        survey_id: "livraison".into(),
        touchpoint_id: Some("livraison".into()),
        channel: "email".into(),
        period: "2026-11".into(),
        submitted_at: Timestamp::from_second(1_793_746_800).expect("time"),
        email: Some(email.into()),
        respondent: Some(respondent),
        external_id: None,
        answers,
        cases: Vec::new(),
        version: None,
    }
}

async fn counters(store: &Store, segment: &str) -> Vec<(String, String, u8, u64)> {
    let mut rows: Vec<_> = store
        .rollups("fidelite-clients", &["2026-11".to_owned()], segment)
        .await
        .expect("rollups")
        .into_iter()
        .map(|c| (c.key.segment_value, c.key.question_id, c.key.value, c.n))
        .collect();
    rows.sort();
    rows
}

/// Every response updates the counters in its own transaction; a rebuild gives the same;
/// forgetting a person leaves the anonymous counters alone and removes their verbatim.
async fn rollups_follow_responses(db: TestDb) {
    let store = db.open().await;
    let answers = [
        ("a@x.fr", "IDF", 10, None),
        ("b@x.fr", "IDF", 9, None),
        ("c@x.fr", "Nord", 3, Some("trop de retard")),
    ];
    for (email, region, nps, text) in answers {
        let id = store
            .insert_response(&response(email, region, nps, text))
            .await
            .expect("insert");
        assert!(id.is_some());
    }
    let all = counters(&store, "").await;
    assert_eq!(
        all,
        vec![
            (String::new(), String::new(), 0, 3),
            (String::new(), "recommandation".into(), 3, 1),
            (String::new(), "recommandation".into(), 9, 1),
            (String::new(), "recommandation".into(), 10, 1),
        ]
    );
    let regions = counters(&store, "region").await;
    // IDF: responses, NPS 10, NPS 9; Nord: responses, NPS 3.
    assert_eq!(regions.len(), 5);
    let verbatims = store
        .verbatim_responses("fidelite-clients", &["2026-11".to_owned()])
        .await
        .expect("verbatims");
    assert_eq!(verbatims.len(), 1);
    assert_eq!(verbatims[0].answers.len(), 2);

    let summary = store.rebuild_rollups().await.expect("rebuild");
    assert_eq!(summary.responses, 3);
    assert_eq!(counters(&store, "").await, all);
    assert_eq!(counters(&store, "region").await, regions);

    store.forget("c@x.fr").await.expect("forget");
    assert_eq!(
        counters(&store, "").await,
        all,
        "counters hold no personal data"
    );
    let verbatims = store
        .verbatim_responses("fidelite-clients", &["2026-11".to_owned()])
        .await
        .expect("verbatims");
    assert!(
        verbatims
            .iter()
            .all(|v| v.answers.iter().all(|a| a.text_value.is_none())),
        "the erased person's verbatim is gone"
    );
    store.rebuild_rollups().await.expect("rebuild after forget");
    assert_eq!(counters(&store, "").await, all);
}

both_backends!(rollups_follow_responses);
