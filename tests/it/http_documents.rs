//! Evidence documents over HTTP (docs/RULES.md §12, "Evidence documents"): stored beside the chain by
//! their blake3 digest, served to those who may read a fact that cites them (and, before anything
//! cites them, to the scope of the unit that uploaded them), refused with problem+json naming the part
//! at fault, and never served once the stored bytes no longer match their digest; and the deduction
//! register that lists deductions without evidence.
//!
//! Invariant guarded: a document is served only whole and matching its digest, only to a reader the
//! read rules admit to a citing fact's unit; a refused upload stores nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kpi_ledger::http::router;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::http_api::Api;

const LOCAL_TOKEN: &str = "test-local-read-token";

/// A minimal PDF: what the office scanned of the corrected filing.
const FILING: &[u8] = b"%PDF-1.7\n% corrected half-year report, filed as a report (\xe6\x8a\xa5\xe5\x91\x8a)\n%%EOF\n";

fn digest(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |value| value.to_str().unwrap())
    }

    /// A refusal: problem+json with this status, code and field.
    fn refused(&self, status: StatusCode, code: &str, field: &str) {
        let problem = self.json();
        assert_eq!(self.status, status, "{problem}");
        assert_eq!(self.header("content-type"), "application/problem+json");
        assert_eq!((problem["code"].as_str(), problem["field"].as_str()), (Some(code), Some(field)), "{problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with(&format!("{field}: ")), "{problem}");
    }
}

async fn send(
    api: &Api,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = router(api.state.clone()).oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, headers, bytes }
}

async fn put(api: &Api, role: &str, digest: &str, content_type: &str, bytes: &[u8]) -> Answer {
    let path = format!("/v1/documents/{digest}");
    send(api, "PUT", &path, Some(&api.tokens[role]), Some(content_type), bytes.to_vec()).await
}

async fn fetch(api: &Api, token: &str, digest: &str) -> Answer {
    send(api, "GET", &format!("/v1/documents/{digest}"), Some(token), None, Vec::new()).await
}

#[tokio::test]
async fn a_document_is_stored_by_its_digest_and_served_to_readers_of_the_facts_citing_it() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let digest = digest(FILING);
    let stored = put(&api, "office@YS07", &digest, "application/pdf", FILING).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json());
    assert_eq!(stored.json()["digest"], digest);
    assert_eq!(
        (stored.json()["stored"].as_str(), stored.json()["size"].as_u64()),
        (Some("new"), Some(FILING.len() as u64))
    );
    assert_eq!(stored.header("location"), format!("/v1/documents/{digest}"));
    let again = put(&api, "office@YS07", &digest, "application/pdf", FILING).await;
    assert_eq!((again.status, again.json()["stored"].as_str()), (StatusCode::OK, Some("already_stored")));
    let on_disk = api.state.service.ledger().dir().join("documents").join(&digest[..2]).join(&digest[2..]);
    assert_eq!(std::fs::read(&on_disk).unwrap(), FILING, "content-addressed beside the chain");

    // Nothing cites it yet: the uploading unit's scope reads it, no one else.
    let served = fetch(&api, &api.tokens["office@YS07"], &digest).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.bytes, FILING);
    assert_eq!(
        (served.header("content-type"), served.header("x-content-type-options"), served.header("etag")),
        ("application/pdf", "nosniff", format!("\"{digest}\"").as_str())
    );
    assert_eq!(fetch(&api, &api.tokens["assessor"], &digest).await.status, StatusCode::OK, "the city holds YS07");
    fetch(&api, &api.tokens["office@YS08"], &digest).await.refused(
        StatusCode::NOT_FOUND,
        "document_not_found",
        "digest",
    );
    fetch(&api, &api.tokens["auditor@YS08"], &digest).await.refused(
        StatusCode::NOT_FOUND,
        "document_not_found",
        "digest",
    );
    assert_eq!(fetch(&api, LOCAL_TOKEN, &digest).await.status, StatusCode::OK, "the local read token reads all");

    // A deduction against YS08 cites it: YS08 now reads it as evidence of its own facts.
    let deduction = json!({
        "scheme": "YS-2017", "period": "2017-07", "unit": "YS08", "indicator": "ZG-04", "points": 50,
        "reason": "report filed under the wrong document type", "problem_category": "document_filing",
        "evidence_digests": [digest],
    });
    let (status, _, body) = api.post("assessor", "/v1/deductions", &deduction).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(fetch(&api, &api.tokens["office@YS08"], &digest).await.bytes, FILING);
    assert_eq!(fetch(&api, &api.tokens["appellant@YS08"], &digest).await.status, StatusCode::OK);

    // A copy whose bytes no longer match is reported, never served; uploading the original repairs it.
    std::fs::write(&on_disk, b"%PDF-1.7 altered afterwards").unwrap();
    let damaged = fetch(&api, &api.tokens["office@YS08"], &digest).await;
    damaged.refused(StatusCode::INTERNAL_SERVER_ERROR, "document_damaged", "digest");
    assert!(!damaged.bytes.windows(8).any(|window| window == b"%PDF-1.7"), "nothing of the file is served");
    let repaired = put(&api, "office@YS07", &digest, "application/pdf", FILING).await;
    assert_eq!((repaired.status, repaired.json()["stored"].as_str()), (StatusCode::CREATED, Some("repaired")));
    assert_eq!(fetch(&api, &api.tokens["office@YS08"], &digest).await.bytes, FILING);
}

#[tokio::test]
async fn post_answers_the_digest_and_documents_larger_than_a_command_are_taken() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(1024 * 1024, 7);
    let token = api.tokens["appellant@YS07"].clone();
    let stored = send(&api, "POST", "/v1/documents", Some(&token), Some("image/png"), png.clone()).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json());
    assert_eq!(stored.json()["digest"], digest(&png));
    assert_eq!(stored.json()["content_type"], "image/png");
    let text = "整改报告：已按报告文种重新报送 (rectification report)".as_bytes();
    let stored =
        send(&api, "POST", "/v1/documents", Some(&token), Some("text/plain; charset=UTF-8"), text.to_vec()).await;
    assert_eq!(
        (stored.status, stored.json()["content_type"].as_str()),
        (StatusCode::CREATED, Some("text/plain; charset=utf-8"))
    );
    let docx = b"PK\x03\x04 word/document.xml".to_vec();
    let word = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    assert_eq!(send(&api, "POST", "/v1/documents", Some(&token), Some(word), docx).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn refused_uploads_name_the_part_at_fault_and_store_nothing() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let office = api.tokens["office@YS07"].clone();
    let other = digest(b"%PDF-1.7 another document");
    put(&api, "office@YS07", &other, "application/pdf", FILING).await.refused(
        StatusCode::UNPROCESSABLE_ENTITY,
        "digest_mismatch",
        "digest",
    );
    fetch(&api, &office, &digest(FILING)).await.refused(StatusCode::NOT_FOUND, "document_not_found", "digest");
    assert!(!api.state.service.ledger().dir().join("documents").join(&digest(FILING)[..2]).exists());
    put(&api, "office@YS07", "NOT-A-DIGEST", "application/pdf", FILING).await.refused(
        StatusCode::BAD_REQUEST,
        "invalid_digest",
        "digest",
    );
    fetch(&api, &office, &"A".repeat(64)).await.refused(StatusCode::BAD_REQUEST, "invalid_digest", "digest");
    let post = |content_type: Option<&'static str>, body: &[u8]| {
        let (api, office, body) = (&api, office.clone(), body.to_vec());
        async move { send(api, "POST", "/v1/documents", Some(&office), content_type, body).await }
    };
    post(Some("text/html"), b"<script>alert(1)</script>").await.refused(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "content-type",
    );
    post(None, FILING).await.refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "content-type");
    post(Some("text/plain; charset=gbk"), b"abc").await.refused(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "content-type",
    );
    post(Some("application/pdf"), b"\x89PNG\r\n\x1a\n not a pdf").await.refused(
        StatusCode::BAD_REQUEST,
        "invalid_document",
        "body",
    );
    post(Some("text/plain"), b"a\0b").await.refused(StatusCode::BAD_REQUEST, "invalid_document", "body");
    post(Some("application/pdf"), b"").await.refused(StatusCode::BAD_REQUEST, "invalid_document", "body");
    let mut huge = b"%PDF-1.7".to_vec();
    huge.resize(kpi_ledger::limits::DOCUMENT_BYTES_MAX + 1, b' ');
    post(Some("application/pdf"), &huge).await.refused(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "body");
    let auditor = api.tokens["auditor"].clone();
    send(&api, "POST", "/v1/documents", Some(&auditor), Some("application/pdf"), FILING.to_vec()).await.refused(
        StatusCode::FORBIDDEN,
        "role_not_allowed",
        "authorization",
    );
    send(&api, "POST", "/v1/documents", None, Some("application/pdf"), FILING.to_vec()).await.refused(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "authorization",
    );
    send(&api, "POST", "/v1/documents", Some(LOCAL_TOKEN), Some("application/pdf"), FILING.to_vec()).await.refused(
        StatusCode::FORBIDDEN,
        "role_not_allowed",
        "authorization",
    );
    assert!(!api.state.service.ledger().dir().join("documents").exists(), "nothing refused was stored");
}

/// Only the roles whose commands cite evidence upload (docs/RULES.md §12.1): a leader's and a person's
/// commands cite none, and a person could not even read its own upload back; both are refused, and
/// nothing is stored. Every role that cites evidence still uploads.
#[tokio::test]
async fn leaders_and_persons_upload_no_documents() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    for role in ["leader", "leader@YS07", "person", "person@YS07"] {
        let refused = put(&api, role, &digest(FILING), "application/pdf", FILING).await;
        refused.refused(StatusCode::FORBIDDEN, "role_not_allowed", "authorization");
        let detail = refused.json()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("may not upload documents"), "{detail}");
        let token = api.tokens[role].clone();
        send(&api, "POST", "/v1/documents", Some(&token), Some("text/plain"), b"my week".to_vec()).await.refused(
            StatusCode::FORBIDDEN,
            "role_not_allowed",
            "authorization",
        );
    }
    assert!(!api.state.service.ledger().dir().join("documents").exists(), "nothing refused was stored");
    for role in ["admin", "assessor", "office@YS07", "appellant@YS07", "reviewer", "committee"] {
        let answer = put(&api, role, &digest(FILING), "application/pdf", FILING).await;
        assert!(answer.status.is_success(), "{role}: {}", answer.json());
    }
}

/// The charged section reads the evidence of the attribution that blames it, though the county's
/// facts are otherwise outside its scope.
#[tokio::test]
async fn the_section_an_attribution_names_reads_its_evidence() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let note = "办公室误将报告作为请示报送 (the office filed it as a request)".as_bytes();
    let stored =
        send(&api, "POST", "/v1/documents", Some(&api.tokens["office@YS07"]), Some("text/plain"), note.to_vec()).await;
    let digest = stored.json()["digest"].as_str().unwrap().to_owned();
    let grant = json!({"token_hash": kpi_ledger::service::tokens::token_hash("bgs-token"), "actor_id": "appellant.ys07-bgs", "role": "appellant", "unit": "YS07-BGS"});
    let (status, _, _) = api.post("admin", "/v1/access-grants", &grant).await;
    assert_eq!(status, StatusCode::CREATED);
    fetch(&api, "bgs-token", &digest).await.refused(StatusCode::NOT_FOUND, "document_not_found", "digest");
    let deduction_id = kpi_testkit::story::story()
        .iter()
        .find(|step| step.label == kpi_testkit::story::LABEL_DEDUCTION)
        .unwrap()
        .context
        .new_id;
    let attribution = json!({"deduction_id": deduction_id, "cause_unit": "YS07-BGS",
        "description": "公文文种错误 (wrong document type)", "evidence_digests": [digest]});
    let (status, _, body) = api.post("office@YS07", "/v1/cause-attributions", &attribution).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(fetch(&api, "bgs-token", &digest).await.bytes, note);
}

#[tokio::test]
async fn the_register_lists_deductions_without_evidence() {
    let api = std::thread::spawn(Api::new).join().unwrap();
    let (status, missing) = api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017-H1&evidence=missing").await;
    assert_eq!(status, StatusCode::OK, "{missing}");
    let listed = missing["deductions"].as_array().unwrap();
    assert_eq!(missing["without_evidence_count"].as_u64(), Some(listed.len() as u64));
    assert!(listed.len() >= 3, "the March, April and June registration-data deductions: {missing}");
    for entry in listed {
        assert_eq!(
            (entry["evidence_missing"].as_bool(), entry["evidence_digests"].as_array().map(Vec::len)),
            (Some(true), Some(0))
        );
        assert!(entry["withdrawn"].is_null());
    }
    let (_, any) = api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017-06").await;
    let june: Vec<&Value> = any["deductions"].as_array().unwrap().iter().collect();
    let report = june.iter().find(|entry| entry["indicator"] == "ZG-04").expect("the half-year report deduction");
    assert_eq!((report["evidence_missing"].as_bool(), report["effective"].as_i64()), (Some(false), Some(100)));
    assert_eq!(report["cause_unit"], "YS07-BGS");
    let (_, present) = api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017-06&evidence=present").await;
    assert!(present["deductions"].as_array().unwrap().iter().all(|entry| entry["evidence_missing"] == false));

    // The trace of the same month says how many of its deductions cite nothing, and which.
    let (_, traces) = api.get("office@YS07", "/v1/traces?unit=YS07&period=2017-06").await;
    let without = &traces["traces"][0]["without_evidence"];
    let june_missing = june.iter().filter(|entry| entry["evidence_missing"] == true).count();
    assert_eq!(without["count"].as_u64(), Some(june_missing as u64), "{without}");

    let (status, problem) = api.get("office@YS07", "/v1/deductions?unit=YS07&period=2017&evidence=lost").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("evidence")), "{problem}");
    let (status, problem) = api.get("office@YS08", "/v1/deductions?unit=YS07&period=2017").await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::FORBIDDEN, Some("unit")), "{problem}");
    let (status, city) = api.get("assessor", "/v1/deductions?unit=YS&period=2017&evidence=missing").await;
    assert_eq!(status, StatusCode::OK);
    assert!(city["deductions"].as_array().unwrap().len() >= listed.len(), "the city's register holds its counties'");
}
