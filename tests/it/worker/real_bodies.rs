//! Every real webhook body of `$MEETFLOW_SHARED/fixtures/real` (captured from Calendly and Zoom
//! or published by them, not written here), signed and sent through a real ingest server to a
//! worker on the same Redis, with the outcome a user expects for each file.
//!
//! One table row per file: a file without a row, or a row without a file, fails the test. No
//! body may end in the dead letters. The Calendly location examples are each put into a booking
//! that starts in two days, so every location kind must sync, text and plan like any other.

use std::collections::BTreeSet;
use std::path::PathBuf;

use meetflow_shared::bookings::BookingKey;
use meetflow_shared::jobs::ALL_QUEUES;
use meetflow_tests::fakes::FakeZoom;
use meetflow_tests::signing;
use serde_json::{Value, json};

use crate::support::worker::{Env, env_with_ingest, in_two_days, rfc3339};

const CALENDLY_KEY: &str = "real-bodies-calendly-key";
const ZOOM_SECRET: &str = "real-bodies-zoom-secret";

/// What a user expects after one delivery.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Ingest answers the Zoom challenge itself; nothing is queued.
    Challenge,
    /// Accepted and finished without touching a provider (meetflow does not act on it).
    Ignored,
    /// The contact is synced with these Brevo events, and this many SMS go out.
    Contact {
        email: &'static str,
        events: &'static [&'static str],
        status: Option<&'static str>,
        sms: usize,
    },
    /// The old half of a reschedule: no cancellation reaches Brevo or the invitee.
    RescheduleOldHalf,
    /// Attendance of the meeting is read from Zoom and recorded on the participants list.
    Attendance {
        list: i64,
        emails: &'static [&'static str],
    },
    /// A Calendly API resource, not a delivery: read by the API client's model.
    ApiInvitee,
    /// Each location example, put into a future booking, syncs, texts and plans reminders.
    Locations,
}

use Expect::{ApiInvitee, Attendance, Challenge, Contact, Ignored, Locations, RescheduleOldHalf};

/// The table, in delivery order (a booking before its cancellation and no-show).
const ROWS: &[(&str, Expect)] = &[
    ("zoom/docs_endpoint_url_validation.json", Challenge),
    (
        "zoom/official_sample_meeting_started_placeholders.json",
        Ignored,
    ),
    (
        "zoom/real2026_meeting_participant_joined_guest_empty_email.json",
        Ignored,
    ),
    ("zoom/tng_participant_joined_no_email.json", Ignored),
    ("zoom/tng_participant_left_no_leave_time.json", Ignored),
    (
        "zoom/zoomsdk_meeting_participant_joined_date_time.json",
        Ignored,
    ),
    ("zoom/zoomsdk_meeting_participant_left.json", Ignored),
    (
        "zoom/zoomsdk_meeting_ended.json",
        Attendance {
            list: 15,
            emails: &["jill.chill@example.com"],
        },
    ),
    ("zoom/thirdparty_recording_completed_minimal.json", Ignored),
    (
        "zoom/thirdparty_recording_completed_download_token.json",
        Ignored,
    ),
    (
        "calendly/spec2023_invitee_created.json",
        Contact {
            email: "test@example.com",
            events: &["booking_created"],
            status: Some("active"),
            sms: 0,
        },
    ),
    (
        "calendly/spec2023_invitee_canceled.json",
        Contact {
            email: "test@example.com",
            events: &["booking_cancelled"],
            status: Some("cancelled"),
            sms: 0,
        },
    ),
    (
        "calendly/doc_invitee_no_show_deleted.json",
        Contact {
            email: "test@example.com",
            events: &[],
            status: None,
            sms: 0,
        },
    ),
    (
        // Synced as a lead only with an e-mail answer; this one answers the industry alone.
        "calendly/spec2023_routing_form_submission_created.json",
        Ignored,
    ),
    (
        "calendly/real2023_invitee_created_google_meet_processing.json",
        Contact {
            email: "invitee.2023@example.com",
            events: &["booking_created"],
            status: Some("active"),
            sms: 0,
        },
    ),
    (
        "calendly/real2023_invitee_canceled_by_host_empty_reason.json",
        Contact {
            email: "invitee.2023@example.com",
            events: &["booking_cancelled"],
            status: Some("cancelled"),
            sms: 0,
        },
    ),
    (
        "calendly/sample2026_invitee_created_zoom_scheduling_method_api.json",
        Contact {
            email: "john.doe@example.com",
            events: &["booking_created"],
            status: Some("active"),
            sms: 0,
        },
    ),
    (
        "calendly/sample2026_invitee_no_show_created.json",
        Contact {
            email: "john.doe@example.com",
            events: &["booking_no_show"],
            status: Some("no_show"),
            sms: 0,
        },
    ),
    (
        "calendly/sample2026_invitee_canceled_by_invitee.json",
        Contact {
            email: "jane.doe@example.com",
            events: &["booking_cancelled"],
            status: Some("cancelled"),
            sms: 0,
        },
    ),
    (
        "calendly/thirdparty2026_reschedule_old_invitee_canceled.json",
        RescheduleOldHalf,
    ),
    (
        "calendly/thirdparty2026_reschedule_new_invitee_created.json",
        Contact {
            email: "nina@example.test",
            events: &["booking_rescheduled"],
            status: Some("active"),
            sms: 0,
        },
    ),
    (
        "calendly/api2021_get_invitee_rescheduled_old_half.json",
        ApiInvitee,
    ),
    ("calendly/spec2023_location_examples.json", Locations),
];

fn real_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("MEETFLOW_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        PathBuf::from,
    );
    let dir = shared.join("fixtures/real");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} absent (set MEETFLOW_SHARED to the shared material)",
            dir.display()
        );
        None
    }
}

/// Every `*.json` under `calendly/` and `zoom/`, as `provider/file`.
fn files(dir: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for sub in ["calendly", "zoom"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                out.insert(format!("{sub}/{name}"));
            }
        }
    }
    out
}

async fn send(base: &str, file: &str, body: &[u8]) -> (u16, Value) {
    let now = chrono::Utc::now().timestamp();
    let http = meetflow_tests::http::http_client();
    let req = if file.starts_with("zoom/") {
        http.post(format!("{base}/webhooks/zoom"))
            .header(
                "x-zm-signature",
                signing::zoom_signature(ZOOM_SECRET, now, body),
            )
            .header("x-zm-request-timestamp", now.to_string())
    } else {
        http.post(format!("{base}/webhooks/calendly")).header(
            "Calendly-Webhook-Signature",
            signing::calendly_signature(CALENDLY_KEY, now, body),
        )
    };
    let resp = req
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// What the fakes saw so far: Brevo events, SMS, Zoom API calls.
fn counts(env: &Env) -> (usize, usize, usize) {
    (
        env.brevo.events().len(),
        env.engagelab.sent_count(),
        env.zoom.requests().len(),
    )
}

async fn dead_total(env: &Env) -> usize {
    let mut n = 0;
    for q in ALL_QUEUES {
        n += env.dead(q).await.len();
    }
    n
}

#[tokio::test]
async fn every_real_body_is_handled_as_a_user_expects() {
    let Some(dir) = real_dir() else { return };
    let on_disk = files(&dir);
    let in_table: BTreeSet<String> = ROWS.iter().map(|(f, _)| (*f).to_owned()).collect();
    let no_row: Vec<_> = on_disk.difference(&in_table).collect();
    let no_file: Vec<_> = in_table.difference(&on_disk).collect();
    assert!(no_row.is_empty(), "files without a table row: {no_row:?}");
    assert!(no_file.is_empty(), "rows without a file: {no_file:?}");

    let (env, base, stop) = env_with_ingest(CALENDLY_KEY, ZOOM_SECRET, "").await;
    env.zoom.add_past_meeting(
        "4444AAAiAAAAAiAiAiiAii==",
        vec![FakeZoom::participant(
            "Jill Chill",
            "jill.chill@example.com",
            "2021-07-13T21:44:51Z",
            "2021-07-13T22:50:51Z",
        )],
    );
    let worker = env.start();
    for (file, expect) in ROWS {
        let body = std::fs::read(dir.join(file)).unwrap();
        let before = counts(&env);
        match *expect {
            ApiInvitee => check_api_invitee(&body),
            Locations => check_locations(&env, &base, &body).await,
            Challenge => {
                let (status, reply) = send(&base, file, &body).await;
                assert_eq!(status, 200, "{file}: {reply}");
                let plain = reply["plainToken"].as_str().unwrap();
                let want = signing::zoom_encrypted_token(ZOOM_SECRET, plain);
                assert_eq!(reply["encryptedToken"], want.as_str(), "{file}");
            }
            _ => {
                let (status, reply) = send(&base, file, &body).await;
                assert!((200..300).contains(&status), "{file}: {status} {reply}");
                env.settle().await;
                let after = counts(&env);
                check_outcome(&env, file, *expect, before, after);
            }
        }
        assert_eq!(dead_total(&env).await, 0, "{file} was dead-lettered");
    }
    worker.stop().await;
    stop.cancel();
}

fn check_outcome(
    env: &Env,
    file: &str,
    expect: Expect,
    before: (usize, usize, usize),
    after: (usize, usize, usize),
) {
    match expect {
        Ignored | RescheduleOldHalf => {
            assert_eq!((after.0, after.1), (before.0, before.1), "{file}: acted on");
        }
        Contact {
            email,
            events,
            status,
            sms,
        } => {
            let c = env
                .brevo
                .contact(email)
                .unwrap_or_else(|| panic!("{file}: no contact {email}"));
            let names: Vec<String> = env.brevo.events()[before.0..]
                .iter()
                .map(|e| e.event_name.clone())
                .collect();
            assert_eq!(names, events, "{file}: Brevo events");
            if let Some(status) = status {
                assert_eq!(
                    c.attributes["BOOKING_STATUS"], status,
                    "{file}: {:?}",
                    c.attributes
                );
            }
            assert_eq!(after.1 - before.1, sms, "{file}: SMS sent");
        }
        Attendance { list, emails } => {
            assert!(after.2 > before.2, "{file}: Zoom API not asked");
            let members = env.brevo.list_members(list);
            for e in emails {
                assert!(
                    members.iter().any(|m| m == e),
                    "{file}: {e} not on list {list}: {members:?}"
                );
            }
        }
        Challenge | ApiInvitee | Locations => unreachable!(),
    }
}

/// The API resource reads with the shared invitee model, old half of a reschedule.
fn check_api_invitee(body: &[u8]) {
    let v: Value = serde_json::from_slice(body).unwrap();
    let inv: meetflow_shared::events::Invitee =
        serde_json::from_value(v["resource"].clone()).unwrap();
    assert_eq!(inv.rescheduled, Some(true));
    assert!(inv.new_invitee.as_deref().unwrap().contains("/invitees/"));
    assert_eq!(inv.cancellation.unwrap().reason, None);
}

/// Each location example inside a booking two days ahead, with a phone: synced, texted, planned.
async fn check_locations(env: &Env, base: &str, body: &[u8]) {
    let examples: serde_json::Map<String, Value> = serde_json::from_slice(body).unwrap();
    let start = in_two_days();
    for (i, (name, location)) in examples.into_iter().enumerate() {
        let uri = format!("https://api.calendly.com/scheduled_events/LOC{i}/invitees/LOC{i}");
        let email = format!("location{i}@example.com");
        let phone = format!("+1 415-555-{:04}", 100 + i);
        let booking = json!({
            "created_at": rfc3339(chrono::Utc::now()),
            "created_by": "https://api.calendly.com/users/AAAA",
            "event": "invitee.created",
            "payload": {
                "uri": uri, "email": email, "name": format!("Loc {name}"), "status": "active",
                "timezone": "America/New_York", "text_reminder_number": phone,
                "scheduled_event": {
                    "uri": format!("https://api.calendly.com/scheduled_events/LOC{i}"),
                    "name": "Product Demo (30 min)", "status": "active",
                    "event_type": crate::support::worker::EVENT_TYPE,
                    "start_time": rfc3339(start),
                    "end_time": rfc3339(start + chrono::Duration::minutes(30)),
                    "location": location
                }
            }
        });
        let bytes = serde_json::to_vec(&booking).unwrap();
        let sent_before = env.engagelab.sent_count();
        let (status, reply) = send(base, "calendly/", &bytes).await;
        assert!((200..300).contains(&status), "{name}: {status} {reply}");
        env.settle().await;
        assert!(
            env.brevo.contact(&email).is_some(),
            "{name}: contact not synced"
        );
        assert_eq!(
            env.engagelab.sent_count() - sent_before,
            1,
            "{name}: confirmation SMS"
        );
        let b = env
            .booking(&BookingKey::from_invitee_uri(&uri))
            .await
            .unwrap();
        assert!(!b.reminders.is_empty(), "{name}: no reminders planned");
        assert_eq!(dead_total(env).await, 0, "{name} was dead-lettered");
    }
}
