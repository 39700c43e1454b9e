//! The permit world as pure code: value types that can only hold valid data, the rules of
//! SPEC §2 (does a load need a permit, its class, what cannot be accepted or granted), the
//! jurisdiction tree that decides who issues, and the working-day calendar.
//! Nothing here touches a database, the network or the clock.

pub mod application;
pub mod attachment;
pub mod calendar;
pub mod error;
pub mod jurisdiction;
pub mod role;
pub mod rules;
pub mod values;

pub use error::{FieldError, Message, ValidationErrors};
pub mod workflow;
