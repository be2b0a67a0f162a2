//! `ecoute daemon` as a child process: a compressed week of waves, reminders, an event
//! trigger and the close against a real SMTP server; two daemons sharing PostgreSQL, one
//! killed mid-wave; a restart across a missed tick; SIGHUP reloads; refusals at start.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ecoute::store::{OutboxRow, Store, SuppressionReason};
use jiff::Timestamp;

use crate::harness::{Daemon, Project, SmtpServer};
use crate::support::TestDb;

/// A weekly program: a wave each Monday at 10:00 Paris, reminders 1 and 3 days after the
/// invitation left, the week closing at its end (Monday 00:00), and a survey 24 hours after
/// a delivery event.
const WEEKLY: &str = r#"program:
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
fn message_of(message_id: &str) -> (i64, u32) {
    let mut parts = message_id.trim_matches(['<', '>']).split('.').skip(1);
    let id = parts.next().and_then(|p| p.parse().ok());
    let n = parts.next().and_then(|p| p.parse().ok());
    id.zip(n)
        .unwrap_or_else(|| panic!("unexpected Message-ID {message_id}"))
}

/// The outbox rows of a program's period, by email.
async fn rows_of(store: &Store, period: &str) -> HashMap<String, OutboxRow> {
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
        .find(|email| email["headers"]["To"].as_str().is_some_and(|to| to.contains("ok1@")))
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
    for email in ["ok1@example.org", "ok2@example.org", "evenement@example.org"] {
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
        store.closed_periods("essai").await.expect("closed").contains(&WEEK.to_owned())
    );
    eprintln!(
        "compressed-time daemon test: a week of waves, reminders, a trigger and the close in {:.1} s of wall time",
        wall.elapsed().as_secs_f64()
    );
}
