//! The inspector's page on a phone (现场核销): type a permit number (or scan its QR code with
//! the phone's camera, which opens the verification page), see its state in large type, and
//! record the trip.

use super::frame::Frame;
use super::html_with_status;
use super::permits::{status_names, trip_from_form, trip_lines, TripForm, TripLine};
use crate::domain::ids::PermitNo;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::permits as service;
use crate::service::Caller;
use crate::service::ServiceError;
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session;
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(check).service(record);
}

/// A permit as the inspector's page shows it.
struct Checked {
    permit_no: String,
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    holder: String,
    plates: Vec<String>,
    valid_from: String,
    valid_to: String,
    trips_used: i32,
    trips_allowed: i32,
    trips_left: i32,
    conditions: Vec<String>,
    revoke_reason: String,
    trips: Vec<TripLine>,
}

#[derive(Template)]
#[template(path = "inspect/check.html")]
struct CheckPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    number: String,
    found: Option<Checked>,
    /// A number was asked for and no permit has it.
    missing: bool,
    message: Option<(bool, String)>,
    csrf: String,
    plate: String,
    location: String,
}

#[derive(Debug, Deserialize)]
pub struct CheckQuery {
    pub no: Option<String>,
    /// What was typed before a stop, kept for the next try (a corrected plate, say).
    pub plate: Option<String>,
    pub location: Option<String>,
}

/// Permit numbers are typed on phones: spaces and lower case do not matter.
fn tidy_number(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

struct Typed {
    message: Option<(bool, String)>,
    plate: String,
    location: String,
    status: StatusCode,
}

async fn render(
    state: &AppState,
    session: &Session,
    current: Caller,
    lang: Lang,
    number: String,
    typed: Typed,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::for_user(Some(&current), session, lang);
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let caller = current;
    let no = number.clone();
    let found = if number.is_empty() {
        None
    } else {
        state
            .db(
                move |conn| match service::get(conn, &engine, &caller, &PermitNo::from(&no), now) {
                    Ok((permit, trips)) => {
                        let (status_zh, status_en) = status_names(permit.status);
                        let mut trips = trip_lines(&engine, trips);
                        trips.reverse();
                        Ok(Some(Checked {
                            permit_no: permit.row.permit_no.clone(),
                            status: permit.status.as_str(),
                            status_zh,
                            status_en,
                            holder: permit.row.holder_name.clone(),
                            plates: permit.plates.clone(),
                            valid_from: permit.row.valid_from.to_string(),
                            valid_to: permit.row.valid_to.to_string(),
                            trips_used: permit.row.trips_used,
                            trips_allowed: permit.row.trips_allowed,
                            trips_left: permit.row.trips_allowed - permit.row.trips_used,
                            conditions: permit
                                .conditions
                                .iter()
                                .map(|c| crate::i18n::condition(c, lang))
                                .collect(),
                            revoke_reason: permit.row.revoke_reason.clone().unwrap_or_default(),
                            trips,
                        }))
                    }
                    Err(ServiceError::NotFound) => Ok(None),
                    Err(other) => Err(other),
                },
            )
            .await?
    };
    let page = CheckPage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        csrf: frame.csrf.clone(),
        frame,
        missing: !number.is_empty() && found.is_none(),
        number,
        found,
        message: typed.message,
        plate: typed.plate,
        location: typed.location,
    };
    html_with_status(typed.status, page)
}

#[get("/inspect")]
async fn check(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<CheckQuery>,
) -> Result<HttpResponse, AppError> {
    let current = match session::signed_in_as(&state, &session, &req, Role::Inspector).await? {
        Ok(current) => current,
        Err(sign_in) => return Ok(sign_in),
    };
    let query = query.into_inner();
    let number = tidy_number(query.no.as_deref().unwrap_or_default());
    let typed = Typed {
        message: None,
        plate: query.plate.unwrap_or_default(),
        location: query.location.unwrap_or_default(),
        status: StatusCode::OK,
    };
    render(&state, &session, current, lang, number, typed).await
}

#[post("/inspect/{permit_no}/trips")]
async fn record(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: crate::web::input::Form<TripForm>,
) -> Result<HttpResponse, AppError> {
    let current = match session::signed_in_as(&state, &session, &req, Role::Inspector).await? {
        Ok(current) => current,
        Err(sign_in) => return Ok(sign_in),
    };
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let permit_no = path.into_inner();
    match trip_from_form(&state, current.clone(), lang, &permit_no, &form).await? {
        Ok(outcome) => {
            // Back to the form with what was typed: the location stays for the next vehicle,
            // and the plate too for a second look at this one after a stop.
            let location = form.location.as_deref().unwrap_or_default();
            let back = format!(
                "/inspect?{}",
                serde_urlencoded::to_string([("no", permit_no.as_str()), ("location", location)])
                    .unwrap_or_default()
            );
            let again = format!(
                "{back}&{}",
                serde_urlencoded::to_string([("plate", form.plate.as_deref().unwrap_or_default())])
                    .unwrap_or_default()
            );
            let plate = form.plate.clone().unwrap_or_default();
            super::scan::answer(
                &state,
                &session,
                lang,
                current,
                super::scan::Scanned {
                    permit_no: &permit_no,
                    plate: &plate,
                    back,
                    again,
                },
                outcome,
            )
            .await
        }
        Err(errors) => {
            let typed = Typed {
                message: Some((false, errors)),
                plate: form.plate.unwrap_or_default(),
                location: form.location.unwrap_or_default(),
                status: StatusCode::UNPROCESSABLE_ENTITY,
            };
            render(&state, &session, current, lang, permit_no, typed).await
        }
    }
}
