//! The web server (`ecoute serve`): the survey form behind personal links (`/s/{token}`),
//! unsubscribe (`/u/{token}`), the open link (`/l/{program}/{survey}`), the admin JSON API
//! (`/api/v1`) and `/healthz`.
//!
//! A personal link answers once: there is no editing after submission, even before the
//! period closes (a second submission shows "already answered" and changes nothing). Unknown,
//! malformed and closed links all get the same 404 page after the same work, and an address
//! that keeps trying bad links gets 429s.

pub mod form;
pub mod texts;

mod api;
mod limit;
mod media;
mod pages;
mod survey;
mod writer;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use axum::serve::ListenerExt;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

pub use limit::{ClientIp, LimitSettings, client_address};
pub use survey::{form_key, open_form_key};
pub use writer::{Ingest, IngestError, Stored};

use crate::program::Program;
use crate::store::Store;
use crate::templates::Templates;

/// The largest request body accepted (a whole survey with long text answers fits easily);
/// anything larger gets 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The security headers of every response: no script, no framing, no referrer leaking the
/// token, no MIME sniffing.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// How the server behaves, from the settings.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// The admin API bearer token; `None` disables the API.
    pub admin_token: Option<String>,
    /// The header a trusted reverse proxy puts the client address in (`X-Forwarded-For`);
    /// `None` uses the socket's peer address.
    pub client_ip_header: Option<HeaderName>,
    /// Rate limits.
    pub limits: LimitSettings,
    /// Mark cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Store,
    programs: BTreeMap<String, Program>,
    templates: Templates,
    admin_token_hash: Option<[u8; 32]>,
    ingest: Ingest,
    limiters: limit::Limiters,
    secure_cookies: bool,
    client_ip_header: Option<HeaderName>,
}

impl AppState {
    /// Builds the state and starts the response writer on the current runtime.
    pub fn new(
        store: Store,
        programs: Vec<Program>,
        templates: Templates,
        options: &ServerOptions,
    ) -> AppState {
        AppState(Arc::new(Inner {
            ingest: Ingest::start(store.clone()),
            store,
            programs: programs
                .into_iter()
                .map(|p| (p.id().to_owned(), p))
                .collect(),
            templates,
            admin_token_hash: options
                .admin_token
                .as_deref()
                .map(|t| Sha256::digest(t.as_bytes()).into()),
            limiters: limit::Limiters::new(&options.limits),
            secure_cookies: options.secure_cookies,
            client_ip_header: options.client_ip_header.clone(),
        }))
    }

    fn program(&self, id: &str) -> Option<&Program> {
        self.0.programs.get(id)
    }
}

/// The whole application: every route with its limits and security headers.
pub fn router(state: AppState) -> Router {
    let api = api::routes(state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/assets/form.css", get(pages::stylesheet))
        .route(
            "/s/{token}",
            get(survey::show_invited).post(survey::submit_invited),
        )
        .route(
            "/u/{token}",
            get(survey::confirm_unsubscribe).post(survey::unsubscribe),
        )
        .route(
            "/l/{program}/{survey}",
            get(survey::show_open).post(survey::submit_open),
        )
        .nest("/api/v1", api)
        .fallback(survey::not_found)
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state.0.client_ip_header.clone(),
            limit::attach_client_ip,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Client addresses come from the socket (see [`ServerOptions::client_ip_header`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limiters_state = state.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiters_state.0.limiters.forget_idle();
        }
    });
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Small replies must leave at once, not wait for Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served
}
