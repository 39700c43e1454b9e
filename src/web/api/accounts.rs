//! Accounts of API.md: registration and its confirmation, the admin's decision, password
//! reset, the signed-in user's own settings, and (for a firm's account holder) colleagues.

use super::auth::UserDto;
use super::rfc3339;
use crate::config::Secret;
use crate::db::users::UserRow;
use crate::db::DbConnection;
use crate::service::accounts::{self as service, NewRegistration, RegistrationView};
use crate::service::users as user_service;
use crate::service::{Caller, ServiceError};
use crate::web::error::AppError;
use crate::web::extract::ClientAddress;
use crate::web::input::readable;
use crate::web::AppState;
use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(confirm)
        .service(list_registrations)
        .service(approve)
        .service(reject)
        .service(reset)
        .service(reset_confirm)
        .service(update_me)
        .service(colleagues)
        .service(invite)
        .service(colleague_active)
        .service(accept_invitation);
}

/// Answers with the account a use case returns, as `GET /me` shows it.
async fn user_answer<F>(state: &AppState, f: F) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<UserRow, ServiceError> + Send + 'static,
{
    let (user, firm_code) = state
        .db(move |conn| {
            let user = f(conn)?;
            let firm_code = user_service::firm_code_of(conn, &user)?;
            Ok((user, firm_code))
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::new(user, firm_code)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegistrationRequest {
    /// Unified social credit code (统一社会信用代码), 18 characters with its GB 32100 check.
    pub firm_code: String,
    pub firm_name: String,
    /// Road transport operating licence number (道路运输经营许可证号).
    pub licence_no: String,
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    pub password: String,
    /// zh-CN or en: the account's pages and e-mails.
    #[serde(default = "chinese")]
    pub language: String,
}

fn chinese() -> String {
    "zh-CN".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationAccepted {
    pub id: String,
    /// email_unverified: the confirmation link is on its way.
    pub status: String,
}

/// Register a firm (public): an e-mail with a confirmation link follows. Answered alike
/// whether or not the e-mail has an account.
#[utoipa::path(tag = "accounts", request_body = RegistrationRequest, responses(
    (status = 202, body = RegistrationAccepted),
    (status = 422, description = "A field is wrong: `fields` names it"),
    (status = 429, description = "Too many registrations from this address or for this e-mail")))]
#[post("/registrations")]
pub async fn register(
    state: web::Data<AppState>,
    address: ClientAddress,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: RegistrationRequest = readable(body.into_inner())?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let new = NewRegistration {
        firm_code: body.firm_code,
        firm_name: body.firm_name,
        licence_no: body.licence_no,
        contact_name: body.contact_name,
        phone: body.phone,
        email: body.email,
        password: Secret::new(body.password),
        language: body.language,
    };
    let id = state
        .db(move |conn| service::register(conn, &engine, &new, &address.0, now))
        .await?;
    Ok(HttpResponse::Accepted().json(RegistrationAccepted {
        id,
        status: "email_unverified".into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenBody {
    /// The token from the e-mail's link.
    pub token: String,
}

/// Confirm a registration's e-mail with the token from its link (public).
#[utoipa::path(tag = "accounts", request_body = TokenBody, responses(
    (status = 200, description = "{\"status\": \"pending_approval\"}"),
    (status = 422, description = "`token`: used, expired or not valid")))]
#[post("/registrations/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: TokenBody = readable(body.into_inner())?;
    let (now, engine) = (state.clock.now(), state.engine.clone());
    state
        .db(move |conn| service::confirm_registration(conn, &engine, &body.token, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "pending_approval"})))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationDto {
    pub id: String,
    pub firm_code: String,
    pub firm_name: String,
    pub licence_no: String,
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    /// email_unverified, pending, approved, rejected or expired.
    pub status: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The name of the firm this credit code belongs to already: approval adds a colleague.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_firm: Option<String>,
}

impl From<RegistrationView> for RegistrationDto {
    fn from(v: RegistrationView) -> Self {
        let r = v.row;
        RegistrationDto {
            id: r.id,
            firm_code: r.firm_code,
            firm_name: r.firm_name,
            licence_no: r.licence_no,
            contact_name: r.contact_name,
            phone: r.phone,
            email: r.email,
            status: r.status,
            created_at: rfc3339(r.created_at),
            confirmed_at: r.confirmed_at.map(rfc3339),
            decided_at: r.decided_at.map(rfc3339),
            reason: r.reason,
            existing_firm: v.existing_firm,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    pub status: Option<String>,
}

/// Registrations (admin): `?status=pending` for those waiting for a decision, oldest first;
/// decided and expired ones newest first.
#[utoipa::path(tag = "accounts", params(("status" = Option<String>, Query, description = "email_unverified, pending, approved, rejected or expired")),
    responses((status = 200, body = [RegistrationDto]), (status = 403)), security(("bearer" = [])))]
#[get("/admin/registrations")]
pub async fn list_registrations(
    state: web::Data<AppState>,
    current: Caller,
    query: crate::web::input::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let status = query.into_inner().status;
    let rows = state
        .db(move |conn| service::registrations(conn, &current, status.as_deref()))
        .await?;
    let body: Vec<RegistrationDto> = rows.into_iter().map(RegistrationDto::from).collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApproveRequest {
    /// The firm's oversize-transport qualification, as the admin checked it.
    pub oversize_qualified: bool,
}

/// Approve a confirmed registration (admin): the account opens and is e-mailed.
#[utoipa::path(tag = "accounts", request_body = ApproveRequest, responses(
    (status = 200, body = UserDto), (status = 403), (status = 404),
    (status = 409, description = "Not waiting for approval, or the e-mail has an account now")),
    security(("bearer" = [])))]
#[post("/admin/registrations/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    current: Caller,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: ApproveRequest = readable(body.into_inner())?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    user_answer(&state, move |conn| {
        service::approve_registration(conn, &engine, &current, &id, body.oversize_qualified, now)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Told to the applicant.
    pub reason: String,
}

/// Refuse a confirmed registration (admin), with the reason e-mailed to the contact.
#[utoipa::path(tag = "accounts", request_body = RejectRequest, responses(
    (status = 200), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
#[post("/admin/registrations/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    current: Caller,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: RejectRequest = readable(body.into_inner())?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    state
        .db(move |conn| {
            service::reject_registration(conn, &engine, &current, &id, &body.reason, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "rejected"})))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Ask for a password-reset link (public): 202 whether or not the address has an account.
#[utoipa::path(tag = "accounts", request_body = ResetRequest, responses(
    (status = 202), (status = 422, description = "Not an e-mail address"), (status = 429)))]
#[post("/auth/password-reset")]
pub async fn reset(
    state: web::Data<AppState>,
    address: ClientAddress,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: ResetRequest = readable(body.into_inner())?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    state
        .db(move |conn| {
            service::request_password_reset(conn, &engine, &body.email, &address.0, now)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"status": "sent_if_known"})))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordByToken {
    pub token: String,
    pub password: String,
    /// For an invitation: the name to show, if the one the inviter typed is wrong.
    pub name: Option<String>,
}

/// Choose a new password with a reset link's token (public); every session and token of the
/// account ends.
#[utoipa::path(tag = "accounts", request_body = PasswordByToken, responses(
    (status = 200), (status = 422, description = "`token` used, expired or not valid; `password` too weak")))]
#[post("/auth/password-reset/confirm")]
pub async fn reset_confirm(
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: PasswordByToken = readable(body.into_inner())?;
    let now = state.clock.now();
    let password = Secret::new(body.password);
    state
        .db(move |conn| service::confirm_password_reset(conn, &body.token, &password, now))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "password_changed"})))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    /// zh-CN or en: the language of the pages after sign-in and of every e-mail.
    pub language: Option<String>,
    pub name: Option<String>,
}

/// Change one's own language or name.
#[utoipa::path(tag = "auth", request_body = MeUpdate, responses((status = 200, body = UserDto), (status = 422)), security(("bearer" = [])))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    current: Caller,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: MeUpdate = readable(body.into_inner())?;
    let now = state.clock.now();
    user_answer(&state, move |conn| {
        service::update_me(
            conn,
            &current,
            body.name.as_deref(),
            body.language.as_deref(),
            now,
        )
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ColleagueDto {
    pub id: String,
    pub email: String,
    pub name: String,
    /// active, invited, invitation_expired or switched_off.
    pub state: String,
    pub account_holder: bool,
}

/// The firm's accounts (its account holder only).
#[utoipa::path(tag = "accounts", responses((status = 200, body = [ColleagueDto]), (status = 403)), security(("bearer" = [])))]
#[get("/colleagues")]
pub async fn colleagues(
    state: web::Data<AppState>,
    current: Caller,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let list = state
        .db(move |conn| service::colleagues(conn, &current, now))
        .await?;
    let body: Vec<ColleagueDto> = list
        .into_iter()
        .map(|c| ColleagueDto::new(c.user, c.state.as_str()))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

impl ColleagueDto {
    fn new(user: UserRow, state: &str) -> ColleagueDto {
        ColleagueDto {
            id: user.id,
            email: user.email,
            name: user.name,
            state: state.to_string(),
            account_holder: user.firm_holder,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    pub email: String,
    pub name: String,
}

/// Invite a colleague by e-mail (the firm's account holder): a link to choose a password,
/// valid for 7 days. Inviting again someone who has not accepted sends a new link.
#[utoipa::path(tag = "accounts", request_body = InviteRequest, responses(
    (status = 201, body = ColleagueDto), (status = 403), (status = 422), (status = 429)),
    security(("bearer" = [])))]
#[post("/colleagues")]
pub async fn invite(
    state: web::Data<AppState>,
    current: Caller,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: InviteRequest = readable(body.into_inner())?;
    let now = state.clock.now();
    let engine = state.engine.clone();
    let user = state
        .db(move |conn| service::invite(conn, &engine, &current, &body.email, &body.name, now))
        .await?;
    Ok(HttpResponse::Created().json(ColleagueDto::new(user, "invited")))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActiveRequest {
    pub active: bool,
}

/// Switch a colleague off (their sessions and tokens end at once) or back on (the firm's
/// account holder).
#[utoipa::path(tag = "accounts", request_body = ActiveRequest, responses(
    (status = 200, body = ColleagueDto), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/colleagues/{id}/active")]
pub async fn colleague_active(
    state: web::Data<AppState>,
    current: Caller,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: ActiveRequest = readable(body.into_inner())?;
    let now = state.clock.now();
    let user = state
        .db(move |conn| service::set_colleague_active(conn, &current, &id, body.active, now))
        .await?;
    let state = if user.active {
        "active"
    } else {
        "switched_off"
    };
    Ok(HttpResponse::Ok().json(ColleagueDto::new(user, state)))
}

/// Accept an invitation with the token from its link (public): choose a password; the
/// account opens.
#[utoipa::path(tag = "accounts", request_body = PasswordByToken, responses(
    (status = 200, body = UserDto), (status = 422, description = "`token` used, expired or not valid; `password` too weak")))]
#[post("/invitations/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, AppError> {
    let body: PasswordByToken = readable(body.into_inner())?;
    let now = state.clock.now();
    let password = Secret::new(body.password);
    user_answer(&state, move |conn| {
        service::accept_invitation(conn, &body.token, &password, body.name.as_deref(), now)
    })
    .await
}
