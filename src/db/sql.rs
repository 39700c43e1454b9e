//! Plain SQL both backends run alike, written once with `?` placeholders and its values, and
//! numbered `$n` for PostgreSQL when it is run. The report queries, the visibility scope and
//! the counters are written in it.

use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamp};

pub(crate) type Backend = <DbConnection as diesel::Connection>::Backend;

/// A bind value, in the order of the `?` in the SQL text.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Day(NaiveDate),
    Int(i32),
    BigInt(i64),
    At(NaiveDateTime),
}

/// SQL text and its values.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(&mut self, value: Value) -> &mut Self {
        self.text.push('?');
        self.values.push(value);
        self
    }

    pub(crate) fn query(&self, conn: &DbConnection) -> BoxedSqlQuery<'static, Backend, SqlQuery> {
        let text = match conn {
            DbConnection::Sqlite(_) => self.text.clone(),
            DbConnection::Pg(_) => numbered(&self.text),
        };
        let mut query = diesel::sql_query(text).into_boxed();
        for value in &self.values {
            query = match value.clone() {
                Value::Text(v) => query.bind::<Text, _>(v),
                Value::Day(v) => query.bind::<Date, _>(v),
                Value::Int(v) => query.bind::<Integer, _>(v),
                Value::BigInt(v) => query.bind::<BigInt, _>(v),
                Value::At(v) => query.bind::<Timestamp, _>(v),
            };
        }
        query
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (the SQL here has no `?` in literals).
fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            super::numbered("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }
}
