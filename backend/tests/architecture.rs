//! The backend's dependency rules, read from the source (see README "Layout"):
//! - layers, inner to outer: `infra` ← `schema` ← `auth` ← `features` ← `reports` ← `app`;
//!   `demo` and `jobs` sit beside `app` and may use everything below it;
//! - nothing imports `app`; infrastructure imports no feature;
//! - a feature reaches another feature only through that feature's `mod.rs` (no deep paths
//!   such as `crate::features::gate::store`), and features form no circles;
//! - no source file is longer than `MAX_LINES`.
//!
//! Today's exceptions are listed in `architecture_allow.txt`. The list may only shrink: an entry
//! that is no longer needed fails the test too, so it is deleted as soon as it is fixed.

// A test: an unreadable source tree is a failure, said plainly.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The unit a file belongs to: `infra`, `schema`, `auth`, `app`, `demo`, `jobs`,
/// `features::<name>`, `reports::<name>`, or `root` (lib.rs, main.rs).
fn unit_of(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    match parts.first().map(String::as_str) {
        Some("features") | Some("reports") if parts.len() >= 2 => {
            format!("{}::{}", parts[0], parts[1])
        }
        Some(top) if parts.len() >= 2 => top.to_owned(),
        _ => "root".to_owned(),
    }
}

fn layer(unit: &str) -> &str {
    unit.split("::").next().unwrap_or(unit)
}

/// What each layer may import (besides itself).
fn allowed_layers(layer: &str) -> &'static [&'static str] {
    match layer {
        "infra" => &[],
        "schema" => &["infra"],
        "auth" => &["infra", "schema"],
        "features" => &["infra", "schema", "auth", "features"],
        "reports" => &["infra", "schema", "auth", "features", "reports"],
        "demo" | "jobs" => &["infra", "schema", "auth", "features", "reports"],
        "app" => &[
            "infra", "schema", "auth", "features", "reports", "demo", "jobs",
        ],
        _ => &[
            "infra", "schema", "auth", "features", "reports", "demo", "jobs", "app",
        ],
    }
}

/// Every `crate::a::b::c` path in a file, without comments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            let tail = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                rest = tail;
                continue;
            }
            let mut segs = Vec::new();
            let mut cursor = tail;
            loop {
                let ident: String = cursor
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if ident.is_empty() {
                    // `crate::{a, b}`: each name inside the braces is a path of its own.
                    if segs.is_empty() && cursor.starts_with('{') {
                        let inner = cursor[1..].split('}').next().unwrap_or("");
                        for name in inner.split(',') {
                            let name: String = name
                                .trim()
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect();
                            if !name.is_empty() {
                                out.push(vec![name]);
                            }
                        }
                    }
                    break;
                }
                cursor = &cursor[ident.len()..];
                segs.push(ident);
                if let Some(next) = cursor.strip_prefix("::") {
                    cursor = next;
                } else {
                    break;
                }
            }
            if !segs.is_empty() {
                out.push(segs);
            }
            rest = tail;
        }
    }
    out
}

/// The submodules (files or folders) of each feature/report unit: a path into one of them from
/// another unit is a deep path.
fn submodules(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut map = BTreeMap::new();
    for top in ["features", "reports"] {
        let Ok(dirs) = std::fs::read_dir(src.join(top)) else {
            continue;
        };
        for dir in dirs.flatten() {
            if !dir.path().is_dir() {
                continue;
            }
            let unit = format!("{top}::{}", dir.file_name().to_string_lossy());
            let subs: BTreeSet<String> = std::fs::read_dir(dir.path())
                .expect("feature dir")
                .flatten()
                .map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_owned()
                })
                .filter(|n| n != "mod")
                .collect();
            map.insert(unit, subs);
        }
    }
    map
}

fn violations() -> BTreeSet<String> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let subs = submodules(&src);
    let mut found = BTreeSet::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let rel_name = rel.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(file).expect("read file");
        let lines = text.lines().count();
        if lines > MAX_LINES {
            found.insert(format!("size {rel_name}"));
        }
        let unit = unit_of(rel);
        let from_layer = layer(&unit).to_owned();
        for path in crate_paths(&text) {
            let target_layer = path[0].as_str();
            let target_unit = match target_layer {
                "features" | "reports" if path.len() >= 2 => format!("{}::{}", path[0], path[1]),
                _ => target_layer.to_owned(),
            };
            if target_unit == unit {
                continue;
            }
            if target_layer == "app" && from_layer != "app" && from_layer != "root" {
                found.insert(format!("layer {rel_name} -> app"));
                continue;
            }
            let known = [
                "infra", "schema", "auth", "features", "reports", "demo", "jobs", "app",
            ];
            if !known.contains(&target_layer) {
                continue;
            }
            if target_layer != from_layer && !allowed_layers(&from_layer).contains(&target_layer) {
                found.insert(format!("layer {rel_name} -> {target_unit}"));
            }
            if let Some(sub) = path.get(2)
                && subs.get(&target_unit).is_some_and(|s| s.contains(sub))
                && from_layer != "app"
            {
                found.insert(format!("deep {rel_name} -> {target_unit}::{sub}"));
            }
            if (from_layer == "features" || from_layer == "reports")
                && (target_layer == "features" || target_layer == "reports")
            {
                edges
                    .entry(unit.clone())
                    .or_default()
                    .insert(target_unit.clone());
            }
        }
    }
    for cycle in circles(&edges) {
        found.insert(format!("circle {cycle}"));
    }
    found
}

/// Every pair of units that reach each other (directly or through others), named once.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(node) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let mut out = BTreeSet::new();
    for (a, targets) in edges {
        for b in targets {
            if a < b && reach(b).contains(a) {
                out.insert(format!("{a} <-> {b}"));
            }
        }
    }
    out
}

fn allow_list() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/architecture_allow.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_dependency_rules_hold_except_for_the_listed_exceptions() {
    let found = violations();
    let allowed = allow_list();
    let new: Vec<_> = found.difference(&allowed).collect();
    let fixed: Vec<_> = allowed.difference(&found).collect();
    assert!(
        new.is_empty(),
        "new violations of the dependency rules (fix them; do not list them):\n{}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        fixed.is_empty(),
        "these exceptions are fixed: delete them from tests/architecture_allow.txt:\n{}",
        fixed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_path_reader_sees_grouped_and_nested_paths() {
    let paths = crate_paths(
        "use crate::features::gate::store::x; // crate::app\nlet a = crate::{infra, auth};",
    );
    assert_eq!(
        paths,
        vec![
            vec![
                "features".to_owned(),
                "gate".into(),
                "store".into(),
                "x".into()
            ],
            vec!["infra".to_owned()],
            vec!["auth".to_owned()],
        ]
    );
}

/// Prints today's violations in the allow-list's format (`cargo test -p xiaoan --test
/// architecture -- --ignored --nocapture print_violations`).
#[test]
#[ignore]
fn print_violations() {
    for v in violations() {
        println!("{v}");
    }
}
