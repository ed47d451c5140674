//! `meetflow-admin zoom check`: proves the Zoom Server-to-Server OAuth app works before any
//! webhook arrives, and says how to finish the setup in Zoom's Marketplace.
//!
//! It asks Zoom for a fresh token with `connectors.zoom.account_id/client_id/client_secret`
//! (through the same [`ZoomAuth`] the worker uses), calls one cheap endpoint (`GET /users/me`),
//! then prints the webhook URL to configure in the app and the events to enable. The token is
//! cached under a key of its own and deleted afterwards, so a token the workers already hold can
//! neither hide bad credentials nor be disturbed. Zoom's refusal is reported with its reason
//! (`Invalid client_id or client_secret`, `Account does not exist`, ...) on one line. While the
//! catch-up sweep is on (`connectors.zoom.sweep_every`), it also makes each of the sweep's calls
//! once for today and fails, naming Zoom's reason, when one is refused: a missing scope would
//! otherwise only show as a failing sweep an hour later.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use meetflow_shared::domain::redact;
use meetflow_shared::providers::ProviderError;
use meetflow_shared::providers::zoom_api::{ZoomAuth, ZoomClient, ZoomCredentials};
use secrecy::SecretString;

use super::send_test_webhook::default_url;
use crate::backend::Backend;
use crate::{Ctx, Out};

/// Bound on each Zoom call.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// The webhook events meetflow handles; enable these in the Zoom app's Event Subscriptions.
pub const ZOOM_EVENTS: [&str; 7] = [
    "meeting.ended",
    "webinar.ended",
    "meeting.participant_joined",
    "webinar.participant_joined",
    "webinar.registration_created",
    "recording.completed",
    "endpoint.url_validation",
];

/// `meetflow-admin zoom ...`.
#[derive(Debug, Subcommand)]
pub enum ZoomCommand {
    /// Check the Server-to-Server OAuth credentials (token + GET /users/me) and, while the
    /// catch-up sweep is on, the scopes of its calls; print the webhook URL and the events to
    /// enable in the Zoom app.
    Check(CheckArgs),
}

/// `zoom check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The public URL of meetflow-ingest's Zoom route (default: derived from ingest.listen).
    #[arg(long)]
    pub url: Option<String>,
}

impl ZoomCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        match self {
            Self::Check(args) => check(ctx, args, out).await,
        }
    }
}

/// A configured secret, or a line naming the key and its environment variable.
fn required(value: Option<&SecretString>, key: &str, env: &str) -> anyhow::Result<SecretString> {
    value
        .cloned()
        .ok_or_else(|| anyhow!("connectors.zoom.{key} is not set ({env}); copy it from the Server-to-Server OAuth app's App Credentials page"))
}

async fn check(ctx: &Ctx, args: CheckArgs, out: &mut Out) -> anyhow::Result<()> {
    let settings = ctx.settings()?;
    let z = &settings.connectors.zoom;
    let credentials = ZoomCredentials {
        account_id: required(z.account_id.as_ref(), "account_id", "ZOOM_ACCOUNT_ID")?,
        client_id: required(z.client_id.as_ref(), "client_id", "ZOOM_CLIENT_ID")?,
        client_secret: required(
            z.client_secret.as_ref(),
            "client_secret",
            "ZOOM_CLIENT_SECRET",
        )?,
    };
    let oauth = reqwest::Url::parse(&z.oauth_base_url)
        .context("connectors.zoom.oauth_base_url is not a URL")?;
    let api = reqwest::Url::parse(&z.api_base_url)
        .context("connectors.zoom.api_base_url is not a URL")?;
    let redis = Backend::client(&settings)
        .await
        .context("zoom check keeps the token in Redis, as the worker does")?;
    // A key of its own: a token cached by the workers must not make bad credentials look good.
    let check_id = uuid::Uuid::new_v4().simple().to_string();
    let redis = redis
        .handle()
        .with_keys(redis.keys().scratch("zoom-check", &check_id));
    let auth = ZoomAuth::new(oauth, &credentials, &redis, CALL_TIMEOUT).map_err(explain)?;
    let token = auth.token().await.map_err(explain)?;
    let client = ZoomClient::new(api, auth.clone());
    let me = client.users_me().await;
    let sweep = match (&me, z.sweep_every) {
        (Ok(me), Some(_)) => Some(sweep_refusals(&client, &me.id).await),
        _ => None,
    };
    // Best effort: the key would expire on its own a minute before the token does.
    let _ = auth.invalidate(&token).await;
    let me = me.map_err(explain)?;
    writeln!(
        out,
        "OK: Zoom accepted the Server-to-Server credentials (account {}, acting as user {} {})",
        if me.account_id.is_empty() {
            "-"
        } else {
            &me.account_id
        },
        me.id,
        redact::email(&me.email)
    )?;
    let url = match args.url {
        Some(u) => {
            let parsed = reqwest::Url::parse(&u)
                .ok()
                .filter(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
            if parsed.is_none() {
                bail!("--url {u:?} is not an http(s) URL");
            }
            if !u.trim_end_matches('/').ends_with("/webhooks/zoom") {
                writeln!(
                    out,
                    "note: meetflow-ingest receives Zoom deliveries on /webhooks/zoom; {u} does not end with it"
                )?;
            }
            u
        }
        None => {
            let u = default_url(settings.ingest.listen, "zoom");
            writeln!(
                out,
                "note: {u} is derived from ingest.listen; Zoom needs the public https address that reaches it (pass --url)"
            )?;
            u
        }
    };
    writeln!(
        out,
        "\nIn the Zoom app (Marketplace > your app > Features > Access > Event Subscriptions):\n  Event notification endpoint URL: {url}\n  Events to enable:"
    )?;
    for e in ZOOM_EVENTS {
        writeln!(out, "    {e}")?;
    }
    let secret = if z.webhook_secret.is_some() {
        "set"
    } else {
        "NOT SET: copy the app's Secret Token into ZOOM_WEBHOOK_SECRET before validating the URL"
    };
    writeln!(
        out,
        "  Secret Token -> connectors.zoom.webhook_secret (ZOOM_WEBHOOK_SECRET): {secret}"
    )?;
    match sweep {
        None => writeln!(
            out,
            "\nThe catch-up sweep is off (connectors.zoom.sweep_every): its calls were not checked"
        )?,
        Some(refusals) if refusals.is_empty() => writeln!(
            out,
            "\nOK: Zoom accepted the catch-up sweep's calls (GET /users, the past meetings report, cloud recordings)"
        )?,
        Some(refusals) => bail!(
            "the catch-up sweep (connectors.zoom.sweep_every) would fail: {}; add the scopes Zoom names in the app (Marketplace > your app > Scopes), or turn the sweep off (connectors.zoom.sweep_every: null)",
            refusals.join("; ")
        ),
    }
    Ok(())
}

/// Makes each call of the catch-up sweep once, for today, as the acting user `user_id`, and
/// returns a line per refusal with Zoom's reason (a missing scope is code 4711 and names the
/// scope; a plan without reports is code 200). A sweep that cannot make these calls fails every
/// tick, so the check says so at setup.
async fn sweep_refusals(client: &ZoomClient, user_id: &str) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    let mut refusals = Vec::new();
    let mut note = |call: &str, result: Result<(), ProviderError>| {
        if let Err(e) = result {
            refusals.push(format!("{call}: {}", one_line(&e)));
        }
    };
    note("GET /users", client.users().await.map(drop));
    let report = client.ended_meetings(user_id, today, today).await;
    note("GET /report/users/{id}/meetings", report.map(drop));
    let recordings = client.recordings(user_id, today, today).await;
    note("GET /users/{id}/recordings", recordings.map(drop));
    refusals
}

/// Zoom's reason with its status and code, on one line.
fn one_line(e: &ProviderError) -> String {
    match e.status {
        Some(_) => format!("{} ({})", reason(e), status_and_code(e)),
        None => format!("no answer: {}", e.message),
    }
}

/// `HTTP 400, 4711`: the status and Zoom's code, as far as known.
fn status_and_code(e: &ProviderError) -> String {
    let status = e.status.map_or_else(String::new, |s| format!("HTTP {s}"));
    let code = e
        .code
        .as_deref()
        .map_or_else(String::new, |c| format!(", {c}"));
    format!("{status}{code}")
}

/// Zoom's message, or that it gave none.
fn reason(e: &ProviderError) -> String {
    if e.message.is_empty() {
        "no reason given".to_owned()
    } else {
        e.message.clone()
    }
}

/// A Zoom failure as one line with Zoom's own reason.
fn explain(e: ProviderError) -> anyhow::Error {
    let (why, detail) = (reason(&e), status_and_code(&e));
    match (e.operation, e.status) {
        ("fetch access token", Some(_)) => anyhow!(
            "Zoom rejected the Server-to-Server credentials: {why} ({detail}); check connectors.zoom.account_id, client_id and client_secret, and that the app is activated"
        ),
        ("users me", Some(400 | 401 | 403)) => anyhow!(
            "Zoom issued a token but refused GET /users/me: {why} ({detail}); the app may lack a user read scope (user:read:user:admin)"
        ),
        _ => anyhow!(e),
    }
}
