//! An event type's workflow rules in the bookings store and the due loop, against a real Redis:
//! its `follow_up_max_lateness` decides whether a follow-up found late after downtime is still
//! sent, and its `win_back_after_host_cancellation` whether a host's cancellation starts the
//! win-back (off by default).

use meetflow_scheduler::{DueLoop, DueLoopSettings};
use meetflow_shared::bookings::{Bookings, Engagement, Person, ReminderState};
use meetflow_shared::config::Settings;

use crate::support::scheduler::{HOUR, MIN, facts, fixture, now_ms, rem, sms_ids};

/// The fixture's event type ("Product Demo (30 min)") mapped with `extra` workflow keys; a
/// win-back template so the flow is on; no quiet hours, which would hold the follow-up at some
/// hours of the day.
fn settings(extra: &str) -> Settings {
    let yaml = format!(
        "engagelab:\n  templates: {{ win_back: tpl_win_back }}\nengagement:\n  quiet_hours: null\nconnectors:\n  calendly:\n    event_mapping:\n      product_demo_30_min:\n{extra}"
    );
    Settings::from_yaml_str(&yaml, &|_| None).unwrap()
}

fn store(bookings: &Bookings, s: &Settings) -> Bookings {
    bookings
        .clone()
        .with_engagement(Engagement::from_settings(s))
        .with_workflows(s)
}

#[tokio::test]
async fn a_workflow_follow_up_max_lateness_keeps_a_follow_up_the_global_one_drops() {
    let f = fixture().await;
    let now = now_ms();
    // Follow-up due 6.5 h ago (the meeting ended 7 h ago): beyond the global 6 h.
    let b = facts(now - 7 * HOUR - 30 * MIN);
    let lenient = settings("        follow_up_max_lateness: 8h\n");
    let strict = settings("        list_id: 10\n");
    let planned_25h_ago = |s: &Settings| {
        store(&f.bookings, s).with_clock(meetflow_shared::bookings::Clock::offset(-25 * HOUR))
    };
    planned_25h_ago(&lenient).booked(&b).await.unwrap();

    let tick = |s: &Settings| {
        let loop_ = DueLoop::new(store(&f.bookings, s), DueLoopSettings::default());
        async move { loop_.tick().await.unwrap() }
    };
    tick(&lenient).await;
    assert!(
        sms_ids(&f.client).await.contains(&rem(&b, "followup")),
        "within the workflow's 8 h"
    );

    let g = fixture().await;
    let b = facts(now - 7 * HOUR - 30 * MIN);
    store(&g.bookings, &strict)
        .with_clock(meetflow_shared::bookings::Clock::offset(-25 * HOUR))
        .booked(&b)
        .await
        .unwrap();
    DueLoop::new(store(&g.bookings, &strict), DueLoopSettings::default())
        .tick()
        .await
        .unwrap();
    assert!(!sms_ids(&g.client).await.contains(&rem(&b, "followup")));
    assert_eq!(
        g.bookings
            .reminder_state(&rem(&b, "followup"))
            .await
            .unwrap(),
        Some(ReminderState::Dropped),
        "beyond the global 6 h"
    );
}

async fn host_cancels(s: &Settings) -> bool {
    let f = fixture().await;
    let bookings = store(&f.bookings, s);
    let b = facts(now_ms() + 48 * HOUR);
    bookings.booked(&b).await.unwrap();
    let who = Person {
        email: Some(&b.email),
        timezone: b.timezone.as_deref(),
        canceled_by_host: true,
        event_type: Some(&b.event_type),
        event_name: Some(&b.event_name),
    };
    let out = bookings
        .canceled_by(&b.invitee_uri, false, None, &who)
        .await
        .unwrap();
    let planned = bookings.reminder_state(&rem(&b, "winback")).await.unwrap();
    assert_eq!(out.win_back_planned, planned.is_some());
    out.win_back_planned
}

#[tokio::test]
async fn a_host_cancellation_starts_the_win_back_only_where_configured() {
    assert!(
        !host_cancels(&settings("        list_id: 10\n")).await,
        "off by default"
    );
    assert!(
        host_cancels(&settings(
            "        win_back_after_host_cancellation: true\n"
        ))
        .await
    );
    let mut global = settings("        list_id: 10\n");
    global.engagement.win_back_after_host_cancellation = true;
    assert!(host_cancels(&global).await, "the global key");
}
