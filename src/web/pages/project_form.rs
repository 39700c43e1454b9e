//! The dispatcher's project form (信息上报): the campaign, its one route and travel window,
//! its loads (each a block of figures with its trips and its contour drawing) and its fleet
//! (one row per vehicle, or pasted from a spreadsheet), with rows added and removed on the
//! server so the form works without scripts. Saving keeps a draft; submitting checks every
//! rule of every load and vehicle and shows each problem at its field, everything typed kept.

use super::form::fields::read_form;
use super::frame::Frame;
use super::html_with_status;
use super::project_fields::{compact, input_of, paste_fleet, rows_in, values_of};
use crate::domain::application::ApplicationInput;
use crate::domain::ids::ApplicationId;
use crate::domain::workflow::AppStatus;
use crate::domain::FieldError;
use crate::i18n::Lang;
use crate::service::applications as service;
use crate::service::{Caller, ServiceError};
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session;
use crate::web::session::{page_role, SignedIn};
use crate::web::AppState;
use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new_form)
        .service(create)
        .service(edit_form)
        .service(save)
        .service(copy);
}

/// One field of a load's block: its name under `loads[i].`, its label, whether it is a number.
pub struct LoadField {
    pub key: &'static str,
    pub label: &'static str,
    pub number: bool,
}

const LOAD_FIELDS: [(&str, &str, &str, bool); 13] = [
    ("cargo.description", "货物名称", "Description", false),
    ("cargo.pieces", "件数", "Pieces", true),
    ("cargo.length_m", "货物长（米）", "Cargo length (m)", true),
    ("cargo.width_m", "货物宽（米）", "Cargo width (m)", true),
    ("cargo.height_m", "货物高（米）", "Cargo height (m)", true),
    ("cargo.mass_kg", "货物质量（千克）", "Cargo mass (kg)", true),
    ("vehicle.axles", "轴数", "Axles", true),
    (
        "vehicle.overall_length_m",
        "车货总长（米）",
        "Overall length (m)",
        true,
    ),
    (
        "vehicle.overall_width_m",
        "车货总宽（米）",
        "Overall width (m)",
        true,
    ),
    (
        "vehicle.overall_height_m",
        "车货总高（米）",
        "Overall height (m)",
        true,
    ),
    (
        "vehicle.gross_mass_kg",
        "车货总质量（千克）",
        "Gross mass (kg)",
        true,
    ),
    (
        "vehicle.max_axle_load_kg",
        "最大轴荷（千克）",
        "Max axle load (kg)",
        true,
    ),
    ("trips", "通行趟数", "Trips", true),
];

#[derive(Template)]
#[template(path = "projects/form.html")]
struct ProjectFormPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    id: Option<String>,
    reference: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    loads: usize,
    vehicles: usize,
    segments: usize,
    counties: Vec<(String, String)>,
    load_fields: Vec<LoadField>,
    trailer_types: Vec<(&'static str, &'static str)>,
    /// Files already attached: (kind, load key, file name).
    attached: Vec<(String, String, String)>,
    summary: Option<String>,
}

impl ProjectFormPage {
    fn v(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn e(&self, name: &str) -> &str {
        self.errors
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn n(&self, family: &str, i: &usize, part: &str) -> String {
        format!("{family}[{i}].{part}")
    }

    fn checked(&self, name: &str) -> bool {
        matches!(self.v(name), "yes" | "true" | "on")
    }

    /// The file already attached for the load in row `i`, if any.
    fn drawing(&self, i: &usize) -> &str {
        let key = self.v(&format!("loads[{i}].key"));
        self.attached
            .iter()
            .find(|(kind, load, _)| kind == "contour_drawing" && !key.is_empty() && load == key)
            .map(|(_, _, name)| name.as_str())
            .unwrap_or_default()
    }

    fn escort_plan(&self) -> &str {
        self.attached
            .iter()
            .find(|(kind, _, _)| kind == "escort_plan")
            .map(|(_, _, name)| name.as_str())
            .unwrap_or_default()
    }
}

struct Shown {
    id: Option<String>,
    reference: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    extra_loads: usize,
    extra_vehicles: usize,
    summary: Option<String>,
    status: StatusCode,
}

impl Shown {
    fn fresh(id: Option<String>, reference: String, values: HashMap<String, String>) -> Self {
        Shown {
            id,
            reference,
            values,
            errors: HashMap::new(),
            extra_loads: 0,
            extra_vehicles: 0,
            summary: None,
            status: StatusCode::OK,
        }
    }
}

async fn render(
    state: &AppState,
    session: &Session,
    current: &Caller,
    lang: Lang,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let (id, now, engine) = (shown.id.clone(), state.clock.now(), state.engine.clone());
    let caller = current.clone();
    let (counties, attached) = state
        .db(move |conn| {
            let counties = crate::service::reference::jurisdictions(conn)?
                .into_iter()
                .filter(|j| j.level == "county")
                .map(|j| {
                    let name = if en { j.name_en } else { j.name_zh };
                    (j.code.clone(), format!("{} {name}", j.code))
                })
                .collect::<Vec<_>>();
            let attached = match &id {
                Some(id) => service::get(conn, &engine, &caller, &ApplicationId::from(id), now)?
                    .attachments
                    .into_iter()
                    .map(|a| (a.kind, a.load.unwrap_or_default(), a.filename))
                    .collect(),
                None => Vec::new(),
            };
            Ok((counties, attached))
        })
        .await?;
    let frame = Frame::for_user(Some(current), session, lang);
    let values = shown.values;
    let page = ProjectFormPage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        id: shown.id,
        reference: shown.reference,
        loads: rows_in(&values, "loads").max(1) + shown.extra_loads,
        vehicles: rows_in(&values, "fleet") + 2 + shown.extra_vehicles,
        segments: rows_in(&values, "route.segments") + 2,
        values,
        errors: shown.errors,
        counties,
        load_fields: LOAD_FIELDS
            .iter()
            .map(|(key, zh, en_label, number)| LoadField {
                key,
                label: if en { en_label } else { zh },
                number: *number,
            })
            .collect(),
        trailer_types: [
            (
                "extendable_blade",
                "叶片专用伸缩挂车",
                "Extendable blade trailer",
            ),
            ("flatbed", "普通平板半挂车", "Flatbed semi-trailer"),
            (
                "hydraulic_modular",
                "液压轴线车",
                "Hydraulic modular trailer",
            ),
        ]
        .iter()
        .map(|(code, zh, en_name)| (*code, if en { *en_name } else { *zh }))
        .collect(),
        attached,
        summary: shown.summary,
    };
    html_with_status(shown.status, page)
}

#[get("/projects/new")]
async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown::fresh(None, String::new(), HashMap::new());
    render(&state, &session, &current, lang, shown).await
}

/// The stored project input as the form's values.
fn form_values(input: &ApplicationInput) -> HashMap<String, String> {
    values_of(&serde_json::to_value(input).unwrap_or_default())
}

#[get("/projects/{id}/edit")]
async fn edit_form(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (now, engine, caller, app_id) = (
        state.clock.now(),
        state.engine.clone(),
        current.clone(),
        id.clone(),
    );
    let view = state
        .db(move |conn| service::get(conn, &engine, &caller, &ApplicationId::from(&app_id), now))
        .await?;
    if view.status != AppStatus::Draft {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/applications/{id}")))
            .finish());
    }
    let shown = Shown::fresh(Some(id), view.reference, form_values(&view.input));
    render(&state, &session, &current, lang, shown).await
}

#[post("/projects/new")]
async fn create(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    payload: Multipart,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    handle(state, session, lang, None, payload, current).await
}

#[post("/projects/{id}/edit")]
async fn save(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    payload: Multipart,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    handle(
        state,
        session,
        lang,
        Some(path.into_inner()),
        payload,
        current,
    )
    .await
}

#[derive(Debug, serde::Deserialize)]
pub struct CopyForm {
    pub csrf: Option<String>,
}

/// Copies a project of the firm for the next phase and opens the copy's form.
#[post("/projects/{id}/copy")]
async fn copy(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: crate::web::input::Form<CopyForm>,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    session::check_csrf(&session, form.into_inner().csrf.as_deref())?;
    let (now, engine, id) = (state.clock.now(), state.engine.clone(), path.into_inner());
    let copy = state
        .db(move |conn| service::copy(conn, &engine, &current, &ApplicationId::from(&id), now))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/projects/{}/edit", copy.id)))
        .finish())
}

/// A file chosen on the form: its kind, the load it is for, the form field its errors go to,
/// its name and bytes.
struct Chosen {
    kind: String,
    load: Option<String>,
    field: String,
    filename: String,
    bytes: Vec<u8>,
}

/// A file posted for the form: its kind and, for a drawing, the key of the load in its row.
fn file_target(
    name: &str,
    values: &HashMap<String, String>,
    kept: &[usize],
) -> Option<(String, Option<String>, String)> {
    if name == "escort_plan" {
        return Some(("escort_plan".into(), None, "file.escort_plan".into()));
    }
    let row: usize = name
        .strip_prefix("contour_drawing[")?
        .strip_suffix(']')?
        .parse()
        .ok()?;
    let new = kept.iter().position(|k| *k == row)?;
    let key = values
        .get(&format!("loads[{new}].key"))
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    Some((
        "contour_drawing".into(),
        key,
        format!("file.contour_drawing[{new}]"),
    ))
}

/// What one press of the form's buttons asks for.
struct Job {
    id: Option<String>,
    input: ApplicationInput,
    files: Vec<Chosen>,
    submit: bool,
    checking: bool,
    now: NaiveDateTime,
}

/// Saves the draft and its files and submits or checks it: its id and reference, the
/// problems found, and whether it was submitted.
fn store(
    conn: &mut crate::db::DbConnection,
    engine: &crate::service::Engine,
    caller: &Caller,
    job: &Job,
) -> Result<(String, String, Vec<FieldError>, bool), ServiceError> {
    let now = job.now;
    let view = match &job.id {
        Some(id) => service::update(
            conn,
            engine,
            caller,
            &ApplicationId::from(id),
            &job.input,
            now,
        )?,
        None => service::create(conn, engine, caller, &job.input, now)?,
    };
    let app = ApplicationId::from(&view.id);
    let mut problems = Vec::new();
    for file in &job.files {
        let upload = service::Upload {
            kind: &file.kind,
            load: file.load.as_deref(),
            filename: &file.filename,
            bytes: &file.bytes,
        };
        if let Err(ServiceError::Validation(errors)) =
            service::add_attachment(conn, engine, caller, &app, upload, now)
        {
            problems.extend(errors.0.into_iter().map(|mut e| {
                e.field = file.field.clone();
                e
            }));
        }
    }
    let attempt = if job.submit && problems.is_empty() {
        service::submit(conn, engine, caller, &app, now).map(Some)
    } else if job.checking {
        service::check(conn, engine, caller, &app, now).map(|()| None)
    } else {
        Ok(None)
    };
    match attempt {
        Ok(Some(view)) => return Ok((view.id, view.reference, Vec::new(), true)),
        Ok(None) => {}
        Err(ServiceError::Validation(errors)) => problems.extend(errors.0),
        Err(other) => return Err(other),
    }
    Ok((view.id, view.reference, problems, false))
}

/// Saves the draft (creating it the first time), pastes and compacts rows, stores the chosen
/// files, and on "submit" submits it; a failure comes back as the form with each error at
/// its field.
async fn handle(
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
    id: Option<String>,
    payload: Multipart,
    current: Caller,
) -> Result<HttpResponse, AppError> {
    let posted = read_form(payload).await?;
    session::check_csrf(&session, Some(&posted.csrf))?;
    let mut values = posted.values;
    let mut problems: Vec<FieldError> = paste_fleet(&mut values);
    let kept = compact(&mut values);
    let (input, parse_errors) = input_of(&values);
    let input: ApplicationInput =
        serde_json::from_value(input).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let files: Vec<Chosen> = posted
        .files
        .into_iter()
        .filter_map(|(name, filename, bytes)| {
            let (kind, load, field) = file_target(&name, &values, &kept)?;
            Some(Chosen {
                kind,
                load,
                field,
                filename,
                bytes,
            })
        })
        .collect();
    let action = posted.action;
    let parse_fields: Vec<String> = parse_errors.iter().map(|e| e.field.clone()).collect();
    let submit = action == "submit" && parse_errors.is_empty() && problems.is_empty();
    let checking = action == "submit";
    let (now, engine, caller, app_id) = (
        state.clock.now(),
        state.engine.clone(),
        current.clone(),
        id.clone(),
    );
    let job = Job {
        id: app_id,
        input,
        files,
        submit,
        checking,
        now,
    };
    let outcome = state
        .db(move |conn| store(conn, &engine, &caller, &job))
        .await?;
    let (id, reference, checked, submitted) = outcome;
    if submitted {
        // The page says what was submitted and what happens next.
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/applications/{id}?done=submit")))
            .finish());
    }
    problems.extend(parse_errors);
    problems.extend(
        checked
            .into_iter()
            .filter(|e| !parse_fields.contains(&e.field)),
    );
    let adding = matches!(action.as_str(), "add_load" | "add_vehicle" | "paste");
    if problems.is_empty() && !adding {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/projects/{id}/edit")))
            .finish());
    }
    let errors = error_map(&problems, &values, lang);
    let summary = (!errors.is_empty()).then(|| {
        lang.text(
            "page.form.fields_to_correct",
            &[("count", errors.len().to_string())],
        )
    });
    let shown = Shown {
        id: Some(id),
        reference,
        values,
        errors,
        extra_loads: usize::from(action == "add_load"),
        extra_vehicles: if action == "add_vehicle" { 3 } else { 0 },
        summary,
        status: if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    };
    render(&state, &session, &current, lang, shown).await
}

/// Each problem at the form field it is about: a missing drawing of a load at that load's
/// file input, the escort plan at its own.
fn error_map(
    problems: &[FieldError],
    values: &HashMap<String, String>,
    lang: Lang,
) -> HashMap<String, String> {
    let mut errors = HashMap::new();
    for e in problems {
        let field = match e
            .field
            .strip_prefix("attachments.contour_drawing[")
            .and_then(|k| k.strip_suffix(']'))
        {
            Some(key) => (0..100)
                .find(|i| values.get(&format!("loads[{i}].key")).map(|k| k.trim()) == Some(key))
                .map(|i| format!("file.contour_drawing[{i}]"))
                .unwrap_or_else(|| e.field.clone()),
            None => e.field.replace("attachments.", "file."),
        };
        errors
            .entry(field)
            .or_insert_with(|| lang.message(&e.message));
    }
    errors
}
