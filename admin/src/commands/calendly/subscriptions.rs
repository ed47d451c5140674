//! Webhook subscriptions: create one (with a fresh signing key, refusing duplicates), list them
//! with their state, delete one.
//!
//! Both scopes are read when looking for duplicates or listing: an organization subscription
//! and a user subscription to the same URL would deliver every booking twice. A token that may
//! not read the organization scope (403) still gets its user scope listed, with a note.

use anyhow::{anyhow, bail};
use meetflow_shared::providers::calendly_api::{
    CalendlyUser, NewWebhookSubscription, WebhookSubscription,
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use super::{Api, ScopeArg, SubscribeArgs, SubscriptionsArgs, UnsubscribeArgs, explain};
use crate::Out;
use crate::table::Table;

/// Random bytes in a generated signing key (hex-encoded: 64 URL-safe characters).
const SIGNING_KEY_BYTES: usize = 32;

/// A fresh random signing key: 32 bytes from the OS-seeded CSPRNG, hex-encoded.
fn new_signing_key() -> SecretString {
    let mut bytes = [0u8; SIGNING_KEY_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(hex::encode(bytes))
}

/// Whether two callback URLs are the same endpoint (trailing `/` and letter case ignored).
fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// The subscriptions of the given scopes (both when `None`); scopes the token may not read
/// (403) are skipped and named in the returned notes.
async fn read_all(
    api: &Api,
    me: &CalendlyUser,
    only: Option<ScopeArg>,
) -> anyhow::Result<(Vec<WebhookSubscription>, Vec<String>)> {
    let scopes = match only {
        Some(s) => vec![s],
        None => vec![ScopeArg::Organization, ScopeArg::User],
    };
    let mut all = Vec::new();
    let mut notes = Vec::new();
    for s in scopes {
        let scope = s.scope(me);
        match api.client.list_webhook_subscriptions(&scope).await {
            Ok(subs) => all.extend(subs),
            Err(e) if e.status == Some(403) && only.is_none() => notes.push(format!(
                "{} scope not listed: this token may not read it ({})",
                scope.as_str(),
                e.message
            )),
            Err(e) => return Err(explain(e)),
        }
    }
    Ok((all, notes))
}

/// `calendly subscribe`.
pub(super) async fn subscribe(api: &Api, args: SubscribeArgs, out: &mut Out) -> anyhow::Result<()> {
    let url = reqwest::Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| anyhow!("--url {:?} is not an http(s) URL", args.url))?;
    let url = url.to_string();
    let mut seen = std::collections::HashSet::new();
    let mut events = args.events;
    events.retain(|e| seen.insert(e.clone()));
    let me = api.me().await?;
    let (existing, notes) = read_all(api, &me, None).await?;
    if let Some(s) = existing.iter().find(|s| same_url(&s.callback_url, &url)) {
        let state = s.state.as_deref().unwrap_or("unknown");
        if state == "disabled" {
            bail!(
                "a subscription for {url} exists but is disabled (Calendly stopped delivering after 24 h of failures): run `meetflow-admin calendly unsubscribe {}` then subscribe again",
                s.uri
            );
        }
        bail!(
            "a subscription for {url} already exists ({}, {state}); not creating a duplicate (to replace it: `meetflow-admin calendly unsubscribe {}`, then subscribe again)",
            s.uri,
            s.uri
        );
    }
    for note in notes {
        writeln!(out, "note: {note}")?;
    }
    if !url.trim_end_matches('/').ends_with("/webhooks/calendly") {
        writeln!(
            out,
            "note: meetflow-ingest receives Calendly deliveries on /webhooks/calendly; {url} does not end with it"
        )?;
    }
    let key = new_signing_key();
    let new = NewWebhookSubscription {
        url: url.clone(),
        events,
        scope: args.scope.scope(&me),
        signing_key: Some(key.clone()),
    };
    let created = match api.client.create_webhook_subscription(&new).await {
        Ok(s) => s,
        Err(e) if e.status == Some(409) => bail!(
            "Calendly already has a subscription for {url} ({}); see `meetflow-admin calendly subscriptions`",
            e.message
        ),
        Err(e) => return Err(explain(e)),
    };
    let key = key.expose_secret();
    writeln!(
        out,
        "Created Calendly webhook subscription ({} scope)\n  uri:      {}\n  callback: {}\n  state:    {}\n  events:   {}\n",
        created.scope.as_deref().unwrap_or(new.scope.as_str()),
        created.uri,
        created.callback_url,
        created.state.as_deref().unwrap_or("-"),
        created.events.join(", "),
    )?;
    writeln!(
        out,
        "Signing key (shown only now; Calendly never shows it again). Put it in the config file:\n  connectors.calendly.signing_key: {key}\nor in the environment of meetflow-ingest:\n  CALENDLY_WEBHOOK_SIGNING_KEY={key}\n\nThen restart meetflow-ingest and try it: meetflow-admin send-test-webhook calendly invitee.created"
    )?;
    Ok(())
}

/// `calendly subscriptions`.
pub(super) async fn list(api: &Api, args: SubscriptionsArgs, out: &mut Out) -> anyhow::Result<()> {
    let me = api.me().await?;
    let (subs, notes) = read_all(api, &me, args.scope).await?;
    if args.json {
        let rows: Vec<serde_json::Value> = subs
            .iter()
            .map(|s| {
                serde_json::json!({
                    "uri": s.uri, "callback_url": s.callback_url, "state": s.state,
                    "events": s.events, "scope": s.scope, "organization": s.organization,
                    "user": s.user, "retry_started_at": s.retry_started_at,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    for note in &notes {
        writeln!(out, "note: {note}")?;
    }
    if subs.is_empty() {
        writeln!(
            out,
            "no webhook subscriptions; create one: meetflow-admin calendly subscribe --url https://<your host>/webhooks/calendly"
        )?;
        return Ok(());
    }
    let mut table = Table::new(&["URI", "CALLBACK URL", "STATE", "EVENTS", "SCOPE"]);
    for s in &subs {
        table.row(vec![
            s.uri.clone(),
            s.callback_url.clone(),
            s.state.clone().unwrap_or_else(|| "-".into()),
            s.events.join(","),
            s.scope.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    write!(out, "{}", table.render())?;
    for s in subs
        .iter()
        .filter(|s| s.state.as_deref() == Some("disabled"))
    {
        writeln!(
            out,
            "disabled: {} (Calendly stopped delivering after 24 h of failures); recreate it: meetflow-admin calendly unsubscribe {} && meetflow-admin calendly subscribe --url {}",
            s.uri, s.uri, s.callback_url
        )?;
    }
    Ok(())
}

/// `calendly unsubscribe`.
pub(super) async fn unsubscribe(
    api: &Api,
    args: UnsubscribeArgs,
    out: &mut Out,
) -> anyhow::Result<()> {
    let uri = args.uri.trim();
    if uri.is_empty() {
        bail!("give the subscription's URI, as `meetflow-admin calendly subscriptions` shows it");
    }
    match api.client.delete_webhook_subscription(uri).await {
        Ok(()) => {
            writeln!(out, "Deleted {uri}")?;
            Ok(())
        }
        Err(e) if e.status == Some(404) => bail!(
            "no webhook subscription {uri} (already deleted?); see `meetflow-admin calendly subscriptions`"
        ),
        Err(e) => Err(explain(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_keys_are_long_random_and_url_safe() {
        let a = new_signing_key();
        let b = new_signing_key();
        assert_eq!(a.expose_secret().len(), 2 * SIGNING_KEY_BYTES);
        assert!(a.expose_secret().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn urls_match_ignoring_trailing_slash_and_case() {
        assert!(same_url(
            "https://Hooks.example.com/webhooks/calendly/",
            "https://hooks.example.com/webhooks/calendly"
        ));
        assert!(!same_url(
            "https://hooks.example.com/webhooks/calendly",
            "https://other.example.com/webhooks/calendly"
        ));
    }
}
