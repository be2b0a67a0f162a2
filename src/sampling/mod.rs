//! Samples: who, among a program's contacts, is asked to answer a survey this period.
//!
//! Pure logic: no database, no files, no CLI. Candidates are offered one by one (from the
//! store or a CSV streamed from disk) to a [`Sampler`], which keeps only counters and the
//! best few candidates per stratum, so a 10,000,000-row source plans in bounded memory.
//!
//! # Exclusions
//! Applied in this order, each candidate counted under the first rule that leaves it out:
//! suppressed → contacted within the fatigue window → drawn by an earlier survey of the same
//! plan → filtered out → not drawn. A suppressed contact that would also fail the filter
//! counts only as suppressed.
//!
//! # One invitation per person and plan
//! With a fatigue rule, a plan invites nobody twice: its surveys are drawn one after the
//! other in the order of the program file, and a person an earlier survey drew is left out
//! of the later ones ([`Exclusions::drawn_by`]), counted per earlier survey in
//! [`SampleOutcome::excluded_drawn_earlier`]. Without a fatigue rule (or with 0 days),
//! surveys draw independently.
//!
//! # A filter reading an attribute the contact lacks
//! Decision: the contact is **treated as not matching** (never an error, never a panic) and
//! counted in [`SampleOutcome::filter_missing_attribute`] under each attribute it lacks, so the
//! plan can say "1204 contacts have no `segment`: treated as not matching the filter". An
//! attribute whose value is JSON `null` counts as missing. The filter sees the contact's
//! attributes plus `email` and `locale` (these two win over attributes of the same name; a
//! contact without a locale lacks `locale`). Any other evaluation failure (for example
//! adding a number to a text) is an error naming the contact: the filter does not fit the
//! data and a plan must not silently drop people because of it.
//!
//! # The draw
//! Each eligible candidate gets a priority, a keyed SHA-256 hash of (seed, [`SampleScope`],
//! email) truncated to 64 bits. A size takes the lowest priorities (bottom-k, a uniform sample
//! without replacement); a rate keeps priorities below `rate · 2⁶⁴`. Nothing depends on
//! input order, hash-map order, platform or backend, and different periods draw differently
//! but reproducibly. Equal priorities (astronomically rare) are ordered by email.
//!
//! # Strata
//! With `strata`, the size is split across the combinations of the strata attributes'
//! values, in proportion to their eligible populations, with largest-remainder (Hamilton)
//! rounding so the parts add up to the size exactly; equal remainders favour the stratum
//! whose values sort first. A missing attribute (or `null`) reads [`MISSING_STRATUM_VALUE`].
//!
//! # Minimum per stratum
//! Each stratum gets at least `min(min_per_stratum, its eligible population)`. Strata whose
//! proportional share falls below that are raised to it, and the rest of the size is shared
//! again in proportion among the other strata, until no share is below its minimum. If the
//! minimums alone need more than the size, the minimums win and a warning says the sample is
//! larger than asked. With a rate, a stratum where the rate draws fewer than the minimum is
//! topped up with its next-lowest priorities.
//!
//! # Duplicates
//! Emails must be unique in the source (the store guarantees it; a CSV source must dedupe
//! or report). The sampler cannot remember millions of emails, but copies of one email share
//! a priority, so they are drawn together: a duplicate that reaches the draw is an error
//! rather than two invitations to one person.
//!
//! # Memory
//! A size keeps, per stratum, a bounded max-heap of the `max(size, min_per_stratum)` lowest
//! priorities, then allocates once the counts are known: memory is
//! O(strata × min(size, stratum population)), independent of the number of candidates. A
//! rate keeps the drawn candidates (the output) plus a heap of `min_per_stratum` per stratum.

mod allocation;
mod outcome;
pub mod precision;
mod priority;
#[cfg(test)]
mod tests;

use std::borrow::Borrow;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Write as _;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::expr::{Expr, ExprError};
pub use outcome::{Drawn, SampleOutcome, StratumOutcome, Warning};
pub use precision::PrecisionGoal;
use priority::PriorityKey;

/// The stratum value of a contact lacking a strata attribute, so such contacts form their
/// own visible stratum instead of vanishing from the plan.
pub const MISSING_STRATUM_VALUE: &str = "(none)";

/// How many to draw: a fixed number, a share of the eligible population, or enough for a
/// margin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Draw {
    /// Exactly this many (all of them if fewer are eligible), split across strata.
    Size(u64),
    /// Each eligible contact independently with this probability, `0 < rate ≤ 1`.
    Rate(f64),
    /// As many as the goal needs once the eligible population is known (see
    /// [`PrecisionGoal::size`]), then drawn like a size.
    Precision(PrecisionGoal),
}

impl Draw {
    /// The size drawn out of `eligible` contacts; `None` for a rate.
    fn size(self, eligible: u64) -> Option<u64> {
        match self {
            Draw::Size(size) => Some(size),
            Draw::Precision(goal) => Some(goal.size(eligible)),
            Draw::Rate(_) => None,
        }
    }
}

/// A program's sample, as the sampler needs it (the program model builds it from YAML).
#[derive(Debug)]
pub struct SampleSpec {
    /// The sample's id in the program, echoed in outcomes and errors.
    pub id: String,
    /// Who may be asked; `None` lets everyone through.
    pub filter: Option<Expr>,
    /// How many to draw.
    pub draw: Draw,
    /// Attribute names whose value combinations form the strata; empty for no strata.
    pub strata: Vec<String>,
    /// The least each stratum gets (capped at its eligible population), so small strata
    /// still have enough answers to report on.
    pub min_per_stratum: Option<u64>,
    /// Makes the draw reproducible; change it to draw a different sample.
    pub seed: u64,
}

/// What a draw is for (program, survey, period), mixed into every priority so that each
/// period draws a different sample, reproducibly, from the same seed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SampleScope(String);

impl SampleScope {
    /// The scope `program/survey/period`, e.g. `fidelite/livraison/2026-11`. Ids are slugs
    /// (validated by the program model), so the joined form is unambiguous.
    pub fn new(program: &str, survey: &str, period: &str) -> Self {
        Self(format!("{program}/{survey}/{period}"))
    }

    /// The scope as it is hashed and reported.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One contact offered to the sampler, independent of where contacts come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candidate {
    /// The normalised email: the stable identity the draw is keyed on.
    pub email: String,
    /// Every other attribute (segment, region, last purchase…), read by filters and strata.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// The contact's locale if known.
    pub locale: Option<String>,
}

/// What the store knows about a contact's history, asked per candidate by email so the
/// sampler needs no database.
pub trait Exclusions {
    /// Whether the contact must never be asked (unsubscribed, bounced, erased).
    fn is_suppressed(&self, email: &str) -> bool;
    /// When any program last contacted this person, for the fatigue rule.
    fn last_contacted(&self, email: &str) -> Option<Timestamp>;
    /// The survey of the same plan that already drew this person, if an earlier one did:
    /// under a fatigue rule they are not drawn again. None by default (a single draw).
    fn drawn_by(&self, _email: &str) -> Option<&str> {
        None
    }
}

/// The contact-fatigue rule: nobody is surveyed twice within the window, across programs.
/// The one home of the cut-off that plans, samples, the dispatcher and API triggers apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fatigue {
    /// The window in days of 24 hours (instants, so no time zone is needed); 0 disables it.
    pub min_days_between_contacts: u32,
    /// When the rule is applied (the plan time; the send time or a trigger's due time
    /// elsewhere): people contacted after `plan_time - window` are left out.
    pub plan_time: Timestamp,
}

impl Fatigue {
    /// The program's fatigue rule applied at `at`; `None` when the program sets none.
    pub fn of(rule: Option<&crate::program::model::Fatigue>, at: Timestamp) -> Option<Self> {
        rule.map(|rule| Fatigue {
            min_days_between_contacts: *rule.min_days_between_contacts,
            plan_time: at,
        })
    }

    /// The first instant that counts as a recent contact: the first whole second after
    /// `plan_time - window` (contact times are kept in whole seconds), so someone contacted exactly
    /// `window` ago may be asked again. A window reaching before the earliest representable
    /// time covers every contact. `None` when the window is 0 days (the rule is off).
    pub fn recent_since(&self) -> Option<Timestamp> {
        if self.min_days_between_contacts == 0 {
            return None;
        }
        let window = SignedDuration::from_hours(i64::from(self.min_days_between_contacts) * 24);
        let cutoff = self.plan_time.checked_sub(window).unwrap_or(Timestamp::MIN);
        let whole = cutoff.as_second() - i64::from(cutoff.subsec_nanosecond() < 0);
        Some(Timestamp::from_second(whole.saturating_add(1)).unwrap_or(cutoff))
    }

    /// Whether someone last contacted at `last_contacted` is left out.
    pub fn excludes(&self, last_contacted: Timestamp) -> bool {
        self.recent_since()
            .is_some_and(|since| last_contacted >= since)
    }
}

/// Why a sample cannot be drawn.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// The rate is not a probability the draw can honour.
    #[error("sample `{sample}`: rate {rate} must be greater than 0 and at most 1")]
    InvalidRate {
        /// The sample's id.
        sample: String,
        /// The rate given.
        rate: f64,
    },
    /// The filter failed on a contact for a reason other than a missing attribute.
    #[error("sample `{sample}`: filter `{filter}` failed on contact {email}: {cause}")]
    Filter {
        /// The sample's id.
        sample: String,
        /// The filter's text.
        filter: String,
        /// The contact it failed on.
        email: String,
        /// What the expression engine said.
        cause: ExprError,
    },
    /// The same email was offered twice and drawn: the source must give unique contacts.
    #[error(
        "sample `{sample}`: contact {email} appears more than once in the source; \
         contacts must be unique by email"
    )]
    DuplicateContact {
        /// The sample's id.
        sample: String,
        /// The duplicated email.
        email: String,
    },
}

/// Draws a sample from any sequence of candidates in one pass; see [`Sampler`].
pub fn sample<E, I>(
    spec: &SampleSpec,
    scope: &SampleScope,
    fatigue: Option<Fatigue>,
    exclusions: &E,
    candidates: I,
) -> Result<SampleOutcome, SampleError>
where
    E: Exclusions + ?Sized,
    I: IntoIterator,
    I::Item: Borrow<Candidate>,
{
    let mut sampler = Sampler::new(spec, scope, fatigue, exclusions)?;
    for candidate in candidates {
        sampler.offer(candidate.borrow())?;
    }
    sampler.finish()
}

/// A one-pass, bounded-memory sample draw: [`offer`](Self::offer) every candidate, in any
/// order, then [`finish`](Self::finish). Push-based so that fallible sources (a CSV reader,
/// a database cursor) keep their own error handling.
pub struct Sampler<'a, E: Exclusions + ?Sized> {
    spec: &'a SampleSpec,
    scope: String,
    exclusions: &'a E,
    fatigue: Option<Fatigue>,
    key: PriorityKey,
    filter_names: Vec<(String, minijinja::Value)>,
    rate_threshold: Option<u128>,
    heap_capacity: usize,
    population: u64,
    excluded_suppressed: u64,
    excluded_fatigue: u64,
    excluded_drawn_earlier: BTreeMap<String, u64>,
    excluded_filter: u64,
    filter_missing_attribute: BTreeMap<String, u64>,
    strata: BTreeMap<Vec<String>, Stratum>,
    stratum_buffer: Vec<String>,
}

/// What the sampler keeps per stratum.
#[derive(Default)]
struct Stratum {
    eligible: u64,
    /// Rate only: every candidate whose priority is below the rate threshold.
    below_rate: Vec<Entry>,
    /// The lowest priorities not in `below_rate`, at most `heap_capacity` (a max-heap, so the
    /// worst kept candidate is evicted first).
    best: BinaryHeap<Entry>,
}

/// A candidate kept for the draw; ordered by priority, then email, so the order is total.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    priority: u64,
    email: String,
    locale: Option<String>,
}

impl<'a, E: Exclusions + ?Sized> Sampler<'a, E> {
    /// Prepares a draw of `spec` for `scope`; `fatigue` is `None` when no fatigue rule applies.
    pub fn new(
        spec: &'a SampleSpec,
        scope: &SampleScope,
        fatigue: Option<Fatigue>,
        exclusions: &'a E,
    ) -> Result<Self, SampleError> {
        let minimum = spec.min_per_stratum.unwrap_or(0);
        let (rate_threshold, kept_per_stratum) = match spec.draw {
            Draw::Size(size) => (None, size.max(minimum)),
            // The correction for a finite population only lowers the size: the size for an
            // unbounded population is enough to keep.
            Draw::Precision(goal) => (None, goal.size(u64::MAX).max(minimum)),
            Draw::Rate(rate) if rate > 0.0 && rate <= 1.0 => {
                // Multiplying by a power of two is exact, so the threshold is the same on
                // every platform.
                let threshold = if rate == 1.0 {
                    1u128 << 64
                } else {
                    (rate * 2f64.powi(64)) as u128
                };
                (Some(threshold), minimum)
            }
            Draw::Rate(rate) => {
                return Err(SampleError::InvalidRate {
                    sample: spec.id.clone(),
                    rate,
                });
            }
        };
        let filter_names = spec
            .filter
            .as_ref()
            .map(|filter| {
                filter
                    .variables()
                    .iter()
                    .map(|name| (name.clone(), minijinja::Value::from(name.as_str())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            spec,
            scope: scope.as_str().to_owned(),
            exclusions,
            fatigue,
            key: PriorityKey::new(spec.seed, scope.as_str()),
            filter_names,
            rate_threshold,
            heap_capacity: usize::try_from(kept_per_stratum).unwrap_or(usize::MAX),
            population: 0,
            excluded_suppressed: 0,
            excluded_fatigue: 0,
            excluded_drawn_earlier: BTreeMap::new(),
            excluded_filter: 0,
            filter_missing_attribute: BTreeMap::new(),
            strata: BTreeMap::new(),
            stratum_buffer: vec![String::new(); spec.strata.len()],
        })
    }

    /// Considers one candidate: applies the exclusions in order, then keeps it only if it
    /// may still be drawn. Fails only when the filter cannot be evaluated on it.
    pub fn offer(&mut self, candidate: &Candidate) -> Result<(), SampleError> {
        self.population += 1;
        if self.exclusions.is_suppressed(&candidate.email) {
            self.excluded_suppressed += 1;
            return Ok(());
        }
        if let Some(fatigue) = self.fatigue
            && self
                .exclusions
                .last_contacted(&candidate.email)
                .is_some_and(|last| fatigue.excludes(last))
        {
            self.excluded_fatigue += 1;
            return Ok(());
        }
        if self.fatigue.is_some_and(|f| f.recent_since().is_some())
            && let Some(survey) = self.exclusions.drawn_by(&candidate.email)
        {
            match self.excluded_drawn_earlier.get_mut(survey) {
                Some(count) => *count += 1,
                None => {
                    self.excluded_drawn_earlier.insert(survey.to_owned(), 1);
                }
            }
            return Ok(());
        }
        if !self.matches_filter(candidate)? {
            self.excluded_filter += 1;
            return Ok(());
        }
        let entry_priority = self.key.priority(&candidate.email);
        for (buffer, attribute) in self.stratum_buffer.iter_mut().zip(&self.spec.strata) {
            buffer.clear();
            write_stratum_value(buffer, candidate.attributes.get(attribute));
        }
        if !self.strata.contains_key(self.stratum_buffer.as_slice()) {
            self.strata
                .insert(self.stratum_buffer.clone(), Stratum::default());
        }
        // Present: inserted just above if it was not (looking up before inserting avoids
        // cloning the key for every candidate).
        let Some(stratum) = self.strata.get_mut(self.stratum_buffer.as_slice()) else {
            return Ok(());
        };
        stratum.eligible += 1;
        let entry = || Entry {
            priority: entry_priority,
            email: candidate.email.clone(),
            locale: candidate.locale.clone(),
        };
        if self
            .rate_threshold
            .is_some_and(|threshold| u128::from(entry_priority) < threshold)
        {
            stratum.below_rate.push(entry());
        } else if stratum.best.len() < self.heap_capacity {
            stratum.best.push(entry());
        } else if let Some(worst) = stratum.best.peek()
            && (
                entry_priority,
                candidate.email.as_str(),
                candidate.locale.as_deref(),
            ) < (
                worst.priority,
                worst.email.as_str(),
                worst.locale.as_deref(),
            )
        {
            stratum.best.pop();
            stratum.best.push(entry());
        }
        Ok(())
    }

    /// Evaluates the filter with only the names it reads in its context; a missing name
    /// makes the candidate not match (see the module documentation).
    fn matches_filter(&mut self, candidate: &Candidate) -> Result<bool, SampleError> {
        let Some(filter) = &self.spec.filter else {
            return Ok(true);
        };
        let mut context = BTreeMap::new();
        let mut lacks_attribute = false;
        for (name, key) in &self.filter_names {
            let value = match name.as_str() {
                "email" => Some(minijinja::Value::from(candidate.email.as_str())),
                "locale" => candidate.locale.as_deref().map(minijinja::Value::from),
                _ => candidate
                    .attributes
                    .get(name)
                    .filter(|value| !value.is_null())
                    .map(|value| minijinja::Value::from(minijinja::value::Serde(value))),
            };
            match value {
                Some(value) => {
                    context.insert(key.clone(), value);
                }
                None => {
                    lacks_attribute = true;
                    match self.filter_missing_attribute.get_mut(name) {
                        Some(count) => *count += 1,
                        None => {
                            self.filter_missing_attribute.insert(name.clone(), 1);
                        }
                    }
                }
            }
        }
        if lacks_attribute {
            return Ok(false);
        }
        filter
            .eval_bool(minijinja::Value::from(context))
            .map_err(|cause| SampleError::Filter {
                sample: self.spec.id.clone(),
                filter: filter.source().to_owned(),
                email: candidate.email.clone(),
                cause,
            })
    }

    /// Allocates the size across strata, draws, and reports. Fails only if a drawn email was
    /// offered twice.
    pub fn finish(self) -> Result<SampleOutcome, SampleError> {
        let minimum = self.spec.min_per_stratum.unwrap_or(0);
        let eligible_per_stratum: Vec<u64> = self.strata.values().map(|s| s.eligible).collect();
        let eligible: u64 = eligible_per_stratum.iter().sum();
        let mut warnings = Vec::new();
        let targets: Vec<Option<u64>> = match self.spec.draw.size(eligible) {
            Some(size) => {
                if size > eligible {
                    warnings.push(Warning::Shortfall {
                        requested: size,
                        eligible,
                    });
                }
                let required: u64 = eligible_per_stratum.iter().map(|&n| n.min(minimum)).sum();
                if required > size {
                    warnings.push(Warning::MinimumsExceedSize { size, required });
                }
                allocation::allocate(size, &eligible_per_stratum, minimum)
                    .into_iter()
                    .map(Some)
                    .collect()
            }
            None => vec![None; eligible_per_stratum.len()],
        };
        let mut per_stratum = Vec::with_capacity(self.strata.len());
        let mut drawn = Vec::new();
        for ((values, stratum), target) in self.strata.into_iter().zip(targets) {
            if minimum > stratum.eligible {
                warnings.push(Warning::StratumBelowMinimum {
                    stratum: values.clone(),
                    minimum,
                    eligible: stratum.eligible,
                });
            }
            let take = match target {
                Some(target) => target,
                None => (stratum.below_rate.len() as u64).max(minimum.min(stratum.eligible)),
            };
            let mut entries = stratum.below_rate;
            entries.extend(stratum.best.into_sorted_vec());
            let take = usize::try_from(take)
                .unwrap_or(usize::MAX)
                .min(entries.len());
            entries.truncate(take);
            per_stratum.push(StratumOutcome {
                values: values.clone(),
                eligible: stratum.eligible,
                allocated: target,
                drawn: take as u64,
            });
            drawn.extend(entries.into_iter().map(|entry| Drawn {
                email: entry.email,
                locale: entry.locale,
                stratum: values.clone(),
            }));
        }
        drawn.sort_unstable();
        if let Some(pair) = drawn.windows(2).find(|pair| pair[0].email == pair[1].email) {
            return Err(SampleError::DuplicateContact {
                sample: self.spec.id.clone(),
                email: pair[0].email.clone(),
            });
        }
        warnings.extend(
            self.filter_missing_attribute
                .iter()
                .map(|(attribute, &contacts)| Warning::FilterMissingAttribute {
                    attribute: attribute.clone(),
                    contacts,
                }),
        );
        Ok(SampleOutcome {
            sample: self.spec.id.clone(),
            scope: self.scope,
            seed: self.spec.seed,
            draw: self.spec.draw,
            strata: self.spec.strata.clone(),
            population: self.population,
            excluded_suppressed: self.excluded_suppressed,
            excluded_fatigue: self.excluded_fatigue,
            excluded_drawn_earlier: self.excluded_drawn_earlier,
            excluded_filter: self.excluded_filter,
            filter_missing_attribute: self.filter_missing_attribute,
            eligible,
            not_drawn: eligible - drawn.len() as u64,
            per_stratum,
            drawn,
            warnings,
        })
    }
}

/// Writes a contact's value for one strata attribute as text: strings as they are, other
/// JSON values in their JSON form, missing or `null` as [`MISSING_STRATUM_VALUE`].
fn write_stratum_value(buffer: &mut String, value: Option<&serde_json::Value>) {
    match value {
        None | Some(serde_json::Value::Null) => buffer.push_str(MISSING_STRATUM_VALUE),
        Some(serde_json::Value::String(text)) => buffer.push_str(text),
        Some(other) => {
            // Writing into a String cannot fail.
            let _ = write!(buffer, "{other}");
        }
    }
}
