//! Every flow against the sandbox's Calendly and Zoom APIs (the built `meetflow-admin sandbox`),
//! as `scripts/run-local.sh` runs them without credentials: `send-test-webhook --sandbox` sends
//! every event meetflow handles (a reschedule pair included) through a real ingest to the worker,
//! none is dead-lettered, and each flow finds in the sandbox what its webhook announced: the
//! no-show apology and the win-back get single-use scheduling links, the meeting's participants
//! (the invitee among them) and the webinar's registrants and attendees reach Brevo, the
//! recording lands on the contact who booked that meeting; a no-show marked through the
//! sandbox's Calendly API comes back as a signed webhook that ingest accepts; and the
//! reconciliation heals, from the sandbox's Calendly API, a booking whose webhook never came.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use meetflow_admin::samples::{CALENDLY_EVENTS, ZOOM_EVENTS};
use meetflow_scheduler::baseline::Baseline;
use meetflow_scheduler::reconcile::Reconciler;
use meetflow_shared::bookings::Engagement;
use meetflow_shared::jobs::{ALL_QUEUES, EVENTS, WebhookJob};
use meetflow_shared::providers::calendly_api::{CalendlyClient, EventsQuery, Scope};
use serde_json::Value;

use crate::support::admin::{Admin, free_port, terminate, wait_port};
use crate::support::scheduler::spawn_loop;
use crate::support::worker::{JORDAN_EMAIL, env_with_ingest, eventually};

const KEY: &str = "sandbox-flows-calendly-key";
const SECRET: &str = "sandbox-flows-zoom-secret";
const DELAY: Duration = Duration::from_millis(1500);

/// The sandbox binary on a free port, its record file, and the admin harness that started it.
struct Sandbox {
    admin: Admin,
    child: Child,
    url: String,
    record: PathBuf,
    /// `provider event` of every `send-test-webhook` run.
    sent: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Sandbox {
    async fn start(extra: &[&str]) -> Self {
        let admin = Admin::start().await;
        let dir = std::env::temp_dir().join(format!("meetflow-flows-{}", uuid::Uuid::new_v4()));
        let record = dir.join("sandbox.jsonl");
        let port = free_port();
        let mut cmd = admin.sandbox_command(port, &record);
        cmd.args(extra).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        wait_port(port, &mut child).await;
        Self {
            admin,
            child,
            url: format!("http://127.0.0.1:{port}"),
            record,
            sent: std::sync::Mutex::default(),
        }
    }

    /// The calls recorded so far.
    fn calls(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Recorded calls of `provider` with this method, whose path contains `part`, answered `status`.
    fn answered(&self, provider: &str, method: &str, part: &str, status: u16) -> usize {
        self.calls()
            .iter()
            .filter(|c| c["provider"] == provider && c["method"] == method)
            .filter(|c| c["path"].as_str().unwrap_or_default().contains(part))
            .filter(|c| c["status"] == status)
            .count()
    }

    /// `meetflow-admin send-test-webhook PROVIDER EVENT --sandbox URL --url INGEST/webhooks/P`.
    async fn send(&self, ingest: &str, provider: &str, event: &str) -> String {
        self.sent
            .lock()
            .unwrap()
            .insert(format!("{provider} {event}"));
        let mut cmd = self.admin.command();
        cmd.args(["send-test-webhook", provider, event, "--sandbox", &self.url])
            .args(["--url", &format!("{ingest}/webhooks/{provider}")])
            .env("MEETFLOW__CONNECTORS__CALENDLY__SIGNING_KEY", KEY)
            .env("MEETFLOW__CONNECTORS__ZOOM__WEBHOOK_SECRET", SECRET)
            .stdin(Stdio::null());
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "send-test-webhook {provider} {event}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    fn stop(mut self) {
        terminate(&mut self.child);
    }
}

fn calendly_client(url: &str) -> CalendlyClient {
    meetflow_tests::install_crypto();
    CalendlyClient::new(
        url::Url::parse(url).unwrap(),
        "sandbox-calendly-token".to_owned().into(),
        Duration::from_secs(5),
    )
    .unwrap()
}

#[tokio::test]
async fn send_test_webhook_sends_every_event_and_each_flow_runs_against_the_sandbox() {
    let (mut env, ingest, stop) = env_with_ingest(KEY, SECRET, "").await;
    let webhook_url = format!("{ingest}/webhooks/calendly");
    let sb = Sandbox::start(&[
        "--calendly-webhook-url",
        &webhook_url,
        "--calendly-signing-key",
        KEY,
    ])
    .await;
    let s = &mut env.settings;
    s.connectors.calendly.access_token = Some("sandbox-calendly-token".to_owned().into());
    s.connectors.calendly.api_base_url = sb.url.clone();
    s.connectors.zoom.api_base_url = format!("{}/v2", sb.url);
    s.connectors.zoom.oauth_base_url = sb.url.clone();
    s.engagelab.templates.win_back = "tpl_win_back".into();
    s.engagelab.templates.no_show = "tpl_no_show".into();
    s.engagement.win_back_after = DELAY;
    s.engagement.no_show_after = DELAY;
    let worker = env.start();
    let bookings = env
        .bookings()
        .with_engagement(Engagement::from_settings(&env.settings));
    let due = spawn_loop(&bookings, meetflow_scheduler::DueLoopSettings::default());
    let sent = |template: &str| {
        env.engagelab
            .sent()
            .into_iter()
            .filter(|m| m.template_id == template)
            .collect::<Vec<_>>()
    };

    // Booked; marked no-show: the apology carries a scheduling link from the sandbox.
    let created = sb.send(&ingest, "calendly", "invitee.created").await;
    assert!(created.contains("-> 200"), "{created}");
    env.settle().await;
    sb.send(&ingest, "calendly", "invitee_no_show.created")
        .await;
    let apologized = eventually(Duration::from_secs(15), || async {
        !sent("tpl_no_show").is_empty()
    })
    .await;
    assert!(apologized, "no no-show apology: {:?}", env.engagelab.sent());
    let apology = sent("tpl_no_show").remove(0);
    assert!(
        apology.params["booking_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://calendly.com/d/")),
        "{:?}",
        apology.params
    );
    sb.send(&ingest, "calendly", "invitee_no_show.deleted")
        .await;
    sb.send(&ingest, "calendly", "routing_form_submission.created")
        .await;

    // The Zoom meeting of that booking: participants (the invitee among them), its recording.
    for event in [
        "meeting.started",
        "meeting.participant_joined",
        "meeting.participant_left",
        "meeting.ended",
        "recording.completed",
    ] {
        sb.send(&ingest, "zoom", event).await;
    }
    env.settle().await;
    let attended = eventually(Duration::from_secs(15), || async {
        env.brevo
            .list_members(15)
            .iter()
            .any(|e| e.eq_ignore_ascii_case(JORDAN_EMAIL))
    })
    .await;
    assert!(attended, "the invitee is not on the participants list");
    let recording = env
        .brevo
        .contact(JORDAN_EMAIL)
        .and_then(|c| c.attributes.get("RECORDING_URL").cloned());
    assert!(
        recording
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|u| u.contains("rec/share")),
        "the recording did not reach the booking's contact: {recording:?}"
    );

    // The webinar: registered, joined, ended; its attendees from the sandbox's Zoom API.
    for event in [
        "webinar.registration_created",
        "webinar.participant_joined",
        "webinar.ended",
        "endpoint.url_validation",
    ] {
        sb.send(&ingest, "zoom", event).await;
    }
    env.settle().await;
    assert!(
        env.brevo
            .list_members(16)
            .iter()
            .any(|e| e.eq_ignore_ascii_case(JORDAN_EMAIL)),
        "the invitee is not on the webinar attendees list"
    );

    // Moved (the pair), then cancelled: the win-back carries a scheduling link too.
    let pair = sb.send(&ingest, "calendly", "reschedule").await;
    assert_eq!(pair.matches("-> 200").count(), 2, "{pair}");
    assert!(
        pair.contains("invitee.canceled") && pair.contains("invitee.created"),
        "{pair}"
    );
    env.settle().await;
    sb.send(&ingest, "calendly", "invitee.canceled").await;
    let won_back = eventually(Duration::from_secs(15), || async {
        !sent("tpl_win_back").is_empty()
    })
    .await;
    assert!(won_back, "no win-back: {:?}", env.engagelab.sent());

    // A no-show marked through the sandbox's Calendly API comes back as a signed webhook.
    let api = calendly_client(&sb.url);
    let me = api.users_me().await.unwrap();
    let query = EventsQuery {
        scope: Scope::Organization(me.current_organization.clone()),
        min_start_time: None,
        max_start_time: None,
        status: None,
    };
    let events = api.list_scheduled_events(&query).await.unwrap();
    assert_eq!(events.len(), 2, "the booking and the one it moved to");
    assert!(
        events
            .iter()
            .all(|e| e.status.as_deref() == Some("canceled")),
        "one moved, the other cancelled: {events:?}"
    );
    let first = events[0].uri.clone().unwrap();
    let invitees = api.list_invitees(&first).await.unwrap();
    let mark = api.create_invitee_no_show(&invitees[0].uri).await.unwrap();
    let delivered = eventually(Duration::from_secs(10), || async {
        sb.answered("calendly-webhook", "POST", "/webhooks/calendly", 200) == 1
    })
    .await;
    assert!(delivered, "{:?}", sb.calls());
    api.delete_invitee_no_show(&mark.uri).await.unwrap();
    env.settle().await;

    // Every flow called the sandbox and got its answer; nothing was dead-lettered.
    assert!(sb.answered("zoom", "POST", "/oauth/token", 200) >= 1);
    assert!(sb.answered("zoom", "GET", "/v2/past_meetings/", 200) >= 1);
    assert!(sb.answered("zoom", "GET", "/v2/webinars/", 200) >= 1);
    assert!(sb.answered("zoom", "GET", "/v2/past_webinars/", 200) >= 1);
    assert_eq!(sb.answered("calendly", "POST", "/scheduling_links", 201), 2);
    let refused: Vec<Value> = sb
        .calls()
        .into_iter()
        .filter(|c| c["provider"] == "calendly" || c["provider"] == "zoom")
        .filter(|c| c["status"].as_u64().is_some_and(|s| s >= 400))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    let every: std::collections::BTreeSet<String> = CALENDLY_EVENTS
        .iter()
        .map(|e| format!("calendly {e}"))
        .chain(ZOOM_EVENTS.iter().map(|e| format!("zoom {e}")))
        .collect();
    assert_eq!(*sb.sent.lock().unwrap(), every, "every event was sent");
    for q in ALL_QUEUES {
        let dead = env.dead(q).await;
        assert!(dead.is_empty(), "dead letters in {q}: {dead:?}");
    }

    due.stop().await;
    worker.stop().await;
    stop.cancel();
    sb.stop();
}

#[tokio::test]
async fn reconciliation_heals_from_the_sandbox_a_booking_whose_webhook_never_came() {
    let f = crate::support::scheduler::fixture().await;
    let sb = Sandbox::start(&[]).await;
    // The sample is made (the sandbox now serves the booking) but never delivered.
    let http = meetflow_tests::http::http_client();
    let sample: Value = http
        .post(format!(
            "{}/sandbox/webhooks/calendly/invitee.created",
            sb.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uri = sample["deliveries"][0]["payload"]["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    Baseline::new(f.client.clone())
        .set(chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    let report = Reconciler::new(calendly_client(&sb.url), f.bookings.clone())
        .run_once()
        .await
        .unwrap();
    assert_eq!(report.healed_created, 1, "{report:?}");
    let mut conn = f.client.redis();
    let ids: Vec<String> = redis::cmd("LRANGE")
        .arg(f.client.keys().ready(EVENTS))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let record = f.client.job(&ids[0]).await.unwrap().unwrap();
    let job: WebhookJob = serde_json::from_str(record.payload.as_deref().unwrap()).unwrap();
    let body: Value = serde_json::from_slice(&job.raw_body().unwrap()).unwrap();
    assert_eq!(body["payload"]["uri"], uri.as_str());
    assert!(sb.answered("calendly", "GET", "/scheduled_events", 200) >= 2);
    sb.stop();
}
