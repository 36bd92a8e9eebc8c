//! In-app notifications: each person's notices of the events that concern them (one per
//! recipient, event and rule), the worker's cursor over the events outbox, and the office's
//! escalation settings (one row, JSON, defaults when absent).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    RecipientId,
    EventId,
    EventSeq,
    Kind,
    Rule,
    Title,
    Body,
    Route,
    SubjectId,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum NotificationCursors {
    Table,
    Name,
    Seq,
}

#[derive(DeriveIden)]
enum EscalationSettings {
    Table,
    Id,
    Settings,
    UpdatedBy,
    UpdatedAt,
}

fn ts<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

fn text<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(
                        ColumnDef::new(Notifications::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Notifications::RecipientId).uuid().not_null())
                    .col(ColumnDef::new(Notifications::EventId).uuid().not_null())
                    .col(
                        ColumnDef::new(Notifications::EventSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(Notifications::Kind, 64))
                    .col(text(Notifications::Rule, 64))
                    .col(text(Notifications::Title, 200))
                    .col(ColumnDef::new(Notifications::Body).text().not_null())
                    .col(ColumnDef::new(Notifications::Route).string_len(300).null())
                    .col(ColumnDef::new(Notifications::SubjectId).uuid().null())
                    .col(ts(Notifications::CreatedAt))
                    .col(
                        ColumnDef::new(Notifications::ReadAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // Exactly once per recipient, event and rule: the worker's inserts are
        // ON CONFLICT DO NOTHING on this key, so a restart or a second replica adds nothing.
        manager
            .create_index(
                Index::create()
                    .name("ux_notifications_recipient_event_rule")
                    .table(Notifications::Table)
                    .col(Notifications::RecipientId)
                    .col(Notifications::EventId)
                    .col(Notifications::Rule)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_recipient_time")
                    .table(Notifications::Table)
                    .col(Notifications::RecipientId)
                    .col(Notifications::CreatedAt)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_recipient_unread")
                    .table(Notifications::Table)
                    .col(Notifications::RecipientId)
                    .col(Notifications::ReadAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationCursors::Table)
                    .col(
                        ColumnDef::new(NotificationCursors::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(NotificationCursors::Seq)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // A school that already has events starts at the outbox's head: people are told of
        // what happens from now on, not of every event since the system began.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO notification_cursors (name, seq) \
                 SELECT 'notifications', COALESCE(MAX(seq), 0) FROM events",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EscalationSettings::Table)
                    .col(
                        ColumnDef::new(EscalationSettings::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EscalationSettings::Settings)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(EscalationSettings::UpdatedBy).uuid().null())
                    .col(ts(EscalationSettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EscalationSettings::Table.into_iden(),
            NotificationCursors::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
