//! The application form, in sections (cargo, vehicle, route with its segments, travel, escort,
//! attachments). Saving keeps a draft; submitting checks every rule, and whatever fails is shown
//! next to its field in the user's language, with everything typed still there. A firm that
//! runs the same blade again starts from a copy of an earlier application.

use super::frame::Frame;
use super::html_with_status;
use crate::domain::attachment::MAX_ATTACHMENT_BYTES;
use crate::domain::ids::ApplicationId;
use crate::domain::workflow::AppStatus;
use crate::domain::{FieldError, Message};
use crate::i18n::Lang;
use crate::service::applications as service;
use crate::service::Caller;
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
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

#[path = "form_fields.rs"]
pub(super) mod fields;

use self::fields::{input_of, read_form, segment_count, values_of};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(new_form)
        .service(create)
        .service(edit_form)
        .service(save)
        .service(discard)
        .service(copy_as_new);
}

/// The whole form with its files, at most.
const MAX_FORM_BYTES: usize = 32 * 1024 * 1024;

/// Blank segment rows offered beyond the ones filled in.
const SPARE_SEGMENTS: usize = 2;

/// The form's numeric fields, by name.
const NUMBERS: [&str; 13] = [
    "cargo.pieces",
    "cargo.length_m",
    "cargo.width_m",
    "cargo.height_m",
    "cargo.mass_kg",
    "vehicle.axles",
    "vehicle.overall_length_m",
    "vehicle.overall_width_m",
    "vehicle.overall_height_m",
    "vehicle.gross_mass_kg",
    "vehicle.max_axle_load_kg",
    "travel.trips",
    "escort.vehicles",
];

/// The form's other fields that show an error of their own.
const TEXTS: [&str; 9] = [
    "cargo.description",
    "cargo.divisible",
    "vehicle.tractor_plate",
    "vehicle.trailer_plates",
    "vehicle.trailer_type",
    "route.origin",
    "route.destination",
    "travel.from",
    "travel.to",
];

pub(super) const ATTACHMENTS: [(&str, &str, &str); 3] = [
    (
        "contour_drawing",
        "货物外廓尺寸图",
        "Contour drawing of the load",
    ),
    ("escort_plan", "护送方案", "Escort plan"),
    ("vehicle_licence", "车辆行驶证", "Vehicle licence"),
];

#[derive(Template)]
#[template(path = "applications/form.html")]
struct FormPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    /// The draft being edited; none for a new one.
    id: Option<String>,
    reference: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    segments: usize,
    counties: Vec<(String, String)>,
    attachments: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    summary: Option<String>,
    /// Help where dispatchers hesitate, from the rules in force: what makes a load class III
    /// and which files that class needs, and the axle loads no permit allows.
    class_help: String,
    axle_help: String,
    copied_from: Option<String>,
    /// An answer to an information request, given with changes: who asked and what.
    answering: Option<(String, String)>,
    typed_message: String,
    /// A new form's key: posting the same form again (after an error, a reload, the back
    /// button) keeps to the one draft it made.
    form_key: String,
}

impl FormPage {
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

    fn seg(&self, i: &usize, part: &str) -> String {
        format!("route.segments[{i}].{part}")
    }

    fn checked(&self, name: &str) -> bool {
        matches!(self.v(name), "yes" | "true" | "on")
    }
}

struct Shown {
    /// The application this draft was copied from, said at the top of the form.
    copied_from: Option<String>,
    /// The answer typed, when the form answers an information request.
    typed_message: String,
    form_key: String,
    id: Option<String>,
    reference: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    extra_rows: usize,
    summary: Option<String>,
    status: StatusCode,
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
    let (counties, attachments, answering) = state
        .db(move |conn| {
            let counties = crate::service::reference::jurisdictions(conn)?
                .into_iter()
                .filter(|j| j.level == "county")
                .map(|j| {
                    (
                        j.code.clone(),
                        format!("{} {}", j.code, if en { j.name_en } else { j.name_zh }),
                    )
                })
                .collect::<Vec<_>>();
            let view = match &id {
                Some(id) => Some(service::get(
                    conn,
                    &engine,
                    &caller,
                    &ApplicationId::from(id),
                    now,
                )?),
                None => None,
            };
            let attachments = view
                .iter()
                .flat_map(|v| v.attachments.iter())
                .map(|a| (a.kind.clone(), a.filename.clone()))
                .collect();
            // Waiting for the applicant: the form is the answer, with the question above it.
            let answering = match view {
                Some(v) if v.status == AppStatus::InfoRequested => {
                    let asked = v
                        .phases
                        .iter()
                        .flat_map(|p| &p.tasks)
                        .filter(|t| t.state == crate::domain::workflow::TaskState::InfoRequested)
                        .max_by_key(|t| t.decided_at);
                    let names = crate::service::reference::names(conn, en)?;
                    Some(match asked {
                        Some(t) => (
                            names
                                .authorities
                                .get(&t.authority_code)
                                .cloned()
                                .unwrap_or_else(|| t.authority_code.clone()),
                            t.comment.clone().unwrap_or_default(),
                        ),
                        None => (String::new(), String::new()),
                    })
                }
                _ => None,
            };
            Ok((counties, attachments, answering))
        })
        .await?;
    let frame = Frame::for_user(Some(current), session, lang);
    let segments = segment_count(&shown.values) + SPARE_SEGMENTS + shown.extra_rows;
    let page = FormPage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        id: shown.id,
        reference: shown.reference,
        values: shown.values,
        errors: shown.errors,
        segments,
        counties,
        attachments,
        kinds: ATTACHMENTS
            .iter()
            .map(|(kind, zh, en_name)| (*kind, if en { *en_name } else { *zh }))
            .collect(),
        summary: shown.summary,
        class_help: class_help(&state.engine.rules, lang),
        axle_help: lang.text(
            "page.form.axle_help",
            &[
                (
                    "ordinary",
                    state.engine.rules.axle_loads.ordinary.any_kg.to_string(),
                ),
                (
                    "modular",
                    state
                        .engine
                        .rules
                        .axle_loads
                        .hydraulic_modular
                        .any_kg
                        .to_string(),
                ),
            ],
        ),
        form_key: shown.form_key,
        copied_from: shown.copied_from,
        answering,
        typed_message: shown.typed_message,
    };
    html_with_status(shown.status, page)
}

/// "Class III — higher than 4.5 m, wider than 3.75 m, longer than 28 m or heavier than 100 t
/// with the vehicle — needs a contour drawing and an escort plan; decided within 15 working days."
fn class_help(rules: &crate::domain::rules::PermitRules, lang: Lang) -> String {
    let ii = &rules.class_ii;
    let files: Vec<&str> = rules
        .class_iii
        .required_attachments
        .iter()
        .filter_map(|k| {
            ATTACHMENTS
                .iter()
                .find(|(kind, _, _)| *kind == k.as_str())
                .map(|(_, zh, en)| if lang == Lang::En { *en } else { *zh })
        })
        .collect();
    lang.text(
        "page.form.class_help",
        &[
            ("height", ii.max_height_m.to_string()),
            ("width", ii.max_width_m.to_string()),
            ("length", ii.max_length_m.to_string()),
            ("tonnes", (ii.max_gross_mass_kg / 1000.0).to_string()),
            (
                "files",
                files.join(if lang == Lang::En { " and " } else { "和" }),
            ),
            ("days", rules.class_iii.statutory_working_days.to_string()),
        ],
    )
}

/// Each problem at its form field (two at one field both said there), and what belongs to no
/// field, for the banner.
fn errors_at_fields(problems: &[FieldError], lang: Lang) -> (HashMap<String, String>, Vec<String>) {
    errors_placed(problems, lang, form_field)
}

/// Problems placed by `field_of` at a form's fields (several at one field joined), the rest
/// for the banner, each once.
pub(super) fn errors_placed(
    problems: &[FieldError],
    lang: Lang,
    field_of: impl Fn(&str) -> Option<String>,
) -> (HashMap<String, String>, Vec<String>) {
    let mut errors: HashMap<String, String> = HashMap::new();
    let mut general: Vec<String> = Vec::new();
    for e in problems {
        let text = lang.message(&e.message);
        match field_of(&e.field) {
            // Two plates wrong, say: both reasons at the one field.
            Some(field) => match errors.get_mut(&field) {
                Some(shown) if !shown.contains(&text) => {
                    shown.push_str("; ");
                    shown.push_str(&text);
                }
                Some(_) => {}
                None => drop(errors.insert(field, text)),
            },
            None if !general.contains(&text) => general.push(text),
            None => {}
        }
    }
    (errors, general)
}

/// The form field an error belongs at: `attachments.escort_plan` at the file input, one trailer
/// plate's error at the plates field. `None` for what is not one field's (the vehicle needs
/// no permit, the firm may not apply): that is said in the banner.
fn form_field(field: &str) -> Option<String> {
    let field = field.replace("attachments.", "file.");
    let base = match field.split_once('[') {
        Some((base, _)) if !field.starts_with("route.segments[") => base.to_string(),
        _ => field,
    };
    let known = base == "message"
        || NUMBERS.contains(&base.as_str())
        || TEXTS.contains(&base.as_str())
        || base.starts_with("route.segments")
        || ATTACHMENTS
            .iter()
            .any(|(kind, _, _)| base == format!("file.{kind}"));
    known.then_some(base)
}

#[derive(Debug, Deserialize)]
pub struct CopyQuery {
    pub copy: Option<String>,
}

#[get("/applications/new")]
async fn new_form(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<CopyQuery>,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    let mut values = HashMap::new();
    if let Some(copy) = query.into_inner().copy {
        let (now, engine, caller) = (state.clock.now(), state.engine.clone(), current.clone());
        let view = state
            .db(move |conn| service::get(conn, &engine, &caller, &ApplicationId::from(&copy), now))
            .await?;
        let i = &view.input;
        let input = json!({"cargo": part(&i.cargo), "vehicle": part(&i.vehicle),
                           "route": part(&i.route), "escort": part(&i.escort),
                           "travel": {"trips": part(&i.travel)["trips"]}});
        // A copy travels on new dates: those are left for the applicant to fill in.
        values = values_of(&input);
    }
    let shown = Shown {
        form_key: crate::db::new_id(),
        id: None,
        reference: String::new(),
        values,
        errors: HashMap::new(),
        extra_rows: 0,
        summary: None,
        status: StatusCode::OK,
        copied_from: None,
        typed_message: String::new(),
    };
    render(&state, &session, &current, lang, shown).await
}

/// A part of the stored input as the form's JSON (`null` when the draft lacks it).
fn part<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[get("/applications/{id}/edit")]
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
    let (view, copied_from) = state
        .db(move |conn| {
            let app = ApplicationId::from(&app_id);
            let view = service::get(conn, &engine, &caller, &app, now)?;
            let copied_from = service::events(conn, &caller, &app)?
                .into_iter()
                .find(|e| e.kind == "created")
                .and_then(|e| e.detail["copied_from"].as_str().map(str::to_string));
            Ok((view, copied_from))
        })
        .await?;
    // A draft, or the answer to an information request given with changes.
    let answering = view.status == AppStatus::InfoRequested
        && view.kind == crate::domain::application::ApplicationKind::Single;
    if view.status != AppStatus::Draft && !answering {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/applications/{id}")))
            .finish());
    }
    if view.kind == crate::domain::application::ApplicationKind::Project {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/projects/{id}/edit")))
            .finish());
    }
    let i = &view.input;
    let input = json!({"cargo": part(&i.cargo), "vehicle": part(&i.vehicle),
                       "route": part(&i.route), "travel": part(&i.travel),
                       "escort": part(&i.escort)});
    let shown = Shown {
        form_key: String::new(),
        id: Some(id),
        reference: view.reference,
        values: values_of(&input),
        errors: HashMap::new(),
        extra_rows: 0,
        summary: None,
        status: StatusCode::OK,
        copied_from,
        typed_message: String::new(),
    };
    render(&state, &session, &current, lang, shown).await
}

#[post("/applications/new")]
async fn create(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    payload: Multipart,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    handle(state, session, lang, None, payload, current).await
}

/// A small form's CSRF field, checked against the session's token.
fn check_posted_csrf(session: &Session, body: &web::Bytes) -> Result<(), AppError> {
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    session::check_csrf(session, csrf)
}

/// The draft a new form already made, by its key: (form key, application id).
const NEW_DRAFT: &str = "new_draft";

/// Apply again from a copy: a new draft with the same cargo, vehicle, route and files, on
/// dates still to be entered.
#[post("/applications/{id}/copy")]
async fn copy_as_new(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    body: web::Bytes,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    check_posted_csrf(&session, &body)?;
    let (now, engine, id) = (state.clock.now(), state.engine.clone(), path.into_inner());
    let made = state
        .db(move |conn| {
            service::copy_as(
                conn,
                &engine,
                &current,
                &ApplicationId::from(&id),
                true,
                now,
            )
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/applications/{}/edit", made.id)))
        .finish())
}

/// Discards a draft, after asking; back to the list, which says so.
#[post("/applications/{id}/discard")]
async fn discard(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    body: web::Bytes,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    check_posted_csrf(&session, &body)?;
    let (now, engine, caller, id) = (
        state.clock.now(),
        state.engine.clone(),
        current.clone(),
        path.into_inner(),
    );
    let reference = state
        .db(move |conn| service::discard(conn, &engine, &caller, &ApplicationId::from(&id), now))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/applications?discarded={reference}"),
        ))
        .finish())
}

#[post("/applications/{id}/edit")]
async fn save(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    payload: Multipart,
    SignedIn(current, _): SignedIn<page_role::Applicant>,
) -> Result<HttpResponse, AppError> {
    let id = Some(path.into_inner());
    handle(state, session, lang, id, payload, current).await
}

/// Saves the draft (creating it the first time), stores the chosen files, and on "submit"
/// submits it; a failure comes back as the form with each error at its field.
async fn handle(
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
    id: Option<String>,
    payload: Multipart,
    current: Caller,
) -> Result<HttpResponse, AppError> {
    let mut posted = read_form(payload).await?;
    session::check_csrf(&session, Some(&posted.csrf))?;
    // A new form posted again goes on with the draft it made the first time.
    let form_key = posted.values.remove("form_key").unwrap_or_default();
    let made: Option<(String, String)> = session.get(NEW_DRAFT).ok().flatten();
    let id = match (id, made) {
        (None, Some((key, made))) if !form_key.is_empty() && key == form_key => Some(made),
        (id, _) => id,
    };
    let first_post = id.is_none() && !form_key.is_empty();
    let (input, parse_errors) = input_of(&posted.values);
    let input: crate::domain::application::ApplicationInput =
        serde_json::from_value(input).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (now, engine, caller) = (state.clock.now(), state.engine.clone(), current.clone());
    if let (Some(id), "answer") = (&id, posted.action.as_str()) {
        let message = posted
            .values
            .get("message")
            .map(|m| m.trim().to_string())
            .unwrap_or_default();
        let mut problems = parse_errors;
        if message.is_empty() {
            problems.push(FieldError::new("message", Message::new("error.required")));
        }
        if problems.is_empty() {
            let (app, text, files) = (ApplicationId::from(id), message.clone(), posted.files);
            let answered = state
                .db(move |conn| {
                    // The answer, the changed application and its files together, or none.
                    service::respond_with_files(
                        conn,
                        &engine,
                        &caller,
                        &app,
                        &text,
                        Some(&input),
                        &files,
                        now,
                    )
                    .map(|_| Vec::new())
                    .or_else(|e| match e {
                        crate::service::ServiceError::Validation(errors) => Ok(errors.0),
                        other => Err(other),
                    })
                })
                .await?;
            if answered.is_empty() {
                return Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/applications/{id}?done=respond")))
                    .finish());
            }
            problems = answered;
        }
        let (errors, general) = errors_at_fields(&problems, lang);
        let count = errors.len() + general.len();
        let shown = Shown {
            copied_from: None,
            typed_message: message,
            form_key: String::new(),
            id: Some(id.clone()),
            reference: String::new(),
            values: posted.values,
            summary: Some(
                lang.text(
                    "page.form.answer_to_correct",
                    &[("count", count.to_string())],
                ) + &general
                    .iter()
                    .map(|g| format!(" · {g}"))
                    .collect::<String>(),
            ),
            errors,
            extra_rows: 0,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        };
        return render(&state, &session, &current, lang, shown).await;
    }
    let (files, action, app_id) = (posted.files, posted.action.clone(), id.clone());
    let parse_fields: Vec<String> = parse_errors.iter().map(|e| e.field.clone()).collect();
    let submit = action == "submit" && parse_errors.is_empty();
    let checking = action == "submit";
    let outcome = state
        .db(move |conn| {
            let view = match &app_id {
                Some(id) => service::update(
                    conn,
                    &engine,
                    &caller,
                    &ApplicationId::from(id),
                    &input,
                    now,
                )?,
                None => service::create(conn, &engine, &caller, &input, now)?,
            };
            let mut problems = Vec::new();
            for (kind, filename, bytes) in &files {
                if let Err(crate::service::ServiceError::Validation(errors)) =
                    service::add_attachment(
                        conn,
                        &engine,
                        &caller,
                        &ApplicationId::from(&view.id),
                        service::Upload {
                            kind,
                            load: None,
                            filename,
                            bytes,
                        },
                        now,
                    )
                {
                    problems.extend(errors.0.into_iter().map(|mut e| {
                        e.field = format!("file.{kind}");
                        e
                    }));
                }
            }
            let attempt = if submit && problems.is_empty() {
                service::submit(conn, &engine, &caller, &ApplicationId::from(&view.id), now)
                    .map(Some)
            } else if checking {
                // Something cannot be read or stored: still list every other problem now.
                service::check(conn, &engine, &caller, &ApplicationId::from(&view.id), now)
                    .map(|()| None)
            } else {
                Ok(None)
            };
            match attempt {
                Ok(Some(view)) => return Ok((view.id, view.reference, Vec::new(), true)),
                Ok(None) => {}
                Err(crate::service::ServiceError::Validation(errors)) => problems.extend(errors.0),
                Err(other) => return Err(other),
            }
            Ok((view.id, view.reference, problems, false))
        })
        .await?;
    let (id, reference, checked, submitted) = outcome;
    if first_post {
        // Without it a repeat makes a second draft, nothing worse: not worth failing for.
        if let Err(e) = session.insert(NEW_DRAFT, (&form_key, &id)) {
            tracing::warn!(cause = %e, "remembering the new form's draft");
        }
    }
    // A field that could not be read says so, not that it is missing.
    let mut problems = parse_errors;
    problems.extend(
        checked
            .into_iter()
            .filter(|e| !parse_fields.contains(&e.field)),
    );
    if submitted {
        // The page says what was submitted and what happens next.
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/applications/{id}?done=submit")))
            .finish());
    }
    let adding_row = action == "add_segment";
    if problems.is_empty() && !adding_row {
        // Saved as a draft: back to the form, which now has its reference.
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/applications/{id}/edit")))
            .finish());
    }
    let (errors, general) = errors_at_fields(&problems, lang);
    let count = errors.len() + general.len();
    let summary = (count > 0).then(|| {
        lang.text(
            "page.form.fields_to_correct",
            &[("count", count.to_string())],
        ) + &general
            .iter()
            .map(|g| format!(" · {g}"))
            .collect::<String>()
    });
    let shown = Shown {
        form_key,
        id: Some(id),
        reference,
        values: posted.values,
        errors,
        extra_rows: usize::from(adding_row),
        summary,
        copied_from: None,
        typed_message: String::new(),
        status: if problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
    };
    render(&state, &session, &current, lang, shown).await
}
