//! Vehicles: the staff vehicle register, the gate's vehicle log (in/out by plate, visitors'
//! vehicles, the student-rush flag) and the rush windows the school sets.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Vehicles {
    Table,
    Id,
    Plate,
    Kind,
    OwnerName,
    OwnerUserId,
    Note,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum VehiclePassages {
    Table,
    Id,
    Plate,
    VehicleId,
    OwnerName,
    Direction,
    Rush,
    RecordedAt,
    RecordedBy,
    ClientEventId,
    Note,
}

#[derive(DeriveIden)]
enum VehicleSettings {
    Table,
    Id,
    MorningStart,
    MorningEnd,
    AfternoonStart,
    AfternoonEnd,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Vehicles::Table)
                    .col(ColumnDef::new(Vehicles::Id).uuid().not_null().primary_key())
                    // Normalised (`浙A12345`), unique.
                    .col(ColumnDef::new(Vehicles::Plate).string_len(16).not_null())
                    .col(ColumnDef::new(Vehicles::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Vehicles::OwnerName)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Vehicles::OwnerUserId).uuid().null())
                    .col(ColumnDef::new(Vehicles::Note).string_len(200).null())
                    .col(
                        ColumnDef::new(Vehicles::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(
                        ColumnDef::new(Vehicles::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Vehicles::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_vehicles_plate")
                    .table(Vehicles::Table)
                    .col(Vehicles::Plate)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VehiclePassages::Table)
                    .col(
                        ColumnDef::new(VehiclePassages::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(VehiclePassages::Plate)
                            .string_len(16)
                            .not_null(),
                    )
                    // None: not in the register (a visitor's vehicle).
                    .col(ColumnDef::new(VehiclePassages::VehicleId).uuid().null())
                    // The owner as registered when it passed.
                    .col(
                        ColumnDef::new(VehiclePassages::OwnerName)
                            .string_len(100)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(VehiclePassages::Direction)
                            .string_len(8)
                            .not_null(),
                    )
                    // The rush window an entry fell in (`morning`, `afternoon`), if any.
                    .col(ColumnDef::new(VehiclePassages::Rush).string_len(16).null())
                    .col(
                        ColumnDef::new(VehiclePassages::RecordedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VehiclePassages::RecordedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VehiclePassages::ClientEventId)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(VehiclePassages::Note).string_len(200).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_vehicle_passages_recorded_at")
                    .table(VehiclePassages::Table)
                    .col(VehiclePassages::RecordedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_vehicle_passages_client_event")
                    .table(VehiclePassages::Table)
                    .col(VehiclePassages::ClientEventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VehicleSettings::Table)
                    .col(
                        ColumnDef::new(VehicleSettings::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    // Local `HH:MM`.
                    .col(
                        ColumnDef::new(VehicleSettings::MorningStart)
                            .string_len(5)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VehicleSettings::MorningEnd)
                            .string_len(5)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VehicleSettings::AfternoonStart)
                            .string_len(5)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VehicleSettings::AfternoonEnd)
                            .string_len(5)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VehicleSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            VehicleSettings::Table.into_iden(),
            VehiclePassages::Table.into_iden(),
            Vehicles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
