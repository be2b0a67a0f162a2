//! `ecoute demo`: the command itself on SQLite in a temporary folder (its outputs and its
//! refusals), and the same loop with the daemon as a child process, the SMTP test server
//! and PostgreSQL, whose JSON report is checked against the answers the test posted.

use std::path::Path;
use std::time::{Duration, Instant};

use ecoute::demo::{self, FIRST_PERIOD, PROGRAM, Posted, Respondents, SECOND_PERIOD};
use serde_json::Value;

use crate::harness::{Project, SmtpServer};
use crate::support::TestDb;

/// The report row of `kpi` for `touchpoint`.
fn row<'a>(report: &'a Value, touchpoint: &str, kpi: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["group"] == touchpoint && r["kpi"] == kpi && r["source"] == "survey")
        .unwrap_or_else(|| panic!("no {kpi} row for {touchpoint} in {report}"))
}

/// The numeric answers to `question` of `survey` in `period`.
fn scores(posted: &[Posted], survey: &str, period: &str, question: &str) -> Vec<f64> {
    posted
        .iter()
        .filter(|p| p.survey == survey && p.period == period)
        .filter_map(|p| p.answers.iter().find(|(q, _)| q == question))
        .map(|(_, v)| v.parse().expect("a number"))
        .collect()
}

/// NPS by its definition: the share of 9–10 minus the share of 0–6, in points.
fn nps(scores: &[f64]) -> f64 {
    let promoters = scores.iter().filter(|s| **s >= 9.0).count() as f64;
    let detractors = scores.iter().filter(|s| **s <= 6.0).count() as f64;
    100.0 * (promoters - detractors) / scores.len() as f64
}

/// The share of `1` (yes) answers, in percent.
fn share_of_yes(answers: &[f64]) -> f64 {
    100.0 * answers.iter().filter(|a| **a == 1.0).count() as f64 / answers.len() as f64
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Checks a KPI of the report (`value`/`n`, or `prev_value`/`prev_n`) against the
/// answers: their count, and the KPI computed from them (no value without answers).
fn expect_kpi(row: &Value, keys: (&str, &str), answers: &[f64], kpi: fn(&[f64]) -> f64) {
    let (value, n) = keys;
    assert_eq!(row[n], answers.len(), "{n}: {row}");
    if answers.is_empty() {
        assert!(row[value].is_null(), "{value} without answers: {row}");
        return;
    }
    let got = row[value]
        .as_f64()
        .unwrap_or_else(|| panic!("{value}: no value in {row}"));
    let expected = kpi(answers);
    assert!(
        (got - expected).abs() < 1e-6,
        "{value}: report {got}, answers {expected}: {row}"
    );
}

#[test]
fn ecoute_demo_writes_its_reports_and_refuses_folders_it_does_not_own() {
    let project = Project::new();
    let ran = project
        .args(["demo", "--dir", "essai"])
        .success()
        .stdout_has("ecoute report fidelite-clients --period 2026-11 --format md")
        .stdout_has("ecoute status")
        .no_panic();
    let dir = project.join("essai");
    assert!(dir.join(demo::MARKER).exists());
    let emails = dir.join("outbox").read_dir().expect("outbox").count();
    assert!(emails > 1_000, "{emails} emails");
    let html = std::fs::read_to_string(dir.join("reports/rapport-2026-11.html")).expect("html");
    assert!(html.contains("<html"), "an HTML page");
    let md = std::fs::read_to_string(dir.join("reports/rapport-2026-11.md")).expect("md");
    assert!(md.contains("livraison") || md.contains("Livraison"), "{md}");
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reports/rapport-2026-11.json")).expect("json"),
    )
    .expect("JSON");
    // The personas make delivery better (promoters drawn at 55 % instead of 30 %,
    // detractors at 15 % instead of 40 %) and the contact centre worse (resolution at
    // 55 % instead of 82 %): both changes are significant with a few hundred answers.
    let delivery = row(&json, "livraison", "nps");
    assert!(
        delivery["delta"].as_f64().expect("delta") > 20.0,
        "{delivery}"
    );
    assert_eq!(delivery["significance"], "significant", "{delivery}");
    let calls = row(&json, "centre-contacts", "fcr");
    assert!(calls["delta"].as_f64().expect("delta") < -10.0, "{calls}");
    assert_eq!(calls["significance"], "significant", "{calls}");
    // The example indicators are imported too: the waiting time is the aggregate of
    // programs/indicateurs/ (58.3 s in November over 1,795 calls, 74.5 s in October).
    let waiting = json["rows"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["kpi"] == "attente" && r["group_by"] == "all")
        })
        .unwrap_or_else(|| panic!("no waiting-time row in {json}"));
    assert_eq!(waiting["source"], "indicator", "{waiting}");
    assert_eq!(waiting["n"], 1795, "{waiting}");
    assert!((waiting["value"].as_f64().expect("value") - 58.3).abs() < 1e-9);
    assert!((waiting["prev_value"].as_f64().expect("previous") - 74.5).abs() < 1e-9);
    let stdout = ran.stdout();
    // The demo's outbox as `ecoute status` shows it: the alerts to staff left on the
    // rehearsal clock (none expired unsent), folded into a line per period, and no message
    // was taken over as possibly sent twice.
    let url = format!("sqlite://{}", dir.join("ecoute.db").display());
    let status = project
        .args(["status", "--database-url", &url])
        .success()
        .stdout();
    assert!(
        status.contains(" · alerts to staff · 2026-10: "),
        "{status}"
    );
    assert!(!status.contains("!alert"), "{status}");
    assert!(!status.contains("expired"), "{status}");
    assert!(!status.contains("possibly sent twice"), "{status}");

    // A second run starts over in the same folder: its outbox holds only its own emails
    // (the figure it prints), not those of the first run too. (Its report equals the
    // first's only when the machine keeps up with the clock, so it is not compared here.)
    let second = project.args(["demo", "--dir", "essai"]).success().stdout();
    let written: usize = second
        .split(" emails written")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no email count in {second}"));
    let emails_now = dir.join("outbox").read_dir().expect("outbox").count();
    assert_eq!(emails_now, written, "{stdout}\n{second}");
    assert!(dir.join("reports/rapport-2026-11.json").exists());

    // A folder with someone's files is refused, and the files stay.
    project.write("mine/notes.txt", "précieux");
    project
        .args(["demo", "--dir", "mine"])
        .run()
        .status(2)
        .stderr_has("did not write (such as `notes.txt`)")
        .stderr_has("choose another folder with --dir");
    assert_eq!(
        std::fs::read_to_string(project.join("mine/notes.txt")).expect("kept"),
        "précieux"
    );
    // A file is not a folder.
    project
        .args(["demo", "--dir", "mine/notes.txt"])
        .run()
        .status(2)
        .stderr_has("is a file, not a folder");
    // A folder nobody may write into (sysfs refuses even root).
    project
        .args(["demo", "--dir", "/sys/kernel/ecoute-demo"])
        .run()
        .status(2)
        .stderr_has("cannot write the demo into /sys/kernel/ecoute-demo")
        .stderr_has("choose a folder you can write to");
    // A port already taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port().to_string();
    project
        .args(["demo", "--dir", "essai", "--port", &port])
        .run()
        .status(2)
        .stderr_has(&format!("cannot listen on 127.0.0.1:{port}"))
        .stderr_has("--port 0 for any free one");
}

/// Waits until the daemon closed `period`, reading mail meanwhile.
async fn answer_until_closed(
    respondents: &mut Respondents,
    store: &ecoute::store::Store,
    maildir: &Path,
    daemon: &crate::harness::Daemon,
) {
    let started = Instant::now();
    loop {
        respondents
            .read_mail(store, maildir)
            .await
            .unwrap_or_else(|e| panic!("{e}; daemon log:\n{}", daemon.log()));
        let closed = store.closed_periods(PROGRAM).await.expect("closed periods");
        if closed.iter().any(|p| p == SECOND_PERIOD) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(400),
            "{SECOND_PERIOD} never closed; log:\n{}",
            daemon.log()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn the_demo_loop_on_a_daemon_smtp_and_postgresql_reports_what_was_answered() {
    let smtp = SmtpServer::start(&[]);
    let project = Project::new()
        .database(TestDb::postgres().await)
        .mail(&smtp.url());
    demo::write_program(project.path(), 1_000).expect("program and contacts");
    let store = project.store().await;
    demo::import_contacts(&store, project.path())
        .await
        .expect("contacts");
    // A third of the demo's pace: the emails go through SMTP and the respondents read
    // them from the server's folder, so both lag more than with the file outbox.
    let rate = (demo::CLOCK_RATE / 3.0).to_string();
    let daemon = project.daemon(&["--at", demo::START, "--clock-rate", &rate]);
    let mut respondents = Respondents::new(
        &format!("http://{}", daemon.address),
        PROGRAM,
        SECOND_PERIOD,
    );
    answer_until_closed(&mut respondents, &store, smtp.maildir(), &daemon).await;
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("panicked"), "{log}");

    let report = project
        .args([
            "report",
            PROGRAM,
            "--period",
            SECOND_PERIOD,
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(report["stamp"]["vs_period"], FIRST_PERIOD);
    let posted = &respondents.posted;
    let periods = [
        (SECOND_PERIOD, ("value", "n")),
        (FIRST_PERIOD, ("prev_value", "prev_n")),
    ];
    for (period, keys) in periods {
        for touchpoint in ["livraison", "sav"] {
            let given = scores(posted, touchpoint, period, "recommandation");
            expect_kpi(row(&report, touchpoint, "nps"), keys, &given, nps);
        }
        let resolved = scores(posted, "centre-contacts", period, "resolu");
        expect_kpi(
            row(&report, "centre-contacts", "fcr"),
            keys,
            &resolved,
            share_of_yes,
        );
        let effort = scores(posted, "centre-contacts", period, "effort");
        expect_kpi(row(&report, "centre-contacts", "ces"), keys, &effort, mean);
    }
    // Deliveries were answered in both periods, and the change is the difference of the
    // two NPS computed from the answers.
    let after = scores(posted, "livraison", SECOND_PERIOD, "recommandation");
    let before = scores(posted, "livraison", FIRST_PERIOD, "recommandation");
    assert!(!after.is_empty() && !before.is_empty(), "{posted:?}");
    let delivery = row(&report, "livraison", "nps");
    let delta = delivery["delta"].as_f64().expect("a change");
    assert!(
        (delta - (nps(&after) - nps(&before))).abs() < 1e-6,
        "{delivery}"
    );
    assert!(!respondents.unsubscribed.is_empty(), "some unsubscribed");
}
