//! `meetflow_ingest_webhooks_accepted_total{provider}`, which `MeetflowWebhooksSilent` watches:
//! registered at 0 for every provider ingest has a secret for as soon as it starts (a provider
//! that never delivers after a restart is seen), then counting every verified delivery stored,
//! a redelivery included; a refused signature does not count.

use meetflow_tests::fixtures::CALENDLY_INVITEE_CREATED;

use crate::support::ingest::spawn_ingest;

fn accepted(provider: &str) -> Option<f64> {
    let handle = meetflow_shared::ops::metrics_handle();
    let series = format!("meetflow_ingest_webhooks_accepted_total{{provider=\"{provider}\"}} ");
    handle
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
}

#[tokio::test]
async fn accepted_webhooks_are_counted_per_provider_from_zero() {
    let _ = meetflow_shared::ops::metrics_handle();
    let app = spawn_ingest().await;
    assert_eq!(accepted("calendly"), Some(0.0), "registered at start");
    assert_eq!(accepted("zoom"), Some(0.0), "registered at start");

    let body = CALENDLY_INVITEE_CREATED.as_bytes();
    assert_eq!(app.calendly_signed(body).await.status(), 200);
    assert_eq!(app.calendly_signed(body).await.status(), 200, "redelivery");
    assert_eq!(
        app.calendly(body, Some("t=1,v1=00".into())).await.status(),
        401
    );
    assert_eq!(accepted("calendly"), Some(2.0));
    assert_eq!(accepted("zoom"), Some(0.0));
    app.shutdown().await;
}
