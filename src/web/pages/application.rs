//! One application's page, for everyone who may see it: what is asked for, where review
//! stands (who has signed, who is still reviewing, against the 24-hour target), attachments,
//! the timeline; and the actions of the one looking: a reviewer claims, releases and decides
//! their authority's task; the applicant answers an information request or withdraws.

use super::frame::Frame;
use super::html_with_status;
use super::labels;
use crate::domain::application::{ApplicationInput, ApplicationKind, TrailerType};
use crate::domain::ids::ApplicationId;
use crate::domain::role::Role;
use crate::domain::workflow::{AppStatus, Decision, PhaseState, TaskState};
use crate::i18n::Lang;
use crate::service::applications::view::{Application, AuditEntry};
use crate::service::applications::{self as service, TaskDecision};
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session;
use crate::web::session::SignedIn;
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;
use std::collections::HashMap;

#[path = "application_actions.rs"]
mod actions;
#[path = "application_project.rs"]
mod project;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(attachment)
        .service(actions::task_action)
        .service(actions::respond)
        .service(actions::withdraw);
}

/// Conditions reviewers set again and again, offered as checkboxes (free text for the rest).
/// Each is recorded in both languages, as the bilingual permit prints it; pages and e-mails
/// show the reader's half ([`labels::condition`]).
pub const COMMON_CONDITIONS: [&str; 6] = labels::COMMON_CONDITIONS;

pub struct TaskLine {
    pub authority: String,
    pub state: String,
    pub state_label: &'static str,
    pub due: String,
    /// "due in 2 working hours (tomorrow 11:30)".
    pub due_in: String,
    pub overdue: bool,
    pub conditions: Vec<String>,
    pub comment: String,
}

pub struct PhaseLine {
    pub label: String,
    pub state: String,
    pub tasks: Vec<TaskLine>,
}

pub struct EventLine {
    pub at: String,
    pub label: String,
    pub actor: String,
    pub detail: String,
}

/// The task the signed-in reviewer can act on, if any.
pub struct MyTask {
    pub id: String,
    pub authority: String,
    pub open: bool,
    pub mine: bool,
    pub held_by_other: bool,
    /// `acceptance`, `issuance` or a review: what the buttons say.
    pub stage: &'static str,
}

#[derive(Template)]
#[template(path = "applications/show.html")]
struct ApplicationPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    id: String,
    reference: String,
    status: String,
    status_label: &'static str,
    class: String,
    issuer: String,
    net: String,
    net_minutes: i64,
    running: bool,
    target_hours: u32,
    target_due: String,
    statutory_due: String,
    late: bool,
    facts: Vec<(&'static str, String)>,
    segments: Vec<(String, String, String)>,
    attachments: Vec<(String, String, String)>,
    phases: Vec<PhaseLine>,
    permit_no: Option<String>,
    my_task: Option<MyTask>,
    /// (recorded value, what the reader reads).
    common_conditions: Vec<(&'static str, String)>,
    /// What happens next, in one line, on every application page.
    next_step: String,
    /// The information request the applicant answers: who asked, and what.
    question: Option<(String, String)>,
    /// An action's field error, shown at its field (`comment`, `message`, `reason`).
    field_error: Option<(&'static str, String)>,
    /// At issuance: the permit that will be issued (plates, validity, trips, merged conditions).
    to_issue: Vec<(&'static str, String)>,
    /// The kinds of file an answer may bring: (kind, name).
    attachment_kinds: Vec<(&'static str, &'static str)>,
    can_respond: bool,
    can_withdraw: bool,
    message: Option<(bool, String)>,
    typed_comment: String,
    timeline: Vec<EventLine>,
    /// A transport project's loads, fleet and progress.
    project: Option<project::ProjectSection>,
    /// The firm may copy it (a project of its own).
    can_copy: bool,
    /// Where a draft is edited: the project form or the single one.
    edit_href: String,
    /// An amendment's case: the permit it changes, and each change as old → new, and why.
    amendment: Option<AmendmentBox>,
}

impl ApplicationPage {
    /// An amendment has no 24-hour target of its own: its tasks' budgets are the clock.
    fn shows_target(&self) -> bool {
        self.amendment.is_none()
    }
}

/// What an amendment's reviewers decide on.
struct AmendmentBox {
    permit_no: String,
    from_version: i32,
    changes: Vec<super::permits::ChangeLine>,
    reason: String,
}

fn local(state: &AppState, t: Option<NaiveDateTime>) -> String {
    t.map(|t| {
        state
            .engine
            .timezone
            .from_utc_datetime(&t)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

fn label(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En {
        en
    } else {
        zh
    }
}

/// What a person reads of an event's detail: its comment, reason, conditions or message.
fn event_detail(detail: &serde_json::Value, lang: Lang) -> String {
    let mut parts = Vec::new();
    // A trip refused on site: its reason in words, not its code.
    let refused = detail["reason"]
        .as_str()
        .and_then(|code| code.parse::<crate::domain::permit::TripRefusal>().ok());
    if let Some(refusal) = refused {
        let plate = detail["plate"].as_str().unwrap_or_default();
        parts.push(super::scan::stop_words(lang, refusal, plate));
    }
    if let Some(level) = detail["level"].as_i64() {
        parts.push(format!("L{level}"));
    }
    // An amendment's step: which amendment, and the version it made.
    if let Some(version) = detail["version"].as_i64() {
        parts.push(match lang {
            Lang::En => format!("version {version}"),
            Lang::Zh => format!("第 {version} 版"),
        });
    }
    for key in [
        "reference",
        "reason",
        "comment",
        "message",
        "location",
        "plate",
        "permit_no",
    ] {
        if let Some(text) = detail[key].as_str().filter(|t| !t.is_empty()) {
            if refused.is_some() && matches!(key, "reason" | "plate") {
                continue;
            }
            parts.push(text.to_string());
        }
    }
    if let Some(list) = detail["conditions"].as_array() {
        parts.extend(
            list.iter()
                .filter_map(|c| c.as_str().map(|c| labels::condition(c, lang))),
        );
    }
    parts.join(" · ")
}

fn facts(input: &ApplicationInput, lang: Lang) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(c) = &input.cargo {
        let dims = match (c.length_m, c.width_m, c.height_m) {
            (Some(l), Some(w), Some(h)) => format!("{l} × {w} × {h} m"),
            _ => String::new(),
        };
        let mass = c
            .mass_kg
            .map(|m| format!("{} t", m / 1000.0))
            .unwrap_or_default();
        facts.push((
            lang.word("page.application.cargo"),
            format!(
                "{} × {}; {dims}; {mass}",
                c.description.clone().unwrap_or_default(),
                c.pieces.unwrap_or(1)
            ),
        ));
    }
    if let Some(v) = &input.vehicle {
        let trailer = TrailerType::parse("", v.trailer_type.as_deref())
            .map(|t| {
                let (zh, en) = t.names();
                label(lang, zh, en).to_string()
            })
            .unwrap_or_default();
        let mut plates = v.tractor_plate.clone().unwrap_or_default();
        for p in v.trailer_plates.iter().flatten() {
            plates.push_str(" + ");
            plates.push_str(p);
        }
        facts.push((lang.word("page.application.plates"), plates));
        let overall = match (v.overall_length_m, v.overall_width_m, v.overall_height_m) {
            (Some(l), Some(w), Some(h)) => format!("{l} × {w} × {h} m"),
            _ => String::new(),
        };
        facts.push((
            lang.word("page.application.vehicle"),
            format!(
                "{trailer}; {} {}; {overall}; {} {} t; {} {} t",
                v.axles.unwrap_or_default(),
                lang.word("page.application.axles"),
                lang.word("page.application.gross"),
                v.gross_mass_kg.unwrap_or_default() / 1000.0,
                lang.word("page.application.max_axle_load"),
                v.max_axle_load_kg.unwrap_or_default() / 1000.0,
            ),
        ));
    }
    if let Some(t) = &input.travel {
        facts.push((
            lang.word("page.application.travel"),
            format!(
                "{} — {}; {} {}",
                t.from.clone().unwrap_or_default(),
                t.to.clone().unwrap_or_default(),
                t.trips.unwrap_or_default(),
                lang.word("page.application.trips")
            ),
        ));
    }
    if let Some(e) = &input.escort {
        let police = if e.police_escort.unwrap_or(false) {
            lang.word("page.application.police_escort")
        } else {
            ""
        };
        facts.push((
            lang.word("page.application.escort"),
            format!(
                "{} {}{police}",
                e.vehicles.unwrap_or_default(),
                lang.word("page.application.escort_vehicles")
            ),
        ));
    }
    facts
}

/// Everything the page shows, gathered in one go.
struct Gathered {
    progress: Option<crate::service::applications::Progress>,
    view: Application,
    input: ApplicationInput,
    events: Vec<AuditEntry>,
    authorities: HashMap<String, String>,
    counties: HashMap<String, String>,
    /// When the case is an amendment of a permit: that amendment.
    amendment: Option<crate::service::applications::amendments::Amendment>,
}

async fn gather(
    state: &AppState,
    current: &Caller,
    id: &str,
    lang: Lang,
) -> Result<Gathered, AppError> {
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let caller = current.clone();
    let id = id.to_string();
    let en = lang == Lang::En;
    state
        .db(move |conn| {
            let view = service::get(conn, &engine, &caller, &ApplicationId::from(&id), now)?;
            let events = service::events(conn, &caller, &ApplicationId::from(&id))?;
            let input = view.input.clone();
            let amendment = crate::service::applications::amendments::of_case(conn, &engine, &id)?;
            let progress = match view.kind {
                _ if amendment.is_some() => None,
                ApplicationKind::Project => Some(service::progress(
                    conn,
                    &engine,
                    &caller,
                    &ApplicationId::from(&id),
                    now,
                )?),
                ApplicationKind::Single => None,
            };
            let names = crate::service::reference::names(conn, en)?;
            let (authorities, counties) = (names.authorities, names.jurisdictions);
            Ok(Gathered {
                progress,
                view,
                input,
                events,
                authorities,
                counties,
                amendment,
            })
        })
        .await
}

struct Outcome {
    message: Option<(bool, String)>,
    /// What was just done (`?done=`), said once the page knows the application.
    done: Option<String>,
    field_error: Option<(&'static str, String)>,
    typed_comment: String,
    status: StatusCode,
}

async fn render(
    state: &AppState,
    session: &Session,
    current: Caller,
    lang: Lang,
    id: &str,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    let g = gather(state, &current, id, lang).await?;
    let v = &g.view;
    let now = state.clock.now();
    let authority = |code: &str| g.authorities.get(code).cloned().unwrap_or(code.into());
    let open = v.status.is_open();
    let withdrawable = open || v.status == AppStatus::Draft;
    let phases: Vec<PhaseLine> = v
        .phases
        .iter()
        .map(|p| PhaseLine {
            label: labels::phase(&p.name, lang),
            state: p.state.as_str().to_string(),
            tasks: p
                .tasks
                .iter()
                .map(|t| TaskLine {
                    authority: authority(&t.authority_code),
                    state: t.state.as_str().to_string(),
                    state_label: labels::task_state(t.state.as_str(), lang),
                    due: local(state, t.due_at),
                    due_in: labels::due_in(
                        t.remaining_minutes,
                        t.budget_clock == crate::domain::timebook::BudgetClock::Working,
                        t.due_at,
                        now,
                        state.engine.timezone,
                        lang,
                    ),
                    overdue: t.is_overdue(now),
                    conditions: t
                        .conditions
                        .iter()
                        .map(|c| labels::condition(c, lang))
                        .collect(),
                    comment: t.comment.clone().unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let my_task = match (current.role, &current.user.authority_code) {
        (Role::Reviewer, Some(code)) => v
            .phases
            .iter()
            .filter(|p| p.state == PhaseState::Open)
            .flat_map(|p| &p.tasks)
            .find(|t| {
                &t.authority_code == code && matches!(t.state, TaskState::Open | TaskState::Claimed)
            })
            .map(|t| MyTask {
                stage: match v
                    .phases
                    .iter()
                    .find(|p| p.tasks.iter().any(|x| x.id == t.id))
                {
                    Some(p) if p.name == "acceptance" => "acceptance",
                    Some(p) if p.name == "amendment" => "amendment",
                    Some(p) if p.name == "issuance" => "issuance",
                    _ => "review",
                },
                id: t.id.clone(),
                authority: authority(code),
                open: t.state == TaskState::Open,
                mine: t.assignee.as_deref() == Some(current.user.id.as_str()),
                held_by_other: t.state == TaskState::Claimed
                    && t.assignee.as_deref() != Some(current.user.id.as_str()),
            }),
        _ => None,
    };
    let applicant = current.role == Role::Applicant;
    let segments = g
        .input
        .route
        .as_ref()
        .and_then(|r| r.segments.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let code = s.jurisdiction.unwrap_or_default();
            (
                s.road.unwrap_or_default(),
                g.counties.get(&code).cloned().unwrap_or(code),
                s.length_km.map(|k| format!("{k} km")).unwrap_or_default(),
            )
        })
        .collect();
    let project = (v.kind == ApplicationKind::Project).then(|| {
        project::section(
            &g.input,
            g.progress.as_ref(),
            &state.engine.rules,
            lang,
            |t| local(state, Some(t)),
        )
    });
    let mut facts = if project.is_some() {
        Vec::new()
    } else {
        facts(&g.input, lang)
    };
    if let Some(r) = &g.input.route {
        facts.insert(
            0,
            (
                lang.word("page.application.from_to"),
                format!(
                    "{} → {}",
                    r.origin.clone().unwrap_or_default(),
                    r.destination.clone().unwrap_or_default()
                ),
            ),
        );
    }
    // The question waiting for the applicant: the latest one asked.
    let question = (v.status == AppStatus::InfoRequested)
        .then(|| {
            v.phases
                .iter()
                .filter(|p| p.state == PhaseState::Open)
                .flat_map(|p| &p.tasks)
                .filter(|t| t.state == TaskState::InfoRequested)
                .max_by_key(|t| t.decided_at)
                .map(|t| {
                    (
                        authority(&t.authority_code),
                        t.comment.clone().unwrap_or_default(),
                    )
                })
        })
        .flatten();
    let issuing = my_task.as_ref().is_some_and(|t| t.stage == "issuance");
    let to_issue = if issuing {
        permit_to_issue(v, &g.input, lang)
    } else {
        Vec::new()
    };
    let frame = Frame::for_user(Some(&current), session, lang);
    let shown = ApplicationPage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        csrf: frame.csrf.clone(),
        frame,
        id: v.id.clone(),
        reference: v.reference.clone(),
        status: v.status.as_str().to_string(),
        status_label: match g.amendment.as_ref().map(|a| a.status) {
            Some(status) => labels::amendment_status(status, lang),
            None => labels::app_status(v.status.as_str(), lang),
        },
        class: v.permit_class.clone().unwrap_or_default(),
        issuer: v
            .issuing_authority
            .as_deref()
            .map(authority)
            .unwrap_or_default(),
        net: labels::duration(v.net_minutes, lang),
        net_minutes: v.net_minutes,
        running: v.status.clock_runs(),
        target_hours: state.engine.target_hours,
        target_due: local(state, v.target_due_at),
        // The statutory deadline is the end of a day: said as that day ("2026-12-22 截止").
        statutory_due: v
            .statutory_due_at
            .map(|t| {
                let end =
                    state.engine.timezone.from_utc_datetime(&t) - chrono::TimeDelta::seconds(1);
                lang.text(
                    "page.application.statutory_day",
                    &[("day", end.date_naive().to_string())],
                )
            })
            .unwrap_or_default(),
        late: open && v.net_minutes > i64::from(state.engine.target_hours) * 60,
        facts,
        segments,
        attachments: v
            .attachments
            .iter()
            .map(|a| {
                (
                    format!("/applications/{}/attachments/{}", v.id, a.id),
                    a.filename.clone(),
                    format!("{} KB", (a.size + 1023) / 1024),
                )
            })
            .collect(),
        phases,
        permit_no: v.permit_no.clone(),
        my_task,
        common_conditions: COMMON_CONDITIONS
            .iter()
            .map(|c| (*c, labels::condition(c, lang)))
            .collect(),
        next_step: match &g.amendment {
            Some(a) => amendment_next_step(a, lang, &authority),
            None => next_step(v, &current, lang, &authority, |t| local(state, t)),
        },
        question,
        field_error: outcome.field_error,
        to_issue,
        attachment_kinds: super::form::ATTACHMENTS
            .iter()
            .map(|(kind, zh, en)| (*kind, if lang == Lang::En { *en } else { *zh }))
            .collect(),
        can_respond: applicant && v.status == AppStatus::InfoRequested,
        can_withdraw: applicant && withdrawable,
        message: outcome
            .message
            .or_else(|| done_message(outcome.done.as_deref(), v, lang)),
        typed_comment: outcome.typed_comment,
        timeline: g
            .events
            .iter()
            .rev()
            // A campaign's trips are counted in its progress and listed on each permit.
            .filter(|e| {
                v.kind == ApplicationKind::Single
                    || !matches!(e.kind.as_str(), "trip_recorded" | "trip_refused")
            })
            .map(|e| EventLine {
                at: local(state, Some(e.at)),
                label: labels::event(&e.kind, lang),
                actor: e.actor.clone().unwrap_or_default(),
                detail: event_detail(&e.detail, lang),
            })
            .collect(),
        edit_href: match v.kind {
            ApplicationKind::Project => format!("/projects/{}/edit", v.id),
            ApplicationKind::Single => format!("/applications/{}/edit", v.id),
        },
        can_copy: applicant && v.kind == ApplicationKind::Project && g.amendment.is_none(),
        project,
        amendment: g.amendment.as_ref().map(|a| AmendmentBox {
            permit_no: a.row.permit_no.clone(),
            from_version: a.row.from_version,
            changes: super::permits::change_lines(&a.changes, &a.previous, lang == Lang::En),
            reason: a.row.reason.clone(),
        }),
    };
    html_with_status(outcome.status, shown)
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

fn done_message(done: Option<&str>, v: &Application, lang: Lang) -> Option<(bool, String)> {
    let text = match done? {
        "claim" => lang.word("page.application.claimed_colleagues_cannot_decide_this_ta"),
        "release" => lang.word("page.application.released_back_to_the_queue"),
        "approve" => lang.word("page.application.approved"),
        "accept" => lang.word("page.application.accepted"),
        "not_accept" => lang.word("page.application.not_accepted"),
        "issue" => {
            return Some((
                true,
                lang.text(
                    "page.application.issued",
                    &[("permit_no", v.permit_no.clone().unwrap_or_default())],
                ),
            ))
        }
        "request_info" => lang.word("page.application.the_applicant_has_been_asked_for_informa"),
        "reject" => lang.word("page.application.refused"),
        "respond" => lang.word("page.application.your_answer_is_in_review_continues"),
        "withdraw" => lang.word("page.application.the_application_is_withdrawn"),
        "submit" => {
            return Some((
                true,
                lang.text(
                    "page.application.submitted",
                    &[("reference", v.reference.clone())],
                ),
            ))
        }
        _ => return None,
    };
    Some((true, text.to_string()))
}

/// What the permit will say, for the issuer to look at before signing: plates, validity,
/// trips, and the conditions every authority set, each once.
fn permit_to_issue(
    v: &Application,
    input: &ApplicationInput,
    lang: Lang,
) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(vehicle) = &input.vehicle {
        let mut plates: Vec<String> = vehicle.tractor_plate.iter().cloned().collect();
        plates.extend(vehicle.trailer_plates.iter().flatten().cloned());
        lines.push((lang.word("page.application.plates"), plates.join(" · ")));
    }
    if let Some(travel) = &input.travel {
        lines.push((
            lang.word("page.permit.valid"),
            format!(
                "{} – {}",
                travel.from.clone().unwrap_or_default(),
                travel.to.clone().unwrap_or_default()
            ),
        ));
        if let Some(trips) = travel.trips {
            lines.push((lang.word("page.permit.trips"), trips.to_string()));
        }
    }
    let mut conditions: Vec<String> = Vec::new();
    for t in v.phases.iter().flat_map(|p| &p.tasks) {
        for c in &t.conditions {
            let c = labels::condition(c, lang);
            if !conditions.contains(&c) {
                conditions.push(c);
            }
        }
    }
    let none = lang.word("page.permit.no_conditions").to_string();
    lines.push((
        lang.word("page.permit.conditions"),
        if conditions.is_empty() {
            none
        } else {
            conditions.join("; ")
        },
    ));
    lines
}

/// One line on every application page: what happens next, and who is waited for.
/// What happens next to an amendment: who decides it, and what approval does.
fn amendment_next_step(
    a: &crate::service::applications::amendments::Amendment,
    lang: Lang,
    authority: &impl Fn(&str) -> String,
) -> String {
    use crate::domain::amendment::AmendmentStatus;
    let waiting: Vec<String> = a
        .case
        .tasks
        .iter()
        .filter(|t| t.state.awaits_signature())
        .map(|t| authority(&t.authority_code))
        .collect();
    let en = lang == Lang::En;
    match (a.status, a.row.to_version) {
        (AmendmentStatus::UnderReview, _) if en => format!(
            "Next: {} decide the amendment; once approved the permit is re-issued as version {}.",
            waiting.join(", "),
            a.row.from_version + 1
        ),
        (AmendmentStatus::UnderReview, _) => format!(
            "下一步：{}审核本次变更，批准后许可证重新签发为第 {} 版。",
            waiting.join("、"),
            a.row.from_version + 1
        ),
        (AmendmentStatus::Approved, Some(v)) if en => {
            format!("Approved: the permit is re-issued as version {v}.")
        }
        (AmendmentStatus::Approved, v) => {
            format!(
                "已批准：许可证已重新签发为第 {} 版。",
                v.unwrap_or_default()
            )
        }
        (AmendmentStatus::Rejected, _) if en => {
            "Not approved: the permit stays as it was.".to_string()
        }
        (AmendmentStatus::Rejected, _) => "未获批准：许可证维持原样。".to_string(),
        (AmendmentStatus::Withdrawn, _) if en => {
            "Withdrawn: the permit stays as it was.".to_string()
        }
        (AmendmentStatus::Withdrawn, _) => "已撤回：许可证维持原样。".to_string(),
    }
}

fn next_step(
    v: &Application,
    current: &Caller,
    lang: Lang,
    authority: &dyn Fn(&str) -> String,
    local: impl Fn(Option<NaiveDateTime>) -> String,
) -> String {
    let applicant = current.role == Role::Applicant;
    let issuer = v
        .issuing_authority
        .as_deref()
        .map(authority)
        .unwrap_or_default();
    let waiting: Vec<String> = v
        .phases
        .iter()
        .filter(|p| p.state == PhaseState::Open)
        .flat_map(|p| &p.tasks)
        .filter(|t| matches!(t.state, TaskState::Open | TaskState::Claimed))
        .map(|t| authority(&t.authority_code))
        .collect();
    let target = local(v.target_due_at);
    let in_phase = |name: &str| {
        v.phases
            .iter()
            .any(|p| p.state == PhaseState::Open && p.name == name)
    };
    match v.status {
        AppStatus::Draft => lang.word("page.next.draft").to_string(),
        AppStatus::Submitted => lang.text(
            "page.next.submitted",
            &[("issuer", issuer), ("target", target)],
        ),
        AppStatus::UnderReview if in_phase("issuance") => lang.text(
            "page.next.issuance",
            &[("issuer", issuer), ("target", target)],
        ),
        AppStatus::UnderReview => lang.text(
            "page.next.review",
            &[
                ("count", waiting.len().to_string()),
                ("who", waiting.join(lang.word("page.list_separator"))),
                ("issuer", issuer),
                ("target", target),
            ],
        ),
        AppStatus::InfoRequested if applicant => lang.word("page.next.answer_yours").to_string(),
        AppStatus::InfoRequested => lang.word("page.next.answer_theirs").to_string(),
        AppStatus::Issued => lang.text(
            "page.next.issued",
            &[("permit_no", v.permit_no.clone().unwrap_or_default())],
        ),
        AppStatus::NotAccepted | AppStatus::Rejected if applicant => {
            lang.word("page.next.refused_yours").to_string()
        }
        AppStatus::NotAccepted | AppStatus::Rejected | AppStatus::Withdrawn => {
            lang.word("page.next.closed").to_string()
        }
    }
}

#[get("/applications/{id}")]
async fn show(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    query: crate::web::input::Query<DoneQuery>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let outcome = Outcome {
        message: None,
        done: query.done.clone(),
        field_error: None,
        typed_comment: String::new(),
        status: StatusCode::OK,
    };
    render(&state, &session, current, lang, &path.into_inner(), outcome).await
}

/// An attachment, for those who may see the application; always as a download.
#[get("/applications/{id}/attachments/{attachment}")]
async fn attachment(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let (id, attachment_id) = path.into_inner();
    let (engine, caller) = (state.engine.clone(), current);
    let (file, bytes) = state
        .db(move |conn| {
            service::attachment_file(
                conn,
                &engine,
                &caller,
                &ApplicationId::from(&id),
                &attachment_id,
            )
        })
        .await?;
    // RFC 5987: the name's UTF-8 bytes, percent-encoded except the unreserved ones.
    let encoded: String = file
        .filename
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename*=UTF-8''{encoded}");
    Ok(HttpResponse::Ok()
        .content_type(file.content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}
