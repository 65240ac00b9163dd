//! The store's two tiers of error: rejections (the caller's mistake; nothing was written) and
//! failures (ours: I/O, corruption), which callers log in full and report opaquely.

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The sealed events do not continue the chain where it ends: someone else wrote, or a bug
    /// sealed against a stale head. Nothing is written.
    #[error("the append does not continue the chain: expected event {expected_seq}, got {found_seq}")]
    Discontinuous { expected_seq: u64, found_seq: u64 },
    #[error("the ledger stopped accepting appends after a storage failure; reopen it")]
    Unavailable,
    #[error("storage failure: {0}")]
    Storage(String),
}

impl AppendError {
    /// True for the caller's mistakes (4xx); false for our failures (5xx).
    pub fn is_rejection(&self) -> bool {
        !matches!(self, AppendError::Unavailable | AppendError::Storage(_))
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> AppendError {
        AppendError::Invalid { field, reason: reason.into() }
    }
}

/// A failure to open or read the ledger.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Corrupt(String),
    #[error("chain verification failed: {0}")]
    Verify(#[from] crate::store::verify::VerifyFailure),
    #[error("{0}")]
    Invalid(String),
    /// The two copies of the chain disagree, or one cannot be read: nothing was changed.
    #[error("{0}; {hint}", hint = crate::store::recovery::RECOVER_HINT)]
    Damaged(String),
    /// `recover` cannot rebuild the ledger as asked; it changed nothing.
    #[error("{0}")]
    Unrecoverable(String),
    /// Another process holds the data directory.
    #[error("the ledger is open in another process (could not acquire lock)")]
    Locked,
    #[error(
        "the checkpoint signing key file {} is missing{}; restore it with `kpi-ledger key import`, or start \
         a new key deliberately with `kpi-ledger key rotate`",
        path.display(),
        public_key.as_ref().map_or(String::new(), |key| format!(" (this ledger signs with {key})"))
    )]
    KeyMissing { path: std::path::PathBuf, public_key: Option<String> },
}
