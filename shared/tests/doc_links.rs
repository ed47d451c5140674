//! The repository's documentation links hold: every `docs/<name>.md` cited in code, scripts,
//! deploy files or a README exists, every cited section of it (`§1.2`, `section 1.2`,
//! `"Heading"`) is a heading there, and every repository path written in backticks in
//! `docs/architecture.md` and `docs/operations.md` exists (so the walkthroughs follow the code).

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

/// The workspace root (the parent of the shared crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

const SCANNED: [&str; 10] = [
    "rs", "md", "sh", "yaml", "yml", "toml", "py", "lua", "js", "txt",
];
const SKIPPED_DIRS: [&str; 5] = ["target", ".git", ".meetflow", "node_modules", "docs"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                files(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| SCANNED.contains(&e.to_string_lossy().as_ref()))
        {
            out.push(path);
        }
    }
}

/// One citation: the file under `docs/`, and the section it names, if any.
#[derive(Debug)]
struct Citation {
    doc: String,
    section: Option<String>,
    at: String,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The section cited right after a `docs/x.md` mention on the same line: `§1.2`, `section 1.2`,
/// ` 1.2` (a bare number), or a quoted heading `"Heading"`.
fn section_after(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches(['`', ')']);
    let rest = rest.trim_start_matches([',', ' ']);
    let number = |s: &str| -> Option<String> {
        let n: String = s
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let n = n.trim_end_matches('.').to_owned();
        (!n.is_empty()).then_some(n)
    };
    if let Some(s) = rest.strip_prefix('§') {
        return number(s);
    }
    if let Some(s) = rest.strip_prefix("section ") {
        return number(s);
    }
    if let Some(s) = rest.strip_prefix('"') {
        return s.split_once('"').map(|(h, _)| h.to_owned());
    }
    number(rest)
}

fn citations(text: &str, file: &Path) -> Vec<Citation> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find("docs/") {
            let start = from + i + "docs/".len();
            from = start;
            // `../shared/docs/...` and `$MEETFLOW_SHARED/docs/...` are outside this repository.
            let before = &line[..start - "docs/".len()];
            if before.ends_with("shared/") || before.ends_with("SHARED/") {
                continue;
            }
            let name: String = line[start..]
                .chars()
                .take_while(|c| is_name_char(*c))
                .collect();
            let Some(doc) = name.strip_suffix(".md").map(str::to_owned) else {
                continue;
            };
            if doc.is_empty() {
                continue;
            }
            let rest = &line[start + name.len()..];
            out.push(Citation {
                doc: format!("{doc}.md"),
                section: section_after(rest),
                at: format!("{}:{}", file.display(), n + 1),
            });
        }
    }
    out
}

fn has_section(doc: &str, section: &str) -> bool {
    doc.lines().any(|l| {
        let heading = l.trim_start_matches('#');
        if heading.len() == l.len() {
            return false;
        }
        let heading = heading.trim();
        if section.chars().all(|c| c.is_ascii_digit() || c == '.') {
            heading == section
                || heading.starts_with(&format!("{section} "))
                || heading.starts_with(&format!("{section}. "))
        } else {
            heading == section
        }
    })
}

#[test]
fn every_cited_doc_and_section_exists() {
    let root = root();
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut problems = Vec::new();
    let mut seen = 0;
    for file in &all {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let rel = file.strip_prefix(&root).unwrap_or(file);
        if rel == Path::new("shared/tests/doc_links.rs") {
            continue; // its own examples
        }
        for c in citations(&text, rel) {
            seen += 1;
            let path = root.join("docs").join(&c.doc);
            let Ok(doc) = std::fs::read_to_string(&path) else {
                problems.push(format!("{}: docs/{} does not exist", c.at, c.doc));
                continue;
            };
            if let Some(section) = &c.section
                && !has_section(&doc, section)
            {
                problems.push(format!(
                    "{}: docs/{} has no section {section:?}",
                    c.at, c.doc
                ));
            }
        }
    }
    assert!(
        seen >= 20,
        "only {seen} citations found: is the scan broken?"
    );
    assert!(
        problems.is_empty(),
        "broken doc citations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_readme_links_the_docs_folder() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for doc in ["docs/architecture.md", "docs/operations.md"] {
        assert!(
            readme.contains(&format!("]({doc})")),
            "README does not link {doc}"
        );
    }
}

#[test]
fn repository_paths_in_the_walkthroughs_exist() {
    let root = root();
    const TOP: [&str; 9] = [
        "shared/",
        "worker/",
        "ingest/",
        "scheduler/",
        "admin/",
        "tests/",
        "deploy/",
        "config/",
        "scripts/",
    ];
    let mut missing = Vec::new();
    for doc in [
        "docs/architecture.md",
        "docs/operations.md",
        "docs/providers.md",
    ] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (i, quoted) in text.split('`').enumerate() {
            if i % 2 == 0
                || !TOP.iter().any(|t| quoted.starts_with(t))
                || quoted.contains(['*', '<', ' '])
            {
                continue;
            }
            if !root.join(quoted).exists() {
                missing.push(format!("{doc}: `{quoted}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "paths that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_citation_reader_understands_the_forms_in_use() {
    let found = citations(
        "a (docs/providers.md §3.5) b `docs/providers.md` section 2.4 and `docs/x.md`, \"Head One\" \
         and ../shared/docs/no.md and (`docs/providers.md` 4.1)",
        Path::new("f.rs"),
    );
    let got: Vec<(String, Option<String>)> =
        found.into_iter().map(|c| (c.doc, c.section)).collect();
    assert_eq!(
        got,
        vec![
            ("providers.md".into(), Some("3.5".into())),
            ("providers.md".into(), Some("2.4".into())),
            ("x.md".into(), Some("Head One".into())),
            ("providers.md".into(), Some("4.1".into())),
        ]
    );
    assert!(has_section("## 1. Calendly\n### 1.1 Envelope\n", "1.1"));
    assert!(has_section("## 5. Consequences\n", "5"));
    assert!(!has_section("## 1.10 x\n", "1.1"));
    assert!(has_section(
        "## Ingest: HTTP answers\n",
        "Ingest: HTTP answers"
    ));
}
