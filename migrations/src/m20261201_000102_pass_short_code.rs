//! Each leave pass gets a short manual code (8 characters, no look-alikes) that a guard can
//! type when the QR will not scan; the database keeps codes unique.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LeavePasses {
    Table,
    ShortCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LeavePasses::Table)
                    .add_column(ColumnDef::new(LeavePasses::ShortCode).string_len(8).null())
                    .to_owned(),
            )
            .await?;
        // Unique for good, not only while valid: a code never points at two passes, and the
        // space (31^8) is large enough that issuing never runs out.
        manager
            .create_index(
                Index::create()
                    .name("idx_leave_passes_short_code")
                    .table(LeavePasses::Table)
                    .col(LeavePasses::ShortCode)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_leave_passes_short_code")
                    .table(LeavePasses::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LeavePasses::Table)
                    .drop_column(LeavePasses::ShortCode)
                    .to_owned(),
            )
            .await
    }
}
