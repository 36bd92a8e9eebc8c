//! The office's public page: articles (safety notices and education articles, published or
//! not) and the page's settings (which published duty rosters it shows, a duty phone per post).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Kind,
    Title,
    Body,
    PublishedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PublicPageSettings {
    Table,
    Id,
    DutyRosterIds,
    PhoneLeaderOnCall,
    PhoneDutyTeacher,
    PhoneGuard,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .col(ColumnDef::new(Articles::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Articles::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Articles::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Articles::Body).text().not_null())
                    // Set while published; cleared when the office takes it down.
                    .col(
                        ColumnDef::new(Articles::PublishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Articles::CreatedBy).uuid().null())
                    .col(
                        ColumnDef::new(Articles::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Articles::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_articles_published_at")
                    .table(Articles::Table)
                    .col(Articles::PublishedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PublicPageSettings::Table)
                    // One row, id 1.
                    .col(
                        ColumnDef::new(PublicPageSettings::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    // A JSON array of roster ids.
                    .col(
                        ColumnDef::new(PublicPageSettings::DutyRosterIds)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PublicPageSettings::PhoneLeaderOnCall)
                            .string_len(32)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PublicPageSettings::PhoneDutyTeacher)
                            .string_len(32)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PublicPageSettings::PhoneGuard)
                            .string_len(32)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PublicPageSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PublicPageSettings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Articles::Table).to_owned())
            .await
    }
}
