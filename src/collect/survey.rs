//! The respondents' routes: the survey behind a personal link, unsubscribe, and the open link.

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::form::{self, RawAnswers};
use super::limit::ClientIp;
use super::media::{FormFields, FormRefused};
use super::pages::{self, Message, SurveyPage};
use super::texts::{language, texts};
use super::writer::Stored;
use super::{AppState, IngestError};

use crate::program::Program;
use crate::program::model::{ChannelType, LocalizedText, Survey};
use crate::records::{Attributes, NewResponse, TokenInvitation};
use crate::token::Token;

/// A personal link that may be answered.
struct Invited<'a> {
    invitation: TokenInvitation,
    program: &'a Program,
    survey: &'a Survey,
    locale: String,
}

/// What a personal link leads to.
enum Lookup<'a> {
    Open(Box<Invited<'a>>),
    /// Unknown, malformed, or closed: the same answer for all three.
    Unavailable(Response),
}

/// The key a form must carry back: derived from the link's token, so a form can only be
/// posted to the link that served it.
pub fn form_key(token: &str) -> String {
    let digest = Sha256::digest(format!("ecoute/form/v1/{token}").as_bytes());
    crate::program::hex(&digest[..16])
}

/// The key of an open-link form: derived from the link's program and survey, so a form can
/// only be posted to the link that served it, as with personal links.
pub fn open_form_key(program: &str, survey: &str) -> String {
    let digest = Sha256::digest(format!("ecoute/open-form/v1/{program}/{survey}").as_bytes());
    crate::program::hex(&digest[..16])
}

/// The locale of the form: the contact's, when the program speaks it, else the program's
/// default.
fn form_locale(program: &Program, wanted: Option<&str>) -> String {
    let file = &program.file.program;
    wanted
        .map(language)
        .and_then(|lang| file.locales.iter().find(|l| language(l) == lang).cloned())
        .unwrap_or_else(|| file.default_locale.to_string())
}

/// The page for a bad link, or 429 once this address tried too many.
pub(super) fn unavailable(state: &AppState, ip: ClientIp, locale: &str) -> Response {
    match state.0.limiters.bad_link(ip.0) {
        Ok(()) => pages::message(
            state,
            StatusCode::NOT_FOUND,
            locale,
            Message::Unavailable,
            None,
        ),
        Err(wait) => too_many(state, locale, wait),
    }
}

/// 429, with the true number of seconds until the address may try again.
fn too_many(state: &AppState, locale: &str, wait: std::time::Duration) -> Response {
    let mut response = pages::message(
        state,
        StatusCode::TOO_MANY_REQUESTS,
        locale,
        Message::TooMany,
        None,
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(super::limit::retry_after_seconds(wait)),
    );
    response
}

pub(super) fn server_error(
    state: &AppState,
    locale: &str,
    err: &dyn std::fmt::Display,
) -> Response {
    eprintln!("error: {err}");
    pages::message(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        locale,
        Message::Error,
        None,
    )
}

/// Looks the token up and checks that its survey still accepts answers.
async fn lookup<'a>(state: &'a AppState, token: &str, ip: ClientIp) -> Lookup<'a> {
    let fallback = "fr";
    let Some(token) = Token::parse(token) else {
        return Lookup::Unavailable(unavailable(state, ip, fallback));
    };
    let invitation = match state.0.ingest.invitation(token.hash()).await {
        Ok(Some(invitation)) => invitation,
        Ok(None) => {
            // Do the work a known link's checks do, so that an unknown link and a closed
            // one take the same time.
            if let Some(program) = state.1.values().next() {
                std::hint::black_box(is_closed(program, "2000-01", state.now()));
            }
            return Lookup::Unavailable(unavailable(state, ip, fallback));
        }
        Err(err) => return Lookup::Unavailable(server_error(state, fallback, &err)),
    };
    let Some(program) = state.program(&invitation.program_id) else {
        return Lookup::Unavailable(unavailable(state, ip, fallback));
    };
    let Some(survey) = program
        .file
        .surveys
        .iter()
        .find(|s| *s.id == invitation.survey_id)
    else {
        return Lookup::Unavailable(unavailable(state, ip, fallback));
    };
    if is_closed(program, &invitation.period, state.now()) {
        return Lookup::Unavailable(unavailable(state, ip, fallback));
    }
    let locale = form_locale(program, invitation.locale.as_deref());
    Lookup::Open(Box::new(Invited {
        invitation,
        program,
        survey,
        locale,
    }))
}

/// True once the period's answers are no longer accepted (or the period is unreadable).
fn is_closed(program: &Program, period: &str, now: Timestamp) -> bool {
    let calendar = program.calendar();
    calendar
        .resolve_period(Some(period), now)
        .and_then(|period| calendar.closes_at(&period))
        .map_or(true, |closes| now >= closes.timestamp())
}

fn survey_page<'a>(
    program: &Program,
    survey: &Survey,
    locale: &str,
    action: &'a str,
    form_key: Option<String>,
    raw: &RawAnswers,
    errors: &form::FieldErrors,
) -> SurveyPage<'a> {
    let default = program.file.program.default_locale.as_str();
    let t = texts(locale);
    SurveyPage {
        lang: language(locale),
        t,
        title: survey.title.pick(locale, default).to_owned(),
        intro: survey
            .intro
            .as_ref()
            .map(|intro| intro.pick(locale, default).to_owned()),
        action,
        form_key,
        questions: form::view(survey, locale, default, t, raw, errors),
        has_errors: !errors.is_empty(),
    }
}

/// `GET /s/{token}`: the survey, or "already answered".
pub async fn show_invited(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ip): Extension<ClientIp>,
) -> Response {
    let invited = match lookup(&state, &token, ip).await {
        Lookup::Open(invited) => invited,
        Lookup::Unavailable(response) => return response,
    };
    if invited.invitation.answered {
        return pages::message(
            &state,
            StatusCode::OK,
            &invited.locale,
            Message::AlreadyAnswered,
            None,
        );
    }
    let action = format!("/s/{token}");
    let page = survey_page(
        invited.program,
        invited.survey,
        &invited.locale,
        &action,
        Some(form_key(&token)),
        &RawAnswers::default(),
        &form::FieldErrors::new(),
    );
    pages::survey(&state, StatusCode::OK, &page)
}

/// Refuses requests a browser marks as coming from another site.
/// The 403 page for a post to a personal link (`/s/…`, `/c/…`) from another site, or
/// without the `form_key` of the page that link served; `None` when the post is the link's
/// own.
pub(super) fn foreign_post(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    key: Option<&str>,
    locale: &str,
) -> Option<Response> {
    (cross_site(headers) || key != Some(form_key(token).as_str()))
        .then(|| pages::message(state, StatusCode::FORBIDDEN, locale, Message::Refused, None))
}

fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

/// `POST /s/{token}`: validates, stores once, thanks.
pub async fn submit_invited(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    body: Result<FormFields, FormRefused>,
) -> Response {
    let invited = match lookup(&state, &token, ip).await {
        Lookup::Open(invited) => invited,
        Lookup::Unavailable(response) => return response,
    };
    let locale = invited.locale.as_str();
    let FormFields(pairs) = match body {
        Ok(body) => body,
        Err(FormRefused(status)) => {
            return pages::message(&state, status, locale, Message::Refused, None);
        }
    };
    let key = pairs
        .iter()
        .find(|(name, _)| name == "form_key")
        .map(|(_, v)| v.as_str());
    if let Some(refused) = foreign_post(&state, &headers, &token, key, locale) {
        return refused;
    }
    if invited.invitation.answered {
        return pages::message(
            &state,
            StatusCode::CONFLICT,
            locale,
            Message::AlreadyAnswered,
            None,
        );
    }
    let raw = RawAnswers::from_form(&pairs);
    let answers = match form::validate(invited.survey, &raw) {
        Ok(answers) => answers,
        Err(errors) => {
            let action = format!("/s/{token}");
            let page = survey_page(
                invited.program,
                invited.survey,
                locale,
                &action,
                Some(form_key(&token)),
                &raw,
                &errors,
            );
            return pages::survey(&state, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut response = NewResponse {
        invitation_id: Some(invited.invitation.invitation_id),
        program_id: invited.invitation.program_id.clone(),
        survey_id: invited.invitation.survey_id.clone(),
        touchpoint_id: Some(invited.survey.touchpoint.to_string()),
        channel: invited.invitation.channel_id.clone(),
        period: invited.invitation.period.clone(),
        submitted_at: state.now(),
        email: None,
        respondent: invited.invitation.contact_data.as_ref().map(respondent),
        external_id: None,
        answers,
        cases: Vec::new(),
        version: invited.program.survey_version(&invited.survey.id),
    };
    response.cases = crate::cases::open(invited.program, &response);
    store(&state, locale, response).await
}

/// The respondent attributes kept with a response: the contact's attributes without the
/// direct identifiers (the invitation already links to the person).
fn respondent(contact_data: &Attributes) -> Attributes {
    contact_data
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "email" | "first_name" | "last_name"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

async fn store(state: &AppState, locale: &str, response: NewResponse) -> Response {
    match state.0.ingest.submit(response).await {
        Ok(Stored::New(_)) => pages::message(state, StatusCode::OK, locale, Message::Thanks, None),
        Ok(Stored::Duplicate) => pages::message(
            state,
            StatusCode::CONFLICT,
            locale,
            Message::AlreadyAnswered,
            None,
        ),
        Err(err @ (IngestError::Stopped(_) | IngestError::Store(_))) => {
            server_error(state, locale, &err)
        }
    }
}

/// Finds the invitation of an unsubscribe link (closed periods do not matter here).
async fn unsubscribe_lookup(
    state: &AppState,
    token: &str,
    ip: ClientIp,
) -> Result<TokenInvitation, Response> {
    let fallback = "fr";
    let Some(token) = Token::parse(token) else {
        return Err(unavailable(state, ip, fallback));
    };
    match state.0.store.token_invitation(&token.hash()).await {
        Ok(Some(invitation)) => Ok(invitation),
        Ok(None) => Err(unavailable(state, ip, fallback)),
        Err(err) => Err(server_error(state, fallback, &err)),
    }
}

fn unsubscribe_locale(state: &AppState, invitation: &TokenInvitation) -> String {
    match state.program(&invitation.program_id) {
        Some(program) => form_locale(program, invitation.locale.as_deref()),
        None => invitation.locale.clone().unwrap_or_else(|| "fr".to_owned()),
    }
}

/// `GET /u/{token}`: asks for confirmation; never unsubscribes by itself (mail scanners
/// fetch links).
pub async fn confirm_unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ip): Extension<ClientIp>,
) -> Response {
    match unsubscribe_lookup(&state, &token, ip).await {
        Ok(invitation) => {
            let locale = unsubscribe_locale(&state, &invitation);
            let action = format!("/u/{token}");
            pages::message(
                &state,
                StatusCode::OK,
                &locale,
                Message::ConfirmUnsubscribe,
                Some(&action),
            )
        }
        Err(response) => response,
    }
}

/// `POST /u/{token}`: unsubscribes (idempotent, no cookie, any body: also the RFC 8058
/// one-click target, which posts `List-Unsubscribe=One-Click`).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ip): Extension<ClientIp>,
) -> Response {
    let invitation = match unsubscribe_lookup(&state, &token, ip).await {
        Ok(invitation) => invitation,
        Err(response) => return response,
    };
    let locale = unsubscribe_locale(&state, &invitation);
    if let Some(email) = &invitation.email
        && let Err(err) = state.0.store.unsubscribe(email, Some("link")).await
    {
        return server_error(&state, &locale, &err);
    }
    pages::message(&state, StatusCode::OK, &locale, Message::Unsubscribed, None)
}

/// An open-link survey: the program, the survey and its `link` channel.
fn open_survey<'a>(
    state: &'a AppState,
    program: &str,
    survey: &str,
) -> Option<(&'a Program, &'a Survey, String)> {
    let program = state.program(program)?;
    let survey = program.file.surveys.iter().find(|s| *s.id == survey)?;
    let channel = survey.channels.iter().find_map(|id| {
        program
            .file
            .channels
            .iter()
            .find(|c| *c.id == **id && *c.kind == ChannelType::Link)
            .map(|c| c.id.to_string())
    })?;
    Some((program, survey, channel))
}

/// The locale an open-link visitor's browser prefers among the program's.
fn browser_locale(program: &Program, headers: &HeaderMap) -> String {
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let wanted = accepted
        .split(',')
        .map(|part| part.split(';').next().unwrap_or_default().trim())
        .find(|tag| {
            program
                .file
                .program
                .locales
                .iter()
                .any(|l| language(l) == language(tag))
        });
    form_locale(program, wanted)
}

/// The cookie that remembers a browser answered an open-link survey.
fn answered_cookie(program: &str, survey: &str) -> String {
    format!("ecoute-answered-{program}-{survey}")
}

fn has_answered(headers: &HeaderMap, program: &str, survey: &str) -> bool {
    let name = answered_cookie(program, survey);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim().split('=').next() == Some(name.as_str()))
}

/// `GET /l/{program}/{survey}`: the anonymous survey of an open link.
pub async fn show_open(
    State(state): State<AppState>,
    Path((program_id, survey_id)): Path<(String, String)>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
) -> Response {
    let Some((program, survey, _)) = open_survey(&state, &program_id, &survey_id) else {
        return unavailable(&state, ip, "fr");
    };
    let locale = browser_locale(program, &headers);
    if has_answered(&headers, &program_id, &survey_id) {
        return pages::message(
            &state,
            StatusCode::OK,
            &locale,
            Message::AlreadyAnswered,
            None,
        );
    }
    let action = format!("/l/{program_id}/{survey_id}");
    let page = survey_page(
        program,
        survey,
        &locale,
        &action,
        Some(open_form_key(&program_id, &survey_id)),
        &RawAnswers::default(),
        &form::FieldErrors::new(),
    );
    pages::survey(&state, StatusCode::OK, &page)
}

/// `POST /l/{program}/{survey}`: stores an anonymous answer, once per browser, a few per
/// address.
pub async fn submit_open(
    State(state): State<AppState>,
    Path((program_id, survey_id)): Path<(String, String)>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    body: Result<FormFields, FormRefused>,
) -> Response {
    let Some((program, survey, channel)) = open_survey(&state, &program_id, &survey_id) else {
        return unavailable(&state, ip, "fr");
    };
    let locale = browser_locale(program, &headers);
    let FormFields(pairs) = match body {
        Ok(body) => body,
        Err(FormRefused(status)) => {
            return pages::message(&state, status, &locale, Message::Refused, None);
        }
    };
    let key = pairs
        .iter()
        .find(|(name, _)| name == "form_key")
        .map(|(_, v)| v.as_str());
    let expected = open_form_key(&program_id, &survey_id);
    if cross_site(&headers) || key != Some(expected.as_str()) {
        return pages::message(
            &state,
            StatusCode::FORBIDDEN,
            &locale,
            Message::Refused,
            None,
        );
    }
    if has_answered(&headers, &program_id, &survey_id) {
        return pages::message(
            &state,
            StatusCode::CONFLICT,
            &locale,
            Message::AlreadyAnswered,
            None,
        );
    }
    let raw = RawAnswers::from_form(&pairs);
    let answers = match form::validate(survey, &raw) {
        Ok(answers) => answers,
        Err(errors) => {
            let action = format!("/l/{program_id}/{survey_id}");
            let page = survey_page(
                program,
                survey,
                &locale,
                &action,
                Some(expected),
                &raw,
                &errors,
            );
            return pages::survey(&state, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if let Err(wait) = state.0.limiters.open_link(ip.0) {
        return too_many(&state, &locale, wait);
    }
    let now = state.now();
    let period = match program.calendar().resolve_period(None, now) {
        Ok(period) => period.to_string(),
        Err(_) => return unavailable(&state, ip, &locale),
    };
    let mut response = NewResponse {
        invitation_id: None,
        program_id: program_id.clone(),
        survey_id: survey_id.clone(),
        touchpoint_id: Some(survey.touchpoint.to_string()),
        channel,
        period,
        submitted_at: now,
        email: None,
        respondent: None,
        external_id: None,
        answers,
        cases: Vec::new(),
        version: program.survey_version(&survey.id),
    };
    response.cases = crate::cases::open(program, &response);
    let mut reply = store(&state, &locale, response).await;
    if reply.status() == StatusCode::OK {
        let secure = if state.0.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{}=1; Path=/l/{program_id}/{survey_id}; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
            answered_cookie(&program_id, &survey_id)
        );
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            reply.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    reply
}

/// Any other path: the same page as an unknown link.
pub async fn not_found(State(state): State<AppState>) -> Response {
    pages::message(
        &state,
        StatusCode::NOT_FOUND,
        "fr",
        Message::Unavailable,
        None,
    )
    .into_response()
}
