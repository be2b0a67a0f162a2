//! Issue 11, the web side: the API takes only what README says, HTTP details told true
//! (media types, `Retry-After`, every form's `form_key`, timeouts and a connection cap),
//! answers cleaned of invisible characters, and `ecoute serve`'s own edges.

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::collect::{Reply, api_post, app, generous, json_of, send};
use crate::support::{TestDb, both_backends};

const PROGRAM: &str = "fidelite-clients";
const ADMIN_TOKEN: &str = "safety-web-admin-token";

both_backends!(the_api_takes_only_what_readme_says);

fn rfc3339(at: Timestamp) -> String {
    at.to_string()
}

async fn the_api_takes_only_what_readme_says(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, Some(ADMIN_TOKEN), generous());
    let responses = |body: serde_json::Value| {
        send(&app, api_post("/api/v1/responses", Some(ADMIN_TOKEN), body))
    };
    let now = Timestamp::now();
    let base = |external_id: &str| {
        json!({
            "program": PROGRAM,
            "survey": "centre-contacts",
            "external_id": external_id,
            "answers": {"resolu": true, "effort": 6}
        })
    };
    let refused = |reply: &Reply, needle: &str| {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        let message = json_of(reply)["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    };

    // Channels: the survey's own, `api` (the default) and `import`; nothing else.
    for channel in ["../../etc", "qr-magasin", "Email", "", "phone"] {
        let mut body = base("c-bad");
        body["channel"] = json!(channel);
        refused(&responses(body).await, "relance-telephone");
    }
    for (index, channel) in ["email", "relance-telephone", "import", "api"]
        .iter()
        .enumerate()
    {
        let mut body = base(&format!("c-{index}"));
        body["channel"] = json!(channel);
        let reply = responses(body).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{channel}: {}",
            reply.body
        );
    }
    let reply = responses(base("c-default")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = json_of(&reply)["id"].as_i64().expect("id");
    assert_eq!(
        store
            .response(id)
            .await
            .expect("read")
            .expect("stored")
            .channel,
        "api"
    );

    // Dates: from 400 days before now to 5 minutes after.
    for at in [
        "1900-01-01T00:00:00Z".to_owned(),
        "1970-01-01T00:00:00Z".to_owned(),
        rfc3339(now - SignedDuration::from_hours(401 * 24)),
        rfc3339(now + SignedDuration::from_mins(10)),
        "2999-01-01T00:00:00Z".to_owned(),
    ] {
        let mut body = base("d-bad");
        body["submitted_at"] = json!(at);
        refused(&responses(body).await, "400 days");
    }
    for (index, at) in [
        now - SignedDuration::from_hours(399 * 24),
        now - SignedDuration::from_hours(24),
        now + SignedDuration::from_mins(4),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = base(&format!("d-{index}"));
        body["submitted_at"] = json!(rfc3339(at));
        let reply = responses(body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{at}: {}", reply.body);
    }

    // external_id: 200 characters at most (counted in characters, not bytes).
    refused(&responses(base(&"x".repeat(201))).await, "200 characters");
    refused(
        &responses(base(&"x".repeat(100_000))).await,
        "200 characters",
    );
    let reply = responses(base(&"é".repeat(200))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    // Answer types are strict, per the shared rules.
    for (question, value) in [
        ("effort", json!("6")),
        ("effort", json!(6.5)),
        ("effort", json!(true)),
        ("resolu", json!("true")),
        ("resolu", json!(2)),
        ("commentaire", json!(42)),
        ("satisfaction", json!([3])),
    ] {
        let mut body = base("t-bad");
        body["answers"][question] = value.clone();
        let reply = responses(body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{question}: {value}"
        );
        assert!(
            json_of(&reply)["problems"][question].is_string(),
            "{}",
            reply.body
        );
    }
    assert_eq!(
        store.count_responses().await.expect("count"),
        9,
        "only the good ones"
    );

    // Events: `occurred_at` in the same window; nothing recorded when refused.
    let events =
        |body: serde_json::Value| send(&app, api_post("/api/v1/events", Some(ADMIN_TOKEN), body));
    for at in [
        "1970-01-01T00:00:00Z".to_owned(),
        rfc3339(now + SignedDuration::from_hours(24)),
    ] {
        let reply = events(json!({
            "event": "commande_livree", "email": "ana@example.fr", "occurred_at": at
        }))
        .await;
        refused(&reply, "400 days");
    }
    assert_eq!(
        store
            .count_events(PROGRAM, "commande_livree")
            .await
            .expect("count"),
        0
    );
    let reply = events(json!({
        "event": "commande_livree", "email": "ana@example.fr",
        "occurred_at": rfc3339(now - SignedDuration::from_hours(24))
    }))
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
}
