//! Every Rust file is as rustfmt writes it: each file under `src/`,
//! `tests/` and `benches/` is checked by name. (`cargo fmt` follows `mod`
//! declarations, and misses the modules a macro declares, such as the
//! commands in `app/commands/mod.rs`.) Without rustfmt on the machine the
//! check is skipped with a notice, except in CI.

use std::path::{Path, PathBuf};
use std::process::Command;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files rustfmt would change among `files`, with its diff; `None`
/// when rustfmt is not installed.
fn unformatted(root: &Path, files: &[PathBuf]) -> Option<(Vec<String>, String)> {
    let out = Command::new("rustfmt")
        .args(["--check", "--color", "never"])
        .args(["--edition", "2021", "--config-path"])
        .arg(root.join("rustfmt.toml"))
        .args(files)
        .output()
        .ok()?;
    let diff = String::from_utf8_lossy(&out.stdout).into_owned();
    // `Diff in /path/file.rs:26:`, once per changed place.
    let changed: std::collections::BTreeSet<String> = diff
        .lines()
        .filter_map(|l| l.strip_prefix("Diff in "))
        .filter_map(|l| l.trim_end_matches(':').rsplit_once(':').map(|(file, _line)| file.to_owned()))
        .collect();
    let changed: Vec<String> = changed.into_iter().collect();
    if !out.status.success() && changed.is_empty() {
        panic!("rustfmt failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some((changed, diff))
}

#[test]
fn every_rust_file_is_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.iter().any(|f| f.ends_with("src/app/commands/ticket_open.rs")), "the command files are read");
    let Some((changed, diff)) = unformatted(root, &files) else {
        assert!(std::env::var_os("CI").is_none(), "rustfmt is not installed, and CI needs it");
        eprintln!("NOTICE: rustfmt is not installed: the formatting check is SKIPPED");
        return;
    };
    assert!(
        changed.is_empty(),
        "rustfmt would change {} file(s); run `rustfmt --edition 2021 {}`:\n{diff}",
        changed.len(),
        changed.join(" ")
    );
}

/// The check finds a command file that is not formatted (one the macro
/// declares, which `cargo fmt` does not see).
#[test]
fn a_misformatted_command_file_is_found() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ticket_note.rs");
    std::fs::write(&file, "pub struct TicketNote{pub text:String}\n").unwrap();
    let Some((changed, _)) = unformatted(root, std::slice::from_ref(&file)) else {
        eprintln!("NOTICE: rustfmt is not installed: the formatting check is SKIPPED");
        return;
    };
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].ends_with("ticket_note.rs"), "{changed:?}");
}
