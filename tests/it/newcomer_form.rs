//! Issue 13, "the form on a phone" and its accessibility, in headless Chromium: the form at
//! 360 px (one-row scales, French spacing, conditional question hidden by CSS, drawn
//! smileys; screenshots in `target/artefacts/`), the 422 page, and axe-core over every page
//! a respondent sees.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::collect::browser::{Driver, PROGRAM, serve_navigateur, survey_link};
use crate::harness::{Project, repo_path};
use crate::reports::{imported, run_report};
use crate::support::TestDb;

/// NPS, CES and five smileys, a question only for detractors and passives (`<= 6`), and a
/// mystery-shopper checklist item (the survey gains an audit channel): the program of the
/// browser test with other questions.
const QUESTIONS: &str = r#"    questions:
      - { id: recommandation, type: nps, required: true, text: { fr: Recommanderiez-vous Maison Dupont ? } }
      - { id: effort, type: ces, required: true, text: { fr: Était-ce facile ? } }
      - { id: humeur, type: csat, scale: smileys5, required: true, text: { fr: Votre humeur ? } }
      - { id: pourquoi, type: text, show_if: recommandation <= 6, text: { fr: Que devrions-nous améliorer ? } }
      - { id: vitrine, type: check, weight: 2, text: { fr: La vitrine est propre et éclairée } }
"#;

fn program() -> String {
    let start = PROGRAM.find("    questions:\n").expect("questions");
    let end = PROGRAM.find("contacts:\n").expect("contacts");
    format!("{}{QUESTIONS}{}", &PROGRAM[..start], &PROGRAM[end..])
        .replacen("    channels: [email]", "    channels: [email, visite]", 1)
        .replacen(
            "  - { id: email, type: email, template: invitation }",
            "  - { id: email, type: email, template: invitation }\n  - { id: visite, type: audit }",
            1,
        )
}

/// The server on a real socket, a survey link to it, and a 360 px Chromium session.
struct Phone {
    link: String,
    client: Client,
    _driver: Driver,
    _project: Project,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Phone {
    async fn open() -> Phone {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let public_url = format!("http://{}", listener.local_addr().expect("address"));
        let project = Project::new()
            .program("navigateur", &program())
            .contacts("email,first_name,locale\nana@example.fr,Ana,fr\n")
            .database(TestDb::sqlite())
            .mail_folder()
            .public_url(&public_url);
        let link = survey_link(&project, &public_url);
        let (stop, server) = serve_navigateur(&project, listener, project.store().await);
        let driver = Driver::start();
        let client = phone_session(&driver).await;
        client.goto(&link).await.expect("open the survey link");
        Phone {
            link,
            client,
            _driver: driver,
            _project: project,
            stop,
            server,
        }
    }

    async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    async fn click(&self, xpath: &str) {
        self.client
            .find(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("{xpath}: {e}"))
            .click()
            .await
            .expect("click");
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        let artefacts = repo_path("target/artefacts");
        std::fs::create_dir_all(&artefacts).expect("artefacts folder");
        std::fs::write(artefacts.join(name), png).expect("keep the screenshot");
    }

    async fn axe(&self, page: &str) -> Vec<String> {
        axe(&self.client, page).await
    }

    /// Waits for the page that has `xpath`.
    async fn wait_for(&self, xpath: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("waiting for {xpath}: {e}"));
    }

    async fn close(self) {
        self.client.close().await.expect("close the browser");
        let _ = self.stop.send(());
        self.server.await.expect("server task").expect("server");
    }
}

/// The page's serious and critical axe-core violations, one line each.
async fn axe(client: &Client, page: &str) -> Vec<String> {
    let path = repo_path("target/axe/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "axe-core is not installed at {}: run `npm install --prefix target/axe axe-core@4` (as .ci/run does)",
            path.display()
        )
    });
    client
        .execute(&format!("{source};\nreturn true;"), vec![])
        .await
        .expect("inject axe-core");
    let found = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then(r => done(r.violations
.filter(v => v.impact === "serious" || v.impact === "critical")
.map(v => v.id + " (" + v.impact + "): " + v.help + " at "
  + v.nodes.map(n => n.target.join(" ")).join(", "))))
  .catch(e => done(["axe-core failed: " + e]));"#,
            vec![],
        )
        .await
        .expect("run axe-core");
    serde_json::from_value::<Vec<String>>(found)
        .expect("a list of violations")
        .into_iter()
        .map(|v| format!("{page}: {v}"))
        .collect()
}

/// A headless Chromium session with a 360 px phone screen.
async fn phone_session(driver: &Driver) -> Client {
    driver
        .session(json!({
            "mobileEmulation": {
                "deviceMetrics": { "width": 360, "height": 1800, "pixelRatio": 1.0 }
            }
        }))
        .await
}

/// The bounding box of the first element matching `css`: [left, top, width, height].
async fn rect(phone: &Phone, css: &str) -> [f64; 4] {
    let found = phone
        .script(&format!(
            "const r = document.querySelector({css:?}).getBoundingClientRect(); return [r.left, r.top, r.width, r.height];"
        ))
        .await;
    serde_json::from_value(found).unwrap_or_else(|e| panic!("rect of {css}: {e}"))
}

/// Points 12, 13, 14, 15, 32: the form on a 360 px screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_fits_a_360_px_phone() {
    let phone = Phone::open().await;
    let viewport = phone
        .script("return document.documentElement.clientWidth")
        .await;
    let scroll = phone
        .script("return document.documentElement.scrollWidth")
        .await;
    phone.screenshot("form-360px.png").await;
    assert_eq!(viewport, json!(360));
    assert!(
        scroll.as_f64() <= viewport.as_f64(),
        "the form is {scroll} px wide on a {viewport} px screen"
    );

    // 12: each scale on one row, every target at least 24 px wide and high, and the end
    // labels under the ends.
    for (field, first, last) in [("recommandation", 0, 10), ("effort", 1, 7)] {
        let label = |v: u8| format!("#question-{field} input[value='{v}'] + span");
        let low = rect(&phone, &format!("#question-{field} label:first-child")).await;
        let high = rect(&phone, &format!("#question-{field} label:last-child")).await;
        assert_eq!(low[1], high[1], "{field} {first} and {last} are on one row");
        for v in first..=last {
            let r = rect(&phone, &label(v)).await;
            assert!(
                r[1] >= low[1] && r[1] < low[1] + low[3],
                "{field} {v} on the row"
            );
        }
        assert!(low[2] >= 24.0 && low[3] >= 24.0, "{field} targets: {low:?}");
        let ends_low = rect(&phone, &format!("#question-{field} .ends span:first-child")).await;
        let ends_high = rect(&phone, &format!("#question-{field} .ends span:last-child")).await;
        assert!(
            ends_low[1] > low[1] + low[3],
            "the low label is under the row"
        );
        assert!(
            (ends_low[0] - low[0]).abs() < 1.0,
            "the low label starts under {first}"
        );
        assert!(
            (ends_high[0] + ends_high[2] - high[0] - high[2]).abs() < 1.0,
            "the high label ends under {last}"
        );
    }

    // 32: the end meanings belong to the first and last choices' labels.
    let spoken = phone
        .script(
            "return [...document.querySelectorAll('#question-recommandation label, #question-effort label')]
               .filter((l, i, all) => l === l.parentNode.firstElementChild || l === l.parentNode.lastElementChild)
               .map(l => l.textContent.trim())",
        )
        .await;
    assert_eq!(
        spoken,
        json!([
            "0 – Pas du tout probable",
            "10 – Très probable",
            "1 – Très difficile",
            "7 – Très facile"
        ])
    );

    // 13: no question mark alone at the start of a line.
    let legend = phone
        .script("return document.querySelector('#question-recommandation legend').firstChild.textContent.trim()")
        .await;
    assert_eq!(legend, json!("Recommanderiez-vous Maison Dupont\u{202f}?"));

    // 15: drawn faces, no emoji glyphs.
    let faces = phone
        .script("return document.querySelectorAll('#question-humeur svg.face').length")
        .await;
    assert_eq!(faces, json!(5));
    let text = phone.script("return document.body.innerText").await;
    let text = text.as_str().expect("text");
    assert!(
        !text
            .chars()
            .any(|c| ('\u{1F300}'..='\u{1FAFF}').contains(&c)),
        "no emoji in the form: {text}"
    );

    // 14: the "why" question appears for a detractor only, without JavaScript on the page.
    let shown = || {
        phone.script("return getComputedStyle(document.getElementById('question-pourquoi')).display !== 'none'")
    };
    assert_eq!(shown().await, json!(false), "hidden before any answer");
    phone
        .click("//input[@name='q.recommandation'][@value='3']/parent::label")
        .await;
    assert_eq!(shown().await, json!(true), "shown to a detractor (3)");
    phone.screenshot("form-360px-detractor.png").await;
    phone
        .click("//input[@name='q.recommandation'][@value='9']/parent::label")
        .await;
    assert_eq!(shown().await, json!(false), "hidden from a promoter (9)");
    phone.close().await;
}

/// Point 33: the page that comes back with errors, and axe-core over the form, that page,
/// the thank-you page and both unsubscribe pages (no serious or critical violation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_core_and_the_422_page_guides_to_the_errors() {
    let phone = Phone::open().await;
    let mut violations = phone.axe("form").await;
    // The checklist item: three answers on one row and a labelled comment box.
    let check = phone
        .script(
            "const q = document.querySelector('#question-vitrine'); \
             const tops = [...q.querySelectorAll('label.choice')].map(l => l.getBoundingClientRect().top); \
             return [tops.length, new Set(tops).size, \
                     !!q.querySelector('label[for=comment-vitrine]'), \
                     q.querySelector('#comment-vitrine').name]",
        )
        .await;
    assert_eq!(check, json!([3, 1, true, "q.vitrine.comment"]));

    // Send with only the NPS answered: CES and the smileys are missing.
    phone
        .click("//input[@name='q.recommandation'][@value='9']/parent::label")
        .await;
    phone.click("//button[@type='submit']").await;
    phone.wait_for("//*[@id='error-summary']").await;
    phone.screenshot("form-360px-errors.png").await;
    assert_eq!(
        phone.client.title().await.expect("title"),
        "2 réponses à corriger – Votre livraison"
    );
    assert_eq!(
        phone.script("return document.activeElement.id").await,
        json!("error-summary"),
        "focus is on the error summary"
    );
    let links = phone
        .script("return [...document.querySelectorAll('#error-summary a')].map(a => [a.getAttribute('href'), !!document.querySelector(a.getAttribute('href'))])")
        .await;
    assert_eq!(
        links,
        json!([["#field-effort", true], ["#field-humeur", true]])
    );
    let invalid = phone
        .script(
            "return [...document.querySelectorAll('fieldset[aria-invalid=true]')].map(f => f.id)",
        )
        .await;
    assert_eq!(invalid, json!(["question-effort", "question-humeur"]));
    violations.extend(phone.axe("422 page").await);

    phone
        .click("//input[@name='q.effort'][@value='6']/parent::label")
        .await;
    phone
        .click("//input[@name='q.humeur'][@value='4']/parent::label")
        .await;
    phone.click("//button[@type='submit']").await;
    phone.wait_for("//h1[starts-with(., 'Merci')]").await;
    violations.extend(phone.axe("thank-you page").await);

    let unsubscribe = phone.link.replacen("/s/", "/u/", 1);
    phone.client.goto(&unsubscribe).await.expect("open /u/");
    violations.extend(phone.axe("unsubscribe page").await);
    phone.click("//button[@type='submit']").await;
    phone.wait_for("//h1[starts-with(., 'C')]").await;
    violations.extend(phone.axe("unsubscribed page").await);
    phone.close().await;
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The HTML report a director forwards, opened as a file at 360 px: no serious or critical
/// axe-core violation either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_passes_axe_core() {
    let s = Project::example();
    imported(&s);
    run_report(&s, "2026-11", &["-o", "rapport.html"]).success();
    let driver = Driver::start();
    let client = phone_session(&driver).await;
    client
        .goto(&format!("file://{}", s.join("rapport.html").display()))
        .await
        .expect("open the report");
    let violations = axe(&client, "HTML report").await;
    client.close().await.expect("close the browser");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
