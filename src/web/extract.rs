//! What handlers take from a request: the caller's language, address, and signed-in user.

use super::error::AppError;
use super::session;
use super::sign_ins::Key;
use super::AppState;
use crate::db::users::accounts_generation;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::users as user_service;
use crate::service::Caller;
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
/// `TRUST_FORWARDED` behind proxies of our own, the address the outermost of them recorded
/// (otherwise every client would share the proxy's address).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

/// The client's address from the forwarding headers when `proxies` proxies of ours stand in
/// front: each appends the address it received the request from, so the client is the
/// `proxies`-th entry from the right. Entries left of it are the client's own to write and
/// are never used; with fewer entries than proxies the request did not come through them all.
/// `X-Forwarded-For` first, else RFC 7239 `Forwarded: for=`.
pub fn forwarded_client(req: &HttpRequest, proxies: usize) -> Option<String> {
    let list = |name: header::HeaderName, item: fn(&str) -> Option<String>| -> Vec<String> {
        req.headers()
            .get_all(name)
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(','))
            .filter_map(item)
            .collect()
    };
    let mut entries = list(header::X_FORWARDED_FOR, |e| {
        Some(e.trim().to_string()).filter(|e| !e.is_empty())
    });
    if entries.is_empty() {
        entries = list(header::FORWARDED, |element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for")
                    .then(|| value.trim().trim_matches('"').to_string())
            })
        });
    }
    let n = proxies.max(1);
    (entries.len() >= n).then(|| entries[entries.len() - n].clone())
}

impl FromRequest for ClientAddress {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let proxies = req
            .app_data::<web::Data<AppState>>()
            .filter(|state| state.settings.trust_forwarded)
            .map(|state| state.settings.trusted_proxies as usize);
        let address = proxies
            .and_then(|n| forwarded_client(req, n))
            .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
            .unwrap_or_else(|| "unknown".into());
        ready(Ok(ClientAddress(address)))
    }
}

/// The signed-in caller of a handler: by `Authorization: Bearer`, or by the web session's cookie, which for a
/// write must come with the session's CSRF token in `X-CSRF-Token`; 401 without either.
impl FromRequest for Caller {
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
            if !user_service::is_token(&token) {
                return Err(AppError::Unauthorized);
            }
            let now = state.clock.now();
            let hash = user_service::hash_token(&token);
            let key = Key::Token(hash.clone());
            let user = match state.sign_ins.get(&key, now) {
                Some(user) => user,
                None => {
                    let generation = accounts_generation();
                    let (user, expires) = state
                        .db(move |conn| user_service::user_for_token_hash(conn, &hash, now))
                        .await?
                        .ok_or(AppError::Unauthorized)?;
                    state
                        .sign_ins
                        .put(key, user.clone(), Some(expires), generation);
                    user
                }
            };
            let role = user.role.parse::<Role>().map_err(|cause| {
                tracing::error!(%cause, user = %user.id, "stored role is unknown");
                AppError::Internal
            })?;
            Ok(Caller { user, role })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use actix_web::test::TestRequest;

    #[test]
    fn the_client_is_the_entry_our_proxies_appended() {
        let req = TestRequest::default()
            .insert_header(("X-Forwarded-For", "6.6.6.6, 203.0.113.7"))
            .to_http_request();
        assert_eq!(forwarded_client(&req, 1).as_deref(), Some("203.0.113.7"));
        assert_eq!(forwarded_client(&req, 2).as_deref(), Some("6.6.6.6"));
        assert_eq!(forwarded_client(&req, 3), None);
        // Several headers are one list, in order.
        let req = TestRequest::default()
            .append_header(("X-Forwarded-For", "1.1.1.1"))
            .append_header(("X-Forwarded-For", "198.51.100.2,10.0.0.5"))
            .to_http_request();
        assert_eq!(forwarded_client(&req, 1).as_deref(), Some("10.0.0.5"));
        assert_eq!(forwarded_client(&req, 2).as_deref(), Some("198.51.100.2"));
        let req = TestRequest::default()
            .insert_header((
                "Forwarded",
                "for=6.6.6.6;proto=https, for=\"[2001:db8::1]:4711\";by=proxy",
            ))
            .to_http_request();
        assert_eq!(
            forwarded_client(&req, 1).as_deref(),
            Some("[2001:db8::1]:4711")
        );
        assert_eq!(
            forwarded_client(&TestRequest::default().to_http_request(), 1),
            None
        );
    }
}
