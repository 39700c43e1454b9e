//! Permits, public verification by QR token, trips recorded on site, and revocation.

use super::applications::typed;
use super::idempotency::{self, Outcome};
use super::rfc3339;
use crate::db::permits::TripRow;
use crate::domain::ids::PermitNo;
use crate::service::permits::{self as service, Permit, TripInput, TripOutcome};
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_permit)
        .service(verify)
        .service(record_trip)
        .service(revoke);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TripView {
    pub trip_no: i32,
    pub plate: String,
    pub location: String,
    pub note: String,
    pub recorded_at: String,
}

impl From<TripRow> for TripView {
    fn from(t: TripRow) -> Self {
        TripView {
            trip_no: t.trip_no,
            plate: t.plate,
            location: t.location,
            note: t.note,
            recorded_at: rfc3339(t.recorded_at),
        }
    }
}

/// The full permit, for its holder, the authorities that reviewed it, inspectors and managers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermitView {
    pub permit_no: String,
    pub application_id: String,
    /// The application's reference (PF-YYYY-NNNNNN).
    pub reference: String,
    pub version: i32,
    /// valid, not_yet_valid, expired, revoked or used_up.
    pub status: String,
    /// The holding firm's name.
    pub holder: String,
    pub holder_credit_code: String,
    /// The tractor's plate first, then the trailers'.
    pub plates: Vec<String>,
    #[schema(value_type = Object)]
    pub cargo: serde_json::Value,
    #[schema(value_type = Object)]
    pub vehicle: serde_json::Value,
    #[schema(value_type = Object)]
    pub route: serde_json::Value,
    /// First day of travel (local date, YYYY-MM-DD).
    pub valid_from: String,
    /// Last day of travel, inclusive.
    pub valid_to: String,
    pub trips_allowed: i32,
    pub trips_used: i32,
    /// Every condition of every approval, each once.
    pub conditions: Vec<String>,
    pub issuing_authority: String,
    pub issued_at: String,
    pub verify_url: String,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub trips: Vec<TripView>,
}

fn parsed(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

impl PermitView {
    pub fn new(p: Permit, trips: Vec<TripRow>) -> Self {
        let row = p.row;
        PermitView {
            permit_no: row.permit_no,
            application_id: row.application_id,
            reference: p.reference,
            version: row.version,
            status: p.status.as_str().into(),
            holder: row.holder_name,
            holder_credit_code: row.holder_credit_code,
            plates: p.plates,
            cargo: parsed(&row.cargo),
            vehicle: parsed(&row.vehicle),
            route: parsed(&row.route),
            valid_from: row.valid_from.to_string(),
            valid_to: row.valid_to.to_string(),
            trips_allowed: row.trips_allowed,
            trips_used: row.trips_used,
            conditions: p.conditions,
            issuing_authority: row.issuing_authority,
            issued_at: rfc3339(row.issued_at),
            verify_url: p.verify_url,
            revoked_at: row.revoked_at.map(rfc3339),
            revoke_reason: row.revoke_reason,
            trips: trips.into_iter().map(TripView::from).collect(),
        }
    }
}

/// What the QR code shows anyone: no people, only the firm, plates, validity and conditions;
/// for a wrong token or an unknown number, `authentic: false` and nothing else (so the
/// document declares every other field optional).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Verification {
    pub authentic: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permit_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plates: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trips_allowed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trips_used: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuing_authority: Option<String>,
}

impl From<Option<Permit>> for Verification {
    fn from(found: Option<Permit>) -> Self {
        let Some(p) = found else {
            return Verification::default();
        };
        Verification {
            authentic: true,
            status: Some(p.status.as_str().into()),
            permit_no: Some(p.row.permit_no),
            holder: Some(p.row.holder_name),
            plates: Some(p.plates),
            valid_from: Some(p.row.valid_from.to_string()),
            valid_to: Some(p.row.valid_to.to_string()),
            trips_allowed: Some(p.row.trips_allowed),
            trips_used: Some(p.row.trips_used),
            conditions: Some(p.conditions),
            issuing_authority: Some(p.row.issuing_authority),
        }
    }
}

/// A permit in full (holder's firm, reviewing authorities, inspectors, managers).
#[utoipa::path(tag = "permits", responses((status = 200, body = PermitView), (status = 404)), security(("bearer" = [])))]
#[get("/permits/{permit_no}")]
pub async fn get_permit(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (caller, now, engine) = (current, state.clock.now(), state.engine.clone());
    let permit_no = path.into_inner();
    let (permit, trips) = state
        .db(move |conn| service::get(conn, &engine, &caller, &PermitNo::from(&permit_no), now))
        .await?;
    Ok(HttpResponse::Ok().json(PermitView::new(permit, trips)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TokenQuery {
    /// The token from the QR code.
    pub t: Option<String>,
}

/// Public: is this permit genuine, and what state is it in? A wrong token learns nothing.
#[utoipa::path(tag = "permits", params(TokenQuery), responses((status = 200, body = Verification)))]
#[get("/verify/{permit_no}")]
pub async fn verify(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: crate::web::input::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let permit_no = path.into_inner();
    let token = query.into_inner().t.unwrap_or_default();
    let found = state
        .db(move |conn| service::verify(conn, &engine, &PermitNo::from(&permit_no), &token, now))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Verification::from(found)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TripBody {
    /// The plate seen on the vehicle: the tractor's or a trailer's.
    pub plate: Option<String>,
    /// Where: loading site, checkpoint, toll station.
    pub location: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TripRecorded {
    pub trip_no: i32,
    pub trips_used: i32,
    pub trips_allowed: i32,
}

/// Record a trip on site (inspector). Refused with 409 and `error.reason`: not_valid_now,
/// plate_mismatch, used_up or revoked.
#[utoipa::path(tag = "permits", request_body = TripBody,
    responses((status = 201, body = TripRecorded), (status = 409), (status = 422)), security(("bearer" = [])))]
#[post("/permits/{permit_no}/trips")]
pub async fn record_trip(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let parsed: TripBody = typed(body.clone())?;
    let user_id = current.user.id.clone();
    let (caller, now) = (current, state.clock.now());
    let permit_no = path.into_inner();
    let engine = state.engine.clone();
    idempotency::once(&state, &req, &user_id, &body, move |conn| {
        let input = TripInput {
            plate: parsed.plate,
            location: parsed.location,
            note: parsed.note,
        };
        let outcome = service::record_trip(conn, &engine, &caller, &PermitNo::from(&permit_no), &input, now)?;
        Ok(match outcome {
            TripOutcome::Recorded {
                trip_no,
                trips_used,
                trips_allowed,
            } => Outcome::Done(
                StatusCode::CREATED,
                serde_json::json!({"trip_no": trip_no, "trips_used": trips_used, "trips_allowed": trips_allowed}),
            ),
            // The refusal is recorded (an audit event); a retry is a new look at the permit.
            TripOutcome::Refused(reason) => Outcome::Refused(AppError::TripRefused(reason)),
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeBody {
    pub reason: Option<String>,
}

/// Revoke a permit (the issuing authority's reviewers, admins), with the reason the holder is
/// told by e-mail.
#[utoipa::path(tag = "permits", request_body = RevokeBody,
    responses((status = 200, body = PermitView), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
#[post("/permits/{permit_no}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    current: Caller,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let parsed: RevokeBody = typed(body.clone())?;
    let permit_no = path.into_inner();
    let revoked = move |conn: &mut _, engine: &_, caller: &_, now| {
        let reason = parsed.reason.as_deref();
        let (permit, trips) = service::revoke(
            conn,
            engine,
            caller,
            &PermitNo::from(&permit_no),
            reason,
            now,
        )?;
        Ok(PermitView::new(permit, trips))
    };
    idempotency::command(&state, &req, current, &body, StatusCode::OK, revoked).await
}
