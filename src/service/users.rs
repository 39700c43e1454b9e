//! Users and credentials: creating users (with their firm, authority or scope), password
//! hashing, API tokens, and sign-in throttling per account and per address.

use super::ServiceError;
use crate::config::Secret;
use crate::db::admin_events as audit;
use crate::db::users::{self as q, ApiTokenRow, FirmRow, UserRow};
use crate::db::{new_id, reference, write_transaction, DbConnection};
use crate::domain::role::Role;
use crate::domain::values::{CreditCode, EmailAddress};
use crate::domain::{FieldError, Message, ValidationErrors};
use crate::i18n::Lang;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{NaiveDateTime, TimeDelta};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// What `user create` (and later the admin pages) asks for.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: Secret,
    pub firm_code: Option<String>,
    pub firm_name: Option<String>,
    pub authority: Option<String>,
    pub scope: Option<String>,
    pub language: Lang,
}

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A password is strong enough if it is long and zxcvbn (which knows common passwords,
/// keyboard walks, dates and the user's own details) rates it "safely unguessable" or better.
pub fn password_is_strong(password: &str, user_inputs: &[&str]) -> bool {
    password.chars().count() >= MIN_PASSWORD_CHARS
        && zxcvbn::zxcvbn(password, user_inputs).score() >= zxcvbn::Score::Three
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
        .to_string())
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verified instead when the account does not exist, so that timing does not tell.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no account has this password").unwrap_or_default());

/// Creates a user, and the applicant's firm when its credit code is new, with its audit event
/// (`actor` is the admin; none from the command line). All or nothing; every problem at once.
pub fn create_user(
    conn: &mut DbConnection,
    actor: Option<&str>,
    new: &NewUser,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let mut errors = ValidationErrors::default();
    let email = errors.collect(EmailAddress::parse("email", &new.email));
    let name = errors.collect(crate::domain::values::text("name", Some(&new.name), 100));
    let role = errors.collect(new.role.parse::<Role>().map_err(|_| {
        FieldError::new(
            "role",
            Message::new("error.unknown_role").with("value", &new.role),
        )
    }));
    if !password_is_strong(
        new.password.expose(),
        &[&new.email, &new.name, "permitflow"],
    ) {
        errors.push(FieldError::new(
            "password",
            Message::new("error.weak_password"),
        ));
    }
    let Some(role) = role else {
        return Err(errors.into());
    };
    check_fields_for_role(new, role, &mut errors);
    let credit_code = new
        .firm_code
        .as_deref()
        .and_then(|c| errors.collect(CreditCode::parse("firm_code", c)));
    // Hashing takes a good part of a second on purpose: done before the write transaction,
    // which then holds only database work (and only for input that may pass).
    let password_hash = if errors.is_empty() {
        Some(hash_password(new.password.expose())?)
    } else {
        None
    };
    write_transaction(conn, |conn| {
        if let Some(email) = &email {
            if q::find_user_by_email(conn, email.as_str())?.is_some() {
                errors.push(FieldError::new("email", Message::new("error.email_taken")));
            }
        }
        let authority = known_authority(conn, new.authority.as_deref(), &mut errors)?;
        let scope = manager_scope(conn, role, new.scope.as_deref(), &mut errors)?;
        let firm_id = match &credit_code {
            Some(code) => firm_of(conn, code, new.firm_name.as_deref(), &mut errors, now)?,
            None => None,
        };
        let (Some(email), Some(name), Some(password_hash), true) =
            (&email, &name, password_hash.clone(), errors.is_empty())
        else {
            return Err(ServiceError::Validation(std::mem::take(&mut errors)));
        };
        // A firm's first account holds it (invites colleagues, switches them off).
        let firm_holder = match &firm_id {
            Some(firm) => !q::firm_has_holder(conn, firm)?,
            None => false,
        };
        let user = UserRow {
            id: new_id(),
            email: email.as_str().to_string(),
            name: name.clone(),
            role: role.as_str().to_string(),
            password_hash,
            firm_id,
            authority_code: authority,
            scope_jurisdiction: scope,
            language: new.language.tag().to_string(),
            active: true,
            created_at: now,
            firm_holder,
        };
        q::insert_user(conn, &user)?;
        let detail = serde_json::json!({"role": user.role, "firm_id": user.firm_id,
            "authority": user.authority_code, "scope": user.scope_jurisdiction});
        audit::record(conn, now, actor, "user_created", &user.email, detail)?;
        Ok(user)
    })
}

/// A firm code for applicants only, an authority for reviewers only, a scope for managers.
fn check_fields_for_role(new: &NewUser, role: Role, errors: &mut ValidationErrors) {
    let not_for_role =
        |field: &str| FieldError::new(field, Message::new("error.not_for_role").with("role", role));
    let mut wants = |field: &str, given: bool, needed: bool| {
        if given && !needed {
            errors.push(not_for_role(field));
        } else if !given && needed {
            errors.push(FieldError::new(field, Message::new("error.required")));
        }
    };
    wants(
        "firm_code",
        new.firm_code.is_some(),
        role == Role::Applicant,
    );
    wants("authority", new.authority.is_some(), role == Role::Reviewer);
    if new.scope.is_some() && role != Role::Manager {
        errors.push(not_for_role("scope"));
    }
}

/// The reviewer's authority, if it exists.
fn known_authority(
    conn: &mut DbConnection,
    code: Option<&str>,
    errors: &mut ValidationErrors,
) -> Result<Option<String>, ServiceError> {
    let Some(code) = code else {
        return Ok(None);
    };
    let found = reference::find_authority(conn, code.trim())?;
    if found.is_none() {
        errors.push(FieldError::new(
            "authority",
            Message::new("error.unknown_authority").with("value", code),
        ));
    }
    Ok(found.map(|a| a.code))
}

/// A manager's jurisdiction: the one given, or without one the whole region.
fn manager_scope(
    conn: &mut DbConnection,
    role: Role,
    code: Option<&str>,
    errors: &mut ValidationErrors,
) -> Result<Option<String>, ServiceError> {
    if role != Role::Manager {
        return Ok(None);
    }
    if let Some(code) = code {
        let found = reference::find_jurisdiction(conn, code.trim())?;
        if found.is_none() {
            errors.push(FieldError::new(
                "scope",
                Message::new("error.unknown_jurisdiction").with("value", code),
            ));
        }
        return Ok(found.map(|j| j.code));
    }
    let regions: Vec<_> = reference::all_jurisdictions(conn)?
        .into_iter()
        .filter(|j| j.level == "region")
        .collect();
    match regions.as_slice() {
        [region] => Ok(Some(region.code.clone())),
        _ => {
            errors.push(FieldError::new(
                "scope",
                Message::new("error.scope_required"),
            ));
            Ok(None)
        }
    }
}

/// The applicant's firm by its credit code, created (with its name) when it is new and
/// nothing else is wrong.
fn firm_of(
    conn: &mut DbConnection,
    code: &CreditCode,
    firm_name: Option<&str>,
    errors: &mut ValidationErrors,
    now: NaiveDateTime,
) -> Result<Option<String>, ServiceError> {
    if let Some(firm) = q::find_firm_by_credit_code(conn, code.as_str())? {
        return Ok(Some(firm.id));
    }
    match firm_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(firm_name) if errors.is_empty() => {
            let firm = FirmRow {
                id: new_id(),
                credit_code: code.as_str().to_string(),
                name: firm_name.to_string(),
                oversize_qualified: true,
                restricted_until: None,
                created_at: now,
                licence_no: None,
            };
            q::insert_firm(conn, &firm)?;
            Ok(Some(firm.id))
        }
        Some(_) => Ok(None),
        None => {
            errors.push(FieldError::new(
                "firm_name",
                Message::new("error.firm_name_required"),
            ));
            Ok(None)
        }
    }
}

/// How many failures within `WINDOW` lock an account or an address.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);

#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// Shown once, to the caller; only its hash is stored.
    pub token: String,
    pub expires_at: NaiveDateTime,
    pub user: UserRow,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Signs in with e-mail and password from `address`; a token on success.
pub fn issue_token(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
    address: &str,
    now: NaiveDateTime,
    ttl: TimeDelta,
) -> Result<TokenGrant, ServiceError> {
    let user = authenticate(conn, email, password, address, now)?;
    let token = format!("pf_{}", hex::encode(rand::random::<[u8; 32]>()));
    let row = ApiTokenRow {
        id: new_id(),
        user_id: user.id.clone(),
        token_hash: hash_token(&token),
        created_at: now,
        expires_at: now + ttl,
    };
    write_transaction(conn, |conn| {
        q::insert_token(conn, &row)?;
        q::delete_expired_tokens(conn, now)
    })?;
    Ok(TokenGrant {
        token,
        expires_at: row.expires_at,
        user,
    })
}

/// Checks e-mail and password from `address` (for a token or a web session). While an account
/// or address is locked, even the right password gets `RateLimited`, so the lock tells nothing.
pub fn authenticate(
    conn: &mut DbConnection,
    email: &str,
    password: &str,
    address: &str,
    now: NaiveDateTime,
) -> Result<UserRow, ServiceError> {
    let email = email.trim().to_lowercase();
    let since = now - FAILURE_WINDOW;
    // The attempt is counted as a failure before the password is checked, in one transaction
    // with the count (serialised across instances), so that however many arrive at once no
    // more than the limit are ever checked; the right password then takes it back.
    write_transaction(conn, |conn| -> Result<(), ServiceError> {
        q::lock_sign_in(conn)?;
        for (count, oldest, max) in [
            {
                let (c, o) = q::failures_for_email(conn, &email, since)?;
                (c, o, MAX_FAILURES_PER_ACCOUNT)
            },
            {
                let (c, o) = q::failures_for_address(conn, address, since)?;
                (c, o, MAX_FAILURES_PER_ADDRESS)
            },
        ] {
            if count >= max {
                let until = oldest.unwrap_or(now) + FAILURE_WINDOW;
                let retry_after_secs = (until - now).num_seconds().max(1) as u64;
                return Err(ServiceError::RateLimited { retry_after_secs });
            }
        }
        q::record_login_failure(conn, &new_id(), &email, address, now)?;
        q::delete_failures_before(conn, since)?;
        Ok(())
    })?;
    let user = q::find_user_by_email(conn, &email)?.filter(|u| u.active);
    let verified = match &user {
        Some(u) => verify_password(password, &u.password_hash),
        None => {
            verify_password(password, &DUMMY_HASH);
            false
        }
    };
    match user.filter(|_| verified) {
        None => Err(ServiceError::WrongCredentials),
        Some(user) => {
            q::clear_failures_for_email(conn, &email)?;
            Ok(user)
        }
    }
}

/// Whether a bearer token is of the form this server hands out (`pf_…`); no other is looked up.
pub fn is_token(token: &str) -> bool {
    token.starts_with("pf_")
}

/// The active user holding the token with this hash (`hash_token`), if it is valid now, and
/// when it expires.
pub fn user_for_token_hash(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<(UserRow, NaiveDateTime)>, ServiceError> {
    Ok(q::user_for_token(conn, token_hash, now)?)
}

/// The firm's credit code of an applicant, for the API's `firm_code`.
pub fn firm_code_of(
    conn: &mut DbConnection,
    user: &UserRow,
) -> Result<Option<String>, ServiceError> {
    match &user.firm_id {
        Some(id) => Ok(q::find_firm(conn, id)?.map(|f| f.credit_code)),
        None => Ok(None),
    }
}

/// The account with this id, if any (a web session's user).
pub fn find_user(conn: &mut DbConnection, id: &str) -> Result<Option<UserRow>, ServiceError> {
    Ok(q::find_user(conn, id)?)
}

/// A short fingerprint of the password hash, kept in a web session: a new password changes
/// it, which ends the sessions signed in with the old one.
pub fn password_stamp(user: &UserRow) -> String {
    hex::encode(&Sha256::digest(user.password_hash.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        for weak in [
            "password",
            "permitflow-demo",
            "123456789012",
            "qwertyuiopas",
            "applicant@demo.local",
        ] {
            assert!(
                !password_is_strong(weak, &["applicant@demo.local", "permitflow"]),
                "{weak}"
            );
        }
        assert!(
            !password_is_strong("Xk9#mQ2v", &[]),
            "too short however random"
        );
        assert!(password_is_strong("blade convoy midnight tarmac", &[]));
    }

    #[test]
    fn password_hashes_verify_and_are_salted() {
        let a = hash_password("blade convoy midnight tarmac").unwrap();
        let b = hash_password("blade convoy midnight tarmac").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("blade convoy midnight tarmac", &a));
        assert!(!verify_password("blade convoy midnight tarmaC", &a));
        assert!(!verify_password("anything", "not a hash"));
    }
}
