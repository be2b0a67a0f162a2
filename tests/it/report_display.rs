//! The report as people read it (issue 13, points 21–28, 30, 31): rounding, margins of small
//! samples, labels, French typography, the map command, and the HTML page on a 360 px
//! screen in headless Chromium. Expected figures are computed here from the answers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::collect::browser::Driver;
use crate::harness::{Project, repo_path};
use crate::reports::{import, report_json, row, run_report};

/// A non-breaking space, which French typography puts before `: ; ? !`.
const NBSP: char = '\u{a0}';

/// October: 8 passives (NPS 8), 3 of 8 satisfied (stars 5) → NPS 0, CSAT 37.5 %.
/// November: 1 promoter and 7 passives → NPS 12.5; 5 of 8 satisfied → CSAT 62.5 %.
fn delivery_csv() -> String {
    let mut csv = String::from("submitted_at,response_id,recommandation,satisfaction\n");
    let october = [
        (8, 5),
        (8, 5),
        (8, 5),
        (8, 2),
        (8, 2),
        (8, 2),
        (8, 2),
        (8, 2),
    ];
    let november = [
        (10, 5),
        (8, 5),
        (8, 4),
        (8, 4),
        (8, 4),
        (8, 2),
        (8, 1),
        (8, 1),
    ];
    for (i, (nps, stars)) in october.iter().enumerate() {
        csv.push_str(&format!("2026-10-12,o{i},{nps},{stars}\n"));
    }
    for (i, (nps, stars)) in november.iter().enumerate() {
        csv.push_str(&format!("2026-11-12,n{i},{nps},{stars}\n"));
    }
    csv
}

/// November: two calls, both resolved at first contact with the easiest effort (FCR 100 %
/// of 2, CES 7 of 2: margins of zero width), one comment about waiting (no NPS score).
fn calls_csv() -> &'static str {
    "submitted_at;channel;response_id;resolu;effort;commentaire\n\
     2026-11-05;relance-telephone;c1;oui;7;Attente trop longue au téléphone\n\
     2026-11-06;relance-telephone;c2;oui;7;\n"
}

/// The example program with the answers above imported.
fn project() -> Project {
    let s = Project::example();
    s.write("livraison.csv", delivery_csv());
    s.write("appels.csv", calls_csv());
    import(&s, "livraison", "livraison.csv")
        .success()
        .stdout_has("16 responses imported");
    import(&s, "centre-contacts", "appels.csv")
        .success()
        .stdout_has("2 responses imported");
    s
}

/// November's report in `format` (with `extra` arguments), which must succeed.
fn report(s: &Project, format: &str, extra: &[&str]) -> String {
    run_report(s, "2026-11", &["--format", format])
        .args(extra)
        .success()
        .stdout()
}

/// The cells of the Markdown summary row of `group` and `kpi`.
fn md_row(md: &str, group: &str, kpi: &str) -> Vec<String> {
    md.lines()
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .find(|cells| cells.len() > 4 && cells[0] == group && cells[1] == kpi)
        .unwrap_or_else(|| panic!("no Markdown row {group}/{kpi} in\n{md}"))
}

#[test]
fn people_round_half_away_from_zero_and_machines_stay_unrounded() {
    let s = project();
    let json = report_json(&s, "2026-11", &[]);
    let nps = row(&json, "livraison", "nps");
    assert_eq!(nps["value"], json!(12.5));
    assert_eq!(nps["prev_value"], json!(0.0));
    assert_eq!(nps["delta"], json!(12.5));
    let csat = row(&json, "livraison", "csat");
    assert_eq!(csat["value"], json!(62.5));
    assert_eq!(csat["prev_value"], json!(37.5));
    let csv = report(&s, "csv", &[]);
    assert!(
        csv.contains("\ntouchpoint,livraison,nps,survey,8,12.5,"),
        "{csv}"
    );
    assert!(
        csv.contains("\ntouchpoint,livraison,csat,survey,8,62.5,"),
        "{csv}"
    );

    let md = report(&s, "md", &[]);
    let nps = md_row(&md, "Livraison", "NPS");
    assert_eq!(
        (nps[3].as_str(), nps[5].as_str(), nps[6].as_str()),
        ("+13", "0", "+13")
    );
    let csat = md_row(&md, "Livraison", "CSAT");
    assert_eq!((csat[3].as_str(), csat[5].as_str()), ("63 %", "38 %"));

    let html = report(&s, "html", &[]);
    for shown in [">+13<", ">63 %<", ">38 %<"] {
        assert!(html.contains(shown), "{shown} in the HTML report");
    }
    for wrong in [">+12<", ">62 %<"] {
        assert!(
            !html.contains(wrong),
            "half-to-even {wrong} in the HTML report"
        );
    }
}

#[test]
fn small_samples_never_show_a_margin_of_zero() {
    let s = project();
    let md = report(&s, "md", &[]);
    // FCR 2 yes of 2, Wilson: 1 + z²/2 = 2.920729, centre (1 + 0.960365)/2.920729 = 0.671190,
    // half 1.959964/2.920729 · √(z²/16) = 0.328810 → [34.24, 100] %, shown "[34–100]".
    // NPS 1 promoter, 7 passives: n′ = 11, p₊′ = 1.75/11, p₋′ = 0.75/11, NPS′ = 0.090909,
    // v = 0.227273 − 0.008264 = 0.219008, half = 1.959964 · √(0.219008/11) = 0.276555
    // → [−18.56, 36.75] around 12.5: "[-19 ; +37]".
    // CES 7 and 7: no spread, a t interval of no width: "faible effectif", never "±0,0".
    for (group, kpi, shown) in [
        (
            "Centre de contacts",
            "Résolution au 1er contact",
            "[34–100]",
        ),
        ("Centre de contacts", "CES", "faible effectif"),
        ("Livraison", "NPS", "[-19 ; +37]"),
    ] {
        let cells = md_row(&md, group, kpi);
        let n: u64 = cells[2].parse().expect("n");
        assert!(n < 30);
        assert_eq!(cells[4], shown, "{group}/{kpi}: {cells:?}");
    }
    let html = report(&s, "html", &[]);
    for zero in ["±0<", "±0 ", "±0,0<"] {
        assert!(!html.contains(zero), "{zero} in the HTML report");
    }
}

#[test]
fn the_header_labels_the_comparison_count_and_french_pages_use_french_typography() {
    let s = project();
    let html = report(&s, "html", &[]);
    assert!(
        html.contains("10 réponses (8 en 2026-10)"),
        "the comparison period's count is labelled"
    );
    assert!(html.contains("α = 0,05"), "a decimal comma in French");
    assert!(!html.contains("α = 0.05"));
    assert!(
        html.contains(&format!("Empreinte des réponses utilisées{NBSP}:")),
        "a non-breaking space before a colon"
    );
    let md = report(&s, "md", &[]);
    assert!(md.ends_with('\n'), "the Markdown file ends with a newline");
    assert!(md.contains("10 réponses (8 en 2026-10)"), "{md}");
    assert!(
        md.contains(&format!("Empreinte du fichier programme{NBSP}:")),
        "{md}"
    );
    run_report(&s, "2026-11", &["-o", "rapport.md"]).success();
    let file = std::fs::read_to_string(s.join("rapport.md")).expect("report written");
    assert!(file.ends_with('\n'), "rapport.md ends with a newline");
}

#[test]
fn the_themes_table_counts_answers_without_an_nps_score_and_has_no_empty_header() {
    let s = project();
    let html = report(&s, "html", &[]);
    let start = html
        .find("<h2>Thèmes des verbatims</h2>")
        .expect("themes section");
    let section = &html[start..];
    let section = &section[..section.find("</section>").expect("end of section")];
    assert!(!section.contains("<th></th>"), "{section}");
    assert!(!section.contains("\"></th>"), "{section}");
    assert!(section.contains("Sans note NPS"), "{section}");
    let md = report(&s, "md", &[]);
    let delai = md
        .lines()
        .find(|l| l.starts_with("| delai |"))
        .unwrap_or_else(|| panic!("theme delai in\n{md}"));
    // One mention, from a call without an NPS question: 0 detractors, passives, promoters.
    assert_eq!(delai, "| delai | 1 | 100 % | 0 | 0 | 0 | 1 |");
}

#[test]
fn year_ago_in_the_first_year_is_a_note_like_previous() {
    let s = project();
    let json = report_json(&s, "2026-11", &["--vs", "year-ago"]);
    assert_eq!(json["stamp"]["vs_period"], Value::Null);
    assert_eq!(
        json["stamp"]["notes"],
        json!([format!(
            "Pas de comparaison{NBSP}: 2025-11 précède les premières réponses du programme."
        )])
    );
    let first = report_json(&s, "2026-10", &[]);
    assert_eq!(
        first["stamp"]["notes"],
        json!([format!(
            "Pas de comparaison{NBSP}: 2026-09 précède les premières réponses du programme."
        )])
    );
    // An explicit period before the program stays an error.
    run_report(&s, "2026-11", &["--vs", "2025-11"])
        .run()
        .status(2)
        .stderr_has("cannot compare with 2025-11");
}

#[test]
fn the_journey_map_colours_by_the_kpi_that_has_a_target() {
    let s = project();
    let html = report(&s, "html", &[]);
    // CES 7 of 2 answers against its target 5: too few answers to judge, but judged.
    let open = "<g class=\"node inconclusive\" data-touchpoint=\"centre-contacts\">";
    let start = html
        .find(open)
        .expect("the contact centre coloured by a target");
    let node = &html[start..];
    let node = &node[..node.find("</g>").expect("end of node")];
    assert!(node.contains(">CES<"), "the bubble says which KPI: {node}");
    assert!(!node.contains("CSAT"), "{node}");
    // The small-screen list says the same in words.
    let item = &html[html
        .find("<li data-touchpoint=\"centre-contacts\">")
        .expect("the contact centre in the list")..];
    let item = &item[..item.find("</li>").expect("end of item")];
    assert!(item.contains("CES 7,0"), "{item}");
    assert!(item.contains("non concluant"), "{item}");
}

#[test]
fn map_output_is_a_sized_svg_with_an_intensity_legend() {
    let s = Project::example();
    s.args(["map", "fidelite-clients", "-o", "carte.svg"])
        .success()
        .stderr_has("written to carte.svg");
    let svg = std::fs::read_to_string(s.join("carte.svg")).expect("map written");
    let open = &svg[svg.find("<svg").expect("svg element")..];
    let open = &open[..open.find('>').expect("end of tag")];
    let attribute = |name: &str| -> String {
        let at = open
            .find(&format!(" {name}=\""))
            .unwrap_or_else(|| panic!("no {name} in {open}"));
        let rest = &open[at + name.len() + 3..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    };
    let view_box: Vec<f64> = attribute("viewBox")
        .split(' ')
        .map(|v| v.parse().expect("a number"))
        .collect();
    assert_eq!(view_box.len(), 4);
    let width: f64 = attribute("width").parse().expect("a width in pixels");
    let height: f64 = attribute("height").parse().expect("a height in pixels");
    assert_eq!((width, height), (view_box[2], view_box[3]));
    assert!(
        svg.contains("intensité émotionnelle"),
        "a legend for height"
    );
    assert!(!svg.contains("> · "), "no stray separator");
    assert!(!svg.contains("\"> ·"), "no stray separator");
}

/// The HTML report on a 360 px phone screen in headless Chromium: nothing wider than the
/// screen, tables scroll in their own box; the screenshot is kept in `target/artefacts/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_fits_a_360_px_screen() {
    let s = project();
    run_report(&s, "2026-11", &["-o", "rapport.html"])
        .success()
        .stderr_has("written to rapport.html");
    let driver = Driver::start();
    let client = driver
        .session(json!({
            "mobileEmulation": {
                "deviceMetrics": { "width": 360, "height": 3600, "pixelRatio": 1.0 }
            }
        }))
        .await;
    client
        .goto(&format!("file://{}", s.join("rapport.html").display()))
        .await
        .expect("open the report");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let measure = |script: &'static str| {
        let client = client.clone();
        async move {
            client
                .execute(script, vec![])
                .await
                .expect("run a script")
                .as_f64()
                .expect("a number")
        }
    };
    let viewport = measure("return document.documentElement.clientWidth").await;
    let scroll = measure("return document.documentElement.scrollWidth").await;
    let png = client.screenshot().await.expect("a screenshot");
    let artefacts = repo_path("target/artefacts");
    std::fs::create_dir_all(&artefacts).expect("artefacts folder");
    std::fs::write(artefacts.join("report-360px.png"), &png).expect("keep the screenshot");
    client.close().await.expect("close the browser");
    assert_eq!(viewport, 360.0);
    assert!(
        scroll <= viewport,
        "the page is {scroll} px wide on a {viewport} px screen"
    );
}
