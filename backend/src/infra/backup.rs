//! `xiaoan backup` and `xiaoan restore`: a consistent copy of the database while the server
//! runs, and putting one back. SQLite copies itself (`VACUUM INTO`); PostgreSQL uses its own
//! tools (`pg_dump` / `pg_restore`), which are the right ones for it.

use crate::infra::config::Settings;
use crate::infra::error::BoxError;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to run by hand for PostgreSQL (printed when `pg_dump` is not installed).
pub const PG_RECIPE: &str = "\
PostgreSQL backup (online, consistent: pg_dump reads one snapshot):
  pg_dump --format=custom --no-owner --no-privileges --file=xiaoan.dump \"$XIAOAN_DATABASE_URL\"
Restore into a new, empty database (stop the backends first):
  createdb xiaoan_restored
  pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \\
             --dbname=postgres://USER@HOST:5432/xiaoan_restored xiaoan.dump
  then point XIAOAN_DATABASE_URL at it and start the backends (they migrate on start).
pg_dump/pg_restore come with Debian's postgresql-client package; use the server's major version.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub fn kind(url: &str) -> Result<Kind, BoxError> {
    if url.starts_with("sqlite:") {
        Ok(Kind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Kind::Postgres)
    } else {
        Err("the database URL must start with sqlite:// or postgres://".into())
    }
}

/// The file behind a `sqlite://…` URL (query parameters dropped).
pub fn sqlite_path(url: &str) -> Result<PathBuf, BoxError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or("not a sqlite:// URL")?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err("an in-memory SQLite database cannot be backed up".into());
    }
    Ok(PathBuf::from(path))
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes a consistent copy of the database to `out` (which must not exist yet).
pub async fn backup(settings: &Settings, out: &Path) -> Result<(), BoxError> {
    if out.exists() {
        return Err(format!("{} already exists; choose a new file name", out.display()).into());
    }
    let url = settings.database_url();
    match kind(&url)? {
        Kind::Sqlite => backup_sqlite(&url, out).await?,
        Kind::Postgres => backup_postgres(&url, out)?,
    }
    // Photos are files, written (and never changed) before the row that names them commits:
    // copied after the database snapshot, the copy holds every file the snapshot refers to.
    copy_new_files(&settings.attachments_dir(), &attachments_of(out))?;
    Ok(())
}

/// Where a backup keeps the photos: `<backup>.attachments/`.
pub fn attachments_of(backup: &Path) -> PathBuf {
    let mut s = backup.as_os_str().to_owned();
    s.push(".attachments");
    PathBuf::from(s)
}

/// Copies the files of `from` that `to` lacks (flat directory). A missing `from` is no files.
fn copy_new_files(from: &Path, to: &Path) -> Result<usize, BoxError> {
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(format!("cannot read {}: {e}", from.display()).into()),
    };
    let mut copied = 0;
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let target = to.join(entry.file_name());
        if target.exists() {
            continue;
        }
        if copied == 0 {
            crate::infra::keys::create_private_dir(to)?;
        }
        let partial = partial_name(&target);
        // Not `fs::copy`, which gives the copy the source's mode: backups are 0600.
        crate::infra::keys::copy_private(&entry.path(), &partial)?;
        sync_file(&partial)?;
        std::fs::rename(&partial, &target)?;
        copied += 1;
    }
    if copied > 0 {
        sync_parent(&to.join("x"));
    }
    Ok(copied)
}

async fn backup_sqlite(url: &str, out: &Path) -> Result<(), BoxError> {
    let source = sqlite_path(url)?;
    if !source.is_file() {
        return Err(format!("no database at {}", source.display()).into());
    }
    // Write next to the target and rename, so that an interrupted backup never leaves a
    // file that looks complete.
    let partial = partial_name(out);
    let _ = std::fs::remove_file(&partial);
    let partial_str = partial
        .to_str()
        .ok_or("the backup path must be valid UTF-8")?;
    // A backup is the whole database: made 0600 before SQLite writes into it (VACUUM INTO
    // accepts an empty file and keeps its mode).
    crate::infra::keys::touch_private(&partial)?;
    let conn = open_sqlite(&source, false).await?;
    // VACUUM INTO reads one snapshot (a read transaction over the WAL), so writers carry on
    // and the copy holds every committed transaction up to that instant and nothing after it.
    let result = conn
        .execute_unprepared(&format!("VACUUM INTO {}", sql_string(partial_str)))
        .await;
    let _ = conn.close().await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("backup failed: {e}").into());
    }
    if let Err(e) = check_sqlite(&partial).await {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    sync_file(&partial)?;
    std::fs::rename(&partial, out)?;
    sync_parent(out);
    Ok(())
}

fn backup_postgres(url: &str, out: &Path) -> Result<(), BoxError> {
    let (url, password) = split_password(url);
    // pg_dump truncates the file it is given and keeps its mode: the server's user only.
    crate::infra::keys::touch_private(&partial_name(out))?;
    let mut cmd = Command::new("pg_dump");
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--file={}", partial_name(out).display()))
        .arg(format!("--dbname={url}"));
    if let Some(p) = password {
        // Not on the command line, where `ps` would show it.
        cmd.env("PGPASSWORD", p);
    }
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("pg_dump is not installed.\n{PG_RECIPE}").into());
        }
        Err(e) => return Err(e.into()),
    };
    if !status.success() {
        let _ = std::fs::remove_file(partial_name(out));
        return Err(format!("pg_dump failed ({status})").into());
    }
    std::fs::rename(partial_name(out), out)?;
    sync_parent(out);
    Ok(())
}

/// Puts a backup back. The target must be empty (or `force`); stop the server first.
pub async fn restore(settings: &Settings, input: &Path, force: bool) -> Result<(), BoxError> {
    if !input.is_file() {
        return Err(format!("no backup at {}", input.display()).into());
    }
    let url = settings.database_url();
    match kind(&url)? {
        Kind::Sqlite => restore_sqlite(&url, input, force).await?,
        Kind::Postgres => restore_postgres(&url, input, force).await?,
    }
    copy_new_files(&attachments_of(input), &settings.attachments_dir())?;
    Ok(())
}

async fn restore_sqlite(url: &str, input: &Path, force: bool) -> Result<(), BoxError> {
    let target = sqlite_path(url)?;
    check_sqlite(input).await?;
    if target.exists() && !force && sqlite_has_tables(&target).await? {
        return Err(format!(
            "{} already holds a database; restore into a new path or pass --force (stop the server first)",
            target.display()
        )
        .into());
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let partial = partial_name(&target);
    crate::infra::keys::copy_private(input, &partial)?;
    sync_file(&partial)?;
    // The old database's WAL would be replayed onto the restored file: remove it with it.
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&partial, &target)?;
    sync_parent(&target);
    check_sqlite(&target).await
}

async fn restore_postgres(url: &str, input: &Path, force: bool) -> Result<(), BoxError> {
    let conn = Database::connect(url).await?;
    let tables = conn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let _ = conn.close().await;
    if tables > 0 && !force {
        return Err("the target database is not empty; restore into a new database (createdb) or pass --force".into());
    }
    let (url, password) = split_password(url);
    let mut cmd = Command::new("pg_restore");
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg("--single-transaction");
    if force {
        cmd.arg("--clean").arg("--if-exists");
    }
    cmd.arg(format!("--dbname={url}")).arg(input);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("pg_restore is not installed.\n{PG_RECIPE}").into());
        }
        Err(e) => return Err(e.into()),
    };
    if !status.success() {
        return Err(format!("pg_restore failed ({status}); nothing was restored").into());
    }
    Ok(())
}

async fn open_sqlite(
    path: &Path,
    read_only: bool,
) -> Result<sea_orm::DatabaseConnection, BoxError> {
    let mode = if read_only { "ro" } else { "rw" };
    let url = format!("sqlite://{}?mode={mode}", path.display());
    let mut opts = sea_orm::ConnectOptions::new(url);
    opts.max_connections(1).sqlx_logging(false);
    opts.map_sqlx_sqlite_opts(|o| o.busy_timeout(std::time::Duration::from_secs(30)));
    Ok(Database::connect(opts).await?)
}

/// `PRAGMA integrity_check` and the presence of Xiaoan's migration table.
async fn check_sqlite(path: &Path) -> Result<(), BoxError> {
    let conn = open_sqlite(path, true).await?;
    let result = async {
        let row = conn
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "PRAGMA integrity_check",
            ))
            .await?
            .ok_or("integrity check returned nothing")?;
        let verdict: String = row.try_get_by_index(0)?;
        if verdict != "ok" {
            return Err(format!("{} is damaged: {verdict}", path.display()).into());
        }
        let migrations = conn
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if migrations == 0 {
            return Err::<(), BoxError>(
                format!("{} is not a Xiaoan database", path.display()).into(),
            );
        }
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    result
}

async fn sqlite_has_tables(path: &Path) -> Result<bool, BoxError> {
    if std::fs::metadata(path)?.len() == 0 {
        return Ok(false);
    }
    let conn = open_sqlite(path, true).await?;
    let n = conn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let _ = conn.close().await;
    Ok(n > 0)
}

fn partial_name(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// Takes the password out of a `postgres://user:password@host/db` URL (percent-decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/xiaoan/xiaoan.db?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/xiaoan/xiaoan.db")
        );
        assert_eq!(
            sqlite_path("sqlite://./data/xiaoan.db").unwrap(),
            PathBuf::from("./data/xiaoan.db")
        );
        assert!(sqlite_path("sqlite::memory:").is_err());
    }

    #[test]
    fn password_leaves_the_url() {
        let (url, pw) = split_password("postgres://xiaoan:p%40ss:w@db:5432/xiaoan?sslmode=disable");
        assert_eq!(url, "postgres://xiaoan@db:5432/xiaoan?sslmode=disable");
        assert_eq!(pw.as_deref(), Some("p@ss:w"));
        let (url, pw) = split_password("postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(pw, None);
    }

    #[test]
    fn quotes_are_escaped() {
        assert_eq!(sql_string("a'b"), "'a''b'");
    }
}
