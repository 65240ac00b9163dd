//! The domain: ids, commands, events and the rules that decide between them. Pure: no I/O, no clock.
//!
//! `decide(facts, command, context)` turns a command into events or a `Rejection`; `Facts::apply`
//! folds a recorded event into the `Facts` — the one fact model the decider and every projection
//! share. Time and ids come in through `Context` and `Recorded`, so replaying the same events with the
//! same injected clock and ids gives the same bytes. Everything here uses only std, serde, serde_json, uuid, thiserror and its own modules
//! (plus `time`, inside `timestamp`, for calendar arithmetic).
pub mod appeal;
pub mod command;
pub mod context;
pub mod date;
pub mod event;
pub mod facts;
mod fold;
pub mod ids;
mod json_path;
pub mod organisation;
pub mod own_scheme;
pub mod period;
pub mod person;
pub mod person_commands;
pub mod person_events;
pub mod personal_text;
pub mod points;
pub mod recorded;
pub mod rejection;
mod rules;
pub mod scheme;
pub mod streams;
pub mod timestamp;
pub mod unique_keys;
mod upcast;

pub use appeal::{AppealOutcome, AppealStage, AppealTarget, AppealVerdict};
pub use command::{Command, CommandKind};
pub use context::{Actor, Context, Role};
pub use event::{Event, EventDecodeError};
pub use facts::{AccessRecord, Facts};
pub use ids::{
    AppealId, BonusId, DeductionId, EventId, EvidenceDigest, FunctionCode, IndicatorCode, PersonId, ProblemCategory,
    SchemeId, TierAwardId, TokenHash, UnitCode, VetoId,
};
pub use organisation::UnitLevel;
pub use period::{PeriodId, PeriodKind};
pub use personal_text::{PersonKey, PersonalText, SealedText, TextField};
pub use points::{divide_round_half_up, PerMille, Points};
pub use recorded::{EventRef, Hash, Recorded, RecordedBy};
pub use rejection::{Rejection, RejectionCode};
pub use rules::{allowed_roles, decide};
pub use scheme::{IndicatorMethod, RepeatRule, TierRule, TierStandard};
pub use timestamp::Timestamp;
pub use unique_keys::{check_unique_keys, DuplicateKey, StrictJsonError};
pub use upcast::{DeductionRecordedV1, DeductionRecordedV2, UpcastStep, UPCAST_STEPS};
