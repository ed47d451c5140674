//! Compose's variable interpolation, as `docker compose` applies it to deploy/compose.yaml with
//! deploy/.env (here: .env.example): `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?message}`, `${VAR?message}`, `$VAR` and `$$` (a literal `$`). A required variable the
//! file lacks fails the test with compose's message, as `docker compose up` would fail.

use std::collections::BTreeMap;

use serde_json::Value;

/// `text` with every variable replaced from `vars`.
pub(crate) fn interpolate(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .unwrap_or_else(|| panic!("unclosed ${{ in `{text}`"));
            out.push_str(&expand(&body[..end], vars));
            rest = &body[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str(&expand(&after[..len], vars));
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

/// One `${...}` body: a name, then an optional modifier.
fn expand(body: &str, vars: &BTreeMap<String, String>) -> String {
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, modifier) = body.split_at(name_len);
    let value = vars.get(name);
    let (unset_or_empty, op, arg) = match modifier.strip_prefix(':') {
        Some(m) => (true, m.chars().next(), m.get(1..).unwrap_or("")),
        None => (
            false,
            modifier.chars().next(),
            modifier.get(1..).unwrap_or(""),
        ),
    };
    let missing = value.is_none_or(|v| unset_or_empty && v.is_empty());
    match op {
        None => value.cloned().unwrap_or_default(),
        Some('-') if missing => arg.to_owned(),
        Some('?') if missing => panic!("required variable {name} is missing a value: {arg}"),
        Some('-' | '?') => value.cloned().unwrap_or_default(),
        Some(other) => panic!("interpolation `${{{body}}}`: unknown modifier `{other}`"),
    }
}

/// Every string in `doc` interpolated (keys are left as they are, as compose does).
pub(crate) fn interpolate_all(doc: &mut Value, vars: &BTreeMap<String, String>) {
    match doc {
        Value::String(s) => *s = interpolate(s, vars),
        Value::Array(items) => items.iter_mut().for_each(|i| interpolate_all(i, vars)),
        Value::Object(map) => map.values_mut().for_each(|v| interpolate_all(v, vars)),
        _ => {}
    }
}

#[test]
fn compose_interpolation_forms() {
    let vars: BTreeMap<String, String> = [("A", "1"), ("E", "")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(
        interpolate("x${A}y$A-$$A ${B:-d} ${E:-d} ${E-d}", &vars),
        "x1y1-$A d d "
    );
    assert_eq!(
        interpolate("redis://:${A:?need A}@r", &vars),
        "redis://:1@r"
    );
    let refused = std::panic::catch_unwind(|| interpolate("${E:?set E}", &vars));
    assert!(refused.is_err(), "an empty required variable is refused");
}
