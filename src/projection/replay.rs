//! Replay: answering any query as the ledger stood at a sequence number or an instant, and the
//! ranking diff between two such points, explained event by event.
//!
//! Invariant: the projection as of event n is the fold of events 1..=n, nothing more; as of an
//! instant it is the fold of every event recorded on or before it (recorded times never decrease
//! along the chain). `Replay` keeps in-memory snapshots every `snapshot_interval_events` events only
//! to start its folds nearer; the answer is the same as folding from the start.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::{Event, PeriodId, Points, SchemeId, Timestamp, UnitCode};

use super::ranking::{PeerGroup, Ranking, Standing};
use super::{ApplyError, Counting, Projection};
use crate::domain::{EventRef, Recorded};

/// A point of the chain to answer "as of".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum AsOf {
    Latest,
    /// After event `seq` (0: before the first).
    Seq(u64),
    /// After the last event recorded on or before the instant.
    Instant(Timestamp),
    /// At the end of a civil day (`YYYY-MM-DD`) in the ledger's time zone: after the last event
    /// recorded on or before its last microsecond.
    EndOfDay {
        year: i32,
        month: u8,
        day: u8,
    },
}

impl AsOf {
    /// The instant this point stands for in a ledger whose zone is `time_zone`, if it is a time.
    pub fn instant(self, time_zone: crate::domain::timestamp::UtcOffset) -> Option<Timestamp> {
        match self {
            AsOf::Instant(instant) => Some(instant),
            AsOf::EndOfDay { year, month, day } => time_zone.end_of_day((year, month, day)),
            AsOf::Latest | AsOf::Seq(_) => None,
        }
    }
}

/// How many of `events` (a chain prefix from seq 1, in order) were recorded on or before `instant`.
pub fn seq_at_instant(events: &[Recorded], instant: Timestamp) -> u64 {
    let count = events.partition_point(|event| event.recorded_at <= instant);
    events.get(count.wrapping_sub(1)).map_or(0, |event| event.seq)
}

/// The projection as of event `seq`: the fold of the first `seq` events of the chain.
pub fn as_of_seq(events: &[Recorded], seq: u64) -> Result<Projection, ApplyError> {
    Projection::fold(events.iter().take_while(|event| event.seq <= seq))
}

/// The projection as of `instant`.
pub fn as_of_instant(events: &[Recorded], instant: Timestamp) -> Result<Projection, ApplyError> {
    as_of_seq(events, seq_at_instant(events, instant))
}

/// The chain folded so far, the current projection, and snapshots to start as-of folds from.
#[derive(Clone, Debug)]
pub struct Replay {
    events: Vec<Recorded>,
    snapshots: Vec<Projection>,
    snapshot_interval_events: u64,
    current: Projection,
}

impl Replay {
    pub fn new(snapshot_interval_events: u64) -> Replay {
        Replay {
            events: Vec::new(),
            snapshots: vec![Projection::new()],
            snapshot_interval_events: snapshot_interval_events.max(1),
            current: Projection::new(),
        }
    }

    pub fn from_events(events: Vec<Recorded>, snapshot_interval_events: u64) -> Result<Replay, ApplyError> {
        let mut replay = Replay::new(snapshot_interval_events);
        events.into_iter().try_for_each(|event| replay.push(event))?;
        Ok(replay)
    }

    /// Folds the next event of the chain into the current projection.
    pub fn push(&mut self, event: Recorded) -> Result<(), ApplyError> {
        self.current.apply(&event)?;
        self.events.push(event);
        if self.current.seq().is_multiple_of(self.snapshot_interval_events) {
            self.snapshots.push(self.current.clone());
        }
        Ok(())
    }

    pub fn current(&self) -> &Projection {
        &self.current
    }

    pub fn events(&self) -> &[Recorded] {
        &self.events
    }

    /// The sequence number an as-of point stands for (never past the last event).
    pub fn seq_of(&self, as_of: AsOf) -> u64 {
        match as_of {
            AsOf::Latest => self.current.seq(),
            AsOf::Seq(seq) => seq.min(self.current.seq()),
            AsOf::Instant(_) | AsOf::EndOfDay { .. } => {
                let instant = as_of.instant(self.current.facts().time_zone()).unwrap_or(Timestamp::UNIX_EPOCH);
                seq_at_instant(&self.events, instant)
            }
        }
    }

    /// The events after `from` up to and including `to`.
    pub fn events_between(&self, from: u64, to: u64) -> &[Recorded] {
        let start = usize::try_from(from.min(to)).unwrap_or(usize::MAX).min(self.events.len());
        let end = usize::try_from(to).unwrap_or(usize::MAX).min(self.events.len());
        &self.events[start..end.max(start)]
    }

    /// The projection as of `as_of`: the nearest snapshot at or before it, plus the events after.
    pub fn as_of(&self, as_of: AsOf) -> Projection {
        let seq = self.seq_of(as_of);
        if seq == self.current.seq() {
            return self.current.clone();
        }
        let index = usize::try_from(seq / self.snapshot_interval_events).unwrap_or(usize::MAX);
        let mut projection = self.snapshots[index.min(self.snapshots.len() - 1)].clone();
        let tail = self.events_between(projection.seq(), seq);
        projection.apply_all(tail).expect("events already folded once fold again");
        projection
    }

    /// Which units of `group` changed score, rank or tier for `period` between two points (taken in
    /// chain order, whichever is given first), and the events between them that moved their scores;
    /// from published figures.
    pub fn ranking_diff(&self, group: &PeerGroup, period: PeriodId, from: AsOf, to: AsOf) -> RankingDiff {
        self.ranking_diff_with(group, period, from, to, Counting::Published)
    }

    /// As `ranking_diff`, counting the base periods `counting` counts at each point.
    pub fn ranking_diff_with(
        &self,
        group: &PeerGroup,
        period: PeriodId,
        from: AsOf,
        to: AsOf,
        counting: Counting,
    ) -> RankingDiff {
        let (first, second) = (self.seq_of(from), self.seq_of(to));
        let (earlier, later) = (first.min(second), first.max(second));
        let before = self.as_of(AsOf::Seq(earlier));
        ranking_diff(&before, self.events_between(earlier, later), group, period, counting)
            .expect("events already folded once fold again")
    }
}

/// The ranking diff of `group` for `period` from `before` over the events `between`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankingDiff {
    pub group: PeerGroup,
    pub period: PeriodId,
    pub from_seq: u64,
    pub to_seq: u64,
    pub before: Option<Ranking>,
    pub after: Option<Ranking>,
    /// Units whose score, rank, tier or ranked status changed, or whose score an event between the two
    /// points moved (even if a later one moved it back), by code.
    pub changes: Vec<RankChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankChange {
    pub unit: UnitCode,
    pub before: Option<Standing>,
    pub after: Option<Standing>,
    /// The events in between that changed this unit's final score or veto for the period.
    pub moves: Vec<ScoreMove>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreMove {
    pub event: EventRef,
    pub final_before: Option<Points>,
    pub final_after: Option<Points>,
    pub veto_before: bool,
    pub veto_after: bool,
}

/// Folds `between` onto a copy of `before`, noting for every event the group members whose final
/// score or veto for `period` it changed; then compares the two rankings. Both count the base periods
/// `counting` counts, as they stood at each point.
pub fn ranking_diff(
    before: &Projection,
    between: &[Recorded],
    group: &PeerGroup,
    period: PeriodId,
    counting: Counting,
) -> Result<RankingDiff, ApplyError> {
    let mut working = before.clone();
    let mut moves: Vec<(UnitCode, ScoreMove)> = Vec::new();
    let score = |projection: &Projection, unit: &UnitCode| {
        projection
            .standing_score(unit, period, counting, Some(&group.scheme))
            .map(|score| (score.final_score, score.veto))
    };
    for event in between {
        let touched = touched_members(&working, event, group, period);
        let mut scores_before: BTreeMap<UnitCode, Option<(Points, bool)>> =
            touched.into_iter().map(|unit| (unit.clone(), score(&working, &unit))).collect();
        working.apply(event)?;
        // A unit that joins the group with this event had no score before it.
        for unit in touched_members(&working, event, group, period) {
            scores_before.entry(unit).or_insert(None);
        }
        for (unit, score_before) in scores_before {
            let score_after = score(&working, &unit);
            if score_before != score_after {
                moves.push((unit, score_move(event, score_before, score_after)));
            }
        }
    }
    let ranking_before = before.ranking_with(group, period, counting);
    let ranking_after = working.ranking_with(group, period, counting);
    let changes = rank_changes(ranking_before.as_ref(), ranking_after.as_ref(), moves);
    Ok(RankingDiff {
        group: group.clone(),
        period,
        from_seq: before.seq(),
        to_seq: working.seq(),
        before: ranking_before,
        after: ranking_after,
        changes,
    })
}

fn score_move(event: &Recorded, before: Option<(Points, bool)>, after: Option<(Points, bool)>) -> ScoreMove {
    ScoreMove {
        event: event.event_ref(),
        final_before: before.map(|(score, _)| score),
        final_after: after.map(|(score, _)| score),
        veto_before: before.is_some_and(|(_, veto)| veto),
        veto_after: after.is_some_and(|(_, veto)| veto),
    }
}

fn rank_changes(
    before: Option<&Ranking>,
    after: Option<&Ranking>,
    moves: Vec<(UnitCode, ScoreMove)>,
) -> Vec<RankChange> {
    let standing =
        |ranking: Option<&Ranking>, unit: &UnitCode| ranking.and_then(|ranking| ranking.standing(unit)).cloned();
    let mut units: BTreeSet<UnitCode> = BTreeSet::new();
    for ranking in before.into_iter().chain(after) {
        units.extend(ranking.standings.iter().map(|standing| standing.unit.clone()));
        units.extend(ranking.unranked.iter().cloned());
    }
    units.extend(moves.iter().map(|(unit, _)| unit.clone()));
    let key = |standing: &Option<Standing>| {
        standing.as_ref().map(|standing| (standing.rank, standing.tier, standing.final_score, standing.veto))
    };
    units
        .into_iter()
        .filter_map(|unit| {
            let (was, is) = (standing(before, &unit), standing(after, &unit));
            let unit_moves: Vec<ScoreMove> =
                moves.iter().filter(|(moved, _)| *moved == unit).map(|(_, score_move)| score_move.clone()).collect();
            if key(&was) == key(&is) && unit_moves.is_empty() {
                return None;
            }
            Some(RankChange { moves: unit_moves, unit, before: was, after: is })
        })
        .collect()
}

/// What an event is about, for deciding whose scores it may move.
enum Reach<'a> {
    Nobody,
    Everyone(&'a SchemeId),
    EveryoneEverywhere,
    /// A unit (and its sections) in one scheme, for one base period (`None`: every period).
    Unit(&'a SchemeId, Option<PeriodId>, &'a UnitCode),
}

fn reach(event: &Event) -> Reach<'_> {
    match event {
        Event::UnitRegistered(_) | Event::UnitRenamed(_) | Event::UnitRetired(_) => Reach::EveryoneEverywhere,
        Event::PersonRegistered(_) | Event::PersonMoved(_) | Event::PersonRetired(_) => Reach::Nobody,
        Event::SchemeOpened(e) => Reach::Everyone(&e.scheme),
        Event::IndicatorDefined(e) => Reach::Everyone(&e.scheme),
        Event::IndicatorRevised(e) => Reach::Everyone(&e.scheme),
        Event::IndicatorRetired(e) => Reach::Everyone(&e.scheme),
        Event::IndicatorTakenOver(e) => Reach::Everyone(&e.scheme),
        Event::PeriodOpened(e) => Reach::Everyone(&e.scheme),
        // Publishing makes a base period count in roll-ups; finalising and reopening leave it counted.
        Event::ResultsPublished(e) => Reach::Everyone(&e.scheme),
        Event::PeriodFinalised(_) | Event::PeriodReopened(_) => Reach::Nobody,
        Event::IndicatorAssigned(e) => Reach::Unit(&e.scheme, None, &e.unit),
        Event::IndicatorMarkedNotApplicable(e) => Reach::Unit(&e.scheme, None, &e.unit),
        Event::TierAwarded(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::DeductionRecorded(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::DeductionWithdrawn(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::BonusAwarded(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::VetoApplied(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::CauseAttributed(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::RectificationRecorded(_) => Reach::Nobody,
        Event::AppealFiled(_) | Event::AppealEscalated(_) => Reach::Nobody,
        Event::AppealDecided(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::AppealWithdrawn(e) => Reach::Unit(&e.scheme, Some(e.period), &e.unit),
        Event::AccessGranted(_) | Event::AccessRevoked(_) | Event::TimeZoneSet(_) | Event::SigningKeyRotated(_) => {
            Reach::Nobody
        }
        // Individuals and the use of results move no unit's score.
        Event::PersonalIndicatorDefined(_)
        | Event::PersonalIndicatorAssessed(_)
        | Event::PersonalRulesSet(_)
        | Event::WeeklyRecordFiled(_)
        | Event::WeeklyRecordCommented(_)
        | Event::PersonReviewed(_)
        | Event::GradeRecorded(_)
        | Event::ResultUseRecorded(_) => Reach::Nobody,
        // A type the domain adds later is assumed to reach everyone until it is given a reach: slower
        // diffs, never a missed move.
        #[allow(unreachable_patterns)]
        _ => Reach::EveryoneEverywhere,
    }
}

/// The group members whose score for `period` the event may change. A county's own scheme reads its
/// city's: the city's facts about the county move its sections there too.
fn touched_members(projection: &Projection, event: &Recorded, group: &PeerGroup, period: PeriodId) -> Vec<UnitCode> {
    let members = || projection.peer_group_members(group);
    let facts = projection.facts();
    let group_scheme = facts.schemes.get(&group.scheme);
    let read_by_group = |scheme: &SchemeId| {
        *scheme == group.scheme || group_scheme.and_then(|record| record.reads.as_ref()) == Some(scheme)
    };
    match reach(&event.event) {
        Reach::Nobody => Vec::new(),
        Reach::EveryoneEverywhere => members(),
        Reach::Everyone(scheme) if read_by_group(scheme) => members(),
        Reach::Everyone(_) => Vec::new(),
        Reach::Unit(scheme, base, unit) => {
            let in_period = base.is_none_or(|base| period.contains(base));
            if !read_by_group(scheme) || !in_period {
                return Vec::new();
            }
            // The first fact recorded in an open base period gives it results: every member may move.
            let first_results = base.is_some_and(|base| group_scheme.is_some_and(|record| !record.has_results(base)));
            if first_results {
                return members();
            }
            let related = |member: &UnitCode| member == unit || facts.parent_of(member) == Some(unit);
            members().into_iter().filter(related).collect()
        }
    }
}
