//! 报送 as an action: each time the office sends a roster or a plan item to a channel, a row
//! naming the channel (its name kept, should the channel go), the delivery that carries it,
//! who and when, and the hash of the link the message gives to its XLSX / ICS.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportSends {
    Table,
    Id,
    SubjectKind,
    SubjectId,
    ChannelId,
    ChannelName,
    DeliveryId,
    EventId,
    LinkTokenHash,
    LinkExpiresAt,
    SentBy,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportSends::Table)
                    .col(
                        ColumnDef::new(ReportSends::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ReportSends::SubjectKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ReportSends::SubjectId).uuid().not_null())
                    // No foreign key: the report stays on record when a channel is removed.
                    .col(ColumnDef::new(ReportSends::ChannelId).uuid().not_null())
                    .col(
                        ColumnDef::new(ReportSends::ChannelName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ReportSends::DeliveryId).uuid().not_null())
                    .col(ColumnDef::new(ReportSends::EventId).uuid().not_null())
                    .col(
                        ColumnDef::new(ReportSends::LinkTokenHash)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ReportSends::LinkExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(ReportSends::SentBy).uuid().not_null())
                    .col(
                        ColumnDef::new(ReportSends::SentAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_sends_subject")
                    .table(ReportSends::Table)
                    .col(ReportSends::SubjectKind)
                    .col(ReportSends::SubjectId)
                    .col(ReportSends::SentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_sends_link")
                    .table(ReportSends::Table)
                    .col(ReportSends::LinkTokenHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportSends::Table).to_owned())
            .await
    }
}
