//! `Facts`: the one model of what the ledger says. `decide` consults it and the projections compute
//! every score, rank and trace from it, so what the domain allows is exactly what scoring counts.
//! Each fact carries the `EventRef` of every event that shaped it, so anything computed from the
//! facts can be cited; `Facts::apply` (in `fold`) folds one recorded event into them.
//!
//! Invariant: the facts are a pure function of the events folded, in order. No score is stored —
//! scores are computed on demand — and every type here is serialisable, so a snapshot of a projection
//! is the facts themselves.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::appeal::{AppealStage, AppealTarget, AppealVerdict};
use super::context::Role;
use super::date::Date;
use super::event::{
    AppealFiled, BonusAwarded, DeductionRecorded, IndicatorAssigned, IndicatorDefined, IndicatorRevised, SchemeOpened,
    TierAwarded, VetoApplied,
};
use super::ids::{
    AppealId, DeductionId, EventId, EvidenceDigest, FunctionCode, IndicatorCode, PersonId, SchemeId, TierAwardId,
    TokenHash, UnitCode,
};
use super::organisation::UnitLevel;
use super::own_scheme::TakenOver;
use super::period::PeriodId;
use super::person::{Memberships, PeopleFacts};
use super::points::Points;
use super::recorded::EventRef;
use super::scheme::{IndicatorMethod, TierStandard};
use super::timestamp::UtcOffset;
use super::Timestamp;

use crate::limits::UNIT_DEPTH_MAX;

/// The facts' maps and sets are persistent B+trees: a clone shares every node with the original until
/// one of them changes it (then only the path to the change is copied). So the decider and the read
/// models open from one copy, an as-of checkpoint costs what changed after it, and cloning the facts
/// of a long ledger costs nothing.
pub type Map<K, V> = imbl::OrdMap<K, V>;
/// See `Map`.
pub type Set<K> = imbl::OrdSet<K>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub units: Map<UnitCode, UnitFacts>,
    /// Units by parent, so "the sections of a county" and "the counties of a city" are a look-up.
    pub children: Map<UnitCode, Set<UnitCode>>,
    /// Each behind its own pointer: a map node copied on a write (a fold into a shared copy, a
    /// checkpoint) copies pointers, not a million persons' texts, and a node half full of persons
    /// holds pointers in its empty slots, not empty persons.
    #[serde(deserialize_with = "deserialize_packed")]
    pub persons: Map<PersonId, Arc<PersonFacts>>,
    pub schemes: Map<SchemeId, SchemeFacts>,
    #[serde(deserialize_with = "deserialize_packed")]
    pub deductions: Map<DeductionId, DeductionFacts>,
    #[serde(deserialize_with = "deserialize_packed")]
    pub tier_awards: Map<TierAwardId, TierAwardFacts>,
    #[serde(deserialize_with = "deserialize_packed")]
    pub appeals: Map<AppealId, AppealFacts>,
    /// Every token hash ever granted, revoked ones included: a hash is granted once ever.
    pub access_grants: Map<TokenHash, AccessRecord>,
    /// Ids given to deductions, awards, bonuses, vetoes and appeals: an injected id is used once.
    pub fact_ids: Set<uuid::Uuid>,
    /// The ledger's recorded time zone, if any (`time_zone()` gives the one in force).
    pub time_zone: Option<UtcOffset>,
    /// Individual assessment and the use of results (`person`).
    #[serde(default)]
    pub people: PeopleFacts,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFacts {
    pub name: String,
    pub level: UnitLevel,
    pub parent: Option<UnitCode>,
    pub function_code: Option<FunctionCode>,
    pub retired: bool,
}

/// Serialises a struct with named fields in a human-readable format (JSON: as `derive` would) and as
/// a plain array of its fields, in declaration order, in a binary one (projection snapshots), where a
/// million persons would otherwise each carry every field's name; the derived `Deserialize` reads
/// both forms. Only for structs with no `skip_serializing_if` field, so every position is written.
macro_rules! serialize_as_array_when_binary {
    ($type:ident { $($field:ident),+ $(,)? }) => {
        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::{SerializeStruct, SerializeTuple};
                const FIELDS: usize = [$(stringify!($field)),+].len();
                if serializer.is_human_readable() {
                    let mut fields = serializer.serialize_struct(stringify!($type), FIELDS)?;
                    $(fields.serialize_field(stringify!($field), &self.$field)?;)+
                    fields.end()
                } else {
                    let mut fields = serializer.serialize_tuple(FIELDS)?;
                    $(fields.serialize_element(&self.$field)?;)+
                    fields.end()
                }
            }
        }
    };
}
pub(crate) use serialize_as_array_when_binary;

/// Reads a map written in key order (as every `Map` is written) into full leaves: for the maps that
/// grow long (persons, and deductions, awards and appeals, whose ids are time-ordered). imbl splits a
/// full leaf at its median, so keys inserted in order leave every leaf half full: a million persons'
/// map read from a snapshot took about 80 bytes a person where 40 hold it. Every other key is inserted
/// first (half-full leaves, each spanning twice its keys), then the keys between, which fill each
/// leaf to the brim without splitting it. Only the keys between wait in a list: reading every entry
/// into one first left its memory resident after a server's start (the thread that reads the
/// snapshot ahead ends, and the allocator kept what it had freed), which cost the saving back.
/// Keys not in strictly increasing order are inserted as they come, so the map is the same either way.
fn deserialize_packed<'de, D, K, V>(deserializer: D) -> Result<Map<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Deserialize<'de> + Ord + Clone,
    V: Deserialize<'de> + Clone,
{
    struct Packed<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K: Deserialize<'de> + Ord + Clone, V: Deserialize<'de> + Clone> serde::de::Visitor<'de> for Packed<K, V> {
        type Value = Map<K, V>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<Map<K, V>, A::Error> {
            let mut packing = Packing::default();
            while let Some((key, value)) = entries.next_entry()? {
                packing.push(key, value);
            }
            Ok(packing.finish())
        }
    }
    deserializer.deserialize_map(Packed(std::marker::PhantomData))
}

/// A map built from entries as they are read (see `deserialize_packed`): every other one goes in at
/// once, the ones between wait (half the entries, never all of them) and go in at the end.
struct Packing<K, V> {
    map: Map<K, V>,
    between: Vec<(K, V)>,
    /// Whether the keys read so far came in strictly increasing order.
    in_order: bool,
    read: usize,
}

impl<K: Ord + Clone, V: Clone> Default for Packing<K, V> {
    fn default() -> Packing<K, V> {
        Packing { map: Map::new(), between: Vec::new(), in_order: true, read: 0 }
    }
}

impl<K: Ord + Clone, V: Clone> Packing<K, V> {
    /// `map` with `entries` put in, read in the order given.
    fn onto(map: Map<K, V>, entries: impl IntoIterator<Item = (K, V)>) -> Map<K, V> {
        let mut packing = Packing { map, ..Packing::default() };
        entries.into_iter().for_each(|(key, value)| packing.push(key, value));
        packing.finish()
    }

    fn push(&mut self, key: K, value: V) {
        if self.in_order {
            let last = match self.between.last() {
                Some((last, _)) if self.read.is_multiple_of(2) => Some(last),
                _ => self.map.get_max().map(|(last, _)| last),
            };
            self.in_order = last.is_none_or(|last| *last < key);
            if !self.in_order {
                // Out of order: what waited goes in first, and the rest in the order read.
                self.map.extend(std::mem::take(&mut self.between));
            }
        }
        self.read += 1;
        if self.in_order && self.read.is_multiple_of(2) {
            self.between.push((key, value));
        } else {
            self.map.insert(key, value);
        }
    }

    fn finish(mut self) -> Map<K, V> {
        self.map.extend(self.between);
        self.map
    }
}

impl Facts {
    /// Puts the entries of the maps that grow long (those read with `deserialize_packed`) whose keys
    /// come after every key `earlier` holds — what a fold appended since `earlier` — back into full
    /// leaves, as a snapshot is read. Folding keys in increasing order (person numbers, time-ordered
    /// ids) leaves every leaf half full; a fold calls this where it keeps a checkpoint, so the
    /// lineage of facts kept for as-of reads is as compact as the facts read from a snapshot. The
    /// facts are the same facts after; only where their entries live changes.
    pub fn repack_appended(&mut self, earlier: &Facts) {
        repack_after(&mut self.persons, &earlier.persons);
        repack_after(&mut self.deductions, &earlier.deductions);
        repack_after(&mut self.tier_awards, &earlier.tier_awards);
        repack_after(&mut self.appeals, &earlier.appeals);
    }
}

/// Re-inserts the entries of `map` after the greatest key of `earlier` through `Packing`. Fewer than
/// a few leaves' worth are left as they are: packing them gains nothing worth the work.
fn repack_after<K: Ord + Clone, V: Clone>(map: &mut Map<K, V>, earlier: &Map<K, V>) {
    const LEAST: usize = 64;
    use std::ops::Bound;
    let after: (Bound<&K>, Bound<&K>) = match earlier.get_max() {
        Some((last, _)) => (Bound::Excluded(last), Bound::Unbounded),
        None => (Bound::Unbounded, Bound::Unbounded),
    };
    let appended: Vec<(K, V)> = map.range::<_, K>(after).map(|(key, value)| (key.clone(), value.clone())).collect();
    if appended.len() < LEAST {
        return;
    }
    appended.iter().for_each(|(key, _)| {
        map.remove(key);
    });
    *map = Packing::onto(std::mem::take(map), appended);
}

/// The map of `entries`, read in the order given, in full leaves when the keys come in increasing
/// order (as `deserialize_packed` reads a map): for a reader that decodes a long map in pieces
/// (a snapshot's persons, `projection::snapshot`).
pub fn packed<K: Ord + Clone, V: Clone>(entries: impl IntoIterator<Item = (K, V)>) -> Map<K, V> {
    Packing::onto(Map::new(), entries)
}

/// A person as the facts hold a million of them: nothing kept twice (the unit they are in is their
/// latest stretch's, and they are retired when they have a day they retired on).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PersonFacts {
    /// As the registration stored it: plain (version 1) or sealed under the person's key (version 2).
    pub name: crate::domain::personal_text::PersonalText,
    /// Where the person belonged from which day: the registration, then every move.
    pub memberships: Memberships,
    /// The day the person retired (the last day they count anywhere).
    #[serde(default)]
    pub retired_on: Option<Date>,
    /// The person's personal information was erased (`PersonErased`): their texts read as erased.
    #[serde(default)]
    pub erased: bool,
}

serialize_as_array_when_binary!(PersonFacts { name, memberships, retired_on, erased });

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeFacts {
    pub settings: SchemeOpened,
    pub indicators: Map<IndicatorCode, IndicatorFacts>,
    pub periods: Map<PeriodId, PeriodFacts>,
    /// Per assessed unit: how it took each indicator over.
    pub plans: Map<UnitCode, Map<IndicatorCode, PlanFacts>>,
    /// Per base period and assessed unit (a county, or a section for direct office deductions).
    pub assessments: Map<PeriodId, Map<UnitCode, AssessmentFacts>>,
    /// For a county's own scheme: the scheme of its city for the same year, whose base periods it uses
    /// and whose facts score its taken-over indicators (`own_scheme`). `None` for every other scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<SchemeId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorFacts {
    pub defined: IndicatorDefined,
    /// In the order recorded.
    pub revisions: Vec<RevisionFacts>,
    pub retired_from: Option<PeriodId>,
    /// In a county's own scheme: the city indicator this one takes over (`defined` then holds what the
    /// take-over set; the city's facts score it). `None` for an indicator defined in the scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_over: Option<TakenOver>,
}

/// A revision, with its new tiers already wrapped as a method so versions can borrow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionFacts {
    pub revised: IndicatorRevised,
    pub tiered_method: Option<IndicatorMethod>,
}

/// What an indicator is in one base period, after the revisions effective by then (borrowed, so
/// scoring a whole peer group allocates nothing per indicator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndicatorVersion<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub points_max: Points,
    pub method: &'a IndicatorMethod,
}

impl IndicatorFacts {
    /// Revisions apply in order of `effective_from`, later-recorded last: for each field, the revision
    /// with the greatest (effective_from, position) that sets it wins.
    pub fn version_at(&self, period: PeriodId) -> IndicatorVersion<'_> {
        let mut version = IndicatorVersion {
            name: &self.defined.name,
            description: &self.defined.description,
            points_max: self.defined.points_max,
            method: &self.defined.method,
        };
        let effective = self.revisions.iter().filter(|revision| revision.revised.effective_from <= period);
        let (mut name_from, mut description_from, mut points_from, mut tiers_from) = (None, None, None, None);
        for revision in effective {
            let key = Some(revision.revised.effective_from);
            if let Some(name) = revision.revised.name.as_deref().filter(|_| key >= name_from) {
                name_from = key;
                version.name = name;
            }
            if let Some(description) = revision.revised.description.as_deref().filter(|_| key >= description_from) {
                description_from = key;
                version.description = description;
            }
            if let Some(points_max) = revision.revised.points_max.filter(|_| key >= points_from) {
                points_from = key;
                version.points_max = points_max;
            }
            if let Some(tiers) = revision.tiered_method.as_ref().filter(|_| key >= tiers_from) {
                tiers_from = key;
                version.method = tiers;
            }
        }
        version
    }

    pub fn is_retired_at(&self, period: PeriodId) -> bool {
        self.retired_from.is_some_and(|retired_from| retired_from <= period)
    }
}

impl IndicatorVersion<'_> {
    pub fn is_tiered(&self) -> bool {
        self.method.is_tiered()
    }

    pub fn tiers(&self) -> Option<&[TierStandard]> {
        match self.method {
            IndicatorMethod::Tiered { tiers } => Some(tiers),
            IndicatorMethod::Deduct => None,
        }
    }

    /// Points a tier scores: its share of `points_max`, half-up; `None` for no such tier.
    pub fn tier_points(&self, tier: u32) -> Option<Points> {
        let index = usize::try_from(tier).ok()?.checked_sub(1)?;
        self.tiers()?.get(index).map(|standard| self.points_max.share(standard.share_per_mille))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacts {
    /// Every assignment, in the order recorded. Each takes effect from its `effective_from`: in a
    /// base period the latest recorded of those in effect by then names the lead section, so a later
    /// assignment changes the plan from its own period on and never the periods before it.
    pub assignments: Vec<IndicatorAssigned>,
    pub not_applicable_from: Option<PeriodId>,
}

impl PlanFacts {
    /// The assignment in force in `period`: the latest recorded of those effective by then.
    pub fn assignment_at(&self, period: PeriodId) -> Option<&IndicatorAssigned> {
        self.assignments.iter().rev().find(|assignment| assignment.effective_from <= period)
    }

    /// The lead section in `period`, if the indicator is assigned by then.
    pub fn lead_section_at(&self, period: PeriodId) -> Option<&UnitCode> {
        self.assignment_at(period).map(|assignment| &assignment.lead_section)
    }

    /// Whether the unit assigned the indicator, but only from a period after `period`: it does not
    /// carry it yet.
    pub fn assigned_only_later(&self, period: PeriodId) -> bool {
        !self.assignments.is_empty() && self.assignment_at(period).is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    Open,
    Published,
    Final,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodFacts {
    pub status: PeriodStatus,
    pub opened: EventRef,
    pub published_at: Option<Timestamp>,
    pub objection_window_closes_at: Option<Timestamp>,
    /// In a county's own scheme: something was recorded about the county (or a section of it) in the
    /// city's scheme in this period, so the month has results here too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub city_results: bool,
}

/// Everything assessed about one unit in one base period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentFacts {
    /// Deductions by indicator, in the order recorded.
    pub deductions: Map<IndicatorCode, Vec<DeductionId>>,
    /// The award that counts for each indicator: the latest.
    pub tier_awards: Map<IndicatorCode, TierAwardId>,
    pub bonuses: Vec<BonusFacts>,
    pub vetoes: Vec<VetoFacts>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BonusFacts {
    pub awarded: BonusAwarded,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VetoFacts {
    pub applied: VetoApplied,
    pub event: EventRef,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionFacts {
    pub recorded: DeductionRecorded,
    pub event: EventRef,
    pub withdrawal: Option<Withdrawal>,
    /// Every attribution in order; the latest one decides the charge.
    pub attributions: Vec<Attribution>,
    pub rectifications: Vec<Rectification>,
    pub appeals: Vec<AppealId>,
}

impl DeductionFacts {
    /// The attribution that decides the charge: the latest, unless an appeal against it was upheld
    /// (the charge is then back with the lead section until the office attributes the cause anew).
    pub fn standing_attribution(&self) -> Option<&Attribution> {
        self.attributions.last().filter(|attribution| attribution.overturned_by.is_none())
    }

    /// The unit the standing attribution names, if any.
    pub fn cause_unit(&self) -> Option<&UnitCode> {
        self.standing_attribution().map(|attribution| &attribution.cause_unit)
    }

    /// The attribution recorded by event `event_id`.
    pub fn attribution(&self, event_id: &EventId) -> Option<&Attribution> {
        self.attributions.iter().find(|attribution| &attribution.event.event_id == event_id)
    }

    pub fn is_withdrawn(&self) -> bool {
        self.withdrawal.is_some()
    }

    /// The actor who recorded it.
    pub fn recorded_by(&self) -> &str {
        &self.event.actor_id
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub event: EventRef,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    pub event: EventRef,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    /// Appeals against this attribution by the section it charges, in the order filed.
    pub appeals: Vec<AppealId>,
    /// The committee's decision that upheld such an appeal: the attribution no longer moves the charge.
    pub overturned_by: Option<EventRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    pub event: EventRef,
    pub cause_unit: UnitCode,
    pub description: String,
    pub evidence_digests: Vec<EvidenceDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierAwardFacts {
    pub awarded: TierAwarded,
    pub event: EventRef,
    pub appeals: Vec<AppealId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealFacts {
    pub filed: AppealFiled,
    pub event: EventRef,
    pub decisions: Vec<AppealDecision>,
    pub escalations: Vec<AppealEscalation>,
    pub withdrawal: Option<EventRef>,
    /// Why it was withdrawn, when it was.
    pub withdrawal_reason: Option<String>,
    pub stage: AppealStage,
    /// Filed or escalated, and not yet decided or withdrawn.
    pub awaiting_decision: bool,
    /// What the standing decision restores (an escalated decision replaces the first).
    pub points_restored: Points,
    pub decision_due_at: Timestamp,
    /// Until when the appellant may escalate the standing decision; `None` once it may not.
    pub escalation_window_closes_at: Option<Timestamp>,
}

impl AppealFacts {
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawal.is_some()
    }

    /// The verdict of the standing decision, if any.
    pub fn last_verdict(&self) -> Option<AppealVerdict> {
        self.decisions.last().map(|decision| decision.verdict)
    }

    /// What the first decision restored, once there is one.
    pub fn first_stage_points_restored(&self) -> Option<Points> {
        let first = self.decisions.iter().find(|decision| decision.stage == AppealStage::First);
        first.map(|decision| decision.points_restored)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealDecision {
    pub event: EventRef,
    pub stage: AppealStage,
    pub verdict: AppealVerdict,
    pub points_restored: Points,
    pub reasoning: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    /// Until when this decision could be escalated; `None` when it could not.
    pub escalation_window_closes_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealEscalation {
    pub event: EventRef,
    pub grounds: String,
    pub evidence_digests: Vec<EvidenceDigest>,
    pub decision_due_at: Timestamp,
}

/// One token's access: whom it acts as, from when, and until when. Times and sequence numbers are the
/// envelope's of the grant and of the revocation; `expires_at` is the grant's time plus its
/// `valid_days` whole days of 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub token_hash: TokenHash,
    pub actor_id: String,
    pub role: Role,
    pub unit: UnitCode,
    pub granted_at: Timestamp,
    pub granted_seq: u64,
    /// The first instant the token no longer acts, unless revoked earlier.
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub revoked_seq: Option<u64>,
    /// The person the token speaks for (role `person`, or a `leader` who is one).
    #[serde(default)]
    pub person: Option<PersonId>,
}

impl AccessRecord {
    pub fn is_revoked(&self) -> bool {
        self.revoked_seq.is_some()
    }

    /// Whether the token has expired at `at` (at `expires_at` itself it has).
    pub fn is_expired_at(&self, at: Timestamp) -> bool {
        at >= self.expires_at
    }

    /// Granted at or before `at`, not revoked by then (a revocation at `at` itself has ended it) and
    /// not expired by then.
    pub fn is_active_at(&self, at: Timestamp) -> bool {
        self.granted_at <= at && self.revoked_at.is_none_or(|revoked_at| revoked_at > at) && !self.is_expired_at(at)
    }
}

impl SchemeFacts {
    /// Whether `period` is one of the scheme's base periods (right kind, right year).
    pub fn is_base_period(&self, period: PeriodId) -> bool {
        period.kind() == self.settings.base_period && period.year() == self.settings.year
    }

    /// The opened base periods inside `period`, in order (just `period` for an opened base period).
    pub fn opened_base_periods_in(&self, period: PeriodId) -> Vec<PeriodId> {
        let coarser = period.kind().months() >= self.settings.base_period.months();
        if !coarser || period.year() != self.settings.year {
            return Vec::new();
        }
        self.periods.keys().copied().filter(|base| period.contains(*base)).collect()
    }

    /// Whether an opened base period's results are published (published or final).
    pub fn is_published(&self, period: PeriodId) -> bool {
        self.periods.get(&period).is_some_and(|record| record.status != PeriodStatus::Open)
    }

    /// Whether an opened base period has results to show: it is published, or something has been
    /// assessed in it already (a deduction, tier award, bonus or veto, for any unit). An opened month
    /// with nothing recorded has none: it is not a perfect month.
    pub fn has_results(&self, period: PeriodId) -> bool {
        self.is_published(period)
            || self.periods.get(&period).is_some_and(|record| record.city_results)
            || (self.periods.contains_key(&period)
                && self.assessments.get(&period).is_some_and(|units| !units.is_empty()))
    }

    /// The base periods an answer about `period` counts, in order. A roll-up counts its published
    /// (or final) base periods, and with `include_open` also its open ones that have results; a base
    /// period asked about on its own counts itself once it has results, published or not (an open one
    /// is then shown as provisional).
    pub fn counted_base_periods_in(&self, period: PeriodId, include_open: bool) -> Vec<PeriodId> {
        let asked_alone = self.is_base_period(period);
        let bases = self.opened_base_periods_in(period);
        let counted =
            |base: &PeriodId| self.is_published(*base) || ((include_open || asked_alone) && self.has_results(*base));
        bases.into_iter().filter(counted).collect()
    }

    /// Of `bases`, those still open: what makes an answer provisional.
    pub fn open_among(&self, bases: &[PeriodId]) -> Vec<PeriodId> {
        bases.iter().copied().filter(|base| !self.is_published(*base)).collect()
    }

    /// Whether the indicator applies to an assessed unit in a base period: defined and effective by
    /// then, not retired, carried by the unit from its assignment's period, and not marked not
    /// applicable by then.
    pub fn applies(&self, indicator: &IndicatorFacts, county: &UnitCode, period: PeriodId) -> bool {
        let plan = self.plans.get(county).and_then(|plan| plan.get(&indicator.defined.indicator));
        applies_with_plan(indicator, plan, period)
    }

    /// The section leading an indicator for an assessed unit in a base period, if it was assigned by
    /// then (the assignment in force then: a later reassignment moves no earlier period).
    pub fn lead_section(&self, county: &UnitCode, indicator: &IndicatorCode, period: PeriodId) -> Option<&UnitCode> {
        self.plans.get(county)?.get(indicator)?.lead_section_at(period)
    }

    pub fn assessment(&self, period: PeriodId, unit: &UnitCode) -> Option<&AssessmentFacts> {
        self.assessments.get(&period)?.get(unit)
    }
}

/// Whether an indicator applies in `period`, given the assessed unit's plan entry for it.
pub fn applies_with_plan(indicator: &IndicatorFacts, plan: Option<&PlanFacts>, period: PeriodId) -> bool {
    let effective = indicator.defined.effective_from <= period && !indicator.is_retired_at(period);
    let assigned_later = plan.is_some_and(|entry| entry.assigned_only_later(period));
    let dropped = plan.and_then(|entry| entry.not_applicable_from).is_some_and(|from| from <= period);
    effective && !assigned_later && !dropped
}

impl Facts {
    /// The zone bare dates are read in: the one recorded last, or China Standard Time.
    pub fn time_zone(&self) -> UtcOffset {
        self.time_zone.unwrap_or(UtcOffset::CHINA_STANDARD_TIME)
    }

    /// The access granted to `token_hash` as it stands now, revoked or not; `None` if never granted.
    pub fn access(&self, token_hash: &TokenHash) -> Option<&AccessRecord> {
        self.access_grants.get(token_hash)
    }

    /// The grants that were in force at `at`, in token-hash order.
    pub fn grants_active_at(&self, at: Timestamp) -> impl Iterator<Item = &AccessRecord> {
        self.access_grants.values().filter(move |record| record.is_active_at(at))
    }

    /// Whether `unit` is `scope_root` or lies under it.
    pub fn in_scope(&self, scope_root: &UnitCode, unit: &UnitCode) -> bool {
        let mut current = Some(unit);
        for _ in 0..UNIT_DEPTH_MAX {
            match current {
                Some(code) if code == scope_root => return true,
                Some(code) => current = self.parent_of(code),
                None => return false,
            }
        }
        false
    }

    pub fn active_unit(&self, unit: &UnitCode) -> Option<&UnitFacts> {
        self.units.get(unit).filter(|record| !record.retired)
    }

    pub fn is_section(&self, unit: &UnitCode) -> bool {
        self.units.get(unit).is_some_and(|facts| facts.level.is_section())
    }

    pub fn parent_of(&self, unit: &UnitCode) -> Option<&UnitCode> {
        self.units.get(unit).and_then(|facts| facts.parent.as_ref())
    }

    /// Whether `section` is an active section or branch directly under `unit`: what a new fact may name.
    pub fn is_active_section_of(&self, section: &UnitCode, unit: &UnitCode) -> bool {
        self.active_unit(section)
            .is_some_and(|record| record.level.is_section() && record.parent.as_ref() == Some(unit))
    }

    /// Whether `section` is a section (or branch) registered directly under `county`, retired or not:
    /// what counts when facts recorded earlier are scored (a later retirement rewrites no history).
    pub fn is_section_of(&self, section: &UnitCode, county: &UnitCode) -> bool {
        self.is_section(section) && self.parent_of(section) == Some(county)
    }

    /// The units a scheme assesses directly: the issuer's children that are not sections — or, in a
    /// county's own scheme, the county's sections (and branches). Retired ones included: a rule that
    /// records a fact about a unit refuses a retired one first (`checks::unit`: `unit_retired`).
    pub fn is_assessee_of(&self, scheme: &SchemeFacts, unit: &UnitCode) -> bool {
        let sections = self.is_own_scheme(scheme);
        self.units.get(unit).is_some_and(|record| {
            record.parent.as_ref() == Some(&scheme.settings.issuer) && record.level.is_section() == sections
        })
    }

    /// Active units under `parent` that are sections (`true`) or not (`false`).
    pub fn active_children(&self, parent: &UnitCode, sections: bool) -> impl Iterator<Item = &UnitCode> + '_ {
        let children = self.children.get(parent).into_iter().flatten();
        children.filter(move |code| {
            self.units.get(*code).is_some_and(|facts| !facts.retired && facts.level.is_section() == sections)
        })
    }

    /// The standing restoration of every appeal in `appeals`.
    pub fn points_restored_on(&self, appeals: &[AppealId]) -> Points {
        appeals.iter().filter_map(|id| self.appeals.get(id)).map(|appeal| appeal.points_restored).sum()
    }

    /// A deduction's points less what its standing appeal decisions restored; 0 once withdrawn.
    pub fn effective_points(&self, deduction: &DeductionFacts) -> Points {
        if deduction.is_withdrawn() {
            return Points::ZERO;
        }
        deduction.recorded.points - self.points_restored_on(&deduction.appeals)
    }

    /// Σ effective deductions on one indicator of one unit in one base period of a scheme.
    pub fn deducted_points(
        &self,
        scheme: &SchemeFacts,
        period: PeriodId,
        unit: &UnitCode,
        indicator: &IndicatorCode,
    ) -> Points {
        let ids = scheme.assessment(period, unit).and_then(|assessment| assessment.deductions.get(indicator));
        ids.into_iter()
            .flatten()
            .filter_map(|id| self.deductions.get(id))
            .map(|deduction| self.effective_points(deduction))
            .sum()
    }

    /// The appeal on `appeals` still waiting for a decision, if any.
    pub fn open_appeal<'a>(&'a self, appeals: &[AppealId]) -> Option<&'a AppealFacts> {
        appeals.iter().filter_map(|id| self.appeals.get(id)).find(|appeal| appeal.awaiting_decision)
    }

    /// Whether any appeal in (scheme, period) waits for a decision.
    pub fn has_open_appeals_in(&self, scheme: &SchemeId, period: PeriodId) -> bool {
        self.appeals
            .values()
            .any(|appeal| appeal.awaiting_decision && &appeal.filed.scheme == scheme && appeal.filed.period == period)
    }

    /// The assessment an appeal is against: its recorder's actor id and assessing unit. For a cause
    /// attribution, the office that recorded it and the deducted unit (whose office it is).
    pub fn appeal_target_author(&self, target: &AppealTarget) -> Option<(&str, &UnitCode)> {
        match target {
            AppealTarget::Deduction { deduction_id } => self
                .deductions
                .get(deduction_id)
                .map(|deduction| (deduction.recorded_by(), &deduction.recorded.assessor)),
            AppealTarget::TierAward { tier_award_id } => self
                .tier_awards
                .get(tier_award_id)
                .map(|award| (award.event.actor_id.as_str(), &award.awarded.assessor)),
            AppealTarget::CauseAttribution { deduction_id, attribution_event_id } => {
                let (deduction, attribution) = self.attribution(deduction_id, attribution_event_id)?;
                Some((attribution.event.actor_id.as_str(), &deduction.recorded.unit))
            }
        }
    }

    /// A deduction's attribution recorded by event `event_id`, with the deduction.
    pub fn attribution(
        &self,
        deduction_id: &DeductionId,
        event_id: &EventId,
    ) -> Option<(&DeductionFacts, &Attribution)> {
        let deduction = self.deductions.get(deduction_id)?;
        deduction.attribution(event_id).map(|attribution| (deduction, attribution))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::Membership;

    /// A person's facts as a projection snapshot writes them (an array, no field names) and as JSON
    /// shows them (named); both read back, and so does the named form older snapshots hold.
    #[test]
    fn a_persons_facts_are_an_array_in_a_binary_format_and_named_in_json() {
        let unit = UnitCode::new("YS07").unwrap();
        let from = Date::new(2016, 1, 1).unwrap();
        let person = PersonFacts {
            name: "冯股长".into(),
            memberships: Memberships::registered(Membership { unit, from }),
            retired_on: Date::new(2016, 12, 31),
            erased: false,
        };
        let binary = rmp_serde::to_vec_named(&person).unwrap();
        assert!(!binary.windows(b"memberships".len()).any(|window| window == b"memberships"), "no field names");
        assert_eq!(rmp_serde::from_slice::<PersonFacts>(&binary).unwrap(), person);

        let json = serde_json::to_value(&person).unwrap();
        assert_eq!(json["memberships"][0]["from"], "2016-01-01");
        assert_eq!(json["retired_on"], "2016-12-31");
        assert_eq!(serde_json::from_value::<PersonFacts>(json.clone()).unwrap(), person);
        let named = rmp_serde::to_vec_named(&json).unwrap();
        assert!(named.len() > binary.len());
        assert_eq!(rmp_serde::from_slice::<PersonFacts>(&named).unwrap(), person);
    }

    /// A map read into full leaves is the map written: for every length, in key order or not, with a
    /// repeated key read as the last one (as inserting in order would).
    #[test]
    fn a_map_read_into_full_leaves_is_the_map_written() {
        for length in (0..70).chain([1_000, 4_097]) {
            let entries: Vec<(u32, u32)> = (0..length).map(|key| (key * 3, key)).collect();
            let in_order: Map<u32, u32> = entries.iter().cloned().collect();
            assert_eq!(packed(entries.clone()), in_order, "{length} keys in order");
            let bytes = rmp_serde::to_vec(&in_order).unwrap();
            let mut read = rmp_serde::Deserializer::new(&bytes[..]);
            assert_eq!(deserialize_packed::<_, u32, u32>(&mut read).unwrap(), in_order);
        }
        let shuffled = vec![(5, 'a'), (1, 'b'), (9, 'c'), (1, 'd'), (3, 'e')];
        let in_order: Map<u32, char> = shuffled.iter().cloned().collect();
        assert_eq!(in_order.get(&1), Some(&'d'));
        assert_eq!(packed(shuffled), in_order);
        // Out of order only after keys between have waited: they go in before the later ones.
        let late = vec![(1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (2, 'e'), (0, 'f'), (4, 'g')];
        let in_order: Map<u32, char> = late.iter().cloned().collect();
        assert_eq!(in_order.get(&2), Some(&'e'));
        assert_eq!(packed(late), in_order);
    }

    /// Keys folded in increasing order, as persons and time-ordered ids are, fill only half of each
    /// leaf; packed where a fold keeps its checkpoints, the lineage takes well under three quarters of
    /// the memory, and holds the same maps at every checkpoint. A map read from a snapshot is as
    /// compact.
    #[test]
    fn what_a_fold_appends_is_packed_where_it_keeps_a_checkpoint() {
        use crate::counted::live_bytes;
        let fold = |pack: bool| {
            let before = live_bytes();
            let (mut map, mut earlier, mut checkpoints) = (Map::new(), Map::new(), Vec::with_capacity(20));
            for key in 0..20_000u64 {
                map.insert(key, key);
                if key % 1_000 == 999 {
                    if pack {
                        repack_after(&mut map, &earlier);
                    }
                    earlier = map.clone();
                    checkpoints.push(map.clone());
                }
            }
            drop(earlier);
            (live_bytes() - before, map, checkpoints)
        };
        let (plain_bytes, plain, plain_checkpoints) = fold(false);
        let (packed_bytes, repacked, packed_checkpoints) = fold(true);
        assert_eq!(repacked, plain);
        assert_eq!(packed_checkpoints, plain_checkpoints);
        assert!(packed_bytes * 4 < plain_bytes * 3, "packed {packed_bytes} B, as folded {plain_bytes} B");
        // Read from a snapshot: as compact as packed, where inserting in order is not.
        let entries: Vec<(u64, u64)> = plain.iter().map(|(key, value)| (*key, *value)).collect();
        let weigh = |build: &dyn Fn() -> Map<u64, u64>| {
            let before = live_bytes();
            let map = build();
            (live_bytes() - before, map)
        };
        let (inserted_bytes, inserted) = weigh(&|| entries.iter().copied().collect());
        let (read_bytes, read) = weigh(&|| packed(entries.clone()));
        assert_eq!(read, inserted);
        assert!(read_bytes * 4 < inserted_bytes * 3, "read {read_bytes} B, inserted in order {inserted_bytes} B");
        // Keys after the checkpoint's that are not appended in order are packed all the same.
        let mut mixed: Map<u64, u64> = (0..1_000u64).map(|key| (key * 2, key)).collect();
        let earlier = mixed.clone();
        mixed.extend((0..500u64).rev().map(|key| (5_000 + key * 3, key)));
        mixed.remove(&10);
        let expected = mixed.clone();
        repack_after(&mut mixed, &earlier);
        assert_eq!(mixed, expected);
    }

    /// A person's stretches begin with the registration's, so the unit they are in is always there:
    /// facts holding a person without a stretch (a damaged or forged snapshot) are refused, not read.
    #[test]
    fn a_person_without_a_stretch_is_refused() {
        let json = serde_json::json!({"name": "冯股长", "memberships": [], "retired_on": null, "erased": false});
        let error = serde_json::from_value::<PersonFacts>(json).unwrap_err().to_string();
        assert!(error.contains("memberships: expected at least the registration's stretch"), "{error}");
    }
}
