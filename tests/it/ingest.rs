//! Form ingest (issue 17): the group commit answers each request only after its batch is
//! durable; a response the database refuses fails alone and its neighbours are stored; a
//! batch that cannot commit fails every request in it with 503, never a 200; and `kill -9`
//! of the server loses no answer it acknowledged.

use std::io::{Read, Write};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use ecoute::collect::{Ingest, IngestError, Stored};
use ecoute::records::{Answer, NewResponse};
use ecoute::rollup::RollupCount;
use ecoute::store::Store;
use ecoute::token::{LinkSecret, Token};
use jiff::Timestamp;
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

use crate::collect::{
    Fixture, Reply, app, current_period, encode, form_post, generous, invite, program, send,
};
use crate::harness::Project;
use crate::support::{TestDb, both_backends};

both_backends!(
    a_batch_that_cannot_commit_answers_503_to_every_request,
    a_refused_response_fails_alone_and_its_batch_is_stored,
    a_malformed_answer_in_a_burst_is_refused_alone,
    acknowledged_answers_survive_kill_9_of_the_server,
);

/// Runs the futures at once (each a task of its own, started in order) and returns their
/// outputs in the same order.
async fn join_all<T: Send + 'static>(
    futures: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.expect("task"));
    }
    outputs
}

/// `count` people to invite, as (email, locale).
fn people(count: usize) -> Vec<(String, &'static str)> {
    (0..count)
        .map(|i| (format!("p{i:03}@example.fr"), "fr"))
        .collect()
}

fn refs<'a>(people: &'a [(String, &'static str)]) -> Vec<(&'a str, &'static str)> {
    people.iter().map(|(e, l)| (e.as_str(), *l)).collect()
}

/// Posts the `livraison` form of `token` with this NPS (and 4 stars), with the link's key.
async fn post(app: axum::Router, token: String, nps: &'static str) -> Reply {
    let key = ecoute::collect::form_key(&token);
    let body = encode(&[
        ("form_key", &key),
        ("q.recommandation", nps),
        ("q.satisfaction", "4"),
    ]);
    send(&app, form_post(&format!("/s/{token}"), body)).await
}

/// The counters of the example program in `period`.
async fn counters_of(store: &Store, period: &str) -> Vec<RollupCount> {
    store
        .rollups("fidelite-clients", &[period.to_owned()], "")
        .await
        .expect("rollups")
}

/// The all-respondents counter of `question` = `value` in `period`, 0 when absent.
fn counter(counts: &[RollupCount], period: &str, question: &str, value: u8) -> u64 {
    counts
        .iter()
        .filter(|c| {
            c.key.period == period
                && c.key.segment.is_empty()
                && c.key.question_id == question
                && c.key.value == value
        })
        .map(|c| c.n)
        .sum()
}

/// Makes every transaction that stores a response fail (or lets them through again): on
/// PostgreSQL at COMMIT itself, through a deferred constraint trigger; on SQLite, which has
/// no deferred triggers, at the insert, through a trigger that aborts it.
async fn refuse_responses(url: &str, refuse: bool) {
    if url.starts_with("postgres") {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let sql = if refuse {
            "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'no space left on device (test)'; END $$; \
             CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON responses \
             DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit();"
        } else {
            "DROP TRIGGER refuse_commit ON responses; DROP FUNCTION refuse_commit();"
        };
        conn.execute(sql).await.expect("trigger");
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).expect("sqlite URL");
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .expect("connect");
        let sql = if refuse {
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON responses \
             BEGIN SELECT RAISE(ABORT, 'no space left on device (test)'); END;"
        } else {
            "DROP TRIGGER refuse_insert;"
        };
        conn.execute(sql).await.expect("trigger");
    }
}

/// Posts the forms of every link of the fixture at once, each with this NPS.
async fn answer_all(app: &axum::Router, fx: &Fixture, nps: &'static str) -> Vec<Reply> {
    join_all(
        fx.links
            .iter()
            .map(|(_, _, token)| post(app.clone(), token.clone(), nps)),
    )
    .await
}

async fn a_batch_that_cannot_commit_answers_503_to_every_request(db: TestDb) {
    let url = db.url.clone();
    let invited = people(24);
    let fx = Fixture::new(db, &refs(&invited)).await;
    let app = app(&fx.store, None, generous());
    refuse_responses(&url, true).await;
    // 24 posts at once: the writer takes them in one batch (or a few, one per lane).
    let replies = answer_all(&app, &fx, "9").await;
    for reply in &replies {
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            reply.body
        );
        assert!(
            reply.body.contains("Un souci de notre côté"),
            "{}",
            reply.body
        );
    }
    assert_eq!(fx.store.count_responses().await.expect("count"), 0);
    let counts = counters_of(&fx.store, &fx.period).await;
    assert!(
        counts.is_empty(),
        "no counter of a failed batch: {counts:?}"
    );
    // Nothing was half-stored: once the database accepts them, the same links answer.
    refuse_responses(&url, false).await;
    let replies = answer_all(&app, &fx, "9").await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(fx.store.count_responses().await.expect("count"), 24);
    let counts = counters_of(&fx.store, &fx.period).await;
    // 24 responses, each NPS 9: 24 responses counted, 24 nines.
    assert_eq!(counter(&counts, &fx.period, "", 0), 24);
    assert_eq!(counter(&counts, &fx.period, "recommandation", 9), 24);
}

/// A response to the `livraison` survey of the fixture's wave with this NPS.
fn response(fx: &Fixture, invitation_id: i64, nps: f64) -> NewResponse {
    NewResponse {
        invitation_id: Some(invitation_id),
        program_id: "fidelite-clients".to_owned(),
        survey_id: "livraison".to_owned(),
        touchpoint_id: Some("livraison".to_owned()),
        channel: "email".to_owned(),
        period: fx.period.clone(),
        submitted_at: Timestamp::now(),
        email: None,
        respondent: None,
        external_id: None,
        answers: vec![Answer {
            question_id: "recommandation".to_owned(),
            ordinal: 0,
            num_value: Some(nps),
            choice: None,
            text_value: None,
        }],
        cases: Vec::new(),
        version: None,
    }
}

async fn a_refused_response_fails_alone_and_its_batch_is_stored(db: TestDb) {
    let invited = people(8);
    let fx = Fixture::new(db, &refs(&invited)).await;
    let ingest = Ingest::start(fx.store.clone(), ecoute::clock::Clock::real());
    let mut responses: Vec<NewResponse> = fx
        .links
        .iter()
        .map(|(_, id, _)| response(&fx, *id, 9.0))
        .collect();
    // An invitation that does not exist: its foreign key refuses this one row, in the middle
    // of the batch (the test runtime has one thread: all nine reach the writer before it runs).
    responses.insert(4, response(&fx, 1_000_000, 2.0));
    let outcomes = join_all(responses.into_iter().map(|r| {
        let ingest = ingest.clone();
        async move { ingest.submit(r).await }
    }))
    .await;
    for (i, outcome) in outcomes.iter().enumerate() {
        match (i, outcome) {
            (4, Err(IngestError::Store(_))) => {}
            (4, other) => panic!("the refused response: {other:?}"),
            (_, Ok(Stored::New(_))) => {}
            (_, other) => panic!("response {i}: {other:?}"),
        }
    }
    assert_eq!(fx.store.count_responses().await.expect("count"), 8);
    let counts = counters_of(&fx.store, &fx.period).await;
    // 8 stored responses of NPS 9; the refused NPS 2 is counted nowhere.
    assert_eq!(counter(&counts, &fx.period, "", 0), 8);
    assert_eq!(counter(&counts, &fx.period, "recommandation", 9), 8);
    assert_eq!(counter(&counts, &fx.period, "recommandation", 2), 0);
}

async fn a_malformed_answer_in_a_burst_is_refused_alone(db: TestDb) {
    let invited = people(10);
    let fx = Fixture::new(db, &refs(&invited)).await;
    let app = app(&fx.store, None, generous());
    // The sixth says 11 on a 0-10 scale; the nine others say 7.
    let replies = join_all(fx.links.iter().enumerate().map(|(i, (_, _, token))| {
        post(app.clone(), token.clone(), if i == 5 { "11" } else { "7" })
    }))
    .await;
    for (i, reply) in replies.iter().enumerate() {
        let expected = if i == 5 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        assert_eq!(reply.status, expected, "reply {i}: {}", reply.body);
    }
    assert!(
        replies[5]
            .body
            .contains("Choisissez une valeur entre 0 et 10.")
    );
    assert_eq!(fx.store.count_responses().await.expect("count"), 9);
    let refused = fx.links[5].1;
    let token = fx.secret.invitation_token(refused);
    let invitation = fx
        .store
        .token_invitation(&token.hash())
        .await
        .expect("read")
        .expect("invitation");
    assert!(
        !invitation.answered,
        "the refused link can still be answered"
    );
    let counts = counters_of(&fx.store, &fx.period).await;
    // Nine responses of NPS 7 (a passive), none of 11.
    assert_eq!(counter(&counts, &fx.period, "recommandation", 7), 9);
    assert_eq!(counter(&counts, &fx.period, "", 0), 9);
}

/// Posts one form over a new connection; true when the server answered 200.
fn post_raw(address: &str, token: &str) -> Option<bool> {
    let key = ecoute::collect::form_key(token);
    let body = format!("form_key={key}&q.recommandation=8&q.satisfaction=5");
    let request = format!(
        "POST /s/{token} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    (!reply.is_empty()).then(|| reply.starts_with("HTTP/1.1 200"))
}

async fn acknowledged_answers_survive_kill_9_of_the_server(db: TestDb) {
    let project = Project::example().database(db);
    let store = project.store().await;
    let secret = LinkSecret::from_bytes([7; 32]);
    let period = current_period(&program());
    let invited = people(600);
    let (_, links) = invite(&store, &secret, &period, 1, &refs(&invited)).await;
    let served = project.serve();
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let tokens: Vec<String> = links
                .iter()
                .skip(client)
                .step_by(8)
                .map(|(_, _, t)| t.clone())
                .collect();
            let (address, acknowledged) = (served.address.clone(), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                for token in tokens {
                    match post_raw(&address, &token) {
                        Some(true) => acknowledged.lock().expect("acks").push(token),
                        Some(false) => panic!("a refused answer before the kill"),
                        None => return,
                    }
                }
            })
        })
        .collect();
    // Kill the server in the middle of the stream of answers (a safety net of a minute).
    let started = Instant::now();
    while acknowledged.lock().expect("acks").len() < 60 {
        assert!(started.elapsed() < Duration::from_secs(60), "too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    served.signal("-KILL");
    for client in clients {
        client.join().expect("client");
    }
    let acknowledged = acknowledged.lock().expect("acks").clone();
    assert!(acknowledged.len() < invited.len(), "killed before the end");
    drop(served);
    let store: Store = project.store().await;
    for token in &acknowledged {
        let hash = Token::parse(token).expect("token").hash();
        let invitation = store.token_invitation(&hash).await.expect("read");
        assert!(
            invitation.is_some_and(|i| i.answered),
            "an acknowledged answer is lost"
        );
    }
    let stored = store.count_responses().await.expect("count");
    assert!(stored >= acknowledged.len() as u64);
    // Every stored response was counted in the same transaction: the counters agree.
    let counts = counters_of(&store, &period).await;
    assert_eq!(counter(&counts, &period, "", 0), stored);
    assert_eq!(counter(&counts, &period, "recommandation", 8), stored);
}
