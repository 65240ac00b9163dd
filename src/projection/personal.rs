//! Individuals (个人绩效): a person's quarterly and annual scores, the indicators they carry, their
//! weekly records and reviews, a county's individual ranking and tiers, its annual grades, and whether
//! the basis of a grade or of a use of results (结果运用) still holds — computed from the facts.
//!
//! A quarterly personal score is the weighted mean of three parts [40/30/30]: the quarterly final of
//! the section the person counts in (`section_quarterly_final`: the county's own scheme when it has
//! one, else the city's), the leaders' review score (the half-up mean of each leader's latest review)
//! and the personal-indicator score (per base period normalised to 100.00, then the half-up mean). A
//! missing part drops out and the others keep their weights; a quarter with no counted base period of
//! the scheme has no score at all. Each week without a weekly record takes the county's
//! `missing_week_deduction` [0] off (not below 0). The annual score is the half-up mean of the
//! quarterly scores; participants are ranked on it (competition rank) and put in tiers by shares.
//!
//! Invariant: integers only, rounded half-up through `domain::points`; every answer is a function of
//! the facts and of the day it is asked for (`today`: which weeks are over), never of a clock. Personal
//! texts leave here as stored — sealed ones sealed — each answer saying whether its person was erased;
//! the service's views open them (`service::person_keys`), nothing here ever holds a key.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::domain::date::{Date, IsoWeek};
use crate::domain::facts::SchemeFacts;
use crate::domain::person::{
    excellent_quota, latest_reviews, AnnualGrade, IndicatorRef, PersonalRules, ResultSubject, ResultView,
};
use crate::domain::PersonalText;
use crate::domain::{
    divide_round_half_up, Event, EventRef, FunctionCode, IndicatorCode, PeriodId, PeriodKind, PersonId, Points,
    Recorded, SchemeId, TierRule, Timestamp, UnitCode,
};

use super::tiers::rank_and_tier;
use super::{ApplyError, Counting, PeerGroup, Projection};

// ---- Answers ---------------------------------------------------------------------------------

/// A section's quarterly final as a person's score reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionFinal {
    pub section: UnitCode,
    /// The scheme it comes from: the county's own when the county has one, else the city's.
    pub scheme: SchemeId,
    pub final_score: Points,
}

/// One indicator a person carries, scored in one base period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalIndicatorLine {
    pub period: PeriodId,
    /// `None` for a personal indicator (the county's own for the person).
    pub scheme: Option<SchemeId>,
    pub indicator: IndicatorCode,
    pub name: String,
    pub points_max: Points,
    pub score: Points,
    /// A tiered indicator with nothing recorded yet: counted at full points.
    pub unassessed: bool,
}

/// How a quarterly score's parts were weighted: the weight each present part kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsUsed {
    pub section: Option<u32>,
    pub review: Option<u32>,
    pub indicators: Option<u32>,
}

/// One review as a scorecard lists it: the leader (its actor id), the score, whether it is the
/// leader's latest (the one that counts), and the comment (personal information).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewLine {
    pub leader: String,
    pub score: Points,
    pub counts: bool,
    pub comment: PersonalText,
    pub event: EventRef,
}

/// A person's score for one quarter, with every part it is made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarterScore {
    pub quarter: PeriodId,
    /// The section the person counts in for the quarter (on its last day, or the last one they left).
    pub section: Option<UnitCode>,
    /// The county whose scheme's months the quarter counts.
    pub county: Option<UnitCode>,
    /// The base periods counted (published, or open with results when provisional figures are asked).
    pub base_periods: Vec<PeriodId>,
    pub provisional_periods: Vec<PeriodId>,
    pub section_final: Option<SectionFinal>,
    pub review_score: Option<Points>,
    pub reviews: Vec<ReviewLine>,
    pub indicator_score: Option<Points>,
    pub indicators: Vec<PersonalIndicatorLine>,
    pub weights_used: WeightsUsed,
    /// The weighted mean of the present parts, half-up.
    pub weighted: Option<Points>,
    pub missing_weeks: Vec<IsoWeek>,
    /// What the missing weeks took off: their number × the county's deduction per week.
    pub missing_week_deduction: Points,
    /// `max(0, weighted − missing_week_deduction)`; `None` when the quarter has no score.
    pub score: Option<Points>,
}

/// A person's place in their county's individual ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndividualPlace {
    pub county: UnitCode,
    pub year: i32,
    pub participants: u32,
    pub rank: Option<u32>,
    pub tier: Option<u32>,
}

/// A person's scorecard for a quarter, a half-year or a year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalScorecard {
    pub person: PersonId,
    /// Personal information.
    pub name: PersonalText,
    /// The person's personal information was erased: the name and every comment read as erased.
    #[serde(default)]
    pub erased: bool,
    pub period: PeriodId,
    pub quarters: Vec<QuarterScore>,
    /// The half-up mean of the quarterly scores (for a year: the annual personal score).
    pub score: Option<Points>,
    pub rules: PersonalRules,
    pub provisional_periods: Vec<PeriodId>,
    /// For a year: the person's place in the individual ranking of their Q4 county, and their grade.
    pub place: Option<IndividualPlace>,
    pub grade: Option<AnnualGrade>,
}

/// One participant of an individual ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndividualStandingLine {
    pub person: PersonId,
    /// Personal information.
    pub name: PersonalText,
    /// The person's personal information was erased: the name reads as erased.
    #[serde(default)]
    pub erased: bool,
    /// The section they counted in for the last Q4 month they counted in one.
    pub section: Option<UnitCode>,
    pub annual_score: Points,
    pub rank: u32,
    pub tier: u32,
    pub grade: Option<AnnualGrade>,
}

/// A county's individual ranking of a year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndividualRanking {
    pub county: UnitCode,
    pub year: i32,
    pub rules: PersonalRules,
    /// Every participant, ranked or not: the base of the 优秀 quota.
    pub participants: u32,
    pub excellent_quota: u32,
    pub excellent_graded: u32,
    /// By rank, then person.
    pub standings: Vec<IndividualStandingLine>,
    /// Participants without an annual score.
    pub unranked: Vec<PersonId>,
    pub provisional_periods: Vec<PeriodId>,
}

impl IndividualRanking {
    pub fn standing(&self, person: &PersonId) -> Option<&IndividualStandingLine> {
        self.standings.iter().find(|line| &line.person == person)
    }
}

/// An indicator a person carries, over the base periods of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedLine {
    /// `None` for a personal indicator.
    pub scheme: Option<SchemeId>,
    /// The unit whose plan assigned it (the county), or the county that defined a personal one.
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub name: String,
    pub points_max: Points,
    pub tiered: bool,
    /// For a scheme indicator: its lead section.
    pub lead_section: Option<UnitCode>,
    /// The first and last base period of the period asked in which the person carries it.
    pub from: PeriodId,
    pub to: PeriodId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonIndicators {
    pub person: PersonId,
    pub period: PeriodId,
    pub indicators: Vec<CarriedLine>,
}

/// A week as the weekly-record view lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekStatus {
    Filed,
    /// Over, the person was in a unit, and nothing was filed.
    Missing,
    /// Not over yet (nothing is missing yet).
    Open,
    /// The person was in no unit that week (before registration, after retirement).
    NotInService,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentLine {
    pub leader: String,
    /// Personal information.
    pub comment: PersonalText,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekLine {
    pub week: IsoWeek,
    pub monday: Date,
    pub sunday: Date,
    pub status: WeekStatus,
    pub unit: Option<UnitCode>,
    /// Personal information.
    pub text: Option<PersonalText>,
    pub indicators: Vec<IndicatorRef>,
    pub comments: Vec<CommentLine>,
    pub event: Option<EventRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRecords {
    pub person: PersonId,
    /// The person's personal information was erased: every text and comment reads as erased.
    #[serde(default)]
    pub erased: bool,
    pub period: PeriodId,
    /// The day the weeks are judged on: a week is missing once it is over by then.
    pub today: Date,
    pub weeks: Vec<WeekLine>,
    pub filed: u32,
    pub missing: Vec<IsoWeek>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarterReviews {
    pub quarter: PeriodId,
    pub review_score: Option<Points>,
    pub reviews: Vec<ReviewLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonReviews {
    pub person: PersonId,
    /// The person's personal information was erased: every comment reads as erased.
    #[serde(default)]
    pub erased: bool,
    pub period: PeriodId,
    pub quarters: Vec<QuarterReviews>,
}

/// A person as the persons list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonListing {
    pub person: PersonId,
    /// Personal information.
    pub name: PersonalText,
    /// The person's personal information was erased: the name reads as erased.
    #[serde(default)]
    pub erased: bool,
    /// The unit they belong to on the day asked about (none when not in service that day).
    pub unit: Option<UnitCode>,
    pub retired: bool,
    pub memberships: Vec<crate::domain::person::Membership>,
}

// ---- The hook to the county's own scheme -------------------------------------------------------

/// The quarterly final of a section: its county's own scheme's when the county issued one for the
/// year (and the section is ranked in it), else the city scheme's. The one place a person's score
/// reads a section's final.
pub fn section_quarterly_final(
    projection: &Projection,
    section: &UnitCode,
    quarter: PeriodId,
    counting: Counting,
) -> Option<SectionFinal> {
    if let Some(own) = county_scheme_quarterly_final(projection, section, quarter, counting) {
        return Some(own);
    }
    let placement = projection.placement(section, quarter.year())?;
    let standing = projection.standing_score(section, quarter, counting, None)?;
    Some(SectionFinal {
        section: section.clone(),
        scheme: placement.scheme.settings.scheme.clone(),
        final_score: standing.final_score,
    })
}

/// The section's quarterly final in its county's own scheme of the year (`own_scheme`: a county's
/// scheme assesses its sections), if the county issued one and ranks the section in it. The county
/// scheme's scoring lives in `score.rs` (`standing_score` in a named scheme); this is where a
/// person's score asks it.
fn county_scheme_quarterly_final(
    projection: &Projection,
    section: &UnitCode,
    quarter: PeriodId,
    counting: Counting,
) -> Option<SectionFinal> {
    let facts = projection.facts();
    let county = facts.parent_of(section)?;
    let id = SchemeId::for_issuer_year(county, quarter.year());
    let own = facts.schemes.get(&id).filter(|scheme| facts.is_own_scheme(scheme))?;
    let standing = projection.standing_score(section, quarter, counting, Some(&own.settings.scheme))?;
    Some(SectionFinal { section: section.clone(), scheme: id, final_score: standing.final_score })
}

/// The scheme whose base periods a county's personal scores count (`Facts::personal_scheme`: the
/// county's own when it issued one for the year, else the city's; both use the city's base periods).
fn counting_scheme<'a>(projection: &'a Projection, county: &UnitCode, year: i32) -> Option<&'a SchemeFacts> {
    projection.facts().personal_scheme(county, year)
}

// ---- Scoring -----------------------------------------------------------------------------------

/// Quarterly section finals already computed while answering one question (a ranking scores many
/// persons of the same sections).
type FinalsCache = HashMap<(UnitCode, PeriodId), Option<SectionFinal>>;

impl Projection {
    /// A projection of `facts` as they stand after event `seq` (hash `hash`, recorded at
    /// `recorded_at`): for asking the projections' questions of the decider's facts.
    pub fn with_facts(
        facts: crate::domain::Facts,
        seq: u64,
        hash: crate::chain::Hash,
        recorded_at: Timestamp,
    ) -> Projection {
        Projection { seq, hash, recorded_at, facts }
    }

    /// The persons registered in `unit` or under it by the as-of point, as they stand on `today`.
    pub fn persons_of(&self, unit: &UnitCode, today: Date) -> Vec<PersonListing> {
        self.facts
            .persons
            .iter()
            .filter(|(_, person)| {
                person.memberships.iter().any(|membership| self.facts.in_scope(unit, &membership.unit))
            })
            .map(|(code, person)| PersonListing {
                person: code.clone(),
                name: person.name.clone(),
                erased: person.erased,
                unit: person.unit_on(today).cloned(),
                retired: person.is_retired(),
                memberships: person.memberships.as_slice().to_vec(),
            })
            .collect()
    }

    /// A person's quarterly score, with its parts.
    pub fn quarter_score(&self, person: &PersonId, quarter: PeriodId, counting: Counting, today: Date) -> QuarterScore {
        self.quarter_score_cached(person, quarter, counting, today, &mut FinalsCache::new())
    }

    fn quarter_score_cached(
        &self,
        person: &PersonId,
        quarter: PeriodId,
        counting: Counting,
        today: Date,
        cache: &mut FinalsCache,
    ) -> QuarterScore {
        let facts = &self.facts;
        let section = facts.section_for(person, quarter).cloned();
        let county = match &section {
            Some(section) => facts.parent_of(section).cloned(),
            None => facts.counts_in(person, quarter).and_then(|unit| facts.county_of_unit(unit)).cloned(),
        };
        let scheme = county.as_ref().and_then(|county| counting_scheme(self, county, quarter.year()));
        let base_periods =
            scheme.map(|scheme| scheme.counted_base_periods_in(quarter, counting.includes_open())).unwrap_or_default();
        let provisional_periods = scheme.map(|scheme| scheme.open_among(&base_periods)).unwrap_or_default();
        let rules = county.as_ref().map(|county| facts.personal_rules(county, quarter.year())).unwrap_or_default();
        let (reviews, review_score) = self.reviews_of(person, quarter);
        let mut card = QuarterScore {
            quarter,
            section: section.clone(),
            county,
            base_periods: base_periods.clone(),
            provisional_periods,
            section_final: None,
            review_score,
            reviews,
            indicator_score: None,
            indicators: Vec::new(),
            weights_used: WeightsUsed::default(),
            weighted: None,
            missing_weeks: Vec::new(),
            missing_week_deduction: Points::ZERO,
            score: None,
        };
        if base_periods.is_empty() {
            // No month of the scheme counts yet: no personal score, whatever reviews exist.
            return card;
        }
        card.section_final = section.as_ref().and_then(|section| {
            cache
                .entry((section.clone(), quarter))
                .or_insert_with(|| section_quarterly_final(self, section, quarter, counting))
                .clone()
        });
        let mut normalized = Vec::new();
        for base in &base_periods {
            let lines = self.indicator_lines(person, *base);
            let max: Points = lines.iter().map(|line| line.points_max).sum();
            let score: Points = lines.iter().map(|line| line.score).sum();
            if let Some(value) = Points::normalized(score, max) {
                normalized.push(value);
            }
            card.indicators.extend(lines);
        }
        card.indicator_score = Points::mean(&normalized);
        let weights = rules.weights;
        let parts = [
            (card.section_final.as_ref().map(|f| f.final_score), weights.section),
            (card.review_score, weights.review),
            (card.indicator_score, weights.indicators),
        ];
        card.weights_used = WeightsUsed {
            section: parts[0].0.map(|_| weights.section),
            review: parts[1].0.map(|_| weights.review),
            indicators: parts[2].0.map(|_| weights.indicators),
        };
        card.weighted = weighted_mean(&parts);
        card.missing_weeks = self.missing_weeks(person, quarter, today);
        let missing = i64::try_from(card.missing_weeks.len()).unwrap_or(i64::MAX);
        card.missing_week_deduction = Points(rules.missing_week_deduction.hundredths().saturating_mul(missing));
        card.score = card.weighted.map(|weighted| (weighted - card.missing_week_deduction).max(Points::ZERO));
        card
    }

    /// Each review of the quarter (the latest of each leader counts) and the review score: the half-up
    /// mean of the leaders' latest reviews.
    fn reviews_of(&self, person: &PersonId, quarter: PeriodId) -> (Vec<ReviewLine>, Option<Points>) {
        let all = self.facts.people.reviews.get(person).and_then(|quarters| quarters.get(&quarter));
        let all = all.map(Vec::as_slice).unwrap_or_default();
        let latest = latest_reviews(all);
        let lines = all
            .iter()
            .map(|review| ReviewLine {
                leader: review.event.actor_id.clone(),
                score: review.score,
                counts: latest.iter().any(|kept| std::ptr::eq(*kept, review)),
                comment: review.comment.clone(),
                event: review.event.clone(),
            })
            .collect();
        let scores: Vec<Points> = latest.iter().map(|review| review.score).collect();
        (lines, Points::mean(&scores))
    }

    /// The indicators a person carries in a base period, each scored: scheme indicators score what
    /// their lead section scores on them; personal ones what the office recorded.
    pub fn indicator_lines(&self, person: &PersonId, base: PeriodId) -> Vec<PersonalIndicatorLine> {
        let facts = &self.facts;
        let mut lines = Vec::new();
        for carried in facts.carried_scheme_indicators(person, base) {
            let Some(indicator) = carried.scheme.indicators.get(carried.code) else { continue };
            let version = indicator.version_at(base);
            let Some(score) = self.scheme_indicator_score(&carried, base, &version) else { continue };
            lines.push(PersonalIndicatorLine {
                period: base,
                scheme: Some(carried.scheme.settings.scheme.clone()),
                indicator: carried.code.clone(),
                name: version.name.to_owned(),
                points_max: version.points_max,
                score: score.0,
                unassessed: score.1,
            });
        }
        for (_, indicator) in facts.carried_personal_indicators(person, base) {
            let (score, unassessed) = indicator.score(base);
            lines.push(PersonalIndicatorLine {
                period: base,
                scheme: None,
                indicator: indicator.defined.indicator.clone(),
                name: indicator.defined.name.clone(),
                points_max: indicator.defined.points_max,
                score,
                unassessed,
            });
        }
        lines
    }

    /// A scheme indicator's score for the person who carries it: what its lead section scores on it in
    /// that scheme (the city's, or a county's own for its local indicators); `None` when the scheme
    /// does not place the lead section.
    fn scheme_indicator_score(
        &self,
        carried: &crate::domain::person::CarriedIndicator<'_>,
        base: PeriodId,
        version: &crate::domain::facts::IndicatorVersion<'_>,
    ) -> Option<(Points, bool)> {
        let scheme = &carried.scheme.settings.scheme;
        let placement = self.placement_in(carried.lead_section, base.year(), Some(scheme))?;
        Some(self.indicator_score(&placement, base, carried.code, version))
    }

    /// The weeks of `period` that are over by `today`, in which the person was in a unit (on the
    /// week's Thursday) and filed no record.
    fn missing_weeks(&self, person: &PersonId, period: PeriodId, today: Date) -> Vec<IsoWeek> {
        let Some(record) = self.facts.persons.get(person) else { return Vec::new() };
        let filed = self.facts.people.weekly_records.get(person);
        IsoWeek::in_period(period)
            .into_iter()
            .filter(|week| week.sunday() < today)
            .filter(|week| record.unit_on(week.thursday()).is_some())
            .filter(|week| filed.is_none_or(|weeks| !weeks.contains_key(week)))
            .collect()
    }

    /// A person's scorecard for a quarter, a half-year or a year: `None` for a base month, a person not
    /// registered, or a period that is not a quarter or longer.
    pub fn personal_scorecard(
        &self,
        person: &PersonId,
        period: PeriodId,
        counting: Counting,
        today: Date,
    ) -> Option<PersonalScorecard> {
        let record = self.facts.persons.get(person)?;
        if period.kind().months() < PeriodKind::Quarter.months() {
            return None;
        }
        let mut cache = FinalsCache::new();
        let quarters: Vec<QuarterScore> = PeriodId::all_in_year(period.year(), PeriodKind::Quarter)
            .into_iter()
            .filter(|quarter| period.contains(*quarter))
            .map(|quarter| self.quarter_score_cached(person, quarter, counting, today, &mut cache))
            .collect();
        let scores: Vec<Points> = quarters.iter().filter_map(|quarter| quarter.score).collect();
        let mut provisional_periods: Vec<PeriodId> =
            quarters.iter().filter(|q| q.score.is_some()).flat_map(|q| q.provisional_periods.clone()).collect();
        provisional_periods.sort();
        provisional_periods.dedup();
        let county = self.facts.participant_county(person, period.year()).cloned();
        let rules = county
            .as_ref()
            .or_else(|| quarters.iter().rev().find_map(|quarter| quarter.county.as_ref()))
            .map(|county| self.facts.personal_rules(county, period.year()))
            .unwrap_or_default();
        let (place, grade) = match (period.kind(), &county) {
            (PeriodKind::Year, Some(county)) => {
                let ranking = self.individual_ranking(county, period.year(), counting, today);
                let line = ranking.standing(person);
                let place = IndividualPlace {
                    county: county.clone(),
                    year: period.year(),
                    participants: ranking.participants,
                    rank: line.map(|line| line.rank),
                    tier: line.map(|line| line.tier),
                };
                let plan = self.facts.personal_plan(county, period.year());
                (Some(place), plan.and_then(|plan| plan.grade_of(person)).map(|grade| grade.recorded.grade))
            }
            _ => (None, None),
        };
        Some(PersonalScorecard {
            person: person.clone(),
            name: record.name.clone(),
            erased: record.erased,
            period,
            quarters,
            score: Points::mean(&scores),
            rules,
            provisional_periods,
            place,
            grade,
        })
    }

    /// A person's annual score: the half-up mean of their quarterly scores of `year`.
    fn annual_score(
        &self,
        person: &PersonId,
        year: i32,
        counting: Counting,
        today: Date,
        cache: &mut FinalsCache,
    ) -> (Option<Points>, Vec<PeriodId>) {
        let mut scores = Vec::new();
        let mut provisional = Vec::new();
        for quarter in PeriodId::all_in_year(year, PeriodKind::Quarter) {
            let card = self.quarter_score_cached(person, quarter, counting, today, cache);
            if let Some(score) = card.score {
                scores.push(score);
                provisional.extend(card.provisional_periods);
            }
        }
        (Points::mean(&scores), provisional)
    }

    /// A county's individual ranking of `year`: its participants (the persons counted in a section of
    /// the county for at least one month of Q4) ranked by annual score, competition rank, with tiers by
    /// the county's shares; participants without an annual score are unranked.
    pub fn individual_ranking(
        &self,
        county: &UnitCode,
        year: i32,
        counting: Counting,
        today: Date,
    ) -> IndividualRanking {
        let facts = &self.facts;
        let rules = facts.personal_rules(county, year);
        let participants = facts.participants(county, year);
        let mut cache = FinalsCache::new();
        let mut scored = Vec::new();
        let mut unranked = Vec::new();
        let mut provisional_periods = Vec::new();
        for person in &participants {
            let (score, provisional) = self.annual_score(person, year, counting, today, &mut cache);
            match score {
                Some(score) => {
                    provisional_periods.extend(provisional);
                    // Persons are ranked by the units' rule (codes of one shape): `as_unit` is only the key.
                    scored.push((as_unit(person), score, false));
                }
                None => unranked.push((*person).clone()),
            }
        }
        provisional_periods.sort();
        provisional_periods.dedup();
        let rule = TierRule::SharesPercent { shares_percent: rules.tier_shares_percent.clone() };
        let plan = facts.personal_plan(county, year);
        let standings = rank_and_tier(&rule, scored)
            .into_iter()
            .filter_map(|standing| {
                let person = PersonId::new(standing.unit.as_str()).ok()?;
                let record = facts.persons.get(&person)?;
                let section = (10..=12u8).rev().find_map(|month| {
                    let month = PeriodId::new(year, PeriodKind::Month, month)?;
                    facts.counts_in(&person, month).filter(|unit| facts.is_section(unit)).cloned()
                });
                let grade = plan.and_then(|plan| plan.grade_of(&person)).map(|grade| grade.recorded.grade);
                Some(IndividualStandingLine {
                    name: record.name.clone(),
                    erased: record.erased,
                    section,
                    annual_score: standing.final_score,
                    rank: standing.rank,
                    tier: standing.tier,
                    grade,
                    person,
                })
            })
            .collect();
        let participants = u32::try_from(participants.len()).unwrap_or(u32::MAX);
        IndividualRanking {
            county: county.clone(),
            year,
            excellent_quota: excellent_quota(participants, rules.excellent_quota_percent),
            excellent_graded: plan.map_or(0, |plan| plan.count_graded(AnnualGrade::Excellent)),
            rules,
            participants,
            standings,
            unranked,
            provisional_periods,
        }
    }

    /// Where a person stands in their county's individual ranking (for deciding an annual grade).
    pub fn individual_standing(
        &self,
        county: &UnitCode,
        year: i32,
        person: &PersonId,
        today: Date,
    ) -> crate::domain::person::IndividualStanding {
        let ranking = self.individual_ranking(county, year, Counting::Published, today);
        let line = ranking.standing(person);
        crate::domain::person::IndividualStanding {
            annual_score: line.map(|line| line.annual_score),
            rank: line.map(|line| line.rank),
            tier: line.map(|line| line.tier),
            ranked: u32::try_from(ranking.standings.len()).unwrap_or(u32::MAX),
        }
    }

    /// The indicators a person carries in the base periods of `period`, each with the first and last of
    /// them.
    pub fn person_indicators(&self, person: &PersonId, period: PeriodId) -> PersonIndicators {
        let facts = &self.facts;
        let mut lines: BTreeMap<(Option<SchemeId>, UnitCode, IndicatorCode), CarriedLine> = BTreeMap::new();
        let mut note = |key: (Option<SchemeId>, UnitCode, IndicatorCode), base: PeriodId, line: CarriedLine| {
            lines.entry(key).and_modify(|kept| kept.to = kept.to.max(base)).or_insert(line);
        };
        for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::HalfYear, PeriodKind::Year] {
            for base in PeriodId::all_in_year(period.year(), kind).into_iter().filter(|base| period.contains(*base)) {
                for carried in facts.carried_scheme_indicators(person, base) {
                    let Some(indicator) = carried.scheme.indicators.get(carried.code) else { continue };
                    let version = indicator.version_at(base);
                    let scheme = carried.scheme.settings.scheme.clone();
                    let key = (Some(scheme.clone()), carried.unit.clone(), carried.code.clone());
                    let line = CarriedLine {
                        scheme: Some(scheme),
                        unit: carried.unit.clone(),
                        indicator: carried.code.clone(),
                        name: version.name.to_owned(),
                        points_max: version.points_max,
                        tiered: version.is_tiered(),
                        lead_section: Some(carried.lead_section.clone()),
                        from: base,
                        to: base,
                    };
                    note(key, base, line);
                }
                for (county, indicator) in facts.carried_personal_indicators(person, base) {
                    let defined = &indicator.defined;
                    let key = (None, county.clone(), defined.indicator.clone());
                    let line = CarriedLine {
                        scheme: None,
                        unit: county.clone(),
                        indicator: defined.indicator.clone(),
                        name: defined.name.clone(),
                        points_max: defined.points_max,
                        tiered: defined.method.is_tiered(),
                        lead_section: None,
                        from: base,
                        to: base,
                    };
                    note(key, base, line);
                }
            }
        }
        PersonIndicators { person: person.clone(), period, indicators: lines.into_values().collect() }
    }

    /// A person's weeks in `period`: filed, missing (over by `today`, in service, nothing filed), open or
    /// out of service, with each record's text, indicators and comments.
    pub fn weekly_records(&self, person: &PersonId, period: PeriodId, today: Date) -> Option<WeeklyRecords> {
        let record = self.facts.persons.get(person)?;
        let filed = self.facts.people.weekly_records.get(person);
        let mut weeks = Vec::new();
        for week in IsoWeek::in_period(period) {
            let found = filed.and_then(|weeks| weeks.get(&week));
            let unit = record.unit_on(week.thursday()).cloned();
            let status = match (found, &unit) {
                (Some(_), _) => WeekStatus::Filed,
                (None, _) if week.sunday() >= today => WeekStatus::Open,
                (None, None) => WeekStatus::NotInService,
                (None, Some(_)) => WeekStatus::Missing,
            };
            weeks.push(WeekLine {
                week,
                monday: week.monday(),
                sunday: week.sunday(),
                status,
                unit: found.map(|found| found.filed.unit.clone()).or(unit),
                text: found.map(|found| found.filed.text.clone()),
                indicators: found.map(|found| found.filed.indicators.clone()).unwrap_or_default(),
                comments: found
                    .map(|found| {
                        found
                            .comments
                            .iter()
                            .map(|comment| CommentLine {
                                leader: comment.event.actor_id.clone(),
                                comment: comment.comment.clone(),
                                event: comment.event.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                event: found.map(|found| found.event.clone()),
            });
        }
        let count = |status: WeekStatus| weeks.iter().filter(|week| week.status == status).count();
        let filed_count = u32::try_from(count(WeekStatus::Filed)).unwrap_or(u32::MAX);
        let missing = weeks.iter().filter(|week| week.status == WeekStatus::Missing).map(|week| week.week).collect();
        let erased = record.erased;
        Some(WeeklyRecords { person: person.clone(), erased, period, today, weeks, filed: filed_count, missing })
    }

    /// A person's reviews in the quarters of `period`, each quarter with its review score.
    pub fn person_reviews(&self, person: &PersonId, period: PeriodId) -> Option<PersonReviews> {
        let erased = self.facts.persons.get(person)?.erased;
        let quarters = PeriodId::all_in_year(period.year(), PeriodKind::Quarter)
            .into_iter()
            .filter(|quarter| period.contains(*quarter) || quarter.contains(period))
            .map(|quarter| {
                let (reviews, review_score) = self.reviews_of(person, quarter);
                QuarterReviews { quarter, review_score, reviews }
            })
            .collect();
        Some(PersonReviews { person: person.clone(), erased, period, quarters })
    }
}

/// The weighted mean of the present parts, half-up; `None` when no present part has any weight.
fn weighted_mean(parts: &[(Option<Points>, u32)]) -> Option<Points> {
    let present = parts.iter().filter_map(|(value, weight)| value.map(|value| (value, i64::from(*weight))));
    let (sum, weights) = present
        .fold((0i64, 0i64), |(sum, weights), (value, weight)| (sum + value.hundredths() * weight, weights + weight));
    (weights > 0).then(|| Points(divide_round_half_up(sum, weights)))
}

/// A person's code as the tier rule's key (person and unit codes have one shape).
fn as_unit(person: &PersonId) -> UnitCode {
    UnitCode::new(person.as_str()).expect("person and unit codes share one shape")
}

// ---- Whether a basis still holds -------------------------------------------------------------

/// Where a subject stands in a view: its rank, tier and score (final or annual).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewStanding {
    pub rank: u32,
    pub tier: u32,
    pub score: Points,
}

/// Whether two standings place the subject alike: the same rank and tier (or both unranked).
fn same_place(a: Option<ViewStanding>, b: Option<ViewStanding>) -> bool {
    a.map(|s| (s.rank, s.tier)) == b.map(|s| (s.rank, s.tier))
}

/// An event after which a subject's rank or tier in a view was no longer what it was before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisChange {
    pub event: EventRef,
    pub before: Option<ViewStanding>,
    pub after: Option<ViewStanding>,
}

/// A decision resting on a view, to be checked: the subject, the view and the sequence number it was
/// read at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Basis {
    pub subject: ResultSubject,
    pub view: ResultView,
    pub read_seq: u64,
}

/// What became of a basis: the subject's standing when it was read and now, and every later event
/// that changed its rank or tier. Once one did, the basis has changed for good, even if another event
/// put it back (`holds_now` then says so).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasisCheck {
    pub at_read: Option<ViewStanding>,
    pub now: Option<ViewStanding>,
    pub basis_changed: bool,
    pub holds_now: bool,
    pub changes: Vec<BasisChange>,
}

/// Where `subject` stands in `view` on `projection` (on the day of its last event, for weeks).
pub fn view_standing(projection: &Projection, view: &ResultView, subject: &ResultSubject) -> Option<ViewStanding> {
    view_standings(projection, view).get(subject).copied()
}

/// Every subject's standing in a view.
fn view_standings(projection: &Projection, view: &ResultView) -> HashMap<ResultSubject, ViewStanding> {
    match view {
        ResultView::Ranking { scheme, period, function_code } => {
            let group = PeerGroup { scheme: scheme.clone(), function_code: function_code.clone() };
            let ranking = projection.ranking_with(&group, *period, Counting::Published);
            ranking
                .into_iter()
                .flat_map(|ranking| ranking.standings)
                .map(|standing| {
                    let place = ViewStanding { rank: standing.rank, tier: standing.tier, score: standing.final_score };
                    (ResultSubject::Unit { unit: standing.unit }, place)
                })
                .collect()
        }
        ResultView::IndividualRanking { unit, year } => {
            let today = Date::of_instant(projection.recorded_at(), projection.facts().time_zone());
            let ranking = projection.individual_ranking(unit, *year, Counting::Published, today);
            ranking
                .standings
                .into_iter()
                .map(|line| {
                    let place = ViewStanding { rank: line.rank, tier: line.tier, score: line.annual_score };
                    (ResultSubject::Person { person: line.person }, place)
                })
                .collect()
        }
    }
}

/// The scheme id and, for a period or assessment stream, the base period an event's stream names.
fn stream_scheme(stream: &str) -> Option<(SchemeId, Option<PeriodId>)> {
    let (kind, rest) = stream.split_once('-')?;
    let parts: Vec<&str> = rest.split('.').collect();
    let scheme = SchemeId::new(*parts.first()?).ok()?;
    match kind {
        "scheme" | "plan" => Some((scheme, None)),
        "period" | "assessment" => Some((scheme, parts.get(1).and_then(|text| PeriodId::parse(text).ok()))),
        _ => None,
    }
}

/// Whether an event may move anyone in a view: a cheap test, so that the view is recomputed only
/// after such events. An event of a type it does not know may move anyone.
pub fn may_move(event: &Event, view: &ResultView) -> bool {
    let never = matches!(
        event,
        Event::AccessGranted(_)
            | Event::AccessRevoked(_)
            | Event::SigningKeyRotated(_)
            | Event::GradeRecorded(_)
            | Event::ResultUseRecorded(_)
            | Event::WeeklyRecordCommented(_)
            | Event::PersonErased(_)
    );
    if never {
        return false;
    }
    let personal = matches!(
        event,
        Event::PersonRegistered(_)
            | Event::PersonMoved(_)
            | Event::PersonRetired(_)
            | Event::PersonalIndicatorDefined(_)
            | Event::PersonalIndicatorAssessed(_)
            | Event::PersonalRulesSet(_)
            | Event::WeeklyRecordFiled(_)
            | Event::PersonReviewed(_)
    );
    let year = match view {
        ResultView::Ranking { period, .. } => period.year(),
        ResultView::IndividualRanking { year, .. } => *year,
    };
    match (view, stream_scheme(&event.stream_id())) {
        (ResultView::Ranking { .. }, _) if personal => false,
        (_, Some((scheme, _))) if scheme_year(&scheme) != Some(year) => false,
        (ResultView::Ranking { period, .. }, Some((_, Some(base)))) => period.contains(base),
        _ => true,
    }
}

fn scheme_year(scheme: &SchemeId) -> Option<i32> {
    scheme.as_str().rsplit_once('-').and_then(|(_, year)| year.parse().ok())
}

/// Whether a view's standings, read on `read_on`, may have moved by `event`: it may move the view, or
/// it is the first event of a later day and the view is an individual ranking — whose scores move with
/// time alone, as a week ends without its record (§15.4) — so such a move is listed under the first
/// event recorded on the day it shows. Once every week of the ranking's year was over on `read_on`,
/// time moves it no more (`weeks_over_after`).
fn moved_by(event: &Recorded, day: Date, read_on: Date, view: &ResultView) -> bool {
    may_move(&event.event, view)
        || (read_on < day
            && matches!(view, ResultView::IndividualRanking { year, .. } if read_on <= weeks_over_after(*year)))
}

/// The Sunday that ends the last week of `year` (the week of its last Thursday): from the day after,
/// no week of the year is open, so no later day adds a missing week to it.
fn weeks_over_after(year: i32) -> Date {
    let whole_year = PeriodId::new(year, PeriodKind::Year, 1).expect("a year within the supported years");
    IsoWeek::in_period(whole_year).last().expect("a year has weeks").sunday()
}

/// Checks each basis (read at or after `start`, which is the projection as of the earliest of them)
/// against the events after it, in order: the subject's standing in the view when it was read, after
/// every later event that may move the view (`moved_by`), and now. Events must continue `start`'s
/// chain.
pub fn check_bases(start: &Projection, events: &[Recorded], bases: &[Basis]) -> Result<Vec<BasisCheck>, ApplyError> {
    let mut working = start.clone();
    let mut checks: Vec<Option<BasisCheck>> = vec![None; bases.len()];
    let mut views: Vec<&ResultView> = bases.iter().map(|basis| &basis.view).collect();
    views.sort();
    views.dedup();
    // The standings of each view as they stand now, computed when first needed after each event, and
    // the day of the event after which each view's were last compared.
    let mut standings: HashMap<&ResultView, HashMap<ResultSubject, ViewStanding>> = HashMap::new();
    let time_zone = working.facts().time_zone();
    let start_day = Date::of_instant(working.recorded_at(), time_zone);
    let mut compared_on: HashMap<&ResultView, Date> = views.iter().map(|view| (*view, start_day)).collect();
    let read_now = |working: &Projection, checks: &mut Vec<Option<BasisCheck>>, standings: &mut HashMap<_, _>| {
        for (index, basis) in bases.iter().enumerate() {
            if basis.read_seq == working.seq() && checks[index].is_none() {
                let view = standings.entry(&basis.view).or_insert_with(|| view_standings(working, &basis.view));
                let at_read = view.get(&basis.subject).copied();
                checks[index] = Some(BasisCheck {
                    at_read,
                    now: at_read,
                    basis_changed: false,
                    holds_now: true,
                    changes: Vec::new(),
                });
            }
        }
    };
    read_now(&working, &mut checks, &mut standings);
    for event in events {
        working.apply(event)?;
        let day = Date::of_instant(event.recorded_at, time_zone);
        let moved: Vec<&ResultView> =
            (views.iter().copied()).filter(|view| moved_by(event, day, compared_on[view], view)).collect();
        for view in &moved {
            standings.remove(*view);
        }
        for (index, basis) in bases.iter().enumerate() {
            let Some(check) = checks[index].as_mut() else { continue };
            if !moved.contains(&&basis.view) {
                continue;
            }
            let view = standings.entry(&basis.view).or_insert_with(|| view_standings(&working, &basis.view));
            let now = view.get(&basis.subject).copied();
            if !same_place(now, check.now) {
                check.changes.push(BasisChange { event: event.event_ref(), before: check.now, after: now });
            }
            check.now = now;
        }
        for view in moved {
            compared_on.insert(view, day);
        }
        read_now(&working, &mut checks, &mut standings);
    }
    Ok(checks
        .into_iter()
        .map(|check| {
            let mut check = check.unwrap_or(BasisCheck {
                at_read: None,
                now: None,
                basis_changed: false,
                holds_now: true,
                changes: Vec::new(),
            });
            check.basis_changed = !check.changes.is_empty();
            check.holds_now = same_place(check.at_read, check.now);
            check
        })
        .collect())
}

/// The function code of a ranking view's group, for callers that name groups.
pub fn view_group(view: &ResultView) -> Option<(SchemeId, Option<FunctionCode>, PeriodId)> {
    match view {
        ResultView::Ranking { scheme, period, function_code } => Some((scheme.clone(), function_code.clone(), *period)),
        ResultView::IndividualRanking { .. } => None,
    }
}
