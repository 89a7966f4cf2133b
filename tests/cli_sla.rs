//! The `priority-line` binary: `sla due` (single and bulk) and `config check`,
//! run as a user would, checking output and exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_priority-line");
const EXAMPLE: &str = "config/example.toml";

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    {
        // Dropping the handle closes standard input.
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn due_args<'a>(severity: &'a str, opened: &'a str) -> Vec<&'a str> {
    vec![
        "sla",
        "due",
        "--config",
        EXAMPLE,
        "--calendar",
        "madrid",
        "--plan",
        "premium",
        "--severity",
        severity,
        "--opened",
        opened,
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn sla_due_prints_the_deadline_in_utc_with_seconds() {
    let out = run(&due_args("3", "2026-03-27T17:00:00+01:00"), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2026-03-30T14:00:00Z\n");

    // Level 1 is 30 minutes around the clock, whatever the offset written.
    let out = run(&due_args("1", "2026-03-29T02:10:00-05:00"), None);
    assert_eq!(text(&out.stdout), "2026-03-29T07:40:00Z\n");
}

#[test]
fn bulk_mode_streams_one_deadline_a_line_and_flags_bad_lines() {
    let input = "2026-03-27T17:00:00+01:00\nyesterday\n2026-11-30T12:00:00Z\n";
    let out = run(&due_args("3", "-"), Some(input));
    assert_eq!(out.status.code(), Some(1), "bad lines make the exit status 1");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "2026-03-30T14:00:00Z");
    assert!(lines[1].starts_with("error: \"yesterday\" is not an RFC 3339 instant"), "{stdout}");
    // Mon 30 Nov 13:00 CET: 1 h + 3 h on Monday, 2 h on Tuesday from 09:00 CET: 11:00 CET.
    assert_eq!(lines[2], "2026-12-01T10:00:00Z");
    assert_eq!(lines.len(), 3);
    assert!(text(&out.stderr).contains("line 2: \"yesterday\""), "{}", text(&out.stderr));
}

#[test]
fn bulk_mode_with_only_good_lines_succeeds() {
    let out = run(&due_args("2", "-"), Some("2026-01-01T00:00:00Z\n2026-01-01T00:00:00.999Z"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2026-01-01T04:00:00Z\n2026-01-01T04:00:00Z\n");
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "sla",
                "due",
                "--config",
                EXAMPLE,
                "--calendar",
                "lisbon",
                "--plan",
                "premium",
                "--severity",
                "1",
                "--opened",
                "2026-01-01T00:00:00Z",
            ],
            "unknown calendar \"lisbon\" (defined: madrid, new_york)",
        ),
        (
            &[
                "sla",
                "due",
                "--config",
                EXAMPLE,
                "--calendar",
                "madrid",
                "--plan",
                "gold",
                "--severity",
                "1",
                "--opened",
                "2026-01-01T00:00:00Z",
            ],
            "unknown plan \"gold\"",
        ),
        (
            &[
                "sla",
                "due",
                "--config",
                EXAMPLE,
                "--calendar",
                "madrid",
                "--plan",
                "premium",
                "--severity",
                "5",
                "--opened",
                "2026-01-01T00:00:00Z",
            ],
            "5 is not in 1..=4",
        ),
        (
            &[
                "sla",
                "due",
                "--config",
                EXAMPLE,
                "--calendar",
                "madrid",
                "--plan",
                "premium",
                "--severity",
                "1",
                "--opened",
                "tomorrow",
            ],
            "\"tomorrow\" is not an RFC 3339 instant",
        ),
        (
            &[
                "sla",
                "due",
                "--config",
                "missing.toml",
                "--calendar",
                "madrid",
                "--plan",
                "premium",
                "--severity",
                "1",
                "--opened",
                "2026-01-01T00:00:00Z",
            ],
            "missing.toml: cannot read the file",
        ),
    ];
    for (args, message) in cases {
        let out = run(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: expected {message:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn config_check_summarises_a_good_file_and_lists_every_problem_of_a_bad_one() {
    let out = run(&["config", "check", "--config", EXAMPLE], None);
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "config/example.toml: OK (2 calendars, 2 plans, 2 customers, Discord configured)\n");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[calendars.x]\nzone = \"Mars/Olympus\"\n[plans.p]\nrank = 1\n").unwrap();
    let out = run(&["config", "check", "--config", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid configuration (2 problems)"), "{stderr}");
    assert!(stderr.contains("bad.toml: calendars.x.zone: unknown time zone \"Mars/Olympus\""), "{stderr}");
    assert!(stderr.contains("bad.toml: plans.p.targets: missing target for severity 1, 2, 3, 4"), "{stderr}");
}
