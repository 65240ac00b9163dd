//! Individuals and the use of results, at the service: what the decider reads for a command that
//! rests on the ledger (a result use's chain position, an annual grade's individual standing), and
//! the questions both adapters ask about persons — their scorecards, indicators, weekly records and
//! reviews, a county's individual ranking and grades, and the uses of results with whether their basis
//! still holds.
//!
//! Invariant: a result use names a chain position that is in the chain (given and checked, or the head
//! when left out), and an annual grade is checked against the individual ranking of the decider's own
//! facts — the facts it is recorded on top of. Who may read what is `queries::may_read`'s. Every answer
//! that shows a name or a personal text shows it opened with the person's key (`PersonKeys::reveal`),
//! or as erased: a sealed text never leaves here sealed, and an erased one never leaves at all.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::domain::date::Date;
use crate::domain::person::{
    AnnualGrade, ChainPosition, GradeBasis, ResultSubject, ResultUseFacts, ResultUseId, ResultUseKind, ResultView,
};
use crate::domain::rejection::RejectionCode;
use crate::domain::{
    Actor, Command, Context, EventRef, PeriodId, PeriodKind, PersonId, PersonalText, Recorded, Rejection, TextField,
    UnitCode,
};
use crate::limits::BASIS_CHECKS_KEPT_MAX;
use crate::projection::personal::{
    check_bases, Basis, BasisCheck, IndividualRanking, PersonIndicators, PersonListing, PersonReviews,
    PersonalScorecard, ReviewLine, WeeklyRecords,
};
use crate::projection::{AsOf, Projection};
use crate::service::person_keys::PersonKeys;
use crate::service::queries::{may_read, Answer, QueryError, ReadTarget, Reader, View};
use crate::service::read_models::ReadModels;
use crate::service::{Decider, Service, ServiceError};

// ---- What the decider reads ----------------------------------------------------------------------

/// Fills in what a command rests on beyond the facts (`Context::basis`): for a result use, its chain
/// position, checked to be in the chain, or the head when it names none; for an annual grade, the
/// person's standing in the county's individual ranking, read from the decider's facts. Only for an
/// actor whose role may give the command (any other is refused by the rules, as for every command).
pub(super) fn prepare(
    service: &Service,
    decider: &mut Decider,
    actor: &Actor,
    command: &Command,
    context: &mut Context,
) -> Result<(), ServiceError> {
    if !super::role_may_issue(actor, command) {
        return Ok(());
    }
    match command {
        Command::RecordResultUse(use_) => {
            context.basis.position = Some(chain_position(service, decider, use_.read_at)?);
        }
        Command::RecordGrade(grade) => {
            let head = decider.chain.head();
            // The decider's facts, lent to a projection for the question and given back.
            let facts = std::mem::take(&mut decider.facts);
            let projection = Projection::with_facts(facts, head.seq, head.hash, head.recorded_at);
            let today = Date::of_instant(context.now, projection.facts().time_zone());
            let standing = projection.individual_standing(&grade.unit, grade.year, &grade.person, today);
            decider.facts = projection.into_facts();
            context.basis.standing = Some(standing);
        }
        _ => {}
    }
    Ok(())
}

/// The position a result use names, checked against the chain; the decider's head when it names none.
fn chain_position(
    service: &Service,
    decider: &Decider,
    given: Option<ChainPosition>,
) -> Result<ChainPosition, ServiceError> {
    let head = decider.chain.head();
    let Some(given) = given else { return Ok(ChainPosition { seq: head.seq, hash: head.hash }) };
    let refuse = |why: String| -> Result<ChainPosition, ServiceError> {
        Err(Rejection::new(RejectionCode::PositionNotInChain, "read_at", format!("read_at: {why}")).into())
    };
    if given.seq == 0 {
        return refuse("seq must be at least 1: a view is read after some event".to_owned());
    }
    if given.seq > head.seq {
        return refuse(format!("event {} is beyond the head of the ledger (event {})", given.seq, head.seq));
    }
    let actual = match given.seq == head.seq {
        true => head.hash,
        false => match service.ledger.event_at(given.seq)? {
            Some(stored) => stored.hash,
            None => return refuse(format!("event {} is not durable yet; read the view again", given.seq)),
        },
    };
    if actual != given.hash {
        return refuse(format!("event {} has the chain hash {actual}, not {}", given.seq, given.hash));
    }
    Ok(given)
}

// ---- Answers ---------------------------------------------------------------------------------

/// The persons registered in a unit or under it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Persons {
    pub unit: UnitCode,
    pub today: Date,
    pub persons: Vec<PersonListing>,
}

/// One use of results, with what became of its basis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResultUseLine {
    pub result_use_id: ResultUseId,
    pub committee: UnitCode,
    pub kind: ResultUseKind,
    pub subject: ResultSubject,
    pub view: ResultView,
    pub read_at: ChainPosition,
    pub note: String,
    /// The event that recorded the use.
    pub event: EventRef,
    #[serde(flatten)]
    pub basis: BasisCheck,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ResultUses {
    pub uses: Vec<ResultUseLine>,
    /// How many of them rest on a basis that changed since it was read.
    pub basis_changed: usize,
}

/// Which uses of results a list holds: about `unit` (or a unit under it; for a person, their county
/// in the view), about `person`, and only those whose basis changed.
#[derive(Clone, Debug, Default)]
pub struct ResultUseFilter {
    pub unit: Option<UnitCode>,
    pub person: Option<PersonId>,
    pub changed_only: bool,
}

/// A person's annual grade (the latest recorded), with the ranking it was checked against then and
/// what became of that basis.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GradeLine {
    pub person: PersonId,
    /// Personal information.
    pub name: PersonalText,
    /// The person's personal information was erased: the name reads as erased.
    #[serde(default)]
    pub erased: bool,
    pub grade: AnnualGrade,
    /// Personal information.
    pub reason: Option<PersonalText>,
    /// The individual ranking as it stood when the grade was recorded.
    pub recorded_basis: GradeBasis,
    pub event: EventRef,
    /// How many grades were recorded for the person and year before this one.
    pub replaced: usize,
    #[serde(flatten)]
    pub basis: BasisCheck,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Grades {
    pub county: UnitCode,
    pub year: i32,
    pub participants: u32,
    pub excellent_quota: u32,
    pub excellent_graded: u32,
    pub grades: Vec<GradeLine>,
    /// How many grades rest on a basis that changed since they were recorded.
    pub basis_changed: usize,
}

fn not_found(field: &'static str, message: String) -> QueryError {
    QueryError::NotFound { field, message }
}

fn invalid(field: &'static str, message: String) -> QueryError {
    QueryError::Invalid { field, message }
}

/// The day weeks are judged on: the day asked about, or the day of the last event folded.
fn today_of(projection: &Projection, as_of: AsOf) -> Date {
    let zone = projection.facts().time_zone();
    Date::of_instant(as_of.instant(zone).unwrap_or_else(|| projection.recorded_at()), zone)
}

fn known_person(projection: &Projection, person: &PersonId) -> Result<(), QueryError> {
    match projection.facts().persons.contains_key(person) {
        true => Ok(()),
        false => {
            Err(not_found("person", format!("no person {person} is registered (as of event {})", projection.seq())))
        }
    }
}

fn known_county(projection: &Projection, unit: &UnitCode) -> Result<(), QueryError> {
    match projection.facts().units.get(unit) {
        None => Err(not_found("unit", format!("no unit {unit} is registered (as of event {})", projection.seq()))),
        Some(record) if record.level.is_section() => {
            Err(invalid("unit", format!("{unit} is a section; individual rankings are a county's")))
        }
        Some(_) => Ok(()),
    }
}

/// A personal score is for a quarter, a half-year or a year.
fn quarter_or_longer(period: PeriodId) -> Result<(), QueryError> {
    match period.kind() {
        PeriodKind::Month => Err(invalid(
            "period",
            format!("{period} is a month; a personal score is for a quarter (2017-Q3), a half-year or a year"),
        )),
        _ => Ok(()),
    }
}

fn year_of(period: PeriodId) -> Result<i32, QueryError> {
    match period.kind() {
        PeriodKind::Year => Ok(period.year()),
        _ => {
            Err(invalid("period", format!("{period} is not a year; individual rankings and grades are by year (2017)")))
        }
    }
}

impl ReadModels {
    /// The persons registered in `unit` or under it, as they stand on the day asked about.
    pub fn persons(
        &self,
        reader: &Reader,
        unit: &UnitCode,
        as_of: AsOf,
        keys: &PersonKeys,
    ) -> Result<Answer<Persons>, QueryError> {
        let mut answer = self.answer(as_of, |projection| {
            if !projection.facts().units.contains_key(unit) {
                let message = format!("no unit {unit} is registered (as of event {})", projection.seq());
                return Err(not_found("unit", message));
            }
            may_read(projection, reader, &ReadTarget::Persons { unit: unit.clone() })?;
            let today = today_of(projection, as_of);
            Ok(Persons { unit: unit.clone(), today, persons: projection.persons_of(unit, today) })
        })?;
        answer.value.persons.iter_mut().for_each(|listing| reveal_listing(keys, listing));
        Ok(answer)
    }

    /// A person's scorecard for a quarter, a half-year or a year.
    pub fn person_scorecard(
        &self,
        person: &PersonId,
        period: PeriodId,
        view: impl Into<View>,
        keys: &PersonKeys,
    ) -> Result<Answer<PersonalScorecard>, QueryError> {
        let view = view.into();
        quarter_or_longer(period)?;
        let mut answer = self.answer(view.as_of, |projection| {
            known_person(projection, person)?;
            let today = today_of(projection, view.as_of);
            projection
                .personal_scorecard(person, period, view.counting, today)
                .ok_or_else(|| not_found("person", format!("no scorecard of {person} for {period}")))
        })?;
        reveal_scorecard(keys, &mut answer.value);
        Ok(answer)
    }

    /// The indicators a person carries in the base periods of `period`.
    pub fn person_indicators(
        &self,
        person: &PersonId,
        period: PeriodId,
        as_of: AsOf,
    ) -> Result<Answer<PersonIndicators>, QueryError> {
        self.answer(as_of, |projection| {
            known_person(projection, person)?;
            Ok(projection.person_indicators(person, period))
        })
    }

    /// A person's weekly records in the weeks of `period`, missing ones listed.
    pub fn weekly_records(
        &self,
        person: &PersonId,
        period: PeriodId,
        as_of: AsOf,
        keys: &PersonKeys,
    ) -> Result<Answer<WeeklyRecords>, QueryError> {
        let mut answer = self.answer(as_of, |projection| {
            known_person(projection, person)?;
            let today = today_of(projection, as_of);
            projection
                .weekly_records(person, period, today)
                .ok_or_else(|| not_found("person", format!("no person {person}")))
        })?;
        reveal_weekly_records(keys, &mut answer.value);
        Ok(answer)
    }

    /// A person's leader reviews in the quarters of `period`.
    pub fn person_reviews(
        &self,
        person: &PersonId,
        period: PeriodId,
        as_of: AsOf,
        keys: &PersonKeys,
    ) -> Result<Answer<PersonReviews>, QueryError> {
        let mut answer = self.answer(as_of, |projection| {
            known_person(projection, person)?;
            projection.person_reviews(person, period).ok_or_else(|| not_found("person", format!("no person {person}")))
        })?;
        let reviews = &mut answer.value;
        reviews.erased |= keys.is_erased(&reviews.person);
        for quarter in &mut reviews.quarters {
            reveal_reviews(keys, &reviews.person, &mut quarter.reviews, reviews.erased);
        }
        Ok(answer)
    }

    /// A county's individual ranking of a year (`period` is the year).
    pub fn individual_ranking(
        &self,
        county: &UnitCode,
        period: PeriodId,
        view: impl Into<View>,
        keys: &PersonKeys,
    ) -> Result<Answer<IndividualRanking>, QueryError> {
        let view = view.into();
        let year = year_of(period)?;
        let mut answer = self.answer(view.as_of, |projection| {
            known_county(projection, county)?;
            let today = today_of(projection, view.as_of);
            Ok(projection.individual_ranking(county, year, view.counting, today))
        })?;
        for line in &mut answer.value.standings {
            line.erased |= keys.is_erased(&line.person);
            keys.reveal(&line.person, TextField::PersonName, &mut line.name, line.erased);
        }
        Ok(answer)
    }

    /// A county's annual grades of a year, each person's latest, with the ranking it was checked
    /// against and whether that basis still holds.
    pub fn grades(
        &self,
        county: &UnitCode,
        period: PeriodId,
        as_of: AsOf,
        keys: &PersonKeys,
    ) -> Result<Answer<Grades>, QueryError> {
        let year = year_of(period)?;
        let resolved = self.resolve(as_of)?;
        let (_, listed) = self.with_projection(AsOf::Seq(resolved.seq), |projection| {
            known_county(projection, county)?;
            let facts = projection.facts();
            let today = today_of(projection, as_of);
            let ranking = projection.individual_ranking(county, year, crate::projection::Counting::Published, today);
            let plan = facts.personal_plan(county, year);
            let grades: Vec<_> = plan
                .map(|plan| {
                    plan.grades
                        .iter()
                        .filter_map(|(person, grades)| {
                            grades.last().map(|last| (person, last.clone(), grades.len() - 1))
                        })
                        .map(|(person, last, replaced)| {
                            let record = facts.persons.get(person);
                            let name = record.map_or(PersonalText::Plain(String::new()), |record| record.name.clone());
                            let erased = record.is_some_and(|record| record.erased) || keys.is_erased(person);
                            ((name, erased), last, replaced)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok::<_, QueryError>((ranking, grades))
        })?;
        let (ranking, grades) = listed?;
        let bases: Vec<Basis> = grades
            .iter()
            .map(|(_, grade, _)| Basis {
                subject: ResultSubject::Person { person: grade.recorded.person.clone() },
                view: ResultView::IndividualRanking { unit: county.clone(), year },
                read_seq: grade.event.seq,
            })
            .collect();
        let checks = self.check_bases_up_to(&bases, resolved.seq)?;
        let lines: Vec<GradeLine> = grades
            .into_iter()
            .zip(checks)
            .map(|(((mut name, erased), grade, replaced), basis)| {
                keys.reveal(&grade.recorded.person, TextField::PersonName, &mut name, erased);
                let mut reason = grade.recorded.reason.clone();
                if let Some(reason) = &mut reason {
                    keys.reveal(&grade.recorded.person, TextField::GradeReason, reason, erased);
                }
                GradeLine {
                    person: grade.recorded.person.clone(),
                    name,
                    erased,
                    grade: grade.recorded.grade,
                    reason,
                    recorded_basis: grade.recorded.basis,
                    event: grade.event.clone(),
                    replaced,
                    basis,
                }
            })
            .collect();
        let basis_changed = lines.iter().filter(|line| line.basis.basis_changed).count();
        Ok(Answer {
            as_of_seq: resolved.seq,
            as_of_instant: resolved.instant,
            value: Grades {
                county: county.clone(),
                year,
                participants: ranking.participants,
                excellent_quota: ranking.excellent_quota,
                excellent_graded: ranking.excellent_graded,
                grades: lines,
                basis_changed,
            },
        })
    }

    /// The uses of results `filter` selects that `reader` may see (refused if it names a unit outside
    /// its scope), each with what became of its basis by the as-of point.
    pub fn result_uses(
        &self,
        reader: &Reader,
        filter: &ResultUseFilter,
        as_of: AsOf,
    ) -> Result<Answer<ResultUses>, QueryError> {
        let resolved = self.resolve(as_of)?;
        let (_, selected) = self.with_projection(AsOf::Seq(resolved.seq), |projection| {
            let facts = projection.facts();
            if let Some(unit) = &filter.unit {
                if !facts.units.contains_key(unit) {
                    return Err(not_found("unit", format!("no unit {unit} is registered (as of event {})", projection.seq())));
                }
            }
            may_read(projection, reader, &ReadTarget::ResultUses { unit: filter.unit.clone() })?;
            let uses: Vec<ResultUseFacts> = facts
                .people
                .result_uses
                .iter()
                .filter(|used| {
                    let about = subject_unit(used);
                    filter.unit.as_ref().is_none_or(|unit| facts.in_scope(unit, about))
                        && filter.person.as_ref().is_none_or(|person| {
                            matches!(&used.recorded.subject, ResultSubject::Person { person: subject } if subject == person)
                        })
                        && match reader {
                            Reader::Local => true,
                            Reader::Token(actor) => {
                                facts.in_scope(&actor.unit, about) || facts.in_scope(&actor.unit, &used.recorded.committee)
                            }
                        }
                })
                .cloned()
                .collect();
            Ok::<_, QueryError>(uses)
        })?;
        let uses = selected?;
        let bases: Vec<Basis> = uses
            .iter()
            .map(|used| Basis {
                subject: used.recorded.subject.clone(),
                view: used.recorded.view.clone(),
                read_seq: used.recorded.read_at.seq,
            })
            .collect();
        let checks = self.check_bases_up_to(&bases, resolved.seq)?;
        let lines: Vec<ResultUseLine> = uses
            .into_iter()
            .zip(checks)
            .map(|(used, basis)| ResultUseLine {
                result_use_id: used.recorded.result_use_id,
                committee: used.recorded.committee,
                kind: used.recorded.kind,
                subject: used.recorded.subject,
                view: used.recorded.view,
                read_at: used.recorded.read_at,
                note: used.recorded.note,
                event: used.event,
                basis,
            })
            .filter(|line| !filter.changed_only || line.basis.basis_changed)
            .collect();
        let basis_changed = lines.iter().filter(|line| line.basis.basis_changed).count();
        Ok(Answer {
            as_of_seq: resolved.seq,
            as_of_instant: resolved.instant,
            value: ResultUses { uses: lines, basis_changed },
        })
    }

    /// The person a reader speaks for: the person its token's grant names (a `person` token's own, a
    /// leader's when its grant names one); none for the local read token.
    pub fn person_of_reader(&self, reader: &Reader) -> Result<Option<PersonId>, QueryError> {
        let Reader::Token(actor) = reader else { return Ok(None) };
        let (_, person) =
            self.with_projection(AsOf::Latest, |projection| projection.facts().person_of_actor(&actor.id).cloned())?;
        Ok(person)
    }

    /// Checks every basis against the events after it, up to event `to`: made once and then kept
    /// (`BasisChecks`), since they read nothing but the chain up to `to`.
    fn check_bases_up_to(&self, bases: &[Basis], to: u64) -> Result<Vec<BasisCheck>, QueryError> {
        let Some(first) = bases.iter().map(|basis| basis.read_seq).min() else { return Ok(Vec::new()) };
        if let Some(checks) = self.basis_checks().get(bases, to) {
            return Ok(checks);
        }
        let first = first.min(to);
        let (_, start) = self.with_projection(AsOf::Seq(first), Projection::clone)?;
        let events = read_recorded(self, first + 1, to)?;
        let checks = check_bases(&start, &events, bases)
            .map_err(|e| QueryError::Service(ServiceError::Failure(e.to_string())))?;
        self.basis_checks().keep(bases, to, &checks);
        Ok(checks)
    }
}

/// Basis checks already made, by the bases checked and the event they were checked up to. Checking
/// folds every event after the earliest basis and ranks the view again after each one that may move
/// it, so a page and the API answer asking the same question, or a reader paging back and forth, would
/// otherwise each pay for it. A check reads only the chain up to its event, which never changes: a
/// kept one is right for as long as it is kept, and no write makes it stale (a question about a newer
/// head is another key). At most `BASIS_CHECKS_KEPT_MAX` are kept; when full, all are let go.
#[derive(Default)]
pub(super) struct BasisChecks(Mutex<HashMap<BasesUpTo, Vec<BasisCheck>>>);

/// The bases checked, in order, and the event they were checked up to.
type BasesUpTo = (Vec<Basis>, u64);

impl BasisChecks {
    fn get(&self, bases: &[Basis], to: u64) -> Option<Vec<BasisCheck>> {
        self.0.lock().expect("basis checks lock").get(&(bases.to_vec(), to)).cloned()
    }

    fn keep(&self, bases: &[Basis], to: u64, checks: &[BasisCheck]) {
        let mut kept = self.0.lock().expect("basis checks lock");
        if kept.len() >= BASIS_CHECKS_KEPT_MAX {
            kept.clear();
        }
        kept.insert((bases.to_vec(), to), checks.to_vec());
    }
}

/// The unit a use is about: the unit itself, or the county whose individual ranking it names.
fn subject_unit(used: &ResultUseFacts) -> &UnitCode {
    match (&used.recorded.subject, &used.recorded.view) {
        (ResultSubject::Unit { unit }, _) => unit,
        (ResultSubject::Person { .. }, ResultView::IndividualRanking { unit, .. }) => unit,
        (ResultSubject::Person { .. }, ResultView::Ranking { .. }) => &used.recorded.committee,
    }
}

/// Events `from..=to`, decoded.
fn read_recorded(read_models: &ReadModels, from: u64, to: u64) -> Result<Vec<Recorded>, QueryError> {
    let mut events = Vec::new();
    if from > to {
        return Ok(events);
    }
    let decode = |seq: u64, record: crate::chain::Record<'_>| {
        crate::chain::decode(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()))
    };
    read_models.ledger().for_each_decoded(from, to, decode, |recorded| {
        events.push(recorded);
        Ok(())
    })?;
    Ok(events)
}

// ---- Personal texts on the way out ---------------------------------------------------------------

/// The name of a listed person, opened or erased.
fn reveal_listing(keys: &PersonKeys, listing: &mut PersonListing) {
    listing.erased |= keys.is_erased(&listing.person);
    keys.reveal(&listing.person, TextField::PersonName, &mut listing.name, listing.erased);
}

/// A scorecard's name and its reviews' comments, opened or erased.
fn reveal_scorecard(keys: &PersonKeys, card: &mut PersonalScorecard) {
    card.erased |= keys.is_erased(&card.person);
    keys.reveal(&card.person, TextField::PersonName, &mut card.name, card.erased);
    for quarter in &mut card.quarters {
        reveal_reviews(keys, &card.person, &mut quarter.reviews, card.erased);
    }
}

/// Reviews' comments about `person`, opened or erased.
fn reveal_reviews(keys: &PersonKeys, person: &PersonId, reviews: &mut [ReviewLine], erased: bool) {
    for review in reviews {
        keys.reveal(person, TextField::ReviewComment, &mut review.comment, erased);
    }
}

/// Every week's text and its comments, opened or erased.
fn reveal_weekly_records(keys: &PersonKeys, records: &mut WeeklyRecords) {
    records.erased |= keys.is_erased(&records.person);
    let (person, erased) = (&records.person, records.erased);
    for week in &mut records.weeks {
        if let Some(text) = &mut week.text {
            keys.reveal(person, TextField::WeeklyRecordText, text, erased);
        }
        for comment in &mut week.comments {
            keys.reveal(person, TextField::WeeklyRecordComment, &mut comment.comment, erased);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Points;
    use crate::projection::personal::ViewStanding;

    fn basis(unit: &str, read_seq: u64) -> Basis {
        Basis {
            subject: ResultSubject::Unit { unit: UnitCode::new(unit).unwrap() },
            view: ResultView::IndividualRanking { unit: UnitCode::new("YS07").unwrap(), year: 2016 },
            read_seq,
        }
    }

    fn check(rank: u32) -> BasisCheck {
        let standing = ViewStanding { rank, tier: 1, score: Points(9_000) };
        BasisCheck {
            at_read: Some(standing),
            now: Some(standing),
            basis_changed: false,
            holds_now: true,
            changes: vec![],
        }
    }

    /// A kept check answers exactly the question it was made for: the same bases, in the same order,
    /// up to the same event. Anything else is asked again.
    #[test]
    fn a_kept_basis_check_answers_only_its_own_bases_up_to_its_own_event() {
        let kept = BasisChecks::default();
        let bases = [basis("YS01", 10), basis("YS02", 12)];
        assert_eq!(kept.get(&bases, 40), None);
        kept.keep(&bases, 40, &[check(1), check(2)]);
        assert_eq!(kept.get(&bases, 40), Some(vec![check(1), check(2)]));
        assert_eq!(kept.get(&bases, 41), None, "up to another event");
        assert_eq!(kept.get(&bases[..1], 40), None, "fewer bases");
        assert_eq!(kept.get(&[bases[1].clone(), bases[0].clone()], 40), None, "in another order");
        assert_eq!(kept.get(&[basis("YS01", 11), basis("YS02", 12)], 40), None, "read elsewhere");
    }

    /// The room is bounded: once `BASIS_CHECKS_KEPT_MAX` are kept, the next one lets the others go.
    #[test]
    fn basis_checks_kept_are_bounded() {
        let kept = BasisChecks::default();
        let bases = [basis("YS01", 1)];
        for to in 0..BASIS_CHECKS_KEPT_MAX as u64 {
            kept.keep(&bases, to, &[check(1)]);
        }
        assert!(kept.get(&bases, 0).is_some());
        kept.keep(&bases, 1_000, &[check(3)]);
        assert_eq!(kept.get(&bases, 0), None);
        assert_eq!(kept.get(&bases, 1_000), Some(vec![check(3)]));
        assert_eq!(kept.0.lock().unwrap().len(), 1);
    }
}
