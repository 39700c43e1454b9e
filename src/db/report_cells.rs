//! The turnaround report's cells (migration `report_cells`): per scope and local day of
//! submission, the counts and exact net-minute histograms of the applications folded into
//! them, and the rows a report or a fold reads beside them. What the histograms mean and how
//! they are encoded is `service::report_cells`; here they are bytes.

use super::schema::{application_areas, applications, report_applications, report_tasks};
use super::scope::{Form, Scope};
use super::sql::{Sql, Value};
use super::DbConnection;
use crate::domain::workflow::case::AppStatus;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text};

/// Applications of one scope and day, by workflow, class and kind.
#[derive(Debug, Clone, PartialEq, QueryableByName, Insertable)]
#[diesel(table_name = report_applications)]
pub struct AppCellRow {
    pub scope: String,
    pub day: NaiveDate,
    pub workflow: String,
    pub class: String,
    pub kind: String,
    pub submitted: i64,
    pub issued: i64,
    pub rejected: i64,
    pub not_accepted: i64,
    pub minutes: Vec<u8>,
}

/// Decided review tasks of one scope and day (of their application's submission), by
/// authority and phase.
#[derive(Debug, Clone, PartialEq, QueryableByName, Insertable)]
#[diesel(table_name = report_tasks)]
pub struct TaskCellRow {
    pub scope: String,
    pub day: NaiveDate,
    pub authority_code: String,
    pub phase: String,
    pub minutes: Vec<u8>,
}

// The cells are read through plain SQL, planned with its values at every run: a statement
// that diesel caches (prepared once per connection) may keep on PostgreSQL the generic plan
// chosen while the tables were empty — a sequential scan — long after they hold millions of
// cells (seen at 1,000,000 applications: every fold read scanned the whole table).

/// The application cells of a scope over `[from, to]`.
pub fn app_cells(
    conn: &mut DbConnection,
    scope: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<AppCellRow>> {
    let mut sql = Sql::default();
    sql.push(APP_CELL_COLUMNS)
        .push(" FROM report_applications WHERE ")
        .period(scope, from, to);
    sql.query(conn).load(conn)
}

/// The task cells of a scope over `[from, to]`.
pub fn task_cells(
    conn: &mut DbConnection,
    scope: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<TaskCellRow>> {
    let mut sql = Sql::default();
    sql.push(TASK_CELL_COLUMNS)
        .push(" FROM report_tasks WHERE ")
        .period(scope, from, to);
    sql.query(conn).load(conn)
}

/// The application cells of these scopes and days (what a fold adds to).
pub fn app_cells_of(
    conn: &mut DbConnection,
    keys: &[(String, NaiveDate)],
) -> QueryResult<Vec<AppCellRow>> {
    let mut sql = Sql::default();
    sql.push(APP_CELL_COLUMNS)
        .push(" FROM report_applications WHERE ")
        .days(keys);
    sql.query(conn).load(conn)
}

/// The task cells of these scopes and days.
pub fn task_cells_of(
    conn: &mut DbConnection,
    keys: &[(String, NaiveDate)],
) -> QueryResult<Vec<TaskCellRow>> {
    let mut sql = Sql::default();
    sql.push(TASK_CELL_COLUMNS)
        .push(" FROM report_tasks WHERE ")
        .days(keys);
    sql.query(conn).load(conn)
}

const APP_CELL_COLUMNS: &str = "SELECT scope, day, workflow, class, kind, submitted, issued, \
     rejected, not_accepted, minutes";

const TASK_CELL_COLUMNS: &str = "SELECT scope, day, authority_code, phase, minutes";

trait CellSql {
    fn period(&mut self, scope: &str, from: NaiveDate, to: NaiveDate) -> &mut Self;
    fn days(&mut self, keys: &[(String, NaiveDate)]) -> &mut Self;
}

impl CellSql for Sql {
    /// One scope's days `[from, to]`: a range of the primary key.
    fn period(&mut self, scope: &str, from: NaiveDate, to: NaiveDate) -> &mut Self {
        self.push("scope = ")
            .bind(Value::Text(scope.into()))
            .push(" AND day >= ")
            .bind(Value::Day(from))
            .push(" AND day <= ")
            .bind(Value::Day(to))
    }

    /// Some (scope, day) pairs, each a prefix of the primary key (none: nothing).
    fn days(&mut self, keys: &[(String, NaiveDate)]) -> &mut Self {
        if keys.is_empty() {
            return self.push("1 = 0");
        }
        for (i, (scope, day)) in keys.iter().enumerate() {
            self.push(if i == 0 { "(" } else { " OR (" })
                .push("scope = ")
                .bind(Value::Text(scope.clone()))
                .push(" AND day = ")
                .bind(Value::Day(*day))
                .push(")");
        }
        self
    }
}

/// Rows of one multi-row statement (PostgreSQL allows 65,535 bound values).
const CHUNK: usize = 1_000;

/// Writes these application cells, replacing any with the same key: on PostgreSQL in one
/// statement per thousand (a fold changes hundreds of cells, each a round trip otherwise);
/// on SQLite row by row through the cached statement.
pub fn upsert_app_cells(conn: &mut DbConnection, rows: &[AppCellRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use report_applications as c;
    macro_rules! upsert {
        ($rows:expr, $conn:expr) => {
            diesel::insert_into(c::table)
                .values($rows)
                .on_conflict((c::scope, c::day, c::workflow, c::class, c::kind))
                .do_update()
                .set((
                    c::submitted.eq(excluded(c::submitted)),
                    c::issued.eq(excluded(c::issued)),
                    c::rejected.eq(excluded(c::rejected)),
                    c::not_accepted.eq(excluded(c::not_accepted)),
                    c::minutes.eq(excluded(c::minutes)),
                ))
                .execute($conn)
                .map(drop)
        };
    }
    match conn {
        DbConnection::Pg(pg) => rows.chunks(CHUNK).try_for_each(|chunk| upsert!(chunk, pg)),
        DbConnection::Sqlite(lite) => rows.iter().try_for_each(|row| upsert!(row, lite)),
    }
}

/// As `upsert_app_cells`, for task cells.
pub fn upsert_task_cells(conn: &mut DbConnection, rows: &[TaskCellRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use report_tasks as c;
    macro_rules! upsert {
        ($rows:expr, $conn:expr) => {
            diesel::insert_into(c::table)
                .values($rows)
                .on_conflict((c::scope, c::day, c::authority_code, c::phase))
                .do_update()
                .set(c::minutes.eq(excluded(c::minutes)))
                .execute($conn)
                .map(drop)
        };
    }
    match conn {
        DbConnection::Pg(pg) => rows.chunks(CHUNK).try_for_each(|chunk| upsert!(chunk, pg)),
        DbConnection::Sqlite(lite) => rows.iter().try_for_each(|row| upsert!(row, lite)),
    }
}

/// Applications counted alike: one submission day, workflow, class, kind, status and net
/// minutes, and whether they were decided within the statutory deadline.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct AppSample {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Text)]
    pub workflow: String,
    #[diesel(sql_type = Text)]
    pub class: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub net_minutes: Option<i32>,
    /// 1 when decided by the statutory deadline (which moved with the pauses), else 0.
    #[diesel(sql_type = Integer)]
    pub within_statutory: i32,
    /// How many (1 for one application about to be folded).
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Decided review tasks counted alike: one authority, phase and net minutes, and whether
/// they were decided within their budget.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct TaskSample {
    #[diesel(sql_type = Text)]
    pub authority_code: String,
    #[diesel(sql_type = Text)]
    pub phase: String,
    #[diesel(sql_type = Integer)]
    pub net_minutes: i32,
    #[diesel(sql_type = Integer)]
    pub within_budget: i32,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// An application about to be folded, as its cells count it (`n` is 1).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Pending {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(embed)]
    pub sample: AppSample,
}

/// A decided review task of an application about to be folded.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct PendingTask {
    #[diesel(sql_type = Text)]
    pub application_id: String,
    #[diesel(sql_type = Text)]
    pub authority_code: String,
    #[diesel(sql_type = Text)]
    pub phase: String,
    #[diesel(sql_type = Integer)]
    pub net_minutes: i32,
    #[diesel(sql_type = Integer)]
    pub within_budget: i32,
}

/// An application's figures as the report and its cells key them (`a` is `applications`).
const APP_COLUMNS: &str = "a.submitted_day AS day, COALESCE(a.workflow, '') AS workflow, \
     COALESCE(a.permit_class, '') AS class, a.kind, a.status, a.net_minutes, \
     CASE WHEN a.statutory_due_at IS NOT NULL AND a.decided_at <= a.statutory_due_at \
     THEN 1 ELSE 0 END AS within_statutory";

/// A decided task's figures (`t` is `review_tasks`, `p` its phase).
const TASK_COLUMNS: &str = "t.authority_code, p.name AS phase, t.net_minutes, \
     CASE WHEN t.decided_at <= t.due_at THEN 1 ELSE 0 END AS within_budget";

const TASK_JOIN: &str = "review_tasks t JOIN application_phases p \
     ON p.application_id = t.application_id AND p.position = t.phase_position";

/// Not folded yet, and submitted (the terms of the partial index `applications_unfolded`,
/// written as it is so that both planners use it).
const UNFOLDED: &str = "a.report_folded = FALSE AND a.submitted_day IS NOT NULL";

/// Which applications of the period and scope a sample reads as rows: those not folded yet
/// (`unfolded_only`, the scope has cells), or all of them.
fn period(sql: &mut Sql, scope: &Scope, from: NaiveDate, to: NaiveDate, unfolded_only: bool) {
    if unfolded_only {
        sql.push(UNFOLDED).push(" AND ");
    }
    sql.push("a.submitted_day >= ")
        .bind(Value::Day(from))
        .push(" AND a.submitted_day <= ")
        .bind(Value::Day(to))
        .push(" AND ");
    scope.condition(sql, "a", Form::Probe);
}

/// Applications submitted in the period and scope, read as rows, counted alike.
pub fn app_samples(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    unfolded_only: bool,
) -> QueryResult<Vec<AppSample>> {
    let mut sql = Sql::default();
    sql.push("SELECT day, workflow, class, kind, status, net_minutes, within_statutory, COUNT(*) AS n FROM (SELECT ")
        .push(APP_COLUMNS)
        .push(" FROM applications a WHERE a.submitted_at IS NOT NULL AND ");
    period(&mut sql, scope, from, to, unfolded_only);
    sql.push(") s GROUP BY day, workflow, class, kind, status, net_minutes, within_statutory");
    sql.query(conn).load(conn)
}

/// Decided review tasks of the applications submitted in the period and scope, read as rows,
/// counted alike.
pub fn task_samples(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    unfolded_only: bool,
) -> QueryResult<Vec<TaskSample>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT authority_code, phase, net_minutes, within_budget, COUNT(*) AS n FROM (SELECT ",
    )
    .push(TASK_COLUMNS)
    .push(" FROM ")
    .push(TASK_JOIN)
    .push(" JOIN applications a ON a.id = t.application_id WHERE t.net_minutes IS NOT NULL AND ");
    period(&mut sql, scope, from, to, unfolded_only);
    sql.push(") s GROUP BY authority_code, phase, net_minutes, within_budget");
    sql.query(conn).load(conn)
}

/// Up to `limit` applications nothing of which changes any more (a terminal status) and
/// that are not folded yet, oldest submission day first.
pub fn pending(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Pending>> {
    let mut sql = Sql::default();
    sql.push("SELECT a.id, CAST(1 AS BIGINT) AS n, ")
        .push(APP_COLUMNS)
        .push(" FROM applications a WHERE ")
        .push(UNFOLDED)
        .push(" AND a.submitted_at IS NOT NULL AND a.status IN (");
    let terminal = AppStatus::ALL.iter().filter(|s| s.is_terminal());
    for (i, status) in terminal.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Value::Text(status.as_str().into()));
    }
    sql.push(") ORDER BY a.submitted_day LIMIT ")
        .bind(Value::BigInt(limit));
    sql.query(conn).load(conn)
}

/// The decided review tasks of these applications.
pub fn pending_tasks(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<PendingTask>> {
    let mut sql = Sql::default();
    sql.push("SELECT t.application_id, ")
        .push(TASK_COLUMNS)
        .push(" FROM ")
        .push(TASK_JOIN)
        .push(" WHERE t.net_minutes IS NOT NULL AND t.application_id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Value::Text(id.clone()));
    }
    sql.push(")");
    sql.query(conn).load(conn)
}

/// The route areas (county, prefecture) of these applications.
pub fn areas_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    application_areas::table
        .filter(application_areas::application_id.eq_any(ids))
        .select((
            application_areas::application_id,
            application_areas::county,
            application_areas::prefecture,
        ))
        .load(conn)
}

/// Marks these applications as folded into the cells.
pub fn mark_folded(conn: &mut DbConnection, ids: &[String]) -> QueryResult<usize> {
    diesel::update(applications::table.filter(applications::id.eq_any(ids)))
        .set(applications::report_folded.eq(true))
        .execute(conn)
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// On PostgreSQL, whether this transaction could take the fold's advisory lock (another
/// instance folding holds it); SQLite's `BEGIN IMMEDIATE` already serialises the folds.
pub fn try_lock_fold(conn: &mut DbConnection) -> QueryResult<bool> {
    match conn {
        // "reports" in ASCII.
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(32199680925529203) AS locked")
                .get_result::<Locked>(pg)
                .map(|l| l.locked)
        }
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// Refreshes the planners' statistics of the tables a fold changes.
pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(match conn {
        DbConnection::Pg(_) => "ANALYZE applications, report_applications, report_tasks",
        DbConnection::Sqlite(_) => {
            "ANALYZE applications; ANALYZE report_applications; ANALYZE report_tasks"
        }
    })
}
