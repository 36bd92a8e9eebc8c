//! Evacuation head-counts (应急疏散演练 清点人数): one per drill or real evacuation, a row per
//! class that its teacher (or the office, in person) reports with a version, and the receipts
//! of client report ids that make a retried report harmless.

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
enum Activities {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Headcounts {
    Table,
    Id,
    Kind,
    Title,
    ActivityId,
    Status,
    StartedAt,
    StartedBy,
    ClosedAt,
    ClosedBy,
    Note,
}

#[derive(DeriveIden)]
enum HeadcountClasses {
    Table,
    Id,
    HeadcountId,
    ClassId,
    ClassName,
    Expected,
    Status,
    Present,
    Absent,
    Injured,
    Version,
    ReportedAt,
    ReportedBy,
    Source,
    AccountedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HeadcountReceipts {
    Table,
    ClientReportId,
    HeadcountId,
    ClassId,
    Version,
    ReceivedAt,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Headcounts::Table)
                    .col(
                        ColumnDef::new(Headcounts::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Headcounts::Kind).string_len(20).not_null())
                    .col(ColumnDef::new(Headcounts::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Headcounts::ActivityId).uuid().null())
                    .col(ColumnDef::new(Headcounts::Status).string_len(20).not_null())
                    .col(ts(Headcounts::StartedAt))
                    .col(ColumnDef::new(Headcounts::StartedBy).uuid().not_null())
                    .col(ts_null(Headcounts::ClosedAt))
                    .col(ColumnDef::new(Headcounts::ClosedBy).uuid().null())
                    .col(
                        ColumnDef::new(Headcounts::Note)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Headcounts::Table, Headcounts::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Headcounts::Table, Headcounts::StartedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_headcounts_started")
                    .table(Headcounts::Table)
                    .col(Headcounts::StartedAt)
                    .col(Headcounts::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_headcounts_activity")
                    .table(Headcounts::Table)
                    .col(Headcounts::ActivityId)
                    .to_owned(),
            )
            .await?;
        // At most one head-count open at a time, decided by the database even when two
        // office phones start one at once. Both SQLite and PostgreSQL take partial indexes.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_headcounts_one_open ON headcounts (status) \
                 WHERE status = 'open'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HeadcountClasses::Table)
                    .col(
                        ColumnDef::new(HeadcountClasses::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::HeadcountId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(HeadcountClasses::ClassId).uuid().not_null())
                    .col(
                        ColumnDef::new(HeadcountClasses::ClassName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::Expected)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::Status)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::Present)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::Absent)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::Injured)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .col(
                        ColumnDef::new(HeadcountClasses::Version)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(HeadcountClasses::ReportedAt))
                    .col(ColumnDef::new(HeadcountClasses::ReportedBy).uuid().null())
                    .col(
                        ColumnDef::new(HeadcountClasses::Source)
                            .string_len(20)
                            .null(),
                    )
                    .col(ts_null(HeadcountClasses::AccountedAt))
                    .col(ts(HeadcountClasses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HeadcountClasses::Table, HeadcountClasses::HeadcountId)
                            .to(Headcounts::Table, Headcounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(HeadcountClasses::Table, HeadcountClasses::ClassId)
                            .to(Classes::Table, Classes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_headcount_classes_one")
                    .table(HeadcountClasses::Table)
                    .col(HeadcountClasses::HeadcountId)
                    .col(HeadcountClasses::ClassId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HeadcountReceipts::Table)
                    .col(
                        ColumnDef::new(HeadcountReceipts::ClientReportId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(HeadcountReceipts::HeadcountId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(HeadcountReceipts::ClassId).uuid().not_null())
                    .col(
                        ColumnDef::new(HeadcountReceipts::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(HeadcountReceipts::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HeadcountReceipts::Table, HeadcountReceipts::HeadcountId)
                            .to(Headcounts::Table, Headcounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            HeadcountReceipts::Table.into_iden(),
            HeadcountClasses::Table.into_iden(),
            Headcounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
