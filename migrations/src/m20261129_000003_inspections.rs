//! Inspection templates (versioned), submissions and spot-checks, hazards (隐患) with their
//! rectification history, and photo attachments.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum InspectionTemplates {
    Table,
    Id,
    Code,
    Version,
    IsCurrent,
    IsActive,
    IsBuiltin,
    Name,
    NameEn,
    Description,
    Category,
    TargetKind,
    SubmitterRole,
    Frequency,
    Items,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InspectionSubmissions {
    Table,
    Id,
    TemplateId,
    TemplateCode,
    Kind,
    TargetKind,
    ClassId,
    Location,
    TargetKey,
    Period,
    Slot,
    Version,
    RootId,
    IsCurrent,
    SupersededById,
    SubmittedBy,
    SubmittedAt,
    IsLate,
    Score,
    PassedCount,
    FailedCount,
    NaCount,
    DiscrepancyCount,
    Discrepancies,
    Answers,
    Note,
}

#[derive(DeriveIden)]
enum Hazards {
    Table,
    Id,
    Category,
    Location,
    Description,
    ClassId,
    Source,
    SubmissionId,
    ItemKey,
    PhotoIds,
    Status,
    ReportedBy,
    ReportedAt,
    OwnerId,
    Deadline,
    AssignedBy,
    AssignedAt,
    RectifiedBy,
    RectifiedAt,
    Rectification,
    RectificationPhotoIds,
    VerifiedBy,
    ClosedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HazardEvents {
    Table,
    Id,
    HazardId,
    At,
    ActorId,
    Action,
    FromStatus,
    ToStatus,
    Note,
    Details,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    UploadedBy,
    UploadedAt,
    ContentType,
    SizeBytes,
    Width,
    Height,
    Sha256,
    FileName,
    ThumbName,
    LinkedKind,
    LinkedId,
}

fn uuid_pk<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().primary_key().take()
}

fn ts<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

fn ts_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

fn fk_user<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<Alias>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create().name(name).table(table).to_owned();
    for c in cols {
        idx.col(c);
    }
    if unique {
        idx.unique();
    }
    manager.create_index(idx).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InspectionTemplates::Table)
                    .col(uuid_pk(InspectionTemplates::Id))
                    .col(
                        ColumnDef::new(InspectionTemplates::Code)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::IsCurrent)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::IsActive)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::IsBuiltin)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::NameEn)
                            .string_len(100)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::Description)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::Category)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::TargetKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::SubmitterRole)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionTemplates::Frequency)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(InspectionTemplates::Items).text().not_null())
                    .col(ColumnDef::new(InspectionTemplates::CreatedBy).uuid().null())
                    .col(ts(InspectionTemplates::CreatedAt))
                    .foreign_key(&mut fk_user(
                        InspectionTemplates::Table,
                        InspectionTemplates::CreatedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "uq_inspection_templates_code_version",
            InspectionTemplates::Table,
            vec![Alias::new("code"), Alias::new("version")],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(InspectionSubmissions::Table)
                    .col(uuid_pk(InspectionSubmissions::Id))
                    .col(
                        ColumnDef::new(InspectionSubmissions::TemplateId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::TemplateCode)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::TargetKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(InspectionSubmissions::ClassId).uuid().null())
                    .col(
                        ColumnDef::new(InspectionSubmissions::Location)
                            .string_len(100)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::TargetKey)
                            .string_len(140)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Period)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Slot)
                            .string_len(48)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::RootId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::IsCurrent)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::SupersededById)
                            .uuid()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::SubmittedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(ts(InspectionSubmissions::SubmittedAt))
                    .col(
                        ColumnDef::new(InspectionSubmissions::IsLate)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Score)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::PassedCount)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::FailedCount)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::NaCount)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::DiscrepancyCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Discrepancies)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(InspectionSubmissions::Answers)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(InspectionSubmissions::Note).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                InspectionSubmissions::Table,
                                InspectionSubmissions::TemplateId,
                            )
                            .to(InspectionTemplates::Table, InspectionTemplates::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InspectionSubmissions::Table, InspectionSubmissions::ClassId)
                            .to(Classes::Table, Classes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(&mut fk_user(
                        InspectionSubmissions::Table,
                        InspectionSubmissions::SubmittedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        // One self-check per template, target and period; each amendment is the next version.
        // Spot-checks get a slot of their own, so several may check the same class.
        index(
            manager,
            "uq_inspection_submissions_slot_version",
            InspectionSubmissions::Table,
            vec![
                Alias::new("template_code"),
                Alias::new("target_key"),
                Alias::new("period"),
                Alias::new("slot"),
                Alias::new("version"),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "idx_inspection_submissions_period",
            InspectionSubmissions::Table,
            vec![Alias::new("period"), Alias::new("template_code")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Hazards::Table)
                    .col(uuid_pk(Hazards::Id))
                    .col(ColumnDef::new(Hazards::Category).string_len(32).not_null())
                    .col(ColumnDef::new(Hazards::Location).string_len(100).not_null())
                    .col(ColumnDef::new(Hazards::Description).text().not_null())
                    .col(ColumnDef::new(Hazards::ClassId).uuid().null())
                    .col(ColumnDef::new(Hazards::Source).string_len(16).not_null())
                    .col(ColumnDef::new(Hazards::SubmissionId).uuid().null())
                    .col(ColumnDef::new(Hazards::ItemKey).string_len(32).null())
                    .col(ColumnDef::new(Hazards::PhotoIds).text().not_null())
                    .col(ColumnDef::new(Hazards::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Hazards::ReportedBy).uuid().not_null())
                    .col(ts(Hazards::ReportedAt))
                    .col(ColumnDef::new(Hazards::OwnerId).uuid().null())
                    .col(ColumnDef::new(Hazards::Deadline).string_len(10).null())
                    .col(ColumnDef::new(Hazards::AssignedBy).uuid().null())
                    .col(ts_null(Hazards::AssignedAt))
                    .col(ColumnDef::new(Hazards::RectifiedBy).uuid().null())
                    .col(ts_null(Hazards::RectifiedAt))
                    .col(ColumnDef::new(Hazards::Rectification).text().null())
                    .col(
                        ColumnDef::new(Hazards::RectificationPhotoIds)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Hazards::VerifiedBy).uuid().null())
                    .col(ts_null(Hazards::ClosedAt))
                    .col(ts(Hazards::UpdatedAt))
                    .foreign_key(&mut fk_user(Hazards::Table, Hazards::ReportedBy))
                    .foreign_key(&mut fk_user(Hazards::Table, Hazards::OwnerId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Hazards::Table, Hazards::ClassId)
                            .to(Classes::Table, Classes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Hazards::Table, Hazards::SubmissionId)
                            .to(InspectionSubmissions::Table, InspectionSubmissions::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_hazards_status_deadline",
            Hazards::Table,
            vec![Alias::new("status"), Alias::new("deadline")],
            false,
        )
        .await?;
        index(
            manager,
            "idx_hazards_owner",
            Hazards::Table,
            vec![Alias::new("owner_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(HazardEvents::Table)
                    .col(uuid_pk(HazardEvents::Id))
                    .col(ColumnDef::new(HazardEvents::HazardId).uuid().not_null())
                    .col(ts(HazardEvents::At))
                    .col(ColumnDef::new(HazardEvents::ActorId).uuid().not_null())
                    .col(
                        ColumnDef::new(HazardEvents::Action)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HazardEvents::FromStatus)
                            .string_len(16)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(HazardEvents::ToStatus)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(HazardEvents::Note).text().null())
                    .col(ColumnDef::new(HazardEvents::Details).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(HazardEvents::Table, HazardEvents::HazardId)
                            .to(Hazards::Table, Hazards::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk_user(HazardEvents::Table, HazardEvents::ActorId))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_hazard_events_hazard",
            HazardEvents::Table,
            vec![Alias::new("hazard_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(uuid_pk(Attachments::Id))
                    .col(ColumnDef::new(Attachments::UploadedBy).uuid().not_null())
                    .col(ts(Attachments::UploadedAt))
                    .col(
                        ColumnDef::new(Attachments::ContentType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Attachments::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Attachments::Width).integer().not_null())
                    .col(ColumnDef::new(Attachments::Height).integer().not_null())
                    .col(
                        ColumnDef::new(Attachments::Sha256)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Attachments::FileName)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Attachments::ThumbName)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Attachments::LinkedKind)
                            .string_len(16)
                            .null(),
                    )
                    .col(ColumnDef::new(Attachments::LinkedId).uuid().null())
                    .foreign_key(&mut fk_user(Attachments::Table, Attachments::UploadedBy))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_attachments_linked",
            Attachments::Table,
            vec![Alias::new("linked_kind"), Alias::new("linked_id")],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Attachments::Table.into_iden(),
            HazardEvents::Table.into_iden(),
            Hazards::Table.into_iden(),
            InspectionSubmissions::Table.into_iden(),
            InspectionTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
