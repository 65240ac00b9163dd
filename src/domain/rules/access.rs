//! Who may do what: the role each command needs, and the scope checks rules call.
//!
//! Invariant: the roles table of docs/RULES.md holds for every command — in particular the auditor role
//! appears in no entry, so an auditor writes nothing.

use crate::domain::command::Command;
use crate::domain::context::{Actor, Role};
use crate::domain::facts::Facts;
use crate::domain::ids::UnitCode;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};

/// The roles that may issue `command`. `DecideAppeal` lists both deciders; which one a given appeal
/// needs (reviewer first, committee once escalated) is checked by its rule.
pub fn allowed_roles(command: &Command) -> &'static [Role] {
    match command {
        Command::RegisterUnit(_)
        | Command::RenameUnit(_)
        | Command::RetireUnit(_)
        | Command::RegisterPerson(_)
        | Command::MovePerson(_)
        | Command::RetirePerson(_)
        | Command::ErasePerson(_)
        | Command::OpenScheme(_)
        | Command::DefineIndicator(_)
        | Command::TakeOverIndicator(_)
        | Command::ReviseIndicator(_)
        | Command::RetireIndicator(_)
        | Command::OpenPeriod(_)
        | Command::GrantAccess(_)
        | Command::RevokeAccess(_)
        | Command::SetTimeZone(_)
        | Command::RotateSigningKey(_) => &[Role::Admin],
        Command::AssignIndicator(_)
        | Command::MarkIndicatorNotApplicable(_)
        | Command::AttributeCause(_)
        | Command::RecordRectification(_) => &[Role::Office],
        Command::PublishResults(_) | Command::FinalisePeriod(_) | Command::ReopenPeriod(_) => &[Role::Committee],
        // An office awards tiers, bonuses and vetoes only in its county's own scheme (checked by the rule).
        Command::AwardTier(_) | Command::AwardBonus(_) | Command::ApplyVeto(_) => &[Role::Assessor, Role::Office],
        Command::RecordDeduction(_) | Command::WithdrawDeduction(_) => &[Role::Assessor, Role::Office],
        Command::FileAppeal(_) | Command::EscalateAppeal(_) | Command::WithdrawAppeal(_) => &[Role::Appellant],
        Command::DecideAppeal(_) => &[Role::Reviewer, Role::Committee],
        Command::DefinePersonalIndicator(_) | Command::AssessPersonalIndicator(_) => &[Role::Office],
        Command::FileWeeklyRecord(_) => &[Role::Person],
        Command::CommentWeeklyRecord(_) | Command::ReviewPerson(_) => &[Role::Leader],
        Command::SetPersonalRules(_) | Command::RecordGrade(_) | Command::RecordResultUse(_) => &[Role::Committee],
    }
}

pub fn require_role(command: &Command, actor: &Actor) -> Result<(), Rejection> {
    let allowed = allowed_roles(command);
    if allowed.contains(&actor.role) {
        return Ok(());
    }
    refuse_role(actor, command.name(), allowed)
}

/// Refuses the actor's role for `action`, listing the roles that would do.
pub fn refuse_role<T>(actor: &Actor, action: &str, allowed: &[Role]) -> Result<T, Rejection> {
    let allowed: Vec<&str> = allowed.iter().map(|role| role.as_str()).collect();
    let message = format!("actor.role: role {} may not {action}; allowed: {}", actor.role.as_str(), allowed.join(", "));
    reject(Code::RoleNotAllowed, "actor.role", message)
}

/// The actor's unit must be `unit` or above it.
pub fn require_scope(facts: &Facts, actor: &Actor, unit: &UnitCode) -> Result<(), Rejection> {
    if facts.in_scope(&actor.unit, unit) {
        return Ok(());
    }
    let message = format!("actor.unit: unit {unit} is outside the scope of {}", actor.unit);
    reject(Code::OutOfScope, "actor.unit", message)
}
