//! The application layer's shape (src/app/mod.rs): every file belongs to a
//! layer, imports only from its own layer or those below, never in a
//! circle, and never from the façade (`app/mod.rs`), which only declares
//! and re-exports. A module's `mod.rs` declaring and re-exporting its own
//! children is containment, not an import.
//!
//! The imports are read from the source: `use` trees and inline paths that
//! start with `crate::app::` or `super::`, each resolved to the file of the
//! longest module path it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first; a directory's files share its layer.
const LAYERS: [(&str, &[&str]); 4] = [
    ("vocabulary", &["msg", "words", "clock", "declare", "args", "refusal", "card", "jobs"]),
    ("wording", &["posts"]),
    ("core", &["application", "tickets", "instance", "summary", "chart"]),
    ("top", &["commands", "delivery"]),
];

/// `app::commands::ack` for `src/app/commands/ack.rs`; `app::commands` for its `mod.rs`.
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = vec!["app".into()];
    parts.extend(relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.last().is_some_and(|p| p == "mod") {
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

/// What a file's source imports from inside `app`: module paths, as
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
        if tree.starts_with("crate::app") || tree.starts_with("super::") {
            out.extend(expand(tree));
        }
    }
    // Inline paths (`crate::app::msg::Span::channel(…)`).
    for start in ["crate::app::", "super::"] {
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
fn resolve(path: &str, within: &str, is_mod_rs: bool, modules: &BTreeSet<String>) -> Option<String> {
    let absolute = if let Some(rest) = path.strip_prefix("crate::") {
        rest.to_owned()
    } else {
        let mut base: Vec<&str> = within.split("::").collect();
        let mut rest = path;
        // `super` in a mod.rs is the parent of the directory's module.
        if !is_mod_rs || base.len() > 1 {
            while let Some(r) = rest.strip_prefix("super::").or_else(|| (rest == "super").then_some("")) {
                base.pop();
                rest = r;
            }
        }
        let mut joined = base.join("::");
        if !rest.is_empty() {
            joined = format!("{joined}::{rest}");
        }
        joined
    };
    let parts: Vec<&str> = absolute.split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m))
}

fn layer_of(module: &str) -> Option<usize> {
    let top = module.split("::").nth(1)?;
    LAYERS.iter().position(|(_, names)| names.contains(&top))
}

#[test]
fn the_application_layer_has_no_import_circle_and_only_imports_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut all = Vec::new();
    files(&root, &mut all);
    let modules: BTreeSet<String> = all.iter().map(|f| module_of(&root, f)).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let module = module_of(&root, file);
        let is_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
        if module == "app" {
            continue;
        }
        let Some(layer) = layer_of(&module) else {
            problems.push(format!("{module} is in no layer: add it to LAYERS and to app/mod.rs's map"));
            continue;
        };
        let source = std::fs::read_to_string(file).unwrap();
        for written in references(&source) {
            let Some(target) = resolve(&written, &module, is_mod_rs, &modules) else { continue };
            // A module's own children are its parts, not its imports.
            if target == module || (is_mod_rs && target.starts_with(&format!("{module}::"))) {
                continue;
            }
            if target == "app" {
                problems.push(format!("{module} imports the façade app/mod.rs ({written}): import the defining file"));
                continue;
            }
            let target_layer = layer_of(&target).unwrap_or(usize::MAX);
            if target_layer > layer {
                problems.push(format!(
                    "{module} ({}) imports {target} ({}), a layer above it ({written})",
                    LAYERS[layer].0,
                    LAYERS.get(target_layer).map_or("no layer", |l| l.0)
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
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(edges.len() > 20, "the imports were read: {edges:?}");
}

#[test]
fn use_trees_and_paths_are_read_as_written() {
    assert_eq!(expand("super::{a, b::{C, D as E}, self}"), ["super::a", "super::b::C", "super::b::D", "super"]);
    let refs = references(
        "use super::x::Y;\n// use crate::app::no;\nfn f() { crate::app::msg::Span::user(1); }\n#[cfg(test)]\nmod t { use super::*; }",
    );
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["crate::app::msg::Span::user", "super::x::Y"]);
    let modules: BTreeSet<String> =
        ["app", "app::msg", "app::commands", "app::commands::ack"].into_iter().map(String::from).collect();
    assert_eq!(resolve("super::Cx", "app::commands::ack", false, &modules).as_deref(), Some("app::commands"));
    assert_eq!(resolve("super::msg::Local", "app::commands", true, &modules).as_deref(), Some("app::msg"));
    assert_eq!(resolve("crate::app::msg::Span", "app::x", false, &modules).as_deref(), Some("app::msg"));
}
