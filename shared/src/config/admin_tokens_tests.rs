//! `admin.tokens` and `admin.audit_cap` are checked when the file loads, naming the bad key.
#![allow(clippy::unwrap_used)]

use secrecy::ExposeSecret;

use super::{AdminRole, ConfigError, Role, Settings};

fn load(yaml: &str) -> Result<Settings, ConfigError> {
    Settings::from_yaml_str(yaml, &|name| {
        (name == "ONCALL").then(|| "oncall-token-0123456789".to_owned())
    })
}

fn key_of(yaml: &str) -> String {
    let err = load(yaml).unwrap_err();
    err.key().unwrap_or_default().to_owned()
}

#[test]
fn named_tokens_load_with_their_roles() {
    let s = load(
        "admin:\n  token: root-token-0123456789\n  tokens:\n\
         \x20   - { name: on-call, token: \"${ONCALL}\", role: operate }\n\
         \x20   - { name: viewer, token: viewer-token-0123456789, role: read }\n",
    )
    .unwrap();
    assert_eq!(s.admin.tokens.len(), 2);
    assert_eq!(s.admin.tokens[0].name, "on-call");
    assert_eq!(s.admin.tokens[0].role, AdminRole::Operate);
    assert_eq!(
        s.admin.tokens[0].token.as_ref().unwrap().expose_secret(),
        "oncall-token-0123456789"
    );
    assert_eq!(s.admin.tokens[1].role, AdminRole::Read);
    assert_eq!(s.admin.audit_cap, 100_000, "default cap");
    assert!(AdminRole::Read < AdminRole::Operate && AdminRole::Operate < AdminRole::Admin);
    let yaml = s.redacted_yaml();
    assert!(!yaml.contains("oncall-token-0123456789"), "{yaml}");
    assert!(!yaml.contains("viewer-token-0123456789"), "{yaml}");
}

#[test]
fn an_unknown_role_is_refused_naming_the_key() {
    let yaml = "admin:\n  tokens:\n    - { name: x, token: t-0123456789, role: superuser }\n";
    assert_eq!(key_of(yaml), "admin.tokens[0].role");
    let err = load(yaml).unwrap_err().to_string();
    assert!(err.contains("read") && err.contains("operate"), "{err}");
}

#[test]
fn empty_or_odd_names_are_refused() {
    for name in ["\"\"", "\"two words\"", "cli:bob", &"n".repeat(65)] {
        let yaml =
            format!("admin:\n  tokens:\n    - {{ name: {name}, token: tok-1, role: read }}\n");
        assert_eq!(key_of(&yaml), "admin.tokens[0].name", "{name}");
    }
}

#[test]
fn duplicate_names_are_refused_also_against_admin_token() {
    let yaml = "admin:\n  tokens:\n    - { name: a, token: tok-1, role: read }\n\
                \x20   - { name: a, token: tok-2, role: operate }\n";
    assert_eq!(key_of(yaml), "admin.tokens[1].name");
    let yaml =
        "admin:\n  token: root-1\n  tokens:\n    - { name: admin, token: tok-1, role: read }\n";
    assert_eq!(key_of(yaml), "admin.tokens[0].name");
    let err = load(yaml).unwrap_err().to_string();
    assert!(err.contains("admin.token goes by that name"), "{err}");
    assert!(
        load("admin:\n  tokens:\n    - { name: admin, token: tok-1, role: admin }\n").is_ok(),
        "the name is free when admin.token is unset"
    );
}

#[test]
fn duplicate_and_empty_tokens_are_refused_without_showing_them() {
    let yaml = "admin:\n  tokens:\n    - { name: a, token: same-secret-1, role: read }\n\
                \x20   - { name: b, token: same-secret-1, role: operate }\n";
    assert_eq!(key_of(yaml), "admin.tokens[1].token");
    assert!(
        !load(yaml)
            .unwrap_err()
            .to_string()
            .contains("same-secret-1")
    );
    let yaml = "admin:\n  token: same-secret-1\n  tokens:\n    - { name: a, token: same-secret-1, role: read }\n";
    assert_eq!(key_of(yaml), "admin.tokens[0].token");
    let yaml = "admin:\n  tokens:\n    - { name: a, token: \"${UNSET}\", role: read }\n";
    assert_eq!(key_of(yaml), "admin.tokens[0].token");
    let yaml = "admin:\n  tokens:\n    - { name: a, role: read }\n";
    assert_eq!(key_of(yaml), "admin.tokens[0].token");
}

#[test]
fn audit_cap_must_be_positive_and_named_tokens_satisfy_the_off_loopback_rule() {
    assert_eq!(key_of("admin: { audit_cap: 0 }"), "admin.audit_cap");
    assert_eq!(load("admin: { audit_cap: 5 }").unwrap().admin.audit_cap, 5);
    let s = load(
        "admin:\n  listen: 0.0.0.0:8081\n  tokens:\n    - { name: a, token: tok-1, role: admin }\n",
    )
    .unwrap();
    assert!(s.validate_for(Role::Admin).is_ok());
}
