//! The printable permit (A4, Chinese and English, with its QR code) for those entitled to it,
//! and the public verification page the QR code opens on a phone, where a signed-in inspector
//! also records the trip (现场核销).

use super::frame::Frame;
use super::html_with_status;
use crate::db::permits::{PermitRow, TripRow};
use crate::domain::application::{ApplicationInput, TrailerType};
use crate::domain::ids::PermitNo;
use crate::domain::permit::{qr_svg, PermitStatus};
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

#[path = "permits_verify.rs"]
mod verify;

#[path = "permits_amend.rs"]
mod amend;

pub use self::amend::{change_lines, ChangeLine};

pub use self::verify::{trip_from_form, TripForm, VerifyQuery};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(print_page)
        .service(amend::ask)
        .service(verify::verify_page)
        .service(verify::record_trip);
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
    /// A project permit's campaign and load: "name · load".
    pub project: String,
    /// The vehicles that may use it, each as its plates (the tractor's first).
    pub vehicles: Vec<Vec<String>>,
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
    /// Each condition as (Chinese, English): a common one in both, a typed one as typed.
    pub conditions: Vec<(String, String)>,
    pub authority_zh: String,
    pub authority_en: String,
    pub issued_at: String,
    pub verify_url: String,
    pub qr: String,
    pub revoked_at: String,
    pub revoke_reason: String,
    /// The latest trips, at most `PRINTED_TRIPS` (a campaign's load makes hundreds).
    pub trips: Vec<TripLine>,
    /// Earlier trips not printed.
    pub earlier_trips: usize,
    pub timezone: String,
}

pub fn local(engine: &Engine, t: NaiveDateTime) -> String {
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

/// The trips a printed permit lists, the latest: the page stays one A4 sheet; the rest are
/// on the permit's page and in the API.
const PRINTED_TRIPS: usize = 10;

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
    let project = match (&row.project_name, &row.load_key) {
        (Some(name), Some(load)) => format!("{name} · {load}"),
        _ => String::new(),
    };
    Ok(PermitDoc {
        permit_no: row.permit_no.clone(),
        reference: permit.reference.clone(),
        project,
        vehicles: service::vehicles_of(row)?,
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
        conditions: permit
            .conditions
            .iter()
            .map(|c| match crate::i18n::condition_halves(c) {
                Some((zh, en)) => (zh.to_string(), en.to_string()),
                None => (c.clone(), String::new()),
            })
            .collect(),
        authority_zh: authority
            .as_ref()
            .map_or(row.issuing_authority.clone(), |a| a.name_zh.clone()),
        authority_en: authority.map_or(row.issuing_authority.clone(), |a| a.name_en),
        issued_at: local(engine, row.issued_at),
        verify_url: permit.verify_url.clone(),
        qr,
        revoked_at: row.revoked_at.map(|t| local(engine, t)).unwrap_or_default(),
        revoke_reason: row.revoke_reason.clone().unwrap_or_default(),
        earlier_trips: trips.len().saturating_sub(PRINTED_TRIPS),
        trips: trip_lines(engine, trips)
            .into_iter()
            .rev()
            .take(PRINTED_TRIPS)
            .rev()
            .collect(),
        // The bilingual permit names the time as its readers do.
        timezone: match engine.timezone {
            chrono_tz::Asia::Shanghai => "北京时间 Beijing time".to_string(),
            tz => tz.name().to_string(),
        },
    })
}

#[derive(Template)]
#[template(path = "permits/print.html")]
struct PrintPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    p: PermitDoc,
    /// The permit's version (1 until an amendment re-issues it) and its amendments.
    version: i32,
    amendments: Vec<amend::AmendmentLine>,
    /// The holder's amendment form (holders only).
    amend: Option<amend::AmendForm>,
    csrf: String,
    message: Option<String>,
}

impl PrintPage {
    /// The approved amendments, printed on the permit.
    fn approved(&self) -> Vec<&amend::AmendmentLine> {
        self.amendments
            .iter()
            .filter(|a| a.status == "approved")
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct PrintQuery {
    pub done: Option<String>,
}

/// The permit to print: for the holder's firm, the reviewing authorities, inspectors and
/// managers; anyone else is asked to sign in or told it is not there.
#[get("/permits/{permit_no}")]
async fn print_page(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    query: crate::web::input::Query<PrintQuery>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let done = query.into_inner().done;
    render_permit(
        &state,
        &session,
        lang,
        current,
        path.into_inner(),
        done,
        None,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_permit(
    state: &AppState,
    session: &Session,
    lang: Lang,
    current: Caller,
    permit_no: String,
    done: Option<String>,
    typed: Option<amend::AmendTyped>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let frame = Frame::for_user(Some(&current), session, lang);
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let caller = current;
    let (doc, version, amendments, amend) = state
        .db(move |conn| {
            let (permit, trips) =
                service::get(conn, &engine, &caller, &PermitNo::from(&permit_no), now)?;
            let row = permit.row.clone();
            let listed =
                crate::service::applications::amendments::listed(conn, &engine, &permit_no)?;
            let holder = caller.role == Role::Applicant
                && caller.user.firm_id.as_deref() == Some(row.holder_firm_id.as_str());
            let amend = if holder {
                let mut form = amend::AmendForm::of(&row, &service::vehicles_of(&row)?);
                let open = listed
                    .iter()
                    .any(|a| a.status == crate::domain::amendment::AmendmentStatus::UnderReview);
                form.closed = match permit.status {
                    _ if open => Some(lang.word("page.amend.one_at_a_time").to_string()),
                    PermitStatus::Revoked | PermitStatus::Expired => {
                        Some(lang.word("page.amend.not_now").to_string())
                    }
                    _ => None,
                };
                Some(match typed {
                    Some(typed) => form.with_typed(typed),
                    None => form,
                })
            } else {
                None
            };
            let lines = listed
                .iter()
                .map(|a| amend::amendment_line(&engine, a, en))
                .collect();
            Ok((
                document(conn, &engine, permit, trips)?,
                row.version,
                lines,
                amend,
            ))
        })
        .await?;
    let message = match done.as_deref() {
        Some("amendment") => Some(lang.word("page.amend.asked").to_string()),
        _ => None,
    };
    html_with_status(
        status,
        PrintPage {
            lang_tag: lang.tag(),
            en,
            csrf: frame.csrf.clone(),
            frame,
            p: doc,
            version,
            amendments,
            amend,
            message,
        },
    )
}
