//! Announcements (通报) with read receipts.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementResponse {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub target_roles: Vec<Role>,
    pub plan_item_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When I read it (null: unread).
    pub read_at: Option<DateTime<Utc>>,
}

fn roles_of(a: &announcement::Model) -> Vec<Role> {
    crate::features::records::screening::audience(&a.target_roles)
}

fn announcement_response(
    a: announcement::Model,
    read_at: Option<DateTime<Utc>>,
) -> AnnouncementResponse {
    AnnouncementResponse {
        target_roles: roles_of(&a),
        id: a.id,
        title: a.title,
        body: a.body,
        plan_item_id: a.plan_item_id,
        created_by: a.created_by,
        created_at: a.created_at,
        read_at,
    }
}

fn sees_all(u: &CurrentUser) -> bool {
    crate::features::records::screening::sees_all(u.role)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAnnouncementRequest {
    pub title: String,
    pub body: String,
    /// Who it is for.
    pub target_roles: Vec<Role>,
    pub plan_item_id: Option<Uuid>,
}

pub async fn insert_announcement(
    db: &impl ConnectionTrait,
    title: &str,
    body: &str,
    roles: &[Role],
    item: Option<Uuid>,
    by: Option<Uuid>,
) -> AppResult<announcement::Model> {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let a = announcement::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title.trim().to_owned()),
        body: Set(body.to_owned()),
        target_roles: Set(names.join(" ")),
        plan_item_id: Set(item),
        created_by: Set(by),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(db)
    .await?;
    let e = crate::features::events::AnnouncementPublished {
        announcement_id: a.id,
        title: a.title.clone(),
        target_roles: names.iter().map(|n| (*n).to_owned()).collect(),
    };
    crate::features::events::emit_payload(db, a.created_at, &e).await?;
    Ok(a)
}

/// Send an announcement (通报) to chosen roles.
#[utoipa::path(
    tag = "records",
    request_body = CreateAnnouncementRequest,
    responses((status = 201, body = AnnouncementResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/announcements")]
pub async fn create_announcement(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<CreateAnnouncementRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let mut v = Validator::new();
    v.text("title", &b.title, 1, 200);
    v.text("body", &b.body, 1, 20_000);
    if b.target_roles.is_empty() {
        v.add("target_roles", "required", "至少选择一个角色");
    }
    check_plan_item(&*tx, &mut v, b.plan_item_id).await?;
    v.finish()?;
    let a = insert_announcement(
        &*tx,
        &b.title,
        &b.body,
        &b.target_roles,
        b.plan_item_id,
        Some(auth.user.id),
    )
    .await?;
    link_to_item(&*tx, a.plan_item_id, "announcement", a.id, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "announcement.create",
        "announcement",
        Some(a.id.to_string()),
        json!({"title": a.title, "target_roles": a.target_roles, "plan_item_id": a.plan_item_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(announcement_response(a, None)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementQuery {
    /// Only ones I have not read.
    pub unread: Option<bool>,
}

/// Announcements for me (the office and the principal see all), newest first, with my read
/// state. A `records:read` key sees all, with no read state (`read_at` absent).
#[utoipa::path(
    tag = "records",
    params(AnnouncementQuery),
    responses((status = 200, body = Vec<AnnouncementResponse>)),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/announcements")]
pub async fn list_announcements(
    auth: AuthOrKey<AnyUser, RecordsRead>,
    state: State,
    q: web::Query<AnnouncementQuery>,
) -> AppResult<web::Json<Vec<AnnouncementResponse>>> {
    let db = &state.db.conn;
    // A key reads as the office does; it has read nothing.
    let user = auth.caller.user();
    let all = user.is_none_or(sees_all);
    let mut s = announcement::Entity::find();
    if let Some(u) = user.filter(|_| !all) {
        s = s.filter(announcement::Column::TargetRoles.contains(u.role.as_str()));
    }
    let rows = s
        .order_by_desc(announcement::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let reads: HashMap<Uuid, DateTime<Utc>> = match user {
        Some(u) => read::Entity::find()
            .filter(read::Column::UserId.eq(u.id))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.announcement_id, r.read_at))
            .collect(),
        None => HashMap::new(),
    };
    Ok(web::Json(
        rows.into_iter()
            // `contains` above is a substring match: keep exact role matches only.
            .filter(|a| all || user.is_some_and(|u| roles_of(a).contains(&u.role)))
            .map(|a| {
                let r = reads.get(&a.id).copied();
                announcement_response(a, r)
            })
            .filter(|a| q.unread != Some(true) || a.read_at.is_none())
            .collect(),
    ))
}

async fn visible_announcement(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    id: Uuid,
) -> AppResult<announcement::Model> {
    let a = announcement::Entity::find_by_id(id).one(db).await?;
    match a {
        Some(a) if sees_all(u) || roles_of(&a).contains(&u.role) => Ok(a),
        _ => Err(ApiError::not_found(
            ErrorCode::AnnouncementNotFound,
            "通报不存在",
        )),
    }
}

/// Mark an announcement read (idempotent).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AnnouncementResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/announcements/{id}/read")]
pub async fn read_announcement(
    auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<AnnouncementResponse>> {
    let tx = state.db.begin_write().await?;
    let a = visible_announcement(&*tx, &auth.user, id.into_inner()).await?;
    let existing = read::Entity::find_by_id((a.id, auth.user.id))
        .one(&*tx)
        .await?;
    let read_at = match existing {
        Some(r) => r.read_at,
        None => {
            let r = read::ActiveModel {
                announcement_id: Set(a.id),
                user_id: Set(auth.user.id),
                read_at: Set(crate::infra::clock::now()),
            }
            .insert(&*tx)
            .await?;
            audit::record(
                &*tx,
                auth.user.actor(),
                "announcement.read",
                "announcement",
                Some(a.id.to_string()),
                json!({}),
            )
            .await?;
            r.read_at
        }
    };
    tx.commit().await?;
    Ok(web::Json(announcement_response(a, Some(read_at))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptResponse {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: Role,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptsResponse {
    pub announcement_id: Uuid,
    pub total: usize,
    pub read: usize,
    /// Every active account in the target roles, with when they read it.
    pub receipts: Vec<ReceiptResponse>,
}

/// Who has read an announcement (read receipts).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReceiptsResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/announcements/{id}/receipts")]
pub async fn announcement_receipts(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ReceiptsResponse>> {
    let db = &state.db.conn;
    let a = visible_announcement(db, &auth.user, id.into_inner()).await?;
    let roles: Vec<&str> = roles_of(&a).iter().map(|r| r.as_str()).collect();
    let users = user::Entity::find()
        .filter(user::Column::Role.is_in(roles))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    let reads: HashMap<Uuid, DateTime<Utc>> = read::Entity::find()
        .filter(read::Column::AnnouncementId.eq(a.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r.read_at))
        .collect();
    let receipts: Vec<ReceiptResponse> = users
        .into_iter()
        .map(|u| ReceiptResponse {
            read_at: reads.get(&u.id).copied(),
            role: u.role,
            user_id: u.id,
            display_name: u.display_name,
        })
        .collect();
    Ok(web::Json(ReceiptsResponse {
        announcement_id: a.id,
        total: receipts.len(),
        read: receipts.iter().filter(|r| r.read_at.is_some()).count(),
        receipts,
    }))
}
