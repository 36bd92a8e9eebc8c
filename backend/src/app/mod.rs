//! Building the server: state, routes (declared once, for both the server and the spec),
//! middleware, Swagger UI and the SPA.

use crate::app::openapi::ApiDoc;
use crate::auth;
use crate::features::{api_keys, audit, classes, duty, plans, records, school, students, users};
use crate::infra::config::Settings;
use crate::infra::db::Db;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, scrub_quoted};
use crate::infra::state::{AppState, State};
use crate::reports::{dashboard, ledger};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{self, ErrorHandlerResponse, ErrorHandlers, Next};
use actix_web::{App, HttpResponse, HttpServer, ResponseError, web};
use std::net::TcpListener;
use std::path::Path;
use std::time::Instant;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::scope::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

pub use crate::infra::error::BoxError;

pub mod attachment_owners;
pub mod methods;
pub mod openapi;
pub mod openapi_inputs;
pub mod spa;

pub use crate::infra::config::{JSON_LIMIT, RAW_LIMIT};

/// Every `/api/v1` route. Adding a feature = one line here.
pub fn api_v1(cfg: &mut ServiceConfig) {
    auth::routes(cfg);
    users::routes(cfg);
    classes::routes(cfg);
    students::routes(cfg);
    api_keys::routes(cfg);
    audit::routes(cfg);
    crate::features::passes::routes(cfg);
    crate::features::gate::routes(cfg);
    crate::features::visitors::routes(cfg);
    crate::features::inspections::routes(cfg);
    crate::features::hazards::routes(cfg);
    crate::features::attachments::routes(cfg);
    plans::routes(cfg);
    duty::routes(cfg);
    records::routes(cfg);
    crate::features::fire::routes(cfg);
    dashboard::routes(cfg);
    ledger::routes(cfg);
    crate::features::patrol::routes(cfg);
    crate::reports::platform::routes(cfg);
    crate::reports::assessment::routes(cfg);
    crate::features::semesters::routes(cfg);
    crate::features::todo::routes(cfg);
    crate::features::headcount::routes(cfg);
    crate::features::duties::routes(cfg);
    crate::features::articles::routes(cfg);
    crate::features::vehicles::routes(cfg);
    crate::features::events::routes(cfg);
    crate::features::channels::routes(cfg);
    crate::features::submissions::routes(cfg);
    crate::features::notifications::routes(cfg);
    cfg.service(school::get_school);
}

fn api_root(cfg: &mut ServiceConfig) {
    cfg.service(school::health).service(school::ready);
}

/// The OpenAPI document, produced by the same registration the server uses.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(scope("/api/v1").configure(api_v1))
        .service(scope("/api").configure(api_root))
        .split_for_parts();
    crate::app::openapi::finish(api)
}

pub struct Application {
    server: Server,
    port: u16,
    pub state: State,
    jobs: crate::jobs::Jobs,
}

/// The features' own process-wide data, each registered as its own `app_data` beside `State`.
pub struct Services {
    pub auth: web::Data<crate::auth::state::AuthState>,
    pub gate: web::Data<crate::features::gate::GateState>,
}

/// Migrates, then adds the built-in records every database must hold, whatever the path that
/// created it (the inspection templates).
pub async fn migrate(db: &Db) -> Result<(), sea_orm::DbErr> {
    db.migrate().await?;
    crate::features::inspections::ensure_builtin_templates(&db.conn).await
}

/// Connects, migrates, loads keys, starts the background tasks and (with `demo`) loads the demo
/// school.
pub async fn prepare_state(
    settings: Settings,
) -> Result<(State, Services, crate::jobs::Jobs), BoxError> {
    settings.validate()?;
    let tz = settings.time_zone()?;
    let db = Db::connect(&settings).await?;
    migrate(&db).await?;
    let secret = crate::infra::keys::jwt_secret(&settings)?;
    let jwt = crate::auth::jwt::JwtKeys::new(&secret, settings.access_token_ttl_secs)?;
    let dummy_hash = tokio::task::spawn_blocking(|| {
        let random = crate::infra::util::random_token(24).map_err(|e| e.to_string())?;
        crate::auth::password::hash_blocking(&random).map_err(|e| e.to_string())
    })
    .await??;
    crate::features::passes::ensure_signing_key(&db).await?;
    let started = crate::jobs::Jobs::start(&db, &settings);
    if settings.demo {
        crate::demo::seed_if_empty(&db, tz).await?;
    }
    let sessions = crate::auth::session_cache::SessionCache::new(
        db.backend() == sea_orm::DatabaseBackend::Sqlite,
    );
    let state = web::Data::new(AppState { db, settings, tz });
    let services = Services {
        auth: web::Data::new(crate::auth::state::AuthState {
            jwt,
            throttle: Default::default(),
            dummy_hash,
            sessions,
        }),
        gate: web::Data::new(crate::features::gate::GateState::new(started.scan_writer)),
    };
    Ok((state, services, started.jobs))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, BoxError> {
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let (state, services, jobs) = prepare_state(settings).await?;
        Self::with_listener(state, services, jobs, listener)
    }

    pub fn with_listener(
        state: State,
        services: Services,
        jobs: crate::jobs::Jobs,
        listener: TcpListener,
    ) -> Result<Self, BoxError> {
        let port = listener.local_addr()?.port();
        let data = state.clone();
        let owners = web::Data::new(attachment_owners::owners());
        // Aggregate bounds on photo uploads (decode memory, pixels per user per minute).
        let uploads = web::Data::new(crate::features::attachments::UploadLimits::new(
            &state.settings,
        ));
        let Services { auth: auths, gate } = services;
        let server = HttpServer::new(move || {
            let frontend = data.settings.frontend_dir.clone();
            let (app, api) = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .app_data(data.clone())
                .app_data(auths.clone())
                .app_data(gate.clone())
                .app_data(owners.clone())
                .app_data(uploads.clone())
                .app_data(json_config())
                .app_data(web::PathConfig::default().error_handler(|_, _| {
                    ApiError::bad_request(ErrorCode::InvalidPath, "路径参数无效").into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    ApiError::bad_request(ErrorCode::InvalidQuery, scrub_quoted(&err.to_string()))
                        .into()
                }))
                .app_data(web::PayloadConfig::new(RAW_LIMIT))
                .service(
                    scope("/api/v1")
                        .wrap(middleware::from_fn(
                            crate::infra::hygiene::reject_unsafe_text,
                        ))
                        .wrap(middleware::from_fn(crate::auth::extract::authenticate))
                        .wrap(no_store())
                        .configure(api_v1),
                )
                .service(scope("/api").wrap(no_store()).configure(api_root))
                .split_for_parts();
            app.wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
                // Inside the access log, so that what it counts is the final answer.
                .wrap(middleware::from_fn(crate::app::methods::guard))
                .wrap(middleware::from_fn(access_log))
                .wrap(middleware::from_fn(content_security_policy))
                .wrap(
                    middleware::DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        .add((header::REFERRER_POLICY, "no-referrer"))
                        .add((header::X_FRAME_OPTIONS, "DENY"))
                        .add((
                            header::PERMISSIONS_POLICY,
                            "camera=(self), microphone=(), geolocation=(), payment=()",
                        )),
                )
                .wrap(middleware::Compress::default())
                .route(
                    "/swagger-ui",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header((header::LOCATION, "/swagger-ui/"))
                            .finish()
                    }),
                )
                // Operational, not API: a plain route, so it stays out of the OpenAPI document.
                .route("/metrics", web::get().to(crate::infra::metrics::serve))
                .service(
                    SwaggerUi::new("/swagger-ui/{_:.*}")
                        .url("/api-docs/openapi.json", crate::app::openapi::finish(api)),
                )
                // The office's public page: plain routes, before the SPA's fallback.
                .configure(crate::features::articles::public_pages)
                .configure(|cfg| crate::app::spa::configure(cfg, &frontend))
        })
        .listen(listener)?
        .run();
        Ok(Self {
            server,
            port,
            state,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until a stop signal; the server finishes its requests first, then the background
    /// tasks stop (the scan writer writes what it holds).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.jobs.stop().await;
        served
    }
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|err, _| json_error(err).into())
}

/// Maps a JSON body error to a problem: 413 too large, 415 not JSON, 400 otherwise.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::Overflow { .. } | E::OverflowKnownLength { .. } => ApiError::new(
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "请求内容过大",
        ),
        E::ContentType => ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "请求须为 application/json",
        ),
        E::Deserialize(e) => {
            ApiError::bad_request(ErrorCode::InvalidBody, scrub_quoted(&e.to_string()))
        }
        other => ApiError::bad_request(ErrorCode::InvalidBody, scrub_quoted(&other.to_string())),
    }
}

/// The SPA (and every API answer): only this origin's scripts, no inline script, no framing.
/// Inline styles are allowed because Vant sets them; camera frames and the QR worker use blobs.
pub const CSP_APP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; \
    worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; frame-ancestors 'none'; \
    base-uri 'self'; form-action 'self'";
/// Swagger UI: its bundled scripts are files too, but it styles inline and draws data: icons.
pub const CSP_SWAGGER: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// A Content-Security-Policy on every answer, so that `xiaoan serve` without nginx is as
/// strict as behind it: an injected script cannot run, and the SPA cannot be framed.
async fn content_security_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let swagger = req.path().starts_with("/swagger-ui");
    let mut res = next.call(req).await?;
    let policy = if swagger { CSP_SWAGGER } else { CSP_APP };
    if !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(policy),
        );
    }
    Ok(res)
}

fn no_store() -> middleware::DefaultHeaders {
    // API answers carry tokens and personal data: never cache them.
    middleware::DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store"))
}

/// One line per request with the route pattern (ids and query strings, which may hold names,
/// are not logged), status and duration.
async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().clone();
    let res = next.call(req).await?;
    let pattern = res.request().match_pattern();
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    crate::infra::metrics::record_request(method.as_str(), pattern.as_deref(), status, elapsed);
    tracing::info!(
        method = %method,
        route = %pattern.as_deref().unwrap_or("-"),
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(res)
}

/// Errors produced by actix itself (unknown route, wrong method, body too large) become
/// problem+json too, for `/api` paths.
fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem || !res.request().path().starts_with("/api") {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let err = match status.as_u16() {
        404 => ApiError::not_found(ErrorCode::RouteNotFound, "接口不存在"),
        405 => ApiError::new(status, ErrorCode::MethodNotAllowed, "不支持此请求方法"),
        413 => ApiError::new(status, ErrorCode::PayloadTooLarge, "请求内容过大"),
        415 => ApiError::new(status, ErrorCode::UnsupportedMediaType, "不支持的内容类型"),
        s if s >= 500 => ApiError::internal(),
        _ => ApiError::new(status, ErrorCode::BadRequest, "请求无效"),
    };
    let (req, _) = res.into_parts();
    let resp = ServiceResponse::new(req, err.error_response());
    Ok(ErrorHandlerResponse::Response(resp.map_into_right_body()))
}

/// True when the path holds a built SPA.
pub fn has_spa(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}
