//! The HTTP side's error answer, `{"error": "..."}`: the API's, the guards' and the
//! WebSocket endpoint's refusals all look the same.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize)]
struct ErrorBody {
    error: String,
}

/// The API's error answer: `{"error": "..."}` with `status`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        error: message.into(),
    };
    (status, Json(body)).into_response()
}

/// A query string that does not parse: `400` with the JSON error, not axum's plain text.
pub(crate) fn bad_query(rejection: &QueryRejection) -> Response {
    error(StatusCode::BAD_REQUEST, rejection.body_text())
}
