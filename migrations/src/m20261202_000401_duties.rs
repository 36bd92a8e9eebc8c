//! Leadership and duties (安全领导小组, written duties, the semester's 安全目标责任书), the safety
//! rules library with versions, guard training sessions, and one table of acknowledgements (a
//! person signing or confirming one of those, with the time) shared by the three.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LeadershipMembers {
    Table,
    Id,
    UserId,
    GroupRole,
    Department,
    SortOrder,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DutyStatements {
    Table,
    Id,
    Post,
    Duties,
    SortOrder,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ResponsibilityLetters {
    Table,
    Id,
    Semester,
    Title,
    Body,
    SignerRoles,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SafetyRules {
    Table,
    Id,
    Title,
    Category,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SafetyRuleVersions {
    Table,
    Id,
    RuleId,
    Version,
    EffectiveOn,
    Body,
    ReaderRoles,
    ChangeNote,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GuardTrainings {
    Table,
    Id,
    Date,
    Kind,
    Title,
    Trainer,
    Content,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingAttendees {
    Table,
    TrainingId,
    UserId,
}

#[derive(DeriveIden)]
enum Acknowledgements {
    Table,
    Id,
    SubjectKind,
    SubjectId,
    UserId,
    AcknowledgedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
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

fn user_fk<T: IntoIden + 'static>(table: T, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeadershipMembers::Table)
                    .col(uuid_pk(LeadershipMembers::Id))
                    .col(ColumnDef::new(LeadershipMembers::UserId).uuid().not_null())
                    .col(
                        ColumnDef::new(LeadershipMembers::GroupRole)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LeadershipMembers::Department)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LeadershipMembers::SortOrder)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(LeadershipMembers::CreatedAt))
                    .col(ts(LeadershipMembers::UpdatedAt))
                    .foreign_key(&mut user_fk(
                        LeadershipMembers::Table,
                        LeadershipMembers::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_leadership_members_user")
                    .table(LeadershipMembers::Table)
                    .col(LeadershipMembers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DutyStatements::Table)
                    .col(uuid_pk(DutyStatements::Id))
                    .col(
                        ColumnDef::new(DutyStatements::Post)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(DutyStatements::Duties).text().not_null())
                    .col(
                        ColumnDef::new(DutyStatements::SortOrder)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(DutyStatements::CreatedAt))
                    .col(ts(DutyStatements::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_duty_statements_post")
                    .table(DutyStatements::Table)
                    .col(DutyStatements::Post)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResponsibilityLetters::Table)
                    .col(uuid_pk(ResponsibilityLetters::Id))
                    // A semester's code (`2026-2027-1`), like a plan's `semester`.
                    .col(
                        ColumnDef::new(ResponsibilityLetters::Semester)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponsibilityLetters::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponsibilityLetters::Body)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponsibilityLetters::SignerRoles)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResponsibilityLetters::CreatedBy)
                            .uuid()
                            .null(),
                    )
                    .col(ts(ResponsibilityLetters::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_responsibility_letters_semester")
                    .table(ResponsibilityLetters::Table)
                    .col(ResponsibilityLetters::Semester)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SafetyRules::Table)
                    .col(uuid_pk(SafetyRules::Id))
                    .col(
                        ColumnDef::new(SafetyRules::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SafetyRules::Category)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ts(SafetyRules::CreatedAt))
                    .col(ts(SafetyRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_safety_rules_title")
                    .table(SafetyRules::Table)
                    .col(SafetyRules::Title)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SafetyRuleVersions::Table)
                    .col(uuid_pk(SafetyRuleVersions::Id))
                    .col(ColumnDef::new(SafetyRuleVersions::RuleId).uuid().not_null())
                    .col(
                        ColumnDef::new(SafetyRuleVersions::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SafetyRuleVersions::EffectiveOn)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SafetyRuleVersions::Body).text().not_null())
                    .col(
                        ColumnDef::new(SafetyRuleVersions::ReaderRoles)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SafetyRuleVersions::ChangeNote)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SafetyRuleVersions::CreatedBy).uuid().null())
                    .col(ts(SafetyRuleVersions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SafetyRuleVersions::Table, SafetyRuleVersions::RuleId)
                            .to(SafetyRules::Table, SafetyRules::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Two writers numbering the same rule's next version: one wins, the other gets 409.
        manager
            .create_index(
                Index::create()
                    .name("ux_safety_rule_versions_rule_version")
                    .table(SafetyRuleVersions::Table)
                    .col(SafetyRuleVersions::RuleId)
                    .col(SafetyRuleVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GuardTrainings::Table)
                    .col(uuid_pk(GuardTrainings::Id))
                    .col(
                        ColumnDef::new(GuardTrainings::Date)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GuardTrainings::Kind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GuardTrainings::Title)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GuardTrainings::Trainer)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(ColumnDef::new(GuardTrainings::Content).text().not_null())
                    .col(ColumnDef::new(GuardTrainings::CreatedBy).uuid().null())
                    .col(ts(GuardTrainings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_guard_trainings_date")
                    .table(GuardTrainings::Table)
                    .col(GuardTrainings::Date)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TrainingAttendees::Table)
                    .col(
                        ColumnDef::new(TrainingAttendees::TrainingId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(TrainingAttendees::UserId).uuid().not_null())
                    .primary_key(
                        Index::create()
                            .col(TrainingAttendees::TrainingId)
                            .col(TrainingAttendees::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TrainingAttendees::Table, TrainingAttendees::TrainingId)
                            .to(GuardTrainings::Table, GuardTrainings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut user_fk(
                        TrainingAttendees::Table,
                        TrainingAttendees::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_training_attendees_user")
                    .table(TrainingAttendees::Table)
                    .col(TrainingAttendees::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Acknowledgements::Table)
                    .col(uuid_pk(Acknowledgements::Id))
                    .col(
                        ColumnDef::new(Acknowledgements::SubjectKind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Acknowledgements::SubjectId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Acknowledgements::UserId).uuid().not_null())
                    .col(ts(Acknowledgements::AcknowledgedAt))
                    .foreign_key(&mut user_fk(
                        Acknowledgements::Table,
                        Acknowledgements::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // One signature per person and subject: a double tap or a retry records nothing twice.
        manager
            .create_index(
                Index::create()
                    .name("ux_acknowledgements_subject_user")
                    .table(Acknowledgements::Table)
                    .col(Acknowledgements::SubjectKind)
                    .col(Acknowledgements::SubjectId)
                    .col(Acknowledgements::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_acknowledgements_user")
                    .table(Acknowledgements::Table)
                    .col(Acknowledgements::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Acknowledgements::Table.into_iden(),
            TrainingAttendees::Table.into_iden(),
            GuardTrainings::Table.into_iden(),
            SafetyRuleVersions::Table.into_iden(),
            SafetyRules::Table.into_iden(),
            ResponsibilityLetters::Table.into_iden(),
            DutyStatements::Table.into_iden(),
            LeadershipMembers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
