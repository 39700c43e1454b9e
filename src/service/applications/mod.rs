//! Application use cases: drafts, submission through every rule of SPEC §2, the review
//! commands, information rounds, withdrawal, and what each caller may see. Each change is one
//! write transaction holding the new state, its audit events (and, later, its emails).

pub mod rows;
pub mod view;

use self::rows::{AuditEvent, Loaded};
use self::view::{ApplicationView, EventView, QueueItem};
use super::notify;
use super::reference::{load_calendar, load_tree};
use super::workflows::Workflows;
use super::ServiceError;
use crate::db::applications::{self as q, ApplicationRow, AttachmentRow, Scope};
use crate::db::users::{self as user_q, UserRow};
use crate::db::{new_id, reference as ref_q, write_transaction, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationSpec};
use crate::domain::attachment;
use crate::domain::paging::Paging;
use crate::domain::permit::PermitSigner;
use crate::domain::role::Role;
use crate::domain::rules::{self, AttachmentKind, FirmStanding, PermitRules};
use crate::domain::workflow::case::{decide as decide_command, NewPhase, NewTask};
use crate::domain::workflow::time::statutory_due_at;
use crate::domain::workflow::{Actor, AppStatus, Case, Command, Decision, DomainError, Event};
use crate::domain::{FieldError, Message};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use std::path::PathBuf;

/// Everything the use cases need besides a connection and the caller.
#[derive(Debug, Clone)]
pub struct Engine {
    pub rules: PermitRules,
    pub workflows: Workflows,
    pub timezone: Tz,
    pub target_hours: u32,
    pub default_workflow: String,
    pub data_dir: PathBuf,
    /// Where people reach the server, for links in e-mails.
    pub base_url: String,
    /// The domain of Message-IDs (the sender's).
    pub mail_domain: String,
    /// Signs the QR codes of permits with the server's secret.
    pub permit_signer: PermitSigner,
}

impl Engine {
    /// Today in the display time zone: "travel starts today or later" means the applicant's today.
    pub fn today(&self, now: NaiveDateTime) -> NaiveDate {
        self.timezone.from_utc_datetime(&now).date_naive()
    }
}

/// The signed-in user giving a command.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub role: Role,
}

impl Caller {
    fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id.clone(),
            role: self.role,
            authority: self.user.authority_code.clone(),
        }
    }
}

pub fn scope_of(conn: &mut DbConnection, caller: &Caller) -> Result<Scope, ServiceError> {
    let u = &caller.user;
    Ok(
        match (
            caller.role,
            &u.firm_id,
            &u.authority_code,
            &u.scope_jurisdiction,
        ) {
            (Role::Applicant, Some(firm), _, _) => Scope::Firm(firm.clone()),
            (Role::Reviewer, _, Some(authority), _) => Scope::Authority(authority.clone()),
            (Role::Manager, _, _, Some(code)) => match ref_q::find_jurisdiction(conn, code)? {
                Some(j) if j.level == "region" => Scope::Everything,
                Some(_) => Scope::Area(code.clone()),
                None => Scope::Nothing,
            },
            _ => Scope::Nothing,
        },
    )
}

/// The application if the caller may see it; otherwise not found, never "forbidden".
fn load_visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Loaded, ServiceError> {
    let scope = scope_of(conn, caller)?;
    if !q::in_scope(conn, id, &scope)? {
        return Err(ServiceError::NotFound);
    }
    rows::load(conn, id)?.ok_or(ServiceError::NotFound)
}

/// The caller's own firm's application, for the applicant's commands.
fn load_own(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<Loaded, ServiceError> {
    let loaded = load_visible(conn, caller, id)?;
    if caller.role != Role::Applicant {
        return Err(ServiceError::Forbidden("only the applicant's firm".into()));
    }
    Ok(loaded)
}

pub fn view(
    conn: &mut DbConnection,
    engine: &Engine,
    loaded: &Loaded,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let firm_code = user_q::find_firm(conn, &loaded.row.firm_id)?
        .map(|f| f.credit_code)
        .unwrap_or_default();
    let attachments = q::attachments_of(conn, &loaded.row.id)?;
    Ok(ApplicationView::new(
        &loaded.row,
        &loaded.case,
        firm_code,
        attachments,
        engine.target_hours,
        now,
    ))
}

fn domain_error(error: DomainError) -> ServiceError {
    match error {
        DomainError::Forbidden(why) => ServiceError::Forbidden(why.into()),
        DomainError::UnknownTask => ServiceError::NotFound,
        DomainError::Conflict(why) => ServiceError::Conflict(why),
        DomainError::Required(field) => {
            FieldError::new(field, Message::new("error.required")).into()
        }
    }
}

impl From<FieldError> for ServiceError {
    fn from(error: FieldError) -> Self {
        ServiceError::Validation(error.into())
    }
}

fn audit(at: NaiveDateTime, kind: &str, actor: &Caller, detail: serde_json::Value) -> AuditEvent {
    AuditEvent {
        at,
        kind: kind.into(),
        actor: Some(actor.user.id.clone()),
        task_id: None,
        detail,
    }
}

fn refuse_oversized(engine: &Engine, input: &ApplicationInput) -> Result<(), ServiceError> {
    let errors = input.oversized(&engine.rules);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

fn input_json(input: &ApplicationInput) -> Result<String, ServiceError> {
    serde_json::to_string(input).map_err(|e| ServiceError::Internal(e.into()))
}

pub fn create(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let (Role::Applicant, Some(firm_id)) = (caller.role, &caller.user.firm_id) else {
        return Err(ServiceError::Forbidden(
            "only applicants create applications".into(),
        ));
    };
    refuse_oversized(engine, input)?;
    let loaded = write_transaction(conn, |conn| {
        let row = ApplicationRow {
            id: new_id(),
            reference: q::next_reference(conn, engine.today(now).year())?,
            firm_id: firm_id.clone(),
            created_by: caller.user.id.clone(),
            status: AppStatus::Draft.as_str().into(),
            version: 1,
            input: input_json(input)?,
            workflow: None,
            workflow_version: None,
            permit_class: None,
            issuing_level: None,
            issuing_authority: None,
            statutory_working_days: None,
            statutory_due_at: None,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            accepted_at: None,
            decided_at: None,
            issued_at: None,
            paused_minutes: 0,
            paused_since: None,
            net_minutes: None,
            submitted_day: None,
            submitted_week: None,
            permit_no: None,
        };
        q::insert(conn, &row)?;
        rows::append_events(
            conn,
            &row.id,
            &[audit(
                now,
                "created",
                caller,
                serde_json::json!({"reference": row.reference}),
            )],
        )?;
        Ok::<_, ServiceError>(Loaded {
            row,
            case: Case::default(),
        })
    })?;
    view(conn, engine, &loaded, now)
}

/// Replaces a draft's input. In an information round the change is checked in full and kept
/// for the answer (see `respond`).
pub fn update(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    refuse_oversized(engine, input)?;
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, caller, id)?;
        let mut row = rows::next_row(&before.row, &before.case, now);
        let mut detail = serde_json::json!({});
        match before.case.status {
            AppStatus::Draft => {}
            AppStatus::InfoRequested => {
                let change = check_change(conn, engine, &before, input, now)?;
                detail = serde_json::json!({"material_change": change.material});
                row.permit_class = Some(change.class.to_string());
            }
            _ => return Err(FieldError::new("status", Message::new("error.only_draft")).into()),
        }
        row.input = input_json(input)?;
        rows::store(
            conn,
            &before,
            &row,
            &before.case,
            &[audit(now, "edited", caller, detail)],
        )?;
        Ok::<_, ServiceError>(Loaded {
            row,
            case: before.case,
        })
    })?;
    view(conn, engine, &loaded, now)
}

/// The attachment kinds the application has.
fn attachment_kinds(list: &[AttachmentRow]) -> Vec<AttachmentKind> {
    list.iter().filter_map(|a| a.kind.parse().ok()).collect()
}

/// Parses and assesses an input against every rule, with every failure at once.
fn assess(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<(ApplicationSpec, rules::Assessment), ServiceError> {
    let tree = load_tree(conn)?;
    let spec = ApplicationSpec::parse(input, &engine.rules, &tree, engine.today(now))?;
    let firm = user_q::find_firm(conn, &row.firm_id)?.ok_or(ServiceError::NotFound)?;
    let standing = FirmStanding {
        oversize_qualified: firm.oversize_qualified,
        restricted_until: firm.restricted_until,
    };
    let kinds = attachment_kinds(&q::attachments_of(conn, &row.id)?);
    let assessment = rules::assess(
        &engine.rules,
        &tree,
        &spec,
        &standing,
        &kinds,
        engine.today(now),
    )?;
    Ok((spec, assessment))
}

fn new_phases(plan: Vec<crate::domain::workflow::PlannedPhase>) -> Vec<NewPhase> {
    plan.into_iter()
        .map(|p| NewPhase {
            name: p.name,
            tasks: p
                .tasks
                .into_iter()
                .map(|planned| NewTask {
                    id: new_id(),
                    planned,
                })
                .collect(),
        })
        .collect()
}

pub fn submit(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, caller, id)?;
        if before.case.status != AppStatus::Draft {
            return Err(ServiceError::Conflict(format!(
                "the application is {} already",
                before.case.status
            )));
        }
        let input: ApplicationInput = serde_json::from_str(&before.row.input)
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let (spec, assessment) = assess(conn, engine, &before.row, &input, now)?;
        let definition = engine
            .workflows
            .latest(&engine.default_workflow)
            .ok_or_else(|| {
                ServiceError::Internal(anyhow::anyhow!(
                    "workflow {} is not loaded",
                    engine.default_workflow
                ))
            })?;
        let phases = new_phases(definition.plan(&spec, &assessment.issuer));
        let events = decide_command(
            &before.case,
            Command::Submit { phases },
            &caller.actor(),
            now,
        )
        .map_err(domain_error)?;
        let after = applied(&before.case, &events);
        let mut row = rows::next_row(&before.row, &after, now);
        let day = engine.today(now);
        row.submitted_day = Some(day);
        row.submitted_week =
            Some(day - chrono::TimeDelta::days(i64::from(day.weekday().num_days_from_monday())));
        row.workflow = Some(definition.name.clone());
        row.workflow_version = Some(definition.version);
        row.permit_class = Some(assessment.class.to_string());
        row.issuing_level = Some(assessment.issuer.level.to_string());
        row.issuing_authority = Some(assessment.issuer.authority_code.clone());
        row.statutory_working_days = Some(assessment.statutory_working_days as i32);
        let tree = load_tree(conn)?;
        let areas: Vec<(String, String)> = assessment
            .issuer
            .counties
            .iter()
            .filter_map(|c| Some((c.clone(), tree.get(c)?.parent.clone()?)))
            .collect();
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        q::replace_areas(conn, &row.id, &areas)?;
        Ok(Loaded { row, case: after })
    })?;
    view(conn, engine, &loaded, now)
}

/// Every rule a submission checks, on the stored draft, without submitting it: lets a form
/// show all its problems at once, even while some field cannot be read yet.
pub fn check(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let loaded = load_own(conn, caller, id)?;
    let input: ApplicationInput =
        serde_json::from_str(&loaded.row.input).map_err(|e| ServiceError::Internal(e.into()))?;
    assess(conn, engine, &loaded.row, &input, now).map(drop)
}

/// Records events the engine itself raises (the escalation monitor's), with their e-mails, in
/// the caller's transaction; a changed application is a conflict.
pub fn record_engine_events(
    conn: &mut DbConnection,
    engine: &Engine,
    before: &Loaded,
    events: Vec<Event>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let after = applied(&before.case, &events);
    let row = rows::next_row(&before.row, &after, now);
    store_and_notify(conn, engine, before, &row, &after, events, now)
}

/// Writes a command's outcome: the state, its audit events, and the e-mails they cause, all in
/// the caller's transaction.
fn store_and_notify(
    conn: &mut DbConnection,
    engine: &Engine,
    before: &Loaded,
    row: &ApplicationRow,
    after: &Case,
    events: Vec<Event>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let audit: Vec<AuditEvent> = events.iter().map(AuditEvent::from).collect();
    let ids = rows::store(conn, before, row, after, &audit)?;
    let pairs: Vec<(String, Event)> = ids.into_iter().zip(events).collect();
    notify::enqueue_for(conn, engine, row, &before.case, after, &pairs, now)
}

fn applied(case: &Case, events: &[Event]) -> Case {
    let mut after = case.clone();
    for e in events {
        after.apply(e);
    }
    after
}

/// What a change in an information round amounts to.
struct Change {
    material: bool,
    class: rules::PermitClass,
}

/// A change must be valid in full, keep the same reviewing authorities (a different set means
/// a different application: withdraw and apply again), and is material when cargo, vehicle or
/// route differ.
fn check_change(
    conn: &mut DbConnection,
    engine: &Engine,
    before: &Loaded,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<Change, ServiceError> {
    let (spec, assessment) = assess(conn, engine, &before.row, input, now)?;
    let (Some(name), Some(version)) = (&before.row.workflow, before.row.workflow_version) else {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "a submitted application without a workflow"
        )));
    };
    let definition = engine.workflows.get(name, version).ok_or_else(|| {
        ServiceError::Internal(anyhow::anyhow!("workflow {name} v{version} is not loaded"))
    })?;
    let planned: Vec<(String, Vec<String>)> = definition
        .plan(&spec, &assessment.issuer)
        .into_iter()
        .map(|p| {
            let mut codes: Vec<String> = p.tasks.into_iter().map(|t| t.authority_code).collect();
            codes.sort();
            (p.name, codes)
        })
        .collect();
    let current: Vec<(String, Vec<String>)> = before
        .case
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut codes: Vec<String> = before
                .case
                .tasks
                .iter()
                .filter(|t| t.phase == i)
                .map(|t| t.authority_code.clone())
                .collect();
            codes.sort();
            (p.name.clone(), codes)
        })
        .collect();
    if planned != current {
        return Err(
            FieldError::new("route.segments", Message::new("error.reviewers_change")).into(),
        );
    }
    let old: ApplicationInput = serde_json::from_str(&before.row.input).unwrap_or_default();
    let material = input.differs_materially_from(&old);
    Ok(Change {
        material,
        class: assessment.class,
    })
}

/// Was the input changed materially by an edit since information was last requested?
fn edited_materially_since_request(
    conn: &mut DbConnection,
    id: &str,
) -> Result<bool, ServiceError> {
    let events = q::events(conn, id)?;
    let since = events
        .iter()
        .rposition(|(e, _)| e.kind == "info_requested")
        .unwrap_or(0);
    Ok(events[since..].iter().any(|(e, _)| {
        e.kind == "edited"
            && serde_json::from_str::<serde_json::Value>(&e.detail)
                .is_ok_and(|d| d["material_change"] == true)
    }))
}

pub fn respond(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    message: &str,
    changes: Option<&ApplicationInput>,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, caller, id)?;
        if before.case.status != AppStatus::InfoRequested {
            return Err(ServiceError::Conflict(
                "no information was requested".into(),
            ));
        }
        let change = match changes {
            Some(input) => Some(check_change(conn, engine, &before, input, now)?),
            None => None,
        };
        let material = change.as_ref().is_some_and(|c| c.material)
            || edited_materially_since_request(conn, id)?;
        let command = Command::Respond {
            message: message.to_string(),
            material_change: material,
        };
        let events =
            decide_command(&before.case, command, &caller.actor(), now).map_err(domain_error)?;
        let after = applied(&before.case, &events);
        let mut row = rows::next_row(&before.row, &after, now);
        if let (Some(input), Some(change)) = (changes, &change) {
            row.input = input_json(input)?;
            row.permit_class = Some(change.class.to_string());
        }
        // Waiting for the applicant after acceptance does not count against the statute.
        if let (Some(due), Some(_)) = (row.statutory_due_at, after.accepted_at) {
            let pause = after.paused_minutes - before.case.paused_minutes;
            row.statutory_due_at = Some(due + chrono::TimeDelta::minutes(pause));
        }
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        Ok::<_, ServiceError>(Loaded { row, case: after })
    })?;
    view(conn, engine, &loaded, now)
}

pub fn withdraw(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, caller, id)?;
        let events = decide_command(&before.case, Command::Withdraw, &caller.actor(), now)
            .map_err(domain_error)?;
        let after = applied(&before.case, &events);
        let row = rows::next_row(&before.row, &after, now);
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        Ok::<_, ServiceError>(Loaded { row, case: after })
    })?;
    view(conn, engine, &loaded, now)
}

/// A reviewer's command on a task: claim, release or decide. Returns the application after it.
pub fn task_command(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    task_id: &str,
    command: Command,
    now: NaiveDateTime,
) -> Result<Loaded, ServiceError> {
    write_transaction(conn, |conn| {
        let id = q::application_of_task(conn, task_id)?.ok_or(ServiceError::NotFound)?;
        let before = load_visible(conn, caller, &id)?;
        let events =
            decide_command(&before.case, command, &caller.actor(), now).map_err(domain_error)?;
        if events.is_empty() {
            return Ok(before);
        }
        let after = applied(&before.case, &events);
        let mut row = rows::next_row(&before.row, &after, now);
        if events.iter().any(|e| matches!(e, Event::Accepted { .. })) {
            if let (Some(accepted_at), Some(days)) = (after.accepted_at, row.statutory_working_days)
            {
                let calendar = load_calendar(conn)?;
                row.statutory_due_at = Some(statutory_due_at(
                    accepted_at,
                    days.max(0) as u32,
                    0,
                    &calendar,
                    engine.timezone,
                ));
            }
        }
        // The permit is created with the approval that issues it, in the same transaction.
        let issued = events.iter().any(|e| matches!(e, Event::Issued { .. }));
        if issued {
            let permit = super::permits::issue(conn, engine, &row, &after, now)?;
            row.permit_no = Some(permit.permit_no);
        }
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        if let (true, Some(permit_no)) = (issued, &row.permit_no) {
            let detail = serde_json::json!({"permit_no": permit_no});
            rows::append_events(
                conn,
                &row.id,
                &[audit(now, "permit_issued", caller, detail)],
            )?;
        }
        Ok(Loaded { row, case: after })
    })
}

/// A reviewer's decision on a task.
#[derive(Debug, Clone)]
pub struct TaskDecision {
    pub decision: Decision,
    pub comment: Option<String>,
    pub conditions: Vec<String>,
}

pub fn decide(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    task_id: &str,
    decision: TaskDecision,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let command = Command::Decide {
        task_id: task_id.to_string(),
        decision: decision.decision,
        comment: decision.comment,
        conditions: decision.conditions,
    };
    let loaded = task_command(conn, engine, caller, task_id, command, now)?;
    view(conn, engine, &loaded, now)
}

/// Claim or release; the task as the queue shows it.
pub fn claim_or_release(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    task_id: &str,
    claim: bool,
    now: NaiveDateTime,
) -> Result<QueueItem, ServiceError> {
    let command = if claim {
        Command::Claim {
            task_id: task_id.to_string(),
        }
    } else {
        Command::Release {
            task_id: task_id.to_string(),
        }
    };
    let loaded = task_command(conn, engine, caller, task_id, command, now)?;
    let task = loaded.case.task(task_id).ok_or(ServiceError::NotFound)?;
    let phase = loaded
        .case
        .phases
        .get(task.phase)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    Ok(QueueItem {
        id: task.id.clone(),
        application_id: loaded.row.id.clone(),
        reference: loaded.row.reference.clone(),
        authority_code: task.authority_code.clone(),
        phase,
        step: task.step.clone(),
        state: task.state.as_str().to_string(),
        assignee: task.assignee.clone(),
        opened_at: task.opened_at.map(view::rfc3339),
        due_at: task.due_at.map(view::rfc3339),
        escalation_level: task.escalation_level,
        permit_class: loaded.row.permit_class.clone(),
    })
}

pub fn get(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    now: NaiveDateTime,
) -> Result<ApplicationView, ServiceError> {
    let loaded = load_visible(conn, caller, id)?;
    view(conn, engine, &loaded, now)
}

pub struct Page {
    pub items: Vec<ApplicationView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

pub fn list(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    status: Option<&str>,
    paging: Paging,
    now: NaiveDateTime,
) -> Result<Page, ServiceError> {
    if let Some(s) = status {
        s.parse::<AppStatus>().map_err(|_| {
            ServiceError::from(FieldError::new("status", Message::new("error.one_of").with("value", s).with(
                "allowed",
                "draft, submitted, under_review, info_requested, issued, not_accepted, rejected, withdrawn",
            )))
        })?;
    }
    let scope = scope_of(conn, caller)?;
    let (found, total) = q::list(conn, &scope, status, paging)?;
    let mut items = Vec::with_capacity(found.len());
    for row in found {
        let loaded = rows::load(conn, &row.id)?.ok_or(ServiceError::NotFound)?;
        items.push(view(conn, engine, &loaded, now)?);
    }
    Ok(Page {
        items,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

pub fn events(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &str,
) -> Result<Vec<EventView>, ServiceError> {
    load_visible(conn, caller, id)?;
    Ok(q::events(conn, id)?
        .into_iter()
        .map(|(e, actor)| EventView {
            at: view::rfc3339(e.at),
            kind: e.kind,
            actor,
            detail: serde_json::from_str(&e.detail).unwrap_or_default(),
        })
        .collect())
}

/// A reviewer's queue: `open`, `claimed`, `mine` (claimed by the caller) or `all` (every task
/// not yet decided), oldest due first.
pub fn queue(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &str,
) -> Result<Vec<QueueItem>, ServiceError> {
    let (Role::Reviewer, Some(authority)) = (caller.role, &caller.user.authority_code) else {
        return Err(ServiceError::Forbidden("the queue is for reviewers".into()));
    };
    let (states, assignee): (&[&str], Option<&str>) = match filter {
        "open" => (&["open"], None),
        "claimed" => (&["claimed"], None),
        "mine" => (&["claimed"], Some(caller.user.id.as_str())),
        "all" => (&["open", "claimed", "info_requested"], None),
        other => {
            return Err(FieldError::new(
                "state",
                Message::new("error.one_of")
                    .with("value", other)
                    .with("allowed", "open, claimed, mine, all"),
            )
            .into())
        }
    };
    Ok(q::queue(conn, authority, states, assignee)?
        .into_iter()
        .map(QueueItem::from)
        .collect())
}

/// Stores an uploaded file (by content hash, under the data folder) and records it.
#[allow(clippy::too_many_arguments)]
pub fn add_attachment(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
    kind: &str,
    filename: &str,
    bytes: &[u8],
    now: NaiveDateTime,
) -> Result<view::AttachmentView, ServiceError> {
    let kind: AttachmentKind = kind.parse().map_err(|_| {
        ServiceError::from(FieldError::new(
            "kind",
            Message::new("error.attachment_kind"),
        ))
    })?;
    let content_type = attachment::sniff(bytes).ok_or_else(|| {
        ServiceError::from(FieldError::new(
            "file",
            Message::new("error.attachment_type"),
        ))
    })?;
    if bytes.len() > attachment::MAX_ATTACHMENT_BYTES {
        return Err(FieldError::new("file", Message::new("error.attachment_too_large")).into());
    }
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
    write_transaction(conn, |conn| {
        let before = load_own(conn, caller, id)?;
        if !matches!(
            before.case.status,
            AppStatus::Draft | AppStatus::InfoRequested
        ) {
            return Err(ServiceError::Conflict(format!(
                "the application is {}",
                before.case.status
            )));
        }
        // Content-addressed: writing the same file twice is harmless, and a file whose row
        // never commits is only an orphan to sweep, never a half-written record.
        let dir = engine.data_dir.join("attachments").join(&sha256[..2]);
        std::fs::create_dir_all(&dir).map_err(|e| ServiceError::Internal(e.into()))?;
        let path = dir.join(&sha256);
        if !path.exists() {
            let tmp = dir.join(format!("{sha256}.{}", new_id()));
            std::fs::write(&tmp, bytes)
                .and_then(|_| std::fs::rename(&tmp, &path))
                .map_err(|e| ServiceError::Internal(e.into()))?;
        }
        let row = AttachmentRow {
            id: new_id(),
            application_id: id.to_string(),
            kind: kind.as_str().to_string(),
            filename: attachment::clean_filename(filename),
            content_type: content_type.to_string(),
            size: bytes.len() as i64,
            sha256: sha256.clone(),
            uploaded_by: caller.user.id.clone(),
            uploaded_at: now,
        };
        q::insert_attachment(conn, &row)?;
        let next = rows::next_row(&before.row, &before.case, now);
        let detail = serde_json::json!({"attachment_id": row.id, "kind": row.kind, "filename": row.filename, "sha256": row.sha256});
        rows::store(
            conn,
            &before,
            &next,
            &before.case,
            &[audit(now, "attachment_added", caller, detail)],
        )?;
        Ok(view::AttachmentView::from(row))
    })
}
