//! Helpers of the worker tests: a private Redis, the fake providers over real HTTP, settings
//! pointing at them, the worker running in this process, webhook bodies built from the fixtures,
//! and readers for what ended up in Redis and at the fakes.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_shared::bookings::{Booking, BookingKey, Bookings};
use meetflow_shared::config::Settings;
use meetflow_shared::domain::ReminderKind;
use meetflow_shared::events::{Provider, calendly, identity::Identity, zoom};
use meetflow_shared::jobs::reminder::ReminderJob;
use meetflow_shared::jobs::{ALL_QUEUES, EVENTS, WebhookJob};
use meetflow_shared::queue::{JobRecord, NewJob, QueueClient};
use meetflow_shared::shutdown::Shutdown;
use meetflow_tests::fakes::{FakeBrevo, FakeEngageLab, FakeZoom};
use meetflow_tests::fixtures;
use meetflow_tests::redis::TestRedis;
use meetflow_worker::{QueueSelection, WorkerError, WorkerOptions};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub(crate) const NS: &str = "wt";
/// The event type of the Calendly fixtures, mapped to list 10.
pub(crate) const EVENT_TYPE: &str =
    "https://api.calendly.com/event_types/2b6c1f0a-7d3e-4c8b-9f21-5a4e8d0c6b13";
/// Jordan Rivera's number in the fixtures, in E.164.
pub(crate) const JORDAN_PHONE: &str = "+14155550132";
pub(crate) const JORDAN_EMAIL: &str = "jordan.rivera@example.com";
pub(crate) const HOST_PHONE: &str = "+442071838750";

/// A private Redis, the three fakes, and settings pointing at all of them.
pub(crate) struct Env {
    #[allow(
        dead_code,
        reason = "keeps the private redis-server running for the test"
    )]
    pub(crate) redis: TestRedis,
    pub(crate) brevo: FakeBrevo,
    pub(crate) engagelab: FakeEngageLab,
    pub(crate) zoom: FakeZoom,
    pub(crate) client: QueueClient,
    pub(crate) settings: Settings,
    /// The YAML behind `settings` (for worker processes).
    pub(crate) yaml: String,
}

pub(crate) async fn env() -> Env {
    meetflow_shared::telemetry::init_for_tests();
    let redis = TestRedis::start().await.unwrap();
    let brevo = FakeBrevo::start().await.unwrap();
    let engagelab = FakeEngageLab::start().await.unwrap();
    let zoom = FakeZoom::start().await.unwrap();
    let yaml = format!(
        r#"
redis: {{ url: "{redis}", namespace: {NS} }}
ops: {{ listen: "127.0.0.1:0" }}
connectors:
  calendly:
    event_mapping:
      product_demo: {{ event_type_uri: "{EVENT_TYPE}", list_id: 10 }}
    field_mapping:
      questions_and_answers: {{ company: COMPANY, role: JOB_TITLE }}
  zoom:
    account_id: "{zaccount}"
    client_id: "{zid}"
    client_secret: "{zsecret}"
    api_base_url: "{zapi}"
    oauth_base_url: "{zoauth}"
    lists: {{ meeting_participants: 15, webinar_attendees: 16, webinar_registrants: 17 }}
brevo: {{ api_key: "{bkey}", base_url: "{burl}", rate_limit: 1000/s }}
engagelab:
  dev_key: "{ekey}"
  dev_secret: "{esecret}"
  base_url: "{eurl}"
  rate_limit: 1000/s
  templates: {{ confirmation: tpl_confirmation, cancellation: tpl_cancellation, reminder: tpl_reminder, follow_up: tpl_follow_up, host_notify: tpl_host_notify }}
engagement: {{ quiet_hours: null }}
queues:
  default: {{ concurrency: 8, lease: 3s, max_attempts: 4, backoff: {{ base: 20ms, cap: 100ms }} }}
"#,
        redis = redis.url(),
        zaccount = zoom.account_id(),
        zid = zoom.client_id(),
        zsecret = zoom.client_secret(),
        zapi = zoom.api_base_url(),
        zoauth = zoom.oauth_base_url(),
        bkey = brevo.api_key(),
        burl = brevo.base_url(),
        ekey = engagelab.dev_key(),
        esecret = engagelab.dev_secret(),
        eurl = engagelab.base_url(),
    );
    let settings = Settings::from_yaml_str(&yaml, &|_| None).unwrap();
    let client = QueueClient::connect(&redis.url(), NS).await.unwrap();
    Env {
        redis,
        brevo,
        engagelab,
        zoom,
        client,
        settings,
        yaml,
    }
}

pub(crate) fn options() -> WorkerOptions {
    WorkerOptions {
        http_timeout: Duration::from_millis(1500),
        rate_limit_wait: Duration::from_millis(500),
        grace: Duration::from_secs(5),
        stats_every: Duration::from_secs(1),
    }
}

/// A worker running in this process, serving every queue.
pub(crate) struct RunningWorker {
    shutdown: Shutdown,
    handle: JoinHandle<Result<(), WorkerError>>,
}

impl RunningWorker {
    pub(crate) async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

impl Env {
    pub(crate) fn start(&self) -> RunningWorker {
        self.start_with(options())
    }

    pub(crate) fn start_with(&self, options: WorkerOptions) -> RunningWorker {
        let shutdown = Shutdown::new();
        let settings = self.settings.clone();
        let stop = shutdown.clone();
        let handle = tokio::spawn(async move {
            meetflow_worker::run_with(settings, QueueSelection::all(), options, stop).await
        });
        RunningWorker { shutdown, handle }
    }

    pub(crate) fn bookings(&self) -> Bookings {
        Bookings::new(
            self.client.handle().clone(),
            self.settings.reminders.clone(),
        )
    }

    pub(crate) async fn booking(&self, key: &BookingKey) -> Option<Booking> {
        self.bookings().get(key).await.unwrap()
    }

    /// Stores a webhook job as ingest would (its delivery identity as id); returns the id.
    pub(crate) async fn deliver(&self, provider: Provider, body: &str) -> String {
        let id = match provider {
            Provider::Calendly => {
                Identity::calendly(&calendly::head(body.as_bytes()).unwrap(), body.as_bytes())
            }
            Provider::Zoom => {
                Identity::zoom(&zoom::head(body.as_bytes()).unwrap(), body.as_bytes())
            }
        }
        .job_id();
        self.deliver_as(provider, body, &id).await;
        id
    }

    /// Stores a webhook job under `id` (another id = a redelivery ingest could not dedupe).
    pub(crate) async fn deliver_as(&self, provider: Provider, body: &str, id: &str) {
        let event = match provider {
            Provider::Calendly => calendly::head(body.as_bytes()).ok().map(|h| h.event),
            Provider::Zoom => zoom::head(body.as_bytes()).ok().map(|h| h.event),
        };
        let job = WebhookJob::new(
            provider,
            event,
            Utc::now(),
            id.to_owned(),
            body.as_bytes(),
            true,
        );
        self.client
            .enqueue(EVENTS, NewJob::json(&job).unwrap().with_id(id))
            .await
            .unwrap();
    }

    /// Waits until no queue has work left (ready, running, delayed or retrying).
    pub(crate) async fn settle(&self) {
        // One atomic snapshot of every queue: reading the queues one after the other could
        // miss a job that a handler enqueued on an already-read queue just before finishing.
        let ok = eventually(Duration::from_secs(20), || async {
            let pipe = queue_snapshot(&self.client);
            let mut conn = self.client.redis();
            let counts: Vec<u64> = pipe.query_async(&mut conn).await.unwrap();
            counts.iter().all(|&n| n == 0)
        })
        .await;
        assert!(ok, "queues did not settle");
    }

    pub(crate) async fn dead(&self, queue: &str) -> Vec<JobRecord> {
        self.client
            .dead_letters()
            .list(Some(queue), 0, 100)
            .await
            .unwrap()
    }

    /// The raw value of a Redis STRING key.
    pub(crate) async fn get(&self, key: &str) -> Option<String> {
        let mut conn = self.client.redis();
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap()
    }
}

/// An atomic pipeline reading, for every queue in [`ALL_QUEUES`] order, its ready, running and
/// delayed-or-retrying counts (three numbers per queue); callers may add commands after them.
pub(crate) fn queue_snapshot(client: &QueueClient) -> redis::Pipeline {
    let k = client.keys();
    let mut pipe = redis::pipe();
    pipe.atomic();
    for q in ALL_QUEUES {
        pipe.cmd("LLEN").arg(k.ready(q));
        pipe.cmd("ZCARD").arg(k.leased(q));
        pipe.cmd("ZCARD").arg(k.delayed(q));
    }
    pipe
}

pub(crate) use meetflow_tests::wait::eventually;

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A fresh invitee URI and its booking key.
pub(crate) fn new_invitee() -> (String, BookingKey) {
    let uri = format!(
        "https://api.calendly.com/scheduled_events/{}/invitees/{}",
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4()
    );
    let key = BookingKey::from_invitee_uri(&uri);
    (uri, key)
}

/// A Calendly fixture body with its invitee URI and meeting times replaced, then `edit`ed.
pub(crate) fn calendly_body(
    fixture: &str,
    uri: &str,
    start: DateTime<Utc>,
    edit: impl FnOnce(&mut Value),
) -> String {
    let mut v: Value = serde_json::from_str(fixture).unwrap();
    let p = &mut v["payload"];
    p["uri"] = json!(uri);
    p["created_at"] = json!(rfc3339(Utc::now()));
    p["scheduled_event"]["start_time"] = json!(rfc3339(start));
    p["scheduled_event"]["end_time"] = json!(rfc3339(start + chrono::Duration::minutes(30)));
    v["created_at"] = json!(rfc3339(Utc::now()));
    edit(&mut v);
    serde_json::to_string(&v).unwrap()
}

/// `invitee.created` (Jordan Rivera, with phone, Zoom location) for `uri` starting at `start`.
pub(crate) fn created(uri: &str, start: DateTime<Utc>) -> String {
    calendly_body(fixtures::CALENDLY_INVITEE_CREATED, uri, start, |_| {})
}

/// The `invitee.canceled` of the same invitee (a plain cancel unless edited).
pub(crate) fn canceled(uri: &str, start: DateTime<Utc>, edit: impl FnOnce(&mut Value)) -> String {
    calendly_body(fixtures::CALENDLY_INVITEE_CREATED, uri, start, |v| {
        v["event"] = json!("invitee.canceled");
        v["payload"]["status"] = json!("canceled");
        v["payload"]["cancellation"] = json!({
            "canceled_by": "Jordan Rivera", "canceler_type": "invitee",
            "created_at": rfc3339(Utc::now()), "reason": "Conflict"
        });
        edit(v);
    })
}

/// 48 hours from now, to the second.
pub(crate) fn in_two_days() -> DateTime<Utc> {
    let t = Utc::now() + chrono::Duration::hours(48);
    DateTime::from_timestamp(t.timestamp(), 0).unwrap()
}

/// The 24 h reminder job of Jordan's booking `key` (invitee `uri`) starting at `start`, due at
/// `due_at`, as the scheduler would enqueue it.
pub(crate) fn jordans_24h_reminder(
    key: &BookingKey,
    uri: &str,
    start: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> ReminderJob {
    let kind = ReminderKind::Before(Duration::from_secs(24 * 3600));
    ReminderJob {
        v: ReminderJob::VERSION,
        reminder_id: format!("rem:{key}:{}", kind.label()),
        booking: key.clone(),
        kind,
        due_at,
        start,
        end: start + chrono::Duration::minutes(30),
        invitee_uri: uri.to_owned(),
        phone: JORDAN_PHONE.into(),
        name: "Jordan Rivera".into(),
        timezone: Some("America/Los_Angeles".into()),
        event_name: "Product Demo (30 min)".into(),
        event_type: None,
        links: Default::default(),
    }
}
