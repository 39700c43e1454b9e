//! Sign-in for integrations: `POST /auth/token` and `GET /me`.

use super::rfc3339;
use crate::db::users::UserRow;
use crate::service::users as user_service;
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::extract::ClientAddress;
use crate::web::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(token).service(me);
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub name: String,
    /// applicant, reviewer, inspector, manager or admin.
    pub role: String,
    /// The applicant's firm (unified social credit code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firm_code: Option<String>,
    /// The reviewer's authority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority_code: Option<String>,
    /// The jurisdiction a manager supervises.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// zh-CN or en.
    pub language: String,
}

impl UserDto {
    pub(crate) fn new(user: UserRow, firm_code: Option<String>) -> UserDto {
        UserDto {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            firm_code,
            authority_code: user.authority_code,
            scope: user.scope_jurisdiction,
            language: user.language,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub user: UserDto,
}

/// Exchange e-mail and password for a bearer token.
#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong e-mail or password"),
    (status = 429, description = "Too many failures for this account or address; see Retry-After")))]
#[post("/auth/token")]
pub async fn token(
    state: web::Data<AppState>,
    address: ClientAddress,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let ttl = TimeDelta::hours(i64::from(state.settings.token_ttl_hours));
    let body: TokenRequest = crate::web::input::readable(body.into_inner())?;
    let (grant, firm_code) = state
        .db(move |conn| {
            let grant =
                user_service::issue_token(conn, &body.email, &body.password, &address.0, now, ttl)?;
            let firm_code = user_service::firm_code_of(conn, &grant.user)?;
            Ok((grant, firm_code))
        })
        .await?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token: grant.token,
        expires_at: rfc3339(grant.expires_at),
        user: UserDto::new(grant.user, firm_code),
    }))
}

/// The signed-in user.
#[utoipa::path(tag = "auth", responses((status = 200, body = UserDto), (status = 401)), security(("bearer" = [])))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, current: Caller) -> Result<HttpResponse, AppError> {
    let user = current.user;
    let (user, firm_code) = state
        .db(move |conn| {
            let firm_code = user_service::firm_code_of(conn, &user)?;
            Ok((user, firm_code))
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::new(user, firm_code)))
}
