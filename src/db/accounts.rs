//! Registrations of firms, the e-mailed single-use tokens of accounts, and the throttle on the
//! public account forms.

use super::schema::{account_tokens, firms, registrations, throttle_hits, users};
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A registration's states (the table's CHECK), those waiting for an admin first.
pub const STATUSES: [&str; 5] = [
    "pending",
    "email_unverified",
    "approved",
    "rejected",
    "expired",
];

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = registrations)]
pub struct RegistrationRow {
    pub id: String,
    pub firm_code: String,
    pub firm_name: String,
    pub licence_no: String,
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    /// Empty once the registration is decided or has expired.
    pub password_hash: String,
    pub language: String,
    /// email_unverified, pending, approved, rejected or expired.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = account_tokens)]
pub struct AccountTokenRow {
    pub id: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// confirm, reset or invite.
    pub purpose: String,
    pub registration_id: Option<String>,
    pub user_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert_registration(conn: &mut DbConnection, row: &RegistrationRow) -> QueryResult<()> {
    diesel::insert_into(registrations::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_registration(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<RegistrationRow>> {
    registrations::table
        .find(id)
        .select(RegistrationRow::as_select())
        .get_result(conn)
        .optional()
}

/// The registrations in `status` (all when none), each with the name of the firm its credit
/// code already belongs to, if any: those still waiting oldest first (first come, first
/// decided), the decided and expired newest first (the latest are the ones looked for).
pub fn registrations_in(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(RegistrationRow, Option<String>)>> {
    let mut query = registrations::table
        .left_join(firms::table.on(firms::credit_code.eq(registrations::firm_code)))
        .select((RegistrationRow::as_select(), firms::name.nullable()))
        .limit(limit)
        .into_boxed();
    query = match status {
        Some(waiting @ ("pending" | "email_unverified")) => query
            .filter(registrations::status.eq(waiting.to_string()))
            .order((registrations::created_at, registrations::id)),
        Some(decided) => query
            .filter(registrations::status.eq(decided.to_string()))
            .order((registrations::created_at.desc(), registrations::id.desc())),
        None => query.order((registrations::created_at.desc(), registrations::id.desc())),
    };
    query.load(conn)
}

/// A confirmed registration waiting with this e-mail, if any.
pub fn pending_with_email(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Option<RegistrationRow>> {
    registrations::table
        .filter(registrations::email.eq(email))
        .filter(registrations::status.eq("pending"))
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()
}

/// Moves a registration from `from` to its next state; false if it was not in `from` (a
/// concurrent decision got there first).
pub fn set_registration_status(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    to: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = registrations::table
        .filter(registrations::id.eq(id))
        .filter(registrations::status.eq(from));
    let changed = if to == "pending" {
        diesel::update(target)
            .set((
                registrations::status.eq(to),
                registrations::confirmed_at.eq(at),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((
                registrations::status.eq(to),
                registrations::password_hash.eq(""),
            ))
            .execute(conn)?
    };
    Ok(changed == 1)
}

/// Records an admin's decision on a registration (already moved to its new state).
pub fn record_decision(
    conn: &mut DbConnection,
    id: &str,
    by: &str,
    at: NaiveDateTime,
    reason: Option<&str>,
    user_id: Option<&str>,
) -> QueryResult<()> {
    diesel::update(registrations::table.find(id))
        .set((
            registrations::decided_by.eq(by),
            registrations::decided_at.eq(at),
            registrations::reason.eq(reason),
            registrations::user_id.eq(user_id),
        ))
        .execute(conn)
        .map(drop)
}

/// The unconfirmed registrations made before `before`, which have expired.
pub fn unconfirmed_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<Vec<RegistrationRow>> {
    registrations::table
        .filter(registrations::status.eq("email_unverified"))
        .filter(registrations::created_at.le(before))
        .select(RegistrationRow::as_select())
        .load(conn)
}

pub fn insert_token(conn: &mut DbConnection, row: &AccountTokenRow) -> QueryResult<()> {
    diesel::insert_into(account_tokens::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The token with this hash and purpose, used or not.
pub fn find_token(
    conn: &mut DbConnection,
    token_hash: &str,
    purpose: &str,
) -> QueryResult<Option<AccountTokenRow>> {
    account_tokens::table
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::purpose.eq(purpose))
        .select(AccountTokenRow::as_select())
        .get_result(conn)
        .optional()
}

/// Uses a token: false when it was used already (by a concurrent request too).
pub fn use_token(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::id.eq(id))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(at))
    .execute(conn)
    .map(|n| n == 1)
}

/// Ends every unused token of the account for `purpose`.
pub fn end_tokens_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(at))
    .execute(conn)
}

/// The newest invitation of a colleague still waiting, for the holder's list.
pub fn invitation_of(
    conn: &mut DbConnection,
    user_id: &str,
) -> QueryResult<Option<AccountTokenRow>> {
    account_tokens::table
        .filter(account_tokens::user_id.eq(user_id))
        .filter(account_tokens::purpose.eq("invite"))
        .order(account_tokens::created_at.desc())
        .select(AccountTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Serialises the throttle's counting across instances (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already does), for the rest of the caller's transaction.
pub fn lock_throttle(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        // "thrott" in ASCII.
        diesel::sql_query("SELECT pg_advisory_xact_lock(116104114111116116)").execute(pg)?;
    }
    Ok(())
}

/// Uses of `action` by `subject` since `since`: their count and the oldest one's time.
pub fn hits_since(
    conn: &mut DbConnection,
    action: &str,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    throttle_hits::table
        .filter(throttle_hits::action.eq(action))
        .filter(throttle_hits::subject.eq(subject))
        .filter(throttle_hits::at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(throttle_hits::at),
        ))
        .get_result(conn)
}

pub fn record_hit(
    conn: &mut DbConnection,
    id: &str,
    action: &str,
    subject: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(throttle_hits::table)
        .values((
            throttle_hits::id.eq(id),
            throttle_hits::action.eq(action),
            throttle_hits::subject.eq(subject),
            throttle_hits::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete_hits_before(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(throttle_hits::table.filter(throttle_hits::at.le(before))).execute(conn)
}

/// The account holder(s) of a firm, for telling them of a new colleague.
pub fn holders_of(
    conn: &mut DbConnection,
    firm_id: &str,
) -> QueryResult<Vec<super::users::UserRow>> {
    users::table
        .filter(users::firm_id.eq(firm_id))
        .filter(users::firm_holder.eq(true))
        .filter(users::active.eq(true))
        .select(super::users::UserRow::as_select())
        .load(conn)
}

/// The registrations of this e-mail still waiting for their confirmation.
pub fn unconfirmed_with_email(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Vec<RegistrationRow>> {
    registrations::table
        .filter(registrations::email.eq(email))
        .filter(registrations::status.eq("email_unverified"))
        .select(RegistrationRow::as_select())
        .load(conn)
}

/// Whether any registration (in whatever state) has this e-mail.
pub fn any_with_email(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        registrations::table.filter(registrations::email.eq(email)),
    ))
    .get_result(conn)
}
