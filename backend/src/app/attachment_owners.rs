//! Which feature decides who may see a linked photo, per link kind. Attachments asks through
//! this registry instead of importing its owners.

use crate::auth::extract::CurrentUser;
use crate::features::attachments::{AttachmentOwner, LinkKind, Linked, Owners};
use crate::features::{articles, duties, fire, hazards, inspections};
use crate::infra::error::AppResult;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;

/// A submission's photos: whoever may see the submission (linked to its first version).
struct Submissions;
impl AttachmentOwner for Submissions {
    fn may_view<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>> {
        Box::pin(inspections::may_view_submission_root(
            db,
            user,
            photo.record_id,
        ))
    }
}

/// A hazard's own photos: whoever may see the hazard.
struct Hazards;
impl AttachmentOwner for Hazards {
    fn may_view<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>> {
        Box::pin(hazards::may_view_hazard_id(db, user, photo.record_id))
    }
}

/// A photo shown on a hazard it raised (a failed item's or check's photo): whoever may see
/// that hazard, even if not the record the photo belongs to.
struct HazardPhotos;
impl AttachmentOwner for HazardPhotos {
    fn may_view<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>> {
        Box::pin(hazards::may_view_hazard_with_photo(
            db,
            user,
            photo.attachment_id,
        ))
    }
}

/// Fire checks: whoever reads the fire registry.
struct FireChecks;
impl AttachmentOwner for FireChecks {
    fn may_view<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        _photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>> {
        Box::pin(std::future::ready(Ok(fire::may_read(user))))
    }
}

/// An article's pictures: the office and the principal (the public sees a published
/// article's through the public page).
struct Articles;
impl AttachmentOwner for Articles {
    fn may_view<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        _photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>> {
        Box::pin(std::future::ready(Ok(articles::may_read(user))))
    }
}

/// A rule version's PDF: whoever reads the rules library (staff).
struct RulePdfs;
impl AttachmentOwner for RulePdfs {
    fn may_view<'a>(
        &'a self,
        _db: &'a DatabaseConnection,
        user: &'a CurrentUser,
        _photo: Linked,
    ) -> BoxFuture<'a, AppResult<bool>> {
        Box::pin(std::future::ready(Ok(duties::may_read_rules(user))))
    }
}

pub fn owners() -> Owners {
    Owners::default()
        .register(LinkKind::Submission, Submissions)
        .register(LinkKind::Submission, HazardPhotos)
        .register(LinkKind::Hazard, Hazards)
        .register(LinkKind::FireCheck, FireChecks)
        .register(LinkKind::FireCheck, HazardPhotos)
        .register(LinkKind::Article, Articles)
        .register(LinkKind::RuleVersion, RulePdfs)
}
