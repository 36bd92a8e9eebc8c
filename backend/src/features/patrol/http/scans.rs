//! Scanning a checkpoint of one's open run, and noting what was seen there.

use super::super::model::{checkpoint, point};
use super::super::store::{self};
use super::super::timing::{open_run, own_run, point_status};
use super::opt;
use super::runs::{PatrolRunResponse, RunPointResponse, run_response};
use crate::auth::extract::Auth;
use crate::auth::roles::GuardOrOffice;
use crate::features::audit;
use crate::features::hazards::ReportHazardRequest;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use actix_web::{post, web};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanCheckpointRequest {
    /// The value read from the checkpoint's QR code (or typed in).
    pub code: String,
    /// Chosen by the device per scan; resending it replays the same result.
    pub client_event_id: String,
    /// What the guard saw there, if worth noting.
    pub observation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanCheckpointResponse {
    /// The scanned checkpoint in this run (`on_time` or `late`).
    pub point: RunPointResponse,
    /// True when this `client_event_id` had already been recorded (nothing changed).
    pub replayed: bool,
    pub run: PatrolRunResponse,
}

/// Scan a checkpoint of one's open patrol run. The QR value must belong to an active
/// checkpoint (`422 unknown_checkpoint`) on this run (`422 checkpoint_not_on_route`) not
/// scanned yet in it (`409 checkpoint_already_scanned`). A scan resent with the same
/// `client_event_id` returns the recorded result (`replayed: true`).
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = ScanCheckpointRequest,
    responses(
        (status = 200, body = ScanCheckpointResponse),
        (status = 403, description = "`not_own_patrol`", body = crate::infra::error::Problem),
        (status = 404, description = "`patrol_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`patrol_finished`, `checkpoint_already_scanned`", body = crate::infra::error::Problem),
        (status = 422, description = "`unknown_checkpoint`, `checkpoint_not_on_route`, `validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/patrols/{id}/scans")]
pub async fn scan_checkpoint(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ScanCheckpointRequest>,
) -> AppResult<web::Json<ScanCheckpointResponse>> {
    let b = body.into_inner();
    let u = &auth.user;
    let mut v = Validator::new();
    v.text("code", &b.code, 1, 200);
    v.text("client_event_id", &b.client_event_id, 1, 64);
    v.opt_text("observation", b.observation.as_deref(), 1000);
    v.finish()?;
    let event_id = b.client_event_id.trim().to_owned();
    let tx = state.db.begin_write().await?;
    let r = store::find_run(&*tx, id.into_inner()).await?;
    own_run(u, &r)?;
    let points = point::Entity::find()
        .filter(point::Column::RunId.eq(r.id))
        .all(&*tx)
        .await?;
    if let Some(p) = points
        .iter()
        .find(|p| p.client_event_id.as_deref() == Some(event_id.as_str()))
    {
        let seq = p.seq;
        let run = run_response(&*tx, r).await?;
        tx.commit().await?;
        return scan_result(run, seq, true);
    }
    open_run(&r)?;
    let code = b.code.trim();
    let cp = checkpoint::Entity::find()
        .filter(checkpoint::Column::Code.eq(code))
        .filter(checkpoint::Column::Active.eq(true))
        .one(&*tx)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(ErrorCode::UnknownCheckpoint, "该二维码不是在用的巡查点")
        })?;
    let p = points
        .into_iter()
        .find(|p| p.checkpoint_id == cp.id)
        .ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::CheckpointNotOnRoute,
                "该巡查点不在本次巡查路线上",
            )
        })?;
    if p.visited_at.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::CheckpointAlreadyScanned,
            "该巡查点本次已扫码",
        ));
    }
    let now = crate::infra::clock::now();
    let seq = p.seq;
    let mut a: point::ActiveModel = p.into();
    a.visited_at = Set(Some(now));
    a.client_event_id = Set(Some(event_id.clone()));
    a.observation = Set(opt(b.observation));
    let after = a.update(&*tx).await?;
    let status = point_status(&after, false, now);
    audit::record(
        &*tx,
        u.actor(),
        "patrol.scan",
        "patrol",
        Some(r.id.to_string()),
        json!({"checkpoint_id": cp.id, "checkpoint_name": cp.name, "status": status.as_str(), "client_event_id": event_id, "observation": after.observation}),
    )
    .await?;
    let run = run_response(&*tx, r).await?;
    tx.commit().await?;
    scan_result(run, seq, false)
}

fn scan_result(
    run: PatrolRunResponse,
    seq: i32,
    replayed: bool,
) -> AppResult<web::Json<ScanCheckpointResponse>> {
    let idx = run
        .points
        .iter()
        .position(|p| p.seq == seq)
        .ok_or_else(ApiError::internal)?;
    let p = &run.points[idx];
    let point = RunPointResponse {
        seq: p.seq,
        checkpoint_id: p.checkpoint_id,
        checkpoint_name: p.checkpoint_name.clone(),
        location: p.location.clone(),
        expected_at: p.expected_at,
        tolerance_minutes: p.tolerance_minutes,
        due_by: p.due_by,
        visited_at: p.visited_at,
        status: p.status,
        observation: p.observation.clone(),
        hazard_id: p.hazard_id,
    };
    Ok(web::Json(ScanCheckpointResponse {
        point,
        replayed,
        run,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolHazardInput {
    /// A hazard category (see `POST /hazards`).
    pub category: String,
    pub description: String,
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolNoteRequest {
    pub checkpoint_id: Uuid,
    /// Replaces the checkpoint's observation in this run.
    pub observation: Option<String>,
    /// Report a hazard on the spot: a regular hazard, located at the checkpoint.
    pub hazard: Option<PatrolHazardInput>,
}

/// Note an observation and/or report a hazard at a checkpoint already scanned in one's open
/// run (`409 checkpoint_not_scanned`; one hazard per checkpoint and run,
/// `409 hazard_already_reported`). The hazard goes through the usual hazard workflow.
#[utoipa::path(
    tag = "patrol",
    params(("id" = Uuid, Path)),
    request_body = PatrolNoteRequest,
    responses(
        (status = 200, body = PatrolRunResponse),
        (status = 403, description = "`not_own_patrol`", body = crate::infra::error::Problem),
        (status = 404, description = "`patrol_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`patrol_finished`, `checkpoint_not_scanned`, `hazard_already_reported`", body = crate::infra::error::Problem),
        (status = 422, description = "`checkpoint_not_on_route`, `validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[post("/patrols/{id}/notes")]
pub async fn note_checkpoint(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<PatrolNoteRequest>,
) -> AppResult<web::Json<PatrolRunResponse>> {
    let b = body.into_inner();
    let u = &auth.user;
    let observation = opt(b.observation);
    let mut v = Validator::new();
    v.opt_text("observation", observation.as_deref(), 1000);
    if observation.is_none() && b.hazard.is_none() {
        v.add("observation", "required", "请填写巡查情况或上报隐患");
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let r = store::find_run(&*tx, id.into_inner()).await?;
    own_run(u, &r)?;
    open_run(&r)?;
    let p = point::Entity::find()
        .filter(point::Column::RunId.eq(r.id))
        .filter(point::Column::CheckpointId.eq(b.checkpoint_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::CheckpointNotOnRoute,
                "该巡查点不在本次巡查路线上",
            )
        })?;
    if p.visited_at.is_none() {
        return Err(ApiError::conflict(
            ErrorCode::CheckpointNotScanned,
            "请先扫码签到该巡查点",
        ));
    }
    let mut a: point::ActiveModel = p.clone().into();
    let mut hazard_id = None;
    if let Some(h) = b.hazard {
        if p.hazard_id.is_some() {
            return Err(ApiError::conflict(
                ErrorCode::HazardAlreadyReported,
                "本次巡查已在该点上报过隐患",
            ));
        }
        let location = if p.location.is_empty() {
            p.checkpoint_name.clone()
        } else {
            format!("{}({})", p.checkpoint_name, p.location)
        };
        let req = ReportHazardRequest {
            category: h.category,
            location: location.chars().take(100).collect(),
            description: h.description,
            class_id: None,
            attachment_ids: h.attachment_ids,
        };
        crate::features::hazards::validate_report(&req)?;
        let row = crate::features::hazards::report_in_tx(
            &*tx,
            u,
            req,
            json!({"source": "report", "patrol_id": r.id, "checkpoint_id": p.checkpoint_id}),
        )
        .await?;
        hazard_id = Some(row.id);
        a.hazard_id = Set(Some(row.id));
    }
    if let Some(o) = &observation {
        a.observation = Set(Some(o.clone()));
    }
    a.update(&*tx).await?;
    audit::record(
        &*tx,
        u.actor(),
        "patrol.note",
        "patrol",
        Some(r.id.to_string()),
        json!({"checkpoint_id": p.checkpoint_id, "observation": observation, "hazard_id": hazard_id}),
    )
    .await?;
    let resp = run_response(&*tx, r).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}
