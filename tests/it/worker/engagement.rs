//! The engagement flows end to end: webhooks through the worker, the due loop in this process,
//! EngageLab, Brevo and the Calendly API as fakes over HTTP. A plain cancellation gets a win-back
//! SMS with a fresh single-use booking link, unless the person books again before it is due or the
//! host was the one who cancelled (the host's cancellation sends `host_cancellation` with a
//! booking link instead, when that template is set); a
//! no-show gets the apology SMS with a link, unless the no-show is removed before it is due.
//! Delays are short real offsets (1.5 s).

use std::time::Duration;

use chrono::Utc;
use meetflow_scheduler::DueLoopSettings;
use meetflow_shared::bookings::{BookingKey, Engagement, ReminderState};
use meetflow_shared::events::Provider;
use meetflow_tests::fakes::{FakeCalendlyApi, SentSms};
use meetflow_tests::fixtures;
use serde_json::{Value, json};

use crate::support::scheduler::{RunningLoop, spawn_loop};
use crate::support::worker::{
    Env, calendly_body, canceled, env, eventually, in_two_days, new_invitee, rfc3339,
};

const DELAY: Duration = Duration::from_millis(1500);

/// The worker env with both flows on, the Calendly API faked, and the event type the fixture
/// bookings use known to it.
struct Engaged {
    env: Env,
    calendly: FakeCalendlyApi,
    event_type: String,
}

async fn engaged() -> Engaged {
    let mut env = env().await;
    let calendly = FakeCalendlyApi::start().await.unwrap();
    let event_type = calendly.add_event_type("Product Demo", "product-demo");
    let s = &mut env.settings;
    s.connectors.calendly.access_token = Some(calendly.access_token().into());
    s.connectors.calendly.api_base_url = calendly.base_url();
    s.engagelab.templates.win_back = "tpl_win_back".into();
    s.engagelab.templates.no_show = "tpl_no_show".into();
    s.engagement.win_back_after = DELAY;
    s.engagement.no_show_after = DELAY;
    Engaged {
        env,
        calendly,
        event_type,
    }
}

impl Engaged {
    fn due_loop(&self) -> RunningLoop {
        let bookings = self
            .env
            .bookings()
            .with_engagement(Engagement::from_settings(&self.env.settings));
        spawn_loop(&bookings, DueLoopSettings::default())
    }

    /// A fixture body of `uri` with this env's event type.
    fn body(&self, fixture: &str, uri: &str, edit: impl FnOnce(&mut Value)) -> String {
        let et = self.event_type.clone();
        calendly_body(fixture, uri, in_two_days(), move |v| {
            v["payload"]["scheduled_event"]["event_type"] = json!(et);
            edit(v);
        })
    }

    /// Delivers `body` (Calendly) and waits until every queue is idle.
    async fn deliver(&self, body: &str) {
        self.env.deliver(Provider::Calendly, body).await;
        self.env.settle().await;
    }

    /// A new booking by Jordan (the fixture invitee), delivered and processed.
    async fn book(&self) -> (String, BookingKey) {
        let (uri, key) = new_invitee();
        self.deliver(&self.body(fixtures::CALENDLY_INVITEE_CREATED, &uri, |_| {}))
            .await;
        (uri, key)
    }

    fn sent(&self, template: &str) -> Vec<SentSms> {
        self.env
            .engagelab
            .sent()
            .into_iter()
            .filter(|s| s.template_id == template)
            .collect()
    }

    fn links_made(&self) -> Vec<Value> {
        self.calendly
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/scheduling_links")
            .map(|r| r.json.unwrap_or_default())
            .collect()
    }

    /// Waits until `template` was sent once, then a little longer to see it is not sent twice.
    async fn sent_once(&self, template: &str) -> SentSms {
        assert!(
            eventually(Duration::from_secs(15), || async {
                !self.sent(template).is_empty()
            })
            .await,
            "{template} was not sent"
        );
        self.env.settle().await;
        let sent = self.sent(template);
        assert_eq!(sent.len(), 1, "{sent:?}");
        sent.into_iter().next().unwrap()
    }

    /// Lets the flow's delay pass (plus margin) with everything running.
    async fn past_the_delay(&self) {
        tokio::time::sleep(DELAY + Duration::from_millis(1500)).await;
        self.env.settle().await;
    }
}

fn assert_single_use_link(sms: &SentSms, links: &[Value], event_type: &str) {
    let url = sms.params["booking_url"].as_str().unwrap_or_default();
    assert!(
        url.starts_with("https://calendly.com/d/"),
        "{:?}",
        sms.params
    );
    assert_eq!(links.len(), 1, "one link per SMS: {links:?}");
    assert_eq!(links[0]["owner"], event_type);
    assert_eq!(links[0]["owner_type"], "EventType");
    assert_eq!(links[0]["max_event_count"], 1);
    // The links and host stored with the booking come along too.
    assert_eq!(sms.params["host"], "Maya Chen", "{:?}", sms.params);
    assert!(sms.params["join_url"].is_string(), "{:?}", sms.params);
}

#[tokio::test]
async fn a_cancellation_gets_a_win_back_sms_with_a_single_use_link() {
    let e = engaged().await;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, key) = e.book().await;
    let cancel = canceled(&uri, in_two_days(), |_| {});
    e.env.deliver(Provider::Calendly, &cancel).await;
    // Calendly redelivers the cancellation: still one win-back.
    e.env
        .deliver_as(Provider::Calendly, &cancel, "redelivery-1")
        .await;

    let sms = e.sent_once("tpl_win_back").await;
    assert_single_use_link(&sms, &e.links_made(), &e.event_type);
    assert_eq!(sms.params["first_name"], "Jordan");
    let b = e.env.booking(&key).await.unwrap();
    let wb = b.reminders.iter().find(|r| r.kind.label() == "winback");
    assert_eq!(wb.map(|r| r.state), Some(ReminderState::Enqueued));
    due.stop().await;
    worker.stop().await;
}

#[tokio::test]
async fn no_win_back_when_the_person_books_again_before_it_is_due() {
    let e = engaged().await;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, key) = e.book().await;
    e.deliver(&canceled(&uri, in_two_days(), |_| {})).await;
    // Jordan books another meeting right away (same e-mail, new invitee).
    e.book().await;
    e.past_the_delay().await;

    assert!(e.sent("tpl_win_back").is_empty());
    assert!(e.links_made().is_empty(), "no link made for nothing");
    let b = e.env.booking(&key).await.unwrap();
    let wb = b.reminders.iter().find(|r| r.kind.label() == "winback");
    assert_eq!(wb.map(|r| r.state), Some(ReminderState::Canceled));
    assert_eq!(e.sent("tpl_confirmation").len(), 2);
    due.stop().await;
    worker.stop().await;
}

#[tokio::test]
async fn no_win_back_after_the_host_cancels() {
    let e = engaged().await;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, key) = e.book().await;
    let by_host = canceled(&uri, in_two_days(), |v| {
        v["payload"]["cancellation"]["canceler_type"] = json!("host");
        v["payload"]["cancellation"]["canceled_by"] = json!("Maya Chen");
    });
    e.deliver(&by_host).await;
    e.past_the_delay().await;

    assert!(e.sent("tpl_win_back").is_empty(), "the host cancelled");
    assert!(e.links_made().is_empty());
    let b = e.env.booking(&key).await.unwrap();
    assert!(b.reminders.iter().all(|r| r.kind.label() != "winback"));
    due.stop().await;
    worker.stop().await;
}

#[tokio::test]
async fn a_host_cancellation_sends_its_own_sms_with_a_booking_link_and_no_win_back() {
    let mut e = engaged().await;
    e.env.settings.engagelab.templates.host_cancellation = "tpl_host_cancellation".into();
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, key) = e.book().await;
    let et = e.event_type.clone();
    let by_host = canceled(&uri, in_two_days(), move |v| {
        v["payload"]["scheduled_event"]["event_type"] = json!(et);
        v["payload"]["cancellation"]["canceler_type"] = json!("host");
        v["payload"]["cancellation"]["canceled_by"] = json!("Maya Chen");
    });
    e.deliver(&by_host).await;
    let sms = e.sent_once("tpl_host_cancellation").await;
    assert_single_use_link(&sms, &e.links_made(), &e.event_type);
    assert_eq!(sms.params["first_name"], "Jordan");
    assert!(
        e.sent("tpl_cancellation").is_empty(),
        "the host's cancellation replaces the plain one"
    );
    e.past_the_delay().await;
    assert!(e.sent("tpl_win_back").is_empty(), "the host cancelled");
    assert_eq!(
        e.links_made().len(),
        1,
        "one link, for the host cancellation"
    );
    let b = e.env.booking(&key).await.unwrap();
    assert!(b.reminders.iter().all(|r| r.kind.label() != "winback"));

    // The invitee's own cancellation still gets the plain SMS and the win-back.
    let (uri, _) = e.book().await;
    e.deliver(&canceled(&uri, in_two_days(), |_| {})).await;
    e.sent_once("tpl_win_back").await;
    assert_eq!(e.sent("tpl_cancellation").len(), 1);
    assert_eq!(e.sent("tpl_host_cancellation").len(), 1);
    due.stop().await;
    worker.stop().await;
}

#[tokio::test]
async fn a_host_cancellation_starts_the_win_back_when_its_event_type_says_so() {
    let mut e = engaged().await;
    let yaml = format!(
        "connectors:\n  calendly:\n    event_mapping:\n      demo:\n        event_type_uri: \"{}\"\n        win_back_after_host_cancellation: true\n",
        e.event_type
    );
    let s = meetflow_shared::config::Settings::from_yaml_str(&yaml, &|_| None).unwrap();
    e.env.settings.connectors.calendly.event_mapping = s.connectors.calendly.event_mapping;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, _) = e.book().await;
    let et = e.event_type.clone();
    let by_host = canceled(&uri, in_two_days(), move |v| {
        v["payload"]["scheduled_event"]["event_type"] = json!(et);
        v["payload"]["cancellation"]["canceler_type"] = json!("host");
    });
    e.deliver(&by_host).await;
    let sms = e.sent_once("tpl_win_back").await;
    assert_single_use_link(&sms, &e.links_made(), &e.event_type);
    due.stop().await;
    worker.stop().await;
}

fn no_show_body(e: &Engaged, uri: &str, set: bool) -> String {
    e.body(fixtures::CALENDLY_INVITEE_NO_SHOW_CREATED, uri, |v| {
        if !set {
            v["event"] = json!("invitee_no_show.deleted");
            v["payload"]["no_show"] = json!(null);
            v["created_at"] = json!(rfc3339(Utc::now() + chrono::Duration::seconds(5)));
        }
    })
}

#[tokio::test]
async fn a_no_show_gets_an_apology_sms_with_a_link_and_a_brevo_event() {
    let e = engaged().await;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, _) = e.book().await;
    e.env
        .deliver(Provider::Calendly, &no_show_body(&e, &uri, true))
        .await;

    let sms = e.sent_once("tpl_no_show").await;
    assert_single_use_link(&sms, &e.links_made(), &e.event_type);
    assert!(
        e.env
            .brevo
            .events()
            .iter()
            .any(|ev| ev.event_name == "booking_no_show")
    );
    due.stop().await;
    worker.stop().await;
}

#[tokio::test]
async fn no_apology_when_the_no_show_is_removed_before_it_is_due() {
    let e = engaged().await;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, key) = e.book().await;
    e.deliver(&no_show_body(&e, &uri, true)).await;
    e.env
        .deliver(Provider::Calendly, &no_show_body(&e, &uri, false))
        .await;
    e.past_the_delay().await;

    assert!(e.sent("tpl_no_show").is_empty());
    let b = e.env.booking(&key).await.unwrap();
    let apology = b.reminders.iter().find(|r| r.kind.label() == "noshow");
    assert_eq!(apology.map(|r| r.state), Some(ReminderState::Canceled));
    due.stop().await;
    worker.stop().await;
}

#[tokio::test]
async fn without_a_calendly_token_the_engagement_sms_is_not_sent_and_says_why() {
    let mut e = engaged().await;
    e.env.settings.connectors.calendly.access_token = None;
    let worker = e.env.start();
    let due = e.due_loop();
    let (uri, key) = e.book().await;
    e.env
        .deliver(Provider::Calendly, &canceled(&uri, in_two_days(), |_| {}))
        .await;
    e.past_the_delay().await;
    let b = e.env.booking(&key).await.unwrap();
    let wb = b.reminders.iter().find(|r| r.kind.label() == "winback");
    assert_eq!(wb.map(|r| r.state), Some(ReminderState::Enqueued));
    assert!(e.sent("tpl_win_back").is_empty(), "a link was promised");
    assert!(e.env.dead("sms").await.is_empty(), "skipped, not failed");
    due.stop().await;
    worker.stop().await;
}
