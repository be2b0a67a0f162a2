//! Contact import from real-world CSV files, and `forget`.

use std::io::Cursor;

use ecoute::contacts::{
    self, ImportError, ImportOptions, ImportSummary, RowProblem, parse::encoding_from_label,
};
use ecoute::records::SuppressionReason;
use ecoute::store::Store;
use serde_json::json;

use crate::support::{TestDb, both_backends};

async fn import(store: &Store, bytes: &[u8]) -> Result<ImportSummary, ImportError> {
    contacts::import(
        store,
        Cursor::new(bytes.to_vec()),
        &ImportOptions::default(),
    )
    .await
}

fn messages(summary: &ImportSummary) -> Vec<String> {
    summary.errors.iter().map(ToString::to_string).collect()
}

both_backends!(reimport_updates_instead_of_duplicating);

async fn reimport_updates_instead_of_duplicating(db: TestDb) {
    let store = db.open().await;
    let first = b"email,first_name,segment,orders\nA@X.fr,Ann,B2B,3\nb@x.fr,Bea,B2C,1\n";
    let summary = import(&store, first).await.expect("import");
    assert_eq!(
        (summary.inserted, summary.updated, summary.rejected),
        (2, 0, 0)
    );

    let second = b"email,segment,region\nA@x.FR,PME,IDF\nb@x.fr,,\nc@x.fr,B2C,\n";
    let summary = import(&store, second).await.expect("re-import");
    assert_eq!((summary.rows, summary.inserted, summary.updated), (3, 1, 2));
    assert_eq!(store.count_contacts().await.expect("count"), 3);

    let a = store.get_contact("A@x.fr").await.expect("get").expect("a");
    assert_eq!(a.first_name.as_deref(), Some("Ann"));
    assert_eq!(
        serde_json::Value::Object(a.attributes),
        json!({"orders": 3, "region": "IDF", "segment": "PME"})
    );
    let b = store.get_contact("b@x.fr").await.expect("get").expect("b");
    assert_eq!(
        serde_json::Value::Object(b.attributes),
        json!({"orders": 1, "segment": "B2C"}),
        "empty cells keep the stored values"
    );
}

#[tokio::test]
async fn a_file_without_an_email_column_is_refused() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let err = import(&store, "nom;prénom;mail\nDupont;Jean;j@x.fr\n".as_bytes())
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "no `email` column in the header (columns read with `;` as separator: nom, prénom, \
         mail); name the column of addresses `email`, or pass --delimiter if the separator is \
         wrong"
    );
    assert_eq!(store.count_contacts().await.expect("count"), 0);
}

#[tokio::test]
async fn invalid_emails_are_reported_by_line_and_the_rest_imported() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let csv = b"email,first_name\ngood@x.fr,G\njean.dupont,J\n,Nobody\nmarie@gmail,M\nok@y.fr,O\n";
    let summary = import(&store, csv).await.expect("import");
    assert_eq!(
        (summary.rows, summary.inserted, summary.rejected),
        (5, 2, 3)
    );
    assert_eq!(
        messages(&summary),
        [
            "line 3: invalid email `jean.dupont`: there is no `@`",
            "line 4: the email is empty",
            "line 5: invalid email `marie@gmail`: the domain `gmail` has no dot (missing `.fr`, `.com`…?)",
        ]
    );
    assert_eq!(store.count_contacts().await.expect("count"), 2);
}

#[tokio::test]
async fn a_latin1_file_keeps_its_accents() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    // "Hélène;Besançon" as Excel writes it on a French Windows: Windows-1252, `;`.
    let csv =
        b"email;first_name;last_name;ville\r\nhelene@x.fr;H\xe9l\xe8ne;Lef\xe8vre;Besan\xe7on\r\n";
    let summary = import(&store, csv).await.expect("import");
    assert_eq!((summary.encoding, summary.delimiter), ("windows-1252", ';'));
    assert_eq!(summary.inserted, 1);
    let helene = store
        .get_contact("helene@x.fr")
        .await
        .expect("get")
        .expect("imported");
    assert_eq!(helene.first_name.as_deref(), Some("Hélène"));
    assert_eq!(helene.last_name.as_deref(), Some("Lefèvre"));
    assert_eq!(helene.attributes.get("ville"), Some(&json!("Besançon")));
}

#[tokio::test]
async fn a_forced_encoding_is_used() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    // Valid UTF-8 that is really ISO-8859-15? No: force Latin-1 on "Ã©" and get two letters.
    let options = ImportOptions {
        encoding: Some(encoding_from_label("latin1").expect("label")),
        ..ImportOptions::default()
    };
    let csv = "email,first_name\nx@x.fr,é\n".as_bytes().to_vec();
    contacts::import(&store, Cursor::new(csv), &options)
        .await
        .expect("import");
    let x = store.get_contact("x@x.fr").await.expect("get").expect("x");
    assert_eq!(x.first_name.as_deref(), Some("Ã©"));
    let err = encoding_from_label("klingon").expect_err("unknown");
    assert!(
        err.to_string().starts_with("unknown encoding `klingon`"),
        "{err}"
    );
}

#[tokio::test]
async fn a_semicolon_file_with_bom_and_french_decimals() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let csv = "\u{feff}Email;First_Name;panier;client_depuis;newsletter;cp\n\
               a@x.fr;Anne;12,50;2024-03-01;oui;06000\n";
    let summary = import(&store, csv.as_bytes()).await.expect("import");
    assert_eq!(
        (summary.encoding, summary.delimiter, summary.inserted),
        ("UTF-8", ';', 1)
    );
    let a = store.get_contact("a@x.fr").await.expect("get").expect("a");
    assert_eq!(a.first_name.as_deref(), Some("Anne"));
    assert_eq!(
        serde_json::Value::Object(a.attributes),
        json!({"panier": 12.5, "client_depuis": "2024-03-01", "newsletter": true, "cp": "06000"})
    );
}

#[tokio::test]
async fn duplicate_emails_name_both_lines() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let csv = b"email,first_name\na@x.fr,First\nb@x.fr,B\n  a@X.FR ,Second\n";
    let summary = import(&store, csv).await.expect("import");
    assert_eq!((summary.inserted, summary.rejected), (2, 1));
    assert_eq!(
        summary.errors[0].problem,
        RowProblem::Duplicate {
            email: "a@x.fr".to_owned(),
            first_line: 2
        }
    );
    assert_eq!(
        messages(&summary),
        ["line 4: duplicate email `a@x.fr`, already on line 2 (that line was kept)"]
    );
    let a = store.get_contact("a@x.fr").await.expect("get").expect("a");
    assert_eq!(a.first_name.as_deref(), Some("First"));
}

#[tokio::test]
async fn an_empty_file_is_refused() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    for bytes in [&b""[..], b"\xef\xbb\xbf", b"\n\n  \n"] {
        let err = import(&store, bytes).await.expect_err("refused");
        assert!(matches!(err, ImportError::Empty), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the file is empty: expected a header line with an `email` column, then one contact per line"
        );
    }
    let summary = import(&store, b"email\n")
        .await
        .expect("a header alone is fine");
    assert_eq!(summary.rows, 0);
}

#[tokio::test]
async fn strict_mode_writes_nothing_when_a_row_is_bad() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let options = ImportOptions {
        strict: true,
        batch_size: 2,
        ..ImportOptions::default()
    };
    let csv = b"email\na@x.fr\nb@x.fr\nc@x.fr\nnot-an-email\n".to_vec();
    let err = contacts::import(&store, Cursor::new(csv), &options)
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "1 of 4 rows are invalid, so nothing was imported (strict mode); first: line 5: \
         invalid email `not-an-email`: there is no `@`"
    );
    assert_eq!(store.count_contacts().await.expect("count"), 0);

    let good = b"email\na@x.fr\nb@x.fr\nc@x.fr\n".to_vec();
    let summary = contacts::import(&store, Cursor::new(good), &options)
        .await
        .expect("import");
    assert_eq!(summary.inserted, 3);
}

#[tokio::test]
async fn quoted_newlines_and_wrong_field_counts() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let csv = b"email,note,segment\na@x.fr,\"line one\nline two\",B2B\nb@x.fr,too,many,fields\nc@x.fr,,B2C\n";
    let summary = import(&store, csv).await.expect("import");
    assert_eq!((summary.inserted, summary.rejected), (2, 1));
    assert_eq!(
        messages(&summary),
        ["line 4: 4 fields, but the header has 3 (a missing or extra separator?)"]
    );
    let a = store.get_contact("a@x.fr").await.expect("get").expect("a");
    assert_eq!(a.attributes.get("note"), Some(&json!("line one\nline two")));
}

#[tokio::test]
async fn batches_add_up() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let mut csv = String::from("email,n\n");
    for i in 0..23 {
        csv.push_str(&format!("p{i}@x.fr,{i}\n"));
    }
    let options = ImportOptions {
        batch_size: 5,
        ..ImportOptions::default()
    };
    let summary = contacts::import(&store, Cursor::new(csv.into_bytes()), &options)
        .await
        .expect("import");
    assert_eq!((summary.rows, summary.inserted), (23, 23));
    assert_eq!(store.count_contacts().await.expect("count"), 23);
}

#[tokio::test]
async fn a_forgotten_person_is_not_reimported() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    import(
        &store,
        b"email,first_name\nalice@x.fr,Alice\nbob@x.fr,Bob\n",
    )
    .await
    .expect("import");
    let report = contacts::forget(&store, " alice@X.FR ")
        .await
        .expect("forget");
    assert_eq!(report.contacts, 1);
    let suppressed = store.suppressions_for("alice@x.fr").await.expect("check");
    assert_eq!(suppressed[0].reason, SuppressionReason::Erased);

    let summary = import(
        &store,
        b"email,first_name\nalice@x.fr,Alice\nbob@x.fr,Bob\n",
    )
    .await
    .expect("re-import");
    assert_eq!(
        (summary.skipped_erased, summary.updated, summary.inserted),
        (1, 1, 0)
    );
    assert_eq!(store.get_contact("alice@x.fr").await.expect("get"), None);

    let err = contacts::forget(&store, "alice")
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "`alice` is not a valid email: there is no `@`"
    );
}
