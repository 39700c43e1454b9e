//! Web sessions: a signed cookie holding who signed in, until when, and the CSRF token their
//! forms carry. Being a cookie, a session works on any instance behind a load balancer.

use super::error::AppError;
use super::sign_ins::Key as SignInKey;
use super::AppState;
use crate::config::Settings;
use crate::db::users::{accounts_generation, UserRow};
use crate::domain::role::Role;
use crate::service::users::password_stamp;
use crate::service::Caller;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha512};

const USER: &str = "uid";
const EXPIRES: &str = "exp";
const CSRF: &str = "csrf";
/// The account's password stamp when the session began: a new password ends the session.
const STAMP: &str = "pw";
/// The header that carries the CSRF token when the API is called with the session cookie.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The cookie key, derived from the server secret (so every instance shares it) and kept
/// apart from the permit-signing use of that secret.
fn key(settings: &Settings) -> Key {
    let mut hasher = Sha512::new();
    hasher.update(b"permitflow session cookie\0");
    hasher.update(settings.secret_key.expose().as_bytes());
    Key::from(&hasher.finalize())
}

pub fn middleware(settings: &Settings) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key(settings))
        .cookie_name("pf_session".into())
        .cookie_content_security(CookieContentSecurity::Signed)
        .cookie_secure(settings.base_url.starts_with("https://"))
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .session_lifecycle(PersistentSession::default().session_ttl(
            actix_web::cookie::time::Duration::hours(i64::from(settings.token_ttl_hours)),
        ))
        .build()
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return token;
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    // A session that cannot be written only means the form will be refused; nothing to leak.
    let _ = session.insert(CSRF, &token);
    token
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form or API write made with the session cookie must carry the session's CSRF token.
pub fn check_csrf(session: &Session, given: Option<&str>) -> Result<(), AppError> {
    match (session.get::<String>(CSRF).ok().flatten(), given) {
        (Some(expected), Some(given)) if same(expected.as_bytes(), given.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Starts a session for `user` until `expires` (unix seconds, by the server's clock), with
/// a fresh id and CSRF token so nothing from before signing in carries over.
pub fn sign_in(session: &Session, user: &UserRow, expires: i64) -> Result<(), AppError> {
    session.renew();
    session.clear();
    let token = hex::encode(rand::random::<[u8; 32]>());
    session
        .insert(USER, &user.id)
        .and_then(|_| session.insert(STAMP, password_stamp(user)))
        .and_then(|_| session.insert(EXPIRES, expires))
        .and_then(|_| session.insert(CSRF, token))
        .map_err(|e| {
            tracing::error!(cause = %e, "writing the session");
            AppError::Internal
        })
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// The user of a live session (active, not expired), if any.
pub async fn user_of(state: &AppState, session: &Session) -> Result<Option<Caller>, AppError> {
    let (Ok(Some(user_id)), Ok(Some(expires))) =
        (session.get::<String>(USER), session.get::<i64>(EXPIRES))
    else {
        return Ok(None);
    };
    if state.clock.now().and_utc().timestamp() >= expires {
        return Ok(None);
    }
    let stamp = session
        .get::<String>(STAMP)
        .ok()
        .flatten()
        .unwrap_or_default();
    let key = SignInKey::User(user_id.clone());
    let user = match state.sign_ins.get(&key, state.clock.now()) {
        Some(user) => Some(user),
        None => {
            let generation = accounts_generation();
            let found = state
                .db(move |conn| crate::service::users::find_user(conn, &user_id))
                .await?;
            if let Some(user) = &found {
                state.sign_ins.put(key, user.clone(), None, generation);
            }
            found
        }
    }
    .filter(|u| u.active && password_stamp(u) == stamp);
    Ok(user.and_then(|user| {
        let role = user.role.parse::<Role>().ok()?;
        Some(Caller { user, role })
    }))
}

/// A page for one role: its signed-in user, or the answer to give instead (the sign-in form
/// for nobody, 403 for another role).
pub async fn signed_in_as(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    role: Role,
) -> Result<Result<Caller, HttpResponse>, AppError> {
    match user_of(state, session).await? {
        None => Ok(Err(to_sign_in(req))),
        Some(current) if current.role == role => Ok(Ok(current)),
        Some(_) => Err(AppError::Forbidden),
    }
}

/// Where a page sends someone who has not signed in: the sign-in form, then back here.
pub fn to_sign_in(req: &HttpRequest) -> HttpResponse {
    let here = match req.uri().path_and_query() {
        Some(pq) => pq.as_str().to_string(),
        None => "/".into(),
    };
    let query = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/login?{query}")))
        .finish()
}

/// Only a path on this server is a place to go back to (never `//elsewhere` or a URL).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

/// The role a page is for, as a type: `SignedIn<page_role::Admin>`.
pub mod page_role {
    use crate::domain::role::Role;

    pub trait PageRole {
        /// None: any signed-in user.
        const ROLE: Option<Role>;
    }

    macro_rules! page_roles {
        ($($name:ident => $role:expr),* $(,)?) => {$(
            #[derive(Debug)]
            pub struct $name;
            impl PageRole for $name {
                const ROLE: Option<Role> = $role;
            }
        )*};
    }

    page_roles! {
        Anyone => None,
        Admin => Some(Role::Admin),
        Manager => Some(Role::Manager),
        Reviewer => Some(Role::Reviewer),
        Applicant => Some(Role::Applicant),
        Inspector => Some(Role::Inspector),
    }
}

/// The user signed in to a page (by the session cookie), of the page's role: someone not
/// signed in is sent to the sign-in form and back; another role gets 403.
#[derive(Debug)]
pub struct SignedIn<R = page_role::Anyone>(pub Caller, pub std::marker::PhantomData<R>);

impl<R: page_role::PageRole> actix_web::FromRequest for SignedIn<R> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_session::SessionExt;
        let state = req.app_data::<actix_web::web::Data<AppState>>().cloned();
        let session = req.get_session();
        let sign_in = to_sign_in(req);
        Box::pin(async move {
            let state = state.ok_or(AppError::Internal)?;
            match user_of(&state, &session).await? {
                None => Err(actix_web::error::InternalError::from_response(
                    "sign in first",
                    sign_in,
                )
                .into()),
                Some(current) if R::ROLE.is_none_or(|role| role == current.role) => {
                    Ok(SignedIn(current, std::marker::PhantomData))
                }
                Some(_) => Err(AppError::Forbidden.into()),
            }
        })
    }
}
