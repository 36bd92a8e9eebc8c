//! `xiaoan create-user`: accounts made on the server, outside the API.

use super::{accounts, model};
use crate::auth::password;
use crate::auth::roles::Role;
use crate::features::audit;
use crate::infra::error::Validator;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;
use uuid::Uuid;

/// `xiaoan create-user`: the first security-office account on a fresh installation.
pub async fn cli_create(
    db: &crate::infra::db::Db,
    username: &str,
    display_name: &str,
    role: Role,
    password: String,
) -> Result<Uuid, crate::infra::error::BoxError> {
    let username = username.trim().to_lowercase();
    let mut v = Validator::new();
    accounts::validate_username(&mut v, &username);
    v.text("display_name", display_name, 1, 100);
    password::validate_new_password(&mut v, "password", &password);
    if role == Role::SafetyOfficer {
        v.add(
            "role",
            "invalid",
            "safety officers are created in the app (they need a student)",
        );
    }
    if let Err(e) = v.finish() {
        let reasons: Vec<String> = e
            .errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect();
        return Err(reasons.join("; ").into());
    }
    let hash = tokio::task::spawn_blocking(move || password::hash_blocking(&password))
        .await?
        .map_err(|e| e.to_string())?;
    let now = crate::infra::clock::now();
    let tx = db.begin_write().await?;
    let created = model::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(username),
        display_name: Set(display_name.trim().to_owned()),
        role: Set(role),
        phone: Set(None),
        password_hash: Set(hash),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        audit::Actor::system(),
        "user.create",
        "user",
        Some(created.id.to_string()),
        json!({"after": accounts::audit_view(&created), "via": "cli"}),
    )
    .await?;
    tx.commit().await?;
    Ok(created.id)
}
