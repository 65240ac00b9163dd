//! `Rejection`: why a command was refused — a stable machine code, the field it concerns, and a message.
//!
//! Invariant: a rejected command appends nothing. Codes are part of the public contract (clients branch
//! on them), so a code is never renamed; messages start lower-case, name the field, and end without a
//! period.

use serde::Serialize;

/// Declares the codes once: the enum, its text form and its serialisation cannot drift apart.
macro_rules! rejection_codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)+) => {
        /// A refusal's stable machine code; `as_str` gives the snake_case text clients see.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RejectionCode {
            $($(#[$doc])* $variant,)+
        }

        impl RejectionCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [RejectionCode] = &[$(RejectionCode::$variant,)+];

            /// The code as clients see it, e.g. `"period_final"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RejectionCode::$variant => $name,)+
                }
            }
        }
    };
}

rejection_codes! {
    /// The command's JSON did not decode: wrong type, unknown or missing field, malformed value.
    InvalidCommand => "invalid_command",
    /// A text field is empty or longer than its limit.
    InvalidText => "invalid_text",
    /// A list or number is outside its limit or otherwise malformed.
    InvalidValue => "invalid_value",
    /// The injected id is already taken by another fact.
    IdAlreadyUsed => "id_already_used",
    // Who may do what.
    RoleNotAllowed => "role_not_allowed",
    OutOfScope => "out_of_scope",
    ReviewerRecordedDeduction => "reviewer_recorded_deduction",
    // Organisation.
    UnknownUnit => "unknown_unit",
    UnitRetired => "unit_retired",
    UnitExists => "unit_exists",
    InvalidParent => "invalid_parent",
    UnitHasActiveChildren => "unit_has_active_children",
    NotASection => "not_a_section",
    UnknownPerson => "unknown_person",
    PersonRetired => "person_retired",
    PersonExists => "person_exists",
    /// The person's personal information was erased: nothing more is recorded about it, and it is not
    /// erased twice.
    PersonErased => "person_erased",
    // Schemes and indicators.
    UnknownScheme => "unknown_scheme",
    SchemeExists => "scheme_exists",
    UnknownIndicator => "unknown_indicator",
    IndicatorRetired => "indicator_retired",
    IndicatorExists => "indicator_exists",
    IndicatorNotApplicable => "indicator_not_applicable",
    AlreadyNotApplicable => "already_not_applicable",
    IndicatorNotDeduct => "indicator_not_deduct",
    IndicatorNotTiered => "indicator_not_tiered",
    IndicatorNotVeto => "indicator_not_veto",
    RevisionEmpty => "revision_empty",
    UnknownProblemCategory => "unknown_problem_category",
    // Periods.
    NotABasePeriod => "not_a_base_period",
    UnknownPeriod => "unknown_period",
    PeriodExists => "period_exists",
    PeriodNotOpen => "period_not_open",
    PeriodFinal => "period_final",
    PeriodNotFinal => "period_not_final",
    PeriodNotPublished => "period_not_published",
    ObjectionWindowOpen => "objection_window_open",
    /// An appeal on the period waits for a decision, or a decision on it may still be escalated.
    AppealsOpen => "appeals_open",
    /// An applicable tiered indicator of a unit the scheme assesses has no award for the period.
    TierAwardsMissing => "tier_awards_missing",
    /// A bonus or veto for a section: the scheme gives sections neither.
    NotForSections => "not_for_sections",
    // A county's own scheme.
    /// Only a county's own scheme takes over indicators of its city's scheme.
    NotACountyScheme => "not_a_county_scheme",
    /// The indicator is taken over from the city's scheme: the city's facts score it and the county's
    /// plan there names its lead, so it takes no fact, assignment or mark of its own.
    IndicatorTakenOver => "indicator_taken_over",
    /// A county's own scheme uses its city's base periods: they open when the city opens them.
    PeriodOpenedByCity => "period_opened_by_city",
    /// A county's month is final only once the city's same month is.
    CityPeriodNotFinal => "city_period_not_final",
    /// A county's month is published only once the city's same month is (its taken-over indicators
    /// are scored from the city's facts, which may change while the city's month is open).
    CityPeriodNotPublished => "city_period_not_published",
    // Assessment.
    TierOutOfRange => "tier_out_of_range",
    PointsNotPositive => "points_not_positive",
    PointsExceedRemaining => "points_exceed_remaining",
    PointsExceedBonusCap => "points_exceed_bonus_cap",
    UnknownEvent => "unknown_event",
    UnknownDeduction => "unknown_deduction",
    DeductionWithdrawn => "deduction_withdrawn",
    CauseNotAttributed => "cause_not_attributed",
    UnknownTierAward => "unknown_tier_award",
    TierAwardSuperseded => "tier_award_superseded",
    NothingToAppeal => "nothing_to_appeal",
    // Appeals.
    UnknownAppeal => "unknown_appeal",
    AppealAlreadyOpen => "appeal_already_open",
    AppealAlreadyDecided => "appeal_already_decided",
    AppealWindowClosed => "appeal_window_closed",
    AppealNotOpen => "appeal_not_open",
    AppealNotDecided => "appeal_not_decided",
    AppealUpheld => "appeal_upheld",
    AppealAlreadyEscalated => "appeal_already_escalated",
    EscalationWindowClosed => "escalation_window_closed",
    RestorationOutOfRange => "restoration_out_of_range",
    RestorationBelowFirstDecision => "restoration_below_first_decision",
    // Appeals on cause attributions.
    /// No attribution of the deduction was recorded by the event named.
    UnknownAttribution => "unknown_attribution",
    /// The attribution named was replaced by a later one, which now decides the charge.
    AttributionSuperseded => "attribution_superseded",
    /// The committee upheld this section's appeal against being charged with the deduction.
    AttributionOverturned => "attribution_overturned",
    /// The outcome is not one this kind of appeal can have (a partial decision on an attribution).
    OutcomeNotAllowed => "outcome_not_allowed",
    /// The appeal cannot be escalated at all (an appeal on an attribution is decided once).
    AppealNotEscalatable => "appeal_not_escalatable",
    // Access.
    /// A token hash is granted once ever, even after its grant was revoked.
    TokenExists => "token_exists",
    UnknownToken => "unknown_token",
    TokenRevoked => "token_revoked",
    /// A grant for role `person` names no person, or a person where the role takes none.
    PersonRequired => "person_required",
    /// The actor id already speaks for another person (`GrantAccess.person`).
    ActorBoundToAnotherPerson => "actor_bound_to_another_person",
    // Individuals and the use of results.
    /// A week or quarter that has not begun yet.
    NotBegun => "not_begun",
    /// A move dated before the day the person's current stretch began.
    MoveBeforeCurrentStretch => "move_before_current_stretch",
    /// A weekly record for a week that has one already.
    WeeklyRecordExists => "weekly_record_exists",
    /// No weekly record of the person for that week.
    UnknownWeeklyRecord => "unknown_weekly_record",
    /// A leader reviewing the person it speaks for.
    SelfReview => "self_review",
    /// The person takes no part in the county's individual ranking of that year.
    NotAParticipant => "not_a_participant",
    /// 优秀 for a person outside the first individual tier.
    GradeNotInFirstTier => "grade_not_in_first_tier",
    /// 优秀 beyond the quota of participants.
    GradeQuotaExceeded => "grade_quota_exceeded",
    /// 基本称职 and 不称职 need a reason.
    ReasonRequired => "reason_required",
    /// The subject of a result use is not one the view ranks.
    SubjectNotInView => "subject_not_in_view",
    /// A chain position (seq and hash) that is not in the chain.
    PositionNotInChain => "position_not_in_chain",
    /// A personal assessment that cannot be withdrawn (not a deduction, or already withdrawn).
    UnknownAssessment => "unknown_assessment",
}

impl Serialize for RejectionCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for RejectionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused command: nothing is appended, and the caller learns which field was wrong and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    pub code: RejectionCode,
    /// The command field concerned, as a dotted path (`points`, `outcome.points_restored`), or
    /// `actor.role` / `actor.unit` when the actor is the problem.
    pub field: String,
    pub message: String,
}

impl Rejection {
    pub fn new(code: RejectionCode, field: impl Into<String>, message: impl Into<String>) -> Rejection {
        Rejection { code, field: field.into(), message: message.into() }
    }
}

/// Shorthand for rules: `reject(code, field, message)` as an `Err`.
pub fn reject<T>(code: RejectionCode, field: &str, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(code, field, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_name() {
        assert_eq!(RejectionCode::PeriodFinal.as_str(), "period_final");
        assert_eq!(RejectionCode::RestorationBelowFirstDecision.as_str(), "restoration_below_first_decision");
    }
}
