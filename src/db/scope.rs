//! Who may see which applications, written once as SQL over an alias of `applications`, for
//! the access check of one application, the lists, the escalation board and the reports.

use super::sql::{Sql, Value};

/// Who may see which applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An applicant: their firm's applications.
    Firm(String),
    /// A reviewer: applications their authority has a task on.
    Authority(String),
    /// A manager: submitted applications whose route touches the jurisdiction.
    Area(String),
    /// A manager of the whole region: every submitted application.
    Everything,
    Nothing,
}

/// How the condition on related rows (an authority's tasks, an area's applications) is
/// written; the applications it admits are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A correlated `EXISTS` keyed by the application: costs the same however many tasks an
    /// authority (or applications an area) ever had. For checking one application, and for
    /// queries whose other conditions select the applications first.
    Probe,
    /// `id IN (…)`: the related rows drive, for a list of everything in scope.
    Set,
}

impl Scope {
    /// Appends the condition (in parentheses) that the applications row `alias` is in scope.
    pub(crate) fn condition(&self, sql: &mut Sql, alias: &str, form: Form) {
        let related = |sql: &mut Sql, table: &str, keys: &[(&str, &str)]| {
            match form {
                Form::Probe => sql.push(&format!(
                    "EXISTS (SELECT 1 FROM {table} x WHERE x.application_id = {alias}.id AND ("
                )),
                Form::Set => sql.push(&format!(
                    "{alias}.id IN (SELECT x.application_id FROM {table} x WHERE ("
                )),
            };
            for (i, (column, value)) in keys.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push(&format!("x.{column} = "))
                    .bind(Value::Text(value.to_string()));
            }
            sql.push("))");
        };
        sql.push("(");
        match self {
            Scope::Firm(firm) => {
                sql.push(&format!("{alias}.firm_id = "))
                    .bind(Value::Text(firm.clone()));
            }
            Scope::Authority(code) => related(sql, "review_tasks", &[("authority_code", code)]),
            Scope::Area(code) => {
                sql.push(&format!("{alias}.status <> 'draft' AND "));
                related(
                    sql,
                    "application_areas",
                    &[("county", code), ("prefecture", code)],
                );
            }
            Scope::Everything => {
                sql.push(&format!("{alias}.status <> 'draft'"));
            }
            Scope::Nothing => {
                sql.push("1 = 0");
            }
        }
        sql.push(")");
    }
}
