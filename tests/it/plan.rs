//! `ecoute plan` and `ecoute contacts`: reproducible samples on both backends, idempotent
//! commits, and the bad inputs of the store-and-sampling issue.

use crate::harness::Project;
use crate::support::TestDb;

/// Ten contacts: 3 `pro`, 5 `part`, 2 without a segment.
const CONTACTS: &str = "\
email,first_name,locale,segment,region
a@example.org,Anne,fr,pro,IDF
b@example.org,Bruno,fr,pro,IDF
c@example.org,Chloé,fr,pro,ARA
d@example.org,Denis,fr,part,IDF
e@example.org,Emma,en,part,ARA
f@example.org,Farid,fr,part,IDF
g@example.org,Gaëlle,fr,part,ARA
h@example.org,Hugo,fr,part,IDF
i@example.org,Inès,fr,,IDF
j@example.org,Jules,fr,,ARA
";

const PROGRAM: &str = r#"program:
  id: essai
  title: { fr: Essai }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "CX <cx@example.org>" }
touchpoints:
  - { id: livraison, name: { fr: Livraison }, stage: livraison }
surveys:
  - id: pros
    touchpoint: livraison
    sample: pros
    channels: [email]
    title: { fr: Livraison }
    questions:
      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }
  - id: tous
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: { fr: Livraison }
    questions:
      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }
contacts:
  - { id: base, store: true }
  - { id: fichier, csv: contacts.csv }
samples:
  - { id: pros, contacts: base, filter: 'segment == "pro"', size: 2, seed: 1 }
  - { id: tous, contacts: fichier, size: 40, strata: [region], seed: 1 }
channels:
  - { id: email, type: email, template: invitation, reminder_days: [4] }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
"#;

/// The test program and its contacts (also at the top, for `contacts import`).
fn files() -> Project {
    Project::new()
        .program("essai", PROGRAM)
        .contacts(CONTACTS)
        .file("contacts.csv", CONTACTS)
}

/// [`files`] on `db`.
fn project(db: TestDb) -> Project {
    files().database(db)
}

fn import(project: &Project) {
    project
        .args(["contacts", "import", "contacts.csv"])
        .success()
        .stdout_has("10 rows read (UTF-8, delimiter ','): 10 imported, 0 updated, 0 rejected");
}

fn plan_json(project: &Project) -> String {
    project
        .args([
            "plan", "essai", "--period", "2026-11", "--list", "--format", "json",
        ])
        .success()
        .stdout()
}

#[tokio::test]
async fn the_same_inputs_give_byte_identical_plans_on_sqlite_and_postgres() {
    let sqlite = project(TestDb::sqlite());
    let postgres = project(TestDb::postgres().await);
    import(&sqlite);
    import(&postgres);
    let on_sqlite = plan_json(&sqlite);
    let on_postgres = plan_json(&postgres);
    assert_eq!(on_sqlite, on_postgres);

    let plan: serde_json::Value = serde_json::from_str(&on_sqlite).expect("JSON");
    let pros = &plan["surveys"][0]["sample"];
    // 10 contacts; 7 lack `segment == "pro"` (5 part + 2 without a segment); 3 eligible; 2 drawn.
    assert_eq!(pros["population"], 10);
    assert_eq!(pros["excluded_filter"], 7);
    assert_eq!(pros["filter_missing_attribute"]["segment"], 2);
    assert_eq!(pros["eligible"], 3);
    assert_eq!(pros["not_drawn"], 1);
    assert_eq!(pros["drawn"].as_array().map(Vec::len), Some(2));
    for drawn in pros["drawn"].as_array().into_iter().flatten() {
        let email = drawn["email"].as_str().unwrap_or_default();
        assert!(
            ["a@example.org", "b@example.org", "c@example.org"].contains(&email),
            "{email}"
        );
    }
    // 40 asked from 10 in the file: all taken, and the plan says so.
    let everyone = &plan["surveys"][1]["sample"];
    assert_eq!(everyone["drawn"].as_array().map(Vec::len), Some(10));
    assert_eq!(everyone["warnings"][0]["kind"], "shortfall");
    assert_eq!(everyone["warnings"][0]["requested"], 40);
    assert_eq!(everyone["warnings"][0]["eligible"], 10);
    assert_eq!(
        plan["surveys"][0]["waves"][0]["at"],
        "2026-11-02 10:00 CET (Mon)"
    );
}

#[test]
fn a_missing_filter_attribute_is_counted_and_explained() {
    let project = project(TestDb::sqlite());
    import(&project);
    project
        .args(["plan", "essai", "--period", "2026-11"])
        .run()
        .status(0)
        .stdout_has("2 contacts have no `segment`: treated as not matching the filter")
        .stdout_has("Dry run: nothing was written");
}

#[test]
fn a_forgotten_person_is_suppressed_in_every_plan() {
    let project = project(TestDb::sqlite());
    import(&project);
    project
        .args(["contacts", "forget", "e@example.org"])
        .run()
        .status(0);
    let plan: serde_json::Value = serde_json::from_str(&plan_json(&project)).expect("JSON");
    // The CSV source still has the row; suppression excludes it before anything else.
    assert_eq!(plan["surveys"][1]["sample"]["excluded_suppressed"], 1);
    // The store source no longer has the person at all.
    assert_eq!(plan["surveys"][0]["sample"]["population"], 9);
}

#[tokio::test]
async fn two_concurrent_commits_on_postgres_create_one_wave() {
    let project = project(TestDb::postgres().await);
    import(&project);
    let commit = || {
        project
            .args([
                "plan", "essai", "--period", "2026-11", "--commit", "--format", "json",
            ])
            .success()
            .json()
    };
    let outputs: Vec<serde_json::Value> = std::thread::scope(|scope| {
        let first = scope.spawn(commit);
        let second = scope.spawn(commit);
        [first, second]
            .into_iter()
            .map(|handle| handle.join().expect("thread"))
            .collect()
    });
    for survey in 0..2 {
        let created: Vec<bool> = outputs
            .iter()
            .map(|o| o["committed"][survey]["created"].as_bool().unwrap_or(false))
            .collect();
        assert_eq!(
            created.iter().filter(|c| **c).count(),
            1,
            "exactly one creates: {created:?}"
        );
        assert_eq!(
            outputs[0]["committed"][survey]["wave_id"],
            outputs[1]["committed"][survey]["wave_id"]
        );
    }
    let store = project.store().await;
    let wave_id = outputs[0]["committed"][1]["wave_id"]
        .as_i64()
        .expect("wave id");
    let invitations = store.wave_invitations(wave_id).await.expect("invitations");
    let mut emails: Vec<&str> = invitations
        .iter()
        .map(|i| i.email.as_deref().unwrap_or_default())
        .collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(invitations.len(), 10, "one invitation per contact");
    assert_eq!(emails.len(), 10, "no contact twice");
}

#[test]
fn a_database_url_typo_is_a_clear_usage_error() {
    files()
        .args(["contacts", "list", "--database-url", "sqlit://ecoute.db"])
        .run()
        .no_panic()
        .status(2)
        .stderr_has("sqlit://ecoute.db")
        .stderr_has("sqlite://");
}

#[test]
fn a_semicolon_latin1_export_imports_and_strict_mode_writes_nothing() {
    let mut latin1 = b"email;first_name;segment\n".to_vec();
    latin1.extend_from_slice(b"zoe@example.org;Zo\xe9;pro\nnot-an-email;Bad;pro\n");
    let project = Project::new()
        .file("export.csv", &latin1)
        .database(TestDb::sqlite());
    project
        .args(["contacts", "import", "export.csv", "--strict"])
        .run()
        .status(1)
        .stderr_has("line 3")
        .stdout_has("nothing imported");
    project
        .args(["contacts", "import", "export.csv"])
        .run()
        .status(1)
        .stdout_has("(windows-1252, delimiter ';'): 1 imported, 0 updated, 1 rejected");
    project
        .args(["contacts", "list"])
        .run()
        .status(0)
        .stdout_has("zoe@example.org")
        .stdout_has("Zoé");
}
