//! The reviewer's queue and the decisions on tasks.

use super::idempotency;
use super::views::{ApplicationView, QueueItem};
use crate::domain::ids::TaskId;
use crate::domain::workflow::Decision;
use crate::service::applications as service;
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(queue)
        .service(claim)
        .service(release)
        .service(decision);
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// open, claimed, mine or all (default open).
    pub state: Option<String>,
}

/// The caller's authority's tasks, oldest due first.
#[utoipa::path(tag = "tasks", params(QueueQuery), responses((status = 200, body = [QueueItem]), (status = 403)), security(("bearer" = [])))]
#[get("/tasks")]
pub async fn queue(
    state: web::Data<AppState>,
    current: Caller,
    query: crate::web::input::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query.into_inner().state.unwrap_or_else(|| "open".into());
    let caller = current;
    let (engine, now) = (state.engine.clone(), state.clock.now());
    let list = state
        .db(move |conn| service::queue(conn, &engine, &caller, &filter, now))
        .await?;
    let list: Vec<QueueItem> = list.into_iter().map(QueueItem::from).collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn claim_or_release(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    task_id: String,
    take: bool,
) -> Result<HttpResponse, AppError> {
    let run = move |conn: &mut _, engine: &_, caller: &_, now| {
        service::claim_or_release(conn, engine, caller, &TaskId::from(&task_id), take, now)
            .map(QueueItem::from)
    };
    idempotency::command(
        &state,
        &req,
        current,
        &serde_json::Value::Null,
        StatusCode::OK,
        run,
    )
    .await
}

/// Claim a task: nobody else can decide it until it is released.
#[utoipa::path(tag = "tasks", responses((status = 200, body = QueueItem), (status = 409)), security(("bearer" = [])))]
#[post("/tasks/{id}/claim")]
pub async fn claim(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    claim_or_release(state, req, current, path.into_inner(), true).await
}

/// Give a claimed task back to the queue.
#[utoipa::path(tag = "tasks", responses((status = 200, body = QueueItem), (status = 409)), security(("bearer" = [])))]
#[post("/tasks/{id}/release")]
pub async fn release(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    claim_or_release(state, req, current, path.into_inner(), false).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// approve, request_info or reject.
    pub decision: String,
    /// Required for request_info and reject.
    pub comment: Option<String>,
    /// With approve: night travel only, escort vehicles, police escort, speed limit on bridges, free text.
    #[serde(default)]
    pub conditions: Vec<String>,
}

/// Decide a task. An unclaimed open task is claimed by the decision.
#[utoipa::path(tag = "tasks", request_body = DecisionRequest,
    responses((status = 200, body = ApplicationView), (status = 409), (status = 422), (status = 404)), security(("bearer" = [])))]
#[post("/tasks/{id}/decision")]
pub async fn decision(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: DecisionRequest = crate::web::input::readable(body.into_inner())?;
    let request = serde_json::to_value(&body).unwrap_or_default();
    let decision: Decision = body.decision.parse().map_err(|_| {
        AppError::Validation(
            crate::domain::FieldError::new(
                "decision",
                crate::domain::Message::new("error.one_of")
                    .with("value", &body.decision)
                    .with("allowed", "approve, request_info, reject"),
            )
            .into(),
        )
    })?;
    let task_id = path.into_inner();
    let decided = move |conn: &mut _, engine: &_, caller: &_, now| -> Result<ApplicationView, _> {
        let decision = service::TaskDecision {
            decision,
            comment: body.comment,
            conditions: body.conditions,
        };
        service::decide(conn, engine, caller, &TaskId::from(&task_id), decision, now)
            .map(ApplicationView::from)
    };
    idempotency::command(&state, &req, current, &request, StatusCode::OK, decided).await
}
