//! The guard of "every key is built in `shared::redis`": a scan of every `.rs` file of the
//! workspace (this module's folder excepted) for code that builds a Redis key name itself.
//!
//! What counts as building a key (in string literals, comments skipped):
//! - `escaped_hash_tag`: a format string opening a hash tag, `"{{{ns}}}:..."`;
//! - `literal_key`: a literal namespaced key, `"{mf}:q:..."` (a placeholder or tag, a colon,
//!   then a name);
//! - `key_head`: a literal placing the first segment of a key in [`super::KEYS`] right after a
//!   `{...}` placeholder, e.g. `"{}q:{queue}:ready"`, `"{p}job:{id}"`, `"{prefix}dead"`;
//! - `prefix_concat`: a `format!` / `push_str` / `+` statement using a `prefix()` of [`Keys`];
//! - `key_extended`: the same, gluing text onto a key a builder made
//!   (`format!("{}:x", keys.job(id))`);
//! - `derived_namespace`: `Keys::new(&format!(...))` (a namespace made up at the call site; use
//!   [`Keys::scratch`]).
//!
//! [`Keys`]: super::Keys
//! [`Keys::scratch`]: super::Keys::scratch

use std::path::{Path, PathBuf};

use super::KEYS;

/// A place where a key seems to be built outside the key module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    line: usize,
    rule: &'static str,
    text: String,
}

/// A string literal's raw source text and the line it starts on.
struct Literal {
    line: usize,
    text: String,
}

/// The string literals of `src` (raw source text, escapes not decoded), skipping comments and
/// char literals.
fn literals(src: &str) -> Vec<Literal> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
                i += 2;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}', '"'), or a lifetime / label ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 3;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            b'r' if !ident_before(b, i) && matches!(b.get(i + 1), Some(b'"' | b'#')) => {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let start = j + 1;
                let mut end = start;
                loop {
                    if end >= b.len() {
                        break;
                    }
                    if b[end] == b'"'
                        && b[end + 1..].iter().take(hashes).all(|c| *c == b'#')
                        && b.len() >= end + 1 + hashes
                    {
                        break;
                    }
                    end += 1;
                }
                let text = &src[start..end.min(b.len())];
                out.push(Literal {
                    line,
                    text: text.to_owned(),
                });
                line += text.matches('\n').count();
                i = end + 1 + hashes;
            }
            b'"' => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end] != b'"' {
                    end += if b[end] == b'\\' { 2 } else { 1 };
                }
                let end = end.min(b.len());
                let text = &src[start..end];
                out.push(Literal {
                    line,
                    text: text.to_owned(),
                });
                line += text.matches('\n').count();
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// `{{{ident}}}:` anywhere in the literal.
fn escaped_hash_tag(s: &str) -> bool {
    s.match_indices("{{{").any(|(at, _)| {
        let rest = &s.as_bytes()[at + 3..];
        let n = rest.iter().take_while(|c| is_name(**c)).count();
        rest[n..].starts_with(b"}}}:")
    })
}

/// `{name}:x` at the start of the literal.
fn literal_key(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'{') {
        return false;
    }
    let n = b[1..].iter().take_while(|c| is_name(**c)).count();
    n > 0
        && b[1 + n..].starts_with(b"}:")
        && b.get(n + 3)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'*')
}

/// The first segment after the hash tag of every key of the table: `job:`, `q:`, `bk:`, ... and
/// whole names without a colon (`dead`, `queues`).
fn key_heads() -> Vec<(String, bool)> {
    let mut heads: Vec<(String, bool)> = KEYS
        .iter()
        .filter_map(|k| k.pattern.split_once("}:").map(|(_, rest)| rest))
        .map(|rest| match rest.find(':') {
            Some(at) => (rest[..=at].to_owned(), true),
            None => (rest.to_owned(), false),
        })
        .collect();
    heads.sort();
    heads.dedup();
    heads
}

/// The literal has a key head right after a `{...}` placeholder (`"{}bk:{id}"`, `"{p}dead"`):
/// a prefix being glued to a key name. A literal merely *starting* with a head is not enough:
/// job ids such as `sms:<booking>:<kind>` and `zoom:<event>` look the same and are no keys.
fn key_head(s: &str, heads: &[(String, bool)]) -> Option<String> {
    heads.iter().find_map(|(head, colon)| {
        let glued = s.match_indices(head.as_str()).any(|(at, _)| {
            let whole = *colon
                || !s
                    .as_bytes()
                    .get(at + head.len())
                    .is_some_and(|c| is_name(*c));
            s[..at].ends_with('}') && !s[..at].ends_with("}}") && whole
        });
        glued.then(|| head.clone())
    })
}

/// The code calls a [`super::Keys`] builder (`keys.job(`, `keys().ready(`): inside a `format!`
/// or next to `+`, that makes a new key out of a built one.
fn extends_key(code: &str) -> bool {
    code.contains("keys")
        && KEYS
            .iter()
            .any(|k| code.contains(&format!(".{}(", k.builder)))
}

/// Statements (a line and its continuation up to balanced parentheses) that glue a key prefix
/// into a string, or make a namespace up with `format!`.
fn statement_rules(src: &str) -> Vec<Violation> {
    let code: Vec<&str> = src
        .lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect();
    let mut out = Vec::new();
    for (n, l) in code.iter().enumerate() {
        let glue = ["format!(", "push_str(", "concat!("]
            .iter()
            .any(|g| l.contains(g));
        let derived = l.contains("Keys::new(");
        if !glue && !derived {
            continue;
        }
        let mut stmt = String::new();
        let mut depth = 0i32;
        for next in &code[n..] {
            stmt.push_str(next);
            stmt.push('\n');
            depth += next.matches('(').count() as i32 - next.matches(')').count() as i32;
            if depth <= 0 {
                break;
            }
        }
        if glue && extends_key(&stmt) {
            out.push(Violation {
                line: n + 1,
                rule: "key_extended",
                text: l.trim().to_owned(),
            });
        }
        if glue && stmt.contains("prefix()") {
            out.push(Violation {
                line: n + 1,
                rule: "prefix_concat",
                text: l.trim().to_owned(),
            });
        }
        if derived && stmt.contains("format!(") {
            out.push(Violation {
                line: n + 1,
                rule: "derived_namespace",
                text: l.trim().to_owned(),
            });
        }
    }
    for (n, l) in code.iter().enumerate().filter(|(_, l)| l.contains(" + ")) {
        let rule = match (l.contains("prefix()"), extends_key(l)) {
            (true, _) => "prefix_concat",
            (false, true) => "key_extended",
            (false, false) => continue,
        };
        out.push(Violation {
            line: n + 1,
            rule,
            text: l.trim().to_owned(),
        });
    }
    out
}

/// Every violation in one file's source.
fn scan(src: &str) -> Vec<Violation> {
    let heads = key_heads();
    let mut out: Vec<Violation> = literals(src)
        .into_iter()
        .filter_map(|lit| {
            let rule = if escaped_hash_tag(&lit.text) {
                "escaped_hash_tag"
            } else if literal_key(&lit.text) {
                "literal_key"
            } else if key_head(&lit.text, &heads).is_some() {
                "key_head"
            } else {
                return None;
            };
            Some(Violation {
                line: lit.line,
                rule,
                text: format!("\"{}\"", lit.text),
            })
        })
        .collect();
    out.extend(statement_rules(src));
    out.sort_by_key(|v| v.line);
    out
}

fn rust_files(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path == skip || name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, skip, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_redis_key_is_built_outside_the_key_module() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("the workspace holds the shared crate");
    let key_module = manifest.join("src").join("redis");
    let mut files = Vec::new();
    rust_files(root, &key_module, &mut files);
    files.sort();
    assert!(
        files.len() > 100,
        "found only {} .rs files under {}",
        files.len(),
        root.display()
    );
    let mut found = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file).expect("readable source");
        for v in scan(&src) {
            let shown = file
                .strip_prefix(root)
                .unwrap_or(file)
                .display()
                .to_string();
            found.push(format!("{shown}:{}: {}: {}", v.line, v.rule, v.text));
        }
    }
    assert!(
        found.is_empty(),
        "Redis keys built outside shared::redis (add a builder to shared/src/redis/keys.rs and \
         a row to registry.rs instead):\n{}",
        found.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(src: &str) -> Vec<&'static str> {
        scan(src).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn each_way_of_building_a_key_is_caught() {
        assert_eq!(
            rules(r#"let k = format!("{{{ns}}}:zoom:token");"#),
            ["escaped_hash_tag"]
        );
        assert_eq!(
            rules(r#"assert_eq!(k, "{mf}:q:sms:ready");"#),
            ["literal_key"]
        );
        assert_eq!(rules(r#"let k = format!("{}bk:{id}", p);"#), ["key_head"]);
        assert_eq!(rules(r#"let k = format!("{p}dead");"#), ["key_head"]);
        assert_eq!(
            rules("let k = format!(\n    \"{}{}\",\n    keys.prefix(),\n    id\n);"),
            ["prefix_concat"]
        );
        assert_eq!(
            rules("let k = keys.prefix().to_owned() + id;"),
            ["prefix_concat"]
        );
        assert_eq!(
            rules(r#"let k = format!("{}:lock", self.keys.job(id));"#),
            ["key_extended"]
        );
        assert_eq!(
            rules(r#"let k = keys.booking(b) + ":x";"#),
            ["key_extended"]
        );
        assert_eq!(
            rules("let k = Keys::new(&format!(\"{ns}-x\"));"),
            ["derived_namespace"]
        );
        assert_eq!(rules(r##"let k = r#"{mf}:job:1"#;"##), ["literal_key"]);
    }

    #[test]
    fn ordinary_strings_are_not_keys() {
        for ok in [
            r#"format!("{class}: {message}")"#,
            r#"format!("{kind}:{uuid}")"#,
            r#"format!("{}:{}", id, secret)"#,
            r#"format!("bad variable name in `${{{}}}`")"#,
            r#"format!("sending:{now_ms}:{attempt}")"#,
            r#"format!("rem:{booking}:{}", kind)"#,
            r#"let state = "dead";"#,
            r#"let job_id = "sms:abc:confirmation";"#,
            r#"format!("zoom:{event}:{uuid}")"#,
            r#"format!("{}: reminders: {n} due", q)"#,
            r#"let q = "queues";"#,
            r#"let c = '"'; let s = "x";"#,
            r#"fn f<'a>(s: &'a str) -> &'a str { s }"#,
            "// format!(\"{{{ns}}}:zoom:token\")",
            "/* \"{mf}:q:x\" */",
            r#"assert!(k.starts_with("{qt}:"), "{k}");"#,
            r#"inv.arg(k.prefix()).arg(queue);"#,
        ] {
            assert_eq!(scan(ok), [], "{ok}");
        }
    }
}
