//! Idempotency keys, kept in the transaction of the write they belong to: a key row exists
//! exactly when its write committed, with the response the write gave, so a retry after a
//! crash either replays that response or runs the write afresh.

use super::schema::idempotency_keys as k;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nobody used the key yet (or a marker of an earlier version, left by a crash, was
    /// cleared): run the write and `record` it in the same transaction.
    New,
    /// The key's write committed with this status and body.
    Replay(i32, String),
    /// The key was used for a different request.
    Mismatch,
}

/// Looks the key up inside the caller's write transaction. On PostgreSQL it first takes a
/// transaction-scoped advisory lock on the key, so that a second request with it waits for
/// the first to commit and then replays it (SQLite's `BEGIN IMMEDIATE` already serialises
/// writers).
pub fn find_locked(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
) -> QueryResult<Found> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind::<Text, _>(format!("idempotency {user_id} {key}"))
            .execute(pg)?;
    }
    let found: Option<(String, Option<i32>, Option<String>)> = k::table
        .find((user_id, key))
        .select((k::request_hash, k::status_code, k::response))
        .get_result(conn)
        .optional()?;
    Ok(match found {
        None => Found::New,
        Some((hash, Some(status), Some(body))) if hash == request_hash => {
            Found::Replay(status, body)
        }
        Some((_, Some(_), Some(_))) => Found::Mismatch,
        Some(_) => {
            // An in-progress marker of the earlier three-step scheme: its request never
            // finished recording, so it is taken over.
            diesel::delete(k::table.find((user_id, key))).execute(conn)?;
            Found::New
        }
    })
}

/// Records the key with the write's response, in the write's own transaction.
pub fn record(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
    status: i32,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(k::table)
        .values((
            k::user_id.eq(user_id),
            k::idempotency_key.eq(key),
            k::request_hash.eq(request_hash),
            k::status_code.eq(Some(status)),
            k::response.eq(Some(body)),
            k::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
