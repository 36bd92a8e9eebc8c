//! Checks of one item, with the evidence its kind needs.

use super::*;

/// Checks the evidence a kind needs; returns the result the check states.
fn check_evidence(k: &Kind, b: &FireCheckRequest) -> AppResult<CheckResult> {
    let mut v = Validator::new();
    let result = CheckResult::try_from_value(&b.result).ok();
    let failed = match result {
        Some(CheckResult::Ok) => false,
        Some(CheckResult::Failed) => true,
        None => {
            v.add(
                "result",
                "invalid",
                "检查结果应为 ok(正常)或 failed(不合格)",
            );
            false
        }
    };
    if k.pressure {
        match b.pressure_mpa {
            None => v.add(
                "pressure_mpa",
                "required",
                format!("{}检查须填写压力表读数(MPa)", k.name),
            ),
            Some(p) if !(0.0..=10.0).contains(&p) || p.is_nan() => {
                v.add("pressure_mpa", "invalid", "压力读数无效(0–10 MPa)")
            }
            Some(p) if !failed && !(PRESSURE_MIN..=PRESSURE_MAX).contains(&p) => v.add(
                "pressure_mpa",
                "pressure_out_of_band",
                format!(
                    "压力 {p} MPa 不在正常范围 {PRESSURE_MIN}–{PRESSURE_MAX} MPa 内,应判为不合格"
                ),
            ),
            Some(_) => {}
        }
    } else if b.pressure_mpa.is_some() {
        v.add(
            "pressure_mpa",
            "not_applicable",
            format!("{}无需压力读数", k.name),
        );
    }
    if k.test {
        match b.test_passed {
            None => v.add(
                "test_passed",
                "required",
                format!("{}检查须填写功能测试结果", k.name),
            ),
            Some(false) if !failed => v.add(
                "test_passed",
                "test_failed_marked_ok",
                "功能测试未通过,应判为不合格",
            ),
            _ => {}
        }
    } else if b.test_passed.is_some() {
        v.add(
            "test_passed",
            "not_applicable",
            format!("{}无需功能测试", k.name),
        );
    }
    if k.alarm {
        if b.alarm_reached == Some(false) && !failed {
            v.add(
                "alarm_reached",
                "alarm_not_reached_marked_ok",
                "报警信号未传到接收端,应判为不合格",
            );
        }
    } else if b.alarm_reached.is_some() {
        v.add(
            "alarm_reached",
            "not_applicable",
            format!("{}不是报警装置,无需记录报警是否送达", k.name),
        );
    }
    if k.photo && b.attachment_ids.is_empty() {
        v.add(
            "attachment_ids",
            "required",
            "须拍照留证(至少 1 张现场照片),仅打勾不算检查记录",
        );
    }
    if b.attachment_ids.len() > MAX_PER_FIELD {
        v.add("attachment_ids", "too_many", "最多 9 张图片");
    }
    if failed {
        v.text("note", &b.note, 1, 1000);
    } else {
        v.opt_text("note", Some(&b.note), 1000);
    }
    v.finish()?;
    result.ok_or_else(ApiError::internal)
}

/// Record a check of one item (reached from its QR label). Each type needs its evidence —
/// extinguisher: pressure reading (MPa) + photo; hydrant, exit, 防暴器材: photo; fire alarm,
/// emergency light, 一键报警按钮, 监控摄像头, 门禁, 对讲机: function test + photo — else 422.
/// An alarm device's check (火灾报警器, 一键报警按钮) may also record whether the alarm reached
/// the receiving end (`alarm_reached`); a test that failed or did not reach it must be marked
/// failed. A failed check raises a hazard — category `fire` for fire equipment, `security`
/// for security equipment — or joins the item's hazard still open from an earlier failed check.
#[utoipa::path(
    tag = "fire",
    params(("id" = Uuid, Path)),
    request_body = FireCheckRequest,
    responses(
        (status = 201, body = FireCheckResponse),
        (status = 404, description = "`fire_item_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`fire_item_retired`: the item was replaced or removed", body = crate::infra::error::Problem),
        (status = 422, description = "Missing evidence (`required`), evidence the kind does not take (`not_applicable`), `pressure_out_of_band`, `test_failed_marked_ok` or `alarm_not_reached_marked_ok` when marked ok", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "guard"]))
)]
#[post("/fire/items/{id}/checks")]
pub async fn submit_fire_check(
    auth: Auth<GuardOrOffice>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<FireCheckRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let u = &auth.user;
    let today = today(state.tz);
    let tx = state.db.begin_write().await?;
    let i = store::find_item(&*tx, id.into_inner()).await?;
    if i.retired_at.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::FireItemRetired,
            "该器材已停用(已更换或拆除),无需检查",
        ));
    }
    let k = kind(i.kind);
    let result = check_evidence(k, &body)?;
    let check_id = Uuid::now_v7();
    attachments::claim(
        &*tx,
        u.id,
        &body.attachment_ids,
        LINK_FIRE_CHECK,
        check_id,
        "attachment_ids",
    )
    .await?;
    let note = body.note.trim().to_owned();
    let hazard_id = if result == CheckResult::Failed {
        let previous = store::latest_checks(&*tx, vec![i.id]).await?.remove(&i.id);
        let open = match previous.and_then(|c| c.hazard_id) {
            Some(h) => hazard::Entity::find_by_id(h)
                .one(&*tx)
                .await?
                .filter(|h| h.status != crate::schema::hazards::HazardStatus::Closed)
                .map(|h| h.id),
            None => None,
        };
        match open {
            Some(h) => Some(h),
            None => {
                let b = store::find_building(&*tx, i.building_id).await?;
                let mut description = format!("{}「{}」检查不合格:{note}", k.name, i.name);
                if let Some(p) = body.pressure_mpa {
                    description.push_str(&format!("(压力 {p} MPa)"));
                }
                if body.test_passed == Some(false) {
                    description.push_str("(功能测试未通过)");
                }
                if body.alarm_reached == Some(false) {
                    description.push_str("(报警信号未传到接收端)");
                }
                Some(
                    crate::features::hazards::create_from_source(
                        &*tx,
                        u,
                        Uuid::now_v7(),
                        crate::features::hazards::FromSource {
                            category: k.category.hazard_category(),
                            source: "fire_equipment",
                            location: format!("{} {}", b.name, i.location),
                            description,
                            photo_ids: body.attachment_ids.clone(),
                            details: json!({"fire_item_id": i.id, "fire_check_id": check_id, "reason": "failed"}),
                        },
                    )
                    .await?,
                )
            }
        }
    } else {
        None
    };
    let c = check::ActiveModel {
        id: Set(check_id),
        item_id: Set(i.id),
        result: Set(result),
        pressure_mpa: Set(body.pressure_mpa),
        test_passed: Set(body.test_passed),
        alarm_reached: Set(body.alarm_reached),
        note: Set(note),
        photo_ids: Set(json!(body.attachment_ids).to_string()),
        hazard_id: Set(hazard_id),
        checked_by: Set(u.id),
        checked_at: Set(crate::infra::clock::now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        u.actor(),
        "fire_check.submit",
        "fire_item",
        Some(i.id.to_string()),
        json!({"check_id": c.id, "result": c.result, "pressure_mpa": c.pressure_mpa, "test_passed": c.test_passed, "alarm_reached": c.alarm_reached, "photo_ids": body.attachment_ids, "hazard_id": hazard_id}),
    )
    .await?;
    if c.result == CheckResult::Failed {
        let e = crate::features::events::FireCheckFailed {
            check_id: c.id,
            item_id: i.id,
            item_name: i.name.clone(),
            location: i.location.clone(),
            hazard_id,
            checked_at: c.checked_at,
        };
        crate::features::events::emit_payload(&*tx, c.checked_at, &e).await?;
    }
    // A check is also when an expired item is noticed.
    let expired = i
        .expiry_date
        .as_deref()
        .and_then(parse_date)
        .is_some_and(|e| e < today);
    if expired && i.expired_hazard_id.is_none() {
        store::raise_expired(&*tx, u, vec![i]).await?;
    }
    tx.commit().await?;
    let names = HashMap::from([(u.id, u.display_name.clone())]);
    Ok(HttpResponse::Created().json(check_response(c, &names)?))
}
