//! Closing the loop (issue 16): an unhappy answer on the web form opens a case and its alert
//! reaches the manager's mail server once; the case moves through its states on its page
//! and with `ecoute cases`; bad alert rules fail `check` at their line; an address that
//! cannot be used fails alone; an erased person's case page is the 404 of bad links.

use axum::http::StatusCode;
use ecoute::cases::CaseStatus;
use ecoute::token::LinkSecret;

use crate::collect::{
    answer, current_period, encode, form_key, form_post, generous, get, invite, program, send,
};
use crate::harness::{Project, SmtpServer, parse_email};
use crate::support::{TestDb, both_backends};

const MANAGER: &str = "logistique@maison-dupont.example";
const DETRACTOR: &str = "camille.martin@example.org";
const PROMOTER: &str = "lucas.bernard@example.org";

/// The example program (its `detracteur-livraison` alert: `recommandation <= 6`, 48 h),
/// sending through `smtp`, links on a fixed base.
fn project(db: TestDb, smtp: &SmtpServer) -> Project {
    Project::example()
        .database(db)
        .mail(&smtp.url())
        .public_url("https://avis.example.org")
}

/// The emails the manager received, as parsed files.
fn alerts(smtp: &SmtpServer) -> Vec<serde_json::Value> {
    let received = smtp.received();
    smtp.messages()
        .iter()
        .zip(received)
        .filter(|(_, (_, to))| to == MANAGER)
        .map(|(path, _)| parse_email(path))
        .collect()
}

/// The token of the case link in an alert's text.
fn case_token(alert: &serde_json::Value) -> String {
    let text = alert["text"].as_str().expect("text part");
    let start = text.find("/c/").expect("a case link") + 3;
    text[start..start + ecoute::token::TOKEN_LEN].to_owned()
}

both_backends!(a_detractor_opens_a_case_that_moves_through_its_states);

async fn a_detractor_opens_a_case_that_moves_through_its_states(db: TestDb) {
    let smtp = SmtpServer::start(&[]);
    let project = project(db, &smtp);
    let store = project.store().await;
    let period = current_period(&program());
    let secret = LinkSecret::from_bytes([42; 32]);
    let (_, links) = invite(
        &store,
        &secret,
        &period,
        1,
        &[(DETRACTOR, "fr"), (PROMOTER, "fr")],
    )
    .await;
    let token_of = |email: &str| {
        links
            .iter()
            .find(|l| l.0 == email)
            .expect("invited")
            .2
            .clone()
    };
    let app = crate::collect::app(&store, Some("admin-secret"), generous());

    let promoter = answer(
        &app,
        &token_of(PROMOTER),
        &[("q.recommandation", "10"), ("q.satisfaction", "5")],
    )
    .await;
    assert_eq!(promoter.status, StatusCode::OK);
    assert!(
        store.cases(None).await.expect("cases").is_empty(),
        "a promoter opens no case"
    );

    let detractor = answer(
        &app,
        &token_of(DETRACTOR),
        &[
            ("q.recommandation", "3"),
            ("q.satisfaction", "2"),
            ("q.pourquoi", "Livreur en retard de deux jours"),
        ],
    )
    .await;
    assert_eq!(detractor.status, StatusCode::OK);
    let cases = store.cases(Some("fidelite-clients")).await.expect("cases");
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case = &cases[0];
    assert_eq!(case.rule_id, "detracteur-livraison");
    assert_eq!(case.status, CaseStatus::Open);
    assert_eq!(case.respondent_email.as_deref(), Some(DETRACTOR));
    assert_eq!(
        case.due_at.as_second() - case.opened_at.as_second(),
        48 * 3600
    );

    // Two runs of the sender: the alert leaves once.
    for _ in 0..2 {
        project
            .args(["send", "fidelite-clients", "--no-plan"])
            .run()
            .status(0);
    }
    let received = alerts(&smtp);
    assert_eq!(received.len(), 1, "the alert reaches the server once");
    let alert = &received[0];
    let text = alert["text"].as_str().expect("text");
    assert!(text.contains("Livreur en retard de deux jours"), "{text}");
    assert!(text.contains(DETRACTOR), "the respondent is named: {text}");
    assert!(text.contains("https://avis.example.org/c/"), "{text}");
    assert!(
        alert["headers"].get("List-Unsubscribe").is_none(),
        "an alert to staff has no unsubscribe header"
    );

    // The case page, behind the alert's personal token.
    let token = case_token(alert);
    let page = get(&app, &format!("/c/{token}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Livreur en retard de deux jours"));
    let key = form_key(&page.body);
    let contacted = send(
        &app,
        form_post(
            &format!("/c/{token}"),
            encode(&[
                ("form_key", &key),
                ("status", "contacted"),
                ("note", "Rappelée, nouveau créneau"),
            ]),
        ),
    )
    .await;
    assert_eq!(
        contacted.status,
        StatusCode::SEE_OTHER,
        "{}",
        contacted.body
    );
    let now = store.case(case.id).await.expect("read").expect("case");
    assert_eq!(now.status, CaseStatus::Contacted);
    assert!(now.contacted_at.is_some());
    assert_eq!(now.note.as_deref(), Some("Rappelée, nouveau créneau"));

    let backwards = send(
        &app,
        form_post(
            &format!("/c/{token}"),
            encode(&[("form_key", &key), ("status", "open")]),
        ),
    )
    .await;
    assert_eq!(backwards.status, StatusCode::CONFLICT);
    assert!(
        backwards.body.contains("it may go to"),
        "{}",
        backwards.body
    );
    assert!(
        backwards.body.contains("resolved, not_reachable"),
        "{}",
        backwards.body
    );
    let unchanged = store.case(case.id).await.expect("read").expect("case");
    assert_eq!(
        unchanged.status,
        CaseStatus::Contacted,
        "a refused change changes nothing"
    );

    // The CLI takes it from there.
    let id = case.id.to_string();
    project
        .args(["cases", "close", &id, "--status", "resolved"])
        .run()
        .status(0)
        .stdout_has("contacted → resolved");
    project
        .args(["cases", "close", &id, "--status", "open"])
        .run()
        .status(1)
        .stderr_has("`resolved` is final");
    let listed = project
        .args(["cases", "list", "--format", "json"])
        .run()
        .status(0)
        .json();
    assert_eq!(listed["cases"][0]["status"], "resolved");
    assert_eq!(listed["cases"][0]["note"], "Rappelée, nouveau créneau");
    let api = send(
        &app,
        axum::http::Request::get("/api/v1/cases?program=fidelite-clients")
            .header("authorization", "Bearer admin-secret")
            .body(axum::body::Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let api: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(api["cases"][0]["id"], case.id);
    assert!(api["cases"][0]["resolved_at"].is_string());

    // Once the person is erased, their case page is the 404 of bad links.
    let unknown = get(
        &app,
        &format!("/c/{}", "A".repeat(ecoute::token::TOKEN_LEN)),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    project
        .args(["contacts", "forget", DETRACTOR])
        .run()
        .status(0);
    let erased = get(&app, &format!("/c/{token}")).await;
    assert_eq!(erased.status, StatusCode::NOT_FOUND);
    assert_eq!(erased.body, unknown.body);
    let kept = store
        .case(case.id)
        .await
        .expect("read")
        .expect("the case stays, anonymous");
    assert_eq!(kept.respondent_email, None);
    assert_eq!(kept.note, None);
}

#[tokio::test]
async fn an_address_that_cannot_be_parsed_fails_alone_and_shows_in_status() {
    let smtp = SmtpServer::start(&[]);
    let yaml = std::fs::read_to_string(crate::harness::repo_path("programs/fidelite-clients.yaml"))
        .expect("example")
        .replace(
            "      - \"Responsable logistique <logistique@maison-dupont.example>\"",
            "      - \"Responsable logistique <logistique@maison-dupont.example>\"\n      - { attribute: region }",
        );
    let project = project(TestDb::sqlite(), &smtp).file("programs/fidelite-clients.yaml", yaml);
    let program = crate::harness::load_program(&project.join("programs/fidelite-clients.yaml"));
    let store = project.store().await;
    let period = current_period(&program);
    let secret = LinkSecret::from_bytes([42; 32]);
    // The fixture's contacts have `region: IDF`, which is no address.
    let (_, links) = invite(&store, &secret, &period, 1, &[(DETRACTOR, "fr")]).await;
    let state = ecoute::collect::AppState::new(
        store.clone(),
        vec![program],
        ecoute::templates::Templates::new(None),
        &ecoute::collect::ServerOptions {
            limits: generous(),
            ..Default::default()
        },
    );
    let app = ecoute::collect::router(state).layer(axum::extract::connect_info::MockConnectInfo(
        std::net::SocketAddr::from(([192, 0, 2, 10], 5000)),
    ));
    let reply = answer(
        &app,
        &links[0].2,
        &[("q.recommandation", "0"), ("q.satisfaction", "1")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        store.cases(None).await.expect("cases").len(),
        1,
        "the case opens"
    );
    project
        .args(["send", "fidelite-clients", "--no-plan"])
        .run()
        .status(0);
    assert_eq!(alerts(&smtp).len(), 1, "the manager's alert still leaves");
    project
        .args(["status", "fidelite-clients"])
        .run()
        .status(0)
        .stdout_has("invalid recipient address `IDF`");
}

#[test]
fn bad_alert_rules_fail_check_at_their_line() {
    let example =
        std::fs::read_to_string(crate::harness::repo_path("programs/fidelite-clients.yaml"))
            .expect("example");
    let cases = [
        (
            "when: recommandation <= 6",
            "when: recomandation <= 6",
            "unknown question `recomandation`",
        ),
        (
            "when: recommandation <= 6",
            "when: effort <= 3",
            "a question of survey `centre-contacts`",
        ),
        (
            "      - \"Responsable logistique <logistique@maison-dupont.example>\"",
            "      - \"logistique@@maison\"",
            "invalid alert address `logistique@@maison`",
        ),
    ];
    for (from, to, expected) in cases {
        let yaml = example.replace(from, to);
        let line = yaml
            .lines()
            .position(|l| l.contains(to.trim()))
            .expect("edited line")
            + 1;
        Project::example()
            .file("programs/fidelite-clients.yaml", yaml)
            .args(["check", "programs/fidelite-clients.yaml"])
            .run()
            .status(1)
            .stderr_has(expected)
            .stderr_has(&format!("fidelite-clients.yaml:{line}:"));
    }
    // Without a `store: true` source the attributes are known from the CSV header.
    let yaml = example
        .replace("  - id: annuaire\n    store: true\n", "")
        .replace("contacts: annuaire", "contacts: clients")
        .replace(
            "      - \"Responsable logistique <logistique@maison-dupont.example>\"",
            "      - { attribute: responsable_magasin }",
        );
    Project::example()
        .file("programs/fidelite-clients.yaml", yaml)
        .args(["check", "programs/fidelite-clients.yaml"])
        .run()
        .status(1)
        .stderr_has("no contact source has an attribute `responsable_magasin`");
}
