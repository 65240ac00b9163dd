//! Shape checks of an append request, done on the caller's thread before it reaches the committer.
//! Each failure names the field it concerns.

use crate::limits::{ACTOR_FIELD_BYTES_MAX, COMMAND_ID_BYTES_MAX, EVENTS_PER_APPEND_MAX, STREAM_ID_BYTES_MAX};
use crate::store::error::AppendError;
use crate::store::types::SealedAppend;

pub fn validate(append: &SealedAppend) -> Result<(), AppendError> {
    if append.events.is_empty() {
        return Err(AppendError::invalid("events", "an append needs at least one event"));
    }
    if append.events.len() > EVENTS_PER_APPEND_MAX {
        return Err(AppendError::invalid(
            "events",
            format!("{} events exceed the limit of {EVENTS_PER_APPEND_MAX} per append", append.events.len()),
        ));
    }
    for event in &append.events {
        validate_stream_id(&event.stream)?;
    }
    if let Some(command) = &append.command {
        validate_name("command_id", &command.command_id, COMMAND_ID_BYTES_MAX)?;
    }
    Ok(())
}

/// An actor's id: 1 to `ACTOR_FIELD_BYTES_MAX` bytes, no control characters.
pub fn validate_actor(actor: &crate::domain::RecordedBy) -> Result<(), AppendError> {
    validate_name("actor.id", &actor.id, ACTOR_FIELD_BYTES_MAX)
}

/// Stream ids are 1 to `STREAM_ID_BYTES_MAX` ASCII letters, digits and `._:@-`, so they sort and print
/// predictably and can never contain the 0x00 that separates them from versions in index keys.
pub fn validate_stream_id(stream: &str) -> Result<(), AppendError> {
    if stream.is_empty() || stream.len() > STREAM_ID_BYTES_MAX {
        return Err(AppendError::invalid("stream", format!("must be 1 to {STREAM_ID_BYTES_MAX} bytes")));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._:@-".contains(c);
    if !stream.chars().all(allowed) {
        return Err(AppendError::invalid("stream", "may hold only ASCII letters, digits and ._:@-"));
    }
    Ok(())
}

fn validate_name(field: &'static str, value: &str, bytes_max: usize) -> Result<(), AppendError> {
    if value.is_empty() || value.len() > bytes_max {
        return Err(AppendError::invalid(field, format!("must be 1 to {bytes_max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(AppendError::invalid(field, "must not contain control characters"));
    }
    Ok(())
}
