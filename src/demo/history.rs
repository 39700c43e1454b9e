//! The demo's history: about 90 days of applications run through the engine itself (the same
//! service calls as the API, each at its simulated moment), so that the managers' dashboard
//! has a story to tell. Blades, tower sections and nacelles on routes across the shipped
//! counties; reviewers who answer within hours in joint review (night work waits for the
//! morning) and take days in the serial way; some information rounds, a few refusals; the
//! last days' work still open, a few tasks stuck past their budget and escalated by now.
//! Deterministic for a seed and a moment.

use super::work::{caller, reviewer};
use crate::db::users as q;
use crate::db::DbConnection;
use crate::domain::application::ApplicationInput;
use crate::domain::ids::{ApplicationId, TaskId};
use crate::domain::workflow::Decision;
use crate::domain::workflow::{AppStatus, PhaseState, TaskState};
use crate::service::applications::{self as apps, view::Application, TaskDecision};
use crate::service::{Caller, Engine, ServiceError};
use chrono::{Days, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// What to make: `days` of history up to `now`, from `seed`.
#[derive(Debug, Clone, Copy)]
pub struct HistoryPlan {
    pub days: u32,
    pub seed: u64,
}

impl Default for HistoryPlan {
    fn default() -> Self {
        HistoryPlan { days: 90, seed: 7 }
    }
}

/// Told after each application: (done, of how many).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// Routes: one county (the county issues), two counties of one prefecture (the prefecture),
/// or across prefectures (the region).
const ROUTES: [&[(&str, &str, f64)]; 9] = [
    &[("G7", "652328", 48.0), ("S228", "652328", 22.5)],
    &[("S303", "650521", 95.0)],
    &[("G30", "650502", 41.0)],
    &[("G216", "652325", 37.0)],
    &[("G7", "652328", 48.0), ("S303", "652325", 66.0)],
    &[("G30", "650502", 52.0), ("S303", "650521", 88.0)],
    &[("G7", "652328", 60.5), ("S303", "650521", 140.0)],
    &[
        ("G30", "650107", 45.0),
        ("G7", "652301", 38.0),
        ("G7", "652328", 95.0),
    ],
    &[("G30", "650502", 70.0), ("G7", "652328", 180.0)],
];

/// An application's input: a blade, a tower section or a nacelle on `route`, travelling from
/// `from` for two weeks.
fn cargo(rng: &mut StdRng, route: &[(&str, &str, f64)], from: chrono::NaiveDate) -> Value {
    let segments: Vec<Value> = route
        .iter()
        .map(|(road, county, km)| json!({"road": road, "jurisdiction": county, "length_km": km}))
        .collect();
    let plate = format!("新B{:05}", rng.random_range(10000..99999));
    let trailer = format!("新B{:04}挂", rng.random_range(1000..9999));
    let (cargo, vehicle, origin, destination) = match rng.random_range(0..10) {
        0..=5 => {
            let length: f64 = [68.0, 76.5, 84.0, 91.0, 102.0][rng.random_range(0..5)];
            (
                json!({"description": "风电叶片 Wind turbine blade", "pieces": 1, "divisible": false,
                       "length_m": length, "width_m": 4.2, "height_m": 4.6, "mass_kg": 36000}),
                json!({"tractor_plate": plate, "trailer_plates": [trailer],
                       "trailer_type": "extendable_blade", "axles": 8,
                       "overall_length_m": length + 5.5, "overall_width_m": 4.3,
                       "overall_height_m": 4.9, "gross_mass_kg": 76000, "max_axle_load_kg": 11000}),
                "木垒新能源装备产业园 Mulei new-energy equipment park",
                "大石头风电场 Dashitou wind farm",
            )
        }
        6..=8 => (
            json!({"description": "风机塔筒段 Tower section", "pieces": 1, "divisible": false,
                   "length_m": 27.5, "width_m": 4.6, "height_m": 4.6, "mass_kg": 62000}),
            json!({"tractor_plate": plate, "trailer_plates": [trailer],
                   "trailer_type": "flatbed", "axles": 10,
                   "overall_length_m": 34.0, "overall_width_m": 4.6,
                   "overall_height_m": 5.2, "gross_mass_kg": 95000, "max_axle_load_kg": 10500}),
            "哈密塔筒制造厂 Hami tower works",
            "三塘湖风电场 Santanghu wind farm",
        ),
        _ => (
            json!({"description": "风机机舱 Nacelle", "pieces": 1, "divisible": false,
                   "length_m": 12.5, "width_m": 4.3, "height_m": 4.2, "mass_kg": 88000}),
            json!({"tractor_plate": plate, "trailer_plates": [trailer],
                   "trailer_type": "hydraulic_modular", "axles": 12,
                   "overall_length_m": 24.0, "overall_width_m": 4.5,
                   "overall_height_m": 5.6, "gross_mass_kg": 128000, "max_axle_load_kg": 11500}),
            "乌鲁木齐装备园 Urumqi equipment park",
            "木垒风电场 Mulei wind farm",
        ),
    };
    json!({
        "cargo": cargo, "vehicle": vehicle,
        "route": {"origin": origin, "destination": destination, "segments": segments},
        "travel": {"from": from.to_string(), "to": (from + Days::new(14)).to_string(),
                   "trips": rng.random_range(2..12)},
        "escort": {"vehicles": 2, "police_escort": true}
    })
}

/// Minutes a reviewer takes: log-normal around `median` minutes.
fn response_minutes(rng: &mut StdRng, median: f64, spread: f64) -> i64 {
    crate::simulate::random::log_normal(rng, median, spread).clamp(5.0, 20_000.0) as i64
}

/// Work done at night waits for the morning (local 08:30–09:30).
fn office_hours(engine: &Engine, at: NaiveDateTime, rng: &mut StdRng) -> NaiveDateTime {
    let offset = engine
        .timezone
        .offset_from_utc_datetime(&at)
        .fix()
        .local_minus_utc();
    let local = at + TimeDelta::seconds(i64::from(offset));
    if (8..22).contains(&local.hour()) {
        return at;
    }
    let morning_day = if local.hour() >= 22 {
        local.date() + Days::new(1)
    } else {
        local.date()
    };
    let morning = morning_day.and_hms_opt(8, 30, 0).unwrap_or(local)
        + TimeDelta::minutes(rng.random_range(0..60));
    morning - TimeDelta::seconds(i64::from(offset))
}

fn caller_of(conn: &mut DbConnection, email: &str) -> Result<Caller, ServiceError> {
    caller(q::find_user_by_email(conn, email)?.ok_or(ServiceError::NotFound)?)
}

/// How one application's story ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Issued,
    NotAccepted,
    Rejected,
}

/// Makes the history; returns how many applications it submitted.
pub fn seed(
    conn: &mut DbConnection,
    joint: &Engine,
    serial: &Engine,
    now: NaiveDateTime,
    plan: HistoryPlan,
    progress: Progress,
) -> Result<usize, ServiceError> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let applicants = [
        caller_of(conn, "applicant@demo.local")?,
        caller_of(conn, "applicant2@demo.local")?,
    ];
    // Submission moments, oldest first: more on working days, in office hours.
    let start = now - TimeDelta::days(i64::from(plan.days));
    let mut moments = Vec::new();
    for day in 0..plan.days {
        let date = start + TimeDelta::days(i64::from(day));
        let weekday = chrono::Datelike::weekday(&date).num_days_from_monday();
        let count = if weekday < 5 {
            rng.random_range(3..9)
        } else {
            rng.random_range(0..3)
        };
        for _ in 0..count {
            let at = date + TimeDelta::minutes(rng.random_range(0..24 * 60));
            moments.push(office_hours(joint, at, &mut rng));
        }
    }
    moments.retain(|at| *at < now - TimeDelta::minutes(30));
    moments.sort();
    let total = moments.len();
    // The last few submitted between 14 and 60 hours ago have a review task nobody takes up:
    // by now they stand at different rungs of the ladder.
    let stuck_from = moments
        .iter()
        .rev()
        .filter(|at| now - **at > TimeDelta::hours(14) && now - **at < TimeDelta::hours(60))
        .nth(3)
        .copied();
    for (done, submitted_at) in moments.into_iter().enumerate() {
        let serial_way = rng.random_bool(0.15);
        let engine = if serial_way { serial } else { joint };
        let applicant = &applicants[usize::from(rng.random_bool(0.3))];
        let route = ROUTES[rng.random_range(0..ROUTES.len())];
        let from = engine.today(submitted_at) + Days::new(rng.random_range(1..4));
        let input: ApplicationInput = serde_json::from_value(cargo(&mut rng, route, from))
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let fate = match rng.random_range(0..100) {
            0..=1 => Fate::NotAccepted,
            2..=5 => Fate::Rejected,
            _ => Fate::Issued,
        };
        let info_round = rng.random_bool(0.12);
        let stuck = stuck_from
            .is_some_and(|from| submitted_at >= from && now - submitted_at > TimeDelta::hours(14));
        let story = Story {
            engine,
            applicant,
            serial: serial_way,
            fate,
            info_round,
            stuck,
            now,
        };
        story.run(conn, &input, submitted_at, &mut rng)?;
        progress(done + 1, total);
    }
    Ok(total)
}

struct Story<'a> {
    engine: &'a Engine,
    applicant: &'a Caller,
    serial: bool,
    fate: Fate,
    info_round: bool,
    stuck: bool,
    now: NaiveDateTime,
}

impl Story<'_> {
    fn run(
        &self,
        conn: &mut DbConnection,
        input: &ApplicationInput,
        submitted_at: NaiveDateTime,
        rng: &mut StdRng,
    ) -> Result<(), ServiceError> {
        let (engine, applicant) = (self.engine, self.applicant);
        let draft_at = submitted_at - TimeDelta::minutes(rng.random_range(10..90));
        let draft = apps::create(conn, engine, applicant, input, draft_at)?;
        let pdf = &crate::domain::attachment::sample_pdf("permitflow demo drawing");
        for kind in ["contour_drawing", "escort_plan"] {
            let name = format!("{kind}.pdf");
            let upload = apps::Upload {
                kind,
                load: None,
                filename: &name,
                bytes: pdf,
            };
            apps::add_attachment(
                conn,
                engine,
                applicant,
                &ApplicationId::from(&draft.id),
                upload,
                draft_at,
            )?;
        }
        let mut app = apps::submit(
            conn,
            engine,
            applicant,
            &ApplicationId::from(&draft.id),
            submitted_at,
        )?;
        let mut asked = false;
        let mut refused = false;
        let mut stuck_one = self.stuck;
        let mut planned = std::collections::HashMap::new();
        loop {
            let open = open_tasks(&app);
            if open.is_empty()
                || app.status == AppStatus::Issued
                || app.status == AppStatus::Rejected
            {
                return Ok(());
            }
            // Each open task's answer time (drawn once per opening), earliest first.
            let mut answers: Vec<(NaiveDateTime, String, String, String)> = open
                .into_iter()
                .map(|(id, authority, step, opened)| {
                    let at = *planned.entry((id.clone(), opened)).or_insert_with(|| {
                        let minutes = self.response(rng, &step, &mut stuck_one);
                        office_hours(engine, opened + TimeDelta::minutes(minutes), rng)
                    });
                    (at, id, authority, step)
                })
                .collect();
            answers.sort();
            let (at, task, authority, step) = answers.swap_remove(0);
            if at >= self.now {
                return Ok(());
            }
            let by = reviewer(conn, &authority)?;
            let review = step != "acceptance" && step != "issuance";
            let decision = if step == "acceptance" && self.fate == Fate::NotAccepted {
                reject("运输方案不完整 The transport plan is incomplete")
            } else if review && self.fate == Fate::Rejected && !refused {
                refused = true;
                reject("桥梁限载不足，请改线 A bridge on the route cannot carry the load: choose another road")
            } else if review && self.info_round && !asked {
                asked = true;
                TaskDecision {
                    decision: Decision::RequestInfo,
                    comment: Some(
                        "请补充护送方案夜间照明页 Please add the escort plan's night-lighting page"
                            .into(),
                    ),
                    conditions: Vec::new(),
                }
            } else {
                let conditions = if review && rng.random_bool(0.4) {
                    vec!["夜间 22:00–06:00 通行 Travel 22:00–06:00 only".to_string()]
                } else {
                    Vec::new()
                };
                TaskDecision {
                    decision: Decision::Approve,
                    comment: None,
                    conditions,
                }
            };
            let asking = decision.decision == Decision::RequestInfo;
            app = apps::decide(conn, engine, &by, &TaskId::from(&task), decision, at)?;
            if asking {
                let answer = at + TimeDelta::minutes(response_minutes(rng, 360.0, 0.8));
                let answer = office_hours(engine, answer, rng);
                if answer >= self.now {
                    return Ok(());
                }
                app = apps::respond(
                    conn,
                    engine,
                    applicant,
                    &ApplicationId::from(&app.id),
                    "已补充 Added",
                    None,
                    answer,
                )?;
            }
        }
    }

    /// Minutes a task lies before its answer: acceptance and issuance within their budgets,
    /// joint reviews within hours (a few late), serial reviews within days.
    fn response(&self, rng: &mut StdRng, step: &str, stuck: &mut bool) -> i64 {
        match step {
            "acceptance" => response_minutes(rng, 45.0, 0.6),
            "issuance" => response_minutes(rng, if self.serial { 600.0 } else { 70.0 }, 0.6),
            _ if std::mem::take(stuck) => 60 * 60,
            _ if self.serial => response_minutes(rng, 1500.0, 0.6),
            _ => response_minutes(rng, 150.0, 0.9),
        }
    }
}

fn reject(reason: &str) -> TaskDecision {
    TaskDecision {
        decision: Decision::Reject,
        comment: Some(reason.to_string()),
        conditions: Vec::new(),
    }
}

/// The open tasks of the open phase: (task, authority, step, opened at).
fn open_tasks(app: &Application) -> Vec<(String, String, String, NaiveDateTime)> {
    app.phases
        .iter()
        .filter(|p| p.state == PhaseState::Open)
        .flat_map(|p| &p.tasks)
        .filter(|t| t.state == TaskState::Open)
        .filter_map(|t| {
            Some((
                t.id.clone(),
                t.authority_code.clone(),
                t.step.clone(),
                t.opened_at?,
            ))
        })
        .collect()
}
