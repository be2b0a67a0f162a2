//! Issue 13, "status, import, serve, backups" and the JSON Schema: what a newcomer operating
//! ecoute day to day trips on.

use ecoute::records::{NewResponse, SuppressionReason};
use ecoute::store::Store;
use serde_json::Value;

use crate::dispatch;
use crate::harness::{Project, SmtpServer, answer_values, repo_path};
use crate::reports::response;
use crate::support::{TestDb, both_backends};

/// The example program as JSON, the shape an editor validates.
fn example_program() -> Value {
    let text = std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml"))
        .expect("read the example");
    serde_saphyr::from_str(&text).expect("the example is YAML")
}

#[test]
fn the_schema_bounds_intensity_requires_a_csat_scale_and_lists_question_types() {
    let ran = Project::new().args(["schema"]).run().status(0);
    let schema: Value = serde_json::from_str(&ran.stdout()).expect("schema is JSON");
    assert_eq!(
        schema["$defs"]["QuestionType"]["enum"],
        serde_json::json!([
            "nps", "csat", "ces", "yes_no", "single", "multi", "text", "check"
        ])
    );
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let example = example_program();
    assert!(validator.is_valid(&example), "the example is valid");

    let mut intense = example.clone();
    intense["touchpoints"][0]["intensity"] = 9.into();
    assert!(!validator.is_valid(&intense), "intensity 9 must be refused");
    intense["touchpoints"][0]["intensity"] = 5.into();
    assert!(validator.is_valid(&intense), "intensity 5 is allowed");

    let mut unscaled = example.clone();
    let questions = unscaled["surveys"][0]["questions"]
        .as_array_mut()
        .expect("questions");
    let csat = questions
        .iter_mut()
        .find(|q| q["type"] == "csat")
        .expect("the example has a csat question");
    csat.as_object_mut().expect("a question").remove("scale");
    assert!(
        !validator.is_valid(&unscaled),
        "a csat question without scale must be refused"
    );

    let mut rating = example;
    rating["surveys"][0]["questions"][0]["type"] = "rating".into();
    let messages: Vec<String> = validator
        .iter_errors(&rating)
        .map(|e| e.to_string())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("is not one of \"nps\"")),
        "the message names the allowed types: {messages:?}"
    );
}

#[tokio::test]
async fn a_backup_taken_while_answers_sit_in_the_wal_contains_them() {
    let db = TestDb::sqlite();
    let folder = db.dir.as_ref().expect("an SQLite folder").path().to_owned();
    let store = Store::open(&db.url).await.expect("open the store");
    let id = store
        .insert_response(&response("camille@example.fr", "IDF", 9, Some("Rapide")))
        .await
        .expect("store an answer")
        .expect("a new answer");
    let wal = std::fs::metadata(folder.join("ecoute.db-wal")).map_or(0, |m| m.len());
    assert!(
        wal > 0,
        "test setup: the answer is still in the write-ahead log"
    );

    let project = Project::new().database(db);
    project
        .args(["db", "backup", "copie.db"])
        .run()
        .status(0)
        .stdout_has("copie.db");
    let copy = format!("sqlite://{}", project.join("copie.db").display());
    let restored = Store::open(&copy).await.expect("open the backup");
    let answer = restored
        .response(id)
        .await
        .expect("read the backup")
        .expect("the answer from the WAL is in the backup");
    assert!(
        answer_values(&answer).contains(&("recommandation".to_owned(), Some(9.0), None)),
        "{:?}",
        answer_values(&answer)
    );
    drop(store);

    project
        .args(["db", "backup", "copie.db"])
        .run()
        .status(2)
        .stderr_has("already exists");
}

#[tokio::test]
async fn a_postgres_backup_points_to_pg_dump() {
    Project::new()
        .database(TestDb::postgres().await)
        .args(["db", "backup", "copie.db"])
        .run()
        .status(2)
        .stderr_has("pg_dump")
        .no_panic();
}

/// A response of the `essai` test program through the link of one invitation.
pub(crate) fn answered(invitation_id: i64) -> NewResponse {
    NewResponse {
        invitation_id: Some(invitation_id),
        program_id: "essai".into(),
        ..response("client@example.org", "IDF", 9, None)
    }
}

async fn status_shows_responses_rate_unsubscribes_and_bounces(db: TestDb) {
    let smtp = SmtpServer::start(&[]);
    let project = dispatch::project(db, &smtp.url(), 5, &[]);
    dispatch::send(&project, dispatch::WAVE_TIME, &[]).status(0);
    let store = project.store().await;
    let all = dispatch::rows(&store, 5).await;
    for row in &all[..2] {
        store
            .insert_response(&answered(row.id))
            .await
            .expect("response");
    }
    for (row, reason) in [
        (&all[2], SuppressionReason::Unsubscribed),
        (&all[3], SuppressionReason::Bounced),
    ] {
        store
            .suppress(row.email.as_deref().expect("email"), reason, None)
            .await
            .expect("suppress");
    }
    store.close().await;

    // 5 sent, 2 answered: 40 %.
    project
        .args(["status", "essai"])
        .run()
        .status(0)
        .stdout_has("responses 2 (40 % of sent) · unsubscribed 1 · bounced 1");
    let json = project
        .args(["status", "essai", "--format", "json"])
        .run()
        .json();
    let wave = &json["waves"][0];
    assert_eq!(wave["sent"], 5, "{json}");
    assert_eq!(wave["responses"], 2, "{json}");
    assert_eq!(wave["response_rate"], 0.4, "{json}");
    assert_eq!(wave["unsubscribed"], 1, "{json}");
    assert_eq!(wave["bounced"], 1, "{json}");
}

both_backends!(status_shows_responses_rate_unsubscribes_and_bounces);

#[test]
fn serve_logs_each_request_with_its_token_masked() {
    let served = Project::example().serve();
    let reply =
        served.request("GET /s/jeton-secret-123 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 "), "{reply}");
    let status = reply
        .split_whitespace()
        .nth(1)
        .expect("a status")
        .to_owned();
    served.request("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (_, log) = served.stop();
    assert!(!log.contains("jeton-secret-123"), "{log}");
    assert!(
        log.contains(&format!("method=GET path=/s/*** status={status} ")),
        "{log}"
    );
    assert!(
        log.contains("method=GET path=/healthz status=200 "),
        "{log}"
    );
    assert!(log.contains(" ms="), "{log}");
}
