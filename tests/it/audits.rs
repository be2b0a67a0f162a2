//! Mystery-shopper audits and social mentions, end to end on both backends: audit visits
//! imported with `responses import`, mentions with `mentions import`, and the JSON report
//! compared field by field with figures computed here by hand.

use serde_json::Value;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::harness::Project;
use crate::reports::{import, report_json, run_report};
use crate::support::{TestDb, both_backends};

/// Visit groups `(date, accueil-3-minutes, conseiller-disponible, prix-affiches, count)`.
/// Weights in the example program: accueil 2, conseiller 2, prix 1.
const VISITS: [(&str, &str, &str, &str, u32); 5] = [
    // October. 2 + 2 met out of 2 + 2 + 1 applicable: 100 × 4 ÷ 5 = 80.
    ("2026-10-15", "oui", "oui", "non", 20),
    // 0 + 2 met out of 5: 100 × 2 ÷ 5 = 40.
    ("2026-10-16", "non", "oui", "non", 10),
    // November. Everything met: 100 × 5 ÷ 5 = 100.
    ("2026-11-15", "oui", "oui", "oui", 22),
    // The adviser item does not apply: 100 × (2 + 1) ÷ (2 + 1) = 100.
    ("2026-11-16", "yes", "na", "1", 8),
    // Prices do not apply: 0 met out of 2 + 2 = 4 applicable: 0.
    ("2026-11-17", "non", "non", "not_applicable", 2),
];

fn visits_csv() -> String {
    let mut csv = String::from(
        "submitted_at,response_id,channel,accueil-3-minutes,conseiller-disponible,\
         prix-affiches,prix-affiches.comment\n",
    );
    let mut n = 0;
    for (date, welcome, adviser, prices, count) in VISITS {
        for _ in 0..count {
            n += 1;
            let comment = if prices == "non" {
                "étiquettes absentes"
            } else {
                ""
            };
            csv.push_str(&format!(
                "{date},v{n},visite-mystere,{welcome},{adviser},{prices},{comment}\n"
            ));
        }
    }
    csv
}

fn close(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((got - expected).abs() < 1e-9, "{got} is not {expected}");
}

/// Mean, sample standard deviation and n of scores given as `(score, count)`.
fn mean_sd(groups: &[(f64, f64)]) -> (f64, f64, f64) {
    let n: f64 = groups.iter().map(|(_, c)| c).sum();
    let mean = groups.iter().map(|(x, c)| x * c).sum::<f64>() / n;
    let ss: f64 = groups
        .iter()
        .map(|(x, c)| c * (x - mean) * (x - mean))
        .sum();
    (mean, (ss / (n - 1.0)).sqrt(), n)
}

/// Wilson's 95 % interval of `met` out of `n`, in percent.
fn wilson(met: f64, n: f64) -> (f64, f64) {
    let z = Normal::standard().inverse_cdf(0.975);
    let p = met / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (
        100.0 * (centre - half).max(0.0),
        100.0 * (centre + half).min(1.0),
    )
}

/// Two-sided p-value of the pooled two-proportion z-test.
fn z_test((m1, n1): (f64, f64), (m2, n2): (f64, f64)) -> f64 {
    let pooled = (m1 + m2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let z = (m1 / n1 - m2 / n2) / se;
    2.0 * (1.0 - Normal::standard().cdf(z.abs()))
}

fn item<'a>(audit: &'a Value, id: &str) -> &'a Value {
    audit["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id))
        .unwrap_or_else(|| panic!("no item {id} in {audit:#}"))
}

both_backends!(an_audit_report_matches_a_hand_computation);

async fn an_audit_report_matches_a_hand_computation(db: TestDb) {
    let s = Project::example().database(db);
    s.write("visites.csv", visits_csv());
    import(&s, "visite-mystere", "visites.csv")
        .success()
        .stdout_has("62 responses imported");
    let report = report_json(&s, "2026-11", &[]);
    check_audit(&report);
    check_audit_for_people(&s, &report);
    s.args(["db", "rebuild-rollups"]).success();
    let rebuilt = report_json(&s, "2026-11", &[]);
    assert_eq!(
        rebuilt["audits"], report["audits"],
        "a rebuild gives the same"
    );
}

/// The HTML and Markdown report of `s` for 2026-11, which must succeed.
fn for_people(s: &Project) -> (String, String) {
    let html = run_report(s, "2026-11", &["--format", "html"])
        .success()
        .stdout();
    let md = run_report(s, "2026-11", &["--format", "md"])
        .success()
        .stdout();
    (html, md)
}

/// The HTML and Markdown show the audit's figures of [`check_audit`], rounded for people.
fn check_audit_for_people(s: &Project, report: &Value) {
    let (html, md) = for_people(s);
    // Score 93.75 → 94 %; t interval 93.75 ± 2.040 × 24.59 ÷ √32 = ± 8.87, clamped:
    // [84.88, 100], shown as its bounds since 94 − 85 ≠ 100 − 94. October 66.67 → 67 %,
    // change +27.08 → +27, significant.
    let (_, section) = html
        .split_once("<h2>Visites mystère</h2>")
        .expect("the audits section");
    let section = section.split("</section>").next().unwrap_or_default();
    assert!(
        section.contains("<strong>94 %</strong> <span class=\"moe\">[85–100]</span> · 32 visites"),
        "{section}"
    );
    assert!(section.contains("67 % (30 visites)"), "{section}");
    assert!(section.contains(">+27</span>"), "{section}");
    assert!(section.contains("· significative</p>"), "{section}");
    assert!(md.contains("**94 %** [85–100] · 32 visites"), "{md}");
    // Welcome: 30 of 32 = 93.75 → 94 %, Wilson interval by hand; October 20/30 = 67 %;
    // it changed significantly, so it is marked.
    let welcome = item(&report["audits"][0], "accueil-3-minutes");
    let text = welcome["text"].as_str().expect("item text");
    let (low, high) = wilson(30.0, 32.0);
    let interval = format!("[{:.0}–{:.0}]", low, high);
    assert_eq!(interval, "[80–98]");
    assert!(
        section.contains(&format!(
            "<strong>◆ {}</strong></td><td class=\"num\">32</td><td class=\"num\">94 %<span class=\"moe\">{interval}</span></td><td class=\"num\">67 %</td>",
            text.replace('\'', "&#x27;")
        )),
        "{section}"
    );
    assert!(
        md.contains(&format!(
            "| 32 | 94 % | {interval} | 67 % | +27 | significative |"
        )),
        "{md}"
    );
    // The adviser item did not change significantly: not marked.
    let adviser = item(&report["audits"][0], "conseiller-disponible");
    let adviser = adviser["text"].as_str().expect("item text");
    assert!(!section.contains(&format!("◆ {}", adviser.replace('\'', "&#x27;"))));
}

fn check_audit(report: &Value) {
    let audit = &report["audits"][0];
    assert_eq!(audit["source"], "audit");
    assert_eq!(audit["survey"], "visite-mystere");
    assert_eq!(audit["touchpoint"], "magasin");
    // November: 30 visits at 100, 2 at 0. Mean 3000 ÷ 32 = 93.75.
    let (now, sd_now, n_now) = mean_sd(&[(100.0, 30.0), (0.0, 2.0)]);
    close(&Value::from(now), 93.75);
    assert_eq!(audit["visits"], 32);
    close(&audit["score"], now);
    // t interval: 93.75 ± t(0.975; 31) × s ÷ √32, clamped to 0–100.
    let t = StudentsT::new(0.0, 1.0, n_now - 1.0)
        .expect("t")
        .inverse_cdf(0.975);
    let half = t * sd_now / n_now.sqrt();
    close(&audit["interval"]["low"], now - half);
    close(&audit["interval"]["high"], (now + half).min(100.0));
    // October: 20 visits at 80, 10 at 40. Mean (1600 + 400) ÷ 30 = 66.67.
    let (before, sd_before, n_before) = mean_sd(&[(80.0, 20.0), (40.0, 10.0)]);
    close(&Value::from(before), 2000.0 / 30.0);
    assert_eq!(audit["prev_visits"], 30);
    close(&audit["prev_score"], before);
    close(&audit["delta"], now - before);
    // Welch's test: se² = s1²/n1 + s2²/n2, Welch–Satterthwaite degrees of freedom.
    let (v1, v2) = (sd_now * sd_now / n_now, sd_before * sd_before / n_before);
    let df = (v1 + v2).powi(2) / (v1 * v1 / (n_now - 1.0) + v2 * v2 / (n_before - 1.0));
    let welch_t = (now - before) / (v1 + v2).sqrt();
    let p = 2.0 * (1.0 - StudentsT::new(0.0, 1.0, df).expect("t").cdf(welch_t.abs()));
    close(&audit["p_value"], p);
    assert_eq!(audit["significance"], "significant");

    // Prices: November 22 + 8 = 30 met of 30 applicable (2 n.a.); October 0 of 30.
    let prices = item(audit, "prix-affiches");
    assert_eq!(
        (prices["met"].as_u64(), prices["applicable"].as_u64()),
        (Some(30), Some(30))
    );
    close(&prices["compliance"], 100.0);
    let (low, high) = wilson(30.0, 30.0);
    close(&prices["interval"]["low"], low);
    close(&prices["interval"]["high"], high);
    assert_eq!(
        (
            prices["prev_met"].as_u64(),
            prices["prev_applicable"].as_u64()
        ),
        (Some(0), Some(30))
    );
    close(&prices["p_value"], z_test((30.0, 30.0), (0.0, 30.0)));
    assert_eq!(prices["significance"], "significant");
    // Welcome: November 30 of 32, October 20 of 30.
    let welcome = item(audit, "accueil-3-minutes");
    assert_eq!(
        (welcome["met"].as_u64(), welcome["applicable"].as_u64()),
        (Some(30), Some(32))
    );
    close(&welcome["compliance"], 100.0 * 30.0 / 32.0);
    let (low, high) = wilson(30.0, 32.0);
    close(&welcome["interval"]["low"], low);
    close(&welcome["interval"]["high"], high);
    close(&welcome["weight"], 2.0);
    close(&welcome["p_value"], z_test((30.0, 32.0), (20.0, 30.0)));
    assert!(z_test((30.0, 32.0), (20.0, 30.0)) < 0.05);
    assert_eq!(welcome["significance"], "significant");
    // Adviser: 8 n.a. visits leave 22 met of 24 applicable, too few to test.
    let adviser = item(audit, "conseiller-disponible");
    assert_eq!(
        (adviser["met"].as_u64(), adviser["applicable"].as_u64()),
        (Some(22), Some(24))
    );
    assert_eq!(adviser["significance"], "too_few");
    // An item nobody answered: nothing applicable, no compliance.
    let till = item(audit, "proposition-fidelite");
    assert_eq!(till["applicable"], 0);
    assert_eq!(till["compliance"], Value::Null);
    assert_eq!(
        audit["changed_items"],
        serde_json::json!(["accueil-3-minutes", "prix-affiches"])
    );
}

#[test]
fn bad_audit_answers_are_refused_with_their_line_and_strict_imports_nothing() {
    let s = Project::example();
    s.write(
        "visites.csv",
        "submitted_at,accueil-3-minutes,prix-affiches,prix-affiches.comment\n\
         2026-11-15,oui,peut-être,\n\
         2026-11-16,oui,,prix barrés illisibles\n\
         2026-11-17,oui,non,\n",
    );
    import(&s, "visite-mystere", "visites.csv")
        .args(["--strict"])
        .run()
        .status(1)
        .stderr_has(
            "line 2: `prix-affiches`: `peut-être` is not yes, no or not_applicable (oui/non/na)",
        )
        .stderr_has("line 3: `prix-affiches`: a comment is given but not whether the item is met")
        .stdout_has("nothing imported (--strict)");
    import(&s, "visite-mystere", "visites.csv")
        .run()
        .status(1)
        .stdout_has("1 response imported");
}

#[test]
fn check_questions_refuse_a_weight_not_above_zero_and_a_survey_without_audit_channel() {
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/fidelite-clients.yaml"),
    )
    .expect("example program");
    let zero = example.replacen("        weight: 2\n", "        weight: 0\n", 1);
    let s = Project::new().program("fidelite-clients", &zero);
    s.args(["check"])
        .run()
        .status(1)
        .stderr_has("weight 0 of `accueil-3-minutes` is not a positive number");
    let no_audit = example.replacen(
        "    channels: [visite-mystere]",
        "    channels: [qr-magasin]",
        1,
    );
    let s = Project::new().program("fidelite-clients", &no_audit);
    s.args(["check"]).run().status(1).stderr_has(
        "check question `accueil-3-minutes` is in survey `visite-mystere`, which has no audit channel",
    );
}

/// Mentions `(date, source, text, rating)`; themes of the example program: prix (prix,
/// cher…), accueil (accueil, vendeur…), delai (attente, long…).
const MENTIONS: &str = "date,source,text,rating,url,touchpoint\n\
    2026-11-03,Google,Vendeur très aimable mais prix trop cher,4,https://g.example/1,magasin\n\
    2026-11-04,Instagram,Trop d'attente en caisse,,https://i.example/2,\n\
    2026-11-05,Google,Accueil parfait,5,,magasin\n\
    2026-11-06,Trustpilot,Livraison en retard et attente au téléphone,1,,\n\
    2026-10-20,Google,Les prix ont augmenté,2,,\n";

both_backends!(mentions_are_counted_by_theme_with_their_average_rating);

async fn mentions_are_counted_by_theme_with_their_average_rating(db: TestDb) {
    let s = Project::example().database(db);
    // The report needs responses to compare periods: one visit in each month.
    s.write(
        "visites.csv",
        "submitted_at,accueil-3-minutes\n2026-10-15,oui\n2026-11-15,oui\n",
    );
    import(&s, "visite-mystere", "visites.csv").success();
    s.write("mentions.csv", MENTIONS);
    let mentions = |s: &Project| {
        s.args([
            "mentions",
            "import",
            "--program",
            "fidelite-clients",
            "mentions.csv",
        ])
        .run()
    };
    mentions(&s)
        .status(0)
        .stdout_has("5 rows read: 5 mentions imported");
    mentions(&s)
        .status(0)
        .stdout_has("0 mentions imported, 5 already imported");
    let report = report_json(&s, "2026-11", &[]);
    let m = &report["mentions"];
    // November: 4 mentions, 3 rated: (4 + 5 + 1) ÷ 3.
    assert_eq!(m["count"], 4);
    assert_eq!(m["rated"], 3);
    close(&m["average_rating"], 10.0 / 3.0);
    assert_eq!(m["prev_count"], 1);
    close(&m["prev_average_rating"], 2.0);
    let theme = |name: &str| {
        m["themes"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["theme"] == name))
            .unwrap_or_else(|| panic!("no theme {name} in {m:#}"))
            .clone()
    };
    // délai: "attente" twice (ratings none and 1): 2 mentions, mean 1.
    let delay = theme("delai");
    assert_eq!(
        (delay["count"].as_u64(), delay["rated"].as_u64()),
        (Some(2), Some(1))
    );
    close(&delay["average_rating"], 1.0);
    assert_eq!(delay["source"], "mentions");
    // accueil: "Vendeur" (4) and "Accueil" (5): mean 4.5.
    let welcome = theme("accueil");
    assert_eq!(welcome["count"], 2);
    close(&welcome["average_rating"], 4.5);
    // prix: "prix … cher" (4) now, "prix" (2) in October.
    let price = theme("prix");
    assert_eq!(
        (price["count"].as_u64(), price["prev_count"].as_u64()),
        (Some(1), Some(1))
    );
    close(&price["average_rating"], 4.0);
    close(&price["prev_average_rating"], 2.0);
    // livraison: "Livraison" is not one of its words (livreur, colis…); qualite: none.
    let names: Vec<&str> = m["themes"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["theme"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["accueil", "delai", "prix"], "by theme name");
    // For people: 4 mentions against 1 (+3), rating 10/3 = 3,3 against 2,0 (+1,3); prix
    // 1 against 1 (=), 4,0 against 2,0 (+2,0).
    let (html, md) = for_people(&s);
    let (_, section) = html
        .split_once("<h2>Réseaux sociaux</h2>")
        .expect("the mentions section");
    assert!(
        section.contains("Toutes les mentions</td><td class=\"num\">4</td><td class=\"num\">1</td><td class=\"num\">+3</td><td class=\"num\">3,3</td><td class=\"num\">2,0</td><td class=\"num\">+1,3</td>"),
        "{section}"
    );
    assert!(
        md.contains("| **Toutes les mentions** | 4 | 1 | +3 | 3,3 | 2,0 | +1,3 |"),
        "{md}"
    );
    assert!(
        md.contains("| prix | 1 | 1 | = | 4,0 | 2,0 | +2,0 |"),
        "{md}"
    );
}

#[test]
fn bad_mentions_are_refused_with_their_line_and_strict_imports_nothing() {
    let s = Project::example();
    s.write(
        "mentions.csv",
        "date,source,text,rating,touchpoint\n\
         2026-11-03,Google,,4,\n\
         2026-11-04,Google,Très bien,6,magazin\n\
         2026-11-05,Google,Accueil parfait,5,magasin\n",
    );
    let run = |strict: bool| {
        let mut args = vec![
            "mentions",
            "import",
            "--program",
            "fidelite-clients",
            "mentions.csv",
        ];
        if strict {
            args.push("--strict");
        }
        s.args(args).run()
    };
    run(true)
        .status(1)
        .stderr_has("line 2: `text` is empty")
        .stderr_has("line 3: `rating` `6` is not a whole number from 1 to 5")
        .stderr_has("unknown touchpoint `magazin` (did you mean `magasin`?)")
        .stdout_has("nothing imported (--strict)");
    run(false).status(1).stdout_has("1 mention imported");
    s.write("typo.csv", "date,source,txt\n2026-11-03,Google,Bien\n");
    s.args([
        "mentions",
        "import",
        "--program",
        "fidelite-clients",
        "typo.csv",
    ])
    .run()
    .status(2)
    .stderr_has("unknown column `txt`, did you mean `text`?");
}
