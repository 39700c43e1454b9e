//! Use cases: load what is needed, let the domain decide, persist the outcome in one
//! transaction. Handlers and the CLI call these and nothing below them.

pub mod accounts;
pub mod admin;
pub mod applications;
pub mod digests;
pub mod escalations;
pub mod notify;
pub mod permits;
pub mod reference;
pub mod report_cells;
pub mod reports;
pub mod users;
pub mod workflows;

use self::workflows::Workflows;
use crate::db::applications::Scope;
use crate::db::users::UserRow;
use crate::db::{reference as ref_q, DbConnection};
use crate::domain::permit::PermitSigner;
use crate::domain::role::Role;
use crate::domain::rules::PermitRules;
use crate::domain::workflow::Actor;
use crate::domain::ValidationErrors;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use std::path::PathBuf;

/// Everything the use cases need besides a connection and the caller.
#[derive(Debug, Clone)]
pub struct Engine {
    pub rules: PermitRules,
    pub workflows: Workflows,
    pub timezone: Tz,
    /// When each authority works (`data/service_hours.toml`).
    pub service_hours: std::sync::Arc<crate::domain::hours::ServiceHours>,
    /// The calendars as last read from the database (`reference::load_timebook`).
    pub calendars: reference::CalendarCache,
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
    pub(crate) fn actor(&self) -> Actor {
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

/// What can go wrong in a use case, in terms the HTTP edge and the CLI can both report.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("wrong credentials")]
    WrongCredentials,
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Database(diesel::result::Error),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(#[from] anyhow::Error),
}

/// A value the application stored as JSON, read back strictly: a row that does not parse is a
/// fault to log and answer as an internal error, never an empty application.
pub(crate) fn stored<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, ServiceError> {
    serde_json::from_str(text).map_err(|cause| {
        tracing::error!(%cause, what, "a stored value does not parse");
        ServiceError::Internal(anyhow::anyhow!("the stored {what} does not parse: {cause}"))
    })
}

impl From<ValidationErrors> for ServiceError {
    fn from(errors: ValidationErrors) -> Self {
        ServiceError::Validation(errors)
    }
}

/// Database errors in the terms of a use case: a unique key or a serialisation failure that a
/// concurrent writer caused is a lost race (a conflict, like every other); a connection that
/// broke or a database that stays locked is an outage (try again shortly).
impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match &error {
            Error::DatabaseError(Kind::UniqueViolation | Kind::SerializationFailure, info) => {
                tracing::info!(cause = info.message(), "a concurrent write got there first");
                ServiceError::Conflict(
                    "a concurrent change got there first; reload and retry".into(),
                )
            }
            Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _)
            | Error::BrokenTransactionManager => ServiceError::Unavailable(error.to_string()),
            // SQLite past its busy timeout; PostgreSQL past its statement or lock timeout.
            Error::DatabaseError(_, info) if is_outage(info.message()) => {
                ServiceError::Unavailable(error.to_string())
            }
            _ => ServiceError::Database(error),
        }
    }
}

/// Messages of the backends that mean "not now" rather than "wrong": a lock that outlived
/// SQLite's busy timeout, a statement or lock timeout, a connection lost mid-query.
fn is_outage(message: &str) -> bool {
    [
        "database is locked",
        "statement timeout",
        "lock timeout",
        "server closed the connection",
        "terminating connection",
        "connection to server",
        "no connection to the server",
    ]
    .iter()
    .any(|m| message.contains(m))
}

impl From<crate::mail::outbox::EnqueueError> for ServiceError {
    fn from(error: crate::mail::outbox::EnqueueError) -> Self {
        use crate::mail::outbox::EnqueueError;
        match error {
            EnqueueError::Database(e) => e.into(),
            EnqueueError::Render(e) => ServiceError::Internal(e.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ServiceError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        ServiceError::Unavailable(error.to_string())
    }
}
