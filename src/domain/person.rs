//! Individuals (个人绩效) and the use of results (结果运用): the vocabulary (annual grades, result uses and
//! the views they rest on, personal rules), the facts about persons that `Facts::apply` folds (where a
//! person belonged on each day, personal indicators and their assessments, weekly work records, leader
//! reviews, annual grades, result uses), and the questions about them that the rules and the
//! projections both ask: in which unit a person counts on a day, in which section for a period, who
//! takes part in a county's individual ranking, and which indicators a person carries.
//!
//! Personal information — names, weekly-record texts, review comments, grade reasons — sits in fields
//! of its own (`text`, `comment`, `reason`), never mixed into codes or numbers. Names, texts and
//! comments are `PersonalText`s, folded as stored (sealed ones stay sealed): nothing is computed from
//! them, so erasing a person's key changes no score.
//!
//! Invariant: every answer here is a function of the facts alone; days are civil days in the ledger's
//! time zone, and a person counts for a period in the unit they belonged to on its last day.

use super::facts::{Map, Set};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::date::{Date, IsoWeek};
use super::event::{Event, PersonErased, PersonMoved, PersonRegistered, PersonRetired};
use super::facts::{Facts, PeriodStatus, PersonFacts, SchemeFacts};
use super::ids::{FunctionCode, IndicatorCode, PersonId, SchemeId, UnitCode};
use super::period::{PeriodId, PeriodKind};
use super::personal_text::PersonalText;
use super::points::Points;
use super::recorded::{EventRef, Hash, Recorded};
use super::scheme::IndicatorMethod;

pub use super::person_events::{
    GradeBasis, GradeRecorded, PersonReviewed, PersonalIndicatorAssessed, PersonalIndicatorDefined, PersonalRulesSet,
    ResultUseRecorded, WeeklyRecordCommented, WeeklyRecordFiled,
};

// ---- Ids -------------------------------------------------------------------------------------

/// An assessment of a personal indicator (a deduction, a tier, or the withdrawal of a deduction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssessmentId(pub Uuid);

/// A recorded use of results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResultUseId(pub Uuid);

impl fmt::Display for AssessmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for ResultUseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

// ---- Vocabulary ------------------------------------------------------------------------------

/// 年度考核等次: the annual grade a county's committee records for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnualGrade {
    /// 优秀: only in the first individual tier, and for at most the quota of participants.
    Excellent,
    /// 称职
    Competent,
    /// 基本称职: needs a reason.
    BasicallyCompetent,
    /// 不称职: needs a reason.
    Incompetent,
}

impl AnnualGrade {
    pub const fn as_str(self) -> &'static str {
        match self {
            AnnualGrade::Excellent => "excellent",
            AnnualGrade::Competent => "competent",
            AnnualGrade::BasicallyCompetent => "basically_competent",
            AnnualGrade::Incompetent => "incompetent",
        }
    }

    /// The grade's Chinese name, as the article and the refusals write it.
    pub const fn chinese(self) -> &'static str {
        match self {
            AnnualGrade::Excellent => "优秀",
            AnnualGrade::Competent => "称职",
            AnnualGrade::BasicallyCompetent => "基本称职",
            AnnualGrade::Incompetent => "不称职",
        }
    }

    /// 基本称职 and 不称职 must say why.
    pub const fn needs_reason(self) -> bool {
        matches!(self, AnnualGrade::BasicallyCompetent | AnnualGrade::Incompetent)
    }
}

impl fmt::Display for AnnualGrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.chinese())
    }
}

/// 结果运用: what results were used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultUseKind {
    PraiseNotice,
    CriticismNotice,
    Honour,
    PromotionPriority,
    TrainingPriority,
}

impl ResultUseKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ResultUseKind::PraiseNotice => "praise_notice",
            ResultUseKind::CriticismNotice => "criticism_notice",
            ResultUseKind::Honour => "honour",
            ResultUseKind::PromotionPriority => "promotion_priority",
            ResultUseKind::TrainingPriority => "training_priority",
        }
    }
}

/// Whom a use of results is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResultSubject {
    Unit { unit: UnitCode },
    Person { person: PersonId },
}

impl fmt::Display for ResultSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultSubject::Unit { unit } => write!(f, "unit {unit}"),
            ResultSubject::Person { person } => write!(f, "person {person}"),
        }
    }
}

/// The view a decision relied on: a peer group's ranking in a scheme and period (the counties of a
/// city, or the sections of one function code), or a county's individual ranking for a year.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResultView {
    Ranking {
        scheme: SchemeId,
        period: PeriodId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function_code: Option<FunctionCode>,
    },
    IndividualRanking {
        unit: UnitCode,
        year: i32,
    },
}

impl fmt::Display for ResultView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultView::Ranking { scheme, period, function_code: None } => {
                write!(f, "the ranking of {scheme} {period}")
            }
            ResultView::Ranking { scheme, period, function_code: Some(code) } => {
                write!(f, "the ranking of {scheme} sections {code} {period}")
            }
            ResultView::IndividualRanking { unit, year } => write!(f, "the individual ranking of {unit} {year}"),
        }
    }
}

/// A point of the chain: an event's sequence number and its chain hash (a head as it was read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainPosition {
    pub seq: u64,
    pub hash: Hash,
}

/// How the parts of a quarterly personal score are weighted: the section's quarterly final, the
/// leaders' review score and the personal-indicator score. A missing part drops out and the others
/// keep their weights (so 40 and 30 of 70).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartWeights {
    pub section: u32,
    pub review: u32,
    pub indicators: u32,
}

impl Default for PartWeights {
    fn default() -> PartWeights {
        PartWeights { section: 40, review: 30, indicators: 30 }
    }
}

/// A county's settings for one year of individual assessment (the defaults of docs/RULES.md §14 until
/// its committee records others).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalRules {
    pub weights: PartWeights,
    /// Individual tiers by shares of the ranked participants.
    pub tier_shares_percent: Vec<u32>,
    /// 优秀 for at most this share of the participants, rounded down.
    pub excellent_quota_percent: u32,
    /// Taken off a quarterly score for each week of the quarter without a weekly record (not below 0).
    pub missing_week_deduction: Points,
}

pub const TIER_SHARES_PERCENT_DEFAULT: [u32; 3] = [30, 50, 20];
pub const EXCELLENT_QUOTA_PERCENT_DEFAULT: u32 = 20;

impl Default for PersonalRules {
    fn default() -> PersonalRules {
        PersonalRules {
            weights: PartWeights::default(),
            tier_shares_percent: TIER_SHARES_PERCENT_DEFAULT.to_vec(),
            excellent_quota_percent: EXCELLENT_QUOTA_PERCENT_DEFAULT,
            missing_week_deduction: Points::ZERO,
        }
    }
}

/// At most `percent` % of `participants` may be graded 优秀, rounded down (20 % of 36 is 7).
pub fn excellent_quota(participants: u32, percent: u32) -> u32 {
    u32::try_from(u64::from(participants) * u64::from(percent) / 100).unwrap_or(u32::MAX)
}

/// What the office records about a personal indicator in one base period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PersonalOutcome {
    /// Points taken off a `deduct` indicator.
    Deduction { points: Points },
    /// The tier reached on a `tiered` indicator; the latest counts.
    Tier { tier: u32 },
    /// A deduction recorded in error, withdrawn: it counts 0.
    Withdrawal { assessment_id: AssessmentId },
}

/// An indicator a weekly record reports progress on: one of a scheme's (that the person carries) or
/// one of the person's personal indicators.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IndicatorRef {
    Scheme { scheme: SchemeId, indicator: IndicatorCode },
    Personal { indicator: IndicatorCode },
}

/// Where a person stands in their county's individual ranking, as the service read it when a command
/// that rests on it (an annual grade) was decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndividualStanding {
    pub annual_score: Option<Points>,
    pub rank: Option<u32>,
    pub tier: Option<u32>,
    /// How many participants are ranked (have an annual score).
    pub ranked: u32,
}

/// What the service read from the ledger for a command that rests on it, beyond the facts: the chain
/// position a result use names (checked to be in the chain, or the head when the use names none) and
/// the individual standing an annual grade is checked against. Empty for every other command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandBasis {
    pub position: Option<ChainPosition>,
    pub standing: Option<IndividualStanding>,
}

// ---- Streams ---------------------------------------------------------------------------------

/// A county's personal assessment of one year: personal indicators, their assessments, its rules.
pub fn personal_plan_stream(unit: &UnitCode, year: i32) -> String {
    format!("personal-{unit}.{year:04}")
}

/// A person's weekly work records and the comments on them.
pub fn weekly_stream(person: &PersonId) -> String {
    format!("weekly-{person}")
}

/// The leaders' reviews of a person.
pub fn review_stream(person: &PersonId) -> String {
    format!("review-{person}")
}

/// A county's annual grades of one year: the quota is a check over exactly this stream.
pub fn grades_stream(unit: &UnitCode, year: i32) -> String {
    format!("grades-{unit}.{year:04}")
}

/// The result uses a committee recorded.
pub fn result_uses_stream(committee: &UnitCode) -> String {
    format!("result-uses-{committee}")
}

// ---- Facts -----------------------------------------------------------------------------------

/// A stretch of a person's career: in `unit` from the day `from` (until the next stretch begins).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Membership {
    pub unit: UnitCode,
    pub from: Date,
}

super::facts::serialize_as_array_when_binary!(Membership { unit, from });

/// Where a person belonged from which day: the registration's stretch, then one for every move, in
/// the order recorded — by effective day too, since a move never takes effect before the stretch it
/// ends began. Never empty (it starts with the registration and only grows; one read from a
/// snapshot without a stretch is refused), so the latest stretch is always there. Written as the
/// array of its stretches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Memberships(Vec<Membership>);

impl Memberships {
    /// The stretch a registration begins.
    pub fn registered(first: Membership) -> Memberships {
        Memberships(vec![first])
    }

    /// A move's stretch, after every one before it.
    pub fn push(&mut self, next: Membership) {
        self.0.push(next);
    }

    /// The stretch begun last: where the latest registration or move put the person (a move may take
    /// effect later: `PersonFacts::unit_on`).
    pub fn latest(&self) -> &Membership {
        self.0.last().expect("memberships begin with the registration's stretch and only grow")
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Membership> {
        self.0.iter()
    }

    pub fn as_slice(&self) -> &[Membership] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Memberships {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Memberships, D::Error> {
        let stretches = Vec::<Membership>::deserialize(deserializer)?;
        match stretches.is_empty() {
            true => {
                Err(serde::de::Error::custom("a person's memberships: expected at least the registration's stretch"))
            }
            false => Ok(Memberships(stretches)),
        }
    }
}

/// Everything recorded about individuals beyond their registration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleFacts {
    /// Per county and year: personal indicators, rules and annual grades.
    pub plans: Map<UnitCode, Map<i32, PersonalPlan>>,
    pub weekly_records: Map<PersonId, Map<IsoWeek, WeeklyRecordFacts>>,
    /// Per person and quarter, in the order recorded.
    pub reviews: Map<PersonId, Map<PeriodId, Vec<ReviewFacts>>>,
    /// In the order recorded.
    pub result_uses: Vec<ResultUseFacts>,
    /// Per person, every indicator anything ever made them responsible for: a look-up, so the
    /// indicators a person carries cost their own, not the province's (`carried_scheme_indicators`).
    #[serde(default)]
    pub carried: Map<PersonId, CarriedKeys>,
}

/// Where a person was ever named responsible: assignments in a scheme's plans (scheme, assigning unit,
/// indicator) and personal indicators (county, year, indicator). An index of the facts beside it, only
/// ever added to: a later assignment or definition may name someone else, so each look-up checks the
/// facts in force.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedKeys {
    pub scheme: Set<(SchemeId, UnitCode, IndicatorCode)>,
    pub personal: Set<(UnitCode, i32, IndicatorCode)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalPlan {
    /// The rules its committee recorded last, if any (else the defaults).
    pub rules: Option<PersonalRules>,
    pub indicators: Map<IndicatorCode, PersonalIndicatorFacts>,
    /// Every grade recorded, per person, in order: the latest counts.
    pub grades: Map<PersonId, Vec<GradeFacts>>,
}

impl PersonalPlan {
    pub fn rules(&self) -> PersonalRules {
        self.rules.clone().unwrap_or_default()
    }

    /// The grade that counts for `person`: the latest recorded.
    pub fn grade_of(&self, person: &PersonId) -> Option<&GradeFacts> {
        self.grades.get(person).and_then(|grades| grades.last())
    }

    /// How many persons stand graded `grade` (by their latest grade).
    pub fn count_graded(&self, grade: AnnualGrade) -> u32 {
        let count = self.grades.values().filter_map(|grades| grades.last()).filter(|g| g.recorded.grade == grade);
        u32::try_from(count.count()).unwrap_or(u32::MAX)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalIndicatorFacts {
    pub defined: PersonalIndicatorDefined,
    pub event: EventRef,
    /// In the order recorded.
    pub assessments: Vec<PersonalAssessmentFacts>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalAssessmentFacts {
    pub assessed: PersonalIndicatorAssessed,
    pub event: EventRef,
    /// The withdrawal of a deduction, once recorded.
    pub withdrawn_by: Option<EventRef>,
}

impl PersonalIndicatorFacts {
    /// The deductions of a base period that stand (not withdrawn), in order.
    pub fn standing_deductions(&self, period: PeriodId) -> impl Iterator<Item = (&PersonalAssessmentFacts, Points)> {
        self.assessments.iter().filter(move |a| a.assessed.period == period && a.withdrawn_by.is_none()).filter_map(
            |assessment| match assessment.assessed.outcome {
                PersonalOutcome::Deduction { points } => Some((assessment, points)),
                _ => None,
            },
        )
    }

    /// The latest tier recorded for a base period.
    pub fn latest_tier(&self, period: PeriodId) -> Option<(&PersonalAssessmentFacts, u32)> {
        self.assessments.iter().rev().filter(|a| a.assessed.period == period).find_map(|assessment| {
            match assessment.assessed.outcome {
                PersonalOutcome::Tier { tier } => Some((assessment, tier)),
                _ => None,
            }
        })
    }

    /// The score in a base period, and whether a tiered one is still unassessed (counted at full
    /// points): `max(0, points_max − Σ standing deductions)`, or the tier's share of `points_max`.
    pub fn score(&self, period: PeriodId) -> (Points, bool) {
        let points_max = self.defined.points_max;
        match &self.defined.method {
            IndicatorMethod::Deduct => {
                let deducted: Points = self.standing_deductions(period).map(|(_, points)| points).sum();
                ((points_max - deducted).max(Points::ZERO), false)
            }
            IndicatorMethod::Tiered { tiers } => match self.latest_tier(period) {
                Some((_, tier)) => {
                    let index = usize::try_from(tier).unwrap_or(usize::MAX).saturating_sub(1);
                    let share = tiers.get(index).map(|standard| points_max.share(standard.share_per_mille));
                    (share.unwrap_or(points_max), false)
                }
                None => (points_max, true),
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRecordFacts {
    pub filed: WeeklyRecordFiled,
    pub event: EventRef,
    pub comments: Vec<CommentFacts>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentFacts {
    /// Personal information: kept apart from everything that is scored.
    pub comment: PersonalText,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFacts {
    pub score: Points,
    /// Personal information: kept apart from everything that is scored.
    pub comment: PersonalText,
    /// Who reviewed is the event's actor: the latest review by one actor counts.
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeFacts {
    pub recorded: GradeRecorded,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultUseFacts {
    pub recorded: ResultUseRecorded,
    pub event: EventRef,
}

/// The latest review by each reviewer (the event's actor), in the order the reviewers first reviewed.
pub fn latest_reviews(reviews: &[ReviewFacts]) -> Vec<&ReviewFacts> {
    let mut latest: Vec<&ReviewFacts> = Vec::new();
    for review in reviews {
        match latest.iter_mut().find(|kept| kept.event.actor_id == review.event.actor_id) {
            Some(kept) => *kept = review,
            None => latest.push(review),
        }
    }
    latest
}

// ---- Where a person belongs --------------------------------------------------------------------

impl PersonFacts {
    /// The unit the latest registration or move names (a move may take effect later: `unit_on`).
    pub fn unit(&self) -> &UnitCode {
        &self.memberships.latest().unit
    }

    /// Whether the person has retired (they count nowhere after `retired_on`).
    pub fn is_retired(&self) -> bool {
        self.retired_on.is_some()
    }

    /// The unit the person belongs to on `day`: the latest stretch begun by then; none before they
    /// were registered or after the day they retired.
    pub fn unit_on(&self, day: Date) -> Option<&UnitCode> {
        if self.retired_on.is_some_and(|retired_on| day > retired_on) {
            return None;
        }
        self.memberships.iter().rev().find(|membership| membership.from <= day).map(|membership| &membership.unit)
    }

    /// The units the person belonged to on some day from `first` to `last`, with the last day in each
    /// (in order of their stretches).
    pub fn stretches_within(&self, first: Date, last: Date) -> Vec<(&UnitCode, Date)> {
        let mut stretches = Vec::new();
        let memberships = self.memberships.as_slice();
        for (index, membership) in memberships.iter().enumerate() {
            let next = memberships.get(index + 1).map(|next| next.from);
            let mut end = next.and_then(|from| from.plus_days(-1)).unwrap_or(last);
            if let Some(retired_on) = self.retired_on {
                end = end.min(retired_on);
            }
            let (start, end) = (membership.from.max(first), end.min(last));
            if start <= end && next.is_none_or(|next| next > membership.from) {
                stretches.push((&membership.unit, end));
            }
        }
        stretches
    }
}

impl Facts {
    /// The person bound to an actor id by an access grant (`GrantAccess.person`), if any: one actor id
    /// speaks for at most one person.
    pub fn person_of_actor(&self, actor_id: &str) -> Option<&PersonId> {
        self.access_grants.values().filter(|grant| grant.actor_id == actor_id).find_map(|grant| grant.person.as_ref())
    }

    /// The unit a person counts in for a period: the one they belonged to on its last day.
    pub fn counts_in(&self, person: &PersonId, period: PeriodId) -> Option<&UnitCode> {
        self.persons.get(person)?.unit_on(Date::last_of(period))
    }

    /// The section a person counts in for a period: the one they belonged to on its last day or, if
    /// they were in no section that day (they left during it), the last section they belonged to in it.
    pub fn section_for(&self, person: &PersonId, period: PeriodId) -> Option<&UnitCode> {
        let record = self.persons.get(person)?;
        if let Some(unit) = record.unit_on(Date::last_of(period)).filter(|unit| self.is_section(unit)) {
            return Some(unit);
        }
        let stretches = record.stretches_within(Date::first_of(period), Date::last_of(period));
        stretches.into_iter().rev().map(|(unit, _)| unit).find(|unit| self.is_section(unit))
    }

    /// The county a person's unit belongs to: the unit itself when it is not a section, else its parent.
    pub fn county_of_unit<'a>(&'a self, unit: &'a UnitCode) -> Option<&'a UnitCode> {
        match self.is_section(unit) {
            true => self.parent_of(unit),
            false => self.units.contains_key(unit).then_some(unit),
        }
    }

    /// The county whose individual ranking of `year` a person takes part in: the county of the section
    /// they counted in for the last month of the year's fourth quarter in which they counted in a
    /// section at all; none when they counted in no section in October, November or December.
    pub fn participant_county(&self, person: &PersonId, year: i32) -> Option<&UnitCode> {
        let record = self.persons.get(person)?;
        (10..=12u8).rev().find_map(|month| {
            let month = PeriodId::new(year, PeriodKind::Month, month)?;
            let unit = record.unit_on(Date::last_of(month))?;
            self.is_section(unit).then(|| self.parent_of(unit)).flatten()
        })
    }

    /// The participants of a county's individual ranking of `year`, by code.
    pub fn participants(&self, county: &UnitCode, year: i32) -> Vec<&PersonId> {
        self.persons.keys().filter(|person| self.participant_county(person, year) == Some(county)).collect()
    }

    /// The county's personal plan of `year`, if anything was recorded in it.
    pub fn personal_plan(&self, county: &UnitCode, year: i32) -> Option<&PersonalPlan> {
        self.people.plans.get(county)?.get(&year)
    }

    /// The county's personal rules of `year`: its committee's, or the defaults.
    pub fn personal_rules(&self, county: &UnitCode, year: i32) -> PersonalRules {
        self.personal_plan(county, year).map(PersonalPlan::rules).unwrap_or_default()
    }

    /// The city scheme that assesses `county` in `year`: its parent's.
    pub fn scheme_assessing(&self, county: &UnitCode, year: i32) -> Option<&SchemeFacts> {
        let issuer = self.parent_of(county)?;
        self.schemes.get(&SchemeId::for_issuer_year(issuer, year))
    }

    /// The county whose scheme's months a person's score of `quarter` counts: the county of the section
    /// they count in for the quarter (§15.1) or, in no section then, of the unit they count in — as
    /// `projection::personal` reads it.
    pub fn scoring_county(&self, person: &PersonId, quarter: PeriodId) -> Option<&UnitCode> {
        match self.section_for(person, quarter) {
            Some(section) => self.parent_of(section),
            None => self.counts_in(person, quarter).and_then(|unit| self.county_of_unit(unit)),
        }
    }

    /// The scheme whose base periods a county's personal scores of `year` count (and whose finality
    /// holds them still): the county's own when it issued one for the year, else its city's.
    pub fn personal_scheme(&self, county: &UnitCode, year: i32) -> Option<&SchemeFacts> {
        let own = self.schemes.get(&SchemeId::for_issuer_year(county, year)).filter(|own| self.is_own_scheme(own));
        own.or_else(|| self.scheme_assessing(county, year))
    }

    /// The first final base period of the scheme a person's score of `quarter` counts, among the
    /// quarter's base periods from `from` on: a month whose personal scores nothing may change any more.
    pub fn final_personal_month<'a>(
        &'a self,
        person: &PersonId,
        quarter: PeriodId,
        from: PeriodId,
    ) -> Option<(&'a SchemeFacts, PeriodId)> {
        let county = self.scoring_county(person, quarter)?;
        let scheme = self.personal_scheme(county, quarter.year())?;
        let is_final = |base: &PeriodId| scheme.periods.get(base).is_some_and(|r| r.status == PeriodStatus::Final);
        let mut bases = scheme.opened_base_periods_in(quarter).into_iter();
        bases.find(|base| *base >= from && is_final(base)).map(|base| (scheme, base))
    }

    /// The scheme indicators a person carries in a base period: those whose assignment in force then
    /// names them as the responsible person and that apply to the assigning unit then, with that unit
    /// and the lead section.
    pub fn carried_scheme_indicators<'a>(
        &'a self,
        person: &'a PersonId,
        period: PeriodId,
    ) -> Vec<CarriedIndicator<'a>> {
        let mut carried = Vec::new();
        let Some(keys) = self.people.carried.get(person) else { return carried };
        for (scheme, unit, code) in &keys.scheme {
            let Some(scheme) = self.schemes.get(scheme).filter(|scheme| scheme.is_base_period(period)) else {
                continue;
            };
            let Some(entry) = scheme.plans.get(unit).and_then(|plan| plan.get(code)) else { continue };
            let Some(assignment) = entry.assignment_at(period) else { continue };
            if assignment.responsible_person.as_ref() != Some(person) {
                continue;
            }
            let Some(indicator) = scheme.indicators.get(code) else { continue };
            if scheme.applies(indicator, unit, period) {
                carried.push(CarriedIndicator { scheme, unit, code, lead_section: &assignment.lead_section });
            }
        }
        carried
    }

    /// The personal indicators a person is responsible for in a base period of `year`, with the county
    /// that defined each.
    pub fn carried_personal_indicators(
        &self,
        person: &PersonId,
        period: PeriodId,
    ) -> Vec<(&UnitCode, &PersonalIndicatorFacts)> {
        let Some(keys) = self.people.carried.get(person) else { return Vec::new() };
        let year = period.year();
        keys.personal
            .iter()
            .filter(|(_, defined_for, _)| *defined_for == year)
            .filter_map(|(county, year, code)| {
                let indicator = self.people.plans.get(county)?.get(year)?.indicators.get(code)?;
                Some((county, indicator))
            })
            .filter(|(_, indicator)| {
                &indicator.defined.person == person
                    && indicator.defined.effective_from <= period
                    && indicator.defined.effective_from.kind() == period.kind()
            })
            .collect()
    }
}

/// A scheme indicator a person carries: the scheme, the unit that assigned it, its code and lead.
#[derive(Clone, Copy, Debug)]
pub struct CarriedIndicator<'a> {
    pub scheme: &'a SchemeFacts,
    pub unit: &'a UnitCode,
    pub code: &'a IndicatorCode,
    pub lead_section: &'a UnitCode,
}

// ---- Folding ---------------------------------------------------------------------------------

impl Facts {
    /// The day an event was recorded on, in the ledger's time zone.
    fn recorded_on(&self, recorded: &Recorded) -> Date {
        Date::of_instant(recorded.recorded_at, self.time_zone())
    }

    pub(super) fn person_registered(&mut self, event: &PersonRegistered, recorded: &Recorded) {
        let from = self.recorded_on(recorded);
        let person = PersonFacts {
            name: event.name.clone(),
            memberships: Memberships::registered(Membership { unit: event.unit.clone(), from }),
            retired_on: None,
            erased: false,
        };
        self.persons.insert(event.person.clone(), Arc::new(person));
    }

    /// A move takes effect on its day; one recorded before moves had a day (version 1), on the day it
    /// was recorded.
    pub(super) fn person_moved(&mut self, event: &PersonMoved, recorded: &Recorded) {
        let from = event.effective_on.unwrap_or_else(|| self.recorded_on(recorded));
        if let Some(person) = self.persons.get_mut(&event.person).map(Arc::make_mut) {
            person.memberships.push(Membership { unit: event.to_unit.clone(), from });
        }
    }

    pub(super) fn person_retired(&mut self, event: &PersonRetired, recorded: &Recorded) {
        let day = self.recorded_on(recorded);
        if let Some(person) = self.persons.get_mut(&event.person).map(Arc::make_mut) {
            person.retired_on = Some(day);
        }
    }

    /// The person's texts read as erased from now on; nothing else about them changes.
    pub(super) fn person_erased(&mut self, event: &PersonErased) {
        if let Some(person) = self.persons.get_mut(&event.person).map(Arc::make_mut) {
            person.erased = true;
        }
    }

    /// Holds the person `event` changed as the very value `like` holds, when the two are equal: two
    /// folds of one history (the fold from the first event beside a projection decoded from a
    /// snapshot) then keep one copy of every person who did not change after, not two. No answer
    /// changes, only where an equal value lives.
    pub fn share_person_with(&mut self, event: &Event, like: &Facts) {
        let person = match event {
            Event::PersonRegistered(event) => &event.person,
            Event::PersonMoved(event) => &event.person,
            Event::PersonRetired(event) => &event.person,
            Event::PersonErased(event) => &event.person,
            _ => return,
        };
        let Some(theirs) = like.persons.get(person) else { return };
        if self.persons.get(person).is_some_and(|mine| !Arc::ptr_eq(mine, theirs) && mine == theirs) {
            self.persons.insert(person.clone(), theirs.clone());
        }
    }

    /// Folds an event of individual assessment or of the use of results.
    pub(super) fn apply_people(&mut self, recorded: &Recorded) {
        let cite = || recorded.event_ref();
        let people = &mut self.people;
        match &recorded.event {
            Event::PersonalIndicatorDefined(event) => {
                let plan = people.plans.entry(event.unit.clone()).or_default().entry(event.year).or_default();
                let indicator =
                    PersonalIndicatorFacts { defined: event.clone(), event: cite(), assessments: Vec::new() };
                plan.indicators.insert(event.indicator.clone(), indicator);
                let key = (event.unit.clone(), event.year, event.indicator.clone());
                people.carried.entry(event.person.clone()).or_default().personal.insert(key);
            }
            Event::PersonalIndicatorAssessed(event) => {
                self.fact_ids.insert(event.assessment_id.0);
                let plan = people.plans.entry(event.unit.clone()).or_default().entry(event.year).or_default();
                let Some(indicator) = plan.indicators.get_mut(&event.indicator) else { return };
                if let PersonalOutcome::Withdrawal { assessment_id } = event.outcome {
                    let withdrawn =
                        indicator.assessments.iter_mut().find(|a| a.assessed.assessment_id == assessment_id);
                    if let Some(withdrawn) = withdrawn {
                        withdrawn.withdrawn_by = Some(cite());
                    }
                }
                let assessment = PersonalAssessmentFacts { assessed: event.clone(), event: cite(), withdrawn_by: None };
                indicator.assessments.push(assessment);
            }
            Event::PersonalRulesSet(event) => {
                let plan = people.plans.entry(event.unit.clone()).or_default().entry(event.year).or_default();
                plan.rules = Some(PersonalRules {
                    weights: event.weights,
                    tier_shares_percent: event.tier_shares_percent.clone(),
                    excellent_quota_percent: event.excellent_quota_percent,
                    missing_week_deduction: event.missing_week_deduction,
                });
            }
            Event::WeeklyRecordFiled(event) => {
                let record = WeeklyRecordFacts { filed: event.clone(), event: cite(), comments: Vec::new() };
                people.weekly_records.entry(event.person.clone()).or_default().insert(event.week, record);
            }
            Event::WeeklyRecordCommented(event) => {
                let record = people.weekly_records.get_mut(&event.person).and_then(|weeks| weeks.get_mut(&event.week));
                if let Some(record) = record {
                    record.comments.push(CommentFacts { comment: event.comment.clone(), event: cite() });
                }
            }
            Event::PersonReviewed(event) => {
                let review = ReviewFacts { score: event.score, comment: event.comment.clone(), event: cite() };
                let quarters = people.reviews.entry(event.person.clone()).or_default();
                quarters.entry(event.quarter).or_default().push(review);
            }
            Event::GradeRecorded(event) => {
                let plan = people.plans.entry(event.unit.clone()).or_default().entry(event.year).or_default();
                let grade = GradeFacts { recorded: event.clone(), event: cite() };
                plan.grades.entry(event.person.clone()).or_default().push(grade);
            }
            Event::ResultUseRecorded(event) => {
                self.fact_ids.insert(event.result_use_id.0);
                people.result_uses.push(ResultUseFacts { recorded: event.clone(), event: cite() });
            }
            _ => {}
        }
    }
}
