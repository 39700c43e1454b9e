//! The demo: two logistics firms and one user per role and per authority, all with the
//! password `permitflow-demo`. Only `seed --demo` and `serve --demo` call this; without
//! them no known password exists.
//!
//! `history` runs weeks of past work through the service; `work` the applications in flight;
//! `project` the transport projects, one part-way through its trips, one under review.

pub mod history;
pub mod project;
pub mod work;

use crate::db::users::{self as q, FirmRow, UserRow};
use crate::db::{new_id, reference, write_transaction, DbConnection};
use crate::domain::values::CreditCode;
use crate::service::users::hash_password;
use crate::service::ServiceError;
use chrono::NaiveDateTime;

pub const DEMO_PASSWORD: &str = "permitflow-demo";

/// A demo firm, by its registered (Chinese) name; demo people have one name each, in their
/// account's language.
struct DemoFirm {
    credit_code_base: &'static str,
    name: &'static str,
}

const FIRMS: [DemoFirm; 2] = [
    DemoFirm {
        credit_code_base: "91652328MA7XYW123",
        name: "木垒风电大件物流有限公司",
    },
    DemoFirm {
        credit_code_base: "91650500MA8BK4N67",
        name: "哈密重型运输有限公司",
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
                        licence_no: None,
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
            firm_holder: false,
        };
        let mut users = vec![
            UserRow {
                firm_id: firm_ids.first().cloned(),
                firm_holder: true,
                ..user(
                    "applicant@demo.local".into(),
                    "王调度".into(),
                    "applicant",
                    "zh-CN",
                )
            },
            UserRow {
                firm_id: firm_ids.get(1).cloned(),
                firm_holder: true,
                ..user(
                    "applicant2@demo.local".into(),
                    "Li Na".into(),
                    "applicant",
                    "en",
                )
            },
            UserRow {
                scope_jurisdiction: Some(region),
                ..user(
                    "manager@demo.local".into(),
                    "张督办".into(),
                    "manager",
                    "zh-CN",
                )
            },
            user(
                "inspector@demo.local".into(),
                "刘核销".into(),
                "inspector",
                "zh-CN",
            ),
            user(
                "admin@demo.local".into(),
                "系统管理员".into(),
                "admin",
                "zh-CN",
            ),
        ];
        for authority in reference::all_authorities(conn)? {
            users.push(UserRow {
                authority_code: Some(authority.code.clone()),
                ..user(
                    format!("{}@demo.local", authority.code.to_lowercase()),
                    format!("{}审核员", authority.name_zh),
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

/// A firm's registration waiting for the admin, its e-mail confirmed (for `serve --demo`;
/// once only, whatever the admin then decides).
pub fn seed_registration(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), ServiceError> {
    let waiting = "registration@demo.local";
    if crate::db::accounts::any_with_email(conn, waiting)? {
        return Ok(());
    }
    let password_hash = hash_password(DEMO_PASSWORD)?;
    crate::db::accounts::insert_registration(
        conn,
        &crate::db::accounts::RegistrationRow {
            id: new_id(),
            firm_code: crate::domain::values::CreditCode::with_check_character("91652201MA7XYK123")
                .unwrap_or_default(),
            firm_name: "哈密天山风电物流有限公司".into(),
            licence_no: "新交运管许可哈字652201000321号".into(),
            contact_name: "马建国".into(),
            phone: "13999021234".into(),
            email: waiting.into(),
            password_hash,
            language: "zh-CN".into(),
            status: "pending".into(),
            created_at: now,
            confirmed_at: Some(now),
            decided_at: None,
            decided_by: None,
            reason: None,
            user_id: None,
        },
    )?;
    Ok(())
}
