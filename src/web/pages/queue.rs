//! A reviewer's queue on a busy morning: their authority's tasks, the most urgent first,
//! overdue ones marked, each a click from its application.

use super::frame::Frame;
use super::html_with_status;
use super::labels;
use crate::domain::role::Role;
use crate::domain::timebook::BudgetClock;
use crate::i18n::Lang;
use crate::service::applications as service;
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session::SignedIn;
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use chrono::TimeZone;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(queue);
}

struct Row {
    application_id: String,
    reference: String,
    class: String,
    phase: String,
    state: String,
    state_label: &'static str,
    due: String,
    /// "due in 2 working hours (tomorrow 11:30)".
    due_in: String,
    overdue: bool,
    mine: bool,
    /// 督办 level: 1 the authority, 2 the prefecture, 3 the region.
    level: i32,
    /// A transport project's size: loads, vehicles, trips.
    project: String,
}

#[derive(Template)]
#[template(path = "review/queue.html")]
struct QueuePage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    filter: String,
    rows: Vec<Row>,
    overdue: usize,
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    pub state: Option<String>,
}

#[get("/queue")]
async fn queue(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<QueueQuery>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    if current.role != Role::Reviewer {
        return Err(AppError::Forbidden);
    }
    let filter = match query.state.as_deref() {
        Some(f @ ("open" | "mine" | "all")) => f.to_string(),
        _ => "all".to_string(),
    };
    let (caller, f) = (current.clone(), filter.clone());
    let (engine, now) = (state.engine.clone(), state.clock.now());
    let items = state
        .db(move |conn| service::queue(conn, &engine, &caller, &f, now))
        .await?;
    let tz = state.engine.timezone;
    let rows: Vec<Row> = items
        .into_iter()
        .map(|t| {
            let overdue = t.is_overdue(now);
            let due = t.due_at;
            let due_in = labels::due_in(
                t.remaining_minutes,
                t.budget_clock == BudgetClock::Working,
                due,
                now,
                tz,
                lang,
            );
            Row {
                application_id: t.application_id,
                reference: t.reference,
                class: t.permit_class.unwrap_or_default(),
                phase: labels::phase(&t.phase, lang),
                state_label: labels::task_state(t.state.as_str(), lang),
                overdue,
                due: due
                    .map(|d| tz.from_utc_datetime(&d).format("%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                due_in,
                mine: t.assignee.as_deref() == Some(current.user.id.as_str()),
                level: t.escalation_level,
                state: t.state.as_str().to_string(),
                project: t
                    .project
                    .map(|p| {
                        lang.text(
                            "page.queue.project_size",
                            &[
                                ("loads", p.loads.to_string()),
                                ("vehicles", p.vehicles.to_string()),
                                ("trips", p.trips.to_string()),
                            ],
                        )
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let page = QueuePage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        frame: Frame::for_user(Some(&current), &session, lang),
        filter,
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
    };
    html_with_status(StatusCode::OK, page)
}
