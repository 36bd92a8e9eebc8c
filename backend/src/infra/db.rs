//! Database connection (SQLite or PostgreSQL), migrations, and the write gate that keeps
//! SQLite write transactions from tripping over each other.

use crate::infra::config::{Settings, SqliteSync};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, TransactionTrait,
};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// SQLite allows one writer at a time, and a deferred transaction that read first cannot
    /// wait for the lock (it fails with SQLITE_BUSY at once). Serialising write transactions
    /// in-process avoids that; PostgreSQL needs no gate.
    write_gate: Option<Arc<Mutex<()>>>,
    /// Seals the secrets this database keeps (see `keys::MasterKey`): whoever holds a `Db`
    /// may sign passes, so the key travels with the connection.
    pub master_key: crate::infra::keys::MasterKey,
}

/// A write transaction; on SQLite it also holds the write gate until commit or drop.
pub struct WriteTx {
    tx: DatabaseTransaction,
    _permit: Option<OwnedMutexGuard<()>>,
}

impl Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }
}

impl Db {
    pub async fn connect(settings: &Settings) -> Result<Self, DbErr> {
        let url = settings.database_url();
        let is_sqlite = url.starts_with("sqlite:");
        // The data directory holds the database, keys and photos: the server's user only.
        crate::infra::keys::create_private_dir(&settings.data_dir).map_err(|e| {
            DbErr::Custom(format!(
                "cannot create data directory {}: {e}",
                settings.data_dir.display()
            ))
        })?;
        if is_sqlite && let Ok(file) = crate::infra::backup::sqlite_path(&url) {
            // Made 0600 before SQLite opens it; its -wal and -shm files take the same mode.
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = crate::infra::keys::create_private_dir(dir);
            }
            crate::infra::keys::touch_private(&file).map_err(|e| {
                DbErr::Custom(format!("cannot create database {}: {e}", file.display()))
            })?;
        }
        let master_key = crate::infra::keys::MasterKey::load(settings)
            .map_err(|e| DbErr::Custom(format!("master key: {e}")))?;
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(settings.db_max_connections.max(2))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if is_sqlite {
            let sync = match settings.sqlite_synchronous {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            };
            opts.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(sync)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
            });
        }
        let conn = Database::connect(opts).await?;
        let write_gate = is_sqlite.then(|| Arc::new(Mutex::new(())));
        Ok(Self {
            conn,
            write_gate,
            master_key,
        })
    }

    /// Applies the schema migrations only; `app::migrate` also adds the built-in records.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    pub async fn begin_write(&self) -> Result<WriteTx, DbErr> {
        let permit = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let tx = self.conn.begin().await?;
        Ok(WriteTx {
            tx,
            _permit: permit,
        })
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }
}
