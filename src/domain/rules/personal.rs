//! Rules for individuals (个人绩效) and the use of results (结果运用): a county's office defines and
//! assesses personal indicators; a person files their own weekly records; a leader comments on them
//! and reviews the persons in its scope each quarter; a county's committee sets its individual rules
//! and records annual grades; a committee records each use of results with the view and the chain
//! position it relied on.
//!
//! Invariant: 优秀 is recorded only for a participant in the first individual tier (as the service read
//! the ranking when deciding) and never beyond the quota — at most the quota's share of the
//! participants, rounded down — and every refusal names the rule and the numbers. A final month holds
//! the personal scores that read it still: no personal indicator, weekly record, review, rule or move
//! (`organisation::move_person`) reaches into a month that is final in the scheme a person's score
//! counts (`Facts::personal_scheme`: the county's own when it has one, else the city's).

use crate::domain::command::{
    AssessPersonalIndicator, CommentWeeklyRecord, DefinePersonalIndicator, FileWeeklyRecord, RecordGrade,
    RecordResultUse, ReviewPerson, SetPersonalRules,
};
use crate::domain::context::{Actor, Context};
use crate::domain::date::Date;
use crate::domain::event::Event;
use crate::domain::facts::{Facts, PeriodStatus, PersonFacts, SchemeFacts, UnitFacts};
use crate::domain::ids::{PersonId, UnitCode};
use crate::domain::period::{PeriodId, PeriodKind};
use crate::domain::person::{
    excellent_quota, AnnualGrade, AssessmentId, GradeBasis, GradeRecorded, IndicatorRef, PersonReviewed,
    PersonalIndicatorAssessed, PersonalIndicatorDefined, PersonalIndicatorFacts, PersonalOutcome, PersonalRulesSet,
    ResultSubject, ResultUseId, ResultUseRecorded, ResultView, WeeklyRecordCommented, WeeklyRecordFiled,
};
use crate::domain::points::Points;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::domain::scheme::{validate_tier_standards, IndicatorMethod, TierRule};
use crate::domain::PersonalText;
use crate::limits::{
    INDICATOR_POINTS_MAX, MISSING_WEEK_DEDUCTION_MAX, SCHEME_YEAR_MAX, SCHEME_YEAR_MIN, TEXT_CHARS_MAX,
    WEEKLY_RECORD_INDICATORS_MAX,
};

use super::checks;

/// Today, in the ledger's time zone.
fn today(facts: &Facts, context: &Context) -> Date {
    Date::of_instant(context.now, facts.time_zone())
}

/// The county a command names, acted on by its own office or committee: registered, active, not a
/// section, and the actor's own unit.
fn own_county<'a>(facts: &'a Facts, unit: &UnitCode, actor: &Actor, what: &str) -> Result<&'a UnitFacts, Rejection> {
    let record = checks::unit(facts, "unit", unit)?;
    if record.level.is_section() {
        let message = format!("unit: {unit} is a section; {what} belongs to its county");
        return reject(Code::InvalidValue, "unit", message);
    }
    if &actor.unit != unit {
        let message = format!(
            "actor.unit: {what} of {unit} is its own {}'s; {} is another unit's",
            actor.role.as_str(),
            actor.unit
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    Ok(record)
}

fn year(field: &str, year: i32) -> Result<(), Rejection> {
    if !(SCHEME_YEAR_MIN..=SCHEME_YEAR_MAX).contains(&year) {
        let message = format!("{field}: must be from {SCHEME_YEAR_MIN} to {SCHEME_YEAR_MAX}, got {year}");
        return reject(Code::InvalidValue, field, message);
    }
    Ok(())
}

/// A registered person, retired or not (a retired person's past can still be reviewed and graded).
fn known_person<'a>(facts: &'a Facts, field: &str, person: &PersonId) -> Result<&'a PersonFacts, Rejection> {
    facts
        .persons
        .get(person)
        .map(|person| &**person)
        .ok_or_else(|| Rejection::new(Code::UnknownPerson, field, format!("{field}: unknown person {person}")))
}

/// The city scheme whose base periods a county's personal indicators of `year` count in.
fn scheme_of<'a>(facts: &'a Facts, county: &UnitCode, year: i32) -> Result<&'a SchemeFacts, Rejection> {
    facts.scheme_assessing(county, year).ok_or_else(|| {
        let message = format!(
            "year: no scheme assesses {county} in {year}; personal indicators count in the base periods of the \
             scheme that assesses the county"
        );
        Rejection::new(Code::UnknownScheme, "year", message)
    })
}

/// The leader refused when it speaks for the person it would review or comment on.
fn not_self(facts: &Facts, actor: &Actor, person: &PersonId, what: &str) -> Result<(), Rejection> {
    if facts.person_of_actor(&actor.id) == Some(person) {
        let message = format!("person: {} speaks for {person}, who is not {what} by themselves", actor.id);
        return reject(Code::SelfReview, "person", message);
    }
    Ok(())
}

// ---- Final months hold personal scores still ---------------------------------------------------

fn is_final(scheme: &SchemeFacts, period: PeriodId) -> bool {
    scheme.periods.get(&period).is_some_and(|record| record.status == PeriodStatus::Final)
}

/// Refuses a change to a person's scores from base period `from` to the end of its year when one of
/// those base periods is final in the scheme the person's score of its quarter counts.
fn no_final_personal_month_from(
    facts: &Facts,
    person: &PersonId,
    field: &str,
    from: PeriodId,
    what: &str,
) -> Result<(), Rejection> {
    for quarter in PeriodId::all_in_year(from.year(), PeriodKind::Quarter) {
        if let Some((scheme, month)) = facts.final_personal_month(person, quarter, from) {
            let message = format!(
                "{field}: {month} is final in {}, which {person}'s score of {quarter} counts; {what} from {from} would \
                 change it",
                scheme.settings.scheme
            );
            return reject(Code::PeriodFinal, field, message);
        }
    }
    Ok(())
}

/// A weekly record changes the score of the quarter that holds the week's Thursday (the week is missing
/// no more): refused once the base period holding the Thursday is final in the scheme that score counts.
fn week_not_final(facts: &Facts, command: &FileWeeklyRecord) -> Result<(), Rejection> {
    let (week, thursday) = (command.week, command.week.thursday());
    let quarter = base_period_holding(thursday, PeriodKind::Quarter);
    let Some(county) = facts.scoring_county(&command.person, quarter) else { return Ok(()) };
    let Some(scheme) = facts.personal_scheme(county, quarter.year()) else { return Ok(()) };
    let base = base_period_holding(thursday, scheme.settings.base_period);
    if is_final(scheme, base) {
        let message = format!(
            "week: {week} belongs to {base} (its Thursday {thursday}), which is final in {}; a record filed now would \
             change {}'s score of {quarter}",
            scheme.settings.scheme, command.person
        );
        return reject(Code::PeriodFinal, "week", message);
    }
    Ok(())
}

/// A review changes the quarter's score until every base period of the quarter is final in the scheme
/// that score counts; from then on it is refused.
fn quarter_not_final(facts: &Facts, person: &PersonId, quarter: PeriodId) -> Result<(), Rejection> {
    let Some(county) = facts.scoring_county(person, quarter) else { return Ok(()) };
    let Some(scheme) = facts.personal_scheme(county, quarter.year()) else { return Ok(()) };
    let bases: Vec<PeriodId> = PeriodId::all_in_year(quarter.year(), scheme.settings.base_period)
        .into_iter()
        .filter(|base| quarter.contains(*base))
        .collect();
    if bases.is_empty() || !bases.iter().all(|base| is_final(scheme, *base)) {
        return Ok(());
    }
    let listed: Vec<String> = bases.iter().map(ToString::to_string).collect();
    let message = format!(
        "quarter: every base period of {quarter} is final in {} ({}), and {person}'s score of it counts them; it \
         takes no review any more",
        scheme.settings.scheme,
        listed.join(", ")
    );
    reject(Code::PeriodFinal, "quarter", message)
}

/// The county's rules of a year count for every quarter of it: they may change only while no base
/// period of the year is final in the scheme the county's personal scores count.
fn rules_not_final(facts: &Facts, county: &UnitCode, year: i32) -> Result<(), Rejection> {
    let Some(scheme) = facts.personal_scheme(county, year) else { return Ok(()) };
    let first_final = scheme.periods.iter().find(|(_, record)| record.status == PeriodStatus::Final);
    if let Some((period, _)) = first_final {
        let message = format!(
            "year: {period} is final in {}; {county}'s rules of {year} count for every quarter of the year, so they \
             may change only while none of its base periods is final",
            scheme.settings.scheme
        );
        return reject(Code::PeriodFinal, "year", message);
    }
    Ok(())
}

/// A move changes where a person counts from `effective_on` on: refused when a base period from the one
/// holding that day (to the last year any scheme has) is final in the scheme whose months the personal
/// scores of a county concerned count — the county the person counts in then, the one of the unit they
/// leave, the one of the unit they join.
pub(super) fn move_not_into_final_months(
    facts: &Facts,
    person_id: &PersonId,
    person: &PersonFacts,
    to_unit: &UnitCode,
    effective_on: Date,
) -> Result<(), Rejection> {
    let quarter = base_period_holding(effective_on, PeriodKind::Quarter);
    let mut counties: Vec<&UnitCode> = Vec::new();
    let concerned =
        [facts.scoring_county(person_id, quarter), facts.county_of_unit(person.unit()), facts.county_of_unit(to_unit)];
    for county in concerned.into_iter().flatten() {
        if !counties.contains(&county) {
            counties.push(county);
        }
    }
    let first_year = effective_on.year();
    let last_year = facts.schemes.values().map(|scheme| scheme.settings.year).max().unwrap_or(first_year);
    for county in counties {
        for year in first_year..=last_year {
            let Some(scheme) = facts.personal_scheme(county, year) else { continue };
            let from = match year == first_year {
                true => base_period_holding(effective_on, scheme.settings.base_period),
                false => checks::first_period(scheme),
            };
            let first_final =
                scheme.periods.iter().find(|(period, record)| **period >= from && record.status == PeriodStatus::Final);
            if let Some((period, _)) = first_final {
                let message = format!(
                    "effective_on: {period} is final in {}, whose months {county}'s personal scores count; a move \
                     effective on {effective_on} would change {person_id}'s scores there",
                    scheme.settings.scheme
                );
                return reject(Code::PeriodFinal, "effective_on", message);
            }
        }
    }
    Ok(())
}

// ---- Personal indicators -----------------------------------------------------------------------

pub fn define_personal_indicator(
    facts: &Facts,
    command: &DefinePersonalIndicator,
    context: &Context,
) -> Result<Event, Rejection> {
    own_county(facts, &command.unit, &context.actor, "a personal indicator")?;
    year("year", command.year)?;
    let scheme = scheme_of(facts, &command.unit, command.year)?;
    let plan = facts.personal_plan(&command.unit, command.year);
    if plan.is_some_and(|plan| plan.indicators.contains_key(&command.indicator)) {
        let message = format!(
            "indicator: {} is already a personal indicator of {} in {}",
            command.indicator, command.unit, command.year
        );
        return reject(Code::IndicatorExists, "indicator", message);
    }
    let person = checks::person(facts, "person", &command.person)?;
    if !facts.in_scope(&command.unit, person.unit()) {
        let message = format!("person: {} is in {}, not in {}", command.person, person.unit(), command.unit);
        return reject(Code::OutOfScope, "person", message);
    }
    checks::name("name", &command.name)?;
    checks::optional_text("description", &command.description, TEXT_CHARS_MAX)?;
    if !(1..=INDICATOR_POINTS_MAX).contains(&command.points_max.hundredths()) {
        let message =
            format!("points_max: must be from 0.01 to {}, got {}", Points(INDICATOR_POINTS_MAX), command.points_max);
        return reject(Code::InvalidValue, "points_max", message);
    }
    if let IndicatorMethod::Tiered { tiers } = &command.method {
        validate_tier_standards(tiers)
            .map_err(|reason| Rejection::new(Code::InvalidValue, "method.tiers", format!("method.tiers: {reason}")))?;
        for (index, tier) in tiers.iter().enumerate() {
            checks::name(&format!("method.tiers.{index}.standard"), &tier.standard)?;
        }
    }
    let effective_from = command.effective_from.unwrap_or_else(|| checks::first_period(scheme));
    checks::base_period(scheme, "effective_from", effective_from)?;
    no_final_personal_month_from(facts, &command.person, "effective_from", effective_from, "a personal indicator")?;
    Ok(PersonalIndicatorDefined {
        unit: command.unit.clone(),
        year: command.year,
        indicator: command.indicator.clone(),
        person: command.person.clone(),
        name: command.name.clone(),
        description: command.description.clone(),
        points_max: command.points_max,
        method: command.method.clone(),
        effective_from,
    }
    .into())
}

pub fn assess_personal_indicator(
    facts: &Facts,
    command: &AssessPersonalIndicator,
    context: &Context,
) -> Result<Event, Rejection> {
    own_county(facts, &command.unit, &context.actor, "assessing a personal indicator")?;
    let year = command.period.year();
    let indicator = facts
        .personal_plan(&command.unit, year)
        .and_then(|plan| plan.indicators.get(&command.indicator))
        .ok_or_else(|| {
        let message = format!("indicator: {} has no personal indicator {} in {year}", command.unit, command.indicator);
        Rejection::new(Code::UnknownIndicator, "indicator", message)
    })?;
    let scheme = scheme_of(facts, &command.unit, year)?;
    checks::period_taking_facts(scheme, "period", command.period)?;
    if command.period < indicator.defined.effective_from {
        let message = format!(
            "period: {} counts from {}, not in {}",
            command.indicator, indicator.defined.effective_from, command.period
        );
        return reject(Code::IndicatorNotApplicable, "period", message);
    }
    checks::long_text("reason", &command.reason)?;
    checks::fresh_id(facts, context)?;
    personal_outcome(indicator, command)?;
    Ok(PersonalIndicatorAssessed {
        assessment_id: AssessmentId(context.new_id),
        unit: command.unit.clone(),
        year,
        indicator: command.indicator.clone(),
        person: indicator.defined.person.clone(),
        period: command.period,
        outcome: command.outcome,
        reason: PersonalText::Plain(command.reason.clone()),
    }
    .into())
}

/// A deduction on a `deduct` indicator within what is left of it, a tier of a `tiered` one, or the
/// withdrawal of a standing deduction of the same period.
fn personal_outcome(indicator: &PersonalIndicatorFacts, command: &AssessPersonalIndicator) -> Result<(), Rejection> {
    let code = &command.indicator;
    match (command.outcome, &indicator.defined.method) {
        (PersonalOutcome::Deduction { points }, IndicatorMethod::Deduct) => {
            if points.hundredths() <= 0 {
                return reject(
                    Code::PointsNotPositive,
                    "outcome.points",
                    format!("outcome.points: must be positive, got {points}"),
                );
            }
            let deducted: Points = indicator.standing_deductions(command.period).map(|(_, points)| points).sum();
            let remaining = indicator.defined.points_max - deducted;
            if points > remaining {
                let message = format!(
                    "outcome.points: {points} exceeds the {remaining} left on {code} in {} ({} of {} deducted)",
                    command.period, deducted, indicator.defined.points_max
                );
                return reject(Code::PointsExceedRemaining, "outcome.points", message);
            }
            Ok(())
        }
        (PersonalOutcome::Deduction { .. }, IndicatorMethod::Tiered { .. }) => {
            reject(Code::IndicatorNotDeduct, "outcome", format!("outcome: {code} is tiered; record a tier"))
        }
        (PersonalOutcome::Tier { tier }, IndicatorMethod::Tiered { tiers }) => {
            if tier == 0 || usize::try_from(tier).map_or(true, |tier| tier > tiers.len()) {
                let message = format!("outcome.tier: {code} has tiers 1 to {}, got {tier}", tiers.len());
                return reject(Code::TierOutOfRange, "outcome.tier", message);
            }
            Ok(())
        }
        (PersonalOutcome::Tier { .. }, IndicatorMethod::Deduct) => {
            reject(Code::IndicatorNotTiered, "outcome", format!("outcome: {code} is scored by deductions, not tiers"))
        }
        (PersonalOutcome::Withdrawal { assessment_id }, _) => {
            let standing =
                indicator.standing_deductions(command.period).any(|(a, _)| a.assessed.assessment_id == assessment_id);
            if !standing {
                let message = format!(
                    "outcome.assessment_id: {assessment_id} is no standing deduction on {code} in {}",
                    command.period
                );
                return reject(Code::UnknownAssessment, "outcome.assessment_id", message);
            }
            Ok(())
        }
    }
}

// ---- Weekly records ----------------------------------------------------------------------------

pub fn file_weekly_record(facts: &Facts, command: &FileWeeklyRecord, context: &Context) -> Result<Event, Rejection> {
    let bound = facts.person_of_actor(&context.actor.id);
    if bound != Some(&command.person) {
        let speaks_for = bound.map_or_else(|| "no person".to_owned(), |person| format!("person {person}"));
        let message = format!(
            "person: {} speaks for {speaks_for}; a person files only their own weekly records",
            context.actor.id
        );
        return reject(Code::OutOfScope, "person", message);
    }
    let person = checks::person(facts, "person", &command.person)?;
    checks::not_erased(person, "person", &command.person)?;
    let today = today(facts, context);
    let week = command.week;
    if week.monday() > today {
        let message = format!("week: {week} begins on {}, after today ({today})", week.monday());
        return reject(Code::NotBegun, "week", message);
    }
    // The week belongs to its Thursday (as its month and quarter do): the record names the unit of that day.
    let unit = person.unit_on(week.thursday()).ok_or_else(|| {
        let message = format!("week: {} was in no unit on {}, the Thursday of {week}", command.person, week.thursday());
        Rejection::new(Code::InvalidValue, "week", message)
    })?;
    let filed = facts.people.weekly_records.get(&command.person).and_then(|weeks| weeks.get(&week));
    if let Some(filed) = filed {
        let message = format!(
            "week: {} filed the record of {week} already (event {}); one record per week",
            command.person, filed.event.seq
        );
        return reject(Code::WeeklyRecordExists, "week", message);
    }
    week_not_final(facts, command)?;
    checks::long_text("text", &command.text)?;
    indicator_refs(facts, command)?;
    Ok(WeeklyRecordFiled {
        person: command.person.clone(),
        week,
        unit: unit.clone(),
        // Plain here; the service seals it under the person's key before it is recorded.
        text: command.text.clone().into(),
        indicators: command.indicators.clone(),
    }
    .into())
}

/// The base period of `kind` that holds `day`.
fn base_period_holding(day: Date, kind: PeriodKind) -> PeriodId {
    let index = (day.month() - 1) / kind.months() + 1;
    PeriodId::new(day.year(), kind, index).expect("a month lies in a period of every kind")
}

/// Each indicator a weekly record names is one the person carries in the base period that holds the
/// week's Thursday, named once.
fn indicator_refs(facts: &Facts, command: &FileWeeklyRecord) -> Result<(), Rejection> {
    let refs = &command.indicators;
    checks::list_length("indicators", refs.len(), WEEKLY_RECORD_INDICATORS_MAX)?;
    let thursday = command.week.thursday();
    for (index, reference) in refs.iter().enumerate() {
        let field = format!("indicators.{index}");
        if refs[..index].contains(reference) {
            return reject(Code::InvalidValue, &field, format!("{field}: names an indicator named before"));
        }
        let carried = match reference {
            IndicatorRef::Scheme { scheme, indicator } => facts.schemes.get(scheme).is_some_and(|record| {
                let period = base_period_holding(thursday, record.settings.base_period);
                facts
                    .carried_scheme_indicators(&command.person, period)
                    .iter()
                    .any(|carried| &carried.scheme.settings.scheme == scheme && carried.code == indicator)
            }),
            IndicatorRef::Personal { indicator } => {
                let year = facts.people.plans.values().filter_map(|years| years.get(&thursday.year()));
                year.filter_map(|plan| plan.indicators.get(indicator)).any(|personal| {
                    let period = base_period_holding(thursday, personal.defined.effective_from.kind());
                    personal.defined.person == command.person && personal.defined.effective_from <= period
                })
            }
        };
        if !carried {
            let named = match reference {
                IndicatorRef::Scheme { scheme, indicator } => format!("{indicator} of {scheme}"),
                IndicatorRef::Personal { indicator } => format!("personal indicator {indicator}"),
            };
            let message = format!(
                "{field}: {} carries no {named} in the week {} (its Thursday {thursday})",
                command.person, command.week
            );
            return reject(Code::IndicatorNotApplicable, &field, message);
        }
    }
    Ok(())
}

pub fn comment_weekly_record(
    facts: &Facts,
    command: &CommentWeeklyRecord,
    context: &Context,
) -> Result<Event, Rejection> {
    let person = known_person(facts, "person", &command.person)?;
    checks::not_erased(person, "person", &command.person)?;
    let record =
        facts.people.weekly_records.get(&command.person).and_then(|weeks| weeks.get(&command.week)).ok_or_else(
            || {
                let message = format!("week: {} filed no record for {}", command.person, command.week);
                Rejection::new(Code::UnknownWeeklyRecord, "week", message)
            },
        )?;
    let unit = &record.filed.unit;
    if !facts.in_scope(&context.actor.unit, unit) {
        let message = format!(
            "actor.unit: {}'s record of {} (in {unit}) is outside the scope of {}",
            command.person, command.week, context.actor.unit
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    not_self(facts, &context.actor, &command.person, "commented on")?;
    checks::long_text("comment", &command.comment)?;
    let comment = command.comment.clone().into();
    Ok(WeeklyRecordCommented { person: command.person.clone(), week: command.week, comment }.into())
}

// ---- Leader reviews ----------------------------------------------------------------------------

pub fn review_person(facts: &Facts, command: &ReviewPerson, context: &Context) -> Result<Event, Rejection> {
    let person = known_person(facts, "person", &command.person)?;
    checks::not_erased(person, "person", &command.person)?;
    let quarter = command.quarter;
    if quarter.kind() != PeriodKind::Quarter {
        let message = format!("quarter: a review is for a quarter (2017-Q3), got {quarter}");
        return reject(Code::InvalidValue, "quarter", message);
    }
    let today = today(facts, context);
    let first = Date::first_of(quarter);
    if first > today {
        let message = format!("quarter: {quarter} begins on {first}, after today ({today})");
        return reject(Code::NotBegun, "quarter", message);
    }
    let stretches = person.stretches_within(first, Date::last_of(quarter).min(today));
    if !stretches.iter().any(|(unit, _)| facts.in_scope(&context.actor.unit, unit)) {
        let units: Vec<String> = stretches.iter().map(|(unit, _)| unit.to_string()).collect();
        let belonged = if units.is_empty() { "nowhere".to_owned() } else { units.join(", ") };
        let message = format!(
            "actor.unit: in {quarter} {} belonged to {belonged}, outside the scope of {}",
            command.person, context.actor.unit
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    not_self(facts, &context.actor, &command.person, "reviewed")?;
    quarter_not_final(facts, &command.person, quarter)?;
    if !(0..=10_000).contains(&command.score.hundredths()) {
        let message = format!("score: must be from 0.00 to 100.00, got {}", command.score);
        return reject(Code::InvalidValue, "score", message);
    }
    checks::long_text("comment", &command.comment)?;
    Ok(PersonReviewed {
        person: command.person.clone(),
        quarter,
        score: command.score,
        comment: command.comment.clone().into(),
    }
    .into())
}

// ---- Rules, grades and result uses -------------------------------------------------------------

pub fn set_personal_rules(facts: &Facts, command: &SetPersonalRules, context: &Context) -> Result<Event, Rejection> {
    own_county(facts, &command.unit, &context.actor, "the rules of individual assessment")?;
    year("year", command.year)?;
    rules_not_final(facts, &command.unit, command.year)?;
    let weights = command.weights;
    let parts = [weights.section, weights.review, weights.indicators];
    if parts.iter().any(|weight| *weight > 100) || parts.iter().sum::<u32>() == 0 {
        let message = format!(
            "weights: each weight is 0 to 100 and not all are 0, got {}/{}/{}",
            weights.section, weights.review, weights.indicators
        );
        return reject(Code::InvalidValue, "weights", message);
    }
    let shares = TierRule::SharesPercent { shares_percent: command.tier_shares_percent.clone() };
    shares.validate().map_err(|reason| {
        Rejection::new(Code::InvalidValue, "tier_shares_percent", format!("tier_shares_percent: {reason}"))
    })?;
    if command.excellent_quota_percent > 100 {
        let message =
            format!("excellent_quota_percent: must be from 0 to 100, got {}", command.excellent_quota_percent);
        return reject(Code::InvalidValue, "excellent_quota_percent", message);
    }
    if !(0..=MISSING_WEEK_DEDUCTION_MAX).contains(&command.missing_week_deduction.hundredths()) {
        let message = format!(
            "missing_week_deduction: must be from 0.00 to {}, got {}",
            Points(MISSING_WEEK_DEDUCTION_MAX),
            command.missing_week_deduction
        );
        return reject(Code::InvalidValue, "missing_week_deduction", message);
    }
    Ok(PersonalRulesSet {
        unit: command.unit.clone(),
        year: command.year,
        weights,
        tier_shares_percent: command.tier_shares_percent.clone(),
        excellent_quota_percent: command.excellent_quota_percent,
        missing_week_deduction: command.missing_week_deduction,
    }
    .into())
}

pub fn record_grade(facts: &Facts, command: &RecordGrade, context: &Context) -> Result<Event, Rejection> {
    let county = &command.unit;
    own_county(facts, county, &context.actor, "an annual grade")?;
    year("year", command.year)?;
    known_person(facts, "person", &command.person)?;
    let participants = facts.participants(county, command.year).len();
    let participants = u32::try_from(participants).unwrap_or(u32::MAX);
    if facts.participant_county(&command.person, command.year) != Some(county) {
        let message = format!(
            "person: {} takes no part in {county}'s individual ranking of {} (participants are the persons counted \
             in a section of {county} for at least one month of {}-Q4; {participants} do)",
            command.person, command.year, command.year
        );
        return reject(Code::NotAParticipant, "person", message);
    }
    match &command.reason {
        Some(reason) => checks::long_text("reason", reason)?,
        None if command.grade.needs_reason() => {
            let message = format!("reason: {} needs a reason", command.grade);
            return reject(Code::ReasonRequired, "reason", message);
        }
        None => {}
    }
    let rules = facts.personal_rules(county, command.year);
    let quota = excellent_quota(participants, rules.excellent_quota_percent);
    let plan = facts.personal_plan(county, command.year);
    let already = plan.and_then(|plan| plan.grade_of(&command.person)).map(|grade| grade.recorded.grade);
    let others_excellent = plan.map_or(0, |plan| plan.count_graded(AnnualGrade::Excellent))
        - u32::from(already == Some(AnnualGrade::Excellent));
    let standing = context.basis.standing.unwrap_or_default();
    if command.grade == AnnualGrade::Excellent {
        if context.basis.standing.is_none() {
            let message = "grade: the individual ranking was not read for this grade; record it through the service";
            return reject(Code::InvalidValue, "grade", message);
        }
        if standing.tier != Some(1) {
            let place = match (standing.tier, standing.rank, standing.annual_score) {
                (Some(tier), Some(rank), Some(score)) => {
                    format!("is in tier {tier} (rank {rank} of {} ranked, annual score {score})", standing.ranked)
                }
                _ => "has no annual score (unranked)".to_owned(),
            };
            let message = format!(
                "grade: 优秀 only for a person in the first individual tier; {} {place} in {county}'s ranking of {}",
                command.person, command.year
            );
            return reject(Code::GradeNotInFirstTier, "grade", message);
        }
        if others_excellent + 1 > quota {
            let message = format!(
                "grade: {} 优秀 would exceed the quota of {quota} of {participants} ({} % of the participants, \
                 rounded down)",
                others_excellent + 1,
                rules.excellent_quota_percent
            );
            return reject(Code::GradeQuotaExceeded, "grade", message);
        }
    }
    let excellent_graded = others_excellent + u32::from(command.grade == AnnualGrade::Excellent);
    Ok(GradeRecorded {
        unit: county.clone(),
        year: command.year,
        person: command.person.clone(),
        grade: command.grade,
        reason: command.reason.clone().map(PersonalText::Plain),
        basis: GradeBasis {
            participants,
            ranked: standing.ranked,
            excellent_quota: quota,
            excellent_graded,
            annual_score: standing.annual_score,
            rank: standing.rank,
            tier: standing.tier,
        },
    }
    .into())
}

pub fn record_result_use(facts: &Facts, command: &RecordResultUse, context: &Context) -> Result<Event, Rejection> {
    checks::long_text("note", &command.note)?;
    let subject_unit = match &command.subject {
        ResultSubject::Unit { unit } => {
            if !facts.units.contains_key(unit) {
                return reject(Code::UnknownUnit, "subject.unit", format!("subject.unit: unknown unit {unit}"));
            }
            unit.clone()
        }
        ResultSubject::Person { person } => {
            known_person(facts, "subject.person", person)?;
            match &command.view {
                ResultView::IndividualRanking { unit, .. } => unit.clone(),
                ResultView::Ranking { .. } => {
                    let message = format!(
                        "subject: person {person} is not ranked in a ranking of units; name the individual ranking"
                    );
                    return reject(Code::SubjectNotInView, "subject", message);
                }
            }
        }
    };
    in_view(facts, command)?;
    if !facts.in_scope(&context.actor.unit, &subject_unit) {
        let message = format!(
            "actor.unit: {} is outside the scope of {}; a committee records uses of results about its own units",
            command.subject, context.actor.unit
        );
        return reject(Code::OutOfScope, "actor.unit", message);
    }
    let position = context.basis.position.ok_or_else(|| {
        Rejection::new(Code::PositionNotInChain, "read_at", "read_at: no chain position was read for this use")
    })?;
    if command.read_at.is_some_and(|read_at| read_at != position) {
        let message = format!("read_at: the position given is not the one the ledger holds at event {}", position.seq);
        return reject(Code::PositionNotInChain, "read_at", message);
    }
    checks::fresh_id(facts, context)?;
    Ok(ResultUseRecorded {
        result_use_id: ResultUseId(context.new_id),
        committee: context.actor.unit.clone(),
        kind: command.kind,
        subject: command.subject.clone(),
        view: command.view.clone(),
        read_at: position,
        note: command.note.clone(),
    }
    .into())
}

/// The view exists and ranks the subject: a unit the scheme assesses directly (or a section of one,
/// of the view's function code), or a participant of the county's individual ranking of the year.
fn in_view(facts: &Facts, command: &RecordResultUse) -> Result<(), Rejection> {
    match (&command.view, &command.subject) {
        (ResultView::Ranking { scheme, period, function_code }, ResultSubject::Unit { unit }) => {
            let record = checks::scheme(facts, "view.scheme", scheme)?;
            let settings = &record.settings;
            if period.year() != settings.year || period.kind().months() < settings.base_period.months() {
                let message = format!("view.period: {period} is no period of {scheme} ({})", settings.year);
                return reject(Code::InvalidValue, "view.period", message);
            }
            let ranked = match function_code {
                None => facts.is_assessee_of(record, unit),
                Some(code) => {
                    let section = facts.units.get(unit);
                    section.is_some_and(|section| section.function_code.as_ref() == Some(code))
                        && facts.parent_of(unit).is_some_and(|county| facts.is_assessee_of(record, county))
                }
            };
            if !ranked {
                let message = format!("subject: unit {unit} is not in {}", command.view);
                return reject(Code::SubjectNotInView, "subject", message);
            }
            Ok(())
        }
        (ResultView::IndividualRanking { unit, year: view_year }, ResultSubject::Person { person }) => {
            year("view.year", *view_year)?;
            let county = checks::unit(facts, "view.unit", unit)?;
            if county.level.is_section() {
                let message = format!("view.unit: {unit} is a section; individual rankings are a county's");
                return reject(Code::InvalidValue, "view.unit", message);
            }
            if facts.participant_county(person, *view_year) != Some(unit) {
                let message = format!("subject: person {person} takes no part in {}", command.view);
                return reject(Code::SubjectNotInView, "subject", message);
            }
            Ok(())
        }
        (ResultView::IndividualRanking { .. }, ResultSubject::Unit { unit }) => {
            let message = format!("subject: unit {unit} is not ranked in an individual ranking");
            reject(Code::SubjectNotInView, "subject", message)
        }
        (ResultView::Ranking { .. }, ResultSubject::Person { person }) => {
            let message = format!("subject: person {person} is not ranked in a ranking of units");
            reject(Code::SubjectNotInView, "subject", message)
        }
    }
}
