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
