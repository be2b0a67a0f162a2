//! Issue 13, "check and init": what a newcomer trips on in `ecoute check` and `ecoute init`.

use crate::harness::{Project, repo_path};

/// The repository's example program, with `from` replaced by `to` once.
fn example_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml"))
        .expect("read the example program");
    assert!(
        text.contains(from),
        "test setup: {from:?} not in the example"
    );
    text.replacen(from, to, 1)
}

/// 1-based number of the line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|line| line.starts_with(prefix))
        .expect("test setup: line present")
        + 1
}

fn check(text: &str) -> crate::harness::Ran {
    Project::new()
        .file("programs/p.yaml", text)
        .repo_file("programs/contacts/clients.csv")
        .args(["check"])
        .run()
        .no_panic()
}

#[test]
fn a_tab_is_reported_on_its_own_line_and_column_with_the_hint() {
    let text = example_with(
        "\n    csv: contacts/clients.csv",
        "\n\tcsv: contacts/clients.csv",
    );
    let line = line_of(&text, "\tcsv:");
    check(&text)
        .status(1)
        .stderr_has(&format!("programs/p.yaml:{line}:1"))
        .stderr_has("YAML indentation must use spaces, not tabs");
    let text = example_with("    type: email\n", "  \t  type: email\n");
    let line = line_of(&text, "  \t  type:");
    check(&text)
        .status(1)
        .stderr_has(&format!("programs/p.yaml:{line}:3"))
        .stderr_has("YAML indentation must use spaces, not tabs");
}

#[test]
fn an_unknown_question_type_names_the_allowed_types() {
    check(&example_with(
        "type: nps\n        required",
        "type: rating\n        required",
    ))
    .status(1)
    .stderr_has(
        "unknown question type `rating`: expected one of nps, csat, ces, yes_no, single, \
             multi, text",
    )
    .stderr_lacks("unknown variant");
}

#[test]
fn an_enum_value_in_the_wrong_case_suggests_the_right_one() {
    check(&example_with(
        "type: csat\n        scale: stars5",
        "type: CSAT\n        scale: stars5",
    ))
    .status(1)
    .stderr_has("unknown question type `CSAT`")
    .stderr_has("did you mean `csat`?");
    check(&example_with("    type: email\n", "    type: Email\n"))
        .status(1)
        .stderr_has("unknown channel type `Email`")
        .stderr_has("did you mean `email`?")
        .stderr_lacks("unknown variant");
}

#[test]
fn an_unknown_key_does_not_stop_the_other_checks() {
    let text = example_with(
        "    sample: livres-du-mois\n",
        "    sample: livres-du-mois\n    show_if: recommandation <= 6\n",
    )
    .replacen("timezone: Europe/Paris", "timezone: Europe/Pariss", 1);
    let line = line_of(&text, "    show_if: recommandation");
    check(&text)
        .status(1)
        .stderr_has("unknown field `show_if`")
        .stderr_has(&format!("programs/p.yaml:{line}:5"))
        .stderr_has("unknown time zone `Europe/Pariss`")
        .stdout_has("2 problems");
}

#[test]
fn a_template_error_names_the_variable_its_file_and_line() {
    let project = Project::example().file(
        "templates/email/invitation.fr.txt",
        "Bonjour,\n\nMerci de répondre :\n{{ survey_titel }} {{ survey_url }}\n",
    );
    project
        .args(["check", "--templates", "templates"])
        .run()
        .no_panic()
        .status(1)
        .stderr_has("`survey_titel`")
        .stderr_has("invitation.fr.txt:4:4")
        .stderr_has("did you mean `survey_title`?");
}

#[test]
fn init_names_the_smtp_variable_writes_a_gitignore_and_leads_to_the_report() {
    let project = Project::new();
    let ran = project.args(["init", "."]).success();
    let config = std::fs::read_to_string(project.join("ecoute.toml")).expect("ecoute.toml");
    assert!(config.contains("ECOUTE_SMTP_USERNAME"), "{config}");
    let ignore = std::fs::read_to_string(project.join(".gitignore")).expect(".gitignore");
    for entry in ["ecoute.db*", "ecoute.secret", "outbox/", "reports/"] {
        assert!(
            ignore.lines().any(|line| line == entry),
            "{entry} in {ignore}"
        );
    }
    let out = ran.stdout();
    for step in ["ecoute send", "ecoute serve", "ecoute report"] {
        assert!(out.contains(step), "{step} in {out}");
    }
    // The suggested steps run as printed: this test's binary is not on PATH, so they name it
    // by its full path.
    let check = out
        .lines()
        .find_map(|line| line.trim().split_once(" # validate the program"))
        .map(|(command, _)| command.trim().to_owned())
        .unwrap_or_else(|| panic!("a check step in {out}"));
    let program = check.strip_suffix(" check").expect("`… check`");
    assert_eq!(
        std::fs::canonicalize(program).expect("the printed program exists"),
        std::fs::canonicalize(env!("CARGO_BIN_EXE_ecoute")).expect("this test's binary"),
    );
    let status = std::process::Command::new(program)
        .arg("check")
        .current_dir(project.join("."))
        .output()
        .expect("the printed command starts");
    assert!(status.status.success(), "{status:?}");
}

#[test]
fn counts_agree_with_their_noun() {
    Project::new()
        .file("programs/p.yaml", crate::check::MINIMAL)
        .args(["check"])
        .success()
        .stdout_has("test: 2 touchpoints, 1 survey, 2 questions, 1 channel\n")
        .stdout_has("1 file checked, 0 problems");
}
