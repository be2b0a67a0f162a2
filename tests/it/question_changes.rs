//! Comparisons that know when a question changed: answers imported before and after a
//! change of the program file, the JSON report's rows (`not_comparable` with its note for a
//! new scale, `wording_changed` for a new text), the same after a rebuild of the counters;
//! and `ecoute check --against` before the change is merged.

use std::process::Command;

use serde_json::Value;

use crate::harness::{Project, repo_path};
use crate::reports::{import, report_json, row, run_report};
use crate::support::{TestDb, both_backends};

const PROGRAM: &str = "programs/fidelite-clients.yaml";
const NPS_TEXT: &str = "Recommanderiez-vous Maison Dupont à un proche ?";

/// October: 40 × (NPS 9, 5 stars); November: 30 × (NPS 10, 4) and 10 × (NPS 0, 2), the
/// first on 2 November (Paris).
fn csv(month: u8) -> String {
    let mut csv = String::from("submitted_at,response_id,recommandation,satisfaction\n");
    let rows: &[(u8, u8, u32)] = if month == 10 {
        &[(9, 5, 40)]
    } else {
        &[(10, 4, 30), (0, 2, 10)]
    };
    let mut n = 0;
    for (nps, stars, count) in rows {
        for _ in 0..*count {
            n += 1;
            let day = 2 + n % 20;
            csv.push_str(&format!(
                "2026-{month}-{day:02},m{month}-{n},{nps},{stars}\n"
            ));
        }
    }
    csv
}

/// Imports October with the program as it is, applies `change` to the program file, then
/// imports November.
fn imported_around(db: TestDb, change: impl Fn(&str) -> String) -> Project {
    let s = Project::example().database(db);
    s.write("octobre.csv", csv(10));
    s.write("novembre.csv", csv(11));
    import(&s, "livraison", "octobre.csv")
        .success()
        .stdout_has("40 responses imported");
    let program = std::fs::read_to_string(s.join(PROGRAM)).expect("program");
    let changed = change(&program);
    assert_ne!(changed, program, "the change applies");
    s.write(PROGRAM, changed);
    import(&s, "livraison", "novembre.csv")
        .success()
        .stdout_has("40 responses imported");
    s
}

fn rescaled(program: &str) -> String {
    program.replace("scale: stars5", "scale: smileys5")
}

fn reworded(program: &str) -> String {
    program.replace(NPS_TEXT, "Conseilleriez-vous Maison Dupont à un proche ?")
}

fn assert_not_comparable(report: &Value) {
    let note = "changement d'échelle le 2026-11-02\u{a0}: stars5 → smileys5";
    for group in ["livraison", "all"] {
        let csat = row(report, group, "csat");
        assert_eq!(csat["significance"], "not_comparable", "{csat:#}");
        assert_eq!(csat["delta"], Value::Null);
        assert_eq!(csat["p_value"], Value::Null);
        assert_eq!(csat["note"], note);
        // Both periods' figures stay: October 40 of 40 satisfied, November 30 of 40.
        assert_eq!(csat["prev_value"].as_f64(), Some(100.0));
        assert_eq!(csat["value"].as_f64(), Some(75.0));
    }
    // The NPS question did not change: its change is computed (100 → 50).
    let nps = row(report, "livraison", "nps");
    assert_eq!(nps["delta"].as_f64(), Some(50.0 - 100.0));
    assert_eq!(nps["significance"], "significant");
    assert_eq!(nps["note"], Value::Null);
    assert_eq!(nps["wording_changed"], Value::Null);
}

both_backends!(a_new_scale_makes_the_csat_change_not_comparable);

async fn a_new_scale_makes_the_csat_change_not_comparable(db: TestDb) {
    let s = imported_around(db, rescaled);
    let report = report_json(&s, "2026-11", &[]);
    assert_not_comparable(&report);
    let csv = run_report(&s, "2026-11", &["--format", "csv"])
        .success()
        .stdout();
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.ends_with(",wording_changed,note"))
    );
    assert!(csv.contains("stars5 → smileys5"), "{csv}");

    s.args(["db", "rebuild-rollups"]).success();
    assert_not_comparable(&report_json(&s, "2026-11", &[]));
    // In November alone there is nothing to compare: no note.
    let alone = report_json(&s, "2026-11", &["--vs", "2026-12"]);
    assert_eq!(row(&alone, "livraison", "csat")["note"], Value::Null);
}

both_backends!(a_new_wording_keeps_the_change_and_flags_it);

async fn a_new_wording_keeps_the_change_and_flags_it(db: TestDb) {
    let s = imported_around(db, reworded);
    for _ in 0..2 {
        let report = report_json(&s, "2026-11", &[]);
        let nps = row(&report, "livraison", "nps");
        assert_eq!(nps["wording_changed"], "2026-11-02");
        assert_eq!(nps["note"], "formulation modifiée le 2026-11-02 (fr)");
        assert_eq!(nps["delta"].as_f64(), Some(50.0 - 100.0));
        assert_eq!(nps["significance"], "significant");
        let csat = row(&report, "livraison", "csat");
        assert_eq!(csat["wording_changed"], Value::Null);
        assert_eq!(csat["significance"], "significant");
        s.args(["db", "rebuild-rollups"]).success();
    }
}

fn git(s: &Project, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .current_dir(s.path())
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn check_against_lists_the_kpis_a_change_makes_incomparable() {
    let s = Project::example();
    let original = std::fs::read_to_string(repo_path(PROGRAM)).expect("program");
    let changed = reworded(&rescaled(&original));
    s.write(PROGRAM, &changed);

    // Against the previous file.
    s.write("avant/fidelite-clients.yaml", &original);
    s.write(
        "avant/contacts/clients.csv",
        std::fs::read(repo_path("programs/contacts/clients.csv")).expect("contacts"),
    );
    s.args(["check", PROGRAM, "--against", "avant/fidelite-clients.yaml"])
        .success()
        .stdout_has("2 KPI question changes")
        .stdout_has(
            "not_comparable  csat  fidelite-clients/livraison/satisfaction: scale: stars5 → smileys5",
        )
        .stdout_has("wording_changed nps  fidelite-clients/livraison/recommandation: wording (fr)");
    let json = s
        .args(["check", PROGRAM, "--against", "avant/fidelite-clients.yaml"])
        .args(["--format", "json"])
        .success()
        .json();
    assert_eq!(json["against"][0]["change"], "not_comparable");
    assert_eq!(json["against"][0]["kpi"], "csat");
    assert_eq!(json["against"][0]["what"], "scale: stars5 → smileys5");

    // Against a git revision: the committed file is the previous version.
    git(&s, &["init", "-q"]);
    s.write(PROGRAM, &original);
    git(&s, &["add", "."]);
    git(&s, &["commit", "-qm", "programme"]);
    s.write(PROGRAM, &changed);
    s.args(["check", PROGRAM, "--against", "HEAD"])
        .success()
        .stdout_has("against HEAD: 2 KPI question changes")
        .stdout_has("scale: stars5 → smileys5");
    s.args(["check", PROGRAM, "--against", "HEAD"])
        .success()
        .stdout_has("2 KPI question changes");

    // A revision that does not exist: a clear error, exit 2, nothing touched.
    s.args(["check", PROGRAM, "--against", "v9.9"])
        .run()
        .status(2)
        .stderr_has("--against v9.9: no such file, and no such git revision");
    // A revision whose program is not valid: exit 2, nothing touched.
    s.write(PROGRAM, original.replace("type: nps", "type: nope"));
    git(&s, &["commit", "-qam", "cassé"]);
    s.write(PROGRAM, &changed);
    s.args(["check", PROGRAM, "--against", "HEAD"])
        .run()
        .status(2)
        .stderr_has("--against HEAD: the previous version of")
        .stderr_has("is not a valid program");
    assert_eq!(
        std::fs::read_to_string(s.join(PROGRAM)).expect("program"),
        changed
    );
    assert!(git(&s, &["status", "--porcelain"]).contains("fidelite-clients.yaml"));
    assert_eq!(git(&s, &["rev-list", "--count", "HEAD"]).trim(), "2");
}
