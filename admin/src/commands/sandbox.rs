//! `meetflow-admin sandbox [--listen ADDR] [--record PATH] [--callback-url URL
//! --callback-secret S [--fail-share F]] [--calendly-webhook-url URL --calendly-signing-key K]`: fake Brevo, EngageLab, Calendly and Zoom endpoints
//! that record each call and, with a callback URL, post EngageLab's delivery callbacks (see
//! [`crate::sandbox`]). Runs until SIGINT/SIGTERM, then exits 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use meetflow_shared::shutdown::Shutdown;

use crate::sandbox::Callbacks;

use crate::{Ctx, Out};

/// `meetflow-admin sandbox`.
#[derive(Debug, Args)]
pub struct SandboxCommand {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub listen: SocketAddr,
    /// File every call is appended to, one JSON line each (also printed on stdout).
    #[arg(long, default_value = ".meetflow/sandbox.jsonl", value_name = "PATH")]
    pub record: PathBuf,
    /// Post signed EngageLab delivery callbacks for every accepted SMS to this URL (ingest's
    /// `http://HOST:PORT/webhooks/engagelab`).
    #[arg(long, value_name = "URL")]
    pub callback_url: Option<String>,
    /// The callback secret they are signed with (`engagelab.callback_secret`).
    #[arg(
        long,
        env = "ENGAGELAB_CALLBACK_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub callback_secret: Option<String>,
    /// The callback username (`engagelab.callback_username`).
    #[arg(
        long,
        env = "ENGAGELAB_CALLBACK_USERNAME",
        default_value = "",
        value_name = "NAME"
    )]
    pub callback_username: String,
    /// Share of SMS reported `delivered_failed` instead of `delivered` (0 to 1).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE", value_parser = share)]
    pub fail_share: f64,
    /// Its Calendly API has a webhook subscription to this URL (ingest's
    /// `http://HOST:PORT/webhooks/calendly`): a no-show marked or removed through it is posted
    /// there as `invitee_no_show.created` / `.deleted`.
    #[arg(long, value_name = "URL", requires = "calendly_signing_key")]
    pub calendly_webhook_url: Option<String>,
    /// The key those webhooks are signed with (`connectors.calendly.signing_key`).
    #[arg(
        long,
        env = "CALENDLY_WEBHOOK_SIGNING_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub calendly_signing_key: Option<String>,
    /// Pause before each delivery callback, in milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub callback_delay_ms: u64,
}

fn share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{text}` is not a share between 0 and 1")),
    }
}

impl SandboxCommand {
    /// Runs the sandbox until a stop signal.
    pub async fn run(self, _ctx: &Ctx, _out: &mut Out) -> anyhow::Result<()> {
        let shutdown = Shutdown::on_signal();
        let callbacks = match (&self.callback_url, &self.callback_secret) {
            (None, _) => None,
            (Some(_), None) => anyhow::bail!(
                "--callback-url needs --callback-secret (or ENGAGELAB_CALLBACK_SECRET)"
            ),
            (Some(url), Some(secret)) => Some(Callbacks {
                url: url.clone(),
                secret: secret.clone(),
                username: self.callback_username.clone(),
                fail_share: self.fail_share,
                delay: Duration::from_millis(self.callback_delay_ms),
            }),
        };
        if let Some(cb) = &callbacks {
            eprintln!(
                "meetflow sandbox: posting delivery callbacks to {} ({:.0}% delivered_failed)",
                cb.url,
                cb.fail_share * 100.0
            );
        }
        let (addr, task) = crate::sandbox::serve(
            self.listen,
            self.record.clone(),
            callbacks,
            self.calendly_webhook_url
                .clone()
                .zip(self.calendly_signing_key.clone()),
            shutdown.wait(),
        )
        .await?;
        eprintln!(
            "meetflow sandbox on http://{addr}: brevo.base_url http://{addr}/v3, engagelab.base_url http://{addr}/v1, connectors.calendly.api_base_url http://{addr}, connectors.zoom.api_base_url http://{addr}/v2 and oauth_base_url http://{addr}; send-test-webhook --sandbox http://{addr}; recording every call to {} and stdout",
            self.record.display()
        );
        task.await??;
        Ok(())
    }
}
