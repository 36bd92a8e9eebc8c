//! 报送 over HTTP: send a roster or a plan item to a channel, list what was sent with the
//! delivery's status, and the public download behind a message's link.

use super::message::{self, ItemReport, Links, RosterReport};
use super::store::{self, NewReport};
use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{Office, OfficeOrPrincipal};
use crate::features::{audit, channels};
use crate::infra::clock;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::state::State;
use crate::schema::channels::DeliveryStatus;
use crate::schema::report_sends::{ReportSubject, report_send};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// How long the link in a report's message downloads the XLSX / ICS.
pub const LINK_VALID: Duration = Duration::days(30);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendReportRequest {
    /// The channel (`/subscriptions`) to send it to, e.g. the 校办 group.
    pub subscription_id: Uuid,
}

/// Where a report stands: it follows its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Queued, not tried yet (within seconds).
    Sending,
    /// The channel accepted it.
    Sent,
    /// A try failed; it is tried again at `next_attempt_at` (or resend it now).
    Retrying,
    /// Every retry failed (about three days): resend it, or report by hand.
    Failed,
    /// The channel was removed since; the report stays on record.
    ChannelRemoved,
}

/// One report sent through a channel (报送), with its delivery's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    pub id: Uuid,
    pub subject: ReportSubject,
    /// The roster's or the plan item's id.
    pub subject_id: Uuid,
    pub subscription_id: Uuid,
    /// The channel's name when sent, e.g. `校办`.
    pub channel_name: String,
    /// The delivery (`/subscriptions/{id}/deliveries`; resend with `/deliveries/{id}/resend`).
    pub delivery_id: Uuid,
    /// The message's stable id (`webhook-id`).
    pub event_id: Uuid,
    pub sent_by: Uuid,
    pub sent_by_name: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub status: ReportStatus,
    pub attempts: i32,
    /// When the channel accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The next try (retrying only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// Until then the message's download link works; null when the server has no public
    /// address configured (no link was sent).
    pub link_expires_at: Option<DateTime<Utc>>,
}

async fn responses(
    db: &impl ConnectionTrait,
    rows: Vec<report_send::Model>,
) -> AppResult<Vec<ReportResponse>> {
    let deliveries = channels::deliveries_by_ids(db, rows.iter().map(|r| r.delivery_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let d = deliveries.get(&r.delivery_id);
        let status = match d {
            None => ReportStatus::ChannelRemoved,
            Some(d) => match d.status {
                DeliveryStatus::Delivered => ReportStatus::Sent,
                DeliveryStatus::Dead => ReportStatus::Failed,
                DeliveryStatus::Pending if d.attempts == 0 => ReportStatus::Sending,
                DeliveryStatus::Pending => ReportStatus::Retrying,
            },
        };
        out.push(ReportResponse {
            sent_by_name: store::user_name(db, r.sent_by).await?,
            attempts: d.map(|d| d.attempts).unwrap_or(0),
            delivered_at: d.and_then(|d| d.delivered_at),
            next_attempt_at: d
                .filter(|_| status == ReportStatus::Retrying)
                .map(|d| d.next_attempt_at),
            last_status_code: d.and_then(|d| d.last_status_code),
            last_error: d.and_then(|d| d.last_error.clone()),
            status,
            id: r.id,
            subject: r.subject_kind,
            subject_id: r.subject_id,
            subscription_id: r.channel_id,
            channel_name: r.channel_name,
            delivery_id: r.delivery_id,
            event_id: r.event_id,
            sent_by: r.sent_by,
            sent_at: r.sent_at,
            link_expires_at: r.link_expires_at,
        });
    }
    Ok(out)
}

/// The links a message gives, and what the report stores of them (the token's hash, until).
struct NewLinks {
    links: Option<Links>,
    hash: Option<String>,
    until: Option<DateTime<Utc>>,
}

/// A fresh link token and the message's links, when the server knows its public address.
fn new_links(state: &State, roster: bool) -> AppResult<NewLinks> {
    let Some(origin) = &state.settings.public_url else {
        return Ok(NewLinks {
            links: None,
            hash: None,
            until: None,
        });
    };
    let token = crate::infra::util::random_token(32).map_err(|_| ApiError::internal())?;
    let base = format!("{origin}/api/v1/report-links/{token}");
    Ok(NewLinks {
        links: Some(Links {
            xlsx: format!("{base}/xlsx"),
            ics: roster.then(|| format!("{base}/ics")),
        }),
        hash: Some(crate::infra::util::sha256_hex(&token)),
        until: Some(clock::now() + LINK_VALID),
    })
}

struct Outgoing<'a> {
    kind: ReportSubject,
    subject_id: Uuid,
    title: String,
    markdown: String,
    data: serde_json::Value,
    link: (Option<String>, Option<DateTime<Utc>>),
    user: &'a CurrentUser,
}

/// Queues the message on the channel and records the report, in one transaction.
async fn send(
    tx: &impl ConnectionTrait,
    channel: channels::model::channel::Model,
    o: Outgoing<'_>,
) -> AppResult<report_send::Model> {
    let now = clock::now();
    let mut data = o.data;
    data["title"] = json!(o.title);
    data["markdown"] = json!(o.markdown);
    data["report_to"] = json!(channel.name);
    data["sent_by"] = json!(o.user.display_name);
    let q = channels::queue_message(tx, channel.id, channels::REPORT_KIND, &data, now).await?;
    let row = store::insert(
        tx,
        NewReport {
            subject_kind: o.kind,
            subject_id: o.subject_id,
            channel_id: q.channel.id,
            channel_name: &q.channel.name,
            delivery_id: q.delivery_id,
            event_id: q.event_id,
            link_token_hash: o.link.0,
            link_expires_at: o.link.1,
            sent_by: o.user.id,
            sent_at: now,
        },
    )
    .await?;
    audit::record(
        tx,
        o.user.actor(),
        "report.send",
        match o.kind {
            ReportSubject::Roster => "duty_roster",
            ReportSubject::PlanItem => "plan_item",
        },
        Some(o.subject_id.to_string()),
        json!({"channel": q.channel.name, "subscription_id": q.channel.id,
               "delivery_id": q.delivery_id, "title": data["title"]}),
    )
    .await?;
    Ok(row)
}

/// The channel a report goes to: `404 subscription_not_found`, `409 subscription_disabled`.
async fn channel_for(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<channels::model::channel::Model> {
    use sea_orm::EntityTrait;
    let ch = channels::model::channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SubscriptionNotFound, "推送渠道不存在"))?;
    if !ch.enabled {
        return Err(ApiError::conflict(
            ErrorCode::SubscriptionDisabled,
            "该推送渠道已停用,请先启用后再报送",
        ));
    }
    Ok(ch)
}

/// 报送 a published roster to a channel (校办, 校医, 教育局保卫科, 教师群 …): a Chinese message
/// with the roster's name, dates and leaders on call, and links to its XLSX and ICS (valid 30
/// days; only when the server's public address is configured), delivered like every event
/// (retries, log, resend). The report is recorded with the delivery; its `status` follows it.
/// The roster's own `reported` mark (PATCH) stays for reports made outside the system.
#[utoipa::path(
    tag = "reports",
    params(("id" = Uuid, Path)),
    request_body = SendReportRequest,
    responses(
        (status = 202, body = ReportResponse),
        (status = 404, description = "`roster_not_found`, `subscription_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`roster_not_published`, `subscription_disabled`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/reports")]
pub async fn send_roster_report(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<SendReportRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let tx = state.db.begin_write().await?;
    let facts = store::roster(&*tx, id).await?;
    let channel = channel_for(&*tx, body.subscription_id).await?;
    let NewLinks { links, hash, until } = new_links(&state, true)?;
    let markdown = message::roster_markdown(
        &RosterReport {
            title: &facts.title,
            start_date: &facts.start_date,
            end_date: &facts.end_date,
            shifts: &facts.shifts,
            channel_name: &channel.name,
            sent_by: &auth.user.display_name,
        },
        links.as_ref(),
    );
    let leaders: Vec<_> = facts
        .shifts
        .iter()
        .filter(|s| s.leader)
        .map(|s| {
            json!({"date": s.date, "start_time": s.start_time, "end_time": s.end_time,
                        "name": s.name, "phone": s.phone})
        })
        .collect();
    let data = json!({
        "subject": "roster", "roster_id": id, "start_date": facts.start_date,
        "end_date": facts.end_date, "leaders_on_call": leaders,
        "xlsx_url": links.as_ref().map(|l| l.xlsx.clone()),
        "ics_url": links.as_ref().and_then(|l| l.ics.clone()),
    });
    let row = send(
        &*tx,
        channel,
        Outgoing {
            kind: ReportSubject::Roster,
            subject_id: id,
            title: format!("报送：{}", facts.title),
            markdown,
            data,
            link: (hash, until),
            user: &auth.user,
        },
    )
    .await?;
    let out = responses(&*tx, vec![row]).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(out.into_iter().next()))
}

/// The reports of a roster sent through channels, newest first, each with its delivery's
/// status. (Reports marked by hand are the roster's `reported_at` / `reported_by`.)
#[utoipa::path(
    tag = "reports",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<ReportResponse>),
        (status = 404, description = "`roster_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/duty/rosters/{id}/reports")]
pub async fn list_roster_reports(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<ReportResponse>>> {
    use sea_orm::EntityTrait;
    let db = &state.db.conn;
    let r = crate::schema::duty::roster::Entity::find_by_id(id.into_inner())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::RosterNotFound, "值班表不存在"))?;
    let rows = store::of_subject(db, ReportSubject::Roster, r.id).await?;
    Ok(web::Json(responses(db, rows).await?))
}

fn item_report<'a>(f: &'a store::ItemFacts, channel: &'a str, by: &'a str) -> ItemReport<'a> {
    ItemReport {
        plan_title: &f.plan.title,
        semester: &f.plan.semester,
        month: &f.item.month,
        title: &f.item.title,
        category: f.item.category,
        owner: f.owner.as_deref(),
        due_date: f.item.due_date.as_deref(),
        status: f.item.status,
        evidence: &f.evidence,
        channel_name: channel,
        sent_by: by,
    }
}

/// 报送 a plan item to a channel: a Chinese message with the item (plan, month, due date,
/// owner, progress) and a summary of its evidence, and a link to an XLSX of both (valid 30
/// days; only when the server's public address is configured), delivered like every event.
#[utoipa::path(
    tag = "reports",
    params(("id" = Uuid, Path)),
    request_body = SendReportRequest,
    responses(
        (status = 202, body = ReportResponse),
        (status = 404, description = "`plan_item_not_found`, `subscription_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`subscription_disabled`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/plan-items/{id}/reports")]
pub async fn send_plan_item_report(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<SendReportRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let tx = state.db.begin_write().await?;
    let facts = store::plan_item(&*tx, id).await?;
    let channel = channel_for(&*tx, body.subscription_id).await?;
    let NewLinks { links, hash, until } = new_links(&state, false)?;
    let markdown = message::item_markdown(
        &item_report(&facts, &channel.name, &auth.user.display_name),
        links.as_ref(),
    );
    let data = json!({
        "subject": "plan_item", "plan_item_id": id, "plan_id": facts.plan.id,
        "month": facts.item.month, "due_date": facts.item.due_date,
        "status": facts.item.status, "evidence_count": facts.evidence.len(),
        "xlsx_url": links.as_ref().map(|l| l.xlsx.clone()),
    });
    let row = send(
        &*tx,
        channel,
        Outgoing {
            kind: ReportSubject::PlanItem,
            subject_id: id,
            title: format!("报送：{}", facts.item.title),
            markdown,
            data,
            link: (hash, until),
            user: &auth.user,
        },
    )
    .await?;
    let out = responses(&*tx, vec![row]).await?;
    tx.commit().await?;
    Ok(HttpResponse::Accepted().json(out.into_iter().next()))
}

/// The reports of a plan item sent through channels, newest first, with their status.
#[utoipa::path(
    tag = "reports",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Vec<ReportResponse>),
        (status = 404, description = "`plan_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/plan-items/{id}/reports")]
pub async fn list_plan_item_reports(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<ReportResponse>>> {
    let db = &state.db.conn;
    let facts = store::plan_item(db, id.into_inner()).await?;
    let rows = store::of_subject(db, ReportSubject::PlanItem, facts.item.id).await?;
    Ok(web::Json(responses(db, rows).await?))
}

fn xlsx_response(bytes: Vec<u8>, stem: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .insert_header(crate::infra::download::attachment(&format!("{stem}.xlsx")))
        .body(bytes)
}

/// The XLSX behind a report's link: the roster's shifts as they are now (with names and
/// phones), or the plan item with its evidence. Public: the secret token in the path is the
/// credential, valid 30 days after sending; otherwise `404 report_link_not_found`.
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "An XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, description = "`report_link_not_found`", body = crate::infra::error::Problem),
    ),
    security(())
)]
#[get("/report-links/{token}/xlsx")]
pub async fn report_link_xlsx(state: State, token: web::Path<String>) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = store::by_link(db, &token, clock::now()).await?;
    let gone = || ApiError::not_found(ErrorCode::ReportLinkNotFound, "报送链接不存在或已过期");
    let built = match r.subject_kind {
        ReportSubject::Roster => {
            let f = store::roster(db, r.subject_id).await.map_err(|_| gone())?;
            message::roster_xlsx(&f.title, &f.shifts).map(|b| (b, f.title))
        }
        ReportSubject::PlanItem => {
            let f = store::plan_item(db, r.subject_id)
                .await
                .map_err(|_| gone())?;
            let by = r.channel_name.clone();
            message::item_xlsx(&item_report(&f, &by, "")).map(|b| (b, f.item.title.clone()))
        }
    };
    let (bytes, stem) = built.map_err(|e| {
        tracing::error!(error = %e, "report xlsx");
        ApiError::internal()
    })?;
    Ok(xlsx_response(bytes, &stem))
}

/// The ICS behind a roster report's link: every shift of the roster as it is now. Public, as
/// the XLSX link; a plan item's link has no calendar (`404 report_link_not_found`).
#[utoipa::path(
    tag = "reports",
    params(("token" = String, Path)),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) document", content_type = "text/calendar", body = String),
        (status = 404, description = "`report_link_not_found`", body = crate::infra::error::Problem),
    ),
    security(())
)]
#[get("/report-links/{token}/ics")]
pub async fn report_link_ics(state: State, token: web::Path<String>) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = store::by_link(db, &token, clock::now()).await?;
    let gone = || ApiError::not_found(ErrorCode::ReportLinkNotFound, "报送链接不存在或已过期");
    if r.subject_kind != ReportSubject::Roster {
        return Err(gone());
    }
    let f = store::roster(db, r.subject_id).await.map_err(|_| gone())?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .body(message::roster_ics(&f.title, &f.shifts)))
}
