//! Leave passes (请假条): issue, revoke, read, and their signed QR credential.

pub mod keys;
pub use crate::schema::passes as model;
pub mod token;

pub use crate::schema::passes::{PassKind, PassStatus, leave_pass};
pub use keys::{
    KeyCache, active_signing_key, ensure_signing_key, ensure_signing_key_on,
    published as published_keys, secret_context,
};
pub use token::{
    Claims, PREFIX as TOKEN_PREFIX, WindowError, check_window, kid_of, kid_to_string,
    sign as sign_token, verify as verify_token,
};

use crate::auth::extract::{Auth, AuthOrKey, Caller};
use crate::auth::roles::{PassReaders, PassesRead, Role, TeacherOrOffice};
use crate::features::audit;
use crate::features::classes;
use crate::features::events::{self, EventStudent};
use crate::features::students::{self, model::student};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The longest window a pass may cover.
const MAX_WINDOW_DAYS: i64 = 7;
/// How far ahead a pass may start. Keeps every instant of a pass far inside the token's
/// 32-bit seconds (which end in 2106) and passes within a school term.
const MAX_START_AHEAD_DAYS: i64 = 30;

/// A leave pass as its issuer, the office and the principal see it. A `passes:read` key sees
/// no `reason`, `token`, `short_code` or `issued_by`: who is out, when, and the status only.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassResponse {
    pub id: Uuid,
    pub student_id: Uuid,
    pub student_no: String,
    pub student_name: String,
    pub class_id: Uuid,
    pub class_name: String,
    pub kind: PassKind,
    /// Kept on the server; never in the QR code. Absent for integration keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// When the student must be back (`exit_and_return` only).
    pub return_by: Option<DateTime<Utc>>,
    /// `issued`, `out`, `returned`, `expired` (issued, never used, window over) or `revoked`.
    pub status: String,
    /// Out and past `return_by`.
    pub overdue: bool,
    /// Absent for integration keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<Uuid>,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub exited_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    /// The signed credential (format `XA1`, see `GET /gate/keys`), what the QR code holds.
    /// Absent for integration keys (it would let one pass the gate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The manual code shown under the QR (8 characters of `23456789ABCDEFGHJKMNPQRSTUVWXYZ`):
    /// a guard types it when the QR will not scan (`POST /gate/scans` with `code`, online only).
    /// Absent for integration keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_code: Option<String>,
}

/// The manual code's characters: digits and capitals without the look-alikes 0/O, 1/I/L.
pub const SHORT_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const SHORT_CODE_LEN: usize = 8;

/// A fresh random manual code.
pub fn new_short_code() -> AppResult<String> {
    let n = SHORT_CODE_ALPHABET.len();
    // The largest multiple of the alphabet's size below 256: bytes above it are dropped so
    // that every character is equally likely.
    let limit = 256 - 256 % n;
    let mut code = String::with_capacity(SHORT_CODE_LEN);
    while code.len() < SHORT_CODE_LEN {
        let mut buf = [0u8; 16];
        getrandom::fill(&mut buf).map_err(|_| ApiError::internal())?;
        for b in buf {
            if code.len() < SHORT_CODE_LEN && usize::from(b) < limit {
                code.push(char::from(SHORT_CODE_ALPHABET[usize::from(b) % n]));
            }
        }
    }
    Ok(code)
}

/// A typed code as stored (capitals, without spaces or dashes), or `None` when it cannot be one.
pub fn normalize_short_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == SHORT_CODE_LEN && code.bytes().all(|b| SHORT_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// The status a person should see: an unused pass whose window is over is `expired`.
pub fn effective_status(p: &leave_pass::Model, now: DateTime<Utc>) -> &'static str {
    if p.status == PassStatus::Issued && p.valid_until <= now {
        "expired"
    } else {
        p.status.as_str()
    }
}

pub fn is_overdue(p: &leave_pass::Model, now: DateTime<Utc>) -> bool {
    p.status == PassStatus::Out && p.return_by.is_some_and(|r| r < now)
}

/// `full`: a person's view; else an integration key's (see [`PassResponse`]).
fn to_response(
    p: leave_pass::Model,
    s: &student::Model,
    class_name: String,
    now: DateTime<Utc>,
    full: bool,
) -> PassResponse {
    PassResponse {
        status: effective_status(&p, now).to_owned(),
        overdue: is_overdue(&p, now),
        id: p.id,
        student_id: p.student_id,
        student_no: s.student_no.clone(),
        student_name: s.name.clone(),
        class_id: p.class_id,
        class_name,
        kind: p.kind,
        reason: full.then_some(p.reason),
        valid_from: p.valid_from,
        valid_until: p.valid_until,
        return_by: p.return_by,
        issued_by: full.then_some(p.issued_by),
        issued_at: p.issued_at,
        revoked_at: p.revoked_at,
        exited_at: p.exited_at,
        returned_at: p.returned_at,
        token: full.then_some(p.token),
        short_code: p.short_code.filter(|_| full),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePassRequest {
    pub student_id: Uuid,
    /// `exit_only` or `exit_and_return`.
    pub kind: String,
    /// Why (看病, 家中有事 …); kept on the server, never in the QR code. 1–200 characters.
    pub reason: String,
    /// Default: now; at most 30 days ahead.
    pub valid_from: Option<DateTime<Utc>>,
    /// The exit must happen before this instant; at most 7 days after `valid_from`. For
    /// `exit_and_return` the exit window ends at `return_by` at the latest: a later
    /// `valid_until` is brought forward to `return_by` (leaving after the return time would
    /// make the student overdue on the way out).
    pub valid_until: DateTime<Utc>,
    /// Required for `exit_and_return` (after `valid_from`, at most 7 days after it), absent
    /// for `exit_only`.
    pub return_by: Option<DateTime<Utc>>,
}

/// Seconds, as the token stores them (so that the token and the database agree exactly).
fn whole_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Issue a leave pass for a student of own class (the office: any class). Refused with
/// `student_disabled` for a student who left and `pass_window_in_past` for a window already over.
#[utoipa::path(
    tag = "leave-passes",
    request_body = IssuePassRequest,
    responses(
        (status = 201, body = PassResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`student_not_found`", body = crate::infra::error::Problem),
        (status = 422, description = "`validation_failed`, `student_disabled`, `pass_window_in_past`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[post("/leave-passes")]
pub async fn issue_pass(
    auth: Auth<TeacherOrOffice>,
    state: State,
    body: web::Json<IssuePassRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let now = crate::infra::clock::now();
    let valid_from = whole_secs(body.valid_from.unwrap_or(now));
    let return_by = body.return_by.map(whole_secs);
    let valid_until = match return_by {
        Some(r) if r > valid_from && r < body.valid_until => r,
        _ => whole_secs(body.valid_until),
    };
    let kind = PassKind::parse(&body.kind);
    let mut v = Validator::new();
    v.text("reason", &body.reason, 1, 200);
    match kind {
        None => v.add("kind", "invalid", "须为 exit_only 或 exit_and_return"),
        Some(PassKind::ExitAndReturn) => match return_by {
            None => v.add("return_by", "required", "往返假条须填写返校时间"),
            Some(r) if r <= valid_from => v.add("return_by", "invalid", "返校时间须晚于生效时间"),
            Some(r) if r > valid_from + Duration::days(MAX_WINDOW_DAYS) => {
                v.add("return_by", "too_late", "返校时间不能晚于生效后 7 天")
            }
            Some(_) => {}
        },
        Some(PassKind::ExitOnly) => {
            if return_by.is_some() {
                v.add("return_by", "invalid", "单程离校假条不填返校时间");
            }
        }
    }
    if valid_from > now + Duration::days(MAX_START_AHEAD_DAYS) {
        v.add("valid_from", "too_far", "生效时间不能晚于 30 天后");
    }
    if valid_until <= valid_from {
        v.add("valid_until", "invalid", "失效时间须晚于生效时间");
    } else if valid_until - valid_from > Duration::days(MAX_WINDOW_DAYS) {
        v.add("valid_until", "too_long", "假条有效期最长 7 天");
    }
    v.finish()?;
    if valid_until <= now {
        return Err(ApiError::unprocessable(
            ErrorCode::PassWindowInPast,
            "假条有效期已过,请重新选择时间",
        ));
    }
    let kind = kind.ok_or_else(ApiError::internal)?;

    let db = &state.db.conn;
    let s = students::find(db, body.student_id).await?;
    classes::require_own_class(db, &auth.user, s.class_id).await?;
    if !s.is_active {
        return Err(ApiError::unprocessable(
            ErrorCode::StudentDisabled,
            "该学生已停用(离校),不能开具假条",
        ));
    }
    let cls = classes::find(db, s.class_id).await?;
    let (kid, signing) = keys::active_signing_key(db, &state.db.master_key).await?;
    let id = Uuid::now_v7();
    let claims = token::Claims {
        kid,
        pass_id: id,
        student_id: s.id,
        kind,
        valid_from: valid_from.timestamp(),
        valid_until: valid_until.timestamp(),
        return_by: return_by.map(|r| r.timestamp()),
        student_name: s.name.clone(),
        class_name: cls.name.clone(),
    };
    // Signing is done before the write transaction: it needs no lock.
    let tok = token::sign(&claims, &signing);

    let tx = state.db.begin_write().await?;
    let created = insert_with_code(
        &tx,
        leave_pass::ActiveModel {
            id: Set(id),
            student_id: Set(s.id),
            class_id: Set(cls.id),
            kind: Set(kind),
            reason: Set(body.reason.trim().to_owned()),
            valid_from: Set(valid_from),
            valid_until: Set(valid_until),
            return_by: Set(return_by),
            status: Set(PassStatus::Issued),
            kid: Set(token::kid_to_string(&kid)),
            token: Set(tok),
            issued_by: Set(auth.user.id),
            issued_at: Set(now),
            revoked_at: Set(None),
            revoked_by: Set(None),
            exited_at: Set(None),
            exit_scan_id: Set(None),
            returned_at: Set(None),
            return_scan_id: Set(None),
            updated_at: Set(now),
            short_code: Set(None),
        },
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "leave_pass.issue",
        "leave_pass",
        Some(id.to_string()),
        json!({"after": {
            "student_id": s.id, "class_id": cls.id, "kind": created.kind,
            "reason": created.reason, "valid_from": valid_from, "valid_until": valid_until,
            "return_by": return_by,
        }}),
    )
    .await?;
    let student = EventStudent::of(&s, &cls.name);
    let (pass_id, kind) = (id, created.kind);
    let e = events::PassIssued {
        pass_id,
        student,
        kind,
        valid_from,
        valid_until,
        return_by,
    };
    events::emit_payload(&*tx, now, &e).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(to_response(created, &s, cls.name, now, true)))
}

/// Inserts a pass with a fresh manual code; a code already taken (the database's unique index
/// says so) is drawn again, inside a savepoint so that the transaction stays usable.
pub async fn insert_with_code(
    tx: &sea_orm::DatabaseTransaction,
    row: leave_pass::ActiveModel,
) -> AppResult<leave_pass::Model> {
    use sea_orm::{SqlErr, TransactionTrait};
    for _ in 0..5 {
        let mut row = row.clone();
        row.short_code = Set(Some(new_short_code()?));
        let sp = tx.begin().await?;
        match row.insert(&sp).await {
            Ok(m) => {
                sp.commit().await?;
                return Ok(m);
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                sp.rollback().await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal())
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<leave_pass::Model> {
    leave_pass::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PassNotFound, "假条不存在"))
}

/// A pass the caller may see: 404 first, then own class (a key: any).
async fn readable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: Uuid,
) -> AppResult<leave_pass::Model> {
    let p = find(db, id).await?;
    if let Caller::User(user) = caller {
        classes::require_own_class(db, user, p.class_id).await?;
    }
    Ok(p)
}

async fn response_for(
    db: &impl ConnectionTrait,
    p: leave_pass::Model,
    caller: &Caller,
) -> AppResult<PassResponse> {
    let s = students::find(db, p.student_id).await?;
    let cname = classes::find(db, p.class_id).await?.name;
    let full = caller.user().is_some();
    Ok(to_response(p, &s, cname, crate::infra::clock::now(), full))
}

/// One pass (own class for a class teacher; a `passes:read` key: any, with the fewest fields).
#[utoipa::path(
    tag = "leave-passes",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PassResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`pass_not_found`", body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher"]),
        ("api_key" = ["passes:read"])
    )
)]
#[get("/leave-passes/{id}")]
pub async fn get_pass(
    auth: AuthOrKey<PassReaders, PassesRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PassResponse>> {
    let db = &state.db.conn;
    let p = readable(db, &auth.caller, id.into_inner()).await?;
    Ok(web::Json(response_for(db, p, &auth.caller).await?))
}

/// The pass's QR code (SVG, error-correction level Q), for a screen or paper.
#[utoipa::path(
    tag = "leave-passes",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`pass_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/leave-passes/{id}/qr.svg")]
pub async fn pass_qr(
    auth: Auth<PassReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let caller = Caller::User(auth.user);
    let p = readable(&state.db.conn, &caller, id.into_inner()).await?;
    let svg = crate::infra::util::qr_svg(&p.token, qrcode::EcLevel::Q, 320)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

/// Revoke a pass not yet used (own class for a class teacher). A revoked pass is denied at the
/// gate and appears in `GET /gate/revocations`.
#[utoipa::path(
    tag = "leave-passes",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = PassResponse),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`pass_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`pass_not_revocable`: already used or revoked", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[post("/leave-passes/{id}/revoke")]
pub async fn revoke_pass(
    auth: Auth<TeacherOrOffice>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PassResponse>> {
    let id = id.into_inner();
    let caller = Caller::User(auth.user.clone());
    readable(&state.db.conn, &caller, id).await?;
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    // Conditional: a scan that lets the student out at this very moment wins, or this does.
    let res = leave_pass::Entity::update_many()
        .col_expr(
            leave_pass::Column::Status,
            sea_orm::sea_query::Expr::value(PassStatus::Revoked),
        )
        .col_expr(
            leave_pass::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            leave_pass::Column::RevokedBy,
            sea_orm::sea_query::Expr::value(auth.user.id),
        )
        .col_expr(
            leave_pass::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(leave_pass::Column::Id.eq(id))
        .filter(leave_pass::Column::Status.eq(PassStatus::Issued))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::conflict(
            ErrorCode::PassNotRevocable,
            "假条已使用或已撤销,不能撤销",
        ));
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "leave_pass.revoke",
        "leave_pass",
        Some(id.to_string()),
        json!({"before": {"status": "issued"}, "after": {"status": "revoked"}}),
    )
    .await?;
    let p = find(&*tx, id).await?;
    let student = EventStudent::load(&*tx, p.student_id).await?;
    let e = events::PassRevoked {
        pass_id: id,
        student,
        revoked_at: now,
    };
    events::emit_payload(&*tx, now, &e).await?;
    tx.commit().await?;
    Ok(web::Json(response_for(&state.db.conn, p, &caller).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PassQuery {
    pub class_id: Option<Uuid>,
    pub student_id: Option<Uuid>,
    /// `issued`, `out`, `returned`, `expired` or `revoked`.
    pub status: Option<String>,
    /// A local date `YYYY-MM-DD`: passes whose window touches that day.
    pub date: Option<String>,
    /// Only passes out past their return time.
    pub overdue: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The instants a local calendar day covers.
pub fn local_day(tz: chrono_tz::Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    (start(date), start(date + Duration::days(1)))
}

/// Leave passes, newest first. A class teacher sees own classes only; a `passes:read` key
/// every class, with the fewest fields (no reason, credential or code).
#[utoipa::path(
    tag = "leave-passes",
    params(PassQuery),
    responses(
        (status = 200, body = Page<PassResponse>),
        (status = 400, body = crate::infra::error::Problem),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher"]),
        ("api_key" = ["passes:read"])
    )
)]
#[get("/leave-passes")]
pub async fn list_passes(
    auth: AuthOrKey<PassReaders, PassesRead>,
    state: State,
    query: web::Query<PassQuery>,
) -> AppResult<web::Json<Page<PassResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let now = crate::infra::clock::now();
    let mut select = leave_pass::Entity::find();
    let own = match auth.caller.user() {
        Some(u) if u.is(Role::ClassTeacher) => {
            Some(crate::features::users::own_class_ids(db, u.id, u.role).await?)
        }
        _ => None,
    };
    match (&own, q.class_id) {
        (Some(own), Some(cid)) if !own.contains(&cid) => {
            return Err(ApiError::forbidden(
                ErrorCode::NotOwnClass,
                "只能查看本班的假条",
            ));
        }
        (_, Some(cid)) => select = select.filter(leave_pass::Column::ClassId.eq(cid)),
        (Some(own), None) => select = select.filter(leave_pass::Column::ClassId.is_in(own.clone())),
        (None, None) => {}
    }
    if let Some(sid) = q.student_id {
        select = select.filter(leave_pass::Column::StudentId.eq(sid));
    }
    match q.status.as_deref() {
        None => {}
        Some("issued") => {
            select = select
                .filter(leave_pass::Column::Status.eq(PassStatus::Issued))
                .filter(leave_pass::Column::ValidUntil.gt(now))
        }
        Some("expired") => {
            select = select
                .filter(leave_pass::Column::Status.eq(PassStatus::Issued))
                .filter(leave_pass::Column::ValidUntil.lte(now))
        }
        Some("out") => select = select.filter(leave_pass::Column::Status.eq(PassStatus::Out)),
        Some("returned") => {
            select = select.filter(leave_pass::Column::Status.eq(PassStatus::Returned))
        }
        Some("revoked") => {
            select = select.filter(leave_pass::Column::Status.eq(PassStatus::Revoked))
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "status 须为 issued、out、returned、expired 或 revoked",
            ));
        }
    }
    if q.overdue == Some(true) {
        select = select
            .filter(leave_pass::Column::Status.eq(PassStatus::Out))
            .filter(leave_pass::Column::ReturnBy.lt(now));
    }
    // A day's passes are listed latest start first: (valid_from, id) is an index range of
    // that day (and the week before it, the longest window), where newest-id-first would
    // have to walk every pass issued since.
    let by_day = q.date.is_some();
    if let Some(d) = q.date.as_deref() {
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidQuery, "date 须为 YYYY-MM-DD"))?;
        let (start, end) = local_day(state.tz, date);
        select = select
            .filter(leave_pass::Column::ValidFrom.lt(end))
            .filter(leave_pass::Column::ValidUntil.gt(start))
            // Implied by the two above: no window is longer than MAX_WINDOW_DAYS.
            .filter(leave_pass::Column::ValidFrom.gte(start - Duration::days(MAX_WINDOW_DAYS)));
    }
    if let Some(after) = &paging.after {
        if by_day {
            let (at, id) = crate::infra::pagination::parse_time_id(after)?;
            select = select.filter(crate::infra::pagination::after_time_id(
                leave_pass::Column::ValidFrom,
                leave_pass::Column::Id,
                at,
                id,
            ));
        } else {
            let after = Uuid::parse_str(after)
                .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
            select = select.filter(leave_pass::Column::Id.lt(after));
        }
    }
    if by_day {
        select = select.order_by_desc(leave_pass::Column::ValidFrom);
    }
    let rows = select
        .order_by_desc(leave_pass::Column::Id)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let page = paging.page(rows, |r| {
        if by_day {
            crate::infra::pagination::time_id_key(r.valid_from, r.id)
        } else {
            r.id.to_string()
        }
    });
    let full = auth.caller.user().is_some();
    let items = responses(db, page.items, now, full).await?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Many passes with their students and classes, in three queries.
pub async fn responses(
    db: &impl ConnectionTrait,
    rows: Vec<leave_pass::Model>,
    now: DateTime<Utc>,
    full: bool,
) -> AppResult<Vec<PassResponse>> {
    let sids: Vec<Uuid> = rows.iter().map(|r| r.student_id).collect();
    let studs: HashMap<Uuid, student::Model> = student::Entity::find()
        .filter(student::Column::Id.is_in(sids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let names = classes::names(db, rows.iter().map(|r| r.class_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(s) = studs.get(&r.student_id) else {
            continue;
        };
        let cname = names.get(&r.class_id).cloned().unwrap_or_default();
        out.push(to_response(r, s, cname, now, full));
    }
    Ok(out)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_passes)
        .service(issue_pass)
        .service(get_pass)
        .service(pass_qr)
        .service(revoke_pass);
}
