//! Permits, their numbering counters, and the trips recorded against them.

use super::schema::{permit_trips, permits};
use super::sql::Value;
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = permits)]
pub struct PermitRow {
    pub permit_no: String,
    pub application_id: String,
    pub version: i32,
    pub holder_firm_id: String,
    pub holder_name: String,
    pub holder_credit_code: String,
    pub plates: String,
    pub cargo: String,
    pub vehicle: String,
    pub route: String,
    pub conditions: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub trips_allowed: i32,
    pub trips_used: i32,
    pub issuing_authority: String,
    pub issuing_jurisdiction: String,
    pub issued_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = permit_trips)]
pub struct TripRow {
    pub id: String,
    pub permit_no: String,
    pub trip_no: i32,
    pub plate: String,
    pub location: String,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

/// The next number in a jurisdiction's year (see `counters`: no gaps, no duplicates).
pub fn next_sequence(conn: &mut DbConnection, jurisdiction: &str, year: i32) -> QueryResult<i32> {
    super::counters::next(
        conn,
        "permit_counters",
        &[
            ("jurisdiction", Value::Text(jurisdiction.to_string())),
            ("year", Value::Int(year)),
        ],
    )
}

pub fn insert(conn: &mut DbConnection, row: &PermitRow) -> QueryResult<()> {
    diesel::insert_into(permits::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Option<PermitRow>> {
    permits::table
        .find(permit_no)
        .select(PermitRow::as_select())
        .first(conn)
        .optional()
}

/// Takes the permit's row lock for the rest of the transaction (PostgreSQL; on SQLite the
/// write transaction already holds the database), so checks and writes that follow see every
/// trip committed before and none that commits meanwhile. `false` when there is no such permit.
pub fn lock(conn: &mut DbConnection, permit_no: &str) -> QueryResult<bool> {
    diesel::update(permits::table.find(permit_no))
        .set(permits::version.eq(permits::version))
        .execute(conn)
        .map(|n| n == 1)
}

/// Counts one trip if one is left and the permit is not revoked; the new count, or `None`.
/// The condition is the guard of last resort: the table's CHECK is behind it.
pub fn count_trip(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Option<i32>> {
    let updated = diesel::update(
        permits::table
            .find(permit_no)
            .filter(permits::trips_used.lt(permits::trips_allowed))
            .filter(permits::revoked_at.is_null()),
    )
    .set(permits::trips_used.eq(permits::trips_used + 1))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    permits::table
        .find(permit_no)
        .select(permits::trips_used)
        .first(conn)
        .map(Some)
}

pub fn insert_trip(conn: &mut DbConnection, row: &TripRow) -> QueryResult<()> {
    diesel::insert_into(permit_trips::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn trips(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Vec<TripRow>> {
    permit_trips::table
        .filter(permit_trips::permit_no.eq(permit_no))
        .order(permit_trips::trip_no)
        .select(TripRow::as_select())
        .load(conn)
}

pub fn revoke(
    conn: &mut DbConnection,
    permit_no: &str,
    by: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        permits::table
            .find(permit_no)
            .filter(permits::revoked_at.is_null()),
    )
    .set((
        permits::revoked_at.eq(Some(at)),
        permits::revoked_by.eq(Some(by)),
        permits::revoke_reason.eq(Some(reason)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}
