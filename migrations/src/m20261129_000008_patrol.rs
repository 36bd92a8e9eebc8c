//! Patrol checkpoints (安保巡查): checkpoints with printed QR codes, routes over them with
//! expected times, and guards' patrol runs with each checkpoint's visit.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PatrolCheckpoints {
    Table,
    Id,
    Name,
    Location,
    Code,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PatrolRoutes {
    Table,
    Id,
    Name,
    StartTimes,
    Points,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PatrolRuns {
    Table,
    Id,
    RouteId,
    RouteName,
    GuardId,
    Date,
    Slot,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum PatrolRunPoints {
    Table,
    Id,
    RunId,
    Seq,
    CheckpointId,
    CheckpointName,
    Location,
    ExpectedAt,
    ToleranceMinutes,
    VisitedAt,
    ClientEventId,
    Observation,
    HazardId,
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

fn index(name: &str, table: impl IntoIden + 'static, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PatrolCheckpoints::Table)
                    .col(uuid_pk(PatrolCheckpoints::Id))
                    .col(
                        ColumnDef::new(PatrolCheckpoints::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PatrolCheckpoints::Location)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PatrolCheckpoints::Code)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PatrolCheckpoints::Active)
                            .boolean()
                            .not_null(),
                    )
                    .col(ts(PatrolCheckpoints::CreatedAt))
                    .col(ts(PatrolCheckpoints::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_patrol_checkpoints_code",
                    PatrolCheckpoints::Table,
                    vec![PatrolCheckpoints::Code.into_iden()],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PatrolRoutes::Table)
                    .col(uuid_pk(PatrolRoutes::Id))
                    .col(
                        ColumnDef::new(PatrolRoutes::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PatrolRoutes::StartTimes).text().not_null())
                    .col(ColumnDef::new(PatrolRoutes::Points).text().not_null())
                    .col(ColumnDef::new(PatrolRoutes::Active).boolean().not_null())
                    .col(ts(PatrolRoutes::CreatedAt))
                    .col(ts(PatrolRoutes::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PatrolRuns::Table)
                    .col(uuid_pk(PatrolRuns::Id))
                    .col(ColumnDef::new(PatrolRuns::RouteId).uuid().not_null())
                    .col(
                        ColumnDef::new(PatrolRuns::RouteName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PatrolRuns::GuardId).uuid().not_null())
                    .col(ColumnDef::new(PatrolRuns::Date).string_len(10).not_null())
                    .col(ColumnDef::new(PatrolRuns::Slot).string_len(5).null())
                    .col(ts(PatrolRuns::StartedAt))
                    .col(ts_null(PatrolRuns::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatrolRuns::Table, PatrolRuns::RouteId)
                            .to(PatrolRoutes::Table, PatrolRoutes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatrolRuns::Table, PatrolRuns::GuardId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_patrol_runs_date",
                PatrolRuns::Table,
                vec![PatrolRuns::Date.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PatrolRunPoints::Table)
                    .col(uuid_pk(PatrolRunPoints::Id))
                    .col(ColumnDef::new(PatrolRunPoints::RunId).uuid().not_null())
                    .col(ColumnDef::new(PatrolRunPoints::Seq).integer().not_null())
                    .col(
                        ColumnDef::new(PatrolRunPoints::CheckpointId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PatrolRunPoints::CheckpointName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PatrolRunPoints::Location)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ts(PatrolRunPoints::ExpectedAt))
                    .col(
                        ColumnDef::new(PatrolRunPoints::ToleranceMinutes)
                            .integer()
                            .not_null(),
                    )
                    .col(ts_null(PatrolRunPoints::VisitedAt))
                    .col(
                        ColumnDef::new(PatrolRunPoints::ClientEventId)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(PatrolRunPoints::Observation).text().null())
                    .col(ColumnDef::new(PatrolRunPoints::HazardId).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatrolRunPoints::Table, PatrolRunPoints::RunId)
                            .to(PatrolRuns::Table, PatrolRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PatrolRunPoints::Table, PatrolRunPoints::CheckpointId)
                            .to(PatrolCheckpoints::Table, PatrolCheckpoints::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_patrol_run_points_run_checkpoint",
                    PatrolRunPoints::Table,
                    vec![
                        PatrolRunPoints::RunId.into_iden(),
                        PatrolRunPoints::CheckpointId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PatrolRunPoints::Table.into_iden(),
            PatrolRuns::Table.into_iden(),
            PatrolRoutes::Table.into_iden(),
            PatrolCheckpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
