//! Persistence: the schema, the connection layer, and one module per aggregate with the
//! queries it needs. Functions here take a connection and return `QueryResult`; the service
//! layer decides what a transaction holds.
//!
//! A lookup by a unique key or an aggregate reads its one row with `get_result`, not `first`:
//! `first` adds `LIMIT ?`, and SQLite plans a bound LIMIT by its value, so such a statement
//! expires when it is bound and is compiled again at every execution (twice per query, and
//! never from diesel's statement cache). `first` stays where a query picks one of many.

pub mod accounts;
pub mod admin_events;
pub mod amendments;
pub mod applications;
pub(crate) mod cached;
pub mod conn;
pub(crate) mod counters;
pub mod idempotency;
pub mod outbox;
pub mod permits;
pub mod reference;
pub mod report_cells;
pub mod reports;
pub mod schema;
pub mod scope;
pub(crate) mod sql;
pub mod users;

pub use conn::{write_transaction, DbConnection, Pool, PooledConnection};

/// A new random id for a row.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
