//! Test support, mounted only when the server runs with `--test-clock`: moving the clock.

use super::rfc3339;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, TimeDelta};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(clock).service(run_jobs);
}

/// Runs the background jobs now, at the (manual) clock's time: the escalation monitor and the
/// approvals digest and the expiry of unconfirmed registrations, then the delivery of every due e-mail (so their e-mails go out in the
/// same call).
#[utoipa::path(tag = "test support", responses((status = 200, description = "{\"escalations\": n, \"digests\": n, \"emails_sent\": n, \"emails_failed\": n}")))]
#[post("/test/run-jobs")]
pub async fn run_jobs(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let engine = state.engine.clone();
    let (escalations, digests) = state
        .db(move |conn| {
            let escalations = crate::service::escalations::run(conn, &engine, now)?;
            let digests = crate::service::digests::run(conn, &engine, now)?;
            crate::service::accounts::expire_registrations(conn, now)?;
            Ok((escalations, digests))
        })
        .await?;
    let (pool, mailer) = (state.pool.clone(), state.mailer.clone());
    let report = web::block(move || crate::mail::outbox::deliver_due(&pool, &mailer, now, 100_000))
        .await?
        .map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "running jobs");
            AppError::Internal
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "escalations": escalations,
        "digests": digests,
        "emails_sent": report.sent,
        "emails_failed": report.failed,
        "emails_retried": report.retried,
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// Minutes to move the clock forward (or back, if negative).
    pub advance_minutes: Option<i64>,
    /// An RFC 3339 instant to set the clock to.
    pub set: Option<String>,
}

/// Move the manual clock.
#[utoipa::path(tag = "test support", request_body = ClockRequest, responses((status = 200, description = "{\"now\": \"…\"}")))]
#[post("/test/clock")]
pub async fn clock(
    state: web::Data<AppState>,
    body: web::Json<ClockRequest>,
) -> Result<HttpResponse, AppError> {
    let now = match (&body.advance_minutes, &body.set) {
        (Some(minutes), None) => TimeDelta::try_minutes(*minutes)
            .and_then(|by| state.clock.advance(by))
            .ok_or_else(|| AppError::BadRequest("advance_minutes is out of range".into()))?,
        (None, Some(set)) => {
            let to = DateTime::parse_from_rfc3339(set)
                .map_err(|e| AppError::BadRequest(format!("set: {e}")))?
                .naive_utc();
            state.clock.set(to).ok_or(AppError::NotFound)?
        }
        _ => {
            return Err(AppError::BadRequest(
                "give exactly one of advance_minutes and set".into(),
            ))
        }
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({ "now": rfc3339(now) })))
}
