//! `Idempotency-Key` on writes: a repeat of the same request with the same key returns the
//! first response and changes nothing; the same key with another request is a conflict.

use crate::db::idempotency::{self as keys, Begin};
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::future::Future;

const HEADER: &str = "Idempotency-Key";

fn json_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

/// Runs `write` once per key. `request` identifies the request's content (its JSON body).
pub async fn once<F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    user_id: &str,
    request: &serde_json::Value,
    write: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), AppError>>,
{
    let key = match req.headers().get(HEADER) {
        None => {
            let (status, body) = write().await?;
            return Ok(json_response(status, body.to_string()));
        }
        Some(value) => value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or_else(|| {
                AppError::BadRequest("Idempotency-Key must be 1 to 200 visible characters".into())
            })?
            .to_string(),
    };
    let hash = hex::encode(Sha256::digest(
        format!("{} {}\n{}", req.method(), req.path(), request).as_bytes(),
    ));
    let now = state.clock.now();
    let (user, k) = (user_id.to_string(), key.clone());
    let begin = state
        .db(move |conn| Ok(keys::begin(conn, &user, &k, &hash, now)?))
        .await?;
    match begin {
        Begin::Replay(status, body) => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            Ok(json_response(status, body))
        }
        Begin::Mismatch => Err(AppError::Conflict(
            "this Idempotency-Key was used for a different request".into(),
        )),
        Begin::InProgress => Err(AppError::Conflict(
            "a request with this Idempotency-Key is still running".into(),
        )),
        Begin::New => {
            let outcome = write().await;
            let (user, k) = (user_id.to_string(), key);
            match outcome {
                Ok((status, body)) => {
                    let text = body.to_string();
                    let stored = text.clone();
                    state
                        .db(move |conn| {
                            Ok(keys::finish(
                                conn,
                                &user,
                                &k,
                                i32::from(status.as_u16()),
                                &stored,
                            )?)
                        })
                        .await?;
                    Ok(json_response(status, text))
                }
                Err(error) => {
                    state
                        .db(move |conn| Ok(keys::abandon(conn, &user, &k)?))
                        .await?;
                    Err(error)
                }
            }
        }
    }
}
