//! Every limit the domain enforces, in one place, each with the reason it exists.
//!
//! Invariant: no command is accepted whose text, list or number lies outside these bounds, so every
//! event in the ledger is bounded in size and every projection over it is bounded in work.

/// Longest unit, person, scheme or indicator code, in characters. Codes go into stream ids, which the
/// ledger caps at 128 characters; the longest stream id (`assessment-` + scheme + period + unit) stays
/// below that with this bound.
pub const CODE_CHARS_MAX: usize = 32;

/// Longest display name of a unit, person or indicator, in characters.
pub const NAME_CHARS_MAX: usize = 200;

/// Longest actor id an access grant may name, in bytes (UTF-8). The id becomes the envelope's actor id
/// on every event the token's holder records, and the ledger caps that field at 128 bytes
/// (`crate::limits::ACTOR_FIELD_BYTES_MAX`), so a grant the ledger could not honour is refused here.
pub const ACTOR_ID_BYTES_MAX: usize = 128;

/// Longest free text (reason, grounds, description, reasoning), in characters: a paragraph, not a file.
/// Documents belong outside the ledger; the ledger keeps their digests.
pub const TEXT_CHARS_MAX: usize = 2_000;

/// Longest problem category slug, in characters.
pub const PROBLEM_CATEGORY_CHARS_MAX: usize = 64;

/// Most problem categories one indicator may list.
pub const PROBLEM_CATEGORIES_PER_INDICATOR_MAX: usize = 32;

/// Most evidence digests attached to one deduction, attribution or rectification.
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

/// Earliest and latest scheme year: outside them a year is a typing mistake.
pub const SCHEME_YEAR_MIN: i32 = 2000;
pub const SCHEME_YEAR_MAX: i32 = 2100;

/// Longest stream id, in characters, as the ledger defines it.
pub const STREAM_ID_CHARS_MAX: usize = 128;
