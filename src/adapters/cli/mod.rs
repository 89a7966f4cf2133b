//! The command line (`priority-line …`).
//!
//! Exit status: 0 success; 1 the command ran but some input was bad (a bulk
//! `sla due` line); 2 the command could not run (bad arguments or configuration).

mod logs;
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
    /// The chat-ops shell: the bot's commands typed as a configured user, without Discord.
    Console {
        #[arg(long, value_name = "FILE", default_value = "config/example.toml")]
        config: PathBuf,
        /// Storage for the console (an SQLite file by default, created if missing).
        #[arg(long, value_name = "URL", default_value = "sqlite://data/console.db")]
        db: String,
        /// Start as this console user (`[[console.users]]` name).
        #[arg(long = "as", value_name = "NAME")]
        as_user: Option<String>,
    },
    /// Run the bot: connect to Discord (the token from the variable that
    /// [discord].token_env names, DISCORD_TOKEN by default) and serve the slash commands.
    Run {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// A week's summary figures from the configured storage: the weekly
    /// summary's, for operators and scripts.
    Report {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The ISO week, e.g. 2026-W48.
        #[arg(long, value_name = "YYYY-Www")]
        week: String,
        /// One customer's key (all customers by default).
        #[arg(long, value_name = "KEY")]
        customer: Option<String>,
        /// Where weeks start and end (the customer's calendar's zone by default, else UTC).
        #[arg(long, value_name = "IANA")]
        zone: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Also write the chart, a PNG, to this file.
        #[arg(long, value_name = "FILE.png")]
        chart: Option<PathBuf>,
        /// The language of the text and the chart: en or es.
        #[arg(long, value_name = "LANG", default_value = "en")]
        language: String,
    },
    /// A ticket's transcript from the configured storage: its facts and
    /// every message of its thread (with [transcripts] on), to standard
    /// output, or with its kept files to a directory.
    Transcript {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The ticket, e.g. ACME-42.
        #[arg(value_name = "TICKET")]
        ticket: String,
        #[arg(long, value_enum, default_value_t = TranscriptFormat::Html)]
        format: TranscriptFormat,
        /// Write transcript.html (or .json) here, and every kept file under files/<sha256>.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TranscriptFormat {
    Html,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Apply pending migrations to the configured storage ([storage].url).
    Migrate {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
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
        Command::Console { config, db, as_user } => console(&config, &db, as_user.as_deref()),
        Command::Db(DbCommand::Migrate { config }) => migrate(&config),
        Command::Run { config } => run_bot(&config),
        Command::Report { config, week, customer, zone, format, chart, language } => {
            report(&ReportArgs { config, week, customer, zone, format, chart, language })
        }
        Command::Transcript { config, ticket, format, out } => transcript(&config, &ticket, format, out.as_deref()),
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

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))
}

/// Logs go to standard error; `RUST_LOG` overrides the default level.
fn init_logs(default: &str) {
    logs::init(default, crate::config::LogFormat::Text, &logs::instance_name());
}

fn run_bot(path: &std::path::Path) -> Result<(), Failure> {
    let config = std::sync::Arc::new(Config::load(path)?);
    let instance = logs::instance_name();
    logs::init("info,serenity=warn", config.log_format, &instance);
    let Some(discord) = config.discord.clone() else {
        return Err(Failure::Usage(format!("{}: has no [discord] table; the bot needs one to run", path.display())));
    };
    let token = std::env::var(&discord.token_env).ok().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        Failure::Usage(format!("set {} to the bot token (the environment, never the file)", discord.token_env))
    })?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = crate::storage::Store::connect(&config.storage.url)
            .await
            .map_err(|e| Failure::Usage(format!("cannot open the storage: {e}")))?;
        tracing::info!(backend = ?store.backend(), "storage ready");
        let app = crate::app::App::new(config.clone(), store.clone(), std::sync::Arc::new(crate::app::SystemClock))
            .named(&instance);
        let bot = crate::adapters::discord::Bot::new(app.clone(), &discord, &token)
            .map_err(|e| Failure::Usage(format!("{e:#}")))?;
        let routes = bot.routes().map_err(|e| Failure::Usage(format!("{e:#}")))?;
        tracing::info!(mode = app.mode(), "starting");
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        };
        let listen = config.http.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| Failure::Usage(format!("cannot listen on {listen} ([http].listen): {e}")))?;
        let bound = listener.local_addr().map_or_else(|_| listen.to_string(), |a| a.to_string());
        match routes.is_some() {
            true => tracing::info!(address = %bound, "interactions at POST /interactions, metrics at /metrics, health at /healthz"),
            false => tracing::info!(address = %bound, "metrics at /metrics, health at /healthz"),
        }
        let serving = crate::adapters::http::serve(listener, app.clone(), routes, until_stopped(stopping.clone()));
        let http = tokio::spawn(serving);
        let result = bot.run(until_stopped(stopping)).await;
        http.abort();
        store.close().await;
        result.map_err(|e| Failure::Usage(format!("{e:#}")))
    })
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn console(config: &std::path::Path, db: &str, as_user: Option<&str>) -> Result<(), Failure> {
    init_logs("warn");
    let config = std::sync::Arc::new(Config::load(config)?);
    let rt = runtime()?;
    let store = rt
        .block_on(crate::storage::Store::connect(db))
        .map_err(|e| Failure::Usage(format!("cannot open the console's storage {db}: {e}")))?;
    // The wall clock, which the console's `:later` moves forward.
    let clock = std::sync::Arc::new(crate::app::clock::ShiftedClock::default());
    let app = crate::app::App::new(config, store, clock.clone());
    crate::adapters::console::run(&rt, app, clock, as_user).map_err(Failure::Usage)
}

struct ReportArgs {
    config: PathBuf,
    week: String,
    customer: Option<String>,
    zone: Option<String>,
    format: ReportFormat,
    chart: Option<PathBuf>,
    language: String,
}

fn report(args: &ReportArgs) -> Result<(), Failure> {
    init_logs("warn");
    let config = std::sync::Arc::new(Config::load(&args.config)?);
    let week: crate::domain::summary::Week = args.week.parse().map_err(Failure::Usage)?;
    let lang: crate::domain::customer::Language = args.language.parse().map_err(Failure::Usage)?;
    let customer = match &args.customer {
        Some(key) => Some(config.customer(key).ok_or_else(|| {
            let known: Vec<&str> = config.customers.iter().map(|c| c.key.as_str()).collect();
            Failure::Usage(format!(
                "no customer has the key \"{key}\" in {}: use one of {}, or leave --customer out for all",
                args.config.display(),
                known.join(", ")
            ))
        })?),
        None => None,
    };
    let zone = match (&args.zone, customer) {
        (Some(z), _) => z.parse::<chrono_tz::Tz>().map_err(|_| {
            Failure::Usage(format!("\"{z}\" is not an IANA time zone: write one such as Europe/Madrid"))
        })?,
        (None, Some(c)) => config.calendars.get(&c.calendar).map_or(chrono_tz::Tz::UTC, |cal| cal.zone()),
        (None, None) => chrono_tz::Tz::UTC,
    };
    let rt = runtime()?;
    let report = rt.block_on(async {
        let store = crate::storage::Store::connect_reader(&config.storage.url)
            .await
            .map_err(|e| Failure::Usage(format!("cannot open the storage: {e}")))?;
        let app = crate::app::App::new(config.clone(), store.clone(), std::sync::Arc::new(crate::app::SystemClock));
        let report = app.report(week, zone, customer).await;
        store.close().await;
        report.map_err(|e| Failure::Usage(format!("cannot read the week: {e}")))
    })?;
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        ReportFormat::Json => writeln!(out, "{}", report.json()),
        ReportFormat::Csv => write!(out, "{}", report.csv()),
        ReportFormat::Text => writeln!(out, "{}\n\n{}", report.title(lang), report.text(lang).plain()),
    };
    written.map_err(|e| Failure::Usage(format!("cannot write the report: {e}")))?;
    // The chart is drawn only when asked for.
    if let Some(path) = &args.chart {
        std::fs::write(path, report.chart(lang).png)
            .map_err(|e| Failure::Usage(format!("cannot write the chart to {}: {e}", path.display())))?;
    }
    Ok(())
}

/// `priority-line transcript`: the transcript to standard output, or with
/// `--out` to `DIR/transcript.html` (or `.json`) and every kept file to
/// `DIR/files/<sha256>`, a chunk at a time.
fn transcript(
    path: &std::path::Path,
    ticket: &str,
    format: TranscriptFormat,
    out: Option<&std::path::Path>,
) -> Result<(), Failure> {
    init_logs("warn");
    let config = std::sync::Arc::new(Config::load(path)?);
    let number: crate::domain::ticket::TicketNumber = ticket.parse().map_err(Failure::Usage)?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = crate::storage::Store::connect_reader(&config.storage.url)
            .await
            .map_err(|e| Failure::Usage(format!("cannot open the storage: {e}")))?;
        let app = crate::app::App::new(config.clone(), store.clone(), std::sync::Arc::new(crate::app::SystemClock));
        let written = write_transcript(&app, &number, format, out).await;
        store.close().await;
        written
    })
}

async fn write_transcript(
    app: &crate::app::App,
    number: &crate::domain::ticket::TicketNumber,
    format: TranscriptFormat,
    out: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let failed = |what: String| move |e: std::io::Error| Failure::Usage(format!("{what}: {e}"));
    let transcript = app
        .transcript(number)
        .await
        .map_err(|e| Failure::Usage(format!("cannot read {number}: {e}")))?
        .ok_or_else(|| Failure::Usage(format!("no ticket {number} (of a configured customer) in the storage")))?;
    let (text, name) = match format {
        TranscriptFormat::Html => (transcript.html(), "transcript.html"),
        TranscriptFormat::Json => (format!("{:#}\n", transcript.json()), "transcript.json"),
    };
    let Some(dir) = out else {
        return std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(failed("cannot write the transcript".into()));
    };
    let files = dir.join("files");
    std::fs::create_dir_all(&files).map_err(failed(format!("cannot create {}", files.display())))?;
    std::fs::write(dir.join(name), text).map_err(failed(format!("cannot write {}", dir.join(name).display())))?;
    let mut written = std::collections::BTreeSet::new();
    for (file, sha256) in transcript.kept_files() {
        // Named by its digest: the same file sent twice is written once.
        if !written.insert(sha256.clone()) {
            continue;
        }
        let target = files.join(&sha256);
        let mut f = std::fs::File::create(&target).map_err(failed(format!("cannot create {}", target.display())))?;
        let kept = app
            .store()
            .read_file(file, |chunk| f.write_all(chunk))
            .await
            .map_err(|e| Failure::Usage(format!("cannot read a file of {number}: {e}")))?;
        if !kept {
            let _ = std::fs::remove_file(&target);
            written.remove(&sha256);
        }
    }
    println!("{}: {} and {} file(s) under {}", number, dir.join(name).display(), written.len(), files.display());
    Ok(())
}

fn migrate(config: &std::path::Path) -> Result<(), Failure> {
    init_logs("info");
    let config = Config::load(config)?;
    let rt = runtime()?;
    rt.block_on(crate::storage::Store::connect(&config.storage.url))
        .map_err(|e| Failure::Usage(format!("cannot migrate {}: {e}", config.storage.url)))?;
    println!("{}: migrations applied", config.storage.url);
    Ok(())
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
