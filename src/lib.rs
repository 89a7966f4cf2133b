//! priority-line: the priority line of a premium security support service, as a
//! chat-ops bot.
//!
//! Layers, inside out:
//! - [`domain`]: pure rules (SLA calendar math, severities, targets);
//! - [`config`]: the TOML configuration, parsed into domain values and validated;
//! - [`adapters`]: the edges (command line).

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod scheduler;
pub mod storage;
