//! `ecoute check`: each bad input of the foundation issue gets a precise, positioned error.

use crate::harness::{Project, repo_path};

/// A small valid program; tests break one thing at a time with `replace`.
pub(crate) const MINIMAL: &str = r#"program:
  id: test
  title: { fr: Test, en: Test }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr, en]
  sender:
    from: "CX <cx@example.org>"
touchpoints:
  - id: livraison
    name: { fr: Livraison, en: Delivery }
    stage: livraison
  - id: magasin
    name: { fr: Magasin, en: Store }
    stage: achat
surveys:
  - id: livraison
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: { fr: Livraison, en: Delivery }
    questions:
      - id: recommandation
        type: nps
        text: { fr: Recommanderiez-vous ?, en: Would you recommend? }
      - id: pourquoi
        type: text
        show_if: recommandation <= 6
        text: { fr: Pourquoi ?, en: Why? }
contacts:
  - id: base
    store: true
samples:
  - id: tous
    contacts: base
    size: 100
channels:
  - id: email
    type: email
    template: invitation
    reminder_days: [4]
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
targets:
  - kpi: nps
    touchpoint: livraison
    at_least: 40
"#;

fn check_one(content: impl AsRef<[u8]>) -> crate::harness::Ran {
    Project::new()
        .file("programs/p.yaml", content)
        .args(["check"])
        .run()
        .no_panic()
}

fn broken(from: &str, to: &str) -> String {
    assert!(
        MINIMAL.contains(from),
        "test setup: {from:?} not in MINIMAL"
    );
    MINIMAL.replacen(from, to, 1)
}

#[test]
fn the_example_programs_pass() {
    Project::new()
        .args(["check", &repo_path("programs").display().to_string()])
        .run()
        .status(0)
        .stdout_has("fidelite-clients: 5 touchpoints")
        .stdout_has("support-quality")
        .stdout_has("2 files checked, 0 problems");
}

#[test]
fn the_minimal_program_passes() {
    check_one(MINIMAL)
        .status(0)
        .stdout_has("1 file checked, 0 problems");
}

#[test]
fn a_broken_copy_reports_every_problem_with_position_and_caret() {
    let text = broken(
        "touchpoint: livraison\n    sample",
        "touchpoint: livrasion\n    sample",
    )
    .replace("timezone: Europe/Paris", "timezone: Europe/Pariss")
    .replace("waves: \"0 10 2 * *\"", "waves: \"0 25 2 * *\"");
    check_one(text)
        .status(1)
        .stderr_has("error: unknown touchpoint `livrasion`")
        .stderr_has("programs/p.yaml:18:17")
        .stderr_has("^^^^^^^^^")
        .stderr_has("help: did you mean `livraison`?")
        .stderr_has("unknown time zone `Europe/Pariss`")
        .stderr_has("programs/p.yaml:4:13")
        .stderr_has("did you mean `Europe/Paris`?")
        .stderr_has("invalid cron expression `0 25 2 * *`")
        .stderr_has("programs/p.yaml:44:10")
        .stdout_has("3 problems");
}

#[test]
fn an_empty_file_is_refused() {
    check_one("# nothing yet\n\n")
        .status(1)
        .stderr_has("file is empty")
        .stderr_has("ecoute init");
}

#[test]
fn a_yaml_syntax_error_points_at_its_line() {
    check_one(broken("  id: test\n", "  id: [test\n"))
        .status(1)
        .stderr_has("programs/p.yaml:");
}

#[test]
fn tab_indentation_is_explained() {
    check_one(broken(
        "  timezone: Europe/Paris",
        "\ttimezone: Europe/Paris",
    ))
    .status(1)
    .stderr_has("programs/p.yaml:4:")
    .stderr_has("spaces, not tabs");
}

#[test]
fn a_wrong_type_names_the_field_and_line() {
    check_one(broken("size: 100", "size: \"lots\""))
        .status(1)
        .stderr_has("programs/p.yaml:36:11")
        .stderr_has("lots");
}

#[test]
fn an_unknown_key_is_an_error_with_a_suggestion() {
    check_one(broken("touchpoints:\n", "toucpoints:\n"))
        .status(1)
        .stderr_has("unknown field `toucpoints`")
        .stderr_has("programs/p.yaml:9:1")
        .stderr_has("did you mean `touchpoints`?");
}

#[test]
fn duplicate_ids_point_at_the_second_and_name_the_first() {
    check_one(broken("  - id: magasin\n", "  - id: livraison\n"))
        .status(1)
        .stderr_has("duplicate touchpoint `livraison`")
        .stderr_has("programs/p.yaml:13:9")
        .stderr_has("already defined on line 10");
}

#[test]
fn an_unknown_time_zone_without_a_close_match_gets_an_example() {
    check_one(broken("timezone: Europe/Paris", "timezone: Mars/Olympus"))
        .status(1)
        .stderr_has("unknown time zone `Mars/Olympus`")
        .stderr_has("IANA time zone name");
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_its_line() {
    let mut bytes = MINIMAL.as_bytes().to_vec();
    let at = MINIMAL.find("Delivery").expect("anchor");
    bytes.splice(at..at + 1, [0xE9]);
    let line = MINIMAL[..at].lines().count();
    let column = MINIMAL[..at]
        .lines()
        .last()
        .map_or(0, |l| l.chars().count())
        + 1;
    check_one(bytes)
        .status(1)
        .stderr_has(&format!("programs/p.yaml:{line}:{column}"))
        .stderr_has("not valid UTF-8")
        .stderr_has("Latin-1");
}

#[test]
fn a_billion_laughs_alias_bomb_is_rejected() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut previous = "a";
    for name in names {
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    let started = std::time::Instant::now();
    let ran = check_one(bomb).status(1);
    assert!(ran.stderr().contains("programs/p.yaml"), "{}", ran.stderr());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "an alias bomb must be rejected quickly"
    );
}

#[test]
fn ten_thousand_levels_of_nesting_are_rejected() {
    let deep = format!("program: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    check_one(deep).status(1).stderr_has("programs/p.yaml");
    let mut block = String::new();
    for depth in 0..10_000 {
        block.push_str(&" ".repeat(depth));
        block.push_str("k:\n");
    }
    check_one(block).status(1).stderr_has("programs/p.yaml");
}

#[test]
fn a_ten_megabyte_file_is_refused_without_a_crash() {
    let mut huge = MINIMAL.to_owned();
    while huge.len() < 10 * 1024 * 1024 {
        huge.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    check_one(huge)
        .status(1)
        .stderr_has("program files are limited to 2 MiB");
}

#[test]
fn in_a_folder_the_bad_file_is_reported_and_the_good_one_is_not_blamed() {
    Project::new()
        .file("programs/good.yaml", MINIMAL)
        .file(
            "programs/bad.yaml",
            broken("id: test", "id: other").replace("size: 100", "rate: 2"),
        )
        .args(["check"])
        .run()
        .status(1)
        .stdout_has("ok      programs/good.yaml")
        .stdout_has("FAILED  programs/bad.yaml  1 problem")
        .stderr_has("sample rate 2 is out of range")
        .stderr_lacks("good.yaml");
}

#[test]
fn json_output_lists_diagnostics_for_tools() {
    let ran = Project::new()
        .file(
            "programs/p.yaml",
            broken(
                "touchpoint: livraison\n    sample",
                "touchpoint: livrasion\n    sample",
            ),
        )
        .args(["check", "--format", "json"])
        .run()
        .status(1);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout()).expect("valid JSON");
    assert_eq!(report["ok"], false);
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["file"], "programs/p.yaml");
    assert_eq!(diagnostic["line"], 18);
    assert_eq!(diagnostic["column"], 17);
    assert_eq!(diagnostic["message"], "unknown touchpoint `livrasion`");
    assert_eq!(diagnostic["hint"], "did you mean `livraison`?");
    assert_eq!(diagnostic["snippet"], "    touchpoint: livrasion");
}

#[test]
fn semantic_mistakes_are_all_reported_at_once() {
    let text = broken("show_if: recommandation <= 6", "show_if: pourquoi == 'x'")
        .replace("size: 100", "size: 100\n    rate: 0.5")
        .replace("kpi: nps", "kpi: csat")
        .replace("reminder_days: [4]", "reminder_days: [4, 45]")
        .replace("{ fr: Pourquoi ?, en: Why? }", "{ fr: Pourquoi ? }");
    check_one(text)
        .status(1)
        .stderr_has("`show_if` of `pourquoi` refers to the question itself")
        .stderr_has("sample `tous` sets both `size` and `rate`")
        .stderr_has("target on CSAT, but no survey of touchpoint `livraison` measures it")
        .stderr_has("after the period closes")
        .stderr_has("question `pourquoi` text has no text in locale `en`");
}

#[test]
fn show_if_on_a_later_question_is_refused() {
    let text = broken(
        "      - id: recommandation\n        type: nps\n",
        "      - id: recommandation\n        type: nps\n        show_if: pourquoi == 'x'\n",
    );
    check_one(text)
        .status(1)
        .stderr_has("refers to `pourquoi`, which comes later");
}

#[test]
fn explicit_windows_may_not_overlap_or_leave_holes() {
    let text = broken(
        "  cadence: monthly\n",
        "  windows:\n    - { id: printemps, start: 2027-03-01, end: 2027-05-31 }\n    - { id: ete, start: 2027-05-15, end: 2027-08-31 }\n    - { id: automne, start: 2027-09-10, end: 2027-11-30 }\n",
    );
    check_one(text)
        .status(1)
        .stderr_has("period `ete` overlaps period `printemps`")
        .stderr_has("there is a hole between period `ete` (ends 2027-08-31) and `automne`");
}

#[test]
fn an_invalid_filter_expression_is_reported() {
    check_one(broken(
        "size: 100",
        "size: 100\n    filter: segment == = \"pro\"",
    ))
    .status(1)
    .stderr_has("invalid filter expression")
    .stderr_has("programs/p.yaml:37:13");
}

#[test]
fn a_broken_template_override_is_caught_by_check() {
    Project::new()
        .file("programs/p.yaml", MINIMAL)
        .file(
            "mes-modeles/email/invitation.fr.html",
            "<p>{{ contact.prenom }}</p>",
        )
        .args(["check", "--templates", "mes-modeles"])
        .run()
        .no_panic()
        .status(1)
        .stderr_has("email template `invitation` does not render")
        .stderr_has("email/invitation.fr.html");
    Project::new()
        .file("programs/p.yaml", MINIMAL)
        .file("mes-modeles/email/invitation.fr.html", "<p>{% if %}</p>")
        .args(["check", "--templates", "mes-modeles"])
        .run()
        .status(1)
        .stderr_has("email/invitation.fr.html");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    Project::new()
        .args(["check", "nowhere"])
        .run()
        .no_panic()
        .status(2)
        .stderr_has("nowhere does not exist");
}

#[test]
fn the_schema_validates_the_examples() {
    let ran = Project::new().args(["schema"]).run().status(0);
    let schema: serde_json::Value = serde_json::from_str(&ran.stdout()).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    for example in [
        "programs/fidelite-clients.yaml",
        "programs/support-quality.yaml",
    ] {
        let text = std::fs::read_to_string(repo_path(example)).expect("read example");
        let instance: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:?}");
    }
    let mut wrong: serde_json::Value = serde_saphyr::from_str(MINIMAL).expect("YAML");
    wrong["toucpoints"] = serde_json::json!([]);
    assert!(
        !validator.is_valid(&wrong),
        "unknown keys must fail the schema too"
    );
    let committed =
        std::fs::read_to_string(repo_path("schema/program.schema.json")).expect("committed schema");
    assert_eq!(
        committed.trim(),
        ran.stdout().trim(),
        "schema/program.schema.json is stale: run `ecoute schema > schema/program.schema.json`"
    );
}

#[test]
fn init_scaffolds_a_program_that_passes_and_never_overwrites() {
    Project::new()
        .file("equipe/ecoute.toml", "# mine\n")
        .args(["init", "equipe"])
        .run()
        .status(0)
        .stdout_has("created  equipe/programs/fidelite-clients.yaml")
        .stdout_has("exists   equipe/ecoute.toml (left untouched)")
        .stdout_has("ecoute check");
}

#[test]
fn each_help_lists_only_the_settings_its_command_uses() {
    let check = Project::new().args(["check", "--help"]).run().status(0);
    let check_help = check.stdout();
    assert!(
        !check_help.contains("--admin-token"),
        "`check --help` offers a setting check never uses:\n{check_help}"
    );
    assert!(check_help.contains("--templates"), "{check_help}");
    assert!(check_help.contains("--config"), "{check_help}");
    Project::new()
        .args(["serve", "--help"])
        .run()
        .status(0)
        .stdout_has("--admin-token")
        .stdout_has("--listen");
    Project::new()
        .args(["send", "--help"])
        .run()
        .status(0)
        .stdout_has("--mail")
        .stdout_has("--secret-file");
}

#[test]
fn a_setting_given_before_the_subcommand_is_a_usage_error() {
    Project::new()
        .args(["--admin-token", "x", "check"])
        .run()
        .status(2)
        .stderr_has("--admin-token");
}
