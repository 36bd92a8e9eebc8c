//! What a phone needs to judge offline (keys, revocations), and the students out now.

use super::super::store;
use crate::auth::extract::{Auth, AuthOrKey};
use crate::auth::roles::{GateScan, GuardOrOffice, PassReaders, Role};
use crate::features::passes::{self, PassKind};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::state::{AppState, State};
use crate::schema::passes::leave_pass;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct GateKey {
    /// Key id: base64url of the 8 bytes at offset 1 of the payload.
    pub kid: String,
    /// Always `Ed25519`.
    pub alg: String,
    /// The 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
    pub created_at: DateTime<Utc>,
    /// Set when a newer key signs new passes; this one still verifies its passes.
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GateKeysResponse {
    /// Always `XA1`.
    pub format: String,
    pub keys: Vec<GateKey>,
    /// After this many hours without a refresh of keys and revocations, the phone warns that
    /// its offline verdicts may be stale (setting `XIAOAN_GATE_OFFLINE_MAX_AGE_HOURS`).
    pub offline_max_age_hours: u32,
}

/// The public keys that verify leave passes, and the token format.
///
/// For verifying passes offline on the phone. A key stays here while any pass it signed is
/// still valid.
///
/// **Token format `XA1`**: `XA1.<base64url(payload)>.<base64url(signature)>` (RFC 4648 §5,
/// no padding). The signature is pure Ed25519 (RFC 8032, 64 bytes) over the decoded payload
/// bytes. Payload, integers big-endian: `[0]` version `0x01`; `[1..9]` kid (8 bytes; its
/// base64url is `kid` here); `[9..25]` pass id (UUID); `[25..41]` student id (UUID); `[41]`
/// kind (`0` exit_only, `1` exit_and_return); `[42..46]` valid_from, `[46..50]` valid_until,
/// `[50..54]` return_by (`0` = none), unix seconds as u32; `[54]` n; `[55..55+n]` student
/// name, UTF-8; `[55+n]` m; then m bytes class name, UTF-8; nothing after. Payload 56–146
/// bytes; token ≤ 286 characters.
///
/// **Verify**: split on `.` (three parts, first `XA1`) and decode, else `malformed_token`;
/// read only the version and kid, pick the key (none: `unknown_key`); verify the signature
/// over the payload bytes (fails: `bad_signature`); only then read the rest; valid when
/// `valid_from ≤ t < valid_until`; then check `GET /gate/revocations`.
#[utoipa::path(
    tag = "gate",
    responses((status = 200, body = GateKeysResponse)),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[get("/gate/keys")]
pub async fn gate_keys(
    _auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
) -> AppResult<web::Json<GateKeysResponse>> {
    let rows = passes::published_keys(&state.db.conn, crate::infra::clock::now()).await?;
    Ok(web::Json(GateKeysResponse {
        format: passes::TOKEN_PREFIX.into(),
        offline_max_age_hours: state.settings.gate_offline_max_age_hours,
        keys: rows
            .into_iter()
            .map(|k| GateKey {
                kid: k.kid,
                alg: "Ed25519".into(),
                public_key: k.public_key,
                created_at: k.created_at,
                retired_at: k.retired_at,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevocationQuery {
    /// Only passes revoked at or after this instant (pass the previous `as_of`).
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revocation {
    pub pass_id: Uuid,
    pub revoked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationsResponse {
    /// Server time of this answer: send it as `since` next time.
    pub as_of: DateTime<Utc>,
    /// Revoked passes still within their window (older ones are denied as expired anyway).
    pub revoked: Vec<Revocation>,
}

/// Revoked pass ids, for verifying offline.
#[utoipa::path(
    tag = "gate",
    params(RevocationQuery),
    responses((status = 200, body = RevocationsResponse)),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[get("/gate/revocations")]
pub async fn gate_revocations(
    _auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
    query: web::Query<RevocationQuery>,
) -> AppResult<web::Json<RevocationsResponse>> {
    let now = crate::infra::clock::now();
    let revoked = store::revoked(&state.db.conn, now, query.since).await?;
    Ok(web::Json(RevocationsResponse {
        as_of: now,
        revoked: revoked
            .into_iter()
            .map(|(pass_id, revoked_at)| Revocation {
                pass_id,
                revoked_at,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutStudent {
    pub pass_id: Uuid,
    pub student_id: Uuid,
    pub student_no: String,
    pub student_name: String,
    pub class_id: Uuid,
    pub class_name: String,
    pub kind: PassKind,
    pub exited_at: Option<DateTime<Utc>>,
    pub return_by: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutQuery {
    pub class_id: Option<Uuid>,
}

async fn out_list(
    state: &AppState,
    user: &crate::auth::extract::CurrentUser,
    class_id: Option<Uuid>,
    overdue_only: bool,
) -> AppResult<Vec<OutStudent>> {
    let db = &state.db.conn;
    let now = crate::infra::clock::now();
    let mut select = store::out_select(state.tz, now, overdue_only);
    if user.is(Role::ClassTeacher) {
        let own = crate::features::users::own_class_ids(db, user.id, user.role).await?;
        match class_id {
            Some(c) if !own.contains(&c) => {
                return Err(ApiError::forbidden(
                    ErrorCode::NotOwnClass,
                    "只能查看本班学生",
                ));
            }
            Some(c) => select = select.filter(leave_pass::Column::ClassId.eq(c)),
            None => select = select.filter(leave_pass::Column::ClassId.is_in(own)),
        }
    } else if let Some(c) = class_id {
        select = select.filter(leave_pass::Column::ClassId.eq(c));
    }
    let rows = select
        .order_by_asc(leave_pass::Column::ExitedAt)
        .limit(1000)
        .all(db)
        .await?;
    let items = passes::responses(db, rows, now, false).await?;
    Ok(items
        .into_iter()
        .map(|p| OutStudent {
            pass_id: p.id,
            student_id: p.student_id,
            student_no: p.student_no,
            student_name: p.student_name,
            class_id: p.class_id,
            class_name: p.class_name,
            kind: p.kind,
            exited_at: p.exited_at,
            return_by: p.return_by,
            overdue: p.overdue,
        })
        .collect())
}

/// Students out of school now on a leave pass (a class teacher: own classes).
#[utoipa::path(
    tag = "gate",
    params(OutQuery),
    responses(
        (status = 200, body = Vec<OutStudent>),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/gate/out")]
pub async fn students_out(
    auth: Auth<PassReaders>,
    state: State,
    query: web::Query<OutQuery>,
) -> AppResult<web::Json<Vec<OutStudent>>> {
    Ok(web::Json(
        out_list(&state, &auth.user, query.class_id, false).await?,
    ))
}

/// Students out past their return time (a class teacher: own classes).
#[utoipa::path(
    tag = "gate",
    params(OutQuery),
    responses(
        (status = 200, body = Vec<OutStudent>),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/gate/overdue")]
pub async fn students_overdue(
    auth: Auth<PassReaders>,
    state: State,
    query: web::Query<OutQuery>,
) -> AppResult<web::Json<Vec<OutStudent>>> {
    Ok(web::Json(
        out_list(&state, &auth.user, query.class_id, true).await?,
    ))
}
