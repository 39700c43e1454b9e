//! Jurisdictions, authorities and the calendar: read by everyone, written by `migrate` from
//! the shipped data files (idempotently) and by admins.

use super::schema::{authorities, calendar_days, calendar_years, jurisdictions};
use super::DbConnection;
use chrono::NaiveDate;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = jurisdictions, treat_none_as_null = true)]
pub struct JurisdictionRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = authorities)]
pub struct AuthorityRow {
    pub code: String,
    pub jurisdiction: String,
    pub kind: String,
    pub level: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = calendar_days)]
pub struct CalendarDayRow {
    /// `CN` for the national calendar, else the jurisdiction's code.
    pub jurisdiction: String,
    pub day: NaiveDate,
    pub working: bool,
    pub note: String,
    pub source: String,
}

pub fn all_jurisdictions(conn: &mut DbConnection) -> QueryResult<Vec<JurisdictionRow>> {
    jurisdictions::table
        .select(JurisdictionRow::as_select())
        .order(jurisdictions::code)
        .load(conn)
}

pub fn all_authorities(conn: &mut DbConnection) -> QueryResult<Vec<AuthorityRow>> {
    authorities::table
        .select(AuthorityRow::as_select())
        .order(authorities::code)
        .load(conn)
}

pub fn find_authority(conn: &mut DbConnection, code: &str) -> QueryResult<Option<AuthorityRow>> {
    authorities::table
        .find(code)
        .select(AuthorityRow::as_select())
        .get_result(conn)
        .optional()
}

pub fn find_jurisdiction(
    conn: &mut DbConnection,
    code: &str,
) -> QueryResult<Option<JurisdictionRow>> {
    jurisdictions::table
        .find(code)
        .select(JurisdictionRow::as_select())
        .get_result(conn)
        .optional()
}

/// Insert or update by code. (Portable: an UPDATE, then an INSERT when nothing matched.)
pub fn upsert_jurisdiction(conn: &mut DbConnection, row: &JurisdictionRow) -> QueryResult<()> {
    let updated = diesel::update(jurisdictions::table.find(&row.code))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(jurisdictions::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn upsert_authority(conn: &mut DbConnection, row: &AuthorityRow) -> QueryResult<()> {
    let updated = diesel::update(authorities::table.find(&row.code))
        .set(row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(authorities::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Write a shipped calendar day unless an admin has set that day of that jurisdiction's
/// calendar; returns whether it wrote.
pub fn upsert_shipped_day(conn: &mut DbConnection, row: &CalendarDayRow) -> QueryResult<bool> {
    let same_day = calendar_days::table
        .filter(calendar_days::jurisdiction.eq(&row.jurisdiction))
        .filter(calendar_days::day.eq(row.day));
    let updated = diesel::update(same_day.filter(calendar_days::source.eq("shipped")))
        .set((
            calendar_days::working.eq(row.working),
            calendar_days::note.eq(&row.note),
        ))
        .execute(conn)?;
    if updated > 0 {
        return Ok(true);
    }
    let exists: i64 = same_day.count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(calendar_days::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

/// Shipped days of one jurisdiction's `year` that the current data files no longer list (a
/// corrected notice).
pub fn delete_shipped_days_except(
    conn: &mut DbConnection,
    jurisdiction: &str,
    year: i32,
    keep: &[NaiveDate],
) -> QueryResult<usize> {
    let (first, last) = year_bounds(year);
    diesel::delete(
        calendar_days::table
            .filter(calendar_days::jurisdiction.eq(jurisdiction))
            .filter(calendar_days::source.eq("shipped"))
            .filter(calendar_days::day.between(first, last))
            .filter(calendar_days::day.ne_all(keep)),
    )
    .execute(conn)
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX),
    )
}

/// Mark a jurisdiction's shipped year verified unless an admin has recorded it.
pub fn upsert_shipped_year(
    conn: &mut DbConnection,
    jurisdiction: &str,
    year: i32,
) -> QueryResult<()> {
    let exists: i64 = calendar_years::table
        .find((jurisdiction, year))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(calendar_years::table)
            .values((
                calendar_years::jurisdiction.eq(jurisdiction),
                calendar_years::year.eq(year),
                calendar_years::verified.eq(true),
                calendar_years::source.eq("shipped"),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every calendar's exceptions: (jurisdiction, day, working).
pub fn calendar_exceptions(conn: &mut DbConnection) -> QueryResult<Vec<(String, NaiveDate, bool)>> {
    calendar_days::table
        .select((
            calendar_days::jurisdiction,
            calendar_days::day,
            calendar_days::working,
        ))
        .order((calendar_days::jurisdiction, calendar_days::day))
        .load(conn)
}

/// Every calendar's years entered from a notice: (jurisdiction, year).
pub fn verified_years(conn: &mut DbConnection) -> QueryResult<Vec<(String, i32)>> {
    calendar_years::table
        .filter(calendar_years::verified.eq(true))
        .select((calendar_years::jurisdiction, calendar_years::year))
        .order((calendar_years::jurisdiction, calendar_years::year))
        .load(conn)
}

/// A year of the holiday calendar: whether it was checked against the official notice, and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct CalendarYearRow {
    pub jurisdiction: String,
    pub year: i32,
    pub verified: bool,
    pub source: String,
}

pub fn calendar_years(conn: &mut DbConnection) -> QueryResult<Vec<CalendarYearRow>> {
    calendar_years::table
        .order((calendar_years::year, calendar_years::jurisdiction))
        .select((
            calendar_years::jurisdiction,
            calendar_years::year,
            calendar_years::verified,
            calendar_years::source,
        ))
        .load(conn)
}

/// An admin's day: replaces whatever the day was (shipped or admin).
pub fn set_admin_day(
    conn: &mut DbConnection,
    jurisdiction: &str,
    day: NaiveDate,
    working: bool,
    note: &str,
) -> QueryResult<()> {
    diesel::delete(
        calendar_days::table
            .filter(calendar_days::jurisdiction.eq(jurisdiction))
            .filter(calendar_days::day.eq(day)),
    )
    .execute(conn)?;
    diesel::insert_into(calendar_days::table)
        .values(&CalendarDayRow {
            jurisdiction: jurisdiction.to_string(),
            day,
            working,
            note: note.to_string(),
            source: "admin".into(),
        })
        .execute(conn)
        .map(drop)
}

pub fn delete_admin_day(
    conn: &mut DbConnection,
    jurisdiction: &str,
    day: NaiveDate,
) -> QueryResult<bool> {
    diesel::delete(
        calendar_days::table
            .filter(calendar_days::jurisdiction.eq(jurisdiction))
            .filter(calendar_days::day.eq(day))
            .filter(calendar_days::source.eq("admin")),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// The calendar's exceptions (holidays on weekdays, working weekends) from `from` on.
pub fn days_from(conn: &mut DbConnection, from: NaiveDate) -> QueryResult<Vec<CalendarDayRow>> {
    calendar_days::table
        .filter(calendar_days::day.ge(from))
        .order((calendar_days::day, calendar_days::jurisdiction))
        .select(CalendarDayRow::as_select())
        .load(conn)
}
