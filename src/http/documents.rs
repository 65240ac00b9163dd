//! Evidence documents over HTTP: `PUT /v1/documents/{digest}` stores a document under the digest the
//! client names (refused unless the bytes hash to it), `POST /v1/documents` stores one and answers its
//! digest, `GET /v1/documents/{digest}` serves it to those who may read a fact that cites it. The body
//! is the document itself, with its `Content-Type`; who may do what is the service's
//! (`service::documents`).
//!
//! Invariant: every refusal is problem+json naming the request part at fault (`digest`,
//! `content-type`, `body`, `authorization`); a document is served only as the service hands it out,
//! whole and matching its digest, never sniffed as another type by a browser.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::http::auth::{Authenticated, Reading};
use crate::http::params::PathParam;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::limits::DOCUMENT_BYTES_MAX;
use crate::service::documents::{allowed_types, DocumentError, Documents, Stored};

/// `PUT /v1/documents/{digest}`: the digest is the client's claim about the body.
pub async fn put(
    State(state): State<AppState>,
    PathParam(digest): PathParam,
    actor: Authenticated,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    upload(state, Some(digest), actor, headers, body).await
}

/// `POST /v1/documents`: the answer names the digest.
pub async fn post(
    State(state): State<AppState>,
    actor: Authenticated,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    upload(state, None, actor, headers, body).await
}

async fn upload(
    state: AppState,
    digest: Option<String>,
    Authenticated(actor): Authenticated,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let content_type = headers.get(header::CONTENT_TYPE).map(|value| value.to_str().map(str::to_owned));
    let content_type = match content_type {
        Some(Err(_)) => {
            return Err(document_problem(DocumentError::UnsupportedType("not a readable header value".to_owned())))
        }
        Some(Ok(value)) => Some(value),
        None => None,
    };
    // One byte more than allowed tells a document at the limit from one past it.
    let bytes = axum::body::to_bytes(body, DOCUMENT_BYTES_MAX + 1).await.map_err(|_| {
        let detail = format!("body: larger than the {DOCUMENT_BYTES_MAX} bytes a document may have");
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", Some("body"), detail)
    })?;
    let documents = Documents::of(&state.service);
    let now = state.service.clock().now();
    let uploaded = tokio::task::spawn_blocking(move || {
        documents.upload(&actor, digest.as_deref(), content_type.as_deref(), &bytes, now)
    })
    .await
    .map_err(|e| Problem::internal(&e))?
    .map_err(document_problem)?;
    let status = match uploaded.stored {
        Stored::New | Stored::Repaired => StatusCode::CREATED,
        Stored::AlreadyStored => StatusCode::OK,
    };
    let location = format!("/v1/documents/{}", uploaded.digest.as_str());
    let mut response = (status, Json(uploaded)).into_response();
    response.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&location).expect("hex digits"));
    Ok(response)
}

/// `GET /v1/documents/{digest}`: the bytes, with the content type they were uploaded as.
pub async fn get(
    State(state): State<AppState>,
    PathParam(digest): PathParam,
    reading: Reading,
) -> Result<Response, Problem> {
    let documents = Documents::of(&state.service);
    let read_models = state.read_models.clone();
    let reader = reading.reader;
    let document = tokio::task::spawn_blocking(move || documents.fetch(&read_models, &reader, &digest))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(document_problem)?;
    Ok(document_response(document))
}

/// A document as served: its bytes with the content type it was uploaded as, never sniffed, cached by
/// its digest, as an attachment (the API's answer, and the web site's download).
pub fn document_response(document: crate::service::documents::Document) -> Response {
    let digest = document.meta.digest.as_str().to_owned();
    let content_type = HeaderValue::from_str(&document.meta.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::ETAG, HeaderValue::from_str(&format!("\"{digest}\"")).expect("hex digits")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable")),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!("attachment; filename=\"{digest}\"")).expect("hex digits"),
        ),
    ];
    (StatusCode::OK, headers, document.bytes).into_response()
}

/// The problem a document error is.
pub fn document_problem(error: DocumentError) -> Problem {
    let detail = error.to_string();
    let (status, code, field) = match &error {
        DocumentError::InvalidDigest { field, .. } => (StatusCode::BAD_REQUEST, "invalid_digest", *field),
        DocumentError::DigestMismatch { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "digest_mismatch", "digest"),
        DocumentError::UnsupportedType(_) => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "content-type")
        }
        DocumentError::InvalidBody(_) => (StatusCode::BAD_REQUEST, "invalid_document", "body"),
        DocumentError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", "body"),
        DocumentError::RoleNotAllowed { .. } => (StatusCode::FORBIDDEN, "role_not_allowed", "authorization"),
        DocumentError::NotFound { .. } => (StatusCode::NOT_FOUND, "document_not_found", "digest"),
        DocumentError::Damaged { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "document_damaged", "digest"),
        DocumentError::Failure(_) => return Problem::internal(&error),
    };
    Problem::new(status, code, Some(field), detail)
}

/// The OpenAPI path items of the document routes.
pub fn openapi_paths() -> Vec<(&'static str, Value)> {
    let types: Vec<&str> = allowed_types().collect();
    let body = json!({
        "required": true,
        "description": format!("the document itself, at most {DOCUMENT_BYTES_MAX} bytes, of one of the accepted types"),
        "content": types.iter().map(|name| (name.to_string(), json!({"schema": {"type": "string", "format": "binary"}}))).collect::<serde_json::Map<String, Value>>(),
    });
    let problem = json!({"description": "refused", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let digest = json!({"name": "digest", "in": "path", "required": true,
        "description": "the document's blake3 digest, 64 lower-case hex digits",
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}});
    let upload_rule = "Who may upload: every role that records facts (admin, assessor, office, appellant, reviewer, \
                       committee); an auditor is 403. The bytes must be of the declared type.";
    let stored = json!({
        "201": {"description": "stored (or a damaged copy repaired); the body names the digest"},
        "200": {"description": "the same bytes were stored already"},
        "4XX": problem,
    });
    vec![
        (
            "/v1/documents",
            json!({"post": {
                "summary": "store an evidence document; the answer names its blake3 digest",
                "description": upload_rule,
                "requestBody": body,
                "responses": stored,
            }}),
        ),
        (
            "/v1/documents/{digest}",
            json!({
                "put": {
                    "summary": "store an evidence document under its blake3 digest (refused unless the body hashes to it)",
                    "description": upload_rule,
                    "parameters": [digest],
                    "requestBody": body,
                    "responses": stored,
                },
                "get": {
                    "summary": "an evidence document, with the content type it was uploaded as",
                    "description": "Who may read: every role whose unit scope holds a unit whose facts cite the \
                                    document (the deducted or appealed unit, the appellant, the unit an attribution \
                                    names, the assessor); one no fact cites yet, the scope of the unit that uploaded \
                                    it. Anyone else is answered 404, as if it were not stored. A stored copy that no \
                                    longer matches its digest is 500 `document_damaged`, never served.",
                    "parameters": [digest],
                    "responses": {
                        "200": {"description": "the document"},
                        "401": {"description": "no token, or an unknown, revoked or expired one", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                        "4XX": problem,
                        "500": {"description": "the stored copy is damaged (`document_damaged`)"},
                    },
                },
            }),
        ),
    ]
}
