//! Plans: for one program and period, who each survey would invite, why the others are
//! left out, and when the waves and reminders go. Building a plan reads contacts and the
//! store but writes nothing; committing it materialises the waves and their invitations
//! idempotently (the store's unique keys decide, so a second commit creates nothing).
//! Events posted to the API plan their trigger surveys here too ([`schedule_triggers`]).

mod expect;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use crate::contacts::parse::{ContactRows, DecodeReader, sniff};
use crate::dispatch::policy::SendWindow;
use crate::expr::Expr;
use crate::period::Period;
use crate::program::model::{ChannelType, Sample, Trigger};
use crate::program::{CalendarError, Program};
use crate::records::{Attributes, NewEvent, NewInvitation, WaveKey, WaveOutcome, WavePlan};
use crate::sampling::{
    Candidate, Draw, Exclusions, Fatigue, PrecisionGoal, SampleOutcome, SampleScope, SampleSpec,
    Sampler,
};
use crate::schedule;
use crate::store::{Store, StoreError};
pub use expect::{
    DEFAULT_RESPONSE_RATE, Expectation, ExpectedMargin, HISTORY_PERIODS, History, RateBasis,
    check_warnings,
};

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Periods, waves or time zone.
    #[error(transparent)]
    Schedule(#[from] CalendarError),
    /// The contacts CSV of a source could not be read.
    #[error("contact source `{source_id}` ({path}): {message}")]
    Source {
        /// The source id in the program.
        source_id: String,
        /// The CSV file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The sample could not be drawn (invalid filter at run time, duplicate contact…).
    #[error("sample `{sample}`: {message}")]
    Sampling {
        /// The sample id.
        sample: String,
        /// What went wrong.
        message: String,
    },
}

/// A whole plan, printed by `ecoute plan` and committed by `ecoute plan --commit`.
#[derive(Debug, Serialize)]
pub struct Plan {
    /// The program id.
    pub program: String,
    /// SHA-256 of the program file the plan was made from.
    pub program_sha256: String,
    /// The period, as spelled on the command line.
    pub period: String,
    /// First instant of the period, in the program's time zone.
    pub period_start: String,
    /// End of the period (exclusive).
    pub period_end: String,
    /// When answers stop being accepted.
    pub closes_at: String,
    /// One entry per survey that invites a sample.
    pub surveys: Vec<SurveyPlan>,
}

/// The plan of one survey.
#[derive(Debug, Serialize)]
pub struct SurveyPlan {
    /// Survey id.
    pub survey: String,
    /// The channel that carries the invitations.
    pub channel: String,
    /// `email`, `phone`, `interview` or `mail`.
    pub channel_type: String,
    /// The contact source drawn from.
    pub source: String,
    /// Rows of a CSV source that could not be read as contacts.
    pub source_rejected_rows: u64,
    /// The draw, with exclusion counts per rule and per-stratum sizes.
    pub sample: SampleOutcome,
    /// Expected answers and margins of the draw.
    pub expected: Expectation,
    /// Dispatch waves in the period.
    pub waves: Vec<WavePlanView>,
    /// What the operator should know before sending: an empty contact source, a wave whose
    /// time falls outside its channel's send window.
    pub notices: Vec<String>,
}

/// One wave as shown in a plan.
#[derive(Debug, Serialize)]
pub struct WavePlanView {
    /// 1-based wave number.
    pub wave: u32,
    /// When it goes out, program time zone.
    pub at: String,
    /// When reminders go out.
    pub reminders: Vec<String>,
    /// How many contacts it invites.
    pub invitations: u64,
}

/// What a commit did, per wave.
#[derive(Debug, Serialize)]
pub struct Committed {
    /// Survey id.
    pub survey: String,
    /// Wave number.
    pub wave: u32,
    /// The store's wave id.
    pub wave_id: i64,
    /// False when the wave already existed (nothing was added).
    pub created: bool,
    /// Invitations in the wave.
    pub invitations: u64,
}

/// Suppressions and recent contacts, read once from the store, and who the plan's earlier
/// surveys drew.
struct StoreExclusions {
    suppressed: HashSet<String>,
    contacted: HashMap<String, Timestamp>,
    drawn: HashMap<String, String>,
}

impl Exclusions for StoreExclusions {
    fn is_suppressed(&self, email: &str) -> bool {
        self.suppressed.contains(email)
    }

    fn last_contacted(&self, email: &str) -> Option<Timestamp> {
        self.contacted.get(email).copied()
    }

    fn drawn_by(&self, email: &str) -> Option<&str> {
        self.drawn.get(email).map(String::as_str)
    }
}

/// Builds the plan of `program` for `period`; reads, never writes. Surveys are drawn in the
/// order of the program file; under a fatigue rule a person drawn by one is left out of the
/// later ones (see `sampling`), so a plan never invites anybody twice.
pub async fn build(
    store: &Store,
    program: &Program,
    period: Period,
    now: Timestamp,
) -> Result<Plan, PlanError> {
    let file = &program.file;
    let calendar = program.calendar();
    let zone = calendar.zone().clone();
    let fatigue = Fatigue::of(file.rules.fatigue.as_ref(), now);
    let contacted = match fatigue.and_then(|rule| rule.recent_since()) {
        Some(since) => store.contacted_since(since).await?,
        None => HashMap::new(),
    };
    let mut exclusions = StoreExclusions {
        suppressed: store
            .list_suppressions()
            .await?
            .into_iter()
            .map(|s| s.email)
            .collect(),
        contacted,
        drawn: HashMap::new(),
    };
    let mut surveys = Vec::new();
    for survey in &file.surveys {
        let Some(sample_id) = &survey.sample else {
            continue;
        };
        let Some(sample) = file.samples.iter().find(|s| *s.id == **sample_id) else {
            continue;
        };
        let Some(channel) = dispatching_channel(program, &survey.channels) else {
            continue;
        };
        let history =
            History::read(store, program, survey, sample, &channel.id, &period, now).await?;
        let goal = sample.precision.as_ref().and_then(|p| {
            Some(PrecisionGoal {
                kpi: *p.kpi,
                moe95: *p.moe95,
                variance: history.variance(*p.kpi)?,
                response_rate: history.response_rate(),
            })
        });
        let spec = spec(sample, goal)?;
        let scope = SampleScope::new(program.id(), &survey.id, &period.to_string());
        let mut sampler = Sampler::new(&spec, &scope, fatigue, &exclusions).map_err(|err| {
            PlanError::Sampling {
                sample: sample.id.to_string(),
                message: err.to_string(),
            }
        })?;
        let (source, rejected) = feed(store, program, &sample.contacts, |candidate| {
            sampler.offer(candidate).map_err(|err| err.to_string())
        })
        .await
        .map_err(|err| err.into_plan_error(&sample.id))?;
        let outcome = sampler.finish().map_err(|err| PlanError::Sampling {
            sample: sample.id.to_string(),
            message: err.to_string(),
        })?;
        for drawn in &outcome.drawn {
            exclusions
                .drawn
                .entry(drawn.email.clone())
                .or_insert_with(|| survey.id.to_string());
        }
        let email_channel = (*channel.kind == ChannelType::Email).then_some(channel);
        let waves = schedule::waves(calendar, &period, email_channel)?;
        let count = u64::try_from(waves.len()).unwrap_or(1).max(1);
        let drawn = u64::try_from(outcome.drawn.len()).unwrap_or(u64::MAX);
        let views = waves
            .iter()
            .enumerate()
            .map(|(index, wave)| {
                let index = u64::try_from(index).unwrap_or(0);
                WavePlanView {
                    wave: wave.number,
                    at: wave.at.strftime("%Y-%m-%d %H:%M %Z (%a)").to_string(),
                    reminders: wave
                        .reminders
                        .iter()
                        .map(|r| r.strftime("%Y-%m-%d %H:%M").to_string())
                        .collect(),
                    invitations: drawn / count + u64::from(index < drawn % count),
                }
            })
            .collect();
        let expected = history.expect(program, survey, drawn, outcome.eligible, goal);
        let mut notices = Vec::new();
        if outcome.population == 0 {
            notices.push(empty_source_notice(program, &sample.contacts));
        }
        let window = program
            .channel(&channel.id)
            .and_then(|c| c.send_window.as_ref())
            .map(SendWindow::from);
        if let Some(window) = &window {
            notices.extend(
                waves
                    .iter()
                    .filter_map(|wave| outside_window_notice(wave, window, &channel.id, &zone)),
            );
        }
        surveys.push(SurveyPlan {
            survey: survey.id.to_string(),
            channel: channel.id.to_string(),
            channel_type: channel.kind.as_str().to_owned(),
            source,
            source_rejected_rows: rejected,
            sample: outcome,
            expected,
            waves: views,
            notices,
        });
    }
    Ok(Plan {
        program: program.id().to_owned(),
        program_sha256: program.sha256.clone(),
        period: period.to_string(),
        period_start: period
            .start(&zone)
            .map_err(CalendarError::from)?
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        period_end: period
            .end(&zone)
            .map_err(CalendarError::from)?
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        closes_at: calendar
            .closes_at(&period)?
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string(),
        surveys,
    })
}

/// Says that contact source `source_id` gave nobody, and how to fill it.
fn empty_source_notice(program: &Program, source_id: &str) -> String {
    let csv = program
        .file
        .contacts
        .iter()
        .find(|c| *c.id == source_id)
        .and_then(|c| c.csv.as_ref());
    match csv {
        Some(csv) => format!(
            "contact source `{source_id}` is empty: {} has no contacts; add one per line under a header row with an `email` column",
            csv.as_str()
        ),
        None => format!(
            "contact source `{source_id}` is empty: no contacts are imported yet; import them with `ecoute contacts import FILE.csv` (a header row with an `email` column), then plan again"
        ),
    }
}

/// Warns when `wave` starts outside its channel's send window: over SMTP its messages
/// wait until the window opens (told in the program's time zone).
fn outside_window_notice(
    wave: &schedule::Wave,
    window: &SendWindow,
    channel: &str,
    zone: &jiff::tz::TimeZone,
) -> Option<String> {
    outside_window(&wave.at, window, zone).map(|(at, opening)| {
        format!(
            "wave {} at {at} falls outside the send window of channel `{channel}`: over SMTP its messages wait until {opening}",
            wave.number
        )
    })
}

/// When `at` is outside `window`: `at` and the window's next opening, written in `zone`.
fn outside_window(
    at: &jiff::Zoned,
    window: &SendWindow,
    zone: &jiff::tz::TimeZone,
) -> Option<(String, String)> {
    let opening = window.next_opening(at.timestamp(), zone);
    let format = "%Y-%m-%d %H:%M %Z (%a)";
    (opening != at.timestamp()).then(|| {
        (
            at.strftime(format).to_string(),
            opening.to_zoned(zone.clone()).strftime(format).to_string(),
        )
    })
}

/// Waves checked ahead by [`send_window_warnings`]: a year of monthly waves.
const WAVES_AHEAD: usize = 12;

/// For `ecoute check`: per email channel with a send window, the first of the next
/// [`WAVES_AHEAD`] waves after `now` that falls outside it, and how many do.
pub fn send_window_warnings(program: &Program, now: Timestamp) -> Vec<String> {
    let calendar = program.calendar();
    let zone = calendar.zone();
    let start = now.to_zoned(zone.clone());
    program
        .file
        .channels
        .iter()
        .filter(|c| *c.kind == ChannelType::Email)
        .filter_map(|channel| {
            let window = SendWindow::from(program.channel(&channel.id)?.send_window.as_ref()?);
            let outside: Vec<(String, String)> = calendar
                .cron()
                .iter_from(start.clone(), croner::Direction::Forward)
                .take(WAVES_AHEAD)
                .filter_map(|at| outside_window(&at, &window, zone))
                .collect();
            let (at, opening) = outside.first()?;
            Some(format!(
                "{} of the next {WAVES_AHEAD} waves fall outside the send window of channel `{}`; the first, at {at}, waits until {opening} over SMTP",
                outside.len(),
                *channel.id
            ))
        })
        .collect()
}

/// Materialises the plan's waves and invitations; safe to run twice or concurrently.
pub async fn commit(
    store: &Store,
    program: &Program,
    period: Period,
    plan: &Plan,
) -> Result<Vec<Committed>, PlanError> {
    store
        .record_program_version(program.id(), &program.sha256)
        .await?;
    let file = &program.file;
    let mut committed = Vec::new();
    for survey_plan in &plan.surveys {
        let Some(survey) = file.surveys.iter().find(|s| *s.id == survey_plan.survey) else {
            continue;
        };
        let Some(sample) = survey
            .sample
            .as_ref()
            .and_then(|id| file.samples.iter().find(|s| *s.id == **id))
        else {
            continue;
        };
        let wanted: HashSet<&str> = survey_plan
            .sample
            .drawn
            .iter()
            .map(|d| d.email.as_str())
            .collect();
        let mut details: HashMap<String, Attributes> = HashMap::new();
        feed(store, program, &sample.contacts, |candidate| {
            if wanted.contains(candidate.email.as_str()) {
                let mut data = candidate.attributes.clone();
                data.insert("email".into(), candidate.email.clone().into());
                details.insert(candidate.email.clone(), data);
            }
            Ok(())
        })
        .await
        .map_err(|err| err.into_plan_error(&sample.id))?;
        let waves = schedule::waves(program.calendar(), &period, None)?;
        let count = waves.len().max(1);
        for (index, wave) in waves.iter().enumerate() {
            let invitations: Vec<NewInvitation> = survey_plan
                .sample
                .drawn
                .iter()
                .enumerate()
                .filter(|(position, _)| position % count == index)
                .map(|(_, drawn)| NewInvitation {
                    email: drawn.email.clone(),
                    locale: drawn.locale.clone(),
                    contact_data: details.get(&drawn.email).cloned().unwrap_or_default(),
                    due_at: wave.at.timestamp(),
                })
                .collect();
            let key = WaveKey {
                program_id: program.id().to_owned(),
                survey_id: survey_plan.survey.clone(),
                channel_id: survey_plan.channel.clone(),
                period: plan.period.clone(),
                wave: wave.number,
            };
            let wave_plan = WavePlan {
                sample_id: sample.id.to_string(),
                seed: sample.seed,
                program_sha256: Some(program.sha256.clone()),
                planned_at: wave.at.timestamp(),
            };
            let WaveOutcome {
                wave_id,
                created,
                invitations,
            } = store
                .materialise_wave(&key, &wave_plan, &invitations)
                .await?;
            committed.push(Committed {
                survey: survey_plan.survey.clone(),
                wave: wave.number,
                wave_id,
                created,
                invitations,
            });
        }
    }
    Ok(committed)
}

/// The `(survey, channel)` pairs whose waves a plan materialises: every survey with a sample
/// and a channel that carries invitations (the daemon keeps one tick per pair and wave).
pub fn planned_surveys(program: &Program) -> Vec<(String, String)> {
    let file = &program.file;
    file.surveys
        .iter()
        .filter(|survey| {
            survey
                .sample
                .as_ref()
                .is_some_and(|id| file.samples.iter().any(|s| *s.id == **id))
        })
        .filter_map(|survey| {
            let channel = dispatching_channel(program, &survey.channels)?;
            Some((survey.id.to_string(), channel.id.to_string()))
        })
        .collect()
}

/// The channel whose invitations a plan materialises: the survey's first email channel,
/// else its first offline channel (a call list); open links need no plan.
pub fn dispatching_channel<'p>(
    program: &'p Program,
    channels: &[crate::program::At<String>],
) -> Option<&'p crate::program::model::Channel> {
    let declared: Vec<&crate::program::model::Channel> = channels
        .iter()
        .filter_map(|id| program.file.channels.iter().find(|c| *c.id == **id))
        .collect();
    declared
        .iter()
        .find(|c| *c.kind == ChannelType::Email)
        .or_else(|| declared.iter().find(|c| *c.kind != ChannelType::Link))
        .copied()
}

/// The sampler's spec of `sample`; `goal` is its precision goal sized from the survey's
/// history, when it states one.
fn spec(sample: &Sample, goal: Option<PrecisionGoal>) -> Result<SampleSpec, PlanError> {
    let invalid = |message: String| PlanError::Sampling {
        sample: sample.id.to_string(),
        message,
    };
    let filter = sample
        .filter
        .as_ref()
        .map(|text| Expr::compile(text))
        .transpose()
        .map_err(|err| invalid(err.to_string()))?;
    let draw = match (&sample.size, &sample.rate, goal) {
        (Some(size), _, _) => Draw::Size(**size),
        (None, Some(rate), _) => Draw::Rate(**rate),
        (None, None, Some(goal)) => Draw::Precision(goal),
        (None, None, None) => {
            return Err(invalid(
                "none of `size`, `rate` or a `precision` on a KPI its survey measures; run \
                 `ecoute check`"
                    .into(),
            ));
        }
    };
    Ok(SampleSpec {
        id: sample.id.to_string(),
        filter,
        draw,
        strata: sample.strata.iter().map(|s| s.to_string()).collect(),
        min_per_stratum: sample.min_per_stratum.as_deref().copied(),
        seed: sample.seed,
    })
}

enum FeedError {
    Plan(PlanError),
    Sample(String),
}

impl FeedError {
    /// A sampling failure is reported against the sample whose source was being read.
    fn into_plan_error(self, sample: &str) -> PlanError {
        match self {
            FeedError::Plan(plan) => plan,
            FeedError::Sample(message) => PlanError::Sampling {
                sample: sample.to_owned(),
                message,
            },
        }
    }
}

/// Streams the contacts of source `source_id` into `consume`; returns a description of the
/// source and how many CSV rows were rejected.
async fn feed(
    store: &Store,
    program: &Program,
    source_id: &str,
    mut consume: impl FnMut(&Candidate) -> Result<(), String>,
) -> Result<(String, u64), FeedError> {
    let Some(source) = program.file.contacts.iter().find(|c| *c.id == source_id) else {
        return Err(FeedError::Plan(PlanError::Sampling {
            sample: source_id.to_owned(),
            message: "unknown contact source; run `ecoute check`".into(),
        }));
    };
    if let Some(csv) = &source.csv {
        let base = program.path.parent().unwrap_or(Path::new("."));
        let path = base.join(csv.as_str());
        let rejected = feed_csv(&path, &mut consume).map_err(|err| match err {
            FeedError::Plan(PlanError::Source { message, .. }) => {
                FeedError::Plan(PlanError::Source {
                    source_id: source_id.to_owned(),
                    path: path.clone(),
                    message,
                })
            }
            other => other,
        })?;
        return Ok((format!("{source_id} (CSV {})", path.display()), rejected));
    }
    let contacts = store
        .all_contacts()
        .await
        .map_err(|e| FeedError::Plan(e.into()))?;
    for contact in contacts {
        let candidate = Candidate {
            email: contact.email,
            attributes: with_names(contact.attributes, contact.first_name, contact.last_name),
            locale: contact.locale,
        };
        consume(&candidate).map_err(FeedError::Sample)?;
    }
    Ok((format!("{source_id} (store)"), 0))
}

fn feed_csv(
    path: &Path,
    consume: &mut impl FnMut(&Candidate) -> Result<(), String>,
) -> Result<u64, FeedError> {
    let source_error = |message: String| {
        FeedError::Plan(PlanError::Source {
            source_id: String::new(),
            path: path.to_path_buf(),
            message,
        })
    };
    let file = File::open(path).map_err(|err| source_error(err.to_string()))?;
    let mut reader = BufReader::new(file);
    let dialect = sniff(&mut reader, None, None).map_err(|err| source_error(err.to_string()))?;
    let decoded = DecodeReader::new(reader, dialect.encoding);
    // No per-email set: memory stays flat in the number of rows, and the sampler refuses a
    // duplicate that reaches the draw (both copies share a priority).
    let mut rows = ContactRows::new(decoded, dialect.delimiter)
        .map_err(|err| source_error(err.to_string()))?
        .without_duplicate_check();
    let mut rejected = 0;
    while let Some(row) = rows.next_row() {
        match row {
            Ok(contact) => {
                let candidate = Candidate {
                    email: contact.email,
                    attributes: with_names(
                        contact.attributes,
                        contact.first_name,
                        contact.last_name,
                    ),
                    locale: contact.locale,
                };
                consume(&candidate).map_err(FeedError::Sample)?;
            }
            Err(_) => rejected += 1,
        }
    }
    Ok(rejected)
}

/// Attributes plus the contact's names under `first_name` and `last_name`, so filters and the
/// invitation snapshot (greetings in emails) see them like any other field.
fn with_names(
    mut attributes: Attributes,
    first_name: Option<String>,
    last_name: Option<String>,
) -> Attributes {
    for (key, value) in [("first_name", first_name), ("last_name", last_name)] {
        if let Some(value) = value {
            attributes.insert(key.into(), value.into());
        }
    }
    attributes
}

/// Strata sizes of a plan for the table view, keyed by the joined stratum values.
pub fn strata_table(outcome: &SampleOutcome) -> BTreeMap<String, (u64, Option<u64>, u64)> {
    outcome
        .per_stratum
        .iter()
        .map(|s| (s.values.join(" / "), (s.eligible, s.allocated, s.drawn)))
        .collect()
}

/// The wave number of invitations scheduled by events (planned waves start at 1).
pub const TRIGGER_WAVE: u32 = 0;

/// An event that may schedule trigger surveys (`POST /api/v1/events`).
#[derive(Debug, Clone, Copy)]
pub struct TriggerEvent<'a> {
    /// Event name, as in the programs' `rules.triggers`.
    pub event: &'a str,
    /// The person concerned, already normalised.
    pub email: &'a str,
    /// Only this program's triggers (default: every program's).
    pub program: Option<&'a str>,
    /// Attributes kept with the event and the invitation.
    pub attributes: &'a Attributes,
    /// Locale of the invitation.
    pub locale: Option<&'a str>,
    /// When it happened.
    pub occurred_at: Timestamp,
}

/// What an event scheduled and skipped; the API answers it as JSON (fields in alphabetical
/// order, as the API always wrote them).
#[derive(Debug, Serialize)]
pub struct TriggerOutcome {
    /// The event name.
    pub event: String,
    /// One entry per trigger that planned an invitation (new or already there).
    pub scheduled: Vec<ScheduledTrigger>,
    /// One entry per trigger left out, with the reason.
    pub skipped: Vec<SkippedTrigger>,
}

/// An invitation planned by a trigger.
#[derive(Debug, Serialize)]
pub struct ScheduledTrigger {
    /// The channel that carries it.
    pub channel: String,
    /// False when the person already had it (one per email, survey, channel and period).
    pub created: bool,
    /// When it is due (RFC 3339).
    pub due_at: String,
    /// The store's invitation id.
    pub invitation_id: i64,
    /// The period it counts in.
    pub period: String,
    /// Program id.
    pub program: String,
    /// Survey id.
    pub survey: String,
}

/// A trigger that planned nothing, and why.
#[derive(Debug, Serialize)]
pub struct SkippedTrigger {
    /// Program id.
    pub program: String,
    /// `suppressed` or `fatigue`.
    pub reason: &'static str,
    /// Survey id.
    pub survey: String,
}

/// Why an event could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// The event names a program that is not loaded.
    #[error("unknown program `{program}`; loaded programs: {loaded}")]
    UnknownProgram {
        /// As asked.
        program: String,
        /// The loaded program ids.
        loaded: String,
    },
    /// No loaded program has a trigger for the event.
    #[error("no program has a trigger for event `{event}`; known events: {known}")]
    NoTrigger {
        /// As posted.
        event: String,
        /// Every event of the loaded programs.
        known: String,
    },
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The event time plus the delay is out of range.
    #[error(transparent)]
    DueTime(#[from] jiff::Error),
    /// The program's periods cannot place the due time.
    #[error("program {program}: {source}")]
    Period {
        /// Program id.
        program: String,
        /// Why.
        source: CalendarError,
    },
}

impl TriggerError {
    /// True when the request itself is wrong (the caller can fix it), false when the server
    /// could not do its part.
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            TriggerError::UnknownProgram { .. } | TriggerError::NoTrigger { .. }
        )
    }
}

/// Records the event and schedules each matching trigger's survey among `programs`, unless
/// the person is suppressed or was contacted within the program's fatigue window (measured
/// at the invitation's due time). Safe to post twice: the store keeps one invitation.
pub async fn schedule_triggers(
    store: &Store,
    programs: &[&Program],
    event: &TriggerEvent<'_>,
) -> Result<TriggerOutcome, TriggerError> {
    let none_if_empty = |ids: Vec<String>| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    if let Some(id) = event.program
        && !programs.iter().any(|p| p.id() == id)
    {
        return Err(TriggerError::UnknownProgram {
            program: id.to_owned(),
            loaded: none_if_empty(programs.iter().map(|p| p.id().to_owned()).collect()),
        });
    }
    let matches: Vec<(&Program, &Trigger)> = programs
        .iter()
        .filter(|p| event.program.is_none_or(|id| p.id() == id))
        .flat_map(|p| p.file.rules.triggers.iter().map(move |t| (*p, t)))
        .filter(|(_, t)| *t.event == event.event)
        .collect();
    if matches.is_empty() {
        let known = programs
            .iter()
            .flat_map(|p| p.file.rules.triggers.iter().map(|t| t.event.to_string()))
            .collect();
        return Err(TriggerError::NoTrigger {
            event: event.event.to_owned(),
            known: none_if_empty(known),
        });
    }
    let suppressed = !store.suppressions_for(event.email).await?.is_empty();
    let last_contacted = store.last_contacted(event.email).await?;
    let mut outcome = TriggerOutcome {
        event: event.event.to_owned(),
        scheduled: Vec::new(),
        skipped: Vec::new(),
    };
    let mut recorded: Vec<&str> = Vec::new();
    for (program, trigger) in matches {
        if !recorded.contains(&program.id()) {
            store
                .record_event(&NewEvent {
                    program_id: program.id().to_owned(),
                    event: event.event.to_owned(),
                    email: Some(event.email.to_owned()),
                    attributes: event.attributes.clone(),
                    occurred_at: event.occurred_at,
                })
                .await?;
            recorded.push(program.id());
        }
        let skip = |reason: &'static str| SkippedTrigger {
            program: program.id().to_owned(),
            reason,
            survey: trigger.survey.to_string(),
        };
        if suppressed {
            outcome.skipped.push(skip("suppressed"));
            continue;
        }
        let due = event
            .occurred_at
            .checked_add(i64::from(trigger.delay_hours).hours())?;
        let fatigue = Fatigue::of(program.file.rules.fatigue.as_ref(), due);
        if fatigue
            .zip(last_contacted)
            .is_some_and(|(rule, last)| rule.excludes(last))
        {
            outcome.skipped.push(skip("fatigue"));
            continue;
        }
        let period = program
            .calendar()
            .resolve_period(None, due)
            .map_err(|source| TriggerError::Period {
                program: program.id().to_owned(),
                source,
            })?
            .to_string();
        let key = WaveKey {
            program_id: program.id().to_owned(),
            survey_id: trigger.survey.to_string(),
            channel_id: trigger.channel.to_string(),
            period: period.clone(),
            wave: TRIGGER_WAVE,
        };
        let plan = WavePlan {
            sample_id: format!("trigger:{}", event.event),
            seed: 0,
            program_sha256: Some(program.sha256.clone()),
            planned_at: due,
        };
        let mut contact_data = event.attributes.clone();
        contact_data.insert("email".into(), event.email.into());
        contact_data
            .entry(crate::dispatch::message::EVENT_TIME_KEY.to_owned())
            .or_insert_with(|| event.occurred_at.to_string().into());
        let invitation = NewInvitation {
            email: event.email.to_owned(),
            locale: event.locale.map(str::to_owned),
            contact_data,
            due_at: due,
        };
        let triggered = store
            .schedule_triggered(&key, &plan, &invitation, event.event)
            .await?;
        outcome.scheduled.push(ScheduledTrigger {
            channel: trigger.channel.to_string(),
            created: triggered.created,
            due_at: due.to_string(),
            invitation_id: triggered.invitation_id,
            period,
            program: program.id().to_owned(),
            survey: trigger.survey.to_string(),
        });
    }
    Ok(outcome)
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn check_counts_the_waves_of_the_next_year_outside_the_window() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/fidelite-clients.yaml");
        let program = crate::program::load(&path, &crate::program::CheckContext::default())
            .expect("the example program is valid");
        let now: Timestamp = "2026-11-30T12:00:00Z".parse().expect("timestamp");
        // The 2nd of December 2026 … November 2027 falls on a weekend in January (Sat),
        // May (Sun) and October (Sat).
        assert_eq!(
            send_window_warnings(&program, now),
            vec![
                "3 of the next 12 waves fall outside the send window of channel `email`; the \
                 first, at 2027-01-02 10:00 CET (Sat), waits until 2027-01-04 09:00 CET (Mon) \
                 over SMTP"
                    .to_owned()
            ]
        );
    }
}
