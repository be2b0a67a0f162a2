//! Property tests (issue 18 part 6): the invariants of sampling, metrics, intervals, plans
//! and the export/import round trip, checked on generated inputs through the public
//! functions. The case count is modest so the suite stays fast: 64 cases by default (fewer
//! for the properties that open a store), more with `PROPTEST_CASES=1000`.

mod metrics;
mod round_trips;
mod sampling;

use proptest::test_runner::Config;

/// The configuration of a property: `PROPTEST_CASES` when set, else `default_cases`.
fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default_cases);
    // A failure prints its minimal input, to be kept as a regression test by hand.
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
