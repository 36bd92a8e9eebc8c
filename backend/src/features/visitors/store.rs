//! Visitor queries: the ID-number hash key, watchlist matching, reading a visit, and writing
//! a check-in (or a refused or pending attempt) with its audit rows.

use super::http::{CheckInResponse, WatchlistWarning, visitor_response};
use super::model::{expected, visitor, watchlist};
use super::rules::{self, hmac_sha256, mask, normalise_id};
use super::{VisitStatus, WatchCategory};
use crate::features::audit;
use crate::features::events;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::keys::{MasterKey, OpenError};
use crate::infra::state::State;
use crate::schema::passes::secret;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

const ID_KEY_NAME: &str = "id_number_hmac";

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

pub async fn watchlist_match(
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

pub async fn find_visitor(db: &impl ConnectionTrait, id: Uuid) -> AppResult<visitor::Model> {
    visitor::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::VisitorNotFound, "访客记录不存在"))
}

pub struct NewVisitor {
    pub name: String,
    pub phone: Option<String>,
    pub id: Option<IdNumber>,
    pub organisation: Option<String>,
    pub reason: String,
    pub host: Option<String>,
    pub vehicle_plate: Option<String>,
    pub gate: Option<String>,
    pub expected_visitor_id: Option<Uuid>,
    pub watchlist_decision: Option<String>,
}

/// Check a visitor in, or record the refused or pending attempt of a person on the watchlist.
/// A banned person is recorded as refused and the call fails with `409 visitor_banned` (the
/// guard cannot override it); a suspicious one needs the guard's `watchlist_decision`.
pub async fn check_in_visitor(
    state: &State,
    user: &crate::auth::extract::Caller,
    nv: NewVisitor,
) -> AppResult<CheckInResponse> {
    let warning = watchlist_match(&state.db.conn, nv.id.as_ref(), nv.phone.as_deref()).await?;
    let status = rules::admission(
        warning.as_ref().map(|w| w.category),
        nv.watchlist_decision.as_deref(),
    )?;
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
        checked_in_by: Set(user.person_id()),
        checked_out_at: Set(None),
        checked_out_by: Set(None),
        status: Set(status),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
        checked_in_by_api_key_id: Set(user.key_id()),
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
        let e = events::VisitorFlagged {
            visit_id: v.id,
            name: v.name.clone(),
            category: w.category,
            status: v.status,
            gate: v.gate.clone(),
            at: now,
        };
        events::emit_payload(&*tx, now, &e).await?;
    }
    if v.status == VisitStatus::Admitted {
        events::emit_payload(&*tx, now, &checked_in_event(&v)).await?;
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

/// `visitor.checked_in` for an admitted visit (at the gate, or by the office's decision).
pub fn checked_in_event(v: &visitor::Model) -> events::VisitorCheckedIn {
    events::VisitorCheckedIn {
        visit_id: v.id,
        name: v.name.clone(),
        organisation: v.organisation.clone(),
        host: v.host.clone(),
        gate: v.gate.clone(),
        checked_in_at: v.checked_in_at,
    }
}
