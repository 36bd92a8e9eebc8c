//! The gate's HTTP surface: scans (online and offline batches) and the guard's pass search;
//! keys, revocations and students out in `lists`, the gate log in `log`.

pub mod lists;
pub mod log;

use super::scan::{self, EventConflict, event_conflict};
use super::state::GateState;
use super::store;
use super::verdict::{Incoming, Source};
use super::{Direction, ScanCode, Verdict};
use crate::auth::extract::{Auth, AuthOrKey};
use crate::auth::roles::{GateScan, GuardOrOffice};
use crate::features::passes::{self, PassKind};
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError};
use crate::infra::state::State;
use actix_web::{get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A batch may hold this many scans.
pub const BATCH_MAX: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The QR code's text (format `XA1`). Send this or `code`.
    pub token: Option<String>,
    /// The pass's 8-character manual code as typed (case, spaces and dashes do not matter),
    /// instead of `token`: checked online only, against the pass it names (unknown:
    /// `pass_not_found`).
    pub code: Option<String>,
    pub direction: Direction,
    /// Which gate (e.g. `南门`), 1–64 characters.
    pub gate: String,
    /// Made by the phone for this scan (a UUID is best), 1–64 characters. Sending the same id
    /// again with the same token and direction, as the same guard or key, returns the first
    /// verdict as given and records nothing new; the same id with another token, direction or
    /// caller is refused `409 client_event_conflict`.
    pub client_event_id: String,
    /// Ignored: an online scan is stamped and judged with the server's time.
    #[allow(dead_code)] // accepted so phones may send it; never read
    pub scanned_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchScan {
    pub token: String,
    pub direction: Direction,
    pub gate: String,
    pub client_event_id: String,
    /// When the scan happened on the phone; the pass is judged at this moment.
    pub scanned_at: DateTime<Utc>,
    /// What the phone showed offline (default `allow`). A scan the phone refused is recorded
    /// as a refused attempt and never changes the pass.
    pub offline_result: Option<Verdict>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1–500 scans made offline.
    pub scans: Vec<BatchScan>,
}

/// The fewest fields a guard needs to recognise the student.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanStudent {
    pub name: String,
    pub class: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScanPass {
    pub id: Uuid,
    pub kind: PassKind,
    pub valid_until: DateTime<Utc>,
    pub return_by: Option<DateTime<Utc>>,
    /// The pass's status after this scan.
    pub status: String,
}

/// The verdict. `code` is `ok` on allow, else why the scan was refused (see `ScanCode`);
/// on `client_event_conflict` nothing was recorded and `event_id` is the nil UUID.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanResponse {
    pub result: Verdict,
    pub code: ScanCode,
    /// The recorded scan's id.
    pub event_id: Uuid,
    pub client_event_id: String,
    /// Present once the signature is good.
    pub student: Option<ScanStudent>,
    pub pass: Option<ScanPass>,
    /// Offline scans only: the server judged the pass differently from the phone (e.g.
    /// another gate had already let it out, or it never left), or the scan is dated before
    /// this guard's or key's last online scan. The office sees these in the gate log
    /// (`conflict=true`).
    pub conflict: bool,
    pub scanned_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// One verdict per scan, in the order sent.
    pub results: Vec<ScanResponse>,
}

fn validate(gate: &str, client_event_id: &str, prefix: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut check = |field: &str, v: &str| {
        let n = v.trim().chars().count();
        if n == 0 || n > 64 {
            errs.push(FieldError {
                field: format!("{prefix}{field}"),
                code: if n == 0 { "required" } else { "too_long" }.into(),
                message: "须为 1–64 个字符".into(),
                line: None,
            });
        }
    };
    check("gate", gate);
    check("client_event_id", client_event_id);
    errs
}

/// Record one scan of a leave pass and get the verdict in one round trip: `allow` or `deny`
/// with a code, the student's name and class. The signature is checked before anything else
/// is read. An exit is allowed once per pass (the database decides, so concurrent scans of
/// one pass at two gates give one allow). Every scan is recorded with the guard or key, the
/// gate and the time. Deny verdicts are `200` too: a scan was made and recorded.
#[utoipa::path(
    tag = "gate",
    request_body = ScanRequest,
    responses(
        (status = 200, body = ScanResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[post("/gate/scans")]
pub async fn record_scan(
    auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
    gate: web::Data<GateState>,
    body: web::Json<ScanRequest>,
) -> AppResult<web::Json<ScanResponse>> {
    let body = body.into_inner();
    let mut errs = validate(&body.gate, &body.client_event_id, "");
    let code = match (&body.token, body.code.as_deref()) {
        (Some(_), None) => None,
        (None, Some(c)) => match passes::normalize_short_code(c) {
            Some(c) => Some(c),
            None => {
                errs.push(FieldError {
                    field: "code".into(),
                    code: "invalid".into(),
                    message: "请假短码为 8 位字母或数字".into(),
                    line: None,
                });
                None
            }
        },
        _ => {
            errs.push(FieldError {
                field: "token".into(),
                code: "invalid".into(),
                message: "须提供 token 或 code 之一".into(),
                line: None,
            });
            None
        }
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    // A typed code stands for the pass's own token (one read, only on this rare path), so
    // that it is judged exactly as the QR would be.
    let (token, preset) = match code {
        Some(c) => match store::pass_by_short_code(&state.db.conn, &c).await? {
            Some(p) => (p.token, None),
            None => (format!("code:{c}"), Some(ScanCode::PassNotFound)),
        },
        None => (body.token.unwrap_or_default(), None),
    };
    let now = crate::infra::clock::now();
    let incoming = Incoming {
        token,
        preset,
        direction: body.direction,
        gate: body.gate.trim().to_owned(),
        client_event_id: body.client_event_id.trim().to_owned(),
        // Online the server's clock is the judge and the only time recorded: a phone's clock
        // (or a forged claim) never dates the gate log.
        scanned_at: now,
        source: Source::Online,
    };
    match scan::process(&state, &gate, &auth.caller, incoming).await? {
        Ok(r) => Ok(web::Json(r)),
        Err(EventConflict) => Err(event_conflict()),
    }
}

/// Sync scans made offline (up to 500), each judged at its `scanned_at`, idempotent by
/// `client_event_id` as online. When two gates both let one pass out offline, both scans are
/// kept and the later one is flagged `conflict` (the office sees it in the gate log with
/// `conflict=true`).
#[utoipa::path(
    tag = "gate",
    request_body = BatchRequest,
    responses(
        (status = 200, body = BatchResponse),
        (status = 413, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[post("/gate/scans/batch")]
pub async fn record_scan_batch(
    auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
    gate: web::Data<GateState>,
    body: web::Bytes,
) -> AppResult<web::Json<BatchResponse>> {
    // Raw bytes so that a full batch may exceed the app-wide JSON limit.
    let body: BatchRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidBody,
            crate::infra::error::scrub_quoted(&e.to_string()),
        )
    })?;
    if body.scans.is_empty() || body.scans.len() > BATCH_MAX {
        return Err(ApiError::validation(vec![FieldError {
            field: "scans".into(),
            code: "invalid".into(),
            message: format!("须有 1–{BATCH_MAX} 条扫码记录"),
            line: None,
        }]));
    }
    let mut errs = Vec::new();
    for (i, s) in body.scans.iter().enumerate() {
        errs.extend(validate(
            &s.gate,
            &s.client_event_id,
            &format!("scans[{i}]."),
        ));
    }
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    // Oldest first, so that the earlier of two conflicting exits is the one that counts.
    let mut order: Vec<usize> = (0..body.scans.len()).collect();
    order.sort_by_key(|&i| body.scans[i].scanned_at);
    let now = crate::infra::clock::now();
    let oldest = now - Duration::hours(i64::from(state.settings.gate_offline_sync_max_age_hours));
    let contact = store::last_online_contact(&state.db.conn, &auth.caller).await?;
    let sent_ids: Vec<String> = body
        .scans
        .iter()
        .map(|s| s.client_event_id.trim().to_owned())
        .collect();
    let mut items: Vec<Option<BatchScan>> = body.scans.into_iter().map(Some).collect();
    let mut results: Vec<Option<ScanResponse>> = vec![None; items.len()];
    let mut incoming = Vec::with_capacity(items.len());
    let mut slots = Vec::with_capacity(items.len());
    for i in order {
        let Some(s) = items[i].take() else { continue };
        incoming.push(Incoming {
            token: s.token,
            preset: None,
            direction: s.direction,
            gate: s.gate.trim().to_owned(),
            client_event_id: s.client_event_id.trim().to_owned(),
            scanned_at: s.scanned_at,
            source: Source::Batch {
                phone_allowed: s.offline_result != Some(Verdict::Deny),
                too_old: s.scanned_at < oldest,
                before_contact: contact.is_some_and(|c| s.scanned_at < c),
            },
        });
        slots.push(i);
    }
    for (i, r) in slots
        .into_iter()
        .zip(scan::process_in_order(&state, &gate, &auth.caller, incoming).await?)
    {
        results[i] = Some(r.unwrap_or_else(|EventConflict| ScanResponse {
            result: Verdict::Deny,
            code: ScanCode::ClientEventConflict,
            event_id: Uuid::nil(),
            client_event_id: String::new(),
            student: None,
            pass: None,
            conflict: false,
            scanned_at: now,
        }));
    }
    // A refused id still answers with the id that was sent, so the phone can match it up.
    for (r, id) in results.iter_mut().zip(&sent_ids) {
        if let Some(r) = r
            && r.client_event_id.is_empty()
        {
            r.client_event_id.clone_from(id);
        }
    }
    Ok(web::Json(BatchResponse {
        results: results.into_iter().flatten().collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PassSearchQuery {
    /// Part of the student's name, or the student's 学号; 1–32 characters.
    pub q: String,
}

/// One of today's passes, as a guard may see it: nothing about the student but the name and
/// class, nothing about the pass but its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatePassHit {
    pub pass_id: Uuid,
    pub student_name: String,
    pub class_name: String,
    /// `issued`, `out`, `returned`, `expired` or `revoked`.
    pub status: String,
}

/// Today's leave passes of students whose name contains `q` or whose 学号 is `q` (at most 20),
/// for the guard when a student has no QR at hand: "today" is a pass whose window touches
/// today (school time) or a student still out.
#[utoipa::path(
    tag = "gate",
    params(PassSearchQuery),
    responses(
        (status = 200, body = Vec<GatePassHit>),
        (status = 422, description = "`validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[get("/gate/passes")]
pub async fn search_passes(
    _auth: Auth<GuardOrOffice>,
    state: State,
    query: web::Query<PassSearchQuery>,
) -> AppResult<web::Json<Vec<GatePassHit>>> {
    let q = query.q.trim();
    let n = q.chars().count();
    if n == 0 || n > 32 || q.chars().any(char::is_control) {
        return Err(ApiError::validation(vec![FieldError {
            field: "q".into(),
            code: "invalid".into(),
            message: "须为 1–32 个字符".into(),
            line: None,
        }]));
    }
    let db = &state.db.conn;
    let students = store::students_matching(db, q).await?;
    let now = crate::infra::clock::now();
    let (start, end) = passes::local_day(state.tz, now.with_timezone(&state.tz).date_naive());
    let rows = store::passes_of_day(db, students.keys().copied(), start, end).await?;
    let classes = crate::features::classes::names(db, rows.iter().map(|p| p.class_id)).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|p| GatePassHit {
                pass_id: p.id,
                student_name: students.get(&p.student_id).cloned().unwrap_or_default(),
                class_name: classes.get(&p.class_id).cloned().unwrap_or_default(),
                status: passes::effective_status(&p, now).to_owned(),
            })
            .collect(),
    ))
}
