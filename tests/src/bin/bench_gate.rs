//! Gate-scan benchmark: the real server in-process on a fresh database, a pool of leave passes,
//! `POST /api/v1/gate/scans` from 64 concurrent connections for a fixed time, and
//! `GET /api/health` measured the same way as the ceiling of this machine.
//!
//! ```text
//! cargo run --release -p xiaoan-api-tests --bin bench_gate -- --db sqlite --seconds 10
//! cargo run --release -p xiaoan-api-tests --bin bench_gate -- --db sqlite --sync normal
//! cargo run --release -p xiaoan-api-tests --bin bench_gate -- --db postgres
//! cargo run --release -p xiaoan-api-tests --bin bench_gate -- --db sqlite --blackhole
//! ```
//!
//! `--blackhole` runs the scans a second time with a webhook subscription to `gate.exit`
//! pointing at a local black hole (a listener that accepts and never answers), and prints both
//! figures: a receiver that hangs must not slow the gate (the delivery worker runs beside the
//! requests, with bounded timeouts).
//!
//! Every scan is the first exit of a pass of its own (the pool is written straight into the
//! database, signed with the server's key, before the clock starts), so each allowed scan is a
//! real write: the conditional update of the pass, the scan row and its audit row, one commit.

#![allow(clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database, EntityTrait, Set};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use xiaoan::features::passes::token;
use xiaoan::infra::config::SqliteSync;
use xiaoan::schema::passes::leave_pass;

struct Args {
    db: String,
    seconds: u64,
    concurrency: usize,
    sync: SqliteSync,
    blackhole: bool,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite".into(),
        seconds: 10,
        concurrency: 64,
        sync: SqliteSync::Full,
        blackhole: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--blackhole" {
            a.blackhole = true;
            continue;
        }
        let val = it.next().unwrap_or_default();
        match flag.as_str() {
            "--db" => a.db = val,
            "--seconds" => a.seconds = val.parse().expect("--seconds N"),
            "--concurrency" => a.concurrency = val.parse().expect("--concurrency N"),
            "--sync" => {
                a.sync = match val.as_str() {
                    "normal" => SqliteSync::Normal,
                    _ => SqliteSync::Full,
                }
            }
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

struct Stats {
    count: usize,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    allows: usize,
}

/// A minimal HTTP/1.1 keep-alive connection, as `wrk` uses: each request written whole, each
/// response read by its Content-Length. A general client (reqwest) spent about a third of the
/// two cores here on itself; this spends little, so the figures are about the server.
struct Conn {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> Self {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Sends one request; returns the status and the body.
    async fn call(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(request).await.expect("write");
        loop {
            if let Some(head_end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..head_end]).expect("ascii head");
                let status: u16 = head
                    .split(' ')
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .expect("status line");
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .expect("the server sends Content-Length");
                let total = head_end + 4 + len;
                while self.buf.len() < total {
                    let n = self.stream.read_buf(&mut self.buf).await.expect("read");
                    assert!(n > 0, "connection closed mid-response");
                }
                let body = self.buf[head_end + 4..total].to_vec();
                self.buf.drain(..total);
                return (status, body);
            }
            let n = self.stream.read_buf(&mut self.buf).await.expect("read");
            assert!(n > 0, "connection closed");
        }
    }
}

fn get_request(addr: &str, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes()
}

fn post_request(addr: &str, path: &str, bearer: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {bearer}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Runs `concurrency` connections for `secs`, each sending request `make(i)` and waiting for
/// its answer before the next.
async fn drive<F>(addr: &str, secs: u64, concurrency: usize, make: F) -> Stats
where
    F: Fn(usize) -> Vec<u8> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        conns.push(Conn::open(addr).await);
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for mut conn in conns {
        let (make, next) = (make.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(4096);
            let mut allows = 0usize;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let request = make(i);
                let t = Instant::now();
                let (status, body) = conn.call(&request).await;
                lat.push(t.elapsed());
                assert!(
                    (200..300).contains(&status),
                    "{status} {}",
                    String::from_utf8_lossy(&body)
                );
                if body.starts_with(b"{\"result\":\"allow\"") {
                    allows += 1;
                }
            }
            (lat, allows)
        }));
    }
    let mut all = Vec::new();
    let mut allows = 0;
    for t in tasks {
        let (lat, a) = t.await.expect("task");
        all.extend(lat);
        allows += a;
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Stats {
        count: all.len(),
        per_sec: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        allows,
    }
}

#[tokio::main]
async fn main() {
    let a = args();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("xiaoan-bench-{id}"));
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    let pg_base = std::env::var("XIAOAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let (database_url, pg_db) = match a.db.as_str() {
        "postgres" => {
            let name = format!("xiaoan_bench_{id}");
            let conn = Database::connect(pg_base.as_str())
                .await
                .expect("PostgreSQL");
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create database");
            let (prefix, _) = pg_base.rsplit_once('/').expect("url");
            (format!("{prefix}/{name}"), Some(name))
        }
        _ => (
            format!("sqlite://{}?mode=rwc", data_dir.join("xiaoan.db").display()),
            None,
        ),
    };
    let settings = xiaoan::Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        jwt_secret: Some("bench-secret-bench-secret-bench-secret-0123456789".into()),
        demo: true,
        sqlite_synchronous: a.sync,
        frontend_dir: data_dir.join("no-frontend"),
        // The black hole listens on loopback.
        channels_allow_private: a.blackhole,
        ..xiaoan::Settings::default()
    };
    let app = xiaoan::Application::build(settings)
        .await
        .expect("server starts");
    let addr = format!("127.0.0.1:{}", app.port());
    let base = format!("http://{addr}");
    let db = app.state.db.clone();
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::new();
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "guard1", "password": xiaoan::demo::demo_password()}))
        .send()
        .await
        .expect("login")
        .json::<serde_json::Value>()
        .await
        .expect("login body");
    let bearer = format!(
        "Bearer {}",
        login["access_token"].as_str().expect("access token")
    );

    // The pool: enough unique passes that every scan in the run is a first exit.
    let runs = if a.blackhole { 2 } else { 1 };
    let pool = ((a.seconds as usize) * 6000 + 10_000) * runs;
    let t = Instant::now();
    let tokens = make_pool(&db, pool).await;
    eprintln!(
        "{} passes written in {:.1}s",
        tokens.len(),
        t.elapsed().as_secs_f64()
    );
    let tokens = Arc::new(tokens);

    // Warm up the server's workers and caches.
    let health_request = get_request(&addr, "/api/health");
    let _ = drive(&addr, 1, a.concurrency, {
        let r = health_request.clone();
        move |_| r.clone()
    })
    .await;

    let health = drive(&addr, a.seconds, a.concurrency, {
        let r = health_request.clone();
        move |_| r.clone()
    })
    .await;

    let scan_run = |offset: usize| {
        scan_run(
            addr.clone(),
            bearer.clone(),
            tokens.clone(),
            a.seconds,
            a.concurrency,
            offset,
        )
    };
    let scans = scan_run(0).await;
    let with_hole = if a.blackhole {
        let hole = black_hole().await;
        let office = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "office", "password": xiaoan::demo::demo_password()}))
            .send()
            .await
            .expect("login")
            .json::<serde_json::Value>()
            .await
            .expect("login body");
        let r = client
            .post(format!("{base}/api/v1/subscriptions"))
            .bearer_auth(office["access_token"].as_str().expect("token"))
            .json(
                &json!({"name": "黑洞", "kind": "webhook", "audience": "system",
                          "url": format!("http://127.0.0.1:{hole}/never"),
                          "event_kinds": ["gate.exit"]}),
            )
            .send()
            .await
            .expect("subscribe");
        assert_eq!(r.status().as_u16(), 201, "subscribed");
        Some(scan_run(scans.count + 1000).await)
    } else {
        None
    };

    let backend = match (a.db.as_str(), a.sync) {
        ("postgres", _) => "PostgreSQL".to_owned(),
        (_, SqliteSync::Full) => "SQLite (synchronous=FULL)".to_owned(),
        (_, SqliteSync::Normal) => "SQLite (synchronous=NORMAL)".to_owned(),
    };
    println!(
        "\n{backend}, {} connections, {} s each, release build: {}",
        a.concurrency,
        a.seconds,
        if cfg!(debug_assertions) {
            "NO (debug build: numbers are meaningless)"
        } else {
            "yes"
        }
    );
    println!(
        "  GET /api/health     {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        health.per_sec, health.p50_ms, health.p99_ms
    );
    println!(
        "  POST /gate/scans    {:>8.0} scans/s p50 {:>6.2} ms   p99 {:>6.2} ms   ({} scans, {} allowed first exits)",
        scans.per_sec, scans.p50_ms, scans.p99_ms, scans.count, scans.allows
    );
    println!(
        "  ratio to ceiling    {:.2}",
        scans.per_sec / health.per_sec.max(1.0)
    );
    if let Some(h) = with_hole {
        println!(
            "  with a black-hole subscription to gate.exit (accepts, never answers):\n  \
             POST /gate/scans    {:>8.0} scans/s p50 {:>6.2} ms   p99 {:>6.2} ms   ({} scans, {} allowed first exits)",
            h.per_sec, h.p50_ms, h.p99_ms, h.count, h.allows
        );
        println!(
            "  with / without      {:.2} (scans/s), p99 {:.2}",
            h.per_sec / scans.per_sec.max(1.0),
            h.p99_ms / scans.p99_ms.max(0.001)
        );
    }

    let _ = std::fs::remove_dir_all(&data_dir);
    if let Some(name) = pg_db {
        db.conn.clone().close().await.ok();
        if let Ok(conn) = Database::connect(pg_base.as_str()).await {
            let _ = conn
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
    std::process::exit(0);
}

/// Scans from `concurrency` connections for `secs`, each the first exit of its own pass (from
/// `offset` on in the pool).
async fn scan_run(
    addr: String,
    bearer: String,
    tokens: Arc<Vec<String>>,
    secs: u64,
    concurrency: usize,
    offset: usize,
) -> Stats {
    let target = addr.clone();
    drive(&target, secs, concurrency, move |i| {
        let body = json!({
            "token": tokens[(offset + i) % tokens.len()], "direction": "exit", "gate": "南门",
            "client_event_id": uuid::Uuid::now_v7().to_string(),
        })
        .to_string();
        post_request(&addr, "/api/v1/gate/scans", &bearer, &body)
    })
    .await
}

/// A listener on loopback that accepts every connection and never answers (the sockets are
/// held open, unread); returns its port.
async fn black_hole() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("black hole");
    let port = listener.local_addr().expect("port").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    port
}

/// Writes `n` passes for the demo students straight into the database, signed with the
/// server's active key exactly as `POST /leave-passes` would.
async fn make_pool(db: &xiaoan::infra::db::Db, n: usize) -> Vec<String> {
    use xiaoan::schema::students::student;
    let conn = &db.conn;
    let students = student::Entity::find().all(conn).await.expect("students");
    let issuer: uuid::Uuid = xiaoan::schema::users::Entity::find()
        .all(conn)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "office")
        .expect("office user")
        .id;
    let (kid, key) = xiaoan::features::passes::keys::active_signing_key(conn, &db.master_key)
        .await
        .expect("signing key");
    let now = xiaoan::infra::clock::now();
    let from = chrono::DateTime::from_timestamp(now.timestamp() - 60, 0).expect("time");
    let until = chrono::DateTime::from_timestamp(now.timestamp() + 3600, 0).expect("time");
    let mut tokens = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(500);
    for i in 0..n {
        let s = &students[i % students.len()];
        let id = uuid::Uuid::now_v7();
        let tok = token::sign(
            &token::Claims {
                kid,
                pass_id: id,
                student_id: s.id,
                kind: token::PassKind::ExitOnly,
                valid_from: from.timestamp(),
                valid_until: until.timestamp(),
                return_by: None,
                student_name: s.name.clone(),
                class_name: "2019级旅游服务与管理1班".into(),
            },
            &key,
        );
        rows.push(leave_pass::ActiveModel {
            id: Set(id),
            student_id: Set(s.id),
            class_id: Set(s.class_id),
            kind: Set(xiaoan::schema::passes::PassKind::ExitOnly),
            reason: Set("压测".into()),
            valid_from: Set(from),
            valid_until: Set(until),
            return_by: Set(None),
            status: Set(xiaoan::schema::passes::PassStatus::Issued),
            kid: Set(token::kid_to_string(&kid)),
            token: Set(tok.clone()),
            issued_by: Set(issuer),
            issued_at: Set(now),
            revoked_at: Set(None),
            revoked_by: Set(None),
            exited_at: Set(None),
            exit_scan_id: Set(None),
            returned_at: Set(None),
            return_scan_id: Set(None),
            updated_at: Set(now),
            short_code: Set(None),
        });
        tokens.push(tok);
        if rows.len() == 500 || i + 1 == n {
            let tx = db.begin_write().await.expect("tx");
            leave_pass::Entity::insert_many(std::mem::take(&mut rows))
                .exec(&*tx)
                .await
                .expect("insert passes");
            tx.commit().await.expect("commit");
        }
    }
    tokens
}
