//! The gate log.

use super::super::store::{self, LogFilter};
use super::super::{Direction, ScanCode, ScanSource, Verdict};
use crate::auth::extract::AuthOrKey;
use crate::auth::roles::{GateLogReaders, GateRead};
use crate::infra::error::AppResult;
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanLogEntry {
    pub id: Uuid,
    pub client_event_id: String,
    pub pass_id: Option<Uuid>,
    pub student_id: Option<Uuid>,
    pub student_name: Option<String>,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub direction: Direction,
    pub gate: String,
    pub result: Verdict,
    pub code: ScanCode,
    pub conflict: bool,
    pub source: ScanSource,
    pub scanned_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScanLogQuery {
    /// Scans at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Scans before this instant.
    pub to: Option<DateTime<Utc>>,
    pub gate: Option<String>,
    pub direction: Option<Direction>,
    pub result: Option<Verdict>,
    pub conflict: Option<bool>,
    /// `online`, or `batch` for scans decided offline on the phone and synced later.
    #[param(inline)]
    pub source: Option<ScanSource>,
    pub pass_id: Option<Uuid>,
    pub class_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

// Ordered by (scanned_at, id) descending: the time a scan happened, which for an offline batch
// is earlier than when it arrived.
/// The gate log, newest first.
#[utoipa::path(
    tag = "gate",
    params(ScanLogQuery),
    responses(
        (status = 200, body = Page<ScanLogEntry>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]), ("api_key" = ["gate:read"]))
)]
#[get("/gate/scans")]
pub async fn list_scans(
    _auth: AuthOrKey<GateLogReaders, GateRead>,
    state: State,
    query: web::Query<ScanLogQuery>,
) -> AppResult<web::Json<Page<ScanLogEntry>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let after = match &paging.after {
        Some(after) => Some(crate::infra::pagination::parse_time_id(after)?),
        None => None,
    };
    let filter = LogFilter {
        from: q.from,
        to: q.to,
        gate: q.gate,
        direction: q.direction,
        result: q.result,
        conflict: q.conflict,
        source: q.source,
        pass_id: q.pass_id,
        class_id: q.class_id,
    };
    let rows = store::scans(db, filter, after, paging.fetch_limit()).await?;
    let page = paging.page(rows, |r| {
        crate::infra::pagination::time_id_key(r.scanned_at, r.id)
    });
    let sids: Vec<Uuid> = page.items.iter().filter_map(|r| r.student_id).collect();
    let names = store::student_names(db, sids).await?;
    let classes =
        crate::features::classes::names(db, page.items.iter().filter_map(|r| r.class_id)).await?;
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|r| ScanLogEntry {
                student_name: r.student_id.and_then(|s| names.get(&s).cloned()),
                class_name: r.class_id.and_then(|c| classes.get(&c).cloned()),
                id: r.id,
                client_event_id: r.client_event_id,
                pass_id: r.pass_id,
                student_id: r.student_id,
                class_id: r.class_id,
                direction: r.direction,
                gate: r.gate,
                result: r.result,
                code: r.code,
                conflict: r.conflict,
                source: r.source,
                scanned_at: r.scanned_at,
                received_at: r.received_at,
                actor_user_id: r.actor_user_id,
                actor_api_key_id: r.actor_api_key_id,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
