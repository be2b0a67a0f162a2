//! Issue 11, data safety: `contacts forget` erases for real, files are private whatever the
//! umask, secrets are never echoed, and symlink loops in `programs/` cannot hang a walk.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{Project, finished};

/// `check` on a programs folder holding two symlinks to itself finishes within 5 seconds
/// (killed and failed otherwise) and reports the one program once.
#[test]
#[cfg(unix)]
fn a_symlink_loop_in_programs_is_walked_once_and_fast() {
    let project = Project::example();
    for link in ["programs/boucle", "programs/encore"] {
        std::os::unix::fs::symlink(".", project.join(link)).expect("symlink");
    }
    let mut child = project
        .args(["check", "--format", "json"])
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ecoute check");
    let started = Instant::now();
    while child.try_wait().expect("poll").is_none() {
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`check` on a symlink loop ran for more than 5 seconds");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = finished(child).no_panic().json();
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{report:#}");
    assert_eq!(files[0]["program"], "fidelite-clients", "{report:#}");
}

/// A password written into the mail URL never comes back in the error that refuses it.
#[test]
fn a_password_in_the_mail_url_is_masked_in_errors() {
    let project = Project::example();
    let ran = project
        .args(["send", "fidelite-clients", "--period", "2026-11"])
        .args(["--mail", "smtp://bob:Sup3rS3cretPW@mail.example.org:587"])
        .run()
        .no_panic();
    assert_ne!(ran.stderr(), "");
    ran.stderr_lacks("Sup3rS3cretPW")
        .stderr_has("smtp://bob:***@mail.example.org:587")
        .stderr_has("ECOUTE_SMTP_PASSWORD");
}

/// A malformed `ecoute.toml` is reported at its line, without the value of a secret key.
#[test]
fn a_broken_config_file_never_shows_a_secret_value() {
    for (line, secret) in [
        ("admin_token = \"T0pS3cretT0ken", "T0pS3cretT0ken"),
        ("admin_token = T0pS3cretT0ken", "T0pS3cretT0ken"),
        (
            "database_url = \"postgres://u:DbPassw0rd@h/db",
            "DbPassw0rd",
        ),
        ("smtp_password = \"M4ilPassw0rd\"", "M4ilPassw0rd"),
    ] {
        let project =
            Project::new().file("ecoute.toml", format!("listen = \"127.0.0.1:1\"\n{line}\n"));
        let ran = project.args(["db", "status"]).run().no_panic();
        assert_ne!(ran.stderr(), "", "{line}");
        ran.stderr_has("ecoute.toml")
            .stderr_has("line 2")
            .stderr_lacks(secret);
    }
}
