//! Who hears about what. Every state change turns its events into e-mails to the applicant
//! (submitted, accepted or not, each review decision, information requested, issued,
//! rejected, withdrawn) and to the reviewers of each authority whose task opens; they are
//! written to the outbox inside the change's transaction.

use super::Engine;
use super::ServiceError;
use crate::db::applications::ApplicationRow;
use crate::db::permits::{self as permit_q, PermitRow};
use crate::db::schema::users;
use crate::db::users::{self as user_q, UserRow};
use crate::db::{reference as ref_q, DbConnection};
use crate::domain::application::ApplicationInput;
use crate::domain::workflow::{Case, Event, Task, TaskState};
use crate::mail::outbox::{enqueue, NewEmail};
use crate::mail::templates::{EmailContext, EmailKind};
use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;

fn active_reviewers(conn: &mut DbConnection, authority: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.eq("reviewer"))
        .filter(users::authority_code.eq(authority))
        .filter(users::active.eq(true))
        .order(users::email)
        .select(UserRow::as_select())
        .load(conn)
}

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
            active_reviewers(conn, authority)?,
            Some(found.jurisdiction.clone()),
        ),
        2 => (
            Vec::new(),
            at_level("prefecture").or_else(|| at_level("region")),
        ),
        _ => (Vec::new(), at_level("region")),
    };
    if let Some(scope) = scope {
        people.extend(
            users::table
                .filter(users::role.eq("manager"))
                .filter(users::scope_jurisdiction.eq(scope))
                .filter(users::active.eq(true))
                .order(users::email)
                .select(UserRow::as_select())
                .load(conn)?,
        );
    }
    Ok(people)
}

fn summaries(row: &ApplicationRow) -> Result<(String, String), ServiceError> {
    let input: ApplicationInput = super::stored("application input", &row.input)?;
    let cargo = input.cargo.map(|c| {
        let dims = match (c.length_m, c.width_m, c.height_m) {
            (Some(l), Some(w), Some(h)) => format!(", {l} × {w} × {h} m"),
            _ => String::new(),
        };
        let mass = c
            .mass_kg
            .map(|m| format!(", {} t", m / 1000.0))
            .unwrap_or_default();
        format!("{}{dims}{mass}", c.description.unwrap_or_default())
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

struct Mailer<'a> {
    engine: &'a Engine,
    row: &'a ApplicationRow,
    cargo: String,
    route: String,
    now: NaiveDateTime,
    out: Vec<NewEmail>,
}

impl Mailer<'_> {
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

    fn authority_name(&self, conn: &mut DbConnection, code: &str, en: bool) -> QueryResult<String> {
        Ok(ref_q::find_authority(conn, code)?
            .map(|a| if en { a.name_en } else { a.name_zh })
            .unwrap_or_else(|| code.to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        conn: &mut DbConnection,
        kind: EmailKind,
        event_id: &str,
        to: &UserRow,
        authority: Option<&str>,
        comment: &str,
        conditions: &[String],
        due: Option<NaiveDateTime>,
    ) -> QueryResult<()> {
        let en = to.language == "en";
        let authority = match authority {
            Some(code) => self.authority_name(conn, code, en)?,
            None => String::new(),
        };
        let context = EmailContext {
            en,
            name: to.name.clone(),
            reference: self.row.reference.clone(),
            link: format!("{}/applications/{}", self.engine.base_url, self.row.id),
            cargo: self.cargo.clone(),
            route: self.route.clone(),
            authority,
            comment: comment.to_string(),
            conditions: conditions.to_vec(),
            due: self.local(due),
            net: String::new(),
            target_hours: self.engine.target_hours,
            permit_no: self.row.permit_no.clone().unwrap_or_default(),
            level: 0,
        };
        self.out.push(NewEmail {
            kind,
            event_id: event_id.to_string(),
            reference: self.row.reference.clone(),
            application_id: Some(self.row.id.clone()),
            recipient: to.email.clone(),
            context,
        });
        Ok(())
    }

    /// The permit's page once there is one, else the application's.
    fn permit_link(&self) -> String {
        match &self.row.permit_no {
            Some(no) => format!("{}/permits/{no}", self.engine.base_url),
            None => format!("{}/applications/{}", self.engine.base_url, self.row.id),
        }
    }

    fn tasks_opened(
        &mut self,
        conn: &mut DbConnection,
        event_id: &str,
        tasks: &[&Task],
    ) -> QueryResult<()> {
        for task in tasks {
            for reviewer in active_reviewers(conn, &task.authority_code)? {
                let code = task.authority_code.clone();
                self.add(
                    conn,
                    EmailKind::TaskOpened,
                    event_id,
                    &reviewer,
                    Some(&code),
                    "",
                    &[],
                    task.due_at,
                )?;
            }
        }
        Ok(())
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
    let applicant = user_q::find_user(conn, &row.created_by)?.ok_or(ServiceError::NotFound)?;
    let (cargo, route) = summaries(row)?;
    let mut m = Mailer {
        engine,
        row,
        cargo,
        route,
        now,
        out: Vec::new(),
    };
    let last_phase = case.phases.len().saturating_sub(1);
    let issuer = row.issuing_authority.clone();
    for (id, event) in events {
        match event {
            Event::Submitted { .. } => m.add(
                conn,
                EmailKind::Submitted,
                id,
                &applicant,
                None,
                "",
                &[],
                None,
            )?,
            Event::PhaseOpened { phase, .. } => {
                let tasks: Vec<&Task> = case.tasks.iter().filter(|t| t.phase == *phase).collect();
                m.tasks_opened(conn, id, &tasks)?;
            }
            Event::TaskApproved {
                task_id,
                comment,
                conditions,
                ..
            } => {
                // Acceptance and issuance have their own e-mails.
                if let Some(task) = case
                    .task(task_id)
                    .filter(|t| t.phase != 0 && t.phase != last_phase)
                {
                    let code = task.authority_code.clone();
                    let comment = comment.clone().unwrap_or_default();
                    m.add(
                        conn,
                        EmailKind::ReviewApproved,
                        id,
                        &applicant,
                        Some(&code),
                        &comment,
                        conditions,
                        None,
                    )?;
                }
            }
            Event::InfoRequested {
                task_id, comment, ..
            } => {
                let code = case.task(task_id).map(|t| t.authority_code.clone());
                m.add(
                    conn,
                    EmailKind::InfoRequested,
                    id,
                    &applicant,
                    code.as_deref(),
                    comment,
                    &[],
                    None,
                )?;
            }
            Event::Responded { .. } => {
                // The tasks the answer opened again: open now, not open or held before.
                let was_active = |id: &str| {
                    before
                        .task(id)
                        .is_some_and(|t| matches!(t.state, TaskState::Open | TaskState::Claimed))
                };
                let reopened: Vec<&Task> = case
                    .tasks
                    .iter()
                    .filter(|t| t.state == TaskState::Open && !was_active(&t.id))
                    .collect();
                m.tasks_opened(conn, id, &reopened)?;
            }
            Event::Accepted { .. } => m.add(
                conn,
                EmailKind::Accepted,
                id,
                &applicant,
                issuer.as_deref(),
                "",
                &[],
                row.statutory_due_at,
            )?,
            Event::NotAccepted { reason, .. } => m.add(
                conn,
                EmailKind::NotAccepted,
                id,
                &applicant,
                issuer.as_deref(),
                reason,
                &[],
                None,
            )?,
            Event::Rejected { reason, .. } => {
                let by = events.iter().find_map(|(_, e)| match e {
                    Event::TaskRejected { task_id, .. } => {
                        case.task(task_id).map(|t| t.authority_code.clone())
                    }
                    _ => None,
                });
                m.add(
                    conn,
                    EmailKind::Rejected,
                    id,
                    &applicant,
                    by.as_deref(),
                    reason,
                    &[],
                    None,
                )?;
            }
            Event::Issued { .. } => {
                let conditions = match &row.permit_no {
                    Some(no) => permit_q::find(conn, no)?
                        .and_then(|p| serde_json::from_str(&p.conditions).ok())
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                m.add(
                    conn,
                    EmailKind::Issued,
                    id,
                    &applicant,
                    issuer.as_deref(),
                    "",
                    &conditions,
                    None,
                )?;
                let net = case.net_minutes(now);
                let link = m.permit_link();
                if let Some(last) = m.out.last_mut() {
                    last.context.net = net_text(net, last.context.en);
                    last.context.link = link;
                }
            }
            Event::Withdrawn { .. } => m.add(
                conn,
                EmailKind::Withdrawn,
                id,
                &applicant,
                None,
                "",
                &[],
                None,
            )?,
            Event::TaskReminded { task_id, .. } => {
                if let Some(task) = case.task(task_id) {
                    let code = task.authority_code.clone();
                    for reviewer in active_reviewers(conn, &code)? {
                        m.add(
                            conn,
                            EmailKind::TaskReminder,
                            id,
                            &reviewer,
                            Some(&code),
                            "",
                            &[],
                            task.due_at,
                        )?;
                    }
                }
            }
            Event::TaskEscalated { task_id, level, .. } => {
                if let Some(task) = case.task(task_id) {
                    let code = task.authority_code.clone();
                    for person in escalation_recipients(conn, &code, *level)? {
                        m.add(
                            conn,
                            EmailKind::TaskEscalated,
                            id,
                            &person,
                            Some(&code),
                            "",
                            &[],
                            task.due_at,
                        )?;
                        if let Some(last) = m.out.last_mut() {
                            last.context.level = *level;
                        }
                    }
                }
            }
            Event::TaskClaimed { .. }
            | Event::TaskReleased { .. }
            | Event::TaskRejected { .. }
            | Event::PhaseCompleted { .. } => {}
        }
    }
    for email in &m.out {
        enqueue(conn, email, &engine.mail_domain, m.now)?;
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
    let applicant = user_q::find_user(conn, &row.created_by)?.ok_or(ServiceError::NotFound)?;
    let (cargo, route) = summaries(row)?;
    let mut m = Mailer {
        engine,
        row,
        cargo,
        route,
        now,
        out: Vec::new(),
    };
    m.add(
        conn,
        EmailKind::Revoked,
        event_id,
        &applicant,
        Some(&permit.issuing_authority),
        reason,
        &[],
        None,
    )?;
    for email in &mut m.out {
        email.context.link = format!("{}/permits/{}", engine.base_url, permit.permit_no);
        email.context.permit_no = permit.permit_no.clone();
        enqueue(conn, email, &engine.mail_domain, now)?;
    }
    Ok(())
}
