//! Demo applications at every stage, made through the real workflow so each role's start page
//! has something on it: a permit valid from today, applications awaiting acceptance, under
//! joint review with some authorities signed, waiting for the applicant's answer, and a draft.
//! Before them, the history of `demo_history`. Made only while the demo firm has no
//! application (so a restart adds nothing).

use super::history::{HistoryPlan, Progress};
use crate::db::applications::{self as app_q, Scope};
use crate::db::users::{self as q, UserRow};
use crate::db::DbConnection;
use crate::domain::application::ApplicationInput;
use crate::domain::ids::{ApplicationId, TaskId};
use crate::domain::role::Role;
use crate::domain::workflow::Decision;
use crate::domain::workflow::{AppStatus, PhaseState, TaskState};
use crate::service::applications::{self as apps, view::Application, TaskDecision};
use crate::service::{Caller, Engine, ServiceError};
use chrono::{Days, NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

/// How far through the workflow a demo application goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Draft,
    Submitted,
    /// Accepted, with this many joint reviews signed.
    Reviewing(usize),
    InfoRequested,
    Issued,
}

const CONDITIONS: [&str; 2] = [
    "夜间 22:00–06:00 通行 Travel 22:00–06:00 only",
    "前后各一辆护送车 Escort vehicle front and rear",
];

/// A blade on `segments`, travelling from `from` for two weeks.
fn blade(description: &str, length_m: f64, segments: Value, from: NaiveDate, trips: u32) -> Value {
    json!({
        "cargo":   {"description": description, "pieces": 1, "divisible": false,
                    "length_m": length_m, "width_m": 4.2, "height_m": 4.6, "mass_kg": 36000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
                    "trailer_type": "extendable_blade", "axles": 8,
                    "overall_length_m": length_m + 5.5, "overall_width_m": 4.3, "overall_height_m": 4.9,
                    "gross_mass_kg": 76000, "max_axle_load_kg": 11000},
        "route":   {"origin": "木垒新能源装备产业园 Mulei new-energy equipment park",
                    "destination": "大石头风电场 Dashitou wind farm",
                    "segments": segments},
        "travel":  {"from": from.to_string(), "to": (from + Days::new(14)).to_string(), "trips": trips},
        "escort":  {"vehicles": 2, "police_escort": true}
    })
}

pub(super) fn caller(user: UserRow) -> Result<Caller, ServiceError> {
    let role = user
        .role
        .parse::<Role>()
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!(e)))?;
    Ok(Caller { user, role })
}

/// The demo reviewer of an authority.
pub(super) fn reviewer(conn: &mut DbConnection, authority: &str) -> Result<Caller, ServiceError> {
    let email = format!("{}@demo.local", authority.to_lowercase());
    caller(q::find_user_by_email(conn, &email)?.ok_or(ServiceError::NotFound)?)
}

/// The open tasks of the open phase: (task, authority).
fn open_tasks(application: &Application) -> Vec<(String, String)> {
    application
        .phases
        .iter()
        .filter(|p| p.state == PhaseState::Open)
        .flat_map(|p| &p.tasks)
        .filter(|t| t.state == TaskState::Open)
        .map(|t| (t.id.clone(), t.authority_code.clone()))
        .collect()
}

fn approve(
    conn: &mut DbConnection,
    engine: &Engine,
    application: &Application,
    (task, authority): &(String, String),
    i: usize,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let conditions = if application.status == AppStatus::UnderReview {
        // Reviewers often set the same condition: the permit lists it once.
        CONDITIONS[..CONDITIONS.len() - (i % 2)]
            .iter()
            .map(|c| c.to_string())
            .collect()
    } else {
        Vec::new()
    };
    let by = reviewer(conn, authority)?;
    let decision = TaskDecision {
        decision: Decision::Approve,
        comment: None,
        conditions,
    };
    apps::decide(conn, engine, &by, &TaskId::from(task), decision, now)
}

/// The issued permit's amendments (变更): a replacement tractor approved by the issuer within
/// the hour (the permit is at version 2), and a later last day waiting in the issuer's queue.
fn amendments(
    conn: &mut DbConnection,
    engine: &Engine,
    holder: &Caller,
    permit_no: &str,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    use crate::service::applications::amendments::request;
    let no = crate::domain::ids::PermitNo::from(permit_no);
    let replaced = request(
        conn,
        engine,
        holder,
        &no,
        Some("原牵引车新B12345发动机故障，由同型号牵引车新B23456替换"),
        &json!({"plates": [{"tractor_plate": "新B23456", "trailer_plates": ["新B6789挂"]}]}),
        None,
        now - chrono::TimeDelta::minutes(25),
    )?;
    let issuer = reviewer(conn, "652328-TRANSPORT")?;
    for task in &replaced.case.tasks {
        let decision = TaskDecision {
            decision: Decision::Approve,
            comment: None,
            conditions: Vec::new(),
        };
        let at = now - chrono::TimeDelta::minutes(10);
        apps::decide(conn, engine, &issuer, &TaskId::from(&task.id), decision, at)?;
    }
    let permit = crate::db::permits::find(conn, permit_no)?.ok_or(ServiceError::NotFound)?;
    let later = permit.valid_to + Days::new(7);
    request(
        conn,
        engine,
        holder,
        &no,
        Some("风场吊装计划顺延一周，申请延长有效期"),
        &json!({"valid_to": later.to_string()}),
        None,
        now - chrono::TimeDelta::minutes(5),
    )?;
    Ok(())
}

/// The moments of one application's steps: from `at`, each `step` later than the one before.
struct Steps {
    at: NaiveDateTime,
    step: chrono::TimeDelta,
}

impl Steps {
    /// Every step at once, at `now`.
    fn at(now: NaiveDateTime) -> Steps {
        Steps {
            at: now,
            step: chrono::TimeDelta::zero(),
        }
    }

    fn tick(&mut self) -> NaiveDateTime {
        let at = self.at;
        self.at += self.step;
        at
    }
}

fn advance(
    conn: &mut DbConnection,
    engine: &Engine,
    applicant: &Caller,
    input: Value,
    stage: Stage,
    mut clock: Steps,
) -> Result<Application, ServiceError> {
    let input: ApplicationInput =
        serde_json::from_value(input).map_err(|e| ServiceError::Internal(e.into()))?;
    let draft = apps::create(conn, engine, applicant, &input, clock.tick())?;
    if stage == Stage::Draft {
        return Ok(draft);
    }
    let pdf = &crate::domain::attachment::sample_pdf("permitflow demo drawing");
    for kind in ["contour_drawing", "escort_plan"] {
        let name = format!("{kind}.pdf");
        apps::add_attachment(
            conn,
            engine,
            applicant,
            &ApplicationId::from(&draft.id),
            apps::Upload {
                kind,
                load: None,
                filename: &name,
                bytes: pdf,
            },
            clock.tick(),
        )?;
    }
    let mut application = apps::submit(
        conn,
        engine,
        applicant,
        &ApplicationId::from(&draft.id),
        clock.tick(),
    )?;
    if stage == Stage::Submitted {
        return Ok(application);
    }
    let acceptance = open_tasks(&application);
    for (i, task) in acceptance.iter().enumerate() {
        application = approve(conn, engine, &application, task, i, clock.tick())?;
    }
    match stage {
        Stage::Reviewing(signed) => {
            for (i, task) in open_tasks(&application).iter().take(signed).enumerate() {
                application = approve(conn, engine, &application, task, i, clock.tick())?;
            }
        }
        Stage::InfoRequested => {
            if let Some((task, authority)) = open_tasks(&application).first() {
                let by = reviewer(conn, authority)?;
                let decision = TaskDecision {
                    decision: Decision::RequestInfo,
                    comment: Some("请补充护送方案第 2 页（夜间照明） Please add page 2 of the escort plan (night lighting)".into()),
                    conditions: Vec::new(),
                };
                application = apps::decide(
                    conn,
                    engine,
                    &by,
                    &TaskId::from(task),
                    decision,
                    clock.tick(),
                )?;
            }
        }
        Stage::Issued => {
            while application.status != AppStatus::Issued {
                let open = open_tasks(&application);
                if open.is_empty() {
                    return Err(ServiceError::Internal(anyhow::anyhow!(
                        "the demo application stopped at {}",
                        application.status
                    )));
                }
                for (i, task) in open.iter().enumerate() {
                    application = approve(conn, engine, &application, task, i, clock.tick())?;
                }
            }
        }
        Stage::Draft | Stage::Submitted => {}
    }
    Ok(application)
}

/// Makes the demo's applications; the number of the permit it issued, when it made them.
pub fn seed_applications(
    conn: &mut DbConnection,
    engine: &Engine,
    now: NaiveDateTime,
    history: HistoryPlan,
    progress: Progress,
) -> Result<Option<String>, ServiceError> {
    let (Some(first), Some(second)) = (
        q::find_user_by_email(conn, "applicant@demo.local")?,
        q::find_user_by_email(conn, "applicant2@demo.local")?,
    ) else {
        return Ok(None);
    };
    let Some(firm) = first.firm_id.clone() else {
        return Ok(None);
    };
    if app_q::list(
        conn,
        &Scope::Firm(firm),
        app_q::ListFilter::default(),
        crate::domain::paging::Paging {
            page: 1,
            per_page: 1,
        },
    )?
    .1 > 0
    {
        return Ok(None);
    }
    // The past first (references then run in order of submission), then what is on
    // everyone's desk today; the monitor escalates what the history left lying.
    if history.days > 0 {
        let mut serial = engine.clone();
        serial.default_workflow = "serial".into();
        let serial = if engine.workflows.latest("serial").is_some() {
            &serial
        } else {
            engine
        };
        super::history::seed(conn, engine, serial, now, history, progress)?;
        while crate::service::escalations::run(conn, engine, now)? > 0 {}
    }
    let (first, second) = (caller(first)?, caller(second)?);
    let today = engine.today(now);
    let tomorrow = today + Days::new(1);
    let mulei = json!([{"road": "G7", "jurisdiction": "652328", "length_km": 48.0},
                       {"road": "S228", "jurisdiction": "652328", "length_km": 22.5}]);
    let changji = json!([{"road": "G7", "jurisdiction": "652328", "length_km": 48.0},
                         {"road": "S303", "jurisdiction": "652325", "length_km": 66.0}]);
    let across = json!([{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                        {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]);
    let barkol = json!([{"road": "S303", "jurisdiction": "650521", "length_km": 95.0}]);
    let issued = advance(
        conn,
        engine,
        &first,
        blade("风电叶片 Wind turbine blade", 91.0, mulei, today, 6),
        Stage::Issued,
        // Seven steps, the last (the permit) half an hour ago.
        Steps {
            at: now - chrono::TimeDelta::minutes(30 + 6 * 35),
            step: chrono::TimeDelta::minutes(35),
        },
    )?;
    if let Some(permit_no) = &issued.permit_no {
        amendments(conn, engine, &first, permit_no, now)?;
    }
    super::project::seed(conn, engine, &first, now)?;
    let work = [
        (
            &first,
            "风电叶片 Wind turbine blade",
            102.0,
            changji.clone(),
            Stage::Reviewing(2),
        ),
        (
            &first,
            "风电叶片 Wind turbine blade",
            126.0,
            across,
            Stage::Submitted,
        ),
        (
            &first,
            "风电叶片 Wind turbine blade",
            96.0,
            changji,
            Stage::InfoRequested,
        ),
        (
            &second,
            "Wind turbine blade (Hami plant)",
            88.0,
            barkol,
            Stage::Submitted,
        ),
    ];
    for (applicant, description, length, route, stage) in work {
        advance(
            conn,
            engine,
            applicant,
            blade(description, length, route, tomorrow, 4),
            stage,
            Steps::at(now),
        )?;
    }
    let draft =
        json!({"cargo": {"description": "风机机舱 Nacelle", "pieces": 1, "mass_kg": 85000}});
    advance(conn, engine, &first, draft, Stage::Draft, Steps::at(now))?;
    Ok(issued.permit_no)
}
