//! Text hygiene at the door: no control characters (other than newline and tab) and no bidi
//! overrides in any JSON text or query parameter the API takes in.
//!
//! Checked once, in a middleware, before any handler or typed extractor sees the request: a
//! NUL must never reach PostgreSQL (which refuses it: a 500), and ESC or a right-to-left
//! override must never reach the ledger, an export or another person's screen. The answer is
//! 422 naming the field (`scans[2].gate`), never quoting the value.

use crate::infra::config::RAW_LIMIT;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, FieldError};
use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::Value;

/// Why a character is refused, as the stable per-field error code.
pub fn refused_char(c: char) -> Option<&'static str> {
    match c {
        '\n' | '\t' => None,
        c if c.is_control() => Some("control_character"),
        // LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI: they reorder what a reader sees.
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("bidi_control"),
        _ => None,
    }
}

/// The code for the first refused character in `s`, if any.
pub fn refused_in(s: &str) -> Option<&'static str> {
    s.chars().find_map(refused_char)
}

/// The Chinese message for a code from [`refused_char`].
pub fn message(code: &str) -> &'static str {
    if code == "bidi_control" {
        "不能包含双向文本控制字符"
    } else {
        "不能包含控制字符(换行和制表符除外)"
    }
}

/// Field paths come from the client's keys: keep them short in the answer.
fn bounded(path: &str) -> String {
    if path.is_empty() {
        return "body".into();
    }
    let mut p: String = path.chars().take(120).collect();
    if p.len() < path.len() {
        p.push('…');
    }
    p
}

/// The first string (or key) in `v` holding a refused character: its path and the code.
pub fn find_in_json(v: &Value) -> Option<(String, &'static str)> {
    fn walk(v: &Value, path: &mut String) -> Option<&'static str> {
        match v {
            Value::String(s) => refused_in(s),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if let Some(code) = walk(item, path) {
                        return Some(code);
                    }
                    path.truncate(len);
                }
                None
            }
            Value::Object(map) => {
                for (key, item) in map {
                    // A refused key is reported at its object, never echoed.
                    if let Some(code) = refused_in(key) {
                        return Some(code);
                    }
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    if let Some(code) = walk(item, path) {
                        return Some(code);
                    }
                    path.truncate(len);
                }
                None
            }
            _ => None,
        }
    }
    let mut path = String::new();
    walk(v, &mut path).map(|code| (bounded(&path), code))
}

/// The first query parameter holding a refused character (in its name or value).
pub fn find_in_query(query: &str) -> Option<(String, &'static str)> {
    if query.is_empty() {
        return None;
    }
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?;
    pairs.0.iter().find_map(|(k, v)| {
        if let Some(code) = refused_in(k) {
            return Some(("query".to_owned(), code));
        }
        refused_in(v).map(|code| (bounded(k), code))
    })
}

fn refusal(field: String, code: &'static str) -> ApiError {
    ApiError::validation(vec![FieldError {
        field,
        code: code.into(),
        message: message(code).into(),
        line: None,
    }])
}

/// Whether raw JSON bytes could decode to a refused character: an escape (`\u0000`, `\r`,
/// `\b` …), a raw control byte other than JSON whitespace, DEL, a C1 control (U+0080–U+009F)
/// or a bidi override written as UTF-8. When false, [`find_in_json`] would find nothing.
fn may_hold_refused(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\\' | 0x7F => true,
        b'\n' | b'\t' | b'\r' => false,
        0x00..=0x1F => true,
        // C1 controls: U+0080–U+009F are C2 80–C2 9F in UTF-8.
        0xC2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)),
        // U+202A–U+202E are E2 80 AA–AE; U+2066–U+2069 are E2 81 A6–A9.
        0xE2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(0x80), Some(n)) => (0xAA..=0xAE).contains(n),
            (Some(0x81), Some(n)) => (0xA6..=0xA9).contains(n),
            _ => false,
        },
        _ => false,
    })
}

/// JSON bodies, and bodies that say nothing of their type (a raw-bytes JSON endpoint such as
/// the gate's batch must not slip past by leaving the header out).
fn may_be_json(req: &ServiceRequest) -> bool {
    let ct = req.content_type();
    ct.is_empty() || ct.contains("json")
}

/// The middleware, for `/api/v1`.
pub async fn reject_unsafe_text<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some((field, code)) = find_in_query(req.query_string()) {
        return Ok(req
            .error_response(refusal(field, code))
            .map_into_right_body());
    }
    if may_be_json(&req) {
        let mut payload = req.take_payload();
        let mut buf = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            // The largest body any /api/v1 route takes; the route's own limit still applies.
            if buf.len() + chunk.len() > RAW_LIMIT {
                let err = ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    "请求内容过大",
                );
                return Ok(req.error_response(err).map_into_right_body());
            }
            buf.extend_from_slice(&chunk);
        }
        let bytes: Bytes = buf.freeze();
        // Not JSON: the route's extractor gives its own answer. Most bodies (every gate scan)
        // cannot hold a refused character at all: they skip building a `Value`.
        if may_hold_refused(&bytes)
            && let Ok(value) = serde_json::from_slice::<Value>(&bytes)
            && let Some((field, code)) = find_in_json(&value)
        {
            return Ok(req
                .error_response(refusal(field, code))
                .map_into_right_body());
        }
        req.set_payload(Payload::from(bytes));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fast_path_skips_only_bodies_that_hold_nothing_refused() {
        let refused = [
            json!({"name": "a\u{0}b"}),
            json!({"gate": "x\u{1b}[31m"}),
            json!({"note": "abc\u{202E}fed"}),
            json!({"note": "a\u{2066}b"}),
            json!({"note": "a\u{85}b"}),
            json!({"note": "a\u{7f}b"}),
            json!({"k\u{7}": 1}),
        ];
        for v in &refused {
            assert!(find_in_json(v).is_some(), "{v}");
            // Compact and escaped-ASCII forms alike are caught before any `Value` is built.
            let compact = serde_json::to_vec(v).unwrap();
            assert!(may_hold_refused(&compact), "{v}");
        }
        // Raw UTF-8 (serde writes non-ASCII unescaped; a client may too).
        assert!(may_hold_refused("{\"n\":\"a\u{202E}b\"}".as_bytes()));
        assert!(may_hold_refused("{\"n\":\"a\u{85}b\"}".as_bytes()));
        let clean = json!({"token": "XA1.abc-_.def", "direction": "exit", "gate": "东门",
                           "note": "第一行\n\t第二行", "client_event_id": "0193a1b2-c3d4"});
        assert!(find_in_json(&clean).is_none());
        let pretty = serde_json::to_vec_pretty(&json!({"gate": "东门", "n": [1, 2]})).unwrap();
        assert!(!may_hold_refused(&pretty));
        assert!(!may_hold_refused(
            b"{\"gate\":\"\xe4\xb8\x9c\xe9\x97\xa8\"}"
        ));
    }

    #[test]
    fn refuses_control_and_bidi_but_not_newline_or_tab() {
        assert_eq!(find_in_json(&json!({"a": "第一行\n\t第二行"})), None);
        assert_eq!(
            find_in_json(&json!({"name": "a\u{0}b"})),
            Some(("name".into(), "control_character"))
        );
        assert_eq!(
            find_in_json(&json!({"scans": [{"gate": "ok"}, {"gate": "x\u{1b}[31m"}]})),
            Some(("scans[1].gate".into(), "control_character"))
        );
        assert_eq!(
            find_in_json(&json!({"note": "abc\u{202E}fed"})),
            Some(("note".into(), "bidi_control"))
        );
        assert_eq!(
            find_in_json(&json!({"k\u{7}": 1})),
            Some(("body".into(), "control_character"))
        );
        assert_eq!(
            find_in_query("q=%E5%BC%A0%00&limit=5"),
            Some(("q".into(), "control_character"))
        );
        assert_eq!(find_in_query("q=%E5%BC%A0&limit=5"), None);
        assert_eq!(
            find_in_query("q=a%E2%81%A6b"),
            Some(("q".into(), "bidi_control"))
        );
    }
}
