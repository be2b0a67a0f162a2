//! Behaviour of the sampler as the plan sees it. Expected values are derived by hand (or
//! from the priority function directly) in each test.

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::*;

/// An in-memory history of suppressions and past contacts.
#[derive(Default)]
struct History {
    suppressed: BTreeSet<String>,
    last_contacted: BTreeMap<String, Timestamp>,
    drawn_by: BTreeMap<String, String>,
}

impl Exclusions for History {
    fn is_suppressed(&self, email: &str) -> bool {
        self.suppressed.contains(email)
    }

    fn last_contacted(&self, email: &str) -> Option<Timestamp> {
        self.last_contacted.get(email).copied()
    }

    fn drawn_by(&self, email: &str) -> Option<&str> {
        self.drawn_by.get(email).map(String::as_str)
    }
}

fn candidate(email: &str, attributes: serde_json::Value) -> Candidate {
    let attributes = match attributes {
        serde_json::Value::Object(map) => map,
        other => panic!("test attributes must be an object, got {other}"),
    };
    Candidate {
        email: email.to_owned(),
        attributes,
        locale: Some("fr-FR".to_owned()),
    }
}

fn spec(draw: Draw) -> SampleSpec {
    SampleSpec {
        id: "clients".to_owned(),
        filter: None,
        draw,
        strata: Vec::new(),
        min_per_stratum: None,
        seed: 20261101,
    }
}

fn scope() -> SampleScope {
    SampleScope::new("fidelite", "livraison", "2026-11")
}

fn plan_time() -> Timestamp {
    "2026-11-02T08:00:00Z".parse().expect("valid timestamp")
}

/// `n` contacts `c0000@example.fr`…, with the segment given by `segment(i)`.
fn population(n: usize, segment: impl Fn(usize) -> &'static str) -> Vec<Candidate> {
    (0..n)
        .map(|i| {
            candidate(
                &format!("c{i:05}@example.fr"),
                json!({"segment": segment(i), "orders": i % 7}),
            )
        })
        .collect()
}

fn draw(spec: &SampleSpec, candidates: &[Candidate]) -> SampleOutcome {
    sample(spec, &scope(), None, &History::default(), candidates).expect("draws")
}

fn emails(outcome: &SampleOutcome) -> Vec<&str> {
    outcome.drawn.iter().map(|d| d.email.as_str()).collect()
}

fn counts(outcome: &SampleOutcome) -> Vec<(Vec<String>, u64, Option<u64>, u64)> {
    outcome
        .per_stratum
        .iter()
        .map(|s| (s.values.clone(), s.eligible, s.allocated, s.drawn))
        .collect()
}

fn values(value: &str) -> Vec<String> {
    vec![value.to_owned()]
}

#[test]
fn same_inputs_in_any_order_give_byte_identical_json() {
    let mut stratified = spec(Draw::Size(40));
    stratified.strata = vec!["segment".to_owned()];
    stratified.filter = Some(Expr::compile("orders >= 2").expect("valid"));
    stratified.min_per_stratum = Some(5);
    let mut candidates = population(1000, |i| ["B2B", "B2C", "PRO"][i % 3]);
    let reference = serde_json::to_string(&draw(&stratified, &candidates)).expect("json");
    candidates.reverse();
    assert_eq!(
        serde_json::to_string(&draw(&stratified, &candidates)).expect("json"),
        reference
    );
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..3 {
        candidates.shuffle(&mut rng);
        assert_eq!(
            serde_json::to_string(&draw(&stratified, &candidates)).expect("json"),
            reference
        );
    }
}

#[test]
fn a_size_takes_exactly_the_lowest_priorities() {
    let candidates = population(500, |_| "B2C");
    let outcome = draw(&spec(Draw::Size(25)), &candidates);
    let key = PriorityKey::new(20261101, "fidelite/livraison/2026-11");
    let mut by_priority: Vec<(u64, &str)> = candidates
        .iter()
        .map(|c| (key.priority(&c.email), c.email.as_str()))
        .collect();
    by_priority.sort_unstable();
    let mut expected: Vec<&str> = by_priority[..25].iter().map(|(_, e)| *e).collect();
    expected.sort_unstable();
    assert_eq!(emails(&outcome), expected);
    assert_eq!((outcome.eligible, outcome.not_drawn), (500, 475));
    assert!(outcome.warnings.is_empty());
}

#[test]
fn another_seed_or_period_draws_differently() {
    let candidates = population(500, |_| "B2C");
    let base = spec(Draw::Size(25));
    let reference = draw(&base, &candidates);
    let mut reseeded = spec(Draw::Size(25));
    reseeded.seed += 1;
    assert_ne!(emails(&draw(&reseeded, &candidates)), emails(&reference));
    let next_period = SampleScope::new("fidelite", "livraison", "2026-12");
    let other = sample(&base, &next_period, None, &History::default(), &candidates).expect("draws");
    assert_ne!(emails(&other), emails(&reference));
    assert_eq!(other.scope, "fidelite/livraison/2026-12");
}

#[test]
fn strata_get_proportional_shares() {
    let mut stratified = spec(Draw::Size(10));
    stratified.strata = vec!["segment".to_owned()];
    // 50 B2B, 30 B2C, 20 PRO → 10 · 50/100 = 5, 3, 2.
    let candidates = population(100, |i| match i {
        0..50 => "B2B",
        50..80 => "B2C",
        _ => "PRO",
    });
    let outcome = draw(&stratified, &candidates);
    assert_eq!(
        counts(&outcome),
        vec![
            (values("B2B"), 50, Some(5), 5),
            (values("B2C"), 30, Some(3), 3),
            (values("PRO"), 20, Some(2), 2),
        ]
    );
    let pro = outcome
        .drawn
        .iter()
        .filter(|d| d.stratum == values("PRO"))
        .count();
    assert_eq!(pro, 2);
}

#[test]
fn equal_remainders_favour_the_stratum_sorting_first() {
    let mut stratified = spec(Draw::Size(7));
    stratified.strata = vec!["segment".to_owned()];
    // Offered PRO first to show that input order does not decide the tie: 7/3 = 2.33 each,
    // the one unit left goes to "B2B", which sorts first.
    let candidates = population(30, |i| ["PRO", "B2C", "B2B"][i % 3]);
    let outcome = draw(&stratified, &candidates);
    assert_eq!(
        counts(&outcome),
        vec![
            (values("B2B"), 10, Some(3), 3),
            (values("B2C"), 10, Some(2), 2),
            (values("PRO"), 10, Some(2), 2),
        ]
    );
}

#[test]
fn minimum_per_stratum_is_honoured_and_capped() {
    let mut stratified = spec(Draw::Size(10));
    stratified.strata = vec!["segment".to_owned()];
    stratified.min_per_stratum = Some(3);
    // 90 / 8 / 2: proportional 9/1/0; minimum 3 (2 for the stratum of 2) → 5/3/2.
    let candidates = population(100, |i| match i {
        0..90 => "B2C",
        90..98 => "PRO",
        _ => "VIP",
    });
    let outcome = draw(&stratified, &candidates);
    assert_eq!(
        counts(&outcome),
        vec![
            (values("B2C"), 90, Some(5), 5),
            (values("PRO"), 8, Some(3), 3),
            (values("VIP"), 2, Some(2), 2),
        ]
    );
    assert_eq!(
        outcome.warnings,
        vec![Warning::StratumBelowMinimum {
            stratum: values("VIP"),
            minimum: 3,
            eligible: 2,
        }]
    );
}

#[test]
fn minimums_beyond_the_size_win_with_a_warning() {
    let mut stratified = spec(Draw::Size(4));
    stratified.strata = vec!["segment".to_owned()];
    stratified.min_per_stratum = Some(2);
    let candidates = population(30, |i| ["B2B", "B2C", "PRO"][i % 3]);
    let outcome = draw(&stratified, &candidates);
    assert_eq!(outcome.drawn.len(), 6);
    assert_eq!(
        outcome.warnings,
        vec![Warning::MinimumsExceedSize {
            size: 4,
            required: 6
        }]
    );
}

#[test]
fn a_rate_keeps_priorities_below_the_threshold() {
    let mut stratified = spec(Draw::Rate(0.1));
    stratified.strata = vec!["segment".to_owned()];
    let candidates = population(10_000, |i| if i % 4 == 0 { "B2B" } else { "B2C" });
    let outcome = draw(&stratified, &candidates);
    let key = PriorityKey::new(20261101, "fidelite/livraison/2026-11");
    let threshold = u64::MAX / 10;
    let expected: Vec<&str> = candidates
        .iter()
        .filter(|c| key.priority(&c.email) < threshold)
        .map(|c| c.email.as_str())
        .collect();
    assert_eq!(emails(&outcome), expected);
    // Binomial(10,000, 0.1): mean 1,000, standard deviation 30.
    assert!(
        (900..=1100).contains(&outcome.drawn.len()),
        "{}",
        outcome.drawn.len()
    );
    let per_stratum = counts(&outcome);
    // Binomial(2,500, 0.1) and (7,500, 0.1): means 250 and 750, deviations 15 and 26.
    assert!((190..=310).contains(&per_stratum[0].3), "{per_stratum:?}");
    assert!((650..=850).contains(&per_stratum[1].3), "{per_stratum:?}");
    assert_eq!(per_stratum[0].2, None);
}

#[test]
fn a_rate_of_one_takes_everyone() {
    let candidates = population(50, |_| "B2C");
    let outcome = draw(&spec(Draw::Rate(1.0)), &candidates);
    assert_eq!((outcome.drawn.len(), outcome.not_drawn), (50, 0));
}

#[test]
fn a_rate_is_topped_up_to_the_minimum_with_the_next_priorities() {
    let mut stratified = spec(Draw::Rate(0.01));
    stratified.strata = vec!["segment".to_owned()];
    stratified.min_per_stratum = Some(5);
    let candidates = population(40, |_| "PRO");
    let outcome = draw(&stratified, &candidates);
    let key = PriorityKey::new(20261101, "fidelite/livraison/2026-11");
    let mut by_priority: Vec<(u64, &str)> = candidates
        .iter()
        .map(|c| (key.priority(&c.email), c.email.as_str()))
        .collect();
    by_priority.sort_unstable();
    let below_rate = by_priority
        .iter()
        .filter(|(p, _)| *p < u64::MAX / 100)
        .count();
    let mut expected: Vec<&str> = by_priority[..below_rate.max(5)]
        .iter()
        .map(|(_, e)| *e)
        .collect();
    expected.sort_unstable();
    assert_eq!(emails(&outcome), expected);
}

#[test]
fn invalid_rates_are_rejected() {
    for rate in [0.0, -0.5, 1.5, f64::NAN] {
        let history = History::default();
        match Sampler::new(&spec(Draw::Rate(rate)), &scope(), None, &history) {
            Err(SampleError::InvalidRate { sample, .. }) => assert_eq!(sample, "clients"),
            Err(other) => panic!("rate {rate}: unexpected error {other}"),
            Ok(_) => panic!("rate {rate} accepted"),
        }
    }
}

#[test]
fn exclusions_apply_in_order_and_count_once() {
    let mut filtered = spec(Draw::Size(100));
    filtered.filter = Some(Expr::compile(r#"segment == "B2B""#).expect("valid"));
    let candidates = vec![
        // Suppressed, recently contacted and failing the filter: counts as suppressed only.
        candidate("a@example.fr", json!({"segment": "B2C"})),
        // Recently contacted and failing the filter: counts as fatigue only.
        candidate("b@example.fr", json!({"segment": "B2C"})),
        // Contacted exactly 30 days ago: outside the window, eligible.
        candidate("c@example.fr", json!({"segment": "B2B"})),
        // Contacted 30 days minus one second ago: inside the window.
        candidate("d@example.fr", json!({"segment": "B2B"})),
        candidate("e@example.fr", json!({"segment": "B2C"})),
        candidate("f@example.fr", json!({"segment": "B2B"})),
    ];
    let now = plan_time();
    let days30 = SignedDuration::from_hours(30 * 24);
    let history = History {
        suppressed: BTreeSet::from(["a@example.fr".to_owned()]),
        last_contacted: BTreeMap::from([
            ("a@example.fr".to_owned(), now),
            ("b@example.fr".to_owned(), now),
            ("c@example.fr".to_owned(), now - days30),
            (
                "d@example.fr".to_owned(),
                now - days30 + SignedDuration::from_secs(1),
            ),
        ]),
        ..History::default()
    };
    let fatigue = Fatigue {
        min_days_between_contacts: 30,
        plan_time: now,
    };
    let outcome = sample(&filtered, &scope(), Some(fatigue), &history, &candidates).expect("draws");
    assert_eq!(
        (
            outcome.population,
            outcome.excluded_suppressed,
            outcome.excluded_fatigue,
            outcome.excluded_filter,
            outcome.eligible,
        ),
        (6, 1, 2, 1, 2)
    );
    assert_eq!(emails(&outcome), vec!["c@example.fr", "f@example.fr"]);
    // Without a fatigue rule, only suppression and the filter apply.
    let outcome = sample(&filtered, &scope(), None, &history, &candidates).expect("draws");
    assert_eq!((outcome.excluded_fatigue, outcome.excluded_filter), (0, 2));
}

#[test]
fn contacts_lacking_a_filter_attribute_do_not_match_and_are_counted() {
    let mut filtered = spec(Draw::Size(1));
    filtered.filter = Some(Expr::compile(r#"segment == "B2B" and orders >= 3"#).expect("valid"));
    let candidates = vec![
        candidate("a@example.fr", json!({"segment": "B2B", "orders": 4})),
        candidate("b@example.fr", json!({"orders": 4})),
        candidate("c@example.fr", json!({})),
        candidate("d@example.fr", json!({"segment": null, "orders": 5})),
        candidate("e@example.fr", json!({"segment": "B2B", "orders": 1})),
    ];
    let outcome = draw(&filtered, &candidates);
    assert_eq!(emails(&outcome), vec!["a@example.fr"]);
    assert_eq!(outcome.excluded_filter, 4);
    assert_eq!(
        outcome.filter_missing_attribute,
        BTreeMap::from([("orders".to_owned(), 1), ("segment".to_owned(), 3)])
    );
    let messages: Vec<String> = outcome.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        messages,
        vec![
            "1 contacts have no `orders`: treated as not matching the filter",
            "3 contacts have no `segment`: treated as not matching the filter",
        ]
    );
}

#[test]
fn the_filter_sees_email_and_locale() {
    let mut filtered = spec(Draw::Size(100));
    filtered.filter =
        Some(Expr::compile(r#"locale == "fr-FR" and "@pro.fr" in email"#).expect("valid"));
    let mut no_locale = candidate("c@pro.fr", json!({}));
    no_locale.locale = None;
    let candidates = vec![
        candidate("a@pro.fr", json!({})),
        candidate("b@example.fr", json!({})),
        no_locale,
    ];
    let outcome = draw(&filtered, &candidates);
    assert_eq!(emails(&outcome), vec!["a@pro.fr"]);
    assert_eq!(
        outcome.filter_missing_attribute,
        BTreeMap::from([("locale".to_owned(), 1)])
    );
}

#[test]
fn a_filter_failing_for_another_reason_names_the_contact() {
    let mut filtered = spec(Draw::Size(100));
    filtered.filter = Some(Expr::compile("orders // 1 > 2").expect("valid"));
    let candidates = vec![
        candidate("a@example.fr", json!({"orders": 4})),
        candidate("b@example.fr", json!({"orders": "beaucoup"})),
    ];
    match sample(&filtered, &scope(), None, &History::default(), &candidates) {
        Err(error @ SampleError::Filter { .. }) => {
            let message = error.to_string();
            assert!(
                message.starts_with(
                    "sample `clients`: filter `orders // 1 > 2` failed on contact b@example.fr: "
                ),
                "{message}"
            );
        }
        other => panic!("expected a filter error, got {other:?}"),
    }
}

#[test]
fn a_sample_larger_than_the_population_takes_all_and_says_so() {
    let mut stratified = spec(Draw::Size(500));
    stratified.strata = vec!["segment".to_owned()];
    let candidates = population(312, |i| if i < 12 { "PRO" } else { "B2C" });
    let outcome = draw(&stratified, &candidates);
    assert_eq!((outcome.drawn.len(), outcome.not_drawn), (312, 0));
    assert_eq!(
        counts(&outcome),
        vec![
            (values("B2C"), 300, Some(300), 300),
            (values("PRO"), 12, Some(12), 12)
        ]
    );
    assert_eq!(
        outcome
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>(),
        vec!["asked for 500, only 312 eligible: all taken"]
    );
}

#[test]
fn strata_values_are_text_and_missing_ones_form_their_own_stratum() {
    let mut stratified = spec(Draw::Size(100));
    stratified.strata = vec!["segment".to_owned(), "vip".to_owned()];
    let candidates = vec![
        candidate("a@example.fr", json!({"segment": "B2B", "vip": true})),
        candidate("b@example.fr", json!({"segment": "B2B"})),
        candidate("c@example.fr", json!({"vip": false, "segment": null})),
        candidate("d@example.fr", json!({"segment": 3, "vip": true})),
    ];
    let outcome = draw(&stratified, &candidates);
    let strata: Vec<Vec<String>> = outcome
        .per_stratum
        .iter()
        .map(|s| s.values.clone())
        .collect();
    let pair = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
    assert_eq!(
        strata,
        vec![
            pair("(none)", "false"),
            pair("3", "true"),
            pair("B2B", "(none)"),
            pair("B2B", "true"),
        ]
    );
    assert_eq!(outcome.drawn[1].stratum, pair("B2B", "(none)"));
    assert_eq!(outcome.drawn[1].locale.as_deref(), Some("fr-FR"));
}

#[test]
fn a_drawn_duplicate_is_an_error() {
    let candidates = vec![
        candidate("a@example.fr", json!({})),
        candidate("a@example.fr", json!({})),
    ];
    match sample(
        &spec(Draw::Size(5)),
        &scope(),
        None,
        &History::default(),
        &candidates,
    ) {
        Err(SampleError::DuplicateContact { email, .. }) => assert_eq!(email, "a@example.fr"),
        other => panic!("expected a duplicate error, got {other:?}"),
    }
}

#[test]
fn outcome_json_has_a_stable_shape() {
    let mut stratified = spec(Draw::Size(1));
    stratified.strata = vec!["segment".to_owned()];
    let mut only = candidate("a@example.fr", json!({"segment": "B2B"}));
    only.locale = None;
    let json = serde_json::to_string(&draw(&stratified, &[only])).expect("json");
    assert_eq!(
        json,
        concat!(
            r#"{"sample":"clients","scope":"fidelite/livraison/2026-11","seed":20261101,"#,
            r#""draw":{"size":1},"strata":["segment"],"population":1,"excluded_suppressed":0,"#,
            r#""excluded_fatigue":0,"excluded_drawn_earlier":{},"excluded_filter":0,"#,
            r#""filter_missing_attribute":{},"#,
            r#""eligible":1,"not_drawn":0,"per_stratum":[{"values":["B2B"],"eligible":1,"#,
            r#""allocated":1,"drawn":1}],"drawn":[{"email":"a@example.fr","locale":null,"#,
            r#""stratum":["B2B"]}],"warnings":[]}"#
        )
    );
}

/// Property-style: random populations, strata, sizes and minimums always keep the
/// accounting invariants and never depend on order.
#[test]
fn random_draws_keep_the_accounting_invariants() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for round in 0..60 {
        let n = rng.random_range(0..400usize);
        let strata_count = rng.random_range(1..6usize);
        let mut candidates: Vec<Candidate> = (0..n)
            .map(|i| {
                let stratum = rng.random_range(0..strata_count);
                candidate(
                    &format!("r{round}-{i}@example.fr"),
                    json!({"segment": format!("s{stratum}"), "orders": rng.random_range(0..5)}),
                )
            })
            .collect();
        let size = rng.random_range(0..(n as u64 + 20));
        let minimum = rng.random_range(0..4u64);
        let mut stratified = spec(Draw::Size(size));
        stratified.seed = round;
        stratified.strata = vec!["segment".to_owned()];
        stratified.min_per_stratum = (minimum > 0).then_some(minimum);
        stratified.filter = Some(Expr::compile("orders > 0").expect("valid"));
        let outcome = draw(&stratified, &candidates);
        let drawn = outcome.drawn.len() as u64;
        assert_eq!(outcome.population, n as u64);
        assert_eq!(
            outcome.population,
            outcome.excluded_filter + outcome.eligible
        );
        assert_eq!(outcome.eligible, drawn + outcome.not_drawn);
        let required: u64 = outcome
            .per_stratum
            .iter()
            .map(|s| s.eligible.min(minimum))
            .sum();
        assert_eq!(
            drawn,
            size.max(required).min(outcome.eligible),
            "round {round}"
        );
        for stratum in &outcome.per_stratum {
            assert_eq!(stratum.allocated, Some(stratum.drawn));
            assert!(stratum.drawn >= stratum.eligible.min(minimum));
            assert!(stratum.drawn <= stratum.eligible);
        }
        let reference = serde_json::to_string(&outcome).expect("json");
        candidates.shuffle(&mut rng);
        assert_eq!(
            serde_json::to_string(&draw(&stratified, &candidates)).expect("json"),
            reference
        );
    }
}

#[test]
fn the_fatigue_cut_off_is_the_first_second_after_the_window() {
    let at: Timestamp = "2026-11-02T08:00:00.250Z".parse().expect("valid timestamp");
    let rule = Fatigue {
        min_days_between_contacts: 30,
        plan_time: at,
    };
    // 2026-11-02T08:00:00.250 minus 30 × 24 h is 2026-10-03T08:00:00.250; the next whole
    // second is 08:00:01.
    let since: Timestamp = "2026-10-03T08:00:01Z".parse().expect("valid timestamp");
    assert_eq!(rule.recent_since(), Some(since));
    assert!(rule.excludes(since));
    assert!(!rule.excludes("2026-10-03T08:00:00Z".parse().expect("valid timestamp")));
    assert!(rule.excludes(at));
    let off = Fatigue {
        min_days_between_contacts: 0,
        plan_time: at,
    };
    assert_eq!(off.recent_since(), None);
    assert!(!off.excludes(at));
    assert_eq!(Fatigue::of(None, at), None);
}

#[test]
fn under_a_fatigue_rule_people_an_earlier_survey_drew_are_left_out_before_the_filter() {
    let mut filtered = spec(Draw::Rate(1.0));
    filtered.filter = Some(Expr::compile(r#"segment == "B2B""#).expect("valid"));
    let candidates = vec![
        // Contacted recently and drawn earlier: counted under fatigue only.
        candidate("a@example.fr", json!({"segment": "B2B"})),
        // Drawn earlier and failing the filter: counted as drawn earlier.
        candidate("b@example.fr", json!({"segment": "B2C"})),
        candidate("c@example.fr", json!({"segment": "B2B"})),
        candidate("d@example.fr", json!({"segment": "B2B"})),
        candidate("e@example.fr", json!({"segment": "B2C"})),
    ];
    let now = plan_time();
    let history = History {
        last_contacted: BTreeMap::from([("a@example.fr".to_owned(), now)]),
        drawn_by: BTreeMap::from([
            ("a@example.fr".to_owned(), "livraison".to_owned()),
            ("b@example.fr".to_owned(), "livraison".to_owned()),
            ("c@example.fr".to_owned(), "sav".to_owned()),
        ]),
        ..History::default()
    };
    let fatigue = Fatigue {
        min_days_between_contacts: 90,
        plan_time: now,
    };
    let outcome = sample(&filtered, &scope(), Some(fatigue), &history, &candidates).expect("draws");
    assert_eq!(outcome.excluded_fatigue, 1);
    assert_eq!(
        outcome.excluded_drawn_earlier,
        BTreeMap::from([("livraison".to_owned(), 1), ("sav".to_owned(), 1)])
    );
    assert_eq!((outcome.excluded_filter, outcome.eligible), (1, 1));
    assert_eq!(emails(&outcome), vec!["d@example.fr"]);
    // A rule of 0 days, like no rule, lets every survey draw independently.
    let off = Fatigue {
        min_days_between_contacts: 0,
        plan_time: now,
    };
    for rule in [Some(off), None] {
        let outcome = sample(&filtered, &scope(), rule, &history, &candidates).expect("draws");
        assert!(outcome.excluded_drawn_earlier.is_empty());
        assert_eq!(
            emails(&outcome),
            vec!["a@example.fr", "c@example.fr", "d@example.fr"]
        );
    }
}
