//! Leave passes and their signing keys, gate scans, visitors, expected visitors and the watchlist.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Students {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PassSigningKeys {
    Table,
    Kid,
    PublicKey,
    PrivateKey,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum GateSecrets {
    Table,
    Name,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LeavePasses {
    Table,
    Id,
    StudentId,
    ClassId,
    Kind,
    Reason,
    ValidFrom,
    ValidUntil,
    ReturnBy,
    Status,
    Kid,
    Token,
    IssuedBy,
    IssuedAt,
    RevokedAt,
    RevokedBy,
    ExitedAt,
    ExitScanId,
    ReturnedAt,
    ReturnScanId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GateScans {
    Table,
    Id,
    ClientEventId,
    PassId,
    StudentId,
    ClassId,
    Direction,
    Gate,
    Result,
    Code,
    Conflict,
    Source,
    ScannedAt,
    ReceivedAt,
    ActorUserId,
    ActorApiKeyId,
}

#[derive(DeriveIden)]
enum Visitors {
    Table,
    Id,
    Name,
    Phone,
    IdNumberHash,
    IdNumberLast4,
    Organisation,
    Reason,
    Host,
    VehiclePlate,
    Gate,
    ExpectedVisitorId,
    WatchlistEntryId,
    CheckedInAt,
    CheckedInBy,
    CheckedOutAt,
    CheckedOutBy,
}

#[derive(DeriveIden)]
enum ExpectedVisitors {
    Table,
    Id,
    Name,
    Phone,
    IdNumberHash,
    IdNumberLast4,
    Organisation,
    Reason,
    Host,
    VehiclePlate,
    ExpectedDate,
    CreatedBy,
    CreatedAt,
    VisitorId,
    CancelledAt,
}

#[derive(DeriveIden)]
enum WatchlistEntries {
    Table,
    Id,
    Name,
    IdNumberHash,
    IdNumberLast4,
    Phone,
    Category,
    Note,
    IsActive,
    CreatedBy,
    CreatedAt,
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

fn ts_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

fn text<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().take()
}

fn text_null<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().take()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    if unique {
        idx.unique();
    }
    manager.create_index(idx.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PassSigningKeys::Table)
                    .col(
                        ColumnDef::new(PassSigningKeys::Kid)
                            .string_len(16)
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(PassSigningKeys::PublicKey, 64))
                    .col(text(PassSigningKeys::PrivateKey, 64))
                    .col(ts(PassSigningKeys::CreatedAt))
                    .col(ts_null(PassSigningKeys::RetiredAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(GateSecrets::Table)
                    .col(
                        ColumnDef::new(GateSecrets::Name)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(GateSecrets::Secret, 128))
                    .col(ts(GateSecrets::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LeavePasses::Table)
                    .col(uuid_pk(LeavePasses::Id))
                    .col(ColumnDef::new(LeavePasses::StudentId).uuid().not_null())
                    .col(ColumnDef::new(LeavePasses::ClassId).uuid().not_null())
                    .col(text(LeavePasses::Kind, 20))
                    .col(text(LeavePasses::Reason, 500))
                    .col(ts(LeavePasses::ValidFrom))
                    .col(ts(LeavePasses::ValidUntil))
                    .col(ts_null(LeavePasses::ReturnBy))
                    .col(text(LeavePasses::Status, 16))
                    .col(text(LeavePasses::Kid, 16))
                    .col(ColumnDef::new(LeavePasses::Token).text().not_null())
                    .col(ColumnDef::new(LeavePasses::IssuedBy).uuid().not_null())
                    .col(ts(LeavePasses::IssuedAt))
                    .col(ts_null(LeavePasses::RevokedAt))
                    .col(ColumnDef::new(LeavePasses::RevokedBy).uuid().null())
                    .col(ts_null(LeavePasses::ExitedAt))
                    .col(ColumnDef::new(LeavePasses::ExitScanId).uuid().null())
                    .col(ts_null(LeavePasses::ReturnedAt))
                    .col(ColumnDef::new(LeavePasses::ReturnScanId).uuid().null())
                    .col(ts(LeavePasses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeavePasses::Table, LeavePasses::StudentId)
                            .to(Students::Table, Students::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeavePasses::Table, LeavePasses::ClassId)
                            .to(Classes::Table, Classes::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeavePasses::Table, LeavePasses::IssuedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_leave_passes_class",
            LeavePasses::Table,
            vec![
                LeavePasses::ClassId.into_iden(),
                LeavePasses::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_leave_passes_status",
            LeavePasses::Table,
            vec![
                LeavePasses::Status.into_iden(),
                LeavePasses::ReturnBy.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_leave_passes_student",
            LeavePasses::Table,
            vec![LeavePasses::StudentId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_leave_passes_revoked",
            LeavePasses::Table,
            vec![LeavePasses::RevokedAt.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GateScans::Table)
                    .col(uuid_pk(GateScans::Id))
                    .col(text(GateScans::ClientEventId, 64))
                    .col(ColumnDef::new(GateScans::PassId).uuid().null())
                    .col(ColumnDef::new(GateScans::StudentId).uuid().null())
                    .col(ColumnDef::new(GateScans::ClassId).uuid().null())
                    .col(text(GateScans::Direction, 8))
                    .col(text(GateScans::Gate, 64))
                    .col(text(GateScans::Result, 8))
                    .col(text(GateScans::Code, 32))
                    .col(
                        ColumnDef::new(GateScans::Conflict)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(text(GateScans::Source, 8))
                    .col(ts(GateScans::ScannedAt))
                    .col(ts(GateScans::ReceivedAt))
                    .col(ColumnDef::new(GateScans::ActorUserId).uuid().null())
                    .col(ColumnDef::new(GateScans::ActorApiKeyId).uuid().null())
                    .to_owned(),
            )
            .await?;
        // Idempotency: a phone's event id is recorded once, whatever the retries.
        index(
            manager,
            "uq_gate_scans_client_event",
            GateScans::Table,
            vec![GateScans::ClientEventId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_gate_scans_scanned",
            GateScans::Table,
            vec![GateScans::ScannedAt.into_iden(), GateScans::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_gate_scans_pass",
            GateScans::Table,
            vec![GateScans::PassId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_gate_scans_class",
            GateScans::Table,
            vec![
                GateScans::ClassId.into_iden(),
                GateScans::ScannedAt.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(WatchlistEntries::Table)
                    .col(uuid_pk(WatchlistEntries::Id))
                    .col(text(WatchlistEntries::Name, 100))
                    .col(text_null(WatchlistEntries::IdNumberHash, 64))
                    .col(text_null(WatchlistEntries::IdNumberLast4, 4))
                    .col(text_null(WatchlistEntries::Phone, 32))
                    .col(text(WatchlistEntries::Category, 20))
                    .col(text(WatchlistEntries::Note, 500))
                    .col(
                        ColumnDef::new(WatchlistEntries::IsActive)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(ColumnDef::new(WatchlistEntries::CreatedBy).uuid().null())
                    .col(ts(WatchlistEntries::CreatedAt))
                    .col(ts(WatchlistEntries::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_watchlist_id_hash",
            WatchlistEntries::Table,
            vec![WatchlistEntries::IdNumberHash.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExpectedVisitors::Table)
                    .col(uuid_pk(ExpectedVisitors::Id))
                    .col(text(ExpectedVisitors::Name, 100))
                    .col(text_null(ExpectedVisitors::Phone, 32))
                    .col(text_null(ExpectedVisitors::IdNumberHash, 64))
                    .col(text_null(ExpectedVisitors::IdNumberLast4, 4))
                    .col(text_null(ExpectedVisitors::Organisation, 200))
                    .col(text(ExpectedVisitors::Reason, 500))
                    .col(text(ExpectedVisitors::Host, 100))
                    .col(text_null(ExpectedVisitors::VehiclePlate, 20))
                    .col(text(ExpectedVisitors::ExpectedDate, 10))
                    .col(
                        ColumnDef::new(ExpectedVisitors::CreatedBy)
                            .uuid()
                            .not_null(),
                    )
                    .col(ts(ExpectedVisitors::CreatedAt))
                    .col(ColumnDef::new(ExpectedVisitors::VisitorId).uuid().null())
                    .col(ts_null(ExpectedVisitors::CancelledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExpectedVisitors::Table, ExpectedVisitors::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_expected_visitors_date",
            ExpectedVisitors::Table,
            vec![ExpectedVisitors::ExpectedDate.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Visitors::Table)
                    .col(uuid_pk(Visitors::Id))
                    .col(text(Visitors::Name, 100))
                    .col(text_null(Visitors::Phone, 32))
                    .col(text_null(Visitors::IdNumberHash, 64))
                    .col(text_null(Visitors::IdNumberLast4, 4))
                    .col(text_null(Visitors::Organisation, 200))
                    .col(text(Visitors::Reason, 500))
                    .col(text_null(Visitors::Host, 100))
                    .col(text_null(Visitors::VehiclePlate, 20))
                    .col(text_null(Visitors::Gate, 64))
                    .col(ColumnDef::new(Visitors::ExpectedVisitorId).uuid().null())
                    .col(ColumnDef::new(Visitors::WatchlistEntryId).uuid().null())
                    .col(ts(Visitors::CheckedInAt))
                    .col(ColumnDef::new(Visitors::CheckedInBy).uuid().not_null())
                    .col(ts_null(Visitors::CheckedOutAt))
                    .col(ColumnDef::new(Visitors::CheckedOutBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Visitors::Table, Visitors::CheckedInBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_visitors_in",
            Visitors::Table,
            vec![Visitors::CheckedInAt.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_visitors_out",
            Visitors::Table,
            vec![Visitors::CheckedOutAt.into_iden()],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Visitors::Table.into_iden(),
            ExpectedVisitors::Table.into_iden(),
            WatchlistEntries::Table.into_iden(),
            GateScans::Table.into_iden(),
            LeavePasses::Table.into_iden(),
            GateSecrets::Table.into_iden(),
            PassSigningKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
