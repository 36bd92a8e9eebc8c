//! Who acted in a page of audit entries.

use super::model;
use crate::infra::error::AppResult;
use crate::schema::users::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Names of the people and keys that acted in one page of entries (two queries per page, not
/// one per row).
pub struct ActorNames {
    users: HashMap<Uuid, (String, Role)>,
    keys: HashMap<Uuid, String>,
}

impl ActorNames {
    pub fn of(&self, r: &model::Model) -> (Option<String>, Option<Role>) {
        if let Some((name, role)) = r.actor_user_id.and_then(|u| self.users.get(&u)) {
            return (Some(name.clone()), Some(*role));
        }
        (
            r.actor_api_key_id.and_then(|k| self.keys.get(&k).cloned()),
            None,
        )
    }
}

pub async fn actor_names(
    db: &impl ConnectionTrait,
    rows: &[model::Model],
) -> AppResult<ActorNames> {
    use crate::schema::api_keys as key;
    use crate::schema::users as user;
    let user_ids: HashSet<Uuid> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    let key_ids: HashSet<Uuid> = rows.iter().filter_map(|r| r.actor_api_key_id).collect();
    let users = if user_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, (u.display_name, u.role)))
            .collect()
    };
    let keys = if key_ids.is_empty() {
        HashMap::new()
    } else {
        key::Entity::find()
            .filter(key::Column::Id.is_in(key_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|k| (k.id, k.name))
            .collect()
    };
    Ok(ActorNames { users, keys })
}
