//! Worker: every SMS kind gets the template parameters it may need. A confirmation, host notice
//! and cancellation carry the join link and the host's name with the invitee's cancel and
//! reschedule links; reminders and the follow-up planned by the scheduler (the due loop in this
//! process, "now" moved with an offset clock) carry the links stored with the booking, and a
//! reminder says how long before the start it is (`advance`: "in 24 hours", "in 1 hour").
//! EngageLab is a fake over HTTP that records the params.

use std::time::Duration;

use meetflow_scheduler::DueLoopSettings;
use meetflow_shared::bookings::{BookingKey, Clock};
use meetflow_shared::events::Provider;
use meetflow_tests::fakes::SentSms;
use serde_json::{Value, json};

use crate::support::scheduler::spawn_loop;
use crate::support::worker::{
    Env, HOST_PHONE, JORDAN_PHONE, calendly_body, canceled, env, eventually, in_two_days,
    new_invitee,
};
use meetflow_tests::fixtures;

/// The fixture's Zoom join link and host (`event_memberships[0].user_name`).
const JOIN_URL: &str = "https://us06web.zoom.us/j/85746065432?pwd=R2VuZXJhdGVkSGVyZUZvclRlc3Rz.1";
const HOST: &str = "Maya Chen";

fn cancel_url(key: &BookingKey) -> String {
    format!("https://calendly.com/cancellations/{key}")
}

fn reschedule_url(key: &BookingKey) -> String {
    format!("https://calendly.com/reschedulings/{key}")
}

/// The fixture's `invitee.created` for `uri`, its cancel and reschedule links those of `key`
/// (as Calendly makes them).
fn created_with_links(uri: &str, key: &BookingKey, start: chrono::DateTime<chrono::Utc>) -> String {
    let (c, r) = (cancel_url(key), reschedule_url(key));
    calendly_body(fixtures::CALENDLY_INVITEE_CREATED, uri, start, move |v| {
        v["payload"]["cancel_url"] = json!(c);
        v["payload"]["reschedule_url"] = json!(r);
    })
}

pub(crate) fn sent(env: &Env, template: &str) -> Vec<SentSms> {
    env.engagelab
        .sent()
        .into_iter()
        .filter(|s| s.template_id == template)
        .collect()
}

fn assert_links(p: &Value, key: &BookingKey) {
    assert_eq!(p["cancel_url"], cancel_url(key).as_str(), "{p}");
    assert_eq!(p["reschedule_url"], reschedule_url(key).as_str(), "{p}");
    assert_eq!(p["join_url"], JOIN_URL, "{p}");
    assert_eq!(p["host"], HOST, "{p}");
    assert_eq!(p["name"], "Jordan Rivera", "{p}");
    assert_eq!(p["first_name"], "Jordan", "{p}");
    assert_eq!(p["event"], "Product Demo (30 min)", "{p}");
    assert!(p["time"].is_string() && p["end_time"].is_string(), "{p}");
}

#[tokio::test]
async fn a_confirmation_host_notice_and_cancellation_carry_join_url_host_and_links_where_useful() {
    let mut env = env().await;
    env.settings.engagelab.host_phone = Some(HOST_PHONE.into());
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created_with_links(&uri, &key, start))
        .await;
    env.settle().await;
    let confirmation = sent(&env, "tpl_confirmation");
    assert_eq!(confirmation.len(), 1, "{confirmation:?}");
    assert_links(&confirmation[0].params, &key);
    assert!(confirmation[0].params.get("advance").is_none());
    let host = env.engagelab.sent_to(HOST_PHONE);
    assert_eq!(host.len(), 1, "{host:?}");
    assert_links(&host[0].params, &key);

    let (c, r) = (cancel_url(&key), reschedule_url(&key));
    env.deliver(
        Provider::Calendly,
        &canceled(&uri, start, move |v| {
            v["payload"]["cancel_url"] = json!(c);
            v["payload"]["reschedule_url"] = json!(r);
        }),
    )
    .await;
    env.settle().await;
    let cancellation = sent(&env, "tpl_cancellation");
    assert_eq!(cancellation.len(), 1, "{cancellation:?}");
    let p = &cancellation[0].params;
    assert_eq!(p["join_url"], JOIN_URL, "{p}");
    assert_eq!(p["host"], HOST, "{p}");
    assert!(
        p.get("cancel_url").is_none() && p.get("reschedule_url").is_none(),
        "the links of a cancelled booking lead nowhere: {p}"
    );
    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 2);
    worker.stop().await;
}

/// Runs the due loop with "now" at `ahead` from now until `template` has been sent `count` times.
pub(crate) async fn due_until_sent(
    env: &Env,
    ahead: chrono::Duration,
    template: &str,
    count: usize,
) {
    let bookings = env
        .bookings()
        .with_clock(Clock::offset(ahead.num_milliseconds()));
    let due = spawn_loop(&bookings, DueLoopSettings::default());
    let ok = eventually(Duration::from_secs(15), || async {
        sent(env, template).len() >= count
    })
    .await;
    due.stop().await;
    env.settle().await;
    assert!(
        ok,
        "{template} x{count} not sent: {:?}",
        env.engagelab.sent()
    );
}

#[tokio::test]
async fn scheduled_reminders_and_the_follow_up_carry_advance_and_the_stored_links() {
    let mut env = env().await;
    let r = &mut env.settings.reminders;
    r.offsets = vec![Duration::from_secs(24 * 3600), Duration::from_secs(3600)];
    r.follow_up_after_end = Some(Duration::from_secs(30 * 60));
    let worker = env.start();
    let (uri, key) = new_invitee();
    let start = in_two_days();
    env.deliver(Provider::Calendly, &created_with_links(&uri, &key, start))
        .await;
    env.settle().await;
    let from_now = start - chrono::Utc::now();
    let margin = chrono::Duration::seconds(30);

    // 24 hours before the start.
    due_until_sent(
        &env,
        from_now - chrono::Duration::hours(24) + margin,
        "tpl_reminder",
        1,
    )
    .await;
    // 1 hour before the start.
    due_until_sent(
        &env,
        from_now - chrono::Duration::hours(1) + margin,
        "tpl_reminder",
        2,
    )
    .await;
    let reminders = sent(&env, "tpl_reminder");
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    assert_eq!(reminders[0].params["advance"], "in 24 hours");
    assert_eq!(reminders[1].params["advance"], "in 1 hour");
    for r in &reminders {
        assert_links(&r.params, &key);
    }

    // The follow-up, 30 minutes after the end (start + 30 min).
    due_until_sent(
        &env,
        from_now + chrono::Duration::hours(1) + margin,
        "tpl_follow_up",
        1,
    )
    .await;
    let follow_up = sent(&env, "tpl_follow_up");
    assert_eq!(follow_up.len(), 1, "{follow_up:?}");
    assert_links(&follow_up[0].params, &key);
    assert!(follow_up[0].params.get("advance").is_none());
    assert!(env.dead(meetflow_shared::jobs::SMS).await.is_empty());
    worker.stop().await;
}
