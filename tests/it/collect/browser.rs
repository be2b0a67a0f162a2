//! The survey answered in a real browser, end to end: `ecoute send` writes the invitation
//! email, its link is opened in headless Chromium driven over WebDriver (chromedriver,
//! started here on a free port) against the server on a real socket, answered with clicks,
//! and the answers are read back from the store.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ecoute::collect::{AppState, ServerOptions};
use ecoute::store::Store;
use ecoute::templates::Templates;
use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::harness::{Project, answer_values, load_program, parse_email};
use crate::support::TestDb;

/// A program whose only wave leaves at the first minute of each month, so that `ecoute
/// send` run now always finds it due, in the period that is open now.
pub(crate) const PROGRAM: &str = r#"program:
  id: navigateur
  title: { fr: Programme navigateur }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "Service clients <avis@example.org>" }
touchpoints:
  - { id: livraison, name: { fr: Livraison }, stage: livraison }
surveys:
  - id: livraison
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: { fr: Votre livraison }
    questions:
      - { id: recommandation, type: nps, required: true, text: { fr: Recommanderiez-vous Maison Dupont ? } }
      - { id: satisfaction, type: csat, scale: stars5, required: true, text: { fr: Êtes-vous satisfait(e) ? } }
      - { id: pourquoi, type: text, show_if: recommandation <= 6, text: { fr: Que devrions-nous améliorer ? } }
contacts:
  - { id: fichier, csv: contacts.csv }
samples:
  - { id: tous, contacts: fichier, rate: 1.0, seed: 1 }
channels:
  - { id: email, type: email, template: invitation }
periods:
  cadence: monthly
  waves: "0 0 1 * *"
  close_after_days: 10
"#;

/// The survey link, read out of the invitation email that `ecoute send` wrote to the
/// project's mail folder (parsed by Python's own email package, an independent parser).
pub(crate) fn survey_link(project: &Project, public_url: &str) -> String {
    project.args(["send", "navigateur"]).run().status(0);
    let emails = project.emails();
    assert_eq!(emails.len(), 1, "one invitation email");
    let email = parse_email(&emails[0]);
    let text = email["text"].as_str().expect("text part");
    text.split_whitespace()
        .find(|word| word.starts_with(&format!("{public_url}/s/")))
        .unwrap_or_else(|| panic!("no survey link in the email:\n{text}"))
        .to_owned()
}

/// The survey server for the project's `navigateur` program on `listener`, in a task that
/// stops when the returned sender is used.
pub(crate) fn serve_navigateur(
    project: &Project,
    listener: tokio::net::TcpListener,
    store: Store,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let program = load_program(&project.join("programs/navigateur.yaml"));
    let state = AppState::new(
        store,
        vec![program],
        Templates::new(None),
        &ServerOptions::default(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ecoute::collect::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (stop, server)
}

/// chromedriver on a free port, killed when dropped (the report's browser test uses it too).
pub(crate) struct Driver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Driver {
    pub(crate) fn start() -> Driver {
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver is installed (apt-get install chromium chromium-driver; see .ci/run)",
            );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile: tempfile::tempdir().expect("profile folder"),
        }
    }
}

impl Driver {
    /// A headless Chromium session; `options` adds to its `goog:chromeOptions` (more
    /// `args`, `mobileEmulation`…).
    pub(crate) async fn session(&self, options: serde_json::Value) -> fantoccini::Client {
        let mut chrome = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", self.profile.path().display()),
            ]
        });
        if let (Some(chrome), Some(extra)) = (chrome.as_object_mut(), options.as_object()) {
            for (key, value) in extra {
                match (
                    chrome.get_mut(key).and_then(|v| v.as_array_mut()),
                    value.as_array(),
                ) {
                    (Some(args), Some(more)) => args.extend(more.iter().cloned()),
                    _ => {
                        chrome.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), chrome);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a WebDriver session in headless Chromium")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_respondent_answers_with_clicks_in_chromium() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let public_url = format!("http://{}", listener.local_addr().expect("address"));
    let project = Project::new()
        .program("navigateur", PROGRAM)
        .contacts("email,first_name,locale\nana@example.fr,Ana,fr\n")
        .database(TestDb::sqlite())
        .mail_folder()
        .public_url(&public_url);
    let link = survey_link(&project, &public_url);

    let store = project.store().await;
    let (stop, server) = serve_navigateur(&project, listener, store.clone());

    let driver = Driver::start();
    let client = driver
        .session(json!({ "args": ["--window-size=412,915"] }))
        .await;

    client.goto(&link).await.expect("open the survey link");
    let title = client
        .find(Locator::Css("h1"))
        .await
        .expect("title")
        .text()
        .await
        .expect("text");
    assert_eq!(title, "Votre livraison");
    // NPS 3 (a detractor, so the "why" question applies), 4 stars, and a comment.
    client
        .find(Locator::XPath(
            "//input[@name='q.recommandation'][@value='3']/parent::label",
        ))
        .await
        .expect("NPS button 3")
        .click()
        .await
        .expect("click NPS");
    client
        .find(Locator::XPath(
            "//input[@name='q.satisfaction'][@value='4']/parent::label",
        ))
        .await
        .expect("4 stars")
        .click()
        .await
        .expect("click CSAT");
    client
        .find(Locator::Css("textarea[name='q.pourquoi']"))
        .await
        .expect("text area")
        .send_keys("Le livreur était en retard")
        .await
        .expect("type");
    client
        .find(Locator::Css("button[type='submit']"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
    let thanks = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//h1[contains(., 'Merci')]"))
        .await
        .expect("the thank-you page");
    assert_eq!(thanks.text().await.expect("text"), "Merci\u{202f}!");
    client.close().await.expect("close the browser");

    let stored = store
        .response(1)
        .await
        .expect("read")
        .expect("the answers are stored");
    let answers = answer_values(&stored);
    assert_eq!(
        answers,
        vec![
            (
                "pourquoi".to_owned(),
                None,
                Some("Le livreur était en retard".to_owned())
            ),
            ("recommandation".to_owned(), Some(3.0), None),
            ("satisfaction".to_owned(), Some(4.0), None),
        ]
    );
    let _ = stop.send(());
    server.await.expect("server task").expect("server");
}
