//! Applications with their phases, review tasks, audit events, route areas and attachments.

use super::schema::{
    application_areas, application_events, application_phases, applications, attachments,
    reference_counters, review_tasks, users,
};
use super::DbConnection;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Integer;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = applications)]
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

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = review_tasks)]
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
}

/// Who may see which applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An applicant: their firm's applications.
    Firm(String),
    /// A reviewer: applications their authority has a task on.
    Authority(String),
    /// A manager: submitted applications whose route touches the jurisdiction.
    Area(String),
    /// A manager of the whole region: every submitted application.
    Everything,
    Nothing,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ApplicationRow>> {
    applications::table
        .find(id)
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()
}

// Boxed queries over the multi-backend connection name its backend.
type Backend = <DbConnection as diesel::Connection>::Backend;

/// The applications a scope may see, as a query to filter further.
pub fn scoped_query(scope: &Scope) -> applications::BoxedQuery<'static, Backend> {
    let query = applications::table.into_boxed::<Backend>();
    match scope.clone() {
        Scope::Firm(firm) => query.filter(applications::firm_id.eq(firm)),
        Scope::Authority(code) => query.filter(
            applications::id.eq_any(
                review_tasks::table
                    .filter(review_tasks::authority_code.eq(code))
                    .select(review_tasks::application_id),
            ),
        ),
        Scope::Area(code) => query.filter(applications::status.ne("draft")).filter(
            applications::id.eq_any(
                application_areas::table
                    .filter(
                        application_areas::county
                            .eq(code.clone())
                            .or(application_areas::prefecture.eq(code)),
                    )
                    .select(application_areas::application_id),
            ),
        ),
        Scope::Everything => query.filter(applications::status.ne("draft")),
        Scope::Nothing => query.filter(applications::id.is_null()),
    }
}

/// Is the application visible in this scope? The same scope as `scoped_query`, checked for one
/// application by probes keyed on it, so that the check costs the same however many tasks an
/// authority (or applications an area) ever had: `id = ? AND id IN (every task's application)`
/// made SQLite collect them all first.
pub fn in_scope(conn: &mut DbConnection, id: &str, scope: &Scope) -> QueryResult<bool> {
    use diesel::dsl::exists;
    let one = applications::table
        .filter(applications::id.eq(id.to_string()))
        .into_boxed::<Backend>();
    let query = match scope.clone() {
        Scope::Firm(firm) => one.filter(applications::firm_id.eq(firm)),
        Scope::Authority(code) => one.filter(exists(
            review_tasks::table
                .filter(review_tasks::application_id.eq(applications::id))
                .filter(review_tasks::authority_code.eq(code)),
        )),
        Scope::Area(code) => one.filter(applications::status.ne("draft")).filter(exists(
            application_areas::table
                .filter(application_areas::application_id.eq(applications::id))
                .filter(
                    application_areas::county
                        .eq(code.clone())
                        .or(application_areas::prefecture.eq(code)),
                ),
        )),
        Scope::Everything => one.filter(applications::status.ne("draft")),
        Scope::Nothing => one.filter(applications::id.is_null()),
    };
    let count: i64 = query.count().get_result(conn)?;
    Ok(count > 0)
}

/// One page of the applications in scope, newest first, and how many there are in all.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    status: Option<&str>,
    paging: crate::domain::paging::Paging,
) -> QueryResult<(Vec<ApplicationRow>, i64)> {
    let filtered = |q: applications::BoxedQuery<'static, Backend>| match status {
        Some(s) => q.filter(applications::status.eq(s.to_string())),
        None => q,
    };
    let total: i64 = filtered(scoped_query(scope)).count().get_result(conn)?;
    let rows = filtered(scoped_query(scope))
        .order((applications::created_at.desc(), applications::id.desc()))
        .offset(paging.offset())
        .limit(paging.per_page)
        .select(ApplicationRow::as_select())
        .load(conn)?;
    Ok((rows, total))
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
    let updated = diesel::update(
        applications::table
            .filter(applications::id.eq(&row.id))
            .filter(applications::version.eq(expected_version)),
    )
    .set((
        (
            applications::status.eq(&row.status),
            applications::version.eq(row.version),
            applications::input.eq(&row.input),
            applications::workflow.eq(&row.workflow),
            applications::workflow_version.eq(row.workflow_version),
            applications::permit_class.eq(&row.permit_class),
            applications::issuing_level.eq(&row.issuing_level),
            applications::issuing_authority.eq(&row.issuing_authority),
            applications::statutory_working_days.eq(row.statutory_working_days),
        ),
        (
            applications::statutory_due_at.eq(row.statutory_due_at),
            applications::updated_at.eq(row.updated_at),
            applications::submitted_at.eq(row.submitted_at),
            applications::accepted_at.eq(row.accepted_at),
            applications::decided_at.eq(row.decided_at),
            applications::issued_at.eq(row.issued_at),
            applications::paused_minutes.eq(row.paused_minutes),
            applications::paused_since.eq(row.paused_since),
            applications::permit_no.eq(&row.permit_no),
        ),
        (
            applications::net_minutes.eq(row.net_minutes),
            applications::submitted_day.eq(row.submitted_day),
            applications::submitted_week.eq(row.submitted_week),
        ),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The next reference number of `year`, without gaps or duplicates (inside the caller's
/// write transaction, which serialises concurrent callers).
pub fn next_reference(conn: &mut DbConnection, year: i32) -> QueryResult<String> {
    let insert = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO reference_counters (year, last_value) VALUES (?, 0) ON CONFLICT (year) DO NOTHING"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO reference_counters (year, last_value) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING"
        }
    };
    diesel::sql_query(insert)
        .bind::<Integer, _>(year)
        .execute(conn)?;
    diesel::update(reference_counters::table.find(year))
        .set(reference_counters::last_value.eq(reference_counters::last_value + 1))
        .execute(conn)?;
    let value: i32 = reference_counters::table
        .find(year)
        .select(reference_counters::last_value)
        .first(conn)?;
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
        .first(conn)
        .optional()
}

pub fn insert_phase(conn: &mut DbConnection, row: &PhaseRow) -> QueryResult<()> {
    diesel::insert_into(application_phases::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update_phase(conn: &mut DbConnection, row: &PhaseRow) -> QueryResult<()> {
    diesel::update(application_phases::table.find((&row.application_id, row.position)))
        .set((
            application_phases::state.eq(&row.state),
            application_phases::opened_at.eq(row.opened_at),
            application_phases::completed_at.eq(row.completed_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_task(conn: &mut DbConnection, row: &TaskRow) -> QueryResult<()> {
    diesel::insert_into(review_tasks::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn update_task(conn: &mut DbConnection, row: &TaskRow) -> QueryResult<()> {
    diesel::update(review_tasks::table.find(&row.id))
        .set((
            review_tasks::state.eq(&row.state),
            review_tasks::assignee.eq(&row.assignee),
            review_tasks::opened_at.eq(row.opened_at),
            review_tasks::claimed_at.eq(row.claimed_at),
            review_tasks::due_at.eq(row.due_at),
            review_tasks::decided_at.eq(row.decided_at),
            review_tasks::decision.eq(&row.decision),
            review_tasks::conditions.eq(&row.conditions),
            review_tasks::comment.eq(&row.comment),
            review_tasks::escalation_level.eq(row.escalation_level),
            review_tasks::reminded_at.eq(row.reminded_at),
            review_tasks::net_minutes.eq(row.net_minutes),
        ))
        .execute(conn)
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

pub fn last_event_seq(conn: &mut DbConnection, application_id: &str) -> QueryResult<i32> {
    let max: Option<i32> = application_events::table
        .filter(application_events::application_id.eq(application_id))
        .select(diesel::dsl::max(application_events::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

pub fn insert_event(conn: &mut DbConnection, row: &EventRow) -> QueryResult<()> {
    diesel::insert_into(application_events::table)
        .values(row)
        .execute(conn)
        .map(drop)
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

/// A reviewer's queue row: the task, its application's reference and class, its phase name.
pub type QueueRow = (TaskRow, String, Option<String>, String);

/// Tasks of an authority in the given states (and, if given, held by `assignee`), oldest due first.
pub fn queue(
    conn: &mut DbConnection,
    authority: &str,
    states: &[&str],
    assignee: Option<&str>,
) -> QueryResult<Vec<QueueRow>> {
    let mut query = review_tasks::table
        .inner_join(applications::table)
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
    query
        .order((review_tasks::due_at.asc(), review_tasks::id.asc()))
        .select((
            TaskRow::as_select(),
            applications::reference,
            applications::permit_class,
            application_phases::name,
        ))
        .load(conn)
}

/// Open or claimed tasks, written as the partial index `review_tasks_pending` is (literal
/// states, not bound ones), so that both backends' planners can use it: pending tasks are a
/// sliver of all tasks.
fn pending() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql("review_tasks.state IN ('open', 'claimed')")
}

/// Applications with an open or claimed task whose next SLA threshold may have passed by
/// `now`: the reminder comes at 75 % of the budget, so anything due within a quarter of its
/// budget from now (the exact check is the domain's).
pub fn with_tasks_near_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, Option<NaiveDateTime>, i32, i32)> = review_tasks::table
        .filter(pending())
        .filter(review_tasks::escalation_level.lt(3))
        .select((
            review_tasks::application_id,
            review_tasks::due_at,
            review_tasks::budget_minutes,
            review_tasks::escalation_level,
        ))
        .load(conn)?;
    let mut ids: Vec<String> = rows
        .into_iter()
        .filter(|(_, due, budget, _)| {
            due.is_some_and(|due| due - chrono::TimeDelta::minutes(i64::from(*budget) / 4) <= now)
        })
        .map(|(id, ..)| id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// A task past its due time, with its application's reference.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueTask {
    pub task_id: String,
    pub application_id: String,
    pub reference: String,
    pub authority_code: String,
    pub level: i32,
    pub due_at: NaiveDateTime,
}

/// Open or claimed tasks past their due time on applications whose clock runs (waiting for
/// the applicant stops it), within `scope`, most overdue first.
pub fn overdue_tasks(
    conn: &mut DbConnection,
    scope: &Scope,
    now: NaiveDateTime,
) -> QueryResult<Vec<OverdueTask>> {
    let rows: Vec<(String, String, String, String, i32, Option<NaiveDateTime>)> =
        review_tasks::table
            .inner_join(applications::table)
            .filter(pending())
            .filter(review_tasks::due_at.lt(now))
            .filter(applications::status.eq_any(["submitted", "under_review"]))
            .order(review_tasks::due_at)
            .select((
                review_tasks::id,
                review_tasks::application_id,
                applications::reference,
                review_tasks::authority_code,
                review_tasks::escalation_level,
                review_tasks::due_at,
            ))
            .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let visible: std::collections::HashSet<String> = scoped_query(scope)
        .filter(applications::id.eq_any(ids))
        .select(applications::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .filter(|r| visible.contains(&r.1))
        .filter_map(
            |(task_id, application_id, reference, authority_code, level, due)| {
                Some(OverdueTask {
                    task_id,
                    application_id,
                    reference,
                    authority_code,
                    level,
                    due_at: due?,
                })
            },
        )
        .collect())
}
