//! From text to a generic tree: `${VAR}` substitution, YAML parsing, `MEETFLOW__` overrides.
//!
//! The tree is a `serde_json::Value` so overrides can be applied by key path before the typed
//! deserialization (which then reports errors with the full path).

use serde_json::{Map, Value};

use super::error::{ConfigError, one_line};

/// Prefix of override variables: `MEETFLOW__BREVO__BASE_URL` sets `brevo.base_url`.
pub const OVERRIDE_PREFIX: &str = "MEETFLOW__";

/// Replaces `${VAR}` and `${VAR:-default}` with values from `env`; `$${` is a literal `${`.
///
/// An unset `${VAR}` becomes the empty string (a YAML `null` when it is the whole value).
/// `${VAR:-default}` uses `default` when `VAR` is unset or empty.
pub fn substitute(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("${") {
        if rest[..pos].ends_with('$') {
            out.push_str(&rest[..pos - 1]);
            out.push_str("${");
            rest = &rest[pos + 2..];
            continue;
        }
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let end = after.find('}').ok_or_else(|| {
            ConfigError::Substitution(format!(
                "unterminated `${{` near `{}`",
                snippet(&rest[pos..])
            ))
        })?;
        let expr = &after[..end];
        let (name, default) = match expr.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (expr, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConfigError::Substitution(format!(
                "bad variable name in `${{{}}}`",
                snippet(expr)
            )));
        }
        let value = env(name).filter(|v| !v.is_empty() || default.is_none());
        out.push_str(value.as_deref().or(default).unwrap_or(""));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Parses YAML text into a tree; an empty document is an empty mapping.
pub fn parse_tree(text: &str) -> Result<Value, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value: Value =
        serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax(one_line(&e.to_string())))?;
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        _ => Err(ConfigError::Syntax(
            "the top level must be a mapping of sections".into(),
        )),
    }
}

/// Parses one override value as a YAML scalar (`8`, `true`, `null`, `10/s`, `[24h, 1h]`);
/// anything that does not parse stays a string.
fn parse_scalar(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::String(raw.to_owned());
    }
    serde_saphyr::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

/// Applies `MEETFLOW__A__B=value` pairs to the tree (variables without the prefix are ignored).
pub fn apply_overrides(tree: &mut Value, vars: &[(String, String)]) -> Result<(), ConfigError> {
    for (var, raw) in vars {
        let Some(path) = var.strip_prefix(OVERRIDE_PREFIX) else {
            continue;
        };
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        if keys.iter().any(String::is_empty) {
            return Err(ConfigError::Override {
                var: var.clone(),
                message: "empty key segment (use `__` only between keys)".into(),
            });
        }
        set_path(tree, &keys, parse_scalar(raw));
    }
    Ok(())
}

fn set_path(tree: &mut Value, keys: &[String], value: Value) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut node = tree;
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        node = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(map) = node {
        map.insert(last.clone(), value);
    }
}

/// Every override variable name that could address a node of `trees` (all nesting levels).
pub fn candidate_vars(trees: &[&Value]) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for tree in trees {
        walk(tree, &mut Vec::new(), &mut out);
    }
    out.into_iter().collect()
}

fn walk(node: &Value, path: &mut Vec<String>, out: &mut std::collections::BTreeSet<String>) {
    if !path.is_empty() {
        out.insert(format!(
            "{OVERRIDE_PREFIX}{}",
            path.join("__").to_ascii_uppercase()
        ));
    }
    if let Value::Object(map) = node {
        for (k, v) in map {
            path.push(k.clone());
            walk(v, path, out);
            path.pop();
        }
    }
}
