//! Every route × every role (and anonymous, and integration keys) gets what the OpenAPI spec
//! declares. The routes come from the served spec, so a new route cannot escape this test,
//! and its `security` is checked against what the server actually does.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use xiaoan_api_tests::*;

const ROLES: &[(&str, &str)] = &[
    ("principal", "principal"),
    ("security_office", "office"),
    ("class_teacher", "teacher1"),
    ("guard", "guard1"),
    ("safety_officer", "officer1"),
];

struct Operation {
    method: Method,
    path: String,
    concrete_path: String,
    public: bool,
    roles: BTreeSet<String>,
    scopes: BTreeSet<String>,
    body: Option<(String, Vec<u8>)>,
}

fn operations(spec: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} declares no security"));
            let mut public = false;
            let (mut roles, mut scopes) = (BTreeSet::new(), BTreeSet::new());
            for req in security {
                let req = req.as_object().expect("security requirement");
                if req.is_empty() {
                    public = true;
                }
                for (scheme, list) in req {
                    let names = list
                        .as_array()
                        .expect("scopes")
                        .iter()
                        .map(|v| v.as_str().expect("scope").to_owned());
                    match scheme.as_str() {
                        "bearer" => roles.extend(names),
                        "api_key" => scopes.extend(names),
                        other => panic!("{method} {path}: unknown scheme {other}"),
                    }
                }
            }
            assert!(
                public || !roles.is_empty() || !scopes.is_empty(),
                "{method} {path}: secured but lists no role"
            );
            let concrete_path = path
                .split('/')
                .map(|seg| {
                    if seg.starts_with('{') {
                        uuid::Uuid::now_v7().to_string()
                    } else {
                        seg.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let body = op["requestBody"]["content"].as_object().and_then(|c| {
                let ct = c.keys().next()?.clone();
                let bytes = if ct.contains("json") {
                    b"{}".to_vec()
                } else {
                    Vec::new()
                };
                Some((ct, bytes))
            });
            ops.push(Operation {
                method,
                path: path.clone(),
                concrete_path,
                public,
                roles,
                scopes,
                body,
            });
        }
    }
    ops
}

/// The scopes listed in the `api_key` scheme's description (`- `people:read`: …`).
fn documented_scopes(spec: &Value) -> BTreeSet<String> {
    let text = spec["components"]["securitySchemes"]["api_key"]["description"]
        .as_str()
        .expect("api_key scheme description");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("- `"))
        .filter_map(|l| l.split_once('`').map(|(s, _)| s.to_owned()))
        .collect()
}

async fn call(app: &TestApp, op: &Operation, auth: Option<&str>) -> Resp {
    let mut req = app
        .client
        .request(op.method.clone(), app.url(&op.concrete_path));
    if let Some(a) = auth {
        req = match a.strip_prefix("key:") {
            Some(k) => req.header("X-API-Key", k),
            None => req.bearer_auth(a),
        };
    }
    if let Some((ct, bytes)) = &op.body {
        req = req.header("content-type", ct.as_str()).body(bytes.clone());
    }
    TestApp::finish(req).await
}

#[tokio::test]
async fn every_route_enforces_its_declared_roles_and_scopes() {
    let app = spawn_app().await;
    let spec = app
        .request(Method::GET, "/api-docs/openapi.json", None, None)
        .await
        .body;
    let ops = operations(&spec);
    assert!(
        ops.len() >= 20,
        "spec has too few operations: {}",
        ops.len()
    );

    let all_scopes: BTreeSet<String> = ops.iter().flat_map(|o| o.scopes.clone()).collect();
    // Every scope the `api_key` scheme documents is accepted somewhere, and only those are.
    let documented = documented_scopes(&spec);
    assert_eq!(
        all_scopes, documented,
        "the scopes operations accept differ from the documented ones"
    );
    assert!(all_scopes.len() >= 11, "{all_scopes:?}");
    let all_scopes_vec: Vec<&str> = all_scopes.iter().map(String::as_str).collect();
    let full_key = app.api_key(&all_scopes_vec).await;
    let mut scope_keys = Vec::new();
    for scope in &all_scopes {
        scope_keys.push((scope.clone(), app.api_key(&[scope.as_str()]).await));
    }

    let mut tokens = Vec::new();
    for (role, user) in ROLES {
        tokens.push((*role, app.token(user).await));
    }
    let mut failures = Vec::new();
    // Sign-out ends the session it is called with: exercise it last, with fresh sessions.
    let (logout, ops): (Vec<_>, Vec<_>) = ops
        .into_iter()
        .partition(|o| o.path.ends_with("/auth/logout"));

    for op in ops.iter().chain(logout.iter()) {
        let label = format!("{} {}", op.method, op.path);
        let is_logout = op.path.ends_with("/auth/logout");

        let anon = call(&app, op, None).await;
        if op.public {
            if anon.status == StatusCode::UNAUTHORIZED || anon.status == StatusCode::FORBIDDEN {
                failures.push(format!("{label}: public but anonymous got {}", anon.status));
            }
            continue;
        }
        if anon.status != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{label}: anonymous got {} ({})",
                anon.status,
                anon.code()
            ));
        }

        for (role, token) in &tokens {
            let token = if is_logout {
                let user = ROLES
                    .iter()
                    .find(|(r, _)| r == role)
                    .map(|(_, u)| *u)
                    .unwrap_or_default();
                app.fresh_token(user).await
            } else {
                token.clone()
            };
            let r = call(&app, op, Some(&token)).await;
            let allowed = op.roles.contains(*role);
            if r.status.is_server_error() {
                failures.push(format!("{label}: {role} got {} {}", r.status, r.text));
            }
            if allowed {
                if r.status == StatusCode::UNAUTHORIZED || r.code() == "forbidden_role" {
                    failures.push(format!(
                        "{label}: {role} is declared but got {} ({})",
                        r.status,
                        r.code()
                    ));
                }
            } else if r.status != StatusCode::FORBIDDEN || r.code() != "forbidden_role" {
                failures.push(format!(
                    "{label}: {role} is not declared but got {} ({})",
                    r.status,
                    r.code()
                ));
            }
        }

        let r = call(&app, op, Some(&full_key)).await;
        if op.scopes.is_empty() {
            if r.status != StatusCode::FORBIDDEN || r.code() != "api_key_not_allowed" {
                failures.push(format!(
                    "{label}: integration key got {} ({})",
                    r.status,
                    r.code()
                ));
            }
        } else if r.status == StatusCode::UNAUTHORIZED
            || r.status == StatusCode::FORBIDDEN
            || r.status.is_server_error()
        {
            failures.push(format!(
                "{label}: key with every scope got {} ({})",
                r.status,
                r.code()
            ));
        }
        // A key of each scope alone: let in exactly where the operation accepts that scope.
        for (scope, key) in &scope_keys {
            let r = call(&app, op, Some(key)).await;
            if r.status.is_server_error() {
                failures.push(format!("{label}: {scope} key got {} {}", r.status, r.text));
            }
            let (outcome, code) = (r.status, r.code());
            if op.scopes.is_empty() {
                if outcome != StatusCode::FORBIDDEN || code != "api_key_not_allowed" {
                    failures.push(format!("{label}: {scope} key got {outcome} ({code})"));
                }
            } else if op.scopes.contains(scope) {
                if outcome == StatusCode::UNAUTHORIZED || outcome == StatusCode::FORBIDDEN {
                    failures.push(format!(
                        "{label}: {scope} is declared but its key got {outcome} ({code})"
                    ));
                }
            } else if outcome != StatusCode::FORBIDDEN || code != "insufficient_scope" {
                failures.push(format!(
                    "{label}: {scope} is not declared but its key got {outcome} ({code})"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "role matrix failures:\n{}",
        failures.join("\n")
    );
}
