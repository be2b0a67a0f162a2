//! `ecoute calendar`: the example program's waves, reminders and closes computed by hand
//! from its cron, `reminder_days`, `close_after_days` and time zone (across both
//! daylight-saving changes), sample sizes from dry runs that write nothing, the three
//! formats (an RFC 5545 file whose UIDs stay the same from one run to the next), and the
//! bad inputs.

use std::path::Path;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::harness::{Project, repo_path};
use crate::support::{TestDb, both_backends};

/// The example program as its file says, with the rules the expectations below rely on.
fn example_rules() -> (i8, Vec<u32>, u32) {
    let program = ecoute::program::load(
        &repo_path("programs/fidelite-clients.yaml"),
        &ecoute::program::CheckContext::default(),
    )
    .expect("the example program is valid");
    let periods = &program.file.periods;
    assert_eq!(program.file.program.timezone.as_str(), "Europe/Paris");
    assert_eq!(
        periods.waves.as_str(),
        "0 10 2 * *",
        "the 2nd of each month at 10:00"
    );
    let email = program
        .file
        .channels
        .iter()
        .find(|c| c.id.as_str() == "email")
        .expect("email channel");
    let reminders: Vec<u32> = email.reminder_days.iter().map(|d| **d).collect();
    (2, reminders, *periods.close_after_days)
}

/// `2026-12-02T10:00:00+01:00`: local time in Paris with the offset of that day, written by
/// hand: +02:00 from the last Sunday of March to the last Sunday of October, +01:00 else.
fn paris(day: Date, hour: i8) -> String {
    let (march, october) = (last_sunday(day.year(), 3), last_sunday(day.year(), 10));
    let summer = (day > march || (day == march && hour >= 3))
        && (day < october || (day == october && hour < 2));
    let offset = if summer { "+02:00" } else { "+01:00" };
    format!("{day}T{hour:02}:00:00{offset}")
}

fn last_sunday(year: i16, month: i8) -> Date {
    let last = date(year, month, 1).last_of_month();
    let back = last.weekday().to_sunday_zero_offset();
    last.checked_sub(jiff::Span::new().days(i64::from(back)))
        .expect("date")
}

/// What the calendar must list for the example between two days: for each month, the three
/// surveys with a sample (`centre-contacts`, `livraison`, `sav`, sorted by id at equal
/// times) get a wave on the 2nd at 10:00 and reminders `reminder_days` later; each month
/// closes `close_after_days` after its last day, at midnight. Lines are `kind at survey
/// period wave reminder`, in time order.
fn expected_example(from: Date, to: Date) -> Vec<String> {
    let (wave_day, reminder_days, close_after) = example_rules();
    let surveys = ["centre-contacts", "livraison", "sav"];
    let mut expected: Vec<(String, String)> = Vec::new();
    let mut month = date(from.year(), from.month(), 1)
        .checked_sub(jiff::Span::new().months(2))
        .expect("date");
    while month <= to {
        let period = format!("{:04}-{:02}", month.year(), month.month());
        let wave = date(month.year(), month.month(), wave_day);
        let mut events = vec![("wave".to_owned(), wave, 0)];
        for (index, days) in reminder_days.iter().enumerate() {
            let day = wave
                .checked_add(jiff::Span::new().days(i64::from(*days)))
                .expect("date");
            events.push(("reminder".to_owned(), day, index + 1));
        }
        for (kind, day, reminder) in events {
            if from <= day && day <= to {
                for survey in surveys {
                    let at = paris(day, 10);
                    let key = format!("{at} 1{kind}{survey}");
                    let reminder = if reminder == 0 {
                        "-".to_owned()
                    } else {
                        reminder.to_string()
                    };
                    expected.push((key, format!("{kind} {at} {survey} {period} 1 {reminder}")));
                }
            }
        }
        let next = month
            .checked_add(jiff::Span::new().months(1))
            .expect("date");
        let close = next
            .checked_add(jiff::Span::new().days(i64::from(close_after)))
            .expect("date");
        if from <= close && close <= to {
            let at = paris(close, 0);
            expected.push((format!("{at} 2"), format!("close {at} - {period} - -")));
        }
        month = next;
    }
    expected.sort();
    expected.into_iter().map(|(_, line)| line).collect()
}

/// The dated entries of a JSON calendar in the form of [`expected_example`].
fn dated_lines(entries: &Value) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    entries
        .as_array()
        .expect("an array")
        .iter()
        .filter(|e| !e["at"].is_null())
        .map(|e| {
            format!(
                "{} {} {} {} {} {}",
                text(&e["kind"]),
                text(&e["at"]),
                text(&e["survey"]),
                text(&e["period"]),
                text(&e["wave"]),
                text(&e["reminder"])
            )
        })
        .collect()
}

fn by_kind<'v>(entries: &'v Value, kind: &str) -> Vec<&'v Value> {
    entries
        .as_array()
        .expect("an array")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// The example's `livraison` sample by hand: contacts of `clients.csv` with
/// `dernier_achat_jours <= 30 and canal_achat != "magasin"`; the sample asks for 400, more
/// than there are, so everyone eligible is drawn.
fn livraison_eligible() -> u64 {
    let mut reader =
        csv::Reader::from_path(repo_path("programs/contacts/clients.csv")).expect("contacts");
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let (days, shop) = (column("dernier_achat_jours"), column("canal_achat"));
    reader
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| r[days].parse::<u32>().expect("days") <= 30 && &r[shop] != "magasin")
        .count() as u64
}

#[test]
fn the_example_s_waves_reminders_and_closes_are_the_ones_computed_by_hand() {
    let project = Project::example();
    let ran = project
        .args([
            "calendar",
            "--from",
            "2026-12-01",
            "--to",
            "2027-01-20",
            "--format",
            "json",
        ])
        .success();
    let entries = ran.json();
    let expected = expected_example(date(2026, 12, 1), date(2027, 1, 20));
    assert_eq!(
        expected.len(),
        2 * 9 + 2,
        "two months: 3 waves, 6 reminders, a close"
    );
    assert_eq!(dated_lines(&entries), expected);
    for entry in entries.as_array().expect("array") {
        assert_eq!(entry["zone"], "Europe/Paris");
        assert_eq!(entry["program"], "fidelite-clients");
    }
    // Sample sizes: livraison by hand; sav's source is the (empty) store; centre-contacts
    // draws half of its eligible callers at random, so it is checked against `ecoute plan`.
    let waves = by_kind(&entries, "wave");
    let size = |survey: &str, period: &str| {
        waves
            .iter()
            .find(|w| w["survey"] == survey && w["period"] == period)
            .map(|w| w["sample_size"].clone())
            .expect("wave")
    };
    assert_eq!(size("livraison", "2026-12"), livraison_eligible());
    assert_eq!(size("livraison", "2026-12"), 9);
    assert_eq!(size("sav", "2026-12"), 0);
    let plan = project
        .args([
            "plan",
            "fidelite-clients",
            "--period",
            "2026-12",
            "--format",
            "json",
        ])
        .success()
        .json();
    let planned = plan["surveys"]
        .as_array()
        .expect("surveys")
        .iter()
        .find(|s| s["survey"] == "centre-contacts")
        .map(|s| s["waves"][0]["invitations"].clone())
        .expect("centre-contacts");
    assert_eq!(size("centre-contacts", "2026-12"), planned);
    // The channel's send window on waves and reminders; the Saturday wave of January waits.
    for entry in waves.iter().chain(by_kind(&entries, "reminder").iter()) {
        assert_eq!(
            entry["send_window"],
            serde_json::json!({"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "19:00"})
        );
    }
    let january = waves
        .iter()
        .find(|w| w["period"] == "2027-01")
        .expect("January wave");
    assert_eq!(date(2027, 1, 2).weekday(), jiff::civil::Weekday::Saturday);
    assert_eq!(january["waits_until"], "2027-01-04T09:00:00+01:00");
    assert_eq!(waves[0]["waits_until"], Value::Null, "a Wednesday at 10:00");
    // The trigger is listed once, without a date.
    let triggers = by_kind(&entries, "on_event");
    assert_eq!(triggers.len(), 1);
    assert_eq!(triggers[0]["event"], "commande_livree");
    assert_eq!(triggers[0]["survey"], "livraison");
    assert_eq!(triggers[0]["delay_hours"], 48);
    assert_eq!(triggers[0]["at"], Value::Null);
    assert_eq!(
        entries.as_array().expect("array").last(),
        Some(triggers[0]),
        "undated entries come last"
    );
}

#[test]
fn both_daylight_saving_changes_keep_ten_o_clock_and_change_the_offset() {
    // Paris leaves summer time on 2026-10-25 and enters it on 2027-03-28.
    assert_eq!(last_sunday(2026, 10), date(2026, 10, 25));
    assert_eq!(last_sunday(2027, 3), date(2027, 3, 28));
    let project = Project::example();
    let entries = project
        .args([
            "calendar",
            "--from",
            "2026-10-01",
            "--to",
            "2027-04-30",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(
        dated_lines(&entries),
        expected_example(date(2026, 10, 1), date(2027, 4, 30))
    );
    let waves: Vec<String> = by_kind(&entries, "wave")
        .iter()
        .filter(|w| w["survey"] == "livraison")
        .map(|w| w["at"].as_str().expect("at").to_owned())
        .collect();
    assert_eq!(
        waves,
        [
            "2026-10-02T10:00:00+02:00",
            "2026-11-02T10:00:00+01:00",
            "2026-12-02T10:00:00+01:00",
            "2027-01-02T10:00:00+01:00",
            "2027-02-02T10:00:00+01:00",
            "2027-03-02T10:00:00+01:00",
            "2027-04-02T10:00:00+02:00",
        ]
    );
    let closes: Vec<String> = by_kind(&entries, "close")
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["period"].as_str().expect("period"),
                c["at"].as_str().expect("at")
            )
        })
        .collect();
    assert_eq!(
        closes[0], "2026-09 2026-10-16T00:00:00+02:00",
        "September closes 15 days after its end, in summer time"
    );
    assert!(
        closes.contains(&"2026-10 2026-11-16T00:00:00+01:00".to_owned()),
        "{closes:?}"
    );
    assert!(
        closes.contains(&"2027-03 2027-04-16T00:00:00+02:00".to_owned()),
        "{closes:?}"
    );
}

#[test]
fn a_reminder_across_the_american_change_keeps_its_local_hour() {
    // support-quality: Tuesdays at 11:00 in America/Montreal, a reminder 5 days later. The
    // clocks go forward on Sunday 2027-03-14 (second Sunday of March) at 02:00.
    let project = Project::new().repo_file("programs/support-quality.yaml");
    let entries = project
        .args([
            "calendar",
            "support-quality",
            "--from",
            "2027-03-09",
            "--to",
            "2027-03-16",
            "--format",
            "json",
        ])
        .success()
        .json();
    let tz = TimeZone::get("America/Montreal").expect("zone");
    let at = |day: Date| {
        let zoned = day.at(11, 0, 0, 0).to_zoned(tz.clone()).expect("zoned");
        zoned
            .timestamp()
            .display_with_offset(zoned.offset())
            .to_string()
    };
    assert_eq!(at(date(2027, 3, 9)), "2027-03-09T11:00:00-05:00");
    let lines: Vec<String> = dated_lines(&entries)
        .into_iter()
        .filter(|l| l.contains("quarterly-nps"))
        .collect();
    // Waves of 2027-Q1 are numbered from the first Tuesday of January (the 5th): the 9th
    // of March is the 10th Tuesday.
    assert_eq!(
        lines,
        [
            "wave 2027-03-09T11:00:00-05:00 quarterly-nps 2027-Q1 10 -",
            "reminder 2027-03-14T11:00:00-04:00 quarterly-nps 2027-Q1 10 1",
            "wave 2027-03-16T11:00:00-04:00 quarterly-nps 2027-Q1 11 -",
        ]
    );
    assert_eq!(entries[0]["zone"], "America/Montreal");
}

#[test]
fn the_table_is_sorted_by_time_across_programs_with_each_zone() {
    let project = Project::example().repo_file("programs/support-quality.yaml");
    let ran = project
        .args(["calendar", "--from", "2026-12-01", "--to", "2026-12-31"])
        .success()
        .stdout_has("Calendar from 2026-12-01 to 2026-12-31 · 2 programs")
        .stdout_has("wave 1 of 2026-12")
        .stdout_has("reminder 2 of wave 1 of 2026-12")
        .stdout_has("close of 2026-11")
        .stdout_has("sample 9")
        .stdout_has("window mon–fri 09:00–19:00")
        .stdout_has("window mon–thu 10:00–16:00")
        .stdout_has("on event ticket_closed")
        .stdout_has("nothing was written");
    let stdout = ran.stdout();
    let paris = stdout
        .lines()
        .find(|l| l.starts_with("2026-12-02 10:00 CET (Wed)") && l.contains("livraison · email"))
        .expect("the Paris wave");
    assert!(
        paris.contains("Europe/Paris") && paris.contains("sample 9"),
        "{paris}"
    );
    let montreal = stdout
        .lines()
        .find(|l| l.starts_with("2026-12-01 11:00 EST (Tue)"))
        .expect("the Montreal wave");
    assert!(montreal.contains("America/Montreal"), "{montreal}");
    // Rows are in time order: compare their instants.
    let json = project
        .args([
            "calendar",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-31",
            "--format",
            "json",
        ])
        .success()
        .json();
    let instants: Vec<jiff::Timestamp> = json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["at"].as_str())
        .map(|at| at.parse().expect("RFC 3339"))
        .collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]), "{instants:?}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("2026-")).collect();
    assert_eq!(rows.len(), instants.len(), "one table row per dated entry");
}

/// The waves of an unfolded calendar file: the value of `name` in each VEVENT.
fn property(ics: &str, name: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .split("\r\n")
        .filter_map(|line| line.strip_prefix(&format!("{name}:")).map(str::to_owned))
        .collect()
}

#[test]
fn the_ics_file_follows_rfc_5545_and_keeps_its_uids_across_runs() {
    // The planner cannot read a contacts file whose name holds `,` and `;`: the reason,
    // with the name, lands in the descriptions, where both must be escaped.
    let program = std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml"))
        .expect("example")
        .replace("csv: contacts/clients.csv", "csv: \"contacts/a,b;c.csv\"");
    let project = Project::new()
        .program("fidelite-clients", &program)
        .file("programs/contacts/a,b;c.csv", NO_EMAIL_COLUMN);
    let run = || {
        project
            .args([
                "calendar",
                "--from",
                "2026-12-01",
                "--to",
                "2027-02-28",
                "--format",
                "ics",
            ])
            .success()
            .stdout()
    };
    let (first, second) = (run(), run());
    assert!(
        first.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"),
        "{first}"
    );
    assert!(first.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !first.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    for line in first.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(
        first.split_terminator("\r\n").any(|l| l.starts_with(' ')),
        "long descriptions are folded"
    );
    let uids = property(&first, "UID");
    let events = first.matches("BEGIN:VEVENT").count();
    // Three months: 3 waves and 6 reminders each, and the closes of November, December
    // and January (February closes on 16 March).
    assert_eq!(events, 3 * 9 + 3);
    assert_eq!(uids.len(), events);
    let unique: std::collections::BTreeSet<&String> = uids.iter().collect();
    assert_eq!(unique.len(), uids.len(), "one UID per event");
    assert_eq!(
        uids,
        property(&second, "UID"),
        "the same events keep their UIDs"
    );
    assert_eq!(property(&first, "DTSTAMP").len(), events);
    let starts = property(&first, "DTSTART");
    assert_eq!(starts.len(), events);
    assert_eq!(
        starts[0], "20261202T090000Z",
        "10:00 in Paris in winter is 09:00 UTC"
    );
    assert!(
        property(&first, "SUMMARY")
            .iter()
            .any(|s| s == "fidelite-clients: wave 1 of 2026-12 · livraison · email")
    );
    let descriptions = property(&first, "DESCRIPTION");
    assert!(
        descriptions[0].starts_with("2026-12-02 10:00 CET (Wed) (Europe/Paris)\\nsample unknown: "),
        "{}",
        descriptions[0]
    );
    assert!(
        descriptions[0].contains("a\\,b\\;c.csv"),
        "{}",
        descriptions[0]
    );
    for text in property(&first, "SUMMARY").iter().chain(&descriptions) {
        let bare = text
            .char_indices()
            .filter(|(i, c)| matches!(c, ',' | ';') && !text[..*i].ends_with('\\'))
            .count();
        assert_eq!(bare, 0, "unescaped , or ; in {text}");
    }
}

/// A contacts file that exists but has no `email` column: the program passes `check`,
/// but the planner cannot draw from it.
const NO_EMAIL_COLUMN: &str = "nom,prenom\nDupont,Anne\n";

#[test]
fn an_unusable_contacts_file_or_database_leaves_the_sample_unknown_and_the_calendar_whole() {
    let days = ["--from", "2026-12-01", "--to", "2027-01-20"];
    let complete = Project::example()
        .args(["calendar", "--format", "json"])
        .args(days)
        .success()
        .json();
    let project = Project::example().file("programs/contacts/clients.csv", NO_EMAIL_COLUMN);
    let unreachable = ["--database-url", "postgres://127.0.0.1:1/ecoute"];
    for (extra, reason) in [
        (&[][..], "no `email` column in the header"),
        (
            &unreachable[..],
            "cannot open the database postgres://127.0.0.1:1/ecoute",
        ),
    ] {
        let ran = project
            .args(["calendar", "--format", "json"])
            .args(days)
            .args(extra)
            .success()
            .stderr_has(
                "warning: cannot plan fidelite-clients 2026-12, its sample sizes are unknown",
            )
            .stderr_has(reason);
        let entries = ran.json();
        assert_eq!(
            dated_lines(&entries),
            dated_lines(&complete),
            "nothing is missing"
        );
        assert_eq!(
            entries.as_array().map(Vec::len),
            complete.as_array().map(Vec::len)
        );
        for wave in by_kind(&entries, "wave") {
            assert_eq!(wave["sample_size"], Value::Null);
            let note = wave["sample_note"].as_str().expect("a reason");
            assert!(note.contains(reason), "{note}");
        }
    }
    project
        .args(["calendar"])
        .args(days)
        .success()
        .stdout_has("sample unknown (see the warning)")
        .stderr_has("contact source `clients`");
}

fn no_database(project: &Project) {
    assert!(
        !project.join("ecoute.db").exists(),
        "a refused calendar opens no database"
    );
}

#[test]
fn bad_dates_are_refused_with_what_to_type() {
    let project = Project::example();
    for (args, message) in [
        (
            vec!["--from", "2027-03-01", "--to", "2027-02-01"],
            "--to 2027-02-01 is before --from 2027-03-01",
        ),
        (
            vec!["--from", "2026-13-01"],
            "`--from 2026-13-01` is not a date",
        ),
        (vec!["--to", "demain"], "`--to demain` is not a date"),
        (
            vec!["--from", "2027-01-01", "--to", "2030-01-01"],
            "the calendar covers at most 366 days",
        ),
    ] {
        let ran = project
            .args(["calendar"])
            .args(&args)
            .run()
            .status(1)
            .no_panic()
            .stderr_has(message);
        assert!(ran.stdout().is_empty(), "nothing half-printed for {args:?}");
    }
    project
        .args(["calendar", "--from", "2026-13-01"])
        .run()
        .stderr_has("YYYY-MM-DD");
    no_database(&project);
}

#[test]
fn an_unknown_program_id_suggests_the_closest() {
    let project = Project::example();
    let ran = project
        .args(["calendar", "fidelite-client"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("no program `fidelite-client`: did you mean `fidelite-clients`?");
    assert!(ran.stdout().is_empty());
    no_database(&project);
    let empty = Project::new();
    empty
        .args(["calendar"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("no programs/ folder here");
    no_database(&empty);
}

#[test]
fn an_invalid_program_is_refused_with_the_check_diagnostics() {
    let broken = std::fs::read_to_string(repo_path("programs/fidelite-clients.yaml"))
        .expect("example")
        .replace(
            "touchpoint: livraison\n    sample",
            "touchpoint: livrasion\n    sample",
        );
    let project = Project::new()
        .program("fidelite-clients", &broken)
        .repo_file("programs/support-quality.yaml");
    for args in [vec!["calendar"], vec!["calendar", "fidelite-clients"]] {
        let ran = project
            .args(&args)
            .run()
            .status(1)
            .no_panic()
            .stderr_has("unknown touchpoint `livrasion`")
            .stderr_has("did you mean `livraison`?")
            .stderr_has("ecoute check");
        assert!(ran.stdout().is_empty(), "no calendar from a half-valid set");
    }
    no_database(&project);
    assert!(Path::new(&project.join("programs/fidelite-clients.yaml")).exists());
    // A contacts file that does not exist fails `check`, so it is refused the same way.
    let project = Project::new().repo_file("programs/fidelite-clients.yaml");
    project
        .args(["calendar", "fidelite-clients"])
        .run()
        .status(1)
        .no_panic()
        .stderr_has("contact file `contacts/clients.csv` does not exist");
    no_database(&project);
}

async fn the_dry_run_commits_nothing(db: TestDb) {
    let project = Project::example().database(db);
    project
        .args(["calendar", "--from", "2026-12-01", "--to", "2027-02-28"])
        .success()
        .stdout_has("sample 9");
    let store = project.store().await;
    let (waves, _) = store.outbox_status(None, 10).await.expect("status");
    assert!(waves.is_empty(), "the calendar planned nothing: {waves:?}");
    store.close().await;
}

both_backends!(the_dry_run_commits_nothing);
