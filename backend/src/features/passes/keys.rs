//! The pass signing keys: made on first start, rotated by `xiaoan rotate-pass-key`, published
//! while any pass they signed is still valid. They live in the database (not a file) so that
//! every replica over one PostgreSQL signs and verifies with the same keys. The seeds (and
//! the server secrets in `gate_secrets`) are stored sealed under the master key
//! (`keys::MasterKey`), so a copy of the database alone cannot sign a pass.

use super::model::{leave_pass, secret, signing_key};
use super::token::{self, KID_LEN};
use crate::infra::error::BoxError;
use crate::infra::error::{ApiError, AppResult};
use crate::infra::keys::{MasterKey, OpenError};
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

/// What a seed is sealed to: its own row, so a sealed seed moved to another kid does not open.
pub fn seed_context(kid: &str) -> String {
    format!("pass_signing_key:{kid}")
}

/// What a server secret is sealed to.
pub fn secret_context(name: &str) -> String {
    format!("gate_secret:{name}")
}

/// The seed of a key row, opened with the master key. A plain seed (stored by a version
/// before encryption at rest, sealed at the next start) is still read.
fn open_seed(master: &MasterKey, row: &signing_key::Model) -> AppResult<[u8; 32]> {
    match master.open(&seed_context(&row.kid), &row.private_key) {
        Ok(seed) => seed.try_into().map_err(|_| {
            tracing::error!("a pass signing key in the database is corrupt");
            ApiError::internal()
        }),
        Err(OpenError::Plain) => decode32(&row.private_key),
        Err(e) => {
            tracing::error!(error = %e, "cannot open the pass signing key");
            Err(ApiError::internal())
        }
    }
}

fn new_key_row(master: &MasterKey) -> Result<signing_key::ActiveModel, BoxError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let mut kid = [0u8; KID_LEN];
    getrandom::fill(&mut kid).map_err(|e| format!("no randomness: {e}"))?;
    let sk = SigningKey::from_bytes(&seed);
    let kid = token::kid_to_string(&kid);
    let sealed = master.seal(&seed_context(&kid), &seed)?;
    Ok(signing_key::ActiveModel {
        kid: Set(kid),
        public_key: Set(URL_SAFE_NO_PAD.encode(sk.verifying_key().to_bytes())),
        private_key: Set(sealed),
        created_at: Set(crate::infra::clock::now()),
        retired_at: Set(None),
    })
}

/// Seals what an older version stored in clear and checks that every sealed secret opens
/// with this master key (a wrong key stops the start, with a message saying so), then makes
/// the first signing key when there is none in use (first start).
pub async fn ensure_signing_key(db: &crate::infra::db::Db) -> Result<(), BoxError> {
    let tx = db.begin_write().await?;
    let sealed = reseal_on(&*tx, &db.master_key, None).await?;
    if sealed > 0 {
        tracing::info!(
            count = sealed,
            "secrets stored in clear sealed under the master key"
        );
    }
    ensure_signing_key_on(&*tx, &db.master_key).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens every stored secret with `old` and stores it sealed with `new` (master-key
/// rotation); with `new` = `None` only plain secrets (from before encryption at rest) are
/// sealed, with `old`: the idempotent data migration run on every start, which also proves
/// the key right. Fails on the first secret `old` does not open.
pub async fn reseal_on(
    db: &impl ConnectionTrait,
    old: &MasterKey,
    new: Option<&MasterKey>,
) -> Result<usize, BoxError> {
    let target = new.unwrap_or(old);
    let mut changed = 0;
    for row in signing_key::Entity::find().all(db).await? {
        let ctx = seed_context(&row.kid);
        let seed = match old.open(&ctx, &row.private_key) {
            Ok(_) if new.is_none() => continue,
            Ok(seed) => seed,
            Err(OpenError::Plain) => decode32(&row.private_key)
                .map_err(|_| "a pass signing key in the database is corrupt")?
                .to_vec(),
            Err(e) => return Err(e.into()),
        };
        let mut active: signing_key::ActiveModel = row.into();
        active.private_key = Set(target.seal(&ctx, &seed)?);
        active.update(db).await?;
        changed += 1;
    }
    for row in secret::Entity::find().all(db).await? {
        let ctx = secret_context(&row.name);
        let plain = match old.open(&ctx, &row.secret) {
            Ok(_) if new.is_none() => continue,
            Ok(plain) => plain,
            Err(OpenError::Plain) => row.secret.clone().into_bytes(),
            Err(e) => return Err(e.into()),
        };
        let mut active: secret::ActiveModel = row.into();
        active.secret = Set(target.seal(&ctx, &plain)?);
        active.update(db).await?;
        changed += 1;
    }
    // Channel URLs and secrets (信息推送) are sealed under the same key.
    changed += crate::features::channels::reseal_on(db, old, new).await?;
    Ok(changed)
}

/// The same, inside a caller's transaction.
pub async fn ensure_signing_key_on(
    db: &impl ConnectionTrait,
    master: &MasterKey,
) -> Result<(), BoxError> {
    let any = signing_key::Entity::find()
        .filter(signing_key::Column::RetiredAt.is_null())
        .one(db)
        .await?;
    if any.is_none() {
        let row = new_key_row(master)?.insert(db).await?;
        crate::features::audit::record(
            db,
            crate::features::audit::Actor::system(),
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
pub async fn rotate(db: &crate::infra::db::Db) -> Result<String, BoxError> {
    let tx = db.begin_write().await?;
    let now = crate::infra::clock::now();
    signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(signing_key::Column::RetiredAt.is_null())
        .exec(&*tx)
        .await?;
    let row = new_key_row(&db.master_key)?.insert(&*tx).await?;
    crate::features::audit::record(
        &*tx,
        crate::features::audit::Actor::system(),
        "pass_key.rotate",
        "pass_signing_key",
        Some(row.kid.clone()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(row.kid)
}

/// `xiaoan rotate-master-key`: seals every stored secret under a new master key in one
/// transaction. With the key in `<data_dir>/master.key`, the new key is written beside it
/// first (`master.key.new`, 0600) and moved over it after the commit, so that at every instant
/// one of the two files opens the database; returns `None`. With `XIAOAN_MASTER_KEY`, returns
/// the new key (base64) for the operator to configure.
pub async fn rotate_master_key(
    settings: &crate::infra::config::Settings,
    db: &crate::infra::db::Db,
) -> Result<Option<String>, BoxError> {
    let (new, text) = MasterKey::generate()?;
    let file = crate::infra::keys::master_key_path(settings);
    let staged = file.with_extension("key.new");
    let from_file = settings.master_key.is_none();
    if from_file {
        if staged.exists() {
            return Err(format!(
                "{} exists: an earlier rotation was interrupted. If the server starts with {}, \
                 remove it; otherwise the database is sealed with it: move it over {}",
                staged.display(),
                file.display(),
                file.display()
            )
            .into());
        }
        crate::infra::keys::write_private(&staged, text.as_bytes())?;
    }
    let tx = db.begin_write().await?;
    let count = match reseal_on(&*tx, &db.master_key, Some(&new)).await {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    crate::features::audit::record(
        &*tx,
        crate::features::audit::Actor::system(),
        "master_key.rotate",
        "master_key",
        None,
        serde_json::json!({ "secrets": count }),
    )
    .await?;
    if let Err(e) = tx.commit().await {
        let _ = std::fs::remove_file(&staged);
        return Err(e.into());
    }
    if from_file {
        std::fs::rename(&staged, &file)?;
        Ok(None)
    } else {
        Ok(Some(text))
    }
}

/// The key new passes are signed with: the newest one in use.
pub async fn active_signing_key(
    db: &impl ConnectionTrait,
    master: &MasterKey,
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
    Ok((kid, SigningKey::from_bytes(&open_seed(master, &row)?)))
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
