//! The invitee's number in national format: read in `sms.default_region` when one is set,
//! refused (no SMS, Brevo synced without it) when none is.

use std::time::Duration;

use serde_json::json;

use crate::support::worker::{
    JORDAN_EMAIL, calendly_body, env, eventually, in_two_days, new_invitee,
};
use meetflow_shared::events::Provider;
use meetflow_tests::fixtures;

/// Jordan's booking with a Thai mobile number written the way people type it at home.
fn booked_with_national_number(uri: &str) -> String {
    calendly_body(
        fixtures::CALENDLY_INVITEE_CREATED,
        uri,
        in_two_days(),
        |v| {
            v["payload"]["text_reminder_number"] = json!("081 234 5678");
        },
    )
}

#[tokio::test]
async fn a_national_number_is_read_in_the_default_region() {
    let mut env = env().await;
    env.settings.sms.default_region = Some("TH".into());
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &booked_with_national_number(&uri))
        .await;
    let sent = eventually(Duration::from_secs(10), || async {
        !env.engagelab.sent_to("+66812345678").is_empty()
    })
    .await;
    assert!(sent, "confirmation to the E.164 form of the Thai number");
    worker.stop().await;
}

#[tokio::test]
async fn without_a_default_region_a_national_number_gets_no_sms() {
    let env = env().await;
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &booked_with_national_number(&uri))
        .await;
    let synced = eventually(Duration::from_secs(10), || async {
        env.brevo.contact(JORDAN_EMAIL).is_some()
    })
    .await;
    assert!(synced, "the Brevo sync goes on without the number");
    env.settle().await;
    assert_eq!(env.engagelab.sent_count(), 0);
    worker.stop().await;
}
