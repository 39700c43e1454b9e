//! Amendments of issued permits (API.md "Amendments"): asked for by the holder's firm,
//! reviewed in the queues, re-issuing the permit as its next version.

use super::applications::typed;
use super::idempotency;
use super::rfc3339;
use super::views::TaskView;
use crate::domain::ids::PermitNo;
use crate::service::applications::amendments::{self as service, Amendment};
use crate::service::applications::view::TaskSummary;
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(request).service(list);
}

/// One vehicle's plates in an amendment: the tractor's and its trailers'.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehiclePlates {
    pub tractor_plate: String,
    pub trailer_plates: Vec<String>,
}

/// What an amendment changes (only what it changes is present).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plates: Option<Vec<VehiclePlates>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trips_allowed: Option<i32>,
}

impl From<&crate::domain::amendment::Changes> for ChangesView {
    fn from(c: &crate::domain::amendment::Changes) -> Self {
        ChangesView {
            plates: c.plates.as_ref().map(|vehicles| {
                vehicles
                    .iter()
                    .map(|plates| VehiclePlates {
                        tractor_plate: plates.first().cloned().unwrap_or_default(),
                        trailer_plates: plates.iter().skip(1).cloned().collect(),
                    })
                    .collect()
            }),
            valid_to: c.valid_to.map(|d| d.to_string()),
            trips_allowed: c.trips_allowed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AmendmentView {
    pub id: String,
    /// The amendment's own reference: the application's, `-A` and its number.
    pub reference: String,
    pub permit_no: String,
    /// under_review, approved or rejected.
    pub status: String,
    pub changes: ChangesView,
    /// The permit's values the changes replace.
    pub previous: ChangesView,
    pub reason: String,
    /// The permit's version the amendment was asked against, and the one its approval made.
    pub from_version: i32,
    pub to_version: Option<i32>,
    pub tasks: Vec<TaskView>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl AmendmentView {
    pub fn new(a: &Amendment, now: NaiveDateTime) -> Self {
        AmendmentView {
            id: a.row.id.clone(),
            reference: a.reference.clone(),
            permit_no: a.row.permit_no.clone(),
            status: a.status.as_str().into(),
            changes: ChangesView::from(&a.changes),
            previous: ChangesView::from(&a.previous),
            reason: a.row.reason.clone(),
            from_version: a.row.from_version,
            to_version: a.row.to_version,
            tasks: a
                .case
                .tasks
                .iter()
                .map(|t| TaskView::from(&TaskSummary::of(t, &a.case, now)))
                .collect(),
            created_at: rfc3339(a.row.created_at),
            decided_at: a.row.decided_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AmendmentBody {
    pub reason: Option<String>,
    /// `{"plates"?: [{"tractor_plate", "trailer_plates"}], "valid_to"?: "YYYY-MM-DD",
    /// "trips_allowed"?: n}`; anything else is not an amendment.
    #[schema(value_type = Object)]
    pub changes: Option<serde_json::Value>,
    /// The permit's version the holder is looking at: an older one is a 409.
    pub version: Option<i32>,
}

/// Ask for an amendment of a permit (the holder's firm).
#[utoipa::path(tag = "permits", request_body = AmendmentBody,
    responses((status = 201, body = AmendmentView), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
#[post("/permits/{permit_no}/amendments")]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let parsed: AmendmentBody = typed(body.clone())?;
    let permit_no = path.into_inner();
    let asked = move |conn: &mut _, engine: &_, caller: &_, now| {
        let changes = parsed.changes.unwrap_or(serde_json::Value::Null);
        let amendment = service::request(
            conn,
            engine,
            caller,
            &PermitNo::from(&permit_no),
            parsed.reason.as_deref(),
            &changes,
            parsed.version,
            now,
        )?;
        Ok(AmendmentView::new(&amendment, now))
    };
    idempotency::command(&state, &req, current, &body, StatusCode::CREATED, asked).await
}

/// A permit's amendments, oldest first (the permit's readers).
#[utoipa::path(tag = "permits", responses((status = 200, body = [AmendmentView]), (status = 404)), security(("bearer" = [])))]
#[get("/permits/{permit_no}/amendments")]
pub async fn list(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (caller, engine, now) = (current, state.engine.clone(), state.clock.now());
    let permit_no = path.into_inner();
    let amendments = state
        .db(move |conn| service::of_permit(conn, &engine, &caller, &PermitNo::from(&permit_no)))
        .await?;
    let body: Vec<AmendmentView> = amendments
        .iter()
        .map(|a| AmendmentView::new(a, now))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
