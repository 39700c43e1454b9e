//! The applications a user may see, newest first: a logistics firm's dashboard (where each
//! application stands, who has signed, who is still reviewing, the clock against the target)
//! and a manager's list of their area, with a status filter and pages.

use super::frame::Frame;
use super::html_with_status;
use super::labels;
use crate::domain::application::ApplicationKind;
use crate::domain::ids::ApplicationId;
use crate::domain::role::Role;
use crate::domain::workflow::TaskState;
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
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list);
}

const PER_PAGE: i64 = 25;

struct Line {
    id: String,
    reference: String,
    status: String,
    status_label: &'static str,
    class: String,
    route: String,
    submitted: String,
    net: String,
    net_minutes: i64,
    /// The clock runs: submitted or under review (waiting for the applicant does not count).
    running: bool,
    late: bool,
    /// "5 / 9 signed" while a phase is open.
    progress: String,
    /// The authorities still reviewing.
    waiting: String,
    permit_no: Option<String>,
    /// A transport project: its name and progress.
    project: String,
    edit_href: String,
    /// A draft's cargo and travel dates, and when it was last saved: which draft is which.
    draft: String,
}

#[derive(Template)]
#[template(path = "applications/list.html")]
struct ListPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    applicant: bool,
    lines: Vec<Line>,
    status: String,
    kind: String,
    statuses: Vec<(&'static str, &'static str)>,
    page: i64,
    pages: i64,
    total: i64,
    target_minutes: i64,
    csrf: String,
    /// "Draft PF-… discarded", after discarding one.
    notice: Option<String>,
    search: String,
    authority: String,
    /// The authorities to narrow to (managers): (code, name).
    authority_choices: Vec<(String, String)>,
    /// The filters as a query, for the pager's links.
    query: String,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub page: Option<i64>,
    pub discarded: Option<String>,
    /// A reference, a firm, a plate, the cargo or a place.
    pub q: Option<String>,
    /// An authority with a task on the application.
    pub authority: Option<String>,
}

const STATUSES: [&str; 8] = [
    "draft",
    "submitted",
    "under_review",
    "info_requested",
    "issued",
    "not_accepted",
    "rejected",
    "withdrawn",
];

#[get("/applications")]
async fn list(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<ListQuery>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    if matches!(current.role, Role::Inspector | Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let query = query.into_inner();
    let status = query
        .status
        .filter(|s| STATUSES.contains(&s.as_str()))
        .unwrap_or_default();
    // A page number out of bounds shows the nearest page that can exist.
    let paging = crate::domain::paging::Paging {
        page: query
            .page
            .unwrap_or(1)
            .clamp(1, crate::domain::paging::MAX_PAGE),
        per_page: PER_PAGE,
    };
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let (caller, filter) = (current.clone(), status.clone());
    let kind_filter = match query.kind.as_deref() {
        Some(k @ ("single" | "project")) => k.to_string(),
        _ => String::new(),
    };
    let kind_filter_shown = kind_filter.clone();
    let en = lang == Lang::En;
    let search: String = query
        .q
        .clone()
        .unwrap_or_default()
        .trim()
        .chars()
        .take(60)
        .collect();
    let authority_code = query.authority.clone().unwrap_or_default();
    let (text, code) = (search.clone(), authority_code.clone());
    let (found, authorities, campaigns) = state
        .db(move |conn| {
            let filter = crate::db::applications::ListFilter {
                status: Some(filter.as_str()).filter(|s| !s.is_empty()),
                kind: Some(kind_filter.as_str()).filter(|k| !k.is_empty()),
                text: Some(text.as_str()).filter(|t| !t.is_empty()),
                authority: Some(code.as_str()).filter(|c| !c.is_empty()),
            };
            let found = service::list_where(conn, &engine, &caller, filter, paging, now)?;
            let mut campaigns = HashMap::new();
            for v in &found.items {
                if v.kind == ApplicationKind::Project && v.permit_no.is_some() {
                    let id = ApplicationId::from(&v.id);
                    let p = service::progress(conn, &engine, &caller, &id, now)?;
                    campaigns.insert(v.id.clone(), p);
                }
            }
            let authorities: HashMap<String, String> =
                crate::service::reference::authorities(conn)?
                    .into_iter()
                    .map(|a| (a.code, if en { a.name_en } else { a.name_zh }))
                    .collect();
            Ok((found, authorities, campaigns))
        })
        .await?;
    let tz = state.engine.timezone;
    let target = i64::from(state.engine.target_hours) * 60;
    let lines = found
        .items
        .into_iter()
        .map(|v| {
            let open_phase = v.open_phase();
            let (progress, waiting) = match open_phase {
                // Waiting for the applicant: say so, not who is "still reviewing".
                Some(_) if v.status == crate::domain::workflow::AppStatus::InfoRequested => (
                    labels::word(
                        en,
                        if current.role == Role::Applicant {
                            "page.list.waiting_for_your_answer"
                        } else {
                            "page.list.waiting_for_the_applicant"
                        },
                    )
                    .to_string(),
                    String::new(),
                ),
                Some(p) => {
                    let signed = p
                        .tasks
                        .iter()
                        .filter(|t| t.state == TaskState::Approved)
                        .count();
                    let pending: Vec<String> = p
                        .tasks
                        .iter()
                        .filter(|t| t.state.awaits_signature())
                        .map(|t| {
                            authorities
                                .get(&t.authority_code)
                                .cloned()
                                .unwrap_or(t.authority_code.clone())
                        })
                        .collect();
                    (
                        format!(
                            "{} · {signed} / {} {}",
                            labels::phase(&p.name, lang),
                            p.tasks.len(),
                            labels::word(en, "page.list.signed")
                        ),
                        pending.join(labels::word(en, "page.list_separator")),
                    )
                }
                None => (String::new(), String::new()),
            };
            let open = v.status.is_open();
            let route = v.input.route.as_ref();
            let (from, to) = (
                route.and_then(|r| r.origin.as_deref()).unwrap_or_default(),
                route
                    .and_then(|r| r.destination.as_deref())
                    .unwrap_or_default(),
            );
            let route = if from.is_empty() && to.is_empty() {
                String::new()
            } else {
                format!("{from} → {to}")
            };
            let draft = if v.status == crate::domain::workflow::AppStatus::Draft {
                draft_line(&v, lang, |t| {
                    tz.from_utc_datetime(&t)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
            } else {
                String::new()
            };
            Line {
                status_label: labels::app_status(v.status.as_str(), lang),
                class: v.permit_class.clone().unwrap_or_default(),
                route,
                submitted: v
                    .submitted_at
                    .map(|t| {
                        tz.from_utc_datetime(&t)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default(),
                net: if v.submitted_at.is_some() {
                    labels::duration(v.net_minutes, lang)
                } else {
                    String::new()
                },
                late: open && v.net_minutes > target,
                net_minutes: v.net_minutes,
                running: v.status.clock_runs(),
                progress,
                waiting,
                permit_no: v.permit_no.clone(),
                project: project_line(&v, campaigns.get(&v.id), lang),
                draft,
                edit_href: match v.kind {
                    ApplicationKind::Project => format!("/projects/{}/edit", v.id),
                    ApplicationKind::Single => format!("/applications/{}/edit", v.id),
                },
                id: v.id,
                reference: v.reference,
                status: v.status.as_str().to_string(),
            }
        })
        .collect();
    // Drafts are the firm's own: nobody else ever sees one, so only the firm may filter by it.
    let applicant = current.role == Role::Applicant;
    let statuses = STATUSES
        .iter()
        .filter(|s| applicant || **s != "draft")
        .map(|s| (*s, labels::app_status(s, lang)))
        .collect();
    let frame = Frame::for_user(Some(&current), &session, lang);
    let page_view = ListPage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        query: serde_urlencoded::to_string([
            ("status", status.as_str()),
            ("kind", kind_filter_shown.as_str()),
            ("q", search.as_str()),
            ("authority", authority_code.as_str()),
        ])
        .unwrap_or_default(),
        authority_choices: if applicant {
            Vec::new()
        } else {
            let mut all: Vec<(String, String)> = authorities.into_iter().collect();
            all.sort();
            all
        },
        search,
        authority: authority_code,
        applicant,
        notice: query
            .discarded
            .filter(|r| r.len() <= 40)
            .map(|r| lang.text("page.list.discarded", &[("reference", r)])),
        lines,
        status,
        kind: kind_filter_shown,
        statuses,
        page: found.page,
        pages: ((found.total + PER_PAGE - 1) / PER_PAGE).max(1),
        total: found.total,
        target_minutes: target,
    };
    html_with_status(StatusCode::OK, page_view)
}

/// What tells one draft from another: its cargo (or project), its travel dates, when it was
/// last saved.
fn draft_line(
    v: &crate::service::applications::view::Application,
    lang: Lang,
    local: impl Fn(chrono::NaiveDateTime) -> String,
) -> String {
    let mut parts = Vec::new();
    let cargo = v
        .input
        .cargo
        .as_ref()
        .and_then(|c| c.description.clone())
        .or_else(|| v.input.project.as_ref().and_then(|p| p.name.clone()))
        .filter(|c| !c.trim().is_empty());
    parts.push(cargo.unwrap_or_else(|| lang.word("page.list.no_cargo_yet").to_string()));
    if let Some(t) = &v.input.travel {
        if t.from.is_some() || t.to.is_some() {
            parts.push(format!(
                "{} – {}",
                t.from.clone().unwrap_or_default(),
                t.to.clone().unwrap_or_default()
            ));
        }
    }
    parts.push(lang.text("page.list.saved_at", &[("at", local(v.updated_at))]));
    parts.join(" · ")
}

/// A project's line in a list: its name, and once issued its trips made of trips allowed.
fn project_line(
    v: &crate::service::applications::view::Application,
    progress: Option<&crate::service::applications::Progress>,
    lang: Lang,
) -> String {
    if v.kind != ApplicationKind::Project {
        return String::new();
    }
    let name = v
        .input
        .project
        .as_ref()
        .and_then(|p| p.name.clone())
        .unwrap_or_default();
    match progress {
        Some(p) => lang.text(
            "page.list.project_progress",
            &[
                ("name", name),
                ("used", p.trips_used.to_string()),
                ("allowed", p.trips_allowed.to_string()),
                ("percent", p.percent().to_string()),
                ("moving", p.in_transit().to_string()),
            ],
        ),
        None => name,
    }
}
