//! Safety of dispatch (issue 11): the fatigue rule holds inside one run, across surveys of
//! one plan and across concurrent senders; SMTP credentials never cross the network in
//! clear text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use ecoute::dispatch::outbox::{ClaimRequest, Claimed, Outcome, Resolution};
use ecoute::records::{NewInvitation, WaveKey, WavePlan};
use ecoute::store::Store;
use jiff::{SignedDuration, Timestamp};

use crate::harness::{Project, SmtpServer, finished, repo_path};
use crate::support::{TestDb, both_backends};

/// The wave of 2026-11 of the test programs: Monday 2 November, 10:00 in Paris.
const WAVE_TIME: &str = "2026-11-02T09:00:00Z";

/// The recipient of an `.eml` file: the address in its (unfolded) `To:` header.
fn recipient(path: &Path) -> String {
    let raw = std::fs::read_to_string(path).expect("read the email");
    let head = raw.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let to = unfolded
        .lines()
        .find_map(|line| line.strip_prefix("To: "))
        .unwrap_or_else(|| panic!("no To: in {}", path.display()));
    match (to.rfind('<'), to.rfind('>')) {
        (Some(open), Some(close)) if open < close => to[open + 1..close].to_owned(),
        _ => to.trim().to_owned(),
    }
}

/// How many emails each address received, from the files of `project`'s outbox.
fn received_per_address(project: &Project) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for path in project.emails() {
        *counts.entry(recipient(&path)).or_insert(0) += 1;
    }
    counts
}

/// The example contacts whose row satisfies `keep` (columns by header name), read with a
/// plain split: the example file has no quoted fields.
fn example_contacts(keep: impl Fn(&BTreeMap<&str, &str>) -> bool) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_path("programs/contacts/clients.csv"))
        .expect("read the example contacts");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    lines
        .map(|line| header.iter().copied().zip(line.split(',')).collect())
        .filter(|row: &BTreeMap<&str, &str>| keep(row))
        .map(|row| row["email"].to_owned())
        .collect()
}

/// The example's `livraison` sample: `dernier_achat_jours <= 30 and canal_achat !=
/// "magasin"`, size 400 (more than the file holds, so everyone eligible is drawn).
fn livraison_population() -> BTreeSet<String> {
    example_contacts(|row| {
        row["dernier_achat_jours"].parse::<u32>().expect("number") <= 30
            && row["canal_achat"] != "magasin"
    })
}

async fn the_shipped_example_sends_each_person_one_invitation(db: TestDb) {
    let project = Project::example().database(db).mail_folder();
    project
        .args(["send", "fidelite-clients", "--period", "2026-11"])
        .args(["--at", WAVE_TIME])
        .success();
    let received = received_per_address(&project);
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "received more than one invitation: {twice:?}"
    );
    // Everyone `livraison` draws is invited (by `livraison`, the first survey).
    let livraison = livraison_population();
    assert_eq!(livraison.len(), 9);
    for email in &livraison {
        assert!(received.contains_key(email), "{email} was not invited");
    }
}

async fn plan_shows_people_drawn_by_an_earlier_survey_as_excluded(db: TestDb) {
    let project = Project::example().database(db);
    let plan = project
        .args(["plan", "fidelite-clients", "--period", "2026-11", "--list"])
        .args(["--format", "json"])
        .success()
        .json();
    let livraison = livraison_population();
    let surveys = plan["surveys"].as_array().expect("surveys");
    assert_eq!(surveys[0]["survey"], "livraison");
    assert_eq!(surveys[1]["survey"], "centre-contacts");
    let first = &surveys[0]["sample"];
    let drawn_first: BTreeSet<String> = first["drawn"]
        .as_array()
        .expect("drawn")
        .iter()
        .map(|d| d["email"].as_str().expect("email").to_owned())
        .collect();
    assert_eq!(drawn_first, livraison);
    assert_eq!(first["excluded_drawn_earlier"], serde_json::json!({}));
    // `centre-contacts` reads the same 12 rows: the 9 people `livraison` drew are left out
    // before its filter (`appels_mois >= 1`) is applied; of the other 3, Hugo has no call.
    let second = &surveys[1]["sample"];
    assert_eq!(second["population"], 12);
    assert_eq!(
        second["excluded_drawn_earlier"],
        serde_json::json!({"livraison": 9})
    );
    assert_eq!(second["excluded_filter"], 1);
    assert_eq!(second["eligible"], 2);
    for drawn in second["drawn"].as_array().expect("drawn") {
        let email = drawn["email"].as_str().expect("email");
        assert!(!livraison.contains(email), "{email} planned twice");
        assert!(
            ["lucas.bernard@example.org", "manon.leroy@example.org"].contains(&email),
            "{email}"
        );
    }
    project
        .args(["plan", "fidelite-clients", "--period", "2026-11"])
        .success()
        .stdout_has("drawn by survey `livraison`")
        .stdout_has("surveys are planned in file order");
}

both_backends!(
    the_shipped_example_sends_each_person_one_invitation,
    plan_shows_people_drawn_by_an_earlier_survey_as_excluded,
);

/// A program `id` inviting everyone in `contacts.csv` by email at 10:00 on the 2nd of the
/// month, with a 90-day fatigue rule and no send window.
fn everyone_program(id: &str) -> String {
    format!(
        r#"program:
  id: {id}
  title: {{ fr: Programme {id} }}
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: {{ from: "Service clients <avis@example.org>" }}
touchpoints:
  - {{ id: livraison, name: {{ fr: Livraison }}, stage: livraison }}
surveys:
  - id: livraison
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: {{ fr: Votre livraison }}
    questions:
      - {{ id: recommandation, type: nps, text: {{ fr: Recommanderiez-vous ? }} }}
contacts:
  - {{ id: fichier, csv: contacts.csv }}
samples:
  - {{ id: tous, contacts: fichier, rate: 1.0, seed: 1 }}
channels:
  - {{ id: email, type: email, template: invitation }}
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
rules:
  fatigue:
    min_days_between_contacts: 90
"#
    )
}

async fn concurrent_senders_of_two_programs_invite_each_person_once(db: TestDb) {
    const PEOPLE: usize = 150;
    let mut csv = String::from("email,first_name\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!("client{i:04}@example.org,Client {i}\n"));
    }
    let project = Project::new()
        .program("alpha", &everyone_program("alpha"))
        .program("beta", &everyone_program("beta"))
        .contacts(&csv)
        .database(db)
        .mail_folder();
    // Both programs plan everyone: neither has contacted anybody yet.
    for program in ["alpha", "beta"] {
        project
            .args(["plan", program, "--period", "2026-11", "--commit"])
            .success();
    }
    // Two senders per program, all at once, over the same people in the same order.
    let senders: Vec<_> = ["alpha", "beta", "alpha", "beta"]
        .into_iter()
        .map(|program| {
            project
                .args(["send", program, "--no-plan", "--at", WAVE_TIME])
                .args(["--concurrency", "4"])
                .spawn()
        })
        .collect();
    for sender in senders {
        finished(sender).status(0).no_panic();
    }
    let received = received_per_address(&project);
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "received more than one invitation: {twice:?}"
    );
    assert_eq!(received.len(), PEOPLE, "everyone is invited once");
    // The other invitation of each person was held back by the fatigue rule.
    let store = project.store().await;
    let mut fatigued = 0;
    for id in 1..=2 * i64::try_from(PEOPLE).expect("small") {
        let row = store.outbox_row(id).await.expect("row").expect("exists");
        if row.state == "suppressed" {
            assert!(
                row.last_error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("fatigue")),
                "{row:?}"
            );
            fatigued += 1;
        } else {
            assert_eq!(row.state, "sent", "{row:?}");
        }
    }
    assert_eq!(fatigued, PEOPLE);
    store.close().await;
}

both_backends!(concurrent_senders_of_two_programs_invite_each_person_once);

/// The one-survey test program of the SMTP tests, with three contacts.
fn smtp_project(mail: &str) -> Project {
    let csv = "email,first_name\na@example.org,A\nb@example.org,B\nc@example.org,C\n";
    Project::new()
        .program("alpha", &everyone_program("alpha"))
        .contacts(csv)
        .database(TestDb::sqlite())
        .mail(mail)
}

#[test]
fn credentials_over_cleartext_smtp_to_a_remote_host_are_refused_before_connecting() {
    // A name that is never resolved nor contacted: the refusal comes first.
    let project = smtp_project("smtp://mail.example.invalid:2525");
    let ran = project
        .args(["send", "alpha", "--period", "2026-11", "--at", WAVE_TIME])
        .env("ECOUTE_SMTP_USERNAME", "ecoute")
        .env("ECOUTE_SMTP_PASSWORD", "Sup3rS3cretPW")
        .run()
        .status(2)
        .no_panic()
        .stderr_has("?tls=starttls")
        .stderr_has("smtps://")
        .stderr_lacks("Sup3rS3cretPW");
    assert!(
        !ran.stderr().contains("cannot be reached"),
        "{}",
        ran.stderr()
    );
    // The same remote host with STARTTLS asked for is accepted (and then unreachable).
    project
        .args(["send", "alpha", "--period", "2026-11", "--at", WAVE_TIME])
        .env(
            "ECOUTE_MAIL",
            "smtp://mail.example.invalid:2525?tls=starttls",
        )
        .env("ECOUTE_SMTP_USERNAME", "ecoute")
        .env("ECOUTE_SMTP_PASSWORD", "Sup3rS3cretPW")
        .run()
        .status(3)
        .no_panic();
    // Without credentials, cleartext SMTP to a relay stays allowed (the messages deferred
    // just above are not due yet, so nothing is tried).
    project
        .args(["send", "alpha", "--period", "2026-11", "--at", WAVE_TIME])
        .success()
        .stderr_has("sending alpha via smtp mail.example.invalid:2525")
        .stderr_lacks("refusing");
}

#[test]
fn credentials_over_cleartext_smtp_to_loopback_still_work() {
    let smtp = SmtpServer::start(&["--auth", "ecoute:secret"]);
    let project = smtp_project(&smtp.url());
    project
        .args(["send", "alpha", "--period", "2026-11", "--at", WAVE_TIME])
        .env("ECOUTE_SMTP_USERNAME", "ecoute")
        .env("ECOUTE_SMTP_PASSWORD", "secret")
        .success()
        .stdout_has("sent 3 invitations");
    assert_eq!(smtp.received().len(), 3);
}

/// Materialises wave 1 of survey `survey` of program `alpha` for 2026-11, inviting `emails`,
/// due at the wave time; returns the wave id.
async fn wave_of(store: &Store, survey: &str, emails: &[&str]) -> i64 {
    let due: Timestamp = WAVE_TIME.parse().expect("time");
    let key = WaveKey {
        program_id: "alpha".into(),
        survey_id: survey.into(),
        channel_id: "email".into(),
        period: "2026-11".into(),
        wave: 1,
    };
    let plan = WavePlan {
        sample_id: "tous".into(),
        seed: 1,
        program_sha256: None,
        planned_at: due,
    };
    let invitations: Vec<NewInvitation> = emails
        .iter()
        .map(|email| NewInvitation {
            email: (*email).to_owned(),
            locale: None,
            contact_data: Default::default(),
            due_at: due,
        })
        .collect();
    store
        .materialise_wave(&key, &plan, &invitations)
        .await
        .expect("materialise")
        .wave_id
}

/// Claims every due message of `alpha` at `now` with a 90-day fatigue window (or none).
async fn claim_all(store: &Store, now: Timestamp, fatigue: bool) -> Vec<Claimed> {
    let request = ClaimRequest {
        owner: "test",
        program_id: "alpha",
        now,
        lease: Duration::from_secs(300),
        limit: 100,
        fatigue_since: fatigue.then(|| now - SignedDuration::from_hours(90 * 24)),
    };
    let token_hash = |id: i64| {
        let mut hash = [0u8; 32];
        hash[..8].copy_from_slice(&id.to_le_bytes());
        hash
    };
    store.claim(&request, &token_hash).await.expect("claim")
}

/// The outcome `resolution` for a claimed message, counted as a contact when it is a sent
/// invitation.
fn outcome(item: &Claimed, resolution: Resolution) -> Outcome {
    let sent = matches!(resolution, Resolution::Sent { .. });
    Outcome {
        invitation_id: item.invitation_id,
        fence: item.fence,
        message: item.message,
        resolution,
        reason: "test".into(),
        detail: None,
        smtp_code: None,
        maybe_delivered: false,
        bounce_email: None,
        contact: (sent && item.message == 0).then(|| (item.email.clone(), "alpha".into())),
    }
}

async fn one_claim_gives_each_person_one_invitation_and_a_failure_gives_it_back(db: TestDb) {
    const CAMILLE: &str = "camille@example.org";
    const DOMINIQUE: &str = "dominique@example.org";
    let store = db.open().await;
    let now: Timestamp = WAVE_TIME.parse().expect("time");
    // Camille is invited by three surveys, Dominique by one: all in one batch.
    wave_of(&store, "s1", &[CAMILLE, DOMINIQUE]).await;
    wave_of(&store, "s2", &[CAMILLE]).await;
    wave_of(&store, "s3", &[CAMILLE]).await;
    let claimed = claim_all(&store, now, true).await;
    let free: Vec<(&str, i64)> = claimed
        .iter()
        .filter(|c| !c.fatigued)
        .map(|c| (c.email.as_str(), c.invitation_id))
        .collect();
    // The oldest invitation of each person gets the contact (ids in creation order).
    assert_eq!(free, vec![(CAMILLE, 1), (DOMINIQUE, 2)], "{claimed:?}");
    assert_eq!(claimed.len(), 4);

    // Camille's invitation fails for good, the others are held back; Dominique's is sent,
    // with a reminder due a second later.
    let reminder_at = now + SignedDuration::from_secs(1);
    let outcomes: Vec<Outcome> = claimed
        .iter()
        .map(|c| match (c.email.as_str(), c.fatigued) {
            (_, true) => outcome(c, Resolution::Suppressed),
            (CAMILLE, false) => outcome(c, Resolution::Failed),
            _ => outcome(
                c,
                Resolution::Sent {
                    next_reminder_at: Some(reminder_at),
                },
            ),
        })
        .collect();
    store.record(&outcomes, now).await.expect("record");

    // A fourth survey a minute later: Camille was never reached, so her invitation may go;
    // Dominique's is held back by the fatigue rule, while her reminder is no new contact.
    wave_of(&store, "s4", &[CAMILLE, DOMINIQUE]).await;
    let later = now + SignedDuration::from_secs(60);
    let claimed = claim_all(&store, later, true).await;
    let seen: Vec<(&str, u32, bool)> = claimed
        .iter()
        .map(|c| (c.email.as_str(), c.message, c.fatigued))
        .collect();
    assert_eq!(
        seen,
        vec![
            (DOMINIQUE, 1, false),
            (CAMILLE, 0, false),
            (DOMINIQUE, 0, true)
        ],
        "{claimed:?}"
    );
    store.close().await;
}

async fn without_a_fatigue_rule_nothing_is_held_back(db: TestDb) {
    let store = db.open().await;
    let now: Timestamp = WAVE_TIME.parse().expect("time");
    wave_of(&store, "s1", &["camille@example.org"]).await;
    wave_of(&store, "s2", &["camille@example.org"]).await;
    let claimed = claim_all(&store, now, false).await;
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|c| !c.fatigued), "{claimed:?}");
    store.close().await;
}

both_backends!(
    one_claim_gives_each_person_one_invitation_and_a_failure_gives_it_back,
    without_a_fatigue_rule_nothing_is_held_back,
);
