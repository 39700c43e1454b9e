//! Idempotency keys: the first request with a key runs; a repeat with the same key and request
//! gets the first response back; a repeat with another request is refused.

use super::schema::idempotency_keys as k;
use super::{write_transaction, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Nobody used the key yet: run the request, then `finish`.
    New,
    /// The key's first request finished with this status and body.
    Replay(i32, String),
    /// The key was used for a different request.
    Mismatch,
    /// The key's first request is still running.
    InProgress,
}

pub fn begin(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Begin> {
    let result = write_transaction(conn, |conn| {
        let found: Option<(String, Option<i32>, Option<String>)> = k::table
            .find((user_id, key))
            .select((k::request_hash, k::status_code, k::response))
            .first(conn)
            .optional()?;
        match found {
            Some((hash, _, _)) if hash != request_hash => Ok(Begin::Mismatch),
            Some((_, Some(status), Some(body))) => Ok(Begin::Replay(status, body)),
            Some(_) => Ok(Begin::InProgress),
            None => {
                diesel::insert_into(k::table)
                    .values((
                        k::user_id.eq(user_id),
                        k::idempotency_key.eq(key),
                        k::request_hash.eq(request_hash),
                        k::created_at.eq(now),
                    ))
                    .execute(conn)?;
                Ok(Begin::New)
            }
        }
    });
    match result {
        // Two first requests at once on PostgreSQL: the other one is running it.
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(Begin::InProgress),
        other => other,
    }
}

pub fn finish(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    status: i32,
    body: &str,
) -> QueryResult<()> {
    diesel::update(k::table.find((user_id, key)))
        .set((k::status_code.eq(status), k::response.eq(body)))
        .execute(conn)
        .map(drop)
}

/// Forget a key whose request failed, so that the client may try again with it.
pub fn abandon(conn: &mut DbConnection, user_id: &str, key: &str) -> QueryResult<()> {
    diesel::delete(k::table.find((user_id, key)))
        .execute(conn)
        .map(drop)
}
