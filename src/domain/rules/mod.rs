//! `decide`: for each command, the events to append or the reason to refuse. One file per area; the
//! checks they share live in `checks`, and who may do what in `access`.
//!
//! Invariant: `decide` is a pure function of (state, command, context). It reads no clock, makes no
//! id, and returns either a non-empty list of events for one stream or a `Rejection`.

mod access;
mod access_grants;
mod appeal;
mod assessment;
mod cause;
mod checks;
mod organisation;
mod period;
mod scheme;
mod settings;

use super::command::Command;
use super::context::Context;
use super::event::Event;
use super::rejection::Rejection;
use super::state::State;

pub use access::allowed_roles;

/// Decides `command`, issued in `context`, against `state`.
pub fn decide(state: &State, command: &Command, context: &Context) -> Result<Vec<Event>, Rejection> {
    access::require_role(command, &context.actor)?;
    let event = match command {
        Command::RegisterUnit(command) => organisation::register_unit(state, command, context)?,
        Command::RenameUnit(command) => organisation::rename_unit(state, command, context)?,
        Command::RetireUnit(command) => organisation::retire_unit(state, command, context)?,
        Command::RegisterPerson(command) => organisation::register_person(state, command, context)?,
        Command::MovePerson(command) => organisation::move_person(state, command, context)?,
        Command::RetirePerson(command) => organisation::retire_person(state, command, context)?,
        Command::OpenScheme(command) => scheme::open_scheme(state, command, context)?,
        Command::DefineIndicator(command) => scheme::define_indicator(state, command, context)?,
        Command::ReviseIndicator(command) => scheme::revise_indicator(state, command, context)?,
        Command::RetireIndicator(command) => scheme::retire_indicator(state, command, context)?,
        Command::AssignIndicator(command) => scheme::assign_indicator(state, command, context)?,
        Command::MarkIndicatorNotApplicable(command) => scheme::mark_not_applicable(state, command, context)?,
        Command::OpenPeriod(command) => period::open_period(state, command, context)?,
        Command::PublishResults(command) => period::publish_results(state, command, context)?,
        Command::FinalisePeriod(command) => period::finalise_period(state, command, context)?,
        Command::ReopenPeriod(command) => period::reopen_period(state, command, context)?,
        Command::AwardTier(command) => assessment::award_tier(state, command, context)?,
        Command::RecordDeduction(command) => assessment::record_deduction(state, command, context)?,
        Command::WithdrawDeduction(command) => assessment::withdraw_deduction(state, command, context)?,
        Command::AwardBonus(command) => assessment::award_bonus(state, command, context)?,
        Command::ApplyVeto(command) => assessment::apply_veto(state, command, context)?,
        Command::AttributeCause(command) => cause::attribute_cause(state, command, context)?,
        Command::RecordRectification(command) => cause::record_rectification(state, command, context)?,
        Command::FileAppeal(command) => appeal::file_appeal(state, command, context)?,
        Command::DecideAppeal(command) => appeal::decide_appeal(state, command, context)?,
        Command::EscalateAppeal(command) => appeal::escalate_appeal(state, command, context)?,
        Command::WithdrawAppeal(command) => appeal::withdraw_appeal(state, command, context)?,
        Command::GrantAccess(command) => access_grants::grant_access(state, command, context)?,
        Command::RevokeAccess(command) => access_grants::revoke_access(state, command, context)?,
        Command::SetTimeZone(command) => settings::set_time_zone(state, command, context)?,
    };
    // Every command records exactly one fact today; the list leaves room for decisions that record
    // several facts of one stream at once.
    Ok(vec![event])
}
