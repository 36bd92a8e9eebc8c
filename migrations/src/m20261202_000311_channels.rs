//! 信息推送: channels (webhooks, DingTalk and WeCom group robots) with their subscriptions,
//! one delivery per channel and event (at-least-once, the event's id stable), and a log of
//! every attempt.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Channels {
    Table,
    Id,
    Name,
    Audience,
    Kind,
    UrlSealed,
    UrlHint,
    SecretSealed,
    PreviousSecretSealed,
    PreviousSecretUntil,
    EventKinds,
    ClassId,
    MinSeverity,
    Enabled,
    DisabledReason,
    FailingSince,
    Cursor,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChannelDeliveries {
    Table,
    Id,
    ChannelId,
    EventId,
    EventSeq,
    EventKind,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum ChannelAttempts {
    Table,
    Id,
    DeliveryId,
    ChannelId,
    AttemptedAt,
    LatencyMs,
    StatusCode,
    Outcome,
    Error,
    Digest,
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

fn text<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().take()
}

fn text_null<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .col(ColumnDef::new(Channels::Id).uuid().not_null().primary_key())
                    .col(text(Channels::Name, 100))
                    .col(text(Channels::Audience, 32))
                    .col(text(Channels::Kind, 16))
                    // Sealed under the master key: a robot's URL carries its access token.
                    .col(ColumnDef::new(Channels::UrlSealed).text().not_null())
                    .col(text(Channels::UrlHint, 200))
                    .col(ColumnDef::new(Channels::SecretSealed).text().null())
                    .col(ColumnDef::new(Channels::PreviousSecretSealed).text().null())
                    .col(ts_null(Channels::PreviousSecretUntil))
                    .col(ColumnDef::new(Channels::EventKinds).text().not_null())
                    .col(ColumnDef::new(Channels::ClassId).uuid().null())
                    .col(text(Channels::MinSeverity, 16))
                    .col(ColumnDef::new(Channels::Enabled).boolean().not_null())
                    .col(text_null(Channels::DisabledReason, 200))
                    .col(ts_null(Channels::FailingSince))
                    .col(ColumnDef::new(Channels::Cursor).big_integer().not_null())
                    .col(ColumnDef::new(Channels::CreatedBy).uuid().not_null())
                    .col(ts(Channels::CreatedAt))
                    .col(ts(Channels::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChannelDeliveries::Table)
                    .col(
                        ColumnDef::new(ChannelDeliveries::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChannelDeliveries::ChannelId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChannelDeliveries::EventId).uuid().not_null())
                    .col(
                        ColumnDef::new(ChannelDeliveries::EventSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(ChannelDeliveries::EventKind, 64))
                    .col(ColumnDef::new(ChannelDeliveries::Payload).text().null())
                    .col(text(ChannelDeliveries::Status, 16))
                    .col(
                        ColumnDef::new(ChannelDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(ChannelDeliveries::NextAttemptAt))
                    .col(
                        ColumnDef::new(ChannelDeliveries::LastStatusCode)
                            .integer()
                            .null(),
                    )
                    .col(text_null(ChannelDeliveries::LastError, 200))
                    .col(ts(ChannelDeliveries::CreatedAt))
                    .col(ts_null(ChannelDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChannelDeliveries::Table, ChannelDeliveries::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_channel_deliveries_event")
                    .table(ChannelDeliveries::Table)
                    .col(ChannelDeliveries::ChannelId)
                    .col(ChannelDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_channel_deliveries_due")
                    .table(ChannelDeliveries::Table)
                    .col(ChannelDeliveries::Status)
                    .col(ChannelDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChannelAttempts::Table)
                    .col(
                        ColumnDef::new(ChannelAttempts::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChannelAttempts::DeliveryId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChannelAttempts::ChannelId).uuid().not_null())
                    .col(ts(ChannelAttempts::AttemptedAt))
                    .col(
                        ColumnDef::new(ChannelAttempts::LatencyMs)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ChannelAttempts::StatusCode).integer().null())
                    .col(text(ChannelAttempts::Outcome, 16))
                    .col(text_null(ChannelAttempts::Error, 200))
                    .col(ColumnDef::new(ChannelAttempts::Digest).boolean().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChannelAttempts::Table, ChannelAttempts::DeliveryId)
                            .to(ChannelDeliveries::Table, ChannelDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_channel_attempts_channel_time")
                    .table(ChannelAttempts::Table)
                    .col(ChannelAttempts::ChannelId)
                    .col(ChannelAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_channel_attempts_delivery")
                    .table(ChannelAttempts::Table)
                    .col(ChannelAttempts::DeliveryId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChannelAttempts::Table.into_iden(),
            ChannelDeliveries::Table.into_iden(),
            Channels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
