//! `meetflow-admin calendly ...` and `zoom check`, the one-command setup verbs, run as a process
//! against the fake Calendly API and the fake Zoom over real HTTP.

use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use meetflow_shared::providers::calendly_api::CalendlyClient;
use meetflow_shared::providers::zoom_api::{ZoomAuth, ZoomCredentials};
use meetflow_shared::queue::Keys;
use meetflow_tests::fakes::{
    DEFAULT_EVENT_TYPE_URI, EventSeed, FakeCalendlyApi, FakeZoom, InviteeSeed,
};
use meetflow_tests::signing::calendly_signature;

use crate::admin_support::{Admin, NS, admin_binary, ok, run};

/// `meetflow-admin` with no config but the fake Calendly API and its token (no Redis needed).
fn calendly(fake: &FakeCalendlyApi, token: &str) -> Command {
    let mut cmd = Command::new(admin_binary());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("MEETFLOW") {
            cmd.env_remove(k);
        }
    }
    cmd.env(
        "MEETFLOW__CONNECTORS__CALENDLY__API_BASE_URL",
        fake.base_url(),
    )
    .env("MEETFLOW__CONNECTORS__CALENDLY__ACCESS_TOKEN", token)
    .env("RUST_LOG", "warn")
    .env("NO_COLOR", "1");
    cmd
}

async fn cal(fake: &FakeCalendlyApi, args: &[&str]) -> Output {
    let mut cmd = calendly(fake, &fake.access_token());
    cmd.args(args);
    run(cmd).await
}

/// Stderr of a run that failed with exit 1 and exactly one line.
fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    err
}

fn posts_to_subscriptions(fake: &FakeCalendlyApi) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/webhook_subscriptions")
        .count()
}

/// What `subscribe` printed after `connectors.calendly.signing_key: `.
fn printed_key(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("connectors.calendly.signing_key: "))
        .expect("config line");
    line.trim().to_owned()
}

/// Signature header and body of each delivery received.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A receiver standing in for meetflow-ingest: keeps each delivery's signature header and body.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = Router::new().route(
        "/webhooks/calendly",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let sig = headers
                    .get("calendly-webhook-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((sig, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/webhooks/calendly",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn admin_setup_calendly_subscribe_prints_the_key_calendly_signs_with_and_refuses_a_duplicate()
{
    let fake = FakeCalendlyApi::start().await.unwrap();
    let (url, got) = receiver().await;
    let out = cal(&fake, &["calendly", "subscribe", "--url", &url]).await;
    let stdout = ok(&out);
    let key = printed_key(&stdout);
    assert!(
        key.len() >= 43
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{key}"
    );
    assert!(
        stdout.contains(&format!("CALENDLY_WEBHOOK_SIGNING_KEY={key}")),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches(&key).count(),
        2,
        "the key is printed once, in its two forms: {stdout}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&key));
    let subs = fake.subscriptions();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["callback_url"], url.as_str());
    assert_eq!(subs[0]["scope"], "organization");
    assert_eq!(subs[0]["state"], "active");
    assert_eq!(
        subs[0]["events"],
        serde_json::json!([
            "invitee.created",
            "invitee.canceled",
            "invitee_no_show.created",
            "invitee_no_show.deleted"
        ])
    );
    assert!(stdout.contains(subs[0]["uri"].as_str().unwrap()));

    // Calendly signs deliveries to that subscription with exactly the printed key.
    let event = fake.add_event(EventSeed::new(
        "2026-05-04T17:00:00.000000Z",
        "2026-05-04T17:30:00.000000Z",
    ));
    let invitee = fake.add_invitee(&event, InviteeSeed::new("ana@example.com", "Ana Lima"));
    let api = CalendlyClient::new(
        fake.base_url().parse().unwrap(),
        fake.access_token().into(),
        Duration::from_secs(5),
    )
    .unwrap();
    api.create_invitee_no_show(&invitee).await.unwrap();
    let delivered = fake.wait_for_deliveries(1, Duration::from_secs(5)).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].status, Some(200));
    let (sig, body) = got.lock().unwrap()[0].clone();
    let t: i64 = sig
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(sig, calendly_signature(&key, t, &body));

    // Same URL again (with a trailing slash): refused before any POST, nothing created.
    let again = cal(
        &fake,
        &[
            "calendly",
            "subscribe",
            "--url",
            &format!("{url}/"),
            "--scope",
            "user",
        ],
    )
    .await;
    let err = failed(&again);
    assert!(
        err.contains("already exists") && err.contains(subs[0]["uri"].as_str().unwrap()),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&again.stdout).contains("signing_key"));
    assert_eq!(fake.subscriptions().len(), 1);
    assert_eq!(posts_to_subscriptions(&fake), 1);
}

#[tokio::test]
async fn admin_setup_calendly_subscriptions_show_state_and_unsubscribe_removes() {
    let fake = FakeCalendlyApi::start().await.unwrap();
    let empty = ok(&cal(&fake, &["calendly", "subscriptions"]).await);
    assert!(empty.contains("no webhook subscriptions"), "{empty}");
    let url = "https://hooks.example.com/webhooks/calendly";
    ok(&cal(
        &fake,
        &[
            "calendly",
            "subscribe",
            "--url",
            url,
            "--scope",
            "user",
            "--events",
            "invitee.created,invitee.canceled",
        ],
    )
    .await);
    let uri = fake.subscriptions()[0]["uri"].as_str().unwrap().to_owned();
    assert_eq!(fake.subscriptions()[0]["scope"], "user");

    let table = ok(&cal(&fake, &["calendly", "subscriptions"]).await);
    let row = table
        .lines()
        .find(|l| l.starts_with(&uri))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        row.contains(url)
            && row.contains("active")
            && row.contains("invitee.created,invitee.canceled")
            && row.contains("user"),
        "{row}"
    );

    // Calendly disabled it (24 h of failures): listed as such, and subscribe says what to do.
    assert!(fake.disable_subscription(&uri));
    let table = ok(&cal(&fake, &["calendly", "subscriptions"]).await);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&uri) && l.contains("disabled")),
        "{table}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &cal(&fake, &["calendly", "subscriptions", "--json"])
            .await
            .stdout,
    )
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["state"], "disabled");
    assert_eq!(json[0]["callback_url"], url);
    let err = failed(&cal(&fake, &["calendly", "subscribe", "--url", url]).await);
    assert!(
        err.contains("disabled") && err.contains(&format!("unsubscribe {uri}")),
        "{err}"
    );

    let out = ok(&cal(&fake, &["calendly", "unsubscribe", &uri]).await);
    assert!(out.contains(&uri));
    assert!(fake.subscriptions().is_empty());
    let err = failed(&cal(&fake, &["calendly", "unsubscribe", &uri]).await);
    assert!(err.contains("no webhook subscription"), "{err}");
    ok(&cal(&fake, &["calendly", "subscribe", "--url", url]).await);
    assert_eq!(fake.subscriptions().len(), 1);
}

#[tokio::test]
async fn admin_setup_calendly_refusals_are_one_clear_line() {
    let fake = FakeCalendlyApi::start().await.unwrap();
    fake.set_free_plan(true);
    let url = "https://hooks.example.com/webhooks/calendly";
    let out = cal(&fake, &["calendly", "subscribe", "--url", url]).await;
    let err = failed(&out);
    assert!(
        err.contains("Calendly webhooks need a paid plan (Standard or above)"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("signing_key"));
    assert!(fake.subscriptions().is_empty());

    let mut cmd = calendly(&fake, "wrong-token-0123456789");
    cmd.args(["calendly", "subscriptions"]);
    let out = run(cmd).await;
    let err = failed(&out);
    assert!(
        err.contains("access token rejected") && !err.contains("wrong-token"),
        "{err}"
    );

    let mut cmd = calendly(&fake, "x");
    cmd.env_remove("MEETFLOW__CONNECTORS__CALENDLY__ACCESS_TOKEN")
        .args(["calendly", "event-types"]);
    let err = failed(&run(cmd).await);
    assert!(
        err.contains("connectors.calendly.access_token is not set"),
        "{err}"
    );

    for bad in [
        vec!["calendly", "subscribe"],
        vec!["calendly", "subscribe", "--url", url, "--scope", "group"],
        vec![
            "calendly",
            "subscribe",
            "--url",
            url,
            "--events",
            "invitee.created,invitee.bogus",
        ],
    ] {
        assert_eq!(cal(&fake, &bad).await.status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(posts_to_subscriptions(&fake), 1);
}

#[tokio::test]
async fn admin_setup_calendly_event_types_print_a_mapping_block_the_config_accepts() {
    let fake = FakeCalendlyApi::start().await.unwrap();
    let discovery = fake.add_event_type("Discovery Call", "discovery-call");
    let dir = tempfile_dir();
    let config = dir.join("meetflow.yaml");
    std::fs::write(&config, format!("connectors:\n  calendly:\n    event_mapping:\n      demo: {{ event_type_uri: \"{DEFAULT_EVENT_TYPE_URI}\", list_id: 12 }}\n")).unwrap();
    let mut cmd = calendly(&fake, &fake.access_token());
    cmd.arg("--config")
        .arg(&config)
        .args(["calendly", "event-types"]);
    let stdout = ok(&run(cmd).await);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("Discovery Call"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(row.contains(&discovery) && row.contains("yes"), "{row}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Product Demo (30 min)")
                && l.contains(DEFAULT_EVENT_TYPE_URI)
                && l.trim_end().ends_with("demo")),
        "{stdout}"
    );
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| l.trim() != "event_mapping:")
        .collect();
    assert!(
        block.iter().any(|l| l.contains(&format!(
            "demo: {{ event_type_uri: \"{DEFAULT_EVENT_TYPE_URI}\", list_id: 12 }}"
        ))),
        "{stdout}"
    );
    assert!(
        block.iter().any(|l| l.contains(&format!(
            "discovery_call: {{ event_type_uri: \"{discovery}\", list_id: 0 }}"
        ))),
        "{stdout}"
    );

    // Pasted as printed, the placeholder is caught; with a list id it is a valid config.
    let pasted = format!("connectors:\n  calendly:\n{}\n", block.join("\n"));
    std::fs::write(&config, &pasted).unwrap();
    let check = |path: &std::path::Path| {
        let mut cmd = calendly(&fake, &fake.access_token());
        cmd.arg("--config").arg(path).args(["config", "check"]);
        run(cmd)
    };
    let err = failed(&check(&config).await);
    assert!(
        err.contains("connectors.calendly.event_mapping.discovery_call.list_id"),
        "{err}"
    );
    std::fs::write(&config, pasted.replace("list_id: 0 ", "list_id: 31 ")).unwrap();
    let checked = ok(&check(&config).await);
    assert!(checked.contains(&discovery), "{checked}");
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "meetflow-admin-setup-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The admin binary on a private Redis with the fake Zoom's endpoints and these credentials.
fn zoom(admin: &Admin, fake: &FakeZoom, account: &str, client: &str, secret: &str) -> Command {
    let mut cmd = admin.command();
    cmd.env(
        "MEETFLOW__CONNECTORS__ZOOM__OAUTH_BASE_URL",
        fake.oauth_base_url(),
    )
    .env(
        "MEETFLOW__CONNECTORS__ZOOM__API_BASE_URL",
        fake.api_base_url(),
    )
    .env("MEETFLOW__CONNECTORS__ZOOM__ACCOUNT_ID", account)
    .env("MEETFLOW__CONNECTORS__ZOOM__CLIENT_ID", client)
    .env("MEETFLOW__CONNECTORS__ZOOM__CLIENT_SECRET", secret);
    cmd
}

async fn redis_keys(admin: &Admin) -> Vec<String> {
    let mut conn = admin.redis.conn().await.unwrap();
    redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_setup_zoom_check_gets_a_token_and_prints_the_webhook_setup() {
    let admin = Admin::start().await;
    let fake = FakeZoom::start().await.unwrap();
    let mut cmd = zoom(
        &admin,
        &fake,
        &fake.account_id(),
        &fake.client_id(),
        &fake.client_secret(),
    );
    cmd.args([
        "zoom",
        "check",
        "--url",
        "https://hooks.example.com/webhooks/zoom",
    ]);
    let stdout = ok(&run(cmd).await);
    assert!(
        stdout.starts_with("OK:") && stdout.contains(&fake.account_id()),
        "{stdout}"
    );
    assert!(
        !stdout.contains("maya.chen@example.com") && !stdout.contains(&fake.client_secret()),
        "{stdout}"
    );
    assert!(
        stdout.contains("https://hooks.example.com/webhooks/zoom"),
        "{stdout}"
    );
    for event in [
        "meeting.ended",
        "meeting.participant_joined",
        "webinar.participant_joined",
        "webinar.registration_created",
        "recording.completed",
        "endpoint.url_validation",
    ] {
        assert!(
            stdout.lines().any(|l| l.trim() == event),
            "{event} missing: {stdout}"
        );
    }
    assert!(
        stdout.contains("ZOOM_WEBHOOK_SECRET") && stdout.contains("NOT SET"),
        "{stdout}"
    );
    assert_eq!(fake.token_requests(), 1);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == "/v2/users/me")
    );
    assert!(
        redis_keys(&admin).await.is_empty(),
        "the check leaves no token behind"
    );

    // Without --url the URL comes from ingest.listen.
    let mut cmd = zoom(
        &admin,
        &fake,
        &fake.account_id(),
        &fake.client_id(),
        &fake.client_secret(),
    );
    cmd.env("MEETFLOW__INGEST__LISTEN", "0.0.0.0:8181")
        .env("MEETFLOW__CONNECTORS__ZOOM__WEBHOOK_SECRET", "s3cr3t-token")
        .args(["zoom", "check"]);
    let stdout = ok(&run(cmd).await);
    assert!(
        stdout.contains("http://127.0.0.1:8181/webhooks/zoom") && !stdout.contains("s3cr3t-token"),
        "{stdout}"
    );
    assert!(stdout.contains("(ZOOM_WEBHOOK_SECRET): set"), "{stdout}");
    assert_eq!(fake.token_requests(), 2, "a fresh token each time");
}

#[tokio::test]
async fn admin_setup_zoom_check_reports_bad_credentials_even_with_a_cached_token() {
    let admin = Admin::start().await;
    let fake = FakeZoom::start().await.unwrap();
    // A worker already cached a token Zoom accepts: it must not make bad credentials look good.
    let credentials = ZoomCredentials {
        account_id: fake.account_id().into(),
        client_id: fake.client_id().into(),
        client_secret: fake.client_secret().into(),
    };
    let workers = ZoomAuth::new(
        fake.oauth_base_url().parse().unwrap(),
        &credentials,
        admin.redis.connection_manager().await.unwrap(),
        &Keys::new(NS),
        Duration::from_secs(5),
    )
    .unwrap();
    workers.token().await.unwrap();
    assert_eq!(
        redis_keys(&admin).await,
        vec![format!("{{{NS}}}:zoom:token")]
    );
    assert_eq!(fake.token_requests(), 1);

    let mut cmd = zoom(
        &admin,
        &fake,
        &fake.account_id(),
        &fake.client_id(),
        "not-the-secret",
    );
    cmd.args(["zoom", "check"]);
    let err = failed(&run(cmd).await);
    assert!(
        err.contains("Invalid client_id or client_secret") && !err.contains("not-the-secret"),
        "{err}"
    );

    let mut cmd = zoom(
        &admin,
        &fake,
        "no-such-account",
        &fake.client_id(),
        &fake.client_secret(),
    );
    cmd.args(["zoom", "check"]);
    let err = failed(&run(cmd).await);
    assert!(err.contains("Account does not exist"), "{err}");
    assert_eq!(fake.token_requests(), 1);

    // Good credentials: a token of its own, and the workers' token is left as it was.
    let mut cmd = zoom(
        &admin,
        &fake,
        &fake.account_id(),
        &fake.client_id(),
        &fake.client_secret(),
    );
    cmd.args(["zoom", "check"]);
    assert!(ok(&run(cmd).await).starts_with("OK:"));
    assert_eq!(fake.token_requests(), 2);
    assert_eq!(
        redis_keys(&admin).await,
        vec![format!("{{{NS}}}:zoom:token")]
    );

    let mut cmd = zoom(
        &admin,
        &fake,
        &fake.account_id(),
        &fake.client_id(),
        &fake.client_secret(),
    );
    cmd.env_remove("MEETFLOW__CONNECTORS__ZOOM__CLIENT_SECRET")
        .args(["zoom", "check"]);
    let err = failed(&run(cmd).await);
    assert!(
        err.contains("connectors.zoom.client_secret is not set"),
        "{err}"
    );
}
