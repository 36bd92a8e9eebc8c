//! Sign-in sessions and rotating refresh tokens. A session is one refresh-token family: each
//! refresh spends a token and issues the next; presenting a spent token again revokes the
//! whole family (someone copied it), and so does signing out.

use super::session_model::{refresh_token, session};
use crate::infra::clock::now;
use crate::infra::error::{ApiError, AppResult};
use crate::infra::util::{random_token, sha256_hex};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub struct NewTokens {
    pub session_id: Uuid,
    pub refresh_token: String,
}

fn new_refresh_token() -> AppResult<String> {
    random_token(32).map_err(|_| ApiError::internal())
}

pub async fn start(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    ttl_days: i64,
) -> AppResult<NewTokens> {
    let now = now();
    let session_id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(ttl_days)),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    let token = issue_refresh(db, session_id, now + Duration::days(ttl_days)).await?;
    Ok(NewTokens {
        session_id,
        refresh_token: token,
    })
}

async fn issue_refresh(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> AppResult<String> {
    let token = new_refresh_token()?;
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(sha256_hex(&token)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub enum RotateOutcome {
    Rotated {
        user_id: Uuid,
        tokens: NewTokens,
    },
    /// The token had been spent before: the family is now revoked.
    Reused,
    Invalid,
}

/// Spends `presented` and issues its successor in the same session.
pub async fn rotate(db: &impl ConnectionTrait, presented: &str) -> AppResult<RotateOutcome> {
    let now = now();
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(sha256_hex(presented)))
        .one(db)
        .await?
    else {
        return Ok(RotateOutcome::Invalid);
    };
    let Some(sess) = session::Entity::find_by_id(row.session_id).one(db).await? else {
        return Ok(RotateOutcome::Invalid);
    };
    if sess.revoked_at.is_some() {
        return Ok(if row.used_at.is_some() {
            RotateOutcome::Reused
        } else {
            RotateOutcome::Invalid
        });
    }
    if row.used_at.is_some() {
        revoke(db, sess.id).await?;
        return Ok(RotateOutcome::Reused);
    }
    if row.expires_at <= now || sess.expires_at <= now {
        return Ok(RotateOutcome::Invalid);
    }
    // Spend it only if nobody spent it meanwhile: two racing refreshes cannot both win.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if spent.rows_affected != 1 {
        revoke(db, sess.id).await?;
        return Ok(RotateOutcome::Reused);
    }
    let token = issue_refresh(db, sess.id, sess.expires_at).await?;
    Ok(RotateOutcome::Rotated {
        user_id: sess.user_id,
        tokens: NewTokens {
            session_id: sess.id,
            refresh_token: token,
        },
    })
}

pub async fn revoke(db: &impl ConnectionTrait, session_id: Uuid) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (disabled, role changed, password changed).
pub async fn revoke_all_for_user(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<u64> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
