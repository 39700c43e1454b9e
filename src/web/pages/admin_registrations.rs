//! Firms' registrations for the admin: those waiting (e-mail confirmed), whether the firm
//! exists already, and approving (recording the oversize qualification) or refusing with a
//! reason; the other states to look back on.

use super::super::frame::Frame;
use super::super::html_with_status;
use crate::db::accounts::STATUSES;
use crate::i18n::Lang;
use crate::service::accounts as service;
use crate::service::{Caller, ServiceError};
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::input::{Form, Query};
use crate::web::session::{self, page_role, SignedIn};
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::TimeZone;
use serde::Deserialize;

fn status_label(status: &str, en: bool) -> &'static str {
    match (status, en) {
        ("pending", false) => "待审核",
        ("pending", true) => "waiting for approval",
        ("email_unverified", false) => "邮箱未确认",
        ("email_unverified", true) => "e-mail not confirmed",
        ("approved", false) => "已通过",
        ("approved", true) => "approved",
        ("rejected", false) => "未通过",
        ("rejected", true) => "refused",
        (_, false) => "已过期",
        (_, true) => "expired",
    }
}

struct Line {
    id: String,
    firm_code: String,
    firm_name: String,
    licence_no: String,
    contact_name: String,
    phone: String,
    email: String,
    created: String,
    confirmed: String,
    status: String,
    status_label: &'static str,
    reason: String,
    existing_firm: Option<String>,
    /// The qualification box starts ticked for a new firm, and as recorded for one that exists.
    qualified: bool,
    reason_error: String,
}

#[derive(Template)]
#[template(path = "admin/registrations.html")]
struct RegistrationsPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    status: &'static str,
    /// (status, label, " (n)" for those waiting).
    tabs: Vec<(&'static str, &'static str, String)>,
    rows: Vec<Line>,
    message: Option<(bool, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub done: Option<String>,
}

/// What the list shows besides the registrations: a message on top, a refusal's error at
/// its registration's reason (id, text), and the answer's status.
struct Shown {
    message: Option<(bool, String)>,
    refused: Option<(String, String)>,
    code: StatusCode,
}

async fn render(
    state: &AppState,
    session: &Session,
    current: &Caller,
    lang: Lang,
    status: String,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let Shown {
        message,
        refused,
        code,
    } = shown;
    let en = lang == Lang::En;
    let status: &'static str = STATUSES
        .iter()
        .find(|s| **s == status)
        .copied()
        .unwrap_or("pending");
    let (caller, s) = (current.clone(), status);
    let (rows, waiting, firms) = state
        .db(move |conn| {
            let rows = service::registrations(conn, &caller, Some(s))?;
            let waiting = service::registrations(conn, &caller, Some("pending"))?.len();
            let firms = crate::service::admin::firms(conn)?;
            Ok((rows, waiting, firms))
        })
        .await?;
    let tz = state.engine.timezone;
    let at = |t: chrono::NaiveDateTime| {
        tz.from_utc_datetime(&t)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let rows = rows
        .into_iter()
        .map(|v| {
            let r = v.row;
            let qualified = firms
                .iter()
                .find(|f| f.credit_code == r.firm_code)
                .is_none_or(|f| f.oversize_qualified);
            let reason_error = match &refused {
                Some((id, text)) if *id == r.id => text.clone(),
                _ => String::new(),
            };
            Line {
                status_label: status_label(&r.status, en),
                created: at(r.created_at),
                confirmed: r.confirmed_at.map(at).unwrap_or_default(),
                reason: r.reason.unwrap_or_default(),
                id: r.id,
                firm_code: r.firm_code,
                firm_name: r.firm_name,
                licence_no: r.licence_no,
                contact_name: r.contact_name,
                phone: r.phone,
                email: r.email,
                status: r.status,
                existing_firm: v.existing_firm,
                qualified,
                reason_error,
            }
        })
        .collect();
    let tabs = STATUSES
        .iter()
        .map(|s| {
            let count = if *s == "pending" && waiting > 0 {
                format!(" ({waiting})")
            } else {
                String::new()
            };
            (*s, status_label(s, en), count)
        })
        .collect();
    let frame = Frame::for_user(Some(current), session, lang);
    html_with_status(
        code,
        RegistrationsPage {
            lang_tag: lang.tag(),
            en,
            csrf: frame.csrf.clone(),
            frame,
            status,
            tabs,
            rows,
            message,
        },
    )
}

#[get("/admin/registrations")]
pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: Query<ListQuery>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let en = lang == Lang::En;
    let message = match query.done.as_deref() {
        Some("approved") => Some(if en {
            "Approved: the account is open and its contact e-mailed."
        } else {
            "已通过：账户已开通，并已邮件通知联系人。"
        }),
        Some("rejected") => Some(if en {
            "Refused: the contact is e-mailed the reason."
        } else {
            "已不予通过，理由已邮件告知联系人。"
        }),
        _ => None,
    }
    .map(|t| (true, t.to_string()));
    let status = query.status.unwrap_or_else(|| "pending".into());
    render(
        &state,
        &session,
        &current,
        lang,
        status,
        Shown {
            message,
            refused: None,
            code: StatusCode::OK,
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    pub csrf: Option<String>,
    pub oversize_qualified: Option<String>,
    pub reason: Option<String>,
}

fn back(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/admin/registrations?done={done}"),
        ))
        .finish()
}

/// A decision that did not go through: the list again, saying why.
async fn not_decided(
    state: &AppState,
    session: &Session,
    current: &Caller,
    lang: Lang,
    id: String,
    error: ServiceError,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    match error {
        ServiceError::Validation(errors) => {
            let text = errors
                .0
                .first()
                .map(|e| lang.message(&e.message))
                .unwrap_or_default();
            let message = Some((
                false,
                if en {
                    "Not refused: give the reason."
                } else {
                    "未处理：请填写理由。"
                }
                .to_string(),
            ));
            render(
                state,
                session,
                current,
                lang,
                "pending".into(),
                Shown {
                    message,
                    refused: Some((id, text)),
                    code: StatusCode::UNPROCESSABLE_ENTITY,
                },
            )
            .await
        }
        ServiceError::Conflict(_) => {
            let message = Some((false, if en {
                "Not done: the registration has been decided meanwhile, or its e-mail has an account now."
            } else {
                "未处理：该注册已被处理，或其邮箱现已有账户。"
            }.to_string()));
            render(
                state,
                session,
                current,
                lang,
                "pending".into(),
                Shown {
                    message,
                    refused: None,
                    code: StatusCode::CONFLICT,
                },
            )
            .await
        }
        other => Err(other.into()),
    }
}

#[post("/admin/registrations/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: Form<DecisionForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let qualified = form.oversize_qualified.as_deref() == Some("true");
    let (caller, now, engine, id) = (
        current.clone(),
        state.clock.now(),
        state.engine.clone(),
        path.into_inner(),
    );
    let i = id.clone();
    let result = state
        .db(move |conn| {
            Ok(service::approve_registration(
                conn, &engine, &caller, &i, qualified, now,
            ))
        })
        .await?;
    match result {
        Ok(_) => Ok(back("approved")),
        Err(e) => not_decided(&state, &session, &current, lang, id, e).await,
    }
}

#[post("/admin/registrations/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: Form<DecisionForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let reason = form.reason.unwrap_or_default();
    let (caller, now, engine, id) = (
        current.clone(),
        state.clock.now(),
        state.engine.clone(),
        path.into_inner(),
    );
    let i = id.clone();
    let result = state
        .db(move |conn| {
            Ok(service::reject_registration(
                conn, &engine, &caller, &i, &reason, now,
            ))
        })
        .await?;
    match result {
        Ok(()) => Ok(back("rejected")),
        Err(e) => not_decided(&state, &session, &current, lang, id, e).await,
    }
}
