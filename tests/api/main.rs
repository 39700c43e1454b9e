//! One integration binary: each module is a capability, each test starts the real app.

mod helpers;

mod auth;
mod cli;
mod email;
mod errors;
mod migrations;
mod ops;
mod reference;
mod smtp;
mod workflow;
