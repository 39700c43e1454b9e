//! The printable permit (A4, Chinese and English, with its QR code) for those entitled to it,
//! and the public verification page the QR code opens on a phone, where a signed-in inspector
//! also records the trip (现场核销).

use super::frame::Frame;
use super::html_with_status;
use crate::db::permits::{PermitRow, TripRow};
use crate::domain::application::{ApplicationInput, TrailerType};
use crate::domain::ids::PermitNo;
use crate::domain::permit::{qr_svg, PermitStatus, TripRefusal};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::permits::{self as service, Permit, TripInput, TripOutcome};
use crate::service::reference as ref_service;
use crate::service::Caller;
use crate::service::Engine;
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session;
use crate::web::session::SignedIn;
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(print_page)
        .service(verify_page)
        .service(record_trip);
}

/// The state's words in both languages, and its colour class.
pub fn status_names(status: PermitStatus) -> (&'static str, &'static str) {
    match status {
        PermitStatus::Valid => ("有效", "Valid"),
        PermitStatus::NotYetValid => ("尚未生效", "Not yet valid"),
        PermitStatus::Expired => ("已过期", "Expired"),
        PermitStatus::Revoked => ("已撤销", "Revoked"),
        PermitStatus::UsedUp => ("次数已用完", "All trips used"),
    }
}

pub struct TripLine {
    pub no: i32,
    pub at: String,
    pub plate: String,
    pub location: String,
    pub note: String,
}

pub struct SegmentLine {
    pub road: String,
    pub jurisdiction_zh: String,
    pub jurisdiction_en: String,
    pub length_km: String,
}

/// Everything printed on a permit, in display form.
pub struct PermitDoc {
    pub permit_no: String,
    pub reference: String,
    pub status: &'static str,
    pub status_zh: &'static str,
    pub status_en: &'static str,
    pub holder: String,
    pub credit_code: String,
    pub plates: Vec<String>,
    pub cargo: String,
    pub pieces: String,
    pub dimensions: String,
    pub mass: String,
    pub trailer_zh: String,
    pub trailer_en: String,
    pub axles: String,
    pub overall: String,
    pub gross_mass: String,
    pub axle_load: String,
    pub origin: String,
    pub destination: String,
    pub segments: Vec<SegmentLine>,
    pub valid_from: String,
    pub valid_to: String,
    pub trips_used: i32,
    pub trips_allowed: i32,
    pub conditions: Vec<String>,
    pub authority_zh: String,
    pub authority_en: String,
    pub issued_at: String,
    pub verify_url: String,
    pub qr: String,
    pub revoked_at: String,
    pub revoke_reason: String,
    pub trips: Vec<TripLine>,
    pub timezone: String,
}

fn local(engine: &Engine, t: NaiveDateTime) -> String {
    engine
        .timezone
        .from_utc_datetime(&t)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn number(value: Option<f64>, unit: &str) -> String {
    value.map(|v| format!("{v} {unit}")).unwrap_or_default()
}

fn tonnes(kg: Option<f64>) -> String {
    kg.map(|kg| format!("{} t", kg / 1000.0))
        .unwrap_or_default()
}

pub fn trip_lines(engine: &Engine, trips: Vec<TripRow>) -> Vec<TripLine> {
    trips
        .into_iter()
        .map(|t| TripLine {
            no: t.trip_no,
            at: local(engine, t.recorded_at),
            plate: t.plate,
            location: t.location,
            note: t.note,
        })
        .collect()
}

/// Builds the printed form, with names from the reference data.
fn document(
    conn: &mut crate::db::DbConnection,
    engine: &Engine,
    permit: Permit,
    trips: Vec<TripRow>,
) -> Result<PermitDoc, crate::service::ServiceError> {
    let row: &PermitRow = &permit.row;
    let input: ApplicationInput = serde_json::from_str(&format!(
        r#"{{"cargo":{},"vehicle":{},"route":{}}}"#,
        row.cargo, row.vehicle, row.route
    ))
    .unwrap_or_default();
    let cargo = input.cargo.unwrap_or_default();
    let vehicle = input.vehicle.unwrap_or_default();
    let route = input.route.unwrap_or_default();
    let (trailer_zh, trailer_en) = TrailerType::parse("", vehicle.trailer_type.as_deref())
        .map(|t| t.names())
        .map(|(zh, en)| (zh.to_string(), en.to_string()))
        .unwrap_or_default();
    let mut segments = Vec::new();
    for s in route.segments.unwrap_or_default() {
        let code = s.jurisdiction.unwrap_or_default();
        let j = ref_service::find_jurisdiction(conn, &code)?;
        segments.push(SegmentLine {
            road: s.road.unwrap_or_default(),
            jurisdiction_zh: j.as_ref().map_or(code.clone(), |j| j.name_zh.clone()),
            jurisdiction_en: j.map_or(code, |j| j.name_en),
            length_km: number(s.length_km, "km"),
        });
    }
    let authority = ref_service::find_authority(conn, &row.issuing_authority)?;
    let (status_zh, status_en) = status_names(permit.status);
    let dims = match (cargo.length_m, cargo.width_m, cargo.height_m) {
        (Some(l), Some(w), Some(h)) => format!("{l} × {w} × {h} m"),
        _ => String::new(),
    };
    let overall = match (
        vehicle.overall_length_m,
        vehicle.overall_width_m,
        vehicle.overall_height_m,
    ) {
        (Some(l), Some(w), Some(h)) => format!("{l} × {w} × {h} m"),
        _ => String::new(),
    };
    let qr = qr_svg(&permit.verify_url)
        .map_err(|e| crate::service::ServiceError::Internal(anyhow::anyhow!("QR code: {e}")))?;
    Ok(PermitDoc {
        permit_no: row.permit_no.clone(),
        reference: permit.reference.clone(),
        status: permit.status.as_str(),
        status_zh,
        status_en,
        holder: row.holder_name.clone(),
        credit_code: row.holder_credit_code.clone(),
        plates: permit.plates.clone(),
        cargo: cargo.description.unwrap_or_default(),
        pieces: cargo.pieces.map(|p| p.to_string()).unwrap_or_default(),
        dimensions: dims,
        mass: tonnes(cargo.mass_kg),
        trailer_zh,
        trailer_en,
        axles: vehicle.axles.map(|a| a.to_string()).unwrap_or_default(),
        overall,
        gross_mass: tonnes(vehicle.gross_mass_kg),
        axle_load: tonnes(vehicle.max_axle_load_kg),
        origin: route.origin.unwrap_or_default(),
        destination: route.destination.unwrap_or_default(),
        segments,
        valid_from: row.valid_from.to_string(),
        valid_to: row.valid_to.to_string(),
        trips_used: row.trips_used,
        trips_allowed: row.trips_allowed,
        conditions: permit.conditions.clone(),
        authority_zh: authority
            .as_ref()
            .map_or(row.issuing_authority.clone(), |a| a.name_zh.clone()),
        authority_en: authority.map_or(row.issuing_authority.clone(), |a| a.name_en),
        issued_at: local(engine, row.issued_at),
        verify_url: permit.verify_url.clone(),
        qr,
        revoked_at: row.revoked_at.map(|t| local(engine, t)).unwrap_or_default(),
        revoke_reason: row.revoke_reason.clone().unwrap_or_default(),
        trips: trip_lines(engine, trips),
        timezone: engine.timezone.name().to_string(),
    })
}

#[derive(Template)]
#[template(path = "permits/print.html")]
struct PrintPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    p: PermitDoc,
}

/// The permit to print: for the holder's firm, the reviewing authorities, inspectors and
/// managers; anyone else is asked to sign in or told it is not there.
#[get("/permits/{permit_no}")]
async fn print_page(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::for_user(Some(&current), &session, lang);
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let permit_no = path.into_inner();
    let caller = current;
    let doc = state
        .db(move |conn| {
            let (permit, trips) =
                service::get(conn, &engine, &caller, &PermitNo::from(&permit_no), now)?;
            document(conn, &engine, permit, trips)
        })
        .await?;
    html_with_status(
        StatusCode::OK,
        PrintPage {
            lang_tag: lang.tag(),
            en: lang == Lang::En,
            frame,
            p: doc,
        },
    )
}

/// What the phone shows: authentic or not, and for an authentic permit only what the public
/// may see (no people), plus the trip form for a signed-in inspector.
#[derive(Template)]
#[template(path = "public/verify.html")]
struct VerifyPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    permit_no: String,
    token: String,
    found: Option<PublicView>,
    inspector: bool,
    csrf: String,
    message: Option<(bool, String)>,
    plate: String,
    location: String,
}

struct PublicView {
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    holder: String,
    plates: Vec<String>,
    valid_from: String,
    valid_to: String,
    trips_used: i32,
    trips_allowed: i32,
    conditions: Vec<String>,
    authority: String,
}

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    pub t: Option<String>,
    /// After a trip form: `recorded` or the refusal's reason.
    pub trip: Option<String>,
    pub no: Option<i32>,
}

/// The line shown after a trip form: `recorded` (with the trip's number) or a refusal.
pub fn trip_message(lang: Lang, trip: Option<&str>, no: Option<i32>) -> Option<(bool, String)> {
    match (trip, no) {
        (Some("recorded"), Some(no)) => Some((
            true,
            if lang == Lang::En {
                format!("Trip {no} recorded.")
            } else {
                format!("已核销第 {no} 趟。")
            },
        )),
        (Some(reason), _) => reason
            .parse::<TripRefusal>()
            .ok()
            .map(|r| (false, refusal_message(lang, r))),
        _ => None,
    }
}

fn refusal_message(lang: Lang, reason: TripRefusal) -> String {
    crate::web::error::AppError::TripRefused(reason)
        .body(lang, "-")
        .pointer("/error/message")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_string()
}

/// What the page says besides the permit: a message after a trip form, what was typed.
struct FormState {
    message: Option<(bool, String)>,
    plate: String,
    location: String,
    status: StatusCode,
}

impl FormState {
    fn message(message: Option<(bool, String)>) -> Self {
        FormState {
            message,
            plate: String::new(),
            location: String::new(),
            status: StatusCode::OK,
        }
    }
}

async fn render_verify(
    state: &AppState,
    session: &Session,
    lang: Lang,
    permit_no: String,
    token: String,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let en = lang == Lang::En;
    let (no, t) = (permit_no.clone(), token.clone());
    let found = state
        .db(move |conn| {
            let Some(permit) = service::verify(conn, &engine, &PermitNo::from(&no), &t, now)?
            else {
                return Ok(None);
            };
            let authority = ref_service::find_authority(conn, &permit.row.issuing_authority)?
                .map(|a| if en { a.name_en } else { a.name_zh })
                .unwrap_or_else(|| permit.row.issuing_authority.clone());
            let (status_zh, status_en) = status_names(permit.status);
            Ok(Some(PublicView {
                status: permit.status.as_str(),
                status_zh,
                status_en,
                holder: permit.row.holder_name,
                plates: permit.plates,
                valid_from: permit.row.valid_from.to_string(),
                valid_to: permit.row.valid_to.to_string(),
                trips_used: permit.row.trips_used,
                trips_allowed: permit.row.trips_allowed,
                conditions: permit.conditions,
                authority,
            }))
        })
        .await?;
    let current = session::user_of(state, session).await?;
    let inspector = found.is_some() && current.as_ref().is_some_and(|u| u.role == Role::Inspector);
    let frame = Frame::for_user(current.as_ref(), session, lang);
    let page = VerifyPage {
        lang_tag: lang.tag(),
        en,
        frame,
        permit_no,
        token,
        found,
        inspector,
        csrf: if inspector {
            session::csrf_token(session)
        } else {
            String::new()
        },
        message: form.message,
        plate: form.plate,
        location: form.location,
    };
    let mut response = html_with_status(form.status, page)?;
    // The token is in the address: keep it out of Referer headers and caches.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[get("/verify/{permit_no}")]
async fn verify_page(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    query: crate::web::input::Query<VerifyQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let message = trip_message(lang, query.trip.as_deref(), query.no);
    render_verify(
        &state,
        &session,
        lang,
        path.into_inner(),
        query.t.unwrap_or_default(),
        FormState::message(message),
    )
    .await
}

fn field_label(field: &str, lang: Lang) -> &str {
    match (field, lang) {
        ("plate", Lang::En) => "Plate seen",
        ("plate", Lang::Zh) => "实际号牌",
        ("location", Lang::En) => "Location",
        ("location", Lang::Zh) => "核销地点",
        ("note", Lang::En) => "Note",
        ("note", Lang::Zh) => "备注",
        (other, _) => other,
    }
}

#[derive(Debug, Deserialize)]
pub struct TripForm {
    pub csrf: Option<String>,
    pub t: Option<String>,
    pub plate: Option<String>,
    pub location: Option<String>,
    pub note: Option<String>,
}

/// Records a trip from a page's form: the outcome, or the form's errors in words that name
/// each field.
pub async fn trip_from_form(
    state: &AppState,
    current: Caller,
    lang: Lang,
    permit_no: &str,
    form: &TripForm,
) -> Result<Result<TripOutcome, String>, AppError> {
    let input = TripInput {
        plate: form.plate.clone(),
        location: form.location.clone(),
        note: form.note.clone(),
    };
    let (caller, now, engine) = (current, state.clock.now(), state.engine.clone());
    let no = permit_no.to_string();
    let outcome = state
        .db(move |conn| {
            service::record_trip(conn, &engine, &caller, &PermitNo::from(&no), &input, now)
        })
        .await;
    match outcome {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(AppError::Validation(errors)) => {
            Ok(Err(super::labels::field_errors(&errors, lang, |field| {
                field_label(field, lang).to_string()
            })))
        }
        Err(other) => Err(other),
    }
}

/// Where a trip form goes back to, with its outcome for `trip_message`; the trip's number
/// goes in the query parameter `number_param`.
pub fn after_trip(base: &str, outcome: &TripOutcome, number_param: &str) -> String {
    let query = match outcome {
        TripOutcome::Recorded { trip_no, .. } => serde_urlencoded::to_string([
            ("trip", "recorded".to_string()),
            (number_param, trip_no.to_string()),
        ]),
        TripOutcome::Refused(reason) => serde_urlencoded::to_string([("trip", reason.as_str())]),
    }
    .unwrap_or_default();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{query}")
}

/// The inspector's trip form on the verification page; back to the page with the outcome.
#[post("/verify/{permit_no}/trips")]
async fn record_trip(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: crate::web::input::Form<TripForm>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let permit_no = path.into_inner();
    let token = form.t.clone().unwrap_or_default();
    // The form stands on the page the QR code opened: its token must be the permit's, as
    // for the API (an inspector without a code uses the check page by number instead).
    let (no, t, engine, now) = (
        permit_no.clone(),
        token.clone(),
        state.engine.clone(),
        state.clock.now(),
    );
    let authentic = state
        .db(move |conn| {
            Ok(service::verify(conn, &engine, &PermitNo::from(&no), &t, now)?.is_some())
        })
        .await?;
    if !authentic {
        let form = FormState {
            status: StatusCode::NOT_FOUND,
            ..FormState::message(None)
        };
        return render_verify(&state, &session, lang, permit_no, token, form).await;
    }
    match trip_from_form(&state, current, lang, &permit_no, &form).await? {
        Ok(outcome) => {
            let page = format!(
                "/verify/{permit_no}?{}",
                serde_urlencoded::to_string([("t", &token)]).unwrap_or_default()
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, after_trip(&page, &outcome, "no")))
                .finish())
        }
        Err(errors) => {
            let form = FormState {
                message: Some((false, errors)),
                plate: form.plate.unwrap_or_default(),
                location: form.location.unwrap_or_default(),
                status: StatusCode::UNPROCESSABLE_ENTITY,
            };
            render_verify(&state, &session, lang, permit_no, token, form).await
        }
    }
}
