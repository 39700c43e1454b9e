//! Permits, public verification by QR token, trips recorded on site, and revocation.

use super::applications::typed;
use super::idempotency::{self, Outcome};
use super::rfc3339;
use crate::db::permits::{ScanRow, TripRow};
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
        .service(list_trips)
        .service(revoke);
}

/// A trip as a journey: its departure (`recorded_at`, where and with which plate), when and
/// where it was last seen, its arrival.
#[derive(Debug, Serialize, ToSchema)]
pub struct TripView {
    pub trip_no: i32,
    /// The plate scanned at departure.
    pub plate: String,
    /// The tractor plate of the vehicle making the trip.
    pub vehicle: String,
    /// Where it departed.
    pub location: String,
    pub note: String,
    /// When it departed (the scan that used the trip).
    pub recorded_at: String,
    pub departed_at: String,
    pub arrived_at: Option<String>,
    pub last_seen_at: Option<String>,
    pub last_seen_location: Option<String>,
}

impl From<TripRow> for TripView {
    fn from(t: TripRow) -> Self {
        TripView {
            trip_no: t.trip_no,
            plate: t.plate,
            vehicle: t.vehicle,
            location: t.location,
            note: t.note,
            recorded_at: rfc3339(t.recorded_at),
            departed_at: rfc3339(t.recorded_at),
            arrived_at: t.arrived_at.map(rfc3339),
            last_seen_at: t.last_seen_at.map(rfc3339),
            last_seen_location: t.last_seen_location,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanView {
    pub at: String,
    /// departure, checkpoint or arrival.
    pub stage: String,
    pub plate: String,
    pub location: String,
    pub note: String,
    /// The inspector's user id.
    pub inspector: String,
    /// Warnings the inspector saw (outside_allowed_hours).
    pub warnings: Vec<String>,
}

/// A trip with every scan of it (API.md "Trips").
#[derive(Debug, Serialize, ToSchema)]
pub struct JourneyView {
    pub trip_no: i32,
    pub plate: String,
    pub vehicle: String,
    pub departed_at: String,
    pub arrived_at: Option<String>,
    pub scans: Vec<ScanView>,
}

impl JourneyView {
    fn new(trip: TripRow, scans: &[ScanRow]) -> Self {
        JourneyView {
            trip_no: trip.trip_no,
            plate: trip.plate,
            vehicle: trip.vehicle,
            departed_at: rfc3339(trip.recorded_at),
            arrived_at: trip.arrived_at.map(rfc3339),
            scans: scans
                .iter()
                .filter(|s| s.trip_no == trip.trip_no)
                .map(|s| ScanView {
                    at: rfc3339(s.at),
                    stage: s.stage.clone(),
                    plate: s.plate.clone(),
                    location: s.location.clone(),
                    note: s.note.clone(),
                    inspector: s.inspector.clone(),
                    warnings: serde_json::from_str(&s.warnings).unwrap_or_default(),
                })
                .collect(),
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
    /// single or project.
    pub application_kind: String,
    /// A project's name (project permits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// The project load this permit is for (project permits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_key: Option<String>,
    /// Its amendments, oldest first: each approved one made the next version.
    pub amendments: Vec<super::amendments::AmendmentView>,
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
            application_kind: if row.load_key.is_some() {
                "project"
            } else {
                "single"
            }
            .into(),
            project_name: row.project_name,
            load_key: row.load_key,
            amendments: Vec::new(),
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
    /// The permit's version now, when the code is an older version's (status `superseded`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
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
            current_version: None,
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
    let view = state
        .db(move |conn| {
            let no = PermitNo::from(&permit_no);
            let (permit, trips) = service::get(conn, &engine, &caller, &no, now)?;
            let amendments =
                crate::service::applications::amendments::listed(conn, &engine, no.as_str())?;
            let mut view = PermitView::new(permit, trips);
            view.amendments = amendments
                .iter()
                .map(|a| super::amendments::AmendmentView::new(a, now))
                .collect();
            Ok(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
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
    let verification = state
        .db(move |conn| {
            let no = PermitNo::from(&permit_no);
            if let Some(found) = service::verify(conn, &engine, &no, &token, now)? {
                return Ok(Verification::from(Some(found)));
            }
            // A genuine code of an older version: authentic, and superseded by the current one.
            Ok(match service::superseded_by(conn, &engine, &no, &token)? {
                Some(version) => Verification {
                    authentic: true,
                    status: Some("superseded".into()),
                    permit_no: Some(permit_no),
                    current_version: Some(version),
                    ..Verification::default()
                },
                None => Verification::default(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(verification))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TripBody {
    /// The plate seen on the vehicle: the tractor's or a trailer's.
    pub plate: Option<String>,
    /// Where: loading site, checkpoint, toll station.
    pub location: Option<String>,
    pub note: Option<String>,
    /// departure, checkpoint or arrival; without it a checkpoint if the vehicle has a trip
    /// under way, else a departure.
    pub stage: Option<String>,
    /// The token read from the QR code: a forged one is a 422 naming `t`, an older version's
    /// a 409 `superseded`.
    pub t: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TripRecorded {
    /// The trip the scan belongs to.
    pub trip_no: i32,
    pub trips_used: i32,
    pub trips_allowed: i32,
    /// departure, checkpoint or arrival.
    pub stage: String,
    /// e.g. outside_allowed_hours: recorded, not refused; the inspector must see it.
    pub warnings: Vec<String>,
}

/// Record a scan on site (inspector): a departure uses a trip, a checkpoint sighting or the
/// arrival of the trip under way uses nothing. Refused with 409 and `error.reason`:
/// not_valid_now, plate_mismatch, used_up, revoked, no_trip_under_way, trip_under_way or
/// superseded.
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
            stage: parsed.stage,
            token: parsed.t,
        };
        let outcome = service::record_trip(
            conn,
            &engine,
            &caller,
            &PermitNo::from(&permit_no),
            &input,
            now,
        )?;
        Ok(match outcome {
            TripOutcome::Recorded {
                stage,
                trip_no,
                trips_used,
                trips_allowed,
                warnings,
                ..
            } => Outcome::Done(
                StatusCode::CREATED,
                serde_json::json!({"trip_no": trip_no, "trips_used": trips_used,
                    "trips_allowed": trips_allowed, "stage": stage.as_str(), "warnings": warnings}),
            ),
            // The refusal is recorded (an audit event); a retry is a new look at the permit.
            TripOutcome::Refused(reason) => Outcome::Refused(AppError::TripRefused(reason)),
        })
    })
    .await
}

/// Every trip of a permit with its scans (the permit's readers).
#[utoipa::path(tag = "permits", responses((status = 200, body = [JourneyView]), (status = 404)), security(("bearer" = [])))]
#[get("/permits/{permit_no}/trips")]
pub async fn list_trips(
    state: web::Data<AppState>,
    current: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (caller, engine) = (current, state.engine.clone());
    let permit_no = path.into_inner();
    let (trips, scans) = state
        .db(move |conn| service::journeys(conn, &engine, &caller, &PermitNo::from(&permit_no)))
        .await?;
    let body: Vec<JourneyView> = trips
        .into_iter()
        .map(|t| JourneyView::new(t, &scans))
        .collect();
    Ok(HttpResponse::Ok().json(body))
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
