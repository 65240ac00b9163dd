//! Commands: what users ask for, one struct per command, and the `Command` enum that decodes them from
//! JSON with errors that name the offending field.
//!
//! Invariant: a command is only a request. It carries what the user typed (codes, points in hundredths,
//! text); validity against the ledger is decided in `rules`, and every id of a new fact comes from the
//! `Context`, never from the command. Unknown fields are refused, so a typo cannot be silently ignored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::appeal::{AppealOutcome, AppealTarget};
use super::context::Role;
use super::date::Date;
use super::ids::{
    AppealId, DeductionId, EventId, EvidenceDigest, FunctionCode, IndicatorCode, PersonId, ProblemCategory, SchemeId,
    TokenHash, UnitCode,
};
use super::json_path::path_at_offset;
use super::organisation::UnitLevel;
use super::period::{PeriodId, PeriodKind};
pub use super::person_commands::{
    AssessPersonalIndicator, CommentWeeklyRecord, DefinePersonalIndicator, FileWeeklyRecord, RecordGrade,
    RecordResultUse, ReviewPerson, SetPersonalRules,
};
use super::points::Points;
use super::rejection::{Rejection, RejectionCode};
use super::scheme::{IndicatorMethod, RepeatRule, TierRule, TierRulesByFunction, TierStandard};
use super::timestamp::UtcOffset;
use super::unique_keys::{check_unique_keys, StrictJsonError};

// ---- Organisation ----------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterUnit {
    pub unit: UnitCode,
    pub name: String,
    pub level: UnitLevel,
    /// `None` only for the root of the administration.
    pub parent: Option<UnitCode>,
    /// Required for sections and branches: what they do, so peers across bureaus are comparable.
    pub function_code: Option<FunctionCode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameUnit {
    pub unit: UnitCode,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireUnit {
    pub unit: UnitCode,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterPerson {
    pub person: PersonId,
    pub name: String,
    pub unit: UnitCode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovePerson {
    pub person: PersonId,
    pub to_unit: UnitCode,
    /// The day the move takes effect (the person counts in `to_unit` from that day); today, in the
    /// ledger's time zone, when left out. Not before the day their current stretch began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_on: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetirePerson {
    pub person: PersonId,
    pub reason: String,
}

/// Erases a person's personal information (PIPL 第四十七条): the key their texts are sealed under is
/// destroyed, so their name, weekly records, comments and reviews' comments read as erased; every event,
/// score and ranking stays as it was. `legal_basis` says why (e.g. "本人申请删除 (PIPL 第四十七条)").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasePerson {
    pub person: PersonId,
    pub legal_basis: String,
}

// ---- Scheme and indicators -------------------------------------------------------------------

fn default_base_period() -> PeriodKind {
    PeriodKind::Month
}
fn default_objection_window_days() -> u32 {
    5
}
fn default_escalation_window_days() -> u32 {
    5
}
fn default_decision_window_days() -> u32 {
    10
}
fn default_bonus_cap() -> Points {
    Points(300)
}

/// Opens the issuer's scheme for a year; settings left out take the defaults of docs/RULES.md.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenScheme {
    pub issuer: UnitCode,
    pub year: i32,
    #[serde(default = "default_base_period")]
    pub base_period: PeriodKind,
    /// The rule of the units the scheme assesses directly: required for a scheme that assesses
    /// bureaus (a city's counties); a county's own scheme, which assesses its sections, defaults to
    /// shares 30/50/20 (the event records the rule either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_tier_rule: Option<TierRule>,
    #[serde(default = "TierRule::default_for_sections")]
    pub section_tier_rule: TierRule,
    #[serde(default)]
    pub section_tier_rules: TierRulesByFunction,
    #[serde(default = "default_objection_window_days")]
    pub objection_window_days: u32,
    #[serde(default = "default_escalation_window_days")]
    pub escalation_window_days: u32,
    #[serde(default = "default_decision_window_days")]
    pub decision_window_days: u32,
    #[serde(default = "default_bonus_cap")]
    pub bonus_cap: Points,
    #[serde(default)]
    pub repeat_rule: RepeatRule,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefineIndicator {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub points_max: Points,
    pub method: IndicatorMethod,
    #[serde(default)]
    pub veto: bool,
    #[serde(default)]
    pub problem_categories: Vec<ProblemCategory>,
    pub assessor: UnitCode,
    /// The first base period it is assessed in; the scheme's first when left out.
    pub effective_from: Option<PeriodId>,
}

/// Changes points, tiers or text from `effective_from` on; at least one of them must be given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviseIndicator {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub effective_from: PeriodId,
    pub name: Option<String>,
    pub description: Option<String>,
    pub points_max: Option<Points>,
    pub tiers: Option<Vec<TierStandard>>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireIndicator {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub effective_from: PeriodId,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignIndicator {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    /// The assessed unit whose plan this is (`YS07`).
    pub unit: UnitCode,
    pub lead_section: UnitCode,
    #[serde(default)]
    pub supporting_sections: Vec<UnitCode>,
    pub responsible_person: Option<PersonId>,
    /// The first base period the unit carries it in; the indicator's own first period when left out.
    pub effective_from: Option<PeriodId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkIndicatorNotApplicable {
    pub scheme: SchemeId,
    pub indicator: IndicatorCode,
    pub unit: UnitCode,
    /// From which base period it no longer applies; the indicator's own first period when left out.
    pub effective_from: Option<PeriodId>,
    pub reason: String,
    /// The person who approved dropping it.
    pub approver: PersonId,
}

/// Takes an indicator of the city's scheme into a county's own scheme with the county's points: it
/// then counts there for the section the county made its lead in the city's scheme, scored from the
/// city's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeOverIndicator {
    /// The county's own scheme (`YS07-2017`).
    pub scheme: SchemeId,
    /// The city indicator's code, which it keeps.
    pub indicator: IndicatorCode,
    /// The city's scheme of the same year (`YS-2017`).
    pub city_scheme: SchemeId,
    /// What it is worth in the county's scheme.
    pub points_max: Points,
    /// The first base period it counts in; the later of the scheme's first and the city indicator's
    /// own first when left out.
    pub effective_from: Option<PeriodId>,
}

// ---- Periods ---------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenPeriod {
    pub scheme: SchemeId,
    pub period: PeriodId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishResults {
    pub scheme: SchemeId,
    pub period: PeriodId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinalisePeriod {
    pub scheme: SchemeId,
    pub period: PeriodId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReopenPeriod {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub reason: String,
}

// ---- Assessment ------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardTier {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub tier: u32,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDeduction {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub points: Points,
    pub reason: String,
    pub problem_category: ProblemCategory,
    #[serde(default)]
    pub evidence_digests: Vec<EvidenceDigest>,
    #[serde(default)]
    pub links: Vec<EventId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawDeduction {
    pub deduction_id: DeductionId,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardBonus {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub points: Points,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplyVeto {
    pub scheme: SchemeId,
    pub period: PeriodId,
    pub unit: UnitCode,
    pub indicator: IndicatorCode,
    pub reason: String,
}

// ---- Cause and remedy ------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeCause {
    pub deduction_id: DeductionId,
    pub cause_unit: UnitCode,
    pub description: String,
    #[serde(default)]
    pub evidence_digests: Vec<EvidenceDigest>,
    #[serde(default)]
    pub links: Vec<EventId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRectification {
    pub deduction_id: DeductionId,
    pub description: String,
    #[serde(default)]
    pub evidence_digests: Vec<EvidenceDigest>,
    #[serde(default)]
    pub links: Vec<EventId>,
}

// ---- Appeals ---------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAppeal {
    /// A deduction or a tier award (the points), or a deduction's cause attribution (the blame).
    pub target: AppealTarget,
    pub grounds: String,
    /// Digests (blake3) of the documents the grounds rest on; none when left out
    /// (and then left out of the payload, as before appeals carried evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_digests: Vec<EvidenceDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideAppeal {
    pub appeal_id: AppealId,
    pub outcome: AppealOutcome,
    pub reasoning: String,
    /// Digests (blake3) of the documents the decision rests on; none when left out
    /// (and then left out of the payload, as before appeals carried evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_digests: Vec<EvidenceDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateAppeal {
    pub appeal_id: AppealId,
    pub grounds: String,
    /// Digests (blake3) of the documents the grounds rest on; none when left out
    /// (and then left out of the payload, as before appeals carried evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_digests: Vec<EvidenceDigest>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawAppeal {
    pub appeal_id: AppealId,
    pub reason: String,
}

// ---- Access --------------------------------------------------------------------------------

/// Binds a bearer token, known only by its hash, to an actor id, a role and a unit scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantAccess {
    pub token_hash: TokenHash,
    /// The id every event recorded with the token carries as its actor.
    pub actor_id: String,
    pub role: Role,
    /// The unit that bounds the holder's scope: it and everything under it.
    pub unit: UnitCode,
    /// Why or for whom it was issued; may be empty.
    #[serde(default)]
    pub note: String,
    /// For how many days the token acts, counted in whole days of 24 hours from the grant: 1 to 366;
    /// 90 when left out (the event records the number either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<u32>,
    /// The person the token speaks for: required for role `person` (who then reads only their own
    /// data), allowed for role `leader`; an actor id speaks for one person only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeAccess {
    pub token_hash: TokenHash,
    pub reason: String,
}

// ---- Ledger settings ---------------------------------------------------------------------------

/// Records the ledger's time zone: the zone a bare date (`as_of=2017-07-12`) is read in, so that
/// every reader of the ledger turns a date into the same instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetTimeZone {
    pub utc_offset: UtcOffset,
}

/// Records that checkpoints are signed with a new key from this event on (`kpi-ledger key rotate`
/// on the server's machine, which makes the key; no other way of sending it is accepted): the public
/// halves, 64 lower-case hex digits each, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateSigningKey {
    pub public_key: crate::domain::ids::PublicKeyHex,
    pub previous_public_key: crate::domain::ids::PublicKeyHex,
    pub reason: String,
}

// ---- The enum --------------------------------------------------------------------------------

/// Declares the commands once: the list below is the only list of commands. The enum, its names,
/// its decoders, `CommandKind` and each payload's JSON Schema (schemas/commands/<Command>.json, which
/// must exist or the crate does not compile) all come from it; the HTTP routes and the OpenAPI
/// document are derived from `CommandKind`, so no other list of commands is kept by hand.
macro_rules! commands {
    ($($variant:ident,)+) => {
        /// Every request the domain decides. As JSON: `{"command": "RecordDeduction", "payload": {…}}`.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "command", content = "payload", deny_unknown_fields)]
        pub enum Command {
            $($variant($variant),)+
        }

        /// Which command, without its payload: one variant per `Command` variant, same names. A
        /// `match` on it is exhaustive, so an adapter keyed by command (an HTTP route, say) cannot
        /// leave a new command out.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CommandKind {
            $($variant,)+
        }

        impl CommandKind {
            /// Every command, in declaration order.
            pub const ALL: &'static [CommandKind] = &[$(CommandKind::$variant,)+];

            /// The command's name, imperative PascalCase (`RecordDeduction`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(CommandKind::$variant => stringify!($variant),)+
                }
            }

            /// The command named `name`, if there is one.
            pub fn from_name(name: &str) -> Option<CommandKind> {
                match name {
                    $(stringify!($variant) => Some(CommandKind::$variant),)+
                    _ => None,
                }
            }

            /// The JSON Schema (draft 2020-12) of the command's payload: the text of
            /// schemas/commands/<name>.json, embedded at build time. It refers to
            /// `../definitions.json` for shared types.
            pub const fn payload_schema(self) -> &'static str {
                match self {
                    $(CommandKind::$variant => include_str!(concat!("../../schemas/commands/", stringify!($variant), ".json")),)+
                }
            }
        }

        impl Command {
            /// Every command name, in declaration order (the names of `CommandKind::ALL`).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($variant),)+];

            /// Which command this is.
            pub fn kind(&self) -> CommandKind {
                match self {
                    $(Command::$variant(_) => CommandKind::$variant,)+
                }
            }

            /// The command's name, imperative PascalCase (`RecordDeduction`).
            pub fn name(&self) -> &'static str {
                self.kind().name()
            }

            /// Decodes a payload of the named command; errors name the offending field.
            pub fn from_payload(name: &str, payload: &Value) -> Result<Command, Rejection> {
                match name {
                    $(stringify!($variant) => decode_payload(payload).map(Command::$variant),)+
                    _ => Err(Rejection::new(
                        RejectionCode::InvalidCommand,
                        "command",
                        format!("command: unknown command {name:?}"),
                    )),
                }
            }

            /// The payload as JSON, as `from_payload` reads it.
            pub fn payload(&self) -> Value {
                match self {
                    $(Command::$variant(inner) => serde_json::to_value(inner),)+
                }
                .expect("command payload serialises to JSON")
            }
        }

        $(
            impl From<$variant> for Command {
                fn from(command: $variant) -> Command {
                    Command::$variant(command)
                }
            }
        )+
    };
}

commands! {
    RegisterUnit,
    RenameUnit,
    RetireUnit,
    RegisterPerson,
    MovePerson,
    RetirePerson,
    ErasePerson,
    OpenScheme,
    DefineIndicator,
    ReviseIndicator,
    RetireIndicator,
    AssignIndicator,
    MarkIndicatorNotApplicable,
    TakeOverIndicator,
    OpenPeriod,
    PublishResults,
    FinalisePeriod,
    ReopenPeriod,
    AwardTier,
    RecordDeduction,
    WithdrawDeduction,
    AwardBonus,
    ApplyVeto,
    AttributeCause,
    RecordRectification,
    FileAppeal,
    DecideAppeal,
    EscalateAppeal,
    WithdrawAppeal,
    GrantAccess,
    RevokeAccess,
    SetTimeZone,
    RotateSigningKey,
    DefinePersonalIndicator,
    AssessPersonalIndicator,
    FileWeeklyRecord,
    CommentWeeklyRecord,
    ReviewPerson,
    SetPersonalRules,
    RecordGrade,
    RecordResultUse,
}

impl Command {
    /// The events the command links to, which must be in the ledger (`Context::known_links`).
    pub fn links(&self) -> &[EventId] {
        match self {
            Command::RecordDeduction(command) => &command.links,
            Command::AttributeCause(command) => &command.links,
            Command::RecordRectification(command) => &command.links,
            _ => &[],
        }
    }
}

/// The envelope clients send: a command name and its payload.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandEnvelope {
    command: String,
    payload: Value,
}

impl Command {
    /// Decodes `{"command": …, "payload": {…}}`; errors name the offending field of the payload.
    pub fn from_json(text: &str) -> Result<Command, Rejection> {
        refuse_duplicate_keys(text.as_bytes())?;
        let envelope: CommandEnvelope = decode_text(text)?;
        Command::from_payload(&envelope.command, &envelope.payload)
    }
}

/// A document that names a key twice is refused before it is decoded (see `unique_keys`).
pub fn refuse_duplicate_keys(text: &[u8]) -> Result<(), Rejection> {
    match check_unique_keys(text) {
        Ok(()) => Ok(()),
        Err(StrictJsonError::Duplicate(duplicate)) => {
            let field = if duplicate.path.is_empty() { "payload".to_owned() } else { duplicate.path.clone() };
            Err(Rejection::new(RejectionCode::InvalidCommand, field, duplicate.to_string()))
        }
        // Syntax errors are reported by the decoder, which names the field.
        Err(StrictJsonError::Syntax(_)) => Ok(()),
    }
}

fn decode_payload<T: for<'de> Deserialize<'de>>(payload: &Value) -> Result<T, Rejection> {
    // Decoding from compact text (not from the `Value`) keeps serde_json's position, which
    // `path_at_offset` turns into the field's name.
    decode_text(&payload.to_string())
}

fn decode_text<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, Rejection> {
    serde_json::from_str(text).map_err(|error| invalid_command(text, &error))
}

fn invalid_command(text: &str, error: &serde_json::Error) -> Rejection {
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(end) => message[..end].to_owned(),
        None => message,
    };
    let offset = byte_offset(text, error.line(), error.column());
    // An error at the first token is about the payload as a whole (e.g. an array instead of an object).
    let mut path = if offset <= 1 { Vec::new() } else { path_at_offset(text, offset) };
    if let Some(missing) = backticked_after(&message, "missing field `") {
        path.push(missing);
    }
    let field = if path.is_empty() { "payload".to_owned() } else { path.join(".") };
    // serde quotes the offending value; a hidden character in it is shown as an escape, never echoed.
    let message: String = message
        .chars()
        .map(|c| match super::ids::hidden_character(c) {
            Some(_) => format!("\\u{{{:x}}}", u32::from(c)),
            None => c.to_string(),
        })
        .collect();
    Rejection::new(RejectionCode::InvalidCommand, field.clone(), format!("{field}: {message}"))
}

/// serde_json counts lines from 1 and columns in bytes from 1 on that line.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column).min(text.len())
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_owned())
}
