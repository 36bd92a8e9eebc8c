//! Serving the built SPA at `/` with history-mode fallback (any non-API path without a file
//! gets `index.html`). Without a build, `/` explains how to make one.
//!
//! The guard's phone installs the SPA as an app: `/sw.js` (the service worker) and
//! `/manifest.webmanifest` are served with their proper types and revalidated on every load, so
//! that a new build reaches the phone at its next online start.

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use std::path::{Path, PathBuf};

pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path) {
    if crate::app::has_spa(dir) {
        let index: PathBuf = dir.join("index.html");
        for (name, mime) in [
            ("sw.js", "text/javascript; charset=utf-8"),
            ("manifest.webmanifest", "application/manifest+json"),
        ] {
            let file = dir.join(name);
            cfg.route(
                &format!("/{name}"),
                web::get().to(move |req: HttpRequest| {
                    let file = file.clone();
                    async move {
                        let Ok(f) = NamedFile::open_async(&file).await else {
                            return HttpResponse::NotFound().finish();
                        };
                        f.customize()
                            .insert_header(("Content-Type", mime))
                            .insert_header(("Cache-Control", "no-cache"))
                            .respond_to(&req)
                            .map_into_boxed_body()
                    }
                }),
            );
        }
        cfg.service(
            Files::new("/", dir)
                .index_file("index.html")
                .use_etag(true)
                .default_handler(fn_service(move |req: ServiceRequest| {
                    let index = index.clone();
                    async move {
                        let (req, _) = req.into_parts();
                        if req.path().starts_with("/api") {
                            let resp = HttpResponse::NotFound().finish();
                            return Ok(ServiceResponse::new(req, resp));
                        }
                        let file = NamedFile::open_async(&index).await?;
                        let resp = file
                            .customize()
                            .insert_header(("Cache-Control", "no-cache"))
                            .respond_to(&req)
                            .map_into_boxed_body();
                        Ok(ServiceResponse::new(req, resp))
                    }
                })),
        );
    } else {
        cfg.route(
            "/",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(
                        "<!doctype html><meta charset=utf-8><title>校安 Xiaoan</title>\
                         <h1>校安 Xiaoan</h1><p>前端尚未构建(运行 <code>make run</code> 会自动构建)。\
                         API 文档:<a href=\"/swagger-ui/\">Swagger UI</a></p>",
                    )
            }),
        );
    }
}
