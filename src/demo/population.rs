//! The demo's inputs, generated: the French example program (paced for files) and a few
//! thousand synthetic customers drawn from a seeded RNG, so two runs write the same files.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The French example program, as `ecoute init` copies it.
const EXAMPLE_PROGRAM: &str = include_str!("../../programs/fidelite-clients.yaml");
/// The example's email pace: 20 messages a second suits a real relay.
const EXAMPLE_PACE: &str = "    rate_per_second: 20\n";
/// The demo's pace: its messages are files on this machine, so it need not wait.
const DEMO_PACE: &str =
    "    rate_per_second: 5000   # ecoute demo: the emails are files, no relay to spare\n";

/// How many customers the demo invents.
pub const CONTACTS: usize = 3_000;

const FIRST_NAMES: [&str; 16] = [
    "Camille", "Lucas", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Gabriel",
    "Emma", "Arthur", "Jade", "Nathan", "Louise", "Raphaël",
];
const LAST_NAMES: [&str; 12] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent",
];
/// Regions with their weights (Île-de-France is the biggest market).
const REGIONS: [(&str, u32); 6] = [
    ("IDF", 30),
    ("ARA", 18),
    ("PACA", 15),
    ("HDF", 13),
    ("NAQ", 12),
    ("BRE", 12),
];

/// The example program with the demo's pace: same touchpoints, surveys, samples, alerts.
/// `None` when the example no longer declares the pace the demo replaces (a change to the
/// example that the demo's test catches).
pub fn program() -> Option<String> {
    EXAMPLE_PROGRAM
        .contains(EXAMPLE_PACE)
        .then(|| EXAMPLE_PROGRAM.replacen(EXAMPLE_PACE, DEMO_PACE, 1))
}

/// `count` customers as the example's contacts file lists them (same columns), drawn from
/// a fixed seed: segments, regions, locales, purchase channel and recency, calls.
pub fn contacts_csv(count: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut csv = String::from(
        "email,first_name,last_name,locale,region,segment,canal_achat,dernier_achat_jours,appels_mois\n",
    );
    for n in 1..=count {
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        let locale = if rng.random_bool(0.12) { "en" } else { "fr" };
        let region = weighted(&mut rng, &REGIONS);
        let segment = if rng.random_bool(0.2) {
            "professionnel"
        } else {
            "particulier"
        };
        let channel = weighted(&mut rng, &[("web", 55), ("magasin", 30), ("telephone", 15)]);
        let days: u32 = rng.random_range(1..=40);
        let calls = weighted(&mut rng, &[("0", 60), ("1", 28), ("2", 9), ("3", 3)]);
        csv.push_str(&format!(
            "client{n:05}@exemple.fr,{first},{last},{locale},{region},{segment},{channel},{days},{calls}\n"
        ));
    }
    csv
}

/// One of `choices`, with probability proportional to its weight.
pub(super) fn weighted<'a, R: RngExt>(rng: &mut R, choices: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (choice, weight) in choices {
        if pick < *weight {
            return choice;
        }
        pick -= weight;
    }
    choices.last().map_or("", |(choice, _)| choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_program_is_the_example_with_a_faster_pace_only() {
        let program = program().expect("the example declares rate_per_second: 20");
        assert!(program.contains("rate_per_second: 5000"));
        assert_eq!(
            program.lines().count(),
            EXAMPLE_PROGRAM.lines().count(),
            "one line replaced, none added"
        );
    }

    #[test]
    fn contacts_are_the_same_each_time_and_spread_over_the_attributes() {
        let csv = contacts_csv(1_000);
        assert_eq!(csv, contacts_csv(1_000));
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), 1_000);
        assert_eq!(rows[0][0], "client00001@exemple.fr");
        let share = |column: usize, value: &str| {
            rows.iter().filter(|r| r[column] == value).count() as f64 / 1_000.0
        };
        // Weights: professionals 20 %, English 12 %, IDF 30/100, web 55/100, no call 60/100;
        // 1,000 draws stay within ±6 points of each.
        for (column, value, expected) in [
            (5, "professionnel", 0.20),
            (3, "en", 0.12),
            (4, "IDF", 0.30),
            (6, "web", 0.55),
            (8, "0", 0.60),
        ] {
            let seen = share(column, value);
            assert!((seen - expected).abs() < 0.06, "{value}: {seen}");
        }
    }
}
