//! Precision planned before sending (issue 14, point 2): `ecoute plan` shows expected answers
//! and margins, sizes a `precision:` sample, and `check` refuses impossible goals. Expected
//! sizes and margins are computed here by hand.

use serde_json::Value;

use crate::harness::Project;
use crate::reports::import;

/// z₀.₉₇₅, the two-sided 95 % normal quantile, from a table.
const Z95: f64 = 1.959_963_984_540_054;

/// A program with one survey whose sample asks for a CSAT margin of ±10 points.
const PROGRAM: &str = r#"program:
  id: essai
  title: { fr: Essai }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "CX <cx@example.org>" }
touchpoints:
  - { id: livraison, name: { fr: Livraison }, stage: livraison }
surveys:
  - id: livraison
    touchpoint: livraison
    sample: precis
    channels: [email]
    title: { fr: Livraison }
    questions:
      - { id: satisfaction, type: csat, scale: stars5, text: { fr: Satisfait ? } }
contacts:
  - { id: fichier, csv: contacts.csv }
samples:
  - id: precis
    contacts: fichier
    precision: { kpi: csat, moe95: 10 }
    expected_response_rate: 0.5
    seed: 1
channels:
  - { id: email, type: email, template: invitation }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
"#;

/// `count` contacts with the columns of the example program's `clients.csv`, all eligible
/// for its `livres-du-mois` sample (web buyers of the last 30 days) and none for the
/// contact-centre sample (no calls).
fn contacts(count: usize) -> String {
    let mut csv = String::from(
        "email,first_name,last_name,locale,region,segment,canal_achat,dernier_achat_jours,appels_mois\n",
    );
    for i in 0..count {
        csv.push_str(&format!(
            "client{i}@example.org,Client,{i},fr,IDF,particulier,web,10,0\n"
        ));
    }
    csv
}

fn plan_json(project: &Project, program: &str) -> Value {
    project
        .args(["plan", program, "--period", "2026-12", "--format", "json"])
        .success()
        .json()
}

fn drawn(survey: &Value) -> u64 {
    let sample = &survey["sample"];
    sample["eligible"].as_u64().expect("eligible") - sample["not_drawn"].as_u64().expect("n")
}

#[test]
fn a_precision_sample_is_sized_from_the_margin_and_the_response_rate() {
    let s = Project::new()
        .program("essai", PROGRAM)
        .contacts(&contacts(200));
    let plan = plan_json(&s, "essai");
    let survey = &plan["surveys"][0];
    // No history: the worst-case CSAT spread, V = 50² = 2500 (p = ½, in percentage points).
    // n₀ = z² · V / e² = 3.841459 · 2500 / 100 = 96.0365 answers; out of N = 200 eligible,
    // n = n₀ / (1 + (n₀ − 1)/N) = 96.0365 / 1.475182 = 65.1020; at the stated response rate
    // 0.5 the draw is ⌈65.1020 / 0.5⌉ = ⌈130.204⌉ = 131.
    let n0 = Z95 * Z95 * 2500.0 / 100.0;
    let needed = n0 / (1.0 + (n0 - 1.0) / 200.0);
    assert!((needed - 65.102).abs() < 1e-3, "{needed}");
    assert_eq!(drawn(survey), 131);
    let expected = &survey["expected"];
    assert_eq!(expected["answers"], 65.5);
    assert_eq!(expected["response_rate"], 0.5);
    assert_eq!(expected["response_rate_basis"]["source"], "assumption");
    assert_eq!(expected["response_rate_basis"]["stated"], true);
    // 65.5 answers of 200: 1.959964 · √(2500/65.5 · 134.5/199) = 9.9547 ≤ 10.
    let margin = Z95 * (2500.0 / 65.5 * (200.0 - 65.5) / 199.0f64).sqrt();
    let shown = expected["margins"][0]["moe95"].as_f64().expect("margin");
    assert!((shown - margin).abs() < 1e-9, "{shown} vs {margin}");
    assert!(shown <= 10.0);
    assert_eq!(expected["margins"][0]["kpi"], "csat");
    assert_eq!(expected["margins"][0]["spread_from"], Value::Null);

    // 60 contacts cannot give 65 answers: everyone is drawn and the plan says so.
    // n = 96.0365 / (1 + 95.0365/60) = 37.19 answers needed, 60 × 0.5 = 30 expected.
    let small = Project::new()
        .program("essai", PROGRAM)
        .contacts(&contacts(60));
    let table = small
        .args(["plan", "essai", "--period", "2026-12"])
        .success();
    table
        .stdout_has("eligible 60 → drawn 60")
        .stdout_has("precision goal ±10 on csat needs 38 answers; drawing all 60 eligible contacts is expected to give 30: the goal cannot be reached this period");
}

#[test]
fn plan_on_the_example_program_shows_expected_answers_and_margins() {
    let s = Project::example().file("programs/contacts/clients.csv", contacts(1000));
    // October only (closed whatever the day the test runs): NPS 20×10, 10×8, 10×3 and
    // stars 30×5, 10×2, as in the report tests.
    let mut csv = String::from("submitted_at,response_id,recommandation,satisfaction\n");
    for (i, (nps, stars)) in std::iter::repeat_n((10, 5), 20)
        .chain(std::iter::repeat_n((8, 5), 10))
        .chain(std::iter::repeat_n((3, 2), 10))
        .enumerate()
    {
        csv.push_str(&format!("2026-10-{:02},o{i},{nps},{stars}\n", 1 + i % 28));
    }
    s.write("octobre.csv", csv);
    import(&s, "livraison", "octobre.csv")
        .success()
        .stdout_has("40 responses imported");
    let plan = plan_json(&s, "fidelite-clients");
    let survey = &plan["surveys"][0];
    assert_eq!(survey["survey"], "livraison");
    assert_eq!(drawn(survey), 400);
    // Imported answers have no invitations: the response rate is the default assumption,
    // 20 %, so 400 × 0.2 = 80 answers.
    let expected = &survey["expected"];
    assert_eq!(expected["response_rate_basis"]["source"], "assumption");
    assert_eq!(expected["response_rate_basis"]["stated"], false);
    assert!((expected["answers"].as_f64().expect("answers") - 80.0).abs() < 1e-9);
    // NPS of October: p₊ = 0.5, p₋ = 0.25, NPS 25, per-answer variance
    // 100² · (0.75 − 0.25²) = 6875; 80 answers of N = 1000 eligible:
    // 1.959964 · √(6875/80 · 920/999) = 1.959964 · 8.896223 = 17.4363.
    let nps_margin = Z95 * (6875.0 / 80.0 * 920.0 / 999.0f64).sqrt();
    // CSAT of October: 30 of 40 satisfied, 100² · 0.75 · 0.25 = 1875:
    // 1.959964 · √(1875/80 · 920/999) = 9.1057.
    let csat_margin = Z95 * (1875.0 / 80.0 * 920.0 / 999.0f64).sqrt();
    let margins = expected["margins"].as_array().expect("margins");
    let margin_of = |kpi: &str| {
        margins
            .iter()
            .find(|m| m["kpi"] == kpi)
            .unwrap_or_else(|| panic!("no {kpi} margin in {margins:?}"))
    };
    let nps = margin_of("nps");
    assert!((nps["moe95"].as_f64().expect("moe") - nps_margin).abs() < 1e-9);
    assert_eq!(nps["spread_from"], "2026-10");
    assert_eq!(nps["last_value"], 25.0);
    assert_eq!(nps["target"], 40.0);
    let csat = margin_of("csat");
    assert!((csat["moe95"].as_f64().expect("moe") - csat_margin).abs() < 1e-9);
    // ±17.4 is wider than the 15 points between October's +25 and the target +40.
    let notices: Vec<&str> = expected["warnings"]
        .as_array()
        .expect("notices")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("the expected margin on nps (±17.4) is wider than the distance between its last value (25.0) and its target (40)")),
        "{notices:?}"
    );

    s.args(["plan", "fidelite-clients", "--period", "2026-12"])
        .success()
        .stdout_has("expected answers 80 (400 drawn × 20.0% response rate, assumption: default, no invitation delivered in the last closed periods)")
        .stdout_has("expected 95% margin on nps: ±17.4 points (spread of 2026-10, where it was 25.0; target 40)")
        .stdout_has("expected 95% margin on csat: ±9.1 % points (spread of 2026-10, where it was 75.0)");
}

/// The precision test program with `precision` replaced.
fn with_precision(precision: &str) -> String {
    PROGRAM.replace("precision: { kpi: csat, moe95: 10 }", precision)
}

#[test]
fn impossible_precision_goals_fail_the_check_at_their_line() {
    let check = |yaml: String| {
        Project::new()
            .program("essai", &yaml)
            .contacts(&contacts(10))
            .args(["check"])
            .run()
            .no_panic()
    };
    check(with_precision("precision: { kpi: csat, moe95: 0 }"))
        .status(1)
        .stderr_has("precision margin 0 must be greater than 0")
        .stderr_has("programs/essai.yaml:23:36");
    check(with_precision("precision: { kpi: csat, moe95: -3 }"))
        .status(1)
        .stderr_has("precision margin -3 must be greater than 0");
    check(with_precision("precision: { kpi: nps, moe95: 5 }"))
        .status(1)
        .stderr_has(
            "sample `precis` sets a precision on nps, which survey `livraison` does not measure",
        )
        .stderr_has("programs/essai.yaml:23:23")
        .stderr_has("the survey measures csat");
    check(with_precision(
        "precision: { kpi: csat, moe95: 10 }\n    size: 40",
    ))
    .status(1)
    .stderr_has("sample `precis` sets both `size` and `precision`");
    check(PROGRAM.replace("expected_response_rate: 0.5", "expected_response_rate: 1.5"))
        .status(1)
        .stderr_has("expected response rate 1.5 is out of range");
    // Nothing was lost: the program as written passes.
    check(PROGRAM.to_owned())
        .status(0)
        .stdout_has("1 file checked, 0 problems");
}

#[test]
fn check_warns_when_a_fixed_size_expects_under_thirty_answers() {
    let small = PROGRAM.replace("precision: { kpi: csat, moe95: 10 }", "size: 40");
    Project::new()
        .program("essai", &small)
        .contacts(&contacts(10))
        .args(["check"])
        .success()
        .stderr_has("warning: sample `precis`: 40 drawn × 50% expected response rate (`expected_response_rate`) = 20 answers expected, under 30");
}

/// A monthly program whose sample takes every contact and states a 50 % response rate, so
/// an observed rate shows as a different number.
fn observed_program() -> String {
    PROGRAM.replace("precision: { kpi: csat, moe95: 10 }", "rate: 1.0")
}

/// Sends a period's wave through `ecoute send` (emails into the project's outbox) and stores
/// an answer for the first `answered` invitations, as the web form would.
async fn send_and_answer(project: &Project, period: &str, answered: usize) -> usize {
    project
        .args(["send", "essai", "--period", period])
        .args(["--at", &format!("{period}-02T09:00:00Z")])
        .success();
    let store = project.store().await;
    let (waves, _) = store.outbox_status(Some("essai"), 0).await.expect("status");
    let wave = waves
        .iter()
        .find(|w| w.wave.period == period)
        .unwrap_or_else(|| panic!("no wave for {period}: {waves:?}"));
    let invitations = store.wave_invitations(wave.wave.id).await.expect("wave");
    for invitation in invitations.iter().take(answered) {
        let row = store
            .outbox_row(invitation.id)
            .await
            .expect("row")
            .expect("exists");
        assert_eq!(row.state, "sent", "{row:?}");
        let stored = store
            .insert_response(&ecoute::records::NewResponse {
                invitation_id: Some(invitation.id),
                program_id: "essai".into(),
                survey_id: "livraison".into(),
                touchpoint_id: Some("livraison".into()),
                channel: "email".into(),
                period: period.into(),
                submitted_at: format!("{period}-03T09:00:00Z").parse().expect("time"),
                email: None,
                respondent: None,
                external_id: None,
                answers: Vec::new(),
                cases: Vec::new(),
                version: None,
            })
            .await
            .expect("response");
        assert!(stored.is_some());
    }
    store.close().await;
    invitations.len()
}

#[tokio::test]
async fn plan_uses_the_response_rate_observed_over_the_last_three_closed_periods() {
    let project = Project::new()
        .program("essai", &observed_program())
        .contacts(&contacts(20))
        .database(crate::support::TestDb::sqlite())
        .mail_folder();
    // March is answered by everyone, but it is the fourth closed period before July: left
    // out. April, May and June: 5, 6 and 7 answers of 20 delivered each.
    for (period, answered) in [
        ("2026-03", 20),
        ("2026-04", 5),
        ("2026-05", 6),
        ("2026-06", 7),
    ] {
        assert_eq!(send_and_answer(&project, period, answered).await, 20);
    }
    // July's plan (those periods closed on the 10th of the next month, long past): the
    // observed rate (5 + 6 + 7) / (20 + 20 + 20) = 18 / 60 = 0.3, not the stated 0.5, and
    // 20 drawn × 0.3 = 6 expected answers.
    let plan = project
        .args(["plan", "essai", "--period", "2026-07", "--format", "json"])
        .success()
        .json();
    let survey = &plan["surveys"][0];
    assert_eq!(drawn(survey), 20);
    let expected = &survey["expected"];
    let rate = expected["response_rate"].as_f64().expect("rate");
    assert!((rate - 18.0 / 60.0).abs() < 1e-12, "{expected}");
    let answers = expected["answers"].as_f64().expect("answers");
    assert!((answers - 20.0 * 18.0 / 60.0).abs() < 1e-9, "{expected}");
    let basis = &expected["response_rate_basis"];
    assert_eq!(basis["source"], "observed", "{basis}");
    assert_eq!(
        basis["periods"],
        serde_json::json!(["2026-04", "2026-05", "2026-06"])
    );
    assert_eq!(basis["delivered"], 60);
    assert_eq!(basis["answered"], 18);
    // Six answers of 20 eligible, no CSAT answer stored (worst case, V = 50²):
    // 1.959964 · √(2500/6 · 14/19).
    let margin = Z95 * (2500.0 / 6.0 * (20.0 - 6.0) / 19.0f64).sqrt();
    let shown = expected["margins"][0]["moe95"].as_f64().expect("margin");
    assert!((shown - margin).abs() < 1e-9, "{shown} vs {margin}");

    let table = project
        .args(["plan", "essai", "--period", "2026-07"])
        .success()
        .stdout_has(
            "expected answers 6 (20 drawn × 30.0% response rate, observed in 2026-04, 2026-05, 2026-06: 18 answered of 60 delivered)",
        );
    assert!(!table.stdout().contains("assumption"), "{}", table.stdout());
}
