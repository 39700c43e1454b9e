//! The operator's audit log.

use super::schema::{admin_events, users};
use super::{new_id, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_events)]
pub struct AdminEventRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

/// Records a change; call it inside the change's transaction.
pub fn record(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    actor_id: Option<&str>,
    kind: &str,
    subject: &str,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(admin_events::table)
        .values(&AdminEventRow {
            id: new_id(),
            at,
            actor_id: actor_id.map(str::to_string),
            kind: kind.to_string(),
            subject: subject.to_string(),
            detail: detail.to_string(),
        })
        .execute(conn)
        .map(drop)
}

/// The newest changes, with the name of who made each.
pub fn recent(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(AdminEventRow, Option<String>)>> {
    admin_events::table
        .left_join(users::table.on(users::id.nullable().eq(admin_events::actor_id)))
        .order(admin_events::at.desc())
        .limit(limit)
        .select((AdminEventRow::as_select(), users::name.nullable()))
        .load(conn)
}

/// The changes made to one subject (an account's e-mail, a firm), newest first.
pub fn about(
    conn: &mut DbConnection,
    subject: &str,
    limit: i64,
) -> QueryResult<Vec<(AdminEventRow, Option<String>)>> {
    admin_events::table
        .left_join(users::table.on(users::id.nullable().eq(admin_events::actor_id)))
        .filter(admin_events::subject.eq(subject))
        .order(admin_events::at.desc())
        .limit(limit)
        .select((AdminEventRow::as_select(), users::name.nullable()))
        .load(conn)
}
