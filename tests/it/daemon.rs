//! `ecoute daemon` as a child process: a compressed week of waves, reminders, an event
//! trigger and the close against a real SMTP server; two daemons sharing PostgreSQL, one
//! killed mid-wave; a restart across a missed tick; SIGHUP reloads; refusals at start.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ecoute::dispatch::outbox::OutboxRow;
use ecoute::records::SuppressionReason;
use ecoute::store::Store;
use jiff::Timestamp;

use crate::harness::{Daemon, Project, SmtpServer};
use crate::support::TestDb;

/// A weekly program: a wave each Monday at 10:00 Paris, reminders 1 and 3 days after the
/// invitation left, the week closing at its end (Monday 00:00), and a survey 24 hours after
/// a delivery event.
pub(crate) const WEEKLY: &str = r#"program:
  id: essai
  title: { fr: Programme essai }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "Service clients <avis@example.org>" }
touchpoints:
  - { id: livraison, name: { fr: Livraison }, stage: livraison }
surveys:
  - id: livraison
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: { fr: Votre livraison }
    questions:
      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }
contacts:
  - { id: fichier, csv: contacts.csv }
samples:
  - { id: tous, contacts: fichier, rate: 1.0, seed: 1 }
channels:
  - { id: email, type: email, template: invitation, reminder_days: [1, 3] }
periods:
  cadence: weekly
  waves: "0 10 * * 1"
  close_after_days: 0
rules:
  triggers:
    - { event: commande_livree, survey: livraison, channel: email, delay_hours: 24 }
"#;

/// Week 46 of 2026 starts on Monday 9 November; its wave leaves at 10:00 Paris (09:00 UTC)
/// and it closes on Monday 16 November at 00:00 Paris (15 November 23:00 UTC).
const WEEK: &str = "2026-W46";

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

/// The invitation id and message number (0 the invitation, n the n-th reminder) of a
/// Message-ID `<ecoute.ID.N.program@domain>`.
pub(crate) fn message_of(message_id: &str) -> (i64, u32) {
    let mut parts = message_id.trim_matches(['<', '>']).split('.').skip(1);
    let id = parts.next().and_then(|p| p.parse().ok());
    let n = parts.next().and_then(|p| p.parse().ok());
    id.zip(n)
        .unwrap_or_else(|| panic!("unexpected Message-ID {message_id}"))
}

/// The outbox rows of a program's period, by email.
pub(crate) async fn rows_of(store: &Store, period: &str) -> HashMap<String, OutboxRow> {
    let (waves, _) = store.outbox_status(Some("essai"), 0).await.expect("status");
    let mut rows = HashMap::new();
    for wave in waves.iter().filter(|w| w.wave.period == period) {
        for invitation in store.wave_invitations(wave.wave.id).await.expect("wave") {
            let row = store
                .outbox_row(invitation.id)
                .await
                .expect("row")
                .expect("exists");
            rows.insert(invitation.email.clone().expect("email"), row);
        }
    }
    rows
}

/// Waits (with a generous safety net) until the daemons closed `period`.
async fn wait_closed(store: &Store, period: &str, daemon: &Daemon) {
    let started = Instant::now();
    while !store
        .closed_periods("essai")
        .await
        .expect("closed periods")
        .iter()
        .any(|p| p == period)
    {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{period} never closed; log:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn post_event(daemon: &Daemon, body: &str) -> String {
    daemon.request(&format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer secret\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

#[tokio::test]
async fn a_compressed_week_sends_the_wave_reminders_a_trigger_and_closes_in_order() {
    let wall = Instant::now();
    let smtp = SmtpServer::start(&[]);
    let project = Project::new()
        .program("essai", WEEKLY)
        .contacts(
            "email,first_name\nok1@example.org,Un\nok2@example.org,Deux\n\
             defer-1@example.org,Trois\nunsub@example.org,Quatre\n",
        )
        .database(TestDb::sqlite())
        .mail(&smtp.url())
        .public_url("https://avis.example.org");
    let store = project.store().await;
    store
        .suppress("unsub@example.org", SuppressionReason::Unsubscribed, None)
        .await
        .expect("suppress");
    // 50,000 clock seconds per real second: the week passes in about 12 s.
    let daemon = project.daemon(&[
        "--at",
        "2026-11-09T08:59:00Z",
        "--clock-rate",
        "50000",
        "--max-attempts",
        "100",
        "--admin-token",
        "secret",
    ]);
    let reply = post_event(
        &daemon,
        r#"{"event": "commande_livree", "email": "evenement@example.org"}"#,
    );
    assert!(reply.starts_with("HTTP/1.1 202"), "{reply}");
    wait_closed(&store, WEEK, &daemon).await;

    // The form of a closed week answers as for an unknown link.
    let message = smtp
        .messages()
        .into_iter()
        .map(|path| crate::harness::parse_email(&path))
        .find(|email| {
            email["headers"]["To"]
                .as_str()
                .is_some_and(|to| to.contains("ok1@"))
        })
        .expect("ok1 got an email");
    let text = message["text"].as_str().expect("text part");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://avis.example.org/s/"))
        .expect("a survey link");
    let path = link.trim_start_matches("https://avis.example.org");
    let page = daemon.request(&format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    ));
    assert!(page.starts_with("HTTP/1.1 404"), "closed form: {page}");

    // The daemon's health names its scheduler, and its metrics the next wave of each
    // program (its time depends on how far the compressed clock has run).
    let health = daemon.request("GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""scheduler":"ok""#), "{health}");
    let metrics = daemon.request(
        "GET /metrics HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer secret\r\nConnection: close\r\n\r\n",
    );
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("ecoute_next_tick_timestamp_seconds{program=\"essai\"}"),
        "{metrics}"
    );

    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("panicked"), "{log}");

    let rows = rows_of(&store, WEEK).await;
    let wave_time = at("2026-11-09T09:00:00Z");
    let close = at("2026-11-15T23:00:00Z");
    for email in ["ok1@example.org", "ok2@example.org"] {
        let row = &rows[email];
        assert_eq!(row.state, "sent", "{email}: {row:?}\n{log}");
        let sent = row.sent_at.expect("sent_at");
        assert!(sent >= wave_time && sent < close, "{email} sent at {sent}");
        assert_eq!(row.reminders_sent, 2, "{email}: {row:?}");
        assert_eq!(row.next_reminder_at, None);
        assert!(!row.possibly_duplicate);
    }
    let trigger = rows
        .get("evenement@example.org")
        .unwrap_or_else(|| panic!("no trigger invitation in {rows:?}\n{log}"));
    assert_eq!(trigger.state, "sent", "{trigger:?}");
    // Posted just after the start: it happened on Monday 9 after 08:59, due 24 hours later.
    let due = at("2026-11-10T08:59:00Z");
    let sent = trigger.sent_at.expect("sent_at");
    assert!(sent >= due && sent < close, "trigger sent at {sent}");
    assert_eq!(trigger.reminders_sent, 2, "{trigger:?}");
    assert!(
        !rows.contains_key("unsub@example.org"),
        "a suppressed person is left out of the sample"
    );
    let deferred = &rows["defer-1@example.org"];
    assert_eq!(deferred.state, "expired", "{deferred:?}");
    assert!(
        deferred
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("period close")),
        "{deferred:?}"
    );

    // In order: each reminder after the message before it, and all before the close.
    for email in [
        "ok1@example.org",
        "ok2@example.org",
        "evenement@example.org",
    ] {
        let row = &rows[email];
        let events = store.invitation_events(row.id).await.expect("events");
        let sends: Vec<(u32, Timestamp)> = events
            .iter()
            .filter(|e| e.to_state == "sent" && e.reason == "accepted")
            .map(|e| (e.message, e.at))
            .collect();
        assert_eq!(
            sends.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
            [0, 1, 2],
            "{email}: {events:?}"
        );
        assert!(sends.windows(2).all(|w| w[0].1 < w[1].1), "{sends:?}");
        assert!(sends.iter().all(|(_, at)| *at < close), "{sends:?}");
    }

    // The SMTP server received each message of the week once.
    let ids: Vec<i64> = rows.values().map(|r| r.id).collect();
    let mut received: HashMap<(i64, u32), usize> = HashMap::new();
    for (message_id, _) in smtp.received() {
        let key = message_of(&message_id);
        if ids.contains(&key.0) {
            *received.entry(key).or_default() += 1;
        }
    }
    assert_eq!(received.len(), 9, "3 people × 3 messages: {received:?}");
    assert!(received.values().all(|n| *n == 1), "{received:?}");
    assert!(
        store
            .closed_periods("essai")
            .await
            .expect("closed")
            .contains(&WEEK.to_owned())
    );
    eprintln!(
        "compressed-time daemon test: a week of waves, reminders, a trigger and the close in {:.1} s of wall time",
        wall.elapsed().as_secs_f64()
    );
}

#[test]
fn an_invalid_program_at_start_exits_1_with_the_diagnostics_of_check() {
    let project = Project::new()
        .program(
            "essai",
            &WEEKLY.replace("cadence: weekly", "cadence: hebdo"),
        )
        .contacts("email\nok1@example.org\n")
        .database(TestDb::sqlite());
    let ran = project
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("programs/essai.yaml:");
    let store_file = project.path().join("ecoute.db");
    assert!(!store_file.exists() || ran.stderr().contains("hebdo"));
}

#[test]
fn an_unreachable_postgresql_at_start_exits_2_with_a_clear_error() {
    Project::new()
        .program("essai", WEEKLY)
        .contacts("email\nok1@example.org\n")
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .env(
            "ECOUTE_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/test",
        )
        .run()
        .status(2)
        .no_panic()
        .stderr_has("cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:1/test");
}

#[test]
fn a_taken_port_and_a_second_daemon_on_one_sqlite_file_are_refused() {
    let project = Project::new()
        .program("essai", WEEKLY)
        .contacts("email\nok1@example.org\n")
        .database(TestDb::sqlite())
        .mail_folder();
    let first = project.daemon(&[]);
    project
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .run()
        .status(2)
        .no_panic()
        .stderr_has("another `ecoute daemon` already runs on the SQLite database")
        .stderr_has(&format!("(process {})", first.pid()));
    let other = Project::new()
        .program("essai", WEEKLY)
        .contacts("email\nok1@example.org\n")
        .database(TestDb::sqlite());
    other
        .args(["daemon", "--listen", &first.address])
        .run()
        .status(2)
        .no_panic()
        .stderr_has(&format!("cannot listen on {}", first.address))
        .stderr_has("choose another address with --listen");
    let (status, log) = first.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}

#[tokio::test]
async fn sighup_reloads_a_valid_change_and_refuses_a_broken_or_vanished_file() {
    let project = Project::new()
        .program("essai", WEEKLY)
        .contacts("email\nok1@example.org\n")
        .database(TestDb::sqlite())
        .mail_folder();
    let daemon = project.daemon(&[]);
    daemon.wait_for_log(
        "scheduler: program essai: next wave",
        Duration::from_secs(60),
    );

    // A broken file: refused with check's diagnostics; the old version keeps running.
    project.write(
        "programs/essai.yaml",
        WEEKLY.replace("cadence: weekly", "cadence: hebdo"),
    );
    daemon.signal("-HUP");
    daemon.wait_for_log("reload refused", Duration::from_secs(60));
    assert!(
        daemon.log().contains("programs/essai.yaml:"),
        "{}",
        daemon.log()
    );
    assert!(daemon.log().contains("the previous programs keep running"));

    // The file gone: refused likewise.
    std::fs::remove_file(project.join("programs/essai.yaml")).expect("remove");
    daemon.signal("-HUP");
    daemon.wait_for_log("vanished", Duration::from_secs(60));

    // A valid change: in force, logged with the file's SHA-256, recorded in the store.
    let changed = WEEKLY.replace("0 10 * * 1", "0 11 * * 1");
    project.write("programs/essai.yaml", &changed);
    daemon.signal("-HUP");
    daemon.wait_for_log("reloaded program essai", Duration::from_secs(60));
    let sha = ecoute::program::load(
        &project.join("programs/essai.yaml"),
        &ecoute::program::CheckContext::default(),
    )
    .expect("valid")
    .sha256;
    assert!(
        daemon.log().contains(&format!("(sha256 {sha})")),
        "{}",
        daemon.log()
    );
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("ecoute daemon: stopped"), "{log}");
    let store = project.store().await;
    assert!(
        !store
            .record_program_version("essai", &sha)
            .await
            .expect("version"),
        "the reloaded version was recorded"
    );
}

#[tokio::test]
async fn a_restart_across_a_missed_tick_sends_the_wave_once() {
    let smtp = SmtpServer::start(&[]);
    let project = Project::new()
        .program("essai", WEEKLY)
        .contacts("email\nok1@example.org\nok2@example.org\n")
        .database(TestDb::sqlite())
        .mail(&smtp.url())
        .public_url("https://avis.example.org");
    // Up on Monday at 00:30 Paris: the 10:00 tick is in the store, not yet due.
    let daemon = project.daemon(&["--at", "2026-11-08T23:30:00Z"]);
    daemon.wait_for_log("next wave 1 of 2026-W46", Duration::from_secs(60));
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(smtp.received().is_empty());
    // Back on Monday at noon, the 10:00 tick missed: the wave leaves once.
    let store = project.store().await;
    for _ in 0..2 {
        let daemon = project.daemon(&["--at", "2026-11-09T11:00:00Z"]);
        let started = Instant::now();
        loop {
            let rows = rows_of(&store, WEEK).await;
            if !rows.is_empty() && rows.values().all(|r| r.state == "sent") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{}",
                daemon.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (status, log) = daemon.stop();
        assert_eq!(status.code(), Some(0), "{log}");
    }
    let received = smtp.received();
    assert_eq!(received.len(), 2, "one invitation each: {received:?}");
    let (waves, _) = store.outbox_status(Some("essai"), 0).await.expect("status");
    assert_eq!(waves.len(), 1, "one wave for one tick: {waves:?}");
}

#[tokio::test]
async fn two_daemons_on_postgresql_send_each_message_once_and_take_over_a_killed_one() {
    let smtp = SmtpServer::start(&["--delay", "0.05"]);
    let mut csv = String::from("email\n");
    for i in 0..400 {
        csv.push_str(&format!("client{i:03}@example.org\n"));
    }
    // Two waves on Monday, at 10:00 and 11:00 Paris, no reminders.
    let program = WEEKLY
        .replace("0 10 * * 1", "0 10,11 * * 1")
        .replace("reminder_days: [1, 3]", "reminder_days: []");
    let project = Project::new()
        .program("essai", &program)
        .contacts(&csv)
        .database(TestDb::postgres().await)
        .mail(&smtp.url())
        .public_url("https://avis.example.org");
    let store = project.store().await;
    let flags = [
        "--at",
        "2026-11-09T08:59:30Z",
        "--clock-rate",
        "600",
        // Real seconds; each daemon's clock starts when it does, so they differ a little.
        "--lease",
        "5",
        "--connections",
        "2",
        "--concurrency",
        "16",
    ];
    let first = project.daemon(&flags);
    let second = project.daemon(&flags);
    let invitations = loop {
        let (waves, _) = store.outbox_status(Some("essai"), 0).await.expect("status");
        if waves.len() == 2 {
            let mut ids = Vec::new();
            for wave in &waves {
                let wave_ids: Vec<i64> = store
                    .wave_invitations(wave.wave.id)
                    .await
                    .expect("wave")
                    .iter()
                    .map(|i| i.id)
                    .collect();
                ids.push(wave_ids);
            }
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(invitations[0].len() + invitations[1].len(), 400);
    let count = |ids: &[i64]| -> HashMap<i64, usize> {
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for (message_id, _) in smtp.received() {
            let (id, _) = message_of(&message_id);
            if ids.contains(&id) {
                *seen.entry(id).or_default() += 1;
            }
        }
        seen
    };
    // Both alive for the first wave; the first daemon is killed in the middle of the second.
    let started = Instant::now();
    loop {
        let done_first = count(&invitations[0]).len() == invitations[0].len();
        let second_wave = count(&invitations[1]).len();
        if done_first && second_wave >= 20 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "waves stalled; logs:\n{}\n---\n{}",
            first.log(),
            second.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.signal("-KILL");
    let killed_at = count(&invitations[1]).len();
    loop {
        let rows = rows_of(&store, WEEK).await;
        if rows.values().all(|r| r.state == "sent") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the second daemon did not finish; log:\n{}",
            second.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, log) = second.stop();
    assert_eq!(status.code(), Some(0), "{log}");

    let rows = rows_of(&store, WEEK).await;
    let first_wave = count(&invitations[0]);
    assert!(
        first_wave.values().all(|n| *n == 1),
        "with both daemons alive, each invitation arrives once: {first_wave:?}"
    );
    let second_wave = count(&invitations[1]);
    assert_eq!(second_wave.len(), invitations[1].len(), "nothing lost");
    let flagged: Vec<i64> = rows
        .values()
        .filter(|r| r.possibly_duplicate)
        .map(|r| r.id)
        .collect();
    let twice: Vec<i64> = second_wave
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    assert!(
        twice.iter().all(|id| flagged.contains(id)),
        "every message received twice is flagged: twice {twice:?}, flagged {flagged:?}"
    );
    assert!(
        twice.len() <= 16,
        "at most the killed daemon's in-flight window: {twice:?}"
    );
    assert!(second_wave.values().all(|n| *n <= 2), "{second_wave:?}");
    eprintln!(
        "two daemons on PostgreSQL: {} invitations sent, {} messages received, {} received twice, {} flagged possibly_duplicate (first daemon killed after {} of wave 2)",
        rows.values().filter(|r| r.sent_at.is_some()).count(),
        first_wave.values().sum::<usize>() + second_wave.values().sum::<usize>(),
        twice.len(),
        flagged.len(),
        killed_at
    );
}

#[tokio::test]
async fn after_sighup_the_web_form_shows_the_reloaded_wording() {
    let project = Project::new()
        .program("essai", WEEKLY)
        .contacts("email\nok1@example.org\n")
        .database(TestDb::sqlite())
        .mail_folder()
        .public_url("https://avis.example.org");
    // Just after the wave: the invitation leaves at once.
    let daemon = project.daemon(&["--at", "2026-11-09T09:00:05Z"]);
    let started = Instant::now();
    while project.emails().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no invitation; log:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let email = crate::harness::parse_email(&project.emails()[0]);
    let link = email["text"]
        .as_str()
        .expect("text part")
        .split_whitespace()
        .find(|w| w.starts_with("https://avis.example.org/s/"))
        .expect("a survey link")
        .trim_start_matches("https://avis.example.org")
        .to_owned();
    let form = || {
        daemon.request(&format!(
            "GET {link} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
        ))
    };
    let before = form();
    assert!(before.starts_with("HTTP/1.1 200"), "{before}");
    assert!(before.contains("Recommanderiez-vous"), "{before}");

    project.write(
        "programs/essai.yaml",
        WEEKLY.replace(
            "Recommanderiez-vous ?",
            "Conseilleriez-vous nos livraisons ?",
        ),
    );
    daemon.signal("-HUP");
    daemon.wait_for_log("reloaded program essai", Duration::from_secs(60));
    let after = form();
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    assert!(
        after.contains("Conseilleriez-vous nos livraisons"),
        "{after}"
    );
    assert!(!after.contains("Recommanderiez-vous"), "{after}");
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
}
