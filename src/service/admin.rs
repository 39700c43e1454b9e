//! The administrator's work: accounts switched on and off, passwords set, firms' standing,
//! calendar days, the undeliverable e-mails; and what the admin pages list. Each change is
//! one transaction with its admin audit event.

use super::users::{hash_password, password_is_strong};
use super::{Caller, ServiceError};
use crate::config::Secret;
use crate::db::admin_events::{self as audit, AdminEventRow};
use crate::db::outbox::{self as outbox_q, OutboxRow, Stats};
use crate::db::users::{self as q, FirmRow, UserRow};
use crate::db::{reference, write_transaction, DbConnection};
use crate::domain::calendar::NATIONAL;
use crate::domain::role::Role;
use crate::domain::{FieldError, Message};
use chrono::NaiveDateTime;

fn admin_only(caller: &Caller) -> Result<(), ServiceError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("only administrators".into()))
    }
}

/// One page of the accounts and how many there are.
/// Accounts whose e-mail or name contains `search` (all when blank), a page of them.
pub fn users(
    conn: &mut DbConnection,
    search: &str,
    page: i64,
    per_page: i64,
) -> Result<(Vec<UserRow>, i64), ServiceError> {
    Ok(q::list_users(conn, search, page, per_page)?)
}

pub fn firms(conn: &mut DbConnection) -> Result<Vec<FirmRow>, ServiceError> {
    Ok(q::all_firms(conn)?)
}

/// The latest admin audit events with their actors' names, newest first.
pub fn recent_events(
    conn: &mut DbConnection,
    limit: i64,
) -> Result<Vec<(AdminEventRow, Option<String>)>, ServiceError> {
    Ok(audit::recent(conn, limit)?)
}

/// E-mails given up on (permanent errors or out of attempts), newest first; admins only.
pub fn failed_emails(
    conn: &mut DbConnection,
    caller: &Caller,
) -> Result<Vec<OutboxRow>, ServiceError> {
    admin_only(caller)?;
    Ok(outbox_q::failed(conn, 500)?)
}

/// Queues a failed e-mail again, due now, attempts reset; admins only.
pub fn retry_email(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    admin_only(caller)?;
    if outbox_q::retry(conn, id, now)? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The outbox's counts by state, for the metrics.
pub fn outbox_stats(conn: &mut DbConnection) -> Result<Stats, ServiceError> {
    Ok(outbox_q::stats(conn)?)
}

/// Admin changes with the names of who made them.
pub type ChangesBy = Vec<(AdminEventRow, Option<String>)>;

/// One account, with the admin changes made to it (newest first).
pub fn user(conn: &mut DbConnection, user_id: &str) -> Result<(UserRow, ChangesBy), ServiceError> {
    let user = q::find_user(conn, user_id)?.ok_or(ServiceError::NotFound)?;
    let events = audit::about(conn, &user.email, 50)?;
    Ok((user, events))
}

/// An admin corrects an account's name or the language its pages and e-mails use.
pub fn update_user(
    conn: &mut DbConnection,
    actor: &str,
    user_id: &str,
    name: &str,
    language: crate::i18n::Lang,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let (name, language) = (name.trim(), language.tag());
    if name.is_empty() {
        return Err(FieldError::new("name", Message::new("error.required")).into());
    }
    if name.chars().count() > 100 {
        return Err(
            FieldError::new("name", Message::new("error.too_long").with("max", 100)).into(),
        );
    }
    write_transaction(conn, |conn| {
        let user = q::find_user(conn, user_id)?.ok_or(ServiceError::NotFound)?;
        if user.name == name && user.language == language {
            return Ok(());
        }
        q::set_name_and_language(conn, user_id, name, language)?;
        audit::record(
            conn,
            now,
            Some(actor),
            "user_updated",
            &user.email,
            serde_json::json!({ "name": name, "language": language }),
        )?;
        Ok(())
    })
}

/// An admin switches an account on or off; switching off ends its API tokens at once (web
/// sessions end at their next request, which checks the account).
pub fn set_active(
    conn: &mut DbConnection,
    actor: &str,
    user_id: &str,
    active: bool,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    write_transaction(conn, |conn| {
        let user = q::find_user(conn, user_id)?.ok_or(ServiceError::NotFound)?;
        q::set_active(conn, user_id, active)?;
        if !active {
            q::delete_tokens_of(conn, user_id)?;
        }
        let kind = if active {
            "user_activated"
        } else {
            "user_deactivated"
        };
        audit::record(
            conn,
            now,
            Some(actor),
            kind,
            &user.email,
            serde_json::json!({}),
        )?;
        Ok(())
    })
}

/// An admin sets a new password (checked like any other); the old one's tokens and sessions end.
pub fn reset_password(
    conn: &mut DbConnection,
    actor: &str,
    user_id: &str,
    password: &Secret,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let user = q::find_user(conn, user_id)?.ok_or(ServiceError::NotFound)?;
    if !password_is_strong(password.expose(), &[&user.email, &user.name, "permitflow"]) {
        return Err(FieldError::new("password", Message::new("error.weak_password")).into());
    }
    let hash = hash_password(password.expose()).map_err(ServiceError::Internal)?;
    write_transaction(conn, |conn| {
        q::set_password_hash(conn, user_id, &hash)?;
        q::delete_tokens_of(conn, user_id)?;
        audit::record(
            conn,
            now,
            Some(actor),
            "password_set",
            &user.email,
            serde_json::json!({}),
        )?;
        Ok(())
    })
}

/// An admin records a firm's oversize-transport qualification and any restriction on applying
/// (after violations); submissions check both.
pub fn set_firm_standing(
    conn: &mut DbConnection,
    actor: &str,
    firm_id: &str,
    qualified: bool,
    restricted_until: Option<chrono::NaiveDate>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    write_transaction(conn, |conn| {
        let firm = q::find_firm(conn, firm_id)?.ok_or(ServiceError::NotFound)?;
        q::set_firm_standing(conn, firm_id, qualified, restricted_until)?;
        let detail = serde_json::json!({"oversize_qualified": qualified,
            "restricted_until": restricted_until.map(|d| d.to_string())});
        audit::record(
            conn,
            now,
            Some(actor),
            "firm_standing_set",
            &firm.credit_code,
            detail,
        )?;
        Ok(())
    })
}

/// One day of one calendar: the national one (`CN`) or a jurisdiction's own.
#[derive(Debug, Clone, Copy)]
pub struct CalendarDay<'a> {
    pub jurisdiction: &'a str,
    pub day: chrono::NaiveDate,
}

impl CalendarDay<'_> {
    /// The audit subject: the day, and whose calendar when not the national one.
    fn subject(&self) -> String {
        if self.jurisdiction == NATIONAL {
            self.day.to_string()
        } else {
            format!("{} {}", self.jurisdiction, self.day)
        }
    }
}

/// The national calendar or a jurisdiction the system serves; otherwise a field error.
fn known_calendar(conn: &mut DbConnection, jurisdiction: &str) -> Result<(), ServiceError> {
    let known = jurisdiction == NATIONAL
        || reference::all_jurisdictions(conn)?
            .iter()
            .any(|j| j.code == jurisdiction);
    if known {
        Ok(())
    } else {
        Err(crate::domain::FieldError::new(
            "jurisdiction",
            crate::domain::Message::new("error.unknown_jurisdiction").with("value", jurisdiction),
        )
        .into())
    }
}

/// An admin marks a day as a working day or a holiday (a notice the shipped calendar lacks);
/// deadlines use it from the next computation, and `migrate` leaves it alone.
pub fn set_calendar_day(
    conn: &mut DbConnection,
    actor: &str,
    day: CalendarDay<'_>,
    working: bool,
    note: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let note = crate::domain::values::text("note", Some(note), 200)?;
    write_transaction(conn, |conn| {
        known_calendar(conn, day.jurisdiction)?;
        reference::set_admin_day(conn, day.jurisdiction, day.day, working, &note)?;
        let detail = serde_json::json!({
            "jurisdiction": day.jurisdiction, "working": working, "note": note
        });
        audit::record(
            conn,
            now,
            Some(actor),
            "calendar_day_set",
            &day.subject(),
            detail,
        )?;
        Ok(())
    })
}

/// Takes an admin's day out again; the shipped calendar applies to it from the next `migrate`.
pub fn clear_calendar_day(
    conn: &mut DbConnection,
    actor: &str,
    day: CalendarDay<'_>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    write_transaction(conn, |conn| {
        if !reference::delete_admin_day(conn, day.jurisdiction, day.day)? {
            return Err(ServiceError::NotFound);
        }
        audit::record(
            conn,
            now,
            Some(actor),
            "calendar_day_cleared",
            &day.subject(),
            serde_json::json!({"jurisdiction": day.jurisdiction}),
        )?;
        Ok(())
    })
}
