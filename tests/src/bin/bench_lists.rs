//! District-scale list benchmark on PostgreSQL: a generated data set (200,000 students in 400
//! classes, 2,500,000 leave passes, 10,000,000 gate scans, 100,000 hazards, 4,000,000 audit
//! rows over a 120-day semester), the real server in-process on it, and the main list
//! endpoints driven with filters and cursors from a few concurrent connections.
//!
//! ```text
//! cargo run --release -p xiaoan-api-tests --bin bench_lists             # generate, then measure
//! cargo run --release -p xiaoan-api-tests --bin bench_lists -- --reuse  # keep loaded data
//! cargo run --release -p xiaoan-api-tests --bin bench_lists -- --drop   # drop the database after
//! ```
//!
//! The database is `xiaoan_scale` on the server of `XIAOAN_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); it is dropped and re-created unless `--reuse`
//! finds it loaded. Everything is generated server-side (`INSERT … SELECT … generate_series`)
//! with the secondary indexes dropped during the load and rebuilt after it.

#![allow(clippy::expect_used)]

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DB_NAME: &str = "xiaoan_scale";
const CLASSES: i64 = 400;
const STUDENTS: i64 = 200_000;
const PASSES: i64 = 2_500_000;
const SCANS: i64 = 10_000_000;
const HAZARDS: i64 = 100_000;
const AUDIT: i64 = 4_000_000;
/// The semester: 120 days ending 4 hours ago.
const SPAN_DAYS: i64 = 120;
const TARGET_P99_MS: f64 = 50.0;

struct Args {
    reuse: bool,
    drop: bool,
    requests: usize,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        reuse: false,
        drop: false,
        requests: 400,
        concurrency: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--reuse" => a.reuse = true,
            "--drop" => a.drop = true,
            "--requests" => a.requests = it.next().and_then(|v| v.parse().ok()).expect("N"),
            "--concurrency" => a.concurrency = it.next().and_then(|v| v.parse().ok()).expect("N"),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("i64")
}

async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

/// Whether a previous run left the full data set behind.
async fn loaded(base: &str, url: &str) -> bool {
    let Ok(admin) = Database::connect(base).await else {
        return false;
    };
    let exists = scalar_i64(
        &admin,
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{DB_NAME}'"),
    )
    .await
        > 0;
    if !exists {
        return false;
    }
    let Ok(db) = Database::connect(url).await else {
        return false;
    };
    // The generator writes this marker last.
    scalar_i64(
        &db,
        "SELECT count(*) FROM pg_class WHERE relname = 'xiaoan_scale_loaded'",
    )
    .await
        > 0
}

/// Same-session settings for a bulk statement.
const BULK: &str = "SET synchronous_commit = off; SET work_mem = '64MB'; ";

/// The pass time of pass `p`: spread over the semester, a deterministic jitter of up to 10 min.
fn pass_time(p: &str) -> String {
    format!(
        "(now() - interval '4 hours' - interval '{SPAN_DAYS} days' \
         + ({p}::float8 / {PASSES}) * interval '{SPAN_DAYS} days' \
         + (({p} * 2654435761) % 600) * interval '1 second')"
    )
}

async fn generate(db: &DatabaseConnection) {
    let t0 = Instant::now();
    // UUIDv7 from an instant and a seed: the 48-bit millisecond prefix, then md5 bits.
    exec(
        db,
        "CREATE OR REPLACE FUNCTION bench_v7(ts timestamptz, n bigint) RETURNS uuid AS $$ \
           SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' \
             || substr(md5(n::text), 1, 3) || '8' || substr(md5(n::text), 4, 15))::uuid \
         $$ LANGUAGE sql IMMUTABLE",
    )
    .await;
    // People and classes: one class teacher per class (password as the demo accounts').
    exec(
        db,
        &format!(
            "INSERT INTO users (id, username, display_name, role, phone, password_hash, is_active, created_at, updated_at) \
             SELECT md5('t' || i)::uuid, 'scale_t' || i, '班主任' || i, 'class_teacher', NULL, \
               (SELECT password_hash FROM users WHERE username = 'teacher1'), true, now(), now() \
             FROM generate_series(1, {CLASSES}) i; \
             INSERT INTO classes (id, name, grade, class_teacher_id, created_at, updated_at) \
             SELECT md5('c' || i)::uuid, '第' || ((i - 1) / 20 + 1) || '校 ' || (2023 + i % 3) || '级' || i || '班', \
               (2023 + i % 3) || '级', md5('t' || i)::uuid, now(), now() \
             FROM generate_series(1, {CLASSES}) i; \
             INSERT INTO students (id, student_no, name, class_id, guardian_name, guardian_phone, is_active, created_at, updated_at) \
             SELECT md5('s' || i)::uuid, 'S' || lpad(i::text, 7, '0'), '学生' || i, \
               md5('c' || ((i - 1) / {per} + 1))::uuid, NULL, NULL, true, now(), now() \
             FROM generate_series(1, {STUDENTS}) i;",
            per = STUDENTS / CLASSES
        ),
    )
    .await;
    eprintln!(
        "  {CLASSES} classes, {CLASSES} class teachers, {STUDENTS} students: {:.0}s",
        t0.elapsed().as_secs_f64()
    );

    // Secondary indexes go during the load and come back after it (much faster than
    // maintaining them row by row).
    let tables = "'leave_passes','gate_scans','hazards','audit_log'";
    let defs = strings(
        db,
        &format!(
            "SELECT indexdef FROM pg_indexes i WHERE tablename IN ({tables}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
    )
    .await;
    let names = strings(
        db,
        &format!(
            "SELECT indexname::text FROM pg_indexes i WHERE tablename IN ({tables}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
    )
    .await;
    for n in &names {
        exec(db, &format!("DROP INDEX \"{n}\"")).await;
    }

    let office = "(SELECT id FROM users WHERE username = 'office')";
    let guard = "(SELECT id FROM users WHERE username = 'guard1')";
    let per = STUDENTS / CLASSES;
    // Student of pass p, spread over the school; class of that student.
    let stu = "((p * 7919) % 200000 + 1)";
    let t = Instant::now();
    let chunk = 500_000;
    let mut lo = 0;
    while lo < PASSES {
        let hi = (lo + chunk).min(PASSES);
        exec(
            db,
            &format!(
                "{BULK} INSERT INTO leave_passes (id, student_id, class_id, kind, reason, valid_from, valid_until, return_by, \
                   status, kid, token, issued_by, issued_at, revoked_at, revoked_by, exited_at, exit_scan_id, returned_at, \
                   return_scan_id, updated_at) \
                 SELECT bench_v7(t, p), md5('s' || {stu})::uuid, md5('c' || (({stu} - 1) / {per} + 1))::uuid, \
                   CASE WHEN p % 3 = 0 THEN 'exit_only' ELSE 'exit_and_return' END, \
                   (ARRAY['回家','就医','参加比赛','家中有事'])[p % 4 + 1], \
                   t, t + interval '4 hours', CASE WHEN p % 3 = 0 THEN NULL ELSE t + interval '3 hours' END, \
                   st, 'bench', 'bench.' || p, {office}, t, \
                   CASE WHEN st = 'revoked' THEN t + interval '5 minutes' END, \
                   CASE WHEN st = 'revoked' THEN {office} END, \
                   CASE WHEN st IN ('out', 'returned') THEN t + interval '10 minutes' END, NULL, \
                   CASE WHEN st = 'returned' THEN t + interval '2 hours' END, NULL, t \
                 FROM (SELECT p, t, CASE \
                         WHEN p % 50 = 0 THEN 'revoked' \
                         WHEN p % 50 = 1 THEN 'issued' \
                         WHEN p % 3 = 0 OR p % 50 = 2 THEN 'out' \
                         ELSE 'returned' END AS st \
                       FROM (SELECT p, {pt} AS t FROM generate_series({lo}::bigint, {hi} - 1) p) x) y",
                pt = pass_time("p"),
            ),
        )
        .await;
        lo = hi;
    }
    eprintln!("  {PASSES} leave passes: {:.0}s", t.elapsed().as_secs_f64());

    // Four scans per pass (out, back, and a second round), 1 in 29 refused, 1 in 10 synced
    // from an offline phone a quarter of an hour late, 1 in 5003 a conflicting offline exit.
    let t = Instant::now();
    let chunk = 1_000_000;
    let mut lo = 0;
    while lo < SCANS {
        let hi = (lo + chunk).min(SCANS);
        exec(
            db,
            &format!(
                "{BULK} INSERT INTO gate_scans (id, client_event_id, pass_id, student_id, class_id, direction, gate, result, \
                   code, conflict, source, scanned_at, received_at, actor_user_id, actor_api_key_id) \
                 SELECT bench_v7(rcv, j), md5('e' || j), bench_v7(t, p), md5('s' || {stu})::uuid, \
                   md5('c' || (({stu} - 1) / {per} + 1))::uuid, \
                   CASE WHEN j % 2 = 0 THEN 'exit' ELSE 'return' END, \
                   (ARRAY['南门','北门','东门','西门'])[p % 4 + 1], \
                   CASE WHEN j % 29 = 0 THEN 'deny' ELSE 'allow' END, \
                   CASE WHEN j % 29 = 0 THEN (ARRAY['pass_used','pass_expired','pass_revoked'])[j % 3 + 1] ELSE 'ok' END, \
                   j % 5003 = 0, CASE WHEN j % 10 = 0 THEN 'batch' ELSE 'online' END, \
                   sc, rcv, {guard}, NULL \
                 FROM (SELECT j, p, t, sc, CASE WHEN j % 10 = 0 THEN sc + interval '15 minutes' \
                         ELSE sc + interval '1 second' END AS rcv \
                       FROM (SELECT j, p, t, t + (j % 4) * interval '50 minutes' + (j % 97) * interval '1 second' AS sc \
                             FROM (SELECT j, j / 4 AS p, {pt} AS t FROM generate_series({lo}::bigint, {hi} - 1) j) a) b) c",
                pt = pass_time("(j / 4)"),
            ),
        )
        .await;
        lo = hi;
        eprint!("\r  gate scans: {lo}/{SCANS}");
    }
    eprintln!("\r  {SCANS} gate scans: {:.0}s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let ht = format!(
        "(now() - interval '{SPAN_DAYS} days' + (h::float8 / {HAZARDS}) * interval '{SPAN_DAYS} days')"
    );
    exec(
        db,
        &format!(
            "{BULK} INSERT INTO hazards (id, category, location, description, class_id, source, submission_id, item_key, \
               photo_ids, status, reported_by, reported_at, owner_id, deadline, assigned_by, assigned_at, rectified_by, \
               rectified_at, rectification, rectification_photo_ids, verified_by, closed_at, updated_at) \
             SELECT bench_v7(t, h), (ARRAY['traffic','fire','security','facility','electrical','food','other'])[h % 7 + 1], \
               (ARRAY['教学楼','宿舍楼','食堂','操场','实训楼','校门','图书馆','体育馆'])[h % 8 + 1], \
               '隐患描述 ' || h, CASE WHEN h % 5 < 3 THEN md5('c' || ((h * 31) % {CLASSES} + 1))::uuid END, \
               'report', NULL, NULL, '[]', st, {office}, t, \
               CASE WHEN st <> 'reported' THEN md5('t' || (h % {CLASSES} + 1))::uuid END, \
               CASE WHEN st <> 'reported' THEN to_char(t + interval '7 days', 'YYYY-MM-DD') END, \
               CASE WHEN st <> 'reported' THEN {office} END, \
               CASE WHEN st <> 'reported' THEN t + interval '1 hour' END, \
               CASE WHEN st IN ('rectified', 'closed') THEN md5('t' || (h % {CLASSES} + 1))::uuid END, \
               CASE WHEN st IN ('rectified', 'closed') THEN t + interval '2 days' END, \
               CASE WHEN st IN ('rectified', 'closed') THEN '已整改' END, '[]', \
               CASE WHEN st = 'closed' THEN {office} END, \
               CASE WHEN st = 'closed' THEN t + interval '3 days' END, t \
             FROM (SELECT h, t, CASE WHEN h % 20 < 2 THEN 'reported' WHEN h % 20 < 5 THEN 'assigned' \
                     WHEN h % 20 = 5 THEN 'rectified' ELSE 'closed' END AS st \
                   FROM (SELECT h, {ht} AS t FROM generate_series(1::bigint, {HAZARDS}) h) x) y"
        ),
    )
    .await;
    eprintln!("  {HAZARDS} hazards: {:.0}s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let chunk = 1_000_000;
    let mut lo = 0;
    while lo < AUDIT {
        let hi = (lo + chunk).min(AUDIT);
        exec(
            db,
            &format!(
                "{BULK} INSERT INTO audit_log (id, occurred_at, actor_user_id, actor_api_key_id, action, entity_type, entity_id, changes) \
                 SELECT bench_v7(t, a), t, {guard}, NULL, act, CASE WHEN act LIKE 'gate.%' THEN 'leave_pass' WHEN act = 'auth.login' THEN 'user' \
                   ELSE split_part(act, '.', 1) END, \
                   md5('x' || (a / 3))::uuid::text, '{{\"bench\":true}}' \
                 FROM (SELECT a, t, (ARRAY['gate.exit','gate.exit','gate.exit','gate.exit','gate.exit','gate.exit','gate.exit', \
                         'gate.return','gate.return','gate.return','gate.return','gate.return','gate.return', \
                         'leave_pass.issue','leave_pass.issue','leave_pass.issue','leave_pass.revoke', \
                         'hazard.report','hazard.assign','auth.login'])[a % 20 + 1] AS act \
                       FROM (SELECT a, now() - interval '{SPAN_DAYS} days' + (a::float8 / {AUDIT}) * interval '{SPAN_DAYS} days' AS t \
                             FROM generate_series({lo}::bigint, {hi} - 1) a) x) y"
            ),
        )
        .await;
        lo = hi;
    }
    eprintln!("  {AUDIT} audit rows: {:.0}s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    for d in &defs {
        exec(db, &format!("SET maintenance_work_mem = '512MB'; {d}")).await;
    }
    eprintln!(
        "  {} secondary indexes rebuilt: {:.0}s",
        defs.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    for table in [
        "users",
        "classes",
        "students",
        "leave_passes",
        "gate_scans",
        "hazards",
        "audit_log",
    ] {
        exec(db, &format!("VACUUM ANALYZE {table}")).await;
    }
    exec(db, "DROP FUNCTION bench_v7(timestamptz, bigint)").await;
    exec(db, "CREATE TABLE xiaoan_scale_loaded (at timestamptz)").await;
    eprintln!(
        "  vacuum + analyze: {:.0}s\n  loaded in {:.0}s",
        t.elapsed().as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
}

struct Stats {
    count: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

/// One walk: the first page from `start(i)`, then `pages - 1` more following the cursor.
struct Scenario {
    endpoint: &'static str,
    label: String,
    bearer: String,
    pages: usize,
    start: Box<dyn Fn(usize) -> String + Send + Sync>,
}

async fn run(
    client: &reqwest::Client,
    base: &str,
    sc: Arc<Scenario>,
    requests: usize,
    concurrency: usize,
) -> Stats {
    let next = Arc::new(AtomicUsize::new(0));
    let walks = requests.div_ceil(sc.pages);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, sc, next) = (client.clone(), base.to_owned(), sc.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= walks {
                    break;
                }
                let first = (sc.start)(i);
                let mut url = first.clone();
                for _ in 0..sc.pages {
                    let t = Instant::now();
                    let send = || {
                        client
                            .get(format!("{base}{url}"))
                            .header("authorization", &sc.bearer)
                            .send()
                    };
                    // A pooled connection the server closed as idle: once more, fresh.
                    let resp = match send().await {
                        Ok(r) => r,
                        Err(_) => send().await.expect("request"),
                    };
                    let status = resp.status();
                    let body = resp.bytes().await.expect("body");
                    lat.push(t.elapsed());
                    assert!(
                        status.is_success(),
                        "{url}: {status} {}",
                        String::from_utf8_lossy(&body)
                    );
                    let v: Value = serde_json::from_slice(&body).expect("json");
                    match v["next_cursor"].as_str() {
                        Some(c) => {
                            let sep = if first.contains('?') { '&' } else { '?' };
                            url = format!("{first}{sep}cursor={c}");
                        }
                        None => break,
                    }
                }
            }
            lat
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    Stats {
        count: all.len(),
        p50: pct(0.50),
        p99: pct(0.99),
        max: all.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
    }
}

async fn login(client: &reqwest::Client, base: &str, user: &str) -> String {
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": xiaoan::demo::demo_password()}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    format!(
        "Bearer {}",
        r["access_token"].as_str().expect("access token")
    )
}

/// A deterministic pseudo-random pick.
fn pick(i: usize, salt: usize, n: usize) -> usize {
    (i.wrapping_mul(2_654_435_761)
        .wrapping_add(salt.wrapping_mul(40_503)))
        % n
}

#[tokio::main]
async fn main() {
    let a = args();
    let pg_base = std::env::var("XIAOAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let (prefix, _) = pg_base.rsplit_once('/').expect("url");
    let url = format!("{prefix}/{DB_NAME}");
    let reuse = a.reuse && loaded(&pg_base, &url).await;
    if !reuse {
        let admin = Database::connect(pg_base.as_str())
            .await
            .expect("PostgreSQL");
        exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS \"{DB_NAME}\" WITH (FORCE)"),
        )
        .await;
        exec(&admin, &format!("CREATE DATABASE \"{DB_NAME}\"")).await;
    }
    let data_dir = std::env::temp_dir().join("xiaoan-bench-lists");
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    let settings = xiaoan::Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.clone(),
        database_url: Some(url.clone()),
        jwt_secret: Some("bench-secret-bench-secret-bench-secret-0123456789".into()),
        demo: true,
        frontend_dir: data_dir.join("no-frontend"),
        ..xiaoan::Settings::default()
    };
    let app = xiaoan::Application::build(settings)
        .await
        .expect("server starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server_db = app.state.db.clone();
    tokio::spawn(app.run_until_stopped());
    let db = Database::connect(url.as_str()).await.expect("scale db");
    if reuse {
        eprintln!("reusing the loaded {DB_NAME}");
    } else {
        eprintln!("generating {DB_NAME}:");
        generate(&db).await;
    }
    let size = strings(
        &db,
        &format!("SELECT pg_size_pretty(pg_database_size('{DB_NAME}'))"),
    )
    .await;
    eprintln!("database size {}", size.join(""));

    let classes = strings(
        &db,
        "SELECT id::text FROM classes WHERE name LIKE '第%' ORDER BY name",
    )
    .await;
    let pass_ids = strings(
        &db,
        "SELECT id::text FROM leave_passes TABLESAMPLE SYSTEM (0.1) LIMIT 500",
    )
    .await;
    let hazard_ids = strings(
        &db,
        "SELECT id::text FROM hazards TABLESAMPLE SYSTEM (5) LIMIT 500",
    )
    .await;
    // The teacher of the first generated class.
    let teacher_user = strings(
        &db,
        &format!(
            "SELECT u.username::text FROM users u JOIN classes c ON c.class_teacher_id = u.id WHERE c.id = '{}'",
            classes[0]
        ),
    )
    .await
    .pop()
    .expect("teacher");

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency * 2)
        .build()
        .expect("client");
    let office = login(&client, &base, "office").await;
    let teacher = login(&client, &base, &teacher_user).await;

    let today = chrono::Utc::now().date_naive();
    // A day of the semester (local dates; any of the last 118 days), and that day as an
    // RFC 3339 range.
    let day =
        move |i: usize, salt: usize| today - chrono::Duration::days(1 + pick(i, salt, 118) as i64);
    let range = move |i: usize, salt: usize| {
        let d = day(i, salt);
        format!(
            "from={}T00:00:00%2B08:00&to={}T00:00:00%2B08:00",
            d,
            d + chrono::Duration::days(1)
        )
    };
    let cl = Arc::new(classes);
    let pids = Arc::new(pass_ids);
    let hids = Arc::new(hazard_ids);
    let sc = |endpoint: &'static str,
              label: &str,
              bearer: &str,
              pages: usize,
              start: Box<dyn Fn(usize) -> String + Send + Sync>| {
        Arc::new(Scenario {
            endpoint,
            label: label.to_owned(),
            bearer: bearer.to_owned(),
            pages,
            start,
        })
    };
    let gate = "/api/v1/gate/scans";
    let passes = "/api/v1/leave-passes";
    let hazards = "/api/v1/hazards";
    let audit = "/api/v1/audit-log";
    let scenarios = vec![
        sc(
            gate,
            "first page",
            &office,
            1,
            Box::new(|_| "/api/v1/gate/scans".into()),
        ),
        sc(
            gate,
            "20 pages deep (cursor)",
            &office,
            20,
            Box::new(|_| "/api/v1/gate/scans".into()),
        ),
        {
            let cl = cl.clone();
            sc(
                gate,
                "class, 5 pages",
                &office,
                5,
                Box::new(move |i| {
                    format!("/api/v1/gate/scans?class_id={}", cl[pick(i, 1, cl.len())])
                }),
            )
        },
        sc(
            gate,
            "one day (from/to), 5 pages",
            &office,
            5,
            Box::new(move |i| format!("/api/v1/gate/scans?{}", range(i, 2))),
        ),
        {
            let cl = cl.clone();
            sc(
                gate,
                "class + one day",
                &office,
                1,
                Box::new(move |i| {
                    format!(
                        "/api/v1/gate/scans?class_id={}&{}",
                        cl[pick(i, 3, cl.len())],
                        range(i, 4)
                    )
                }),
            )
        },
        sc(
            gate,
            "result=deny, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/gate/scans?result=deny".into()),
        ),
        sc(
            gate,
            "conflict=true, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/gate/scans?conflict=true".into()),
        ),
        sc(
            gate,
            "gate + direction + deny",
            &office,
            1,
            Box::new(|_| {
                "/api/v1/gate/scans?gate=%E5%8C%97%E9%97%A8&direction=return&result=deny".into()
            }),
        ),
        {
            let pids = pids.clone();
            sc(
                gate,
                "pass_id",
                &office,
                1,
                Box::new(move |i| {
                    format!(
                        "/api/v1/gate/scans?pass_id={}",
                        pids[pick(i, 5, pids.len())]
                    )
                }),
            )
        },
        sc(
            passes,
            "first page",
            &office,
            1,
            Box::new(|_| "/api/v1/leave-passes".into()),
        ),
        sc(
            passes,
            "20 pages deep (cursor)",
            &office,
            20,
            Box::new(|_| "/api/v1/leave-passes".into()),
        ),
        sc(
            passes,
            "status=out, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/leave-passes?status=out".into()),
        ),
        sc(
            passes,
            "status=revoked, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/leave-passes?status=revoked".into()),
        ),
        sc(
            passes,
            "status=expired",
            &office,
            1,
            Box::new(|_| "/api/v1/leave-passes?status=expired".into()),
        ),
        {
            let cl = cl.clone();
            sc(
                passes,
                "class, 5 pages",
                &office,
                5,
                Box::new(move |i| {
                    format!("/api/v1/leave-passes?class_id={}", cl[pick(i, 6, cl.len())])
                }),
            )
        },
        sc(
            passes,
            "date (a semester day), 5 pages",
            &office,
            5,
            Box::new(move |i| format!("/api/v1/leave-passes?date={}", day(i, 7))),
        ),
        {
            let cl = cl.clone();
            sc(
                passes,
                "class + date",
                &office,
                1,
                Box::new(move |i| {
                    format!(
                        "/api/v1/leave-passes?class_id={}&date={}",
                        cl[pick(i, 8, cl.len())],
                        day(i, 9)
                    )
                }),
            )
        },
        sc(
            passes,
            "class teacher, own class, 5 pages",
            &teacher,
            5,
            Box::new(|_| "/api/v1/leave-passes".into()),
        ),
        sc(
            passes,
            "class teacher, status=returned",
            &teacher,
            1,
            Box::new(|_| "/api/v1/leave-passes?status=returned".into()),
        ),
        sc(
            hazards,
            "first page",
            &office,
            1,
            Box::new(|_| "/api/v1/hazards".into()),
        ),
        sc(
            hazards,
            "20 pages deep (cursor)",
            &office,
            20,
            Box::new(|_| "/api/v1/hazards".into()),
        ),
        sc(
            hazards,
            "status=assigned, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/hazards?status=assigned".into()),
        ),
        sc(
            hazards,
            "category=fire, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/hazards?category=fire".into()),
        ),
        sc(
            hazards,
            "status + category",
            &office,
            1,
            Box::new(|_| "/api/v1/hazards?status=reported&category=electrical".into()),
        ),
        {
            let cl = cl.clone();
            sc(
                hazards,
                "class",
                &office,
                1,
                Box::new(move |i| {
                    format!("/api/v1/hazards?class_id={}", cl[pick(i, 10, cl.len())])
                }),
            )
        },
        sc(
            hazards,
            "overdue",
            &office,
            1,
            Box::new(|_| "/api/v1/hazards?overdue=true".into()),
        ),
        sc(
            hazards,
            "class teacher (own)",
            &teacher,
            1,
            Box::new(|_| "/api/v1/hazards".into()),
        ),
        sc(
            audit,
            "first page",
            &office,
            1,
            Box::new(|_| "/api/v1/audit-log".into()),
        ),
        sc(
            audit,
            "20 pages deep (cursor)",
            &office,
            20,
            Box::new(|_| "/api/v1/audit-log".into()),
        ),
        sc(
            audit,
            "entity_type=hazard, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/audit-log?entity_type=hazard".into()),
        ),
        sc(
            audit,
            "action=leave_pass.revoke, 5 pages",
            &office,
            5,
            Box::new(|_| "/api/v1/audit-log?action=leave_pass.revoke".into()),
        ),
        {
            let hids = hids.clone();
            sc(
                audit,
                "entity (type + id)",
                &office,
                1,
                Box::new(move |i| {
                    format!(
                        "/api/v1/audit-log?entity_type=hazard&entity_id={}",
                        hids[pick(i, 11, hids.len())]
                    )
                }),
            )
        },
        sc(
            audit,
            "one day (from/to), 5 pages",
            &office,
            5,
            Box::new(move |i| format!("/api/v1/audit-log?{}", range(i, 12))),
        ),
    ];

    // Warm up once, discarded: the first touch of each index reads it from disk, and the
    // measured concurrency needs its HTTP connections and the server's pool connections to
    // PostgreSQL open (opening those is what the first measured row paid otherwise).
    for s in &scenarios {
        let warm = s.pages * a.concurrency * 2;
        run(&client, &base, s.clone(), warm, a.concurrency).await;
    }
    println!(
        "\nPostgreSQL, {} concurrent connections, ~{} requests per row, release build: {}",
        a.concurrency,
        a.requests,
        if cfg!(debug_assertions) {
            "NO (debug build: numbers are meaningless)"
        } else {
            "yes"
        }
    );
    println!(
        "| endpoint | filter | requests | p50 ms | p99 ms | max ms | p99 ≤ {TARGET_P99_MS:.0} ms |"
    );
    println!("|---|---|---:|---:|---:|---:|:---:|");
    let mut worst: f64 = 0.0;
    for s in &scenarios {
        let st = run(&client, &base, s.clone(), a.requests, a.concurrency).await;
        worst = worst.max(st.p99);
        println!(
            "| `GET {}` | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
            s.endpoint,
            s.label,
            st.count,
            st.p50,
            st.p99,
            st.max,
            if st.p99 <= TARGET_P99_MS {
                "yes"
            } else {
                "**no**"
            }
        );
    }
    println!("\nworst p99 {worst:.1} ms");

    server_db.conn.clone().close().await.ok();
    db.close().await.ok();
    let _ = std::fs::remove_dir_all(&data_dir);
    if a.drop
        && let Ok(admin) = Database::connect(pg_base.as_str()).await
    {
        let _ = admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{DB_NAME}\" WITH (FORCE)"
            ))
            .await;
        eprintln!("{DB_NAME} dropped");
    }
    std::process::exit(0);
}
