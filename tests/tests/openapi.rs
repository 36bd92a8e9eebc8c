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
    for scope in ["people:read", "gate:scan", "gate:read"] {
        assert!(doc.contains(scope), "scope {scope} undocumented");
    }
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
