//! Gapless numbering (reference numbers, permit numbers): a counter row per key, created at
//! zero on first use and advanced inside the caller's write transaction. The row stays locked
//! (PostgreSQL) or the database written (SQLite) until the transaction commits, and a rollback
//! takes the number back, so there are no gaps and no duplicates.

use super::sql::{Sql, Value};
use super::DbConnection;
use diesel::prelude::*;
use diesel::sql_types::Integer;

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = Integer)]
    last_value: i32,
}

/// The next value of the counter in `table` (a table of key columns and `last_value`) at `key`.
pub(crate) fn next(
    conn: &mut DbConnection,
    table: &str,
    key: &[(&str, Value)],
) -> QueryResult<i32> {
    let columns: Vec<&str> = key.iter().map(|(c, _)| *c).collect();
    let mut insert = Sql::default();
    insert.push(&format!(
        "INSERT INTO {table} ({}, last_value) VALUES (",
        columns.join(", ")
    ));
    for (i, (_, value)) in key.iter().enumerate() {
        if i > 0 {
            insert.push(", ");
        }
        insert.bind(value.clone());
    }
    insert.push(&format!(
        ", 0) ON CONFLICT ({}) DO NOTHING",
        columns.join(", ")
    ));
    insert.query(conn).execute(conn)?;
    let mut advance = Sql::default();
    advance.push(&format!(
        "UPDATE {table} SET last_value = last_value + 1 WHERE "
    ));
    for (i, (column, value)) in key.iter().enumerate() {
        if i > 0 {
            advance.push(" AND ");
        }
        advance.push(&format!("{column} = ")).bind(value.clone());
    }
    advance.push(" RETURNING last_value");
    let last: Last = advance.query(conn).get_result(conn)?;
    Ok(last.last_value)
}
