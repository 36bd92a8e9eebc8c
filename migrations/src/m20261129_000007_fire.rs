//! Fire equipment registry (消防设施户籍): buildings, their registered items, and the item-by-item
//! checks done from each item's QR label.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FireBuildings {
    Table,
    Id,
    Name,
    Note,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FireItems {
    Table,
    Id,
    BuildingId,
    Kind,
    Name,
    Location,
    Spec,
    InstallDate,
    ExpiryDate,
    Responsible,
    ExpiredHazardId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FireChecks {
    Table,
    Id,
    ItemId,
    Result,
    PressureMpa,
    TestPassed,
    Note,
    PhotoIds,
    HazardId,
    CheckedBy,
    CheckedAt,
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
                    .table(FireBuildings::Table)
                    .col(uuid_pk(FireBuildings::Id))
                    .col(
                        ColumnDef::new(FireBuildings::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FireBuildings::Note).text().not_null())
                    .col(ts(FireBuildings::CreatedAt))
                    .col(ts(FireBuildings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_fire_buildings_name")
                    .table(FireBuildings::Table)
                    .col(FireBuildings::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FireItems::Table)
                    .col(uuid_pk(FireItems::Id))
                    .col(ColumnDef::new(FireItems::BuildingId).uuid().not_null())
                    .col(ColumnDef::new(FireItems::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(FireItems::Name).string_len(100).not_null())
                    .col(
                        ColumnDef::new(FireItems::Location)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FireItems::Spec).string_len(200).not_null())
                    .col(ColumnDef::new(FireItems::InstallDate).string_len(10).null())
                    .col(ColumnDef::new(FireItems::ExpiryDate).string_len(10).null())
                    .col(
                        ColumnDef::new(FireItems::Responsible)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FireItems::ExpiredHazardId).uuid().null())
                    .col(ts(FireItems::CreatedAt))
                    .col(ts(FireItems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FireItems::Table, FireItems::BuildingId)
                            .to(FireBuildings::Table, FireBuildings::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_fire_items_building")
                    .table(FireItems::Table)
                    .col(FireItems::BuildingId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FireChecks::Table)
                    .col(uuid_pk(FireChecks::Id))
                    .col(ColumnDef::new(FireChecks::ItemId).uuid().not_null())
                    .col(ColumnDef::new(FireChecks::Result).string_len(16).not_null())
                    .col(ColumnDef::new(FireChecks::PressureMpa).double().null())
                    .col(ColumnDef::new(FireChecks::TestPassed).boolean().null())
                    .col(ColumnDef::new(FireChecks::Note).text().not_null())
                    .col(ColumnDef::new(FireChecks::PhotoIds).text().not_null())
                    .col(ColumnDef::new(FireChecks::HazardId).uuid().null())
                    .col(ColumnDef::new(FireChecks::CheckedBy).uuid().not_null())
                    .col(ts(FireChecks::CheckedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FireChecks::Table, FireChecks::ItemId)
                            .to(FireItems::Table, FireItems::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_fire_checks_item_at")
                    .table(FireChecks::Table)
                    .col(FireChecks::ItemId)
                    .col(FireChecks::CheckedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            FireChecks::Table.into_iden(),
            FireItems::Table.into_iden(),
            FireBuildings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
