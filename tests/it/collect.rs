//! The web server (`ecoute serve`), driven in-process with `tower::ServiceExt::oneshot`:
//! every route and every bad input of the collection issue, on SQLite and PostgreSQL.

pub(crate) mod browser;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use ecoute::collect::{AppState, LimitSettings, ServerOptions, open_form_key, router};
use ecoute::program::Program;
use ecoute::records::{
    Attributes, InvitationState, NewInvitation, SuppressionReason, WaveKey, WavePlan,
};
use ecoute::store::Store;
use ecoute::templates::Templates;
use ecoute::token::LinkSecret;
use jiff::Timestamp;
use serde_json::json;
use tower::ServiceExt;

use crate::harness::{Project, answer_values, load_program, repo_path};
use crate::support::{TestDb, both_backends};

const PROGRAM: &str = "fidelite-clients";
const ADMIN: &str = "s3cret-admin-token";

/// The example program, loaded as `ecoute serve` loads it.
pub fn program() -> Program {
    load_program(&repo_path("programs/fidelite-clients.yaml"))
}

/// The period the example program is in now (open for answers).
pub fn current_period(program: &Program) -> String {
    program
        .calendar()
        .resolve_period(None, Timestamp::now())
        .expect("current period")
        .to_string()
}

/// A store with invitations to the `livraison` survey, each with a link token.
pub struct Fixture {
    /// The store.
    pub store: Store,
    /// The secret tokens are derived from.
    pub secret: LinkSecret,
    /// The period of those invitations (the one open now).
    pub period: String,
    /// The invitations by email: (id, token).
    pub links: Vec<(String, i64, String)>,
    /// The wave id of those invitations.
    pub wave_id: i64,
    /// Keeps the database alive.
    pub _db: TestDb,
}

impl Fixture {
    /// Invitations in the period open now for `people` (email, locale), tokens set.
    pub async fn new(db: TestDb, people: &[(&str, &str)]) -> Fixture {
        let store = db.open().await;
        let secret = LinkSecret::from_bytes([42; 32]);
        let period = current_period(&program());
        let (wave_id, links) = invite(&store, &secret, &period, 1, people).await;
        Fixture {
            period,
            store,
            secret,
            links,
            wave_id,
            _db: db,
        }
    }

    /// The token of `email`'s first invitation.
    pub fn token(&self, email: &str) -> String {
        self.links
            .iter()
            .find(|(e, _, _)| e == email)
            .map(|(_, _, t)| t.clone())
            .expect("invited")
    }

    fn id(&self, email: &str) -> i64 {
        self.links
            .iter()
            .find(|(e, _, _)| e == email)
            .map(|(_, id, _)| *id)
            .expect("invited")
    }
}

/// Materialises one wave of the `livraison` survey and gives each invitation its token.
pub async fn invite(
    store: &Store,
    secret: &LinkSecret,
    period: &str,
    wave: u32,
    people: &[(&str, &str)],
) -> (i64, Vec<(String, i64, String)>) {
    let key = WaveKey {
        program_id: PROGRAM.to_owned(),
        survey_id: "livraison".to_owned(),
        channel_id: "email".to_owned(),
        period: period.to_owned(),
        wave,
    };
    let plan = WavePlan {
        sample_id: "livres-du-mois".to_owned(),
        seed: 2026,
        program_sha256: None,
        planned_at: Timestamp::now(),
    };
    let invitations: Vec<NewInvitation> = people
        .iter()
        .map(|(email, locale)| {
            let mut data = Attributes::new();
            data.insert("email".into(), (*email).into());
            data.insert("region".into(), "IDF".into());
            NewInvitation {
                email: (*email).to_owned(),
                locale: Some((*locale).to_owned()),
                contact_data: data,
                due_at: Timestamp::now(),
            }
        })
        .collect();
    let outcome = store
        .materialise_wave(&key, &plan, &invitations)
        .await
        .expect("materialise");
    let mut links = Vec::new();
    for invitation in store
        .wave_invitations(outcome.wave_id)
        .await
        .expect("invitations")
    {
        let token = secret.invitation_token(invitation.id);
        store
            .set_token_hash(invitation.id, &token.hash())
            .await
            .expect("token");
        links.push((
            invitation.email.expect("email"),
            invitation.id,
            token.as_str().to_owned(),
        ));
    }
    (outcome.wave_id, links)
}

/// The application with generous limits unless told otherwise.
pub fn app(store: &Store, admin_token: Option<&str>, limits: LimitSettings) -> Router {
    let state = AppState::new(
        store.clone(),
        vec![program()],
        Templates::new(None),
        &ServerOptions {
            admin_token: admin_token.map(str::to_owned),
            limits,
            ..ServerOptions::default()
        },
    );
    router(state).layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 10], 5000))))
}

/// Limits no test reaches.
pub fn generous() -> LimitSettings {
    LimitSettings {
        bad_links_burst: 1_000,
        bad_links_period: Duration::from_secs(3600),
        open_link_burst: 1_000,
        open_link_period: Duration::from_secs(3600),
    }
}

/// What came back.
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: axum::http::HeaderMap,
    /// Body as text.
    pub body: String,
}

/// Sends one request through the router.
pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// A form-encoded POST.
pub fn form_post(uri: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

/// The `form_key` hidden field of a rendered form.
pub fn form_key(page: &str) -> String {
    let marker = "name=\"form_key\" value=\"";
    let start = page.find(marker).expect("form_key field") + marker.len();
    page[start..].split('"').next().expect("value").to_owned()
}

/// Form-encodes `pairs`.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Opens the form of `token` and posts `answers` with its form key.
pub async fn answer(app: &Router, token: &str, answers: &[(&str, &str)]) -> Reply {
    let page = get(app, &format!("/s/{token}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let key = form_key(&page.body);
    let mut pairs = vec![("form_key", key.as_str())];
    pairs.extend_from_slice(answers);
    send(app, form_post(&format!("/s/{token}"), encode(&pairs))).await
}

both_backends!(
    form_renders_validates_and_stores_once,
    bad_answers_reshow_the_form,
    links_that_do_not_work_look_alike,
    concurrent_double_submission_stores_one,
    unsubscribe_suppresses_and_cancels_pending,
    open_link_once_per_browser,
    api_needs_the_token,
    api_events_schedule_triggered_invitations,
    api_responses_are_validated_and_idempotent,
);

async fn form_renders_validates_and_stores_once(db: TestDb) {
    let fx = Fixture::new(db, &[("ana@example.fr", "fr"), ("bob@example.com", "en")]).await;
    let app = app(&fx.store, None, generous());

    let health = get(&app, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, r#"{"store":"ok"}"#);
    assert_eq!(health.headers["x-content-type-options"], "nosniff");
    assert_eq!(health.headers["referrer-policy"], "no-referrer");
    assert!(
        health.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii")
            .contains("default-src 'none'")
    );

    let css = get(&app, "/assets/form.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/css")
    );

    let token = fx.token("ana@example.fr");
    let page = get(&app, &format!("/s/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<html lang=\"fr\">"), "{}", page.body);
    assert!(page.body.contains("Votre livraison"));
    assert_eq!(page.body.matches("name=\"q.recommandation\"").count(), 11);
    assert_eq!(page.body.matches("name=\"q.satisfaction\"").count(), 5);
    assert!(page.body.contains("Pas du tout probable"));
    assert!(page.body.contains("Très probable"));
    assert!(page.body.contains("<fieldset"));
    assert!(
        page.body
            .contains("<legend>Recommanderiez-vous Maison Dupont")
    );
    assert!(page.body.contains("<textarea"));
    assert!(page.body.contains("Envoyer mes réponses"));
    assert!(!page.body.contains("<script"), "works without JavaScript");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");

    let english = get(&app, &format!("/s/{}", fx.token("bob@example.com"))).await;
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(english.body.contains("Your delivery"));
    assert!(english.body.contains("Not at all likely"));
    assert!(english.body.contains("Send my answers"));

    let done = answer(
        &app,
        &token,
        &[
            ("q.recommandation", "4"),
            ("q.satisfaction", "2"),
            ("q.pourquoi", "Livreur en retard <b>deux fois</b>"),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Merci"));

    let stored = fx.store.response(1).await.expect("read").expect("stored");
    assert_eq!(stored.invitation_id, Some(fx.id("ana@example.fr")));
    assert_eq!(stored.program_id, PROGRAM);
    assert_eq!(stored.survey_id, "livraison");
    assert_eq!(stored.channel, "email");
    assert_eq!(
        stored.period, fx.period,
        "the period of the invitation's wave"
    );
    let respondent = stored.respondent.as_ref().expect("respondent attributes");
    assert_eq!(respondent.get("region"), Some(&json!("IDF")));
    assert!(respondent.get("email").is_none(), "no direct identifier");
    let answers = answer_values(&stored);
    assert_eq!(
        answers,
        vec![
            (
                "pourquoi".to_owned(),
                None,
                Some("Livreur en retard <b>deux fois</b>".to_owned())
            ),
            ("recommandation".to_owned(), Some(4.0), None),
            ("satisfaction".to_owned(), Some(2.0), None),
        ]
    );

    // A token answers once: the page says so, and a second post changes nothing.
    let again = get(&app, &format!("/s/{token}")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body.contains("Vous avez déjà répondu"),
        "{}",
        again.body
    );
    let key = form_key(&page.body);
    let second = send(
        &app,
        form_post(
            &format!("/s/{token}"),
            encode(&[
                ("form_key", &key),
                ("q.recommandation", "10"),
                ("q.satisfaction", "5"),
            ]),
        ),
    )
    .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(second.body.contains("Vous avez déjà répondu"));
    assert_eq!(fx.store.response(2).await.expect("read"), None);
    let kept = fx.store.response(1).await.expect("read").expect("stored");
    assert_eq!(
        kept.answers
            .iter()
            .find(|a| a.question_id == "recommandation")
            .and_then(|a| a.num_value),
        Some(4.0)
    );
    // The thank-you page is rendered once per language, not once for everybody.
    let thanked = answer(
        &app,
        &fx.token("bob@example.com"),
        &[("q.recommandation", "9"), ("q.satisfaction", "5")],
    )
    .await;
    assert_eq!(thanked.status, StatusCode::OK, "{}", thanked.body);
    assert!(
        thanked.body.contains("<html lang=\"en\">"),
        "{}",
        thanked.body
    );
    assert!(thanked.body.contains("Thank you!"), "{}", thanked.body);
    assert!(!thanked.body.contains("Merci"), "{}", thanked.body);
}

async fn bad_answers_reshow_the_form(db: TestDb) {
    let fx = Fixture::new(db, &[("ana@example.fr", "fr")]).await;
    let app = app(&fx.store, None, generous());
    let token = fx.token("ana@example.fr");

    // Missing required answer: the form again, the error next to the question, the other
    // answers kept.
    let missing = answer(
        &app,
        &token,
        &[("q.satisfaction", "4"), ("q.pourquoi", "trop lent")],
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("Il manque quelque chose"));
    assert!(missing.body.contains("id=\"error-recommandation\""));
    assert!(missing.body.contains("Merci de répondre à cette question."));
    assert!(
        missing
            .body
            .contains("name=\"q.satisfaction\" value=\"4\" checked"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains(">trop lent</textarea>"));

    for bad in ["11", "-1", "abc", "4.5"] {
        let reply = answer(
            &app,
            &token,
            &[("q.recommandation", bad), ("q.satisfaction", "4")],
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "NPS {bad}");
        assert!(
            reply.body.contains("Choisissez une valeur entre 0 et 10."),
            "NPS {bad}"
        );
    }
    let two = answer(
        &app,
        &token,
        &[
            ("q.recommandation", "3"),
            ("q.recommandation", "4"),
            ("q.satisfaction", "4"),
        ],
    )
    .await;
    assert_eq!(two.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(two.body.contains("Une seule réponse"));

    // Too long for the question (2,000 characters) but within the body limit.
    let long = "é".repeat(2_001);
    let reply = answer(
        &app,
        &token,
        &[
            ("q.recommandation", "3"),
            ("q.satisfaction", "4"),
            ("q.pourquoi", &long),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("2000 caractères au maximum"));

    // A 1 MB answer never reaches the form: 413 with the refusal page.
    let page = get(&app, &format!("/s/{token}")).await;
    let key = form_key(&page.body);
    let huge = format!(
        "form_key={key}&q.recommandation=3&q.satisfaction=4&q.pourquoi={}",
        "a".repeat(1 << 20)
    );
    let reply = send(&app, form_post(&format!("/s/{token}"), huge)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body.contains("Demande refusée"));

    // Wrong content type.
    let reply = send(
        &app,
        Request::post(format!("/s/{token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"q.recommandation\": 3}"))
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(reply.body.contains("Demande refusée"));

    // A form not bound to this link (no key, or another link's key, or cross-site).
    let reply = send(
        &app,
        form_post(
            &format!("/s/{token}"),
            encode(&[("q.recommandation", "3"), ("q.satisfaction", "4")]),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = send(
        &app,
        form_post(
            &format!("/s/{token}"),
            encode(&[
                ("form_key", "0123456789abcdef0123456789abcdef"),
                ("q.recommandation", "3"),
                ("q.satisfaction", "4"),
            ]),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let mut cross = form_post(
        &format!("/s/{token}"),
        encode(&[
            ("form_key", &key),
            ("q.recommandation", "3"),
            ("q.satisfaction", "4"),
        ]),
    );
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().expect("header"));
    assert_eq!(send(&app, cross).await.status, StatusCode::FORBIDDEN);

    assert_eq!(
        fx.store.response(1).await.expect("read"),
        None,
        "nothing stored so far"
    );

    // A question hidden by its show_if (recommandation <= 6) answered anyway: ignored.
    let reply = answer(
        &app,
        &token,
        &[
            ("q.recommandation", "9"),
            ("q.satisfaction", "5"),
            ("q.pourquoi", "rien"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let stored = fx.store.response(1).await.expect("read").expect("stored");
    let ids: Vec<&str> = stored
        .answers
        .iter()
        .map(|a| a.question_id.as_str())
        .collect();
    assert_eq!(ids, ["recommandation", "satisfaction"]);
}

async fn links_that_do_not_work_look_alike(db: TestDb) {
    let fx = Fixture::new(db, &[("ana@example.fr", "fr")]).await;
    let (_, closed) = invite(
        &fx.store,
        &fx.secret,
        "2020-01",
        1,
        &[("old@example.fr", "fr")],
    )
    .await;
    let closed_token = closed[0].2.clone();
    let app = app(&fx.store, None, generous());

    let unknown = get(&app, &format!("/s/{}", "A".repeat(43))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.body.contains("est pas disponible"),
        "{}",
        unknown.body
    );
    let token = fx.token("ana@example.fr");
    for other in [
        format!("/s/{closed_token}"),
        format!("/s/{}", &token[..42]),
        "/s/abc".to_owned(),
        format!("/s/{token}x"),
        "/nowhere".to_owned(),
    ] {
        let reply = get(&app, &other).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{other}");
        assert_eq!(reply.body, unknown.body, "same page for {other}");
    }
    let post = send(
        &app,
        form_post(&format!("/s/{closed_token}"), "q.recommandation=3".into()),
    )
    .await;
    assert_eq!(post.status, StatusCode::NOT_FOUND);
    assert_eq!(post.body, unknown.body);

    // An address that keeps trying bad links gets 429s.
    let strict = self::app(
        &fx.store,
        None,
        LimitSettings {
            bad_links_burst: 3,
            ..generous()
        },
    );
    for attempt in 0..3 {
        let reply = get(&strict, &format!("/s/{}{attempt}", "B".repeat(42))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    let blocked = get(&strict, &format!("/s/{}", "C".repeat(43))).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers.contains_key(header::RETRY_AFTER));
    let closed_too = get(&strict, &format!("/s/{closed_token}")).await;
    assert_eq!(
        closed_too.status,
        StatusCode::TOO_MANY_REQUESTS,
        "closed links count too"
    );
}

async fn concurrent_double_submission_stores_one(db: TestDb) {
    let fx = Fixture::new(db, &[("ana@example.fr", "fr")]).await;
    let app = app(&fx.store, None, generous());
    let token = fx.token("ana@example.fr");
    let page = get(&app, &format!("/s/{token}")).await;
    let key = form_key(&page.body);
    let body = |nps: &str| {
        encode(&[
            ("form_key", &key),
            ("q.recommandation", nps),
            ("q.satisfaction", "3"),
        ])
    };
    let uri = format!("/s/{token}");
    let (a, b) = tokio::join!(
        send(&app, form_post(&uri, body("7"))),
        send(&app, form_post(&uri, body("8")))
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let loser = if a.status == StatusCode::CONFLICT {
        &a
    } else {
        &b
    };
    assert!(loser.body.contains("Vous avez déjà répondu"));
    assert!(fx.store.response(1).await.expect("read").is_some());
    assert_eq!(
        fx.store.response(2).await.expect("read"),
        None,
        "exactly one response"
    );
}

async fn unsubscribe_suppresses_and_cancels_pending(db: TestDb) {
    let fx = Fixture::new(db, &[("ana@example.fr", "fr"), ("bob@example.com", "en")]).await;
    // Ana has a second pending invitation in a later wave.
    let (later_wave, _) = invite(
        &fx.store,
        &fx.secret,
        &fx.period,
        2,
        &[("ana@example.fr", "fr")],
    )
    .await;
    let app = app(&fx.store, None, generous());
    let token = fx.token("ana@example.fr");

    // A GET (mail scanners prefetch links) only asks.
    let confirm = get(&app, &format!("/u/{token}")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Me désinscrire"));
    assert!(confirm.body.contains("<form method=\"post\""));
    assert!(
        confirm.body.contains(&token),
        "the button posts to this link"
    );
    assert!(
        fx.store
            .suppressions_for("ana@example.fr")
            .await
            .expect("read")
            .is_empty()
    );

    // RFC 8058 one-click post, twice: idempotent.
    for _ in 0..2 {
        let done = send(
            &app,
            form_post(
                &format!("/u/{token}"),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        )
        .await;
        assert_eq!(done.status, StatusCode::OK);
        assert!(
            done.body
                .contains("Vous ne recevrez plus nos questionnaires")
        );
    }
    let suppressed = fx
        .store
        .suppressions_for("ana@example.fr")
        .await
        .expect("read");
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].reason, SuppressionReason::Unsubscribed);

    for wave in [fx.wave_id, later_wave] {
        for invitation in fx.store.wave_invitations(wave).await.expect("read") {
            let expected = if invitation.email.as_deref() == Some("ana@example.fr") {
                InvitationState::Suppressed
            } else {
                InvitationState::Planned
            };
            assert_eq!(invitation.state, expected, "{:?}", invitation.email);
        }
    }
    assert!(
        fx.store
            .suppressions_for("bob@example.com")
            .await
            .expect("read")
            .is_empty()
    );

    // A bare post without a body works too (no cookie, no form).
    let bob = send(
        &app,
        Request::post(format!("/u/{}", fx.token("bob@example.com")))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(bob.status, StatusCode::OK);
    assert!(bob.body.contains("You will no longer receive"));
    let unknown = send(
        &app,
        Request::post(format!("/u/{}", "D".repeat(43)))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn open_link_once_per_browser(db: TestDb) {
    let store = db.open().await;
    let app = app(
        &store,
        None,
        LimitSettings {
            open_link_burst: 2,
            ..generous()
        },
    );

    let page = get(&app, "/l/fidelite-clients/magasin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Votre visite en magasin"));
    let key = open_form_key(PROGRAM, "magasin");
    assert!(page.body.contains(&key), "every form carries its form_key");
    assert_eq!(
        get(&app, "/l/fidelite-clients/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/l/fidelite-clients/livraison").await.status,
        StatusCode::NOT_FOUND,
        "a survey without a link channel has no open link"
    );

    let mut english = Request::get("/l/fidelite-clients/magasin")
        .body(Body::empty())
        .expect("request");
    english.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        "en-GB,en;q=0.8".parse().expect("header"),
    );
    assert!(send(&app, english).await.body.contains("Your store visit"));

    let answers = encode(&[
        ("form_key", &key),
        ("q.satisfaction", "5"),
        ("q.motif", "conseil"),
    ]);
    let first = send(
        &app,
        form_post("/l/fidelite-clients/magasin", answers.clone()),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let cookie = first.headers[header::SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("ecoute-answered-fidelite-clients-magasin=1"));
    assert!(cookie.contains("HttpOnly"));
    let stored = store.response(1).await.expect("read").expect("stored");
    assert_eq!(stored.channel, "qr-magasin");
    assert_eq!(stored.invitation_id, None);
    assert_eq!(stored.answers.len(), 2);

    // The same browser again: already answered.
    let name_value = cookie.split(';').next().expect("pair").to_owned();
    let mut again = form_post("/l/fidelite-clients/magasin", answers.clone());
    again
        .headers_mut()
        .insert(header::COOKIE, name_value.parse().expect("header"));
    assert_eq!(send(&app, again).await.status, StatusCode::CONFLICT);
    let mut show = Request::get("/l/fidelite-clients/magasin")
        .body(Body::empty())
        .expect("request");
    show.headers_mut()
        .insert(header::COOKIE, name_value.parse().expect("header"));
    assert!(
        send(&app, show)
            .await
            .body
            .contains("Vous avez déjà répondu")
    );

    // Bad answers are re-shown, not counted.
    let bad = send(
        &app,
        form_post(
            "/l/fidelite-clients/magasin",
            encode(&[("form_key", &key), ("q.satisfaction", "9")]),
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The same address without the cookie: a flood is cut by the per-address limit.
    let second = send(
        &app,
        form_post("/l/fidelite-clients/magasin", answers.clone()),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK);
    let third = send(&app, form_post("/l/fidelite-clients/magasin", answers)).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(store.response(2).await.expect("read").is_some());
    assert_eq!(store.response(3).await.expect("read"), None);
}

/// A JSON POST with the bearer `token`, if any.
pub fn api_post(uri: &str, token: Option<&str>, body: serde_json::Value) -> Request<Body> {
    let mut request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    if let Some(token) = token {
        request.headers_mut().insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    request
}

/// The reply's body as JSON.
pub fn json_of(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body).expect("JSON body")
}

async fn api_needs_the_token(db: TestDb) {
    let store = db.open().await;
    let event = json!({"event": "commande_livree", "email": "ana@example.fr"});

    let off = app(&store, None, generous());
    let reply = send(&off, api_post("/api/v1/events", Some(ADMIN), event.clone())).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        json_of(&reply)["error"]
            .as_str()
            .expect("message")
            .contains("disabled")
    );

    let on = app(&store, Some(ADMIN), generous());
    for token in [None, Some("wrong"), Some("s3cret-admin-toke")] {
        let reply = send(&on, api_post("/api/v1/events", token, event.clone())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    let reply = send(&on, api_post("/api/v1/responses", Some("wrong"), json!({}))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        store
            .count_events(PROGRAM, "commande_livree")
            .await
            .expect("count"),
        0,
        "nothing written"
    );

    let mut status = Request::get("/api/v1/status")
        .body(Body::empty())
        .expect("request");
    status.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {ADMIN}").parse().expect("header"),
    );
    let reply = send(&on, status).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = json_of(&reply);
    assert_eq!(body["programs"][0]["id"], PROGRAM);
    assert_eq!(body["programs"][0]["events"], json!(["commande_livree"]));
    assert_eq!(body["schema"]["current"], body["schema"]["latest"]);
}

async fn api_events_schedule_triggered_invitations(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, Some(ADMIN), generous());
    let post = |body: serde_json::Value| send(&app, api_post("/api/v1/events", Some(ADMIN), body));

    let unknown_event = post(json!({"event": "colis_perdu", "email": "ana@example.fr"})).await;
    assert_eq!(unknown_event.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&unknown_event)["error"]
            .as_str()
            .expect("message")
            .contains("known events: commande_livree")
    );
    let unknown_program =
        post(json!({"event": "commande_livree", "program": "nope", "email": "ana@example.fr"}))
            .await;
    assert_eq!(unknown_program.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&unknown_program)["error"]
            .as_str()
            .expect("message")
            .contains("unknown program `nope`")
    );
    let bad_email = post(json!({"event": "commande_livree", "email": "not-an-email"})).await;
    assert_eq!(bad_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    let malformed = send(
        &app,
        Request::post("/api/v1/events")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
            .body(Body::from("{not json"))
            .expect("request"),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        store
            .count_events(PROGRAM, "commande_livree")
            .await
            .expect("count"),
        0
    );

    // 2026-11-03 10:00 Paris + 48 h = 2026-11-05 10:00 Paris = 09:00 UTC, in 2026-11.
    let event = json!({
        "event": "commande_livree",
        "email": " Ana@Example.FR ",
        "locale": "fr",
        "attributes": {"first_name": "Ana", "region": "IDF"},
        "occurred_at": "2026-11-03T09:00:00Z"
    });
    let first = post(event.clone()).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    let body = json_of(&first);
    let scheduled = &body["scheduled"][0];
    assert_eq!(scheduled["survey"], "livraison");
    assert_eq!(scheduled["channel"], "email");
    assert_eq!(scheduled["period"], "2026-11");
    assert_eq!(scheduled["due_at"], "2026-11-05T09:00:00Z");
    assert_eq!(scheduled["created"], true);
    let invitation_id = scheduled["invitation_id"].as_i64().expect("id");

    // The same person, survey and period again: the same invitation, not a second one.
    let second = post(event.clone()).await;
    let again = &json_of(&second)["scheduled"][0];
    assert_eq!(again["created"], false);
    assert_eq!(again["invitation_id"].as_i64(), Some(invitation_id));
    assert_eq!(
        store
            .count_events(PROGRAM, "commande_livree")
            .await
            .expect("count"),
        2
    );

    // Wave 0 of the survey, channel and period holds it, due at the event + delay.
    let key = WaveKey {
        program_id: PROGRAM.to_owned(),
        survey_id: "livraison".to_owned(),
        channel_id: "email".to_owned(),
        period: "2026-11".to_owned(),
        wave: 0,
    };
    let plan = WavePlan {
        sample_id: "x".into(),
        seed: 0,
        program_sha256: None,
        planned_at: Timestamp::now(),
    };
    let wave = store
        .materialise_wave(&key, &plan, &[])
        .await
        .expect("wave");
    assert!(!wave.created);
    assert_eq!(wave.invitations, 1);
    let invitations = store.wave_invitations(wave.wave_id).await.expect("read");
    assert_eq!(invitations[0].id, invitation_id);
    assert_eq!(
        invitations[0].email.as_deref(),
        Some("Ana@example.fr"),
        "trimmed, domain lower-cased"
    );
    assert_eq!(invitations[0].state, InvitationState::Planned);
    assert_eq!(
        invitations[0].next_attempt_at,
        Some("2026-11-05T09:00:00Z".parse().expect("ts"))
    );

    // Suppression applies.
    store
        .suppress("zoe@example.fr", SuppressionReason::Unsubscribed, None)
        .await
        .expect("suppress");
    let skipped = post(json!({"event": "commande_livree", "email": "zoe@example.fr"})).await;
    assert_eq!(skipped.status, StatusCode::ACCEPTED);
    let body = json_of(&skipped);
    assert_eq!(body["scheduled"], json!([]));
    assert_eq!(body["skipped"][0]["reason"], "suppressed");

    // Fatigue applies (90 days in the example program).
    store
        .record_contact(
            "leo@example.fr",
            "autre-programme",
            "2026-10-01T00:00:00Z".parse().expect("ts"),
        )
        .await
        .expect("record");
    let tired = post(json!({"event": "commande_livree", "email": "leo@example.fr", "occurred_at": "2026-11-03T09:00:00Z"})).await;
    assert_eq!(json_of(&tired)["skipped"][0]["reason"], "fatigue");
}

async fn api_responses_are_validated_and_idempotent(db: TestDb) {
    let store = db.open().await;
    let app = app(&store, Some(ADMIN), generous());
    let post =
        |body: serde_json::Value| send(&app, api_post("/api/v1/responses", Some(ADMIN), body));

    let good = json!({
        "program": PROGRAM,
        "survey": "centre-contacts",
        "channel": "relance-telephone",
        "submitted_at": "2026-11-10T14:00:00Z",
        "external_id": "crm-123",
        "respondent": {"segment": "pro"},
        "answers": {"resolu": true, "effort": 6, "satisfaction": 3, "commentaire": "Très bien"}
    });
    let created = post(good.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = json_of(&created);
    assert_eq!(body["period"], "2026-11");
    let id = body["id"].as_i64().expect("id");
    let stored = store.response(id).await.expect("read").expect("stored");
    assert_eq!(stored.channel, "relance-telephone");
    assert_eq!(stored.external_id.as_deref(), Some("crm-123"));
    let resolu = stored
        .answers
        .iter()
        .find(|a| a.question_id == "resolu")
        .expect("resolu");
    assert_eq!(resolu.num_value, Some(1.0));

    let duplicate = post(good.clone()).await;
    assert_eq!(duplicate.status, StatusCode::OK);
    assert_eq!(json_of(&duplicate)["duplicate"], true);
    assert_eq!(store.response(id + 1).await.expect("read"), None);

    let mut out_of_range = good.clone();
    out_of_range["external_id"] = json!("crm-124");
    out_of_range["answers"]["effort"] = json!(8);
    out_of_range["answers"]["resolu"] = json!(null);
    let reply = post(out_of_range).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = &json_of(&reply)["problems"];
    assert!(
        problems["effort"]
            .as_str()
            .expect("message")
            .contains("between 1 and 7")
    );
    assert!(
        problems["resolu"]
            .as_str()
            .expect("message")
            .contains("Please answer")
    );

    let mut unknown_question = good.clone();
    unknown_question["answers"]["note"] = json!(3);
    let reply = post(unknown_question).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json_of(&reply)["error"]
            .as_str()
            .expect("message")
            .contains("no question `note`")
    );

    let reply = post(json!({"program": "nope", "survey": "x", "answers": {}})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply =
        post(json!({"program": PROGRAM, "survey": "x", "answers": {}, "surprise": 1})).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    assert_eq!(store.response(id + 1).await.expect("read"), None);
}

#[test]
fn serve_refuses_a_broken_program_folder() {
    Project::new()
        .file("programs/broken.yaml", "program: {id: x}\n")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .run()
        .status(2)
        .stderr_has("ecoute check programs")
        .no_panic();
}

/// `ecoute serve` as a process: reads its programs and settings, answers `/healthz` on the
/// address it prints, and stops on SIGTERM.
#[test]
fn the_serve_command_answers_health_checks() {
    let project = Project::new().repo_file("programs/support-quality.yaml");
    let server = project.serve();
    assert!(
        server.banner.contains("programs: support-quality"),
        "{}",
        server.banner
    );
    assert!(server.banner.contains("admin API off"), "{}", server.banner);

    let reply = server.request("GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with(r#"{"store":"ok"}"#), "{reply}");

    let (status, rest) = server.stop();
    assert_eq!(status.code(), Some(0));
    assert!(rest.contains("stopped"), "{rest}");
}
