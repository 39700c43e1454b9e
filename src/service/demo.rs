//! The demo: two logistics firms and one user per role and per authority, all with the
//! password `permitflow-demo`. Only `seed --demo` and `serve --demo` call this; without
//! them no known password exists.

use super::users::hash_password;
use super::ServiceError;
use crate::db::users::{self as q, FirmRow, UserRow};
use crate::db::{new_id, reference, write_transaction, DbConnection};
use crate::domain::values::CreditCode;
use chrono::NaiveDateTime;

pub const DEMO_PASSWORD: &str = "permitflow-demo";

struct DemoFirm {
    credit_code_base: &'static str,
    name: &'static str,
}

const FIRMS: [DemoFirm; 2] = [
    DemoFirm {
        credit_code_base: "91652328MA7XYW123",
        name: "木垒风电大件物流有限公司 Mulei Wind Heavy Logistics Co., Ltd.",
    },
    DemoFirm {
        credit_code_base: "91650500MA8BK4N67",
        name: "哈密重型运输有限公司 Hami Heavy Haulage Co., Ltd.",
    },
];

/// The demo firms' credit codes, first the one of `applicant@demo.local`.
pub fn demo_firm_codes() -> Vec<String> {
    FIRMS
        .iter()
        .filter_map(|f| CreditCode::with_check_character(f.credit_code_base))
        .collect()
}

/// Creates whatever of the demo is missing; returns how many users it created.
pub fn seed(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, ServiceError> {
    // One hash for every demo user: they share a public password anyway, and hashing ~50
    // times would only slow the start.
    let password_hash = hash_password(DEMO_PASSWORD)?;
    write_transaction(conn, |conn| {
        let mut firm_ids = Vec::new();
        for (firm, code) in FIRMS.iter().zip(demo_firm_codes()) {
            let id = match q::find_firm_by_credit_code(conn, &code)? {
                Some(existing) => existing.id,
                None => {
                    let row = FirmRow {
                        id: new_id(),
                        credit_code: code,
                        name: firm.name.to_string(),
                        oversize_qualified: true,
                        restricted_until: None,
                        created_at: now,
                    };
                    q::insert_firm(conn, &row)?;
                    row.id
                }
            };
            firm_ids.push(id);
        }
        let region = reference::all_jurisdictions(conn)?
            .into_iter()
            .find(|j| j.level == "region")
            .map(|j| j.code)
            .ok_or_else(|| {
                ServiceError::Internal(anyhow::anyhow!("no region in the reference data"))
            })?;

        let user = |email: String, name: String, role: &str, lang: &str| UserRow {
            id: new_id(),
            email,
            name,
            role: role.to_string(),
            password_hash: password_hash.clone(),
            firm_id: None,
            authority_code: None,
            scope_jurisdiction: None,
            language: lang.to_string(),
            active: true,
            created_at: now,
        };
        let mut users = vec![
            UserRow {
                firm_id: firm_ids.first().cloned(),
                ..user(
                    "applicant@demo.local".into(),
                    "王调度 Wang (dispatcher)".into(),
                    "applicant",
                    "zh-CN",
                )
            },
            UserRow {
                firm_id: firm_ids.get(1).cloned(),
                ..user(
                    "applicant2@demo.local".into(),
                    "Li Na (dispatcher)".into(),
                    "applicant",
                    "en",
                )
            },
            UserRow {
                scope_jurisdiction: Some(region),
                ..user(
                    "manager@demo.local".into(),
                    "张督办 Zhang (supervision group)".into(),
                    "manager",
                    "zh-CN",
                )
            },
            user(
                "inspector@demo.local".into(),
                "刘核销 Liu (checkpoint inspector)".into(),
                "inspector",
                "zh-CN",
            ),
            user(
                "admin@demo.local".into(),
                "系统管理员 Administrator".into(),
                "admin",
                "zh-CN",
            ),
        ];
        for authority in reference::all_authorities(conn)? {
            users.push(UserRow {
                authority_code: Some(authority.code.clone()),
                ..user(
                    format!("{}@demo.local", authority.code.to_lowercase()),
                    format!("{} 审核员 reviewer", authority.name_zh),
                    "reviewer",
                    "zh-CN",
                )
            });
        }
        let mut created = 0;
        for row in users {
            if q::find_user_by_email(conn, &row.email)?.is_none() {
                q::insert_user(conn, &row)?;
                created += 1;
            }
        }
        Ok(created)
    })
}

/// A blade inside Mulei county, travelling from `today` for two weeks.
fn demo_blade(today: chrono::NaiveDate) -> serde_json::Value {
    serde_json::json!({
        "cargo":   {"description": "风电叶片 Wind turbine blade", "pieces": 1, "divisible": false,
                    "length_m": 91.0, "width_m": 4.2, "height_m": 4.6, "mass_kg": 36000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
                    "trailer_type": "extendable_blade", "axles": 8,
                    "overall_length_m": 96.5, "overall_width_m": 4.3, "overall_height_m": 4.9,
                    "gross_mass_kg": 76000, "max_axle_load_kg": 11000},
        "route":   {"origin": "木垒新能源装备产业园 Mulei new-energy equipment park",
                    "destination": "大石头风电场 Dashitou wind farm",
                    "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 48.0},
                                 {"road": "S228", "jurisdiction": "652328", "length_km": 22.5}]},
        "travel":  {"from": today.to_string(), "to": (today + chrono::Days::new(14)).to_string(), "trips": 6},
        "escort":  {"vehicles": 2, "police_escort": true}
    })
}

/// One permit issued through the whole workflow, valid from today, so the permit pages and the
/// inspector's check have something to show: made only while the demo firm has no application.
/// Returns its number when it made one.
pub fn seed_permit(
    conn: &mut DbConnection,
    engine: &super::applications::Engine,
    now: NaiveDateTime,
) -> Result<Option<String>, ServiceError> {
    use super::applications::{self as apps, Caller, TaskDecision};
    use crate::db::applications::{self as app_q, Scope};
    use crate::domain::role::Role;
    use crate::domain::workflow::Decision;

    let as_caller = |user: UserRow| -> Result<Caller, ServiceError> {
        let role = user
            .role
            .parse::<Role>()
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!(e)))?;
        Ok(Caller { user, role })
    };
    let Some(applicant) = q::find_user_by_email(conn, "applicant@demo.local")? else {
        return Ok(None);
    };
    let Some(firm) = applicant.firm_id.clone() else {
        return Ok(None);
    };
    if app_q::list(conn, &Scope::Firm(firm), None, 1, 1)?.1 > 0 {
        return Ok(None);
    }
    let applicant = as_caller(applicant)?;
    let input = serde_json::from_value(demo_blade(engine.today(now)))
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let draft = apps::create(conn, engine, &applicant, &input, now)?;
    let pdf = b"%PDF-1.4\n% demo drawing\n";
    for kind in ["contour_drawing", "escort_plan"] {
        let name = format!("{kind}.pdf");
        apps::add_attachment(conn, engine, &applicant, &draft.id, kind, &name, pdf, now)?;
    }
    let mut application = apps::submit(conn, engine, &applicant, &draft.id, now)?;
    let conditions = [
        "夜间 22:00–06:00 通行 Travel 22:00–06:00 only",
        "前后各一辆护送车 Escort vehicle front and rear",
    ];
    while application.status != "issued" {
        let open: Vec<(String, String)> = application
            .phases
            .iter()
            .filter(|p| p.state == "open")
            .flat_map(|p| &p.tasks)
            .filter(|t| t.state == "open")
            .map(|t| (t.id.clone(), t.authority_code.clone()))
            .collect();
        if open.is_empty() {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "the demo application stopped at {}",
                application.status
            )));
        }
        for (i, (task, authority)) in open.into_iter().enumerate() {
            let email = format!("{}@demo.local", authority.to_lowercase());
            let reviewer = q::find_user_by_email(conn, &email)?.ok_or(ServiceError::NotFound)?;
            let decision = TaskDecision {
                decision: Decision::Approve,
                comment: None,
                conditions: if application.status == "under_review" {
                    // Reviewers often set the same condition: the permit lists it once.
                    conditions[..conditions.len() - (i % 2)]
                        .iter()
                        .map(|c| c.to_string())
                        .collect()
                } else {
                    Vec::new()
                },
            };
            application = apps::decide(conn, engine, &as_caller(reviewer)?, &task, decision, now)?;
        }
    }
    Ok(application.permit_no)
}
