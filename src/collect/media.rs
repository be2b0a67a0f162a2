//! The body of a form post, taken only when its media type is exactly
//! `application/x-www-form-urlencoded`: type and subtype compared without regard to case,
//! parameters (`; charset=UTF-8`) allowed, anything else (`…urlencodedXYZ`, `text/plain`,
//! no `Content-Type`) refused with 415 before the body is read.

use axum::extract::{Form, FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The media type of HTML form posts.
const FORM: &str = "application/x-www-form-urlencoded";

/// The fields of a form post, in the order sent.
#[derive(Debug)]
pub struct FormFields(pub Vec<(String, String)>);

/// Why a form post was not read; the status says it (415, 413, 400…).
#[derive(Debug)]
pub struct FormRefused(pub StatusCode);

/// Whether `headers` declare the media type `expected` (lower case): the part before any
/// `;` parameters, trimmed, equal without regard to ASCII case.
pub fn has_media_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(expected))
}

impl IntoResponse for FormRefused {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = FormRefused;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_media_type(request.headers(), FORM) {
            return Err(FormRefused(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        // The type is checked: let the form reader see it spelled as it expects.
        let (mut parts, body) = request.into_parts();
        parts
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(FORM));
        let request = Request::from_parts(parts, body);
        match Form::<Vec<(String, String)>>::from_request(request, state).await {
            Ok(Form(fields)) => Ok(FormFields(fields)),
            Err(rejection) => Err(FormRefused(rejection.status())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(content_type: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("header"),
        );
        has_media_type(&headers, FORM)
    }

    #[test]
    fn the_media_type_is_compared_whole_and_without_case() {
        assert!(declared("application/x-www-form-urlencoded"));
        assert!(declared("Application/X-WWW-Form-URLEncoded; charset=UTF-8"));
        assert!(declared(
            " application/x-www-form-urlencoded ;charset=utf-8"
        ));
        assert!(!declared("application/x-www-form-urlencodedXYZ"));
        assert!(!declared("application/x-www-form-urlencoded-evil; a=b"));
        assert!(!declared("text/plain"));
        assert!(!has_media_type(&HeaderMap::new(), FORM));
    }
}
