//! Items (fire and security equipment): register, change, retire, read, the status board and
//! the labels.

use super::*;

struct ValidItem {
    kind: ItemKind,
    install: Option<String>,
    expiry: Option<String>,
}

async fn check_item(db: &impl ConnectionTrait, b: &FireItemRequest) -> AppResult<ValidItem> {
    let mut v = Validator::new();
    let kind = ItemKind::try_from_value(&b.kind).ok();
    if kind.is_none() {
        v.add(
            "kind",
            "invalid",
            format!(
                "类型应为:{}之一",
                status::KINDS
                    .iter()
                    .map(|k| k.name)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        );
    }
    v.text("name", &b.name, 1, 100);
    v.text("location", &b.location, 1, 200);
    v.opt_text("spec", Some(&b.spec), 200);
    if b.responsible_user_id.is_some() {
        v.opt_text("responsible", Some(&b.responsible), 100);
    } else {
        v.text("responsible", &b.responsible, 1, 100);
    }
    if let Some(uid) = b.responsible_user_id {
        let staff = crate::schema::users::Entity::find_by_id(uid)
            .one(db)
            .await?
            .filter(|u| u.is_active && u.role != crate::schema::users::Role::SafetyOfficer);
        if staff.is_none() {
            v.add(
                "responsible_user_id",
                "not_found",
                "责任人应为在职的教职工账号",
            );
        }
    }
    let date = |v: &mut Validator, field: &str, s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| check_date(v, field, s))
    };
    let install = date(&mut v, "install_date", &b.install_date);
    let expiry = date(&mut v, "expiry_date", &b.expiry_date);
    if let (Some(i), Some(e)) = (install, expiry)
        && e < i
    {
        v.add("expiry_date", "before_install", "有效期不能早于安装日期");
    }
    if building::Entity::find_by_id(b.building_id)
        .one(db)
        .await?
        .is_none()
    {
        v.add("building_id", "not_found", "楼栋不存在");
    }
    v.finish()?;
    Ok(ValidItem {
        kind: kind.ok_or_else(ApiError::internal)?,
        install: install.map(fmt_date),
        expiry: expiry.map(fmt_date),
    })
}

fn item_audit(i: &item::Model) -> serde_json::Value {
    json!({"building_id": i.building_id, "kind": i.kind, "name": i.name, "location": i.location, "spec": i.spec, "install_date": i.install_date, "expiry_date": i.expiry_date, "responsible": i.responsible, "responsible_user_id": i.responsible_user_id, "retired_at": i.retired_at})
}

async fn one_response(
    db: &impl ConnectionTrait,
    i: item::Model,
    state: &State,
) -> AppResult<FireItemResponse> {
    item_responses(db, vec![i], today(state.tz), state.tz)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
}

/// Register an item: fire equipment (灭火器, 消火栓, 火灾报警器, 应急照明灯, 安全出口) or
/// security equipment (防暴器材, 监控摄像头, 一键报警按钮, 门禁, 对讲机), with its responsible
/// person (a staff account, `responsible_user_id`, and/or a name as written).
#[utoipa::path(
    tag = "fire",
    request_body = FireItemRequest,
    responses(
        (status = 201, body = FireItemResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/fire/items")]
pub async fn create_fire_item(
    auth: Auth<Office>,
    state: State,
    body: web::Json<FireItemRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let tx = state.db.begin_write().await?;
    let valid = check_item(&*tx, &body).await?;
    let now = crate::infra::clock::now();
    let i = item::ActiveModel {
        id: Set(Uuid::now_v7()),
        building_id: Set(body.building_id),
        kind: Set(valid.kind),
        name: Set(body.name.trim().to_owned()),
        location: Set(body.location.trim().to_owned()),
        spec: Set(body.spec.trim().to_owned()),
        install_date: Set(valid.install),
        expiry_date: Set(valid.expiry),
        responsible: Set(body.responsible.trim().to_owned()),
        responsible_user_id: Set(body.responsible_user_id),
        expired_hazard_id: Set(None),
        retired_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_item.create",
        "fire_item",
        Some(i.id.to_string()),
        item_audit(&i),
    )
    .await?;
    let resp = one_response(&*tx, i, &state).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

/// Change an item (e.g. a replaced extinguisher's new expiry date, or its responsible person).
/// Moving the expiry date to a valid date lets a later expiry raise a new hazard.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireItemRequest,
    responses(
        (status = 200, body = FireItemResponse),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/fire/items/{id}")]
pub async fn update_fire_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireItemRequest>,
) -> AppResult<web::Json<FireItemResponse>> {
    let body = body.into_inner();
    let tx = state.db.begin_write().await?;
    let i = store::find_item(&*tx, id.into_inner()).await?;
    let valid = check_item(&*tx, &body).await?;
    let still_expired = valid
        .expiry
        .as_deref()
        .and_then(parse_date)
        .is_some_and(|e| e < today(state.tz));
    let mut am: item::ActiveModel = i.into();
    am.building_id = Set(body.building_id);
    am.kind = Set(valid.kind);
    am.name = Set(body.name.trim().to_owned());
    am.location = Set(body.location.trim().to_owned());
    am.spec = Set(body.spec.trim().to_owned());
    am.install_date = Set(valid.install);
    am.expiry_date = Set(valid.expiry);
    am.responsible = Set(body.responsible.trim().to_owned());
    am.responsible_user_id = Set(body.responsible_user_id);
    if !still_expired {
        am.expired_hazard_id = Set(None);
    }
    am.updated_at = Set(crate::infra::clock::now());
    let i = am.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "fire_item.update",
        "fire_item",
        Some(i.id.to_string()),
        item_audit(&i),
    )
    .await?;
    let resp = one_response(&*tx, i, &state).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// Retire an item (replaced or removed) or put it back in service. A retired item leaves the
/// board (unless `status=retired` is asked for), the label sheet and the checks, and keeps
/// its history.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireRetireRequest,
    responses(
        (status = 200, body = FireItemResponse),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/fire/items/{id}/retired")]
pub async fn retire_fire_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireRetireRequest>,
) -> AppResult<web::Json<FireItemResponse>> {
    let retired = body.into_inner().retired;
    let tx = state.db.begin_write().await?;
    let i = store::find_item(&*tx, id.into_inner()).await?;
    if i.retired_at.is_some() == retired {
        // Already so: nothing to record.
        let resp = one_response(&*tx, i, &state).await?;
        tx.commit().await?;
        return Ok(web::Json(resp));
    }
    let now = crate::infra::clock::now();
    let mut am: item::ActiveModel = i.into();
    am.retired_at = Set(retired.then_some(now));
    am.updated_at = Set(now);
    let i = am.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        if retired {
            "fire_item.retire"
        } else {
            "fire_item.reinstate"
        },
        "fire_item",
        Some(i.id.to_string()),
        item_audit(&i),
    )
    .await?;
    let resp = one_response(&*tx, i, &state).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// One item with what its check needs and its latest checks: what the QR label opens.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = FireItemDetail),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/fire/items/{id}")]
pub async fn get_fire_item(
    auth: Auth<FireReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<FireItemDetail>> {
    let id = id.into_inner();
    store::find_item(&state.db.conn, id).await?;
    store::notice_expired(&state.db, &auth.user, today(state.tz)).await?;
    let db = &state.db.conn;
    let i = store::find_item(db, id).await?;
    let checks = check::Entity::find()
        .filter(check::Column::ItemId.eq(id))
        .order_by_desc(check::Column::CheckedAt)
        .all(db)
        .await?;
    let checks: Vec<check::Model> = checks.into_iter().take(12).collect();
    let names = store::user_names(db, checks.iter().map(|c| c.checked_by).collect()).await?;
    Ok(web::Json(FireItemDetail {
        item: one_response(db, i, &state).await?,
        checks: checks
            .into_iter()
            .map(|c| check_response(c, &names))
            .collect::<AppResult<_>>()?,
    }))
}

/// The status board: every item with its status (`normal`, `due`, `failed`, `expired`; see
/// `FireItemResponse.status`) and whether its check is overdue, filtered by building, kind,
/// category (消防器材 / 安防器材), alarm devices, status and overdue. With `alarm=true` it is the
/// office's view of the alarm tests: when each was last tested (`last_check`) and which are
/// overdue. Loading it raises a hazard for each newly expired item (once per item).
#[utoipa::path(
    tag = "fire",
    params(FireBoardQuery),
    responses(
        (status = 200, body = FireBoardResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/fire/board")]
pub async fn fire_board(
    auth: Auth<FireReaders>,
    state: State,
    q: web::Query<FireBoardQuery>,
) -> AppResult<web::Json<FireBoardResponse>> {
    let q = q.into_inner();
    let mut v = Validator::new();
    let wanted: Option<FireStatus> = q
        .status
        .as_deref()
        .and_then(|s| serde_json::from_value(serde_json::Value::String(s.to_owned())).ok());
    if q.status.is_some() && wanted.is_none() {
        v.add(
            "status",
            "invalid",
            "状态应为 normal、due、failed、expired 或 retired",
        );
    }
    let kind = q
        .kind
        .as_deref()
        .map(|k| ItemKind::try_from_value(&k.to_owned()).ok());
    if kind.is_some_and(|k| k.is_none()) {
        v.add("kind", "invalid", "类型无效");
    }
    let category = parse_category(&mut v, q.category.as_deref());
    v.finish()?;
    let today = today(state.tz);
    store::notice_expired(&state.db, &auth.user, today).await?;
    let db = &state.db.conn;
    let mut select = item::Entity::find();
    if let Some(b) = q.building_id {
        select = select.filter(item::Column::BuildingId.eq(b));
    }
    if let Some(Some(k)) = kind {
        select = select.filter(item::Column::Kind.eq(k));
    }
    if let Some(c) = category {
        select = select.filter(item::Column::Kind.is_in(status::kinds_of(c)));
    }
    if q.alarm == Some(true) {
        select = select.filter(item::Column::Kind.is_in(status::alarm_kinds()));
    }
    let rows = select.all(db).await?;
    let mut items = item_responses(db, rows, today, state.tz).await?;
    let mut counts = FireStatusCounts::default();
    for i in &items {
        match i.status {
            FireStatus::Expired => counts.expired += 1,
            FireStatus::Failed => counts.failed += 1,
            FireStatus::Due => counts.due += 1,
            FireStatus::Retired => counts.retired += 1,
            FireStatus::Normal => counts.normal += 1,
        }
        if i.overdue {
            counts.overdue += 1;
        }
    }
    if let Some(o) = q.overdue {
        items.retain(|i| i.overdue == o);
    }
    match wanted {
        Some(s) => items.retain(|i| i.status == s),
        // Retired items only when asked for.
        None => items.retain(|i| i.status != FireStatus::Retired),
    }
    items.sort_by(|a, b| {
        b.status
            .rank()
            .cmp(&a.status.rank())
            .then_with(|| a.building_name.cmp(&b.building_name))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(web::Json(FireBoardResponse {
        today: fmt_date(today),
        counts,
        items,
    }))
}

/// Labels to print: each item's name, place and a QR code that opens its check page; by
/// building and category.
#[utoipa::path(
    tag = "fire",
    params(FireLabelQuery),
    responses(
        (status = 200, body = Vec<FireLabelResponse>),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/fire/labels")]
pub async fn fire_labels(
    _auth: Auth<crate::auth::roles::OfficeOrPrincipal>,
    state: State,
    req: HttpRequest,
    q: web::Query<FireLabelQuery>,
) -> AppResult<web::Json<Vec<FireLabelResponse>>> {
    let mut v = Validator::new();
    let category = parse_category(&mut v, q.category.as_deref());
    v.finish()?;
    let db = &state.db.conn;
    let mut select = item::Entity::find();
    if let Some(b) = q.building_id {
        select = select.filter(item::Column::BuildingId.eq(b));
    }
    if let Some(c) = category {
        select = select.filter(item::Column::Kind.is_in(status::kinds_of(c)));
    }
    let rows = select
        .filter(item::Column::RetiredAt.is_null())
        .all(db)
        .await?;
    let buildings: HashMap<Uuid, String> = building::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let origin = origin(&state, &req);
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        let url = check_url(&origin, i.id);
        out.push(FireLabelResponse {
            qr_svg: qr_svg(&url)?,
            url,
            item_id: i.id,
            building_name: buildings.get(&i.building_id).cloned().unwrap_or_default(),
            name: i.name,
            kind: i.kind,
            category: kind(i.kind).category,
            location: i.location,
        });
    }
    out.sort_by(|a, b| {
        a.building_name
            .cmp(&b.building_name)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(web::Json(out))
}

/// One item's QR code (SVG) encoding its check page's URL.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/fire/items/{id}/qr.svg")]
pub async fn fire_item_qr(
    _auth: Auth<crate::auth::roles::OfficeOrPrincipal>,
    state: State,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let i = store::find_item(&state.db.conn, id.into_inner()).await?;
    let svg = qr_svg(&check_url(&origin(&state, &req), i.id))?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}
