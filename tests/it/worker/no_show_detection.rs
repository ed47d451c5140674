//! Attendance-based no-shows (issue 18, item 5): with `engagement.no_show_detection`, `grace`
//! after a booked Zoom meeting ends the worker reads its participants and marks in Calendly
//! (`POST /invitee_no_shows`) each invitee who never joined. Calendly's `invitee_no_show.created`
//! (the fake sends it, signed, to ingest) runs the normal no-show flow once: status, Brevo event,
//! apology planned. Not when the invitee joined (late, or under another e-mail with the same
//! name), never without participant data, off unless configured; `meetflow-admin no-shows undo`
//! removes the mark and records it in the audit trail.

use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use meetflow_shared::auto_no_show::AutoNoShows;
use meetflow_shared::bookings::{BookingKey, BookingStatus, ReminderKind};
use meetflow_shared::config::{NoShowDetection, Settings};
use meetflow_shared::events::Provider;
use meetflow_shared::jobs::ZOOM;
use meetflow_shared::providers::calendly_api::{CalendlyClient, NewWebhookSubscription, Scope};
use meetflow_shared::queue::JobState;
use meetflow_tests::fakes::{EventSeed, FakeCalendlyApi, FakeZoom, InviteeSeed, ORG_URI};
use meetflow_tests::fixtures;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::support::admin::{admin_binary, ok, run};
use crate::support::worker::{
    Env, JORDAN_EMAIL, NS, RunningWorker, created, env_with_ingest, eventually,
};

const CALENDLY_KEY: &str = "calendly-signing-key-for-no-shows";
const ZOOM_SECRET: &str = "zoom-secret-for-no-shows";

/// The worker env with ingest, the fake Calendly subscribed to ingest, and the Calendly API set.
struct Setup {
    env: Env,
    calendly: FakeCalendlyApi,
    stop_ingest: CancellationToken,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.stop_ingest.cancel();
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `detection`: the `engagement.no_show_detection` block (`None` = off).
async fn setup(detection: Option<NoShowDetection>) -> Setup {
    let (mut env, ingest, stop_ingest) = env_with_ingest(CALENDLY_KEY, ZOOM_SECRET, "").await;
    let calendly = FakeCalendlyApi::start().await.unwrap();
    let s = &mut env.settings;
    s.connectors.calendly.api_base_url = calendly.base_url();
    s.connectors.calendly.access_token = Some(calendly.access_token().into());
    s.engagelab.templates.no_show = "tpl_no_show".into();
    s.engagement.no_show_detection = detection;
    s.validate_for(meetflow_shared::config::Role::Worker)
        .unwrap();
    CalendlyClient::new(
        calendly.base_url().parse().unwrap(),
        calendly.access_token().into(),
        Duration::from_secs(5),
    )
    .unwrap()
    .create_webhook_subscription(&NewWebhookSubscription {
        url: format!("{ingest}/webhooks/calendly"),
        events: vec![
            "invitee_no_show.created".into(),
            "invitee_no_show.deleted".into(),
        ],
        scope: Scope::Organization(ORG_URI.into()),
        signing_key: Some(CALENDLY_KEY.to_owned().into()),
    })
    .await
    .unwrap();
    Setup {
        env,
        calendly,
        stop_ingest,
    }
}

fn detection(grace: Duration, match_by_name: bool) -> Option<NoShowDetection> {
    Some(NoShowDetection {
        grace,
        match_by_name,
    })
}

/// A Zoom meeting instance that ran from `start` to `end`.
struct Instance {
    uuid: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Instance {
    /// An instance that started 30 minutes ago and ends now.
    fn ending_now() -> Self {
        let end = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        Self {
            uuid: format!("{}==", uuid::Uuid::new_v4().simple()),
            start: end - chrono::Duration::minutes(30),
            end,
        }
    }

    /// Its `meeting.ended` (the fixture: meeting id 85746065432, the Calendly fixture's Zoom location).
    fn ended(&self) -> String {
        let mut v: Value = serde_json::from_str(fixtures::ZOOM_MEETING_ENDED).unwrap();
        let o = &mut v["payload"]["object"];
        o["uuid"] = json!(self.uuid);
        o["start_time"] = json!(self.start.to_rfc3339_opts(SecondsFormat::Secs, true));
        o["end_time"] = json!(self.end.to_rfc3339_opts(SecondsFormat::Secs, true));
        v["event_ts"] = json!(self.end.timestamp_millis());
        v.to_string()
    }

    /// A participant row of this instance joining `after` its start, for 5 minutes.
    fn row(&self, name: &str, email: &str, after: chrono::Duration) -> Value {
        let join = self.start + after;
        FakeZoom::participant(
            name,
            email,
            &join.to_rfc3339_opts(SecondsFormat::Secs, true),
            &(join + chrono::Duration::minutes(5)).to_rfc3339_opts(SecondsFormat::Secs, true),
        )
    }

    fn host(&self) -> Value {
        self.row(
            "Maya Chen",
            "maya.chen@example.com",
            chrono::Duration::zero(),
        )
    }
}

impl Setup {
    /// Jordan Rivera booked the 30 minutes that started half an hour ago through Calendly
    /// (seeded at the fake, delivered to the worker as `invitee.created` with the fixture's Zoom
    /// location): the invitee URI. The meeting instance ([`Instance::ending_now`]) is made
    /// after, so its end is fresh when delivered.
    async fn booked(&self) -> String {
        let start = Utc::now() - chrono::Duration::minutes(30);
        let event = self.calendly.add_event(EventSeed::new(
            &iso(start),
            &iso(start + chrono::Duration::minutes(30)),
        ));
        let uri = self.calendly.add_invitee(
            &event,
            InviteeSeed::new(JORDAN_EMAIL, "Jordan Rivera").phone("+1 415-555-0132"),
        );
        self.env
            .deliver(Provider::Calendly, &created(&uri, start))
            .await;
        uri
    }

    fn marks_posted(&self) -> Vec<Value> {
        self.calendly
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/invitee_no_shows")
            .filter_map(|r| r.json)
            .collect()
    }

    fn participant_reads(&self, instance: &Instance) -> usize {
        let encoded = instance.uuid.replace('=', "%3D");
        self.env
            .zoom
            .requests()
            .iter()
            .filter(|r| r.path.contains("/participants") && r.path.contains(&encoded))
            .count()
    }

    fn no_show_events(&self) -> usize {
        self.env
            .brevo
            .events()
            .iter()
            .filter(|e| e.event_name == "booking_no_show")
            .count()
    }

    async fn status(&self, uri: &str) -> BookingStatus {
        self.env
            .booking(&BookingKey::from_invitee_uri(uri))
            .await
            .unwrap()
            .status
    }

    /// Waits until Calendly has sent `n` webhooks (and ingest answered them), then until the
    /// worker has handled them.
    async fn webhooks_handled(&self, n: usize) {
        let sent = self
            .calendly
            .wait_for_deliveries(n, Duration::from_secs(10))
            .await;
        assert_eq!(sent.len(), n, "{sent:?}");
        assert!(sent.iter().all(|d| d.status == Some(200)), "{sent:?}");
        self.env.settle().await;
    }

    /// `meetflow-admin` on this Redis and the fake Calendly.
    fn admin(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(admin_binary());
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("MEETFLOW") {
                cmd.env_remove(k);
            }
        }
        cmd.env("MEETFLOW__REDIS__URL", self.env.redis.url())
            .env("MEETFLOW__REDIS__NAMESPACE", NS)
            .env(
                "MEETFLOW__CONNECTORS__CALENDLY__API_BASE_URL",
                self.calendly.base_url(),
            )
            .env(
                "MEETFLOW__CONNECTORS__CALENDLY__ACCESS_TOKEN",
                self.calendly.access_token(),
            )
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .args(args);
        cmd
    }

    /// A booked meeting Jordan never joined, ended and checked: the worker, invitee URI.
    async fn marked(&self) -> (RunningWorker, String) {
        let worker = self.env.start();
        let uri = self.booked().await;
        self.env.settle().await;
        let instance = Instance::ending_now();
        self.env
            .zoom
            .add_past_meeting(&instance.uuid, vec![instance.host()]);
        self.env.deliver(Provider::Zoom, &instance.ended()).await;
        self.env.settle().await;
        self.webhooks_handled(1).await;
        (worker, uri)
    }
}

#[tokio::test]
async fn a_no_show_is_detected_and_marked_after_the_grace_and_its_flow_runs_once() {
    let grace = Duration::from_secs(3);
    let s = setup(detection(grace, true)).await;
    let worker = s.env.start();
    let uri = s.booked().await;
    s.env.settle().await;
    let instance = Instance::ending_now();
    s.env.zoom.add_past_meeting(
        &instance.uuid,
        vec![
            instance.host(),
            instance.row("Guest", "", chrono::Duration::minutes(1)),
        ],
    );
    let ended = s.env.deliver(Provider::Zoom, &instance.ended()).await;

    // The check waits for the grace: the meeting.ended job is done, nothing is marked yet.
    let check_id = format!("zoom:no_show:{}", instance.uuid);
    let events_done = eventually(Duration::from_secs(10), || async {
        s.env
            .client
            .job(&ended)
            .await
            .unwrap()
            .is_some_and(|j| j.state == JobState::Done)
    })
    .await;
    assert!(events_done, "meeting.ended handled");
    let due = instance.end + chrono::Duration::from_std(grace).unwrap();
    assert!(
        Utc::now() < due,
        "the test machine is too slow for this grace"
    );
    assert!(
        s.marks_posted().is_empty(),
        "nothing marked before the grace"
    );
    let check = s
        .env
        .client
        .job(&check_id)
        .await
        .unwrap()
        .expect("check scheduled");
    assert_eq!(check.state, JobState::Delayed);
    assert_eq!(
        check.run_at_ms,
        due.timestamp_millis(),
        "grace after the end"
    );

    s.env.settle().await;
    s.webhooks_handled(1).await;
    assert_eq!(s.marks_posted(), [json!({ "invitee": uri })]);
    assert_eq!(s.status(&uri).await, BookingStatus::NoShow);
    assert_eq!(s.no_show_events(), 1, "{:?}", s.env.brevo.events());
    let booking = s
        .env
        .booking(&BookingKey::from_invitee_uri(&uri))
        .await
        .unwrap();
    assert!(
        booking
            .reminders
            .iter()
            .any(|r| r.kind == ReminderKind::NoShow),
        "apology planned: {:?}",
        booking.reminders
    );
    let marks = AutoNoShows::new(s.env.client.handle().clone())
        .list(10)
        .await
        .unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].invitee_uri, uri);
    assert_eq!(marks[0].state(), "marked");

    // Zoom delivers the end again (a redelivery ingest could not tell apart): nothing twice.
    s.env
        .deliver_as(Provider::Zoom, &instance.ended(), "wh:zoom:again")
        .await;
    s.env.settle().await;
    assert_eq!(s.marks_posted().len(), 1);
    assert_eq!(s.calendly.deliveries().len(), 1);
    assert_eq!(s.no_show_events(), 1);
    assert!(s.env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn not_when_the_invitee_joined_late() {
    let s = setup(detection(Duration::from_millis(200), false)).await;
    let worker = s.env.start();
    let uri = s.booked().await;
    s.env.settle().await;
    let instance = Instance::ending_now();
    s.env.zoom.add_past_meeting(
        &instance.uuid,
        vec![
            instance.host(),
            instance.row(
                "Jordan Rivera",
                "Jordan.Rivera@Example.com",
                chrono::Duration::minutes(24),
            ),
        ],
    );
    s.env.deliver(Provider::Zoom, &instance.ended()).await;
    s.env.settle().await;
    assert!(
        s.participant_reads(&instance) >= 2,
        "attendance and the check read them"
    );
    assert!(s.marks_posted().is_empty());
    assert_eq!(s.status(&uri).await, BookingStatus::Active);
    assert!(s.env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn not_when_they_joined_under_another_email_and_the_name_fallback_matches() {
    let s = setup(detection(Duration::from_millis(200), true)).await;
    let worker = s.env.start();
    let uri = s.booked().await;
    s.env.settle().await;
    let instance = Instance::ending_now();
    s.env.zoom.add_past_meeting(
        &instance.uuid,
        vec![
            instance.host(),
            instance.row(
                "  jordan RIVERA",
                "jordan@personal.example",
                chrono::Duration::minutes(2),
            ),
        ],
    );
    s.env.deliver(Provider::Zoom, &instance.ended()).await;
    s.env.settle().await;
    assert!(s.participant_reads(&instance) >= 2);
    assert!(s.marks_posted().is_empty());
    assert_eq!(s.status(&uri).await, BookingStatus::Active);
    worker.stop().await;
}

#[tokio::test]
async fn not_for_a_meeting_with_no_participant_data() {
    let mut s = setup(detection(Duration::from_millis(100), true)).await;
    s.env.settings.connectors.zoom.report_wait = Duration::from_secs(4);
    let worker = s.env.start();
    let uri = s.booked().await;
    s.env.settle().await;
    let instance = Instance::ending_now();
    s.env.zoom.add_past_meeting(&instance.uuid, vec![]);
    s.env.deliver(Provider::Zoom, &instance.ended()).await;
    s.env.settle().await;
    assert!(
        s.participant_reads(&instance) >= 3,
        "the empty report was asked again while it could still come"
    );
    assert!(s.marks_posted().is_empty());
    assert_eq!(s.status(&uri).await, BookingStatus::Active);
    assert!(s.env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn off_unless_configured() {
    let s = setup(None).await;
    let worker = s.env.start();
    let uri = s.booked().await;
    s.env.settle().await;
    let instance = Instance::ending_now();
    s.env
        .zoom
        .add_past_meeting(&instance.uuid, vec![instance.host()]);
    s.env.deliver(Provider::Zoom, &instance.ended()).await;
    s.env.settle().await;
    let check_id = format!("zoom:no_show:{}", instance.uuid);
    assert!(s.env.client.job(&check_id).await.unwrap().is_none());
    assert!(s.marks_posted().is_empty());
    assert_eq!(s.status(&uri).await, BookingStatus::Active);
    worker.stop().await;

    // Turned on without a Calendly token, the worker refuses the configuration.
    let mut settings: Settings = s.env.settings.clone();
    settings.engagement.no_show_detection = Some(NoShowDetection::default());
    settings.connectors.calendly.access_token = None;
    let err = settings
        .validate_for(meetflow_shared::config::Role::Worker)
        .unwrap_err();
    assert!(
        err.to_string().contains("engagement.no_show_detection"),
        "{err}"
    );
}

#[tokio::test]
async fn undo_removes_the_mark_and_is_audited() {
    let s = setup(detection(Duration::from_millis(100), true)).await;
    let (worker, uri) = s.marked().await;
    assert_eq!(s.status(&uri).await, BookingStatus::NoShow);

    let listed = ok(&run(s.admin(&["no-shows", "list", "--json"])).await);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["invitee_uri"], uri.as_str(), "{listed}");

    let out = ok(&run(s.admin(&["no-shows", "undo", &uri])).await);
    assert!(out.contains("removed in Calendly"), "{out}");
    assert!(
        s.calendly.no_shows().is_empty(),
        "the mark is gone in Calendly"
    );
    s.webhooks_handled(2).await;
    assert_eq!(s.status(&uri).await, BookingStatus::Active);
    let booking = s
        .env
        .booking(&BookingKey::from_invitee_uri(&uri))
        .await
        .unwrap();
    assert!(
        !booking
            .reminders
            .iter()
            .any(|r| r.kind == ReminderKind::NoShow
                && r.state == meetflow_shared::bookings::ReminderState::Planned),
        "apology called off: {:?}",
        booking.reminders
    );

    let table = ok(&run(s.admin(&["no-shows", "list"])).await);
    assert!(table.contains("undone"), "{table}");
    let audit = ok(&run(s.admin(&["audit", "--json"])).await);
    assert!(
        audit.contains("no_show_undo") && audit.contains(&uri),
        "{audit}"
    );

    // Undone once: a second undo is refused, and nothing is deleted twice.
    let again = run(s.admin(&["no-shows", "undo", &uri])).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already undone"));
    assert_eq!(
        s.calendly
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .count(),
        1
    );
    worker.stop().await;
}
