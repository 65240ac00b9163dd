//! Bearer tokens: made here from the operating system's randomness, shown once to whoever issues
//! them, and recorded only as their blake3 hash in an `AccessGranted` event.
//!
//! Invariant: a token's text never reaches the ledger, a log or a file other than the one it is
//! handed out in (the local read token lives only in `server.json` and the server's memory).

/// The hash under which a token is recorded: blake3 of its UTF-8 text, as 64 hex digits.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// A fresh random bearer token (256 bits, hex, with a `kpi_` prefix so it is recognisable in a leak).
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("kpi_{}", hex::encode(bytes)))
}
