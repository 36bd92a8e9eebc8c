//! The pass signing seeds and the server secrets are stored encrypted under the master key
//! (`kek1:` + base64url of nonce, ciphertext and tag): about 85 and 100 characters, more than
//! the 64 the seed column held. SQLite does not enforce `varchar(n)`; PostgreSQL does.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE pass_signing_keys ALTER COLUMN private_key TYPE varchar(256)",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE gate_secrets ALTER COLUMN secret TYPE varchar(256)")
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Narrowing back would fail on sealed values; the wider columns are harmless.
        Ok(())
    }
}
