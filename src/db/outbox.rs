//! The outbox rows: enqueueing, claiming with a conditional update (safe with any number of
//! instances on one database), and recording the outcome.

use super::schema::outbox as o;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = o)]
pub struct OutboxRow {
    pub id: String,
    pub message_id: String,
    pub event_kind: String,
    pub reference: String,
    pub application_id: Option<String>,
    pub recipient: String,
    pub recipient_name: String,
    pub language: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &OutboxRow) -> QueryResult<()> {
    diesel::insert_into(o::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A row that may be taken at `now`: queued and due, or claimed by a worker whose lease ran out.
#[diesel::dsl::auto_type]
fn may_be_taken(now: NaiveDateTime) -> _ {
    let queued: &'static str = "queued";
    let sending: &'static str = "sending";
    o::status
        .eq(queued)
        .and(o::next_attempt_at.le(now))
        .or(o::status.eq(sending).and(o::claimed_until.lt(now)))
}

/// Rows that may be taken now: queued and due, or claimed by a worker whose lease ran out
/// (it died between claiming and recording the outcome).
pub fn due_ids(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    o::table
        .filter(may_be_taken(now))
        .order((o::next_attempt_at, o::id))
        .limit(limit)
        .select(o::id)
        .load(conn)
}

/// Takes the rows of `ids` that nobody else took first for `worker` until `lease_until`, in
/// one transaction: the UPDATE's condition repeats the "may be taken" test, so of two workers
/// racing for a row exactly one matches it; the rows this claim took are then read back.
/// Returns them in the order of `ids`. On PostgreSQL the rows are first locked in id order,
/// skipping those another worker holds: two workers updating overlapping batches row by row
/// in different orders would otherwise deadlock. SQLite has one writer at a time.
pub fn claim(
    conn: &mut DbConnection,
    ids: &[String],
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Vec<OutboxRow>> {
    let order = ids;
    super::write_transaction(conn, |conn| {
        let locked;
        let ids = match conn {
            DbConnection::Pg(pg) => {
                locked = o::table
                    .filter(o::id.eq_any(ids))
                    .filter(may_be_taken(now))
                    .order(o::id)
                    .select(o::id)
                    .for_update()
                    .skip_locked()
                    .load::<String>(pg)?;
                if locked.is_empty() {
                    return Ok(Vec::new());
                }
                &locked[..]
            }
            DbConnection::Sqlite(_) => ids,
        };
        let taken = diesel::update(o::table.filter(o::id.eq_any(ids)).filter(may_be_taken(now)))
            .set((
                o::status.eq("sending"),
                o::claimed_by.eq(worker),
                o::claimed_until.eq(lease_until),
                o::attempts.eq(o::attempts + 1),
            ))
            .execute(conn)?;
        if taken == 0 {
            return Ok(Vec::new());
        }
        let mut rows: Vec<OutboxRow> = o::table
            .filter(o::id.eq_any(ids))
            .filter(o::status.eq("sending"))
            .filter(o::claimed_by.eq(worker))
            .filter(o::claimed_until.eq(lease_until))
            .select(OutboxRow::as_select())
            .load(conn)?;
        rows.sort_by_key(|row| order.iter().position(|id| *id == row.id));
        Ok(rows)
    })
}

/// Records the rows of `ids` as sent by `worker`, in one statement.
pub fn mark_all_sent(
    conn: &mut DbConnection,
    ids: &[String],
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(
        o::table
            .filter(o::id.eq_any(ids))
            .filter(o::claimed_by.eq(worker)),
    )
    .set((
        o::status.eq("sent"),
        o::sent_at.eq(now),
        o::claimed_until.eq(None::<NaiveDateTime>),
        o::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .map(drop)
}

/// Back to the queue for another attempt at `next`, or `failed` when `next` is `None`.
pub fn mark_unsent(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    error: &str,
    next: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let target = o::table
        .filter(o::id.eq(id))
        .filter(o::claimed_by.eq(worker));
    let error = error.chars().take(1000).collect::<String>();
    match next {
        Some(at) => diesel::update(target)
            .set((
                o::status.eq("queued"),
                o::next_attempt_at.eq(at),
                o::claimed_until.eq(None::<NaiveDateTime>),
                o::last_error.eq(error),
            ))
            .execute(conn),
        None => diesel::update(target)
            .set((
                o::status.eq("failed"),
                o::claimed_until.eq(None::<NaiveDateTime>),
                o::last_error.eq(error),
            ))
            .execute(conn),
    }
    .map(drop)
}

/// Back to the queue at `at` with the claim's attempt given back: the mail server did not
/// answer, which says nothing about this message.
pub fn mark_waiting(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    error: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let error = error.chars().take(1000).collect::<String>();
    diesel::update(
        o::table
            .filter(o::id.eq(id))
            .filter(o::claimed_by.eq(worker)),
    )
    .set((
        o::status.eq("queued"),
        o::attempts.eq(o::attempts - 1),
        o::next_attempt_at.eq(at),
        o::claimed_until.eq(None::<NaiveDateTime>),
        o::last_error.eq(error),
    ))
    .execute(conn)
    .map(drop)
}

/// Counts by status and the time the oldest queued row has waited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub oldest_queued: Option<NaiveDateTime>,
}

pub fn stats(conn: &mut DbConnection) -> QueryResult<Stats> {
    let counts: Vec<(String, i64)> = o::table
        .group_by(o::status)
        .select((o::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut stats = Stats::default();
    for (status, n) in counts {
        match status.as_str() {
            "queued" => stats.queued = n,
            "sending" => stats.sending = n,
            "sent" => stats.sent = n,
            _ => stats.failed = n,
        }
    }
    stats.oldest_queued = o::table
        .filter(o::status.eq_any(["queued", "sending"]))
        .select(diesel::dsl::min(o::created_at))
        .get_result(conn)?;
    Ok(stats)
}

pub fn failed(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    o::table
        .filter(o::status.eq("failed"))
        .order(o::created_at.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Puts a failed row back in the queue, due now, with its attempts reset.
pub fn retry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(o::table.filter(o::id.eq(id)).filter(o::status.eq("failed")))
        .set((
            o::status.eq("queued"),
            o::attempts.eq(0),
            o::next_attempt_at.eq(now),
            o::claimed_by.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn for_application(
    conn: &mut DbConnection,
    application_id: &str,
) -> QueryResult<Vec<OutboxRow>> {
    o::table
        .filter(o::application_id.eq(application_id))
        .order((o::created_at, o::id))
        .select(OutboxRow::as_select())
        .load(conn)
}
