//! For operators and load balancers: liveness, readiness, metrics.

use super::error::AppError;
use super::AppState;
use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;
use std::time::Duration;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers.
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "The database answers"),
    (status = 503, description = "The database does not answer")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pool = state.pool.clone();
    let check = web::block(move || {
        // Fail fast: a load balancer asks often and must not queue behind a dead database.
        pool.get_timeout(Duration::from_millis(1500))
            .ok()
            .is_some_and(|mut conn| conn.batch_execute("SELECT 1").is_ok())
    });
    // A database that drops packets leaves the check waiting: answer within 2 s regardless.
    let answered = actix_web::rt::time::timeout(Duration::from_secs(2), check)
        .await
        .map(|done| done.unwrap_or(false))
        .unwrap_or(false);
    if answered {
        Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
    } else {
        Err(AppError::Unavailable)
    }
}

/// Prometheus text format.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // The outbox counts come from the database; without it, the other metrics still answer.
    let now = state.clock.now();
    if let Ok(stats) = state.db(crate::service::admin::outbox_stats).await {
        state.metrics.set_outbox(&stats, now);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.pool))
}
