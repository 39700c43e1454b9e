//! Firms, users, API tokens and failed sign-ins.

use super::schema::{api_tokens, firms, login_failures, users};
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts changes to who may sign in as whom (a user switched off, a new password, a name or
/// language, tokens ended): a cached sign-in is used only while this has not moved since it
/// was read. It moves when the change is written and again when its transaction ends, so an
/// entry read from the database while the change was not yet committed is not used after.
static ACCOUNTS_GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static CHANGED_IN_TRANSACTION: Cell<bool> = const { Cell::new(false) };
}

pub fn accounts_generation() -> u64 {
    ACCOUNTS_GENERATION.load(Ordering::Acquire)
}

pub(crate) fn accounts_changed() {
    ACCOUNTS_GENERATION.fetch_add(1, Ordering::AcqRel);
    CHANGED_IN_TRANSACTION.with(|c| c.set(true));
}

/// Called by `write_transaction` when the outermost transaction has committed or rolled back.
pub(super) fn transaction_ended() {
    if CHANGED_IN_TRANSACTION.with(|c| c.replace(false)) {
        ACCOUNTS_GENERATION.fetch_add(1, Ordering::AcqRel);
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = firms)]
pub struct FirmRow {
    pub id: String,
    pub credit_code: String,
    pub name: String,
    pub oversize_qualified: bool,
    pub restricted_until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    /// The operating licence number (道路运输经营许可证号) its registration gave.
    pub licence_no: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    /// Empty while an invited colleague has not yet chosen a password (no password matches).
    pub password_hash: String,
    pub firm_id: Option<String>,
    pub authority_code: Option<String>,
    pub scope_jurisdiction: Option<String>,
    pub language: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// The firm's account holder, who invites colleagues and may switch them off.
    pub firm_holder: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn find_firm_by_credit_code(
    conn: &mut DbConnection,
    code: &str,
) -> QueryResult<Option<FirmRow>> {
    firms::table
        .filter(firms::credit_code.eq(code))
        .select(FirmRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_firm(conn: &mut DbConnection, id: &str) -> QueryResult<Option<FirmRow>> {
    firms::table
        .find(id)
        .select(FirmRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert_firm(conn: &mut DbConnection, firm: &FirmRow) -> QueryResult<()> {
    diesel::insert_into(firms::table)
        .values(firm)
        .execute(conn)
        .map(drop)
}

pub fn insert_user(conn: &mut DbConnection, user: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(drop)
}

pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_user(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert_token(conn: &mut DbConnection, token: &ApiTokenRow) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

/// The active user holding an unexpired token with this hash, with the token's expiry.
pub fn user_for_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(UserRow, NaiveDateTime)>> {
    api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), api_tokens::expires_at))
        .get_result(conn)
        .optional()
}

pub fn delete_expired_tokens(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.filter(api_tokens::expires_at.le(now))).execute(conn)
}

/// Serialises sign-in attempts' counting across instances (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already does), for the rest of the caller's transaction.
pub fn lock_sign_in(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        // "signin" in ASCII.
        diesel::sql_query("SELECT pg_advisory_xact_lock(115105103110105110)").execute(pg)?;
    }
    Ok(())
}

pub fn record_login_failure(
    conn: &mut DbConnection,
    id: &str,
    email: &str,
    address: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(id),
            login_failures::email.eq(email),
            login_failures::address.eq(address),
            login_failures::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Failures for this account since `since`: their count and the oldest one's time.
pub fn failures_for_email(
    conn: &mut DbConnection,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    login_failures::table
        .filter(login_failures::email.eq(email))
        .filter(login_failures::at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::at),
        ))
        .get_result(conn)
}

/// Failures from this address since `since`: their count and the oldest one's time.
pub fn failures_for_address(
    conn: &mut DbConnection,
    address: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    login_failures::table
        .filter(login_failures::address.eq(address))
        .filter(login_failures::at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::at),
        ))
        .get_result(conn)
}

pub fn clear_failures_for_email(conn: &mut DbConnection, email: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::email.eq(email))).execute(conn)
}

pub fn delete_failures_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::at.le(before))).execute(conn)
}

/// A page of users, by e-mail address; and how many there are.
pub fn list_users(
    conn: &mut DbConnection,
    search: &str,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<UserRow>, i64)> {
    // A part of the e-mail address or of the name; `%` and `_` typed are taken literally.
    let escaped = search
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let matching = || {
        users::table.filter(
            users::email
                .like(pattern.clone())
                .escape('\\')
                .or(users::name.like(pattern.clone()).escape('\\')),
        )
    };
    let total = matching().count().get_result(conn)?;
    let rows = matching()
        .order(users::email)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn set_name_and_language(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
    language: &str,
) -> QueryResult<bool> {
    accounts_changed();
    diesel::update(users::table.find(id))
        .set((users::name.eq(name), users::language.eq(language)))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn set_active(conn: &mut DbConnection, id: &str, active: bool) -> QueryResult<bool> {
    accounts_changed();
    diesel::update(users::table.find(id))
        .set(users::active.eq(active))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn set_password_hash(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<bool> {
    accounts_changed();
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .map(|n| n == 1)
}

/// Ends a user's API tokens (after deactivation or a new password).
pub fn delete_tokens_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    accounts_changed();
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id))).execute(conn)
}

pub fn all_firms(conn: &mut DbConnection) -> QueryResult<Vec<FirmRow>> {
    firms::table
        .order(firms::name)
        .select(FirmRow::as_select())
        .load(conn)
}

pub fn set_firm_standing(
    conn: &mut DbConnection,
    id: &str,
    qualified: bool,
    restricted_until: Option<NaiveDate>,
) -> QueryResult<bool> {
    diesel::update(firms::table.find(id))
        .set((
            firms::oversize_qualified.eq(qualified),
            firms::restricted_until.eq(restricted_until),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The active reviewers of an authority, by e-mail.
pub fn active_reviewers(conn: &mut DbConnection, authority: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.eq("reviewer"))
        .filter(users::authority_code.eq(authority))
        .filter(users::active.eq(true))
        .order(users::email)
        .select(UserRow::as_select())
        .load(conn)
}

/// The active managers whose scope is the jurisdiction, by e-mail.
pub fn active_managers_of(
    conn: &mut DbConnection,
    jurisdiction: &str,
) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.eq("manager"))
        .filter(users::scope_jurisdiction.eq(jurisdiction))
        .filter(users::active.eq(true))
        .order(users::email)
        .select(UserRow::as_select())
        .load(conn)
}

/// Whether the firm has an account holder already.
pub fn firm_has_holder(conn: &mut DbConnection, firm_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::firm_id.eq(firm_id))
            .filter(users::firm_holder.eq(true)),
    ))
    .get_result(conn)
}

/// The firm's accounts, holder first, then by name.
pub fn firm_users(conn: &mut DbConnection, firm_id: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::firm_id.eq(firm_id))
        .order((users::firm_holder.desc(), users::name, users::email))
        .select(UserRow::as_select())
        .load(conn)
}

pub fn set_language(conn: &mut DbConnection, user_id: &str, language: &str) -> QueryResult<()> {
    accounts_changed();
    diesel::update(users::table.find(user_id))
        .set(users::language.eq(language))
        .execute(conn)
        .map(drop)
}

/// Records what the firm's registration said of it.
pub fn set_firm_registered(
    conn: &mut DbConnection,
    firm_id: &str,
    licence_no: &str,
    oversize_qualified: bool,
) -> QueryResult<()> {
    diesel::update(firms::table.find(firm_id))
        .set((
            firms::licence_no.eq(licence_no),
            firms::oversize_qualified.eq(oversize_qualified),
        ))
        .execute(conn)
        .map(drop)
}

/// The active accounts of a role (e.g. the admins, to tell of a registration waiting).
pub fn active_with_role(conn: &mut DbConnection, role: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .order(users::email)
        .select(UserRow::as_select())
        .load(conn)
}
