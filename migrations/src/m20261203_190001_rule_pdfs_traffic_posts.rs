//! Issue 19's last pieces: a plan item may name the duty roster that carries it out (期末家长车辆
//! 疏导 → the traffic-post roster), and a shift may name its place (校门口东侧 …). A safety rule
//! version's PDF needs no column: it is an attachment linked to the version.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanItems {
    Table,
    DutyRosterId,
}

#[derive(DeriveIden)]
enum DutyShifts {
    Table,
    Place,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(PlanItems::Table)
                    .add_column(ColumnDef::new(PlanItems::DutyRosterId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_items_duty_roster")
                    .table(PlanItems::Table)
                    .col(PlanItems::DutyRosterId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DutyShifts::Table)
                    .add_column(ColumnDef::new(DutyShifts::Place).string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_plan_items_duty_roster")
                    .table(PlanItems::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PlanItems::Table)
                    .drop_column(PlanItems::DutyRosterId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(DutyShifts::Table)
                    .drop_column(DutyShifts::Place)
                    .to_owned(),
            )
            .await
    }
}
