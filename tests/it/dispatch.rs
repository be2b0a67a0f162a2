//! `ecoute send` and `ecoute status` against a real SMTP server (Debian's python3-aiosmtpd,
//! `tests/smtp/server.py`), with the faults of the dispatch issue: deferrals, bounces,
//! dropped connections, an unreachable server, wrong credentials, `kill -9` and a paused
//! dispatcher whose lease was taken over.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ecoute::dispatch::outbox::OutboxRow;
use ecoute::store::Store;
use ecoute::token::Token;

use crate::harness::{Project, Ran, SmtpServer, finished, parse_email, signal};
use crate::support::{TestDb, both_backends};

pub const PROGRAM: &str = r#"program:
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
  - { id: email, type: email, template: invitation, reminder_days: [4, 10] }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
"#;

/// Wave of 2026-11 goes out on 2 November at 10:00 Paris; the period closes 10 December.
pub(crate) const WAVE_TIME: &str = "2026-11-02T09:00:00Z";

/// A project with the test program, `n` ordinary contacts plus `special` addresses, mail
/// through `mail` and survey links on `https://avis.example.org`.
pub(crate) fn project(db: TestDb, mail: &str, n: usize, special: &[&str]) -> Project {
    let mut csv = String::from("email,first_name\n");
    for address in special {
        csv.push_str(&format!("{address},Spécial\n"));
    }
    for i in 0..n {
        csv.push_str(&format!("client{i:05}@example.org,Client {i}\n"));
    }
    Project::new()
        .program("essai", PROGRAM)
        .contacts(&csv)
        .database(db)
        .mail(mail)
        .public_url("https://avis.example.org")
}

/// `ecoute send` of the 2026-11 wave at the rehearsal time `at`, which must not panic.
pub(crate) fn send(project: &Project, at: &str, extra: &[&str]) -> Ran {
    project
        .args(["send", "essai", "--period", "2026-11", "--at", at])
        .args(extra)
        .run()
        .no_panic()
}

pub(crate) async fn rows(store: &Store, count: i64) -> Vec<OutboxRow> {
    let mut rows = Vec::new();
    for id in 1..=count {
        if let Some(row) = store.outbox_row(id).await.expect("row") {
            rows.push(row);
        }
    }
    rows
}

fn invitation_id(message_id: &str) -> i64 {
    message_id
        .trim_matches(|c| c == '<' || c == '>')
        .split('.')
        .nth(1)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("unexpected Message-ID {message_id}"))
}

async fn email_is_sent_once_with_a_working_link_and_one_click_unsubscribe(db: TestDb) {
    let smtp = SmtpServer::start(&[]);
    let project = project(db, &smtp.url(), 3, &[]);
    send(&project, WAVE_TIME, &[])
        .status(0)
        .stdout_has("sent 3 invitations");
    assert_eq!(smtp.received().len(), 3);

    let email = parse_email(&smtp.messages()[0]);
    let headers = &email["headers"];
    let message_id = headers["Message-ID"].as_str().expect("Message-ID");
    assert!(message_id.starts_with("<ecoute.") && message_id.ends_with("@example.org>"));
    assert_eq!(
        headers["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = headers["List-Unsubscribe"]
        .as_str()
        .expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with("<https://avis.example.org/u/"),
        "{unsubscribe}"
    );
    assert!(
        unsubscribe.contains("<mailto:avis@example.org?subject=unsubscribe%20"),
        "{unsubscribe}"
    );
    assert!(
        headers["Subject"]
            .as_str()
            .expect("subject")
            .contains("Votre livraison")
    );

    // The survey link in the text part carries a token whose hash is the invitation's.
    let body = email["text"].as_str().expect("text part");
    let link = body
        .split_whitespace()
        .find(|w| w.starts_with("https://avis.example.org/s/"))
        .unwrap_or_else(|| panic!("no survey link in:\n{body}"));
    let token = Token::parse(link.trim_start_matches("https://avis.example.org/s/"))
        .expect("a well-formed token");
    assert!(
        email["html"].as_str().expect("html").contains(link),
        "same link in HTML"
    );
    let store = project.store().await;
    let invitation = store
        .invitation_by_token_hash(&token.hash())
        .await
        .expect("lookup");
    assert_eq!(invitation, Some(invitation_id(message_id)));
    let unsubscribe_token = unsubscribe
        .trim_start_matches("<https://avis.example.org/u/")
        .split('>')
        .next()
        .expect("token");
    assert_eq!(unsubscribe_token, token.as_str());

    // A second run sends nothing again: no duplicate.
    send(&project, WAVE_TIME, &[])
        .status(0)
        .stdout_has("sent 0 invitations");
    assert_eq!(smtp.received().len(), 3);
    for row in rows(&store, 3).await {
        assert_eq!(row.state, "sent");
        assert!(row.has_token && !row.possibly_duplicate);
        assert_eq!(row.attempts, 1);
    }
    store.close().await;
}

both_backends!(email_is_sent_once_with_a_working_link_and_one_click_unsubscribe);

#[tokio::test]
async fn a_450_is_deferred_with_backoff_then_sent_on_a_later_run() {
    let smtp = SmtpServer::start(&[]);
    let project = project(
        TestDb::sqlite(),
        &smtp.url(),
        2,
        &["defer-once@example.org"],
    );
    send(&project, WAVE_TIME, &["--retry-base", "60"])
        .status(0)
        .stdout_has("deferred 1");
    let store = project.store().await;
    let deferred = rows(&store, 3)
        .await
        .into_iter()
        .find(|r| r.email.as_deref() == Some("defer-once@example.org"))
        .expect("the deferred invitation");
    assert_eq!(deferred.state, "deferred");
    assert_eq!(deferred.attempts, 1);
    // Backoff: 60 s ± 20 % after the attempt.
    let wave: jiff::Timestamp = WAVE_TIME.parse().expect("time");
    let delay = deferred.next_attempt_at.expect("next attempt").as_second() - wave.as_second();
    assert!((48..=72).contains(&delay), "first retry after {delay} s");
    let events = store.invitation_events(deferred.id).await.expect("events");
    let last = events.last().expect("an event");
    assert_eq!(
        (last.to_state.as_str(), last.smtp_code),
        ("deferred", Some(450))
    );

    // Not due yet one second later; due two minutes later.
    send(&project, "2026-11-02T09:00:01Z", &[]).stdout_has("sent 0 invitations");
    send(&project, "2026-11-02T09:02:00Z", &[]).stdout_has("sent 1 invitation");
    let row = store
        .outbox_row(deferred.id)
        .await
        .expect("row")
        .expect("exists");
    assert_eq!((row.state.as_str(), row.attempts), ("sent", 2));
    assert_eq!(
        smtp.received().len(),
        3,
        "each address received exactly once"
    );
    store.close().await;
}

#[tokio::test]
async fn a_550_fails_for_good_and_suppresses_the_address_while_the_others_go() {
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), 3, &["bounce@example.org"]);
    send(&project, WAVE_TIME, &[])
        .status(0)
        .stdout_has("sent 3 invitations")
        .stdout_has("failed 1");
    let store = project.store().await;
    let suppressions = store
        .suppressions_for("bounce@example.org")
        .await
        .expect("suppressions");
    assert_eq!(suppressions.len(), 1);
    assert_eq!(suppressions[0].reason.as_str(), "bounced");
    // No retry on a 5xx, even much later.
    send(&project, "2026-11-03T09:00:00Z", &[]).stdout_has("sent 0 invitations");
    project
        .args(["status", "essai"])
        .run()
        .stdout_has("failed 1")
        .stdout_has("sent 3")
        .stdout_has("bounce@example.org")
        .stdout_has("550");
    store.close().await;
}

#[tokio::test]
async fn a_connection_dropped_after_the_body_is_retried_and_flagged_possibly_sent_twice() {
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), 1, &["drop-once@example.org"]);
    send(&project, WAVE_TIME, &[]).stdout_has("deferred 1");
    send(&project, "2026-11-02T09:05:00Z", &[]).stdout_has("sent 1 invitation");
    let store = project.store().await;
    let dropped = rows(&store, 2)
        .await
        .into_iter()
        .find(|r| r.email.as_deref() == Some("drop-once@example.org"))
        .expect("row");
    assert_eq!(dropped.state, "sent");
    assert!(dropped.possibly_duplicate, "the ambiguous drop is flagged");
    let copies = smtp
        .received()
        .iter()
        .filter(|(_, rcpt)| rcpt == "drop-once@example.org")
        .count();
    assert_eq!(
        copies, 2,
        "the server really got it twice: that is why it is flagged"
    );
    store.close().await;
}

#[tokio::test]
async fn a_pooled_connection_closed_by_the_server_is_replaced_without_losing_a_message() {
    let smtp = SmtpServer::start(&["--close-after", "2"]);
    let project = project(TestDb::sqlite(), &smtp.url(), 7, &[]);
    let stdout = send(&project, WAVE_TIME, &["--connections", "1"])
        .status(0)
        .stdout();
    let store = project.store().await;
    let sent = rows(&store, 7)
        .await
        .iter()
        .filter(|r| r.state == "sent")
        .count();
    let deferred = rows(&store, 7)
        .await
        .iter()
        .filter(|r| r.state == "deferred")
        .count();
    assert_eq!(sent + deferred, 7, "nothing lost: {stdout}");
    // Retried deferrals go out on a later run; in the end every address got its email once
    // or, when flagged, possibly twice.
    send(&project, "2026-11-02T10:00:00Z", &["--connections", "1"]).status(0);
    let all = rows(&store, 7).await;
    assert!(all.iter().all(|r| r.state == "sent"), "{all:?}");
    let mut per_address: HashMap<String, usize> = HashMap::new();
    for (_, rcpt) in smtp.received() {
        *per_address.entry(rcpt).or_default() += 1;
    }
    assert_eq!(per_address.len(), 7);
    for row in &all {
        let copies = per_address[row.email.as_deref().expect("email")];
        assert!(
            copies == 1 || row.possibly_duplicate,
            "{row:?} received {copies} times"
        );
    }
    store.close().await;
}

#[tokio::test]
async fn an_unreachable_server_leaves_invitations_deferred_and_exits_3() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let project = project(
        TestDb::sqlite(),
        &format!("smtp://127.0.0.1:{port}"),
        5,
        &[],
    );
    send(&project, WAVE_TIME, &[])
        .status(3)
        .stderr_has("cannot be reached");
    let store = project.store().await;
    let all = rows(&store, 5).await;
    assert!(
        all.iter().all(|r| r.sent_at.is_none()),
        "nothing marked sent"
    );
    assert!(all.iter().any(|r| r.state == "deferred"), "{all:?}");
    assert!(
        all.iter()
            .all(|r| r.state == "deferred" || r.state == "planned"),
        "{all:?}"
    );
    store.close().await;
}

#[tokio::test]
async fn wrong_credentials_stop_the_run_and_mark_nothing_sent() {
    let smtp = SmtpServer::start(&["--auth", "ecoute:secret"]);
    let project = project(TestDb::sqlite(), &smtp.url(), 3, &[]);
    let send_with_password = |password: &str| {
        project
            .args(["send", "essai", "--period", "2026-11", "--at", WAVE_TIME])
            .env("ECOUTE_SMTP_USERNAME", "ecoute")
            .env("ECOUTE_SMTP_PASSWORD", password)
            .run()
    };
    send_with_password("wrong")
        .status(2)
        .stderr_has("refused the credentials");
    let store = project.store().await;
    assert!(
        rows(&store, 3)
            .await
            .iter()
            .all(|r| r.state == "planned" && r.attempts == 0)
    );
    // With the right password everything goes.
    send_with_password("secret").status(0);
    assert_eq!(smtp.received().len(), 3);
    store.close().await;
}

#[tokio::test]
async fn an_unwritable_outbox_folder_is_a_clear_error_and_nothing_is_marked_sent() {
    let project =
        project(TestDb::sqlite(), "file://not-a-folder/outbox", 2, &[]).file("not-a-folder", "x");
    send(&project, WAVE_TIME, &[])
        .status(2)
        .stderr_has("cannot write emails into");
    let store = project.store().await;
    assert!(rows(&store, 2).await.iter().all(|r| r.state == "planned"));
    store.close().await;
}

fn wait_until(deadline: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// Waits (5 s at most) until the number of invitations in `sending` satisfies `enough`.
async fn wait_for_sending(store: &Store, enough: impl Fn(u64) -> bool) -> bool {
    for _ in 0..200 {
        let (waves, _) = store.outbox_status(Some("essai"), 0).await.expect("status");
        if waves
            .iter()
            .any(|w| w.states.get("sending").is_some_and(|n| enough(*n)))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[tokio::test]
async fn kill_9_in_the_middle_of_sending_loses_nothing_and_flags_every_duplicate() {
    const CONTACTS: usize = 1500;
    const CONCURRENCY: usize = 16;
    const KILLS: usize = 3;
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), CONTACTS, &[]);
    for round in 1..=KILLS {
        // Each run starts 10 s (of rehearsal clock) after the previous one: past the dead
        // sender's 5 s leases, as a real restart would be.
        let at = format!("2026-11-02T09:00:{:02}Z", 10 * (round - 1));
        let args = [
            "send",
            "essai",
            "--period",
            "2026-11",
            "--at",
            &at,
            "--lease",
            "5",
            "--concurrency",
            "16",
            "--connections",
            "4",
        ];
        let before = smtp.received().len();
        let mut child = project
            .args(args)
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ecoute send");
        // Kill it once it has sent a few more messages, in the middle of the wave.
        let target = before + 100 + 50 * round;
        wait_until(Duration::from_secs(60), || smtp.received().len() >= target);
        signal(&child, "-KILL");
        let _ = child.wait();
        assert!(
            smtp.received().len() < CONTACTS,
            "round {round}: the wave finished before the kill; the test needs more contacts"
        );
    }
    send(&project, "2026-11-02T09:01:00Z", &["--lease", "5"]).status(0);

    let store = project.store().await;
    let all = rows(&store, CONTACTS as i64).await;
    assert_eq!(all.len(), CONTACTS);
    let lost: Vec<&OutboxRow> = all.iter().filter(|r| r.state != "sent").collect();
    assert!(lost.is_empty(), "every invitation ends sent: {lost:?}");

    let mut copies: HashMap<i64, usize> = HashMap::new();
    for (message_id, _) in smtp.received() {
        *copies.entry(invitation_id(&message_id)).or_default() += 1;
    }
    assert_eq!(
        copies.len(),
        CONTACTS,
        "every invitation reached the server"
    );
    let duplicates: Vec<i64> = copies
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    assert!(
        duplicates.len() <= CONCURRENCY * KILLS,
        "{} duplicates for {KILLS} kills at concurrency {CONCURRENCY}",
        duplicates.len()
    );
    let flagged: Vec<i64> = all
        .iter()
        .filter(|r| r.possibly_duplicate)
        .map(|r| r.id)
        .collect();
    for id in &duplicates {
        assert!(
            flagged.contains(id),
            "invitation {id} was sent twice but not flagged"
        );
        assert_eq!(copies[id], 2, "never more than twice");
    }
    assert!(
        flagged.len() <= CONCURRENCY * KILLS,
        "{} flagged",
        flagged.len()
    );
    eprintln!(
        "kill -9 ×{KILLS}: 0 lost, {} duplicates, {} flagged (bound {})",
        duplicates.len(),
        flagged.len(),
        CONCURRENCY * KILLS
    );
    store.close().await;
}

#[tokio::test]
async fn a_paused_dispatcher_cannot_overwrite_what_another_took_over() {
    // Each reply to DATA takes 2 s, so the first dispatcher is caught with messages in flight.
    let smtp = SmtpServer::start(&["--delay", "2"]);
    let project = project(TestDb::sqlite(), &smtp.url(), 4, &[]);
    let first = project
        .args(["send", "essai", "--period", "2026-11", "--at", WAVE_TIME])
        .args(["--lease", "5", "--concurrency", "4", "--connections", "4"])
        .spawn();
    // Wait until its four messages are claimed (the second run would find none otherwise).
    let store = project.store().await;
    let claimed = wait_for_sending(&store, |sending| sending == 4).await;
    assert!(claimed, "the first dispatcher claimed its batch");
    signal(&first, "-STOP");
    // The second dispatcher starts after the first one's leases expired (rehearsal clock
    // 10 s later) and takes its messages over.
    send(&project, "2026-11-02T09:00:10Z", &["--lease", "60"])
        .status(0)
        .stdout_has("sent 4 invitations");
    let fences: Vec<i64> = rows(&store, 4).await.iter().map(|r| r.fence).collect();
    signal(&first, "-CONT");
    finished(first).stdout_has("4 outcomes not recorded");
    let after = rows(&store, 4).await;
    for (row, fence) in after.iter().zip(&fences) {
        assert_eq!(row.state, "sent");
        assert_eq!(row.fence, *fence, "the paused dispatcher changed nothing");
        assert!(row.possibly_duplicate, "both dispatchers sent it: flagged");
        let events = store.invitation_events(row.id).await.expect("events");
        assert!(
            events.iter().any(|e| e.reason == "stale lease"),
            "{events:?}"
        );
    }
    store.close().await;
}

#[tokio::test]
async fn a_name_with_a_line_break_never_becomes_a_header_and_a_bad_address_fails_alone() {
    let smtp = SmtpServer::start(&[]);
    // Contact data that slipped past the import: a CR/LF in a name, an invalid address.
    let csv = "email,first_name\n\
               \"camille@example.org\",\"Camille\r\nBcc: victim@example.org\"\n\
               client00000@example.org,Client\n";
    let project = project(TestDb::sqlite(), &smtp.url(), 2, &[]).contacts(csv);
    let store = project.store().await;
    project
        .args(["plan", "essai", "--period", "2026-11", "--commit"])
        .run()
        .status(0);
    let wave = store.program_waves("essai").await.expect("waves")[0].id;
    store
        .materialise_wave(
            &ecoute::records::WaveKey {
                program_id: "essai".into(),
                survey_id: "livraison".into(),
                channel_id: "email".into(),
                period: "2026-11".into(),
                wave: 2,
            },
            &ecoute::records::WavePlan {
                sample_id: "tous".into(),
                seed: 1,
                program_sha256: None,
                planned_at: WAVE_TIME.parse().expect("time"),
            },
            &[ecoute::records::NewInvitation {
                email: "pas une adresse".into(),
                locale: Some("fr".into()),
                contact_data: Default::default(),
                due_at: WAVE_TIME.parse().expect("time"),
            }],
        )
        .await
        .expect("a bad row slipped in");
    assert!(wave > 0);
    send(&project, WAVE_TIME, &["--no-plan"])
        .status(0)
        .stdout_has("sent 2 invitations")
        .stdout_has("failed 1");
    for path in smtp.messages() {
        let email = parse_email(&path);
        assert!(email["bcc"].is_null(), "no Bcc header: {email}");
        let to = email["headers"]["To"].as_str().expect("To");
        assert!(!to.contains('\n') && !to.contains('\r'), "{to}");
    }
    let status = project
        .args(["status", "essai", "--format", "json"])
        .run()
        .json();
    let errors = status["last_errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["email"] == "pas une adresse"
            && e["detail"]
                .as_str()
                .is_some_and(|d| d.contains("invalid recipient"))),
        "{status}"
    );
    store.close().await;
}

#[tokio::test]
async fn reminders_go_to_those_who_did_not_answer_and_stop_at_the_close() {
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), 3, &[]);
    send(&project, WAVE_TIME, &[]).status(0);
    let store = project.store().await;
    let all = rows(&store, 3).await;
    // Reminder 1 is due 4 days after the invitation (2026-11-06 10:00 Paris).
    let expected: jiff::Timestamp = "2026-11-06T09:00:00Z".parse().expect("time");
    assert!(
        all.iter().all(|r| r.next_reminder_at == Some(expected)),
        "{all:?}"
    );

    // One person answered, one unsubscribed: only the third gets reminders.
    store
        .insert_response(&ecoute::records::NewResponse {
            invitation_id: Some(all[0].id),
            program_id: "essai".into(),
            survey_id: "livraison".into(),
            touchpoint_id: Some("livraison".into()),
            channel: "email".into(),
            period: "2026-11".into(),
            submitted_at: "2026-11-03T09:00:00Z".parse().expect("time"),
            email: None,
            respondent: None,
            external_id: None,
            answers: vec![],
            cases: Vec::new(),
            version: None,
        })
        .await
        .expect("response");
    store
        .suppress(
            all[1].email.as_deref().expect("email"),
            ecoute::records::SuppressionReason::Unsubscribed,
            None,
        )
        .await
        .expect("suppress");
    send(&project, "2026-11-05T09:00:00Z", &[]).stdout_has("0 reminders");
    send(&project, "2026-11-06T09:00:00Z", &[]).stdout_has("1 reminder");
    send(&project, "2026-11-12T09:00:00Z", &[]).stdout_has("1 reminder");
    // Two at most.
    send(&project, "2026-11-30T09:00:00Z", &[]).stdout_has("0 reminders");
    let reminded: Vec<String> = smtp
        .received()
        .into_iter()
        .filter(|(id, _)| id.split('.').nth(2) != Some("0"))
        .map(|(_, rcpt)| rcpt)
        .collect();
    assert_eq!(reminded, vec![all[2].email.clone().expect("email"); 2]);
    let row = store
        .outbox_row(all[2].id)
        .await
        .expect("row")
        .expect("exists");
    assert_eq!((row.reminders_sent, row.next_reminder_at), (2, None));
    store.close().await;
}

#[tokio::test]
async fn invitations_of_a_closed_period_expire_instead_of_going_out() {
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), 2, &[]);
    project
        .args(["plan", "essai", "--period", "2026-11", "--commit"])
        .run()
        .status(0);
    // The period closes on 10 December (30 November + 10 days).
    send(&project, "2026-12-11T09:00:00Z", &["--no-plan"]).stdout_has("expired 2");
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn ctrl_c_lets_messages_in_flight_finish_and_leaves_nothing_half_sent() {
    let smtp = SmtpServer::start(&["--delay", "1"]);
    let project = project(TestDb::sqlite(), &smtp.url(), 12, &[]);
    let store = project.store().await;
    let child = project
        .args(["send", "essai", "--period", "2026-11", "--at", WAVE_TIME])
        .args(["--concurrency", "4", "--connections", "4"])
        .spawn();
    let claimed = wait_for_sending(&store, |sending| sending > 0).await;
    assert!(claimed, "the sender started");
    signal(&child, "-INT");
    finished(child).status(130).stderr_has("interrupted");
    let all = rows(&store, 12).await;
    assert!(
        all.iter()
            .all(|r| r.state == "sent" || r.state == "planned"),
        "{all:?}"
    );
    let sent = all.iter().filter(|r| r.state == "sent").count();
    assert!(sent < 12, "stopped before the end");
    assert_eq!(
        sent,
        smtp.received().len(),
        "what was recorded sent is what the server has"
    );
    // The next run sends exactly the others.
    send(&project, "2026-11-02T09:01:00Z", &["--concurrency", "4"]).status(0);
    assert_eq!(smtp.received().len(), 12);
    store.close().await;
}

#[tokio::test]
async fn two_senders_share_one_postgresql_outbox_without_sending_anything_twice() {
    const CONTACTS: usize = 400;
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::postgres().await, &smtp.url(), CONTACTS, &[]);
    project
        .args(["plan", "essai", "--period", "2026-11", "--commit"])
        .run()
        .status(0);
    let senders: Vec<_> = (0..2)
        .map(|_| {
            project
                .args(["send", "essai", "--no-plan", "--at", WAVE_TIME])
                .args(["--concurrency", "8"])
                .spawn()
        })
        .collect();
    let mut sent_by = Vec::new();
    for sender in senders {
        let stdout = finished(sender).status(0).stdout();
        let sent: usize = stdout
            .strip_prefix("sent ")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in {stdout}"));
        sent_by.push(sent);
    }
    assert_eq!(sent_by.iter().sum::<usize>(), CONTACTS, "{sent_by:?}");
    let mut ids: Vec<i64> = smtp
        .received()
        .iter()
        .map(|(id, _)| invitation_id(id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CONTACTS);
    assert_eq!(smtp.received().len(), CONTACTS, "nothing sent twice");
}

#[tokio::test]
async fn the_one_click_unsubscribe_of_an_email_cancels_its_reminders() {
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), 2, &[]);
    send(&project, WAVE_TIME, &[]).status(0);

    // The List-Unsubscribe link of the first email, as a mail client would use it.
    let email = parse_email(&smtp.messages()[0]);
    let header = email["headers"]["List-Unsubscribe"]
        .as_str()
        .expect("header");
    let path = header
        .trim_start_matches("<https://avis.example.org")
        .split('>')
        .next()
        .expect("path")
        .to_owned();
    let unsubscribed = email["headers"]["To"].as_str().expect("To").to_owned();

    let server = project.serve();
    let body = "List-Unsubscribe=One-Click";
    let reply = server.request(&format!(
        "POST {path} HTTP/1.1\r\nHost: avis.example.org\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let _ = server.stop();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    // Four days later, only the other person is reminded.
    send(&project, "2026-11-06T09:00:00Z", &[]).stdout_has("1 reminder");
    let reminded: Vec<String> = smtp
        .received()
        .into_iter()
        .filter(|(id, _)| id.split('.').nth(2) != Some("0"))
        .map(|(_, rcpt)| rcpt)
        .collect();
    assert_eq!(reminded.len(), 1);
    assert!(
        !unsubscribed.contains(&reminded[0]),
        "{unsubscribed} was reminded"
    );
}

/// The outbox states, by address, of the first `count` invitations.
async fn states(store: &Store, count: i64) -> HashMap<String, (String, Option<u16>)> {
    let mut states = HashMap::new();
    for row in rows(store, count).await {
        let events = store.invitation_events(row.id).await.expect("events");
        let code = events.last().and_then(|e| e.smtp_code);
        states.insert(row.email.clone().expect("email"), (row.state, code));
    }
    states
}

/// One connection carries, pipelined, a recipient refused for good (550 at RCPT), one
/// refused for now (450 at RCPT) and ordinary ones before and after them: each gets the
/// state the unpipelined exchange gives it, and the session goes on after each refusal.
#[tokio::test]
async fn a_pipelined_batch_gives_each_refused_recipient_its_own_state() {
    let smtp = SmtpServer::start(&[]);
    let project = project(
        TestDb::sqlite(),
        &smtp.url(),
        4,
        &["bounce@example.org", "defer@example.org"],
    );
    send(&project, WAVE_TIME, &["--connections", "1"])
        .status(0)
        .stdout_has("sent 4 invitations")
        .stdout_has("deferred 1")
        .stdout_has("failed 1");
    // 4 ordinary + bounce + defer = 6 transactions, all pipelined (the server saw RCPT and
    // DATA waiting behind each MAIL).
    assert_eq!(smtp.pipelined().len(), 6, "{:?}", smtp.pipelined());
    let store = project.store().await;
    let states = states(&store, 6).await;
    assert_eq!(
        states["bounce@example.org"],
        ("failed".to_owned(), Some(550))
    );
    assert_eq!(
        states["defer@example.org"],
        ("deferred".to_owned(), Some(450))
    );
    for i in 0..4 {
        let address = format!("client{i:05}@example.org");
        assert_eq!(states[&address].0, "sent", "{address}");
    }
    let suppressions = store
        .suppressions_for("bounce@example.org")
        .await
        .expect("suppressions");
    assert_eq!(suppressions.len(), 1);
    assert_eq!(suppressions[0].reason.as_str(), "bounced");
    assert!(
        store
            .suppressions_for("defer@example.org")
            .await
            .expect("suppressions")
            .is_empty(),
        "a 450 suppresses nobody"
    );
    // Exactly the four ordinary messages arrived, each once.
    let mut received: Vec<String> = smtp.received().into_iter().map(|(_, r)| r).collect();
    received.sort();
    let expected: Vec<String> = (0..4)
        .map(|i| format!("client{i:05}@example.org"))
        .collect();
    assert_eq!(received, expected);
    store.close().await;
}

/// A server that does not advertise PIPELINING gets one command at a time, with the same
/// states as a pipelining one.
#[tokio::test]
async fn a_server_without_pipelining_gets_one_command_at_a_time() {
    let smtp = SmtpServer::start(&["--no-pipelining"]);
    let project = project(TestDb::sqlite(), &smtp.url(), 3, &["bounce@example.org"]);
    send(&project, WAVE_TIME, &["--connections", "1"])
        .status(0)
        .stdout_has("sent 3 invitations")
        .stdout_has("failed 1");
    assert!(smtp.pipelined().is_empty(), "{:?}", smtp.pipelined());
    assert_eq!(smtp.received().len(), 3);
    let store = project.store().await;
    let states = states(&store, 4).await;
    assert_eq!(
        states["bounce@example.org"],
        ("failed".to_owned(), Some(550))
    );
    store.close().await;
}

/// At `--max-rate 5` over several connections, no one-second window of the server's own
/// clock holds more than 5 messages. (The upper bound only: the achieved rate depends on
/// the machine and is measured by bench/dispatch.sh.)
#[tokio::test]
async fn the_rate_limit_is_never_exceeded_in_any_second_the_server_sees() {
    let smtp = SmtpServer::start(&[]);
    let project = project(TestDb::sqlite(), &smtp.url(), 20, &[]);
    send(
        &project,
        WAVE_TIME,
        &["--max-rate", "5", "--connections", "4"],
    )
    .status(0)
    .stdout_has("sent 20 invitations");
    let times = smtp.received_times();
    assert_eq!(times.len(), 20);
    // For each message, how many arrived in the second that starts with it.
    let busiest = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t < times[i] + 1.0)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(busiest <= 5, "{busiest} messages in one second: {times:?}");
}
