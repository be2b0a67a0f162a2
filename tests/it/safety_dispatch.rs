//! Safety of dispatch (issue 11): the fatigue rule holds inside one run, across surveys of
//! one plan and across concurrent senders; SMTP credentials never cross the network in
//! clear text.

use crate::harness::{Project, SmtpServer};
use crate::support::TestDb;

/// The wave of 2026-11 of the test programs: Monday 2 November, 10:00 in Paris.
const WAVE_TIME: &str = "2026-11-02T09:00:00Z";

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
