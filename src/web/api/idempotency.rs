//! `Idempotency-Key` on writes: a repeat of the same request with the same key returns the
//! first response and changes nothing; the same key with another request is a conflict.
//!
//! The key is recorded in the write's own transaction (zero2prod's idempotency module): the
//! stored response commits with the change or not at all, so after a crash at any moment a
//! retry either replays the response or runs the write exactly once. A write that fails
//! leaves no key, and the client may try again with it.

use crate::db::idempotency::{self as keys, Found};
use crate::db::{write_transaction, DbConnection};
use crate::service::{Caller, Engine, ServiceError};
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

const HEADER: &str = "Idempotency-Key";

/// What a write gave.
pub enum Outcome {
    /// The response to send and, with a key, to keep.
    Done(StatusCode, serde_json::Value),
    /// A refusal whose record commits (a trip refused on site is an audit event) but is not
    /// kept under the key: a retry is looked at afresh.
    Refused(AppError),
}

/// Why a keyed transaction ended without a response to keep.
enum Abort {
    Error(AppError),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Abort {
    fn from(error: diesel::result::Error) -> Self {
        Abort::Database(error)
    }
}

impl From<AppError> for Abort {
    fn from(error: AppError) -> Self {
        Abort::Error(error)
    }
}

impl From<ServiceError> for Abort {
    fn from(error: ServiceError) -> Self {
        Abort::Error(error.into())
    }
}

enum Keyed {
    Fresh(StatusCode, String),
    Replay(StatusCode, String),
    Mismatch,
    Refused(AppError),
}

fn json_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

/// A response body as JSON, for `Outcome::Done`.
pub fn done<T: serde::Serialize>(status: StatusCode, value: T) -> Result<Outcome, AppError> {
    serde_json::to_value(value)
        .map(|v| Outcome::Done(status, v))
        .map_err(|e| {
            tracing::error!(cause = %e, "serialising a response");
            AppError::Internal
        })
}

/// The shape of a write handler: the caller's command, given what the service needs (the
/// engine, the caller, the moment), run once per `Idempotency-Key` for the request
/// `request`; its answer as JSON with `status`.
pub async fn command<T, F>(
    state: &AppState,
    req: &HttpRequest,
    caller: Caller,
    request: &serde_json::Value,
    status: StatusCode,
    run: F,
) -> Result<HttpResponse, AppError>
where
    T: serde::Serialize,
    F: FnOnce(&mut DbConnection, &Engine, &Caller, NaiveDateTime) -> Result<T, ServiceError>
        + Send
        + 'static,
{
    let user_id = caller.user.id.clone();
    let (engine, now) = (state.engine.clone(), state.clock.now());
    once(state, req, &user_id, request, move |conn| {
        done(status, run(conn, &engine, &caller, now)?)
    })
    .await
}

/// Runs `write` on a pooled connection, once per key. `request` identifies the request's
/// content (its JSON body).
pub async fn once<F>(
    state: &AppState,
    req: &HttpRequest,
    user_id: &str,
    request: &serde_json::Value,
    write: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<Outcome, AppError> + Send + 'static,
{
    let key = match req.headers().get(HEADER) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "Idempotency-Key must be 1 to 200 visible characters".into(),
                    )
                })?
                .to_string(),
        ),
    };
    let Some(key) = key else {
        let outcome = state.db(move |conn| Ok(write(conn))).await?;
        return match outcome? {
            Outcome::Done(status, body) => Ok(json_response(status, body.to_string())),
            Outcome::Refused(error) => Err(error),
        };
    };
    let hash = hex::encode(Sha256::digest(
        format!("{} {}\n{}", req.method(), req.path(), request).as_bytes(),
    ));
    let now = state.clock.now();
    let user = user_id.to_string();
    let keyed = state
        .db(move |conn| {
            let result = write_transaction(conn, |conn| -> Result<Keyed, Abort> {
                match keys::find_locked(conn, &user, &key, &hash)? {
                    Found::Replay(status, body) => {
                        let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
                        return Ok(Keyed::Replay(status, body));
                    }
                    Found::Mismatch => return Ok(Keyed::Mismatch),
                    Found::New => {}
                }
                match write(conn)? {
                    Outcome::Done(status, body) => {
                        let text = body.to_string();
                        let code = i32::from(status.as_u16());
                        keys::record(conn, &user, &key, &hash, code, &text, now)?;
                        Ok(Keyed::Fresh(status, text))
                    }
                    Outcome::Refused(error) => Ok(Keyed::Refused(error)),
                }
            });
            Ok(match result {
                Ok(keyed) => Ok(keyed),
                Err(Abort::Error(error)) => Err(error),
                Err(Abort::Database(error)) => Err(AppError::from(ServiceError::from(error))),
            })
        })
        .await?;
    match keyed? {
        Keyed::Fresh(status, body) | Keyed::Replay(status, body) => Ok(json_response(status, body)),
        Keyed::Mismatch => Err(AppError::Conflict(
            "this Idempotency-Key was used for a different request".into(),
        )),
        Keyed::Refused(error) => Err(error),
    }
}
