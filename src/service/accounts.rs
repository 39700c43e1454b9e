//! Accounts a firm opens itself (SPEC §1): registration with an e-mailed confirmation and an
//! admin's approval, password reset by an e-mailed link, colleagues invited by the firm's
//! account holder, and each account's own language.
//!
//! Every token sent is 32 random bytes, kept only as its SHA-256, single-use and expiring.
//! The public forms answer alike whether or not an address has an account (so addresses
//! cannot be probed: the same work is done either way, and the mail goes to the address's
//! owner), and are throttled per address and per e-mail.

use super::users::{hash_password, hash_token, password_is_strong};
use super::{Caller, Engine, ServiceError};
use crate::config::Secret;
use crate::db::accounts::{self as q, AccountTokenRow, RegistrationRow};
use crate::db::admin_events as audit;
use crate::db::users::{self as users_q, FirmRow, UserRow};
use crate::db::{new_id, write_transaction, DbConnection};
use crate::domain::role::Role;
use crate::domain::values::{parse_licence, parse_phone, text, CreditCode, EmailAddress};
use crate::domain::{FieldError, Message, ValidationErrors};
use crate::i18n::Lang;
use crate::mail::outbox::{enqueue, NewEmail};
use crate::mail::templates::{EmailContext, EmailKind};
use chrono::{NaiveDateTime, TimeDelta, TimeZone};

/// How long a confirmation link works; an unconfirmed registration expires with it.
pub const CONFIRM_TTL: TimeDelta = TimeDelta::hours(24);
/// How long a password-reset link works.
pub const RESET_TTL: TimeDelta = TimeDelta::hours(1);
/// How long an invitation works.
pub const INVITE_TTL: TimeDelta = TimeDelta::days(7);

/// A throttled action: at most `per_address` uses from one address and `per_email` for one
/// e-mail within `window`.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub action: &'static str,
    pub per_address: i64,
    pub per_email: i64,
    pub window: TimeDelta,
}

pub const REGISTER: Throttle = Throttle {
    action: "register",
    per_address: 10,
    per_email: 3,
    window: TimeDelta::hours(1),
};

pub const RESET: Throttle = Throttle {
    action: "reset",
    per_address: 20,
    per_email: 3,
    window: TimeDelta::hours(1),
};

/// Invitations per account holder (its id stands for the address) and per invited e-mail.
pub const INVITE: Throttle = Throttle {
    action: "invite",
    per_address: 30,
    per_email: 3,
    window: TimeDelta::hours(24),
};

/// Counts a use of `throttle` by `address` (for `email`, if it is one), or refuses it while
/// either limit is reached. Its own transaction, serialised across instances, so that however
/// many arrive at once no more than the limit get through.
pub fn throttle(
    conn: &mut DbConnection,
    throttle: Throttle,
    address: &str,
    email: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let since = now - throttle.window;
    let email_key = email.map(|e| format!("email:{e}"));
    write_transaction(conn, |conn| {
        q::lock_throttle(conn)?;
        let address_key = format!("address:{address}");
        let mut subjects = vec![(address_key.clone(), throttle.per_address)];
        if let Some(key) = &email_key {
            subjects.push((key.clone(), throttle.per_email));
        }
        for (subject, max) in &subjects {
            let (count, oldest) = q::hits_since(conn, throttle.action, subject, since)?;
            if count >= *max {
                let until = oldest.unwrap_or(now) + throttle.window;
                let retry_after_secs = (until - now).num_seconds().max(1) as u64;
                return Err(ServiceError::RateLimited { retry_after_secs });
            }
        }
        for (subject, _) in &subjects {
            q::record_hit(conn, &new_id(), throttle.action, subject, now)?;
        }
        q::delete_hits_before(conn, now - TimeDelta::hours(24))?;
        Ok(())
    })
}

/// A fresh token: the text for the e-mail and its row (only the hash is stored).
fn new_token(
    purpose: &str,
    registration_id: Option<&str>,
    user_id: Option<&str>,
    now: NaiveDateTime,
    ttl: TimeDelta,
) -> (String, AccountTokenRow) {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let row = AccountTokenRow {
        id: new_id(),
        token_hash: hash_token(&token),
        purpose: purpose.to_string(),
        registration_id: registration_id.map(str::to_string),
        user_id: user_id.map(str::to_string),
        created_at: now,
        expires_at: now + ttl,
        used_at: None,
    };
    (token, row)
}

/// The live token of `purpose` behind `token`, or the `token` field's error: not one of ours,
/// used already, or expired.
fn live_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> Result<AccountTokenRow, FieldError> {
    let invalid = |key| FieldError::new("token", Message::new(key));
    let token = token.trim();
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("error.token_invalid"));
    }
    match q::find_token(conn, &hash_token(&token.to_ascii_lowercase()), purpose) {
        Ok(Some(row)) if row.used_at.is_some() => Err(invalid("error.token_used")),
        Ok(Some(row)) if row.expires_at <= now => Err(invalid("error.token_expired")),
        Ok(Some(row)) => Ok(row),
        _ => Err(invalid("error.token_invalid")),
    }
}

/// Whether a token would be taken now (for a page to say so before asking for a password).
pub fn check_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    live_token(conn, token, purpose, now)
        .map(drop)
        .map_err(|e| ServiceError::Validation(e.into()))
}

/// A time in the display zone, for an e-mail.
fn local_time(engine: &Engine, at: NaiveDateTime, en: bool) -> String {
    let local = engine.timezone.from_utc_datetime(&at);
    let zone = if en {
        " (Beijing time)"
    } else {
        "（北京时间）"
    };
    format!("{}{zone}", local.format("%Y-%m-%d %H:%M"))
}

/// One account e-mail into the outbox, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
fn send(
    conn: &mut DbConnection,
    engine: &Engine,
    kind: EmailKind,
    to: (&str, &str, &str),
    firm: &str,
    link: String,
    comment: &str,
    due: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let (email, name, language) = to;
    let en = Lang::from_tag(language) == Some(Lang::En);
    let email = NewEmail {
        kind,
        event_id: new_id(),
        reference: firm.to_string(),
        application_id: None,
        recipient: email.to_string(),
        context: EmailContext {
            en,
            name: name.to_string(),
            reference: firm.to_string(),
            link,
            comment: comment.to_string(),
            due: due.map(|d| local_time(engine, d, en)).unwrap_or_default(),
            ..Default::default()
        },
    };
    enqueue(conn, &email, &engine.mail_domain, now).map_err(|e| match e {
        crate::mail::outbox::EnqueueError::Database(e) => ServiceError::from(e),
        other => ServiceError::Internal(anyhow::anyhow!("{other}")),
    })
}

fn link(engine: &Engine, path: &str, token: &str) -> String {
    format!(
        "{}{path}?token={token}",
        engine.base_url.trim_end_matches('/')
    )
}

/// What a firm's registration gives.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub firm_code: String,
    pub firm_name: String,
    pub licence_no: String,
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    pub password: Secret,
    pub language: String,
}

pub fn parse_language(field: &str, raw: &str) -> Result<Lang, FieldError> {
    Lang::from_tag(raw).ok_or_else(|| {
        FieldError::new(
            field,
            Message::new("error.unknown_language").with("value", raw.trim()),
        )
    })
}

/// A registration, checked. Throttled per address and e-mail; the same answer (a new id) and
/// the same work whether or not the e-mail has an account: a new one gets the confirmation
/// link, one that has an account (or a registration waiting for approval) gets a notice.
pub fn register(
    conn: &mut DbConnection,
    engine: &Engine,
    new: &NewRegistration,
    address: &str,
    now: NaiveDateTime,
) -> Result<String, ServiceError> {
    let mut errors = ValidationErrors::default();
    let code = errors.collect(CreditCode::parse("firm_code", &new.firm_code));
    let firm_name = errors.collect(text("firm_name", Some(&new.firm_name), 100));
    let licence = errors.collect(parse_licence("licence_no", &new.licence_no));
    let contact = errors.collect(text("contact_name", Some(&new.contact_name), 100));
    let phone = errors.collect(parse_phone("phone", &new.phone));
    let email = errors.collect(EmailAddress::parse("email", &new.email));
    let language = errors.collect(parse_language("language", &new.language));
    if !password_is_strong(
        new.password.expose(),
        &[&new.email, &new.contact_name, &new.firm_name, "permitflow"],
    ) {
        errors.push(FieldError::new(
            "password",
            Message::new("error.weak_password"),
        ));
    }
    throttle(
        conn,
        REGISTER,
        address,
        email.as_ref().map(|e| e.as_str()),
        now,
    )?;
    let (
        Some(code),
        Some(firm_name),
        Some(licence),
        Some(contact),
        Some(phone),
        Some(email),
        Some(language),
        true,
    ) = (
        code,
        firm_name,
        licence,
        contact,
        phone,
        email,
        language,
        errors.is_empty(),
    )
    else {
        return Err(errors.into());
    };
    // Hashing takes a good part of a second on purpose, for a new address and a known one
    // alike; outside the write transaction.
    let password_hash = hash_password(new.password.expose())?;
    let id = new_id();
    write_transaction(conn, |conn| -> Result<(), ServiceError> {
        let email = email.as_str();
        let account = users_q::find_user_by_email(conn, email)?;
        let waiting = q::pending_with_email(conn, email)?;
        if account.is_some() || waiting.is_some() {
            let (name, lang) = match (&account, &waiting) {
                (Some(user), _) => (user.name.clone(), user.language.clone()),
                (None, Some(reg)) => (reg.contact_name.clone(), reg.language.clone()),
                (None, None) => unreachable!(),
            };
            let sign_in = format!("{}/login", engine.base_url.trim_end_matches('/'));
            send(
                conn,
                engine,
                EmailKind::RegistrationExists,
                (email, &name, &lang),
                &firm_name,
                sign_in,
                "",
                None,
                now,
            )?;
            let detail =
                serde_json::json!({"firm_code": code.as_str(), "account": account.is_some()});
            audit::record(conn, now, None, "registration_repeated", email, detail)?;
            return Ok(());
        }
        // An older unconfirmed registration of the address gives way to this one.
        for older in q::unconfirmed_with_email(conn, email)? {
            q::set_registration_status(conn, &older.id, "email_unverified", "expired", now)?;
        }
        let row = RegistrationRow {
            id: id.clone(),
            firm_code: code.as_str().to_string(),
            firm_name: firm_name.clone(),
            licence_no: licence.clone(),
            contact_name: contact.clone(),
            phone: phone.clone(),
            email: email.to_string(),
            password_hash: password_hash.clone(),
            language: language.tag().to_string(),
            status: "email_unverified".into(),
            created_at: now,
            confirmed_at: None,
            decided_at: None,
            decided_by: None,
            reason: None,
            user_id: None,
        };
        q::insert_registration(conn, &row)?;
        let (token, token_row) = new_token("confirm", Some(&id), None, now, CONFIRM_TTL);
        q::insert_token(conn, &token_row)?;
        send(
            conn,
            engine,
            EmailKind::RegistrationConfirm,
            (email, &contact, language.tag()),
            &firm_name,
            link(engine, "/register/confirm", &token),
            "",
            Some(token_row.expires_at),
            now,
        )?;
        let detail = serde_json::json!({"registration": id, "firm_code": row.firm_code,
            "firm_name": row.firm_name, "address": address});
        audit::record(conn, now, None, "registration_submitted", email, detail)?;
        Ok(())
    })?;
    Ok(id)
}

/// The e-mail's link followed: the registration now waits for an admin, and every admin is
/// told so (in their language), so that a firm is not left waiting unseen.
pub fn confirm_registration(
    conn: &mut DbConnection,
    engine: &Engine,
    token: &str,
    now: NaiveDateTime,
) -> Result<RegistrationRow, ServiceError> {
    write_transaction(conn, |conn| {
        let token = live_token(conn, token, "confirm", now).map_err(ValidationErrors::from)?;
        let registration = token
            .registration_id
            .as_deref()
            .map(|id| q::find_registration(conn, id))
            .transpose()?
            .flatten()
            .ok_or(ServiceError::NotFound)?;
        if registration.status == "expired" {
            // A later registration of the same address replaced it.
            return Err(FieldError::new("token", Message::new("error.token_expired")).into());
        }
        if !q::use_token(conn, &token.id, now)?
            || !q::set_registration_status(
                conn,
                &registration.id,
                "email_unverified",
                "pending",
                now,
            )?
        {
            return Err(FieldError::new("token", Message::new("error.token_used")).into());
        }
        audit::record(
            conn,
            now,
            None,
            "registration_confirmed",
            &registration.email,
            serde_json::json!({"registration": registration.id}),
        )?;
        let list = format!(
            "{}/admin/registrations",
            engine.base_url.trim_end_matches('/')
        );
        let about = format!("{} · {}", registration.firm_code, registration.contact_name);
        for admin in users_q::active_with_role(conn, Role::Admin.as_str())? {
            send(
                conn,
                engine,
                EmailKind::RegistrationWaiting,
                (&admin.email, &admin.name, &admin.language),
                &registration.firm_name,
                list.clone(),
                &about,
                None,
                now,
            )?;
        }
        Ok(RegistrationRow {
            status: "pending".into(),
            confirmed_at: Some(now),
            ..registration
        })
    })
}

/// A registration for an admin, with the firm its credit code already belongs to.
#[derive(Debug, Clone)]
pub struct RegistrationView {
    pub row: RegistrationRow,
    pub existing_firm: Option<String>,
}

pub fn registrations(
    conn: &mut DbConnection,
    caller: &Caller,
    status: Option<&str>,
) -> Result<Vec<RegistrationView>, ServiceError> {
    admin_only(caller)?;
    if let Some(status) = status {
        if !q::STATUSES.contains(&status) {
            return Err(FieldError::new(
                "status",
                Message::new("error.unknown_status").with("value", status),
            )
            .into());
        }
    }
    Ok(q::registrations_in(conn, status, 500)?
        .into_iter()
        .map(|(row, existing_firm)| RegistrationView { row, existing_firm })
        .collect())
}

fn admin_only(caller: &Caller) -> Result<(), ServiceError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("admins only".into()))
    }
}

/// A registration waiting for a decision, or why not.
fn waiting(conn: &mut DbConnection, id: &str) -> Result<RegistrationRow, ServiceError> {
    let row = q::find_registration(conn, id)?.ok_or(ServiceError::NotFound)?;
    if row.status != "pending" {
        return Err(ServiceError::Conflict(format!(
            "the registration is {}, not waiting for approval",
            row.status
        )));
    }
    Ok(row)
}

/// An admin approves: the contact becomes an applicant of the firm (created, with its licence
/// and the qualification recorded, when its credit code is new; else a colleague there), and
/// is e-mailed. Returns the account.
pub fn approve_registration(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    oversize_qualified: bool,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    admin_only(caller)?;
    write_transaction(conn, |conn| {
        let reg = waiting(conn, id)?;
        if users_q::find_user_by_email(conn, &reg.email)?.is_some() {
            return Err(ServiceError::Conflict(
                "the registration's e-mail has an account now".into(),
            ));
        }
        let (firm, new_firm) = match users_q::find_firm_by_credit_code(conn, &reg.firm_code)? {
            Some(firm) => {
                let licence = firm.licence_no.clone().unwrap_or(reg.licence_no.clone());
                users_q::set_firm_registered(conn, &firm.id, &licence, oversize_qualified)?;
                (firm, false)
            }
            None => {
                let firm = FirmRow {
                    id: new_id(),
                    credit_code: reg.firm_code.clone(),
                    name: reg.firm_name.clone(),
                    oversize_qualified,
                    restricted_until: None,
                    created_at: now,
                    licence_no: Some(reg.licence_no.clone()),
                };
                users_q::insert_firm(conn, &firm)?;
                (firm, true)
            }
        };
        let user = UserRow {
            id: new_id(),
            email: reg.email.clone(),
            name: reg.contact_name.clone(),
            role: Role::Applicant.as_str().to_string(),
            password_hash: reg.password_hash.clone(),
            firm_id: Some(firm.id.clone()),
            authority_code: None,
            scope_jurisdiction: None,
            language: reg.language.clone(),
            active: true,
            created_at: now,
            firm_holder: !users_q::firm_has_holder(conn, &firm.id)?,
        };
        users_q::insert_user(conn, &user)?;
        if !q::set_registration_status(conn, id, "pending", "approved", now)? {
            return Err(ServiceError::Conflict("decided meanwhile".into()));
        }
        q::record_decision(conn, id, &caller.user.id, now, None, Some(&user.id))?;
        let sign_in = format!("{}/login", engine.base_url.trim_end_matches('/'));
        send(
            conn,
            engine,
            EmailKind::RegistrationApproved,
            (&user.email, &user.name, &user.language),
            &firm.name,
            sign_in,
            "",
            None,
            now,
        )?;
        let detail = serde_json::json!({"registration": id, "firm_id": firm.id,
            "new_firm": new_firm, "oversize_qualified": oversize_qualified,
            "firm_holder": user.firm_holder});
        audit::record(
            conn,
            now,
            Some(&caller.user.id),
            "registration_approved",
            &reg.email,
            detail,
        )?;
        Ok(user)
    })
}

/// An admin refuses, saying why; the contact is e-mailed the reason.
pub fn reject_registration(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    admin_only(caller)?;
    let reason = text("reason", Some(reason), 500)?;
    write_transaction(conn, |conn| {
        let reg = waiting(conn, id)?;
        if !q::set_registration_status(conn, id, "pending", "rejected", now)? {
            return Err(ServiceError::Conflict("decided meanwhile".into()));
        }
        q::record_decision(conn, id, &caller.user.id, now, Some(&reason), None)?;
        let register = format!("{}/register", engine.base_url.trim_end_matches('/'));
        send(
            conn,
            engine,
            EmailKind::RegistrationRejected,
            (&reg.email, &reg.contact_name, &reg.language),
            &reg.firm_name,
            register,
            &reason,
            None,
            now,
        )?;
        audit::record(
            conn,
            now,
            Some(&caller.user.id),
            "registration_rejected",
            &reg.email,
            serde_json::json!({"registration": id, "reason": reason}),
        )?;
        Ok(())
    })
}

/// Registrations left unconfirmed past their link's life expire (and lose their password
/// hash); run with the background jobs. Returns how many.
pub fn expire_registrations(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<usize, ServiceError> {
    write_transaction(conn, |conn| {
        let mut expired = 0;
        for reg in q::unconfirmed_before(conn, now - CONFIRM_TTL)? {
            if q::set_registration_status(conn, &reg.id, "email_unverified", "expired", now)? {
                audit::record(
                    conn,
                    now,
                    None,
                    "registration_expired",
                    &reg.email,
                    serde_json::json!({"registration": reg.id}),
                )?;
                expired += 1;
            }
        }
        Ok(expired)
    })
}

/// "Forgot my password": an e-mail with a link for an hour when the address has an active
/// account, nothing otherwise; the caller answers the same either way.
pub fn request_password_reset(
    conn: &mut DbConnection,
    engine: &Engine,
    email: &str,
    address: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let email = EmailAddress::parse("email", email)?;
    throttle(conn, RESET, address, Some(email.as_str()), now)?;
    write_transaction(conn, |conn| {
        let user = users_q::find_user_by_email(conn, email.as_str())?
            .filter(|u| u.active && !u.password_hash.is_empty());
        if let Some(user) = &user {
            let (token, row) = new_token("reset", None, Some(&user.id), now, RESET_TTL);
            q::insert_token(conn, &row)?;
            let firm = match &user.firm_id {
                Some(id) => users_q::find_firm(conn, id)?.map(|f| f.name),
                None => None,
            };
            send(
                conn,
                engine,
                EmailKind::PasswordReset,
                (&user.email, &user.name, &user.language),
                &firm.unwrap_or_default(),
                link(engine, "/password-reset/confirm", &token),
                "",
                Some(row.expires_at),
                now,
            )?;
        }
        let detail = serde_json::json!({"account": user.is_some(), "address": address});
        audit::record(
            conn,
            now,
            None,
            "password_reset_requested",
            email.as_str(),
            detail,
        )?;
        Ok(())
    })
}

/// A new password by a reset link: every other link, token and session of the account ends.
pub fn confirm_password_reset(
    conn: &mut DbConnection,
    token: &str,
    password: &Secret,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    set_password_by_token(conn, token, "reset", password, None, now)
}

/// An invited colleague chooses a password (and may correct the name): the account opens.
pub fn accept_invitation(
    conn: &mut DbConnection,
    token: &str,
    password: &Secret,
    name: Option<&str>,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    set_password_by_token(conn, token, "invite", password, name, now)
}

fn set_password_by_token(
    conn: &mut DbConnection,
    token: &str,
    purpose: &str,
    password: &Secret,
    name: Option<&str>,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let mut errors = ValidationErrors::default();
    let found = errors.collect(live_token(conn, token, purpose, now));
    let user = match found.as_ref().and_then(|t| t.user_id.as_deref()) {
        Some(id) => users_q::find_user(conn, id)?,
        None => None,
    };
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => errors.collect(text("name", Some(n), 100)),
        None => user.as_ref().map(|u| u.name.clone()),
    };
    let inputs = user
        .as_ref()
        .map(|u| vec![u.email.clone(), u.name.clone()])
        .unwrap_or_default();
    let mut inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    inputs.push("permitflow");
    if !password_is_strong(password.expose(), &inputs) {
        errors.push(FieldError::new(
            "password",
            Message::new("error.weak_password"),
        ));
    }
    let (Some(token), Some(user), Some(name), true) = (found, user, name, errors.is_empty()) else {
        if errors.is_empty() {
            errors.push(FieldError::new(
                "token",
                Message::new("error.token_invalid"),
            ));
        }
        return Err(errors.into());
    };
    let hash = hash_password(password.expose())?;
    write_transaction(conn, |conn| {
        if !q::use_token(conn, &token.id, now)? {
            return Err(FieldError::new("token", Message::new("error.token_used")).into());
        }
        let current = users_q::find_user(conn, &user.id)?.ok_or(ServiceError::NotFound)?;
        let kind = match purpose {
            "invite" => {
                // Switched off (or accepted) since the invitation was sent: it no longer opens.
                if !current.password_hash.is_empty() || current.active {
                    return Err(FieldError::new("token", Message::new("error.token_used")).into());
                }
                users_q::set_name_and_language(conn, &user.id, &name, &current.language)?;
                users_q::set_active(conn, &user.id, true)?;
                "invitation_accepted"
            }
            _ => {
                if !current.active {
                    return Err(
                        FieldError::new("token", Message::new("error.token_invalid")).into(),
                    );
                }
                "password_reset"
            }
        };
        users_q::set_password_hash(conn, &user.id, &hash)?;
        users_q::delete_tokens_of(conn, &user.id)?;
        q::end_tokens_of_user(conn, &user.id, "reset", now)?;
        users_q::clear_failures_for_email(conn, &user.email)?;
        audit::record(
            conn,
            now,
            Some(&user.id),
            kind,
            &user.email,
            serde_json::json!({}),
        )?;
        Ok(UserRow {
            password_hash: hash.clone(),
            active: true,
            name: name.clone(),
            ..current
        })
    })
}

/// The firm's account holder, or 403.
fn holder(caller: &Caller) -> Result<&str, ServiceError> {
    match (&caller.user.firm_id, caller.user.firm_holder) {
        (Some(firm), true) if caller.role == Role::Applicant => Ok(firm),
        _ => Err(ServiceError::Forbidden(
            "only the firm's account holder manages colleagues".into(),
        )),
    }
}

/// How a colleague's account stands, for the holder's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColleagueState {
    Active,
    /// Invited, the link still works.
    Invited,
    /// Invited, the link has expired unused: invite again.
    InvitationExpired,
    SwitchedOff,
}

impl ColleagueState {
    pub fn as_str(self) -> &'static str {
        match self {
            ColleagueState::Active => "active",
            ColleagueState::Invited => "invited",
            ColleagueState::InvitationExpired => "invitation_expired",
            ColleagueState::SwitchedOff => "switched_off",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Colleague {
    pub user: UserRow,
    pub state: ColleagueState,
}

/// The firm's accounts, for its holder.
pub fn colleagues(
    conn: &mut DbConnection,
    caller: &Caller,
    now: NaiveDateTime,
) -> Result<Vec<Colleague>, ServiceError> {
    let firm = holder(caller)?;
    let mut out = Vec::new();
    for user in users_q::firm_users(conn, firm)? {
        let state = if user.active {
            ColleagueState::Active
        } else if !user.password_hash.is_empty() {
            ColleagueState::SwitchedOff
        } else {
            match q::invitation_of(conn, &user.id)? {
                Some(t) if t.used_at.is_none() && t.expires_at > now => ColleagueState::Invited,
                Some(t) if t.used_at.is_some() => ColleagueState::SwitchedOff,
                _ => ColleagueState::InvitationExpired,
            }
        };
        out.push(Colleague { user, state });
    }
    Ok(out)
}

/// The holder invites a colleague by e-mail (a link to choose a password, for a week); asking
/// again for one who has not accepted yet sends a new link. Returns the colleague's account.
pub fn invite(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    email: &str,
    name: &str,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let firm_id = holder(caller)?.to_string();
    let mut errors = ValidationErrors::default();
    let email = errors.collect(EmailAddress::parse("email", email));
    let name = errors.collect(text("name", Some(name), 100));
    let (Some(email), Some(name), true) = (email, name, errors.is_empty()) else {
        return Err(errors.into());
    };
    throttle(conn, INVITE, &caller.user.id, Some(email.as_str()), now)?;
    write_transaction(conn, |conn| {
        let existing = users_q::find_user_by_email(conn, email.as_str())?;
        let user = match existing {
            // Not accepted yet, of this firm: a new link.
            Some(user)
                if user.firm_id.as_deref() == Some(firm_id.as_str())
                    && !user.active
                    && user.password_hash.is_empty() =>
            {
                q::end_tokens_of_user(conn, &user.id, "invite", now)?;
                user
            }
            Some(_) => {
                return Err(
                    FieldError::new("email", Message::new("error.email_has_account")).into(),
                )
            }
            None if q::pending_with_email(conn, email.as_str())?.is_some() => {
                return Err(
                    FieldError::new("email", Message::new("error.email_has_account")).into(),
                )
            }
            None => {
                let user = UserRow {
                    id: new_id(),
                    email: email.as_str().to_string(),
                    name: name.clone(),
                    role: Role::Applicant.as_str().to_string(),
                    password_hash: String::new(),
                    firm_id: Some(firm_id.clone()),
                    authority_code: None,
                    scope_jurisdiction: None,
                    language: caller.user.language.clone(),
                    active: false,
                    created_at: now,
                    firm_holder: false,
                };
                users_q::insert_user(conn, &user)?;
                user
            }
        };
        let (token, row) = new_token("invite", None, Some(&user.id), now, INVITE_TTL);
        q::insert_token(conn, &row)?;
        let firm = users_q::find_firm(conn, &firm_id)?.ok_or(ServiceError::NotFound)?;
        send(
            conn,
            engine,
            EmailKind::Invitation,
            (&user.email, &user.name, &user.language),
            &firm.name,
            link(engine, "/invitation", &token),
            &caller.user.name,
            Some(row.expires_at),
            now,
        )?;
        audit::record(
            conn,
            now,
            Some(&caller.user.id),
            "colleague_invited",
            &user.email,
            serde_json::json!({"firm_id": firm_id}),
        )?;
        Ok(user)
    })
}

/// The holder switches a colleague off (every session, token and open invitation of theirs
/// ends at once) or back on. The firm's applications stay the firm's either way.
pub fn set_colleague_active(
    conn: &mut DbConnection,
    caller: &Caller,
    colleague_id: &str,
    active: bool,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let firm_id = holder(caller)?.to_string();
    write_transaction(conn, |conn| {
        let colleague = users_q::find_user(conn, colleague_id)?
            .filter(|u| u.firm_id.as_deref() == Some(firm_id.as_str()))
            .ok_or(ServiceError::NotFound)?;
        if colleague.id == caller.user.id {
            return Err(ServiceError::Conflict(
                "the account holder cannot switch themselves off".into(),
            ));
        }
        if active && colleague.password_hash.is_empty() {
            return Err(ServiceError::Conflict(
                "the invitation has not been accepted yet: invite again".into(),
            ));
        }
        users_q::set_active(conn, &colleague.id, active)?;
        if !active {
            users_q::delete_tokens_of(conn, &colleague.id)?;
            for purpose in ["invite", "reset"] {
                q::end_tokens_of_user(conn, &colleague.id, purpose, now)?;
            }
        }
        let kind = if active {
            "colleague_activated"
        } else {
            "colleague_deactivated"
        };
        audit::record(
            conn,
            now,
            Some(&caller.user.id),
            kind,
            &colleague.email,
            serde_json::json!({"firm_id": firm_id}),
        )?;
        Ok(UserRow {
            active,
            ..colleague
        })
    })
}

/// The signed-in user's own name and language ("my account", `PATCH /me`, the header's
/// language switch); an audit event when something changed.
pub fn update_me(
    conn: &mut DbConnection,
    caller: &Caller,
    name: Option<&str>,
    language: Option<&str>,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let mut errors = ValidationErrors::default();
    let name = match name {
        Some(n) => errors.collect(text("name", Some(n), 100)),
        None => Some(caller.user.name.clone()),
    };
    let language = match language {
        Some(l) => errors.collect(parse_language("language", l)).map(Lang::tag),
        None => Lang::from_tag(&caller.user.language).map(Lang::tag),
    };
    let (Some(name), Some(language), true) = (name, language, errors.is_empty()) else {
        return Err(errors.into());
    };
    write_transaction(conn, |conn| {
        let user = users_q::find_user(conn, &caller.user.id)?.ok_or(ServiceError::NotFound)?;
        if user.name == name && user.language == language {
            return Ok(user);
        }
        users_q::set_name_and_language(conn, &user.id, &name, language)?;
        audit::record(
            conn,
            now,
            Some(&user.id),
            "account_updated",
            &user.email,
            serde_json::json!({"name": name, "language": language}),
        )?;
        Ok(UserRow {
            name: name.clone(),
            language: language.to_string(),
            ..user
        })
    })
}

/// The signed-in user changes their password, giving the current one; their other sessions
/// and tokens end. Returns the account with its new hash (for the caller's new session).
pub fn change_password(
    conn: &mut DbConnection,
    caller: &Caller,
    current: &Secret,
    new: &Secret,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let user = users_q::find_user(conn, &caller.user.id)?.ok_or(ServiceError::NotFound)?;
    let mut errors = ValidationErrors::default();
    if !super::users::verify_password(current.expose(), &user.password_hash) {
        errors.push(FieldError::new(
            "current_password",
            Message::new("error.wrong_password"),
        ));
    }
    if !password_is_strong(new.expose(), &[&user.email, &user.name, "permitflow"]) {
        errors.push(FieldError::new(
            "password",
            Message::new("error.weak_password"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let hash = hash_password(new.expose())?;
    write_transaction(conn, |conn| {
        users_q::set_password_hash(conn, &user.id, &hash)?;
        users_q::delete_tokens_of(conn, &user.id)?;
        q::end_tokens_of_user(conn, &user.id, "reset", now)?;
        audit::record(
            conn,
            now,
            Some(&user.id),
            "password_changed",
            &user.email,
            serde_json::json!({}),
        )?;
        Ok(UserRow {
            password_hash: hash.clone(),
            ..user.clone()
        })
    })
}
