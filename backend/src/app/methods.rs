//! HTTP methods at the edge: a method a known `/api` path does not declare answers 405 with
//! `Allow` instead of 404 (before routing when it is outside the standard set, e.g. TRACE or
//! an invented one); an unknown method anywhere else is 501. Either way such a method is one
//! `other` label in the metrics.

use crate::infra::error::ApiError;
use crate::infra::error::ErrorCode;
use crate::infra::metrics::KNOWN_METHODS as KNOWN;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use std::sync::OnceLock;

/// Each `/api` path pattern of the OpenAPI document with the methods it declares. The
/// document comes from the same registration the server uses, so the two cannot disagree.
fn api_paths() -> &'static [(ResourceDef, Vec<&'static str>)] {
    static PATHS: OnceLock<Vec<(ResourceDef, Vec<&'static str>)>> = OnceLock::new();
    PATHS.get_or_init(|| {
        crate::app::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let declared = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ];
                let methods = declared
                    .into_iter()
                    .filter(|(_, d)| *d)
                    .map(|(m, _)| m)
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect()
    })
}

/// The methods declared for a concrete path (empty when no route has this path).
pub fn allowed(path: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = api_paths()
        .iter()
        .filter(|(def, _)| def.is_match(path))
        .flat_map(|(_, m)| m.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// 405 `method_not_allowed` naming the methods the path has.
fn not_allowed(allow: &[&str]) -> HttpResponse {
    let mut resp: HttpResponse = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "不支持此请求方法",
    )
    .error_response();
    if let Ok(v) = header::HeaderValue::from_str(&allow.join(", ")) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

/// Middleware: an unknown method is answered before routing — 405 with `Allow` on a declared
/// `/api` path, 501 elsewhere; a standard method a declared path lacks is 405 with `Allow`
/// (actix's per-method resources would answer 404).
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !KNOWN.contains(req.method()) {
        let allow = allowed(req.path());
        let resp = if allow.is_empty() {
            ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                ErrorCode::MethodNotImplemented,
                "不支持此请求方法",
            )
            .error_response()
        } else {
            not_allowed(&allow)
        };
        return Ok(req.into_response(resp).map_into_right_body());
    }
    let res = next.call(req).await?;
    if res.status() != StatusCode::NOT_FOUND || !res.request().path().starts_with("/api/") {
        return Ok(res.map_into_left_body());
    }
    // A 404 for a declared method is the handler's own (`student_not_found`); for a path
    // that no route has, routing's. Only a path with routes, none for this method, is a 405.
    let allow = allowed(res.request().path());
    let method = res.request().method().as_str();
    if allow.is_empty() || allow.contains(&method) {
        return Ok(res.map_into_left_body());
    }
    let resp = not_allowed(&allow);
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, resp).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(crate::infra::metrics::method_label("GET"), "GET");
        assert_eq!(crate::infra::metrics::method_label("PATCH"), "PATCH");
        assert_eq!(crate::infra::metrics::method_label("XMETH123"), "other");
        assert_eq!(crate::infra::metrics::method_label("get"), "other");
    }

    #[test]
    fn known_paths_list_their_methods() {
        assert_eq!(allowed("/api/v1/students/abc"), vec!["GET", "PATCH"]);
        assert!(allowed("/api/v1/no-such-route").is_empty());
    }
}
