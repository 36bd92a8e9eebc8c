//! Safety-education platform figures (per month and class, optionally per student) and the
//! office's settings for the platform threshold and the assessment weights.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Students {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PlatformFigures {
    Table,
    Id,
    Month,
    ClassId,
    Completed,
    ClassSize,
    Source,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlatformEntries {
    Table,
    Id,
    FigureId,
    StudentId,
    Completed,
}

#[derive(DeriveIden)]
enum SafetySettings {
    Table,
    Key,
    Value,
    UpdatedBy,
    UpdatedAt,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlatformFigures::Table)
                    .col(uuid_pk(PlatformFigures::Id))
                    .col(
                        ColumnDef::new(PlatformFigures::Month)
                            .string_len(7)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PlatformFigures::ClassId).uuid().not_null())
                    .col(
                        ColumnDef::new(PlatformFigures::Completed)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlatformFigures::ClassSize)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlatformFigures::Source)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PlatformFigures::UpdatedBy).uuid().null())
                    .col(ts(PlatformFigures::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlatformFigures::Table, PlatformFigures::ClassId)
                            .to(Classes::Table, Classes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_platform_figures_month_class")
                    .table(PlatformFigures::Table)
                    .col(PlatformFigures::Month)
                    .col(PlatformFigures::ClassId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlatformEntries::Table)
                    .col(uuid_pk(PlatformEntries::Id))
                    .col(ColumnDef::new(PlatformEntries::FigureId).uuid().not_null())
                    .col(ColumnDef::new(PlatformEntries::StudentId).uuid().not_null())
                    .col(
                        ColumnDef::new(PlatformEntries::Completed)
                            .boolean()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlatformEntries::Table, PlatformEntries::FigureId)
                            .to(PlatformFigures::Table, PlatformFigures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlatformEntries::Table, PlatformEntries::StudentId)
                            .to(Students::Table, Students::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_platform_entries_figure_student")
                    .table(PlatformEntries::Table)
                    .col(PlatformEntries::FigureId)
                    .col(PlatformEntries::StudentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SafetySettings::Table)
                    .col(
                        ColumnDef::new(SafetySettings::Key)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SafetySettings::Value).text().not_null())
                    .col(ColumnDef::new(SafetySettings::UpdatedBy).uuid().null())
                    .col(ts(SafetySettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SafetySettings::Table.into_iden(),
            PlatformEntries::Table.into_iden(),
            PlatformFigures::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
