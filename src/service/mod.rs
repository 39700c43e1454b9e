//! Use cases: load what is needed, let the domain decide, persist the outcome in one
//! transaction. Handlers and the CLI call these and nothing below them.

pub mod applications;
pub mod demo;
pub mod demo_history;
pub mod demo_work;
pub mod escalations;
pub mod notify;
pub mod permits;
pub mod reference;
pub mod reports;
pub mod users;
pub mod workflows;

use crate::domain::ValidationErrors;

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

impl From<diesel::r2d2::PoolError> for ServiceError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        ServiceError::Unavailable(error.to_string())
    }
}
