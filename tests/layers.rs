//! The crate's shape: one way down. Every module belongs to a layer and
//! imports only from its own layer or those below, and no two modules
//! import each other, however far round (no circle, in any folder).
//!
//! - The crate, bottom first (src/lib.rs): `domain` < `config`, `storage`
//!   < `metrics` < `app` < `scheduler` < `adapters`.
//! - Inside `app` (src/app/mod.rs): vocabulary < wording < core < top;
//!   nothing inside `app` imports its façade (`app/mod.rs`), which only
//!   declares and re-exports. Outside `app`, the façade is what others use.
//!
//! A `mod.rs` declaring and re-exporting its own children is containment,
//! not an import. The imports are read from the source: `use` trees and
//! inline paths that start with `crate::` or `super::`, each resolved to
//! the file of the longest module path it names. (`src/main.rs` is a crate
//! of its own, using this one from outside.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's layers, bottom first; a folder's files share its layer.
const CRATE: [(&str, &[&str]); 6] = [
    ("the domain", &["domain"]),
    ("configuration and storage", &["config", "storage"]),
    ("metrics", &["metrics"]),
    ("the application", &["app"]),
    ("the scheduler", &["scheduler"]),
    ("the adapters", &["adapters"]),
];

/// The application's layers, bottom first.
const APP: [(&str, &[&str]); 4] = [
    ("vocabulary", &["msg", "words", "clock", "declare", "args", "refusal", "card", "jobs"]),
    ("wording", &["posts", "reminders"]),
    ("core", &["application", "tickets", "instance", "summary", "chart", "record", "transcript"]),
    ("top", &["commands", "delivery"]),
];

/// `app::commands::ack` for `src/app/commands/ack.rs`; `app::commands` for
/// its `mod.rs`; `` (the crate) for `lib.rs`.
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The paths a `use` tree names: `super::{a, b::{C, D}}` → `super::a`, `super::b::C`, `super::b::D`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else { return vec![tree.split(" as ").next().unwrap().trim().to_owned()] };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| if p == "self" { prefix.to_owned() } else { format!("{prefix}::{p}") })
        .collect()
}

/// What a file's source imports from inside the crate: module paths, as
/// written. Its `#[cfg(test)]` module, at the end, is left out: `super`
/// means another module there, and tests may reach anywhere.
fn references(source: &str) -> BTreeSet<String> {
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    // Comments say nothing about imports.
    let code: String = source
        .lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        let tree = &after[..end];
        if tree.starts_with("crate::") || tree.starts_with("super::") {
            out.extend(expand(tree));
        }
    }
    // Inline paths (`crate::app::msg::Span::channel(…)`).
    for start in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(start) {
            let path: String =
                rest[at..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let before = rest[..at].chars().last();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                out.insert(path.trim_end_matches(':').to_owned());
            }
            rest = &rest[at + start.len()..];
        }
    }
    out
}

/// The module a written path names, from the module `within`: the longest
/// known module it starts with.
fn resolve(path: &str, within: &str, modules: &BTreeSet<String>) -> Option<String> {
    let absolute = if let Some(rest) = path.strip_prefix("crate::") {
        rest.to_owned()
    } else {
        let mut base: Vec<&str> = within.split("::").filter(|p| !p.is_empty()).collect();
        let mut rest = path;
        // A mod.rs is its directory's module (`module_of`), so `super` is
        // the parent of the module in either kind of file.
        while let Some(r) = rest.strip_prefix("super::").or_else(|| (rest == "super").then_some("")) {
            base.pop();
            rest = r;
        }
        let mut joined = base.join("::");
        if !rest.is_empty() {
            joined = if joined.is_empty() { rest.to_owned() } else { format!("{joined}::{rest}") };
        }
        joined
    };
    let parts: Vec<&str> = absolute.split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m))
}

/// A module's place: its crate layer, and inside `app` its app layer.
fn place(module: &str) -> Option<(usize, Option<usize>)> {
    let mut parts = module.split("::");
    let top = parts.next()?;
    let layer = CRATE.iter().position(|(_, names)| names.contains(&top))?;
    if top != "app" {
        return Some((layer, None));
    }
    match parts.next() {
        // The façade: the application as others see it.
        None => Some((layer, None)),
        Some(inner) => APP.iter().position(|(_, names)| names.contains(&inner)).map(|l| (layer, Some(l))),
    }
}

fn describe(module: &str) -> String {
    match place(module) {
        Some((_, Some(l))) => format!("{module} (app's {})", APP[l].0),
        Some((l, None)) => format!("{module} ({})", CRATE[l].0),
        None => format!("{module} (no layer)"),
    }
}

/// Every problem with the crate's shape under `root` (src/): imports that
/// go up, into the façade from inside `app`, or from a module in no layer;
/// and circles.
fn problems(root: &Path) -> (Vec<String>, BTreeMap<String, BTreeSet<String>>) {
    let mut all = Vec::new();
    files(root, &mut all);
    all.retain(|f| !f.ends_with("main.rs"));
    let modules: BTreeSet<String> = all.iter().map(|f| module_of(root, f)).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let module = module_of(root, file);
        let is_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs" || n == "lib.rs");
        if module.is_empty() {
            continue;
        }
        let Some(here) = place(&module) else {
            problems.push(format!("{module} is in no layer: add it to this test's layers and to its folder's map"));
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap();
        for written in references(&source) {
            let Some(target) = resolve(&written, &module, &modules) else { continue };
            // A module's own children are its parts, not its imports.
            if target == module || (is_mod_rs && target.starts_with(&format!("{module}::"))) {
                continue;
            }
            if target == "app" && module.starts_with("app::") {
                problems.push(format!("{module} imports the façade app/mod.rs ({written}): import the defining file"));
                continue;
            }
            let Some(there) = place(&target) else { continue };
            let up = match (here, there) {
                ((a, Some(x)), (b, Some(y))) if a == b => y > x,
                ((a, _), (b, _)) => b > a,
            };
            if up {
                problems.push(format!(
                    "{} imports {}, a layer above it ({written})",
                    describe(&module),
                    describe(&target)
                ));
            }
            edges.entry(module.clone()).or_default().insert(target);
        }
    }
    // Circles, by depth-first search.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == m) {
            circles.push(format!("import circle: {} -> {m}", path[at..].join(" -> ")));
            return;
        }
        if !done.insert(m.to_owned()) {
            return;
        }
        path.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            visit(next, edges, path, done, circles);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        visit(m, &edges, &mut Vec::new(), &mut done, &mut problems);
    }
    (problems, edges)
}

#[test]
fn the_crate_has_no_import_circle_and_only_imports_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (problems, edges) = problems(&root);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The imports were read, in every folder.
    for folder in ["domain::", "storage::", "app::commands::", "adapters::discord::", "config"] {
        assert!(edges.keys().any(|m| m.starts_with(folder)), "no imports read in {folder}: {edges:?}");
    }
    assert!(edges.len() > 60, "the imports were read: {edges:?}");
}

#[test]
fn use_trees_and_paths_are_read_as_written() {
    assert_eq!(expand("super::{a, b::{C, D as E}, self}"), ["super::a", "super::b::C", "super::b::D", "super"]);
    let refs = references(
        "use super::x::Y;\n// use crate::app::no;\nfn f() { crate::app::msg::Span::user(1); }\n#[cfg(test)]\nmod t { use super::*; }",
    );
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["crate::app::msg::Span::user", "super::x::Y"]);
    let modules: BTreeSet<String> = ["app", "app::msg", "app::commands", "app::commands::ack", "storage", "domain"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(resolve("super::Cx", "app::commands::ack", &modules).as_deref(), Some("app::commands"));
    assert_eq!(resolve("super::msg::Local", "app::commands", &modules).as_deref(), Some("app::msg"));
    assert_eq!(resolve("crate::app::msg::Span", "app::x", &modules).as_deref(), Some("app::msg"));
    assert_eq!(resolve("super::domain::X", "storage", &modules).as_deref(), Some("domain"));
}

/// The check itself finds what it is for: on a copy of the crate, an
/// import upwards (storage using the application) and a circle inside a
/// folder (two storage files using each other).
#[test]
fn an_import_upwards_and_a_circle_are_found() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let copy = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    files(&src, &mut all);
    for file in &all {
        let to = copy.path().join(file.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(file, to).unwrap();
    }
    let add = |file: &str, line: &str| {
        let path = copy.path().join(file);
        let source = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{line}\n{source}")).unwrap();
    };
    add("storage/events.rs", "use crate::app::App;");
    add("storage/events.rs", "use super::tickets::TicketChange;");
    let (problems, _) = problems(copy.path());
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("storage::events (configuration and storage) imports app (the application)")),
        "{problems:#?}"
    );
    assert!(problems.iter().any(|p| p.contains("import circle") && p.contains("storage::events")), "{problems:#?}");
}

/// What `App` offers can be seen in one place: every public method of an
/// `impl App` block, in any file of `src/app`, is named in the list of
/// `src/app/mod.rs` (and the list names no method that does not exist).
#[test]
fn the_application_lists_every_use_case_in_one_place() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut offered = BTreeSet::new();
    for file in &all {
        let source = std::fs::read_to_string(file).unwrap();
        let mut inside = false;
        for line in source.lines() {
            if line.starts_with("impl App {") {
                inside = true;
            } else if line == "}" {
                inside = false;
            } else if let (true, Some(rest)) = (inside, line.strip_prefix("    pub ")) {
                let rest = rest.strip_prefix("async ").unwrap_or(rest);
                if let Some(name) = rest.strip_prefix("fn ") {
                    offered.insert(name.split(['(', '<']).next().unwrap().to_owned());
                }
            }
        }
    }
    assert!(offered.len() > 25, "the methods were read: {offered:?}");
    let facade = std::fs::read_to_string(root.join("mod.rs")).unwrap();
    let listed: BTreeSet<String> =
        facade.split("[`App::").skip(1).map(|rest| rest.split('`').next().unwrap().to_owned()).collect();
    let unlisted: Vec<&String> = offered.difference(&listed).collect();
    assert!(unlisted.is_empty(), "App offers {unlisted:?}: name them in src/app/mod.rs's list");
    let gone: Vec<&String> = listed.difference(&offered).collect();
    assert!(gone.is_empty(), "src/app/mod.rs lists {gone:?}, which App does not offer");
}
