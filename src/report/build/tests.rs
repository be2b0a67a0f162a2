//! Unit tests of report building: counters in, rows out, every expected figure computed here
//! from the formulas, never by the code under test.

use std::collections::BTreeMap;
use std::path::Path;

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::themes::{QUOTE_CHARS, anonymise};
use super::*;
use crate::metrics::{Kpi, Significance, TargetStatus};
use crate::program::CheckContext;
use crate::report::Row;
use crate::rollup::RollupKey;
use crate::templates::Templates;

/// z₀.₉₇₅, the two-sided 95 % normal quantile, from a table.
const Z95: f64 = 1.959_963_984_540_054;

fn example() -> Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/fidelite-clients.yaml");
    crate::program::load(
        &path,
        &CheckContext {
            templates: Templates::new(None),
        },
    )
    .expect("the example program loads")
}

fn period(key: &str) -> Period {
    Period {
        key: key.to_owned(),
        start: format!("{key}-01"),
        end: format!("{key}-end"),
        parts: vec![key.to_owned()],
    }
}

/// Counters of `answers` (question, value, count) of one survey in one period and segment;
/// the response count is the largest count of a question.
fn counters(
    period: &str,
    segment: (&str, &str),
    survey: &str,
    touchpoint: &str,
    answers: &[(&str, u8, u64)],
) -> Vec<RollupCount> {
    let key = |question: &str, value: u8| RollupKey {
        program_id: "fidelite-clients".into(),
        period: period.into(),
        segment: segment.0.into(),
        segment_value: segment.1.into(),
        survey_id: survey.into(),
        touchpoint_id: touchpoint.into(),
        channel: "email".into(),
        question_id: question.into(),
        value,
    };
    let mut per_question: BTreeMap<&str, u64> = BTreeMap::new();
    for (q, _, n) in answers {
        *per_question.entry(q).or_default() += n;
    }
    let responses = per_question.values().copied().max().unwrap_or(0);
    let mut out = vec![RollupCount {
        key: key("", 0),
        n: responses,
    }];
    out.extend(answers.iter().map(|(q, v, n)| RollupCount {
        key: key(q, *v),
        n: *n,
    }));
    out
}

fn inputs<'a>(
    program: &'a Program,
    counters: &'a [RollupCount],
    segment_counters: &'a [RollupCount],
    deliveries: &'a [Delivery],
    group_by: GroupBy,
) -> Inputs<'a> {
    Inputs {
        program,
        group_by,
        alpha: 0.05,
        period: period("2026-11"),
        vs: Some(period("2026-10")),
        counters,
        segment_counters,
        deliveries,
        indicators: &[],
        trend: vec![period("2026-10"), period("2026-11")],
        verbatims: &[],
        versions: &[],
        drivers: &[],
        actions: Vec::new(),
        follow_up: Vec::new(),
        overdue: Vec::new(),
        audits: &[],
        mentions: &[],
        generated_at: "2026-12-01T09:00:00+01:00".into(),
        notes: Vec::new(),
    }
}

fn find<'r>(report: &'r Report, group: &str, kpi: Kpi) -> &'r Row {
    report
        .rows
        .iter()
        .find(|r| r.group == group && r.kpi == kpi)
        .unwrap_or_else(|| panic!("no row {group} {kpi}"))
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Delivery: October 40 answers (20×10, 10×8, 10×3), November 50 (35×9, 5×7, 10×0).
fn delivery_counters() -> Vec<RollupCount> {
    let mut all = counters(
        "2026-10",
        ("", ""),
        "livraison",
        "livraison",
        &[
            ("recommandation", 10, 20),
            ("recommandation", 8, 10),
            ("recommandation", 3, 10),
            ("satisfaction", 5, 30),
            ("satisfaction", 2, 10),
        ],
    );
    all.extend(counters(
        "2026-11",
        ("", ""),
        "livraison",
        "livraison",
        &[
            ("recommandation", 9, 35),
            ("recommandation", 7, 5),
            ("recommandation", 0, 10),
            ("satisfaction", 4, 45),
            ("satisfaction", 1, 5),
        ],
    ));
    all
}

#[test]
fn nps_and_csat_with_margins_deltas_tests_and_targets() {
    let program = example();
    let all = delivery_counters();
    let report = build(&inputs(&program, &all, &[], &[], GroupBy::Touchpoint));

    // NPS November: p+ = 35/50 = 0.7, p− = 10/50 = 0.2 → 50; October: 0.5 − 0.25 → 25.
    let nps = find(&report, "livraison", Kpi::Nps);
    let (v1, v2) = (0.7 + 0.2 - 0.5f64.powi(2), 0.5 + 0.25 - 0.25f64.powi(2));
    assert_eq!(nps.n, 50);
    assert!(close(nps.value, 50.0));
    // Adjusted-Wald interval (Rocks 2016): n′ = 53, p₊′ = 35.75/53, p₋′ = 10.75/53.
    let (pa, ma): (f64, f64) = (35.75 / 53.0, 10.75 / 53.0);
    let half = 100.0 * Z95 * ((pa + ma - (pa - ma).powi(2)) / 53.0).sqrt();
    assert!(
        close(nps.ci95_low, 100.0 * (pa - ma) - half),
        "{:?}",
        nps.ci95_low
    );
    assert!(close(nps.ci95_high, 100.0 * (pa - ma) + half));
    assert!(close(nps.moe95, half));
    assert_eq!(nps.prev_n, Some(40));
    assert!(close(nps.prev_value, 25.0));
    assert!(close(nps.delta, 25.0));
    let z = 0.25 / (v1 / 50.0 + v2 / 40.0).sqrt();
    let p = 2.0 * (1.0 - Normal::standard().cdf(z));
    assert!(close(nps.p_value, p), "{:?} vs {p}", nps.p_value);
    // z = 0.25 / 0.1737 = 1.44: p ≈ 0.15, a real-looking 25 points that is not significant.
    assert!(p > 0.14 && p < 0.16, "{p}");
    assert_eq!(nps.significance, Some(Significance::NotSignificant));
    // Target 40: the interval [25.4, 69.0] straddles it.
    assert_eq!(nps.target, Some(40.0));
    assert_eq!(nps.target_status, Some(TargetStatus::Inconclusive));

    // CSAT stars5, top-2-box: 45/50 = 90 % against 30/40 = 75 %; pooled test.
    let csat = find(&report, "livraison", Kpi::Csat);
    assert!(close(csat.value, 90.0));
    // Wilson: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n) with p = 0.9, n = 50.
    let z2 = Z95 * Z95;
    let centre = (0.9 + z2 / 100.0) / (1.0 + z2 / 50.0);
    let half = Z95 / (1.0 + z2 / 50.0) * (0.9f64 * 0.1 / 50.0 + z2 / 10_000.0).sqrt();
    assert!(close(csat.ci95_low, 100.0 * (centre - half)));
    assert!(close(csat.ci95_high, 100.0 * (centre + half)));
    assert!(close(csat.moe95, 100.0 * half));
    let pooled: f64 = 75.0 / 90.0;
    let z = 0.15 / (pooled * (1.0 - pooled) * (1.0 / 50.0 + 1.0 / 40.0)).sqrt();
    assert!(close(csat.p_value, 2.0 * (1.0 - Normal::standard().cdf(z))));
    assert_eq!(csat.target, None);
    assert_eq!(csat.target_status, None);

    // The total is the same here (one survey answered), with the program-wide targets.
    let total = find(&report, "all", Kpi::Nps);
    assert_eq!(total.group_by, "all");
    assert!(close(total.value, 50.0));
    assert_eq!(report.stamp.responses, 50);
    assert_eq!(report.stamp.prev_responses, Some(40));

    // Defined but unanswered: rows with n = 0, empty values and deltas (never zero).
    let ces = find(&report, "centre-contacts", Kpi::Ces);
    assert_eq!((ces.n, ces.value, ces.delta), (0, None, None));
    assert_eq!(ces.target, Some(5.0));
    assert_eq!(ces.target_status, None);
}

#[test]
fn journey_trend_and_nps_split() {
    let program = example();
    let all = delivery_counters();
    let report = build(&inputs(&program, &all, &[], &[], GroupBy::Touchpoint));
    let ids: Vec<&str> = report.touchpoints.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["site-web", "magasin", "livraison", "centre-contacts", "sav"]
    );
    let delivery = &report.touchpoints[2];
    assert!(delivery.moment_of_truth);
    assert_eq!(delivery.kpi, Some(Kpi::Nps));
    let periods: Vec<&str> = delivery.trend.iter().map(|p| p.period.as_str()).collect();
    assert_eq!(periods, vec!["2026-10", "2026-11"]);
    assert!(close(delivery.trend[0].value, 25.0));
    assert!(close(delivery.trend[1].value, 50.0));
    let total = &report.nps[0];
    assert_eq!(total.group, "all");
    assert!((total.promoters - 70.0).abs() < 1e-9);
    assert!((total.passives - 10.0).abs() < 1e-9);
    assert!((total.detractors - 20.0).abs() < 1e-9);
}

#[test]
fn below_thirty_answers_is_too_few_and_never_judged_on_target() {
    let program = example();
    let mut all = counters(
        "2026-10",
        ("", ""),
        "livraison",
        "livraison",
        &[("recommandation", 0, 20)],
    );
    all.extend(counters(
        "2026-11",
        ("", ""),
        "livraison",
        "livraison",
        &[("recommandation", 10, 20)],
    ));
    let report = build(&inputs(&program, &all, &[], &[], GroupBy::Touchpoint));
    let nps = find(&report, "livraison", Kpi::Nps);
    // All promoters: 100 with no spread, yet an interval: n′ = 23, p₊′ = 20.75/23,
    // p₋′ = 0.75/23, NPS′ = 20/23; clamped at 100 above. Still 20 answers only.
    assert!(close(nps.value, 100.0));
    let (pa, ma): (f64, f64) = (20.75 / 23.0, 0.75 / 23.0);
    let half = 100.0 * Z95 * ((pa + ma - (pa - ma).powi(2)) / 23.0).sqrt();
    assert!(
        close(nps.ci95_low, 100.0 * 20.0 / 23.0 - half),
        "{:?}",
        nps.ci95_low
    );
    assert!(close(nps.ci95_high, 100.0));
    assert!(close(nps.delta, 200.0));
    assert_eq!(nps.significance, Some(Significance::TooFew));
    assert_eq!(nps.target_status, Some(TargetStatus::Inconclusive));
}

#[test]
fn a_period_without_responses_says_so_and_has_empty_deltas() {
    let program = example();
    let all = counters(
        "2026-10",
        ("", ""),
        "livraison",
        "livraison",
        &[("recommandation", 9, 40)],
    );
    let report = build(&inputs(&program, &all, &[], &[], GroupBy::Touchpoint));
    assert_eq!(report.stamp.responses, 0);
    assert!(
        report
            .stamp
            .notes
            .iter()
            .any(|n| n.contains("Aucune réponse")),
        "{:?}",
        report.stamp.notes
    );
    let nps = find(&report, "all", Kpi::Nps);
    assert_eq!((nps.n, nps.value, nps.moe95), (0, None, None));
    assert_eq!(nps.prev_n, Some(40));
    assert!(close(nps.prev_value, 100.0));
    assert_eq!(nps.delta, None);
    assert_eq!(nps.p_value, None);
}

#[test]
fn ces_uses_welch_and_fcr_a_share() {
    let program = example();
    // October: effort 7×10, 5×10, 3×10 (mean 5, s² = 80/29); November 7×15, 5×15 (mean 6,
    // s² = 30/29). FCR: 24 of 30 yes, then 27 of 30.
    let mut all = counters(
        "2026-10",
        ("", ""),
        "centre-contacts",
        "centre-contacts",
        &[
            ("effort", 7, 10),
            ("effort", 5, 10),
            ("effort", 3, 10),
            ("resolu", 1, 24),
            ("resolu", 0, 6),
        ],
    );
    all.extend(counters(
        "2026-11",
        ("", ""),
        "centre-contacts",
        "centre-contacts",
        &[
            ("effort", 7, 15),
            ("effort", 5, 15),
            ("resolu", 1, 27),
            ("resolu", 0, 3),
        ],
    ));
    let report = build(&inputs(&program, &all, &[], &[], GroupBy::Touchpoint));
    let ces = find(&report, "centre-contacts", Kpi::Ces);
    let (a, b): (f64, f64) = (30.0 / 29.0 / 30.0, 80.0 / 29.0 / 30.0);
    assert!(close(ces.value, 6.0));
    // Student's t: 6 ± t₀.₉₇₅,₂₉ · s/√30 with s = √(30/29) and t₀.₉₇₅,₂₉ = 2.045230 (table).
    let half = 2.045_230 * (30.0f64 / 29.0).sqrt() / 30.0f64.sqrt();
    assert!(
        ces.moe95.is_some_and(|m| (m - half).abs() < 1e-6),
        "{:?}",
        ces.moe95
    );
    assert!(
        ces.ci95_low
            .is_some_and(|l| (l - (6.0 - half)).abs() < 1e-6)
    );
    assert!(close(ces.delta, 1.0));
    let df = (a + b) * (a + b) / (a * a / 29.0 + b * b / 29.0);
    let t = 1.0 / (a + b).sqrt();
    let student = StudentsT::new(0.0, 1.0, df).expect("df > 0");
    assert!(close(ces.p_value, 2.0 * (1.0 - student.cdf(t))));
    assert_eq!(ces.significance, Some(Significance::Significant));
    // Target CES ≥ 5: 6 ± 0.38 is wholly above.
    assert_eq!(ces.target_status, Some(TargetStatus::Met));

    let fcr = find(&report, "centre-contacts", Kpi::Fcr);
    assert!(close(fcr.value, 90.0));
    assert!(close(fcr.prev_value, 80.0));
    assert_eq!(fcr.significance, Some(Significance::NotSignificant));
    // Target FCR ≥ 75: 27 of 30, Wilson centre (0.9 + z²/60)/(1 + z²/30) = 0.854594, half
    // 1.959964/1.128049 · √(0.003 + 0.001067) = 0.110805 → [74.38, 96.54]: the lower bound
    // is below 75, so the target is not yet met (the Wald interval said 79.3, met).
    let z2 = Z95 * Z95;
    let centre = (0.9 + z2 / 60.0) / (1.0 + z2 / 30.0);
    let half = Z95 / (1.0 + z2 / 30.0) * (0.9f64 * 0.1 / 30.0 + z2 / 3600.0).sqrt();
    assert!(close(fcr.ci95_low, 100.0 * (centre - half)));
    assert!(fcr.ci95_low.is_some_and(|low| low < 75.0));
    assert_eq!(fcr.target_status, Some(TargetStatus::Inconclusive));
}

#[test]
fn response_rate_comes_from_delivered_invitations() {
    let program = example();
    let deliveries = vec![
        Delivery {
            period: "2026-11".into(),
            survey_id: "centre-contacts".into(),
            channel: "email".into(),
            delivered: 200,
            answered: 50,
        },
        Delivery {
            period: "2026-10".into(),
            survey_id: "centre-contacts".into(),
            channel: "email".into(),
            delivered: 100,
            answered: 20,
        },
    ];
    let report = build(&inputs(&program, &[], &[], &deliveries, GroupBy::Channel));
    let rate = find(&report, "email", Kpi::ResponseRate);
    assert_eq!(rate.group_by, "channel");
    assert_eq!(rate.n, 200);
    assert!(close(rate.value, 25.0));
    assert!(close(rate.prev_value, 20.0));
    // Program-wide target 20 %: 50 of 200, Wilson [19.5, 31.4] → lower bound < 20,
    // inconclusive.
    assert_eq!(rate.target, Some(20.0));
    assert_eq!(rate.target_status, Some(TargetStatus::Inconclusive));
    let total = find(&report, "all", Kpi::ResponseRate);
    assert!(close(total.value, 25.0));
}

#[test]
fn segments_merge_every_touchpoint() {
    let program = example();
    let mut segment = counters(
        "2026-11",
        ("region", "IDF"),
        "livraison",
        "livraison",
        &[("recommandation", 10, 3)],
    );
    segment.extend(counters(
        "2026-11",
        ("region", "IDF"),
        "sav",
        "sav",
        &[("recommandation", 0, 1)],
    ));
    segment.extend(counters(
        "2026-10",
        ("region", "Nord"),
        "sav",
        "sav",
        &[("recommandation", 8, 2)],
    ));
    let report = build(&inputs(
        &program,
        &[],
        &segment,
        &[],
        GroupBy::Segment("region".into()),
    ));
    let idf = find(&report, "IDF", Kpi::Nps);
    assert_eq!(idf.group_by, "segment:region");
    assert_eq!(idf.n, 4);
    assert!(close(idf.value, 50.0));
    assert_eq!(idf.prev_n, Some(0));
    let nord = find(&report, "Nord", Kpi::Nps);
    assert_eq!((nord.n, nord.value), (0, None));
    assert!(close(nord.prev_value, 0.0));
}

#[test]
fn the_digest_depends_on_counts_not_on_order() {
    let all = delivery_counters();
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(digest(&all, &[]), digest(&reversed, &[]));
    let mut changed = all.clone();
    changed[1].n += 1;
    assert_ne!(digest(&all, &[]), digest(&changed, &[]));
    assert_eq!(digest(&all, &[]).len(), 64);
}

#[test]
fn group_by_parses_and_refuses_unknown_values() {
    assert_eq!("touchpoint".parse(), Ok(GroupBy::Touchpoint));
    assert_eq!("channel".parse(), Ok(GroupBy::Channel));
    assert_eq!(
        "segment:region".parse(),
        Ok(GroupBy::Segment("region".into()))
    );
    let err = "segment:".parse::<GroupBy>().err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("segment:ATTRIBUTE")));
    assert!("region".parse::<GroupBy>().is_err());
}

#[test]
fn quotes_mask_emails_and_detractors_come_first() {
    assert_eq!(anonymise("écrivez à jean@x.fr svp"), "écrivez à […] svp");
    let long = "mot ".repeat(100);
    assert_eq!(anonymise(&long).chars().count(), QUOTE_CHARS + 1);
}

#[test]
fn rows_say_when_the_question_behind_them_changed() {
    use crate::rollup::{Aspect, VersionKey, VersionSeen};
    let program = example();
    let mut all = counters(
        "2026-10",
        ("", ""),
        "livraison",
        "livraison",
        &[("recommandation", 9, 40), ("satisfaction", 5, 40)],
    );
    all.extend(counters(
        "2026-11",
        ("", ""),
        "livraison",
        "livraison",
        &[("recommandation", 10, 40), ("satisfaction", 4, 40)],
    ));
    let at = |when: &str| {
        when.parse::<jiff::Timestamp>()
            .expect("instant")
            .as_second()
    };
    let seen =
        |period: &str, question: &str, aspect, fingerprint: &str, detail: &str, when| VersionSeen {
            key: VersionKey {
                program_id: "fidelite-clients".into(),
                period: period.into(),
                survey_id: "livraison".into(),
                question_id: question.into(),
                aspect,
                fingerprint: fingerprint.into(),
            },
            detail: detail.into(),
            first_seen: at(when),
        };
    let stars = r#"{"type":"csat","scale":"stars5"}"#;
    let smileys = r#"{"type":"csat","scale":"smileys5"}"#;
    let versions = [
        seen(
            "2026-10",
            "satisfaction",
            Aspect::Definition,
            "s",
            stars,
            "2026-10-03T09:00:00+02:00",
        ),
        seen(
            "2026-11",
            "satisfaction",
            Aspect::Definition,
            "s",
            stars,
            "2026-11-01T09:00:00+01:00",
        ),
        // The new scale's first answer: 2 November, 00:30 in Paris (still 1 November in UTC).
        seen(
            "2026-11",
            "satisfaction",
            Aspect::Definition,
            "m",
            smileys,
            "2026-11-02T00:30:00+01:00",
        ),
        seen(
            "2026-10",
            "recommandation",
            Aspect::Wording,
            "w1",
            r#"{"fr":"a"}"#,
            "2026-10-03T09:00:00+02:00",
        ),
        seen(
            "2026-11",
            "recommandation",
            Aspect::Wording,
            "w2",
            r#"{"fr":"b"}"#,
            "2026-11-04T12:00:00+01:00",
        ),
        seen(
            "2026-11",
            "recommandation",
            Aspect::Definition,
            "n",
            r#"{"type":"nps"}"#,
            "2026-11-04T12:00:00+01:00",
        ),
        seen(
            "2026-10",
            "recommandation",
            Aspect::Definition,
            "n",
            r#"{"type":"nps"}"#,
            "2026-10-03T09:00:00+02:00",
        ),
    ];
    let mut inputs = inputs(&program, &all, &[], &[], GroupBy::Touchpoint);
    inputs.versions = &versions;
    let report = build(&inputs);
    for group in ["livraison", "all"] {
        let csat = find(&report, group, Kpi::Csat);
        assert_eq!(csat.significance, Some(Significance::NotComparable));
        assert_eq!((csat.delta, csat.p_value), (None, None));
        assert_eq!(
            csat.note.as_deref(),
            Some("changement d'échelle le 2026-11-02\u{a0}: stars5 → smileys5")
        );
        assert_eq!(
            csat.value,
            Some(100.0),
            "4 stars are satisfied on both scales"
        );
    }
    let nps = find(&report, "livraison", Kpi::Nps);
    assert_eq!(nps.wording_changed.as_deref(), Some("2026-11-04"));
    assert_eq!(
        nps.note.as_deref(),
        Some("formulation modifiée le 2026-11-04 (fr)")
    );
    assert_eq!(nps.delta, Some(0.0), "the change is kept: 100 then 100");
    // Without a comparison period there is nothing to flag.
    let mut alone = inputs;
    alone.vs = None;
    let report = build(&alone);
    assert_eq!(find(&report, "livraison", Kpi::Csat).note, None);
}
