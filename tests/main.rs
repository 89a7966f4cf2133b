//! The integration suite, one test binary: each file beside this one is a
//! module of it (`cargo test --test suite discord::` runs one of them). One
//! binary links the crate and compiles `support/` once instead of once per
//! file (a sixth of a clean build's CPU time). Every test has a database,
//! a fake Discord and a directory of its own, so they run side by side.

#[macro_use]
mod support;

mod access;
mod app;
mod cli_report;
mod cli_sla;
mod config_validation;
mod console;
mod crash;
mod delivery;
mod discord;
mod followup;
mod format;
mod fuzz;
mod http;
mod instances;
mod interactions_http;
mod layers;
mod logs;
mod signatures;
mod sla_hand_checked;
mod sla_reference;
mod storage;
mod storm;
mod summary;
mod watch;
