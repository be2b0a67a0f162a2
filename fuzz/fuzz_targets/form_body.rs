//! Raw bytes as the body of a survey form post, read by the handlers' own body reader
//! ([`FormFields`]) and checked against every survey of the example programs as
//! `POST /s/{token}` does ([`RawAnswers::from_form`], [`form::validate`]), then the form
//! shown again with its errors ([`form::view`]): never a panic.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use ecoute::collect::form::{self, RawAnswers};
use ecoute::collect::texts::texts;
use ecoute::collect::{FormFields, FormRefused};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let Some(runtime) = RUNTIME
        .get_or_init(|| tokio::runtime::Builder::new_current_thread().build().ok())
        .as_ref()
    else {
        return;
    };
    let Ok(request) = Request::builder()
        .method("POST")
        .uri("/s/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let pairs = match runtime.block_on(FormFields::from_request(request, &())) {
        Ok(FormFields(pairs)) => pairs,
        Err(FormRefused(_status)) => return,
    };
    let programs = ecoute_fuzz::programs();
    let program = &programs[usize::from(choice) % programs.len()];
    let surveys = &program.file.surveys;
    let survey = &surveys[usize::from(choice / 2) % surveys.len()];
    let raw = RawAnswers::from_form(&pairs);
    if let Err(errors) = form::validate(survey, &raw) {
        let locale = program.file.program.default_locale.as_str();
        let _ = form::view(survey, locale, locale, texts(locale), &raw, &errors);
    }
});
