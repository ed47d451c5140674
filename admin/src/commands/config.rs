//! `meetflow-admin config check`: validate the configuration the way the binaries will, and
//! print the effective settings with every secret shown as `***` or `(unset)`.

use std::fmt;

use clap::{Subcommand, ValueEnum};
use meetflow_shared::config::{Role, Settings};

use crate::{Ctx, Out};

/// `meetflow-admin config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective settings (secrets redacted).
    Check {
        /// Also require what these binaries need (repeatable); failures become errors.
        /// Without it, what a binary would refuse is printed as a warning.
        #[arg(long = "for", value_enum, value_name = "BINARY")]
        roles: Vec<RoleArg>,
    },
}

/// A binary whose needs `config check --for` enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// meetflow-ingest.
    Ingest,
    /// meetflow-worker.
    Worker,
    /// meetflow-scheduler.
    Scheduler,
    /// meetflow-admin (serve).
    Admin,
}

impl RoleArg {
    const ALL: [RoleArg; 4] = [Self::Ingest, Self::Worker, Self::Scheduler, Self::Admin];

    fn role(self) -> Role {
        match self {
            Self::Ingest => Role::Ingest,
            Self::Worker => Role::Worker,
            Self::Scheduler => Role::Scheduler,
            Self::Admin => Role::Admin,
        }
    }
}

impl fmt::Display for RoleArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Ingest => "ingest",
            Self::Worker => "worker",
            Self::Scheduler => "scheduler",
            Self::Admin => "admin",
        };
        write!(f, "meetflow-{name}")
    }
}

impl ConfigCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        match self {
            Self::Check { roles } => {
                let settings = ctx.settings()?;
                check(&settings, ctx, &roles, out)
            }
        }
    }
}

fn check(settings: &Settings, ctx: &Ctx, roles: &[RoleArg], out: &mut Out) -> anyhow::Result<()> {
    for role in roles {
        settings.validate_for(role.role())?;
    }
    let source = match &ctx.config_path {
        Some(p) => p.display().to_string(),
        None => "built-in defaults".to_owned(),
    };
    writeln!(
        out,
        "# meetflow configuration OK ({source}); secrets redacted"
    )?;
    for role in RoleArg::ALL.iter().filter(|r| !roles.contains(r)) {
        if let Err(e) = settings.validate_for(role.role()) {
            writeln!(out, "# warning: {role} would refuse to start: {e}")?;
        }
    }
    out.write_all(settings.redacted_yaml().as_bytes())?;
    write_workflows(settings, out)
}

/// The effective workflow of each mapped event type (its keys over the global values) and of
/// unmapped ones, as a second YAML document.
fn write_workflows(settings: &Settings, out: &mut Out) -> anyhow::Result<()> {
    writeln!(
        out,
        "---\n# effective workflow per event type (unset keys take the global value)"
    )?;
    out.write_all(settings.effective_workflows_yaml().as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::{Cli, run};
    use clap::Parser;

    fn temp_config(name: &str, yaml: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("meetflow-admin-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("meetflow.yaml");
        std::fs::write(&path, yaml).unwrap();
        path
    }

    async fn run_args(args: &[&str]) -> (anyhow::Result<()>, String) {
        let cli = Cli::try_parse_from(args).unwrap();
        let mut out = Vec::new();
        let res = run(cli, &mut out).await;
        (res, String::from_utf8(out).unwrap())
    }

    #[tokio::test]
    async fn check_prints_redacted_settings_and_warns_per_binary() {
        let yaml = "brevo:\n  api_key: xkeysib-very-secret\nadmin:\n  token: \"\"\n";
        let path = temp_config("ok", yaml);
        let (res, out) = run_args(&[
            "meetflow-admin",
            "--config",
            path.to_str().unwrap(),
            "config",
            "check",
        ])
        .await;
        res.unwrap();
        assert!(out.starts_with("# meetflow configuration OK"), "{out}");
        assert!(!out.contains("xkeysib-very-secret"));
        assert!(
            out.contains("api_key: '***'") || out.contains("api_key: \"***\""),
            "{out}"
        );
        assert!(
            out.contains("# warning: meetflow-ingest would refuse to start"),
            "{out}"
        );
    }

    #[tokio::test]
    async fn check_fails_with_one_line_naming_the_key() {
        let path = temp_config("typo", "connectors:\n  calendly:\n    tolerence: 3m\n");
        let (res, out) = run_args(&[
            "meetflow-admin",
            "--config",
            path.to_str().unwrap(),
            "config",
            "check",
        ])
        .await;
        let line = crate::one_line(&res.unwrap_err());
        assert!(
            line.starts_with("config error at connectors.calendly.tolerence: unknown field"),
            "{line}"
        );
        assert!(out.is_empty());
        let path = temp_config("role", "");
        let args = [
            "meetflow-admin",
            "--config",
            path.to_str().unwrap(),
            "config",
            "check",
            "--for",
            "ingest",
        ];
        let line = crate::one_line(&run_args(&args).await.0.unwrap_err());
        assert!(line.contains("connectors.calendly.signing_key"), "{line}");
    }

    #[test]
    fn bad_usage_is_a_clap_error() {
        let err = Cli::try_parse_from(["meetflow-admin", "config", "chek"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = Cli::try_parse_from(["meetflow-admin", "config", "check", "--for", "nobody"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
