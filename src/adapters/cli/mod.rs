//! The command line (`priority-line …`).
//!
//! Exit status: 0 success; 1 the command ran but some input was bad (a bulk
//! `sla due` line); 2 the command could not run (bad arguments or configuration).

mod sla;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "priority-line", version, about = "The priority line of a premium support service, as a Discord bot")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// SLA clock calculations.
    #[command(subcommand)]
    Sla(sla::SlaCommand),
    /// Configuration file checks.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate a configuration file and summarise it.
    Check {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

/// A failure that ends the program, with the exit status it maps to.
#[derive(Debug)]
pub enum Failure {
    /// The command could not run: bad arguments or configuration (status 2).
    Usage(String),
    /// The command ran but some of its input was refused (status 1).
    Partial,
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure::Usage(e.to_string())
    }
}

/// Parses the arguments, runs the command and returns the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sla(cmd) => sla::run(cmd),
        Command::Config(ConfigCommand::Check { config }) => config_check(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Partial) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

fn config_check(path: &std::path::Path) -> Result<(), Failure> {
    let config = Config::load(path)?;
    println!(
        "{}: OK ({} calendars, {} plans, {} customers{})",
        path.display(),
        config.calendars.len(),
        config.plans.len(),
        config.customers.len(),
        if config.discord.is_some() { ", Discord configured" } else { "" }
    );
    Ok(())
}
