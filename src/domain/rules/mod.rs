//! `decide`: for each command, the events to append or the reason to refuse. One file per area; the
//! checks they share live in `checks`, and who may do what in `access`.
//!
//! Invariant: `decide` is a pure function of (facts, command, context). It reads no clock, makes no
//! id, and returns either a non-empty list of events for one stream or a `Rejection`.

mod access;
mod access_grants;
mod appeal;
mod assessment;
mod cause;
mod checks;
mod organisation;
mod own_scheme;
mod period;
mod personal;
mod scheme;
mod settings;

use super::command::Command;
use super::context::Context;
use super::event::Event;
use super::facts::Facts;
use super::rejection::Rejection;

pub use access::allowed_roles;

/// Decides `command`, issued in `context`, against `facts`.
pub fn decide(facts: &Facts, command: &Command, context: &Context) -> Result<Vec<Event>, Rejection> {
    access::require_role(command, &context.actor)?;
    // The acting id goes into every event's envelope: held to the same rule as a granted actor id.
    checks::actor_id("actor.id", &context.actor.id)?;
    let event = match command {
        Command::RegisterUnit(command) => organisation::register_unit(facts, command, context)?,
        Command::RenameUnit(command) => organisation::rename_unit(facts, command, context)?,
        Command::RetireUnit(command) => organisation::retire_unit(facts, command, context)?,
        Command::RegisterPerson(command) => organisation::register_person(facts, command, context)?,
        Command::MovePerson(command) => organisation::move_person(facts, command, context)?,
        Command::RetirePerson(command) => organisation::retire_person(facts, command, context)?,
        Command::ErasePerson(command) => organisation::erase_person(facts, command, context)?,
        Command::OpenScheme(command) => scheme::open_scheme(facts, command, context)?,
        Command::DefineIndicator(command) => scheme::define_indicator(facts, command, context)?,
        Command::ReviseIndicator(command) => scheme::revise_indicator(facts, command, context)?,
        Command::RetireIndicator(command) => scheme::retire_indicator(facts, command, context)?,
        Command::AssignIndicator(command) => scheme::assign_indicator(facts, command, context)?,
        Command::MarkIndicatorNotApplicable(command) => scheme::mark_not_applicable(facts, command, context)?,
        Command::TakeOverIndicator(command) => own_scheme::take_over_indicator(facts, command, context)?,
        Command::OpenPeriod(command) => period::open_period(facts, command, context)?,
        Command::PublishResults(command) => period::publish_results(facts, command, context)?,
        Command::FinalisePeriod(command) => period::finalise_period(facts, command, context)?,
        Command::ReopenPeriod(command) => period::reopen_period(facts, command, context)?,
        Command::AwardTier(command) => assessment::award_tier(facts, command, context)?,
        Command::RecordDeduction(command) => assessment::record_deduction(facts, command, context)?,
        Command::WithdrawDeduction(command) => assessment::withdraw_deduction(facts, command, context)?,
        Command::AwardBonus(command) => assessment::award_bonus(facts, command, context)?,
        Command::ApplyVeto(command) => assessment::apply_veto(facts, command, context)?,
        Command::AttributeCause(command) => cause::attribute_cause(facts, command, context)?,
        Command::RecordRectification(command) => cause::record_rectification(facts, command, context)?,
        Command::FileAppeal(command) => appeal::file_appeal(facts, command, context)?,
        Command::DecideAppeal(command) => appeal::decide_appeal(facts, command, context)?,
        Command::EscalateAppeal(command) => appeal::escalate_appeal(facts, command, context)?,
        Command::WithdrawAppeal(command) => appeal::withdraw_appeal(facts, command, context)?,
        Command::GrantAccess(command) => access_grants::grant_access(facts, command, context)?,
        Command::RevokeAccess(command) => access_grants::revoke_access(facts, command, context)?,
        Command::SetTimeZone(command) => settings::set_time_zone(facts, command, context)?,
        Command::RotateSigningKey(command) => settings::rotate_signing_key(facts, command, context)?,
        Command::DefinePersonalIndicator(command) => personal::define_personal_indicator(facts, command, context)?,
        Command::AssessPersonalIndicator(command) => personal::assess_personal_indicator(facts, command, context)?,
        Command::FileWeeklyRecord(command) => personal::file_weekly_record(facts, command, context)?,
        Command::CommentWeeklyRecord(command) => personal::comment_weekly_record(facts, command, context)?,
        Command::ReviewPerson(command) => personal::review_person(facts, command, context)?,
        Command::SetPersonalRules(command) => personal::set_personal_rules(facts, command, context)?,
        Command::RecordGrade(command) => personal::record_grade(facts, command, context)?,
        Command::RecordResultUse(command) => personal::record_result_use(facts, command, context)?,
    };
    // Every command records exactly one fact today; the list leaves room for decisions that record
    // several facts of one stream at once.
    Ok(vec![event])
}
