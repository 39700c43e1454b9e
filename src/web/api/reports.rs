//! Reports for managers (API.md, Reports). For now the escalation board: every task past its
//! due time in the manager's area, most overdue first, with its 督办 level.

use super::applications::caller;
use crate::db::applications as q;
use crate::domain::role::Role;
use crate::service::applications::scope_of;
use crate::service::ServiceError;
use crate::web::error::AppError;
use crate::web::extract::CurrentUser;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(escalations);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationRow {
    pub task_id: String,
    pub reference: String,
    pub authority_code: String,
    /// 0 not yet escalated; 1 the authority, 2 the prefecture, 3 the region.
    pub level: i32,
    pub overdue_minutes: i64,
    pub application_id: String,
}

/// Open tasks past their due time in the caller's area (managers), most overdue first.
#[utoipa::path(tag = "reports", responses((status = 200, body = [EscalationRow]), (status = 403)), security(("bearer" = [])))]
#[get("/reports/escalations")]
pub async fn escalations(
    state: web::Data<AppState>,
    current: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if current.role != Role::Manager {
        return Err(AppError::Forbidden);
    }
    let (caller, now) = (caller(current), state.clock.now());
    let rows = state
        .db(move |conn| {
            let scope = scope_of(conn, &caller)?;
            Ok::<_, ServiceError>(q::overdue_tasks(conn, &scope, now)?)
        })
        .await?;
    let board: Vec<EscalationRow> = rows
        .into_iter()
        .map(|t| EscalationRow {
            overdue_minutes: (now - t.due_at).num_minutes(),
            task_id: t.task_id,
            reference: t.reference,
            authority_code: t.authority_code,
            level: t.level,
            application_id: t.application_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(board))
}
