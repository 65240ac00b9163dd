//! Checks that several rules share: text and list limits, the characters text may hold, look-ups that
//! refuse unknown or retired things, base periods, period status and links to earlier events.
//!
//! Text comes in two kinds. Names, ids and actor ids are one line: no hidden character at all
//! (`name_characters`). Free text — reasons, grounds, descriptions, reasonings, notes — may hold line
//! feeds and nothing else hidden (`text_characters`). `name`, `actor_id`, `long_text` and
//! `optional_text` apply them, so every text field of every command is checked through one of those.
//!
//! Invariant: each check either returns the thing it looked up or a `Rejection` naming the field it
//! was given; none of them changes anything.

use crate::domain::context::Context;
use crate::domain::facts::{Facts, IndicatorFacts, PeriodFacts, PeriodStatus, PersonFacts, SchemeFacts, UnitFacts};
use crate::domain::ids::{hidden_character, EventId, EvidenceDigest, IndicatorCode, PersonId, SchemeId, UnitCode};
use crate::domain::period::PeriodId;
use crate::domain::rejection::{reject, Rejection, RejectionCode as Code};
use crate::limits::{
    ACTOR_FIELD_BYTES_MAX, EVIDENCE_DIGESTS_PER_ENTRY_MAX, LINKS_PER_ENTRY_MAX, NAME_CHARS_MAX, TEXT_CHARS_MAX,
};

/// Required free text: not blank, at most `chars_max` characters, no hidden characters but line feeds.
pub fn text(field: &str, value: &str, chars_max: usize) -> Result<(), Rejection> {
    not_blank(field, value)?;
    optional_text(field, value, chars_max)
}

/// Free text that may be empty, at most `chars_max` characters, no hidden characters but line feeds.
pub fn optional_text(field: &str, value: &str, chars_max: usize) -> Result<(), Rejection> {
    chars_at_most(field, value, chars_max)?;
    text_characters(field, value)
}

/// A display name (of a unit, person, indicator or tier standard): one line of at most
/// `NAME_CHARS_MAX` characters, not blank.
pub fn name(field: &str, value: &str) -> Result<(), Rejection> {
    not_blank(field, value)?;
    chars_at_most(field, value, NAME_CHARS_MAX)?;
    name_characters(field, value)
}

/// Reasons, grounds, descriptions and reasonings: required free text of at most `TEXT_CHARS_MAX`
/// characters.
pub fn long_text(field: &str, value: &str) -> Result<(), Rejection> {
    text(field, value, TEXT_CHARS_MAX)
}

/// An actor id as the ledger's envelope stores it: not blank, at most `ACTOR_FIELD_BYTES_MAX` bytes, and
/// no hidden characters (which would make logs and audit listings lie about who acted).
pub fn actor_id(field: &str, value: &str) -> Result<(), Rejection> {
    not_blank(field, value)?;
    if value.len() > ACTOR_FIELD_BYTES_MAX {
        let message = format!("{field}: must be at most {ACTOR_FIELD_BYTES_MAX} bytes, got {}", value.len());
        return reject(Code::InvalidText, field, message);
    }
    name_characters(field, value)
}

/// Ids, names and actor ids: no hidden character at all (`ids::hidden_character`: control characters,
/// line feeds included, bidirectional formatting characters, line and paragraph separators), so that
/// what is shown is one line that reads as it is stored.
pub fn name_characters(field: &str, value: &str) -> Result<(), Rejection> {
    refuse_hidden(
        field,
        value,
        |_| false,
        "names and ids may not contain control or bidirectional formatting characters",
    )
}

/// Free text (reasons, grounds, descriptions, notes): line feeds (U+000A) are allowed, every other
/// hidden character is refused as in `name_characters`.
pub fn text_characters(field: &str, value: &str) -> Result<(), Rejection> {
    refuse_hidden(
        field,
        value,
        |c| c == '\n',
        "text may contain line feeds but no other control or bidirectional formatting characters",
    )
}

/// The first hidden character that `allowed` does not let through, named as `U+XXXX` with its
/// position (1-based, in characters) so the message itself shows nothing hidden.
fn refuse_hidden(field: &str, value: &str, allowed: fn(char) -> bool, rule: &str) -> Result<(), Rejection> {
    let found = value
        .chars()
        .enumerate()
        .filter(|(_, c)| !allowed(*c))
        .find_map(|(index, c)| hidden_character(c).map(|what| (index + 1, c, what)));
    match found {
        Some((position, c, what)) => {
            let message = format!("{field}: contains the {what} U+{:04X} at position {position}; {rule}", u32::from(c));
            reject(Code::InvalidText, field, message)
        }
        None => Ok(()),
    }
}

fn not_blank(field: &str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return reject(Code::InvalidText, field, format!("{field}: must not be empty"));
    }
    Ok(())
}

fn chars_at_most(field: &str, value: &str, chars_max: usize) -> Result<(), Rejection> {
    let chars = value.chars().count();
    if chars > chars_max {
        return reject(
            Code::InvalidText,
            field,
            format!("{field}: must be at most {chars_max} characters, got {chars}"),
        );
    }
    Ok(())
}

pub fn list_length(field: &str, length: usize, length_max: usize) -> Result<(), Rejection> {
    if length > length_max {
        return reject(
            Code::InvalidValue,
            field,
            format!("{field}: may hold at most {length_max} entries, got {length}"),
        );
    }
    Ok(())
}

pub fn evidence(field: &str, digests: &[EvidenceDigest]) -> Result<(), Rejection> {
    list_length(field, digests.len(), EVIDENCE_DIGESTS_PER_ENTRY_MAX)
}

/// Links must point at events already in the ledger (the caller looked them up: `Context::known_links`).
pub fn links(context: &Context, field: &str, links: &[EventId]) -> Result<(), Rejection> {
    list_length(field, links.len(), LINKS_PER_ENTRY_MAX)?;
    match links.iter().position(|link| !context.known_links.contains(link)) {
        Some(index) => reject(
            Code::UnknownEvent,
            field,
            format!("{field}: entry {index} names no event in the ledger ({})", links[index]),
        ),
        None => Ok(()),
    }
}

/// The injected id must not name an existing fact.
pub fn fresh_id(facts: &Facts, context: &Context) -> Result<(), Rejection> {
    if facts.fact_ids.contains(&context.new_id) {
        return reject(
            Code::IdAlreadyUsed,
            "context.new_id",
            format!("context.new_id: id {} is already used", context.new_id),
        );
    }
    Ok(())
}

pub fn unit<'a>(facts: &'a Facts, field: &str, code: &UnitCode) -> Result<&'a UnitFacts, Rejection> {
    match facts.units.get(code) {
        None => reject(Code::UnknownUnit, field, format!("{field}: unknown unit {code}")),
        Some(record) if record.retired => reject(Code::UnitRetired, field, format!("{field}: unit {code} is retired")),
        Some(record) => Ok(record),
    }
}

pub fn person<'a>(facts: &'a Facts, field: &str, id: &PersonId) -> Result<&'a PersonFacts, Rejection> {
    match facts.persons.get(id) {
        None => reject(Code::UnknownPerson, field, format!("{field}: unknown person {id}")),
        Some(record) if record.is_retired() => {
            reject(Code::PersonRetired, field, format!("{field}: person {id} is retired"))
        }
        Some(record) => Ok(record),
    }
}

/// A person whose personal information was not erased: nothing more is recorded about one that was
/// (a new text would need the key that is gone), and it is not erased twice.
pub fn not_erased(record: &PersonFacts, field: &str, id: &PersonId) -> Result<(), Rejection> {
    match record.erased {
        true => reject(
            Code::PersonErased,
            field,
            format!("{field}: the personal information of {id} was erased; nothing more is recorded about it"),
        ),
        false => Ok(()),
    }
}

pub fn scheme<'a>(facts: &'a Facts, field: &str, id: &SchemeId) -> Result<&'a SchemeFacts, Rejection> {
    facts
        .schemes
        .get(id)
        .ok_or_else(|| Rejection::new(Code::UnknownScheme, field, format!("{field}: unknown scheme {id}")))
}

pub fn indicator<'a>(
    scheme: &'a SchemeFacts,
    field: &str,
    code: &IndicatorCode,
) -> Result<&'a IndicatorFacts, Rejection> {
    scheme.indicators.get(code).ok_or_else(|| {
        let message = format!("{field}: unknown indicator {code} in scheme {}", scheme.settings.scheme);
        Rejection::new(Code::UnknownIndicator, field, message)
    })
}

/// The indicator, refusing one retired by `period`.
pub fn indicator_at<'a>(
    scheme: &'a SchemeFacts,
    field: &str,
    code: &IndicatorCode,
    period: PeriodId,
) -> Result<&'a IndicatorFacts, Rejection> {
    let record = indicator(scheme, field, code)?;
    if record.is_retired_at(period) {
        return reject(Code::IndicatorRetired, field, format!("{field}: indicator {code} is retired from {period}"));
    }
    Ok(record)
}

/// The period must be one of the scheme's base periods (right kind, right year).
pub fn base_period(scheme: &SchemeFacts, field: &str, period: PeriodId) -> Result<(), Rejection> {
    let settings = &scheme.settings;
    if period.kind() != settings.base_period || period.year() != settings.year {
        let message = format!(
            "{field}: {period} is not a base period of scheme {} ({} periods of {})",
            settings.scheme,
            settings.base_period.as_str(),
            settings.year
        );
        return reject(Code::NotABasePeriod, field, message);
    }
    Ok(())
}

/// The opened base period.
pub fn opened_period<'a>(scheme: &'a SchemeFacts, field: &str, period: PeriodId) -> Result<&'a PeriodFacts, Rejection> {
    base_period(scheme, field, period)?;
    scheme.periods.get(&period).ok_or_else(|| {
        let message = format!("{field}: period {period} of scheme {} is not open yet", scheme.settings.scheme);
        Rejection::new(Code::UnknownPeriod, field, message)
    })
}

/// An opened base period that is not final: it still takes facts.
pub fn period_taking_facts(scheme: &SchemeFacts, field: &str, period: PeriodId) -> Result<(), Rejection> {
    let record = opened_period(scheme, field, period)?;
    if record.status == PeriodStatus::Final {
        return reject(Code::PeriodFinal, field, format!("{field}: period {period} is final"));
    }
    Ok(())
}

/// A change effective from `from` must not reach into a final period.
pub fn no_final_period_from(scheme: &SchemeFacts, field: &str, from: PeriodId) -> Result<(), Rejection> {
    let final_period =
        scheme.periods.iter().find(|(period, record)| **period >= from && record.status == PeriodStatus::Final);
    match final_period {
        Some((period, _)) => {
            reject(Code::PeriodFinal, field, format!("{field}: period {period} is final and cannot change"))
        }
        None => Ok(()),
    }
}

/// The first base period of the scheme's year.
pub fn first_period(scheme: &SchemeFacts) -> PeriodId {
    let settings = &scheme.settings;
    PeriodId::new(settings.year, settings.base_period, 1).expect("a scheme year within limits has a first period")
}
