//! Submission through every rule of SPEC §2, the rules checked without submitting, and
//! withdrawal.

use super::rows::Loaded;
use super::view::Application;
use super::{applied, domain_error, load_own, rows, store_and_notify, view};
use crate::db::applications::{ApplicationRow, AttachmentRow};
use crate::db::{applications as q, new_id, users as user_q, write_transaction, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind, Submission};
use crate::domain::ids::ApplicationId;
use crate::domain::rules::{self, Attached, AttachmentKind, FirmStanding};
use crate::domain::workflow::case::{decide as decide_command, NewPhase, NewTask};
use crate::domain::workflow::{AppStatus, Command};
use crate::service::reference::load_tree;
use crate::service::{stored, Caller, Engine, ServiceError};
use chrono::{Datelike, NaiveDateTime};

/// The attachments the application has, as the rules see them.
fn attached(list: &[AttachmentRow]) -> Vec<Attached> {
    list.iter()
        .filter_map(|a| {
            Some(Attached {
                kind: a.kind.parse::<AttachmentKind>().ok()?,
                load: a.load_key.clone(),
            })
        })
        .collect()
}

/// The attachments missing for the loads whose loaded figures can be read, while the input as
/// a whole cannot be parsed yet.
fn readable_loads_missing(
    engine: &Engine,
    input: &ApplicationInput,
    attachments: &[Attached],
) -> Vec<crate::domain::FieldError> {
    let classify = |v: &crate::domain::application::VehicleInput| {
        v.loaded_figures().map(|f| engine.rules.classify(&f))
    };
    let loads: Vec<(Option<&str>, rules::PermitClass)> = match input.kind() {
        Some(ApplicationKind::Project) => input
            .loads
            .iter()
            .flatten()
            .filter_map(|l| {
                let key = l.key.as_deref().map(str::trim).filter(|k| !k.is_empty())?;
                Some((Some(key), classify(l.vehicle.as_ref()?)?))
            })
            .collect(),
        _ => input
            .vehicle
            .as_ref()
            .and_then(classify)
            .map(|c| vec![(None, c)])
            .unwrap_or_default(),
    };
    rules::missing_attachments(&engine.rules, &loads, attachments)
}

/// Parses and assesses an input against every rule, with every failure at once.
pub(super) fn assess(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<(Submission, rules::Assessment), ServiceError> {
    let tree = load_tree(conn)?;
    let spec = match Submission::parse(input, &engine.rules, &tree, engine.today(now)) {
        Ok(spec) => spec,
        Err(mut errors) => {
            // Every problem at once: the files the readable loads' classes need, too.
            let attached = attached(&q::attachments_of(conn, &row.id)?);
            for missing in readable_loads_missing(engine, input, &attached) {
                errors.push(missing);
            }
            return Err(errors.into());
        }
    };
    let firm = user_q::find_firm(conn, &row.firm_id)?.ok_or(ServiceError::NotFound)?;
    let standing = FirmStanding {
        oversize_qualified: firm.oversize_qualified,
        restricted_until: firm.restricted_until,
    };
    let kinds = attached(&q::attachments_of(conn, &row.id)?);
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
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let id = id.as_str();
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, engine, caller, id)?;
        if before.case.status != AppStatus::Draft {
            return Err(ServiceError::Conflict(format!(
                "the application is {} already",
                before.case.status
            )));
        }
        let input: ApplicationInput = stored("application input", &before.row.input)?;
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
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let id = id.as_str();
    let loaded = load_own(conn, engine, caller, id)?;
    let input: ApplicationInput = stored("application input", &loaded.row.input)?;
    assess(conn, engine, &loaded.row, &input, now).map(drop)
}

pub fn withdraw(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let id = id.as_str();
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, engine, caller, id)?;
        let events = decide_command(&before.case, Command::Withdraw, &caller.actor(), now)
            .map_err(domain_error)?;
        let after = applied(&before.case, &events);
        let row = rows::next_row(&before.row, &after, now);
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        Ok::<_, ServiceError>(Loaded { row, case: after })
    })?;
    view(conn, engine, &loaded, now)
}
