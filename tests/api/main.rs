//! One integration binary: each module is a capability, each test starts the real app.

mod flow;
mod helpers;

mod lifecycle_pages;

mod access;
mod account_pages;
mod accounts;
mod admin_pages;
mod amendment_pages;
mod amendments;
mod auth;
mod browser;
mod cli;
mod dashboard_pages;
mod demo;
mod email;
mod errors;
mod escalation;
mod migrations;
mod ops;
mod outage;
mod permit_pages;
mod permits;
mod project_pages;
mod projects;
mod reference;
mod reports;
mod review;
mod review_pages;
mod robustness;
mod sessions;
mod smtp;
mod submission;
mod working_hours;
