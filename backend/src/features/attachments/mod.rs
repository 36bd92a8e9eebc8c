//! Photo attachments: upload (JPEG, PNG or WebP, checked by content), thumbnails, storage
//! under the attachments directory, and serving only to those who may see the linked record
//! (asked of the owning feature through [`AttachmentOwner`]); and PDF documents (a rule's
//! version), stored the same way and served by the feature that owns them.
//!
//! `image.rs` decides what an upload is from its bytes, `limits.rs` bounds uploads per
//! process, `store.rs` holds rows and files, `owners.rs` the visibility registry, `http.rs`
//! the API, `pdf.rs` the documents.

pub use crate::schema::attachments as model;

mod http;
mod image;
mod limits;
mod owners;
mod pdf;
mod store;

pub use limits::UploadLimits;
pub use model::LinkKind;
pub use owners::{AttachmentOwner, Linked, Owners};
pub use pdf::{DocumentResponse, MAX_PDF_BYTES, PDF, claim_pdf, disposition, pdfs_of, read_bytes};
pub use store::{claim, find};

pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Photos per record field (an item, a report, a rectification).
pub const MAX_PER_FIELD: usize = 9;

pub const LINK_SUBMISSION: LinkKind = LinkKind::Submission;
pub const LINK_HAZARD: LinkKind = LinkKind::Hazard;
pub const LINK_FIRE_CHECK: LinkKind = LinkKind::FireCheck;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::*;
    cfg.service(upload_attachment)
        .service(get_attachment)
        .service(get_attachment_thumbnail)
        .service(pdf::upload_pdf);
}
