//! Closed sets are Rust enums in the entity layer, stored as the strings they always were (no
//! data migration). This reads every row of every entity — so every stored value of every enum
//! column — from a database the demo school and the test's own records filled, on SQLite and on
//! PostgreSQL: a stored value an enum does not know fails to load, and fails this test.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait};
use serde_json::json;
use xiaoan::schema;
use xiaoan_api_tests::*;

/// The rows of one entity's table, and the table's name.
async fn load_all<E: EntityTrait + Default>(
    db: &DatabaseConnection,
    name: &str,
) -> (usize, &'static str) {
    match E::find().all(db).await {
        Ok(rows) => (rows.len(), E::default().table_name()),
        Err(e) => panic!("{name}: a stored value does not parse: {e}"),
    }
}

macro_rules! every_entity {
    ($db:expr, $loaded:expr, $tables:expr, $($path:path),+ $(,)?) => {
        $(
            let (n, table) = load_all::<$path>($db, stringify!($path)).await;
            $loaded.push((stringify!($path), n));
            $tables.push(table);
        )+
    };
}

/// Every table the migrations made, but their own bookkeeping.
async fn tables_of(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables \
              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .expect("list tables");
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").expect("table name"))
        .filter(|t| t != "seaql_migrations")
        .collect()
}

#[tokio::test]
async fn every_stored_value_of_every_enum_column_parses() {
    let app = spawn_app().await;
    // A few records in states the demo may not hold: a hazard moved on, a swap asked.
    let office = app.token("office").await;
    let hazards = app.get("/api/v1/hazards?limit=5", &office).await;
    assert_eq!(hazards.status, reqwest::StatusCode::OK, "{}", hazards.text);
    let users = app.get("/api/v1/users?role=guard", &office).await;
    let guard_id = users.body["items"][0]["id"].as_str().map(str::to_owned);
    if let (Some(h), Some(g)) = (
        hazards.body["items"]
            .as_array()
            .and_then(|a| a.iter().find(|h| h["status"] == "reported")),
        guard_id,
    ) {
        let r = app
            .post(
                &format!(
                    "/api/v1/hazards/{}/assign",
                    h["id"].as_str().unwrap_or_default()
                ),
                &office,
                json!({"owner_id": g, "deadline": school_today().to_string()}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.text);
    }

    // An incident (the demo has none): its kind and severity columns.
    let r = app
        .post(
            "/api/v1/incidents",
            &office,
            json!({"kind": "injury", "occurred_at": chrono::Utc::now(), "place": "操场",
                   "severity": "moderate", "description": "体育课扭伤"}),
        )
        .await;
    assert_eq!(r.status, reqwest::StatusCode::CREATED, "{}", r.text);

    let db = Database::connect(&app.database_url).await.expect("db");
    let mut loaded: Vec<(&str, usize)> = Vec::new();
    let mut tables: Vec<&str> = Vec::new();
    every_entity!(
        &db,
        loaded,
        tables,
        schema::api_keys::Entity,
        schema::audit::Entity,
        schema::attachments::Entity,
        schema::classes::Entity,
        schema::school::Entity,
        schema::semesters::Entity,
        schema::users::Entity,
        schema::duty::roster::Entity,
        schema::duty::shift::Entity,
        schema::duty::swap::Entity,
        schema::duty::feed::Entity,
        schema::sessions::session::Entity,
        schema::sessions::refresh_token::Entity,
        schema::plans::plan::Entity,
        schema::plans::item::Entity,
        schema::plans::evidence::Entity,
        schema::plans::revision::Entity,
        schema::passes::leave_pass::Entity,
        schema::passes::signing_key::Entity,
        schema::passes::secret::Entity,
        schema::inspections::template::Entity,
        schema::inspections::submission::Entity,
        schema::fire::building::Entity,
        schema::fire::item::Entity,
        schema::fire::check::Entity,
        schema::students::student::Entity,
        schema::students::safety_officer::Entity,
        schema::records::activity::Entity,
        schema::records::meeting::Entity,
        schema::records::incident::Entity,
        schema::records::health::Entity,
        schema::records::announcement::Entity,
        schema::records::read::Entity,
        schema::gate::scan::Entity,
        schema::visitors::visitor::Entity,
        schema::visitors::expected::Entity,
        schema::visitors::watchlist::Entity,
        schema::hazards::hazard::Entity,
        schema::hazards::event::Entity,
        schema::patrol::checkpoint::Entity,
        schema::patrol::route::Entity,
        schema::patrol::run::Entity,
        schema::patrol::point::Entity,
        schema::platform::figure::Entity,
        schema::platform::entry::Entity,
        schema::platform::setting::Entity,
        schema::headcount::record::Entity,
        schema::headcount::class_row::Entity,
        schema::headcount::receipt::Entity,
        schema::articles::article::Entity,
        schema::articles::settings::Entity,
        schema::vehicles::vehicle::Entity,
        schema::vehicles::passage::Entity,
        schema::vehicles::settings::Entity,
        schema::events::event::Entity,
        schema::channels::channel::Entity,
        schema::channels::delivery::Entity,
        schema::channels::attempt::Entity,
        schema::duties::member::Entity,
        schema::duties::statement::Entity,
        schema::duties::letter::Entity,
        schema::duties::rule::Entity,
        schema::duties::rule_version::Entity,
        schema::duties::training::Entity,
        schema::duties::attendee::Entity,
        schema::duties::ack::Entity,
        schema::notifications::notification::Entity,
        schema::notifications::cursor::Entity,
        schema::notifications::escalation_settings::Entity,
        schema::report_sends::report_send::Entity,
    );
    // A table left out of the list above would hide its enum columns from this test.
    let unread: Vec<String> = tables_of(&db)
        .await
        .into_iter()
        .filter(|t| !tables.contains(&t.as_str()))
        .collect();
    // The registry's kinds, fire and security equipment alike, each stored by the demo school
    // and read back as its enum.
    let kinds: Vec<_> = schema::fire::item::Entity::find()
        .all(&db)
        .await
        .expect("fire items")
        .into_iter()
        .map(|i| i.kind)
        .collect();
    for k in <schema::fire::ItemKind as sea_orm::Iterable>::iter() {
        assert!(kinds.contains(&k), "no stored item of kind {k:?}");
    }
    let _ = db.close().await;
    assert!(
        unread.is_empty(),
        "tables this test does not read (add their entities): {unread:?}"
    );
    // The demo school fills the tables whose enums matter most: an empty table proves nothing.
    for table in [
        "schema::hazards::hazard::Entity",
        "schema::gate::scan::Entity",
        "schema::passes::leave_pass::Entity",
        "schema::duty::shift::Entity",
        "schema::plans::item::Entity",
        "schema::inspections::template::Entity",
        "schema::fire::item::Entity",
        "schema::visitors::visitor::Entity",
        "schema::users::Entity",
        "schema::records::activity::Entity",
        "schema::records::meeting::Entity",
        "schema::records::incident::Entity",
        "schema::articles::article::Entity",
        "schema::vehicles::vehicle::Entity",
        "schema::vehicles::passage::Entity",
    ] {
        let n = loaded
            .iter()
            .find(|(name, _)| name.replace(' ', "") == table)
            .map(|(_, n)| *n);
        assert!(n.is_some_and(|n| n > 0), "{table}: no rows to read ({n:?})");
    }
}
