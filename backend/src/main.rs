//! The `xiaoan` command line: serve, migrate, create-user, seed-demo, rotate-pass-key, rotate-master-key,
//! export-openapi, backup, restore.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use xiaoan::auth::roles::Role;
use xiaoan::infra::config::{LogFormat, Settings};
use xiaoan::infra::error::BoxError;

#[derive(Parser)]
#[command(
    name = "xiaoan",
    version,
    about = "校安 Xiaoan — the school security office's system"
)]
struct Cli {
    /// Optional TOML config file (overridden by XIAOAN_* variables and flags).
    #[arg(long, global = true, env = "XIAOAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct DbArgs {
    /// Data directory: the SQLite database and generated keys live here.
    #[arg(long, env = "XIAOAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…` (default: a SQLite file in the data directory).
    #[arg(long, env = "XIAOAN_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the API and the SPA.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, env = "XIAOAN_BIND")]
        bind: Option<String>,
        /// Load the demo school into an empty database and print the demo accounts.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create an account; the password is read from standard input (one line).
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// principal, security_office, class_teacher, guard
        #[arg(long)]
        role: String,
    },
    /// Load the demo school into an empty database.
    SeedDemo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write a consistent copy of the database to a new file, while the server runs
    /// (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump --format=custom`, or its recipe when
    /// pg_dump is not installed).
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file to create (must not exist).
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Put a backup back into an empty database (stop the server first). The server
    /// migrates a restored older backup on its next start.
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file written by `xiaoan backup`.
        #[arg(long, short)]
        input: PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Remove what is past keeping: sign-in sessions 30 days after they ended, photos never
    /// attached to a record after 7 days. The server also does this every 6 hours.
    Cleanup {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add a new leave-pass signing key; passes signed by older keys stay valid until they expire.
    RotatePassKey {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Replace the master key that seals the pass signing keys and server secrets: every
    /// secret is re-encrypted in one transaction. Stop every server first; start them with
    /// the new key (`<data_dir>/master.key` is replaced; a key from XIAOAN_MASTER_KEY is
    /// printed for you to configure instead).
    RotateMasterKey {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write the OpenAPI document (JSON) to a file, or to standard output.
    ExportOpenapi {
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn settings(config: Option<&PathBuf>, db: &DbArgs) -> Result<Settings, BoxError> {
    let mut s = Settings::load(config.map(PathBuf::as_path))?;
    if let Some(d) = &db.data_dir {
        s.data_dir = d.clone();
    }
    if let Some(u) = db.database_url.as_ref().filter(|u| !u.is_empty()) {
        s.database_url = Some(u.clone());
    }
    Ok(s)
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn run(cli: Cli) -> Result<(), BoxError> {
    match cli.command {
        Command::Serve { db, bind, demo } => {
            let mut s = settings(cli.config.as_ref(), &db)?;
            if let Some(b) = bind {
                s.bind = b;
            }
            s.demo |= demo;
            init_tracing(s.log_format);
            // With JSON logs stderr is for a log collector: one JSON object per line, no banners
            // (the demo banner also names the demo password).
            let human = s.log_format == LogFormat::Pretty;
            let show_accounts = s.demo && human;
            let bind = s.bind.clone();
            let app = xiaoan::Application::build(s).await?;
            if show_accounts {
                eprintln!("{}", xiaoan::demo::accounts_banner());
            }
            if human {
                eprintln!(
                    "  校安 Xiaoan 已启动:http://{bind}/  ·  API 文档:http://{bind}/swagger-ui/\n"
                );
            } else {
                tracing::info!(bind = %bind, "listening");
            }
            app.run_until_stopped().await?;
        }
        Command::Migrate { db } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            let conn = xiaoan::infra::db::Db::connect(&s).await?;
            xiaoan::app::migrate(&conn).await?;
            eprintln!("migrations applied");
        }
        Command::CreateUser {
            db,
            username,
            display_name,
            role,
        } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            let role = Role::parse(&role).ok_or("unknown role")?;
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let conn = xiaoan::infra::db::Db::connect(&s).await?;
            xiaoan::app::migrate(&conn).await?;
            let id = xiaoan::features::users::cli_create(
                &conn,
                &username,
                &display_name,
                role,
                password,
            )
            .await?;
            eprintln!("created user {username} ({id})");
        }
        Command::SeedDemo { db } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            let conn = xiaoan::infra::db::Db::connect(&s).await?;
            xiaoan::app::migrate(&conn).await?;
            if xiaoan::demo::seed_if_empty(&conn, s.time_zone()?).await? {
                eprintln!("{}", xiaoan::demo::accounts_banner());
            } else {
                return Err("the database already has data; demo data is only loaded into an empty database".into());
            }
        }
        Command::Backup { db, output } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            xiaoan::infra::backup::backup(&s, &output).await?;
            eprintln!("backup written to {}", output.display());
        }
        Command::Restore { db, input, force } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            xiaoan::infra::backup::restore(&s, &input, force).await?;
            eprintln!("restored {}", input.display());
        }
        Command::Cleanup { db } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            let conn = xiaoan::infra::db::Db::connect(&s).await?;
            xiaoan::app::migrate(&conn).await?;
            let r = xiaoan::jobs::cleanup::run(
                &conn,
                &s.attachments_dir(),
                xiaoan::infra::clock::now(),
            )
            .await?;
            eprintln!(
                "removed {} ended sessions ({} refresh tokens) and {} unattached uploads",
                r.sessions, r.refresh_tokens, r.uploads
            );
        }
        Command::RotatePassKey { db } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            let conn = xiaoan::infra::db::Db::connect(&s).await?;
            xiaoan::app::migrate(&conn).await?;
            let kid = xiaoan::features::passes::keys::rotate(&conn).await?;
            eprintln!(
                "new pass signing key {kid}; older keys stay published until their passes expire"
            );
        }
        Command::RotateMasterKey { db } => {
            let s = settings(cli.config.as_ref(), &db)?;
            init_tracing(s.log_format);
            let conn = xiaoan::infra::db::Db::connect(&s).await?;
            xiaoan::app::migrate(&conn).await?;
            match xiaoan::features::passes::keys::rotate_master_key(&s, &conn).await? {
                Some(new_key) => {
                    eprintln!(
                        "secrets re-encrypted; set XIAOAN_MASTER_KEY to the key below on every server, then start them"
                    );
                    println!("{new_key}");
                }
                None => eprintln!(
                    "secrets re-encrypted; {} holds the new key (copy it to every replica before starting them)",
                    xiaoan::infra::keys::master_key_path(&s).display()
                ),
            }
        }
        Command::ExportOpenapi { output } => {
            let json = xiaoan::app::openapi().to_pretty_json()?;
            match output {
                Some(path) => std::fs::write(path, json + "\n")?,
                None => println!("{json}"),
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
