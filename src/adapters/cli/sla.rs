//! `priority-line sla due`: first-response deadlines from the command line,
//! one at a time or streamed in bulk.

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;

use chrono::{DateTime, Datelike, Timelike, Utc};
use clap::Subcommand;

use super::Failure;
use crate::config::Config;
use crate::domain::calendar::Calendar;
use crate::domain::sla::{ResponseTarget, Severity};

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Print the first-response deadline (RFC 3339, UTC, seconds) of a ticket.
    ///
    /// With `--opened -`, read one opening instant a line from standard input and
    /// print one deadline a line; a bad line prints `error: <reason>` in its place,
    /// is reported on standard error with its line number, and makes the exit
    /// status 1 at the end.
    Due {
        /// The configuration file with the calendars and plans.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Calendar name (`[calendars.NAME]`).
        #[arg(long)]
        calendar: String,
        /// Plan name (`[plans.NAME]`).
        #[arg(long)]
        plan: String,
        /// Severity level, 1 (Critical) to 4 (Low).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=4))]
        severity: u8,
        /// Opening instant in RFC 3339 with any offset, or `-` to read many from standard input.
        #[arg(long, value_name = "RFC3339|-", allow_hyphen_values = true)]
        opened: String,
    },
}

pub fn run(cmd: SlaCommand) -> Result<(), Failure> {
    match cmd {
        SlaCommand::Due { config, calendar, plan, severity, opened } => {
            let config = Config::load(&config)?;
            let calendar = config.calendar(&calendar).map_err(Failure::Usage)?;
            let plan = config.plan(&plan).map_err(Failure::Usage)?;
            // clap has checked the range 1..=4.
            let severity =
                Severity::from_level(severity).ok_or_else(|| Failure::Usage("severity must be 1 to 4".into()))?;
            let target = plan.targets.get(severity);
            if target.clock() == crate::domain::sla::Clock::Business && !calendar.has_working_time() {
                return Err(Failure::Usage(format!(
                    "plan \"{}\" counts business hours for severity {} but the calendar has no working time",
                    plan.name,
                    severity.level()
                )));
            }
            let due = Due { target, calendar };
            if opened == "-" {
                due.bulk(io::stdin().lock(), io::stdout().lock(), io::stderr().lock())
            } else {
                let deadline = due.line(&opened).map_err(Failure::Usage)?;
                let mut out = io::stdout().lock();
                write_instant(&mut out, deadline).and_then(|_| out.flush()).map_err(write_failed)
            }
        }
    }
}

struct Due<'a> {
    target: &'a ResponseTarget,
    calendar: &'a Calendar,
}

impl Due<'_> {
    fn line(&self, text: &str) -> Result<DateTime<Utc>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty line: expected an RFC 3339 instant such as 2026-03-30T09:00:00+02:00".into());
        }
        let opened = DateTime::parse_from_rfc3339(text).map_err(|e| {
            format!("\"{text}\" is not an RFC 3339 instant ({e}); expected e.g. 2026-03-30T09:00:00+02:00")
        })?;
        self.target.due(self.calendar, opened.to_utc()).map_err(|e| e.to_string())
    }

    /// Streams deadlines, one output line per input line, so lines stay aligned.
    fn bulk(&self, input: impl BufRead, output: impl Write, mut errors: impl Write) -> Result<(), Failure> {
        let mut out = BufWriter::with_capacity(64 * 1024, output);
        let mut bad = 0usize;
        for (n, line) in input.split(b'\n').enumerate() {
            let line = line.map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
            let result = match std::str::from_utf8(&line) {
                Ok(text) => self.line(text),
                Err(_) => Err("the line is not valid UTF-8".to_string()),
            };
            match result {
                Ok(due) => write_instant(&mut out, due),
                Err(reason) => {
                    bad += 1;
                    let _ = writeln!(errors, "line {}: {reason}", n + 1);
                    writeln!(out, "error: {reason}")
                }
            }
            .map_err(write_failed)?;
        }
        out.flush().map_err(write_failed)?;
        if bad > 0 {
            let _ = writeln!(errors, "{bad} line{} could not be computed", if bad == 1 { "" } else { "s" });
            return Err(Failure::Partial);
        }
        Ok(())
    }
}

fn write_failed(e: io::Error) -> Failure {
    Failure::Usage(format!("cannot write the output: {e}"))
}

/// RFC 3339 in UTC with whole seconds (`2026-03-30T14:00:00Z`), written
/// without an intermediate string: this is the bulk path's inner loop.
fn write_instant(out: &mut impl Write, t: DateTime<Utc>) -> io::Result<()> {
    writeln!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sla::Clock;

    #[test]
    fn instants_print_in_utc_with_seconds() {
        let t: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-03-30T16:00:00.750+02:00").unwrap().to_utc();
        let mut out = Vec::new();
        write_instant(&mut out, t).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "2026-03-30T14:00:00Z\n");
    }

    #[test]
    fn bulk_keeps_lines_aligned_and_reports_bad_ones() {
        let calendar = Calendar::always_open();
        let target = ResponseTarget::parse("30m", Clock::AroundTheClock).unwrap();
        let due = Due { target: &target, calendar: &calendar };
        let input = "2026-01-01T00:00:00Z\nnonsense\n\n2026-01-01T01:00:00+01:00\n";
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let result = due.bulk(input.as_bytes(), &mut out, &mut err);
        assert!(matches!(result, Err(Failure::Partial)));
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert_eq!(lines[0], "2026-01-01T00:30:00Z");
        assert!(lines[1].starts_with("error: \"nonsense\" is not an RFC 3339 instant"), "{}", lines[1]);
        assert!(lines[2].starts_with("error: empty line"), "{}", lines[2]);
        assert_eq!(lines[3], "2026-01-01T00:30:00Z");
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.contains("line 2: ") && err.contains("line 3: ") && err.contains("2 lines could not be computed"),
            "{err}"
        );
    }
}
