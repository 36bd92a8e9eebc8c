//! `GET /api/v1/events`: the outbox read by cursor, for programs that cannot receive webhooks.

use super::store::{self, StoredEvent};
use crate::auth::extract::AuthOrKey;
use crate::auth::roles::{EventsRead, Office};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::state::State;
use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// The `seq` of the last event you processed (`next_after` of the previous page); `0` or
    /// absent: from the first event.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
}

/// A page of events in `seq` order.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<StoredEvent>,
    /// Pass as `after` next time: the last `seq` of this page, or your `after` when the page
    /// is empty (poll again later).
    pub next_after: i64,
}

/// The events after a cursor, oldest first. Every event is written in the same transaction as
/// the change it reports and gets a `seq` above every event a reader could see before it: an
/// event is never skipped by advancing `after` to the last `seq` received, and never handed
/// out for a change that did not happen. Events are at least once for a reader that loses its
/// cursor; deduplicate by `id`. Payloads per `type` and `version` are in the spec's `webhooks`.
#[utoipa::path(
    tag = "events",
    params(EventQuery),
    responses(
        (status = 200, body = EventPage),
        (status = 400, description = "`invalid_limit`: `limit` outside 1–200; a malformed `after`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]), ("api_key" = ["events:read"]))
)]
#[get("/events")]
pub async fn list_events(
    _auth: AuthOrKey<Office, EventsRead>,
    state: State,
    query: web::Query<EventQuery>,
) -> AppResult<web::Json<EventPage>> {
    let q = query.into_inner();
    // A cursor beyond any seq simply finds nothing yet; one below zero is no cursor at all.
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidCursor,
            "after 必须是不小于 0 的整数",
        ));
    }
    let paging = crate::infra::pagination::Paging::new(q.limit, None)?;
    let items = store::after(&state.db.conn, after, paging.limit).await?;
    let next_after = items.last().map(|e| e.seq).unwrap_or(after);
    Ok(web::Json(EventPage { items, next_after }))
}

/// One catalogue entry for the spec: kind, version, payload schema name, schema and the
/// schemas it refers to.
struct Entry {
    kind: super::EventKind,
    version: i32,
    name: String,
    schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    deps: Vec<(
        String,
        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    )>,
}

fn entry<P: super::Payload + ToSchema>() -> Entry {
    let mut deps = Vec::new();
    P::schemas(&mut deps);
    Entry {
        kind: P::KIND,
        version: P::VERSION,
        name: P::name().into_owned(),
        schema: P::schema(),
        deps,
    }
}

/// Every kind of the catalogue with its payload (a kind missing here fails the spec test).
fn catalogue() -> Vec<Entry> {
    use super::catalogue as c;
    vec![
        entry::<c::PassIssued>(),
        entry::<c::PassRevoked>(),
        entry::<c::PassOverdue>(),
        entry::<c::GateExit>(),
        entry::<c::GateReturn>(),
        entry::<c::GateRefused>(),
        entry::<c::VisitorCheckedIn>(),
        entry::<c::VisitorFlagged>(),
        entry::<c::HazardReported>(),
        entry::<c::HazardAssigned>(),
        entry::<c::HazardOverdue>(),
        entry::<c::HazardVerified>(),
        entry::<c::IncidentReported>(),
        entry::<c::HealthAbnormal>(),
        entry::<c::RosterPublished>(),
        entry::<c::AnnouncementPublished>(),
        entry::<c::TrafficCheckMissing>(),
        entry::<c::FireCheckFailed>(),
        entry::<c::PatrolMissed>(),
        entry::<c::PlanSubmitted>(),
        entry::<c::PlanApproved>(),
        entry::<c::EscalationRaised>(),
    ]
}

/// Adds the catalogue to the spec as OpenAPI 3.1 `webhooks`: one entry per event kind, whose
/// request body is the event as sent (and as `GET /events` lists it) with that kind's payload
/// in `data`, so an integrator's code generator gets a type per kind.
pub fn document_webhooks(api: &mut utoipa::openapi::OpenApi) {
    use serde_json::json;
    let components = api.components.get_or_insert_with(Default::default);
    let mut hooks = serde_json::Map::new();
    for e in catalogue() {
        for (name, schema) in e.deps {
            components.schemas.entry(name).or_insert(schema);
        }
        components.schemas.entry(e.name.clone()).or_insert(e.schema);
        let kind = e.kind.as_str();
        let body = json!({
            "type": "object",
            "required": ["seq", "id", "type", "version", "occurred_at", "class_id", "subject_id", "data"],
            "properties": {
                "seq": {"type": "integer", "format": "int64", "description": "The feed's cursor."},
                "id": {"type": "string", "format": "uuid", "description": "Stable across redeliveries: deduplicate by it (also the `webhook-id` header)."},
                "type": {"type": "string", "const": kind},
                "version": {"type": "integer", "const": e.version},
                "occurred_at": {"type": "string", "format": "date-time"},
                "class_id": {"type": ["string", "null"], "format": "uuid"},
                "subject_id": {"type": ["string", "null"], "format": "uuid"},
                "data": {"$ref": format!("#/components/schemas/{}", e.name)},
            }
        });
        hooks.insert(
            kind.clone(),
            json!({"post": {
                "operationId": format!("webhook_{}", kind.replace('.', "_")),
                "summary": format!("{kind} v{}", e.version),
                "tags": ["events"],
                "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
                "responses": {"2XX": {"description": "Received. Anything else is retried."}},
            }}),
        );
    }
    api.extensions
        .get_or_insert_with(Default::default)
        .insert("webhooks".into(), serde_json::Value::Object(hooks));
}
