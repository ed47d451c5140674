//! `meetflow_build_info{service,version,commit} 1`: which binary, which release, which commit.
//!
//! The commit is `MEETFLOW_COMMIT` at build time (CI and image builds pass
//! `MEETFLOW_COMMIT=$(git rev-parse HEAD)`), else `unknown`. Reading it at compile time with
//! `option_env!` (no build script calling git) keeps a new commit from rebuilding the workspace.
//! The service is the name given to [`crate::telemetry::init`] (`meetflow-scheduler`, ...);
//! alerts use it to tell a missing binary (`absent(meetflow_build_info{service=...})`).

use std::sync::OnceLock;

/// The crate version the binaries share.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit built, or `unknown`.
pub const COMMIT: &str = match option_env!("MEETFLOW_COMMIT") {
    Some(c) if !c.is_empty() => c,
    _ => "unknown",
};

/// The gauge's name.
pub const METRIC: &str = "meetflow_build_info";

static SERVICE: OnceLock<String> = OnceLock::new();

/// Records the binary's name (the first call wins; later ones are ignored).
pub fn set_service(name: &str) {
    let _ = SERVICE.set(name.to_owned());
}

/// The binary's name, `unknown` before [`set_service`].
pub fn service() -> &'static str {
    SERVICE.get().map_or("unknown", String::as_str)
}

/// Prometheus text of the build-info gauge.
pub fn render() -> String {
    format!(
        "# HELP {METRIC} The running binary, its version and the commit it was built from (always 1).\n\
         # TYPE {METRIC} gauge\n\
         {METRIC}{{service=\"{}\",version=\"{}\",commit=\"{}\"}} 1\n",
        escape(service()),
        escape(VERSION),
        escape(COMMIT)
    )
}

/// A label value as Prometheus text wants it (`\`, `"` and newlines escaped).
pub(crate) fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_info_names_the_version_and_escapes_label_values() {
        let text = render();
        assert!(text.contains(&format!("version=\"{VERSION}\"")), "{text}");
        assert!(text.contains("commit=\""), "{text}");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
