//! Who hears about what. Every state change turns its events into e-mails to the applicant
//! (submitted, accepted or not, each review decision, information requested, issued,
//! rejected, withdrawn) and to the reviewers of each authority whose task opens; they are
//! written to the outbox inside the change's transaction.

use super::Engine;
use super::ServiceError;
use crate::db::applications::ApplicationRow;
use crate::db::permits::{self as permit_q, PermitRow};
use crate::db::users::{self as user_q, UserRow};
use crate::db::{reference as ref_q, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::workflow::{Case, Event, Task, TaskState};
use crate::mail::outbox::{enqueue, NewEmail};
use crate::mail::templates::{EmailContext, EmailKind};
use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;

/// Who hears of an overdue task: at level 1 the authority's reviewers and the managers of its
/// own jurisdiction, at level 2 the managers of its prefecture, at level 3 those of the region.
fn escalation_recipients(
    conn: &mut DbConnection,
    authority: &str,
    level: i32,
) -> QueryResult<Vec<UserRow>> {
    let Some(found) = ref_q::find_authority(conn, authority)? else {
        return Ok(Vec::new());
    };
    // The jurisdiction and its ancestors, nearest first: county, prefecture, region.
    let mut chain = Vec::new();
    let mut next = Some(found.jurisdiction.clone());
    while let Some(code) = next {
        let Some(j) = ref_q::find_jurisdiction(conn, &code)? else {
            break;
        };
        next = j.parent.clone();
        chain.push(j);
    }
    let at_level = |wanted: &str| {
        chain
            .iter()
            .find(|j| j.level == wanted)
            .map(|j| j.code.clone())
    };
    let (mut people, scope) = match level {
        1 => (
            user_q::active_reviewers(conn, authority)?,
            Some(found.jurisdiction.clone()),
        ),
        2 => (
            Vec::new(),
            at_level("prefecture").or_else(|| at_level("region")),
        ),
        _ => (Vec::new(), at_level("region")),
    };
    if let Some(scope) = scope {
        people.extend(user_q::active_managers_of(conn, &scope)?);
    }
    Ok(people)
}

/// A project's cargo line: its name, each load with its trips, its fleet.
fn project_summary(input: &ApplicationInput) -> String {
    let name = input
        .project
        .as_ref()
        .and_then(|p| p.name.clone())
        .unwrap_or_default();
    let loads: Vec<String> = input
        .loads
        .iter()
        .flatten()
        .map(|l| {
            format!(
                "{} × {}",
                l.key.clone().unwrap_or_default(),
                l.trips.unwrap_or_default()
            )
        })
        .collect();
    let vehicles = input.fleet.as_ref().map_or(0, Vec::len);
    format!(
        "{name}: {} trips / 趟; {vehicles} vehicles / 辆车",
        loads.join(", ")
    )
}

fn summaries(row: &ApplicationRow) -> Result<(String, String), ServiceError> {
    let input: ApplicationInput = super::stored("application input", &row.input)?;
    let project = (input.kind() == Some(ApplicationKind::Project)).then(|| project_summary(&input));
    let cargo = project.or_else(|| {
        input.cargo.clone().map(|c| {
            let dims = match (c.length_m, c.width_m, c.height_m) {
                (Some(l), Some(w), Some(h)) => format!(", {l} × {w} × {h} m"),
                _ => String::new(),
            };
            let mass = c
                .mass_kg
                .map(|m| format!(", {} t", m / 1000.0))
                .unwrap_or_default();
            format!("{}{dims}{mass}", c.description.unwrap_or_default())
        })
    });
    let route = input.route.map(|r| {
        let mut counties: Vec<String> = r
            .segments
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.jurisdiction)
            .collect();
        // Two roads in one county name it once.
        counties.dedup();
        format!(
            "{} → {} ({})",
            r.origin.unwrap_or_default(),
            r.destination.unwrap_or_default(),
            counties.join(", ")
        )
    });
    Ok((cargo.unwrap_or_default(), route.unwrap_or_default()))
}

fn net_text(minutes: i64, en: bool) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (en, h) {
        (true, 0) => format!("{m} min"),
        (true, _) => format!("{h} h {m} min"),
        (false, 0) => format!("{m} 分钟"),
        (false, _) => format!("{h} 小时 {m} 分钟"),
    }
}

/// Who an e-mail goes to.
#[derive(Debug, Clone, PartialEq)]
enum To {
    /// The applicant who created the application.
    Applicant,
    /// Every active reviewer of the authority.
    Reviewers(String),
    /// Those who hear of the authority's task overdue at the level.
    Escalation(String, i32),
}

/// One e-mail an event causes: its template, its recipients, and what it says beyond the
/// application's own facts.
#[derive(Debug, Clone)]
struct Mail {
    kind: EmailKind,
    to: To,
    /// The authority that acted, or whose task it is.
    authority: Option<String>,
    comment: String,
    conditions: Vec<String>,
    due: Option<NaiveDateTime>,
    level: i32,
    /// The issuing e-mail: the permit's conditions, its link and the net turnaround.
    issued: bool,
}

impl Mail {
    fn new(kind: EmailKind, to: To, authority: Option<&str>) -> Mail {
        Mail {
            kind,
            to,
            authority: authority.map(str::to_string),
            comment: String::new(),
            conditions: Vec::new(),
            due: None,
            level: 0,
            issued: false,
        }
    }

    fn comment(mut self, comment: &str) -> Mail {
        self.comment = comment.to_string();
        self
    }

    fn due(mut self, due: Option<NaiveDateTime>) -> Mail {
        self.due = due;
        self
    }
}

/// The task-opened e-mails to the reviewers of each task.
fn opened(tasks: impl Iterator<Item = Task>) -> Vec<Mail> {
    tasks
        .map(|t| {
            let code = t.authority_code;
            Mail::new(
                EmailKind::TaskOpened,
                To::Reviewers(code.clone()),
                Some(&code),
            )
            .due(t.due_at)
        })
        .collect()
}

/// The table of who hears about what: the e-mails `event` causes, given the application
/// before and after the command's `events` and its issuing authority.
fn mails_for(
    event: &Event,
    events: &[(String, Event)],
    before: &Case,
    case: &Case,
    issuer: Option<&str>,
) -> Vec<Mail> {
    let last_phase = case.phases.len().saturating_sub(1);
    let authority_of = |task_id: &str| case.task(task_id).map(|t| t.authority_code.clone());
    match event {
        Event::Submitted { .. } => vec![Mail::new(EmailKind::Submitted, To::Applicant, None)],
        Event::PhaseOpened { phase, .. } => {
            opened(case.tasks.iter().filter(|t| t.phase == *phase).cloned())
        }
        // Acceptance and issuance have their own e-mails.
        Event::TaskApproved {
            task_id,
            comment,
            conditions,
            ..
        } => case
            .task(task_id)
            .filter(|t| t.phase != 0 && t.phase != last_phase)
            .map(|t| Mail {
                conditions: conditions.clone(),
                ..Mail::new(
                    EmailKind::ReviewApproved,
                    To::Applicant,
                    Some(&t.authority_code),
                )
                .comment(comment.as_deref().unwrap_or_default())
            })
            .into_iter()
            .collect(),
        Event::InfoRequested {
            task_id, comment, ..
        } => vec![Mail::new(
            EmailKind::InfoRequested,
            To::Applicant,
            authority_of(task_id).as_deref(),
        )
        .comment(comment)],
        // The tasks the answer opened again: open now, not open or held before.
        Event::Responded { .. } => {
            let was_active = |id: &str| {
                before
                    .task(id)
                    .is_some_and(|t| matches!(t.state, TaskState::Open | TaskState::Claimed))
            };
            opened(
                case.tasks
                    .iter()
                    .filter(|t| t.state == TaskState::Open && !was_active(&t.id))
                    .cloned(),
            )
        }
        Event::Accepted { .. } => {
            vec![Mail::new(EmailKind::Accepted, To::Applicant, issuer).due(case.statutory_due_at)]
        }
        Event::NotAccepted { reason, .. } => {
            vec![Mail::new(EmailKind::NotAccepted, To::Applicant, issuer).comment(reason)]
        }
        Event::Rejected { reason, .. } => {
            let by = events.iter().find_map(|(_, e)| match e {
                Event::TaskRejected { task_id, .. } => authority_of(task_id),
                _ => None,
            });
            vec![Mail::new(EmailKind::Rejected, To::Applicant, by.as_deref()).comment(reason)]
        }
        Event::Issued { .. } => vec![Mail {
            issued: true,
            ..Mail::new(EmailKind::Issued, To::Applicant, issuer)
        }],
        Event::Withdrawn { .. } => vec![Mail::new(EmailKind::Withdrawn, To::Applicant, None)],
        Event::TaskReminded { task_id, .. } => case
            .task(task_id)
            .map(|t| {
                let code = &t.authority_code;
                Mail::new(
                    EmailKind::TaskReminder,
                    To::Reviewers(code.clone()),
                    Some(code),
                )
                .due(t.due_at)
            })
            .into_iter()
            .collect(),
        Event::TaskEscalated { task_id, level, .. } => case
            .task(task_id)
            .map(|t| {
                let code = &t.authority_code;
                Mail {
                    level: *level,
                    ..Mail::new(
                        EmailKind::TaskEscalated,
                        To::Escalation(code.clone(), *level),
                        Some(code),
                    )
                    .due(t.due_at)
                }
            })
            .into_iter()
            .collect(),
        Event::TaskClaimed { .. }
        | Event::TaskReleased { .. }
        | Event::TaskRejected { .. }
        | Event::PhaseCompleted { .. } => Vec::new(),
    }
}

/// Turns `Mail`s into rendered e-mails for the outbox: recipients looked up, names in each
/// recipient's language, times in the display zone.
struct Mailer<'a> {
    engine: &'a Engine,
    row: &'a ApplicationRow,
    applicant: UserRow,
    cargo: String,
    route: String,
}

impl<'a> Mailer<'a> {
    fn new(
        conn: &mut DbConnection,
        engine: &'a Engine,
        row: &'a ApplicationRow,
    ) -> Result<Mailer<'a>, ServiceError> {
        let applicant = user_q::find_user(conn, &row.created_by)?.ok_or(ServiceError::NotFound)?;
        let (cargo, route) = summaries(row)?;
        Ok(Mailer {
            engine,
            row,
            applicant,
            cargo,
            route,
        })
    }

    fn local(&self, t: Option<NaiveDateTime>) -> String {
        t.map(|t| {
            let local = self.engine.timezone.from_utc_datetime(&t);
            format!(
                "{} ({})",
                local.format("%Y-%m-%d %H:%M"),
                self.engine.timezone.name()
            )
        })
        .unwrap_or_default()
    }

    fn recipients(&self, conn: &mut DbConnection, to: &To) -> QueryResult<Vec<UserRow>> {
        match to {
            To::Applicant => Ok(vec![self.applicant.clone()]),
            To::Reviewers(code) => user_q::active_reviewers(conn, code),
            To::Escalation(code, level) => escalation_recipients(conn, code, *level),
        }
    }

    /// The e-mails of one `mail`, one per recipient.
    fn render(
        &self,
        conn: &mut DbConnection,
        event_id: &str,
        mail: &Mail,
        net_minutes: i64,
    ) -> Result<Vec<NewEmail>, ServiceError> {
        let project = self.row.kind == ApplicationKind::Project.as_str();
        let mut permit_no = self.row.permit_no.clone().unwrap_or_default();
        let (conditions, link) = match (&self.row.permit_no, mail.issued) {
            (Some(no), true) => {
                let conditions = match permit_q::find(conn, no)? {
                    Some(p) => super::stored("permit conditions", &p.conditions)?,
                    None => Vec::new(),
                };
                if project {
                    // One permit per load: the numbers, and the project's page that has them.
                    let all: Vec<String> = permit_q::of_application(conn, &self.row.id)?
                        .into_iter()
                        .map(|p| p.permit_no)
                        .collect();
                    permit_no = all.join(", ");
                    let page = format!("{}/applications/{}", self.engine.base_url, self.row.id);
                    (conditions, page)
                } else {
                    (conditions, format!("{}/permits/{no}", self.engine.base_url))
                }
            }
            _ => (
                mail.conditions.clone(),
                format!("{}/applications/{}", self.engine.base_url, self.row.id),
            ),
        };
        let mut out = Vec::new();
        for to in self.recipients(conn, &mail.to)? {
            let en = to.language == "en";
            let authority = match &mail.authority {
                Some(code) => ref_q::find_authority(conn, code)?
                    .map(|a| if en { a.name_en } else { a.name_zh })
                    .unwrap_or_else(|| code.clone()),
                None => String::new(),
            };
            let context = EmailContext {
                en,
                name: to.name.clone(),
                reference: self.row.reference.clone(),
                link: link.clone(),
                cargo: self.cargo.clone(),
                route: self.route.clone(),
                authority,
                comment: mail.comment.clone(),
                conditions: conditions.clone(),
                due: self.local(mail.due),
                net: if mail.issued {
                    net_text(net_minutes, en)
                } else {
                    String::new()
                },
                target_hours: self.engine.target_hours,
                permit_no: permit_no.clone(),
                level: mail.level,
            };
            out.push(NewEmail {
                kind: mail.kind,
                event_id: event_id.to_string(),
                reference: self.row.reference.clone(),
                application_id: Some(self.row.id.clone()),
                recipient: to.email.clone(),
                context,
            });
        }
        Ok(out)
    }
}

/// Writes the e-mails for `events` (each with its audit event id) into the outbox; `before`
/// and `case` are the application before and after them.
pub fn enqueue_for(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    before: &Case,
    case: &Case,
    events: &[(String, Event)],
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let mailer = Mailer::new(conn, engine, row)?;
    let issuer = row.issuing_authority.as_deref();
    let mut out = Vec::new();
    for (id, event) in events {
        for mail in mails_for(event, events, before, case, issuer) {
            out.extend(mailer.render(conn, id, &mail, case.net_minutes(now))?);
        }
    }
    for email in &out {
        enqueue(conn, email, &engine.mail_domain, now)?;
    }
    Ok(())
}

/// Tells the holder's applicant that their permit was revoked, and why.
pub fn permit_revoked(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    event_id: &str,
    permit: &PermitRow,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let mailer = Mailer::new(conn, engine, row)?;
    let mail = Mail::new(
        EmailKind::Revoked,
        To::Applicant,
        Some(&permit.issuing_authority),
    )
    .comment(reason);
    for mut email in mailer.render(conn, event_id, &mail, 0)? {
        email.context.link = format!("{}/permits/{}", engine.base_url, permit.permit_no);
        email.context.permit_no = permit.permit_no.clone();
        enqueue(conn, &email, &engine.mail_domain, now)?;
    }
    Ok(())
}
