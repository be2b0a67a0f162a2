//! Issue 11, data safety: `contacts forget` erases for real, files are private whatever the
//! umask, secrets are never echoed, and symlink loops in `programs/` cannot hang a walk.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use ecoute::collect::{AppState, ServerOptions, router};
use ecoute::program::Program;
use ecoute::templates::Templates;
use ecoute::token::Token;

use crate::collect::{answer, current_period, encode, form_post, generous, get, send};
use crate::harness::{Project, finished, load_program, parse_email};
use crate::support::{TestDb, both_backends};

/// The dispatch tests' program with a free-text question, and a wave due since the 1st of
/// the month so that `send` sends now.
pub(crate) fn program_with_verbatim() -> String {
    crate::dispatch::PROGRAM
        .replace(
            "      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }\n",
            "      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }\n      \
             - { id: pourquoi, type: text, required: false, text: { fr: Pourquoi ? } }\n",
        )
        .replace("\"0 10 2 * *\"", "\"0 0 1 * *\"")
}

/// The person to erase: every value is unique in the database, so a byte search finds only
/// their copies.
const ERASED_EMAIL: &str = "zephyrine.quintavalle@example.org";
const ERASED_VALUES: [&str; 4] = [
    "Zéphyrine",
    "Quintavalle-Brun",
    "ZX-4471-QK",
    "Hortensius a jeté le colis par-dessus la haie",
];
/// The other person, kept: proves the byte search sees the data that should be there.
const KEPT_VALUE: &str = "AB-0000-KEEP";

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

/// The web application on the project's program and store, as `ecoute serve` runs it.
fn web(program: Program, store: &ecoute::store::Store) -> Router {
    let state = AppState::new(
        store.clone(),
        vec![program],
        Templates::new(None),
        &ServerOptions {
            limits: generous(),
            ..ServerOptions::default()
        },
    );
    router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 10], 5000))))
}

/// The survey-link token in the email sent to `to`, from the outbox.
fn token_of(project: &Project, to: &str) -> String {
    for path in project.emails() {
        let email = parse_email(&path);
        if email["headers"]["To"]
            .as_str()
            .is_some_and(|t| t.contains(to))
        {
            let text = email["text"].as_str().expect("text part");
            let link = text
                .split_whitespace()
                .find_map(|w| w.strip_prefix("https://avis.example.org/s/"))
                .expect("a survey link");
            return Token::parse(link).expect("a token").as_str().to_owned();
        }
    }
    panic!("no email to {to}");
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

/// `contacts forget` leaves nothing of the person: no row holds their data (both backends),
/// the SQLite file and its write-ahead log hold none of their strings, their link answers the
/// 404 of an unknown link and stores nothing, and their emails are gone from the outbox.
async fn forget_erases_the_person_from_rows_files_links_and_outbox(db: TestDb) {
    let csv = format!(
        "email,first_name,last_name,client_ref\n\
         {ERASED_EMAIL},Zéphyrine,Quintavalle-Brun,ZX-4471-QK\n\
         garde@example.org,Gardé,Durand,{KEPT_VALUE}\n"
    );
    let sqlite_dir = db.dir.as_ref().map(|d| d.path().to_path_buf());
    let project = Project::new()
        .program("essai", &program_with_verbatim())
        .contacts(&csv)
        .database(db)
        .mail_folder()
        .public_url("https://avis.example.org");
    let program = load_program(&project.join("programs/essai.yaml"));
    let period = current_period(&program);
    project
        .args(["send", "essai", "--period", &period])
        .success()
        .stdout_has("sent 2 invitations");
    assert_eq!(project.emails().len(), 2);

    let store = project.store().await;
    let app = web(program, &store);
    let token = token_of(&project, ERASED_EMAIL);
    let kept_token = token_of(&project, "garde@example.org");
    for (token, verbatim) in [(&token, ERASED_VALUES[3]), (&kept_token, "Très bien")] {
        let reply = answer(
            &app,
            token,
            &[("q.recommandation", "9"), ("q.pourquoi", verbatim)],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    assert_eq!(store.count_responses().await.expect("count"), 2);

    project
        .args(["contacts", "forget", ERASED_EMAIL])
        .success()
        .stdout_has("1 outbox email");

    // The rows: nothing of the person, on either backend.
    assert_eq!(
        store.get_contact(ERASED_EMAIL).await.expect("contact"),
        None
    );
    for id in 1..=2 {
        let row = store
            .outbox_row(id)
            .await
            .expect("row")
            .expect("invitation");
        assert_ne!(row.email.as_deref(), Some(ERASED_EMAIL));
    }
    let mut texts = Vec::new();
    for id in 1..=2 {
        let response = store.response(id).await.expect("response").expect("kept");
        assert_ne!(response.email.as_deref(), Some(ERASED_EMAIL));
        let respondent = serde_json::to_string(&response.respondent).expect("json");
        texts.push(respondent);
        texts.extend(response.answers.iter().filter_map(|a| a.text_value.clone()));
    }
    let rows = texts.join("\n");
    for value in ERASED_VALUES {
        assert!(!rows.contains(value), "{value} left in\n{rows}");
    }
    assert!(
        rows.contains(KEPT_VALUE) && rows.contains("Très bien"),
        "{rows}"
    );
    let mut groups: Vec<String> = store
        .rollups("essai", std::slice::from_ref(&period), "client_ref")
        .await
        .expect("rollups")
        .into_iter()
        .map(|c| c.key.segment_value)
        .collect();
    groups.dedup();
    assert_eq!(groups, [KEPT_VALUE], "the erased person's group is gone");

    // The files: the SQLite database and its write-ahead log hold none of their strings
    // (read while this process keeps the database open, as a running daemon would).
    if let Some(dir) = &sqlite_dir {
        let mut bytes = std::fs::read(dir.join("ecoute.db")).expect("database file");
        bytes.extend(std::fs::read(dir.join("ecoute.db-wal")).unwrap_or_default());
        for value in ERASED_VALUES {
            assert_eq!(
                count(&bytes, value),
                0,
                "`{value}` is still in the database files"
            );
        }
        assert!(count(&bytes, KEPT_VALUE) > 0, "the search sees kept data");
    }

    // The link: the same 404 as a link that never existed, and nothing stored.
    let unknown = get(&app, &format!("/s/{}", "A".repeat(43))).await;
    let erased = get(&app, &format!("/s/{token}")).await;
    assert_eq!(erased.status, StatusCode::NOT_FOUND);
    assert_eq!(erased.body, unknown.body);
    let post = send(
        &app,
        form_post(
            &format!("/s/{token}"),
            encode(&[("q.recommandation", "1"), ("q.pourquoi", "encore")]),
        ),
    )
    .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert_eq!(store.count_responses().await.expect("count"), 2);

    // The outbox: only the other person's email is left.
    let left = project.emails();
    assert_eq!(left.len(), 1, "{left:?}");
    let remaining = std::fs::read_to_string(&left[0]).expect("email");
    assert!(!remaining.contains("Quintavalle"), "{remaining}");
    store.close().await;
}

both_backends!(forget_erases_the_person_from_rows_files_links_and_outbox);

/// The ecoute binary run in `project` by `sh` after `umask 022`, as an operator's shell
/// would run it: new files would be world-readable unless ecoute chooses their mode.
#[cfg(unix)]
fn with_umask_022(project: &Project, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new("/bin/sh");
    command
        .current_dir(project.path())
        .args([
            "-c",
            "umask 022; exec \"$@\"",
            "sh",
            env!("CARGO_BIN_EXE_ecoute"),
        ])
        .args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ECOUTE_") {
            command.env_remove(key);
        }
    }
    command
}

#[cfg(unix)]
fn mode(project: &Project, relative: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let metadata =
        std::fs::metadata(project.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
    metadata.permissions().mode() & 0o777
}

/// With umask 022, the database and its `-wal`/`-shm`, the outbox folder and its emails are
/// still private; an existing world-readable link secret gets a warning.
#[test]
#[cfg(unix)]
fn files_with_personal_data_are_private_whatever_the_umask() {
    use std::io::BufRead;
    let project = Project::new()
        .program("essai", crate::dispatch::PROGRAM)
        .contacts("email,first_name\nana@example.org,Ana\nbob@example.org,Bob\n");

    // A server opens (and creates) the database and keeps it open: its log files exist.
    let mut server = with_umask_022(&project, &["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ecoute serve");
    let mut banner = String::new();
    std::io::BufReader::new(server.stderr.take().expect("stderr"))
        .read_line(&mut banner)
        .expect("banner");
    let modes: Vec<(&str, u32)> = ["ecoute.db", "ecoute.db-wal", "ecoute.db-shm"]
        .into_iter()
        .map(|file| (file, mode(&project, file)))
        .collect();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        modes,
        [
            ("ecoute.db", 0o600),
            ("ecoute.db-wal", 0o600),
            ("ecoute.db-shm", 0o600)
        ],
        "{banner}"
    );

    // `send` writes the emails: folder 0700, files 0600; the secret it creates is 0600.
    let sent = with_umask_022(&project, &["send", "essai", "--period", "2026-11"])
        .args(["--at", "2026-11-02T09:00:00Z"])
        .output()
        .expect("run send");
    let sent = crate::harness::Ran::from(sent).status(0).no_panic();
    sent.stderr_lacks("warning");
    assert_eq!(project.emails().len(), 2);
    assert_eq!(mode(&project, "outbox"), 0o700);
    for email in project.emails() {
        let relative = email.strip_prefix(project.path()).expect("in the project");
        assert_eq!(
            mode(&project, &relative.to_string_lossy()),
            0o600,
            "{email:?}"
        );
    }
    assert_eq!(mode(&project, "ecoute.secret"), 0o600);

    // A secret someone made world-readable is used, with a warning that says what to do.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            project.join("ecoute.secret"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
    }
    let again = with_umask_022(&project, &["send", "essai", "--period", "2026-11"])
        .args(["--at", "2026-11-02T09:00:00Z"])
        .output()
        .expect("run send");
    crate::harness::Ran::from(again)
        .status(0)
        .no_panic()
        .stderr_has("warning")
        .stderr_has("ecoute.secret")
        .stderr_has("chmod 600");
}
