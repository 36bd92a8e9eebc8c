//! The public page itself, no sign-in: server-rendered HTML (the index, each article), the
//! Atom feed and the published articles' pictures. Plain routes outside `/api` (not part of
//! the API contract), cached by the browser and validated by ETag.

use super::super::page::{self, DutyBlock, DutyLine, PublicArticle};
use super::super::store;
use crate::features::{attachments, duty};
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::AppResult;
use crate::infra::state::{AppState, State};
use crate::schema::articles::article;
use crate::schema::attachments::LinkKind;
use crate::schema::duty::Post;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

/// Pages are fresh for a minute, then revalidated (a 304 costs one render and no transfer).
const CACHE_PAGE: &str = "public, max-age=60";
const CACHE_PHOTO: &str = "public, max-age=300";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/public",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/public/"))
                .finish()
        }),
    )
    .route("/public/", web::get().to(index))
    .route("/public/feed.atom", web::get().to(feed))
    .route("/public/articles/{id}", web::get().to(article_page))
    .route("/public/photos/{id}", web::get().to(photo));
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(
            "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>未找到</title>\
             <p>该页面不存在或已撤下。<a href=\"/public/\">返回保卫处首页</a></p></html>",
        )
}

fn failed() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>暂不可用</title><p>页面暂时无法显示,请稍后再试。</p></html>")
}

/// `200` with an ETag, or `304` when the browser holds the same.
fn cached(
    req: &HttpRequest,
    content_type: &str,
    cache: &str,
    body: Vec<u8>,
    tag: &str,
) -> HttpResponse {
    let etag = format!("\"{tag}\"");
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body)
}

fn text(req: &HttpRequest, content_type: &str, body: String) -> HttpResponse {
    let tag = crate::infra::util::sha256_hex(&body);
    cached(req, content_type, CACHE_PAGE, body.into_bytes(), &tag[..32])
}

async fn school_name(state: &AppState) -> AppResult<String> {
    use sea_orm::EntityTrait;
    Ok(crate::schema::school::Entity::find_by_id(1)
        .one(&state.db.conn)
        .await?
        .map(|s| s.name)
        .unwrap_or_default())
}

fn public(a: article::Model, photos: Vec<Uuid>) -> Option<PublicArticle> {
    Some(PublicArticle {
        published_at: a.published_at?,
        id: a.id,
        kind: a.kind,
        title: a.title,
        body: a.body,
        updated_at: a.updated_at,
        photos,
    })
}

async fn published(state: &AppState) -> AppResult<Vec<PublicArticle>> {
    let rows = store::list(&state.db.conn, true).await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let mut photos = store::photos_of(&state.db.conn, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|a| {
            let p = photos.remove(&a.id).unwrap_or_default();
            public(a, p)
        })
        .collect())
}

/// The chosen published rosters that have not ended, their shifts from today on: post, name
/// and the post's duty phone (never a person's own).
async fn duty_blocks(state: &AppState) -> AppResult<Vec<DutyBlock>> {
    let db = &state.db.conn;
    let row = store::settings_row(db).await?;
    let day = fmt_date(today(state.tz));
    let mut out = Vec::new();
    for id in store::roster_ids(row.as_ref()) {
        let Some(r) = duty::published_roster(db, id).await? else {
            continue;
        };
        if r.summary.end_date < day {
            continue;
        }
        let phone = |p: Post| {
            row.as_ref().and_then(|s| match p {
                Post::LeaderOnCall => s.phone_leader_on_call.clone(),
                Post::DutyTeacher => s.phone_duty_teacher.clone(),
                Post::Guard => s.phone_guard.clone(),
            })
        };
        let mut lines: Vec<DutyLine> = r
            .shifts
            .into_iter()
            .filter(|s| s.date >= day)
            .map(|s| DutyLine {
                phone: phone(s.post),
                date: s.date,
                start_time: s.start_time,
                end_time: s.end_time,
                post: s.post,
                name: s.user_name,
            })
            .collect();
        lines.sort_by(|a, b| {
            (&a.date, &a.start_time, post_order(a.post)).cmp(&(
                &b.date,
                &b.start_time,
                post_order(b.post),
            ))
        });
        out.push(DutyBlock {
            title: r.summary.title,
            start_date: r.summary.start_date,
            end_date: r.summary.end_date,
            lines,
        });
    }
    Ok(out)
}

fn post_order(p: Post) -> u8 {
    match p {
        Post::LeaderOnCall => 0,
        Post::DutyTeacher => 1,
        Post::Guard => 2,
    }
}

async fn index(req: HttpRequest, state: State) -> HttpResponse {
    let rendered = async {
        let school = school_name(&state).await?;
        let articles = published(&state).await?;
        let duty = duty_blocks(&state).await?;
        AppResult::Ok(page::index_html(&school, &articles, &duty, state.tz))
    }
    .await;
    match rendered {
        Ok(html) => text(&req, "text/html; charset=utf-8", html),
        Err(_) => failed(),
    }
}

async fn article_page(req: HttpRequest, state: State, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let rendered = async {
        let Ok(a) = store::find(&state.db.conn, id).await else {
            return AppResult::Ok(None);
        };
        let mut photos = store::photos_of(&state.db.conn, &[a.id]).await?;
        let Some(a) = public(a, photos.remove(&id).unwrap_or_default()) else {
            return Ok(None);
        };
        let school = school_name(&state).await?;
        Ok(Some(page::article_html(&school, &a, state.tz)))
    }
    .await;
    match rendered {
        Ok(Some(html)) => text(&req, "text/html; charset=utf-8", html),
        Ok(None) => not_found(),
        Err(_) => failed(),
    }
}

async fn feed(req: HttpRequest, state: State) -> HttpResponse {
    let origin = match &state.settings.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => crate::infra::proxy::origin(&req, &state.settings.trusted_proxies),
    };
    let rendered = async {
        let school = school_name(&state).await?;
        let articles = published(&state).await?;
        AppResult::Ok(page::atom(&school, &origin, &articles))
    }
    .await;
    match rendered {
        Ok(xml) => text(&req, "application/atom+xml; charset=utf-8", xml),
        Err(_) => failed(),
    }
}

/// A picture of a published article; anything else (a draft's, another record's) is 404.
async fn photo(req: HttpRequest, state: State, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let db = &state.db.conn;
    let Ok(a) = attachments::find(db, id).await else {
        return not_found();
    };
    let (Some(LinkKind::Article), Some(owner)) = (a.linked_kind, a.linked_id) else {
        return not_found();
    };
    match store::find(db, owner).await {
        Ok(art) if art.published_at.is_some() => {}
        _ => return not_found(),
    }
    let path = state.settings.attachments_dir().join(&a.file_name);
    let Ok(Ok(bytes)) = web::block(move || std::fs::read(path)).await else {
        return not_found();
    };
    cached(
        &req,
        &a.content_type,
        CACHE_PHOTO,
        bytes,
        &a.sha256[..a.sha256.len().min(32)],
    )
}
