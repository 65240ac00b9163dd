//! `GET /v1/openapi.json`: an OpenAPI 3.1 document of every route. Command operations come from
//! `commands::COMMAND_ROUTES` (one per domain command) and their request bodies are the JSON Schemas
//! in schemas/commands that the domain embeds at build time (`CommandKind::payload_schema`), so the
//! API, the domain and schemas/ cannot disagree;
//! read routes, their typed query parameters and who may read them (`ReadKind::rule`, the rule the
//! service's `may_read` enforces) come from `ledger_reads::LEDGER_ROUTES` and `queries::QUERY_ROUTES`,
//! the same tables that parse and admit requests.

use axum::Json;
use serde_json::{json, Map, Value};

use crate::http::commands::COMMAND_ROUTES;
use crate::http::ledger_reads::LEDGER_ROUTES;
use crate::http::params::{openapi_parameters, QueryParam};
use crate::http::queries::QUERY_ROUTES;

/// The schemas a command body refers to, with their shared definitions.
const DEFINITIONS: &str = include_str!("../../schemas/definitions.json");

/// Routes outside the two read tables: (path, summary, who may read).
const OTHER_READS: &[(&str, &str, &str)] = &[
    ("/v1/openapi.json", "this document", "Who may read: anyone; the only route that needs no token."),
    (
        "/metrics",
        "Prometheus metrics: appends, group commits, fsync, requests, projection lag (text/plain)",
        "Who may read: every valid token (it requires one, like every route but this document).",
    ),
];

/// How a token is checked, for the document's description.
const AUTHENTICATION: &str =
    "Every route but /v1/openapi.json needs `Authorization: Bearer <token>` (the scheme in any \
     case). A token acts for the days its grant gave it (90 by default); an unknown or revoked token is 401 \
     `unauthenticated`, an expired one 401 `token_expired`. What a token may read depends on its role and unit \
     scope (docs/RULES.md §11): each read says who may read it, and a refusal is 403 problem+json naming the \
     parameter (`role_not_allowed` or `out_of_scope`). Every error is application/problem+json.";

/// The whole API: every command route, every read route of the two tables, with their parameters.
pub fn document_value() -> Value {
    let mut paths = Map::new();
    let reads = LEDGER_ROUTES
        .iter()
        .map(|route| (route.path, route.summary, route.params, route.read_kind().rule()))
        .chain(QUERY_ROUTES.iter().map(|route| (route.path, route.summary, route.params, route.read_kind.rule())))
        .chain(OTHER_READS.iter().map(|(path, summary, rule)| (*path, *summary, &[][..], *rule)));
    for (path, summary, parameters, rule) in reads {
        let mut operation = read_operation(path, summary, parameters, rule);
        if crate::http::export::TABLE_ROUTES.contains(&path) {
            operation["responses"]["200"]["content"] = json!({
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                (crate::tabular::Format::XLSX_MEDIA_TYPE): {"schema": {"type": "string", "format": "binary"}},
            });
        }
        if path == "/v1/openapi.json" {
            operation["security"] = json!([]);
            if let Some(responses) = operation["responses"].as_object_mut() {
                responses.retain(|status, _| status != "401" && status != "403");
            }
        }
        paths.insert(path.to_owned(), json!({"get": operation}));
    }
    let mut schemas = Map::new();
    schemas.insert("Definitions".into(), embed(DEFINITIONS, true));
    for command_route in COMMAND_ROUTES {
        let operation = command_operation(command_route.command, command_route.path_field);
        // A path may be read and written (`/v1/units`): one path item holds both operations.
        let item = paths.entry(command_route.path.to_owned()).or_insert_with(|| json!({}));
        item["post"] = operation;
        schemas.insert(command_route.command.to_owned(), embed(command_route.kind.payload_schema(), false));
    }
    for (path, item) in crate::http::documents::openapi_paths().into_iter().chain(crate::http::history::openapi_paths())
    {
        paths.insert(path.to_owned(), item);
    }
    schemas.insert("Problem".into(), problem_schema());
    json!({
        "openapi": "3.1.0",
        "info": {"title": "kpi-ledger", "version": env!("CARGO_PKG_VERSION"),
                 "description": format!("Tamper-evident ledger for performance assessment. {AUTHENTICATION}")},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

pub async fn document() -> Json<Value> {
    Json(document_value())
}

fn read_operation(path: &str, summary: &str, query: &[QueryParam], rule: &str) -> Value {
    let mut parameters: Vec<Value> = path_parameters(path);
    parameters.extend(openapi_parameters(query));
    json!({
        "summary": summary,
        "description": rule,
        "parameters": parameters,
        "responses": {
            "200": {"description": "ok"},
            "401": {"description": "no token, or an unknown, revoked or expired one", "content": problem_content()},
            "403": {"description": "the token's role or unit scope may not read this", "content": problem_content()},
            "4XX": problem_response(),
        },
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
        .map(|name| {
            let schema = match name {
                "event_id" | "appeal_id" | "deduction_id" => json!({"type": "string", "format": "uuid"}),
                _ => json!({"type": "string", "minLength": 1}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema,
                   "description": "percent-encoded UTF-8; anything else is 400 naming this parameter"})
        })
        .collect()
}

fn problem_content() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

fn problem_response() -> Value {
    json!({"description": "refused", "content": problem_content()})
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
