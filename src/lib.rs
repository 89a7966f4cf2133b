//! priority-line: the priority line of a premium security support service, as a
//! chat-ops bot.
//!
//! Layers, inside out (SPEC.md's architecture):
//! - [`domain`]: pure rules: SLA calendar math, severities and targets,
//!   tickets and their state machine, classification, escalation steps, user
//!   text; no I/O, no async, no clock of its own;
//! - [`config`]: the TOML configuration, parsed into domain values and validated;
//! - [`app`]: the application layer: one module per command, authorization
//!   once for every adapter, the outbox's jobs, a time source injected;
//! - [`storage`]: one store over SQLite and PostgreSQL;
//! - [`scheduler`]: the durable outbox's delivery loop;
//! - [`metrics`]: what operators scrape;
//! - [`adapters`]: the edges: Discord (serenity), the console, HTTP
//!   (metrics, health) and the command line.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod scheduler;
pub mod storage;
