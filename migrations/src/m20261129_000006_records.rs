//! Safety records: activities and drills, meetings, incidents, guards' daily health reports,
//! announcements and their read receipts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    Kind,
    Topic,
    Date,
    Organiser,
    ClassIds,
    ParticipantCount,
    Summary,
    Photos,
    PlanItemId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    Kind,
    Title,
    Date,
    Attendees,
    Minutes,
    Decisions,
    PlanItemId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Kind,
    OccurredAt,
    Place,
    Severity,
    Description,
    ActionsTaken,
    ReportedToPolice,
    ReportedToFire,
    ClosedAt,
    ReportedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HealthReports {
    Table,
    Id,
    GuardId,
    Date,
    Temperature,
    FitForDuty,
    Symptoms,
    Abnormal,
    AcknowledgedAt,
    AcknowledgedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    Title,
    Body,
    TargetRoles,
    PlanItemId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AnnouncementReads {
    Table,
    AnnouncementId,
    UserId,
    ReadAt,
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
                    .table(Activities::Table)
                    .col(uuid_pk(Activities::Id))
                    .col(ColumnDef::new(Activities::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Activities::Topic).string_len(200).not_null())
                    .col(ColumnDef::new(Activities::Date).string_len(10).not_null())
                    .col(
                        ColumnDef::new(Activities::Organiser)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Activities::ClassIds).text().not_null())
                    .col(
                        ColumnDef::new(Activities::ParticipantCount)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Activities::Summary).text().not_null())
                    .col(ColumnDef::new(Activities::Photos).text().not_null())
                    .col(ColumnDef::new(Activities::PlanItemId).uuid().null())
                    .col(ColumnDef::new(Activities::CreatedBy).uuid().null())
                    .col(ts(Activities::CreatedAt))
                    .col(ts(Activities::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_activities_date",
                Activities::Table,
                vec![Activities::Date.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Meetings::Table)
                    .col(uuid_pk(Meetings::Id))
                    .col(ColumnDef::new(Meetings::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Meetings::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Meetings::Date).string_len(10).not_null())
                    .col(ColumnDef::new(Meetings::Attendees).text().not_null())
                    .col(ColumnDef::new(Meetings::Minutes).text().not_null())
                    .col(ColumnDef::new(Meetings::Decisions).text().not_null())
                    .col(ColumnDef::new(Meetings::PlanItemId).uuid().null())
                    .col(ColumnDef::new(Meetings::CreatedBy).uuid().null())
                    .col(ts(Meetings::CreatedAt))
                    .col(ts(Meetings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_meetings_date",
                Meetings::Table,
                vec![Meetings::Date.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(uuid_pk(Incidents::Id))
                    .col(ColumnDef::new(Incidents::Kind).string_len(16).not_null())
                    .col(ts(Incidents::OccurredAt))
                    .col(ColumnDef::new(Incidents::Place).string_len(200).not_null())
                    .col(
                        ColumnDef::new(Incidents::Severity)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Incidents::Description).text().not_null())
                    .col(ColumnDef::new(Incidents::ActionsTaken).text().not_null())
                    .col(
                        ColumnDef::new(Incidents::ReportedToPolice)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Incidents::ReportedToFire)
                            .boolean()
                            .not_null(),
                    )
                    .col(ts_null(Incidents::ClosedAt))
                    .col(ColumnDef::new(Incidents::ReportedBy).uuid().null())
                    .col(ts(Incidents::CreatedAt))
                    .col(ts(Incidents::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_incidents_occurred",
                Incidents::Table,
                vec![Incidents::OccurredAt.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HealthReports::Table)
                    .col(uuid_pk(HealthReports::Id))
                    .col(ColumnDef::new(HealthReports::GuardId).uuid().not_null())
                    .col(
                        ColumnDef::new(HealthReports::Date)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HealthReports::Temperature)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HealthReports::FitForDuty)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(HealthReports::Symptoms)
                            .string_len(500)
                            .null(),
                    )
                    .col(ColumnDef::new(HealthReports::Abnormal).boolean().not_null())
                    .col(ts_null(HealthReports::AcknowledgedAt))
                    .col(ColumnDef::new(HealthReports::AcknowledgedBy).uuid().null())
                    .col(ts(HealthReports::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(HealthReports::Table, HealthReports::GuardId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_health_reports_guard_date",
                    HealthReports::Table,
                    vec![
                        HealthReports::GuardId.into_iden(),
                        HealthReports::Date.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_health_reports_date",
                HealthReports::Table,
                vec![HealthReports::Date.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .col(uuid_pk(Announcements::Id))
                    .col(
                        ColumnDef::new(Announcements::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Announcements::Body).text().not_null())
                    .col(
                        ColumnDef::new(Announcements::TargetRoles)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Announcements::PlanItemId).uuid().null())
                    .col(ColumnDef::new(Announcements::CreatedBy).uuid().null())
                    .col(ts(Announcements::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnnouncementReads::Table)
                    .col(
                        ColumnDef::new(AnnouncementReads::AnnouncementId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AnnouncementReads::UserId).uuid().not_null())
                    .col(ts(AnnouncementReads::ReadAt))
                    .primary_key(
                        Index::create()
                            .col(AnnouncementReads::AnnouncementId)
                            .col(AnnouncementReads::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AnnouncementReads::Table, AnnouncementReads::AnnouncementId)
                            .to(Announcements::Table, Announcements::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AnnouncementReads::Table, AnnouncementReads::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AnnouncementReads::Table.into_iden(),
            Announcements::Table.into_iden(),
            HealthReports::Table.into_iden(),
            Incidents::Table.into_iden(),
            Meetings::Table.into_iden(),
            Activities::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
