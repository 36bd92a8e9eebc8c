//! One error type for the whole API, rendered as RFC 9457 problem+json with a stable
//! snake_case `code` the SPA translates. Internal details are logged, never returned.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

pub use super::error_code::ErrorCode;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:xiaoan:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// A human-readable explanation (简体中文). Never contains personal data.
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `swap_conflict`.
    pub code: ErrorCode,
    /// Per-field (or, for CSV imports, per-line) validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `too_many_attempts`: when sign-in is possible again (the `Retry-After` instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The JSON field (or CSV column) at fault.
    pub field: String,
    /// Stable code: `required`, `too_long`, `invalid`, `duplicate`, `not_found` …
    pub code: String,
    pub message: String,
    /// 1-based line number, for CSV imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

pub type AppResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            locked_until: None,
        }
    }
    pub fn bad_request(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
    pub fn unauthenticated(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }
    pub fn forbidden(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }
    pub fn not_found(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }
    pub fn conflict(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }
    pub fn unprocessable(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
                "提交的内容有误,请按提示修改后重试",
            )
        }
    }
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyAttempts,
                "尝试次数过多,请稍后再试",
            )
        }
    }
    /// Sign-in refused until `until` (said in the body, and as `Retry-After`).
    pub fn locked(until: chrono::DateTime<chrono::Utc>, retry_after_secs: u64) -> Self {
        Self {
            locked_until: Some(until),
            ..Self::too_many_requests(retry_after_secs)
        }
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "服务器内部错误,请稍后重试",
        )
    }
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            "服务暂时不可用",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:xiaoan:problem:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.to_string(),
            code: self.code,
            errors: self.errors.clone(),
            locked_until: self.locked_until,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status);
        resp.content_type("application/problem+json");
        if let Some(secs) = self.retry_after_secs {
            resp.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        resp.json(self.problem())
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::conflict(ErrorCode::AlreadyExists, "该记录已存在(与已有记录重复)")
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => ApiError::conflict(
                ErrorCode::ReferenceConflict,
                "该记录被其他记录引用,或引用的记录不存在",
            ),
            _ => {
                // Database errors may quote submitted values: log the kind only at error level.
                tracing::error!(error = %scrub_quoted(&err.to_string()), "database error");
                ApiError::internal()
            }
        }
    }
}

/// Collects per-field validation errors and turns them into one 422.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            line: None,
        });
    }
    /// Trimmed text of bounded length (in characters).
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let len = value.trim().chars().count();
        if len < min {
            if min <= 1 {
                self.add(field, "required", "必填");
            } else {
                self.add(field, "too_short", format!("至少 {min} 个字符"));
            }
        } else if len > max {
            self.add(field, "too_long", format!("最多 {max} 个字符"));
        }
    }
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.add(field, "too_long", format!("最多 {max} 个字符"));
        }
    }
    pub fn phone(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            let ok = (5..=20).contains(&v.len())
                && v.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c));
            if !ok {
                self.add(field, "invalid", "电话号码格式不正确");
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// serde messages can quote submitted values: in double quotes (`invalid type: string "张三"`)
/// or in back-ticks (`invalid type: integer `110105…``, `unknown variant `x``, a UUID's
/// `found `z``). Keep the message's shape, the field names (`missing field `name``) and the
/// allowed values (`expected one of `a`, `b``), drop every submitted value.
pub fn scrub_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_quotes = false;
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        let tail = &rest[c.len_utf8()..];
        if c == '"' {
            if !in_quotes {
                out.push_str("\"…\"");
            }
            in_quotes = !in_quotes;
        } else if in_quotes {
        } else if c == '`' {
            // A back-ticked span: a name from the schema, or a submitted value.
            let Some(end) = tail.find('`') else {
                out.push('…');
                break;
            };
            let span = &tail[..end];
            if names_schema(&out) {
                out.push('`');
                out.push_str(span);
                out.push('`');
            } else {
                out.push_str("`…`");
            }
            rest = &tail[end + 1..];
            continue;
        } else {
            out.push(c);
        }
        rest = tail;
    }
    out
}

/// Whether a back-ticked span following `before` is a name the schema gave (a field, or an
/// allowed value listed after `expected`) rather than something the client sent.
fn names_schema(before: &str) -> bool {
    before.ends_with("field ")
        || before
            .rfind("expected")
            .is_some_and(|at| !before[at..].contains("found") && !before[at..].contains(" at "))
}

/// The error type of startup and background work (not of requests: those use `ApiError`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_scrubbed() {
        assert_eq!(
            scrub_quoted("invalid type: string \"张三\", expected u32 at line 1"),
            "invalid type: string \"…\", expected u32 at line 1"
        );
        assert_eq!(
            scrub_quoted("unknown field `foo`, expected `bar`"),
            "unknown field `foo`, expected `bar`"
        );
        assert_eq!(
            scrub_quoted(
                "invalid type: integer `110105194912310021`, expected a string at line 1 column 40"
            ),
            "invalid type: integer `…`, expected a string at line 1 column 40"
        );
        assert_eq!(
            scrub_quoted(
                "unknown variant `张三`, expected one of `exit_only`, `exit_and_return` at line 1 column 9"
            ),
            "unknown variant `…`, expected one of `exit_only`, `exit_and_return` at line 1 column 9"
        );
        assert_eq!(
            scrub_quoted("invalid value: integer `-5`, expected u32"),
            "invalid value: integer `…`, expected u32"
        );
        assert_eq!(
            scrub_quoted(
                "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 1"
            ),
            "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `…` at 1"
        );
        assert_eq!(scrub_quoted("missing field `name`"), "missing field `name`");
        assert_eq!(scrub_quoted("a `dangling"), "a …");
    }
}
