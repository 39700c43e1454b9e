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
    Database(#[from] diesel::result::Error),
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

impl From<diesel::r2d2::PoolError> for ServiceError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        ServiceError::Unavailable(error.to_string())
    }
}
