//! Visitors (来访登记): check-in and out at the gate, expected visitors, and the watchlist
//! (形迹可疑 / banned persons). ID numbers are never stored or shown in full after entry: a
//! keyed hash (HMAC-SHA256 with a server secret) for matching, the last 4 characters for display.

pub use crate::schema::visitors as model;
pub use crate::schema::visitors::{VisitStatus, WatchCategory};

use crate::auth::extract::Auth;
use crate::auth::roles::{GateLogReaders, GuardOrOffice, Office, OfficeOrPrincipal, Staff};
use crate::features::audit;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::keys::{MasterKey, OpenError};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use crate::schema::passes::secret;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use model::{expected, visitor, watchlist};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const ID_KEY_NAME: &str = "id_number_hmac";

/// What the guard chose for a suspicious person: refuse, or ask the security office.
const DECISION_REFUSE: &str = "refuse";
const DECISION_ASK_OFFICE: &str = "ask_office";

/// HMAC-SHA256 (RFC 2104), written out to keep to the one SHA-2 crate the app already has.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// Upper case, no spaces: `11010519491231002x` and `110105 19491231 002X` match.
fn normalise_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn valid_id(n: &str) -> bool {
    (5..=32).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The secret of the ID-number hash: made once, shared by replicas through the database,
/// stored sealed under the master key (a leaked backup alone cannot test ID numbers).
async fn id_key(db: &impl ConnectionTrait, master: &MasterKey) -> AppResult<Vec<u8>> {
    let ctx = crate::features::passes::secret_context(ID_KEY_NAME);
    let open = |row: secret::Model| match master.open(&ctx, &row.secret) {
        Ok(key) => Ok(key),
        // Stored by a version before encryption at rest (sealed at the next start).
        Err(OpenError::Plain) => Ok(row.secret.into_bytes()),
        Err(e) => {
            tracing::error!(error = %e, "cannot open the ID-number hash key");
            Err(ApiError::internal())
        }
    };
    if let Some(row) = secret::Entity::find_by_id(ID_KEY_NAME).one(db).await? {
        return open(row);
    }
    let fresh = crate::infra::util::random_token(32).map_err(|_| ApiError::internal())?;
    let sealed = master
        .seal(&ctx, fresh.as_bytes())
        .map_err(|_| ApiError::internal())?;
    let inserted = secret::ActiveModel {
        name: Set(ID_KEY_NAME.into()),
        secret: Set(sealed),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(db)
    .await;
    if let Err(e) = inserted
        && !matches!(
            e.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        )
    {
        return Err(e.into());
    }
    let row = secret::Entity::find_by_id(ID_KEY_NAME)
        .one(db)
        .await?
        .ok_or_else(ApiError::internal)?;
    open(row)
}

/// (keyed hash, last 4) of an ID number.
pub struct IdNumber {
    pub hash: String,
    pub last4: String,
}

/// The keyed hash and last 4 of an ID number as typed (none when empty).
pub async fn protect_id(
    db: &impl ConnectionTrait,
    master: &MasterKey,
    raw: Option<&str>,
) -> AppResult<Option<IdNumber>> {
    let Some(n) = raw.map(normalise_id).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let key = id_key(db, master).await?;
    let hash: String = hmac_sha256(&key, n.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let last4 = n[n.len().saturating_sub(4)..].to_owned();
    Ok(Some(IdNumber { hash, last4 }))
}

fn check_id(v: &mut Validator, field: &str, raw: Option<&str>) {
    if let Some(n) = raw.map(normalise_id).filter(|n| !n.is_empty())
        && !valid_id(&n)
    {
        v.add(field, "invalid", "证件号码须为 5–32 位字母或数字");
    }
}

/// Shown instead of an ID number: its last 4 characters only.
pub fn mask(last4: Option<&str>) -> Option<String> {
    last4.map(|l| format!("**************{l}"))
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchlistWarning {
    pub entry_id: Uuid,
    pub category: WatchCategory,
    pub name: String,
    pub note: String,
    /// What matched: `id_number` or `phone`.
    pub matched_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorResponse {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    /// Only the last 4 characters are ever shown, e.g. `**************123X`.
    pub id_number_masked: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    pub host: Option<String>,
    pub vehicle_plate: Option<String>,
    pub gate: Option<String>,
    pub expected_visitor_id: Option<Uuid>,
    /// The watchlist entry this visitor matched at check-in, if any.
    pub watchlist_entry_id: Option<Uuid>,
    /// Only an admitted visitor is on campus.
    pub status: VisitStatus,
    /// The security office's decision on a pending visit: who, when, why.
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    /// When the record was made (the arrival at the gate, even when refused).
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub on_campus: bool,
}

fn visitor_response(v: visitor::Model) -> VisitorResponse {
    VisitorResponse {
        id_number_masked: mask(v.id_number_last4.as_deref()),
        on_campus: v.checked_out_at.is_none() && v.status == VisitStatus::Admitted,
        id: v.id,
        name: v.name,
        phone: v.phone,
        organisation: v.organisation,
        reason: v.reason,
        host: v.host,
        vehicle_plate: v.vehicle_plate,
        gate: v.gate,
        expected_visitor_id: v.expected_visitor_id,
        watchlist_entry_id: v.watchlist_entry_id,
        status: v.status,
        decided_by: v.decided_by,
        decided_at: v.decided_at,
        decision_reason: v.decision_reason,
        checked_in_at: v.checked_in_at,
        checked_out_at: v.checked_out_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInResponse {
    pub visitor: VisitorResponse,
    /// Present when the visitor matches the watchlist (then `visitor.status` is `refused` or
    /// `pending`, never `admitted`); the office is alerted (`GET /visitors?flagged=true`,
    /// audit action `visitor.watchlist_hit`).
    pub warning: Option<WatchlistWarning>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub name: String,
    pub phone: Option<String>,
    /// 身份证号 (or another ID document number). Stored only as a keyed hash plus its last 4.
    pub id_number: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    /// Whom the visitor sees.
    pub host: Option<String>,
    pub vehicle_plate: Option<String>,
    pub gate: Option<String>,
    /// Required when the person is on the watchlist as 形迹可疑 (the first attempt answers
    /// `409 visitor_suspicious` and records nothing): `refuse` (拒绝入校, recorded) or
    /// `ask_office` (请示保卫处: recorded as `pending`; only the security office can let the
    /// person in). Ignored otherwise; a banned person is always refused.
    pub watchlist_decision: Option<String>,
}

fn check_decision(v: &mut Validator, d: Option<&str>) {
    if let Some(d) = d
        && d != DECISION_REFUSE
        && d != DECISION_ASK_OFFICE
    {
        v.add("watchlist_decision", "invalid", "须为 refuse 或 ask_office");
    }
}

async fn watchlist_match(
    db: &impl ConnectionTrait,
    id: Option<&IdNumber>,
    phone: Option<&str>,
) -> AppResult<Option<WatchlistWarning>> {
    let mut any = Condition::any();
    if let Some(id) = id {
        any = any.add(watchlist::Column::IdNumberHash.eq(id.hash.as_str()));
    }
    if let Some(p) = phone {
        any = any.add(watchlist::Column::Phone.eq(p));
    }
    if id.is_none() && phone.is_none() {
        return Ok(None);
    }
    let hit = watchlist::Entity::find()
        .filter(watchlist::Column::IsActive.eq(true))
        .filter(any)
        .order_by_asc(watchlist::Column::Id)
        .one(db)
        .await?;
    Ok(hit.map(|w| WatchlistWarning {
        matched_on: if id.is_some_and(|i| w.id_number_hash.as_deref() == Some(i.hash.as_str())) {
            "id_number"
        } else {
            "phone"
        }
        .into(),
        entry_id: w.id,
        category: w.category,
        name: w.name,
        note: w.note,
    }))
}

struct NewVisitor {
    name: String,
    phone: Option<String>,
    id: Option<IdNumber>,
    organisation: Option<String>,
    reason: String,
    host: Option<String>,
    vehicle_plate: Option<String>,
    gate: Option<String>,
    expected_visitor_id: Option<Uuid>,
    watchlist_decision: Option<String>,
}

/// Check a visitor in, or record the refused or pending attempt of a person on the watchlist.
/// A banned person is recorded as refused and the call fails with `409 visitor_banned` (the
/// guard cannot override it); a suspicious one needs the guard's `watchlist_decision`.
async fn check_in_visitor(
    state: &State,
    user: &crate::auth::extract::CurrentUser,
    nv: NewVisitor,
) -> AppResult<CheckInResponse> {
    let warning = watchlist_match(&state.db.conn, nv.id.as_ref(), nv.phone.as_deref()).await?;
    let status = match warning.as_ref().map(|w| w.category) {
        None => VisitStatus::Admitted,
        Some(WatchCategory::Banned) => VisitStatus::Refused,
        Some(WatchCategory::Suspicious) => match nv.watchlist_decision.as_deref() {
            Some(DECISION_REFUSE) => VisitStatus::Refused,
            Some(DECISION_ASK_OFFICE) => VisitStatus::Pending,
            _ => {
                return Err(ApiError::conflict(
                    ErrorCode::VisitorSuspicious,
                    "此人在重点关注名单上(形迹可疑):请选择拒绝入校或请示保卫处",
                ));
            }
        },
    };
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let (hash, last4) = match nv.id {
        Some(i) => (Some(i.hash), Some(i.last4)),
        None => (None, None),
    };
    let v = visitor::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(nv.name),
        phone: Set(nv.phone),
        id_number_hash: Set(hash),
        id_number_last4: Set(last4),
        organisation: Set(nv.organisation),
        reason: Set(nv.reason),
        host: Set(nv.host),
        vehicle_plate: Set(nv.vehicle_plate),
        gate: Set(nv.gate),
        expected_visitor_id: Set(nv.expected_visitor_id),
        watchlist_entry_id: Set(warning.as_ref().map(|w| w.entry_id)),
        checked_in_at: Set(now),
        checked_in_by: Set(user.id),
        checked_out_at: Set(None),
        checked_out_by: Set(None),
        status: Set(status),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
    }
    .insert(&*tx)
    .await?;
    if let Some(eid) = nv.expected_visitor_id {
        // Conditional, so two guards tapping the same expected visitor make one record.
        let res = expected::Entity::update_many()
            .col_expr(expected::Column::VisitorId, Expr::value(v.id))
            .filter(expected::Column::Id.eq(eid))
            .filter(expected::Column::VisitorId.is_null())
            .filter(expected::Column::CancelledAt.is_null())
            .exec(&*tx)
            .await?;
        if res.rows_affected != 1 {
            return Err(ApiError::conflict(
                ErrorCode::AlreadyCheckedIn,
                "该预约访客已登记入校或已取消",
            ));
        }
    }
    audit::record(
        &*tx,
        user.actor(),
        "visitor.check_in",
        "visitor",
        Some(v.id.to_string()),
        json!({"after": {
            "name": v.name, "id_number_masked": mask(v.id_number_last4.as_deref()),
            "organisation": v.organisation, "reason": v.reason, "host": v.host,
            "vehicle_plate": v.vehicle_plate, "gate": v.gate,
            "expected_visitor_id": v.expected_visitor_id, "status": v.status,
        }}),
    )
    .await?;
    if let Some(w) = &warning {
        audit::record(
            &*tx,
            user.actor(),
            "visitor.watchlist_hit",
            "visitor",
            Some(v.id.to_string()),
            json!({"watchlist_entry_id": w.entry_id, "category": w.category, "matched_on": w.matched_on}),
        )
        .await?;
    }
    tx.commit().await?;
    // Recorded (and so flagged for the office) first, then refused: there is no override.
    if warning
        .as_ref()
        .is_some_and(|w| w.category == WatchCategory::Banned)
    {
        return Err(ApiError::conflict(
            ErrorCode::VisitorBanned,
            "禁止入校:请其离开;如有异常请报警。已通知保卫处",
        ));
    }
    Ok(CheckInResponse {
        visitor: visitor_response(v),
        warning,
    })
}

#[allow(clippy::too_many_arguments)]
fn validate_person(
    v: &mut Validator,
    name: &str,
    phone: Option<&str>,
    id_number: Option<&str>,
    organisation: Option<&str>,
    reason: &str,
    host: Option<&str>,
    plate: Option<&str>,
) {
    v.text("name", name, 1, 100);
    v.phone("phone", phone.filter(|p| !p.trim().is_empty()));
    check_id(v, "id_number", id_number);
    v.opt_text("organisation", organisation, 200);
    v.text("reason", reason, 1, 500);
    v.opt_text("host", host, 100);
    v.opt_text("vehicle_plate", plate, 20);
}

/// Check a visitor in. The ID number is kept only as a keyed hash (for the watchlist) and its
/// last 4 characters; it is never returned in full. A person on the watchlist is never let in
/// here: banned → recorded as refused, `409 visitor_banned`; suspicious → `409
/// visitor_suspicious` until the guard chooses `watchlist_decision` (refuse, or ask the office:
/// `pending` until `POST /visitors/{id}/decision`). Both are flagged for the office.
#[utoipa::path(
    tag = "visitors",
    request_body = CheckInRequest,
    responses(
        (status = 201, body = CheckInResponse),
        (status = 409, description = "`visitor_banned` (recorded as a refused attempt), `visitor_suspicious` (choose `watchlist_decision`), `already_checked_in`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/visitors")]
pub async fn check_in(
    auth: Auth<GuardOrOffice>,
    state: State,
    body: web::Json<CheckInRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    validate_person(
        &mut v,
        &b.name,
        b.phone.as_deref(),
        b.id_number.as_deref(),
        b.organisation.as_deref(),
        &b.reason,
        b.host.as_deref(),
        b.vehicle_plate.as_deref(),
    );
    v.opt_text("gate", b.gate.as_deref(), 64);
    check_decision(&mut v, b.watchlist_decision.as_deref());
    v.finish()?;
    let id = protect_id(&state.db.conn, &state.db.master_key, b.id_number.as_deref()).await?;
    let resp = check_in_visitor(
        &state,
        &auth.user,
        NewVisitor {
            name: b.name.trim().to_owned(),
            phone: blank_to_none(b.phone),
            id,
            organisation: blank_to_none(b.organisation),
            reason: b.reason.trim().to_owned(),
            host: blank_to_none(b.host),
            vehicle_plate: blank_to_none(b.vehicle_plate),
            gate: blank_to_none(b.gate),
            expected_visitor_id: None,
            watchlist_decision: b.watchlist_decision,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(resp))
}

async fn find_visitor(db: &impl ConnectionTrait, id: Uuid) -> AppResult<visitor::Model> {
    visitor::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::VisitorNotFound, "访客记录不存在"))
}

/// One visitor record.
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = VisitorResponse),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/visitors/{id}")]
pub async fn get_visitor(
    _auth: Auth<GateLogReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<VisitorResponse>> {
    Ok(web::Json(visitor_response(
        find_visitor(&state.db.conn, id.into_inner()).await?,
    )))
}

/// Check a visitor out.
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = VisitorResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`already_checked_out`, `visitor_not_admitted` (refused or pending: never on campus)", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/visitors/{id}/check-out")]
pub async fn check_out(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<VisitorResponse>> {
    let id = id.into_inner();
    if find_visitor(&state.db.conn, id).await?.status != VisitStatus::Admitted {
        return Err(ApiError::conflict(
            ErrorCode::VisitorNotAdmitted,
            "该访客未获准入校,无需登记离校",
        ));
    }
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let res = visitor::Entity::update_many()
        .col_expr(visitor::Column::CheckedOutAt, Expr::value(now))
        .col_expr(visitor::Column::CheckedOutBy, Expr::value(auth.user.id))
        .filter(visitor::Column::Id.eq(id))
        .filter(visitor::Column::Status.eq(VisitStatus::Admitted))
        .filter(visitor::Column::CheckedOutAt.is_null())
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::conflict(
            ErrorCode::AlreadyCheckedOut,
            "该访客已离校",
        ));
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "visitor.check_out",
        "visitor",
        Some(id.to_string()),
        json!({"checked_out_at": now}),
    )
    .await?;
    let v = find_visitor(&*tx, id).await?;
    tx.commit().await?;
    Ok(web::Json(visitor_response(v)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOutAllResponse {
    pub checked_out: u64,
}

/// Sign out every visitor still on campus (end of the day).
#[utoipa::path(
    tag = "visitors",
    responses((status = 200, body = CheckOutAllResponse)),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/visitors/check-out-all")]
pub async fn check_out_all(
    auth: Auth<GuardOrOffice>,
    state: State,
) -> AppResult<web::Json<CheckOutAllResponse>> {
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let res = visitor::Entity::update_many()
        .col_expr(visitor::Column::CheckedOutAt, Expr::value(now))
        .col_expr(visitor::Column::CheckedOutBy, Expr::value(auth.user.id))
        .filter(visitor::Column::Status.eq(VisitStatus::Admitted))
        .filter(visitor::Column::CheckedOutAt.is_null())
        .exec(&*tx)
        .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "visitor.check_out_all",
        "visitor",
        None,
        json!({"checked_out": res.rows_affected}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(CheckOutAllResponse {
        checked_out: res.rows_affected,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitorQuery {
    /// Only visitors still on campus (admitted and not checked out).
    pub on_campus: Option<bool>,
    /// `admitted`, `refused` or `pending` (waiting for the security office's decision).
    pub status: Option<String>,
    /// Only visitors that matched the watchlist (the office's alerts).
    pub flagged: Option<bool>,
    /// Local date `YYYY-MM-DD` of check-in.
    pub date: Option<String>,
    /// Part of the name, organisation or host.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Visitors, newest first: who is on campus now, history with filters, watchlist alerts.
#[utoipa::path(
    tag = "visitors",
    params(VisitorQuery),
    responses(
        (status = 200, body = Page<VisitorResponse>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/visitors")]
pub async fn list_visitors(
    _auth: Auth<GateLogReaders>,
    state: State,
    query: web::Query<VisitorQuery>,
) -> AppResult<web::Json<Page<VisitorResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let mut select = visitor::Entity::find();
    match q.on_campus {
        Some(true) => {
            select = select
                .filter(visitor::Column::CheckedOutAt.is_null())
                .filter(visitor::Column::Status.eq(VisitStatus::Admitted))
        }
        Some(false) => {
            select = select.filter(
                Condition::any()
                    .add(visitor::Column::CheckedOutAt.is_not_null())
                    .add(visitor::Column::Status.ne(VisitStatus::Admitted)),
            )
        }
        None => {}
    }
    if let Some(st) = q.status.as_deref() {
        let Some(st) = VisitStatus::parse(st) else {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "status 须为 admitted、refused 或 pending",
            ));
        };
        select = select.filter(visitor::Column::Status.eq(st));
    }
    match q.flagged {
        Some(true) => select = select.filter(visitor::Column::WatchlistEntryId.is_not_null()),
        Some(false) => select = select.filter(visitor::Column::WatchlistEntryId.is_null()),
        None => {}
    }
    if let Some(d) = q.date.as_deref() {
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidQuery, "date 须为 YYYY-MM-DD"))?;
        let (start, end) = crate::features::passes::local_day(state.tz, date);
        select = select
            .filter(visitor::Column::CheckedInAt.gte(start))
            .filter(visitor::Column::CheckedInAt.lt(end));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(crate::infra::pagination::contains_text(
                    visitor::Column::Name,
                    text,
                ))
                .add(crate::infra::pagination::contains_text(
                    visitor::Column::Organisation,
                    text,
                ))
                .add(crate::infra::pagination::contains_text(
                    visitor::Column::Host,
                    text,
                )),
        );
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(visitor::Column::Id.lt(after));
    }
    let rows = select
        .order_by_desc(visitor::Column::Id)
        .limit(paging.fetch_limit())
        .all(&state.db.conn)
        .await?;
    let page = paging.page(rows, |r| r.id.to_string());
    Ok(web::Json(Page {
        items: page.items.into_iter().map(visitor_response).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectedVisitorResponse {
    pub id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub id_number_masked: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    pub host: String,
    pub vehicle_plate: Option<String>,
    /// Local date `YYYY-MM-DD`.
    pub expected_date: String,
    pub created_by: Uuid,
    /// The visitor record once checked in.
    pub visitor_id: Option<Uuid>,
}

fn expected_response(e: expected::Model) -> ExpectedVisitorResponse {
    ExpectedVisitorResponse {
        id_number_masked: mask(e.id_number_last4.as_deref()),
        visitor_id: e.visitor_id,
        id: e.id,
        name: e.name,
        phone: e.phone,
        organisation: e.organisation,
        reason: e.reason,
        host: e.host,
        vehicle_plate: e.vehicle_plate,
        expected_date: e.expected_date,
        created_by: e.created_by,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedVisitorRequest {
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub organisation: Option<String>,
    pub reason: String,
    /// Whom the visitor sees.
    pub host: String,
    pub vehicle_plate: Option<String>,
    /// Local date `YYYY-MM-DD`, today or later.
    pub expected_date: String,
}

/// Pre-register a visitor expected on a day.
#[utoipa::path(
    tag = "visitors",
    request_body = ExpectedVisitorRequest,
    responses(
        (status = 201, body = ExpectedVisitorResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/expected-visitors")]
pub async fn create_expected(
    auth: Auth<Staff>,
    state: State,
    body: web::Json<ExpectedVisitorRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    validate_person(
        &mut v,
        &b.name,
        b.phone.as_deref(),
        b.id_number.as_deref(),
        b.organisation.as_deref(),
        &b.reason,
        None,
        b.vehicle_plate.as_deref(),
    );
    v.text("host", &b.host, 1, 100);
    let today = crate::infra::clock::now()
        .with_timezone(&state.tz)
        .date_naive();
    match NaiveDate::parse_from_str(&b.expected_date, "%Y-%m-%d") {
        Ok(d) if d < today => v.add("expected_date", "in_past", "日期不能早于今天"),
        Ok(_) => {}
        Err(_) => v.add("expected_date", "invalid", "日期格式须为 YYYY-MM-DD"),
    }
    v.finish()?;
    let id = protect_id(&state.db.conn, &state.db.master_key, b.id_number.as_deref()).await?;
    let (hash, last4) = match id {
        Some(i) => (Some(i.hash), Some(i.last4)),
        None => (None, None),
    };
    let tx = state.db.begin_write().await?;
    let e = expected::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        phone: Set(blank_to_none(b.phone)),
        id_number_hash: Set(hash),
        id_number_last4: Set(last4),
        organisation: Set(blank_to_none(b.organisation)),
        reason: Set(b.reason.trim().to_owned()),
        host: Set(b.host.trim().to_owned()),
        vehicle_plate: Set(blank_to_none(b.vehicle_plate)),
        expected_date: Set(b.expected_date),
        created_by: Set(auth.user.id),
        created_at: Set(crate::infra::clock::now()),
        visitor_id: Set(None),
        cancelled_at: Set(None),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "expected_visitor.create",
        "expected_visitor",
        Some(e.id.to_string()),
        json!({"after": {"name": e.name, "id_number_masked": mask(e.id_number_last4.as_deref()),
            "organisation": e.organisation, "host": e.host, "expected_date": e.expected_date}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(expected_response(e)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExpectedQuery {
    /// Local date `YYYY-MM-DD`; default today.
    pub date: Option<String>,
}

/// The visitors expected on a day (default today), for the guard's one-tap check-in.
#[utoipa::path(
    tag = "visitors",
    params(ExpectedQuery),
    responses(
        (status = 200, body = Vec<ExpectedVisitorResponse>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/expected-visitors")]
pub async fn list_expected(
    _auth: Auth<Staff>,
    state: State,
    query: web::Query<ExpectedQuery>,
) -> AppResult<web::Json<Vec<ExpectedVisitorResponse>>> {
    let date = match query.date.as_deref() {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidQuery, "date 须为 YYYY-MM-DD"))?,
        None => crate::infra::clock::now()
            .with_timezone(&state.tz)
            .date_naive(),
    };
    let rows = expected::Entity::find()
        .filter(expected::Column::ExpectedDate.eq(date.format("%Y-%m-%d").to_string()))
        .filter(expected::Column::CancelledAt.is_null())
        .order_by_asc(expected::Column::Id)
        .limit(500)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(rows.into_iter().map(expected_response).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCheckInRequest {
    pub gate: Option<String>,
    /// As for `POST /visitors`: `refuse` or `ask_office` for a suspicious person.
    pub watchlist_decision: Option<String>,
}

/// Check an expected visitor in with one tap (the watchlist is checked as for any visitor).
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    request_body = ExpectedCheckInRequest,
    responses(
        (status = 201, body = CheckInResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`already_checked_in`, `visitor_banned`, `visitor_suspicious`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/expected-visitors/{id}/check-in")]
pub async fn check_in_expected(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ExpectedCheckInRequest>,
) -> AppResult<HttpResponse> {
    let e = expected::Entity::find_by_id(id.into_inner())
        .one(&state.db.conn)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ExpectedVisitorNotFound, "预约访客不存在"))?;
    let b = body.into_inner();
    let mut v = Validator::new();
    v.opt_text("gate", b.gate.as_deref(), 64);
    check_decision(&mut v, b.watchlist_decision.as_deref());
    v.finish()?;
    let id = match (e.id_number_hash.clone(), e.id_number_last4.clone()) {
        (Some(hash), Some(last4)) => Some(IdNumber { hash, last4 }),
        _ => None,
    };
    let resp = check_in_visitor(
        &state,
        &auth.user,
        NewVisitor {
            name: e.name,
            phone: e.phone,
            id,
            organisation: e.organisation,
            reason: e.reason,
            host: Some(e.host),
            vehicle_plate: e.vehicle_plate,
            gate: blank_to_none(b.gate),
            expected_visitor_id: Some(e.id),
            watchlist_decision: b.watchlist_decision,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(resp))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchlistResponse {
    pub id: Uuid,
    pub name: String,
    pub id_number_masked: Option<String>,
    pub phone: Option<String>,
    pub category: WatchCategory,
    pub note: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn watchlist_response(w: watchlist::Model) -> WatchlistResponse {
    WatchlistResponse {
        id_number_masked: mask(w.id_number_last4.as_deref()),
        id: w.id,
        name: w.name,
        phone: w.phone,
        category: w.category,
        note: w.note,
        is_active: w.is_active,
        created_at: w.created_at,
        updated_at: w.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchlistRequest {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    /// `suspicious` or `banned`.
    pub category: String,
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchlistUpdateRequest {
    pub category: Option<String>,
    pub note: Option<String>,
    pub is_active: Option<bool>,
}

fn check_category(v: &mut Validator, c: &str) {
    if WatchCategory::parse(c).is_none() {
        v.add("category", "invalid", "须为 suspicious 或 banned");
    }
}

/// Add a person to the watchlist (at least an ID number or a phone, to match on).
#[utoipa::path(
    tag = "visitors",
    request_body = WatchlistRequest,
    responses(
        (status = 201, body = WatchlistResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/watchlist")]
pub async fn create_watchlist_entry(
    auth: Auth<Office>,
    state: State,
    body: web::Json<WatchlistRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    check_id(&mut v, "id_number", b.id_number.as_deref());
    v.phone("phone", b.phone.as_deref().filter(|p| !p.trim().is_empty()));
    check_category(&mut v, &b.category);
    v.text("note", &b.note, 0, 500);
    let phone = blank_to_none(b.phone);
    let has_id = b.id_number.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !has_id && phone.is_none() {
        v.add("id_number", "required", "须填写证件号码或电话,以便比对");
    }
    v.finish()?;
    let id = protect_id(&state.db.conn, &state.db.master_key, b.id_number.as_deref()).await?;
    let (hash, last4) = match id {
        Some(i) => (Some(i.hash), Some(i.last4)),
        None => (None, None),
    };
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let w = watchlist::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(b.name.trim().to_owned()),
        id_number_hash: Set(hash),
        id_number_last4: Set(last4),
        phone: Set(phone),
        category: Set(WatchCategory::parse(&b.category).ok_or_else(ApiError::internal)?),
        note: Set(b.note.trim().to_owned()),
        is_active: Set(true),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "watchlist.create",
        "watchlist_entry",
        Some(w.id.to_string()),
        json!({"after": {"name": w.name, "id_number_masked": mask(w.id_number_last4.as_deref()),
            "category": w.category, "note": w.note}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(watchlist_response(w)))
}

/// The watchlist.
#[utoipa::path(
    tag = "visitors",
    responses((status = 200, body = Vec<WatchlistResponse>)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/watchlist")]
pub async fn list_watchlist(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<Vec<WatchlistResponse>>> {
    let rows = watchlist::Entity::find()
        .order_by_desc(watchlist::Column::Id)
        .limit(1000)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(
        rows.into_iter().map(watchlist_response).collect(),
    ))
}

/// Change a watchlist entry (category, note, or take it off with `is_active: false`).
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    request_body = WatchlistUpdateRequest,
    responses(
        (status = 200, body = WatchlistResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/watchlist/{id}")]
pub async fn update_watchlist_entry(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<WatchlistUpdateRequest>,
) -> AppResult<web::Json<WatchlistResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if let Some(c) = &b.category {
        check_category(&mut v, c);
    }
    v.opt_text("note", b.note.as_deref(), 500);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = watchlist::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::WatchlistEntryNotFound, "名单记录不存在"))?;
    let mut active: watchlist::ActiveModel = before.clone().into();
    if let Some(c) = b.category {
        // Checked above.
        active.category = Set(WatchCategory::parse(&c).ok_or_else(ApiError::internal)?);
    }
    if let Some(n) = b.note {
        active.note = Set(n.trim().to_owned());
    }
    if let Some(a) = b.is_active {
        active.is_active = Set(a);
    }
    active.updated_at = Set(crate::infra::clock::now());
    let after = active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "watchlist.update",
        "watchlist_entry",
        Some(after.id.to_string()),
        json!({
            "before": {"category": before.category, "note": before.note, "is_active": before.is_active},
            "after": {"category": after.category, "note": after.note, "is_active": after.is_active},
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(watchlist_response(after)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorDecisionRequest {
    /// `true`: let the person in (on campus from now); `false`: refuse.
    pub admit: bool,
    /// Why (kept with the record and in the audit log).
    pub reason: String,
}

/// The security office decides on a suspicious person the guard referred (`pending`): only
/// this lets such a person in. Who decided, when and why are kept on the record and audited.
#[utoipa::path(
    tag = "visitors",
    params(("id" = Uuid, Path)),
    request_body = VisitorDecisionRequest,
    responses(
        (status = 200, body = VisitorResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`visitor_not_pending`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/visitors/{id}/decision")]
pub async fn decide_visitor(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<VisitorDecisionRequest>,
) -> AppResult<web::Json<VisitorResponse>> {
    let id = id.into_inner();
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("reason", &b.reason, 1, 500);
    v.finish()?;
    find_visitor(&state.db.conn, id).await?;
    let now = crate::infra::clock::now();
    let status = if b.admit {
        VisitStatus::Admitted
    } else {
        VisitStatus::Refused
    };
    let reason = b.reason.trim().to_owned();
    let tx = state.db.begin_write().await?;
    // Conditional, so two decisions on one visit give one outcome.
    let res = visitor::Entity::update_many()
        .col_expr(visitor::Column::Status, Expr::value(status))
        .col_expr(visitor::Column::DecidedBy, Expr::value(auth.user.id))
        .col_expr(visitor::Column::DecidedAt, Expr::value(now))
        .col_expr(visitor::Column::DecisionReason, Expr::value(reason.clone()))
        .filter(visitor::Column::Id.eq(id))
        .filter(visitor::Column::Status.eq(VisitStatus::Pending))
        .exec(&*tx)
        .await?;
    if res.rows_affected != 1 {
        return Err(ApiError::conflict(
            ErrorCode::VisitorNotPending,
            "该来访不在待保卫处决定状态",
        ));
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        if b.admit {
            "visitor.override_admit"
        } else {
            "visitor.refuse"
        },
        "visitor",
        Some(id.to_string()),
        json!({"before": {"status": VisitStatus::Pending}, "after": {"status": status, "reason": reason}}),
    )
    .await?;
    let v = find_visitor(&*tx, id).await?;
    tx.commit().await?;
    Ok(web::Json(visitor_response(v)))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_visitors)
        .service(check_in)
        .service(check_out_all)
        .service(get_visitor)
        .service(check_out)
        .service(decide_visitor)
        .service(list_expected)
        .service(create_expected)
        .service(check_in_expected)
        .service(list_watchlist)
        .service(create_watchlist_entry)
        .service(update_watchlist_entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn id_numbers_are_normalised_and_masked() {
        assert_eq!(normalise_id(" 320501 19800101 123x "), "32050119800101123X");
        assert!(valid_id("32050119800101123X"));
        assert!(!valid_id("3205-0119"));
        assert_eq!(mask(Some("123X")).as_deref(), Some("**************123X"));
    }
}
