//! Who may see a linked photo is the owning feature's decision. Each owner answers through
//! [`AttachmentOwner`], registered per link kind at startup (in `app/`), so attachments
//! imports none of them.

use super::model::LinkKind;
use crate::auth::extract::CurrentUser;
use crate::infra::error::AppResult;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The photo asked for and the record it is linked to.
#[derive(Debug, Clone, Copy)]
pub struct Linked {
    pub kind: LinkKind,
    pub record_id: Uuid,
    pub attachment_id: Uuid,
}

/// A feature that decides whether a user may see photos linked to its records.
pub trait AttachmentOwner: Send + Sync + 'static {
    fn may_view<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>>;
}

/// The owners by link kind. A photo may be seen when any owner registered for its kind says
/// so (a failed item's photo is also shown on the hazard it raised).
#[derive(Default)]
pub struct Owners {
    by_kind: HashMap<LinkKind, Vec<Box<dyn AttachmentOwner>>>,
}

impl Owners {
    pub fn register(mut self, kind: LinkKind, owner: impl AttachmentOwner) -> Self {
        self.by_kind.entry(kind).or_default().push(Box::new(owner));
        self
    }

    /// `None` when no owner answers for the kind (the photo is then treated as unlinked).
    pub async fn may_view(
        &self,
        db: &DatabaseConnection,
        user: &CurrentUser,
        photo: Linked,
    ) -> AppResult<Option<bool>> {
        let Some(owners) = self.by_kind.get(&photo.kind) else {
            return Ok(None);
        };
        for owner in owners {
            if owner.may_view(db, user, photo).await? {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }
}
