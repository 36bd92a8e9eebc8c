//! Buildings.

use super::*;

/// Buildings, by name, with how many items each holds.
#[utoipa::path(
    tag = "fire",
    responses((status = 200, body = Vec<FireBuildingResponse>)),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/fire/buildings")]
pub async fn list_fire_buildings(
    _auth: Auth<FireReaders>,
    state: State,
) -> AppResult<web::Json<Vec<FireBuildingResponse>>> {
    let db = &state.db.conn;
    let mut counts: HashMap<Uuid, i64> = HashMap::new();
    for i in item::Entity::find().all(db).await? {
        *counts.entry(i.building_id).or_default() += 1;
    }
    let rows = building::Entity::find()
        .order_by_asc(building::Column::Name)
        .all(db)
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|b| FireBuildingResponse {
                item_count: counts.get(&b.id).copied().unwrap_or(0),
                id: b.id,
                name: b.name,
                note: b.note,
                updated_at: b.updated_at,
            })
            .collect(),
    ))
}

fn check_building(b: &FireBuildingRequest) -> AppResult<()> {
    let mut v = Validator::new();
    v.text("name", &b.name, 1, 100);
    v.opt_text("note", Some(&b.note), 2000);
    v.finish()
}

/// Register a building.
#[utoipa::path(
    tag = "fire",
    request_body = FireBuildingRequest,
    responses(
        (status = 201, body = FireBuildingResponse),
        (status = 409, description = "`already_exists`: a building of that name", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/fire/buildings")]
pub async fn create_fire_building(
    auth: Auth<Office>,
    state: State,
    body: web::Json<FireBuildingRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    check_building(&body)?;
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let b = building::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(body.name.trim().to_owned()),
        note: Set(body.note.trim().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_building.create",
        "fire_building",
        Some(b.id.to_string()),
        json!({"name": b.name, "note": b.note}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(FireBuildingResponse {
        id: b.id,
        name: b.name,
        note: b.note,
        item_count: 0,
        updated_at: b.updated_at,
    }))
}

/// Rename a building or change its note.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireBuildingRequest,
    responses(
        (status = 200, body = FireBuildingResponse),
        (status = 404, description = "`fire_building_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/fire/buildings/{id}")]
pub async fn update_fire_building(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireBuildingRequest>,
) -> AppResult<web::Json<FireBuildingResponse>> {
    let body = body.into_inner();
    check_building(&body)?;
    let tx = state.db.begin_write().await?;
    let b = store::find_building(&*tx, id.into_inner()).await?;
    let mut am: building::ActiveModel = b.into();
    am.name = Set(body.name.trim().to_owned());
    am.note = Set(body.note.trim().to_owned());
    am.updated_at = Set(crate::infra::clock::now());
    let b = am.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_building.update",
        "fire_building",
        Some(b.id.to_string()),
        json!({"name": b.name, "note": b.note}),
    )
    .await?;
    let item_count = item::Entity::find()
        .filter(item::Column::BuildingId.eq(b.id))
        .all(&*tx)
        .await?
        .len() as i64;
    tx.commit().await?;
    Ok(web::Json(FireBuildingResponse {
        id: b.id,
        name: b.name,
        note: b.note,
        item_count,
        updated_at: b.updated_at,
    }))
}
