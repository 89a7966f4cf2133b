//! Logs on standard error through `tracing`, fit for a deployment: ANSI
//! colours only when standard error is a terminal, text for people or JSON
//! for log collectors (`[log].format`, or `PRIORITY_LINE_LOG_FORMAT`), each
//! line naming the instance. `RUST_LOG` sets the levels.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::config::LogFormat;

/// The variable that overrides `[log].format`.
pub const FORMAT_VAR: &str = "PRIORITY_LINE_LOG_FORMAT";
/// The variable that names this instance (default: host name and process id).
pub const INSTANCE_VAR: &str = "PRIORITY_LINE_INSTANCE";

/// This instance's name: `PRIORITY_LINE_INSTANCE`, else `HOST-PID`.
pub fn instance_name() -> String {
    if let Some(name) = std::env::var(INSTANCE_VAR).ok().filter(|n| !n.trim().is_empty()) {
        return name;
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}-{}", std::process::id())
}

/// Starts the logs. A format named in the environment wins over the file's;
/// an unknown one is said, and text is used.
pub fn init(default_filter: &str, configured: LogFormat, instance: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let (format, problem) = match std::env::var(FORMAT_VAR) {
        Ok(v) => match v.parse::<LogFormat>() {
            Ok(f) => (f, None),
            Err(e) => (configured, Some(format!("{FORMAT_VAR}: {e}"))),
        },
        Err(_) => (configured, None),
    };
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.with_timer(Stamp(instance.to_owned())).try_init(),
        LogFormat::Json => builder.json().event_format(Named { instance: instance.to_owned() }).try_init(),
    };
    if let Some(problem) = problem {
        tracing::warn!("{problem}; logging as text");
    }
}

/// The time, then the instance: text lines read `2026-11-30T09:00:00Z bot-a  INFO …`.
struct Stamp(String);

impl FormatTime for Stamp {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        SystemTime.format_time(w)?;
        write!(w, " {}", self.0)
    }
}

/// JSON lines with an `instance` field first.
struct Named {
    instance: String,
}

impl<S, N> FormatEvent<S, N> for Named
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = String::new();
        tracing_subscriber::fmt::format().json().flatten_event(true).format_event(
            ctx,
            Writer::new(&mut line),
            event,
        )?;
        // A JSON string of our own: serialising it cannot fail.
        let instance = serde_json::to_string(&self.instance).map_err(|_| fmt::Error)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"instance\":{instance},{rest}"),
            None => writer.write_str(&line),
        }
    }
}
