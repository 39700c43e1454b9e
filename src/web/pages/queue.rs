//! A reviewer's queue on a busy morning: their authority's tasks, the most urgent first, each
//! with its time left (amber when a quarter of the budget is left, red when overdue, grey and
//! "paused" while the applicant is asked), the firm, the cargo and the route; searched by
//! reference or plate; and a tab of what was done. Each row is a click from its application.

use super::frame::Frame;
use super::html_with_status;
use super::labels;
use crate::domain::role::Role;
use crate::domain::timebook::BudgetClock;
use crate::domain::workflow::escalation::REMINDER_PERCENT;
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
    /// The task reviews an amendment of an issued permit.
    amendment: bool,
    /// `overdue`, `due-soon`, `paused` or empty: the row's colour.
    urgency: &'static str,
    firm: String,
    cargo: String,
    /// The counties on the route, by name.
    route: String,
    /// When it was decided (the done tab), "2026-12-01 10:20".
    decided: String,
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
    /// The search typed (a reference or a plate) and how many rows it left.
    search: String,
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    pub state: Option<String>,
    /// A reference (or part of one) or a plate.
    pub q: Option<String>,
}

/// Text compared without case, spaces or dashes: "新b 12345" finds 新B12345.
fn folded(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
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
        Some(f @ ("open" | "mine" | "all" | "done")) => f.to_string(),
        _ => "all".to_string(),
    };
    let search = query.q.clone().unwrap_or_default().trim().to_string();
    let wanted = folded(&search);
    let (caller, f) = (current.clone(), filter.clone());
    let (engine, now) = (state.engine.clone(), state.clock.now());
    let en = lang == Lang::En;
    let (items, names) = state
        .db(move |conn| {
            let items = service::queue(conn, &engine, &caller, &f, now)?;
            let names = crate::service::reference::names(conn, en)?;
            Ok((items, names))
        })
        .await?;
    let tz = state.engine.timezone;
    let rows: Vec<Row> = items
        .into_iter()
        .filter(|t| {
            wanted.is_empty()
                || folded(&t.reference).contains(&wanted)
                || t.plates.iter().any(|p| folded(p).contains(&wanted))
        })
        .map(|t| {
            let paused = t.app_status == crate::domain::workflow::AppStatus::InfoRequested
                && filter != "done";
            let urgency = match (t.is_overdue(now), t.remaining_minutes) {
                _ if paused => "paused",
                (true, _) => "overdue",
                // The reminder's moment (a share of the budget) has come: amber.
                (false, Some(left))
                    if (t.budget_minutes - left) * 100 >= t.budget_minutes * REMINDER_PERCENT =>
                {
                    "due-soon"
                }
                _ => "",
            };
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
            let route = t
                .counties
                .iter()
                .map(|c| {
                    names
                        .jurisdictions
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| c.clone())
                })
                .collect::<Vec<_>>()
                .join(" → ");
            Row {
                urgency,
                firm: t.firm.clone(),
                cargo: t.cargo.clone(),
                amendment: t.amendment,
                route,
                decided: t
                    .decided_at
                    .map(|d| {
                        tz.from_utc_datetime(&d)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default(),
                application_id: t.application_id,
                reference: t.reference,
                class: t.permit_class.unwrap_or_default(),
                phase: labels::phase(&t.phase, lang),
                state_label: labels::task_state(t.state.as_str(), lang),
                overdue: overdue && !paused,
                due: due
                    .map(|d| {
                        tz.from_utc_datetime(&d)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default(),
                due_in: if paused {
                    labels::word(en, "page.queue.paused").to_string()
                } else {
                    due_in
                },
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
    // What can be worked on now comes first; what waits for the applicant after it.
    let mut rows = rows;
    rows.sort_by_key(|r| r.urgency == "paused");
    let page = QueuePage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        frame: Frame::for_user(Some(&current), &session, lang),
        filter,
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
        search,
    };
    html_with_status(StatusCode::OK, page)
}
