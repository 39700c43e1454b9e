//! One account's page for the admin: who it is, what it may do, its name and language to
//! correct, switching it off and on, a new password, and the admin changes made to it.

use super::super::frame::Frame;
use super::super::html_with_status;
use super::super::labels;
use crate::config::Secret;
use crate::i18n::Lang;
use crate::service::{admin, ServiceError};
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session::{self, page_role, SignedIn};
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    id: String,
    email: String,
    name: String,
    role_label: &'static str,
    belongs_to: String,
    language: String,
    active: bool,
    created: String,
    /// This is the admin's own account (it cannot be switched off from here).
    own: bool,
    message: Option<(bool, String)>,
    errors: HashMap<String, String>,
    /// (when, by whom, what, detail), newest first.
    events: Vec<(String, String, String, String)>,
}

impl UserPage {
    fn e(&self, name: &str) -> &str {
        self.errors
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// What the page shows besides the account: a message, errors at fields, the status.
pub(super) struct Shown {
    pub message: Option<(bool, String)>,
    pub errors: HashMap<String, String>,
    /// What was typed into the name field, kept when it is refused.
    pub typed_name: Option<String>,
    pub status: StatusCode,
}

pub(super) async fn render(
    state: &AppState,
    session: &Session,
    current: &crate::service::Caller,
    lang: Lang,
    id: String,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let tz = state.engine.timezone;
    let user_id = id.clone();
    let (user, events, belongs_to) = state
        .db(move |conn| {
            let (user, events) = admin::user(conn, &user_id)?;
            let belongs_to = match (
                &user.firm_id,
                &user.authority_code,
                &user.scope_jurisdiction,
            ) {
                (Some(f), _, _) => admin::firms(conn)?
                    .into_iter()
                    .find(|firm| &firm.id == f)
                    .map(|firm| format!("{} · {}", firm.name, firm.credit_code))
                    .unwrap_or_default(),
                (_, Some(a), _) => crate::service::reference::authorities(conn)?
                    .into_iter()
                    .find(|x| &x.code == a)
                    .map(|x| if en { x.name_en } else { x.name_zh })
                    .unwrap_or_else(|| a.clone()),
                (_, _, Some(scope)) => crate::db::reference::all_jurisdictions(conn)?
                    .into_iter()
                    .find(|j| &j.code == scope)
                    .map(|j| format!("{} {}", j.code, if en { j.name_en } else { j.name_zh }))
                    .unwrap_or_else(|| scope.clone()),
                _ => String::new(),
            };
            Ok((user, events, belongs_to))
        })
        .await?;
    let at = |t: &chrono::NaiveDateTime| {
        use chrono::TimeZone;
        tz.from_utc_datetime(t).format("%Y-%m-%d %H:%M").to_string()
    };
    let events = events
        .into_iter()
        .map(|(e, actor)| {
            (
                at(&e.at),
                actor.unwrap_or_else(|| labels::word(en, "page.admin.command_line").to_string()),
                labels::admin_event(&e.kind, lang),
                labels::admin_detail(&e.detail, lang),
            )
        })
        .collect();
    let frame = Frame::for_user(Some(current), session, lang);
    let view = UserPage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        own: user.id == current.user.id,
        id,
        email: user.email,
        name: shown.typed_name.unwrap_or(user.name),
        role_label: labels::role(&user.role, lang),
        belongs_to,
        language: user.language,
        active: user.active,
        created: at(&user.created_at),
        message: shown.message,
        errors: shown.errors,
        events,
    };
    html_with_status(shown.status, view)
}

#[derive(Debug, Deserialize)]
pub struct UserQuery {
    pub done: Option<String>,
}

#[get("/admin/users/{id}")]
async fn account(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    query: crate::web::input::Query<UserQuery>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let shown = Shown {
        message: super::done_message(query.done.as_deref(), lang),
        errors: HashMap::new(),
        typed_name: None,
        status: StatusCode::OK,
    };
    render(&state, &session, &current, lang, path.into_inner(), shown).await
}

/// A refused change: the page again with `message` on top and each error at its field.
fn refused(
    errors: &crate::domain::ValidationErrors,
    lang: Lang,
    message: &'static str,
    typed_name: Option<String>,
) -> Shown {
    Shown {
        message: Some((false, lang.word(message).to_string())),
        errors: errors
            .0
            .iter()
            .map(|e| (e.field.clone(), lang.message(&e.message)))
            .collect(),
        typed_name,
        status: StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Back to the account's page, saying what was done.
pub(super) fn back_to(id: &str, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/users/{id}?done={done}")))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct DetailsForm {
    pub csrf: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
}

#[post("/admin/users/{id}")]
async fn update(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: crate::web::input::Form<DetailsForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let id = path.into_inner();
    let name = form.name.unwrap_or_default();
    let language = form
        .language
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_default();
    let (actor, now, user_id, typed) = (
        current.user.id.clone(),
        state.clock.now(),
        id.clone(),
        name.clone(),
    );
    let result = state
        .db(
            move |conn| match admin::update_user(conn, &actor, &user_id, &typed, language, now) {
                Ok(()) => Ok(Ok(())),
                Err(ServiceError::Validation(errors)) => Ok(Err(errors)),
                Err(other) => Err(other),
            },
        )
        .await?;
    match result {
        Ok(()) => Ok(back_to(&id, "updated")),
        Err(errors) => {
            let shown = refused(&errors, lang, "page.admin.account_not_changed", Some(name));
            render(&state, &session, &current, lang, id, shown).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub csrf: Option<String>,
    pub password: Option<String>,
}

#[post("/admin/users/{id}/password")]
async fn set_password(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: crate::web::input::Form<PasswordForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let id = path.into_inner();
    let password = Secret::new(form.password.unwrap_or_default());
    let (actor, now, user_id) = (current.user.id.clone(), state.clock.now(), id.clone());
    let result = state
        .db(
            move |conn| match admin::reset_password(conn, &actor, &user_id, &password, now) {
                Ok(()) => Ok(Ok(())),
                Err(ServiceError::Validation(errors)) => Ok(Err(errors)),
                Err(other) => Err(other),
            },
        )
        .await?;
    match result {
        Ok(()) => Ok(back_to(&id, "password")),
        Err(errors) => {
            let shown = refused(&errors, lang, "page.admin.password_not_set", None);
            render(&state, &session, &current, lang, id, shown).await
        }
    }
}
