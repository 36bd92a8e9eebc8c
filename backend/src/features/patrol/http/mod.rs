//! The patrol API: checkpoints, routes, runs and scans.

pub mod checkpoints;
pub mod routes;
pub mod runs;
pub mod scans;

/// Trimmed, and `None` when empty.
fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn yes() -> bool {
    true
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(checkpoints::list_checkpoints)
        .service(checkpoints::create_checkpoint)
        .service(checkpoints::checkpoint_labels)
        .service(checkpoints::update_checkpoint)
        .service(routes::list_routes)
        .service(routes::create_route)
        .service(routes::update_route)
        .service(runs::start_patrol)
        .service(runs::list_patrols)
        .service(runs::missed_checkpoints)
        .service(runs::get_patrol)
        .service(scans::scan_checkpoint)
        .service(scans::note_checkpoint)
        .service(runs::finish_patrol);
}
