//! The survey answered in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, started here on a free port), against the server on a real socket.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ecoute::collect::{AppState, ServerOptions};
use ecoute::templates::Templates;
use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use super::{Fixture, current_period, program};
use crate::support::TestDb;

/// The link the respondent opens. Today it is built from the invitation's token; it is the
/// one place to change so that it comes from the email `ecoute send` writes instead.
async fn survey_link(fixture: &Fixture, public_url: &str, email: &str) -> String {
    format!("{public_url}/s/{}", fixture.token(email))
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
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
            _profile: tempfile::tempdir().expect("profile folder"),
        }
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
    let program = program();
    let fixture = Fixture::new(
        TestDb::sqlite(),
        &current_period(&program),
        &[("ana@example.fr", "fr")],
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let state = AppState::new(
        fixture.store.clone(),
        vec![program],
        Templates::new(None),
        &ServerOptions::default(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ecoute::collect::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let link = survey_link(&fixture, &format!("http://{address}"), "ana@example.fr").await;

    let driver = Driver::start();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=412,915",
                format!("--user-data-dir={}", driver._profile.path().display()),
            ]
        }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session in headless Chromium");

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
    assert_eq!(thanks.text().await.expect("text"), "Merci !");
    client.close().await.expect("close the browser");

    let stored = fixture
        .store
        .response(1)
        .await
        .expect("read")
        .expect("the answers are stored");
    let answers: Vec<(String, Option<f64>, Option<String>)> = stored
        .answers
        .iter()
        .map(|a| (a.question_id.clone(), a.num_value, a.text_value.clone()))
        .collect();
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
