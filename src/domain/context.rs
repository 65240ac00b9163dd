//! Who is acting and when: `Role`, `Actor`, and the `Context` a command is decided in.
//!
//! Invariant: the domain never reads a clock or makes an id. `Context::now` and `Context::new_id` come
//! from the service (a real clock in the server, a simulated one in the demo and in tests), so the same
//! state, command and context always decide the same events.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ids::{EventId, UnitCode};
use super::person::CommandBasis;
use super::Timestamp;

/// What an actor may do; the roles table of docs/RULES.md is enforced in `rules::access`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Registers units and persons, opens schemes and periods, defines, revises and retires indicators,
    /// grants and revokes access (bearer tokens, by their hash) inside its scope.
    Admin,
    /// An assessing unit: awards tiers, records and withdraws deductions, awards bonuses, applies vetoes.
    Assessor,
    /// A unit's performance office: assigns indicators, marks them not applicable, attributes causes,
    /// records rectifications, and deducts from its own sections directly.
    Office,
    /// An assessed unit: files, escalates and withdraws appeals for itself and its sections.
    Appellant,
    /// Decides first-stage appeals against its unit's assessments, never against its own deduction.
    Reviewer,
    /// The issuer's performance committee: publishes, finalises and reopens periods, decides escalations;
    /// a county's committee also sets its individual rules and records annual grades; a committee
    /// records the uses of results.
    Committee,
    /// Reads everything and writes nothing.
    Auditor,
    /// A section chief (its unit a section) or a leader in charge (its unit the county): reviews the
    /// persons in its scope each quarter and comments on their weekly records.
    Leader,
    /// A member of staff, bound to one person by the grant (`GrantAccess.person`): files their own
    /// weekly records and reads only their own data.
    Person,
}

impl Role {
    /// Every role, in declaration order (the order docs/RULES.md lists them).
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Assessor,
        Role::Office,
        Role::Appellant,
        Role::Reviewer,
        Role::Committee,
        Role::Auditor,
        Role::Leader,
        Role::Person,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Assessor => "assessor",
            Role::Office => "office",
            Role::Appellant => "appellant",
            Role::Reviewer => "reviewer",
            Role::Committee => "committee",
            Role::Auditor => "auditor",
            Role::Leader => "leader",
            Role::Person => "person",
        }
    }
}

/// The person or system acting: an id for the envelope, a role, and the unit that bounds its scope
/// (that unit and everything under it). An office actor's unit is the unit whose office it is (`YS07`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    pub unit: UnitCode,
}

/// Everything outside the command that a decision may depend on, injected by the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The instant the command is decided at; the ledger records its events at this time.
    pub now: Timestamp,
    pub actor: Actor,
    /// A fresh id for the fact the command creates (a deduction, award, bonus, veto or appeal).
    /// Unused by commands that create none of these.
    pub new_id: Uuid,
    /// Which of the events the command links to (`Command::links`) are in the ledger: the caller
    /// looks them up, since the facts keep no index of every event.
    pub known_links: BTreeSet<EventId>,
    /// What the service read from the ledger for a command that rests on it (a result use's chain
    /// position, an annual grade's individual standing); empty for every other command.
    pub basis: CommandBasis,
}

impl Context {
    /// A context for a command that links to no event (or whose links the caller vouches for later).
    pub fn new(now: Timestamp, actor: Actor, new_id: Uuid) -> Context {
        Context { now, actor, new_id, known_links: BTreeSet::new(), basis: CommandBasis::default() }
    }
}
