//! `GET /v1/openapi.json`: an OpenAPI 3.1 document of every route. Command request bodies are the
//! JSON Schemas in schemas/commands, embedded at build time, so the API and schemas/ cannot disagree;
//! `tests/http_api.rs` fails if a route in the router is missing here.

use axum::Json;
use serde_json::{json, Map, Value};

use crate::http::commands::COMMAND_ROUTES;

/// The schemas a command body refers to, with their shared definitions.
const DEFINITIONS: &str = include_str!("../../schemas/definitions.json");

macro_rules! command_schemas {
    ($($name:literal),+ $(,)?) => {
        /// (command name, its JSON Schema text), for every command.
        const COMMAND_SCHEMAS: &[(&str, &str)] = &[$(($name, include_str!(concat!("../../schemas/commands/", $name, ".json"))),)+];
    };
}

command_schemas!(
    "RegisterUnit",
    "RenameUnit",
    "RetireUnit",
    "RegisterPerson",
    "MovePerson",
    "RetirePerson",
    "OpenScheme",
    "DefineIndicator",
    "ReviseIndicator",
    "RetireIndicator",
    "AssignIndicator",
    "MarkIndicatorNotApplicable",
    "OpenPeriod",
    "PublishResults",
    "FinalisePeriod",
    "ReopenPeriod",
    "AwardTier",
    "RecordDeduction",
    "WithdrawDeduction",
    "AwardBonus",
    "ApplyVeto",
    "AttributeCause",
    "RecordRectification",
    "FileAppeal",
    "DecideAppeal",
    "EscalateAppeal",
    "WithdrawAppeal",
    "GrantAccess",
    "RevokeAccess",
);

/// Read routes: (path, summary, query parameters).
pub const READ_ROUTES: &[(&str, &str, &[&str])] = &[
    ("/v1/events", "events by sequence range, paged", &["from", "limit"]),
    ("/v1/events/subscribe", "Server-Sent Events: catch up from `from`, then follow live", &["from"]),
    ("/v1/events/{event_id}", "one event by id", &[]),
    ("/v1/streams/{stream}/events", "events of one stream", &["from_version", "limit"]),
    ("/v1/head", "the chain head", &[]),
    (
        "/v1/access",
        "who held which role for which unit at an instant (from grant and revocation events)",
        &["at", "role"],
    ),
    ("/v1/verification", "walk and verify the whole chain now", &[]),
    ("/v1/checkpoint", "a signed checkpoint of the head", &[]),
    ("/v1/proofs/inclusion", "Merkle inclusion proof of one event", &["seq", "size"]),
    ("/v1/proofs/consistency", "Merkle consistency proof between two tree sizes", &["from", "to"]),
    (
        "/v1/scoreboard",
        "a unit's scores for a period: per indicator, raw, normalised, bonus, final, veto",
        &["unit", "period", "as_of"],
    ),
    (
        "/v1/rankings",
        "a peer group's ranking and tiers (unit= for its own group, or scheme= [function_code=])",
        &["unit", "scheme", "function_code", "period", "as_of"],
    ),
    (
        "/v1/rankings/diff",
        "who changed rank or tier between two as-of points, and the events that moved them",
        &["unit", "scheme", "function_code", "period", "from", "to"],
    ),
    (
        "/v1/comparisons/horizontal",
        "a unit against its peers: rank, tier, gaps, lost points by indicator and category",
        &["unit", "period", "as_of"],
    ),
    (
        "/v1/comparisons/vertical",
        "a unit across base periods: score, rank, tier, changes, repeat problems",
        &["unit", "from", "to", "as_of"],
    ),
    (
        "/v1/traces",
        "every lost point down to its events; proofs=true adds inclusion proofs and a signed checkpoint",
        &["unit", "period", "as_of", "proofs"],
    ),
    ("/v1/indicator-load", "indicators per section per scheme year", &["unit", "as_of"]),
    ("/v1/appeal-queue", "open appeals with their deadlines; overdue decisions", &["as_of"]),
    (
        "/v1/notices",
        "proposed praise and criticism for a period",
        &["unit", "scheme", "function_code", "period", "as_of"],
    ),
    ("/v1/openapi.json", "this document", &[]),
    ("/metrics", "Prometheus metrics", &[]),
];

/// Command and read paths beyond the ledger (projections) register here as well.
pub fn document_value(extra_reads: &[(&str, &str, &[&str])]) -> Value {
    let mut paths = Map::new();
    for (path, summary, parameters) in READ_ROUTES.iter().chain(extra_reads) {
        paths.insert((*path).to_owned(), json!({"get": read_operation(path, summary, parameters)}));
    }
    let mut schemas = Map::new();
    schemas.insert("Definitions".into(), embed(DEFINITIONS, true));
    for command_route in COMMAND_ROUTES {
        let operation = command_operation(command_route.command, command_route.path_field);
        paths.insert(command_route.path.to_owned(), json!({"post": operation}));
    }
    for (name, text) in COMMAND_SCHEMAS {
        schemas.insert((*name).to_owned(), embed(text, false));
    }
    schemas.insert("Problem".into(), problem_schema());
    json!({
        "openapi": "3.1.0",
        "info": {"title": "kpi-ledger", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Tamper-evident ledger for performance assessment. Every error is application/problem+json."},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

pub async fn document() -> Json<Value> {
    Json(document_value(&[]))
}

fn read_operation(path: &str, summary: &str, query: &[&str]) -> Value {
    let mut parameters: Vec<Value> = path_parameters(path);
    parameters.extend(
        query.iter().map(|name| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}})),
    );
    json!({
        "summary": summary,
        "parameters": parameters,
        "responses": {"200": {"description": "ok"}, "4XX": problem_response()},
    })
}

fn command_operation(command: &str, path_field: Option<&str>) -> Value {
    let mut parameters = path_parameters(&format!("/{{{}}}", path_field.unwrap_or_default()));
    if path_field.is_none() {
        parameters.clear();
    }
    parameters.push(json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}));
    parameters.push(json!({"name": "If-Match", "in": "header", "required": false, "description": "expected version of the command's stream", "schema": {"type": "string"}}));
    json!({
        "operationId": command,
        "summary": command,
        "parameters": parameters,
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{command}")}}}},
        "responses": {
            "201": {"description": "recorded; durable"},
            "200": {"description": "replayed: the Idempotency-Key was used before; nothing new was written"},
            "4XX": problem_response(),
        },
    })
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .filter(|name| !name.is_empty())
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

fn problem_response() -> Value {
    json!({"description": "refused", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "code": {"type": "string"}, "field": {"type": "string"},
            "current_version": {"type": "integer"}
        }
    })
}

/// A schema from schemas/, placed under `#/components/schemas`: its `$id` and `$schema` go (the
/// document is the base now), and `../definitions.json#/$defs/x` becomes
/// `#/components/schemas/Definitions/$defs/x` (as do the definitions' own `#/$defs/x`).
fn embed(text: &str, is_definitions: bool) -> Value {
    let mut value: Value = serde_json::from_str(text).expect("schemas/ holds JSON");
    if let Some(object) = value.as_object_mut() {
        object.remove("$id");
        object.remove("$schema");
    }
    rewrite_refs(&mut value, is_definitions);
    value
}

fn rewrite_refs(value: &mut Value, is_definitions: bool) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(reference) if key == "$ref" => {
                        *reference = reference.replace("../definitions.json#", "#/components/schemas/Definitions");
                        if is_definitions && reference.starts_with("#/$defs/") {
                            *reference = reference.replacen("#/$defs/", "#/components/schemas/Definitions/$defs/", 1);
                        }
                    }
                    _ => rewrite_refs(child, is_definitions),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite_refs(item, is_definitions)),
        _ => {}
    }
}
