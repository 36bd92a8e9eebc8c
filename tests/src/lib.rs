//! Black-box test harness: the real server on a free port with a fresh database per test
//! (a SQLite file, or a new PostgreSQL database when `XIAOAN_TEST_DB=postgres`), driven over
//! HTTP with reqwest, as a third-party client would.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use xiaoan::Settings;

pub mod build;
pub use build::{Class, Person, Student};

pub const PASSWORD: &str = "xiaoan-demo";
/// The signing key the test servers use, so token-attack tests can forge tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// The demo accounts, one per role (teacher2 is a second class teacher).
pub const DEMO_USERS: &[&str] = &[
    "principal",
    "office",
    "teacher1",
    "teacher2",
    "guard1",
    "officer1",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("XIAOAN_TEST_DB").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn pg_base_url() -> String {
    std::env::var("XIAOAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub database_url: String,
    pg_database: Option<String>,
    tokens: Mutex<HashMap<String, String>>,
    /// The test's own small school (see [`TestApp::school`]), built on first use.
    school: tokio::sync::OnceCell<std::sync::Arc<build::School>>,
}

/// A response: status, parsed JSON body (or `Value::Null`), headers.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    /// The problem `code`, if the body is a problem document.
    pub fn code(&self) -> &str {
        self.body.get("code").and_then(Value::as_str).unwrap_or("")
    }
}

pub struct AppOptions {
    pub demo: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self { demo: true }
    }
}

/// Starts the server with the demo school loaded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default(), |_| {}).await
}

/// Starts the server; `tweak` may adjust settings before start.
pub async fn spawn_app_with(opts: AppOptions, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(opts.demo, false, tweak).await
}

/// Starts the server on an empty school: no demo data, only the `office` and `principal`
/// accounts (password [`PASSWORD`]). Tests build the rest with the builders of [`build`], so
/// what they count is only what they made.
pub async fn spawn_empty_school() -> TestApp {
    spawn(false, true, |_| {}).await
}

async fn spawn(demo: bool, staff: bool, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("xiaoan-test-{id}"));
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    let (database_url, pg_database) = match backend() {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", data_dir.join("xiaoan.db").display()),
            None,
        ),
        Backend::Postgres => {
            let name = format!("xiaoan_t_{id}");
            create_pg_database(&name).await;
            let base = pg_base_url();
            let url = match base.rsplit_once('/') {
                Some((prefix, _)) => format!("{prefix}/{name}"),
                None => panic!("XIAOAN_TEST_PG_URL must end in /<database>"),
            };
            (url, Some(name))
        }
    };
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        db_max_connections: 8,
        jwt_secret: Some(JWT_SECRET.into()),
        demo,
        frontend_dir: data_dir.join("no-frontend"),
        ..Settings::default()
    };
    tweak(&mut settings);
    let app = xiaoan::Application::build(settings)
        .await
        .expect("server starts");
    if staff {
        use xiaoan::auth::roles::Role;
        for (username, name, role) in [
            ("office", "保卫处值班员", Role::SecurityOffice),
            ("principal", "校长室秘书", Role::Principal),
        ] {
            xiaoan::features::users::cli_create(
                &app.state.db,
                username,
                name,
                role,
                PASSWORD.into(),
            )
            .await
            .expect("staff account");
        }
    }
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        data_dir,
        database_url,
        pg_database,
        tokens: Mutex::new(HashMap::new()),
        school: tokio::sync::OnceCell::new(),
    }
}

async fn create_pg_database(name: &str) {
    use sea_orm::{ConnectionTrait, Database};
    let conn = Database::connect(pg_base_url()).await.unwrap_or_else(|e| {
        panic!(
            "XIAOAN_TEST_DB=postgres but PostgreSQL is not reachable at {} ({e}). \
             Start it (see README) — the PostgreSQL suite must not be skipped.",
            pg_base_url()
        )
    });
    conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    let _ = conn.close().await;
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(name) = self.pg_database.take() {
            // Best effort, on its own thread: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    use sea_orm::{ConnectionTrait, Database};
                    if let Ok(conn) = Database::connect(pg_base_url()).await {
                        let _ = conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Any request. `auth` is a bearer token, or `key:<api key>` for an integration key.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(a) = auth {
            req = match a.strip_prefix("key:") {
                Some(key) => req.header("X-API-Key", key),
                None => req.bearer_auth(a),
            };
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::finish(req).await
    }

    pub async fn finish(req: reqwest::RequestBuilder) -> Resp {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::PUT, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// Signs in; returns the whole login response.
    pub async fn login_full(&self, username: &str, password: &str) -> Resp {
        self.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    /// An access token for a demo user (signed in once per test app, then cached).
    pub async fn token(&self, username: &str) -> String {
        if let Some(t) = self.tokens.lock().expect("lock").get(username) {
            return t.clone();
        }
        let resp = self.login_full(username, PASSWORD).await;
        assert_eq!(
            resp.status,
            StatusCode::OK,
            "login {username}: {}",
            resp.text
        );
        let token = resp.body["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
        self.tokens
            .lock()
            .expect("lock")
            .insert(username.to_owned(), token.clone());
        token
    }

    /// A fresh access token that is not cached (for tests that end sessions).
    pub async fn fresh_token(&self, username: &str) -> String {
        self.fresh_token_with(username, PASSWORD).await
    }

    /// Creates an integration key with these scopes (as the office); returns `key:<secret>`.
    pub async fn api_key(&self, scopes: &[&str]) -> String {
        let office = self.token("office").await;
        let resp = self
            .post(
                "/api/v1/api-keys",
                &office,
                json!({"name": "测试集成", "scopes": scopes}),
            )
            .await;
        assert_eq!(resp.status, StatusCode::CREATED, "{}", resp.text);
        format!("key:{}", resp.body["secret"].as_str().expect("secret"))
    }

    /// The signed-in user's own profile.
    pub async fn me(&self, username: &str) -> Value {
        let t = self.token(username).await;
        self.get("/api/v1/me", &t).await.body
    }

    /// All classes, as the office sees them: name → id.
    pub async fn class_ids(&self) -> HashMap<String, String> {
        let t = self.token("office").await;
        let resp = self.get("/api/v1/classes", &t).await;
        resp.body
            .as_array()
            .expect("classes")
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default().to_owned(),
                    c["id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The first class a class teacher heads.
    pub async fn own_class_id(&self, username: &str) -> String {
        self.me(username).await["class_ids"][0]
            .as_str()
            .expect("own class")
            .to_owned()
    }

    /// Students of a class (as the office), in student-number order.
    pub async fn students_of(&self, class_id: &str) -> Vec<Value> {
        let t = self.token("office").await;
        let resp = self
            .get(
                &format!("/api/v1/students?class_id={class_id}&limit=200"),
                &t,
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.text);
        resp.body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Audit entries matching a query string, e.g. `action=user.create`.
    pub async fn audit(&self, query: &str) -> Vec<Value> {
        let t = self.token("office").await;
        let resp = self
            .get(&format!("/api/v1/audit-log?{query}&limit=200"), &t)
            .await;
        assert_eq!(resp.status, StatusCode::OK, "{}", resp.text);
        resp.body["items"].as_array().cloned().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Production proofs (issue 7): the real `xiaoan` binary, scratch databases, table snapshots.

/// The `xiaoan` binary of this workspace (`XIAOAN_BIN` overrides). Built on first use with the
/// same cargo and profile as the tests, so it always matches the code under test.
pub fn xiaoan_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(p) = std::env::var("XIAOAN_BIN") {
            return PathBuf::from(p);
        }
        // target/<profile>/deps/<test binary> → target/<profile>/xiaoan
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("target/<profile> directory")
            .to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        // Both packages, so that dependency features resolve exactly as for `cargo test -p
        // xiaoan-api-tests` and nothing is rebuilt back and forth.
        cmd.args(["build", "-q", "-p", "xiaoan", "-p", "xiaoan-api-tests"]);
        if release {
            cmd.arg("--release");
        }
        // Cargo sets these for the running test; build scripts that watch them (ring watches
        // CARGO_MANIFEST_DIR) would otherwise rebuild half the tree back and forth.
        for (k, _) in std::env::vars() {
            if k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_MANIFEST_")
                || matches!(
                    k.as_str(),
                    "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "CARGO_BIN_NAME"
                )
            {
                cmd.env_remove(k);
            }
        }
        let status = cmd.status().expect("run cargo build for the xiaoan binary");
        assert!(status.success(), "cargo build -p xiaoan failed");
        let bin = profile_dir.join("xiaoan");
        assert!(bin.is_file(), "no xiaoan binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A new, empty database of the backend under test (a SQLite file or a PostgreSQL database),
/// removed on drop.
pub struct ScratchDb {
    pub url: String,
    pub dir: PathBuf,
    pg_database: Option<String>,
}

impl ScratchDb {
    pub async fn new() -> Self {
        Self::new_for(backend()).await
    }

    pub async fn new_for(kind: Backend) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("xiaoan-scratch-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match kind {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}?mode=rwc", dir.join("xiaoan.db").display()),
                dir,
                pg_database: None,
            },
            Backend::Postgres => {
                let name = format!("xiaoan_t_{id}");
                create_pg_database(&name).await;
                let base = pg_base_url();
                let (prefix, _) = base
                    .rsplit_once('/')
                    .expect("XIAOAN_TEST_PG_URL ends in /<db>");
                Self {
                    url: format!("{prefix}/{name}"),
                    dir,
                    pg_database: Some(name),
                }
            }
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(name) = self.pg_database.take() {
            drop_pg_database(name);
        }
    }
}

fn drop_pg_database(name: String) {
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            use sea_orm::{ConnectionTrait, Database};
            if let Ok(conn) = Database::connect(pg_base_url()).await {
                let _ = conn
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
                let _ = conn.close().await;
            }
        });
    })
    .join();
}

/// Every table of a database, each as its rows in JSON, sorted: two databases hold the same
/// data exactly when their snapshots are equal.
pub async fn db_snapshot(url: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    use sea_orm::{ConnectionTrait, Database, DbBackend, FromQueryResult, JsonValue, Statement};
    let conn = Database::connect(url).await.expect("connect for snapshot");
    let db = conn.get_database_backend();
    let list = match db {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    let tables: Vec<String> = conn
        .query_all_raw(Statement::from_string(db, list))
        .await
        .expect("list tables")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("table name"))
        .collect();
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        let rows = JsonValue::find_by_statement(Statement::from_string(
            db,
            format!("SELECT * FROM \"{t}\""),
        ))
        .all(&conn)
        .await
        .expect("read table");
        let mut rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        rows.sort();
        out.insert(t, rows);
    }
    let _ = conn.close().await;
    out
}

/// Runs the `xiaoan` binary with these arguments and environment, off the async workers (the
/// test's own server keeps serving meanwhile).
pub async fn run_xiaoan(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(xiaoan_bin());
        cmd.args(&args)
            .env_remove("XIAOAN_DATABASE_URL")
            .env_remove("XIAOAN_DATA_DIR");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.output().expect("run xiaoan")
    })
    .await
    .expect("xiaoan runner")
}

/// A free loopback port (bound and released; the tiny race is harmless in tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A real `xiaoan serve` process (killed on drop). Its stderr (the JSON log) goes to `log`.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub port: u16,
    pub base: String,
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts `xiaoan serve` on a free port with the test JWT secret and JSON logs; `env` adds
    /// or overrides variables (XIAOAN_DATABASE_URL, XIAOAN_DATA_DIR, …). Waits until ready.
    pub async fn start(env: &[(&str, &str)], log: PathBuf) -> Self {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("server log file");
        let bin = tokio::task::spawn_blocking(xiaoan_bin)
            .await
            .expect("xiaoan binary");
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XIAOAN_BIND", &bind)
            .env("XIAOAN_JWT_SECRET", JWT_SECRET)
            .env("XIAOAN_LOG_FORMAT", "json")
            .env("XIAOAN_FRONTEND_DIR", "/nonexistent")
            .env("XIAOAN_DB_MAX_CONNECTIONS", "8")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log_file);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn xiaoan serve");
        let mut server = Self {
            child,
            port,
            base: format!("http://{bind}"),
            log,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "xiaoan serve exited ({status}) before it was ready:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if let Ok(r) = client.get(format!("{}/api/ready", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "xiaoan serve not ready in 60 s:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown hooks, no flushing — what a power cut does to the process.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

impl TestApp {
    /// A fresh access token for any account and password.
    pub async fn fresh_token_with(&self, username: &str, password: &str) -> String {
        let resp = self.login_full(username, password).await;
        assert_eq!(
            resp.status,
            StatusCode::OK,
            "login {username}: {}",
            resp.text
        );
        resp.body["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

/// A small real PNG (a gradient), encoded with the `image` crate.
pub fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 11 % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

impl TestApp {
    /// Uploads a file as multipart part `file` with the given name and declared type.
    pub async fn upload(&self, token: &str, file_name: &str, mime: &str, bytes: Vec<u8>) -> Resp {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(mime)
            .expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        let req = self
            .client
            .post(self.url("/api/v1/attachments"))
            .bearer_auth(token)
            .multipart(form);
        Self::finish(req).await
    }

    /// Uploads a small real PNG; returns its id.
    pub async fn upload_photo(&self, username: &str) -> String {
        let t = self.token(username).await;
        let r = self
            .upload(&t, "photo.png", "image/png", png_bytes(64, 48))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["id"].as_str().expect("id").to_owned()
    }

    /// Runs SQL straight on the test database (to age a record, or to look under the API).
    pub async fn sql(&self, statement: &str) {
        use sea_orm::{ConnectionTrait, Database};
        let conn = Database::connect(&self.database_url).await.expect("db");
        conn.execute_unprepared(statement).await.expect("sql");
        let _ = conn.close().await;
    }

    /// A count from SQL (`SELECT COUNT(*) AS n FROM …`).
    pub async fn sql_count(&self, query: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Database, Statement};
        let conn = Database::connect(&self.database_url).await.expect("db");
        let backend = conn.get_database_backend();
        let row = conn
            .query_one_raw(Statement::from_string(backend, query.to_owned()))
            .await
            .expect("query")
            .expect("row");
        let n: i64 = row.try_get("", "n").expect("n");
        let _ = conn.close().await;
        n
    }

    /// The template (current version) with this code, as the office sees it.
    pub async fn template(&self, code: &str) -> Value {
        let t = self.token("office").await;
        let r = self.get("/api/v1/inspection-templates", &t).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
            .as_array()
            .expect("templates")
            .iter()
            .find(|x| x["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("template {code} missing"))
    }
}

/// Today in the test servers' time zone (the default setting), by the server's own clock.
pub fn school_today() -> chrono::NaiveDate {
    let tz = Settings::default()
        .time_zone()
        .expect("the default time zone");
    xiaoan::infra::clock::today(tz)
}

impl TestApp {
    /// A user's id, from signing in as them.
    pub async fn user_id(&self, username: &str) -> String {
        self.me(username).await["id"]
            .as_str()
            .expect("user id")
            .to_owned()
    }

    /// A GET whose body is binary (XLSX, ICS …): status, content type and bytes.
    pub async fn get_bytes(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, String, Vec<u8>) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        (status, ct, bytes)
    }
}
