//! Issue 11, the web side: the API takes only what README says, HTTP details told true
//! (media types, `Retry-After`, every form's `form_key`, timeouts and a connection cap),
//! answers cleaned of invisible characters, and `ecoute serve`'s own edges.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ecoute::collect::{AppState, ConnectionLimits, LimitSettings, ServerOptions};
use ecoute::templates::Templates;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::collect::{Reply, api_post, app, encode, form_post, generous, json_of, send};
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

both_backends!(
    form_media_types_are_parsed,
    open_link_forms_carry_a_form_key,
    answers_lose_invisible_characters,
);

const MAGASIN: &str = "/l/fidelite-clients/magasin";

async fn get(app: &axum::Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// The `form_key` hidden field of a rendered form, if it has one.
fn form_key_of(page: &str) -> Option<String> {
    let marker = "name=\"form_key\" value=\"";
    let start = page.find(marker)? + marker.len();
    page[start..].split('"').next().map(str::to_owned)
}

/// A POST of `body` with this `Content-Type` (none when `None`).
fn post(uri: &str, content_type: Option<&str>, body: String) -> Request<Body> {
    let mut request = Request::post(uri);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(Body::from(body)).expect("request")
}

/// The open-link answers of the store survey with the key its page carries.
async fn magasin_answers(app: &axum::Router, extra: &[(&str, &str)]) -> String {
    let page = get(app, MAGASIN).await;
    let key = form_key_of(&page.body).expect("the open-link form has a form_key");
    let mut pairs = vec![
        ("form_key", key.as_str()),
        ("q.satisfaction", "5"),
        ("q.motif", "conseil"),
    ];
    pairs.extend_from_slice(extra);
    encode(&pairs)
}

async fn form_media_types_are_parsed(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, Some(ADMIN_TOKEN), generous());
    let body = magasin_answers(&app, &[]).await;
    for refused in [
        Some("application/x-www-form-urlencodedXYZ"),
        Some("application/x-www-form-urlencoded-evil"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json"),
        None,
    ] {
        let reply = send(&app, post(MAGASIN, refused, body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{refused:?}"
        );
    }
    assert_eq!(store.count_responses().await.expect("count"), 0);
    for (index, accepted) in [
        "application/x-www-form-urlencoded",
        "Application/X-WWW-Form-URLEncoded",
        "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8",
        "application/x-www-form-urlencoded ;charset=utf-8",
    ]
    .into_iter()
    .enumerate()
    {
        let reply = send(&app, post(MAGASIN, Some(accepted), body.clone())).await;
        assert_eq!(reply.status, StatusCode::OK, "{accepted}: {}", reply.body);
        assert_eq!(
            store.count_responses().await.expect("count"),
            u64::try_from(index + 1).expect("count")
        );
    }
    let api = |content_type: &str, id: &str| {
        let mut request = api_post(
            "/api/v1/responses",
            Some(ADMIN_TOKEN),
            json!({"program": PROGRAM, "survey": "centre-contacts", "external_id": id,
                   "answers": {"resolu": true, "effort": 6}}),
        );
        request
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type.parse().expect("header"));
        send(&app, request)
    };
    assert_eq!(
        api("APPLICATION/JSON", "a").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api("application/json; charset=UTF-8", "b").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api("application/jsonXYZ", "c").await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

async fn open_link_forms_carry_a_form_key(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, None, generous());
    let magasin = get(&app, MAGASIN).await;
    let key = form_key_of(&magasin.body).expect("form_key");
    let other = get(&app, "/l/fidelite-clients/espace-client").await;
    let other_key = form_key_of(&other.body).expect("form_key");
    assert_ne!(key, other_key, "each link has its own key");
    assert_eq!(
        Some(key.clone()),
        form_key_of(&get(&app, MAGASIN).await.body),
        "stable: a page opened earlier still posts"
    );
    let answers = |key: Option<&str>| {
        let mut pairs = vec![("q.satisfaction", "5"), ("q.motif", "conseil")];
        if let Some(key) = key {
            pairs.push(("form_key", key));
        }
        form_post(MAGASIN, encode(&pairs))
    };
    for bad in [None, Some(other_key.as_str()), Some("0123")] {
        let reply = send(&app, answers(bad)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{bad:?}");
    }
    assert_eq!(store.count_responses().await.expect("count"), 0);
    // A refused answer re-shows the form with its key.
    let invalid = send(
        &app,
        form_post(
            MAGASIN,
            encode(&[("form_key", &key), ("q.satisfaction", "9")]),
        ),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(form_key_of(&invalid.body), Some(key.clone()));
    let reply = send(&app, answers(Some(&key))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(store.count_responses().await.expect("count"), 1);
}

async fn answers_lose_invisible_characters(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, Some(ADMIN_TOKEN), generous());
    let hostile = "\u{0}Bon\u{202E}ne\u{2066} affaire\u{1b}[2J\r\n\tmerci\u{7f}";
    let kept = "Bonne affaire[2J\n\tmerci";

    let body = magasin_answers(&app, &[("q.commentaire", hostile)]).await;
    let reply = send(&app, form_post(MAGASIN, body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let api = send(
        &app,
        api_post(
            "/api/v1/responses",
            Some(ADMIN_TOKEN),
            json!({"program": PROGRAM, "survey": "centre-contacts", "external_id": "x",
                   "answers": {"resolu": true, "effort": 6, "commentaire": hostile}}),
        ),
    )
    .await;
    assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
    for id in [1, 2] {
        let stored = store.response(id).await.expect("read").expect("stored");
        let text = stored
            .answers
            .iter()
            .find_map(|a| a.text_value.clone())
            .expect("a text answer");
        assert_eq!(text, kept);
    }
}

/// 429's `Retry-After` is the time until the limiter lets the address try again.
#[tokio::test]
async fn retry_after_says_the_true_wait() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    for (period, lowest, highest) in [(6, 5, 6), (100, 99, 100)] {
        let app = app(
            &store,
            None,
            LimitSettings {
                bad_links_burst: 1,
                bad_links_period: Duration::from_secs(period),
                ..generous()
            },
        );
        assert_eq!(get(&app, "/s/nope").await.status, StatusCode::NOT_FOUND);
        let limited = get(&app, "/s/nope").await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        let seconds: u64 = limited.headers[header::RETRY_AFTER]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("a number of seconds");
        assert!(
            (lowest..=highest).contains(&seconds),
            "period {period} s: Retry-After {seconds}"
        );
    }
}

/// An in-process server with these connection limits, on a free port.
async fn served(
    limits: ConnectionLimits,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let state = AppState::new(
        store,
        vec![crate::collect::program()],
        Templates::new(None),
        &ServerOptions {
            connections: limits,
            ..ServerOptions::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _db = db;
        ecoute::collect::serve(listener, state, async move {
            let _ = stopped.await;
        })
        .await
    });
    (address, stop)
}

/// Reads until the server closes the connection (or `limit` passes); what came, and
/// whether it was closed.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into(), false),
        }
    }
}

/// Idle connections, half-sent request heads and bodies that never finish are cut off.
#[tokio::test]
async fn serve_closes_idle_and_slow_connections() {
    let (address, _stop) = served(ConnectionLimits {
        header_read_timeout: Duration::from_millis(400),
        request_timeout: Duration::from_millis(800),
        max_connections: 1_000,
    })
    .await;

    // Silent after connecting; half a request head; idle after a kept-alive reply.
    let mut silent = TcpStream::connect(address).await.expect("connect");
    let mut half = TcpStream::connect(address).await.expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .expect("write");
    let mut kept = TcpStream::connect(address).await.expect("connect");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .expect("write");
    for stream in [&mut silent, &mut half, &mut kept] {
        let (_, closed) = read_until_closed(stream, Duration::from_secs(3)).await;
        assert!(closed, "the connection is closed after the header timeout");
    }

    // A body that never finishes: 408, then closed.
    let mut slow = TcpStream::connect(address).await.expect("connect");
    slow.write_all(
        b"POST /l/fidelite-clients/magasin HTTP/1.1\r\nHost: t\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nq.sat",
    )
    .await
    .expect("write");
    let (reply, closed) = read_until_closed(&mut slow, Duration::from_secs(3)).await;
    assert!(closed, "a slow body is cut off");
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply:?}");
}

/// No more than the cap of connections is served at once; the next waits for a free slot.
#[tokio::test]
async fn serve_serves_at_most_the_cap_of_connections() {
    let (address, _stop) = served(ConnectionLimits {
        header_read_timeout: Duration::from_secs(30),
        request_timeout: Duration::from_secs(30),
        max_connections: 2,
    })
    .await;
    let first = TcpStream::connect(address).await.expect("connect");
    let second = TcpStream::connect(address).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(address).await.expect("connect");
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let (reply, _) = read_until_closed(&mut third, Duration::from_millis(700)).await;
    assert_eq!(reply, "", "a third connection waits while two are open");
    drop(first);
    let (reply, closed) = read_until_closed(&mut third, Duration::from_secs(3)).await;
    assert!(closed && reply.starts_with("HTTP/1.1 200"), "{reply:?}");
    drop(second);
}

/// `ecoute serve` handles SIGTERM as soon as it printed its banner: a supervisor (or a test)
/// that stops it right away gets a clean exit, never death by signal.
#[test]
fn serve_stops_cleanly_on_sigterm_right_after_its_banner() {
    let project = crate::harness::Project::new().repo_file("programs/support-quality.yaml");
    for attempt in 0..20 {
        let (status, rest) = project.serve().stop();
        assert_eq!(
            status.code(),
            Some(0),
            "attempt {attempt}: {status:?}\n{rest}"
        );
        assert!(rest.contains("stopped"), "attempt {attempt}: {rest}");
    }
}

/// `check` says what is wrong with a path that is not a regular file, and names the
/// current folder `.`, never "``".
#[test]
fn check_names_devices_folders_and_the_current_folder() {
    let example =
        std::fs::read_to_string(crate::harness::repo_path("programs/fidelite-clients.yaml"))
            .expect("example");
    let project = crate::harness::Project::new()
        .file("fidelite-clients.yaml", &example)
        .file("programs/fidelite-clients.yaml", &example)
        .file("programs/contacts/clients.csv/keep", "a folder, not a file");

    project
        .args(["check", "/dev/zero"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("/dev/zero is not a regular file")
        .stderr_lacks("does not exist")
        .stderr_lacks("MiB");

    project
        .args(["check", "fidelite-clients.yaml"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("contact file `contacts/clients.csv` does not exist")
        .stderr_has("folder `.`")
        .stderr_lacks("``");

    project
        .args(["check", "programs/fidelite-clients.yaml"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("contact file `contacts/clients.csv` is not a regular file")
        .stderr_has("folder `programs`");
}
