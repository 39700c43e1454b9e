//! Statements of a fixed shape that diesel would otherwise compile again at every run.
//!
//! diesel never keeps an `UPDATE` in its prepared-statement cache (a changeset's columns may
//! differ from one run to the next), and through the two-backend connection every statement is
//! rendered to SQL text once more at each run. The application's, a task's and a phase's
//! updates run at every decision, inside the write transaction that SQLite lets one writer
//! hold at a time: compiling and rendering them was half of that time (profile, 16 clients).
//! `cached!` marks a statement whose SQL is the same at every run of its call site, so that it
//! is compiled once per connection, and `execute` runs it on the backend's own connection.
//! SQLite and PostgreSQL both return the changed rows (`RETURNING`), which `execute` counts.
//!
//! Only for statements whose SQL cannot vary: no `eq_any` over a list, no changeset that
//! leaves out its `None` fields (`treat_none_as_null` keeps every column), no boxed query.

use super::DbConnection;
use diesel::backend::Backend;
use diesel::connection::{DefaultLoadingMode, LoadConnection};
use diesel::expression::QueryMetadata;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;
use std::marker::PhantomData;

/// `query`, kept in the statement cache under `Site`, a type of its own for each call site.
pub struct Cached<Site, Q> {
    query: Q,
    site: PhantomData<fn() -> Site>,
}

impl<Site, Q> Cached<Site, Q> {
    pub fn new(query: Q) -> Self {
        Cached {
            query,
            site: PhantomData,
        }
    }
}

impl<Site, Q, DB> QueryFragment<DB> for Cached<Site, Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Site: 'static, Q> QueryId for Cached<Site, Q> {
    type QueryId = Site;
    const HAS_STATIC_QUERY_ID: bool = true;
}

/// Marks a statement of a fixed shape for the statement cache (see the module).
macro_rules! cached {
    ($query:expr) => {{
        struct Site;
        $crate::db::cached::Cached::<Site, _>::new($query)
    }};
}
pub(crate) use cached;

impl<Site, Q: Query> Query for Cached<Site, Q> {
    type SqlType = Q::SqlType;
}

/// Runs the statement, an `UPDATE … RETURNING` a column, on the backend's own connection; the
/// rows it changed. It goes by the loading path, where the statement cache is asked about the
/// statement itself: asked through a reference (as `execute` does), diesel walks the
/// `UPDATE` inside, which always answers "not safe to cache".
pub fn execute<Site: 'static, Q>(
    conn: &mut DbConnection,
    query: Cached<Site, Q>,
) -> QueryResult<usize>
where
    Q: Query + QueryFragment<Sqlite> + QueryFragment<Pg>,
    Sqlite: QueryMetadata<Q::SqlType>,
    Pg: QueryMetadata<Q::SqlType>,
{
    fn count<R>(mut rows: impl Iterator<Item = QueryResult<R>>) -> QueryResult<usize> {
        rows.try_fold(0, |n, row| row.map(|_| n + 1))
    }
    match conn {
        DbConnection::Sqlite(c) => count(LoadConnection::<DefaultLoadingMode>::load(c, query)?),
        DbConnection::Pg(c) => count(LoadConnection::<DefaultLoadingMode>::load(c, query)?),
    }
}
