//! Unit tests of response CSV parsing, against the French example program.

use std::path::Path;

use super::*;
use crate::program::CheckContext;
use crate::templates::Templates;

fn example() -> Program {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/fidelite-clients.yaml");
    crate::program::load(
        &path,
        &CheckContext {
            templates: Templates::new(None),
        },
    )
    .expect("the example program loads")
}

fn read(program: &Program, survey: &str, csv: &str) -> Parsed {
    let survey = find_survey(program, survey).expect("survey exists");
    parse(csv.as_bytes(), b',', program, survey, None).expect("header is fine")
}

fn messages(parsed: &Parsed) -> Vec<String> {
    parsed.errors.iter().map(ToString::to_string).collect()
}

#[test]
fn good_rows_become_responses_with_period_channel_and_attributes() {
    let program = example();
    let parsed = read(
        &program,
        "livraison",
        "submitted_at,email,channel,response_id,recommandation,satisfaction,pourquoi,region,age\n\
         2026-11-04,Camille@Example.FR,,r1,10,5,,IDF,42\n\
         2026-10-31T23:30:00Z,,import,r2,3,1,Trop long,Nord,\n",
    );
    assert_eq!(messages(&parsed), Vec::<String>::new());
    assert_eq!(parsed.rows.len(), 2);
    let first = &parsed.rows[0].response;
    assert_eq!(parsed.rows[0].line, 2);
    assert_eq!(first.program_id, "fidelite-clients");
    assert_eq!(first.survey_id, "livraison");
    assert_eq!(first.touchpoint_id.as_deref(), Some("livraison"));
    assert_eq!(first.channel, "import");
    assert_eq!(first.period, "2026-11");
    assert_eq!(first.email.as_deref(), Some("Camille@example.fr"));
    assert_eq!(first.external_id.as_deref(), Some("r1"));
    let respondent = first.respondent.as_ref().expect("attributes");
    assert_eq!(respondent.get("region"), Some(&Value::from("IDF")));
    assert_eq!(respondent.get("age"), Some(&Value::from(42)));
    // A date alone is midnight in Paris: 2026-11-04T00:00+01:00.
    assert_eq!(first.submitted_at.as_second(), 1_793_746_800);
    // No verbatim: `pourquoi` is hidden when recommandation is 10, and was empty anyway.
    assert_eq!(first.answers.len(), 2);
    assert_eq!(first.answers[0].num_value, Some(10.0));

    // 23:30 UTC on 31 October is 00:30 on 1 November in Paris.
    let second = &parsed.rows[1].response;
    assert_eq!(second.period, "2026-11");
    assert_eq!(
        second.answers[2].text_value.as_deref(),
        Some("Trop long"),
        "shown because recommandation <= 6"
    );
}

#[test]
fn out_of_range_and_malformed_answers_are_reported_with_their_line() {
    let program = example();
    let parsed = read(
        &program,
        "livraison",
        "submitted_at,recommandation,satisfaction\n\
         2026-11-04,11,5\n\
         2026-11-04,-1,5\n\
         2026-11-04,abc,5\n\
         2026-11-04,9,6\n\
         2026-11-04,9,4\n",
    );
    assert_eq!(
        messages(&parsed),
        vec![
            "line 2: `recommandation`: `11` is not a whole number from 0 to 10",
            "line 3: `recommandation`: `-1` is not a whole number from 0 to 10",
            "line 4: `recommandation`: `abc` is not a whole number from 0 to 10",
            "line 5: `satisfaction`: `6` is not a whole number from 1 to 5",
        ]
    );
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].line, 6);
}

#[test]
fn every_problem_of_a_row_is_listed() {
    let program = example();
    let parsed = read(
        &program,
        "livraison",
        "submitted_at,email,channel,recommandation,satisfaction\n\
         hier,pas-un-email,fax,,\n",
    );
    assert_eq!(
        messages(&parsed),
        vec![
            "line 2: `submitted_at` `hier` is not a date: write 2026-11-04 or 2026-11-04T10:30:00+01:00 \
             (or 04/11/2026 and 04/11/2026 10:30 in a program whose default locale is French); \
             `pas-un-email` is not a valid email; unknown channel `fax`; use one of: import, api, email; \
             required question `recommandation` has no answer; required question `satisfaction` has no answer"
        ]
    );
}

#[test]
fn a_row_of_the_api_channel_imports_back() {
    // Found by the export/import property: the API stores `api` by default, so its
    // responses' export must import back under that channel.
    let program = example();
    let parsed = read(
        &program,
        "livraison",
        "submitted_at,channel,recommandation,satisfaction\n2026-11-04,api,9,5\n",
    );
    assert_eq!(messages(&parsed), Vec::<String>::new());
    assert_eq!(parsed.rows[0].response.channel, "api");
}

#[test]
fn hidden_questions_are_ignored_and_texts_are_limited() {
    let program = example();
    let long = "x".repeat(2001);
    let parsed = read(
        &program,
        "livraison",
        &format!(
            "submitted_at,recommandation,satisfaction,pourquoi\n\
             2026-11-04,9,5,ignored because hidden\n\
             2026-11-04,2,1,{long}\n"
        ),
    );
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].response.answers.len(), 2);
    assert_eq!(
        messages(&parsed),
        vec!["line 3: `pourquoi`: the text has 2001 characters, the limit is 2000"]
    );
}

#[test]
fn yes_no_ces_choices_and_offline_channels() {
    let program = example();
    let parsed = read(
        &program,
        "centre-contacts",
        "submitted_at,channel,resolu,effort,satisfaction\n\
         2026-11-04,relance-telephone,oui,7,3\n\
         2026-11-04,,non,1,\n\
         2026-11-04,,peut-être,8,4\n",
    );
    assert_eq!(
        messages(&parsed),
        vec![
            "line 4: `resolu`: `peut-être` is not yes or no (oui/non, 1/0); \
             `effort`: `8` is not a whole number from 1 to 7; \
             `satisfaction`: `4` is not a whole number from 1 to 3"
        ]
    );
    let first = &parsed.rows[0].response;
    assert_eq!(first.channel, "relance-telephone");
    assert_eq!(first.answers[0].num_value, Some(1.0));
    assert_eq!(parsed.rows[1].response.answers[0].num_value, Some(0.0));

    let sav = read(
        &program,
        "sav",
        "submitted_at,recommandation,points-faibles\n\
         2026-11-04,4,delai|suivi\n\
         2026-11-04,4,delai|inconnu\n",
    );
    let choices: Vec<(u32, Option<&str>)> = sav.rows[0]
        .response
        .answers
        .iter()
        .skip(1)
        .map(|a| (a.ordinal, a.choice.as_deref()))
        .collect();
    assert_eq!(choices, vec![(0, Some("delai")), (1, Some("suivi"))]);
    assert_eq!(sav.errors.len(), 1);
    assert!(messages(&sav)[0].contains("options among delai, suivi, solution"));
}

#[test]
fn duplicate_ids_blank_rows_and_field_counts() {
    let program = example();
    let parsed = read(
        &program,
        "livraison",
        "submitted_at,response_id,recommandation,satisfaction\n\
         2026-11-04,a,9,5\n\
         2026-11-05,a,8,4\n\
         ,b,,\n\
         2026-11-05,c,8\n",
    );
    assert_eq!(
        messages(&parsed),
        vec![
            "line 3: response_id `a` already on line 2 (that line was kept)",
            "line 5: 3 fields, but the header has 4 (a missing or extra separator?)",
        ]
    );
    assert_eq!(parsed.blank, 1);
    assert_eq!(parsed.rows.len(), 1);
}

#[test]
fn header_problems_fail_the_whole_file() {
    let program = example();
    let survey = find_survey(&program, "livraison").expect("survey");
    let err = parse(
        "date,recommandation\n".as_bytes(),
        b',',
        &program,
        survey,
        None,
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("no `submitted_at` column"), "{err}");
    let err = find_survey(&program, "livrasion")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("no survey `livrasion`; its surveys are: livraison, centre-contacts"),
        "{err}"
    );
}

#[test]
fn a_marked_cell_loses_one_marker_and_stays_text() {
    let header = "submitted_at,response_id,recommandation,satisfaction,pourquoi,solde,code,note";
    let row = "2026-11-04,'=r1,'3,2,'=1+2,-3,'-3,''déjà";
    let parsed = read(&example(), "livraison", &format!("{header}\n{row}\n"));
    assert!(parsed.errors.is_empty(), "{:?}", messages(&parsed));
    let response = &parsed.rows[0].response;
    assert_eq!(response.external_id.as_deref(), Some("=r1"));
    assert_eq!(response.answers[0].num_value, Some(3.0));
    assert_eq!(response.answers[2].text_value.as_deref(), Some("=1+2"));
    let respondent = response.respondent.as_ref().expect("attributes");
    assert_eq!(respondent.get("solde"), Some(&Value::from(-3)));
    assert_eq!(respondent.get("code"), Some(&Value::from("-3")));
    assert_eq!(respondent.get("note"), Some(&Value::from("'déjà")));
}

#[test]
fn crlf_files_report_rejected_rows_on_their_own_line() {
    let program = example();
    let lf = "submitted_at,recommandation,satisfaction\n\
              2026-11-04,10,5\n\
              2026-11-04,11,5\n\
              \n\
              2026-11-04,10,9\n";
    let crlf = lf.replace('\n', "\r\n");
    for text in [lf, crlf.as_str()] {
        let parsed = read(&program, "livraison", text);
        let lines: Vec<u64> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 5], "{text:?}");
        assert_eq!(parsed.rows[0].line, 2, "{text:?}");
    }
}

#[test]
fn french_programs_read_day_first_dates_and_never_mix_forms() {
    let program = example();
    let parsed = read(
        &program,
        "livraison",
        "submitted_at,recommandation,satisfaction\n\
         05/10/2026,10,5\n\
         04/11/2026 10:30,10,5\n\
         2026-11-04,10,5\n\
         31/02/2026,10,5\n",
    );
    // 5 October 2026 at midnight in Paris (UTC+2), 4 November 10:30 in Paris (UTC+1).
    let times: Vec<i64> = parsed
        .rows
        .iter()
        .map(|r| r.response.submitted_at.as_second())
        .collect();
    assert_eq!(times, vec![1_791_151_200, 1_793_784_600]);
    assert_eq!(parsed.rows[0].response.period, "2026-10");
    let errors = messages(&parsed);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("line 4: ")
            && errors[0].contains("mixes date forms: line 2 is dd/mm/yyyy"),
        "{errors:?}"
    );
    assert!(errors[1].starts_with("line 5: ") && errors[1].contains("is not a date"));
}

#[test]
fn date_format_forces_one_form() {
    let program = example();
    let survey = find_survey(&program, "livraison").expect("survey");
    let csv = "submitted_at,recommandation,satisfaction\n05/10/2026,10,5\n2026-11-04,10,5\n";
    for (forced, refused) in [
        (
            DateFormat::Iso,
            "line 2: `submitted_at` `05/10/2026` is not in the --date-format iso form",
        ),
        (
            DateFormat::DayMonthYear,
            "line 3: `submitted_at` `2026-11-04` is not in the --date-format dd/mm/yyyy form",
        ),
    ] {
        let parsed =
            parse(csv.as_bytes(), b',', &program, survey, Some(forced)).expect("header is fine");
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(messages(&parsed), vec![refused.to_owned()]);
    }
}

#[test]
fn rows_are_handed_over_as_read_with_their_byte_and_reading_stops_when_told() {
    let program = example();
    let survey = find_survey(&program, "livraison").expect("survey exists");
    let header = "submitted_at,response_id,recommandation,satisfaction\n";
    let csv = format!(
        "{header}2026-11-04,r1,9,5\n2026-11-05,r2,x,5\n2026-11-06,r3,7,5\n2026-11-07,r4,8,5\n"
    );
    let mut handed = Vec::new();
    let parsed = parse_each(csv.as_bytes(), b',', &program, survey, None, |row, at| {
        handed.push((row.line, row.response.external_id, at));
        handed.len() < 2
    })
    .expect("header is fine");
    // r1 starts right after the header; r2 is rejected, not handed over; r3 starts after
    // two 18-byte rows; reading stops there, so r4 is neither handed over nor rejected.
    let first = header.len() as u64;
    assert_eq!(
        handed,
        vec![
            (2, Some("r1".to_owned()), first),
            (4, Some("r3".to_owned()), first + 36)
        ]
    );
    assert!(parsed.rows.is_empty(), "good rows went to the callback");
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line, 3);
}
