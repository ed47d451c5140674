//! The layers of this crate, checked: a test reads every source file and fails when a module
//! imports one it must not.
//!
//! - `domain` is the leaf: it imports nothing of ours (`crate::...`).
//! - `providers` (HTTP clients) does not know the queue, the job payloads or the bookings store:
//!   its failures become job answers in `job_failures`. Its Redis keys and handle come from
//!   `redis`, which it may import.
//! - `jobs` (the payloads) does not import `bookings`; the store may build payloads, so the
//!   dependency points one way and the two never import each other.
//!
//! Test code (`#[cfg(test)]` modules and test-only files) may cross layers.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A layer rule: code in `module` must not name these top-level modules of ours.
struct Rule {
    module: &'static str,
    forbidden: Forbidden,
    why: &'static str,
}

enum Forbidden {
    /// Every module of ours but itself.
    AllOthers,
    /// These modules.
    These(&'static [&'static str]),
}

const RULES: &[Rule] = &[
    Rule {
        module: "domain",
        forbidden: Forbidden::AllOthers,
        why: "domain is the leaf layer",
    },
    Rule {
        module: "providers",
        forbidden: Forbidden::These(&["queue", "jobs", "bookings"]),
        why: "provider clients do not know the queue (map failures in job_failures)",
    },
    Rule {
        module: "jobs",
        forbidden: Forbidden::These(&["bookings"]),
        why: "job payloads sit below the bookings store (no jobs <-> bookings cycle)",
    },
];

/// Paths a rule lets through although they name a forbidden module.
/// (None now: the token cache and the rate limiter name their keys through `redis::Keys`.)
const ALLOWED: &[(&str, &str)] = &[];

/// Whether a file holds only tests.
fn is_test_file(path: &Path) -> bool {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem == "tests" || stem == "proptests" || stem.ends_with("_tests") || stem.starts_with("test_")
}

/// The code of a file without comments and without its `#[cfg(test)]` items (a one-line item
/// such as `mod tests;` is skipped; a block is taken to run to the end of the file, where test
/// modules live).
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_start() == "#[cfg(test)]" {
            match lines.next() {
                Some(item) if item.trim_end().ends_with(';') => continue,
                _ => break,
            }
        }
        let code = line.split("//").next().unwrap_or("");
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every path of ours named in `code`, as `module::rest` (for `use crate::{a::X, b}` each
/// member counts).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = group.len();
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut member = String::new();
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let m: String = member.split_whitespace().collect();
                        if !m.is_empty() {
                            out.push(m);
                        }
                        member.clear();
                        continue;
                    }
                    _ => {}
                }
                member.push(c);
            }
        } else {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(path);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import that breaks a rule, as `file: path (why)`.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let Ok(rel) = file.strip_prefix(src) else {
            continue;
        };
        let Some(module) = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|m| m.trim_end_matches(".rs").to_owned())
        else {
            continue;
        };
        let Some(rule) = RULES.iter().find(|r| r.module == module) else {
            continue;
        };
        if is_test_file(&file) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file of this crate reads");
        for path in crate_paths(&production_code(&text)) {
            let target = path.split("::").next().unwrap_or("");
            let bad = match rule.forbidden {
                Forbidden::AllOthers => target != module,
                Forbidden::These(list) => list.contains(&target),
            };
            let allowed = ALLOWED
                .iter()
                .any(|(m, p)| *m == module && path.starts_with(p));
            if bad && !allowed {
                found.push(format!("{}: crate::{path} ({})", rel.display(), rule.why));
            }
        }
    }
    found
}

#[test]
fn imports_are_split_out_of_groups_and_nested_groups() {
    let code = production_code(
        "use crate::{queue::{A, B}, jobs::C};\n// use crate::bookings::X;\nlet x = crate::ops::f();\n\
         use other_crate::Y;\n#[cfg(test)]\nmod t;\nuse crate::events::E;\n\
         #[cfg(test)]\nmod tests {\nuse crate::bookings::Z;\n}\n",
    );
    let got: BTreeSet<String> = crate_paths(&code).into_iter().collect();
    let want: BTreeSet<String> = ["queue::{A,B}", "jobs::C", "ops::f", "events::E"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn domain_is_a_leaf_providers_do_not_know_the_queue_and_jobs_do_not_import_bookings() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports that break the layers of meetflow-shared:\n{}",
        found.join("\n")
    );
}
