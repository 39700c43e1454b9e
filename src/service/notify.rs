//! Who hears about what. Every state change turns its events into e-mails to the applicant
//! (submitted, accepted or not, information requested, issued, rejected, withdrawn — the
//! joint review's approvals folded into the next of these or into a digest, see
//! [`super::digests`]) and to the reviewers of each authority whose task opens (with the
//! applicant's answer when an information round re-opens it); they are written to the outbox
//! inside the change's transaction.

use super::Engine;
use super::ServiceError;
use crate::db::applications::ApplicationRow;
use crate::db::permits::{self as permit_q, PermitRow};
use crate::db::users::{self as user_q, UserRow};
use crate::db::{reference as ref_q, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::workflow::{Case, Event, Task, TaskState};
use crate::i18n::Lang;
use crate::mail::outbox::{enqueue, NewEmail};
use crate::mail::templates::{ApprovalLine, PermitFacts};
use crate::mail::templates::{EmailContext, EmailKind};
use chrono::{NaiveDateTime, TimeZone};
use diesel::prelude::*;
use std::collections::HashMap;

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

/// A project's name, its loads with their trips, and its fleet's size.
type ProjectLine = (String, Vec<(String, i64)>, usize);

/// What every e-mail of an application says of it, before it is put in a reader's words.
struct Summary {
    /// A single load's cargo line, e.g. "Wind turbine blade, 126 × 4.8 × 4.9 m, 58 t".
    cargo: String,
    project: Option<ProjectLine>,
    origin: String,
    destination: String,
    /// The counties on the route, in order, each once.
    counties: Vec<String>,
}

impl Summary {
    fn of(row: &ApplicationRow) -> Result<Summary, ServiceError> {
        let input: ApplicationInput = super::stored("application input", &row.input)?;
        let project = (input.kind() == Some(ApplicationKind::Project)).then(|| {
            let name = input
                .project
                .as_ref()
                .and_then(|p| p.name.clone())
                .unwrap_or_default();
            let loads = input
                .loads
                .iter()
                .flatten()
                .map(|l| {
                    (
                        l.key.clone().unwrap_or_default(),
                        l.trips.unwrap_or_default(),
                    )
                })
                .collect();
            (name, loads, input.fleet.as_ref().map_or(0, Vec::len))
        });
        let cargo = input
            .cargo
            .clone()
            .map(|c| {
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
            .unwrap_or_default();
        let route = input.route.unwrap_or_default();
        let mut counties: Vec<String> = route
            .segments
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.jurisdiction)
            .collect();
        // Two roads in one county name it once.
        counties.dedup();
        Ok(Summary {
            cargo,
            project,
            origin: route.origin.unwrap_or_default(),
            destination: route.destination.unwrap_or_default(),
            counties,
        })
    }

    fn cargo(&self, en: bool) -> String {
        match &self.project {
            Some((name, loads, vehicles)) => {
                let loads: Vec<String> = loads.iter().map(|(k, t)| format!("{k} × {t}")).collect();
                if en {
                    format!("{name}: {} trips; {vehicles} vehicles", loads.join(", "))
                } else {
                    format!("{name}：{} 趟；{vehicles} 辆车", loads.join("，"))
                }
            }
            None => self.cargo.clone(),
        }
    }

    /// "Mulei park → Santanghu wind farm (via Mulei, Barkol)", the counties by name.
    fn route(&self, names: &HashMap<String, String>, en: bool) -> String {
        let counties: Vec<String> = self
            .counties
            .iter()
            .map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()))
            .collect();
        match (en, counties.is_empty()) {
            (_, true) => format!("{} → {}", self.origin, self.destination),
            (true, false) => format!(
                "{} → {} (via {})",
                self.origin,
                self.destination,
                counties.join(", ")
            ),
            (false, false) => format!(
                "{} → {}（途经{}）",
                self.origin,
                self.destination,
                counties.join("、")
            ),
        }
    }
}

/// An approval the applicant has not been told of yet.
#[derive(Debug, Clone, PartialEq)]
struct Approval {
    authority: String,
    conditions: Vec<String>,
    comment: String,
}

/// The joint-review approvals decided since `since` (every one when never told), in the order
/// they were given. Acceptance and issuance have e-mails of their own.
fn approvals_since(case: &Case, since: Option<NaiveDateTime>) -> Vec<Approval> {
    let last = case.phases.len().saturating_sub(1);
    let mut approved: Vec<&Task> = case
        .tasks
        .iter()
        .filter(|t| t.state == TaskState::Approved && t.phase != 0 && t.phase != last)
        .filter(|t| match (since, t.decided_at) {
            // At the very moment of the last news counts as news: an approval is told twice
            // rather than never (instances' clocks are never quite the same).
            (Some(since), Some(at)) => at >= since,
            (None, _) => true,
            (Some(_), None) => false,
        })
        .collect();
    approved.sort_by_key(|t| (t.decided_at, t.id.clone()));
    approved
        .into_iter()
        .map(|t| Approval {
            authority: t.authority_code.clone(),
            conditions: t.conditions.clone(),
            comment: t.comment.clone().unwrap_or_default(),
        })
        .collect()
}

/// How often at most the approvals are sent as a digest of their own; the next e-mail of a
/// step (information requested, issued, refused) brings them sooner.
pub const DIGEST_EVERY_HOURS: i64 = 3;

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
    /// The due moment is the end of a day (the statutory deadline): said as that day.
    due_is_day: bool,
    level: i32,
    /// The issuing e-mail: the permit's conditions, its link and the net turnaround.
    issued: bool,
    /// The approvals the applicant hears of with this e-mail.
    approvals: Vec<Approval>,
    /// The authorities still reviewing (a digest says who is left).
    still_reviewing: Vec<String>,
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
            due_is_day: false,
            level: 0,
            issued: false,
            approvals: Vec::new(),
            still_reviewing: Vec::new(),
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

    /// Tells the applicant how review stands: the approvals not told yet, and who is left.
    fn with_progress(mut self, case: &Case, since: Option<NaiveDateTime>) -> Mail {
        self.approvals = approvals_since(case, since);
        self.still_reviewing = still_reviewing(case);
        self
    }
}

/// The authorities of the open phase that have still to sign.
fn still_reviewing(case: &Case) -> Vec<String> {
    let open = case
        .phases
        .iter()
        .position(|p| p.state == crate::domain::workflow::PhaseState::Open);
    case.tasks
        .iter()
        .filter(|t| Some(t.phase) == open && t.state.awaits_signature())
        .map(|t| t.authority_code.clone())
        .collect()
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
/// before and after the command's `events`, its issuing authority, and when the applicant was
/// last told how review stands. A joint-review approval is no e-mail of its own: it goes into
/// the next e-mail of a step, or the digest ([`digest`]) at most every few hours.
fn mails_for(
    event: &Event,
    events: &[(String, Event)],
    before: &Case,
    case: &Case,
    issuer: Option<&str>,
    reported: Option<NaiveDateTime>,
) -> Vec<Mail> {
    let authority_of = |task_id: &str| case.task(task_id).map(|t| t.authority_code.clone());
    match event {
        Event::Submitted { .. } => vec![Mail::new(EmailKind::Submitted, To::Applicant, None)],
        Event::PhaseOpened { phase, .. } => {
            opened(case.tasks.iter().filter(|t| t.phase == *phase).cloned())
        }
        Event::TaskApproved { .. } => Vec::new(),
        Event::InfoRequested {
            task_id, comment, ..
        } => vec![Mail::new(
            EmailKind::InfoRequested,
            To::Applicant,
            authority_of(task_id).as_deref(),
        )
        .comment(comment)
        .with_progress(case, reported)],
        // The tasks the answer opened again: open now, not open or held before. Their
        // reviewers read the answer itself.
        Event::Responded { message, .. } => {
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
            .into_iter()
            .map(|mail| Mail {
                kind: EmailKind::AnswerReceived,
                ..mail.comment(message)
            })
            .collect()
        }
        Event::Accepted { .. } => vec![Mail {
            due_is_day: true,
            ..Mail::new(EmailKind::Accepted, To::Applicant, issuer).due(case.statutory_due_at)
        }],
        Event::NotAccepted { reason, .. } => {
            vec![Mail::new(EmailKind::NotAccepted, To::Applicant, issuer).comment(reason)]
        }
        Event::Rejected { reason, .. } => {
            let by = events.iter().find_map(|(_, e)| match e {
                Event::TaskRejected { task_id, .. } => authority_of(task_id),
                _ => None,
            });
            vec![Mail::new(EmailKind::Rejected, To::Applicant, by.as_deref())
                .comment(reason)
                .with_progress(case, reported)]
        }
        Event::Issued { .. } => vec![Mail {
            issued: true,
            ..Mail::new(EmailKind::Issued, To::Applicant, issuer).with_progress(case, reported)
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

/// An amendment's e-mails: its reviewers hear of their tasks as of any other; the holder
/// hears of the end only — the permit's new version, or why not. (The request's answer is the
/// confirmation; there is no acceptance or statute.)
fn for_amendment(mail: Mail) -> Option<Mail> {
    let kind = match mail.kind {
        EmailKind::Submitted
        | EmailKind::Accepted
        | EmailKind::ReviewApproved
        | EmailKind::Withdrawn => return None,
        EmailKind::Issued => EmailKind::AmendmentApproved,
        EmailKind::NotAccepted | EmailKind::Rejected => EmailKind::AmendmentRejected,
        other => other,
    };
    Some(Mail {
        kind,
        approvals: Vec::new(),
        still_reviewing: Vec::new(),
        ..mail
    })
}

/// Whether `events` tell the applicant how review stands now (an e-mail of a step to them):
/// if so the application counts as told from this moment.
pub fn tells_applicant(events: &[Event], before: &Case, case: &Case, issuer: Option<&str>) -> bool {
    let pairs: Vec<(String, Event)> = events.iter().map(|e| (String::new(), e.clone())).collect();
    events.iter().any(|e| {
        mails_for(e, &pairs, before, case, issuer, None)
            .iter()
            .any(|m| m.to == To::Applicant)
    })
}

/// Turns `Mail`s into rendered e-mails for the outbox: recipients looked up, names in each
/// recipient's language, times in the display zone.
struct Mailer<'a> {
    engine: &'a Engine,
    row: &'a ApplicationRow,
    applicant: UserRow,
    summary: Summary,
    /// Authorities' and counties' names, by language (English: `true`), read when first needed.
    names: std::cell::RefCell<HashMap<bool, super::reference::Names>>,
    /// The reference the e-mails' headers carry: the application's (for an amendment, that of
    /// the permit's application).
    header_reference: String,
}

impl<'a> Mailer<'a> {
    fn new(
        conn: &mut DbConnection,
        engine: &'a Engine,
        row: &'a ApplicationRow,
    ) -> Result<Mailer<'a>, ServiceError> {
        let applicant = user_q::find_user(conn, &row.created_by)?.ok_or(ServiceError::NotFound)?;
        let header_reference = match super::applications::amendments::is_amendment(row) {
            true => crate::db::amendments::application_reference(conn, &row.id)?
                .unwrap_or_else(|| row.reference.clone()),
            false => row.reference.clone(),
        };
        Ok(Mailer {
            engine,
            row,
            applicant,
            summary: Summary::of(row)?,
            names: Default::default(),
            header_reference,
        })
    }

    fn names(
        &self,
        conn: &mut DbConnection,
        en: bool,
    ) -> Result<super::reference::Names, ServiceError> {
        if let Some(names) = self.names.borrow().get(&en) {
            return Ok(names.clone());
        }
        let names = super::reference::names(conn, en)?;
        self.names.borrow_mut().insert(en, names.clone());
        Ok(names)
    }

    /// A moment as its reader reads it: "2026-12-01 20:45（北京时间）", "… Beijing time".
    fn local(&self, t: Option<NaiveDateTime>, en: bool) -> String {
        t.map(|t| {
            let tz = self.engine.timezone;
            let local = tz.from_utc_datetime(&t).format("%Y-%m-%d %H:%M");
            match (tz, en) {
                (chrono_tz::Asia::Shanghai, false) => format!("{local}（北京时间）"),
                (chrono_tz::Asia::Shanghai, true) => format!("{local} Beijing time"),
                (tz, _) => format!("{local} ({})", tz.name()),
            }
        })
        .unwrap_or_default()
    }

    /// The last day before a deadline that falls at midnight: "2026-12-22".
    fn last_day(&self, t: Option<NaiveDateTime>) -> String {
        t.map(|t| {
            let end = self.engine.timezone.from_utc_datetime(&t) - chrono::TimeDelta::seconds(1);
            end.date_naive().to_string()
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
        let mut permit: Option<PermitRow> = None;
        let (conditions, link) = match (&self.row.permit_no, mail.issued) {
            (Some(no), true) => {
                permit = permit_q::find(conn, no)?;
                let conditions = match &permit {
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
            let lang = if en { Lang::En } else { Lang::Zh };
            let names = self.names(conn, en)?;
            let authority_name = |code: &str| {
                names
                    .authorities
                    .get(code)
                    .cloned()
                    .unwrap_or_else(|| code.to_string())
            };
            let in_words = |list: &[String]| -> Vec<String> {
                list.iter()
                    .map(|c| crate::i18n::condition(c, lang))
                    .collect()
            };
            let approvals = mail
                .approvals
                .iter()
                .map(|a| ApprovalLine {
                    authority: authority_name(&a.authority),
                    conditions: in_words(&a.conditions),
                    comment: a.comment.clone(),
                })
                .collect();
            let context = EmailContext {
                en,
                name: to.name.clone(),
                reference: self.row.reference.clone(),
                link: link.clone(),
                cargo: self.summary.cargo(en),
                route: self.summary.route(&names.jurisdictions, en),
                authority: mail
                    .authority
                    .as_deref()
                    .map(authority_name)
                    .unwrap_or_default(),
                comment: mail.comment.clone(),
                conditions: in_words(&conditions),
                due: if mail.due_is_day {
                    self.last_day(mail.due)
                } else {
                    self.local(mail.due, en)
                },
                net: if mail.issued {
                    net_text(net_minutes, en)
                } else {
                    String::new()
                },
                target_hours: self.engine.target_hours,
                permit_no: permit_no.clone(),
                level: mail.level,
                approvals,
                still_reviewing: mail
                    .still_reviewing
                    .iter()
                    .map(|c| authority_name(c))
                    .collect(),
                permit: permit.as_ref().map(|p| permit_facts(p, en)),
            };
            out.push(NewEmail {
                kind: mail.kind,
                event_id: event_id.to_string(),
                reference: self.header_reference.clone(),
                application_id: Some(self.row.id.clone()),
                recipient: to.email.clone(),
                context,
            });
        }
        Ok(out)
    }
}

/// What the issued e-mail says of the permit: validity, trips and plates.
fn permit_facts(permit: &PermitRow, en: bool) -> PermitFacts {
    let plates: Vec<String> =
        serde_json::from_str(&permit.plates).unwrap_or_else(|_| vec![permit.plates.clone()]);
    PermitFacts {
        valid: if en {
            format!("{} to {}", permit.valid_from, permit.valid_to)
        } else {
            format!("{} 至 {}", permit.valid_from, permit.valid_to)
        },
        trips: permit.trips_allowed,
        plates: plates.join(if en { ", " } else { "、" }),
        version: permit.version,
    }
}

/// Writes the e-mails for `events` (each with its audit event id) into the outbox; `before`
/// and `case` are the application before and after them, `reported` when the applicant was
/// last told how review stands (before these events).
#[allow(clippy::too_many_arguments)]
pub fn enqueue_for(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    before: &Case,
    case: &Case,
    events: &[(String, Event)],
    reported: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let mailer = Mailer::new(conn, engine, row)?;
    let issuer = row.issuing_authority.as_deref();
    let amendment = super::applications::amendments::is_amendment(row);
    let mut out = Vec::new();
    for (id, event) in events {
        let mails = mails_for(event, events, before, case, issuer, reported);
        let mails = if amendment {
            mails.into_iter().filter_map(for_amendment).collect()
        } else {
            mails
        };
        for mail in mails {
            out.extend(mailer.render(conn, id, &mail, case.net_minutes(now))?);
        }
    }
    for email in &out {
        enqueue(conn, email, &engine.mail_domain, now)?;
    }
    Ok(())
}

/// The approvals since the applicant was last told, as one e-mail (with who is still
/// reviewing), for the digest job; `event_id` is the audit event that records it.
pub fn digest(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    case: &Case,
    event_id: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let mail = Mail::new(EmailKind::ReviewApproved, To::Applicant, None)
        .with_progress(case, row.reported_at);
    let mailer = Mailer::new(conn, engine, row)?;
    for email in mailer.render(conn, event_id, &mail, 0)? {
        enqueue(conn, &email, &engine.mail_domain, now)?;
    }
    Ok(())
}

/// The authorities whose approvals a digest would tell now (none: no digest is due).
pub fn untold_approvals(case: &Case, reported: Option<NaiveDateTime>) -> Vec<String> {
    approvals_since(case, reported)
        .into_iter()
        .map(|a| a.authority)
        .collect()
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
