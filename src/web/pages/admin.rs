//! The operator's pages: user accounts (create, switch off and on, set a new password), and
//! the firms, authorities and holiday calendars the system runs on.

use super::frame::Frame;
use super::html_with_status;
use super::labels;
use crate::config::Secret;
use crate::i18n::Lang;
use crate::service::users::{self as service, NewUser};
use crate::service::Caller;
use crate::service::ServiceError;
use crate::service::{admin, reference as ref_service};
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session;
use crate::web::session::{page_role, SignedIn};
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

#[path = "admin_reference.rs"]
mod reference;
#[path = "admin_registrations.rs"]
mod registrations;
#[path = "admin_user.rs"]
mod user;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(users)
        .service(create_user)
        .service(set_active)
        .service(user::set_password)
        .service(user::update)
        .service(user::account)
        .service(reference::reference)
        .service(reference::firm_standing)
        .service(reference::calendar_day)
        .service(reference::clear_day)
        .service(registrations::list)
        .service(registrations::approve)
        .service(registrations::reject);
}

const PER_PAGE: i64 = 20;

struct UserLine {
    id: String,
    email: String,
    name: String,
    role_label: &'static str,
    belongs_to: String,
    language: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    lines: Vec<UserLine>,
    page: i64,
    pages: i64,
    authorities: Vec<(String, String)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    message: Option<(bool, String)>,
    /// What the list is searched for, and how many match.
    search: String,
    total: i64,
    /// The areas a manager may supervise: (code, name indented by level).
    areas: Vec<(String, String)>,
}

impl UsersPage {
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
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    pub page: Option<i64>,
    pub done: Option<String>,
    /// A part of an e-mail address or a name.
    pub q: Option<String>,
}

struct Shown {
    page: i64,
    search: String,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    message: Option<(bool, String)>,
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
    let page = shown.page.clamp(1, crate::domain::paging::MAX_PAGE);
    let search = shown.search.clone();
    let (rows, total, firms, authorities, areas) = state
        .db(move |conn| {
            let (rows, total) = admin::users(conn, &search, page, PER_PAGE)?;
            // A manager's area is picked from the tree: the region, then each prefecture with
            // its counties under it.
            let areas = area_choices(crate::db::reference::all_jurisdictions(conn)?, en);
            let firms: HashMap<String, String> = admin::firms(conn)?
                .into_iter()
                .map(|f| (f.id, f.name))
                .collect();
            let authorities = ref_service::authorities(conn)?
                .into_iter()
                .map(|a| (a.code, if en { a.name_en } else { a.name_zh }))
                .collect::<Vec<_>>();
            Ok((rows, total, firms, authorities, areas))
        })
        .await?;
    let names: HashMap<&str, &str> = authorities
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    let lines = rows
        .into_iter()
        .map(|u| UserLine {
            belongs_to: match (&u.firm_id, &u.authority_code, &u.scope_jurisdiction) {
                (Some(f), _, _) => firms.get(f).cloned().unwrap_or_default(),
                (_, Some(a), _) => names.get(a.as_str()).map_or(a.clone(), |n| n.to_string()),
                (_, _, Some(s)) => s.clone(),
                _ => String::new(),
            },
            id: u.id,
            email: u.email,
            name: u.name,
            role_label: labels::role(&u.role, lang),
            language: if u.language == "en" {
                "English"
            } else {
                "中文"
            },
            active: u.active,
        })
        .collect();
    let frame = Frame::for_user(Some(current), session, lang);
    let view = UsersPage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        lines,
        page,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        authorities,
        values: shown.values,
        errors: shown.errors,
        message: shown.message,
        search: shown.search,
        total,
        areas,
    };
    html_with_status(shown.status, view)
}

/// The jurisdictions a manager may supervise, as (code, indented name) in tree order.
fn area_choices(
    all: Vec<crate::db::reference::JurisdictionRow>,
    en: bool,
) -> Vec<(String, String)> {
    let name = |j: &crate::db::reference::JurisdictionRow| {
        if en {
            j.name_en.clone()
        } else {
            j.name_zh.clone()
        }
    };
    let mut out = Vec::new();
    let children = |parent: &str| -> Vec<&crate::db::reference::JurisdictionRow> {
        all.iter()
            .filter(|j| j.parent.as_deref() == Some(parent))
            .collect()
    };
    for region in all.iter().filter(|j| j.level == "region") {
        out.push((
            region.code.clone(),
            format!("{} {}", region.code, name(region)),
        ));
        for prefecture in children(&region.code) {
            out.push((
                prefecture.code.clone(),
                format!("\u{a0}\u{a0}{} {}", prefecture.code, name(prefecture)),
            ));
            for county in children(&prefecture.code) {
                out.push((
                    county.code.clone(),
                    format!("\u{a0}\u{a0}\u{a0}\u{a0}{} {}", county.code, name(county)),
                ));
            }
        }
    }
    out
}

fn done_message(done: Option<&str>, lang: Lang) -> Option<(bool, String)> {
    let en = lang == Lang::En;
    let text = match done? {
        "created" => labels::word(en, "page.admin.the_account_is_created"),
        "activated" => labels::word(en, "page.admin.the_account_is_active_again"),
        "deactivated" => labels::word(en, "page.admin.the_account_is_switched_off_its_sessions"),
        "password" => labels::word(en, "page.admin.the_new_password_is_set_the_old_sessions"),
        "updated" => labels::word(en, "page.admin.the_account_is_updated"),
        _ => return None,
    };
    Some((true, text.into()))
}

#[get("/admin/users")]
async fn users(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<UsersQuery>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        page: query.page.unwrap_or(1),
        search: query.q.clone().unwrap_or_default(),
        values: HashMap::new(),
        errors: HashMap::new(),
        message: done_message(query.done.as_deref(), lang),
        status: StatusCode::OK,
    };
    render(&state, &session, &current, lang, shown).await
}

fn back(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/users?done={done}")))
        .finish()
}

fn optional(values: &HashMap<String, String>, name: &str) -> Option<String> {
    values
        .get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[post("/admin/users")]
async fn create_user(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    form: crate::web::input::Form<HashMap<String, String>>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let mut values = form.into_inner();
    session::check_csrf(&session, values.get("csrf").map(String::as_str))?;
    let new = NewUser {
        email: optional(&values, "email").unwrap_or_default(),
        name: optional(&values, "name").unwrap_or_default(),
        role: optional(&values, "role").unwrap_or_default(),
        password: Secret::new(values.get("password").cloned().unwrap_or_default()),
        firm_code: optional(&values, "firm_code"),
        firm_name: optional(&values, "firm_name"),
        authority: optional(&values, "authority"),
        scope: optional(&values, "scope"),
        language: values
            .get("language")
            .and_then(|l| Lang::from_tag(l))
            .unwrap_or_default(),
    };
    let now = state.clock.now();
    let actor = current.user.id.clone();
    let created = state
        .db(
            move |conn| match service::create_user(conn, Some(&actor), &new, now) {
                Ok(_) => Ok(Ok(())),
                Err(ServiceError::Validation(errors)) => Ok(Err(errors)),
                Err(other) => Err(other),
            },
        )
        .await?;
    match created {
        Ok(()) => Ok(back("created")),
        Err(errors) => {
            values.remove("password");
            let mut shown_errors = HashMap::new();
            for e in errors.0 {
                shown_errors
                    .entry(e.field.clone())
                    .or_insert_with(|| lang.message(&e.message));
            }
            let shown = Shown {
                page: 1,
                search: String::new(),
                values,
                errors: shown_errors,
                message: Some((
                    false,
                    lang.word("page.admin.account_not_created").to_string(),
                )),
                status: StatusCode::UNPROCESSABLE_ENTITY,
            };
            render(&state, &session, &current, lang, shown).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    pub csrf: Option<String>,
    pub active: Option<String>,
}

#[post("/admin/users/{id}/active")]
async fn set_active(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: crate::web::input::Form<ActiveForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    session::check_csrf(&session, form.csrf.as_deref())?;
    let id = path.into_inner();
    let path_id = id.clone();
    let active = form.active.as_deref() == Some("true");
    if !active && id == current.user.id {
        // The last way back in must not be switched off by a slip.
        return Err(AppError::Conflict(
            "an admin cannot switch off their own account".into(),
        ));
    }
    let (actor, now) = (current.user.id.clone(), state.clock.now());
    state
        .db(move |conn| admin::set_active(conn, &actor, &id, active, now))
        .await?;
    Ok(user::back_to(
        &path_id,
        if active { "activated" } else { "deactivated" },
    ))
}
