//! What a newcomer sees from `ecoute send`: emails in `outbox/` at any hour, an email that
//! names the experience, and times in the program's time zone.

use crate::harness::{Project, Ran, SmtpServer, parse_email, repo_path};
use crate::support::{TestDb, both_backends};

/// Saturday 28 November 2026, 21:00 in Paris: outside the example's Monday–Friday
/// 09:00–19:00 send window.
const SATURDAY_EVENING: &str = "2026-11-28T20:00:00Z";

/// The README's first command, run on that Saturday evening.
fn send_on_saturday_evening(project: &Project) -> Ran {
    project
        .args([
            "send",
            "fidelite-clients",
            "--period",
            "2026-11",
            "--at",
            SATURDAY_EVENING,
        ])
        .success()
}

both_backends!(the_first_command_writes_emails_on_a_saturday_evening);

async fn the_first_command_writes_emails_on_a_saturday_evening(db: TestDb) {
    let project = Project::example().database(db).mail_folder();
    let ran = send_on_saturday_evening(&project);
    assert!(
        ran.stderr().contains("ignores send windows"),
        "{}",
        ran.stderr()
    );
    // The first reminder, 4 days after the invitation, told in Paris time.
    assert!(
        ran.stdout()
            .contains("next message due at 2026-12-02 21:00 CET (Wed)"),
        "{}",
        ran.stdout()
    );
    let emails = project.emails();
    assert!(!emails.is_empty(), "no .eml in outbox/: {}", ran.stdout());
    let parsed: Vec<_> = emails.iter().map(|path| parse_email(path)).collect();
    let texts: Vec<String> = parsed
        .iter()
        .map(|email| email["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    // The delivery survey (3 questions, touchpoint "Livraison"); the period 2026-11 takes
    // answers until 15 days after 30 November.
    let delivery = texts
        .iter()
        .find(|t| t.contains("« Votre livraison »"))
        .expect("a delivery survey email");
    assert!(delivery.contains("(Livraison)"), "{delivery}");
    assert!(delivery.contains("Il compte 3 questions"), "{delivery}");
    assert!(
        delivery.contains("jusqu'au 15 décembre 2026 inclus"),
        "{delivery}"
    );
    // Links on the default http://127.0.0.1:8080: no one-click header (RFC 8058 wants
    // https), and the folded List-Unsubscribe reads back whole.
    for email in &parsed {
        let headers = &email["headers"];
        assert!(headers.get("List-Unsubscribe-Post").is_none(), "{headers}");
        let unsubscribe = headers["List-Unsubscribe"]
            .as_str()
            .unwrap_or_default()
            .trim();
        assert!(
            unsubscribe.starts_with("<http://127.0.0.1:8080/u/")
                && unsubscribe.contains(">, <mailto:"),
            "{unsubscribe}"
        );
    }
}

both_backends!(over_smtp_a_saturday_evening_says_when_and_why_and_warns_about_links);

async fn over_smtp_a_saturday_evening_says_when_and_why_and_warns_about_links(db: TestDb) {
    let server = SmtpServer::start(&[]);
    let project = Project::example().database(db).mail(&server.url());
    let ran = send_on_saturday_evening(&project);
    let stderr = ran.stderr();
    // The example's links default to http://127.0.0.1:8080.
    assert!(
        stderr.contains("WARNING: survey links point to http://127.0.0.1:8080, this machine"),
        "{stderr}"
    );
    assert!(
        stderr.contains("WARNING: `public_url` http://127.0.0.1:8080 is not https"),
        "{stderr}"
    );
    // Monday 30 November 2026, 09:00 in Paris: the window's next opening.
    assert!(
        ran.stdout().contains(
            "10 message(s) wait outside their channel's `send_window`, which spares customers' evenings and weekends; they leave from 2026-11-30 09:00 CET (Mon)"
        ),
        "{}",
        ran.stdout()
    );
    assert!(server.received().is_empty());
}

both_backends!(an_empty_store_says_so_and_how_to_import_contacts);

async fn an_empty_store_says_so_and_how_to_import_contacts(db: TestDb) {
    // The example's samples drawn from its store source, `annuaire`, which nobody filled.
    let yaml = std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml"))
        .expect("the example program")
        .replace("contacts: clients", "contacts: annuaire");
    let project = Project::new()
        .program("fidelite-clients", &yaml)
        .repo_file("programs/contacts/clients.csv")
        .database(db);
    let ran = project
        .args(["plan", "fidelite-clients", "--period", "2026-11"])
        .success();
    let stdout = ran.stdout();
    assert!(
        stdout.contains(
            "! contact source `annuaire` is empty: no contacts are imported yet; import them with `ecoute contacts import FILE.csv`"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("only 0 eligible"), "{stdout}");
}

both_backends!(a_wave_outside_the_send_window_is_warned_with_the_opening);

async fn a_wave_outside_the_send_window_is_warned_with_the_opening(db: TestDb) {
    // The example's wave of January 2027 is on Saturday the 2nd at 10:00; its window is
    // Monday to Friday from 09:00, so it opens on Monday the 4th.
    let project = Project::example().database(db);
    let ran = project
        .args(["plan", "fidelite-clients", "--period", "2027-01"])
        .success();
    assert!(
        ran.stdout().contains(
            "! wave 1 at 2027-01-02 10:00 CET (Sat) falls outside the send window of channel `email`: over SMTP its messages wait until 2027-01-04 09:00 CET (Mon)"
        ),
        "{}",
        ran.stdout()
    );
    // November 2026's wave (Monday the 2nd at 10:00) is inside the window.
    let ran = project
        .args(["plan", "fidelite-clients", "--period", "2026-11"])
        .success();
    assert!(
        !ran.stdout().contains("outside the send window"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn check_warns_about_waves_outside_the_send_window() {
    // Whatever today is, a year of waves on the 2nd at 10:00 has some on a weekend, outside
    // the example's Monday–Friday window; a warning, not a problem.
    let ran = Project::example().args(["check", "programs"]).success();
    assert!(
        ran.stderr().contains(
            "of the next 12 waves fall outside the send window of channel `email`; the first, at "
        ),
        "{}",
        ran.stderr()
    );
}

/// Issue 13 point 13: French email texts keep `? ! : ;` on the line of their word — a
/// no-break space (U+00A0 before `:`, U+202F before the others), never a plain one.
#[test]
fn french_email_templates_use_no_break_spaces_before_double_punctuation() {
    let folder = repo_path("templates/email");
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).expect("templates/email") {
        let path = entry.expect("entry").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if !name.is_some_and(|n| n.contains(".fr.")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("template");
        for mark in [" ?", " !", " ;", " :"] {
            assert!(
                !text.contains(mark),
                "{} has a plain space before `{}`",
                path.display(),
                mark.trim()
            );
        }
        checked += 1;
    }
    assert_eq!(
        checked, 9,
        "three French parts of three emails (invitation, reminder, alert)"
    );
}
