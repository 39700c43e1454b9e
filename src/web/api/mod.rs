//! The public JSON API of API.md, under `/api/v1`.

pub mod accounts;
pub mod admin;
pub mod amendments;
pub mod applications;
pub mod auth;
pub mod idempotency;
pub mod permits;
pub mod reference;
pub mod reports;
pub mod spreadsheet;
pub mod tasks;
pub mod test_support;
pub mod views;

use super::error::AppError;
use super::JSON_LIMIT;
use actix_web::error::JsonPayloadError;
use actix_web::web;
use chrono::{NaiveDateTime, SecondsFormat};

pub fn routes(cfg: &mut web::ServiceConfig, test_clock: bool) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::routes)
            .configure(accounts::routes)
            .configure(reference::routes)
            .configure(applications::routes)
            .configure(tasks::routes)
            .configure(permits::routes)
            .configure(amendments::routes)
            .configure(reports::routes)
            .configure(admin::routes)
            .configure(super::openapi::routes)
            .configure(|cfg| {
                if test_clock {
                    test_support::routes(cfg);
                }
            }),
    );
}

/// JSON bodies: at most `JSON_LIMIT` bytes (413 above), anything unreadable is a 400 that
/// says what could not be read.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|error, _req| {
            let app_error = match error {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    AppError::PayloadTooLarge(format!("{} KiB", JSON_LIMIT / 1024))
                }
                JsonPayloadError::ContentType => {
                    AppError::BadRequest("Content-Type must be application/json".into())
                }
                JsonPayloadError::Deserialize(e) => AppError::BadRequest(e.to_string()),
                other => AppError::BadRequest(other.to_string()),
            };
            app_error.into()
        })
}

/// Times in the API: RFC 3339 in UTC, to the second.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}
