//! The semester plan (工作计划): its sections, monthly items and the evidence linked to them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Title,
    Semester,
    StartsOn,
    EndsOn,
    GuidingIdeology,
    GoalsAndPriorities,
    Measures,
    Status,
    ReturnComment,
    SubmittedAt,
    DecidedAt,
    DecidedBy,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlanItems {
    Table,
    Id,
    PlanId,
    Month,
    Seq,
    Title,
    Category,
    OwnerId,
    DueDate,
    ReportTo,
    Notify,
    Note,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlanEvidence {
    Table,
    Id,
    ItemId,
    EntityType,
    EntityId,
    Note,
    CreatedBy,
    CreatedAt,
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

fn date<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string_len(10).not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(uuid_pk(Plans::Id))
                    .col(ColumnDef::new(Plans::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Plans::Semester).string_len(32).not_null())
                    .col(date(Plans::StartsOn))
                    .col(date(Plans::EndsOn))
                    .col(ColumnDef::new(Plans::GuidingIdeology).text().not_null())
                    .col(ColumnDef::new(Plans::GoalsAndPriorities).text().not_null())
                    .col(ColumnDef::new(Plans::Measures).text().not_null())
                    .col(ColumnDef::new(Plans::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Plans::ReturnComment).text().null())
                    .col(ts_null(Plans::SubmittedAt))
                    .col(ts_null(Plans::DecidedAt))
                    .col(ColumnDef::new(Plans::DecidedBy).uuid().null())
                    .col(ColumnDef::new(Plans::CreatedBy).uuid().not_null())
                    .col(ts(Plans::CreatedAt))
                    .col(ts(Plans::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Plans::Table, Plans::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Plans::Table, Plans::DecidedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plans_semester")
                    .table(Plans::Table)
                    .col(Plans::Semester)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlanItems::Table)
                    .col(uuid_pk(PlanItems::Id))
                    .col(ColumnDef::new(PlanItems::PlanId).uuid().not_null())
                    .col(ColumnDef::new(PlanItems::Month).string_len(7).not_null())
                    .col(ColumnDef::new(PlanItems::Seq).integer().not_null())
                    .col(ColumnDef::new(PlanItems::Title).string_len(500).not_null())
                    .col(
                        ColumnDef::new(PlanItems::Category)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PlanItems::OwnerId).uuid().null())
                    .col(ColumnDef::new(PlanItems::DueDate).string_len(10).null())
                    .col(ColumnDef::new(PlanItems::ReportTo).string_len(200).null())
                    .col(ColumnDef::new(PlanItems::Notify).string_len(200).null())
                    .col(ColumnDef::new(PlanItems::Note).text().null())
                    .col(ColumnDef::new(PlanItems::Status).string_len(16).not_null())
                    .col(ts(PlanItems::CreatedAt))
                    .col(ts(PlanItems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanItems::Table, PlanItems::PlanId)
                            .to(Plans::Table, Plans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanItems::Table, PlanItems::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_items_plan")
                    .table(PlanItems::Table)
                    .col(PlanItems::PlanId)
                    .col(PlanItems::Month)
                    .col(PlanItems::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_items_owner_due")
                    .table(PlanItems::Table)
                    .col(PlanItems::OwnerId)
                    .col(PlanItems::DueDate)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlanEvidence::Table)
                    .col(uuid_pk(PlanEvidence::Id))
                    .col(ColumnDef::new(PlanEvidence::ItemId).uuid().not_null())
                    .col(
                        ColumnDef::new(PlanEvidence::EntityType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PlanEvidence::EntityId).uuid().not_null())
                    .col(ColumnDef::new(PlanEvidence::Note).string_len(500).null())
                    .col(ColumnDef::new(PlanEvidence::CreatedBy).uuid().null())
                    .col(ts(PlanEvidence::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanEvidence::Table, PlanEvidence::ItemId)
                            .to(PlanItems::Table, PlanItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_evidence_unique")
                    .table(PlanEvidence::Table)
                    .col(PlanEvidence::ItemId)
                    .col(PlanEvidence::EntityType)
                    .col(PlanEvidence::EntityId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_evidence_entity")
                    .table(PlanEvidence::Table)
                    .col(PlanEvidence::EntityType)
                    .col(PlanEvidence::EntityId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlanEvidence::Table.into_iden(),
            PlanItems::Table.into_iden(),
            Plans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
