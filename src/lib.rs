//! permitflow: oversize-cargo road transport permits with parallel joint review.
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod mail;
pub mod service;
pub mod simulate;
pub mod startup;
pub mod web;
