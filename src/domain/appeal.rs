//! The words of an appeal: what it is against, how it was decided, and at which stage.
//!
//! Invariant: an outcome names restored points only for `partial`; `upheld` restores all that was
//! contested and `dismissed` none, so the decided amount is computed, never typed twice. An appeal on a
//! cause attribution restores no points at all: upheld, it moves the charge back to the lead section.

use serde::{Deserialize, Serialize};

use super::ids::{DeductionId, EventId, TierAwardId};
use super::points::Points;

/// The one assessment an appeal is against: a deduction or a tier award (the assessed unit contests
/// the points), or a cause attribution of a deduction (the section it charges contests the blame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AppealTarget {
    Deduction {
        deduction_id: DeductionId,
    },
    TierAward {
        tier_award_id: TierAwardId,
    },
    /// The attribution recorded by event `attribution_event_id` (a `CauseAttributed`) of the deduction.
    CauseAttribution {
        deduction_id: DeductionId,
        attribution_event_id: EventId,
    },
}

impl AppealTarget {
    /// Whether the appeal contests blame (a cause attribution) rather than points.
    pub const fn is_cause_attribution(&self) -> bool {
        matches!(self, AppealTarget::CauseAttribution { .. })
    }
}

/// A decision as a reviewer or the committee types it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AppealOutcome {
    /// All contested points restored.
    Upheld,
    /// Some points restored: more than zero, less than contested.
    Partial { points_restored: Points },
    /// Nothing restored.
    Dismissed,
}

impl AppealOutcome {
    pub const fn verdict(self) -> AppealVerdict {
        match self {
            AppealOutcome::Upheld => AppealVerdict::Upheld,
            AppealOutcome::Partial { .. } => AppealVerdict::Partial,
            AppealOutcome::Dismissed => AppealVerdict::Dismissed,
        }
    }
}

/// The kind of a decision, as events store it beside the points it restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealVerdict {
    Upheld,
    Partial,
    Dismissed,
}

/// First decision by the assessing unit's reviewer, or the one escalation to the committee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealStage {
    First,
    Escalated,
}
