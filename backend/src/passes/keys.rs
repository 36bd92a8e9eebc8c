//! The pass signing keys: made on first start, rotated by `xiaoan rotate-pass-key`, published
//! while any pass they signed is still valid. They live in the database (not a file) so that
//! every replica over one PostgreSQL signs and verifies with the same keys.

use super::model::{leave_pass, signing_key};
use super::token::{self, KID_LEN};
use crate::app::BoxError;
use crate::error::{ApiError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use std::sync::RwLock;

/// Verification keys by kid, cached per server: a kid's public key never changes, so a
/// cached entry never goes stale (retiring a key only stops new signatures).
#[derive(Default)]
pub struct KeyCache(RwLock<HashMap<[u8; KID_LEN], VerifyingKey>>);

impl KeyCache {
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        kid: &[u8; KID_LEN],
    ) -> AppResult<Option<VerifyingKey>> {
        if let Ok(map) = self.0.read()
            && let Some(k) = map.get(kid)
        {
            return Ok(Some(*k));
        }
        let row = signing_key::Entity::find_by_id(token::kid_to_string(kid))
            .one(db)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let key = public_key(&row)?;
        if let Ok(mut map) = self.0.write() {
            map.insert(*kid, key);
        }
        Ok(Some(key))
    }
}

fn decode32(s: &str) -> AppResult<[u8; 32]> {
    URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            tracing::error!("a pass signing key in the database is corrupt");
            ApiError::internal()
        })
}

pub fn public_key(row: &signing_key::Model) -> AppResult<VerifyingKey> {
    VerifyingKey::from_bytes(&decode32(&row.public_key)?).map_err(|_| ApiError::internal())
}

fn new_key_row() -> Result<signing_key::ActiveModel, BoxError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let mut kid = [0u8; KID_LEN];
    getrandom::fill(&mut kid).map_err(|e| format!("no randomness: {e}"))?;
    let sk = SigningKey::from_bytes(&seed);
    Ok(signing_key::ActiveModel {
        kid: Set(token::kid_to_string(&kid)),
        public_key: Set(URL_SAFE_NO_PAD.encode(sk.verifying_key().to_bytes())),
        private_key: Set(URL_SAFE_NO_PAD.encode(seed)),
        created_at: Set(crate::util::now()),
        retired_at: Set(None),
    })
}

/// Makes the first signing key when there is none in use (first start).
pub async fn ensure_signing_key(db: &crate::db::Db) -> Result<(), BoxError> {
    let tx = db.begin_write().await?;
    ensure_signing_key_on(&*tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The same, inside a caller's transaction.
pub async fn ensure_signing_key_on(db: &impl ConnectionTrait) -> Result<(), BoxError> {
    let any = signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .one(db)
        .await?;
    if any.is_none() {
        let row = new_key_row()?.insert(db).await?;
        crate::audit::record(
            db,
            crate::audit::Actor::system(),
            "pass_key.create",
            "pass_signing_key",
            Some(row.kid),
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(())
}

/// Adds a new signing key and retires the ones in use; passes they signed stay verifiable.
pub async fn rotate(db: &crate::db::Db) -> Result<String, BoxError> {
    let tx = db.begin_write().await?;
    let now = crate::util::now();
    signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(&*tx)
        .await?;
    let row = new_key_row()?.insert(&*tx).await?;
    crate::audit::record(
        &*tx,
        crate::audit::Actor::system(),
        "pass_key.rotate",
        "pass_signing_key",
        Some(row.kid.clone()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(row.kid)
}

/// The key new passes are signed with: the newest one in use.
pub async fn active_signing_key(
    db: &impl ConnectionTrait,
) -> AppResult<([u8; KID_LEN], SigningKey)> {
    let row = signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .order_by_desc(signing_key::Column::CreatedAt)
        .one(db)
        .await?
        .ok_or_else(|| {
            tracing::error!("no pass signing key: run `xiaoan rotate-pass-key`");
            ApiError::internal()
        })?;
    let kid = token::kid_from_str(&row.kid).ok_or_else(ApiError::internal)?;
    Ok((kid, SigningKey::from_bytes(&decode32(&row.private_key)?)))
}

/// Keys a phone needs: those in use, and retired ones that signed a pass still valid.
pub async fn published(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<signing_key::Model>> {
    let live_kids: Vec<String> = leave_pass::Entity::find()
        .select_only()
        .column(leave_pass::Column::Kid)
        .distinct()
        .filter(leave_pass::Column::ValidUntil.gt(now))
        .into_tuple()
        .all(db)
        .await?;
    Ok(signing_key::Entity::find()
        .filter(
            Condition::any()
                .add(signing_key::Column::RetiredAt.is_null())
                .add(signing_key::Column::Kid.is_in(live_kids)),
        )
        .order_by_desc(signing_key::Column::CreatedAt)
        .all(db)
        .await?)
}
