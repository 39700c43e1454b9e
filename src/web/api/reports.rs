//! Reports for managers (API.md, Reports): turnaround figures and their CSV, and the escalation
//! board (every task past its due time in the manager's area, most overdue first, with its
//! 督办 level).

use crate::domain::role::Role;
use crate::service::reports::{self, Group, ReportQuery, Turnaround};
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(turnaround_csv)
        .service(turnaround)
        .service(escalations);
}

fn managers_only(current: &Caller) -> Result<(), AppError> {
    if current.role == Role::Manager {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A manager's report request, checked, with the moment it is answered at.
struct Asked {
    caller: Caller,
    now: NaiveDateTime,
    from: NaiveDate,
    to: NaiveDate,
    group: Group,
}

fn asked(state: &AppState, current: Caller, query: &ReportQuery) -> Result<Asked, AppError> {
    managers_only(&current)?;
    let now = state.clock.now();
    let (from, to, group) = query
        .parse(state.engine.today(now))
        .map_err(AppError::Validation)?;
    Ok(Asked {
        caller: current,
        now,
        from,
        to,
        group,
    })
}

/// Turnaround of the applications submitted in the period (local days, both included; the
/// last 90 days when not given) in the caller's area, grouped by week, authority, phase,
/// class or workflow (managers).
#[utoipa::path(tag = "reports", params(ReportQuery), responses((status = 200, body = Turnaround), (status = 403), (status = 422)), security(("bearer" = [])))]
#[get("/reports/turnaround")]
pub async fn turnaround(
    state: web::Data<AppState>,
    current: Caller,
    query: crate::web::input::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let Asked {
        caller,
        now,
        from,
        to,
        group,
    } = asked(&state, current, &query)?;
    let target = state.engine.target_hours;
    let report = state
        .db(move |conn| {
            let scope = reports::area_of(conn, &caller)?;
            reports::turnaround(conn, from, to, scope, group, target, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The applications behind the turnaround report, one CSV row each; with `table=groups`, the
/// rows of its groups' table instead (managers).
#[utoipa::path(tag = "reports", params(ReportQuery, CsvQuery), responses((status = 200, content_type = "text/csv"), (status = 403), (status = 422)), security(("bearer" = [])))]
#[get("/reports/turnaround.csv")]
pub async fn turnaround_csv(
    state: web::Data<AppState>,
    current: Caller,
    crate::web::extract::Locale(lang): crate::web::extract::Locale,
    query: crate::web::input::Query<ReportQuery>,
    table: crate::web::input::Query<CsvQuery>,
) -> Result<HttpResponse, AppError> {
    let Asked {
        caller,
        now,
        from,
        to,
        group,
    } = asked(&state, current, &query)?;
    let (target, timezone) = (state.engine.target_hours, state.engine.timezone);
    let groups = table.table.as_deref() == Some("groups");
    let sheet = match table.format.as_deref() {
        None | Some("data") => false,
        Some("spreadsheet") => true,
        Some(other) => {
            return Err(AppError::Validation(crate::domain::ValidationErrors(vec![
                crate::domain::FieldError::new(
                    "format",
                    crate::domain::Message::new("error.one_of")
                        .with("value", other)
                        .with("allowed", "data, spreadsheet"),
                ),
            ])))
        }
    };
    let en = lang == crate::i18n::Lang::En;
    let body = state
        .db(move |conn| {
            let scope = reports::area_of(conn, &caller)?;
            match (groups, sheet) {
                (true, false) => {
                    let report = reports::turnaround(conn, from, to, scope, group, target, now)?;
                    reports::groups_csv(&report)
                }
                (false, false) => reports::turnaround_csv(conn, from, to, scope, target, timezone),
                (true, true) => {
                    let report = reports::turnaround(conn, from, to, scope, group, target, now)?;
                    let names = crate::service::reference::names(conn, en)?;
                    super::spreadsheet::groups(&report, &names, lang)
                }
                (false, true) => {
                    let rows = reports::turnaround_rows(conn, from, to, scope, target)?;
                    let names = crate::service::reference::names(conn, en)?;
                    super::spreadsheet::applications(rows, &names, lang, timezone)
                }
            }
        })
        .await?;
    let name = if groups {
        format!("turnaround-{}-{from}-{to}.csv", group.as_str())
    } else {
        format!("turnaround-{from}-{to}.csv")
    };
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct CsvQuery {
    /// `groups` for the groups' table; the applications otherwise.
    pub table: Option<String>,
    /// `spreadsheet`: UTF-8 with a byte order mark, headers and values in the caller's
    /// language, names beside codes — for Excel and for people; `data` (the default): the
    /// English headers and codes integrations parse.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationRow {
    pub task_id: String,
    pub reference: String,
    pub authority_code: String,
    /// 0 not yet escalated; 1 the authority, 2 the prefecture, 3 the region.
    pub level: i32,
    pub overdue_minutes: i64,
    pub application_id: String,
}

/// Open tasks past their due time in the caller's area (managers), most overdue first.
#[utoipa::path(tag = "reports", responses((status = 200, body = [EscalationRow]), (status = 403)), security(("bearer" = [])))]
#[get("/reports/escalations")]
pub async fn escalations(
    state: web::Data<AppState>,
    current: Caller,
) -> Result<HttpResponse, AppError> {
    managers_only(&current)?;
    let (caller, now) = (current, state.clock.now());
    let rows = state
        .db(move |conn| crate::service::reports::escalation_board(conn, &caller, now))
        .await?;
    let board: Vec<EscalationRow> = rows
        .into_iter()
        .map(|t| EscalationRow {
            overdue_minutes: (now - t.due_at).num_minutes(),
            task_id: t.task_id,
            reference: t.reference,
            authority_code: t.authority_code,
            level: t.level,
            application_id: t.application_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(board))
}
