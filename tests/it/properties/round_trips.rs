//! Through the store: a wave planned twice equals a wave planned once, and an export
//! imported back is "already imported" for every row.

use std::path::Path;

use ecoute::collect::form::{self, FIELD_PREFIX, RawAnswers};
use ecoute::program::{CheckContext, Program, load_bytes};
use ecoute::records::{Attributes, ContactInput, NewResponse};
use ecoute::responses;
use ecoute::store::Store;
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::Value;

use super::config;
use crate::support::TestDb;

/// A program of one survey drawn from the store's contacts, `size` per period split over
/// two waves, stratified by segment or not, and a survey with one question of each type.
fn program(size: u64, stratified: bool, seed: u64) -> Program {
    let strata = if stratified {
        ", strata: [segment], min_per_stratum: 1"
    } else {
        ""
    };
    let yaml = format!(
        r#"program:
  id: essai
  title: {{ fr: Essai }}
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: {{ from: "CX <cx@example.org>" }}
touchpoints:
  - {{ id: livraison, name: {{ fr: Livraison }}, stage: livraison }}
surveys:
  - id: livraison
    touchpoint: livraison
    sample: clients
    channels: [email]
    title: {{ fr: Livraison }}
    questions:
      - {{ id: reco, type: nps, text: {{ fr: Recommanderiez-vous ? }} }}
      - {{ id: etoiles, type: csat, scale: stars5, text: {{ fr: Satisfait ? }} }}
      - {{ id: effort, type: ces, text: {{ fr: Facile ? }} }}
      - {{ id: resolu, type: yes_no, text: {{ fr: Résolu ? }} }}
      - id: but
        type: single
        text: {{ fr: But ? }}
        options: [{{ id: achat, label: {{ fr: Achat }} }}, {{ id: conseil, label: {{ fr: Conseil }} }}]
      - id: decu
        type: multi
        show_if: reco <= 8
        text: {{ fr: Déçu par ? }}
        options: [{{ id: delai, label: {{ fr: Délai }} }}, {{ id: suivi, label: {{ fr: Suivi }} }}]
      - {{ id: pourquoi, type: text, text: {{ fr: Pourquoi ? }} }}
contacts:
  - {{ id: base, store: true }}
samples:
  - {{ id: clients, contacts: base, size: {size}, seed: {seed}{strata} }}
channels:
  - {{ id: email, type: email, template: invitation, reminder_days: [4] }}
periods:
  cadence: monthly
  waves: "0 10 2,16 * *"
  close_after_days: 10
"#
    );
    match load_bytes(
        Path::new("essai.yaml"),
        yaml.into_bytes(),
        &CheckContext::default(),
    ) {
        Ok(program) => program,
        Err(problems) => panic!("the test program loads: {problems:?}"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn now() -> Timestamp {
    "2026-11-01T08:00:00Z".parse().expect("timestamp")
}

/// The waves of the program and each wave's invitations, as the store has them.
async fn waves(
    store: &Store,
) -> Vec<(
    ecoute::dispatch::outbox::OutboxWave,
    Vec<ecoute::records::Invitation>,
)> {
    let mut all = Vec::new();
    for wave in store.program_waves("essai").await.expect("waves") {
        let invitations = store.wave_invitations(wave.id).await.expect("invitations");
        all.push((wave, invitations));
    }
    all
}

/// What one generated response is made of: answers as typed in the form, who sent it
/// (the channel of its invitation or open link, or the API's and the import's defaults).
#[derive(Debug, Clone)]
struct Submission {
    fields: Vec<(String, String)>,
    external_id: Option<String>,
    email: Option<String>,
    channel: &'static str,
    minute: i64,
    region: Option<String>,
}

/// Text as respondents and API clients write it: formulas, quotes, separators, new lines,
/// accents, spaces around.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Zéè0-9 ]{1,12}",
        "[=+@'\" ,;|\t\r\n-]{0,3}[a-zé0-9]{1,6}[=+@'\" ,;|\r\n-]{0,3}",
        prop::sample::select(vec![
            "=1+1",
            "'déjà",
            "-3",
            "a|b",
            "  spaced  ",
            "1,5",
            "\"q\""
        ])
        .prop_map(str::to_owned),
    ]
}

fn submission() -> impl Strategy<Value = Submission> {
    let value = |choices: Vec<&'static str>| {
        prop::option::weighted(0.8, prop::sample::select(choices).prop_map(str::to_owned))
    };
    (
        (
            value(vec!["0", "3", "6", "7", "8", "9", "10"]),
            value(vec!["1", "2", "3", "4", "5"]),
            value(vec!["1", "4", "7"]),
            value(vec!["yes", "no"]),
            value(vec!["achat", "conseil"]),
            prop::collection::vec(prop::sample::select(vec!["delai", "suivi"]), 0..3),
            prop::option::of(text()),
        ),
        prop::option::of(prop_oneof![text(), "[A-Z]{2}-[0-9]{1,6}"]),
        prop::option::of("[a-z]{1,8}@example\\.org"),
        prop::sample::select(vec!["email", "import", "api"]),
        0i64..40_000,
        prop::option::of(text()),
    )
        .prop_map(
            |(
                (reco, etoiles, effort, resolu, but, decu, pourquoi),
                external_id,
                email,
                channel,
                minute,
                region,
            )| {
                let mut fields = Vec::new();
                let mut field = |id: &str, value: Option<String>| {
                    if let Some(value) = value {
                        fields.push((format!("{FIELD_PREFIX}{id}"), value));
                    }
                };
                field("reco", reco);
                field("etoiles", etoiles);
                field("effort", effort);
                field("resolu", resolu);
                field("but", but);
                let mut seen = Vec::new();
                for choice in decu {
                    if !seen.contains(&choice) {
                        seen.push(choice);
                        field("decu", Some(choice.to_owned()));
                    }
                }
                field("pourquoi", pourquoi);
                Submission {
                    fields,
                    external_id,
                    email,
                    channel,
                    minute,
                    region,
                }
            },
        )
}

/// The response the form (or the API) stores for a submission; `None` when the form
/// refuses it.
fn response(program: &Program, submission: &Submission) -> Option<NewResponse> {
    let survey = responses::find_survey(program, "livraison").expect("survey");
    let answers = form::validate(survey, &RawAnswers::from_form(&submission.fields)).ok()?;
    // Minutes after 2026-11-01 00:00 UTC, within the program's monthly periods.
    let submitted_at = Timestamp::from_second(1_793_491_200 + submission.minute * 60).ok()?;
    let period = program.calendar().period_of(submitted_at)?;
    let respondent = submission.region.as_ref().map(|region| {
        let mut attributes = Attributes::new();
        attributes.insert("region".into(), Value::from(region.as_str()));
        attributes
    });
    Some(NewResponse {
        invitation_id: None,
        program_id: "essai".into(),
        survey_id: "livraison".into(),
        touchpoint_id: Some("livraison".into()),
        channel: submission.channel.into(),
        period: period.to_string(),
        submitted_at,
        email: submission.email.clone(),
        respondent,
        external_id: submission.external_id.clone(),
        answers,
        cases: Vec::new(),
        version: None,
    })
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn a_wave_planned_twice_equals_a_wave_planned_once(
        segments in prop::collection::vec(prop::sample::select(vec!["pro", "part"]), 0..25),
        size in 1u64..30,
        stratified in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let program = program(size, stratified, seed);
        runtime().block_on(async {
            let db = TestDb::sqlite();
            let store = db.open().await;
            let contacts: Vec<ContactInput> = segments
                .iter()
                .enumerate()
                .map(|(i, segment)| {
                    let mut attributes = Attributes::new();
                    attributes.insert("segment".into(), Value::from(*segment));
                    ContactInput {
                        email: format!("c{i:02}@example.org"),
                        first_name: Some(format!("C{i}")),
                        last_name: None,
                        locale: Some("fr".into()),
                        attributes,
                    }
                })
                .collect();
            store.upsert_contacts(&contacts).await.expect("contacts");
            let period = program.calendar().resolve_period(Some("2026-11"), now()).expect("period");

            let first = ecoute::plan::build(&store, &program, period, now()).await.expect("plan");
            let once = ecoute::plan::commit(&store, &program, period, &first).await.expect("commit");
            let after_once = waves(&store).await;

            let second = ecoute::plan::build(&store, &program, period, now()).await.expect("plan");
            prop_assert_eq!(
                serde_json::to_value(&second).expect("json"),
                serde_json::to_value(&first).expect("json")
            );
            let twice = ecoute::plan::commit(&store, &program, period, &second).await.expect("commit");
            prop_assert_eq!(waves(&store).await, after_once.clone());

            // Two waves; the first commit created them, the second found them as they were.
            prop_assert_eq!(once.len(), 2);
            prop_assert!(once.iter().all(|c| c.created));
            prop_assert_eq!(twice.len(), 2);
            for (a, b) in once.iter().zip(&twice) {
                prop_assert!(!b.created);
                prop_assert_eq!((a.wave_id, a.invitations), (b.wave_id, b.invitations));
            }
            // Every drawn contact is invited exactly once across the waves.
            let drawn = first.surveys[0].sample.drawn.len();
            let invited: usize = after_once.iter().map(|(_, invitations)| invitations.len()).sum();
            prop_assert_eq!(invited, drawn);
            Ok(())
        })?;
    }

    #[test]
    fn an_export_imported_back_is_already_imported_for_every_row(
        submissions in prop::collection::vec(submission(), 1..12),
    ) {
        let program = program(5, false, 1);
        let survey = responses::find_survey(&program, "livraison").expect("survey");
        runtime().block_on(async {
            let db = TestDb::sqlite();
            let store = db.open().await;
            let mut stored = 0;
            for submission in &submissions {
                if let Some(response) = response(&program, submission)
                    && store.insert_response(&response).await.expect("insert").is_some()
                {
                    stored += 1;
                }
            }
            // Export as `ecoute responses export` writes it.
            let exported = store.survey_responses("essai", "livraison").await.expect("export");
            prop_assert_eq!(exported.len(), stored);
            let attributes = responses::attribute_names(&exported);
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(responses::header(survey, &attributes)).expect("header");
            for response in &exported {
                writer.write_record(responses::record(survey, &attributes, response)).expect("row");
            }
            let csv = writer.into_inner().expect("csv");

            // Import as `ecoute responses import` reads it: every row parses, none is new.
            let parsed = responses::parse(csv.as_slice(), b',', &program, survey, None).expect("parse");
            prop_assert!(
                parsed.errors.is_empty(),
                "rows refused: {:?}\n{}",
                parsed.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
                String::from_utf8_lossy(&csv)
            );
            prop_assert_eq!(parsed.rows.len(), stored);
            for row in &parsed.rows {
                let again = store.insert_response(&row.response).await.expect("insert");
                prop_assert!(again.is_none(), "line {} was imported again:\n{}", row.line, String::from_utf8_lossy(&csv));
            }
            prop_assert_eq!(store.survey_responses("essai", "livraison").await.expect("read").len(), stored);
            Ok(())
        })?;
    }
}

/// Found by the round-trip property: a form response (no external id) is exported as
/// `ecoute-{id}` and must be that response again when imported back, in the same program
/// only; an `ecoute-{id}` naming no such response is stored like any new id.
#[tokio::test]
async fn an_exported_ecoute_id_names_the_stored_response() {
    let program = program(5, false, 1);
    let db = TestDb::sqlite();
    let store = db.open().await;
    let submission = Submission {
        fields: vec![("q.reco".into(), "9".into())],
        external_id: None,
        email: None,
        channel: "email",
        minute: 60,
        region: None,
    };
    let web = response(&program, &submission).expect("a valid response");
    let id = store
        .insert_response(&web)
        .await
        .expect("insert")
        .expect("stored");
    let mut imported = web.clone();
    imported.external_id = Some(ecoute::records::exported_id(id));
    assert_eq!(imported.external_id, Some(format!("ecoute-{id}")));
    assert_eq!(
        store.insert_response(&imported).await.expect("insert"),
        None
    );

    let mut elsewhere = imported.clone();
    elsewhere.program_id = "autre".into();
    assert!(
        store
            .insert_response(&elsewhere)
            .await
            .expect("insert")
            .is_some()
    );
    let mut unknown = web.clone();
    unknown.external_id = Some(ecoute::records::exported_id(id + 100));
    assert!(
        store
            .insert_response(&unknown)
            .await
            .expect("insert")
            .is_some()
    );
    // Stored once under its own id, a re-import of that row is a duplicate as usual.
    assert_eq!(store.insert_response(&unknown).await.expect("insert"), None);
}
