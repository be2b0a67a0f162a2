//! Action plans (issue 16, part 4): answers imported before and after an action's start,
//! the change of its KPI and its p-value in the JSON report computed here by hand, the
//! "Plans d'action" section of the Markdown and HTML reports, the notes of an action started
//! before the first answers or in the future, and bad actions failing `check` at their line.

use serde_json::Value;

use crate::harness::{Project, repo_path};
use crate::reports::{import, report_json, run_report};
use crate::support::{TestDb, both_backends};

/// Delivery answers `(month, promoters, passives, detractors)`: the example action
/// `creneaux-livraison` starts on 2026-09-01 and compares three months on each side, so May
/// is left out of the "before" side.
const MONTHS: [(&str, u32, u32, u32); 7] = [
    ("2026-05", 0, 0, 20),
    ("2026-06", 10, 10, 10),
    ("2026-07", 10, 5, 10),
    ("2026-08", 10, 5, 10),
    ("2026-09", 20, 5, 5),
    ("2026-10", 15, 10, 5),
    ("2026-11", 15, 5, 10),
];

/// The example program with its delivery answers of [`MONTHS`] imported.
fn imported(project: Project) -> Project {
    let mut csv = String::from("submitted_at,response_id,recommandation,satisfaction\n");
    let mut n = 0;
    let mut total = 0;
    for (month, promoters, passives, detractors) in MONTHS {
        for (score, count) in [(10, promoters), (7, passives), (2, detractors)] {
            for _ in 0..count {
                n += 1;
                csv.push_str(&format!("{month}-{:02},a{n},{score},4\n", 1 + n % 28));
            }
            total += count;
        }
    }
    project.write("livraison.csv", csv);
    import(&project, "livraison", "livraison.csv")
        .args(["--no-alerts"])
        .success()
        .stdout_has(&format!("{total} responses imported"));
    project
}

fn action<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no action {id} in {report:#}"))
}

fn close(v: &Value, expected: f64, tolerance: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - expected).abs() <= tolerance, "{got} ≠ {expected}");
}

both_backends!(an_action_plan_change_and_p_value_match_a_hand_computation);

async fn an_action_plan_change_and_p_value_match_a_hand_computation(db: TestDb) {
    let project = imported(Project::example().database(db));
    let report = report_json(&project, "2026-11", &[]);
    let a = action(&report, "creneaux-livraison");
    assert_eq!(a["kpi"], "nps");
    assert_eq!(
        a["before_periods"],
        serde_json::json!(["2026-06", "2026-07", "2026-08"])
    );
    assert_eq!(
        a["since_periods"],
        serde_json::json!(["2026-09", "2026-10", "2026-11"])
    );
    // Before (June–August, May left out): 30 promoters, 20 passives, 30 detractors of 80.
    //   NPS₀ = 100 · (30 − 30)/80 = 0; v₀ = 0.375 + 0.375 − 0² = 0.75; v₀/n₀ = 0.009375.
    // Since (September–November): 50 promoters, 20 passives, 20 detractors of 90.
    //   NPS₁ = 100 · (50 − 20)/90 = 33.3333; v₁ = 0.555556 + 0.222222 − 0.333333² = 0.666667;
    //   v₁/n₁ = 0.00740741.
    // se = √(0.009375 + 0.00740741) = √0.01678241 = 0.12954693
    // z = 0.333333 / 0.12954693 = 2.573070; p = 2 · (1 − Φ(2.573070)) = 0.0100801
    // Interval of the change at 95 %: 33.3333 ± 100 · 1.959964 · 0.12954693 = ± 25.390732
    //   → [7.942601, 58.724065], which holds the expected +10: inconclusive.
    assert_eq!(a["before_n"], 80);
    assert_eq!(a["since_n"], 90);
    close(&a["before_value"], 0.0, 1e-9);
    close(&a["since_value"], 33.333_333, 1e-5);
    close(&a["change"], 33.333_333, 1e-5);
    close(&a["p_value"], 0.010_080_1, 1e-6);
    close(&a["change_interval"]["low"], 7.942_601, 1e-5);
    close(&a["change_interval"]["high"], 58.724_065, 1e-5);
    assert_eq!(a["verdict"], "improved", "p < 0.05 with 80 and 90 answers");
    close(&a["expected"], 10.0, 0.0);
    assert_eq!(a["expected_status"], "inconclusive");
    assert!(a["note"].is_null(), "{a:#}");

    let markdown = run_report(&project, "2026-11", &["--format", "md"])
        .success()
        .stdout();
    assert!(markdown.contains("## Plans d'action"), "{markdown}");
    assert!(
        markdown.contains("Créneaux de livraison de deux heures")
            && markdown.contains("amélioration"),
        "{markdown}"
    );
    assert!(markdown.contains("+33 [+8 ; +59]"), "{markdown}");
    let html = run_report(&project, "2026-11", &["--format", "html"])
        .success()
        .stdout();
    assert!(
        html.contains("<h2>Plans d&#x27;action</h2>") || html.contains("<h2>Plans d'action</h2>"),
        "{html}"
    );
    assert!(html.contains("chip improved"), "{html}");
}

both_backends!(actions_before_the_first_answers_or_in_the_future_get_a_note);

async fn actions_before_the_first_answers_or_in_the_future_get_a_note(db: TestDb) {
    let example =
        std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml")).expect("example");
    let extra = |id: &str, started: &str| {
        format!(
            "  - id: {id}\n    title: {{ fr: Action {id}, en: Action {id} }}\n    touchpoint: livraison\n    kpi: csat\n    owner: Qualité\n    started: {started}\n"
        )
    };
    let yaml = format!(
        "{example}{}{}{}",
        extra("ancienne", "2020-01-01"),
        extra("future", "2030-01-01"),
        extra("en-cours", "2026-11-15")
    );
    let project = imported(
        Project::example()
            .database(db)
            .file("programs/fidelite-clients.yaml", yaml),
    );
    project
        .args(["check", "programs/fidelite-clients.yaml"])
        .success();
    let report = report_json(&project, "2026-11", &[]);

    // Started before the program's first answers (May 2026): nothing to compare with.
    let old = action(&report, "ancienne");
    assert_eq!(old["before_n"], 0);
    assert_eq!(old["since_n"], 90, "the latest three months since");
    assert!(old["verdict"].is_null());
    assert!(old["change"].is_null());
    let note = old["note"].as_str().expect("a note");
    assert!(
        note.contains("Aucune réponse avant le 2020-01-01"),
        "{note}"
    );

    // Started in the future: too early, with a note.
    let future = action(&report, "future");
    assert_eq!(future["verdict"], "too_early");
    assert_eq!(future["since_n"], 0);
    assert!(
        future["note"]
            .as_str()
            .expect("a note")
            .contains("2030-01-01")
    );

    // Started mid-November: November mixes both sides and is left out; nothing since yet.
    let current = action(&report, "en-cours");
    assert_eq!(
        current["before_periods"],
        serde_json::json!(["2026-08", "2026-09", "2026-10"])
    );
    assert_eq!(current["since_periods"], serde_json::json!([]));
    assert_eq!(current["verdict"], "too_early");
    // CSAT before: every answer is 4 stars (satisfied), 25 + 30 + 30 = 85 answers.
    assert_eq!(current["before_n"], 85);
    close(&current["before_value"], 100.0, 1e-9);
}

#[test]
fn bad_actions_fail_check_at_their_line() {
    let example =
        std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml")).expect("example");
    let cases = [
        (
            "    touchpoint: livraison\n    kpi: nps\n    owner",
            "    touchpoint: livraisons\n    kpi: nps\n    owner",
            "touchpoint: livraisons",
            "unknown touchpoint `livraisons`",
        ),
        (
            "    kpi: nps\n    owner",
            "    kpi: ces\n    owner",
            "kpi: ces",
            "action on CES, but no survey of touchpoint `livraison` measures it",
        ),
        (
            "    kpi: nps\n    owner",
            "    kpi: response_rate\n    owner",
            "kpi: response_rate",
            "follows the response rate",
        ),
        (
            "    kpi: nps\n    owner",
            "    kpi: fidelite\n    owner",
            "kpi: fidelite",
            "fidelite",
        ),
        (
            "started: 2026-09-01",
            "started: 2026-09-31",
            "started: 2026-09-31",
            "invalid date `2026-09-31`",
        ),
        (
            "expected: 10",
            "expected: 300",
            "expected: 300",
            "expected change 300 of NPS",
        ),
    ];
    for (from, to, marker, expected) in cases {
        assert!(example.contains(from), "{from}");
        let yaml = example.replace(from, to);
        let line = yaml
            .lines()
            .position(|l| l.trim() == marker)
            .expect("edited line")
            + 1;
        Project::example()
            .file("programs/fidelite-clients.yaml", yaml)
            .args(["check", "programs/fidelite-clients.yaml"])
            .run()
            .status(1)
            .stderr_has(expected)
            .stderr_has(&format!("fidelite-clients.yaml:{line}:"));
    }
}
