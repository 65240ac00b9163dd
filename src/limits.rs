//! Every limit of the system, in one place, each with the reason it exists: what a command may
//! carry, what the ledger stores, what the API and the command line serve, and the memory the
//! service holds. A request beyond one is refused with a message that names the field and the limit.
//!
//! Invariant: no command is accepted whose text, list or number lies outside these bounds, so every
//! event in the ledger is bounded in size and every projection over it is bounded in work.

// ── What a command may carry (the domain checks these before deciding) ──────────────────────────

/// Longest unit, person, scheme or indicator code, in characters. Codes go into stream ids, which the
/// ledger caps at 128 characters; the longest stream id (`assessment-` + scheme + period + unit) stays
/// below that with this bound.
pub const CODE_CHARS_MAX: usize = 32;

/// Longest display name of a unit, person or indicator, in characters.
pub const NAME_CHARS_MAX: usize = 200;

/// Longest free text (reason, grounds, description, reasoning), in characters: a paragraph, not a file.
/// Documents belong outside the ledger; the ledger keeps their digests.
pub const TEXT_CHARS_MAX: usize = 2_000;

/// Longest problem category slug, in characters.
pub const PROBLEM_CATEGORY_CHARS_MAX: usize = 64;

/// Most problem categories one indicator may list.
pub const PROBLEM_CATEGORIES_PER_INDICATOR_MAX: usize = 32;

/// Most evidence digests attached to one deduction, attribution, rectification, appeal, escalation or
/// decision.
pub const EVIDENCE_DIGESTS_PER_ENTRY_MAX: usize = 16;

/// Most links to earlier events attached to one deduction, attribution or rectification.
pub const LINKS_PER_ENTRY_MAX: usize = 16;

/// Most supporting sections of one assignment.
pub const SUPPORTING_SECTIONS_MAX: usize = 16;

/// Most tiers in an indicator's tier standards or in a tier rule.
pub const TIERS_MAX: usize = 10;

/// Most points one indicator may be worth, in hundredths (100.00): a scheme totals 100 points.
pub const INDICATOR_POINTS_MAX: i64 = 10_000;

/// Largest bonus cap a scheme may set, in hundredths (20.00).
pub const BONUS_CAP_MAX: i64 = 2_000;

/// Longest objection, escalation or decision window, in days.
pub const WINDOW_DAYS_MAX: u32 = 90;

/// Longest look-back of the repeat-problem rule, in base periods.
pub const REPEAT_WINDOW_PERIODS_MAX: u32 = 12;

/// How long an access grant lasts when `GrantAccess` leaves `valid_days` out, in whole days of 24
/// hours: a token is a credential, and one nobody renews should stop working on its own.
pub const ACCESS_VALID_DAYS_DEFAULT: u32 = 90;
/// The longest a grant may last: a year, leap day included. A stored grant of more (or of none) is
/// invalid data, as its schema says, so no fold ever meets an expiry past the calendar's range.
pub const ACCESS_VALID_DAYS_MAX: u32 = 366;
/// Most indicators one weekly work record may name (those a person carries are few).
pub const WEEKLY_RECORD_INDICATORS_MAX: usize = 16;
/// Most a county may take off a quarterly personal score for each week without a weekly record, in
/// hundredths (10.00): a setting, 0 by default.
pub const MISSING_WEEK_DEDUCTION_MAX: i64 = 1_000;
/// Earliest and latest scheme year: outside them a year is a typing mistake.
pub const SCHEME_YEAR_MIN: i32 = 2000;
pub const SCHEME_YEAR_MAX: i32 = 2100;

/// Earliest and latest calendar year of any date: written with four digits, as RFC 3339 writes them.
pub const CALENDAR_YEAR_MIN: i32 = 1000;
pub const CALENDAR_YEAR_MAX: i32 = 9999;

// ── What the ledger stores ────────────────────────────────────────────────────────────────────────

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

/// Most (unit, indicator) pairs a refused publication lists by name; it counts the rest.
pub const MISSING_AWARDS_LISTED_MAX: usize = 50;

/// Most events one proof bundle carries (a trace cites a few dozen).
pub const PROOF_BUNDLE_EVENTS_MAX: usize = 1_000;

/// Most events written by one all-or-nothing write (a batch of commands from `exec`, a history
/// import): one sled batch, held in memory until it is durable (about 1 KiB per event).
pub const EVENTS_PER_ATOMIC_WRITE_MAX: usize = 100_000;
/// Largest history file, in bytes: a year of a city's assessment is a few megabytes; import a longer
/// past a year at a time.
pub const HISTORY_FILE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Largest answer a reading command accepts from a running server (a trace with proofs is the
/// largest; the export streams and has no limit).
pub const REMOTE_ANSWER_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// How long opening waits for another holder of the data directory's lock to let go. sled's I/O
/// threads can hold it for a moment after a ledger in the same process was closed.
pub const LOCK_WAIT_MAX: std::time::Duration = std::time::Duration::from_secs(3);

/// A record longer than this is not a record (the largest body is far smaller), so a damaged length
/// field is caught before it is trusted.
pub const RECORD_BYTES_MAX: usize = 16 * 1024 * 1024;

// ── What the API and the command line serve ───────────────────────────────────────────────────────

/// Largest request body accepted, in bytes (a command is a few kilobytes at most).
pub const REQUEST_BODY_BYTES_MAX: usize = 256 * 1024;
/// Largest evidence document accepted, in bytes: a scanned filing of a few dozen pages. Documents are
/// kept beside the chain, whole, and read into memory to be hashed, so a bound keeps both in reason.
pub const DOCUMENT_BYTES_MAX: usize = 20 * 1024 * 1024;
/// Most uploaders one document's sidecar remembers (each actor, role and unit once); later uploads of
/// the same bytes are still accepted, and their facts' readers read it.
pub const DOCUMENT_UPLOADERS_MAX: usize = 32;
/// Answers about the latest state kept serialised, by request URI, until the head moves.
pub const ANSWER_CACHE_ENTRIES_MAX: usize = 4_096;
/// Basis checks of uses of results kept once made (`service::people::BasisChecks`), each for one set
/// of bases up to one event: a check reads a fixed chain prefix, so it is kept until the room is needed.
pub const BASIS_CHECKS_KEPT_MAX: usize = 64;
/// How long open connections (live event streams) may run on after SIGINT or SIGTERM before the
/// server stops regardless: every acknowledged command is durable by then, so nothing is lost.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);
/// How often an open event stream re-checks its token while no event arrives (it also checks before
/// every page): a revoked or expired token's stream ends within this.
pub const SUBSCRIBE_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a reading command waits for a running server before giving up.
pub const REMOTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Bytes handed from the exporting thread to the response, in chunks of about this size.
pub const EXPORT_CHUNK_BYTES: usize = 256 * 1024;

/// Events one catch-up read of an event stream takes before yielding them.
pub const SUBSCRIBE_PAGE_EVENTS: usize = 500;

/// Commands the demo hands to the ledger before waiting for their durability (group commit does the rest).
pub const DEMO_COMMANDS_IN_FLIGHT_MAX: usize = 256;

/// Runs of the command line shorter than this many events draw no progress bar at all.
pub const PROGRESS_BAR_EVENTS_MIN: u64 = 100_000;

// ── Memory the service holds ──────────────────────────────────────────────────────────────────────

/// Deepest chain of parents a unit may have: five levels plus sections, with room to spare. Scope
/// walks stop here, so a corrupt parent cycle cannot hang a decision.
pub const UNIT_DEPTH_MAX: usize = 16;
/// Most command ids remembered in memory before the oldest are left to the ledger's own index.
pub const RECENT_COMMANDS_MAX: usize = 100_000;
/// Events between two persisted projection snapshots. An as-of query folds at most this many events
/// after loading a snapshot.
pub const SNAPSHOT_INTERVAL_EVENTS: u64 = 8_192;
/// Most projections kept in memory along the chain for as-of reads (`read_models::Checkpoints`): each
/// costs what changed after it, and on a longer ledger they are spaced further apart.
pub const AS_OF_CHECKPOINTS_MAX: usize = 512;
/// Events between two as-of checkpoints while fewer than `AS_OF_CHECKPOINTS_MAX` fill the ledger: an
/// as-of read folds at most this many events after the nearest one (on a longer ledger, a power of
/// two times it).
pub const AS_OF_CHECKPOINT_INTERVAL_EVENTS: u64 = 2_048;
/// Most projections decoded from stored snapshots kept for as-of reads (before a server's history is
/// folded, or without a server): unlike the checkpoints of one fold, each is a whole copy of the facts.
pub const AS_OF_LOADED_SNAPSHOTS_MAX: usize = 4;
/// Once the ledger is this many snapshot spacings long, snapshots are a sixteenth of it apart instead
/// of `SNAPSHOT_INTERVAL_EVENTS`: each one is as large as the facts, so writing them stays a constant
/// share of the work per event, and as-of answers on a long ledger fold further.
pub const SNAPSHOT_SPACING_DIVISOR: u64 = 16;
/// Snapshot files at least this long are decoded as they are read, so a million persons' snapshot is
/// never held in memory beside the facts it decodes to; shorter ones are read whole and decoded from
/// memory, which is quicker for them (several times so in a debug build, where the reader's many
/// small reads are not optimised).
pub const SNAPSHOT_STREAMED_FROM_BYTES: u64 = 16 << 20;
/// Persons in each separately encoded piece of a projection snapshot (`projection::snapshot`):
/// enough that a piece is worth handing to another thread (about 1.4 MB), few enough that the
/// pieces waiting to be decoded stay small.
pub const SNAPSHOT_PERSONS_PER_PIECE: usize = 16_384;
/// Threads that decode a snapshot's pieces of persons while the reading thread decodes the rest
/// (and one more puts them in place): a server's start has two cores, one of them busy opening sled.
pub const SNAPSHOT_PIECE_DECODERS: usize = 2;
/// sled's page cache by default, in MiB (`serve --cache-mib`); sled's own default of 1 GiB would be
/// most of a server's memory. sled counts a cached page at its size on disk, which is about a third
/// of what it holds in memory: reading every key of a 1.35 M-event ledger through sled grew a process
/// by 408 MiB at 128, 114 MiB at 32 and 30 MiB at 8 (`tools/memory.rs --sled-scan`). What goes
/// through the cache is the index's recent pages (the tail commands append to, stream versions,
/// event ids); rankings are answered from the read models, and as-of reads and whole-ledger reads
/// come from the record copy.
pub const SLED_CACHE_MIB_DEFAULT: u64 = 32;
/// Most threads a server runs blocking work on (answers computed, commands decided, files read).
/// Each thread keeps memory of its own with the allocator, and what a command decided there lives on
/// after it: with a thread for every connection, a burst of 64 connections grew a server at a million
/// events by about 300 MiB, kept after the burst.
pub const SERVER_BLOCKING_THREADS_MAX: usize = 16;
/// Most commands (the API's and the site's forms) handed to blocking threads at once; the rest wait
/// for a place without a thread.
/// The decider takes them in turn anyway; a few at once still share each write of the person keys
/// file, and half of `SERVER_BLOCKING_THREADS_MAX` is always left to reads.
pub const COMMANDS_DECIDING_MAX: usize = 8;
/// Most events the read models' follower folds into its copy before swapping it in (readers go on
/// reading the state before meanwhile); a longer backlog is folded, and shown, in steps.
pub const FOLLOW_FOLD_EVENTS_MAX: u64 = 512;

// ── The web site and the register's pages ─────────────────────────────────────────────────────────

/// Most deduction register entries on one page (`/v1/deductions?limit=`); 100 when not asked.
pub const REGISTER_PAGE_ENTRIES_MAX: usize = 1_000;
/// Most deduction register entries in one download of the site's register (every page of the filtered
/// register in one CSV or XLSX file, made in memory); a register longer than this is refused, naming the
/// filters to narrow, never cut short.
pub const SITE_REGISTER_DOWNLOAD_ENTRIES_MAX: usize = 100_000;
/// Sessions of the web site held at once (signed in or waiting on the sign-in form); when full, the
/// expired ones go, then the oldest.
pub const SITE_SESSIONS_MAX: usize = 10_000;
/// A signed-in session ends after this long without a request (the token may end it sooner).
pub const SITE_SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// A signed-in session ends this long after sign-in, however busy.
pub const SITE_SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 60 * 60);
/// The session that carries the sign-in form's CSRF token lasts this long.
pub const SITE_SIGN_IN_FORM_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60 * 60);
/// The most bytes a form posted to the site may have.
pub const SITE_FORM_BYTES_MAX: usize = 8 * 1024;
/// The most bytes a form of the site that carries evidence files may have (filing, escalating and
/// deciding an appeal, sent as `multipart/form-data`): one document at its largest and the form's text
/// around it, read whole into memory before the CSRF token is checked. Only those three routes take
/// it; every other form, and those three sent without files, keep `SITE_FORM_BYTES_MAX`.
pub const SITE_UPLOAD_BYTES_MAX: usize = DOCUMENT_BYTES_MAX + 64 * 1024;
/// Most evidence files one form of the site may carry (an entry cites up to
/// `EVIDENCE_DIGESTS_PER_ENTRY_MAX` digests; more go through the API), together within
/// `SITE_UPLOAD_BYTES_MAX`.
pub const SITE_EVIDENCE_FILES_MAX: usize = 5;
/// The page sizes the site's register offers, and the one it uses when none is asked for.
pub const REGISTER_PAGE_SIZES: [usize; 5] = [20, 50, 100, 200, 500];
pub const REGISTER_PAGE_SIZE_DEFAULT: usize = 50;

// ── How the ledger is read back ───────────────────────────────────────────────────────────────────

/// Records verified per chunk read from the ledger while a walk checks the chain.
pub const VERIFY_CHUNK_RECORDS: usize = 4_096;

/// Ranges at least this long are read on a second thread (see `Ledger::for_each_record`).
pub const PIPELINED_READ_EVENTS_MIN: u64 = 2_048;

/// Ranges at least this long are read from the record copy (`Ledger::for_each_decoded`): an as-of
/// read's, not the few new events the read models' follower folds at a time (sled has them cached).
pub const COPY_READ_EVENTS_MIN: u64 = 64;

/// Records per chunk handed from the reading thread to the visiting one.
pub const READ_CHUNK_RECORDS: usize = 1_024;

/// Readers that read and decode chunks in turn for `Ledger::for_each_decoded`.
pub const DECODED_READERS: usize = 2;

/// Bytes read from the record copy for one chunk (whole frames; the frame it ends inside opens the next).
pub const COPY_READ_CHUNK_BYTES: usize = 256 * 1024;

/// Threads decoding the record copy's chunks; chunks alternate between them.
pub const COPY_READ_DECODERS: usize = 2;

/// A frame's place is noted for every this many events (the 1st, the 257th, …): reading from any
/// event skips fewer frames than this, by their lengths alone, once the places around it are known.
pub const COPY_READ_PLACE_EVERY_EVENTS: u64 = 256;

/// Most frames passed over to reach a range's first event; a range further from every place known
/// is left to sled (on a ledger just opened, until a read of the whole copy has noted its places).
pub const COPY_READ_SKIP_FRAMES_MAX: u64 = 4 * COPY_READ_PLACE_EVERY_EVENTS;
