use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "semesters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short, unique, ASCII (e.g. `2026-2027-1`): what a plan's `semester` holds and what
    /// file names carry.
    pub code: String,
    /// e.g. `2026-2027学年第一学期`.
    pub name: String,
    /// Local dates `YYYY-MM-DD` in the school's time zone, both included.
    pub starts_on: String,
    pub ends_on: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
