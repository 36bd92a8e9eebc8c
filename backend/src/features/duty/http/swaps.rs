//! Swaps: ask someone to take a shift, list, and the steps (accept, decline, cancel, approve,
//! reject).

use super::{opt, parse_enum};
use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{Office, Role, Staff};
use crate::features::audit;
use crate::features::duty::store::{self, SwapFilter};
use crate::features::duty::swap::{self, Refusal, Standing, SwapAction};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::duty::{Post, RosterStatus, SwapStatus, shift, swap as swap_entity};
use crate::schema::users as user;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct SwapResponse {
    pub id: Uuid,
    pub shift_id: Uuid,
    pub roster_id: Uuid,
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    pub post: Post,
    pub requester_id: Uuid,
    pub requester_name: String,
    pub target_user_id: Uuid,
    pub target_name: String,
    pub reason: Option<String>,
    /// `requested` → `accepted` → `approved`; or `declined` (by the other person),
    /// `rejected` (by the office), `cancelled` (by the requester).
    pub status: SwapStatus,
    pub created_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_comment: Option<String>,
}

async fn swap_response(
    db: &impl ConnectionTrait,
    w: swap_entity::Model,
) -> AppResult<SwapResponse> {
    let users = store::users_by_ids(db, [w.requester_id, w.target_user_id]).await?;
    let s = store::find_shift(db, w.shift_id).await?;
    Ok(swap_resp(w, &s, &users))
}

fn swap_resp(
    w: swap_entity::Model,
    s: &shift::Model,
    users: &HashMap<Uuid, user::Model>,
) -> SwapResponse {
    let name = |id: &Uuid| {
        users
            .get(id)
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    SwapResponse {
        requester_name: name(&w.requester_id),
        target_name: name(&w.target_user_id),
        id: w.id,
        shift_id: w.shift_id,
        roster_id: s.roster_id,
        date: s.date.clone(),
        start_time: s.start_time.clone(),
        end_time: s.end_time.clone(),
        post: s.post,
        requester_id: w.requester_id,
        target_user_id: w.target_user_id,
        reason: w.reason,
        status: w.status,
        created_at: w.created_at,
        responded_at: w.responded_at,
        decided_at: w.decided_at,
        decided_by: w.decided_by,
        decision_comment: w.decision_comment,
    }
}

fn audit_swap(w: &swap_entity::Model) -> serde_json::Value {
    json!({"shift_id": w.shift_id, "requester_id": w.requester_id, "target_user_id": w.target_user_id, "status": w.status, "reason": w.reason, "decision_comment": w.decision_comment})
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSwapRequest {
    /// Who should take the shift.
    pub target_user_id: Uuid,
    pub reason: Option<String>,
}

/// Ask someone to take one of my shifts (published rosters). The other person accepts, then
/// the office approves.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = RequestSwapRequest,
    responses((status = 201, body = SwapResponse), (status = 403, description = "`not_your_shift`", body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`roster_not_published`, `swap_pending`, `shift_started`", body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/duty/shifts/{id}/swaps")]
pub async fn request_swap(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<RequestSwapRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let s = store::find_shift(&*tx, id.into_inner()).await?;
    let r = store::find_roster(&*tx, s.roster_id).await?;
    if r.status != RosterStatus::Published {
        if !auth.user.is(Role::SecurityOffice) {
            return Err(ApiError::not_found(ErrorCode::ShiftNotFound, "班次不存在"));
        }
        return Err(ApiError::conflict(
            ErrorCode::RosterNotPublished,
            "值班表尚未发布,请直接修改班次",
        ));
    }
    if s.user_id != auth.user.id {
        return Err(ApiError::forbidden(
            ErrorCode::NotYourShift,
            "只能为自己的班次申请换班",
        ));
    }
    if s.starts_at <= crate::infra::clock::now() {
        return Err(ApiError::conflict(
            ErrorCode::ShiftStarted,
            "班次已开始或已结束,不能再换班",
        ));
    }
    let mut v = Validator::new();
    match store::find_user(&*tx, b.target_user_id).await? {
        None => v.add("target_user_id", "not_found", "人员不存在"),
        Some(t) if !t.is_active => v.add("target_user_id", "invalid", "该人员账号已停用"),
        Some(t) if t.id == auth.user.id => v.add("target_user_id", "invalid", "不能与自己换班"),
        Some(t) if t.role == Role::SafetyOfficer => {
            v.add("target_user_id", "invalid", "学生不能值班")
        }
        _ => {}
    }
    v.opt_text("reason", b.reason.as_deref(), 500);
    v.finish()?;
    if store::has_pending_swap(&*tx, s.id).await? {
        return Err(ApiError::conflict(
            ErrorCode::SwapPending,
            "该班次已有进行中的换班申请",
        ));
    }
    let w = swap_entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        shift_id: Set(s.id),
        requester_id: Set(auth.user.id),
        target_user_id: Set(b.target_user_id),
        reason: Set(opt(b.reason)),
        status: Set(SwapStatus::Requested),
        created_at: Set(crate::infra::clock::now()),
        responded_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_comment: Set(None),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "swap.request",
        "duty_swap",
        Some(w.id.to_string()),
        json!({"after": audit_swap(&w)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(swap_response(&state.db.conn, w).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SwapQuery {
    pub roster_id: Option<Uuid>,
    pub shift_id: Option<Uuid>,
    /// `requested`, `accepted`, `declined`, `rejected`, `cancelled` or `approved`; another
    /// value matches no swap.
    pub status: Option<String>,
}

/// Swap requests and their history, newest first. The office and the principal see all;
/// others see the ones they asked for or were asked.
#[utoipa::path(
    tag = "duty",
    params(SwapQuery),
    responses((status = 200, body = Vec<SwapResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/swaps")]
pub async fn list_swaps(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<SwapQuery>,
) -> AppResult<web::Json<Vec<SwapResponse>>> {
    let db = &state.db.conn;
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match parse_enum::<SwapStatus>(s) {
            Some(s) => Some(s),
            // No swap has a status outside the set.
            None => return Ok(web::Json(vec![])),
        },
    };
    let sees_all = auth.user.is(Role::SecurityOffice) || auth.user.is(Role::Principal);
    let rows = store::list_swaps(
        db,
        SwapFilter {
            involving: (!sees_all).then_some(auth.user.id),
            shift_id: q.shift_id,
            roster_id: q.roster_id,
            status,
        },
    )
    .await?;
    let users = store::users_by_ids(
        db,
        rows.iter().flat_map(|w| [w.requester_id, w.target_user_id]),
    )
    .await?;
    let shifts = store::shifts_by_ids(db, rows.iter().map(|w| w.shift_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for w in rows {
        let s = shifts
            .get(&w.shift_id)
            .ok_or_else(|| ApiError::not_found(ErrorCode::ShiftNotFound, "班次不存在"))?;
        out.push(swap_resp(w, s, &users));
    }
    Ok(web::Json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapDecisionRequest {
    pub comment: Option<String>,
}

fn wrong_state() -> ApiError {
    ApiError::conflict(ErrorCode::SwapWrongState, "换班申请当前状态不允许此操作")
}

/// One step of a swap (the rule in `swap::step`); approving also passes the shift on.
async fn swap_step(
    state: &State,
    me: &CurrentUser,
    id: Uuid,
    action: SwapAction,
    comment: Option<String>,
) -> AppResult<SwapResponse> {
    let tx = state.db.begin_write().await?;
    let before = store::find_swap(&*tx, id).await?;
    let standing = Standing {
        requester: before.requester_id == me.id,
        target: before.target_user_id == me.id,
        office: me.is(Role::SecurityOffice),
        principal: me.is(Role::Principal),
    };
    let to = swap::step(action, before.status, standing).map_err(|r| match r {
        Refusal::Hidden => ApiError::not_found(ErrorCode::SwapNotFound, "换班申请不存在"),
        Refusal::NotAllowed => {
            ApiError::forbidden(ErrorCode::SwapNotAllowed, "您不能对该换班申请执行此操作")
        }
        Refusal::WrongState => wrong_state(),
    })?;
    let now = crate::infra::clock::now();
    let mut a: swap_entity::ActiveModel = before.clone().into();
    a.status = Set(to);
    if action.is_response() {
        a.responded_at = Set(Some(now));
    }
    if action.is_decision() {
        a.decided_at = Set(Some(now));
        a.decided_by = Set(Some(me.id));
        a.decision_comment = Set(comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()));
    }
    if action == SwapAction::Approve {
        let s = store::find_shift(&*tx, before.shift_id).await?;
        if s.user_id != before.requester_id {
            return Err(wrong_state());
        }
        let target = store::find_user(&*tx, before.target_user_id)
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(|| ApiError::conflict(ErrorCode::SwapConflict, "接班人员账号已停用"))?;
        if store::is_busy_during(&*tx, target.id, &s).await? {
            return Err(ApiError::conflict(
                ErrorCode::SwapConflict,
                "接班人员在该时段已有其他班次",
            ));
        }
        let mut sa: shift::ActiveModel = s.clone().into();
        sa.user_id = Set(target.id);
        sa.update(&*tx).await?;
        audit::record(&*tx, me.actor(), "shift.reassign", "duty_shift", Some(s.id.to_string()), json!({"before": {"user_id": s.user_id}, "after": {"user_id": target.id}, "swap_id": before.id})).await?;
    }
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        me.actor(),
        &format!("swap.{}", action.name()),
        "duty_swap",
        Some(after.id.to_string()),
        json!({"before": audit_swap(&before), "after": audit_swap(&after)}),
    )
    .await?;
    tx.commit().await?;
    swap_response(&state.db.conn, after).await
}

macro_rules! swap_endpoint {
    ($fn:ident, $path:literal, $action:expr, $doc:literal, [$($role:literal),+], $set:ty) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "duty",
            params(("id" = Uuid, Path)),
            request_body = SwapDecisionRequest,
            responses((status = 200, body = SwapResponse), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`swap_wrong_state`, `swap_conflict`", body = crate::infra::error::Problem)),
            security(("bearer" = [$($role),+]))
        )]
        #[post($path)]
        pub async fn $fn(
            auth: Auth<$set>,
            state: State,
            id: web::Path<Uuid>,
            body: web::Json<SwapDecisionRequest>,
        ) -> AppResult<web::Json<SwapResponse>> {
            let mut v = Validator::new();
            v.opt_text("comment", body.comment.as_deref(), 500);
            v.finish()?;
            Ok(web::Json(swap_step(&state, &auth.user, id.into_inner(), $action, body.into_inner().comment).await?))
        }
    };
}

swap_endpoint!(
    accept_swap,
    "/duty/swaps/{id}/accept",
    SwapAction::Accept,
    "The person asked accepts; the office then approves.",
    ["principal", "security_office", "class_teacher", "guard"],
    Staff
);
swap_endpoint!(
    decline_swap,
    "/duty/swaps/{id}/decline",
    SwapAction::Decline,
    "The person asked declines.",
    ["principal", "security_office", "class_teacher", "guard"],
    Staff
);
swap_endpoint!(
    cancel_swap,
    "/duty/swaps/{id}/cancel",
    SwapAction::Cancel,
    "The requester withdraws the request.",
    ["principal", "security_office", "class_teacher", "guard"],
    Staff
);
swap_endpoint!(
    approve_swap,
    "/duty/swaps/{id}/approve",
    SwapAction::Approve,
    "The office approves an accepted swap: the shift passes to the other person (`409 swap_conflict` if they are busy then).",
    ["security_office"],
    Office
);
swap_endpoint!(
    reject_swap,
    "/duty/swaps/{id}/reject",
    SwapAction::Reject,
    "The office rejects a swap.",
    ["security_office"],
    Office
);
