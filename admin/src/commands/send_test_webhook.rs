//! `meetflow-admin send-test-webhook calendly|zoom EVENT [--url URL]`: signs a realistic sample
//! delivery with the configured key (Calendly `t=..,v1=..`, Zoom `v0=..` with its timestamp
//! header) and posts it to the ingest, so an operator can prove a setup end to end. The default
//! URL is `http://<ingest.listen>/webhooks/<provider>` (a wildcard address becomes loopback).
//!
//! Every event meetflow handles can be sent ([`crate::samples`]); `reschedule` sends Calendly's
//! pair (`invitee.canceled` with `rescheduled: true`, then `invitee.created`). With
//! `--sandbox URL` (`MEETFLOW_SANDBOX_URL`, written by `scripts/run-local.sh`), the samples come
//! from `meetflow-admin sandbox`, which keeps the bookings they tell of and serves them from its
//! Calendly and Zoom APIs: the event canceled is the booking made before, the Zoom meeting that
//! ends is its meeting, and its participants include the invitee.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::dead::shorten;
use crate::samples::{self, CALENDLY_EVENTS, Scene, ZOOM_EVENTS};
use crate::{Ctx, Out};

/// Which provider to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WebhookProvider {
    /// Calendly (Calendly-Webhook-Signature).
    Calendly,
    /// Zoom (x-zm-signature, x-zm-request-timestamp).
    Zoom,
}

/// `meetflow-admin send-test-webhook`.
#[derive(Debug, Args)]
pub struct SendTestWebhookCommand {
    /// The provider.
    pub provider: WebhookProvider,
    /// The event: invitee.created, invitee.canceled, reschedule (the pair),
    /// invitee_no_show.created, invitee_no_show.deleted, routing_form_submission.created
    /// (Calendly); meeting.started, meeting.ended, meeting.participant_joined,
    /// meeting.participant_left, webinar.ended, webinar.participant_joined,
    /// webinar.registration_created, recording.completed, endpoint.url_validation (Zoom).
    pub event: String,
    /// Where to post (default: the ingest from the configuration).
    #[arg(long)]
    pub url: Option<String>,
    /// A running `meetflow-admin sandbox` (`http://HOST:PORT`) that makes the sample, about the
    /// bookings it serves from its Calendly and Zoom APIs.
    #[arg(long, env = "MEETFLOW_SANDBOX_URL", value_name = "URL")]
    pub sandbox: Option<String>,
}

/// The deliveries of `event` from the sandbox at `base` (`POST /sandbox/webhooks/P/E`).
async fn from_sandbox(
    http: &reqwest::Client,
    base: &str,
    provider: &str,
    event: &str,
) -> anyhow::Result<Option<Vec<serde_json::Value>>> {
    let url = format!(
        "{}/sandbox/webhooks/{provider}/{event}",
        base.trim_end_matches('/')
    );
    let resp = http
        .post(&url)
        .send()
        .await
        .with_context(|| format!("POST {url} (the sandbox)"))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !resp.status().is_success() {
        bail!("the sandbox answered {}", resp.status());
    }
    let v: serde_json::Value = resp.json().await.context("the sandbox's sample")?;
    Ok(v["deliveries"].as_array().cloned())
}

fn hmac_hex(key: &str, msg: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

/// `t=<t>,v1=hex(HMAC-SHA256(key, "<t>.<body>"))`.
pub fn calendly_signature(key: &str, t: i64, body: &[u8]) -> String {
    let mut msg = format!("{t}.").into_bytes();
    msg.extend_from_slice(body);
    format!("t={t},v1={}", hmac_hex(key, &msg))
}

/// `v0=hex(HMAC-SHA256(secret, "v0:<ts>:<body>"))`.
pub fn zoom_signature(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut msg = format!("v0:{ts}:").into_bytes();
    msg.extend_from_slice(body);
    format!("v0={}", hmac_hex(secret, &msg))
}

/// `http://<listen>/webhooks/<provider>`, with a wildcard address replaced by loopback.
pub fn default_url(listen: SocketAddr, provider: &str) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!(
        "http://{}/webhooks/{provider}",
        SocketAddr::new(ip, listen.port())
    )
}

impl SendTestWebhookCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &Ctx, out: &mut Out) -> anyhow::Result<()> {
        let settings = ctx.settings()?;
        let now = chrono::Utc::now();
        let ts = now.timestamp();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("http client")?;
        let (name, known) = match self.provider {
            WebhookProvider::Calendly => ("calendly", CALENDLY_EVENTS),
            WebhookProvider::Zoom => ("zoom", ZOOM_EVENTS),
        };
        let deliveries = match &self.sandbox {
            Some(base) => from_sandbox(&http, base, name, &self.event).await?,
            None => {
                let scene = &mut Scene::default();
                match self.provider {
                    WebhookProvider::Calendly => {
                        samples::calendly::calendly(&self.event, now, scene)
                    }
                    WebhookProvider::Zoom => samples::zoom::zoom(&self.event, now, scene),
                }
            }
        };
        let Some(deliveries) = deliveries else {
            bail!(
                "unknown {name} event {:?}; try one of: {}",
                self.event,
                known.join(", ")
            );
        };
        let url = self
            .url
            .clone()
            .unwrap_or_else(|| default_url(settings.ingest.listen, name));
        for sample in &deliveries {
            self.post(&settings, &http, &url, sample, ts, out).await?;
        }
        Ok(())
    }

    /// Signs and posts one delivery.
    async fn post(
        &self,
        settings: &meetflow_shared::config::Settings,
        http: &reqwest::Client,
        url: &str,
        sample: &serde_json::Value,
        ts: i64,
        out: &mut Out,
    ) -> anyhow::Result<()> {
        let body = serde_json::to_vec(sample)?;
        let mut request = http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "meetflow-admin send-test-webhook");
        let mut secret = None;
        match self.provider {
            WebhookProvider::Calendly => match &settings.connectors.calendly.signing_key {
                Some(key) => {
                    let sig = calendly_signature(key.expose_secret(), ts, &body);
                    request = request.header("calendly-webhook-signature", sig);
                }
                None if settings.connectors.calendly.allow_unsigned => {
                    writeln!(
                        out,
                        "note: no connectors.calendly.signing_key; sending unsigned"
                    )?;
                }
                None => bail!(
                    "connectors.calendly.signing_key is not set (CALENDLY_WEBHOOK_SIGNING_KEY); cannot sign"
                ),
            },
            WebhookProvider::Zoom => {
                let Some(s) = &settings.connectors.zoom.webhook_secret else {
                    bail!(
                        "connectors.zoom.webhook_secret is not set (ZOOM_WEBHOOK_SECRET); cannot sign"
                    );
                };
                let s = s.expose_secret().to_owned();
                request = request
                    .header("x-zm-signature", zoom_signature(&s, ts, &body))
                    .header("x-zm-request-timestamp", ts.to_string())
                    .header("x-zm-request-id", uuid::Uuid::new_v4().to_string());
                secret = Some(s);
            }
        }
        let resp = request
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let id = &sample["payload"]["object"]["id"];
        let subject = match (sample["payload"]["uri"].as_str(), id.as_str()) {
            (Some(uri), _) => uri.to_owned(),
            (None, Some(id)) => id.to_owned(),
            (None, None) if id.is_number() => id.to_string(),
            (None, None) => "-".to_owned(),
        };
        let event = sample["event"].as_str().unwrap_or(&self.event);
        writeln!(out, "POST {url} {event} ({subject}) -> {status}")?;
        if !status.is_success() {
            bail!("ingest answered {status}: {}", shorten(text.trim(), 200));
        }
        if self.event == "endpoint.url_validation"
            && let Some(secret) = secret
        {
            let answer: serde_json::Value =
                serde_json::from_str(&text).context("challenge answer is not JSON")?;
            let plain = sample["payload"]["plainToken"].as_str().unwrap_or_default();
            if answer["encryptedToken"].as_str()
                != Some(hmac_hex(&secret, plain.as_bytes()).as_str())
            {
                bail!("the challenge answer does not match connectors.zoom.webhook_secret");
            }
            writeln!(out, "challenge answered correctly")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_documented_vectors() {
        // hex(HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")).
        assert_eq!(
            hmac_hex("key", b"The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        let c = calendly_signature("k", 1_767_225_600, b"{}");
        assert_eq!(
            c,
            format!("t=1767225600,v1={}", hmac_hex("k", b"1767225600.{}"))
        );
        let z = zoom_signature("s", 1_767_225_600, b"{}");
        assert_eq!(z, format!("v0={}", hmac_hex("s", b"v0:1767225600:{}")));
    }

    #[test]
    fn default_url_points_at_loopback_for_wildcards() {
        let any: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
        assert_eq!(
            default_url(any, "zoom"),
            "http://127.0.0.1:8080/webhooks/zoom"
        );
        let v6: SocketAddr = "[::]:9000".parse().expect("addr");
        assert_eq!(
            default_url(v6, "calendly"),
            "http://[::1]:9000/webhooks/calendly"
        );
    }
}
