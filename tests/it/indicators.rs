//! Operational indicators end to end: `ecoute indicators import` into the store (SQLite and
//! PostgreSQL), the report's indicator rows against a hand computation, the bad rows of an
//! import, the checks of `indicators:` and their targets, and the HTML report in Chromium.

use serde_json::Value;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::harness::{Project, repo_path};
use crate::reports::report_json;
use crate::support::{TestDb, both_backends};

/// October: waiting time as one aggregate, on-time deliveries, acquisition cost and
/// requests by reason.
const OCTOBER: &str = "\
period,indicator,value,n,sd,numerator,denominator,breakdown,row_id
2026-10,attente,80,50,20,,,,o1
2026-10,livraison-a-l-heure,,,,170,200,,o2
2026-10,cout-acquisition,,,,12000,40,,o3
2026-10,demandes,60,,,,,livraison,o4
2026-10,demandes,40,,,,,facturation,o5
";

/// November: waiting time as an aggregate of 48 calls plus two raw observations, the same
/// indicators as October.
const NOVEMBER: &str = "\
date,indicator,value,n,sd,numerator,denominator,breakdown,row_id
2026-11-03,attente,70,48,10,,,,n1
2026-11-05,attente,60,,,,,,n2
2026-11-06,attente,80,,,,,,n3
2026-11-30,livraison-a-l-heure,,,,180,200,,n4
2026-11-30,cout-acquisition,,,,13000,50,,n5
2026-11-30,demandes,45,,,,,livraison,n6
2026-11-30,demandes,30,,,,,facturation,n7
2026-11-30,demandes,25,,,,,retour,n8
";

fn import<'p>(project: &'p Project, file: &str) -> crate::harness::Run<'p> {
    project.args([
        "indicators",
        "import",
        "--program",
        "fidelite-clients",
        file,
        "--format",
        "json",
    ])
}

fn row<'r>(report: &'r Value, group: &str, kpi: &str) -> &'r Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["group"] == group && r["kpi"] == kpi)
        .unwrap_or_else(|| panic!("no row {group} {kpi}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(v: &Value, expected: f64) {
    assert!(
        (num(v) - expected).abs() < 1e-6,
        "{v} instead of {expected}"
    );
}

/// Two-sided p-value of a z statistic, from the normal distribution (statrs).
fn z_p(z: f64) -> f64 {
    2.0 * Normal::standard().sf(z.abs())
}

/// Pooled two-proportion z-test of x1/n1 against x2/n2.
fn two_proportions(x1: f64, n1: f64, x2: f64, n2: f64) -> f64 {
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    z_p((x1 / n1 - x2 / n2) / se)
}

both_backends!(two_months_of_indicators_match_a_hand_computation);

async fn two_months_of_indicators_match_a_hand_computation(db: TestDb) {
    let s = Project::example()
        .database(db)
        .file("octobre.csv", OCTOBER)
        .file("novembre.csv", NOVEMBER);
    let first = import(&s, "octobre.csv").success().json();
    assert_eq!(first["imported"], 5);
    assert_eq!(import(&s, "novembre.csv").success().json()["imported"], 8);
    // A second import of the same file adds nothing: every row has a row_id.
    let again = import(&s, "novembre.csv").success().json();
    assert_eq!(
        (again["imported"].clone(), again["already_imported"].clone()),
        (0.into(), 8.into())
    );
    let report = report_json(&s, "2026-11", &[]);

    // Waiting time, a mean. November: 48 calls of mean 70 and sd 10, plus 60 and 80:
    // n = 50, sum = 70·48 + 140 = 3500, mean = 70;
    // sum of squares = 10²·47 + 48·70² + 60² + 80² = 4700 + 235200 + 3600 + 6400 = 249900,
    // s² = (249900 − 50·70²) / 49 = 4900 / 49 = 100, s = 10.
    // October: n = 50, mean 80, s = 20.
    let attente = row(&report, "centre-contacts", "attente");
    assert_eq!(attente["source"], "indicator");
    assert_eq!(attente["group_by"], "touchpoint");
    assert_eq!(attente["n"], 50);
    close(&attente["value"], 70.0);
    assert_eq!(attente["prev_n"], 50);
    close(&attente["prev_value"], 80.0);
    close(&attente["delta"], -10.0);
    // Student's t interval: 70 ± t(0.975, 49) · 10/√50.
    let t49 = StudentsT::new(0.0, 1.0, 49.0)
        .expect("t")
        .inverse_cdf(0.975);
    close(&attente["moe95"], t49 * 10.0 / 50f64.sqrt());
    // Welch: a = 20²/50 = 8, b = 10²/50 = 2, se = √10, t = −10/√10;
    // df = (8 + 2)² / (8²/49 + 2²/49) = 100·49/68.
    let df = 100.0 * 49.0 / 68.0;
    let welch = 2.0
        * StudentsT::new(0.0, 1.0, df)
            .expect("t")
            .sf(10.0 / 10f64.sqrt());
    close(&attente["p_value"], welch);
    assert_eq!(attente["significance"], "significant");
    // Target at most 60 s at the contact centre: the lower bound 70 − 2.84 > 60, missed.
    close(&attente["target"], 60.0);
    assert_eq!(attente["target_status"], "missed");
    // The program total is the same figure (one touchpoint).
    close(&row(&report, "all", "attente")["value"], 70.0);

    // On-time deliveries, a ratio: 180/200 = 90 % against 170/200 = 85 %.
    let on_time = row(&report, "livraison", "livraison-a-l-heure");
    assert_eq!(on_time["n"], 200);
    close(&on_time["value"], 90.0);
    close(&on_time["prev_value"], 85.0);
    close(&on_time["delta"], 5.0);
    // Pooled z-test: p̂ = 350/400, se = √(p̂(1 − p̂)(1/200 + 1/200)), z = 0.05/se.
    close(
        &on_time["p_value"],
        two_proportions(180.0, 200.0, 170.0, 200.0),
    );
    assert_eq!(on_time["significance"], "not_significant");
    // Wilson: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n), in percent.
    let z = Normal::standard().inverse_cdf(0.975);
    let (p, n) = (0.9, 200.0);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    close(&on_time["ci95_low"], 100.0 * (centre - half));
    close(&on_time["ci95_high"], 100.0 * (centre + half));
    // Target at least 90 %: the interval straddles it.
    assert_eq!(on_time["target_status"], "inconclusive");

    // Acquisition cost, a quotient: 13000/50 = 260 € against 12000/40 = 300 €; no interval,
    // no test.
    let cac = row(&report, "all", "cout-acquisition");
    assert_eq!(cac["n"], 50);
    close(&cac["value"], 260.0);
    close(&cac["prev_value"], 300.0);
    close(&cac["delta"], -40.0);
    assert_eq!(cac["moe95"], Value::Null);
    assert_eq!(cac["p_value"], Value::Null);
    assert_eq!(cac["significance"], "unknown");

    // Requests, a count: 45 + 30 + 25 = 100 against 60 + 40 = 100.
    let requests = row(&report, "centre-contacts", "demandes");
    close(&requests["value"], 100.0);
    close(&requests["prev_value"], 100.0);
    close(&requests["delta"], 0.0);
    assert_eq!(requests["significance"], "unknown");
    // Shares: livraison 45/100 = 45 % against 60/100 = 60 %, a z-test on the shares.
    let delivery = row(&report, "centre-contacts", "demandes:livraison");
    assert_eq!(delivery["source"], "indicator");
    close(&delivery["value"], 45.0);
    close(&delivery["prev_value"], 60.0);
    close(&delivery["delta"], -15.0);
    close(
        &delivery["p_value"],
        two_proportions(45.0, 100.0, 60.0, 100.0),
    );
    assert_eq!(delivery["significance"], "significant");
    // retour: 25/100 = 25 % against 0/100; produit: no request in either month.
    close(
        &row(&report, "centre-contacts", "demandes:retour")["value"],
        25.0,
    );
    close(
        &row(&report, "centre-contacts", "demandes:retour")["prev_value"],
        0.0,
    );
    close(
        &row(&report, "centre-contacts", "demandes:facturation")["value"],
        30.0,
    );
    let product = row(&report, "centre-contacts", "demandes:produit");
    close(&product["value"], 0.0);

    // The CSV long form has the same rows, `source` `indicator`.
    let csv = s
        .args([
            "report",
            "fidelite-clients",
            "--period",
            "2026-11",
            "--format",
            "csv",
        ])
        .success()
        .stdout();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("touchpoint,centre-contacts,attente,indicator,50,70,")),
        "{csv}"
    );
}

/// Every kind of bad row, each with its line and a way out; the good row of the file is
/// imported, and nothing with --strict.
#[test]
fn bad_indicator_rows_are_reported_by_line_and_strict_imports_nothing() {
    let s = Project::example().file(
        "mauvais.csv",
        "period,indicator,value,numerator,denominator,breakdown\n\
         2026-11,atente,60,,,\n\
         2026-11,attente,beaucoup,,,\n\
         2026-11,livraison-a-l-heure,,210,200,\n\
         2026-11,demandes,-3,,,livraison\n\
         2099-01,attente,50,,,\n\
         2026-11,attrition,,3,40,livraison\n\
         2026-11,attente,55,,,\n",
    );
    let strict = s
        .args([
            "indicators",
            "import",
            "--program",
            "fidelite-clients",
            "mauvais.csv",
        ])
        .args(["--strict", "--format", "json"])
        .run()
        .status(1)
        .no_panic();
    assert_eq!(strict.json()["imported"], 0);
    let ran = s
        .args([
            "indicators",
            "import",
            "--program",
            "fidelite-clients",
            "mauvais.csv",
        ])
        .run()
        .status(1)
        .stderr_has("line 2: unknown indicator `atente`; did you mean `attente`?")
        .stderr_has("line 3: `value` `beaucoup` is not a number")
        .stderr_has("line 4: `numerator` is larger than `denominator`")
        .stderr_has("line 5: `value` is negative")
        .stderr_has("line 6: period 2099-01 has not started yet")
        .stderr_has("line 7: `breakdown` given for `attrition`, a ratio indicator, which has none")
        .stdout_has("7 rows read: 1 row imported, 0 already imported, 6 rejected");
    drop(ran);
    // Only line 8 was stored: the report's waiting time is 55 s from one observation.
    let report = report_json(&s, "2026-11", &[]);
    let attente = row(&report, "centre-contacts", "attente");
    assert_eq!(attente["n"], 1);
    close(&attente["value"], 55.0);
}

#[test]
fn a_wrong_header_names_the_column() {
    Project::example()
        .file("f.csv", "period,indicator,valeur\n2026-11,attente,60\n")
        .args([
            "indicators",
            "import",
            "--program",
            "fidelite-clients",
            "f.csv",
        ])
        .run()
        .status(2)
        .stderr_has("unknown column `valeur` in the header; did you mean `value`?")
        .no_panic();
}

#[test]
fn indicator_declarations_and_targets_are_checked() {
    let example =
        std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml")).expect("example");
    let broken = example
        .replace("  - kpi: attente\n", "  - kpi: atente\n")
        .replace("    at_least: 90\n", "    at_most: 90\n")
        .replace(
            "    better: higher\n  - id: taux-digital",
            "    better: higher\n    breakdown: [a, b]\n  - id: taux-digital",
        );
    Project::new()
        .program("p", &broken)
        .file(
            "programs/contacts/clients.csv",
            std::fs::read(repo_path("programs/contacts/clients.csv")).expect("contacts"),
        )
        .args(["check", "programs/p.yaml"])
        .run()
        .status(1)
        .stderr_has("unknown KPI or indicator `atente`")
        .stderr_has("did you mean `attente`?")
        .stderr_has(
            "target on `livraison-a-l-heure` uses at_most, but the indicator says `better: higher`",
        )
        .stderr_has("indicator `livraison-a-l-heure` is a ratio, which has no breakdown")
        .no_panic();
}

/// The journey map's group of touchpoint `id` in an HTML report.
fn map_bubble<'h>(html: &'h str, id: &str) -> &'h str {
    let (_, bubble) = html
        .split_once(&format!("data-touchpoint=\"{id}\""))
        .unwrap_or_else(|| panic!("no bubble for {id}"));
    bubble.split("</g>").next().unwrap_or_default()
}

/// The example program's HTML report with both months of the example indicator files:
/// indicators sit beside the survey KPIs in the table; photographed with headless Chromium
/// into `target/artefacts/`.
#[test]
fn the_html_report_shows_indicators_beside_survey_kpis() {
    let s = Project::example()
        .repo_file("programs/indicateurs/2026-10.csv")
        .repo_file("programs/indicateurs/2026-11.csv");
    crate::reports::imported(&s);
    for month in ["2026-10", "2026-11"] {
        import(&s, &format!("programs/indicateurs/{month}.csv")).success();
    }
    s.args([
        "report",
        "fidelite-clients",
        "--period",
        "2026-11",
        "-o",
        "rapport.html",
    ])
    .success();
    let html = std::fs::read_to_string(s.join("rapport.html")).expect("report written");
    // Contact centre: CES and FCR from the surveys, then its waiting time (58,3 s against
    // 74,5 s) and its requests.
    let (_, centre) = html
        .split_once("Centre de contacts")
        .expect("contact centre rows");
    let ces = centre.find("CES").expect("CES row");
    let waiting = centre
        .find("Temps d&#x27;attente avant décroché")
        .expect("waiting time row");
    assert!(ces < waiting, "the waiting time follows the survey KPIs");
    assert!(html.contains("58\u{a0}s"), "seconds for people");
    assert!(
        html.contains("114,29\u{a0}€"),
        "acquisition cost 51200/448 in euros"
    );
    // The waiting time's trend chart beside the contact centre's survey KPIs, from the
    // CSV's aggregates (value, n, sd), with Student's t at 95 %:
    //   2026-10: 74,5 s ± 1,961 × 41,2 / √1840 = ± 1,884 → [72,62 ; 76,38]
    //   2026-11: 58,3 s ± 1,961 × 36,8 / √1795 = ± 1,704 → [56,60 ; 60,00]
    // Data and target (at_most 60) span 56,60–76,38: a quarter of that is 4,95, so the
    // step is 5 and the axis 55…80 s. The plot is 116 px high from y = 24, so
    // y(v) = 24 + 116 × (80 − v) / 25: y(74,5) = 49,52, y(58,3) = 124,69, y(60) = 116,8;
    // two slots from x = 54 to x = 316.
    let chart_title = "Centre de contacts · Temps d&#x27;attente avant décroché";
    let (_, chart) = html
        .split_once(&format!("aria-label=\"{chart_title}\""))
        .expect("the waiting time's trend chart");
    let chart = chart.split("</svg>").next().unwrap_or_default();
    assert!(chart.contains("M54.0,49.5 L316.0,124.7"), "{chart}");
    assert!(
        chart.contains(">75\u{a0}s</text>"),
        "74,5 s rounded: {chart}"
    );
    assert!(
        chart.contains(">58\u{a0}s</text>"),
        "58,3 s rounded: {chart}"
    );
    assert!(
        chart.contains("y1=\"116.8\""),
        "target line at 60 s: {chart}"
    );
    assert!(
        chart.contains("Objectif ≤ 60\u{a0}s"),
        "at most 60 s: {chart}"
    );
    for tick in ["55", "60", "65", "70", "75", "80"] {
        assert!(
            chart.contains(&format!(">{tick}\u{a0}s</text>")),
            "tick {tick}"
        );
    }
    let ces_chart = html
        .find("aria-label=\"Centre de contacts · CES\"")
        .expect("the contact centre's CES chart");
    let waiting_chart = html
        .find(&format!("<h3>{chart_title}</h3>"))
        .expect("the waiting time's chart title");
    assert!(
        ces_chart < waiting_chart,
        "the indicator's chart follows the survey KPI's"
    );
    // The journey map names the contact centre's indicators under its bubble: the waiting
    // time fell 74,5 → 58,3 s (significant, and lower is better: good news, ▼), then the
    // requests, 1840 → 1795 (a count: no test).
    let bubble = map_bubble(&html, "centre-contacts");
    assert!(
        bubble.contains("▼ 58\u{a0}s</tspan> Temps d&#x27;attente avant…"),
        "{bubble}"
    );
    assert!(
        bubble.contains("▼ 1795</tspan> Demandes au centre de…"),
        "{bubble}"
    );
    // Good news in the colour of a met target; the count, untested, in grey.
    let met = format!("fill=\"{}\"", ecoute::report::render::PALETTE.met);
    assert!(bubble.contains(&format!("{met}>▼ 58")), "{bubble}");
    // Deliveries: 1712/1930 = 88,7 % → 1806/1951 = 92,6 %, shown as 93 %, up.
    let delivery = map_bubble(&html, "livraison");
    assert!(
        delivery.contains("▲ 93 %</tspan> Livraisons à l&#x27;heure"),
        "{delivery}"
    );
    // The churn rate has no touchpoint: its chart is in the program section, 412/4890 =
    // 8,4 % then 389/4925 = 7,9 %, both shown as 8 %.
    let (_, program) = html
        .split_once("<h3>Indicateurs du programme</h3>")
        .expect("program-wide indicators");
    assert!(program.contains("Ensemble du programme · Taux d&#x27;attrition"));
    // Tall enough for the map, the table and the trend charts.
    crate::reports::screenshot_of_height(
        &s.join("rapport.html"),
        "report-fidelite-clients-indicators.png",
        6500,
    );
}
