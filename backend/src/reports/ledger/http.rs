//! The ledger over HTTP: its summary and the two exports.

use super::html::to_html;
use super::sheets;
use crate::auth::extract::Auth;
use crate::auth::roles::OfficeOrPrincipal;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult};
use crate::infra::state::State;
use crate::reports::sheet::{LedgerQuery, Range, Sheet, resolve_range, to_xlsx};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sea_orm::EntityTrait;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerSheetSummary {
    pub key: String,
    pub name: String,
    pub rows: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerSummary {
    pub from: String,
    pub to: String,
    /// The semester's code, when the range is a semester.
    pub semester: Option<String>,
    /// The semester's name, when it is a defined semester.
    pub semester_name: Option<String>,
    pub sheets: Vec<LedgerSheetSummary>,
}

fn summary(r: &Range, sheets: &[Sheet]) -> LedgerSummary {
    LedgerSummary {
        from: r.start_s(),
        to: r.end_s(),
        semester: r.semester.clone(),
        semester_name: r.semester_name.clone(),
        sheets: sheets
            .iter()
            .map(|s| LedgerSheetSummary {
                key: s.key.into(),
                name: s.name.into(),
                rows: s.rows.len(),
            })
            .collect(),
    }
}

async fn record_export(
    state: &State,
    user: &crate::auth::extract::CurrentUser,
    format: &str,
    r: &Range,
    sheets: &[Sheet],
) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let counts: serde_json::Map<String, serde_json::Value> = sheets
        .iter()
        .map(|s| (s.key.to_owned(), json!(s.rows.len())))
        .collect();
    audit::record(&*tx, user.actor(), "ledger.export", "ledger", r.semester.clone(), json!({"format": format, "from": r.start_s(), "to": r.end_s(), "semester": r.semester, "rows": counts})).await?;
    tx.commit().await?;
    Ok(())
}

/// What the ledger holds for a semester (sheet names and row counts); not an export.
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    responses((status = 200, body = LedgerSummary), (status = 404, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/ledger")]
pub async fn ledger_summary(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<LedgerQuery>,
) -> AppResult<web::Json<LedgerSummary>> {
    let db = &state.db.conn;
    let r = resolve_range(db, &q, state.tz).await?;
    let s = sheets(db, &r).await?;
    Ok(web::Json(summary(&r, &s)))
}

fn file_stem(r: &Range) -> String {
    let tag = r
        .semester
        .clone()
        .unwrap_or_else(|| format!("{}_{}", r.start_s(), r.end_s()));
    format!("xiaoan-ledger-{tag}")
}

/// The ledger as an XLSX workbook: one sheet per category, Chinese headers. Recorded in the
/// audit log (`ledger.export`).
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    responses(
        (status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/ledger/xlsx")]
pub async fn ledger_xlsx(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = resolve_range(db, &q, state.tz).await?;
    let s = sheets(db, &r).await?;
    let bytes = to_xlsx(&s).map_err(|e| {
        tracing::error!(error = %e, "xlsx build failed");
        ApiError::internal()
    })?;
    record_export(&state, &auth.user, "xlsx", &r, &s).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .insert_header(crate::infra::download::attachment(&format!(
            "{}.xlsx",
            file_stem(&r)
        )))
        .body(bytes))
}

/// The ledger as a printable HTML page (one section per category). Recorded in the audit log.
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    responses(
        (status = 200, description = "Printable HTML", content_type = "text/html", body = String),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/ledger/html")]
pub async fn ledger_html(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = resolve_range(db, &q, state.tz).await?;
    let s = sheets(db, &r).await?;
    let school = crate::schema::school::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let html = to_html(&school, &r, &s);
    record_export(&state, &auth.user, "html", &r, &s).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html))
}
