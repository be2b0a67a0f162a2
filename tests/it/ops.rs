//! Operating ecoute (issue 12, points 7 and 9): `/healthz` with the store and the
//! scheduler probe, `/metrics`, the JSON log format with tokens and addresses masked, the
//! `deploy/` example configuration, and `ecoute status` in the program's time zone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use ecoute::collect::{AppState, SchedulerProbe, ServerOptions, router};
use ecoute::config::{ConfigLayer, Settings};
use ecoute::dispatch::outbox::OutboxRow;
use ecoute::dispatch::transport::{MailSettings, Security};
use ecoute::program::Program;
use ecoute::records::BackendKind;
use ecoute::store::Store;
use ecoute::templates::Templates;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

use crate::collect::{get, send};
use crate::dispatch::{self, WAVE_TIME};
use crate::harness::{Project, SmtpServer, load_program, repo_path};
use crate::newcomer_ops::answered;
use crate::support::{TestDb, both_backends};

const ADMIN: &str = "jeton-admin-ops";

/// The web application over `store` with `programs`, the admin token and `options`.
fn app(store: &Store, programs: Vec<Program>, options: ServerOptions) -> Router {
    let options = ServerOptions {
        admin_token: Some(ADMIN.into()),
        ..options
    };
    let state = AppState::new(store.clone(), programs, Templates::new(None), &options);
    router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 20], 5000))))
}

async fn metrics(app: &Router, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let reply = send(app, request.body(Body::empty()).expect("request")).await;
    (reply.status, reply.body)
}

async fn health_follows_the_store(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, Vec::new(), ServerOptions::default());
    let healthy = get(&app, "/healthz").await;
    assert_eq!(healthy.status, StatusCode::OK);
    assert_eq!(healthy.body, r#"{"store":"ok"}"#);

    store.close().await;
    let closed = get(&app, "/healthz").await;
    assert_eq!(closed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(closed.body, r#"{"store":"unreachable"}"#);
}

both_backends!(health_follows_the_store);

/// A PostgreSQL table locked by another session: the store does not answer in time, so
/// `/healthz` says `timeout` (503); once the lock goes, 200 again.
#[tokio::test]
async fn health_turns_503_while_postgres_does_not_answer_and_back() {
    let db = TestDb::postgres().await;
    let store = db.open().await;
    let app = app(
        &store,
        Vec::new(),
        ServerOptions {
            health_timeout: Duration::from_millis(300),
            ..ServerOptions::default()
        },
    );
    assert_eq!(get(&app, "/healthz").await.status, StatusCode::OK);

    let mut locker = PgConnection::connect(&db.url).await.expect("connect");
    locker.execute("BEGIN").await.expect("begin");
    locker
        .execute("LOCK TABLE waves IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let stuck = get(&app, "/healthz").await;
    assert_eq!(stuck.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(stuck.body, r#"{"store":"timeout"}"#);

    locker.execute("ROLLBACK").await.expect("rollback");
    // The pool may first have to replace the connection whose query was abandoned; the
    // loop is a safety net, the lock is gone for good.
    let mut back = get(&app, "/healthz").await;
    for _ in 0..50 {
        if back.status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        back = get(&app, "/healthz").await;
    }
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!(back.body, r#"{"store":"ok"}"#);
    store.close().await;
}

/// The daemon's probe: a recent pass is alive, an old one is stale (503), and the next
/// ticks and the last pass show in `/metrics`.
#[tokio::test]
async fn health_and_metrics_read_the_scheduler_probe() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let last_pass = Arc::new(AtomicI64::new(Timestamp::now().as_second()));
    let seen = Arc::clone(&last_pass);
    let tick: Timestamp = "2026-12-02T09:00:00Z".parse().expect("time");
    let probe = SchedulerProbe {
        last_pass: Arc::new(move || Timestamp::from_second(seen.load(Ordering::SeqCst)).ok()),
        next_ticks: Arc::new(move || vec![("fidelite-clients".to_owned(), tick)]),
        stale_after: Duration::from_secs(120),
    };
    let app = app(
        &store,
        Vec::new(),
        ServerOptions {
            scheduler: Some(probe),
            ..ServerOptions::default()
        },
    );
    let alive = get(&app, "/healthz").await;
    assert_eq!(alive.status, StatusCode::OK);
    assert_eq!(alive.body, r#"{"store":"ok","scheduler":"ok"}"#);

    let ten_minutes_ago = Timestamp::now().as_second() - 600;
    last_pass.store(ten_minutes_ago, Ordering::SeqCst);
    let stale = get(&app, "/healthz").await;
    assert_eq!(stale.status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_str(&stale.body).expect("JSON");
    assert_eq!(body["store"], "ok");
    let scheduler = body["scheduler"].as_str().expect("scheduler");
    assert!(scheduler.starts_with("stale: last pass 60"), "{scheduler}");

    let (status, text) = metrics(&app, Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    // 2026-12-02 09:00 UTC: 20,789 days after 1970-01-01, times 86,400, plus 9 hours.
    assert!(
        text.contains(
            "ecoute_next_tick_timestamp_seconds{program=\"fidelite-clients\"} 1796202000\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ecoute_scheduler_last_pass_timestamp_seconds {ten_minutes_ago}\n"
        )),
        "{text}"
    );
    store.close().await;
}

/// Answers each of `rows` through its link.
async fn answer(store: &Store, rows: &[&OutboxRow]) {
    for row in rows {
        store
            .insert_response(&answered(row.id))
            .await
            .expect("response");
    }
}

/// The value of one sample line of a Prometheus text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_count_the_outbox_replies_and_responses(db: TestDb) {
    let smtp = SmtpServer::start(&[]);
    let project = dispatch::project(
        db,
        &smtp.url(),
        5,
        &["bounce-1@example.org", "defer-1@example.org"],
    );
    dispatch::send(&project, WAVE_TIME, &[]).status(0);
    let store = project.store().await;
    let rows = dispatch::rows(&store, 7).await;
    let sent: Vec<_> = rows.iter().filter(|r| r.state == "sent").collect();
    answer(&store, &sent[..2]).await;
    let deferred = rows
        .iter()
        .find(|r| r.state == "deferred")
        .expect("the defer- address is deferred");
    let program = load_program(&project.join("programs/essai.yaml"));
    let app = app(&store, vec![program], ServerOptions::default());

    let (status, body) = metrics(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!body.contains("ecoute_"), "{body}");
    assert_eq!(
        metrics(&app, Some("wrong")).await.0,
        StatusCode::UNAUTHORIZED
    );

    let before = Timestamp::now().as_second();
    let (status, text) = metrics(&app, Some(ADMIN)).await;
    let after = Timestamp::now().as_second();
    assert_eq!(status, StatusCode::OK, "{text}");
    // 7 invitations: 5 accepted (250), 1 refused for good (550), 1 deferred (450).
    let expect = [
        ("ecoute_invitations{program=\"essai\",state=\"sent\"}", 5.0),
        (
            "ecoute_invitations{program=\"essai\",state=\"failed\"}",
            1.0,
        ),
        (
            "ecoute_invitations{program=\"essai\",state=\"deferred\"}",
            1.0,
        ),
        (
            "ecoute_messages_sent_total{program=\"essai\",channel=\"email\",kind=\"invitation\"}",
            5.0,
        ),
        (
            "ecoute_messages_sent_total{program=\"essai\",channel=\"email\",kind=\"reminder\"}",
            0.0,
        ),
        ("ecoute_smtp_replies_total{class=\"2xx\"}", 5.0),
        ("ecoute_smtp_replies_total{class=\"4xx\"}", 1.0),
        ("ecoute_smtp_replies_total{class=\"5xx\"}", 1.0),
        ("ecoute_responses_stored_total", 2.0),
    ];
    for (series, value) in expect {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
    assert!(
        !text.contains("ecoute_invitations{program=\"essai\",state=\"planned\"}"),
        "{text}"
    );
    // The oldest due message: the deferred one's retry (WAVE_TIME plus the backoff) comes
    // before the first reminder (4 days after sending), and the rehearsal is in the past.
    let due = deferred.next_attempt_at.expect("a retry time").as_second();
    let age = sample(
        &text,
        "ecoute_oldest_due_message_age_seconds{program=\"essai\"}",
    )
    .expect("the age gauge");
    assert!(
        age >= ((before - due).max(0)) as f64 && age <= ((after - due).max(0)) as f64,
        "age {age}, due {due}, now {before}..{after}"
    );
    assert!(text.contains("# TYPE ecoute_messages_sent_total counter\n"));
    assert!(!text.contains("ecoute_next_tick"), "serve has no scheduler");
    store.close().await;
}

both_backends!(metrics_count_the_outbox_replies_and_responses);

/// Every JSON line of a log, parsed; other lines are left out.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn serve_logs_json_lines_with_link_tokens_masked() {
    let served = Project::example().serve_with(&["--log-format", "json"]);
    let banner: Value = serde_json::from_str(&served.banner).expect("the banner is JSON");
    assert_eq!(banner["level"], "INFO");
    served.request("GET /s/jeton-tres-secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    served.request("GET /u/autre-jeton HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    served.request("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (status, log) = served.stop();
    assert_eq!(status.code(), Some(0));
    assert!(
        !log.contains("jeton-tres-secret") && !log.contains("autre-jeton"),
        "{log}"
    );
    let lines = json_lines(&log);
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 3, "{log}");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[0]["path"], "/s/***");
    assert_eq!(requests[0]["status"], 404);
    assert!(requests[0]["ms"].is_u64(), "{}", requests[0]);
    assert!(requests[0]["timestamp"].is_string(), "{}", requests[0]);
    assert_eq!(requests[1]["path"], "/u/***");
    assert_eq!(requests[2]["path"], "/healthz");
    assert_eq!(requests[2]["status"], 200);
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "ecoute serve: stopped"),
        "{log}"
    );
}

#[test]
fn send_logs_one_json_line_per_batch_with_addresses_masked() {
    let smtp = SmtpServer::start(&[]);
    let project = dispatch::project(
        TestDb::sqlite(),
        &smtp.url(),
        2,
        &["rejected-jean.dupont@example.org"],
    );
    let ran = dispatch::send(&project, WAVE_TIME, &["--log-format", "json"]).status(0);
    let log = ran.stderr();
    assert!(!log.contains("rejected-jean.dupont"), "{log}");
    let batches: Vec<Value> = json_lines(&log)
        .into_iter()
        .filter(|l| l["message"] == "send batch")
        .collect();
    assert!(!batches.is_empty(), "{log}");
    let total = |field: &str| -> u64 {
        batches
            .iter()
            .map(|b| {
                b[field]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{field} in {b}"))
            })
            .sum()
    };
    assert_eq!(total("sent"), 2, "{log}");
    assert_eq!(total("failed"), 1, "{log}");
    assert_eq!(total("messages"), 3, "{log}");
    assert!(batches.iter().all(|b| b["program"] == "essai"), "{log}");
    let error = batches
        .iter()
        .find_map(|b| b["error"].as_str())
        .expect("the refusal's words");
    assert!(error.contains("<***@example.org>"), "{error}");
    assert!(error.contains("550"), "{error}");
    // The progress bar gives way to the log; the summary stays on standard output.
    assert!(
        ran.stdout().contains("sent 2 invitations"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn the_deploy_example_configuration_is_valid() {
    let path = repo_path("deploy/ecoute.toml");
    let file = ConfigLayer::read(&path, true).expect("deploy/ecoute.toml parses");
    let settings = Settings::resolve(ConfigLayer::default(), file);
    assert_eq!(
        BackendKind::from_url(&settings.database_url).expect("a database URL"),
        BackendKind::Postgres
    );
    match MailSettings::parse(&settings.mail).expect("a mail URL") {
        MailSettings::Smtp(smtp) => {
            assert_eq!(smtp.security, Security::StartTls);
            assert_eq!(smtp.port, 587);
        }
        MailSettings::Files(_) => panic!("the example sends over SMTP"),
    }
    assert!(settings.public_url.starts_with("https://"));
    assert_eq!(settings.admin_token, None, "no secret in the example file");

    let unit = std::fs::read_to_string(repo_path("deploy/ecoute.service")).expect("unit");
    for directive in [
        "ExecStart=/usr/local/bin/ecoute daemon ",
        "User=ecoute\n",
        "Restart=on-failure\n",
        "ProtectSystem=strict\n",
        "ReadWritePaths=/var/lib/ecoute\n",
        "NoNewPrivileges=true\n",
        "ExecReload=/bin/kill -HUP $MAINPID\n",
    ] {
        assert!(unit.contains(directive), "{directive} missing in the unit");
    }
}

/// An instant in Paris as `ecoute status` writes it for people and for scripts.
fn paris(at: Timestamp) -> (String, String) {
    let zoned = at.to_zoned(TimeZone::get("Europe/Paris").expect("zone"));
    (
        zoned.strftime("%Y-%m-%d %H:%M %Z (%a)").to_string(),
        zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    )
}

async fn status_shows_rates_and_times_in_the_program_zone(db: TestDb) {
    let smtp = SmtpServer::start(&[]);
    let project = dispatch::project(db, &smtp.url(), 4, &["bounce-2@example.org"]);
    dispatch::send(&project, WAVE_TIME, &[]).status(0);
    let store = project.store().await;
    let rows = dispatch::rows(&store, 5).await;
    let sent: Vec<_> = rows.iter().filter(|r| r.state == "sent").collect();
    assert_eq!(sent.len(), 4);
    answer(&store, &sent[..3]).await;
    let events = store
        .invitation_events(
            rows.iter()
                .find(|r| r.state == "failed")
                .expect("bounce")
                .id,
        )
        .await
        .expect("events");
    store.close().await;
    let sent_at: Vec<Timestamp> = sent.iter().filter_map(|r| r.sent_at).collect();
    let first = *sent_at.iter().min().expect("sent");
    let last = *sent_at.iter().max().expect("sent");
    // The one sent invitation not answered waits for its reminder; nothing waits for a
    // retry (the bounce failed for good).
    let next_due = sent[3].next_reminder_at.expect("a reminder");
    let failed_at = events.last().expect("a failure event").at;

    // 4 sent, 3 answered: 75 %; the bounce is never sent.
    let shown = if paris(first).0 == paris(last).0 {
        format!(" · sent {}", paris(first).0)
    } else {
        format!(" · sent from {} to {}", paris(first).0, paris(last).0)
    };
    project
        .args(["status", "essai"])
        .run()
        .status(0)
        .stdout_has("responses 3 (75 % of sent) · unsubscribed 0 · bounced 1")
        .stdout_has(&shown)
        .stdout_has(&format!(
            "essai (times in Europe/Paris): messages due since {}",
            paris(next_due).0
        ))
        .stdout_has(&format!("  {} bounce-2@example.org", paris(failed_at).0));

    let json = project
        .args(["status", "essai", "--format", "json"])
        .run()
        .json();
    let program = &json["programs"][0];
    assert_eq!(program["program"], "essai", "{json}");
    assert_eq!(program["time_zone"], "Europe/Paris", "{json}");
    assert_eq!(program["next_due"], paris(next_due).1.as_str(), "{json}");
    let wave = &json["waves"][0];
    assert_eq!(wave["sent"], 4, "{json}");
    assert_eq!(wave["responses"], 3, "{json}");
    assert_eq!(wave["response_rate"], 0.75, "{json}");
    assert_eq!(wave["bounced"], 1, "{json}");
    assert_eq!(wave["first_sent"], paris(first).1.as_str(), "{json}");
    assert_eq!(wave["last_sent"], paris(last).1.as_str(), "{json}");
    assert_eq!(json["last_errors"][0]["at"], paris(failed_at).1.as_str());
    assert_eq!(json["last_errors"][0]["program"], "essai");

    // Without the program file, the store still answers; times are in UTC, and said so.
    std::fs::remove_file(project.join("programs/essai.yaml")).expect("remove");
    let utc = failed_at
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M %Z (%a)")
        .to_string();
    project
        .args(["status"])
        .run()
        .status(0)
        .stdout_has("essai (times in UTC: no valid program file `essai` in programs/)")
        .stdout_has(&format!("  {utc} bounce-2@example.org"));
}

both_backends!(status_shows_rates_and_times_in_the_program_zone);
