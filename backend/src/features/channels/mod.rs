//! 信息推送: getting events to people and programs. Channels (a signed Standard Webhooks
//! endpoint, a DingTalk or WeCom group robot) subscribe to event kinds with filters; the
//! worker delivers each event at least once with its stable id, logs every attempt, retries
//! for about three days and disables a channel failing for days.
//!
//! Other modules use: [`run_deliveries`] (started by `jobs`) and [`reseal_on`] (master-key
//! rotation).

pub use crate::schema::channels as model;

mod http;
pub mod messages;
pub mod pacing;
pub mod signing;
mod store;
pub mod url_guard;
mod worker;

pub use store::reseal_on;
pub use worker::run as run_deliveries;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    use http::{deliveries, subscriptions};
    cfg.service(subscriptions::list_subscriptions)
        .service(subscriptions::create_subscription)
        .service(subscriptions::update_subscription)
        .service(subscriptions::delete_subscription)
        .service(subscriptions::rotate_subscription_secret)
        .service(subscriptions::test_subscription)
        .service(deliveries::list_deliveries)
        .service(deliveries::resend_delivery);
}
