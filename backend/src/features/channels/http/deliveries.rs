//! The delivery log of a channel, and resending one delivery.

use super::{DeliveryQuery, DeliveryResponse, delivery_response, require_manage};
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, TeacherOrOffice};
use crate::features::audit;
use crate::features::channels::model::{DeliveryStatus, delivery};
use crate::features::channels::store;
use crate::infra::clock;
use crate::infra::error::AppResult;
use crate::infra::pagination::{Page, Paging, parse_time_id, time_id_key};
use crate::infra::state::State;
use actix_web::{get, post, web};
use sea_orm::{ActiveEnum, ActiveModelTrait, Set};
use serde_json::json;
use uuid::Uuid;

/// A channel's deliveries, newest first, each with every attempt (status, latency, the
/// receiver's response code).
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path), DeliveryQuery),
    responses(
        (status = 200, body = Page<DeliveryResponse>),
        (status = 400, description = "`invalid_limit`, `invalid_cursor`", body = crate::infra::error::Problem),
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
        (status = 404, description = "`subscription_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["class_teacher", "security_office"]))
)]
#[get("/subscriptions/{id}/deliveries")]
pub async fn list_deliveries(
    auth: Auth<TeacherOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> AppResult<web::Json<Page<DeliveryResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let ch = store::find_channel(db, id.into_inner()).await?;
    require_manage(db, &auth.user, &ch).await?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match DeliveryStatus::try_from_value(&s.to_owned()) {
            Ok(s) => Some(s),
            Err(_) => {
                return Ok(web::Json(Page {
                    items: vec![],
                    next_cursor: None,
                }));
            }
        },
    };
    let after = match &paging.after {
        Some(key) => Some(parse_time_id(key)?),
        None => None,
    };
    let rows = store::list_deliveries(db, ch.id, status, after, paging.fetch_limit()).await?;
    let page = paging.page(rows, |d| time_id_key(d.created_at, d.id));
    let ids: Vec<Uuid> = page.items.iter().map(|d| d.id).collect();
    let mut attempts = store::attempts_of(db, &ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|d| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                attempts.drain(..).partition(|a| a.delivery_id == d.id);
            attempts = rest;
            delivery_response(d, mine)
        })
        .collect();
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Send a delivery again now (delivered, dead or waiting), with a fresh retry schedule. The
/// receiver gets the same `webhook-id` and deduplicates if it already had it.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path)),
    responses(
        (status = 202, body = DeliveryResponse),
        (status = 404, description = "`delivery_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/deliveries/{id}/resend")]
pub async fn resend_delivery(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<actix_web::HttpResponse> {
    let tx = state.db.begin_write().await?;
    let d = store::find_delivery(&*tx, id.into_inner()).await?;
    let mut active: delivery::ActiveModel = d.clone().into();
    active.status = Set(DeliveryStatus::Pending);
    active.attempts = Set(0);
    active.next_attempt_at = Set(clock::now());
    active.delivered_at = Set(None);
    let row = active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "delivery.resend",
        "delivery",
        Some(row.id.to_string()),
        json!({"subscription_id": row.channel_id, "event_kind": row.event_kind,
               "previous_status": d.status}),
    )
    .await?;
    let attempts = store::attempts_of(&*tx, &[row.id]).await?;
    tx.commit().await?;
    Ok(actix_web::HttpResponse::Accepted().json(delivery_response(row, attempts)))
}
