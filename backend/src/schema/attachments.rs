use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTimeUtc,
    pub content_type: String,
    pub size_bytes: i64,
    pub width: i32,
    pub height: i32,
    pub sha256: String,
    /// File name under the attachments directory (never a user-supplied name).
    pub file_name: String,
    pub thumb_name: String,
    /// `submission` (linked to the first version of a submission) or `hazard`; `None` while
    /// the upload is not yet referenced by any record.
    pub linked_kind: Option<String>,
    pub linked_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
