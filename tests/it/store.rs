//! The store, against both SQLite and PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use ecoute::records::{
    Answer, Attributes, BackendKind, ContactInput, InvitationState, NewInvitation, NewResponse,
    SuppressionReason, UpsertCounts, WaveKey, WavePlan,
};
use ecoute::store::{Store, StoreError, StoreOptions};
use jiff::Timestamp;
use serde_json::json;
use sqlx::{Connection, Executor, SqliteConnection};

use crate::support::{TestDb, both_backends};

fn attrs(value: serde_json::Value) -> Attributes {
    value.as_object().cloned().unwrap_or_default()
}

fn contact(email: &str, first: Option<&str>, attributes: serde_json::Value) -> ContactInput {
    ContactInput {
        email: email.to_owned(),
        first_name: first.map(str::to_owned),
        last_name: None,
        locale: Some("fr".to_owned()),
        attributes: attrs(attributes),
    }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("valid timestamp")
}

fn wave_key(wave: u32) -> WaveKey {
    WaveKey {
        program_id: "livraison".to_owned(),
        survey_id: "nps_livraison".to_owned(),
        channel_id: "email".to_owned(),
        period: "2026-11".to_owned(),
        wave,
    }
}

fn wave_plan() -> WavePlan {
    WavePlan {
        sample_id: "clients_livres".to_owned(),
        seed: u64::MAX,
        program_sha256: Some("ab".repeat(32)),
        planned_at: at(1_795_000_000),
    }
}

fn invitation(email: &str) -> NewInvitation {
    NewInvitation {
        email: email.to_owned(),
        locale: Some("fr".to_owned()),
        contact_data: attrs(json!({"first_name": "X", "segment": "B2C"})),
        due_at: at(1_795_000_000),
    }
}

both_backends!(
    story,
    migrations_twice_are_a_no_op,
    a_version_4_database_upgrades_in_place,
    concurrent_materialise_creates_one_wave,
    a_batch_stores_each_response_once_under_its_own_id
);

/// The life of a store, atuin style: contacts in, suppressed, sampled into a wave, answered,
/// and one person forgotten.
async fn story(db: TestDb) {
    let store = db.open().await;

    let status = store.status().await.expect("status");
    assert_eq!(status.current, Some(status.latest));
    assert!(status.pending.is_empty());

    // Contacts: three new, then one update and one new.
    let first = [
        contact(
            "bob@x.fr",
            Some("Bob"),
            json!({"segment": "B2B", "region": "IDF"}),
        ),
        contact("alice@x.fr", Some("Alice"), json!({"segment": "B2C"})),
        contact("Zed@x.fr", None, json!({})),
    ];
    assert_eq!(
        store.upsert_contacts(&first).await.expect("upsert"),
        UpsertCounts {
            inserted: 3,
            updated: 0
        }
    );
    let second = [
        contact("bob@x.fr", None, json!({"segment": "PME", "orders": 3})),
        contact("chloé@x.fr", Some("Chloé"), json!({"vip": true})),
    ];
    assert_eq!(
        store.upsert_contacts(&second).await.expect("upsert"),
        UpsertCounts {
            inserted: 1,
            updated: 1
        }
    );
    assert_eq!(store.count_contacts().await.expect("count"), 4);
    let bob = store
        .get_contact("bob@x.fr")
        .await
        .expect("get")
        .expect("bob");
    assert_eq!(
        bob.first_name.as_deref(),
        Some("Bob"),
        "an empty field keeps the stored value"
    );
    assert_eq!(
        bob.attributes,
        attrs(json!({"orders": 3, "region": "IDF", "segment": "PME"}))
    );

    // Bytewise order, the same on both backends: upper case before lower case, é after z.
    let all: Vec<String> = store
        .all_contacts()
        .await
        .expect("all")
        .into_iter()
        .map(|c| c.email)
        .collect();
    assert_eq!(all, ["Zed@x.fr", "alice@x.fr", "bob@x.fr", "chloé@x.fr"]);
    let page: Vec<String> = store
        .list_contacts(2, 1)
        .await
        .expect("page")
        .into_iter()
        .map(|c| c.email)
        .collect();
    assert_eq!(page, ["alice@x.fr", "bob@x.fr"]);

    // Suppression.
    assert!(
        store
            .suppress(
                "bob@x.fr",
                SuppressionReason::Unsubscribed,
                Some("link in email")
            )
            .await
            .expect("suppress")
    );
    assert!(
        !store
            .suppress("bob@x.fr", SuppressionReason::Unsubscribed, None)
            .await
            .expect("suppress again")
    );
    let bob_suppressed = store.suppressions_for("bob@x.fr").await.expect("check");
    assert_eq!(bob_suppressed.len(), 1);
    assert_eq!(bob_suppressed[0].reason, SuppressionReason::Unsubscribed);
    assert_eq!(bob_suppressed[0].detail.as_deref(), Some("link in email"));
    assert!(
        store
            .suppressions_for("alice@x.fr")
            .await
            .expect("check")
            .is_empty()
    );

    // Fatigue history.
    store
        .record_contact("alice@x.fr", "livraison", at(1_000))
        .await
        .expect("history");
    store
        .record_contact("alice@x.fr", "sav", at(3_000))
        .await
        .expect("history");
    store
        .record_contact("Zed@x.fr", "sav", at(1_500))
        .await
        .expect("history");
    assert_eq!(
        store.last_contacted("alice@x.fr").await.expect("last"),
        Some(at(3_000))
    );
    assert_eq!(store.last_contacted("bob@x.fr").await.expect("last"), None);
    let recent = store.contacted_since(at(2_000)).await.expect("since");
    assert_eq!(recent.len(), 1);
    assert_eq!(recent.get("alice@x.fr"), Some(&at(3_000)));

    // Program versions.
    assert!(
        store
            .record_program_version("livraison", &"ab".repeat(32))
            .await
            .expect("v")
    );
    assert!(
        !store
            .record_program_version("livraison", &"ab".repeat(32))
            .await
            .expect("v")
    );

    // A wave, twice.
    let invitations = [
        invitation("alice@x.fr"),
        invitation("Zed@x.fr"),
        invitation("chloé@x.fr"),
    ];
    let made = store
        .materialise_wave(&wave_key(1), &wave_plan(), &invitations)
        .await
        .expect("wave");
    assert!(made.created);
    assert_eq!(made.invitations, 3);
    let again = store
        .materialise_wave(&wave_key(1), &wave_plan(), &invitations[..1])
        .await
        .expect("wave again");
    assert!(!again.created);
    assert_eq!((again.wave_id, again.invitations), (made.wave_id, 3));
    let outbox = store.wave_invitations(made.wave_id).await.expect("outbox");
    assert_eq!(outbox.len(), 3);
    assert!(
        outbox
            .iter()
            .all(|i| i.state == InvitationState::Planned && i.attempts == 0)
    );
    let alice_invitation = outbox
        .iter()
        .find(|i| i.email.as_deref() == Some("alice@x.fr"))
        .expect("alice invited");

    // Alice answers once; a second answer to the same invitation is ignored.
    let response = NewResponse {
        invitation_id: Some(alice_invitation.id),
        program_id: "livraison".to_owned(),
        survey_id: "nps_livraison".to_owned(),
        touchpoint_id: Some("livraison".to_owned()),
        channel: "email".to_owned(),
        period: "2026-11".to_owned(),
        submitted_at: at(1_795_100_000),
        email: None,
        respondent: Some(attrs(json!({"segment": "B2C"}))),
        external_id: None,
        answers: vec![
            Answer {
                question_id: "recommend".to_owned(),
                ordinal: 0,
                num_value: Some(9.0),
                choice: None,
                text_value: None,
            },
            Answer {
                question_id: "why".to_owned(),
                ordinal: 0,
                num_value: None,
                choice: None,
                text_value: Some("Livreur très aimable, Alice D.".to_owned()),
            },
        ],
        cases: Vec::new(),
        version: None,
    };
    let response_id = store
        .insert_response(&response)
        .await
        .expect("answer")
        .expect("new");
    assert_eq!(
        store
            .insert_response(&response)
            .await
            .expect("answer twice"),
        None
    );
    // An imported response with an external id is imported once.
    let imported = NewResponse {
        invitation_id: None,
        email: Some("alice@x.fr".to_owned()),
        channel: "phone".to_owned(),
        external_id: Some("call-17".to_owned()),
        ..response.clone()
    };
    let imported_id = store
        .insert_response(&imported)
        .await
        .expect("import")
        .expect("new");
    assert_eq!(
        store.insert_response(&imported).await.expect("re-import"),
        None
    );

    // Forget Alice.
    let report = store.forget("alice@x.fr").await.expect("forget");
    assert_eq!(report.contacts, 1);
    assert_eq!(report.invitations, 1);
    assert_eq!(report.responses, 2);
    assert_eq!(report.verbatims, 2);
    assert_eq!(report.history, 2);
    assert_eq!(store.get_contact("alice@x.fr").await.expect("get"), None);
    assert_eq!(
        store.last_contacted("alice@x.fr").await.expect("last"),
        None
    );
    let erased = store.suppressions_for("alice@x.fr").await.expect("check");
    assert_eq!(erased.len(), 1);
    assert_eq!(erased[0].reason, SuppressionReason::Erased);
    let outbox = store.wave_invitations(made.wave_id).await.expect("outbox");
    let blanked = outbox
        .iter()
        .find(|i| i.id == alice_invitation.id)
        .expect("kept");
    assert_eq!(blanked.email, None);
    assert_eq!(blanked.contact_data, None);
    assert_eq!(blanked.state, InvitationState::Suppressed);
    for id in [response_id, imported_id] {
        let kept = store.response(id).await.expect("read").expect("kept");
        assert_eq!(kept.email, None);
        assert_eq!(kept.respondent, None);
        assert_eq!(kept.answers.len(), 2);
        assert_eq!(
            kept.answers[0].num_value,
            Some(9.0),
            "the score stays for the NPS"
        );
        assert_eq!(kept.answers[1].text_value, None, "the verbatim is gone");
    }
    // The others are untouched.
    assert_eq!(store.count_contacts().await.expect("count"), 3);
    assert_eq!(
        store.last_contacted("Zed@x.fr").await.expect("last"),
        Some(at(1_500))
    );
    store.close().await;
}

/// Opening runs the migrations; running them again changes nothing.
async fn migrations_twice_are_a_no_op(db: TestDb) {
    let fresh = db
        .open_with(&StoreOptions {
            migrate: false,
            ..StoreOptions::default()
        })
        .await;
    let before = fresh.status().await.expect("status");
    assert_eq!(before.current, None);
    let versions: Vec<i64> = before.pending.iter().map(|m| m.version).collect();
    assert_eq!(versions.first(), Some(&1));
    assert_eq!(versions.last(), Some(&before.latest));
    assert_eq!(fresh.migrate().await.expect("migrate"), versions);
    fresh
        .upsert_contacts(&[contact("a@x.fr", None, json!({}))])
        .await
        .expect("upsert");
    assert_eq!(
        fresh.migrate().await.expect("migrate again"),
        Vec::<i64>::new()
    );
    fresh.close().await;

    let reopened = db.open().await;
    let after = reopened.status().await.expect("status");
    assert_eq!(after.current, Some(after.latest));
    assert!(after.pending.is_empty());
    assert_eq!(
        reopened.count_contacts().await.expect("count"),
        1,
        "upgraded, not recreated"
    );
}

/// A database left at schema version 4 by an older ecoute, with rows in the columns that
/// PostgreSQL's migration 5 widens to `BIGINT`, is upgraded in place and keeps those rows.
async fn a_version_4_database_upgrades_in_place(db: TestDb) {
    db.at_version(
        4,
        "INSERT INTO waves (program_id, survey_id, channel_id, period, wave, sample_id, seed, \
           planned_at, created_at) VALUES ('p', 's', 'email', '2026-11', 1, 'all', '7', 10, 10); \
         INSERT INTO invitations (wave_id, email, state, created_at, updated_at) \
           VALUES (1, 'a@x.fr', 'failed', 10, 10); \
         INSERT INTO invitation_events (invitation_id, from_state, to_state, reason, smtp_code, at) \
           VALUES (1, 'sending', 'failed', 'smtp 550', 550, 20); \
         INSERT INTO responses (program_id, survey_id, channel, period, submitted_at, created_at) \
           VALUES ('p', 's', 'email', '2026-11', 30, 30); \
         INSERT INTO answers (response_id, question_id, ordinal, choice) \
           VALUES (1, 'pourquoi', 2, 'prix'); \
         INSERT INTO rollups (program_id, period, segment, segment_value, survey_id, \
           touchpoint_id, channel, question_id, value, n) \
           VALUES ('p', '2026-11', '', '', 's', '', 'email', 'nps', 9, 3);",
    )
    .await;
    let store = db.open().await;
    let status = store.status().await.expect("status");
    assert_eq!(status.current, Some(status.latest));

    let events = store.invitation_events(1).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].smtp_code, Some(550));
    assert_eq!(events[0].reason, "smtp 550");
    assert_eq!(events[0].at, at(20));

    let response = store.response(1).await.expect("response").expect("kept");
    assert_eq!(
        response.answers,
        vec![Answer {
            question_id: "pourquoi".to_owned(),
            ordinal: 2,
            num_value: None,
            choice: Some("prix".to_owned()),
            text_value: None,
        }]
    );

    let counts = store
        .rollups("p", &["2026-11".to_owned()], "")
        .await
        .expect("rollups");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].key.question_id, "nps");
    assert_eq!(counts[0].key.value, 9);
    assert_eq!(counts[0].n, 3);
    store.close().await;
}

/// Two stores (two pools, as two daemons) materialise the same waves at the same moment:
/// each wave exists once, with one invitation per contact.
async fn concurrent_materialise_creates_one_wave(db: TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    let invitations: Arc<Vec<NewInvitation>> = Arc::new(
        (0..2_500)
            .map(|i| invitation(&format!("c{i:05}@x.fr")))
            .collect(),
    );
    for wave in 1..=4 {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks = [a.clone(), b.clone()].map(|store| {
            let barrier = barrier.clone();
            let invitations = invitations.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .materialise_wave(&wave_key(wave), &wave_plan(), &invitations)
                    .await
            })
        });
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task").expect("materialise"));
        }
        assert_eq!(
            outcomes.iter().filter(|o| o.created).count(),
            1,
            "exactly one caller creates wave {wave}"
        );
        assert_eq!(outcomes[0].wave_id, outcomes[1].wave_id);
        assert!(outcomes.iter().all(|o| o.invitations == 2_500));
        let outbox = a
            .wave_invitations(outcomes[0].wave_id)
            .await
            .expect("outbox");
        assert_eq!(outbox.len(), 2_500);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_materialise_on_postgres_from_two_threads() {
    concurrent_materialise_creates_one_wave(TestDb::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_opening_a_new_sqlite_file_at_once_both_work() {
    for _ in 0..5 {
        let db = TestDb::sqlite();
        let opens = [db.url.clone(), db.url.clone()]
            .map(|url| tokio::spawn(async move { Store::open(&url).await }));
        for open in opens {
            let store = open.await.expect("task").expect("open");
            assert!(store.status().await.expect("status").pending.is_empty());
        }
    }
}

#[test]
fn every_accepted_url_form_picks_its_backend() {
    for (url, kind) in [
        ("sqlite://a.db", BackendKind::Sqlite),
        ("sqlite:a.db", BackendKind::Sqlite),
        ("postgres://u@h/db", BackendKind::Postgres),
        ("PostgreSQL://u@h/db", BackendKind::Postgres),
    ] {
        assert_eq!(BackendKind::from_url(url).ok(), Some(kind), "{url}");
    }
}

#[tokio::test]
async fn a_url_typo_names_the_accepted_schemes() {
    for (url, suggestion) in [
        ("sqlit:///tmp/x.db", "did you mean `sqlite:`?"),
        (
            "postgress://me:pw@localhost/db",
            "did you mean `postgres:`?",
        ),
        ("mysql://localhost/db", ""),
        ("ecoute.db", "did you mean `sqlite://ecoute.db`?"),
    ] {
        let err = Store::open(url).await.expect_err("refused");
        assert!(matches!(err, StoreError::UnsupportedUrl { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(suggestion), "{message}");
        assert!(
            message.contains("sqlite://PATH, sqlite:PATH, postgres://… or postgresql://…"),
            "{message}"
        );
        assert!(!message.contains(":pw@"), "{message}");
    }
}

#[tokio::test]
async fn a_read_only_sqlite_file_is_refused_and_left_intact() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::sqlite();
    let store = db.open().await;
    assert_eq!(store.backend(), BackendKind::Sqlite);
    store
        .upsert_contacts(&[contact("a@x.fr", Some("A"), json!({"n": 1}))])
        .await
        .expect("upsert");
    store.close().await;
    let path = db.dir.as_ref().expect("folder").path().join("ecoute.db");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");

    let err = Store::open(&db.url).await.expect_err("refused");
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("is read-only: make the file and its folder writable")
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let store = db.open().await;
    let a = store
        .get_contact("a@x.fr")
        .await
        .expect("get")
        .expect("still there");
    assert_eq!(a.attributes, attrs(json!({"n": 1})));
}

#[tokio::test]
async fn a_locked_sqlite_file_gives_a_clear_error_and_loses_nothing() {
    let db = TestDb::sqlite();
    let store = db
        .open_with(&StoreOptions {
            busy_timeout: Duration::from_millis(200),
            ..StoreOptions::default()
        })
        .await;
    store
        .upsert_contacts(&[contact("a@x.fr", None, json!({}))])
        .await
        .expect("upsert");

    // Another process holds the write lock.
    let mut other = SqliteConnection::connect(&db.url).await.expect("connect");
    other.execute("BEGIN IMMEDIATE").await.expect("lock");
    let err = store
        .upsert_contacts(&[contact("b@x.fr", None, json!({}))])
        .await
        .expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("is locked by another writer"),
        "{err}"
    );
    other.execute("ROLLBACK").await.expect("unlock");

    store
        .upsert_contacts(&[contact("b@x.fr", None, json!({}))])
        .await
        .expect("works once the lock is released");
    assert_eq!(store.count_contacts().await.expect("count"), 2);
}

#[tokio::test]
async fn a_missing_folder_is_a_clear_error() {
    let db = TestDb::sqlite();
    let url = format!(
        "sqlite://{}",
        db.dir
            .as_ref()
            .expect("folder")
            .path()
            .join("no/such/ecoute.db")
            .display()
    );
    let err = Store::open(&url).await.expect_err("refused");
    assert!(matches!(err, StoreError::CannotOpen { .. }), "{err:?}");
    assert!(
        err.to_string().contains("check that its folder exists"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_clear_error() {
    // Port 1 on loopback: nothing listens there.
    let err = Store::open("postgres://postgres:secret@127.0.0.1:1/test")
        .await
        .expect_err("refused");
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message
            .contains("cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:1/test"),
        "{message}"
    );
}

#[tokio::test]
async fn forget_erases_the_person_from_api_events_too() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    store
        .record_event(&ecoute::records::NewEvent {
            program_id: "p".into(),
            event: "commande_livree".into(),
            email: Some("alice@x.fr".into()),
            attributes: json!({"commande": "A-12"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            occurred_at: Timestamp::now(),
        })
        .await
        .expect("event");
    store.forget("alice@x.fr").await.expect("forget");
    assert_eq!(
        store
            .count_events("p", "commande_livree")
            .await
            .expect("count"),
        1
    );
    let mut conn = SqliteConnection::connect(&db.url).await.expect("connect");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE email IS NOT NULL OR attributes <> '{}'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("query");
    assert_eq!(
        left, 0,
        "no email or attributes of the forgotten person remain"
    );
    store.close().await;
}

/// One multi-row statement stores a batch: duplicates within it and against earlier batches
/// are skipped (by invitation, or by program and external id), rows without either key are
/// all stored, and each stored response gets the id of its own row.
async fn a_batch_stores_each_response_once_under_its_own_id(db: TestDb) {
    let store = db.open().await;
    let invitations = [
        invitation("a@x.fr"),
        invitation("b@x.fr"),
        invitation("c@x.fr"),
    ];
    let made = store
        .materialise_wave(&wave_key(1), &wave_plan(), &invitations)
        .await
        .expect("wave");
    let ids: Vec<i64> = store
        .wave_invitations(made.wave_id)
        .await
        .expect("outbox")
        .iter()
        .map(|i| i.id)
        .collect();
    let row = |n: usize, invitation_id: Option<i64>, external_id: Option<&str>| NewResponse {
        invitation_id,
        program_id: "livraison".to_owned(),
        survey_id: "nps_livraison".to_owned(),
        touchpoint_id: None,
        channel: "email".to_owned(),
        period: "2026-11".to_owned(),
        submitted_at: at(1_795_100_000),
        email: Some(format!("row{n}@x.fr")),
        respondent: None,
        external_id: external_id.map(str::to_owned),
        answers: Vec::new(),
        cases: Vec::new(),
        version: None,
    };
    let first = [
        row(0, Some(ids[0]), None),
        row(1, Some(ids[0]), None), // same invitation as row 0
        row(2, None, Some("X")),
        row(3, Some(ids[1]), Some("X")), // same external id as row 2
        row(4, Some(ids[1]), Some("Z")), // the invitation row 3 could not take
        row(5, None, None),
        row(6, None, None),
    ];
    let stored = store
        .insert_responses(&first, at(1_795_100_100))
        .await
        .expect("batch");
    let kept: Vec<usize> = (0..first.len()).filter(|&n| stored[n].is_some()).collect();
    assert_eq!(kept, [0, 2, 4, 5, 6], "{stored:?}");
    for n in kept {
        let id = stored[n].expect("stored");
        let response = store.response(id).await.expect("read").expect("found");
        assert_eq!(response.email, Some(format!("row{n}@x.fr")), "id {id}");
    }
    let second = [
        row(7, Some(ids[0]), None),      // answered in the first batch
        row(8, Some(ids[2]), Some("Z")), // external id taken in the first batch
        row(9, None, None),
    ];
    let stored = store
        .insert_responses(&second, at(1_795_100_200))
        .await
        .expect("batch");
    assert_eq!(stored[..2], [None, None]);
    let last = stored[2].expect("a row without keys is stored");
    let response = store.response(last).await.expect("read").expect("found");
    assert_eq!(response.email.as_deref(), Some("row9@x.fr"));
    assert_eq!(store.count_responses().await.expect("count"), 6);
}
