//! The spec is the contract: the committed file is what the code generates and serves.

use reqwest::{Method, StatusCode};
use xiaoan_api_tests::*;

#[tokio::test]
async fn committed_spec_matches_the_code() {
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(committed_path).expect("openapi/openapi.json");
    let generated = xiaoan::app::openapi().to_pretty_json().unwrap() + "\n";
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `make openapi` and commit the result"
    );
    let app = spawn_app().await;
    let served = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(served.status, StatusCode::OK);
    let committed_json: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(
        served.body, committed_json,
        "the served spec differs from the committed one"
    );
}

#[tokio::test]
async fn spec_documents_security_schemes_and_scopes() {
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    let doc = schemes["api_key"]["description"].as_str().unwrap();
    // Every scope a key may hold, each on its own line with what it grants and reveals.
    for scope in [
        "people:read",
        "people:write",
        "passes:read",
        "gate:scan",
        "gate:read",
        "hazards:read",
        "hazards:write",
        "visitors:read",
        "visitors:write",
        "records:read",
        "events:read",
    ] {
        let line = doc
            .lines()
            .find(|l| l.starts_with(&format!("- `{scope}`: ")))
            .unwrap_or_else(|| panic!("scope {scope} undocumented: {doc}"));
        assert!(line.len() > scope.len() + 15, "{line}");
    }
    // The office's form offers exactly these (the enum of the request's scopes).
    let values = &spec["components"]["schemas"]["CreateApiKeyRequest"]["properties"]["scopes"]["items"]
        ["enum"];
    assert_eq!(values.as_array().map(Vec::len), Some(11), "{values}");
}

#[tokio::test]
async fn swagger_ui_is_served_without_downloads() {
    let app = spawn_app().await;
    let r = app.request(Method::GET, "/swagger-ui", None, None).await;
    assert!(r.status.is_redirection());
    assert_eq!(r.headers["location"], "/swagger-ui/");
    let r = app.request(Method::GET, "/swagger-ui/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("swagger"));
    let r = app
        .request(Method::GET, "/swagger-ui/swagger-ui-bundle.js", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.len() > 100_000);
}

/// The problems of `value` against `schema` (a subset of JSON Schema 2020-12: what the spec
/// uses), strict about unknown fields because the server refuses them.
fn schema_errors(
    spec: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value;
    let mut errs = Vec::new();
    if let Some(r) = schema["$ref"].as_str() {
        let target = spec
            .pointer(r.trim_start_matches('#'))
            .expect("dangling $ref");
        return schema_errors(spec, target, value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            errs.extend(schema_errors(spec, s, value, at));
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = schema[key].as_array() {
            let ok = alts
                .iter()
                .filter(|s| schema_errors(spec, s, value, at).is_empty())
                .count();
            if ok == 0 || (exactly_one && ok > 1) {
                errs.push(format!("{at}: {ok} of the {key} alternatives match"));
            }
        }
    }
    let type_ok = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type {other}"),
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_ok(t)) {
        errs.push(format!("{at}: {value} is not {types:?}"));
        return errs;
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        errs.push(format!("{at}: {value} is not one of {values:?}"));
    }
    match value {
        Value::String(s) => {
            let n = s.chars().count() as u64;
            if schema["maxLength"].as_u64().is_some_and(|m| n > m) {
                errs.push(format!("{at}: longer than maxLength"));
            }
            if schema["minLength"].as_u64().is_some_and(|m| n < m) {
                errs.push(format!("{at}: shorter than minLength"));
            }
            if let Some(p) = schema["pattern"].as_str()
                && !regex::Regex::new(p).unwrap().is_match(s)
            {
                errs.push(format!("{at}: {s:?} does not match {p}"));
            }
            let ok = match schema["format"].as_str() {
                Some("date") => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
                Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                Some("uuid") => uuid::Uuid::parse_str(s).is_ok(),
                _ => true,
            };
            if !ok {
                errs.push(format!("{at}: {s:?} is not a {}", schema["format"]));
            }
        }
        Value::Number(x) => {
            let x = x.as_f64().unwrap();
            if schema["minimum"].as_f64().is_some_and(|m| x < m) {
                errs.push(format!("{at}: below minimum"));
            }
            if schema["maximum"].as_f64().is_some_and(|m| x > m) {
                errs.push(format!("{at}: above maximum"));
            }
        }
        Value::Array(items) => {
            if schema["maxItems"]
                .as_u64()
                .is_some_and(|m| items.len() as u64 > m)
            {
                errs.push(format!("{at}: more than maxItems"));
            }
            if schema["minItems"]
                .as_u64()
                .is_some_and(|m| (items.len() as u64) < m)
            {
                errs.push(format!("{at}: fewer than minItems"));
            }
            if schema["items"].is_object() {
                for (i, item) in items.iter().enumerate() {
                    errs.extend(schema_errors(
                        spec,
                        &schema["items"],
                        item,
                        &format!("{at}[{i}]"),
                    ));
                }
            }
        }
        Value::Object(fields) => {
            for name in schema["required"].as_array().into_iter().flatten() {
                if !fields.contains_key(name.as_str().unwrap()) {
                    errs.push(format!("{at}: {name} is required"));
                }
            }
            let props = schema["properties"].as_object();
            for (name, v) in fields {
                let here = format!("{at}.{name}");
                match props.and_then(|p| p.get(name)) {
                    Some(s) => errs.extend(schema_errors(spec, s, v, &here)),
                    None if schema["additionalProperties"].is_object() => errs.extend(
                        schema_errors(spec, &schema["additionalProperties"], v, &here),
                    ),
                    None if props.is_some() || schema["additionalProperties"] == false => {
                        errs.push(format!("{here}: not a field of the schema"))
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    errs
}

fn operations(spec: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.to_uppercase(), path.clone(), op.clone()));
        }
    }
    out
}

/// A code generator (and a person reading Swagger UI) gets a valid example of every request
/// body: JSON and text bodies carry one, and it validates against the body's schema.
#[tokio::test]
async fn every_request_body_has_an_example_that_fits_its_schema() {
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (method, path, op) in operations(&spec) {
        let Some(content) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        for (media, c) in content {
            // A multipart upload's example would be the bytes of a photo.
            if media == "multipart/form-data" {
                continue;
            }
            let example = c.get("example").cloned().or_else(|| {
                c["examples"]
                    .as_object()
                    .and_then(|e| e.values().next())
                    .map(|e| e["value"].clone())
            });
            let Some(example) = example else {
                problems.push(format!("{method} {path} ({media}): no example"));
                continue;
            };
            checked += 1;
            for e in schema_errors(&spec, &c["schema"], &example, "body") {
                problems.push(format!("{method} {path}: example: {e}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 70, "only {checked} request bodies");
}

/// The checker itself: it refuses what the server would refuse.
#[test]
fn the_example_checker_finds_wrong_examples() {
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    let schema = serde_json::json!({"$ref": "#/components/schemas/IssuePassRequest"});
    let good = serde_json::json!({"student_id": "01936f20-1c2d-7e3f-9a40-5b6c7d8e9f01",
        "kind": "exit_only", "reason": "就医", "valid_until": "2026-12-01T10:00:00Z"});
    assert_eq!(
        schema_errors(&spec, &schema, &good, "body"),
        Vec::<String>::new()
    );
    let mut bad = good.clone();
    bad["kind"] = "forever".into();
    bad["valid_until"] = "tomorrow".into();
    bad["student_id"] = "42".into();
    bad["reason"] = "很".repeat(201).into();
    bad["colour"] = "red".into();
    bad.as_object_mut().unwrap().remove("reason");
    let errs = schema_errors(&spec, &schema, &bad, "body");
    assert_eq!(errs.len(), 5, "{errs:?}");
    let shift = serde_json::json!({"$ref": "#/components/schemas/CreateShiftRequest"});
    let errs = schema_errors(
        &spec,
        &shift,
        &serde_json::json!({"date": "2027-02-30", "start_time": "8:00", "end_time": "24:00",
            "post": "guard", "user_id": "01936f1e-8a4b-7c2d-9e0f-1a2b3c4d5e6f"}),
        "body",
    );
    assert_eq!(errs.len(), 3, "{errs:?}");
}

/// Files (XLSX, ICS, images, CSV, SVG) are bytes to save, not text or numbers to parse.
#[tokio::test]
async fn file_responses_are_binary_with_their_media_type() {
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for (method, path, op) in operations(&spec) {
        for (status, resp) in op["responses"].as_object().unwrap() {
            for (media, c) in resp["content"].as_object().into_iter().flatten() {
                if media.contains('*') {
                    problems.push(format!("{method} {path} {status}: media range {media}"));
                }
                let text = media.contains("json") || media.starts_with("text/html");
                if text {
                    continue;
                }
                seen.insert(media.clone());
                if c["schema"] != serde_json::json!({"type": "string", "format": "binary"}) {
                    problems.push(format!("{method} {path} {status} {media}: {}", c["schema"]));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for media in [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/calendar",
        "image/svg+xml",
        "image/jpeg",
        "image/png",
    ] {
        assert!(
            seen.contains(media),
            "no {media} response in the spec: {seen:?}"
        );
    }
}

/// The served spec states the limits the server enforces; a stated limit is the real one.
#[tokio::test]
async fn stated_text_limits_are_the_servers() {
    let spec = serde_json::to_value(xiaoan::app::openapi()).unwrap();
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["CreateClassRequest"]["properties"]["name"]["maxLength"],
        100
    );
    assert_eq!(
        schemas["CreateShiftRequest"]["properties"]["date"]["format"],
        "date"
    );
    let desc = spec["components"]["securitySchemes"]["api_key"]["description"]
        .as_str()
        .unwrap();
    assert!(!desc.contains("doc ="), "{desc}");
    assert!(desc.contains("- `gate:read`: Read the gate log."), "{desc}");
    // Each stated maxLength of a body the office can send without other records: the longest
    // allowed text passes the check, one character more is refused naming the field.
    let app = spawn_app().await;
    let office = app.token("office").await;
    for (method, path) in [
        ("POST", "/api/v1/classes"),
        ("POST", "/api/v1/fire/buildings"),
        ("POST", "/api/v1/patrol-checkpoints"),
        ("POST", "/api/v1/api-keys"),
        ("POST", "/api/v1/watchlist"),
        ("POST", "/api/v1/announcements"),
    ] {
        let op = &spec["paths"][path][method.to_lowercase()];
        let content = &op["requestBody"]["content"]["application/json"];
        let example = content["example"].clone();
        let name = content["schema"]["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        let props = schemas[name]["properties"].as_object().unwrap();
        let mut limited = 0;
        for (field, s) in props {
            let Some(max) = s["maxLength"].as_u64() else {
                continue;
            };
            limited += 1;
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            for (len, refused) in [(max, false), (max + 1, true)] {
                let mut body = example.clone();
                body[field] = "安".repeat(len as usize).into();
                let r = app
                    .request(method.clone(), path, Some(&office), Some(body))
                    .await;
                let too_long = r.status == StatusCode::UNPROCESSABLE_ENTITY
                    && r.body["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|e| e["field"] == field.as_str());
                assert_eq!(
                    too_long, refused,
                    "{method} {path} {field} with {len} characters: {} {}",
                    r.status, r.body
                );
            }
        }
        assert!(limited > 0, "{path} states no limit");
    }
}
