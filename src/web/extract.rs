//! What handlers take from a request: the caller's language, address, and signed-in user.

use super::error::AppError;
use super::session;
use super::AppState;
use crate::db::users::UserRow;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::users as user_service;
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};
use std::future::{ready, Future, Ready};
use std::pin::Pin;

/// The caller's language: the `lang` cookie set by the page switch, else `Accept-Language`,
/// else Chinese.
pub fn lang_of(req: &HttpRequest) -> Lang {
    if let Some(lang) = req.cookie("lang").and_then(|c| Lang::from_tag(c.value())) {
        return lang;
    }
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
pub struct Locale(pub Lang);

impl FromRequest for Locale {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Locale(lang_of(req))))
    }
}

/// The address a request came from, for throttling: the peer address, or, with
/// `TRUST_FORWARDED` behind a proxy that sets it, the forwarded client address (otherwise
/// every client would share the proxy's address, and a header is the client's to forge).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl FromRequest for ClientAddress {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust_forwarded = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.settings.trust_forwarded);
        let forwarded = trust_forwarded
            .then(|| {
                req.connection_info()
                    .realip_remote_addr()
                    .map(str::to_string)
            })
            .flatten();
        let address = forwarded
            .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
            .unwrap_or_else(|| "unknown".into());
        ready(Ok(ClientAddress(address)))
    }
}

/// A signed-in user: by `Authorization: Bearer`, or by the web session's cookie, which for a
/// write must come with the session's CSRF token in `X-CSRF-Token`; 401 without either.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: UserRow,
    pub role: Role,
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req.get_session();
        let safe = req.method().is_safe();
        let csrf = req
            .headers()
            .get(session::CSRF_HEADER)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        Box::pin(async move {
            let Some(state) = state else {
                return Err(AppError::Unauthorized);
            };
            let Some(token) = token else {
                let current = session::user_of(&state, &session)
                    .await?
                    .ok_or(AppError::Unauthorized)?;
                if !safe {
                    session::check_csrf(&session, csrf.as_deref())?;
                }
                return Ok(current);
            };
            let now = state.clock.now();
            let user = state
                .db(move |conn| user_service::user_for_token(conn, &token, now))
                .await?
                .ok_or(AppError::Unauthorized)?;
            let role = user.role.parse::<Role>().map_err(|cause| {
                tracing::error!(%cause, user = %user.id, "stored role is unknown");
                AppError::Internal
            })?;
            Ok(CurrentUser { user, role })
        })
    }
}
