//! Articles over HTTP: the office's API (`articles.rs`, `settings.rs`) and the public page
//! (`public.rs`, plain routes outside the API).

mod articles;
pub mod public;
mod settings;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(articles::list_articles)
        .service(articles::create_article)
        .service(articles::get_article)
        .service(articles::update_article)
        .service(articles::set_published)
        .service(articles::delete_article)
        .service(settings::get_public_page)
        .service(settings::set_public_page);
}
