//! The case page (`/c/{token}`): what the customer answered, the case's status and the time
//! of each step, a note, and buttons for the allowed next states. Its token is the personal
//! token of the recipient's alert email, with the rules of survey links: an unknown token
//! or an erased person gets the same 404 page.

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;

use super::AppState;
use super::limit::ClientIp;
use super::media::{FormFields, FormRefused};
use super::pages::{self, Message};
use super::survey::{foreign_post, form_key, server_error, unavailable};
use crate::cases::Case;
use crate::cases::{self, CaseStatus, shown_answers};
use crate::program::Program;
use crate::program::model::LocalizedText;
use crate::token::Token;

/// `GET /c/{token}`.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ip): Extension<ClientIp>,
) -> Response {
    match lookup(&state, &token, ip).await {
        Ok((case, program)) => page(&state, StatusCode::OK, &token, &case, program, None).await,
        Err(response) => response,
    }
}

/// `POST /c/{token}`: saves the note and, when a `status` is given, moves the case there if
/// the transition is allowed (else 409 with the allowed ones); then back to the page.
pub async fn update(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ip): Extension<ClientIp>,
    headers: HeaderMap,
    body: Result<FormFields, FormRefused>,
) -> Response {
    let (case, program) = match lookup(&state, &token, ip).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let locale = program.file.program.default_locale.as_str();
    let Ok(FormFields(pairs)) = body else {
        return pages::message(
            &state,
            StatusCode::BAD_REQUEST,
            locale,
            Message::Refused,
            None,
        );
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if let Some(refused) = foreign_post(&state, &headers, &token, field("form_key"), locale) {
        return refused;
    }
    let note = field("note").map(str::trim).filter(|n| !n.is_empty());
    let now = Timestamp::now();
    let outcome = match field("status").filter(|s| !s.is_empty()) {
        Some(wanted) => {
            let target = wanted
                .parse::<CaseStatus>()
                .map_err(|_| format!("unknown status `{wanted}`"));
            match target.and_then(|to| {
                cases::transition(case.status, to)
                    .map(|()| to)
                    .map_err(|e| e.to_string())
            }) {
                Ok(to) => state
                    .0
                    .store
                    .move_case(case.id, case.status, to, note, now)
                    .await
                    .map(|moved| {
                        (!moved).then(|| "the case changed meanwhile; here it is now".to_owned())
                    }),
                Err(refused) => Ok(Some(refused)),
            }
        }
        None => match note {
            Some(note) => state
                .0
                .store
                .note_case(case.id, note, now)
                .await
                .map(|_| None),
            None => Ok(None),
        },
    };
    match outcome {
        Ok(None) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/c/{token}"))],
        )
            .into_response(),
        Ok(Some(refused)) => {
            let current = match state.0.store.case(case.id).await {
                Ok(Some(current)) => current,
                _ => case,
            };
            page(
                &state,
                StatusCode::CONFLICT,
                &token,
                &current,
                program,
                Some(refused),
            )
            .await
        }
        Err(err) => server_error(&state, locale, &err),
    }
}

/// The case of a well-formed, known token whose program is served; else the 404 page of
/// bad links (counted against the address like them).
async fn lookup<'a>(
    state: &'a AppState,
    token: &str,
    ip: ClientIp,
) -> Result<(Case, &'a Program), Response> {
    let Some(parsed) = Token::parse(token) else {
        return Err(unavailable(state, ip, "fr"));
    };
    match state.0.store.case_by_token(&parsed.hash()).await {
        Ok(Some(case)) => match state.program(&case.program_id) {
            Some(program) => Ok((case, program)),
            None => Err(unavailable(state, ip, "fr")),
        },
        Ok(None) => Err(unavailable(state, ip, "fr")),
        Err(err) => Err(server_error(state, "fr", &err)),
    }
}

async fn page(
    state: &AppState,
    status: StatusCode,
    token: &str,
    case: &Case,
    program: &Program,
    error: Option<String>,
) -> Response {
    let file = &program.file;
    let locale = file.program.default_locale.as_str();
    let survey = file.surveys.iter().find(|s| *s.id == case.survey_id);
    let (answers, verbatims) = match (survey, state.0.store.response(case.response_id).await) {
        (Some(survey), Ok(Some(response))) => {
            shown_answers(survey, &response.answers, locale, locale)
        }
        (_, Err(err)) => return server_error(state, locale, &err),
        _ => (Vec::new(), Vec::new()),
    };
    let zone = program.calendar().zone();
    let when = |at: Timestamp| {
        at.to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let steps: Vec<_> = [
        (CaseStatus::Open, Some(case.opened_at)),
        (CaseStatus::Contacted, case.contacted_at),
        (CaseStatus::NotReachable, case.unreachable_at),
        (CaseStatus::Resolved, case.resolved_at),
    ]
    .into_iter()
    .filter_map(|(status, at)| at.map(|at| json!({ "status": status, "at": when(at) })))
    .collect();
    let lang = super::texts::language(locale);
    let context = json!({
        "lang": lang,
        "t": labels(&lang),
        "title": labels(&lang)["title"],
        "survey_title": survey.map(|s| s.title.pick(locale, locale).to_owned()),
        "case": {
            "id": case.id,
            "rule": case.rule_id,
            "status": case.status,
            "note": case.note,
            "due": when(case.due_at),
            "respondent_name": case.respondent_name,
            "respondent_email": case.respondent_email,
        },
        "overdue": cases::is_overdue(case.status, case.due_at, Timestamp::now()),
        "steps": steps,
        "answers": answers,
        "verbatims": verbatims,
        "next": case.status.next(),
        "action": format!("/c/{token}"),
        "form_key": form_key(token),
        "error": error,
    });
    pages::case(state, status, &lang, context)
}

/// The page's words in French or English.
fn labels(lang: &str) -> serde_json::Value {
    if lang == "fr" {
        json!({
            "title": "Cas n°", "rule": "Alerte", "customer": "Client",
            "anonymous": "Réponse anonyme", "answers": "Réponses", "status": "Statut",
            "overdue": "rappel en retard", "due": "Rappel promis avant", "note": "Note",
            "save_note": "Enregistrer la note", "open": "Ouvert", "contacted": "Client contacté",
            "resolved": "Résolu", "not_reachable": "Injoignable",
        })
    } else {
        json!({
            "title": "Case", "rule": "Alert", "customer": "Customer",
            "anonymous": "Anonymous answer", "answers": "Answers", "status": "Status",
            "overdue": "call-back overdue", "due": "Call back promised before", "note": "Note",
            "save_note": "Save the note", "open": "Open", "contacted": "Customer contacted",
            "resolved": "Resolved", "not_reachable": "Not reachable",
        })
    }
}
