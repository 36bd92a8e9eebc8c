//! What changed in a plan since its previous submission, from the revisions the server stored
//! at each submission.

use crate::auth::extract::Auth;
use crate::auth::roles::OfficeOrPrincipal;
use crate::features::plans::revisions::{self, Changes, Snapshot};
use crate::features::plans::store;
use crate::infra::error::{ApiError, AppResult};
use crate::infra::state::State;
use crate::schema::plans::{PlanStatus, revision};
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionInfo {
    /// 1 for the first submission, then 2, 3 …
    pub number: i32,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChangesResponse {
    pub plan_id: Uuid,
    /// The submission compared against; null when there is none earlier (a first submission,
    /// or a draft never submitted): then every list is empty.
    pub since: Option<RevisionInfo>,
    /// The submission compared (a submitted or approved plan: the latest one); null when the
    /// plan's current content is compared (a draft or returned plan being edited).
    pub revision: Option<RevisionInfo>,
    #[serde(flatten)]
    pub changes: Changes,
}

fn parsed(r: &revision::Model) -> AppResult<Snapshot> {
    serde_json::from_str(&r.snapshot).map_err(|e| {
        tracing::error!(revision_id = %r.id, error = %e, "stored plan_revisions.snapshot does not parse");
        ApiError::internal()
    })
}

/// What changed since the previous submission: for a plan under review or approved, between
/// its latest submission and the one before; for a draft or returned plan, between its last
/// submission and what it is now. Months and items added or removed, the fields of items that
/// changed (title, owner, due date, 报送/通报 targets …), the sections rewritten.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanChangesResponse), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/plans/{id}/changes")]
pub async fn plan_changes(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PlanChangesResponse>> {
    let db = &state.db.conn;
    let p = store::find_plan(db, id.into_inner()).await?;
    let revs = store::latest_revisions(db, p.id).await?;
    let frozen = matches!(p.status, PlanStatus::Submitted | PlanStatus::Approved);
    // A plan submitted before revisions were stored has none: it is compared as it is now.
    let (current, base) = match (frozen, revs.first()) {
        (true, Some(latest)) => (Some(latest), revs.get(1)),
        (_, latest) => (None, latest),
    };
    let names = store::user_names(db, revs.iter().filter_map(|r| r.submitted_by)).await?;
    let info = |r: &revision::Model| RevisionInfo {
        number: r.number,
        submitted_at: r.submitted_at,
        submitted_by_name: r.submitted_by.and_then(|u| names.get(&u).cloned()),
    };
    let changes = match base {
        None => Changes::default(),
        Some(b) => {
            let after = match current {
                Some(c) => parsed(c)?,
                None => store::snapshot_of(db, &p).await?,
            };
            revisions::diff(&parsed(b)?, &after)
        }
    };
    Ok(web::Json(PlanChangesResponse {
        plan_id: p.id,
        since: base.map(info),
        revision: current.map(info),
        changes,
    }))
}
