//! One answer rule book: the same answers fed through the web form (an open link), the JSON
//! API and `ecoute responses import` get the same verdict, and accepted ones are stored the
//! same. The expected stored values are written here by hand.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use ecoute::collect::{AppState, ServerOptions, open_form_key, router};
use ecoute::program::CheckContext;
use ecoute::records::Answer;
use ecoute::store::Store;
use ecoute::templates::Templates;
use serde_json::{Value, json};

use crate::collect::{api_post, encode, form_post, generous, json_of, send};
use crate::harness::{Project, repo_path};
use crate::support::{TestDb, both_backends};

const PROGRAM: &str = "fidelite-clients";
const SURVEY: &str = "regles";
const ADMIN: &str = "answers-admin-token";

/// A survey with one optional question of each kind, reachable by an open link.
const RULES_SURVEY: &str = "  - id: regles
    touchpoint: magasin
    channels: [qr-magasin]
    title: { fr: Règles, en: Rules }
    questions:
      - { id: note, type: nps, text: { fr: Note ?, en: Score? } }
      - { id: couleur, type: csat, scale: green_red, text: { fr: Couleur ?, en: Colour? } }
      - { id: oui-non, type: csat, scale: yes_no, text: { fr: Oui ou non ?, en: Yes or no? } }
      - { id: resolu, type: yes_no, text: { fr: Résolu ?, en: Resolved? } }
      - { id: effort, type: ces, text: { fr: Effort ?, en: Effort? } }
      - id: motif
        type: single
        text: { fr: Motif ?, en: Reason? }
        options:
          - { id: achat, label: { fr: Achat, en: Purchase } }
          - { id: conseil, label: { fr: Conseil, en: Advice } }
      - id: points
        type: multi
        text: { fr: Points ?, en: Points? }
        options:
          - { id: delai, label: { fr: Délai, en: Delay } }
          - { id: prix, label: { fr: Prix, en: Price } }
      - { id: mot, type: text, max_length: 5, text: { fr: Un mot ?, en: A word? } }

";

/// One stored answer row: `(ordinal, number, choice, text)`.
type Row = (u32, Option<f64>, Option<String>, Option<String>);

/// What the store should hold for one answer, or `None` when the answer is refused.
type Stored = Option<Vec<Row>>;

/// One case: the question, the values typed in the form (and joined with `|` in a CSV cell),
/// the same answer as the API's JSON, and the verdict.
struct Case {
    question: &'static str,
    typed: &'static [&'static str],
    json: Value,
    stored: Stored,
}

fn number(n: f64) -> Stored {
    Some(vec![(0, Some(n), None, None)])
}

fn text(t: &str) -> Stored {
    Some(vec![(0, None, None, Some(t.to_owned()))])
}

fn choices(chosen: &[&str]) -> Stored {
    Some(
        chosen
            .iter()
            .zip(0..)
            .map(|(choice, ordinal)| (ordinal, None, Some((*choice).to_owned()), None))
            .collect(),
    )
}

fn case(
    question: &'static str,
    typed: &'static [&'static str],
    json: Value,
    stored: Stored,
) -> Case {
    Case {
        question,
        typed,
        json,
        stored,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("resolu", &["oui"], json!(true), number(1.0)),
        case("resolu", &[" NON "], json!(false), number(0.0)),
        case("resolu", &["True"], json!(1), number(1.0)),
        case("resolu", &["yes"], json!(true), number(1.0)),
        case("resolu", &["0"], json!(0), number(0.0)),
        case("resolu", &["vrai"], json!("vrai"), None),
        case("resolu", &["o"], json!("oui"), None),
        case("resolu", &["2"], json!(2), None),
        case("oui-non", &["Yes"], json!(true), number(1.0)),
        case("oui-non", &["vert"], json!("vert"), None),
        case("couleur", &["vert"], json!(true), number(1.0)),
        case("couleur", &["Red"], json!(false), number(0.0)),
        case("couleur", &["1"], json!(1), number(1.0)),
        case("couleur", &["oui"], json!("oui"), None),
        case("note", &["10"], json!(10), number(10.0)),
        case("note", &["0"], json!(0), number(0.0)),
        case("note", &["11"], json!(11), None),
        case("note", &["4.5"], json!(4.5), None),
        case("note", &["-1"], json!(-1), None),
        case("effort", &["6"], json!(6), number(6.0)),
        case("effort", &["3", "4"], json!([3, 4]), None),
        case(
            "motif",
            &["conseil"],
            json!("conseil"),
            choices(&["conseil"]),
        ),
        case("motif", &["autre"], json!("autre"), None),
        case(
            "motif",
            &["achat", "conseil"],
            json!(["achat", "conseil"]),
            None,
        ),
        case(
            "points",
            &["prix", "delai"],
            json!(["prix", "delai"]),
            choices(&["prix", "delai"]),
        ),
        case(
            "points",
            &["delai", "delai"],
            json!(["delai", "delai"]),
            None,
        ),
        case(
            "points",
            &["delai", "autre"],
            json!(["delai", "autre"]),
            None,
        ),
        case("mot", &["  ééééé "], json!("  ééééé "), text("ééééé")),
        case("mot", &["a\r\nb\rc"], json!("a\r\nb\rc"), text("a\nb\nc")),
        // Five characters once CRLF is one line end.
        case("mot", &["a\r\nbcd"], json!("a\r\nbcd"), text("a\nbcd")),
        case("mot", &["abcdef"], json!("abcdef"), None),
    ]
}

fn program_yaml() -> String {
    let example = std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml"))
        .expect("the example program");
    let marker = "  - id: sav\n    touchpoint: sav\n";
    assert!(
        example.contains(marker),
        "the example program has a sav survey"
    );
    example.replacen(marker, &format!("{RULES_SURVEY}{marker}"), 1)
}

/// A scratch folder holding the test program, the store, and the application serving it.
async fn setup(db: &TestDb) -> (Project, Store, Router) {
    let scratch = Project::new()
        .file("programs/fidelite-clients.yaml", program_yaml())
        .file(
            "programs/contacts/clients.csv",
            std::fs::read(repo_path("programs/contacts/clients.csv")).expect("contacts"),
        );
    let store = db.open().await;
    let app = app(&store, scratch.path());
    (scratch, store, app)
}

fn app(store: &Store, folder: &std::path::Path) -> Router {
    let context = CheckContext {
        templates: Templates::new(None),
    };
    let program = ecoute::program::load(&folder.join("programs/fidelite-clients.yaml"), &context)
        .expect("the test program is valid");
    let state = AppState::new(
        store.clone(),
        vec![program],
        Templates::new(None),
        &ServerOptions {
            admin_token: Some(ADMIN.to_owned()),
            limits: generous(),
            ..ServerOptions::default()
        },
    );
    router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 20], 5000))))
}

/// The rows stored for `question`, as a case expects them.
fn rows(answers: &[Answer], question: &str) -> Vec<Row> {
    answers
        .iter()
        .filter(|a| a.question_id == question)
        .map(|a| {
            (
                a.ordinal,
                a.num_value,
                a.choice.clone(),
                a.text_value.clone(),
            )
        })
        .collect()
}

async fn stored_rows(store: &Store, id: i64, question: &str) -> Vec<Row> {
    let response = store.response(id).await.expect("read").expect("stored");
    rows(&response.answers, question)
}

/// One CSV cell, quoted.
fn cell(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

both_backends!(the_three_entry_points_agree, the_api_wants_typed_json);

async fn the_three_entry_points_agree(db: TestDb) {
    let cases = cases();
    let (scratch, store, app) = setup(&db).await;

    // The web form of the open link.
    let mut form = Vec::new();
    for case in &cases {
        let field = format!("q.{}", case.question);
        let key = open_form_key(PROGRAM, SURVEY);
        let mut pairs: Vec<(&str, &str)> = vec![("form_key", &key)];
        pairs.extend(case.typed.iter().map(|v| (field.as_str(), *v)));
        let reply = send(
            &app,
            form_post(&format!("/l/{PROGRAM}/{SURVEY}"), encode(&pairs)),
        )
        .await;
        let verdict = match reply.status {
            StatusCode::OK => {
                let id = i64::try_from(store.count_responses().await.expect("count")).expect("id");
                Some(stored_rows(&store, id, case.question).await)
            }
            StatusCode::UNPROCESSABLE_ENTITY => None,
            other => panic!("form {:?}: {other}\n{}", case.typed, reply.body),
        };
        form.push(verdict);
    }

    // The JSON API.
    let mut api = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let body = json!({
            "program": PROGRAM,
            "survey": SURVEY,
            "external_id": format!("api-{index}"),
            "answers": { case.question: case.json },
        });
        let reply = send(&app, api_post("/api/v1/responses", Some(ADMIN), body)).await;
        let verdict = match reply.status {
            StatusCode::CREATED => {
                let id = json_of(&reply)["id"].as_i64().expect("id");
                Some(stored_rows(&store, id, case.question).await)
            }
            StatusCode::UNPROCESSABLE_ENTITY => None,
            other => panic!("API {}: {other}\n{}", case.json, reply.body),
        };
        api.push(verdict);
    }

    // `ecoute responses import` of one CSV row per case.
    let questions = [
        "note", "couleur", "oui-non", "resolu", "effort", "motif", "points", "mot",
    ];
    let mut csv = format!("submitted_at,response_id,{}\r\n", questions.join(","));
    for (index, case) in cases.iter().enumerate() {
        let cells: Vec<String> = questions
            .iter()
            .map(|q| {
                if *q == case.question {
                    cell(&case.typed.join("|"))
                } else {
                    String::new()
                }
            })
            .collect();
        csv.push_str(&format!("2026-11-04,csv-{index},{}\r\n", cells.join(",")));
    }
    let before = store.count_responses().await.expect("count");
    scratch
        .file("answers.csv", csv)
        .args([
            "responses",
            "import",
            "--program",
            PROGRAM,
            "--survey",
            SURVEY,
            "--database-url",
            &db.url,
            "answers.csv",
        ])
        .run()
        .status(1)
        .no_panic();
    let after = store.count_responses().await.expect("count");
    let mut by_external_id = std::collections::HashMap::new();
    for id in i64::try_from(before).expect("id") + 1..=i64::try_from(after).expect("id") {
        let response = store.response(id).await.expect("read").expect("stored");
        by_external_id.insert(response.external_id.clone().expect("response_id"), response);
    }
    let import: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            by_external_id
                .get(&format!("csv-{index}"))
                .map(|response| rows(&response.answers, case.question))
        })
        .collect();

    for (index, case) in cases.iter().enumerate() {
        let want = &case.stored;
        let what = format!("{} {:?} / {}", case.question, case.typed, case.json);
        assert_eq!(&form[index], want, "form: {what}");
        assert_eq!(&api[index], want, "API: {what}");
        assert_eq!(&import[index], want, "import: {what}");
    }
}

async fn the_api_wants_typed_json(db: TestDb) {
    let (_scratch, store, app) = setup(&db).await;
    for (question, value, message) in [
        (
            "effort",
            json!("6"),
            "`effort`: \"6\" is the wrong JSON type: send a JSON number from 1 to 7, without quotes",
        ),
        (
            "resolu",
            json!("true"),
            "`resolu`: \"true\" is the wrong JSON type: send true or false (or the number 1 or 0), without quotes",
        ),
        (
            "note",
            json!(true),
            "`note`: true is the wrong JSON type: send a JSON number from 0 to 10, without quotes",
        ),
        (
            "mot",
            json!(42),
            "`mot`: 42 is the wrong JSON type: send the text as a JSON string",
        ),
        (
            "points",
            json!(["delai", "delai"]),
            "`points`: Choose one of the answers offered. (`delai` is chosen twice; give each option once)",
        ),
    ] {
        let body = json!({"program": PROGRAM, "survey": SURVEY, "answers": { question: value }});
        let reply = send(&app, api_post("/api/v1/responses", Some(ADMIN), body)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{value}");
        assert_eq!(json_of(&reply)["problems"][question], message);
    }
    assert_eq!(store.count_responses().await.expect("count"), 0);
}
