//! Every limit of the system, in one place. A request beyond one is a rejection that names the limit.

/// Largest stored event body (the envelope JSON), in bytes. Well under sled's inline-value threshold
/// (segment size / 4 = 128 KiB), so every append lands in sled's log file, which `store` fsyncs.
pub const EVENT_BODY_BYTES_MAX: usize = 64 * 1024;

/// Most events one append (one command's decision, or one import batch) may carry.
pub const EVENTS_PER_APPEND_MAX: usize = 1_000;

/// Most events one read of a range or a stream returns; callers page with the next sequence number.
pub const READ_PAGE_EVENTS_MAX: usize = 1_000;

/// Longest stream id, in bytes. Stream ids are ASCII letters, digits and `._:@-`.
pub const STREAM_ID_BYTES_MAX: usize = 128;

/// Longest event type name, in bytes.
pub const EVENT_TYPE_BYTES_MAX: usize = 64;

/// Longest command id (idempotency key), in bytes.
pub const COMMAND_ID_BYTES_MAX: usize = 128;

/// Longest actor id or role name, in bytes.
pub const ACTOR_FIELD_BYTES_MAX: usize = 128;

/// Most append requests committed together by one group commit (one flush and one fsync).
pub const GROUP_COMMIT_REQUESTS_MAX: usize = 4_096;

/// How many of the newest events are re-verified every time a ledger is opened.
pub const OPEN_VERIFY_TAIL_EVENTS: u64 = 1_000;

/// Events per write when importing an export.
pub const IMPORT_EVENTS_PER_BATCH: usize = 1_000;

/// Longest line accepted in an export file, in bytes (a body plus its header fields).
pub const EXPORT_LINE_BYTES_MAX: usize = EVENT_BODY_BYTES_MAX + 1_024;

/// Most periods one vertical comparison covers (ten years of months): its answer stays a page.
pub const COMPARISON_PERIODS_MAX: usize = 120;

/// Most events a ranking diff replays between its two points; longer spans are compared by asking
/// for the two rankings instead.
pub const DIFF_EVENTS_MAX: u64 = 200_000;

/// Most events one proof bundle carries (a trace cites a few dozen).
pub const PROOF_BUNDLE_EVENTS_MAX: usize = 1_000;

/// Most events written by one all-or-nothing write (a batch of commands from `exec`, one step of a
/// history import): one sled batch, held in memory until it is durable.
pub const EVENTS_PER_ATOMIC_WRITE_MAX: usize = 10_000;

/// Largest answer a reading command accepts from a running server (a trace with proofs is the
/// largest; the export streams and has no limit).
pub const REMOTE_ANSWER_BYTES_MAX: u64 = 256 * 1024 * 1024;
