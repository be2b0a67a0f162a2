//! A sample is deterministic (whatever the order the contacts come in), never exceeds the
//! population or a stratum's size, and its strata add up.

use std::collections::{BTreeMap, BTreeSet};

use ecoute::sampling::{Candidate, Draw, Exclusions, SampleScope, SampleSpec, sample};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::config;

/// Suppressed emails; nobody was contacted before.
struct Suppressed(BTreeSet<String>);

impl Exclusions for Suppressed {
    fn is_suppressed(&self, email: &str) -> bool {
        self.0.contains(email)
    }

    fn last_contacted(&self, _email: &str) -> Option<Timestamp> {
        None
    }
}

/// One generated contact: segment (or none), region, suppressed or not.
type Person = (Option<&'static str>, &'static str, bool);

fn people() -> impl Strategy<Value = Vec<Person>> {
    prop::collection::vec(
        (
            prop::option::weighted(0.8, prop::sample::select(vec!["pro", "part", "asso"])),
            prop::sample::select(vec!["IDF", "ARA"]),
            prop::bool::weighted(0.1),
        ),
        0..80,
    )
}

fn draw() -> impl Strategy<Value = Draw> {
    prop_oneof![
        (0u64..100).prop_map(Draw::Size),
        (0.01f64..=1.0).prop_map(Draw::Rate),
    ]
}

fn strata() -> impl Strategy<Value = Vec<String>> {
    prop::sample::select(vec![
        vec![],
        vec!["segment".to_owned()],
        vec!["segment".to_owned(), "region".to_owned()],
    ])
}

fn candidates(people: &[Person]) -> (Vec<Candidate>, Suppressed) {
    let mut suppressed = BTreeSet::new();
    let candidates = people
        .iter()
        .enumerate()
        .map(|(i, (segment, region, is_suppressed))| {
            let email = format!("c{i:03}@example.org");
            if *is_suppressed {
                suppressed.insert(email.clone());
            }
            let mut attributes = Map::new();
            if let Some(segment) = segment {
                attributes.insert("segment".into(), Value::from(*segment));
            }
            attributes.insert("region".into(), Value::from(*region));
            Candidate {
                email,
                attributes,
                locale: Some("fr".into()),
            }
        })
        .collect();
    (candidates, Suppressed(suppressed))
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_sample_is_deterministic_bounded_and_its_strata_add_up(
        people in people(),
        draw in draw(),
        strata in strata(),
        min_per_stratum in prop::option::of(0u64..6),
        seed in any::<u64>(),
    ) {
        let spec = SampleSpec {
            id: "s".into(),
            filter: None,
            draw,
            strata,
            min_per_stratum,
            seed,
        };
        let scope = SampleScope::new("p", "q", "2026-11");
        let (candidates, suppressed) = candidates(&people);
        let outcome = sample(&spec, &scope, None, &suppressed, &candidates).expect("draws");

        // Deterministic: the same draw again, and with the contacts in reverse order.
        let again = sample(&spec, &scope, None, &suppressed, &candidates).expect("draws");
        prop_assert_eq!(&again, &outcome);
        let reversed: Vec<&Candidate> = candidates.iter().rev().collect();
        let backwards = sample(&spec, &scope, None, &suppressed, reversed).expect("draws");
        prop_assert_eq!(&backwards, &outcome);

        // Everyone is accounted for: offered = suppressed + eligible, eligible = drawn + not.
        let suppressed_count = people.iter().filter(|p| p.2).count() as u64;
        prop_assert_eq!(outcome.population, people.len() as u64);
        prop_assert_eq!(outcome.excluded_suppressed, suppressed_count);
        prop_assert_eq!(outcome.eligible, outcome.population - suppressed_count);
        prop_assert_eq!(outcome.eligible, outcome.drawn.len() as u64 + outcome.not_drawn);
        prop_assert!(outcome.drawn.len() as u64 <= outcome.population);

        // Nobody twice, nobody suppressed.
        let emails: BTreeSet<&str> = outcome.drawn.iter().map(|d| d.email.as_str()).collect();
        prop_assert_eq!(emails.len(), outcome.drawn.len());
        prop_assert!(emails.iter().all(|e| !suppressed.0.contains(*e)));

        // Strata: each within its size, and they add up to the whole.
        let mut drawn_per_stratum: BTreeMap<&[String], u64> = BTreeMap::new();
        for drawn in &outcome.drawn {
            *drawn_per_stratum.entry(drawn.stratum.as_slice()).or_default() += 1;
        }
        let mut eligible_sum = 0;
        let mut drawn_sum = 0;
        for stratum in &outcome.per_stratum {
            prop_assert!(stratum.drawn <= stratum.eligible, "{stratum:?}");
            prop_assert_eq!(
                drawn_per_stratum.get(stratum.values.as_slice()).copied().unwrap_or(0),
                stratum.drawn
            );
            eligible_sum += stratum.eligible;
            drawn_sum += stratum.drawn;
        }
        prop_assert_eq!(eligible_sum, outcome.eligible);
        prop_assert_eq!(drawn_sum, outcome.drawn.len() as u64);

        // A size takes exactly min(eligible, max(size, what the minimums need)), the
        // minimums being min(min_per_stratum, stratum's eligible) summed over strata.
        if let Draw::Size(size) = draw {
            let required: u64 = outcome
                .per_stratum
                .iter()
                .map(|s| s.eligible.min(min_per_stratum.unwrap_or(0)))
                .sum();
            let expected = outcome.eligible.min(size.max(required));
            prop_assert_eq!(outcome.drawn.len() as u64, expected);
            let allocated: u64 = outcome.per_stratum.iter().filter_map(|s| s.allocated).sum();
            prop_assert_eq!(allocated, expected);
        }
    }
}
