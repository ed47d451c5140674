//! Checks of `admin.token`, `admin.tokens` and `admin.audit_cap`: every named token has a
//! usable name, a non-empty token and a role; names and tokens are unique (also against
//! `admin.token`, which is named [`ADMIN_TOKEN_NAME`]). Unknown roles are refused when the file
//! is read (`admin.tokens[i].role`).

use std::collections::HashSet;

use secrecy::ExposeSecret;

use super::ConfigError;
use super::infra::{ADMIN_TOKEN_NAME, AdminSettings};

/// The longest token name.
const MAX_NAME: usize = 64;

fn name_ok(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b))
}

/// Validates the `admin:` section; names the offending key.
pub(super) fn validate(admin: &AdminSettings) -> Result<(), ConfigError> {
    if admin.audit_cap == 0 {
        return Err(ConfigError::invalid(
            "admin.audit_cap",
            "must be at least 1",
        ));
    }
    let mut names: HashSet<&str> = HashSet::new();
    let mut tokens: HashSet<&str> = HashSet::new();
    if let Some(t) = &admin.token {
        names.insert(ADMIN_TOKEN_NAME);
        tokens.insert(t.expose_secret());
    }
    for (i, entry) in admin.tokens.iter().enumerate() {
        let key = |f: &str| format!("admin.tokens[{i}].{f}");
        if !name_ok(&entry.name) {
            return Err(ConfigError::invalid(
                key("name"),
                format!("must be 1 to {MAX_NAME} of A-Z a-z 0-9 . _ @ -"),
            ));
        }
        if !names.insert(&entry.name) {
            let also = if entry.name == ADMIN_TOKEN_NAME && admin.token.is_some() {
                " (admin.token goes by that name)"
            } else {
                ""
            };
            return Err(ConfigError::invalid(
                key("name"),
                format!("`{}` is used twice{also}", entry.name),
            ));
        }
        let Some(token) = entry.token.as_ref().map(ExposeSecret::expose_secret) else {
            return Err(ConfigError::invalid(
                key("token"),
                "is empty (is its ${VAR} set?); remove the entry to turn it off",
            ));
        };
        if !tokens.insert(token) {
            return Err(ConfigError::invalid(
                key("token"),
                "is the same as another admin token (each token must be unique)",
            ));
        }
    }
    Ok(())
}
