//! Permits, their numbering counters, and the trips recorded against them.

use super::schema::{permit_trips, permits, trip_scans};
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
    /// The load's position in its project; 0 for a single application.
    pub position: i32,
    pub load_key: Option<String>,
    pub project_name: Option<String>,
    /// JSON: each vehicle that may use the permit as its plates, the tractor's first.
    pub fleet: String,
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
    /// The tractor plate of the vehicle on this trip.
    pub vehicle: String,
    pub arrived_at: Option<NaiveDateTime>,
    pub last_seen_at: Option<NaiveDateTime>,
    pub last_seen_location: Option<String>,
}

/// One scan of a trip: its departure, a checkpoint sighting, its arrival.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = trip_scans)]
pub struct ScanRow {
    pub id: String,
    pub permit_no: String,
    pub trip_no: i32,
    pub stage: String,
    pub plate: String,
    pub location: String,
    pub note: String,
    pub inspector: String,
    pub at: NaiveDateTime,
    pub warnings: String,
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
        .get_result(conn)
        .optional()
}

/// Takes the row locks of the permit's application, then of the permit, for the rest of the
/// transaction (PostgreSQL; on SQLite the write transaction already holds the database), so
/// checks and writes that follow see every trip committed before and none that commits
/// meanwhile, and the application's audit log takes one entry at a time: a project's permits
/// share one log. The application first, as every decision does. `false` when there is no
/// such permit.
pub fn lock(conn: &mut DbConnection, permit_no: &str) -> QueryResult<bool> {
    use super::schema::applications;
    let Some(application_id) = permits::table
        .find(permit_no)
        .select(permits::application_id)
        .first::<String>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    diesel::update(applications::table.find(&application_id))
        .set(applications::version.eq(applications::version))
        .execute(conn)?;
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
        .get_result(conn)
        .map(Some)
}

pub fn insert_trip(conn: &mut DbConnection, row: &TripRow) -> QueryResult<()> {
    diesel::insert_into(permit_trips::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The vehicle's trip on this permit that is under way: departed at or after `since` and
/// not arrived.
pub fn under_way(
    conn: &mut DbConnection,
    permit_no: &str,
    vehicle: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<TripRow>> {
    permit_trips::table
        .filter(permit_trips::permit_no.eq(permit_no))
        .filter(permit_trips::vehicle.eq(vehicle))
        .filter(permit_trips::recorded_at.ge(since))
        .filter(permit_trips::arrived_at.is_null())
        .order(permit_trips::trip_no.desc())
        .select(TripRow::as_select())
        .first(conn)
        .optional()
}

/// A sighting or the arrival of a trip: when and where it was last seen, and its end.
pub fn touch_trip(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    location: &str,
    arrived: bool,
) -> QueryResult<()> {
    let target = permit_trips::table.find(id);
    let seen = (
        permit_trips::last_seen_at.eq(Some(at)),
        permit_trips::last_seen_location.eq(Some(location)),
    );
    if arrived {
        diesel::update(target)
            .set((seen, permit_trips::arrived_at.eq(Some(at))))
            .execute(conn)
            .map(drop)
    } else {
        diesel::update(target).set(seen).execute(conn).map(drop)
    }
}

pub fn insert_scan(conn: &mut DbConnection, row: &ScanRow) -> QueryResult<()> {
    diesel::insert_into(trip_scans::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_scan(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ScanRow>> {
    trip_scans::table
        .find(id)
        .select(ScanRow::as_select())
        .get_result(conn)
        .optional()
}

/// Every scan of a permit's trips, by trip and time.
pub fn scans(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Vec<ScanRow>> {
    trip_scans::table
        .filter(trip_scans::permit_no.eq(permit_no))
        .order((trip_scans::trip_no, trip_scans::at))
        .select(ScanRow::as_select())
        .load(conn)
}

/// An application's permits in load order (one for a single application).
pub fn of_application(
    conn: &mut DbConnection,
    application_id: &str,
) -> QueryResult<Vec<PermitRow>> {
    permits::table
        .filter(permits::application_id.eq(application_id))
        .order(permits::position)
        .select(PermitRow::as_select())
        .load(conn)
}

/// The trips under way on these permits (departed at or after `since`, not arrived).
pub fn all_under_way(
    conn: &mut DbConnection,
    permit_nos: &[String],
    since: NaiveDateTime,
) -> QueryResult<Vec<TripRow>> {
    permit_trips::table
        .filter(permit_trips::permit_no.eq_any(permit_nos))
        .filter(permit_trips::recorded_at.ge(since))
        .filter(permit_trips::arrived_at.is_null())
        .order((permit_trips::permit_no, permit_trips::trip_no))
        .select(TripRow::as_select())
        .load(conn)
}

/// Trips made by each vehicle over these permits.
pub fn trips_by_vehicle(
    conn: &mut DbConnection,
    permit_nos: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    permit_trips::table
        .filter(permit_trips::permit_no.eq_any(permit_nos))
        .group_by(permit_trips::vehicle)
        .select((permit_trips::vehicle, diesel::dsl::count_star()))
        .load(conn)
}

pub fn trips(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Vec<TripRow>> {
    permit_trips::table
        .filter(permit_trips::permit_no.eq(permit_no))
        .order(permit_trips::trip_no)
        .select(TripRow::as_select())
        .load(conn)
}

/// Writes a permit re-issued by an amendment (its version bumped), if it is still at
/// `from_version`.
pub fn reissue(conn: &mut DbConnection, next: &PermitRow, from_version: i32) -> QueryResult<bool> {
    diesel::update(
        permits::table
            .find(&next.permit_no)
            .filter(permits::version.eq(from_version)),
    )
    .set((
        permits::version.eq(next.version),
        permits::plates.eq(&next.plates),
        permits::fleet.eq(&next.fleet),
        permits::valid_to.eq(next.valid_to),
        permits::trips_allowed.eq(next.trips_allowed),
        permits::conditions.eq(&next.conditions),
    ))
    .execute(conn)
    .map(|n| n == 1)
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
