//! The workflow engine's pure core: definitions (data, validated, versioned), the plan of
//! phases and tasks for one application, and the state machine that turns commands into
//! events and events into the next state. No I/O: the service layer loads and stores.

pub mod case;
pub mod command;
pub mod definition;
pub mod escalation;
pub mod event;
pub mod time;

pub use case::{
    Actor, AppStatus, Case, Command, Decision, DomainError, Event, Phase, PhaseState, Task,
    TaskState,
};
pub use definition::{PlannedPhase, PlannedTask, WorkflowDefinition};
