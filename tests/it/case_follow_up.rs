//! The report's alert follow-up (issue 16, part 5): cases with known step times, written
//! through the store API, give counts, the share handled in time and median delays that
//! match a hand computation, and the list of overdue cases names no respondent; `/metrics`
//! counts the overdue case.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ecoute::cases::CaseStatus;
use ecoute::cases::NewCase;
use ecoute::store::Store;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::harness::Project;
use crate::reports::{report_json, response, run_report};
use crate::support::{TestDb, both_backends};

/// Stores a detractor of `period` opening a case due at `due_at`; returns the case's id
/// and opening time.
async fn open_case(
    store: &Store,
    email: &str,
    period: &str,
    due_at: Timestamp,
) -> (i64, Timestamp) {
    let mut r = response(email, "IDF", 2, None);
    r.period = period.to_owned();
    r.cases = vec![NewCase {
        rule_id: "detracteur-livraison".into(),
        due_at,
        alerts: Vec::new(),
    }];
    let response_id = store
        .insert_response(&r)
        .await
        .expect("stored")
        .expect("new");
    let case = store
        .cases(Some("fidelite-clients"))
        .await
        .expect("cases")
        .into_iter()
        .find(|c| c.response_id == response_id)
        .expect("a case");
    (case.id, case.opened_at)
}

/// Moves case `id` through `steps`, each `(from, to, hours after opening)`.
async fn steps(
    store: &Store,
    (id, opened): (i64, Timestamp),
    steps: &[(CaseStatus, CaseStatus, i64)],
) {
    for (from, to, hours) in steps {
        let at = opened + SignedDuration::from_hours(*hours);
        assert!(
            store
                .move_case(id, *from, *to, None, at)
                .await
                .expect("move"),
            "{id}: {from} → {to}"
        );
    }
}

fn close(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - expected).abs() < 1e-9, "{got} ≠ {expected}");
}

both_backends!(the_reports_alert_follow_up_matches_a_hand_computation);

async fn the_reports_alert_follow_up_matches_a_hand_computation(db: TestDb) {
    use CaseStatus::{Contacted, NotReachable, Open, Resolved};
    let project = Project::example().database(db);
    let store = project.store().await;
    let now = Timestamp::now();
    let promised = now + SignedDuration::from_hours(48);
    let a = open_case(&store, "a@example.org", "2026-11", promised).await;
    steps(
        &store,
        a,
        &[(Open, Contacted, 2), (Contacted, Resolved, 10)],
    )
    .await;
    let b = open_case(&store, "b@example.org", "2026-11", promised).await;
    steps(
        &store,
        b,
        &[(Open, Contacted, 60), (Contacted, Resolved, 100)],
    )
    .await;
    let c = open_case(&store, "c@example.org", "2026-11", promised).await;
    steps(&store, c, &[(Open, NotReachable, 5)]).await;
    let d = open_case(
        &store,
        "d@example.org",
        "2026-11",
        now - SignedDuration::from_hours(1),
    )
    .await;
    let _e = open_case(&store, "e@example.org", "2026-11", promised).await;
    let f = open_case(&store, "f@example.org", "2026-11", promised).await;
    steps(
        &store,
        f,
        &[(Open, Contacted, 4), (Contacted, Resolved, 20)],
    )
    .await;
    let g = open_case(&store, "g@example.org", "2026-10", promised).await;
    steps(&store, g, &[(Open, Contacted, 1)]).await;

    let report = report_json(&project, "2026-11", &[]);
    let follow_up = report["follow_up"].as_array().expect("follow_up");
    assert_eq!(follow_up.len(), 2, "{follow_up:#?}");
    // November, delivery: 6 cases opened (a–f).
    // Judged: a (contacted at 2 h, due at 48 h: in time), b (60 h: late), c (unreachable at
    // 5 h: in time), d (still open past due: late), f (4 h: in time); e is open and not due
    // yet, so not judged. In time: 3 of 5 = 60 %.
    // Contact delays: a 2 h, b 60 h, f 4 h → sorted 2, 4, 60 → median 4 h.
    // Resolution delays: a 10 h, b 100 h, f 20 h → sorted 10, 20, 100 → median 20 h.
    let november = &follow_up[0];
    assert_eq!(november["period"], "2026-11");
    assert_eq!(november["touchpoint"], "livraison");
    assert_eq!(november["opened"], 6);
    assert_eq!(november["judged"], 5);
    assert_eq!(november["in_time"], 3);
    close(&november["in_time_share"], 60.0);
    close(&november["median_hours_to_contact"], 4.0);
    close(&november["median_hours_to_resolution"], 20.0);
    // October (the comparison period): g, contacted after 1 h, not resolved.
    let october = &follow_up[1];
    assert_eq!(october["period"], "2026-10");
    assert_eq!(october["opened"], 1);
    close(&october["in_time_share"], 100.0);
    close(&october["median_hours_to_contact"], 1.0);
    assert!(october["median_hours_to_resolution"].is_null());

    // Only d is open past due.
    let overdue = report["overdue"].as_array().expect("overdue");
    assert_eq!(overdue.len(), 1, "{overdue:#?}");
    assert_eq!(overdue[0]["id"], d.0);
    assert_eq!(overdue[0]["rule"], "detracteur-livraison");
    assert!(overdue[0]["hours_overdue"].as_f64().expect("hours") >= 1.0);

    let markdown = run_report(&project, "2026-11", &["--format", "md"])
        .success()
        .stdout();
    assert!(markdown.contains("## Suivi des alertes"), "{markdown}");
    assert!(
        markdown.contains("| Livraison | 2026-11 | 6 | 60 % (3/5) | 4,0\u{a0}h | 20\u{a0}h |"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("- #{} detracteur-livraison", d.0)),
        "{markdown}"
    );
    let html = run_report(&project, "2026-11", &["--format", "html"])
        .success()
        .stdout();
    for text in [&report.to_string(), &markdown, &html] {
        assert!(
            !text.contains("@example.org"),
            "no respondent email in a report"
        );
    }

    let app = crate::collect::app(&store, Some("admin-secret"), crate::collect::generous());
    let request = Request::get("/metrics")
        .header(header::AUTHORIZATION, "Bearer admin-secret")
        .body(Body::empty())
        .expect("request");
    let metrics = crate::collect::send(&app, request).await;
    assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.body);
    assert!(
        metrics
            .body
            .contains("ecoute_cases_overdue{program=\"fidelite-clients\"} 1\n"),
        "{}",
        metrics.body
    );
}
