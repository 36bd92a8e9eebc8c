//! The audit writer: every write records who, what, when and the change, in the same
//! transaction as the write. Reading the trail back is the `audit` feature's.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

/// The `audit_log` table. It lives beside its writer because infrastructure imports no
/// layer above it; `schema::audit` re-exports it.
pub mod model {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub occurred_at: DateTimeUtc,
        pub actor_user_id: Option<Uuid>,
        pub actor_api_key_id: Option<Uuid>,
        pub action: String,
        pub entity_type: String,
        pub entity_id: Option<String>,
        /// JSON text: the change (fields before/after, or what was created).
        #[sea_orm(column_type = "Text")]
        pub changes: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Who made a change: a person, an integration key, or the system (CLI, demo loader).
#[derive(Clone, Copy, Debug, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
}

impl Actor {
    pub fn user(id: Uuid) -> Self {
        Self {
            user_id: Some(id),
            api_key_id: None,
        }
    }
    pub fn api_key(id: Uuid) -> Self {
        Self {
            user_id: None,
            api_key_id: Some(id),
        }
    }
    pub fn system() -> Self {
        Self::default()
    }
}

/// Records one change. Call it inside the write's transaction so both land or neither does.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
    changes: serde_json::Value,
) -> Result<(), DbErr> {
    entry(actor, action, entity_type, entity_id, changes)
        .insert(db)
        .await?;
    Ok(())
}

/// One audit row, not yet written: for writers that insert many rows in one statement (the
/// gate's group commit). Write it in the same transaction as the change it records.
pub fn entry(
    actor: Actor,
    action: &str,
    entity_type: &str,
    entity_id: Option<String>,
    changes: serde_json::Value,
) -> model::ActiveModel {
    model::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(crate::infra::clock::now()),
        actor_user_id: Set(actor.user_id),
        actor_api_key_id: Set(actor.api_key_id),
        action: Set(action.to_owned()),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        changes: Set(changes.to_string()),
    }
}
