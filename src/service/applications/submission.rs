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

/// What can be told of the loads whose loaded figures can be read, while the input as a whole
/// cannot be parsed yet: the attachments their classes need, the axle loads no permit allows and
/// a divisible cargo. So a form shows the rule checks in the same pass as the field errors.
fn readable_loads_problems(
    engine: &Engine,
    input: &ApplicationInput,
    attachments: &[Attached],
) -> Vec<crate::domain::FieldError> {
    use crate::domain::application::{LoadedVehicle, VehicleInput};
    // The class needs the figures, not the trailer type; the axle-load limits need both.
    let figures = |v: &VehicleInput| -> Option<(LoadedVehicle, bool)> {
        match v.loaded_figures() {
            Some(figures) => Some((figures, true)),
            None => VehicleInput {
                trailer_type: Some("flatbed".into()),
                ..v.clone()
            }
            .loaded_figures()
            .map(|figures| (figures, false)),
        }
    };
    type Readable<'a> = (String, Option<&'a str>, LoadedVehicle, bool, bool);
    let readable: Vec<Readable> = match input.kind() {
        Some(ApplicationKind::Project) => input
            .loads
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, l)| {
                let key = l.key.as_deref().map(str::trim).filter(|k| !k.is_empty())?;
                let divisible = l.cargo.as_ref().and_then(|c| c.divisible) == Some(true);
                let (vehicle, trailer_known) = figures(l.vehicle.as_ref()?)?;
                Some((
                    format!("loads[{i}]."),
                    Some(key),
                    vehicle,
                    trailer_known,
                    divisible,
                ))
            })
            .collect(),
        _ => input
            .vehicle
            .as_ref()
            .and_then(figures)
            .map(|(vehicle, trailer_known)| {
                let divisible = input.cargo.as_ref().and_then(|c| c.divisible) == Some(true);
                vec![(String::new(), None, vehicle, trailer_known, divisible)]
            })
            .unwrap_or_default(),
    };
    let mut problems = Vec::new();
    for (prefix, _, vehicle, trailer_known, divisible) in &readable {
        if *divisible {
            problems.push(crate::domain::FieldError::new(
                format!("{prefix}cargo.divisible"),
                crate::domain::Message::new("rule.divisible"),
            ));
        }
        let granted = if *trailer_known {
            engine.rules.cannot_be_granted(vehicle)
        } else {
            Vec::new()
        };
        for reason in granted {
            problems.push(crate::domain::FieldError {
                field: format!("{prefix}{}", reason.field),
                ..reason
            });
        }
    }
    let classes: Vec<(Option<&str>, rules::PermitClass)> = readable
        .iter()
        .map(|(_, key, vehicle, _, _)| (*key, engine.rules.classify(vehicle)))
        .collect();
    problems.extend(rules::missing_attachments(
        &engine.rules,
        &classes,
        attachments,
    ));
    problems
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
            // Every problem at once: what the readable loads break, too.
            let attached = attached(&q::attachments_of(conn, &row.id)?);
            for problem in readable_loads_problems(engine, input, &attached) {
                if !errors.0.iter().any(|e| e.field == problem.field) {
                    errors.push(problem);
                }
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
    withdraw_because(conn, engine, caller, id, None, now)
}

/// Withdrawal with the applicant's reason, kept in the event (the timeline and the e-mail to
/// the authorities say it).
pub fn withdraw_because(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let id = id.as_str();
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => Some(
            crate::domain::values::text("reason", Some(reason), 2000)
                .map_err(|e| ServiceError::from(crate::domain::ValidationErrors(vec![e])))?,
        ),
        None => None,
    };
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, engine, caller, id)?;
        let command = Command::Withdraw {
            reason: reason.clone(),
        };
        let events =
            decide_command(&before.case, command, &caller.actor(), now).map_err(domain_error)?;
        let after = applied(&before.case, &events);
        let row = rows::next_row(&before.row, &after, now);
        if super::amendments::is_amendment(&row) {
            // The permit is open to the next amendment.
            super::amendments::on_decided(conn, caller, &row, &after, &events, now)?;
        }
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        Ok::<_, ServiceError>(Loaded { row, case: after })
    })?;
    view(conn, engine, &loaded, now)
}
