//! The OpenAPI document's frame: info, tags and security schemes. Paths and schemas are
//! collected from the routes themselves (see `app::api`), so a route is declared once.

use crate::auth::roles::SCOPES;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xiaoan (校安) API",
        description = "The school security office's system: people, leave passes and the gate, \
inspections and hazards, plans, duty rosters and the safety ledger.\n\n\
**Who may call what.** Each operation's `security` lists the roles allowed (as the scopes of \
the `bearer` scheme) and, where integration keys are accepted, the key scope required (as the \
scopes of the `api_key` scheme). Ownership (a class teacher's own class) is enforced as well: \
`403 not_own_class`.\n\n\
**Errors** are RFC 9457 `application/problem+json` with a stable snake_case `code`.\n\n\
**Lists** take `limit` (1–200, default 50) and `cursor` (from `next_cursor`).\n\n\
**Times** are RFC 3339 instants in UTC; calendar dates are local dates of the school's time zone.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
        version = env!("CARGO_PKG_VERSION"),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sign-in, tokens, the current user"),
        (name = "users", description = "Accounts (security office)"),
        (name = "classes", description = "Classes and their class teachers"),
        (name = "students", description = "Students; fields shown depend on the caller's role"),
        (name = "api-keys", description = "Integration keys for third parties"),
        (name = "audit", description = "The audit trail"),
        (name = "leave-passes", description = "Leave passes (请假条) and their signed QR credential"),
        (name = "visitors", description = "Visitors (来访登记), expected visitors and the watchlist"),
        (name = "gate", description = "Gate scans (online and offline), verification keys, revocations, students out, the gate log"),
        (name = "inspections", description = "Checklist templates (versioned), checks, spot-checks, compliance"),
        (name = "hazards", description = "Hazards (隐患) and their rectification: report, assign, rectify, verify"),
        (name = "attachments", description = "Photos: upload first, then reference by id"),
        (name = "plans", description = "The semester plan (工作计划), its monthly items and their evidence"),
        (name = "duty", description = "Duty rosters (值班安排), swaps, who is on duty, calendar feeds"),
        (name = "records", description = "Activities and drills, meetings, incidents, health reports, announcements"),
        (name = "fire", description = "Equipment registry: fire equipment (消防器材) and security equipment (安防器材: 防暴器材, 监控, 一键报警按钮, 门禁, 对讲机) — buildings, items with a responsible person, QR labels, item checks with evidence (alarm tests), the status board"),
        (name = "dashboard", description = "Figures computed from the records"),
        (name = "patrol", description = "Patrol checkpoints (安保巡查): checkpoints with QR labels, routes, guards' patrol runs, missed checkpoints"),
        (name = "ledger", description = "The safety ledger (台账): XLSX and printable HTML"),
        (name = "platform", description = "Safety-education platform supervision (安全平台使用督查): completion per month and class"),
        (name = "assessment", description = "Semester safety assessment (考核): transparent scores for staff and classes, traced to records"),
        (name = "semesters", description = "Semesters (学期): defined by the school; the current one contains today and is every semester view's default"),
        (name = "headcount", description = "Evacuation head-counts (应急疏散 清点人数): start, class reports from the assembly point (retry-safe), the live board, close"),
        (name = "duties", description = "Leadership and duties (安全领导小组, 岗位职责, 安全目标责任书), the safety rules library (安全管理制度) with versions, guard training (门卫培训), and what waits for one's signature"),
        (name = "events", description = "Events (事件): what happened, written with the change; read by cursor (`events:read`)"),
        (name = "subscriptions", description = "信息推送: channels (signed webhooks, DingTalk and WeCom group robots), the events they receive, the delivery log"),
        (name = "reports", description = "报送: a roster or a plan item sent to a channel as a readable message with a link to its XLSX / ICS; the report follows its delivery"),
        (name = "notifications", description = "In-app notifications (each person's, by the rules of who gets what) and the office's escalation settings (who is told when)"),
        (name = "school", description = "The school"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token from `POST /api/v1/auth/login`. The scopes listed on an \
                 operation are the roles allowed to call it.",
            ))
            .build();
        bearer.description = bearer.description.take();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let scopes: Vec<String> = SCOPES
            .iter()
            .map(|(s, doc)| format!("- `{s}`: {}", doc.trim()))
            .collect();
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                &format!(
                    "An integration key created by the security office. A key is accepted only \
                     on operations that list one of its scopes. Scopes:\n{}",
                    scopes.join("\n")
                ),
            ))),
        );
    }
}

/// Documents the errors every operation can answer, which handlers do not list one by one:
/// 400 (malformed path, query or body), 401/403 on secured operations, 404 where the path names
/// a record, 409/413/415/422 where a body is taken; and gives every error the media type the
/// server really sends, `application/problem+json`. Applied to the spec the server serves and
/// to the exported file alike, so clients and contract fuzzers see what actually happens.
pub fn document_errors(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::Operation;
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "application/problem+json";
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM,
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                )
                .build(),
        )
    };
    for (path, item) in api.paths.paths.iter_mut() {
        let ops: [(&str, &mut Option<Operation>); 5] = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op.as_mut() else {
                continue;
            };
            let secured = op.security.as_ref().is_some_and(|reqs| {
                reqs.iter().any(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_object().map(|o| !o.is_empty()))
                        .unwrap_or(false)
                })
            });
            let has_body = op.request_body.is_some();
            // Text hygiene (crate::infra::hygiene) refuses control characters in any query parameter.
            let has_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
            });
            let responses = &mut op.responses.responses;
            for (status, resp) in responses.iter_mut() {
                if (status.starts_with('4') || status.starts_with('5'))
                    && let RefOr::T(resp) = resp
                    && let Some(content) = resp.content.shift_remove("application/json")
                {
                    resp.content.insert(PROBLEM.to_owned(), content);
                }
            }
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            };
            add(
                "400",
                "Malformed request: `invalid_path`, `invalid_query`, `invalid_body`",
            );
            if secured {
                add("401", "Not signed in, or the token or key is not valid");
                add(
                    "403",
                    "`forbidden`: the role or key scope may not call this, or `not_own_class`",
                );
            }
            if path.contains('{') {
                add("404", "No such record");
            }
            if has_body {
                add("413", "`payload_too_large`");
                add("415", "`unsupported_media_type`");
                add("422", "`validation_failed`, with per-field `errors`");
                if method != "delete" {
                    add(
                        "409",
                        "`already_exists` or `reference_conflict`: clashes with a record",
                    );
                }
            }
            if has_query {
                add(
                    "422",
                    "`validation_failed`: a query parameter holds a control character",
                );
            }
        }
    }
    api
}

/// The document as served and exported: the routes' own, with the errors every operation
/// can answer and the input constraints the server enforces.
pub fn finish(api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut api = add_links(document_constraints(document_errors(
        crate::app::openapi_inputs::document_inputs(api),
    )));
    crate::features::events::document_webhooks(&mut api);
    api
}

/// Closed sets the server checks, taken from the constants it checks them with:
/// (schema or path, field or query parameter, values).
fn closed_sets() -> [(&'static str, &'static str, &'static [&'static str]); 2] {
    const PASS_KINDS: &[&str] = &["exit_only", "exit_and_return"];
    const PASS_STATUSES: &[&str] = &["issued", "out", "returned", "expired", "revoked"];
    [
        ("IssuePassRequest", "kind", PASS_KINDS),
        ("/api/v1/leave-passes", "status", PASS_STATUSES),
    ]
}

/// States what the server enforces on inputs, which the types alone do not say: `limit` is
/// 1–200 (default 50) everywhere; the string query parameters `date`, `from` and `to` are
/// local dates (`YYYY-MM-DD`, else 400); the closed sets of [`closed_sets`] are enums.
pub fn document_constraints(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use crate::infra::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{KnownFormat, Object, Schema, SchemaFormat, SchemaType, Type};
    let has = |o: &Object, t: Type| match &o.schema_type {
        SchemaType::Type(x) => *x == t,
        SchemaType::Array(xs) => xs.contains(&t),
        SchemaType::AnyValue => false,
    };
    let enum_of = |o: &Object, values: &[&str]| {
        let mut out: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
        if has(o, Type::Null) {
            out.push(serde_json::Value::Null);
        }
        out
    };
    let sets = closed_sets();
    for (path, item) in api.paths.paths.iter_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            for p in op.parameters.iter_mut().flatten() {
                if p.parameter_in != ParameterIn::Query {
                    continue;
                }
                let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() else {
                    continue;
                };
                match p.name.as_str() {
                    "limit" if has(o, Type::Integer) => {
                        o.minimum = Some(utoipa::Number::UInt(1));
                        o.maximum = Some(utoipa::Number::UInt(MAX_LIMIT as usize));
                        o.default = Some(DEFAULT_LIMIT.into());
                    }
                    "date" | "from" | "to" if has(o, Type::String) && o.format.is_none() => {
                        o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Date));
                    }
                    _ => {}
                }
                if let Some((_, _, values)) = sets
                    .iter()
                    .find(|(at, name, _)| at == path && *name == p.name)
                {
                    o.enum_values = Some(enum_of(o, values));
                }
            }
        }
    }
    if let Some(components) = api.components.as_mut() {
        for (schema, field, values) in sets.iter().filter(|(at, _, _)| !at.starts_with('/')) {
            if let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(*schema)
                && let Some(RefOr::T(Schema::Object(prop))) = obj.properties.get_mut(*field)
            {
                prop.enum_values = Some(enum_of(prop, values));
            }
        }
    }
    api
}

/// Adds OpenAPI `links` from each creating operation to the operations on what it created, so
/// that clients (and the contract fuzzer's stateful phase) can follow a new record's `id`
/// without guessing. Derived from the route table, not listed by hand, so a new route is linked
/// as soon as it exists. An operation creates a record when it answers 201 with a body holding
/// an `id` (at the top, or in one nested object such as a check-in's `visitor`). The created
/// record's collection is found, in this order:
/// 1. `POST /things` creates what `/things/{id}…` addresses;
/// 2. otherwise, collections whose item operations (`/things/{id}` and `/things/{id}/verb`,
///    answering 200) or whose own `POST` return the same schema (`POST /plans/{id}/items` makes
///    what `PATCH /plan-items/{id}` returns);
/// 3. otherwise, a collection named like the creating path's last segment
///    (`POST /duty/rosters/{id}/shifts` → `/duty/shifts/{id}`).
///
/// Besides, a path parameter named after the record (`{class_id}` for a class) is linked.
pub fn add_links(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use std::collections::{BTreeMap, BTreeSet};
    use utoipa::openapi::RefOr;
    use utoipa::openapi::extensions::Extensions;
    use utoipa::openapi::link::LinkBuilder;
    use utoipa::openapi::path::Operation;

    let schemas = api
        .components
        .as_ref()
        .and_then(|c| serde_json::to_value(&c.schemas).ok())
        .unwrap_or_default();
    let schema_of = |op: &Operation, status: &str| -> Option<String> {
        let RefOr::T(resp) = op.responses.responses.get(status)? else {
            return None;
        };
        let schema = serde_json::to_value(&resp.content.get("application/json")?.schema).ok()?;
        schema
            .get("$ref")?
            .as_str()?
            .strip_prefix("#/components/schemas/")
            .map(str::to_owned)
    };
    // Where a schema's `id` is, and the name of the schema that owns it.
    let id_of = |name: &str| -> Option<(String, String)> {
        let has_id = |s: &serde_json::Value| s.pointer("/properties/id").is_some();
        let ref_name = |s: &serde_json::Value| {
            s.get("$ref")
                .and_then(|r| r.as_str())
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .map(str::to_owned)
        };
        let schema = schemas.get(name)?;
        if has_id(schema) {
            return Some(("/id".to_owned(), name.to_owned()));
        }
        // `allOf: [{$ref: Base}, {extra}]` (a created key with its one-time secret).
        for part in schema
            .get("allOf")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(base) = ref_name(part)
                && schemas.get(&base).is_some_and(has_id)
            {
                return Some(("/id".to_owned(), base));
            }
        }
        // One nested record (a check-in answers `{visitor: {id, …}, warning}`).
        let nested: Vec<(String, String)> = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .into_iter()
            .flatten()
            .filter_map(|(field, s)| {
                let inner = ref_name(s)?;
                schemas
                    .get(&inner)
                    .is_some_and(has_id)
                    .then(|| (format!("/{field}/id"), inner))
            })
            .collect();
        match nested.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    };
    // `/api/v1/things/{id}/verb` → (`/api/v1/things`, `id`, `verb`).
    let split = |path: &str| -> Option<(String, String, String)> {
        let start = path.find("/{")?;
        let rest = &path[start + 2..];
        let end = rest.find('}')?;
        Some((
            path[..start].to_owned(),
            rest[..end].to_owned(),
            rest[end + 1..].to_owned(),
        ))
    };
    let ops = |item: &utoipa::openapi::PathItem| -> Vec<Operation> {
        [&item.get, &item.post, &item.put, &item.patch, &item.delete]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    };

    // Each collection's item operations (operation id, parameter) and the schemas they return.
    let mut targets: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut returns: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Operations with a path parameter named `<record>_id`: (record, operation id, parameter).
    let mut by_param: Vec<(String, String, String)> = Vec::new();
    for (path, item) in api.paths.paths.iter() {
        for op in ops(item) {
            let Some(op_id) = op.operation_id.clone() else {
                continue;
            };
            if let Some((collection, param, rest)) = split(path) {
                targets
                    .entry(collection.clone())
                    .or_default()
                    .push((op_id.clone(), param.clone()));
                if let Some(record) = param.strip_suffix("_id") {
                    by_param.push((record.to_owned(), op_id.clone(), param.clone()));
                }
                // `/things/{id}` or `/things/{id}/verb`: what it answers is a thing.
                let on_the_record = rest.is_empty() || rest.rfind('/') == Some(0);
                if on_the_record && let Some(s) = schema_of(&op, "200").and_then(|s| id_of(&s)) {
                    returns.entry(collection).or_default().insert(s.1);
                }
            } else if let Some(s) = schema_of(&op, "201").and_then(|s| id_of(&s)) {
                returns.entry(path.clone()).or_default().insert(s.1);
            }
        }
    }
    let last_segment = |path: &str| -> String {
        path.rsplit('/')
            .find(|s| !s.is_empty() && !s.starts_with('{'))
            .unwrap_or_default()
            .to_owned()
    };

    for (path, item) in api.paths.paths.iter_mut() {
        for op in [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.get,
        ]
        .into_iter()
        .flatten()
        {
            let Some((pointer, record_schema)) = schema_of(op, "201").and_then(|s| id_of(&s))
            else {
                continue;
            };
            let mut collections: Vec<&String> = targets.keys().filter(|c| *c == path).collect();
            if collections.is_empty() {
                collections = returns
                    .iter()
                    .filter(|(c, s)| s.contains(&record_schema) && targets.contains_key(c.as_str()))
                    .map(|(c, _)| c)
                    .collect();
            }
            if collections.is_empty() {
                let name = last_segment(path);
                collections = targets.keys().filter(|c| last_segment(c) == name).collect();
            }
            let expression = format!("$response.body#{pointer}");
            let mut links: Vec<(String, String)> = collections
                .iter()
                .flat_map(|c| targets.get(c.as_str()).into_iter().flatten().cloned())
                .collect();
            // `{class_id}` in another collection's path names a class: link it too.
            for collection in &collections {
                let plural = last_segment(collection);
                links.extend(
                    by_param
                        .iter()
                        .filter(|(record, _, _)| {
                            plural == format!("{record}s") || plural == format!("{record}es")
                        })
                        .map(|(_, op_id, param)| (op_id.clone(), param.clone())),
                );
            }
            let Some(RefOr::T(resp)) = op.responses.responses.get_mut("201") else {
                continue;
            };
            for (op_id, param) in links {
                // utoipa 5.5 serialises `Link::operation_id` as `operation_id`, which no
                // client understands: the OpenAPI name goes in through the flattened extensions.
                let name = Extensions::from_iter([("operationId", op_id.clone())]);
                let link = LinkBuilder::new()
                    .parameter(format!("path.{param}"), expression.clone())
                    .extensions(Some(name))
                    .build();
                resp.links.insert(op_id, RefOr::T(link));
            }
        }
    }
    api
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_are_documented_on_every_operation() {
        let api = crate::app::openapi();
        let doc = serde_json::to_value(&api).unwrap();
        let op = &doc["paths"]["/api/v1/classes"]["post"]["responses"];
        for status in ["400", "401", "403", "409", "413", "415", "422"] {
            assert!(
                op[status]["content"]["application/problem+json"].is_object(),
                "{status}: {op}"
            );
        }
        assert!(op["201"]["content"]["application/json"].is_object());
        let health = &doc["paths"]["/api/health"]["get"]["responses"];
        assert!(health.get("401").is_none(), "public operations need no 401");
    }

    fn query_param<'a>(
        doc: &'a serde_json::Value,
        path: &str,
        name: &str,
    ) -> &'a serde_json::Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name && p["in"] == "query"))
            .map(|p| &p["schema"])
            .unwrap_or_else(|| panic!("{path} has no query parameter {name}"))
    }

    #[test]
    fn the_spec_states_the_limits_formats_and_closed_sets_the_server_enforces() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let mut limits = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for p in item["get"]["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" {
                    limits += 1;
                    assert_eq!(p["schema"]["minimum"], 1, "{path}");
                    assert_eq!(p["schema"]["maximum"], 200, "{path}");
                }
            }
        }
        assert!(limits >= 8, "{limits}");
        assert_eq!(
            query_param(&doc, "/api/v1/leave-passes", "date")["format"],
            "date"
        );
        assert_eq!(
            query_param(&doc, "/api/v1/visitors", "date")["format"],
            "date"
        );
        assert_eq!(
            query_param(&doc, "/api/v1/leave-passes", "status")["enum"],
            serde_json::json!(["issued", "out", "returned", "expired", "revoked"])
        );
        let schemas = &doc["components"]["schemas"];
        // A closed set typed as a Rust enum is a reference to its schema.
        let resolve = |s: &serde_json::Value| -> serde_json::Value {
            let r = s["$ref"]
                .as_str()
                .or_else(|| s["oneOf"][0]["$ref"].as_str())
                .or_else(|| s["allOf"][0]["$ref"].as_str());
            match r.and_then(|r| r.strip_prefix("#/components/schemas/")) {
                Some(name) => schemas[name].clone(),
                None => s.clone(),
            }
        };
        assert_eq!(
            resolve(query_param(&doc, "/api/v1/hazards", "status"))["enum"],
            serde_json::json!(["reported", "assigned", "rectified", "closed"])
        );
        assert_eq!(
            resolve(&schemas["ReportHazardRequest"]["properties"]["category"])["enum"],
            serde_json::json!([
                "traffic",
                "fire",
                "security",
                "facility",
                "electrical",
                "food",
                "other"
            ])
        );
        assert_eq!(
            schemas["IssuePassRequest"]["properties"]["kind"]["enum"],
            serde_json::json!(["exit_only", "exit_and_return"])
        );
        assert_eq!(
            resolve(&schemas["CreateIncidentRequest"]["properties"]["severity"])["enum"],
            serde_json::json!(["minor", "moderate", "serious", "critical"])
        );
        assert_eq!(
            schemas["IssuePassRequest"]["properties"]["valid_until"]["format"],
            "date-time"
        );
    }

    #[test]
    fn creating_operations_link_to_what_they_created() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let links = |path: &str, method: &str| {
            doc["paths"][path][method]["responses"]["201"]["links"]
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        let link = |path: &str, method: &str, op: &str| {
            let l = links(path, method);
            let found = l.get(op).cloned();
            assert!(
                found.is_some(),
                "{method} {path} has no link to {op}: {l:?}"
            );
            found.unwrap()
        };
        // The plain case: POST /things → /things/{id}….
        let l = link("/api/v1/students", "post", "get_student");
        assert_eq!(l["parameters"]["path.id"], "$response.body#/id");
        link("/api/v1/students", "post", "update_student");
        link("/api/v1/leave-passes", "post", "revoke_pass");
        link("/api/v1/leave-passes", "post", "pass_qr");
        // A record created under another one, addressed elsewhere.
        link("/api/v1/plans/{id}/items", "post", "update_item");
        link("/api/v1/plans/{id}/items", "post", "delete_evidence");
        link("/api/v1/duty/rosters/{id}/shifts", "post", "request_swap");
        link("/api/v1/duty/shifts/{id}/swaps", "post", "accept_swap");
        // The id nested in the answer.
        let l = link(
            "/api/v1/expected-visitors/{id}/check-in",
            "post",
            "check_out",
        );
        assert_eq!(l["parameters"]["path.id"], "$response.body#/visitor/id");
        link("/api/v1/api-keys", "post", "revoke_api_key");
        // A parameter named after the record.
        let l = link("/api/v1/classes", "post", "class_missing");
        assert_eq!(l["parameters"]["path.class_id"], "$response.body#/id");
        // Nothing links to another kind of record.
        let hazards = links("/api/v1/hazards", "post");
        assert!(
            hazards.keys().all(|op| op.contains("hazard")),
            "{hazards:?}"
        );
        let items = links("/api/v1/fire/items", "post");
        assert!(!items.contains_key("update_item"), "{items:?}");
        // Every link names an operation that exists.
        let ids: std::collections::BTreeSet<String> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
            .collect();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for (_, resp) in op["responses"].as_object().into_iter().flatten() {
                    for (_, l) in resp["links"].as_object().into_iter().flatten() {
                        assert!(ids.contains(l["operationId"].as_str().unwrap()), "{l}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_event_kind_is_a_webhook_with_its_payload_schema() {
        use sea_orm::Iterable;
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let hooks = doc["webhooks"].as_object().expect("webhooks");
        let kinds: Vec<String> = crate::features::events::EventKind::iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(hooks.len(), kinds.len(), "one webhook per kind");
        for kind in &kinds {
            let body = &hooks[kind.as_str()]["post"]["requestBody"]["content"]["application/json"]
                ["schema"];
            assert_eq!(body["properties"]["type"]["const"], kind.as_str());
            assert!(body["properties"]["version"]["const"].as_i64().unwrap() >= 1);
            let r = body["properties"]["data"]["$ref"].as_str().expect(kind);
            let name = r.trim_start_matches("#/components/schemas/");
            let schema = &doc["components"]["schemas"][name];
            assert!(schema.is_object(), "{kind}: {name} missing");
        }
        // Nested references resolve too (the student, the enums).
        let text = doc.to_string();
        for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &r[..r.find('"').unwrap()];
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} unresolved"
            );
        }
    }
}
