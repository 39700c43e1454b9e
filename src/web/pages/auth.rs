//! Signing in and out of the web pages.

use super::frame::Frame;
use super::html_with_status;
use crate::i18n::Lang;
use crate::service::users as user_service;
use crate::service::ServiceError;
use crate::web::error::AppError;
use crate::web::extract::{ClientAddress, Locale};
use crate::web::session;
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login_form).service(login).service(logout);
}

#[derive(Template)]
#[template(path = "public/login.html")]
struct LoginPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    /// What was just done (a new password set, an invitation accepted).
    done: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
    pub done: Option<String>,
    pub email: Option<String>,
}

#[get("/login")]
async fn login_form(
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let done = match query.done.as_deref() {
        Some("reset") => Some(if en {
            "Your new password is set: sign in with it. Every other session has ended."
        } else {
            "新密码已设置，请用新密码登录。其他登录均已退出。"
        }),
        Some("invited") => Some(if en {
            "Your password is set: sign in to start."
        } else {
            "密码已设置，请登录开始使用。"
        }),
        _ => None,
    };
    let page = LoginPage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        frame: Frame::default(),
        csrf: session::csrf_token(&session),
        next: session::safe_next(query.next.as_deref()),
        email: query.email.clone().unwrap_or_default(),
        error: None,
        done: done.map(str::to_string),
    };
    html_with_status(StatusCode::OK, page)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub csrf: Option<String>,
    pub next: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

#[post("/login")]
async fn login(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    address: ClientAddress,
    form: crate::web::input::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let next = session::safe_next(form.next.as_deref());
    let email = form.email.unwrap_or_default();
    let again = |status: StatusCode, message: String| {
        html_with_status(
            status,
            LoginPage {
                lang_tag: lang.tag(),
                en: lang == Lang::En,
                frame: Frame::default(),
                csrf: session::csrf_token(&session),
                next: next.clone(),
                email: email.clone(),
                error: Some(message),
                done: None,
            },
        )
    };
    if session::check_csrf(&session, form.csrf.as_deref()).is_err() {
        return again(StatusCode::FORBIDDEN, lang.text("page.form_expired", &[]));
    }
    let now = state.clock.now();
    let (e, password) = (email.clone(), form.password.unwrap_or_default());
    let outcome = state
        .db(
            move |conn| match user_service::authenticate(conn, &e, &password, &address.0, now) {
                Ok(user) => Ok(Ok(user)),
                Err(ServiceError::WrongCredentials) => Ok(Err(None)),
                Err(ServiceError::RateLimited { retry_after_secs }) => {
                    Ok(Err(Some(retry_after_secs)))
                }
                Err(other) => Err(other),
            },
        )
        .await?;
    match outcome {
        Ok(user) => {
            let hours = i64::from(state.settings.token_ttl_hours);
            let expires = now.and_utc().timestamp() + hours * 3600;
            session::sign_in(&session, &user, expires)?;
            // The account's language governs the pages from here on, until the switch in the
            // header is used (which is then remembered).
            let mut answer = HttpResponse::SeeOther();
            if let Some(lang) = Lang::from_tag(&user.language) {
                answer.cookie(super::language_cookie(lang));
            }
            Ok(answer.insert_header((header::LOCATION, next)).finish())
        }
        Err(None) => again(
            StatusCode::UNAUTHORIZED,
            lang.text("api.wrong_credentials", &[]),
        ),
        Err(Some(seconds)) => again(
            StatusCode::TOO_MANY_REQUESTS,
            lang.text("api.rate_limited", &[("seconds", seconds.to_string())]),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

#[post("/logout")]
async fn logout(
    session: Session,
    form: crate::web::input::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    session::check_csrf(&session, form.csrf.as_deref())?;
    session::sign_out(&session);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish())
}
