//! Ingest: what a verified delivery becomes in Redis. Redeliveries are one job, signed bodies that
//! are not events are kept as dead letters, and bodies over the limit are refused unread.

use std::time::Duration;

use futures::StreamExt as _;
use meetflow_shared::events::identity::Identity;
use meetflow_shared::events::{Provider, calendly};
use meetflow_tests::fixtures::{
    CALENDLY_INVITEE_CREATED, CALENDLY_INVITEE_NO_SHOW_CREATED, ZOOM_PARTICIPANT_JOINED,
};
use meetflow_tests::signing::calendly_signature;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::ingest::{CALENDLY_KEY, now, spawn_ingest, status_json};

#[tokio::test]
async fn a_redelivered_calendly_event_is_one_job_and_every_copy_gets_200() {
    let app = spawn_ingest().await;
    let body = CALENDLY_INVITEE_CREATED.as_bytes();
    let first = status_json(app.calendly_signed(body).await).await;
    // Calendly re-signs each attempt: same bytes, new t.
    let again = app
        .calendly(
            body,
            Some(calendly_signature(CALENDLY_KEY, now() - 30, body)),
        )
        .await;
    let again = status_json(again).await;
    assert_eq!(
        (first.0, first.1["status"].as_str()),
        (200, Some("accepted"))
    );
    assert_eq!(
        (again.0, again.1["status"].as_str()),
        (200, Some("duplicate"))
    );
    let ids = app.ready_ids().await;
    let head = calendly::head(body).unwrap();
    assert_eq!(ids, vec![Identity::calendly(&head, body).job_id()]);
    // Another event about the same invitee is a different delivery.
    assert_eq!(
        app.calendly_signed(CALENDLY_INVITEE_NO_SHOW_CREATED.as_bytes())
            .await
            .status(),
        200
    );
    assert_eq!(app.ready_ids().await.len(), 2);
}

#[tokio::test]
async fn concurrent_copies_of_one_delivery_store_exactly_one_job() {
    let app = spawn_ingest().await;
    let body = CALENDLY_INVITEE_CREATED.as_bytes();
    let answers = futures::stream::iter(0..16)
        .map(|_| app.calendly_signed(body))
        .buffer_unordered(16)
        .map(|r| r.status().as_u16())
        .collect::<Vec<_>>()
        .await;
    assert!(answers.iter().all(|s| *s == 200), "{answers:?}");
    assert_eq!(app.ready_ids().await.len(), 1);
}

#[tokio::test]
async fn zoom_participants_of_one_meeting_are_separate_jobs_and_redeliveries_are_not() {
    let app = spawn_ingest().await;
    let body = ZOOM_PARTICIPANT_JOINED.as_bytes();
    assert_eq!(app.zoom_signed(body).await.status(), 200);
    assert_eq!(app.zoom_signed(body).await.status(), 200);
    let other = ZOOM_PARTICIPANT_JOINED.replace(
        "A4C1E7F2-3B9D-4E60-8F15-6D2A9C0B7E31",
        "B4C1E7F2-0000-4E60-8F15-6D2A9C0B7E31",
    );
    assert_eq!(app.zoom_signed(other.as_bytes()).await.status(), 200);
    let ids = app.ready_ids().await;
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| id.starts_with("wh:zoom:")));
    let job = app.webhook_job(&ids[0]).await;
    assert_eq!(
        (job.provider, job.event.as_deref()),
        (Provider::Zoom, Some("meeting.participant_joined"))
    );
}

#[tokio::test]
async fn a_signed_body_that_is_not_json_is_kept_as_a_dead_letter_and_answered_200() {
    let app = spawn_ingest().await;
    for body in [
        &b"{\"event\": \"invitee.created\", \"payload\": {trunc"[..],
        b"{\"payload\":{}}",
        b"[1,2,3]",
        b"\xff\xfe not utf-8",
    ] {
        let (status, json) = status_json(app.calendly_signed(body).await).await;
        assert_eq!(
            (status, json["status"].as_str()),
            (200, Some("kept_for_review")),
            "{body:?}"
        );
    }
    assert!(app.ready_ids().await.is_empty(), "nothing for the workers");
    let dead = app.dead_letters().await;
    assert_eq!(dead.len(), 4);
    for record in &dead {
        assert_eq!(record.errors[0].class, "bad_payload");
        assert!(
            record.errors[0].message.contains("not an event"),
            "{}",
            record.errors[0].message
        );
    }
    // The exact bytes are recoverable, even the non-UTF-8 ones.
    let mut bodies = Vec::new();
    for record in &dead {
        let job: meetflow_shared::jobs::WebhookJob =
            serde_json::from_str(record.payload.as_deref().unwrap()).unwrap();
        bodies.push(job.raw_body().unwrap().into_owned());
    }
    assert!(bodies.contains(&b"\xff\xfe not utf-8".to_vec()));
    // Re-sending the same bad bytes does not pile up dead letters.
    assert_eq!(app.calendly_signed(b"[1,2,3]").await.status(), 200);
    assert_eq!(app.dead_letters().await.len(), 4);
}

#[tokio::test]
async fn a_zoom_challenge_without_plain_token_is_kept_for_review() {
    let app = spawn_ingest().await;
    let body = br#"{"payload":{},"event_ts":1776183721480,"event":"endpoint.url_validation"}"#;
    let (status, json) = status_json(app.zoom_signed(body).await).await;
    assert_eq!(
        (status, json["status"].as_str()),
        (200, Some("kept_for_review"))
    );
    assert_eq!(app.dead_letters().await.len(), 1);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_by_its_content_length() {
    let app = spawn_ingest().await;
    let body = vec![b' '; 65_537];
    let response = app.calendly_signed(&body).await;
    assert_eq!(response.status(), 413);
    assert!(app.ready_ids().await.is_empty() && app.dead_letters().await.is_empty());
    // A body just at the limit is read (and, not being an event, kept for review).
    let body = vec![b' '; 65_536];
    assert_eq!(app.calendly_signed(&body).await.status(), 200);
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_cut_off_with_413() {
    let app = spawn_ingest().await;
    // Chunked, no Content-Length: the limit is enforced while reading.
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = "POST /webhooks/calendly HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
        // Up to 1 MiB; the server stops reading long before (writes then fail or block).
        for _ in 0..1024 {
            if writer.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let mut answer = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), reader.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    sender.abort();
    assert!(app.ready_ids().await.is_empty() && app.dead_letters().await.is_empty());
    // The server is still healthy afterwards.
    assert_eq!(
        app.calendly_signed(CALENDLY_INVITEE_CREATED.as_bytes())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn other_paths_and_methods_are_not_webhooks() {
    let app = spawn_ingest().await;
    assert_eq!(
        app.http
            .get(app.url("/webhooks/calendly"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        app.http
            .post(app.url("/webhooks/other"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
