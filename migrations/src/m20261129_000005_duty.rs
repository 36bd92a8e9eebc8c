//! Duty rosters (值班安排): rosters, shifts, swaps and personal calendar feeds.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DutyRosters {
    Table,
    Id,
    Title,
    StartDate,
    EndDate,
    Status,
    ReportTo,
    ReportedAt,
    Notify,
    Note,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum DutyShifts {
    Table,
    Id,
    RosterId,
    Date,
    StartTime,
    EndTime,
    StartsAt,
    EndsAt,
    Post,
    UserId,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DutySwaps {
    Table,
    Id,
    ShiftId,
    RequesterId,
    TargetUserId,
    Reason,
    Status,
    CreatedAt,
    RespondedAt,
    DecidedAt,
    DecidedBy,
    DecisionComment,
}

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    RevokedAt,
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

fn fk_user(table: impl IntoIden + 'static, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DutyRosters::Table)
                    .col(uuid_pk(DutyRosters::Id))
                    .col(
                        ColumnDef::new(DutyRosters::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DutyRosters::StartDate)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DutyRosters::EndDate)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DutyRosters::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(DutyRosters::ReportTo).string_len(200).null())
                    .col(ts_null(DutyRosters::ReportedAt))
                    .col(ColumnDef::new(DutyRosters::Notify).string_len(200).null())
                    .col(ColumnDef::new(DutyRosters::Note).text().null())
                    .col(ColumnDef::new(DutyRosters::CreatedBy).uuid().null())
                    .col(ts(DutyRosters::CreatedAt))
                    .col(ts(DutyRosters::UpdatedAt))
                    .col(ts_null(DutyRosters::PublishedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DutyShifts::Table)
                    .col(uuid_pk(DutyShifts::Id))
                    .col(ColumnDef::new(DutyShifts::RosterId).uuid().not_null())
                    .col(ColumnDef::new(DutyShifts::Date).string_len(10).not_null())
                    .col(
                        ColumnDef::new(DutyShifts::StartTime)
                            .string_len(5)
                            .not_null(),
                    )
                    .col(ColumnDef::new(DutyShifts::EndTime).string_len(5).not_null())
                    .col(ts(DutyShifts::StartsAt))
                    .col(ts(DutyShifts::EndsAt))
                    .col(ColumnDef::new(DutyShifts::Post).string_len(32).not_null())
                    .col(ColumnDef::new(DutyShifts::UserId).uuid().not_null())
                    .col(ColumnDef::new(DutyShifts::Note).string_len(500).null())
                    .col(ts(DutyShifts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DutyShifts::Table, DutyShifts::RosterId)
                            .to(DutyRosters::Table, DutyRosters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk_user(DutyShifts::Table, DutyShifts::UserId))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_duty_shifts_roster",
                vec![DutyShifts::RosterId, DutyShifts::Date],
            ),
            (
                "idx_duty_shifts_user",
                vec![DutyShifts::UserId, DutyShifts::StartsAt],
            ),
            (
                "idx_duty_shifts_time",
                vec![DutyShifts::StartsAt, DutyShifts::EndsAt],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(DutyShifts::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(DutySwaps::Table)
                    .col(uuid_pk(DutySwaps::Id))
                    .col(ColumnDef::new(DutySwaps::ShiftId).uuid().not_null())
                    .col(ColumnDef::new(DutySwaps::RequesterId).uuid().not_null())
                    .col(ColumnDef::new(DutySwaps::TargetUserId).uuid().not_null())
                    .col(ColumnDef::new(DutySwaps::Reason).string_len(500).null())
                    .col(ColumnDef::new(DutySwaps::Status).string_len(16).not_null())
                    .col(ts(DutySwaps::CreatedAt))
                    .col(ts_null(DutySwaps::RespondedAt))
                    .col(ts_null(DutySwaps::DecidedAt))
                    .col(ColumnDef::new(DutySwaps::DecidedBy).uuid().null())
                    .col(
                        ColumnDef::new(DutySwaps::DecisionComment)
                            .string_len(500)
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DutySwaps::Table, DutySwaps::ShiftId)
                            .to(DutyShifts::Table, DutyShifts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk_user(DutySwaps::Table, DutySwaps::RequesterId))
                    .foreign_key(&mut fk_user(DutySwaps::Table, DutySwaps::TargetUserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_duty_swaps_shift")
                    .table(DutySwaps::Table)
                    .col(DutySwaps::ShiftId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarFeeds::Table)
                    .col(uuid_pk(CalendarFeeds::Id))
                    .col(ColumnDef::new(CalendarFeeds::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(CalendarFeeds::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ts(CalendarFeeds::CreatedAt))
                    .col(ts_null(CalendarFeeds::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CalendarFeeds::Table, CalendarFeeds::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_calendar_feeds_user")
                    .table(CalendarFeeds::Table)
                    .col(CalendarFeeds::UserId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarFeeds::Table.into_iden(),
            DutySwaps::Table.into_iden(),
            DutyShifts::Table.into_iden(),
            DutyRosters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
