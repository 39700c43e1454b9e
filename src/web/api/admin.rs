//! Operator routes: e-mails that could not be delivered, and retrying them.

use super::rfc3339;
use crate::domain::role::Role;
use crate::service::{admin, Caller};
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::{get, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(failed_emails).service(retry_email);
}

fn admin_only(current: &Caller) -> Result<(), AppError> {
    if current.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailedEmail {
    pub id: String,
    pub message_id: String,
    pub event: String,
    pub reference: String,
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// E-mails given up on (permanent errors or out of attempts), newest first.
#[utoipa::path(tag = "admin", responses((status = 200, body = [FailedEmail]), (status = 403)), security(("bearer" = [])))]
#[get("/admin/emails/failed")]
pub async fn failed_emails(
    state: web::Data<AppState>,
    current: Caller,
) -> Result<HttpResponse, AppError> {
    admin_only(&current)?;
    let rows = state
        .db(move |conn| admin::failed_emails(conn, &current))
        .await?;
    let body: Vec<FailedEmail> = rows
        .into_iter()
        .map(|r| FailedEmail {
            id: r.id,
            message_id: r.message_id,
            event: r.event_kind,
            reference: r.reference,
            recipient: r.recipient,
            subject: r.subject,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: rfc3339(r.created_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Queue a failed e-mail again, due now, attempts reset.
#[utoipa::path(tag = "admin", responses((status = 200), (status = 404), (status = 403)), security(("bearer" = [])))]
#[post("/admin/emails/{id}/retry")]
pub async fn retry_email(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin_only(&current)?;
    let (id, now) = (path.into_inner(), state.clock.now());
    state
        .db(move |conn| admin::retry_email(conn, &current, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "queued"})))
}
