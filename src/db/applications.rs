//! Applications with their phases, review tasks, audit events, route areas and attachments.

use super::cached::{self, cached};
use super::schema::{
    application_areas, application_events, application_phases, applications, attachments,
    review_tasks, users,
};
use super::scope::Form;
pub use super::scope::Scope;
use super::sql::{Backend, Sql, Value};
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(
    Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Insertable, AsChangeset,
)]
#[diesel(table_name = applications, treat_none_as_null = true)]
pub struct ApplicationRow {
    pub id: String,
    pub reference: String,
    pub firm_id: String,
    pub created_by: String,
    pub status: String,
    pub version: i32,
    pub input: String,
    pub workflow: Option<String>,
    pub workflow_version: Option<i32>,
    pub permit_class: Option<String>,
    pub issuing_level: Option<String>,
    pub issuing_authority: Option<String>,
    pub statutory_working_days: Option<i32>,
    pub statutory_due_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub paused_minutes: i32,
    pub paused_since: Option<NaiveDateTime>,
    pub permit_no: Option<String>,
    /// Net turnaround of a decided application (the report ranks by it).
    pub net_minutes: Option<i32>,
    /// The local day of submission and the Monday of its week (the report's period and weeks).
    pub submitted_day: Option<NaiveDate>,
    pub submitted_week: Option<NaiveDate>,
    /// `single` or `project`, fixed when the draft is created.
    pub kind: String,
    /// When the applicant was last told how review stands: approvals after it go into the next
    /// digest or the next e-mail of a step.
    pub reported_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_phases)]
pub struct PhaseRow {
    pub application_id: String,
    pub position: i32,
    pub name: String,
    pub state: String,
    pub opened_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = review_tasks, treat_none_as_null = true)]
pub struct TaskRow {
    pub id: String,
    pub application_id: String,
    pub phase_position: i32,
    pub position: i32,
    pub step: String,
    pub authority_code: String,
    pub budget_minutes: i32,
    pub state: String,
    pub assignee: Option<String>,
    pub opened_at: Option<NaiveDateTime>,
    pub claimed_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision: Option<String>,
    pub conditions: String,
    pub comment: Option<String>,
    pub escalation_level: i32,
    pub reminded_at: Option<NaiveDateTime>,
    /// A final decision's time from (re-)opening, less pauses.
    pub net_minutes: Option<i32>,
    /// When the SLA ladder next has something to do (the escalation rule's), while pending.
    pub next_sla_at: Option<NaiveDateTime>,
    /// `wall` or `working`: what the budget counts.
    pub budget_clock: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_events)]
pub struct EventRow {
    pub id: String,
    pub application_id: String,
    pub seq: i32,
    pub at: NaiveDateTime,
    pub kind: String,
    pub actor_id: Option<String>,
    pub task_id: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: String,
    pub application_id: String,
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
    /// The project load a contour drawing is for.
    pub load_key: Option<String>,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ApplicationRow>> {
    applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .get_result(conn)
        .optional()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Is the application visible in this scope? Probed by the application, so that the check
/// costs the same however many tasks an authority (or applications an area) ever had.
pub fn in_scope(conn: &mut DbConnection, id: &str, scope: &Scope) -> QueryResult<bool> {
    let mut sql = Sql::default();
    sql.push("SELECT COUNT(*) AS n FROM applications a WHERE a.id = ")
        .bind(Value::Text(id.to_string()))
        .push(" AND ");
    scope.condition(&mut sql, "a", Form::Probe);
    let found: Count = sql.query(conn).get_result(conn)?;
    Ok(found.n > 0)
}

/// What a list of applications is narrowed to beyond the caller's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter<'a> {
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// Text in the reference, the firm's name or the application (a plate, the cargo, a place).
    pub text: Option<&'a str>,
    /// An authority with a task on it (or issuing it).
    pub authority: Option<&'a str>,
}

/// `%text%` for LIKE, its own `%`, `_` and `\` taken literally (with `ESCAPE '\'`).
fn containing(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of the applications in scope, newest first, and how many there are in all.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: ListFilter<'_>,
    paging: crate::domain::paging::Paging,
) -> QueryResult<(Vec<ApplicationRow>, i64)> {
    let filtered = |select: &str| {
        let mut sql = Sql::default();
        // An amendment's case is listed with its permit, not as an application.
        sql.push(select)
            .push(" FROM applications a WHERE COALESCE(a.workflow, '') <> 'amendment' AND ");
        scope.condition(&mut sql, "a", Form::Set);
        if let Some(s) = filter.status {
            sql.push(" AND a.status = ")
                .bind(Value::Text(s.to_string()));
        }
        if let Some(k) = filter.kind {
            sql.push(" AND a.kind = ").bind(Value::Text(k.to_string()));
        }
        if let Some(text) = filter.text {
            let pattern = containing(text);
            sql.push(" AND (a.reference LIKE ")
                .bind(Value::Text(pattern.clone()))
                .push(" ESCAPE '\\' OR a.input LIKE ")
                .bind(Value::Text(pattern.clone()))
                .push(" ESCAPE '\\' OR a.firm_id IN (SELECT f.id FROM firms f WHERE f.name LIKE ")
                .bind(Value::Text(pattern))
                .push(" ESCAPE '\\'))");
        }
        if let Some(code) = filter.authority {
            sql.push(" AND (a.issuing_authority = ")
                .bind(Value::Text(code.to_string()))
                .push(
                    " OR EXISTS (SELECT 1 FROM review_tasks t WHERE t.application_id = a.id \
                     AND t.authority_code = ",
                )
                .bind(Value::Text(code.to_string()))
                .push("))");
        }
        sql
    };
    let total: Count = filtered("SELECT COUNT(*) AS n")
        .query(conn)
        .get_result(conn)?;
    let mut page = filtered("SELECT a.*");
    page.push(" ORDER BY a.created_at DESC, a.id DESC LIMIT ")
        .bind(Value::BigInt(paging.per_page))
        .push(" OFFSET ")
        .bind(Value::BigInt(paging.offset()));
    let rows = page.query(conn).load(conn)?;
    Ok((rows, total.n))
}

pub fn insert(conn: &mut DbConnection, row: &ApplicationRow) -> QueryResult<()> {
    diesel::insert_into(applications::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Writes the new state if nobody changed the application since `expected_version` was read;
/// `false` when someone did (the caller answers 409). The first write of every change, so
/// that on PostgreSQL it also takes the row lock that queues concurrent writers.
pub fn update_if_version(
    conn: &mut DbConnection,
    row: &ApplicationRow,
    expected_version: i32,
) -> QueryResult<bool> {
    let updated = cached::execute(
        conn,
        cached!(diesel::update(
            applications::table
                .filter(applications::id.eq(&row.id))
                .filter(applications::version.eq(expected_version)),
        )
        .set(row)
        .returning(applications::version)),
    )?;
    Ok(updated == 1)
}

/// The next reference number of `year`, without gaps or duplicates (inside the caller's
/// write transaction, which serialises concurrent callers).
pub fn next_reference(conn: &mut DbConnection, year: i32) -> QueryResult<String> {
    let value = super::counters::next(conn, "reference_counters", &[("year", Value::Int(year))])?;
    Ok(format!("PF-{year}-{value:06}"))
}

pub fn phases(conn: &mut DbConnection, application_id: &str) -> QueryResult<Vec<PhaseRow>> {
    application_phases::table
        .filter(application_phases::application_id.eq(application_id))
        .order(application_phases::position)
        .select(PhaseRow::as_select())
        .load(conn)
}

pub fn tasks(conn: &mut DbConnection, application_id: &str) -> QueryResult<Vec<TaskRow>> {
    review_tasks::table
        .filter(review_tasks::application_id.eq(application_id))
        .order((review_tasks::phase_position, review_tasks::position))
        .select(TaskRow::as_select())
        .load(conn)
}

pub fn application_of_task(conn: &mut DbConnection, task_id: &str) -> QueryResult<Option<String>> {
    review_tasks::table
        .find(task_id)
        .select(review_tasks::application_id)
        .get_result(conn)
        .optional()
}

/// Inserts the rows: on PostgreSQL in one statement (one round trip instead of one per row);
/// on SQLite, where there is no round trip, row by row through the one statement the cache
/// keeps (a statement for several rows would be compiled for their number each time).
pub fn insert_phases(conn: &mut DbConnection, rows: &[PhaseRow]) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) if rows.len() > 1 => diesel::insert_into(application_phases::table)
            .values(rows)
            .execute(pg)
            .map(drop),
        _ => rows.iter().try_for_each(|row| {
            diesel::insert_into(application_phases::table)
                .values(row)
                .execute(conn)
                .map(drop)
        }),
    }
}

pub fn update_phase(conn: &mut DbConnection, row: &PhaseRow) -> QueryResult<()> {
    cached::execute(
        conn,
        cached!(diesel::update(
            application_phases::table.find((&row.application_id, row.position))
        )
        .set((
            application_phases::state.eq(&row.state),
            application_phases::opened_at.eq(row.opened_at),
            application_phases::completed_at.eq(row.completed_at),
        ))
        .returning(application_phases::position)),
    )
    .map(drop)
}

/// As `insert_phases`.
pub fn insert_tasks(conn: &mut DbConnection, rows: &[TaskRow]) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) if rows.len() > 1 => diesel::insert_into(review_tasks::table)
            .values(rows)
            .execute(pg)
            .map(drop),
        _ => rows.iter().try_for_each(|row| {
            diesel::insert_into(review_tasks::table)
                .values(row)
                .execute(conn)
                .map(drop)
        }),
    }
}

pub fn update_task(conn: &mut DbConnection, row: &TaskRow) -> QueryResult<()> {
    cached::execute(
        conn,
        cached!(diesel::update(review_tasks::table.find(&row.id))
            .set(row)
            .returning(review_tasks::position)),
    )
    .map(drop)
}

/// Records the counties and prefectures a route touches (replacing earlier ones).
pub fn replace_areas(
    conn: &mut DbConnection,
    application_id: &str,
    areas: &[(String, String)],
) -> QueryResult<()> {
    diesel::delete(
        application_areas::table.filter(application_areas::application_id.eq(application_id)),
    )
    .execute(conn)?;
    for (county, prefecture) in areas {
        diesel::insert_into(application_areas::table)
            .values((
                application_areas::application_id.eq(application_id),
                application_areas::county.eq(county),
                application_areas::prefecture.eq(prefecture),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The counties (with their prefectures) an application's route touches.
pub fn areas_of(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<(String, String)>> {
    application_areas::table
        .filter(application_areas::application_id.eq(id))
        .order(application_areas::county.asc())
        .select((application_areas::county, application_areas::prefecture))
        .load(conn)
}

pub fn last_event_seq(conn: &mut DbConnection, application_id: &str) -> QueryResult<i32> {
    let max: Option<i32> = application_events::table
        .filter(application_events::application_id.eq(application_id))
        .select(diesel::dsl::max(application_events::seq))
        .get_result(conn)?;
    Ok(max.unwrap_or(0))
}

/// As `insert_phases`.
pub fn insert_events(conn: &mut DbConnection, rows: &[EventRow]) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(pg) if rows.len() > 1 => diesel::insert_into(application_events::table)
            .values(rows)
            .execute(pg)
            .map(drop),
        _ => rows.iter().try_for_each(|row| {
            diesel::insert_into(application_events::table)
                .values(row)
                .execute(conn)
                .map(drop)
        }),
    }
}

/// The audit log of one application, oldest first, with each actor's name.
pub fn events(
    conn: &mut DbConnection,
    application_id: &str,
) -> QueryResult<Vec<(EventRow, Option<String>)>> {
    application_events::table
        .left_join(users::table.on(application_events::actor_id.eq(users::id.nullable())))
        .filter(application_events::application_id.eq(application_id))
        .order(application_events::seq)
        .select((EventRow::as_select(), users::name.nullable()))
        .load(conn)
}

pub fn insert_attachment(conn: &mut DbConnection, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn attachments_of(
    conn: &mut DbConnection,
    application_id: &str,
) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::application_id.eq(application_id))
        .order(attachments::uploaded_at)
        .select(AttachmentRow::as_select())
        .load(conn)
}

/// A reviewer's queue row: a task with its application's reference, class, phase name, kind, input, status, firm and
/// workflow (`amendment` for an amendment of a permit).
pub type QueueRow = (
    TaskRow,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// Tasks of an authority in the given states (and, if given, held by `assignee`), oldest due first.
pub fn queue(
    conn: &mut DbConnection,
    authority: &str,
    states: &[&str],
    assignee: Option<&str>,
    recent_first: bool,
) -> QueryResult<Vec<QueueRow>> {
    use super::schema::firms;
    let mut query = review_tasks::table
        .inner_join(applications::table)
        .inner_join(firms::table.on(firms::id.eq(applications::firm_id)))
        .inner_join(
            application_phases::table.on(application_phases::application_id
                .eq(review_tasks::application_id)
                .and(application_phases::position.eq(review_tasks::phase_position))),
        )
        .filter(review_tasks::authority_code.eq(authority.to_string()))
        .filter(
            review_tasks::state.eq_any(states.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        )
        .into_boxed::<Backend>();
    if let Some(user) = assignee {
        query = query.filter(review_tasks::assignee.eq(user.to_string()));
    }
    // What is done: the latest decisions first, a screenful.
    let query = if recent_first {
        query
            .order((review_tasks::decided_at.desc(), review_tasks::id.asc()))
            .limit(100)
    } else {
        query.order((review_tasks::due_at.asc(), review_tasks::id.asc()))
    };
    query
        .select((
            TaskRow::as_select(),
            applications::reference,
            applications::permit_class,
            application_phases::name,
            applications::kind,
            applications::input,
            applications::status,
            firms::name,
            applications::workflow,
        ))
        .load(conn)
}

/// Applications with an open or claimed task whose next SLA moment (stored with the task,
/// derived from the escalation rule) has come by `now`; the exact check is the domain's.
pub fn with_tasks_near_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let mut ids: Vec<String> = review_tasks::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "review_tasks.state IN ('open', 'claimed')",
        ))
        .filter(review_tasks::next_sla_at.le(now))
        .select(review_tasks::application_id)
        .load(conn)?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// A task past its due time, with its application's reference.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct OverdueTask {
    #[diesel(sql_type = Text)]
    pub task_id: String,
    #[diesel(sql_type = Text)]
    pub application_id: String,
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Text)]
    pub authority_code: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub level: i32,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub due_at: NaiveDateTime,
}

/// The SQL form of an overdue task `t` (open or claimed, past its due time: the domain's
/// `Task::is_overdue`) on an application `a` whose clock runs (waiting for the applicant
/// stops it), as the board and the reports count it. Literal states, so that both backends'
/// planners use the partial index `review_tasks_pending`.
pub(crate) fn overdue_sql(sql: &mut Sql, now: NaiveDateTime) -> &mut Sql {
    sql.push("t.state IN ('open', 'claimed') AND t.due_at < ")
        .bind(Value::At(now))
        .push(" AND a.status IN ('submitted', 'under_review')")
}

/// Overdue tasks within `scope`, most overdue first.
pub fn overdue_tasks(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
) -> QueryResult<Vec<OverdueTask>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT t.id AS task_id, t.application_id, a.reference, t.authority_code, \
         t.escalation_level AS level, t.due_at FROM review_tasks t \
         JOIN applications a ON a.id = t.application_id WHERE ",
    );
    overdue_sql(&mut sql, now).push(" AND ");
    scope.condition(&mut sql, "a", Form::Probe);
    sql.push(" ORDER BY t.due_at, t.id");
    sql.query(conn).load(conn)
}

/// Deletes a draft and what hangs on it (its files' records, its events). A draft has no
/// phases, tasks, areas, mail or permit yet: the caller checks it is one, in the same
/// transaction.
pub fn delete_draft(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    use super::schema::{application_events as e, applications as a, attachments as f};
    diesel::delete(f::table.filter(f::application_id.eq(id))).execute(conn)?;
    diesel::delete(e::table.filter(e::application_id.eq(id))).execute(conn)?;
    diesel::delete(a::table.filter(a::id.eq(id)).filter(a::status.eq("draft"))).execute(conn)?;
    Ok(())
}

/// Applications under review with approvals the applicant has not been told of, last told at
/// or before `told_by` (the digest is due): the digest job's work.
pub fn with_untold_approvals(
    conn: &mut DbConnection,
    told_by: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let approved_since_told = review_tasks::table
        .filter(review_tasks::application_id.eq(applications::id))
        .filter(review_tasks::state.eq("approved"))
        .filter(review_tasks::decided_at.ge(applications::reported_at));
    applications::table
        .filter(applications::status.eq_any(["under_review", "info_requested"]))
        .filter(
            applications::workflow
                .is_null()
                .or(applications::workflow.ne("amendment")),
        )
        .filter(applications::reported_at.le(told_by))
        .filter(diesel::dsl::exists(approved_since_told))
        .select(applications::id)
        .order(applications::id)
        .load(conn)
}
