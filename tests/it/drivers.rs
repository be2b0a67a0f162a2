//! What drives the NPS: answers imported by CSV, the `drivers` of the JSON report computed
//! here by hand (NPS per answer group, difference, NPS z-test), the same after a rebuild of
//! the counters, and the "Leviers" section of the Markdown report.

use serde_json::Value;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::harness::Project;
use crate::reports::{import, report_json, run_report};
use crate::support::{TestDb, both_backends};

/// December: `(nps, stars, count)` rows of the delivery survey.
const DELIVERY: [(u8, u8, u32); 6] = [
    (10, 5, 40), // satisfied promoters
    (8, 4, 10),  // satisfied passives
    (3, 4, 5),   // satisfied detractors
    (9, 2, 5),   // unsatisfied promoters
    (7, 3, 10),  // unsatisfied passives
    (2, 1, 20),  // unsatisfied detractors
];

/// December: `(nps, disappointments, count)` rows of the after-sales survey.
const AFTER_SALES: [(u8, &str, u32); 3] = [
    (2, "delai|suivi", 30),
    (8, "suivi", 30),
    (5, "solution", 10),
];

fn imported(db: TestDb) -> Project {
    let s = Project::example().database(db);
    let mut csv = String::from("submitted_at,response_id,recommandation,satisfaction,region\n");
    let mut n = 0;
    for (nps, stars, count) in DELIVERY {
        for _ in 0..count {
            n += 1;
            csv.push_str(&format!("2026-12-0{},l{n},{nps},{stars},IDF\n", 1 + n % 9));
        }
    }
    s.write("livraison.csv", csv);
    import(&s, "livraison", "livraison.csv")
        .success()
        .stdout_has("90 responses imported");
    after_sales(&s, "2026-12-10");
    s
}

/// Imports the after-sales answers of [`AFTER_SALES`] on `day`.
pub(crate) fn after_sales(s: &Project, day: &str) {
    let mut csv = String::from("submitted_at,response_id,recommandation,points-faibles\n");
    let mut n = 0;
    for (nps, choices, count) in AFTER_SALES {
        for _ in 0..count {
            n += 1;
            csv.push_str(&format!("{day},s{n},{nps},{choices}\n"));
        }
    }
    s.write("sav.csv", csv);
    import(s, "sav", "sav.csv")
        .success()
        .stdout_has("70 responses imported");
}

fn driver<'a>(report: &'a Value, survey: &str, question: &str, group: &str) -> &'a Value {
    report["drivers"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|d| d["survey"] == survey && d["question"] == question && d["group"] == group)
        })
        .unwrap_or_else(|| panic!("no driver {survey}/{question}/{group} in {report:#}"))
}

/// NPS in points and the variance of one answer on the −1/0/+1 scale, from class counts.
fn nps(promoters: f64, passives: f64, detractors: f64) -> (f64, f64, f64) {
    let n = promoters + passives + detractors;
    let (p, d) = (promoters / n, detractors / n);
    (100.0 * (p - d), p + d - (p - d) * (p - d), n)
}

/// Two-sided p-value of the NPS z-test between two groups.
fn z_test(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
    let se = (a.1 / a.2 + b.1 / b.2).sqrt();
    let z = ((a.0 - b.0) / 100.0) / se;
    2.0 * (1.0 - Normal::standard().cdf(z.abs()))
}

fn close(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((got - expected).abs() < 1e-9, "{got} is not {expected}");
}

fn check_drivers(report: &Value) {
    // Delivery, satisfied (4–5 stars): 40 promoters, 10 passives, 5 detractors = 55;
    // the others: 5 promoters, 10 passives, 20 detractors = 35.
    let satisfied = nps(40.0, 10.0, 5.0);
    let others = nps(5.0, 10.0, 20.0);
    close(&Value::from(satisfied.0), 100.0 * 35.0 / 55.0);
    let d = driver(report, "livraison", "satisfaction", "satisfied");
    assert_eq!(d["n"], 55);
    assert_eq!(d["rest_n"], 35);
    close(&d["nps"], satisfied.0);
    close(&d["rest_nps"], others.0);
    close(&d["difference"], satisfied.0 - others.0);
    close(&d["p_value"], z_test(satisfied, others));
    assert_eq!(d["significance"], "significant");
    assert_eq!(d["group_label"], "Satisfaits");

    // After-sales, "delay" chosen: 30 detractors; not chosen (answered the question):
    // 30 passives and 10 detractors. Each respondent counts once however many options.
    let delay = nps(0.0, 0.0, 30.0);
    let no_delay = nps(0.0, 30.0, 10.0);
    let d = driver(report, "sav", "points-faibles", "delai");
    assert_eq!(
        (d["n"].as_u64(), d["rest_n"].as_u64()),
        (Some(30), Some(40))
    );
    close(&d["nps"], -100.0);
    close(&d["rest_nps"], -25.0);
    close(&d["difference"], -75.0);
    close(&d["p_value"], z_test(delay, no_delay));
    assert_eq!(d["significance"], "significant");
    assert_eq!(d["group_label"], "Le délai");
    // "Solution" chosen by 10 detractors only: too few to tell.
    let d = driver(report, "sav", "points-faibles", "solution");
    assert_eq!(
        (d["n"].as_u64(), d["rest_n"].as_u64()),
        (Some(10), Some(60))
    );
    close(&d["difference"], -100.0 - nps(0.0, 30.0, 30.0).0);
    assert_eq!(d["significance"], "too_few");
    // Unanswered questions (the after-sales effort) make no driver; significant ones first,
    // the biggest difference first.
    let all = report["drivers"].as_array().expect("drivers");
    assert!(all.iter().all(|d| d["question"] != "effort"), "{all:#?}");
    let order: Vec<(&str, &str)> = all
        .iter()
        .take(2)
        .map(|d| {
            (
                d["question"].as_str().unwrap(),
                d["group"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [("satisfaction", "satisfied"), ("points-faibles", "delai")]
    );
}

both_backends!(drivers_of_the_nps_match_a_hand_computation_and_survive_a_rebuild);

async fn drivers_of_the_nps_match_a_hand_computation_and_survive_a_rebuild(db: TestDb) {
    let s = imported(db);
    let report = report_json(&s, "2026-12", &[]);
    check_drivers(&report);

    s.args(["db", "rebuild-rollups"]).success();
    let rebuilt = report_json(&s, "2026-12", &[]);
    assert_eq!(rebuilt["drivers"], report["drivers"]);
    check_drivers(&rebuilt);

    let markdown = run_report(&s, "2026-12", &["--format", "md"])
        .success()
        .stdout();
    let section = markdown
        .split("## Leviers")
        .nth(1)
        .unwrap_or_else(|| panic!("no drivers section in {markdown}"));
    assert!(section.contains("Satisfaits"), "{section}");
    assert!(section.contains("Le délai"), "{section}");
    assert!(
        !section.contains("La solution proposée"),
        "only significant drivers: {section}"
    );
}
