//! Amendments of permits: which permit each changes, how, and how it ended. The review itself
//! is an application case of kind `amendment` under the same id.

use super::schema::{amendments, applications};
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = amendments)]
pub struct AmendmentRow {
    pub id: String,
    pub permit_no: String,
    pub application_id: String,
    /// Its number among the amendments of the application's permits.
    pub number: i32,
    pub from_version: i32,
    pub to_version: Option<i32>,
    /// JSON `Changes`: what is asked for.
    pub changes: String,
    /// JSON `Changes`: the permit's values they replace.
    pub previous: String,
    pub reason: String,
    pub requested_by: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    /// The permit's number while under review (unique: one at a time per permit).
    pub open_permit_no: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &AmendmentRow) -> QueryResult<()> {
    diesel::insert_into(amendments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AmendmentRow>> {
    amendments::table
        .find(id)
        .select(AmendmentRow::as_select())
        .get_result(conn)
        .optional()
}

/// The amendment of the permit under review now, if any.
pub fn open_of(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Option<AmendmentRow>> {
    amendments::table
        .filter(amendments::open_permit_no.eq(permit_no))
        .select(AmendmentRow::as_select())
        .get_result(conn)
        .optional()
}

/// Every amendment of a permit, oldest first.
pub fn of_permit(conn: &mut DbConnection, permit_no: &str) -> QueryResult<Vec<AmendmentRow>> {
    amendments::table
        .filter(amendments::permit_no.eq(permit_no))
        .order(amendments::number.asc())
        .select(AmendmentRow::as_select())
        .load(conn)
}

/// The number of the next amendment of an application's permits.
pub fn next_number(conn: &mut DbConnection, application_id: &str) -> QueryResult<i32> {
    let last: Option<i32> = amendments::table
        .filter(amendments::application_id.eq(application_id))
        .select(diesel::dsl::max(amendments::number))
        .get_result(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// The amendment is decided: approved as `to_version`, or rejected (`None`); the permit is
/// open to the next one.
pub fn close(
    conn: &mut DbConnection,
    id: &str,
    to_version: Option<i32>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        amendments::table
            .find(id)
            .filter(amendments::decided_at.is_null()),
    )
    .set((
        amendments::to_version.eq(to_version),
        amendments::decided_at.eq(Some(at)),
        amendments::open_permit_no.eq(None::<String>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The application's reference of an amendment's case (e-mails about it carry that one).
pub fn application_reference(conn: &mut DbConnection, id: &str) -> QueryResult<Option<String>> {
    amendments::table
        .inner_join(applications::table.on(applications::id.eq(amendments::application_id)))
        .filter(amendments::id.eq(id))
        .select(applications::reference)
        .get_result(conn)
        .optional()
}
