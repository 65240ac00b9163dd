//! Evidence documents: upload and read the files whose digests the facts cite, and the deduction
//! register that lists which deductions cite none. The bytes live beside the chain
//! (`store::documents`); who may do what is decided here, with the read rules of `queries::may_read`.
//!
//! - **Upload**: the roles whose commands cite evidence (`UPLOADER_ROLES`: admin, assessor, office,
//!   appellant, reviewer, committee) may upload; an auditor, a leader, a person (whose commands cite
//!   no document, and who could never read one back) and the local read token may not. A type outside
//!   `ALLOWED_TYPES`, bytes that are not of the declared type, an empty or oversized body, and (when
//!   the client names one) a digest the bytes do not hash to are refused. The same bytes uploaded twice are stored once.
//! - **Read**: whoever may read the facts of one of the units a citing fact concerns
//!   (`Projection::evidence_citations`) may read the document; a document no fact cites yet is read
//!   only within the scope of the units that uploaded it. Anyone else is answered as if it were not
//!   there, so a digest reveals nothing. A stored file whose bytes no longer hash to its digest is
//!   reported as damaged and never served.
//!
//! Invariant: a document is served only when its bytes hash to the digest asked for, and only to a
//! reader `may_read` admits to one of its citing facts' units (or its uploaders' units).

use std::path::Path;

use serde::Serialize;

use crate::domain::{Actor, EvidenceDigest, PeriodId, Role, Timestamp, UnitCode};
use crate::limits::DOCUMENT_BYTES_MAX;
use crate::projection::trace::{Citation, DeductionRegister, EvidenceFilter};
use crate::projection::AsOf;
use crate::service::queries::{may_read, Answer, QueryError, ReadTarget, Reader};
use crate::service::read_models::ReadModels;
use crate::service::Service;
use crate::store::documents::{digest_of, DocumentRead, DocumentStore, Uploader};

pub use crate::store::documents::{DocumentMeta, Stored};

/// How the bytes of an allowed type begin (or, for text, what they must be).
#[derive(Clone, Copy, Debug)]
enum Signature {
    Prefix(&'static [u8]),
    /// A ZIP container: OOXML documents and OFD.
    Zip,
    /// An OLE compound file: the older Office formats.
    Ole,
    /// UTF-8 text without NUL characters.
    Utf8Text,
}

/// The content types a document may have, and the signature its bytes must show.
const ALLOWED_TYPES: &[(&str, Signature)] = &[
    ("application/pdf", Signature::Prefix(b"%PDF-")),
    ("image/png", Signature::Prefix(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", Signature::Prefix(b"\xff\xd8\xff")),
    ("text/plain", Signature::Utf8Text),
    ("application/msword", Signature::Ole),
    ("application/vnd.ms-excel", Signature::Ole),
    ("application/vnd.ms-powerpoint", Signature::Ole),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", Signature::Zip),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Signature::Zip),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", Signature::Zip),
    // 版式文档 (GB/T 33190), the format of Chinese government documents.
    ("application/ofd", Signature::Zip),
];

/// The roles that may upload: those whose commands cite evidence digests (deductions, cause
/// attributions, rectifications, appeals, escalations, decisions) and the admin. A leader's and a
/// person's commands cite none, and a person could not even read an uncited upload back.
pub const UPLOADER_ROLES: &[Role] =
    &[Role::Admin, Role::Assessor, Role::Office, Role::Appellant, Role::Reviewer, Role::Committee];

/// The allowed content types, as the API lists them.
pub fn allowed_types() -> impl Iterator<Item = &'static str> {
    ALLOWED_TYPES.iter().map(|(name, _)| *name)
}

/// Why a document was not stored or served. Each names the request part at fault.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// A digest that is not 64 lower-case hex digits.
    #[error("{field}: {message}")]
    InvalidDigest { field: &'static str, message: String },
    /// The bytes hash to another digest than the one the client named.
    #[error("digest: the body hashes to {computed}, not {declared}")]
    DigestMismatch { declared: String, computed: String },
    /// No content type, or one that is not allowed.
    #[error("content-type: {0}")]
    UnsupportedType(String),
    /// The bytes are not of the declared type, or there are none.
    #[error("body: {0}")]
    InvalidBody(String),
    #[error("body: the document is {size} bytes; at most {DOCUMENT_BYTES_MAX} are accepted")]
    TooLarge { size: usize },
    /// The reader's role may not upload.
    #[error(
        "authorization: role {} may not upload documents; the roles whose commands cite evidence may ({})",
        role.as_str(),
        UPLOADER_ROLES.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(", ")
    )]
    RoleNotAllowed { role: Role },
    /// Not stored, or not readable by this reader (the two are answered alike).
    #[error("digest: no document {digest} that you may read is stored")]
    NotFound { digest: String },
    /// Stored, but its bytes no longer hash to its digest (or are gone): reported, never served.
    #[error(
        "digest: the stored copy of document {digest} no longer matches its digest and is not served; upload \
             the original again to repair it"
    )]
    Damaged { digest: String },
    /// Ours: I/O. Logged in full; reported opaquely.
    #[error("document storage failed: {0}")]
    Failure(String),
}

impl From<std::io::Error> for DocumentError {
    fn from(error: std::io::Error) -> DocumentError {
        DocumentError::Failure(error.to_string())
    }
}

/// The answer to an upload.
#[derive(Clone, Debug, Serialize)]
pub struct Uploaded {
    pub digest: EvidenceDigest,
    pub content_type: String,
    pub size: u64,
    pub stored: Stored,
    pub stored_at: Timestamp,
}

/// A document as served: its bytes, its type, and the facts that cite it.
#[derive(Debug)]
pub struct Document {
    pub meta: DocumentMeta,
    pub bytes: Vec<u8>,
    pub citations: Vec<Citation>,
}

/// The documents of one ledger.
#[derive(Clone, Debug)]
pub struct Documents {
    store: DocumentStore,
}

/// Parses a digest the client named (`field` says where: the path, a CLI argument).
pub fn parse_digest(field: &'static str, text: &str) -> Result<EvidenceDigest, DocumentError> {
    EvidenceDigest::new(text).map_err(|message| DocumentError::InvalidDigest { field, message })
}

/// The content type to record for `declared` (a `Content-Type` value), if it is allowed, and the
/// signature its bytes must show. Parameters are dropped, except that text must be UTF-8.
fn allowed_type(declared: Option<&str>) -> Result<(String, Signature), DocumentError> {
    let Some(declared) = declared.map(str::trim).filter(|declared| !declared.is_empty()) else {
        return Err(DocumentError::UnsupportedType("required: the document's media type".to_owned()));
    };
    let mut parts = declared.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some((name, signature)) = ALLOWED_TYPES.iter().find(|(name, _)| *name == essence) else {
        let allowed: Vec<&str> = allowed_types().collect();
        return Err(DocumentError::UnsupportedType(format!(
            "{essence:?} is not accepted; accepted: {}",
            allowed.join(", ")
        )));
    };
    if *name == "text/plain" {
        for parameter in parts {
            let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            let value = value.trim().trim_matches('"').to_ascii_lowercase();
            if key.trim().eq_ignore_ascii_case("charset") && !matches!(value.as_str(), "utf-8" | "us-ascii") {
                return Err(DocumentError::UnsupportedType(format!("text must be UTF-8, got charset {value:?}")));
            }
        }
        return Ok(("text/plain; charset=utf-8".to_owned(), *signature));
    }
    Ok(((*name).to_owned(), *signature))
}

fn check_signature(content_type: &str, signature: Signature, bytes: &[u8]) -> Result<(), DocumentError> {
    let matches = match signature {
        Signature::Prefix(prefix) => bytes.starts_with(prefix),
        Signature::Zip => bytes.starts_with(b"PK\x03\x04"),
        Signature::Ole => bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        Signature::Utf8Text => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
    };
    match matches {
        true => Ok(()),
        false => Err(DocumentError::InvalidBody(format!("the bytes are not a {content_type} document"))),
    }
}

impl Documents {
    /// The documents of the ledger the service holds.
    pub fn of(service: &Service) -> Documents {
        Documents::at(service.ledger().dir())
    }

    /// The documents of the ledger in `data_dir` (for the command line reading it directly).
    pub fn at(data_dir: &Path) -> Documents {
        Documents { store: DocumentStore::at(data_dir) }
    }

    /// Stores `bytes` for `actor`, declared as `content_type`, under `declared` when the client named a
    /// digest (refused unless the bytes hash to it), at `now`.
    pub fn upload(
        &self,
        actor: &Actor,
        declared: Option<&str>,
        content_type: Option<&str>,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<Uploaded, DocumentError> {
        if !UPLOADER_ROLES.contains(&actor.role) {
            return Err(DocumentError::RoleNotAllowed { role: actor.role });
        }
        let declared = declared.map(|text| parse_digest("digest", text)).transpose()?;
        let (content_type, signature) = allowed_type(content_type)?;
        if bytes.is_empty() {
            return Err(DocumentError::InvalidBody("empty: a document has at least one byte".to_owned()));
        }
        if bytes.len() > DOCUMENT_BYTES_MAX {
            return Err(DocumentError::TooLarge { size: bytes.len() });
        }
        check_signature(&content_type, signature, bytes)?;
        let digest = digest_of(bytes);
        if let Some(declared) = declared.filter(|declared| *declared != digest) {
            return Err(DocumentError::DigestMismatch {
                declared: declared.as_str().to_owned(),
                computed: digest.as_str().to_owned(),
            });
        }
        let uploader = Uploader { actor_id: actor.id.clone(), role: actor.role, unit: actor.unit.clone(), at: now };
        let (stored, meta) = self.store.put(&digest, bytes, &content_type, uploader)?;
        if stored == Stored::Repaired {
            tracing::warn!(digest = digest.as_str(), "a damaged document was replaced by an upload of its original");
        }
        Ok(Uploaded { digest, content_type: meta.content_type, size: meta.size, stored, stored_at: meta.stored_at })
    }

    /// The document `digest` for `reader`, judged on the latest facts: served when the reader may read
    /// a citing fact's unit (or, while nothing cites it, an uploader's unit), and its bytes still hash
    /// to the digest.
    pub fn fetch(&self, read_models: &ReadModels, reader: &Reader, digest: &str) -> Result<Document, DocumentError> {
        let digest = parse_digest("digest", digest)?;
        let not_found = || DocumentError::NotFound { digest: digest.as_str().to_owned() };
        let (readable, citations) = self.judge(read_models, reader, &digest)?;
        if !readable {
            return Err(not_found());
        }
        match self.store.read(&digest)? {
            DocumentRead::Found { meta, bytes } => Ok(Document { meta, bytes, citations }),
            DocumentRead::Missing => Err(not_found()),
            DocumentRead::Damaged { found, .. } => {
                tracing::error!(
                    digest = digest.as_str(),
                    found = found.as_deref().unwrap_or("nothing: the file is gone"),
                    "a stored document no longer matches its digest; it is not served"
                );
                Err(DocumentError::Damaged { digest: digest.as_str().to_owned() })
            }
        }
    }

    /// Whether `fetch` would admit `reader` to the document `digest` and it is stored, judged alike
    /// without reading its bytes (a copy damaged since is still refused when fetched): for a page that
    /// offers a download only to those who may have it.
    pub fn readable(
        &self,
        read_models: &ReadModels,
        reader: &Reader,
        digest: &EvidenceDigest,
    ) -> Result<bool, DocumentError> {
        Ok(self.store.meta(digest)?.is_some() && self.judge(read_models, reader, digest)?.0)
    }

    /// Whether `reader` may read a fact that cites `digest` (or, while none does, an uploader's unit),
    /// on the latest facts; and the citing facts.
    fn judge(
        &self,
        read_models: &ReadModels,
        reader: &Reader,
        digest: &EvidenceDigest,
    ) -> Result<(bool, Vec<Citation>), DocumentError> {
        let meta = self.store.meta(digest)?;
        let (_, judged) = read_models
            .with_projection(AsOf::Latest, |projection| {
                let citations = projection.evidence_citations(digest);
                let uploaders = meta.iter().flat_map(|meta| meta.uploaders.iter().map(|uploader| &uploader.unit));
                let readable =
                    citations.iter().flat_map(|citation| citation.parties.iter()).chain(uploaders).any(|unit| {
                        let target = ReadTarget::Unit { field: "digest", unit: Some(unit.clone()) };
                        may_read(projection, reader, &target).is_ok()
                    });
                (readable, citations)
            })
            .map_err(|error| DocumentError::Failure(error.to_string()))?;
        Ok(judged)
    }

    /// The document `digest` for the local operator (the command line on the data directory), who
    /// reads everything: still only whole and matching its digest.
    pub fn read_as_operator(&self, digest: &EvidenceDigest) -> Result<Document, DocumentError> {
        match self.store.read(digest)? {
            DocumentRead::Found { meta, bytes } => Ok(Document { meta, bytes, citations: Vec::new() }),
            DocumentRead::Missing => Err(DocumentError::NotFound { digest: digest.as_str().to_owned() }),
            DocumentRead::Damaged { .. } => Err(DocumentError::Damaged { digest: digest.as_str().to_owned() }),
        }
    }

    /// Every stored document whose bytes no longer match its digest (or are gone).
    pub fn damaged(&self) -> Result<Vec<EvidenceDigest>, DocumentError> {
        Ok(self.store.damaged()?)
    }

    /// How many documents are stored.
    pub fn stored(&self) -> Result<usize, DocumentError> {
        Ok(self.store.digests()?.len())
    }
}

impl ReadModels {
    /// The deduction register of `unit` (and the units under it) in `period`, as of `as_of`: the
    /// deductions `evidence` admits, and how many standing ones cite no evidence.
    pub fn deduction_register(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        evidence: EvidenceFilter,
        as_of: AsOf,
    ) -> Result<Answer<DeductionRegister>, QueryError> {
        let (resolved, register) = self.with_projection(as_of, |projection| {
            if !projection.facts().units.contains_key(unit) {
                let message = format!("no unit {unit} is registered (as of event {})", projection.seq());
                return Err(QueryError::NotFound { field: "unit", message });
            }
            Ok(projection.deduction_register(unit, period, evidence))
        })?;
        Ok(Answer { as_of_seq: resolved.seq, as_of_instant: resolved.instant, value: register? })
    }
}
