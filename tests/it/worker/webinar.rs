//! Worker: `webinar.ended` splits the registrants into attendees (onto the attendee list with
//! their minutes, the `attended` event) and absentees (onto `engagement.webinar_missed_list`,
//! the `ended` event with `attended: false`), reading every page of both Zoom lists, and sends
//! nothing twice. The lead signal (total minutes) is in `worker_zoom_minutes`.

use meetflow_shared::events::Provider;
use meetflow_shared::jobs::zoom::{WebinarEnded, ZoomJob, ZoomOp};
use meetflow_shared::jobs::{BREVO, ZOOM};
use meetflow_shared::queue::NewJob;
use meetflow_tests::fakes::FakeZoom;
use serde_json::{Value, json};

use crate::support::worker::{Env, env};

pub(crate) const WEBINAR_ENDED: &str =
    include_str!("../../../shared/src/events/testdata/zoom_webinar_ended.json");
pub(crate) const WEBINAR_ID: &str = "91234567890";
pub(crate) const WEBINAR_UUID: &str = "Wb7+K2pLQ1mYf0c3dE5a9g==";
const MISSED_LIST: i64 = 18;

/// The `webinar.ended` fixture for instance `uuid`, delivered at `ts`.
pub(crate) fn webinar_ended(uuid: &str, ts: i64) -> String {
    crate::worker::zoom::instance_ended(WEBINAR_ENDED, uuid, ts)
}

/// One join session of `minutes` minutes.
pub(crate) fn session(email: &str, minutes: u32) -> Value {
    let leave = format!("2026-05-06T16:{minutes:02}:00Z");
    FakeZoom::participant("P", email, "2026-05-06T16:00:00Z", &leave)
}

pub(crate) fn gets(env: &Env, path_part: &str) -> usize {
    env.zoom
        .requests()
        .iter()
        .filter(|r| r.path.contains(path_part))
        .count()
}

/// `(event name, email, event_properties)` of every Brevo event.
fn events(env: &Env) -> Vec<(String, String, Value)> {
    let mut out: Vec<_> = env
        .brevo
        .events()
        .into_iter()
        .map(|e| {
            let email = e.identifiers["email_id"].as_str().unwrap_or("").to_owned();
            (
                e.event_name,
                email,
                e.event_properties.unwrap_or(Value::Null),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

pub(crate) fn attr(env: &Env, email: &str, name: &str) -> Value {
    env.brevo.contact(email).unwrap().attributes[name].clone()
}

/// Léa attends twice (17 + 5 min, her e-mail in another case), Tom and Ana miss, Walk In
/// attends without registering, a guest has no e-mail.
fn seed_small_webinar(env: &Env) {
    env.zoom.add_webinar(
        WEBINAR_ID,
        vec![
            FakeZoom::registrant("Léa", "Müller", "lea@example.com"),
            FakeZoom::registrant("Tom", "Berg", "tom@example.com"),
            FakeZoom::registrant("Ana", "", "Ana@Example.com"),
        ],
    );
    env.zoom.add_past_webinar(
        WEBINAR_UUID,
        vec![
            session("LEA@example.com", 17),
            session("walk.in@example.com", 9),
            session("", 30),
            session("lea@example.com", 5),
        ],
    );
}

#[tokio::test]
async fn webinar_attendees_and_absentees_are_split_by_email() {
    let mut env = env().await;
    env.settings.engagement.webinar_missed_list = Some(MISSED_LIST as u64);
    seed_small_webinar(&env);
    let worker = env.start();
    env.deliver(Provider::Zoom, WEBINAR_ENDED).await;
    env.settle().await;

    assert_eq!(
        env.brevo.list_members(16),
        ["lea@example.com", "walk.in@example.com"]
    );
    assert_eq!(
        env.brevo.list_members(MISSED_LIST),
        ["ana@example.com", "tom@example.com"]
    );
    assert_eq!(
        attr(&env, "lea@example.com", "ATTENDANCE_STATUS"),
        "attended"
    );
    assert_eq!(attr(&env, "lea@example.com", "ATTENDANCE_MINUTES"), 22);
    assert_eq!(
        attr(&env, "lea@example.com", "TOTAL_ATTENDANCE_MINUTES"),
        22
    );
    assert_eq!(attr(&env, "tom@example.com", "ATTENDANCE_STATUS"), "missed");
    assert_eq!(attr(&env, "tom@example.com", "FIRSTNAME"), "Tom");
    assert_eq!(attr(&env, "tom@example.com", "LASTNAME"), "Berg");
    assert!(
        env.brevo
            .contact("tom@example.com")
            .unwrap()
            .attributes
            .get("TOTAL_ATTENDANCE_MINUTES")
            .is_none()
    );
    let ev = events(&env);
    let names: Vec<(&str, &str)> = ev
        .iter()
        .map(|(n, e, _)| (n.as_str(), e.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("meeting_attended", "lea@example.com"),
            ("meeting_attended", "walk.in@example.com"),
            ("meeting_ended", "Ana@Example.com"),
            ("meeting_ended", "tom@example.com"),
        ]
    );
    let tom = &ev[3].2;
    assert_eq!(tom["attended"], false);
    assert_eq!(tom["webinar_id"], WEBINAR_ID);
    assert_eq!(tom["topic"], "Scheduling at scale — live Q&A");
    assert_eq!(ev[0].2["minutes"], 22);
    assert!(env.dead(ZOOM).await.is_empty());
    assert!(env.dead(BREVO).await.is_empty());
    worker.stop().await;
}

#[tokio::test]
async fn with_the_missed_list_off_absentees_get_the_event_and_no_sync() {
    let env = env().await;
    seed_small_webinar(&env);
    let worker = env.start();
    env.deliver(Provider::Zoom, WEBINAR_ENDED).await;
    env.settle().await;

    assert!(env.brevo.contact("tom@example.com").is_none());
    assert!(env.brevo.contact("ana@example.com").is_none());
    assert_eq!(env.brevo.list_members(16).len(), 2);
    let ended: Vec<String> = events(&env)
        .into_iter()
        .filter(|(n, _, _)| n == "meeting_ended")
        .map(|(_, e, _)| e)
        .collect();
    assert_eq!(ended, ["Ana@Example.com", "tom@example.com"]);
    worker.stop().await;
}

#[tokio::test]
async fn a_redelivered_or_retried_webinar_ended_sends_nothing_twice() {
    let mut env = env().await;
    env.settings.engagement.webinar_missed_list = Some(MISSED_LIST as u64);
    seed_small_webinar(&env);
    // The first Zoom call (the token) fails: the job is retried.
    env.zoom
        .fail_next(1, 503, json!({ "code": 503, "message": "busy" }));
    let worker = env.start();
    env.deliver(Provider::Zoom, WEBINAR_ENDED).await;
    env.settle().await;
    let contact_posts = |env: &Env| {
        env.brevo
            .requests()
            .iter()
            .filter(|r| r.path == "/v3/contacts")
            .count()
    };
    let first = (contact_posts(&env), env.brevo.events().len());
    assert_eq!(first, (4, 4), "2 attendees + 2 absentees, one event each");

    // Zoom sends the event again (a new event_ts: ingest cannot tell it apart), and the
    // look-up itself runs again (as after a crash between its enqueues and its ack).
    env.deliver(
        Provider::Zoom,
        &webinar_ended(WEBINAR_UUID, 1_778_086_999_000),
    )
    .await;
    env.deliver_as(Provider::Zoom, WEBINAR_ENDED, "wh:zoom:redelivered")
        .await;
    let again = ZoomJob {
        v: ZoomJob::VERSION,
        op: ZoomOp::WebinarEnded(WebinarEnded {
            webinar_uuid: WEBINAR_UUID.into(),
            webinar_id: WEBINAR_ID.into(),
            topic: None,
            end_time: None,
        }),
    };
    enqueue_zoom(&env, &again, "zoom:webinar_ended:again").await;
    env.settle().await;

    assert_eq!((contact_posts(&env), env.brevo.events().len()), first);
    assert_eq!(
        gets(&env, "/registrants"),
        2,
        "the first look-up and the re-run"
    );
    assert!(env.dead(ZOOM).await.is_empty());
    worker.stop().await;
}

/// Stores a `zoom` job under `id`, as if it were enqueued again.
pub(crate) async fn enqueue_zoom(env: &Env, job: &ZoomJob, id: &str) {
    env.client
        .enqueue(ZOOM, NewJob::json(job).unwrap().with_id(id))
        .await
        .unwrap();
}

#[tokio::test]
async fn every_page_of_registrants_and_participants_is_read() {
    let mut env = env().await;
    env.settings.engagement.webinar_missed_list = Some(MISSED_LIST as u64);
    let regs = (0..310)
        .map(|i| FakeZoom::registrant("R", "", &format!("r{i}@example.com")))
        .collect();
    env.zoom.add_webinar(WEBINAR_ID, regs);
    let mut rows: Vec<Value> = (0..300)
        .map(|i| session(&format!("r{i}@example.com"), 3))
        .collect();
    rows.extend((0..5).map(|i| session(&format!("walkin{i}@example.com"), 4)));
    let uuid = "/Wb7//K2pLQ1mYf0c3dE5a9g==";
    env.zoom.add_past_webinar(uuid, rows);
    let worker = env.start();
    env.deliver(Provider::Zoom, &webinar_ended(uuid, 1)).await;
    env.settle().await;

    assert_eq!(
        gets(&env, "/registrants"),
        2,
        "310 registrants at 300 per page"
    );
    assert_eq!(gets(&env, "/participants"), 2, "305 rows at 300 per page");
    assert_eq!(env.brevo.list_members(16).len(), 305);
    let missed = env.brevo.list_members(MISSED_LIST);
    assert_eq!(missed.len(), 10);
    assert!(missed.contains(&"r309@example.com".to_owned()));
    assert_eq!(attr(&env, "walkin4@example.com", "ATTENDANCE_MINUTES"), 4);
    worker.stop().await;
}
