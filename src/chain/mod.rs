//! The ledger's wire format: how one event is laid out in bytes and how events are linked by hashes.
//!
//! Architecture invariant: this module decides every byte that enters a hash, and nothing else does.
//! The body of an event is serialised exactly once, when it is appended; from then on the stored bytes
//! are what is hashed, verified and exported. Nothing here touches sled or the clock (docs/FORMAT.md
//! describes the same layout for implementers in other languages).

pub mod checkpoint;
pub mod decode;
pub mod envelope;
pub mod merkle;
pub mod record;
pub mod seal;
pub mod sealed_text;

pub use decode::{decode, decode_in_two_steps, DecodeError};
pub use envelope::EventBody;
pub use record::{link_hash, Hash, Record, RecordError, GENESIS_HASH, HASH_TAG, RECORD_FORMAT_V1, RECORD_HEADER_LEN};
pub use seal::{seal_body, Chain, Head, Sealed, Stamp, TooLarge};
