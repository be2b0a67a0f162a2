//! The admin JSON API under `/api/v1`, behind a bearer token compared in constant time.
//! Without a configured token every API route answers 404: the API is off.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::form::{self, RawAnswers};
use super::writer::{IngestError, Stored};
use crate::contacts::normalise_email;
use crate::plan::{self, TriggerEvent};

use crate::program::Program;
use crate::records::{Attributes, NewResponse};

/// The API's routes, with the token check in front of them.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/events", post(post_event))
        .route("/responses", post(post_response))
        .route("/status", get(status))
        .route("/cases", get(list_cases))
        .route_layer(axum::middleware::from_fn_with_state(state, require_token))
}

/// What `GET /api/v1/cases` may be asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesQuery {
    /// Only this program's cases.
    program: Option<String>,
    /// Only the open cases past their promised call-back.
    #[serde(default)]
    overdue: bool,
}

/// `GET /api/v1/cases[?program=ID][&overdue=true]`: the follow-up cases, oldest first, for
/// a CRM or a team's tooling.
async fn list_cases(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<CasesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(axum::extract::Query(query)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "unknown query; use `program=ID` and `overdue=true`",
        );
    };
    match state.0.store.cases(query.program.as_deref()).await {
        Ok(cases) => {
            let now = state.now();
            let shown: Vec<_> = cases
                .iter()
                .filter(|c| !query.overdue || crate::cases::is_overdue(c.status, c.due_at, now))
                .map(|c| crate::cases::case_json(c, now))
                .collect();
            Json(json!({ "cases": shown })).into_response()
        }
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}

/// How far back `submitted_at` and `occurred_at` may go: a year and a month, enough for a
/// late import of last year's comparison period, not enough to create periods and waves
/// from before the program existed (`1900-01-01`, the Unix epoch of an unset field).
pub const MAX_AGE_DAYS: i64 = 400;

/// How far ahead of the server's clock a date may be: clock skew between machines, not
/// answers from the future.
pub const MAX_AHEAD_MINUTES: i64 = 5;

/// The longest `external_id` accepted, in characters: ids of CRMs and call-centre tools
/// are far shorter, and the id is stored, indexed and exported.
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;

/// Checks that a date sent to the API lies in the accepted window around `now`.
fn within_window(field: &str, at: Timestamp, now: Timestamp) -> Result<(), String> {
    let earliest = now - SignedDuration::from_hours(MAX_AGE_DAYS * 24);
    let latest = now + SignedDuration::from_mins(MAX_AHEAD_MINUTES);
    if at < earliest || at > latest {
        return Err(format!(
            "`{field}` {at} is outside the accepted window: from {MAX_AGE_DAYS} days before \
             now ({}) to {MAX_AHEAD_MINUTES} minutes after now ({}); send the real date, \
             in RFC 3339",
            earliest.round(jiff::Unit::Second).unwrap_or(earliest),
            latest.round(jiff::Unit::Second).unwrap_or(latest),
        ));
    }
    Ok(())
}

/// A value received from a client, shortened for an error message.
fn excerpt(value: &str) -> String {
    const SHOWN: usize = 40;
    if value.chars().count() <= SHOWN {
        value.to_owned()
    } else {
        format!("{}…", value.chars().take(SHOWN).collect::<String>())
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Lets a request through when it carries the admin bearer token (the API and `/metrics`).
pub(super) async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = &state.0.admin_token_hash else {
        return error(
            StatusCode::NOT_FOUND,
            "the admin API is disabled: set admin_token (--admin-token or ECOUTE_ADMIN_TOKEN) to enable it",
        );
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| Sha256::digest(token.trim().as_bytes()));
    let allowed = given.is_some_and(|given| bool::from(given.as_slice().ct_eq(expected)));
    if !allowed {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token: send `Authorization: Bearer <admin_token>`",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    next.run(request).await
}

fn json_rejection(rejection: &JsonRejection) -> Response {
    error(rejection.status(), rejection.body_text())
}

/// `POST /api/v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    /// Event name, as in the programs' `rules.triggers`.
    event: String,
    /// The person concerned.
    email: String,
    /// Only this program's triggers (default: every program's).
    #[serde(default)]
    program: Option<String>,
    /// Attributes kept with the event and the invitation (first_name, segment…).
    #[serde(default)]
    attributes: Attributes,
    /// Locale of the invitation.
    #[serde(default)]
    locale: Option<String>,
    /// When it happened (RFC 3339); default now.
    #[serde(default)]
    occurred_at: Option<Timestamp>,
}

async fn post_event(
    State(state): State<AppState>,
    body: Result<Json<EventBody>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return json_rejection(&rejection),
    };
    let email = match normalise_email(&body.email) {
        Ok(email) => email,
        Err(err) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid email `{}`: {err}", body.email),
            );
        }
    };
    let now = state.now();
    let occurred_at = body.occurred_at.unwrap_or(now);
    if let Err(message) = within_window("occurred_at", occurred_at, now) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, message);
    }
    let programs: Vec<&Program> = state.1.values().map(|p| &**p).collect();
    let event = TriggerEvent {
        event: &body.event,
        email: &email,
        program: body.program.as_deref(),
        attributes: &body.attributes,
        locale: body.locale.as_deref(),
        occurred_at,
    };
    match plan::schedule_triggers(&state.0.store, &programs, &event).await {
        Ok(outcome) => (StatusCode::ACCEPTED, Json(outcome)).into_response(),
        Err(err) if err.is_bad_request() => {
            error(StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
        }
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}

fn loaded(state: &AppState) -> String {
    let ids: Vec<&str> = state.1.keys().map(String::as_str).collect();
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

/// `POST /api/v1/responses`: a response collected elsewhere.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseBody {
    program: String,
    survey: String,
    /// One of the survey's channels, `api` (the default) or `import`.
    #[serde(default)]
    channel: Option<String>,
    /// RFC 3339; default now; within [`MAX_AGE_DAYS`] before now and [`MAX_AHEAD_MINUTES`]
    /// after. The response counts in the period that contains it.
    #[serde(default)]
    submitted_at: Option<Timestamp>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    respondent: Option<Attributes>,
    /// The sender's id: posting the same one twice stores one response. At most
    /// [`MAX_EXTERNAL_ID_CHARS`] characters.
    #[serde(default)]
    external_id: Option<String>,
    /// `{question_id: value}`.
    answers: serde_json::Map<String, serde_json::Value>,
}

async fn post_response(
    State(state): State<AppState>,
    body: Result<Json<ResponseBody>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return json_rejection(&rejection),
    };
    let unprocessable = |m: String| error(StatusCode::UNPROCESSABLE_ENTITY, m);
    let Some(program) = state.program(&body.program) else {
        return unprocessable(format!(
            "unknown program `{}`; loaded programs: {}",
            body.program,
            loaded(&state)
        ));
    };
    let Some(survey) = program.file.surveys.iter().find(|s| *s.id == body.survey) else {
        return unprocessable(format!(
            "program `{}` has no survey `{}`",
            body.program, body.survey
        ));
    };
    let channel = body.channel.clone().unwrap_or_else(|| "api".to_owned());
    let channels: Vec<&str> = survey.channels.iter().map(|c| c.as_str()).collect();
    if !channels.contains(&channel.as_str())
        && !crate::responses::SHARED_CHANNELS.contains(&channel.as_str())
    {
        return unprocessable(format!(
            "channel `{}` is not a channel of survey `{}`: send one of {}, or `api` (the \
             default) or `import`",
            excerpt(&channel),
            body.survey,
            channels.join(", ")
        ));
    }
    if let Some(id) = &body.external_id {
        let length = id.chars().count();
        if length > MAX_EXTERNAL_ID_CHARS {
            return unprocessable(format!(
                "`external_id` has {length} characters; at most {MAX_EXTERNAL_ID_CHARS} characters are \
                 accepted (send your system's id, not a document)"
            ));
        }
    }
    let submitted_at = body.submitted_at.unwrap_or_else(Timestamp::now);
    if let Err(message) = within_window("submitted_at", submitted_at, Timestamp::now()) {
        return unprocessable(message);
    }
    let known: Vec<&str> = survey.questions.iter().map(|q| q.id.as_str()).collect();
    if let Some(unknown) = body.answers.keys().find(|k| !known.contains(&k.as_str())) {
        return unprocessable(format!(
            "survey `{}` has no question `{unknown}`; its questions: {}",
            body.survey,
            known.join(", ")
        ));
    }
    let answers = match form::validate(survey, &RawAnswers::from_json(&body.answers)) {
        Ok(answers) => answers,
        Err(errors) => {
            let problems: serde_json::Map<String, serde_json::Value> = errors
                .iter()
                .map(|(q, e)| (q.clone(), e.api_message(q).into()))
                .collect();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": "some answers are invalid", "problems": problems })),
            )
                .into_response();
        }
    };
    let email = match body.email.as_deref().map(normalise_email).transpose() {
        Ok(email) => email,
        Err(err) => return unprocessable(format!("invalid email: {err}")),
    };
    let period = match program.calendar().resolve_period(None, submitted_at) {
        Ok(period) => period.to_string(),
        Err(err) => return unprocessable(format!("submitted_at: {err}")),
    };
    let mut response = NewResponse {
        invitation_id: None,
        program_id: body.program.clone(),
        survey_id: body.survey.clone(),
        touchpoint_id: Some(survey.touchpoint.to_string()),
        channel,
        period: period.clone(),
        submitted_at,
        email,
        respondent: body.respondent.clone(),
        external_id: body.external_id.clone(),
        answers,
        cases: Vec::new(),
        version: program.survey_version(&survey.id),
    };
    response.cases = crate::cases::open(program, &response);
    match state.0.ingest.submit(response).await {
        Ok(Stored::New(id)) => (
            StatusCode::CREATED,
            Json(json!({ "id": id, "period": period, "duplicate": false })),
        )
            .into_response(),
        Ok(Stored::Duplicate) => (
            StatusCode::OK,
            Json(json!({ "id": null, "period": period, "duplicate": true })),
        )
            .into_response(),
        Err(err @ (IngestError::Stopped(_) | IngestError::Store(_))) => {
            error(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
        }
    }
}

/// `GET /api/v1/status`.
async fn status(State(state): State<AppState>) -> Response {
    let schema = match state.0.store.status().await {
        Ok(status) => json!({ "current": status.current, "latest": status.latest }),
        Err(err) => return error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    };
    let responses = match state.0.store.count_responses().await {
        Ok(n) => n,
        Err(err) => return error(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    };
    let programs: Vec<serde_json::Value> = state
        .1
        .values()
        .map(|p| {
            json!({
                "id": p.id(),
                "sha256": p.sha256,
                "surveys": p.file.surveys.iter().map(|s| s.id.to_string()).collect::<Vec<_>>(),
                "events": p.file.rules.triggers.iter().map(|t| t.event.to_string()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "backend": state.0.store.backend().to_string(),
        "schema": schema,
        "responses": responses,
        "programs": programs,
    }))
    .into_response()
}
