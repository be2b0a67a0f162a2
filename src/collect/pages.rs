//! Rendering the form and the short pages around it from `templates/form/` (embedded,
//! overridable), with the right status codes.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::form::{QuestionView, REVEAL_SLOTS};
use super::texts::{Texts, texts};
use crate::typography;

/// The short pages respondents may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Message {
    /// Answers stored.
    Thanks,
    /// The link was already used to answer.
    AlreadyAnswered,
    /// Unknown, malformed or closed link: one page for all, so nothing tells them apart.
    Unavailable,
    /// Asks to confirm unsubscribing (a GET never unsubscribes).
    ConfirmUnsubscribe,
    /// Unsubscribed.
    Unsubscribed,
    /// Rate limited.
    TooMany,
    /// Refused: too large, wrong content type, or a form not bound to this link.
    Refused,
    /// The server could not do its job.
    Error,
}

impl Message {
    fn words(self, t: &Texts) -> (&'static str, &'static str) {
        match self {
            Message::Thanks => (t.thanks_title, t.thanks_text),
            Message::AlreadyAnswered => (t.already_title, t.already_text),
            Message::Unavailable => (t.unavailable_title, t.unavailable_text),
            Message::ConfirmUnsubscribe => (t.unsubscribe_title, t.unsubscribe_text),
            Message::Unsubscribed => (t.unsubscribed_title, t.unsubscribed_text),
            Message::TooMany => (t.too_many_title, t.too_many_text),
            Message::Refused => (t.refused_title, t.refused_text),
            Message::Error => (t.error_title, t.error_text),
        }
    }
}

/// Renders a short page; `action` is where its button posts (unsubscribe confirmation).
pub fn message(
    state: &AppState,
    status: StatusCode,
    locale: &str,
    message: Message,
    action: Option<&str>,
) -> Response {
    let t = texts(locale);
    let lang = super::texts::language(locale);
    let key = (lang.clone(), message);
    if action.is_none()
        && let Some(html) = state.0.message_pages.get(&key)
    {
        return (status, no_store(), Html(html)).into_response();
    }
    let (title, text) = message.words(t);
    let context = serde_json::json!({
        "lang": lang,
        "t": t,
        "title": title,
        "text": text,
        "button": (message == Message::ConfirmUnsubscribe).then_some(t.unsubscribe_button),
        "action": action,
    });
    let Some(html) = render_html(state, "form/message.html", typeset(&lang, context)) else {
        return broken_template();
    };
    let html = Bytes::from(html);
    if action.is_none() {
        state.0.message_pages.keep(key, html.clone());
    }
    (status, no_store(), Html(html)).into_response()
}

/// Short pages already rendered, by language and message; at most [`KEPT_PAGES`], since the
/// language may come from a visitor's `Accept-Language` header.
#[derive(Debug, Default)]
pub struct MessagePages(Mutex<HashMap<(String, Message), Bytes>>);

/// Rendered short pages kept at most: every message in a few dozen languages.
const KEPT_PAGES: usize = 256;

impl MessagePages {
    fn get(&self, key: &(String, Message)) -> Option<Bytes> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn keep(&self, key: (String, Message), html: Bytes) {
        if let Ok(mut pages) = self.0.lock()
            && pages.len() < KEPT_PAGES
        {
            pages.insert(key, html);
        }
    }
}

/// Renders the case page (`templates/case/case.html`) from its context, with the
/// typography of its language.
pub fn case(
    state: &AppState,
    status: StatusCode,
    lang: &str,
    context: serde_json::Value,
) -> Response {
    render(state, status, "case/case.html", typeset(lang, context))
}

/// What the survey template needs.
#[derive(Debug, Serialize)]
pub struct SurveyPage<'a> {
    /// The `lang` attribute.
    pub lang: String,
    /// The form's texts.
    pub t: &'static Texts,
    /// Survey title.
    pub title: String,
    /// Survey introduction.
    pub intro: Option<String>,
    /// Where the form posts.
    pub action: &'a str,
    /// Binds the post to this link (personal links only).
    pub form_key: Option<String>,
    /// The questions.
    pub questions: Vec<QuestionView>,
    /// True when the form comes back with errors.
    pub has_errors: bool,
}

/// Renders the survey form.
pub fn survey(state: &AppState, status: StatusCode, page: &SurveyPage<'_>) -> Response {
    match serde_json::to_value(page) {
        Ok(context) => render(
            state,
            status,
            "form/survey.html",
            typeset(&page.lang, context),
        ),
        Err(err) => {
            eprintln!("error: the survey page cannot be prepared: {err}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Fields that carry data rather than prose: values sent back, links, ids, and the
/// respondent's own text, which is never retouched.
const NOT_PROSE: [&str; 10] = [
    "value", "action", "form_key", "field", "id", "kind", "scale", "lang", "reveals", "case",
];

/// The page's words with the typography of its language ([`crate::typography`]).
fn typeset(lang: &str, mut context: serde_json::Value) -> minijinja::Value {
    fn walk(lang: &str, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = typography::for_language(lang, text),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(lang, v)),
            serde_json::Value::Object(map) => map
                .iter_mut()
                .filter(|(key, _)| !NOT_PROSE.contains(&key.as_str()))
                .for_each(|(_, v)| walk(lang, v)),
            _ => {}
        }
    }
    walk(lang, &mut context);
    minijinja::Value::from(minijinja::value::Serde(context))
}

fn render(state: &AppState, status: StatusCode, name: &str, context: minijinja::Value) -> Response {
    match render_html(state, name, context) {
        Some(html) => (status, no_store(), Html(html)).into_response(),
        None => broken_template(),
    }
}

/// A page's HTML; `None` when a template override is broken (told in the server log).
fn render_html(state: &AppState, name: &str, context: minijinja::Value) -> Option<String> {
    state
        .0
        .templates
        .render(name, context)
        .inspect_err(|err| {
            eprintln!(
                "error: template {name} does not render: {err}; fix the override in the templates folder"
            );
        })
        .ok()
}

/// What a visitor sees when a template override is broken.
fn broken_template() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "The page template is broken; the operator has been told in the server log.",
    )
        .into_response()
}

/// Pages behind personal links must not be cached by shared caches.
fn no_store() -> [(header::HeaderName, &'static str); 1] {
    [(header::CACHE_CONTROL, "no-store")]
}

/// `GET /assets/form.css`.
pub async fn stylesheet(State(state): State<AppState>) -> Response {
    let context = minijinja::context! { reveal_slots => REVEAL_SLOTS };
    match state.0.templates.render("form/form.css", context) {
        Ok(css) => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            css,
        )
            .into_response(),
        Err(err) => {
            eprintln!("error: template form/form.css does not render: {err}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
