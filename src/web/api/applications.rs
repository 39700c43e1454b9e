//! Applications: drafts, attachments, submission, information rounds, withdrawal, reading.

use super::idempotency;
use super::views::{ApplicationView, AttachmentView, EventView, ProgressView};
use crate::domain::application::ApplicationInput;
use crate::domain::attachment::MAX_ATTACHMENT_BYTES;
use crate::domain::ids::ApplicationId;
use crate::domain::paging::Paging;
use crate::service::applications as service;
use crate::service::Caller;
use crate::web::error::AppError;
pub use crate::web::input::typed;
use crate::web::AppState;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(upload)
        .service(submit)
        .service(respond)
        .service(withdraw)
        .service(copy)
        .service(progress)
        .service(events);
}

/// Create a draft (applicant). A draft may be partial.
#[utoipa::path(tag = "applications", request_body(content = Object, description = "ApplicationInput"),
    responses((status = 201, body = ApplicationView), (status = 403)), security(("bearer" = [])))]
#[post("/applications")]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let input: ApplicationInput = typed(body.into_inner())?;
    let request = serde_json::to_value(&input).unwrap_or_default();
    let created = move |conn: &mut _, engine: &_, caller: &_, now| {
        service::create(conn, engine, caller, &input, now).map(ApplicationView::from)
    };
    idempotency::command(
        &state,
        &req,
        current,
        &request,
        StatusCode::CREATED,
        created,
    )
    .await
}

/// Replace a draft's content, or, in an information round, change the application (checked in full).
#[utoipa::path(tag = "applications", request_body(content = Object, description = "ApplicationInput"),
    responses((status = 200, body = ApplicationView), (status = 404), (status = 422)), security(("bearer" = [])))]
#[put("/applications/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let input: ApplicationInput = typed(body.into_inner())?;
    let request = serde_json::to_value(&input).unwrap_or_default();
    let id = path.into_inner();
    let updated = move |conn: &mut _, engine: &_, caller: &_, now| {
        service::update(conn, engine, caller, &ApplicationId::from(&id), &input, now)
            .map(ApplicationView::from)
    };
    idempotency::command(&state, &req, current, &request, StatusCode::OK, updated).await
}

/// Upload an attachment: multipart fields `kind` and `file` (PDF, PNG or JPEG by content, at most 10 MB),
/// and for a project's contour drawing `load`, the key of the load it shows.
#[utoipa::path(tag = "applications", request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 413), (status = 422)), security(("bearer" = [])))]
#[post("/applications/{id}/attachments")]
pub async fn upload(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let mut kind: Option<String> = None;
    let mut load: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or_default()
            .to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                return Err(AppError::PayloadTooLarge("10 MB".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "kind" => kind = Some(String::from_utf8_lossy(&bytes).trim().to_string()),
            "file" => file = Some((filename, bytes)),
            "load" => load = Some(String::from_utf8_lossy(&bytes).trim().to_string()),
            _ => {}
        }
    }
    let kind = kind.unwrap_or_default();
    let (filename, bytes) =
        file.ok_or_else(|| AppError::BadRequest("the multipart field \"file\" is missing".into()))?;
    let (caller, id, now) = (current, path.into_inner(), state.clock.now());
    let engine = state.engine.clone();
    let view = state
        .db(move |conn| {
            let upload = service::Upload {
                kind: &kind,
                load: load.as_deref(),
                filename: &filename,
                bytes: &bytes,
            };
            service::add_attachment(
                conn,
                &engine,
                &caller,
                &ApplicationId::from(&id),
                upload,
                now,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(AttachmentView::from(&view)))
}

/// Submit a draft: every rule of the permit regulations is checked, every failure reported at once.
#[utoipa::path(tag = "applications", responses((status = 200, body = ApplicationView), (status = 422), (status = 409)),
    security(("bearer" = [])))]
#[post("/applications/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    bodiless_command(
        state,
        req,
        current,
        path.into_inner().into(),
        service::submit,
    )
    .await
}

/// The shape of an applicant's command without a body (submit, withdraw).
type BodilessCommand =
    fn(
        &mut crate::db::DbConnection,
        &crate::service::Engine,
        &Caller,
        &ApplicationId,
        chrono::NaiveDateTime,
    )
        -> Result<crate::service::applications::view::Application, crate::service::ServiceError>;

/// Runs a command without a body on one application, once per `Idempotency-Key`.
async fn bodiless_command(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    id: ApplicationId,
    command: BodilessCommand,
) -> Result<HttpResponse, AppError> {
    let run = move |conn: &mut _, engine: &_, caller: &_, now| {
        command(conn, engine, caller, &id, now).map(ApplicationView::from)
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RespondRequest {
    pub message: String,
    /// The application changed (all of it, as for a draft); cargo, vehicle or route changes
    /// re-open every review of the current phase.
    #[schema(value_type = Object)]
    pub changes: Option<ApplicationInput>,
}

/// Answer an information request.
#[utoipa::path(tag = "applications", request_body = RespondRequest,
    responses((status = 200, body = ApplicationView), (status = 409), (status = 422)), security(("bearer" = [])))]
#[post("/applications/{id}/respond")]
pub async fn respond(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: RespondRequest = typed(body.into_inner())?;
    let request = serde_json::to_value(&body).unwrap_or_default();
    let id = path.into_inner();
    let responded = move |conn: &mut _, engine: &_, caller: &_, now| {
        service::respond(
            conn,
            engine,
            caller,
            &ApplicationId::from(&id),
            &body.message,
            body.changes.as_ref(),
            now,
        )
        .map(ApplicationView::from)
    };
    idempotency::command(&state, &req, current, &request, StatusCode::OK, responded).await
}

/// Withdraw an application.
#[utoipa::path(tag = "applications", responses((status = 200, body = ApplicationView), (status = 409)), security(("bearer" = [])))]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    bodiless_command(
        state,
        req,
        current,
        path.into_inner().into(),
        service::withdraw,
    )
    .await
}

/// Copy an application of the caller's firm into a new draft: the same input (a project's
/// loads and fleet) and the same attachments, for the next phase of a campaign.
#[utoipa::path(tag = "applications", responses((status = 201, body = ApplicationView), (status = 404)), security(("bearer" = [])))]
#[post("/applications/{id}/copy")]
pub async fn copy(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = ApplicationId::from(path.into_inner());
    let run = move |conn: &mut _, engine: &_, caller: &_, now| {
        service::copy(conn, engine, caller, &id, now).map(ApplicationView::from)
    };
    idempotency::command(
        &state,
        &req,
        current,
        &serde_json::Value::Null,
        StatusCode::CREATED,
        run,
    )
    .await
}

/// A campaign's progress: trips made and allowed per load and in all, the vehicles under way
/// and where each was last seen, trips per vehicle (whoever may read the application).
#[utoipa::path(tag = "applications", responses((status = 200, body = ProgressView), (status = 404)), security(("bearer" = [])))]
#[get("/applications/{id}/progress")]
pub async fn progress(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (caller, now, engine) = (current, state.clock.now(), state.engine.clone());
    let id = ApplicationId::from(path.into_inner());
    let progress = state
        .db(move |conn| service::progress(conn, &engine, &caller, &id, now))
        .await?;
    Ok(HttpResponse::Ok().json(ProgressView::from(progress)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    pub status: Option<String>,
    /// single or project.
    pub kind: Option<String>,
    /// 1 to 10,000 (1 if absent).
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    /// 1 to 100 (20 if absent).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// The applications the caller may see: their firm's, their authority's, or their area's.
#[utoipa::path(tag = "applications", params(ListQuery), responses((status = 200, body = ApplicationPage)), security(("bearer" = [])))]
#[get("/applications")]
pub async fn list(
    state: web::Data<AppState>,
    current: Caller,
    query: crate::web::input::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let paging = Paging::parse(query.page, query.per_page).map_err(AppError::Validation)?;
    let (caller, now) = (current, state.clock.now());
    let engine = state.engine.clone();
    let page = state
        .db(move |conn| {
            let (status, kind) = (query.status.as_deref(), query.kind.as_deref());
            service::list(conn, &engine, &caller, status, kind, paging, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApplicationPage {
        items: page.items.iter().map(ApplicationView::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

/// One application.
#[utoipa::path(tag = "applications", responses((status = 200, body = ApplicationView), (status = 404)), security(("bearer" = [])))]
#[get("/applications/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (caller, id, now) = (current, path.into_inner(), state.clock.now());
    let engine = state.engine.clone();
    let view = state
        .db(move |conn| service::get(conn, &engine, &caller, &ApplicationId::from(&id), now))
        .await?;
    Ok(HttpResponse::Ok().json(ApplicationView::from(view)))
}

/// The audit log of one application.
#[utoipa::path(tag = "applications", responses((status = 200, body = [EventView]), (status = 404)), security(("bearer" = [])))]
#[get("/applications/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (caller, id) = (current, path.into_inner());
    let log = state
        .db(move |conn| service::events(conn, &caller, &ApplicationId::from(&id)))
        .await?;
    let log: Vec<EventView> = log.into_iter().map(EventView::from).collect();
    Ok(HttpResponse::Ok().json(log))
}
