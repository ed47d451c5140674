//! The one error type of configuration loading: every variant prints as one line that names
//! the file, the environment variable or the key path at fault.

use std::path::PathBuf;

/// Why the configuration could not be loaded. Always permanent: fix the file or the
/// environment and restart.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config error: cannot read {}: {io}", path.display())]
    Read {
        /// The path given by `--config` or `MEETFLOW_CONFIG`.
        path: PathBuf,
        /// The I/O error (in the message, not a `source`, so it prints once).
        io: std::io::Error,
    },
    /// A `${...}` expression is malformed.
    #[error("config error: {0}")]
    Substitution(String),
    /// The file (after substitution) is not valid YAML.
    #[error("config error: invalid YAML: {0}")]
    Syntax(String),
    /// A `MEETFLOW__...` override could not be applied.
    #[error("config error in {var}: {message}")]
    Override {
        /// The environment variable.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// A key is unknown, missing, or has a bad value.
    #[error("config error at {key}: {message}")]
    Invalid {
        /// Full dotted key path, e.g. `connectors.calendly.tolerance`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// Shorthand for [`ConfigError::Invalid`].
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The offending key path, when the error is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// Collapses a possibly multi-line message (YAML errors draw snippets) into one line.
pub(crate) fn one_line(message: &str) -> String {
    message
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
