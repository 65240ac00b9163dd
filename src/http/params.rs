//! Query parameters, declared once per read route with their types and ranges: the same declaration
//! parses a request (every error names the parameter) and writes the route's OpenAPI parameters.
//! `PathParam` reads a path segment the same way (invalid percent-encoding or UTF-8 is a problem
//! naming the segment, never axum's plain-text rejection).
//!
//! Invariant: a request's query is refused unless every parameter is declared by its route, given at
//! most once, and valid for its kind; nothing is clamped or ignored silently.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::domain::{FunctionCode, PeriodId, Role, SchemeId, UnitCode};
use crate::http::problem::Problem;
use crate::projection::{AsOf, Counting};
use crate::service::queries::parse_as_of;
use crate::service::records::{parse_saved_head, SAVED_HEAD_EXPECTED};

/// What a parameter holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A unit code (`YS07`, `YS07-BGS`).
    Unit,
    /// A scheme id (`YS-2017`).
    Scheme,
    /// A section function code (`ZG`).
    FunctionCode,
    /// A person's staff code (`YS07-0301`).
    Person,
    /// An indicator code (`ZG-04`).
    Indicator,
    /// A problem category (`document_filing`).
    Category,
    /// A period (`2017-07`, `2017-Q3`, `2017-H1`, `2017`).
    Period,
    /// `latest`, a sequence number, a date or an RFC 3339 instant.
    AsOf,
    /// `true` or `false`.
    Bool,
    /// A whole number from `min` to `max`.
    Integer { min: u64, max: u64 },
    /// Free text of at most `chars_max` characters.
    Text { chars_max: usize },
    /// A role: `admin`, `assessor`, `office`, `appellant`, `reviewer`, `committee`, `auditor`, `leader` or
    /// `person`.
    Role,
    /// A chain head noted earlier, `SEQ:HASH`.
    SavedHead,
    /// From 1 to `items_max` sequence numbers (each from 1), separated by commas.
    SeqList { items_max: usize },
    /// One of `values`, spelled exactly.
    Choice { values: &'static [&'static str] },
}

/// One declared query parameter.
#[derive(Clone, Copy, Debug)]
pub struct QueryParam {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    pub description: &'static str,
}

pub const fn param(name: &'static str, kind: ParamKind, description: &'static str) -> QueryParam {
    QueryParam { name, kind, required: false, description }
}

pub const fn required(name: &'static str, kind: ParamKind, description: &'static str) -> QueryParam {
    QueryParam { name, kind, required: true, description }
}

/// The parameters most reads share.
pub const AS_OF: QueryParam = param(
    "as_of",
    ParamKind::AsOf,
    "answer as the ledger stood then: `latest` (default), a sequence number (at most the head), a date \
     `YYYY-MM-DD` (the end of that day in the ledger's time zone, +08:00 unless recorded otherwise) or an \
     RFC 3339 instant; the answer echoes `as_of_seq` and `as_of_instant`",
);
pub const PERIOD: QueryParam =
    required("period", ParamKind::Period, "a base period (`2017-07`) or a roll-up (`2017-Q3`, `2017-H1`, `2017`)");
pub const UNIT: QueryParam = required("unit", ParamKind::Unit, "a unit code");
pub const PROVISIONAL: QueryParam = param(
    "provisional",
    ParamKind::Bool,
    "count open (not yet published) months in quarters, halves and the year, with what is recorded so far; \
     default false: roll-ups count published and final months only. A month asked about on its own is shown \
     while open. Every answer lists the open months it counted in `provisional_periods`",
);

/// A request's validated query: only declared names, each once.
#[derive(Debug, Default)]
pub struct Params {
    values: BTreeMap<&'static str, String>,
}

impl Params {
    /// Parses `query` (the URI's query string) against `declared`.
    pub fn parse(query: Option<&str>, declared: &[QueryParam]) -> Result<Params, Problem> {
        let mut params = Params::default();
        for (name, value) in form_urlencoded(query.unwrap_or(""))? {
            let Some(known) = declared.iter().find(|param| param.name == name) else {
                let names: Vec<&str> = declared.iter().map(|param| param.name).collect();
                let expected = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
                return Err(invalid(&name, format!("{name}: unknown parameter; this endpoint takes {expected}")));
            };
            if params.values.insert(known.name, value).is_some() {
                return Err(invalid(known.name, format!("{}: given more than once", known.name)));
            }
        }
        for param in declared {
            match params.values.get(param.name) {
                None if param.required => return Err(invalid(param.name, format!("{}: required", param.name))),
                None => {}
                Some(value) => check(param, value)?,
            }
        }
        Ok(params)
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn unit(&self, name: &'static str) -> Option<UnitCode> {
        self.text(name).map(|text| UnitCode::new(text).expect("checked by parse"))
    }

    pub fn scheme(&self, name: &'static str) -> Option<SchemeId> {
        self.text(name).map(|text| SchemeId::new(text).expect("checked by parse"))
    }

    pub fn person(&self, name: &'static str) -> Option<crate::domain::PersonId> {
        self.text(name).map(|text| crate::domain::PersonId::new(text).expect("checked by parse"))
    }

    pub fn function_code(&self, name: &'static str) -> Option<FunctionCode> {
        self.text(name).map(|text| FunctionCode::new(text).expect("checked by parse"))
    }

    pub fn period(&self, name: &'static str) -> Option<PeriodId> {
        self.text(name).map(|text| PeriodId::parse(text).expect("checked by parse"))
    }

    /// The as-of point; `latest` when absent.
    pub fn as_of(&self, name: &'static str) -> AsOf {
        self.text(name).map_or(AsOf::Latest, |text| parse_as_of(text).expect("checked by parse"))
    }

    /// Which base periods a score read counts: open ones too with `provisional=true`.
    pub fn counting(&self) -> Counting {
        match self.bool("provisional") {
            Some(true) => Counting::Provisional,
            _ => Counting::Published,
        }
    }

    pub fn bool(&self, name: &'static str) -> Option<bool> {
        self.text(name).map(|text| text == "true")
    }

    pub fn integer(&self, name: &'static str) -> Option<u64> {
        self.text(name).map(|text| text.parse().expect("checked by parse"))
    }

    pub fn role(&self, name: &'static str) -> Option<Role> {
        self.text(name).map(|text| role(text).expect("checked by parse"))
    }

    pub fn seq_list(&self, name: &'static str) -> Option<Vec<u64>> {
        self.text(name).map(|text| text.split(',').map(|part| part.parse().expect("checked by parse")).collect())
    }
}

fn role(text: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|role| role.as_str() == text)
}

fn invalid(field: &str, detail: String) -> Problem {
    Problem::bad_request("invalid_query", field, detail)
}

/// Checks one value against its declared kind; the error names the parameter.
fn check(param: &QueryParam, value: &str) -> Result<(), Problem> {
    let name = param.name;
    let outcome: Result<(), String> = match param.kind {
        ParamKind::Unit => UnitCode::new(value).map(drop),
        ParamKind::Scheme => SchemeId::new(value).map(drop),
        ParamKind::FunctionCode => FunctionCode::new(value).map(drop),
        ParamKind::Person => crate::domain::PersonId::new(value).map(drop),
        ParamKind::Indicator => crate::domain::IndicatorCode::new(value).map(drop),
        ParamKind::Category => crate::domain::ProblemCategory::new(value).map(drop),
        ParamKind::Period => PeriodId::parse(value).map(drop),
        ParamKind::AsOf => parse_as_of(value).map(drop),
        ParamKind::Bool => match value {
            "true" | "false" => Ok(()),
            _ => Err(format!("expected true or false, got {value:?}")),
        },
        ParamKind::Integer { min, max } => match value.parse::<u64>() {
            Ok(number) if (min..=max).contains(&number) => Ok(()),
            _ => Err(format!("expected a whole number from {min} to {max}, got {value:?}")),
        },
        ParamKind::Text { chars_max } => match value.chars().count() <= chars_max {
            true => Ok(()),
            false => Err(format!("longer than {chars_max} characters")),
        },
        ParamKind::Role => match role(value) {
            Some(_) => Ok(()),
            None => Err(format!(
                "expected admin, assessor, office, appellant, reviewer, committee or auditor, got {value:?}"
            )),
        },
        ParamKind::SavedHead => match parse_saved_head(value) {
            Some(_) => Ok(()),
            None => Err(SAVED_HEAD_EXPECTED.to_owned()),
        },
        ParamKind::Choice { values } => match values.contains(&value) {
            true => Ok(()),
            false => Err(format!("expected one of {}, got {value:?}", values.join(", "))),
        },
        ParamKind::SeqList { items_max } => {
            let parts: Vec<&str> = value.split(',').collect();
            let numbers = parts.iter().all(|part| {
                !part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_digit())
                    && part.parse::<u64>().is_ok_and(|n| n >= 1)
            });
            match (numbers, parts.len() <= items_max) {
                (false, _) => Err(format!("expected sequence numbers from 1, separated by commas, got {value:?}")),
                (true, false) => Err(format!("at most {items_max} sequence numbers, got {}", parts.len())),
                (true, true) => Ok(()),
            }
        }
    };
    outcome.map_err(|message| invalid(name, format!("{name}: {message}")))
}

/// Splits `a=1&b=x%20y` into decoded pairs; invalid percent-encoding or UTF-8 is refused.
fn form_urlencoded(query: &str) -> Result<Vec<(String, String)>, Problem> {
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|part| !part.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let name = decode(name)
            .ok_or_else(|| invalid(name, format!("{name}: the parameter name is not valid percent-encoded UTF-8")))?;
        let value = decode(value)
            .ok_or_else(|| invalid(&name, format!("{name}: the value is not valid percent-encoded UTF-8")))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                index += 2;
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8(decoded).ok()
}

/// The OpenAPI parameter objects of `declared`.
pub fn openapi_parameters(declared: &[QueryParam]) -> Vec<Value> {
    declared
        .iter()
        .map(|param| {
            json!({
                "name": param.name, "in": "query", "required": param.required,
                "description": param.description, "schema": schema(param.kind),
            })
        })
        .collect()
}

fn schema(kind: ParamKind) -> Value {
    const CODE: &str = "^[A-Z0-9][A-Z0-9-]{0,31}$";
    match kind {
        ParamKind::Unit | ParamKind::Scheme | ParamKind::FunctionCode | ParamKind::Indicator | ParamKind::Person => {
            json!({"type": "string", "pattern": CODE})
        }
        ParamKind::Category => json!({
            "type": "string",
            "pattern": format!("^[a-z0-9_]{{1,{}}}$", crate::limits::PROBLEM_CATEGORY_CHARS_MAX)
        }),
        ParamKind::Period => {
            json!({"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$", "examples": ["2017-07", "2017-Q3"]})
        }
        ParamKind::AsOf => json!({
            "type": "string",
            "anyOf": [
                {"const": "latest"},
                {"pattern": "^[0-9]+$", "description": "a sequence number, at most the head"},
                {"format": "date", "description": "the end of that day in the ledger's time zone"},
                {"format": "date-time"}
            ],
            "examples": ["latest", "1024", "2017-07-12", "2017-07-12T23:59:59+08:00"]
        }),
        ParamKind::Bool => json!({"type": "boolean"}),
        ParamKind::Integer { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        ParamKind::Text { chars_max } => json!({"type": "string", "maxLength": chars_max}),
        ParamKind::Role => json!({"type": "string", "enum": Role::ALL.map(Role::as_str)}),
        ParamKind::Choice { values } => json!({"type": "string", "enum": values}),
        ParamKind::SavedHead => json!({"type": "string", "pattern": "^(0|[1-9][0-9]*):[0-9a-f]{64}$"}),
        ParamKind::SeqList { items_max } => json!({
            "type": "string",
            "pattern": format!("^[1-9][0-9]*(,[1-9][0-9]*){{0,{}}}$", items_max.saturating_sub(1)),
            "examples": ["8,12"]
        }),
    }
}

/// One path segment (`/v1/events/{event_id}`), percent-decoded. A segment that is not valid UTF-8
/// once decoded is refused as 400 problem+json naming the segment's parameter.
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParam(value)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => {
                let field = match error.kind() {
                    ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => "path".to_owned(),
                };
                let detail = format!("{field}: the path segment is not valid percent-encoded UTF-8");
                Err(Problem::bad_request("invalid_path", &field, detail))
            }
            Err(rejection) => Err(Problem::internal(&rejection)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECLARED: &[QueryParam] = &[UNIT, PERIOD, AS_OF, param("limit", ParamKind::Integer { min: 1, max: 10 }, "")];

    fn field(query: &str) -> String {
        Params::parse(Some(query), DECLARED).unwrap_err().field.unwrap()
    }

    #[test]
    fn every_refusal_names_the_parameter() {
        assert_eq!(field("unit=YS07"), "period");
        assert_eq!(field("unit=ys07&period=2017-07"), "unit");
        assert_eq!(field("unit=YS07&period=2017-13"), "period");
        assert_eq!(field("unit=YS07&period=2017-07&as_of=garbage"), "as_of");
        assert_eq!(field("unit=YS07&period=2017-07&limit=11"), "limit");
        assert_eq!(field("unit=YS07&period=2017-07&limit=-1"), "limit");
        assert_eq!(field("unit=YS07&period=2017-07&colour=red"), "colour");
        assert_eq!(field("unit=YS07&unit=YS08&period=2017-07"), "unit");
        assert_eq!(field("unit=%FF&period=2017-07"), "unit");
    }

    #[test]
    fn valid_queries_parse_into_typed_values() {
        let params = Params::parse(Some("unit=YS07&period=2017-Q3&as_of=2017-07-12&limit=10"), DECLARED).unwrap();
        assert_eq!(params.unit("unit").unwrap().as_str(), "YS07");
        assert_eq!(params.period("period").unwrap().to_string(), "2017-Q3");
        assert_eq!(params.as_of("as_of"), AsOf::EndOfDay { year: 2017, month: 7, day: 12 });
        assert_eq!(params.integer("limit"), Some(10));
    }
}
