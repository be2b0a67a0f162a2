//! What a newcomer sees from `ecoute send`: emails in `outbox/` at any hour, an email that
//! names the experience, and times in the program's time zone.

use crate::harness::{Project, parse_email};
use crate::support::{TestDb, both_backends};

/// Saturday 28 November 2026, 21:00 in Paris: outside the example's Monday–Friday
/// 09:00–19:00 send window.
const SATURDAY_EVENING: &str = "2026-11-28T20:00:00Z";

both_backends!(the_first_command_writes_emails_on_a_saturday_evening);

async fn the_first_command_writes_emails_on_a_saturday_evening(db: TestDb) {
    let project = Project::example().database(db).mail_folder();
    let ran = project
        .args([
            "send",
            "fidelite-clients",
            "--period",
            "2026-11",
            "--at",
            SATURDAY_EVENING,
        ])
        .success();
    assert!(
        ran.stderr().contains("ignores send windows"),
        "{}",
        ran.stderr()
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
