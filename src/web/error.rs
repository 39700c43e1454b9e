//! One error type at the HTTP edge, mapped to the status codes and JSON body of API.md:
//! `{"error": {"code", "message", "fields"?}}`. Messages are rendered in the caller's
//! language by the edge middleware (`super::middleware`), which knows the request.

use crate::domain::permit::TripRefusal;
use crate::domain::ValidationErrors;
use crate::i18n::Lang;
use crate::service::ServiceError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde_json::{json, Map, Value};
use std::fmt;

#[derive(askama::Template)]
#[template(path = "public/error_page.html")]
struct ErrorPage {
    lang_tag: &'static str,
    en: bool,
    frame: crate::web::pages::frame::Frame,
    status: u16,
    title: String,
    message: String,
}

#[derive(Debug)]
pub enum AppError {
    BadRequest(String),
    Unauthorized,
    WrongCredentials,
    Forbidden,
    NotFound,
    Conflict(String),
    /// A trip refused on site: a 409 whose body also says why (`error.reason`).
    TripRefused(TripRefusal),
    PayloadTooLarge(String),
    Validation(ValidationErrors),
    RateLimited {
        retry_after_secs: u64,
    },
    Unavailable,
    /// The cause is logged where it happens; the caller sees a plain message and the request id.
    Internal,
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized | AppError::WrongCredentials => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) | AppError::TripRefused(_) => "conflict",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::Validation(_) => "validation_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal",
        }
    }

    fn message(&self, lang: Lang, request_id: &str) -> String {
        let p = |name: &'static str, value: &str| vec![(name, value.to_string())];
        match self {
            AppError::BadRequest(detail) => lang.text("api.bad_request", &p("detail", detail)),
            AppError::Unauthorized => lang.text("api.unauthorized", &[]),
            AppError::WrongCredentials => lang.text("api.wrong_credentials", &[]),
            AppError::Forbidden => lang.text("api.forbidden", &[]),
            AppError::NotFound => lang.text("api.not_found", &[]),
            AppError::Conflict(detail) => lang.text("api.conflict", &p("detail", detail)),
            AppError::TripRefused(reason) => lang.text(
                match reason {
                    TripRefusal::NotValidNow => "api.trip_refused.not_valid_now",
                    TripRefusal::PlateMismatch => "api.trip_refused.plate_mismatch",
                    TripRefusal::UsedUp => "api.trip_refused.used_up",
                    TripRefusal::Revoked => "api.trip_refused.revoked",
                    TripRefusal::NoTripUnderWay => "api.trip_refused.no_trip_under_way",
                    TripRefusal::TripUnderWay => "api.trip_refused.trip_under_way",
                    TripRefusal::Superseded => "api.trip_refused.superseded",
                },
                &[],
            ),
            AppError::PayloadTooLarge(max) => lang.text("api.payload_too_large", &p("max", max)),
            AppError::Validation(_) => lang.text("api.validation_failed", &[]),
            AppError::RateLimited { retry_after_secs } => lang.text(
                "api.rate_limited",
                &p("seconds", &retry_after_secs.to_string()),
            ),
            AppError::Unavailable => lang.text("api.unavailable", &[]),
            AppError::Internal => lang.text("api.internal", &p("request_id", request_id)),
        }
    }

    /// The JSON body in `lang`.
    pub fn body(&self, lang: Lang, request_id: &str) -> Value {
        let mut error = json!({"code": self.code(), "message": self.message(lang, request_id)});
        if let AppError::Validation(errors) = self {
            let mut fields = Map::new();
            for e in &errors.0 {
                // The first problem of a field is the one to fix first.
                fields
                    .entry(e.field.clone())
                    .or_insert_with(|| Value::String(lang.message(&e.message)));
            }
            error["fields"] = Value::Object(fields);
        }
        if let AppError::TripRefused(reason) = self {
            error["reason"] = Value::String(reason.as_str().into());
        }
        json!({ "error": error })
    }

    /// The same error as a page, for people in a browser rather than programs.
    pub fn render_page(
        &self,
        lang: Lang,
        request_id: &str,
        frame: crate::web::pages::frame::Frame,
    ) -> HttpResponse {
        let status = self.status_code();
        let en = lang == Lang::En;
        let page = ErrorPage {
            lang_tag: lang.tag(),
            en,
            frame,
            status: status.as_u16(),
            title: match (status.as_u16(), en) {
                (404, true) => "Not found".into(),
                (404, false) => "页面不存在".into(),
                (403, true) => "Not allowed".into(),
                (403, false) => "无权访问".into(),
                (_, _) => status.canonical_reason().unwrap_or("Error").to_string(),
            },
            message: self.message(lang, request_id),
        };
        match page.render() {
            Ok(body) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
                .body(body),
            Err(_) => self.render(lang, request_id),
        }
    }

    pub fn render(&self, lang: Lang, request_id: &str) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
        if let AppError::RateLimited { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if matches!(self, AppError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(self.body(lang, request_id))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::WrongCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::TripRefused(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Re-rendered in the caller's language by the edge middleware.
        self.render(Lang::default(), "-")
    }
}

impl From<ServiceError> for AppError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Validation(errors) => AppError::Validation(errors),
            ServiceError::WrongCredentials => AppError::WrongCredentials,
            ServiceError::RateLimited { retry_after_secs } => {
                AppError::RateLimited { retry_after_secs }
            }
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden(_) => AppError::Forbidden,
            ServiceError::Conflict(detail) => AppError::Conflict(detail),
            ServiceError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                AppError::Unavailable
            }
            ServiceError::Database(cause) => {
                tracing::error!(%cause, "database error");
                AppError::Internal
            }
            ServiceError::Internal(cause) => {
                tracing::error!(cause = format!("{cause:#}"), "internal error");
                AppError::Internal
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        tracing::error!("the blocking thread pool is gone");
        AppError::Internal
    }
}
