//! Server-rendered pages: the public home page, the language switch, signing in, and the
//! permit pages (printable permit, public verification). Each group lives in its own module.

pub mod account;
pub mod admin;
pub mod application;
pub mod auth;
pub mod charts;
pub mod dashboard;
pub mod form;
pub mod frame;
pub mod inspect;
pub mod labels;
pub mod list;
pub mod permits;
pub mod project_fields;
pub mod project_form;
pub mod queue;
pub mod scan;

use super::error::AppError;
use super::extract::Locale;
use super::AppState;
use crate::i18n::Lang;
use crate::service::reference as q;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(switch_language)
        .service(stylesheet)
        .service(clock_script)
        .service(forms_script)
        .configure(auth::routes)
        .configure(account::routes)
        // Before the application page, whose /applications/{id} would take "new".
        .configure(form::routes)
        .configure(project_form::routes)
        .configure(application::routes)
        .configure(queue::routes)
        .configure(list::routes)
        .configure(dashboard::routes)
        .configure(admin::routes)
        .configure(inspect::routes)
        .configure(scan::routes)
        .configure(permits::routes);
}

struct JurisdictionLine {
    code: String,
    name: String,
    level: String,
    level_label: &'static str,
    authorities: String,
}

#[derive(Template)]
#[template(path = "public/index.html")]
struct IndexPage {
    lang_tag: &'static str,
    en: bool,
    frame: frame::Frame,
    jurisdictions: Vec<JurisdictionLine>,
}

fn level_label(level: &str, lang: Lang) -> &'static str {
    match (level, lang) {
        ("region", Lang::En) => "region",
        ("prefecture", Lang::En) => "prefecture",
        ("county", Lang::En) => "county",
        ("region", Lang::Zh) => "自治区",
        ("prefecture", Lang::Zh) => "地州市",
        (_, Lang::Zh) => "县市区",
        (_, Lang::En) => "—",
    }
}

fn html(page: impl Template) -> Result<HttpResponse, AppError> {
    html_with_status(StatusCode::OK, page)
}

/// A rendered page; pages are never cached, as they show someone's current state.
pub fn html_with_status(status: StatusCode, page: impl Template) -> Result<HttpResponse, AppError> {
    let body = page.render().map_err(|e| {
        tracing::error!(cause = %e, "rendering a page");
        AppError::Internal
    })?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[get("/")]
async fn index(
    state: web::Data<AppState>,
    session: actix_session::Session,
    Locale(lang): Locale,
) -> Result<HttpResponse, AppError> {
    // Signed in, the start page is one's own work.
    if let Some(current) = super::session::user_of(&state, &session).await? {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, frame::home_of(current.role)))
            .finish());
    }
    let (jurisdictions, authorities) = state
        .db(|conn| Ok((q::jurisdictions(conn)?, q::authorities(conn)?)))
        .await?;
    let en = lang == Lang::En;
    let lines = jurisdictions
        .into_iter()
        .map(|j| {
            let names: Vec<&str> = authorities
                .iter()
                .filter(|a| a.jurisdiction == j.code)
                .map(|a| {
                    if en {
                        a.name_en.as_str()
                    } else {
                        a.name_zh.as_str()
                    }
                })
                .collect();
            JurisdictionLine {
                level_label: level_label(&j.level, lang),
                name: if en { j.name_en } else { j.name_zh },
                authorities: names.join(labels::word(en, "page.list_separator")),
                code: j.code,
                level: j.level,
            }
        })
        .collect();
    html(IndexPage {
        lang_tag: lang.tag(),
        en,
        frame: frame::Frame::default(),
        jurisdictions: lines,
    })
}

/// The cookie that keeps a language for the pages, a year long.
pub(super) fn language_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build("lang", lang.tag())
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// Remembers the chosen language in a cookie (and, signed in, as the account's language, which
/// its e-mails follow too) and goes back to the page it was chosen on.
#[get("/lang/{tag}")]
async fn switch_language(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    session: actix_session::Session,
    tag: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // The Referer is sent for same-origin links only (Referrer-Policy: same-origin).
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()));
    let back = super::session::safe_next(back.as_deref());
    let lang = Lang::from_tag(&tag).ok_or(AppError::NotFound)?;
    if let Some(current) = super::session::user_of(&state, &session).await? {
        if current.user.language != lang.tag() {
            let now = state.clock.now();
            state
                .db(move |conn| {
                    crate::service::accounts::update_me(conn, &current, None, Some(lang.tag()), now)
                })
                .await?;
        }
    }
    Ok(HttpResponse::SeeOther()
        .cookie(language_cookie(lang))
        .insert_header((header::LOCATION, back))
        .finish())
}

/// The net-time clocks' few lines of script, compiled in like the stylesheet.
#[get("/static/clock.js")]
async fn clock_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../static/clock.js"))
}

/// Asking before what cannot be undone, warning before unsaved changes are left behind.
#[get("/static/forms.js")]
async fn forms_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../static/forms.js"))
}

/// The stylesheet is compiled in: the binary serves everything it shows.
#[get("/static/app.css")]
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../static/app.css"))
}
