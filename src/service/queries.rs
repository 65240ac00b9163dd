//! The questions users ask, answered from the read models as of any point: one function per read
//! endpoint / CLI command, typed in and serialisable out. HTTP and the CLI only parse and print.
//!
//! Who may ask what is decided here too (docs/RULES.md §11, "Who may read what"): every read names
//! what it reveals as a `ReadTarget`, and `may_read` judges it against the `Reader` — a token's actor,
//! bounded by its role and unit scope, or the server's local read token. The HTTP API calls it for
//! every read route, and so must any later adapter (the web site).
//!
//! Invariant: every answer says which sequence number it stands at (`Answer::as_of_seq`), so a reader
//! can always tie a figure to the chain (and to a checkpoint and proof). An answer that is cached by
//! its question alone (everything but the appeal queue and the access list) is the same for every
//! reader allowed to see it: readers are admitted or refused whole, never served a filtered copy.

use serde::{Deserialize, Serialize};

use crate::domain::{AccessRecord, Actor, Facts, FunctionCode, PeriodId, Role, SchemeId, Timestamp, UnitCode};
use crate::projection::appeal_queue::StatusFilter;
use crate::projection::{
    replay, AppealQueue, AsOf, Bulletin, Counting, Horizontal, IndicatorLoad, Notices, PeerGroup, Projection, Ranking,
    RankingDiff, ScoreCard, Trace, Vertical,
};
use crate::service::read_models::ReadModels;
use crate::service::records::{ProofBundle, Records};
use crate::service::ServiceError;
use crate::store::Ledger;

/// An answer, the sequence number of the last event it reflects, and the instant the question named
/// (for an as-of time or date; a date is the end of that day in the ledger's time zone).
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer<T> {
    pub as_of_seq: u64,
    pub as_of_instant: Option<Timestamp>,
    #[serde(flatten)]
    pub value: T,
}

/// A group's ranking and the horizontal comparison of each ranked member, in ranking order.
#[derive(Debug, Serialize, Deserialize)]
pub struct HorizontalTable {
    pub ranking: Ranking,
    pub comparisons: Vec<Horizontal>,
}

/// The traces of a period's base periods.
#[derive(Debug, Serialize, Deserialize)]
pub struct Traces {
    pub traces: Vec<Trace>,
    /// The traced base periods that are still open (not yet published): their figures may change.
    #[serde(default)]
    pub provisional_periods: Vec<PeriodId>,
}

/// How a score read is asked: as of which point, and whether open (unpublished) base periods count
/// in roll-ups (`provisional=true`). An `AsOf` alone asks for published figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    pub as_of: AsOf,
    pub counting: Counting,
}

impl View {
    /// Provisional figures as of `as_of`: open base periods with results count, and are listed.
    pub fn provisional(as_of: AsOf) -> View {
        View { as_of, counting: Counting::Provisional }
    }
}

impl From<AsOf> for View {
    fn from(as_of: AsOf) -> View {
        View { as_of, counting: Counting::Published }
    }
}

/// Every unit registered by the as-of point.
#[derive(Debug, Serialize, Deserialize)]
pub struct Units {
    pub units: Vec<UnitListing>,
}

/// Who held which role for which unit: at an instant (`at`), or every grant ever made (`at` absent).
/// Token hashes only; the tokens themselves are never recorded.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessList {
    pub at: Option<Timestamp>,
    pub grants: Vec<AccessRecord>,
}

/// Which grants an access list holds.
#[derive(Clone, Copy, Debug)]
pub enum AccessFilter {
    /// Those in force at the instant.
    InForceAt(Timestamp),
    /// Every grant ever made, revoked ones included.
    All,
}

/// One unit as the organisation registered it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnitListing {
    pub unit: UnitCode,
    pub name: String,
    pub level: crate::domain::UnitLevel,
    pub parent: Option<UnitCode>,
    pub function_code: Option<FunctionCode>,
    pub retired: bool,
}

/// Indicators per section per scheme year.
#[derive(Debug, Serialize, Deserialize)]
pub struct IndicatorLoads {
    pub indicator_load: Vec<IndicatorLoad>,
}

/// Why a question has no answer: the thing asked about does not exist at that point, or the question
/// itself is malformed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{field}: {message}")]
    NotFound { field: &'static str, message: String },
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The reader may not see the answer (its role, or its unit scope).
    #[error(transparent)]
    Refused(#[from] ReadRefusal),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn not_found(field: &'static str, message: String) -> QueryError {
    QueryError::NotFound { field, message }
}

/// Which appeals a queue lists: about `unit` or a unit under it, filed by `appellant` or a unit under
/// it, of a base period within `period`, of the statuses `status` selects (by default those waiting
/// for a decision); every one the status admits when the rest are left out.
#[derive(Clone, Debug, Default)]
pub struct AppealFilter {
    pub unit: Option<UnitCode>,
    pub period: Option<PeriodId>,
    pub status: StatusFilter,
    pub appellant: Option<UnitCode>,
}

/// Whom a ranking is about: a unit's own peer group, or a group named outright.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RankingScope {
    OfUnit(UnitCode),
    Group { scheme: SchemeId, function_code: Option<FunctionCode> },
}

// ---- Who may read what ---------------------------------------------------------------------

/// Who reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reader {
    /// A token's actor: its role and unit (the unit and everything under it) bound what it reads.
    Token(Actor),
    /// The server's local read token, for the command line on the same machine (`server.json`): it
    /// reads the whole ledger, as an auditor of every unit would, and is never recorded or revoked.
    Local,
}

/// What a read reveals. Each read route declares one, and `may_read` judges it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadTarget {
    /// The organisation: units, their names, levels and parents. Needed to find one's way.
    Organisation,
    /// The chain without its facts: head, signing key, signed checkpoints, inclusion and consistency
    /// proofs (hashes only), so that whoever holds a proof bundle can check it against a later head.
    ChainIntegrity,
    /// One unit's facts — scores, comparisons, traces (with their evidence digests and the proofs of
    /// the events they cite), indicator load — or, with `unit: None`, every unit's at once. `field`
    /// names the parameter that chose the unit.
    Unit { field: &'static str, unit: Option<UnitCode> },
    /// A peer group's ranking table, published to the group.
    Ranking { scope: RankingScope, period: PeriodId },
    /// What the table alone does not show about each member: the events that moved it (a ranking
    /// diff) and the repeat problems behind proposed criticism (notices).
    GroupDetail { scope: RankingScope, period: PeriodId },
    /// Appeals waiting for a decision: of `unit` when given, otherwise of the reader's whole scope.
    Appeals { unit: Option<UnitCode> },
    /// Persons registered in a unit or under it: codes, names, where they belonged.
    Persons { unit: UnitCode },
    /// One person's own data: the indicators they carry, weekly records, reviews, scores, tier, grade.
    /// `field` names the parameter that chose the person.
    Person { field: &'static str, person: crate::domain::PersonId },
    /// A county's individual ranking and tiers of a year, and its annual grades.
    IndividualRanking { unit: UnitCode },
    /// Uses of results (结果运用): of `unit` when given, otherwise of the reader's whole scope.
    ResultUses { unit: Option<UnitCode> },
    /// Access records: who held which role for which unit, by token hash.
    Access,
    /// The ledger itself: events by sequence, stream or id, the live stream, the export, a full
    /// verification, proof bundles of any events. Every fact of every unit is in there.
    Ledger,
}

/// The kinds of `ReadTarget`, each with its rule in words (for the OpenAPI document and docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadKind {
    Organisation,
    ChainIntegrity,
    Unit,
    Ranking,
    GroupDetail,
    Appeals,
    Persons,
    Person,
    IndividualRanking,
    ResultUses,
    Access,
    Ledger,
}

impl ReadKind {
    /// Who may read, in the words of docs/RULES.md §11.
    pub const fn rule(self) -> &'static str {
        match self {
            ReadKind::Organisation | ReadKind::ChainIntegrity => "Who may read: every valid token.",
            ReadKind::Unit => {
                "Who may read: every role whose unit scope (its unit and everything under it) holds `unit`; \
                 where `unit` may be left out, a scope holding every unit. Otherwise 403 naming `unit`."
            }
            ReadKind::Ranking => {
                "Who may read: every role whose unit scope holds the scheme's issuer or a member of the peer \
                 group (a ranking is published to its group). Otherwise 403 naming `unit` (or `scheme`)."
            }
            ReadKind::GroupDetail => {
                "Who may read: every role whose unit scope holds the scheme's issuer (the answer shows each \
                 member's events or repeat problems). Otherwise 403 naming `unit` (or `scheme`)."
            }
            ReadKind::Appeals => {
                "Who may read: every role. The queue holds only the appeals whose unit, appellant or \
                 assessing unit the reader's scope holds; a `unit` outside the scope is 403 naming `unit`."
            }
            ReadKind::Persons => {
                "Who may read: admin, office, leader, committee and auditor whose unit scope holds `unit`."
            }
            ReadKind::Person => {
                "Who may read: the person themselves (a `person` token bound to them), and admin, office, leader, \
                 committee and auditor whose unit scope holds a unit the person belonged to. Otherwise 403 naming \
                 `person`."
            }
            ReadKind::IndividualRanking => {
                "Who may read: admin, office, leader, committee and auditor whose unit scope holds the county \
                 `unit`. Otherwise 403 naming `unit`."
            }
            ReadKind::ResultUses => {
                "Who may read: every role but `person`. The list holds only the uses whose subject (a unit, or a \
                 person's county) or recording committee the reader's scope holds; a `unit` outside the scope is \
                 403 naming `unit`."
            }
            ReadKind::Access => {
                "Who may read: admin and auditor (any other role is 403); the list holds the grants for units \
                 in the reader's scope."
            }
            ReadKind::Ledger => {
                "Who may read: admin and auditor whose unit scope holds every unit (a top unit), and the \
                 local read token; any other role or a narrower scope is 403."
            }
        }
    }
}

impl ReadTarget {
    pub fn kind(&self) -> ReadKind {
        match self {
            ReadTarget::Organisation => ReadKind::Organisation,
            ReadTarget::ChainIntegrity => ReadKind::ChainIntegrity,
            ReadTarget::Unit { .. } => ReadKind::Unit,
            ReadTarget::Ranking { .. } => ReadKind::Ranking,
            ReadTarget::GroupDetail { .. } => ReadKind::GroupDetail,
            ReadTarget::Appeals { .. } => ReadKind::Appeals,
            ReadTarget::Persons { .. } => ReadKind::Persons,
            ReadTarget::Person { .. } => ReadKind::Person,
            ReadTarget::IndividualRanking { .. } => ReadKind::IndividualRanking,
            ReadTarget::ResultUses { .. } => ReadKind::ResultUses,
            ReadTarget::Access => ReadKind::Access,
            ReadTarget::Ledger => ReadKind::Ledger,
        }
    }
}

/// Why a reader may not see an answer: its role never may (`RoleNotAllowed`), or what it asked about
/// lies outside its unit scope (`OutOfScope`). `field` names the parameter at fault (`unit`, `scheme`)
/// or, when no parameter is, `authorization` (the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ReadRefusal {
    pub code: ReadRefusalCode,
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRefusalCode {
    RoleNotAllowed,
    OutOfScope,
}

impl ReadRefusalCode {
    /// The same codes a refused command gets.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadRefusalCode::RoleNotAllowed => "role_not_allowed",
            ReadRefusalCode::OutOfScope => "out_of_scope",
        }
    }
}

fn refuse_role(actor: &Actor, what: &str, allowed: &[Role]) -> ReadRefusal {
    let allowed: Vec<&str> = allowed.iter().map(|role| role.as_str()).collect();
    ReadRefusal {
        code: ReadRefusalCode::RoleNotAllowed,
        field: "authorization",
        message: format!("role {} may not read {what}; allowed: {}", actor.role.as_str(), allowed.join(", ")),
    }
}

fn refuse_scope(actor: &Actor, field: &'static str, what: String) -> ReadRefusal {
    ReadRefusal {
        code: ReadRefusalCode::OutOfScope,
        field,
        message: format!("{what} is outside the scope of {} ({})", actor.unit, actor.role.as_str()),
    }
}

/// Whether `root`'s scope holds every registered unit: it is the only unit without a parent.
fn holds_every_unit(facts: &Facts, root: &UnitCode) -> bool {
    facts.units.iter().filter(|(_, unit)| unit.parent.is_none()).all(|(code, _)| code == root)
}

/// The field a ranking question named its group by.
fn group_field(scope: &RankingScope) -> &'static str {
    match scope {
        RankingScope::OfUnit(_) => "unit",
        RankingScope::Group { .. } => "scheme",
    }
}

/// The group a ranking question is about, and the issuer of its scheme; `None` when the question names
/// no such group (it is then answered 404 by the read, which reveals no fact).
fn group_and_issuer(projection: &Projection, scope: &RankingScope, period: PeriodId) -> Option<(PeerGroup, UnitCode)> {
    let group = match scope {
        RankingScope::OfUnit(unit) => projection.peer_group_of(unit, period.year())?,
        RankingScope::Group { scheme, function_code } => {
            let group = PeerGroup { scheme: scheme.clone(), function_code: function_code.clone() };
            projection.peer_groups(scheme).contains(&group).then_some(group)?
        }
    };
    let issuer = projection.facts().schemes.get(&group.scheme)?.settings.issuer.clone();
    Some((group, issuer))
}

/// Whether `reader` may see what `target` reveals, judged on `projection` (the organisation only:
/// units never move, so any projection that knows the units asked about judges alike). A unit that is
/// not registered is let through: the read then answers 404, and which units exist is no secret.
pub fn may_read(projection: &Projection, reader: &Reader, target: &ReadTarget) -> Result<(), ReadRefusal> {
    let Reader::Token(actor) = reader else { return Ok(()) };
    let facts = projection.facts();
    let holds = |unit: &UnitCode| !facts.units.contains_key(unit) || facts.in_scope(&actor.unit, unit);
    if actor.role == Role::Person {
        return person_may_read(facts, actor, target);
    }
    match target {
        ReadTarget::Organisation | ReadTarget::ChainIntegrity => Ok(()),
        ReadTarget::Unit { field, unit: Some(unit) } => match holds(unit) {
            true => Ok(()),
            false => Err(refuse_scope(actor, field, format!("unit {unit}"))),
        },
        ReadTarget::Appeals { unit: Some(unit) } => match holds(unit) {
            true => Ok(()),
            false => Err(refuse_scope(actor, "unit", format!("the appeals of unit {unit}"))),
        },
        ReadTarget::Unit { field, unit: None } => match holds_every_unit(facts, &actor.unit) {
            true => Ok(()),
            false => Err(refuse_scope(actor, field, "every unit (leave no unit out)".to_owned())),
        },
        ReadTarget::Appeals { unit: None } => Ok(()),
        ReadTarget::Ranking { scope, period } => {
            let Some((group, issuer)) = group_and_issuer(projection, scope, *period) else { return Ok(()) };
            let readable = facts.in_scope(&actor.unit, &issuer)
                || projection.peer_group_members(&group).iter().any(|member| facts.in_scope(&actor.unit, member));
            match readable {
                true => Ok(()),
                false => Err(refuse_scope(actor, group_field(scope), format!("the ranking of {}", describe(&group)))),
            }
        }
        ReadTarget::GroupDetail { scope, period } => {
            let Some((group, issuer)) = group_and_issuer(projection, scope, *period) else { return Ok(()) };
            match facts.in_scope(&actor.unit, &issuer) {
                true => Ok(()),
                false => Err(refuse_scope(
                    actor,
                    group_field(scope),
                    format!("what moved each member of {} (its issuer {issuer})", describe(&group)),
                )),
            }
        }
        ReadTarget::Persons { unit } => {
            if !PERSON_READERS.contains(&actor.role) {
                return Err(refuse_role(actor, "persons", PERSON_READERS));
            }
            match holds(unit) {
                true => Ok(()),
                false => Err(refuse_scope(actor, "unit", format!("unit {unit}"))),
            }
        }
        ReadTarget::Person { field, person } => {
            if !PERSON_READERS.contains(&actor.role) {
                return Err(refuse_role(actor, "a person's data", PERSON_READERS));
            }
            let Some(record) = facts.persons.get(person) else { return Ok(()) };
            match record.memberships.iter().any(|membership| facts.in_scope(&actor.unit, &membership.unit)) {
                true => Ok(()),
                false => Err(refuse_scope(actor, field, format!("person {person} (in {})", record.unit()))),
            }
        }
        ReadTarget::IndividualRanking { unit } => {
            if !PERSON_READERS.contains(&actor.role) {
                return Err(refuse_role(actor, "individual rankings and grades", PERSON_READERS));
            }
            match holds(unit) {
                true => Ok(()),
                false => Err(refuse_scope(actor, "unit", format!("the individual ranking of {unit}"))),
            }
        }
        ReadTarget::ResultUses { unit: Some(unit) } => match holds(unit) {
            true => Ok(()),
            false => Err(refuse_scope(actor, "unit", format!("the uses of results about {unit}"))),
        },
        ReadTarget::ResultUses { unit: None } => Ok(()),
        ReadTarget::Access => {
            const ALLOWED: &[Role] = &[Role::Admin, Role::Auditor];
            match ALLOWED.contains(&actor.role) {
                true => Ok(()),
                false => Err(refuse_role(actor, "access records", ALLOWED)),
            }
        }
        ReadTarget::Ledger => {
            const ALLOWED: &[Role] = &[Role::Admin, Role::Auditor];
            if !ALLOWED.contains(&actor.role) {
                return Err(refuse_role(actor, "the ledger's events", ALLOWED));
            }
            match holds_every_unit(facts, &actor.unit) {
                true => Ok(()),
                false => Err(refuse_scope(actor, "authorization", "the whole ledger".to_owned())),
            }
        }
    }
}

/// The roles that read persons in their scope: their lists, their own data, individual rankings.
const PERSON_READERS: &[Role] = &[Role::Admin, Role::Office, Role::Leader, Role::Committee, Role::Auditor];

/// A `person` token reads the organisation and the chain's hashes (to find its way and check proofs)
/// and its own person's data — nothing about any unit, any other person, or the ledger.
fn person_may_read(facts: &Facts, actor: &Actor, target: &ReadTarget) -> Result<(), ReadRefusal> {
    match target {
        ReadTarget::Organisation | ReadTarget::ChainIntegrity => Ok(()),
        ReadTarget::Person { field, person } => match facts.person_of_actor(&actor.id) == Some(person) {
            true => Ok(()),
            false => Err(ReadRefusal {
                code: ReadRefusalCode::OutOfScope,
                field,
                message: format!(
                    "person {person} is not the person {} speaks for; a person reads only their own data",
                    actor.id
                ),
            }),
        },
        _ => Err(ReadRefusal {
            code: ReadRefusalCode::RoleNotAllowed,
            field: "authorization",
            message: "role person may not read this; a person reads only their own data (their indicators, weekly \
                      records, reviews, scores, tier and grade)"
                .to_owned(),
        }),
    }
}

fn describe(group: &PeerGroup) -> String {
    match &group.function_code {
        None => format!("scheme {}", group.scheme),
        Some(code) => format!("scheme {} sections {code}", group.scheme),
    }
}

/// Whether `reader` sees the access record: its unit is in the reader's scope.
fn access_visible(facts: &Facts, reader: &Reader, record: &AccessRecord) -> bool {
    match reader {
        Reader::Local => true,
        Reader::Token(actor) => facts.in_scope(&actor.unit, &record.unit),
    }
}

/// Whether `reader` sees the appeal: its scope holds the appealed unit, the appellant or the unit that
/// assessed what is appealed (for a cause attribution, the county whose office attributed it).
fn appeal_visible(facts: &Facts, reader: &Reader, appeal: &crate::domain::event::AppealFiled) -> bool {
    let Reader::Token(actor) = reader else { return true };
    let assessor = facts.appeal_target_author(&appeal.target).map(|(_, unit)| unit);
    [Some(&appeal.unit), Some(&appeal.appellant), assessor]
        .into_iter()
        .flatten()
        .any(|unit| facts.in_scope(&actor.unit, unit))
}

/// Parses `latest`, a sequence number, an RFC 3339 instant, or a date `YYYY-MM-DD` (the end of that
/// day in the ledger's time zone).
pub fn parse_as_of(text: &str) -> Result<AsOf, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty; give latest, a sequence number, a date (2017-07-12) or an RFC 3339 instant, or leave \
                    the parameter out"
            .into());
    }
    if text == "latest" {
        return Ok(AsOf::Latest);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u64>().map(AsOf::Seq).map_err(|_| format!("{text:?} is not a sequence number"));
    }
    if let Some((year, month, day)) = crate::domain::timestamp::parse_date(text) {
        return Ok(AsOf::EndOfDay { year, month, day });
    }
    Timestamp::parse_rfc3339(text).map(AsOf::Instant).map_err(|_| {
        format!("expected latest, a sequence number, a date (2017-07-12) or an RFC 3339 instant, got {text:?}")
    })
}

/// The periods a vertical comparison runs over: from `first` to `last`, both included, both of one
/// kind (months, quarters, halves or years), `first` not after `last`.
pub fn period_range(first: PeriodId, last: PeriodId) -> Result<Vec<PeriodId>, QueryError> {
    if first.kind() != last.kind() {
        return Err(QueryError::Invalid {
            field: "to",
            message: format!("from {first} and to {last} are periods of different kinds; compare months with months, quarters with quarters"),
        });
    }
    if first > last {
        return Err(QueryError::Invalid { field: "to", message: format!("to {last} is before from {first}") });
    }
    let mut periods = vec![first];
    while let Some(next) = periods.last().and_then(|period| period.next()).filter(|next| *next <= last) {
        if periods.len() >= crate::limits::COMPARISON_PERIODS_MAX {
            return Err(QueryError::Invalid {
                field: "to",
                message: format!(
                    "more than {} periods; compare a shorter range",
                    crate::limits::COMPARISON_PERIODS_MAX
                ),
            });
        }
        periods.push(next);
    }
    Ok(periods)
}

fn group_for(projection: &Projection, scope: &RankingScope, period: PeriodId) -> Result<PeerGroup, QueryError> {
    match scope {
        RankingScope::Group { scheme, function_code } => {
            if !projection.facts().schemes.contains_key(scheme) {
                return Err(not_found(
                    "scheme",
                    format!("no scheme {scheme} is open (as of event {})", projection.seq()),
                ));
            }
            let group = PeerGroup { scheme: scheme.clone(), function_code: function_code.clone() };
            if let Some(code) = function_code.as_ref().filter(|_| !projection.peer_groups(scheme).contains(&group)) {
                return Err(not_found(
                    "function_code",
                    format!(
                        "no section of function code {code} is assessed under {scheme} (as of event {})",
                        projection.seq()
                    ),
                ));
            }
            Ok(group)
        }
        RankingScope::OfUnit(unit) => known_unit(projection, unit).and_then(|()| {
            projection
                .peer_group_of(unit, period.year())
                .ok_or_else(|| not_found("unit", format!("{unit} is not ranked in any scheme of {}", period.year())))
        }),
    }
}

/// Why a unit has no scores (or no trace, or no rank) for a period: `what`, and when the scheme has
/// base periods there that count nothing yet, which and why — open ones with nothing recorded, or
/// open ones left out of a roll-up without `provisional=true`.
fn no_scores(
    what: &str,
    projection: &Projection,
    unit: &UnitCode,
    period: PeriodId,
    named: Option<&SchemeId>,
) -> String {
    let default = || {
        projection.facts().units.get(unit).and_then(|record| {
            let county_or_unit = match record.level.is_section() {
                true => record.parent.as_ref().and_then(|county| projection.facts().units.get(county)),
                false => Some(record),
            };
            let issuer = county_or_unit?.parent.as_ref()?;
            projection.facts().schemes.get(&SchemeId::for_issuer_year(issuer, period.year()))
        })
    };
    let scheme = match named {
        Some(named) => projection.facts().schemes.get(named).filter(|scheme| scheme.settings.year == period.year()),
        None => default(),
    };
    let Some(scheme) = scheme else { return format!("{what} for {unit} in {period}") };
    let opened = scheme.opened_base_periods_in(period);
    let empty: Vec<String> =
        opened.iter().filter(|base| !scheme.has_results(**base)).map(|base| base.to_string()).collect();
    let unpublished: Vec<String> = opened
        .iter()
        .filter(|base| scheme.has_results(**base) && !scheme.is_published(**base))
        .map(|base| base.to_string())
        .collect();
    let mut why = Vec::new();
    if !empty.is_empty() {
        why.push(format!("nothing has been recorded yet in {}", empty.join(", ")));
    }
    if !unpublished.is_empty() && !scheme.is_base_period(period) {
        why.push(format!(
            "{} not published yet (ask for provisional figures to count it: provisional=true, or --provisional)",
            unpublished.join(", ")
        ));
    }
    match why.is_empty() {
        true => format!("{what} for {unit} in {period}"),
        false => format!("{what} for {unit} in {period}: {}", why.join("; ")),
    }
}

/// A scheme the question names (to read a unit in it) must be open and must assess the unit or its
/// county — a county's own scheme, its sections.
fn known_scheme(projection: &Projection, unit: &UnitCode, scheme: Option<&SchemeId>) -> Result<(), QueryError> {
    let Some(scheme) = scheme else { return Ok(()) };
    let Some(record) = projection.facts().schemes.get(scheme) else {
        return Err(not_found("scheme", format!("no scheme {scheme} is open (as of event {})", projection.seq())));
    };
    if !projection.places(unit, scheme) {
        let whom = match projection.facts().is_own_scheme(record) {
            true => format!("the sections of {}", record.settings.issuer),
            false => format!("the units under {} and their sections", record.settings.issuer),
        };
        return Err(not_found("scheme", format!("{scheme} does not assess {unit}: it assesses {whom}")));
    }
    Ok(())
}

/// A unit the question names must be registered by the as-of point.
fn known_unit(projection: &Projection, unit: &UnitCode) -> Result<(), QueryError> {
    match projection.facts().units.contains_key(unit) {
        true => Ok(()),
        false => Err(not_found("unit", format!("no unit {unit} is registered (as of event {})", projection.seq()))),
    }
}

impl ReadModels {
    /// `read` on the projection as of `as_of`, with the point it answered at: every read model's answer.
    pub(crate) fn answer<T>(
        &self,
        as_of: AsOf,
        read: impl FnOnce(&Projection) -> Result<T, QueryError>,
    ) -> Result<Answer<T>, QueryError> {
        let (resolved, value) = self.with_projection(as_of, read)?;
        Ok(Answer { as_of_seq: resolved.seq, as_of_instant: resolved.instant, value: value? })
    }

    /// Whether `reader` may see what `target` reveals (`may_read`), judged on the latest projection.
    pub fn may_read(&self, reader: &Reader, target: &ReadTarget) -> Result<(), QueryError> {
        let (_, judged) = self.with_projection(AsOf::Latest, |projection| may_read(projection, reader, target))?;
        Ok(judged?)
    }

    /// The access grants `filter` selects, of `role` only when given, as the durable ledger holds them.
    pub fn access_list(&self, filter: AccessFilter, role: Option<Role>) -> Result<AccessList, QueryError> {
        self.access_list_for(&Reader::Local, filter, role)
    }

    /// As `access_list`, for `reader`: refused unless it may read access records, and holding only
    /// the grants for units in its scope.
    pub fn access_list_for(
        &self,
        reader: &Reader,
        filter: AccessFilter,
        role: Option<Role>,
    ) -> Result<AccessList, QueryError> {
        let (_, grants) = self.with_projection(AsOf::Latest, |projection| {
            may_read(projection, reader, &ReadTarget::Access)?;
            let facts = projection.facts();
            let grants = facts
                .access_grants
                .values()
                .filter(|grant| match filter {
                    AccessFilter::InForceAt(at) => grant.is_active_at(at),
                    AccessFilter::All => true,
                })
                .filter(|grant| role.is_none_or(|role| grant.role == role))
                .filter(|grant| access_visible(facts, reader, grant))
                .cloned()
                .collect::<Vec<_>>();
            Ok::<_, ReadRefusal>(grants)
        })?;
        let grants = grants?;
        let at = match filter {
            AccessFilter::InForceAt(at) => Some(at),
            AccessFilter::All => None,
        };
        Ok(AccessList { at, grants })
    }

    pub fn units(&self, as_of: AsOf) -> Result<Answer<Units>, QueryError> {
        self.answer(as_of, |projection| {
            let units = projection
                .facts()
                .units
                .iter()
                .map(|(code, unit)| UnitListing {
                    unit: code.clone(),
                    name: unit.name.clone(),
                    level: unit.level,
                    parent: unit.parent.clone(),
                    function_code: unit.function_code.clone(),
                    retired: unit.retired,
                })
                .collect();
            Ok(Units { units })
        })
    }

    pub fn scoreboard(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<ScoreCard>, QueryError> {
        self.scoreboard_in(unit, None, period, view)
    }

    /// As `scoreboard`, in the scheme `scheme` names (a section in its county's own scheme); `None`:
    /// the scheme that assesses the unit or its county.
    pub fn scoreboard_in(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<ScoreCard>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            known_unit(projection, unit)?;
            known_scheme(projection, unit, scheme)?;
            projection
                .scorecard_in(unit, period, view.counting, scheme)
                .ok_or_else(|| not_found("unit", no_scores("no scores", projection, unit, period, scheme)))
        })
    }

    pub fn ranking(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Ranking>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            let group = group_for(projection, scope, period)?;
            projection
                .ranking_with(&group, period, view.counting)
                .ok_or_else(|| not_found("period", format!("no ranking for {period}")))
        })
    }

    pub fn horizontal(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Horizontal>, QueryError> {
        self.horizontal_in(unit, None, period, view)
    }

    /// As `horizontal`, in the scheme `scheme` names (a section among its county's sections in the
    /// county's own scheme).
    pub fn horizontal_in(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Horizontal>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            known_unit(projection, unit)?;
            known_scheme(projection, unit, scheme)?;
            projection
                .horizontal_in(unit, period, view.counting, scheme)
                .ok_or_else(|| not_found("unit", no_scores("not ranked", projection, unit, period, scheme)))
        })
    }

    pub fn vertical(
        &self,
        unit: &UnitCode,
        first: PeriodId,
        last: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Vertical>, QueryError> {
        self.vertical_in(unit, None, first, last, view)
    }

    /// As `vertical`, in the scheme `scheme` names: the rows are that scheme's periods.
    pub fn vertical_in(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        first: PeriodId,
        last: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Vertical>, QueryError> {
        let view = view.into();
        let periods = period_range(first, last)?;
        self.answer(view.as_of, |projection| {
            known_unit(projection, unit)?;
            known_scheme(projection, unit, scheme)?;
            Ok(projection.vertical_over_in(unit, &periods, view.counting, scheme))
        })
    }

    /// The traces of every base period in `period` that the view counts (one for a base period with
    /// results).
    pub fn trace(
        &self,
        unit: &UnitCode,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Traces>, QueryError> {
        self.trace_in(unit, None, period, view)
    }

    /// As `trace`, in the scheme `scheme` names (a section's traces in its county's own scheme).
    pub fn trace_in(
        &self,
        unit: &UnitCode,
        scheme: Option<&SchemeId>,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Traces>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            known_unit(projection, unit)?;
            known_scheme(projection, unit, scheme)?;
            let traces = projection.traces_in(unit, period, view.counting, scheme);
            if traces.is_empty() {
                return Err(not_found("unit", no_scores("no trace", projection, unit, period, scheme)));
            }
            let periods: Vec<PeriodId> = traces.iter().map(|trace| trace.period).collect();
            let open = projection.facts().schemes.get(&traces[0].scheme).map(|scheme| scheme.open_among(&periods));
            Ok(Traces { traces, provisional_periods: open.unwrap_or_default() })
        })
    }

    pub fn indicator_load(&self, unit: Option<&UnitCode>, as_of: AsOf) -> Result<Answer<IndicatorLoads>, QueryError> {
        self.answer(as_of, |projection| {
            unit.map(|unit| known_unit(projection, unit)).transpose()?;
            Ok(IndicatorLoads {
                indicator_load: match unit {
                    None => projection.indicator_load(),
                    Some(unit) if projection.facts().is_section(unit) => projection.indicator_load_of(unit),
                    Some(unit) => projection.indicator_load_of_county(unit),
                },
            })
        })
    }

    /// Appeals, their status, deadlines and history, judged at the as-of point (`now` for the latest):
    /// those `filter` selects (by default the ones waiting for a decision), and only those `reader` may
    /// see (refused if it names a `unit` outside its scope).
    pub fn appeal_queue(
        &self,
        reader: &Reader,
        filter: &AppealFilter,
        as_of: AsOf,
        now: Timestamp,
    ) -> Result<Answer<AppealQueue>, QueryError> {
        self.appeals_for(reader, filter, true, as_of, now)
    }

    /// "My appeals": the appeals the reader's unit (or a unit under it) filed, of the statuses and
    /// period `filter` selects, each with its history. The local read token, which reads the whole
    /// ledger as the operator, gets every appeal.
    pub fn my_appeals(
        &self,
        reader: &Reader,
        filter: &AppealFilter,
        as_of: AsOf,
        now: Timestamp,
    ) -> Result<Answer<AppealQueue>, QueryError> {
        let appellant = match reader {
            Reader::Token(actor) => Some(actor.unit.clone()),
            Reader::Local => None,
        };
        let filter = AppealFilter { appellant, unit: None, ..filter.clone() };
        self.appeals_for(reader, &filter, false, as_of, now)
    }

    fn appeals_for(
        &self,
        reader: &Reader,
        filter: &AppealFilter,
        check_appellant: bool,
        as_of: AsOf,
        now: Timestamp,
    ) -> Result<Answer<AppealQueue>, QueryError> {
        self.answer(as_of, |projection| {
            if let Some(unit) = &filter.unit {
                known_unit(projection, unit)?;
            }
            if let Some(unit) = filter.appellant.as_ref().filter(|_| check_appellant) {
                if !projection.facts().units.contains_key(unit) {
                    let message = format!("no unit {unit} is registered (as of event {})", projection.seq());
                    return Err(not_found("appellant", message));
                }
            }
            may_read(projection, reader, &ReadTarget::Appeals { unit: filter.unit.clone() })?;
            let at = match as_of {
                AsOf::Latest => now,
                AsOf::Instant(_) | AsOf::EndOfDay { .. } => {
                    as_of.instant(projection.facts().time_zone()).unwrap_or_else(|| projection.recorded_at())
                }
                AsOf::Seq(_) => projection.recorded_at(),
            };
            let facts = projection.facts();
            Ok(projection.appeals_with_status(at, filter.status, |appeal| {
                let filed = &appeal.filed;
                filter.unit.as_ref().is_none_or(|unit| facts.in_scope(unit, &filed.unit))
                    && filter.appellant.as_ref().is_none_or(|unit| facts.in_scope(unit, &filed.appellant))
                    && filter.period.is_none_or(|period| period.contains(filed.period))
                    && appeal_visible(facts, reader, filed)
            }))
        })
    }

    /// The bulletin (通报) of a group for a period: each member's score, rank and tier with their
    /// change from the period before, its losses with their reasons and its repeat problems, and the
    /// praise and criticism proposed.
    pub fn bulletin(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Bulletin>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            let group = group_for(projection, scope, period)?;
            projection
                .bulletin(&group, period, view.counting)
                .ok_or_else(|| not_found("period", format!("no ranking for {period}")))
        })
    }

    /// Every ranked member of a group against its peers in a period (the 横向比较情况表): each one's
    /// horizontal comparison as `horizontal_in` gives it in the group's scheme (what
    /// `/v1/comparisons/horizontal` answers for the member), all from one projection, in ranking order.
    pub fn horizontal_table(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<HorizontalTable>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            let group = group_for(projection, scope, period)?;
            let ranking = projection
                .ranking_with(&group, period, view.counting)
                .ok_or_else(|| not_found("period", format!("no ranking for {period}")))?;
            let comparisons = ranking
                .standings
                .iter()
                .filter_map(|standing| {
                    projection.horizontal_in(&standing.unit, period, view.counting, Some(&group.scheme))
                })
                .collect();
            Ok(HorizontalTable { ranking, comparisons })
        })
    }

    pub fn notices(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        view: impl Into<View>,
    ) -> Result<Answer<Notices>, QueryError> {
        let view = view.into();
        self.answer(view.as_of, |projection| {
            let group = group_for(projection, scope, period)?;
            projection
                .notices_with(&group, period, view.counting)
                .ok_or_else(|| not_found("period", format!("no ranking for {period}")))
        })
    }

    /// Who changed rank or tier between two points, and the events in between that moved them; both
    /// rankings count the base periods `counting` counts.
    pub fn ranking_diff(
        &self,
        scope: &RankingScope,
        period: PeriodId,
        from: AsOf,
        to: AsOf,
        counting: Counting,
    ) -> Result<RankingDiff, QueryError> {
        let (first, second) = (self.seq_of(from)?, self.seq_of(to)?);
        let (earlier, later) = (first.min(second), first.max(second));
        if later - earlier > crate::limits::DIFF_EVENTS_MAX {
            return Err(QueryError::Invalid {
                field: "from",
                message: format!(
                    "{} events lie between the two points; a diff explains at most {}",
                    later - earlier,
                    crate::limits::DIFF_EVENTS_MAX
                ),
            });
        }
        let between = read_recorded(self.ledger(), earlier + 1, later)?;
        let (_, diff) = self.with_projection(AsOf::Seq(earlier), |before| {
            let group = group_for(before, scope, period)?;
            replay::ranking_diff(before, &between, &group, period, counting)
                .map_err(|e| QueryError::Service(ServiceError::Failure(e.to_string())))
        })?;
        diff
    }
}

/// Events `from..=to`, decoded.
fn read_recorded(ledger: &Ledger, from: u64, to: u64) -> Result<Vec<crate::domain::Recorded>, QueryError> {
    let mut events = Vec::new();
    let decode = |seq: u64, record: crate::chain::Record<'_>| {
        crate::chain::decode(seq, &record).map_err(|e| ServiceError::Failure(e.to_string()))
    };
    ledger.for_each_decoded(from, to, decode, |recorded| {
        events.push(recorded);
        Ok(())
    })?;
    Ok(events)
}

/// Every event the traces cite, with its inclusion proof against `checkpoint`: what an auditor needs
/// to check the lost points without the rest of the ledger.
pub fn trace_proofs(
    records: &Records,
    traces: &[Trace],
    checkpoint: crate::chain::checkpoint::SignedCheckpoint,
) -> Result<ProofBundle, ServiceError> {
    let mut seqs: Vec<u64> = traces.iter().flat_map(Trace::cited_seqs).collect();
    seqs.sort_unstable();
    seqs.dedup();
    records.proof_bundle(&seqs, checkpoint).map_err(|e| ServiceError::Failure(e.to_string()))
}
