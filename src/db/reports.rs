//! The turnaround report's queries besides its sample (`report_cells`): the backlog and the
//! tasks open now, the rows behind the report (the CSV export), the amendments. Plain SQL both
//! backends run alike, over columns the engine writes with every change (`net_minutes`,
//! `submitted_day`).

use super::scope::{Form, Scope};
use super::sql::{Sql, Value};
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

/// Which applications a report covers: submitted on these local days, within a scope.
#[derive(Debug, Clone)]
pub struct Filter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: Scope,
}

/// The applications whose turnaround the report describes: decided by a review.
const DECIDED: &str = "a.status IN ('issued', 'rejected')";

/// 1 when the application `a` was decided by its statutory deadline (which moved with the
/// pauses after acceptance), else 0; without a deadline, 0.
const WITHIN_STATUTORY: &str = "CASE WHEN a.statutory_due_at IS NOT NULL \
     AND a.decided_at <= a.statutory_due_at THEN 1 ELSE 0 END";

#[derive(Debug, Clone, Default, PartialEq, QueryableByName)]
pub struct Backlog {
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub oldest_submitted_at: Option<NaiveDateTime>,
}

/// Applications open now (submitted and not yet decided) in the scope, whenever submitted;
/// amendments under review are not applications.
pub fn backlog(conn: &mut DbConnection, scope: &Scope) -> QueryResult<Backlog> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT COUNT(*) AS open, MIN(a.submitted_at) AS oldest_submitted_at \
         FROM applications a \
         WHERE a.status IN ('submitted', 'under_review', 'info_requested') \
         AND COALESCE(a.workflow, '') <> 'amendment' AND ",
    )
    .scope(scope);
    sql.query(conn).get_result(conn)
}

#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct OpenTasks {
    #[diesel(sql_type = Text)]
    pub k: String,
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue: i64,
}

/// Open (or claimed) review tasks now in the scope, and how many are past due while the
/// clock runs, by authority (`by_authority`) or all together under the key `all`.
pub fn open_tasks(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
    by_authority: bool,
) -> QueryResult<Vec<OpenTasks>> {
    let k = if by_authority {
        "t.authority_code"
    } else {
        "'all'"
    };
    let mut sql = Sql::default();
    sql.push("SELECT ")
        .push(k)
        .push(
            " AS k, COUNT(*) AS open, \
             COALESCE(SUM(CASE WHEN t.due_at < ",
        )
        .bind(Value::At(now))
        .push(
            " AND a.status IN ('submitted', 'under_review') THEN 1 ELSE 0 END), 0) AS overdue \
             FROM review_tasks t JOIN applications a ON a.id = t.application_id \
             WHERE t.state IN ('open', 'claimed') AND ",
        )
        .scope(scope);
    if by_authority {
        sql.push(" GROUP BY t.authority_code");
    }
    sql.query(conn).load(conn)
}

/// One application behind the report (the CSV export).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ReportRow {
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub workflow: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub permit_class: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub issuing_authority: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub submitted_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub decided_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Integer)]
    pub paused_minutes: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub net_minutes: Option<i32>,
    /// 1 or 0 for applications the report counts as decided, else none.
    #[diesel(sql_type = Nullable<Integer>)]
    pub within_target: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub within_statutory: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub permit_no: Option<String>,
}

/// Every application submitted in the period and scope, oldest first.
pub fn rows(
    conn: &mut DbConnection,
    filter: &Filter,
    target_minutes: i32,
) -> QueryResult<Vec<ReportRow>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT a.reference, a.status, a.workflow, a.permit_class, a.issuing_authority, \
         a.submitted_at, a.decided_at, a.paused_minutes, a.net_minutes, CASE WHEN ",
    )
    .push(DECIDED)
    .push(" THEN ")
    .within_target(target_minutes)
    .push(" END AS within_target, CASE WHEN ")
    .push(DECIDED)
    .push(" THEN ")
    .push(WITHIN_STATUTORY)
    .push(" END AS within_statutory, a.permit_no FROM applications a WHERE a.submitted_at IS NOT NULL AND")
    .period_and_scope(filter)
    .push(" ORDER BY a.submitted_at, a.reference");
    sql.query(conn).load(conn)
}

/// The report's pieces of SQL.
trait ReportSql {
    fn within_target(&mut self, target_minutes: i32) -> &mut Self;
    fn period_and_scope(&mut self, filter: &Filter) -> &mut Self;
    fn scope(&mut self, scope: &Scope) -> &mut Self;
}

impl ReportSql for Sql {
    /// 1 when the application `a` took no more than the target (net), else 0.
    fn within_target(&mut self, target_minutes: i32) -> &mut Self {
        self.push("CASE WHEN a.net_minutes <= ")
            .bind(Value::Int(target_minutes))
            .push(" THEN 1 ELSE 0 END")
    }

    /// `a` (applications) submitted in the period and visible in the scope.
    fn period_and_scope(&mut self, filter: &Filter) -> &mut Self {
        self.push(" a.submitted_day >= ")
            .bind(Value::Day(filter.from))
            .push(" AND a.submitted_day <= ")
            .bind(Value::Day(filter.to))
            .push(" AND ")
            .scope(&filter.scope)
    }

    /// Correlated probes keyed by each application the period (or the status) selects,
    /// rather than a list of every application ever in the area or on the authority.
    fn scope(&mut self, scope: &Scope) -> &mut Self {
        scope.condition(self, "a", Form::Probe);
        self
    }
}

/// One amendment in a report's period and scope: what it changed, when it was asked and
/// decided, and how its case ended.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct AmendmentSample {
    #[diesel(sql_type = Text)]
    pub changes: String,
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub decided_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// The amendments asked for in `[from, until)` whose case is in the scope (their cases carry
/// the permit's application's firm and areas).
pub fn amendments(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<AmendmentSample>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT m.changes, m.created_at, m.decided_at, a.status FROM amendments m \
         JOIN applications a ON a.id = m.id WHERE m.created_at >= ",
    )
    .bind(Value::At(from))
    .push(" AND m.created_at < ")
    .bind(Value::At(until))
    .push(" AND ");
    scope.condition(&mut sql, "a", Form::Probe);
    sql.query(conn).load(conn)
}
