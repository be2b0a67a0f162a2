//! The web server (`ecoute serve`): the survey form behind personal links (`/s/{token}`),
//! unsubscribe (`/u/{token}`), the open link (`/l/{program}/{survey}`), the admin JSON API
//! (`/api/v1`), `/healthz` and `/metrics`.
//!
//! A personal link answers once: there is no editing after submission, even before the
//! period closes (a second submission shows "already answered" and changes nothing). Unknown,
//! malformed and closed links all get the same 404 page after the same work, and an address
//! that keeps trying bad links gets 429s.

pub mod form;
pub mod texts;

mod api;
mod case;
mod limit;
mod media;
mod ops;
mod pages;
mod survey;
mod writer;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;
use tower_http::set_header::SetResponseHeaderLayer;

pub use limit::{ClientIp, LimitSettings, client_address};
/// The form handlers' body reader, public so the fuzz target reads posts through it.
pub use media::{FormFields, FormRefused};
pub use ops::SchedulerProbe;
pub use survey::{form_key, open_form_key};
pub use writer::{Ingest, IngestError, Stored};

use crate::clock::Clock;
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
#[derive(Debug, Clone)]
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
    /// Timeouts and the connection cap of [`serve`].
    pub connections: ConnectionLimits,
    /// The clock that says when a period has closed and when an event happened: the
    /// daemon's, so its rehearsal clock and the form agree.
    pub clock: Clock,
    /// Longest wait for the store's answer in `/healthz` before it reports `timeout`.
    pub health_timeout: Duration,
    /// The daemon's scheduler, for `/healthz` and `/metrics`; `None` under `ecoute serve`.
    pub scheduler: Option<SchedulerProbe>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            admin_token: None,
            client_ip_header: None,
            limits: LimitSettings::default(),
            secure_cookies: false,
            connections: ConnectionLimits::default(),
            health_timeout: Duration::from_secs(2),
            scheduler: None,
            clock: Clock::default(),
        }
    }
}

/// How long and how many connections [`serve`] keeps, so that idle, slow or half-open
/// clients cannot hold the server's memory and sockets.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest wait for a request's head (request line and headers), counted from the
    /// connection's start or the end of the previous reply: it is also the idle timeout of
    /// kept-alive connections.
    pub header_read_timeout: Duration,
    /// Longest time for a whole request once its head arrived (reading the body and
    /// answering); past it the client gets 408 and the connection is closed.
    pub request_timeout: Duration,
    /// Most connections open at once; more clients wait in the listen queue until one
    /// closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1_024,
        }
    }
}

/// The programs a server answers for, as the daemon's reload replaces them as a whole.
pub type LivePrograms = watch::Receiver<Arc<Vec<Arc<Program>>>>;

/// Everything the handlers share, and the programs in force when it was cloned: axum clones
/// the state for each request, so a request sees one version of the programs from start to
/// end, and the next request the version a reload put in force since.
pub struct AppState(Arc<Inner>, Arc<BTreeMap<String, Arc<Program>>>);

impl Clone for AppState {
    fn clone(&self) -> Self {
        AppState(Arc::clone(&self.0), by_id(&self.0.programs.borrow()))
    }
}

/// The programs keyed by id.
fn by_id(programs: &[Arc<Program>]) -> Arc<BTreeMap<String, Arc<Program>>> {
    Arc::new(
        programs
            .iter()
            .map(|p| (p.id().to_owned(), Arc::clone(p)))
            .collect(),
    )
}

struct Inner {
    store: Store,
    programs: LivePrograms,
    templates: Templates,
    admin_token_hash: Option<[u8; 32]>,
    ingest: Ingest,
    limiters: limit::Limiters,
    secure_cookies: bool,
    client_ip_header: Option<HeaderName>,
    connections: ConnectionLimits,
    clock: Clock,
    health_timeout: Duration,
    scheduler: Option<SchedulerProbe>,
    /// The short pages without a button, rendered once per language: the thank-you page
    /// follows every stored answer, and rendering it each time was a tenth of the form's
    /// work. Templates never change while the server runs.
    message_pages: pages::MessagePages,
}

impl AppState {
    /// Builds the state for programs that never change (`ecoute serve`) and starts the
    /// response writer on the current runtime.
    pub fn new(
        store: Store,
        programs: impl IntoIterator<Item = impl Into<Arc<Program>>>,
        templates: Templates,
        options: &ServerOptions,
    ) -> AppState {
        let fixed: Vec<Arc<Program>> = programs.into_iter().map(Into::into).collect();
        let (_never_changes, programs) = watch::channel(Arc::new(fixed));
        AppState::live(store, programs, templates, options)
    }

    /// Builds the state for programs a reload may replace (`ecoute daemon`): each request
    /// reads the version in force when it arrives.
    pub fn live(
        store: Store,
        programs: LivePrograms,
        templates: Templates,
        options: &ServerOptions,
    ) -> AppState {
        let snapshot = by_id(&programs.borrow());
        AppState(
            Arc::new(Inner {
                ingest: Ingest::start(store.clone(), options.clock),
                store,
                programs,
                templates,
                admin_token_hash: options
                    .admin_token
                    .as_deref()
                    .map(|t| Sha256::digest(t.as_bytes()).into()),
                limiters: limit::Limiters::new(&options.limits),
                secure_cookies: options.secure_cookies,
                client_ip_header: options.client_ip_header.clone(),
                connections: options.connections,
                clock: options.clock,
                health_timeout: options.health_timeout,
                scheduler: options.scheduler.clone(),
                message_pages: pages::MessagePages::default(),
            }),
            snapshot,
        )
    }

    fn program(&self, id: &str) -> Option<&Program> {
        self.1.get(id).map(|p| &**p)
    }

    /// The current instant by the server's clock.
    fn now(&self) -> jiff::Timestamp {
        self.0.clock.now()
    }
}

/// The whole application: every route with its limits and security headers.
pub fn router(state: AppState) -> Router {
    let api = api::routes(state.clone());
    let metrics = Router::new()
        .route("/metrics", get(ops::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::require_token,
        ));
    Router::new()
        .route("/healthz", get(ops::healthz))
        .merge(metrics)
        .route("/assets/form.css", get(pages::stylesheet))
        .route(
            "/s/{token}",
            get(survey::show_invited).post(survey::submit_invited),
        )
        .route(
            "/u/{token}",
            get(survey::confirm_unsubscribe).post(survey::unsubscribe),
        )
        .route("/c/{token}", get(case::show).post(case::update))
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
        .layer(axum::middleware::from_fn(log_request))
}

/// Logs one line per request through `tracing` (method, path with its token masked, status,
/// duration in fields of their own, so `--log-format json` gives them as JSON keys), so an
/// operator sees the traffic without the links that open someone's form.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = crate::redact::mask_link_path(request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path = %path,
        status = response.status().as_u16(),
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes the requests in
/// flight (at most [`ConnectionLimits::request_timeout`] more). Client addresses come from
/// the socket (see [`ServerOptions::client_ip_header`]). Each connection is HTTP/1.1 with
/// the [`ConnectionLimits`] of the options: a header-read (and idle) timeout, a timeout per
/// request, and at most `max_connections` at once.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.0.connections;
    let limiters_state = state.clone();
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiters_state.0.limiters.forget_idle();
        }
    });
    let app = router(state);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: while every slot is taken, new clients wait in the listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    eprintln!("ecoute serve: cannot accept a connection: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small replies must leave at once, not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
        let service = connection_service(app.clone(), peer, limits.request_timeout);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            // A client that hangs up or times out ends only its own connection.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.request_timeout, graceful.shutdown()).await;
    sweeper.abort();
    Ok(())
}

/// The application as one connection's hyper service: the peer address recorded for
/// [`client_address`], and each request bounded by `request_timeout` (408 past it).
fn connection_service(
    app: Router,
    peer: SocketAddr,
    request_timeout: Duration,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Future<Output = Result<axum::response::Response, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            match tokio::time::timeout(request_timeout, app.oneshot(request)).await {
                Ok(response) => response,
                Err(_) => {
                    let mut response = StatusCode::REQUEST_TIMEOUT.into_response();
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    Ok(response)
                }
            }
        }
    })
}
