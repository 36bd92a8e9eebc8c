//! The personal calendar feed: create, read, revoke, and the public ICS document.

use crate::auth::extract::Auth;
use crate::auth::roles::Staff;
use crate::features::audit;
use crate::features::duty::calendar::ics_for;
use crate::features::duty::store;
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::state::State;
use crate::schema::duty::shift;
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedResponse {
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
    /// Only in the answer to `POST`: the secret URL (path) to give a calendar app. It is
    /// stored hashed and cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Whether I have a calendar feed.
#[utoipa::path(
    tag = "duty",
    responses((status = 200, body = CalendarFeedResponse)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/calendar-feed")]
pub async fn get_feed(
    auth: Auth<Staff>,
    state: State,
) -> AppResult<web::Json<CalendarFeedResponse>> {
    let f = store::active_feed(&state.db.conn, auth.user.id).await?;
    Ok(web::Json(CalendarFeedResponse {
        active: f.is_some(),
        created_at: f.map(|f| f.created_at),
        url: None,
    }))
}

/// Create (or replace) my calendar feed: a secret URL calendar apps can poll. Any earlier URL
/// stops working.
#[utoipa::path(
    tag = "duty",
    responses((status = 201, body = CalendarFeedResponse)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/duty/calendar-feed")]
pub async fn create_feed(auth: Auth<Staff>, state: State) -> AppResult<HttpResponse> {
    let token = crate::infra::util::random_token(32).map_err(|_| ApiError::internal())?;
    let tx = state.db.begin_write().await?;
    let revoked = store::revoke_feeds(&*tx, auth.user.id).await?;
    let f = store::insert_feed(&*tx, auth.user.id, crate::infra::util::sha256_hex(&token)).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "calendar_feed.create",
        "calendar_feed",
        Some(f.id.to_string()),
        json!({"replaced": revoked}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CalendarFeedResponse {
        active: true,
        created_at: Some(f.created_at),
        url: Some(format!("/api/v1/duty/calendar/{token}")),
    }))
}

/// Revoke my calendar feed: its URL answers 404 from now on.
#[utoipa::path(
    tag = "duty",
    responses((status = 204)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[delete("/duty/calendar-feed")]
pub async fn revoke_feed(auth: Auth<Staff>, state: State) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let n = store::revoke_feeds(&*tx, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "calendar_feed.revoke",
        "calendar_feed",
        None,
        json!({"revoked": n}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The personal calendar feed (text/calendar): published shifts from 30 days ago on. Public:
/// the secret token in the path is the credential; a revoked or unknown one is 404.
#[utoipa::path(
    tag = "duty",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) document", content_type = "text/calendar", body = String),
        (status = 404, body = crate::infra::error::Problem)
    ),
    security(())
)]
#[get("/duty/calendar/{token}")]
pub async fn calendar_feed(state: State, token: web::Path<String>) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let hash = crate::infra::util::sha256_hex(token.trim());
    let f = store::feed_by_token_hash(db, &hash)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::FeedNotFound, "日历订阅不存在或已撤销"))?;
    let from = fmt_date(today(state.tz) - Duration::days(30));
    let rows = store::user_shifts(db, f.user_id, &from, "9999-12-31").await?;
    let titles = store::roster_titles(db, rows.iter().map(|s| s.roster_id)).await?;
    let shifts: Vec<(shift::Model, String)> = rows
        .into_iter()
        .map(|s| {
            let t = titles.get(&s.roster_id).cloned().unwrap_or_default();
            (s, t)
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .body(ics_for(&shifts)))
}
