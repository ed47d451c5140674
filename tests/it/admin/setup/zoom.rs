//! `zoom check`: a fresh Server-to-Server token and `GET /users/me` against the fake Zoom, the
//! webhook setup printed, Zoom's reason for bad credentials, and the workers' cached token
//! neither used nor disturbed.

use std::process::Command;
use std::time::Duration;

use meetflow_shared::providers::zoom_api::{ZoomAuth, ZoomCredentials};
use meetflow_shared::redis::{Keys, Redis};
use meetflow_tests::fakes::FakeZoom;

use super::failed;
use crate::support::admin::{Admin, NS, ok, run};

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

/// [`zoom`] with the fake's own credentials.
fn zoom_ok(admin: &Admin, fake: &FakeZoom) -> Command {
    zoom(
        admin,
        fake,
        &fake.account_id(),
        &fake.client_id(),
        &fake.client_secret(),
    )
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
    let mut cmd = zoom_ok(&admin, &fake);
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
    let mut cmd = zoom_ok(&admin, &fake);
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
        &Redis::connect(&admin.redis.url(), NS).unwrap(),
        Duration::from_secs(5),
    )
    .unwrap();
    workers.token().await.unwrap();
    assert_eq!(redis_keys(&admin).await, vec![Keys::new(NS).zoom_token()]);
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
    let mut cmd = zoom_ok(&admin, &fake);
    cmd.args(["zoom", "check"]);
    assert!(ok(&run(cmd).await).starts_with("OK:"));
    assert_eq!(fake.token_requests(), 2);
    assert_eq!(redis_keys(&admin).await, vec![Keys::new(NS).zoom_token()]);

    let mut cmd = zoom_ok(&admin, &fake);
    cmd.env_remove("MEETFLOW__CONNECTORS__ZOOM__CLIENT_SECRET")
        .args(["zoom", "check"]);
    let err = failed(&run(cmd).await);
    assert!(
        err.contains("connectors.zoom.client_secret is not set"),
        "{err}"
    );
}

#[tokio::test]
async fn admin_setup_zoom_check_names_a_scope_the_catch_up_sweep_lacks() {
    let admin = Admin::start().await;
    let fake = FakeZoom::start().await.unwrap();
    let check = |sweep_every: Option<&str>| {
        let mut cmd = zoom_ok(&admin, &fake);
        if let Some(every) = sweep_every {
            cmd.env("MEETFLOW__CONNECTORS__ZOOM__SWEEP_EVERY", every);
        }
        cmd.args(["zoom", "check"]);
        cmd
    };
    // Every scope granted: the sweep's three calls are made and accepted.
    let stdout = ok(&run(check(None)).await);
    assert!(
        stdout.contains("OK: Zoom accepted the catch-up sweep's calls"),
        "{stdout}"
    );
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.iter().any(|p| p == "/v2/users"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("/v2/report/users/")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/v2/users/") && p.ends_with("/recordings")),
        "{paths:?}"
    );

    // The app lacks the report scope: the check fails on one line naming it, after the setup
    // it could print.
    fake.without_scope("/v2/report/", "report:read:list_meetings:admin");
    let err = failed(&run(check(None)).await);
    assert!(
        err.contains("catch-up sweep")
            && err.contains("GET /report/users/{id}/meetings")
            && err.contains("report:read:list_meetings:admin")
            && err.contains("4711"),
        "{err}"
    );
    assert!(
        !err.contains("GET /users:") && !err.contains("recordings:"),
        "only the refused call is named: {err}"
    );

    // With the sweep off its scopes do not matter.
    let stdout = ok(&run(check(Some("null"))).await);
    assert!(stdout.contains("The catch-up sweep is off"), "{stdout}");
}
