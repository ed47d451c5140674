//! Ingest under failure: Redis down or stalled (503 within the budget, never a hang, never a 200
//! that was not stored), Redis back (recovery without a restart), slow clients (cut off), and
//! graceful shutdown (requests in flight finish).

use std::time::{Duration, Instant};

use meetflow_tests::fixtures::{CALENDLY_INVITEE_CANCELED, CALENDLY_INVITEE_CREATED};
use meetflow_tests::redis::TestRedis;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::ingest::{spawn_ingest, spawn_ingest_with};

const BODY: &[u8] = CALENDLY_INVITEE_CREATED.as_bytes();

#[tokio::test]
async fn redis_stopped_gives_503_within_the_budget_and_a_restart_recovers() {
    let mut app = spawn_ingest().await;
    assert_eq!(
        app.calendly_signed(CALENDLY_INVITEE_CANCELED.as_bytes())
            .await
            .status(),
        200
    );
    app.redis.stop().await.unwrap();

    let started = Instant::now();
    let response = app.calendly_signed(BODY).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");

    app.redis.restart().await.unwrap();
    // The same ingest process recovers on its own (the connection manager reconnects).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    while Instant::now() < deadline {
        status = app.calendly_signed(BODY).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(app.ready_ids().await.len(), 1, "the 200 is in Redis");
}

#[tokio::test]
async fn a_stalled_redis_gives_503_at_the_budget_not_a_hang() {
    let app = spawn_ingest_with(TestRedis::start().await.unwrap(), "", |c| {
        c.limits.request_budget = Duration::from_millis(400);
    })
    .await;
    assert_eq!(
        app.calendly_signed(CALENDLY_INVITEE_CANCELED.as_bytes())
            .await
            .status(),
        200
    );
    app.redis.pause().unwrap();
    let started = Instant::now();
    let status = app.calendly_signed(BODY).await.status();
    let took = started.elapsed();
    app.redis.resume().unwrap();
    assert_eq!(status, 503);
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    let app = spawn_ingest_with(TestRedis::start().await.unwrap(), "", |c| {
        c.limits.header_read = Duration::from_millis(300);
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"POST /webhooks/calendly HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection still open after 5 s");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_gets_408() {
    let app = spawn_ingest_with(TestRedis::start().await.unwrap(), "", |c| {
        c.limits.body_read = Duration::from_millis(300);
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head =
        "POST /webhooks/calendly HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"event\"";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_stops_accepting() {
    let app = spawn_ingest_with(TestRedis::start().await.unwrap(), "", |c| {
        c.limits.request_budget = Duration::from_secs(5);
    })
    .await;
    assert_eq!(
        app.calendly_signed(CALENDLY_INVITEE_CANCELED.as_bytes())
            .await
            .status(),
        200
    );
    // Hold the next request inside the enqueue by stalling Redis.
    app.redis.pause().unwrap();
    let sig = meetflow_tests::signing::calendly_signature(
        crate::support::ingest::CALENDLY_KEY,
        crate::support::ingest::now(),
        BODY,
    );
    let in_flight = tokio::spawn(
        app.http
            .post(app.url("/webhooks/calendly"))
            .header("Calendly-Webhook-Signature", sig)
            .body(BODY)
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.trigger_stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = TcpStream::connect(app.addr).await;
    assert!(refused.is_err(), "the listener is closed once stopping");
    app.redis.resume().unwrap();
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.ready_ids().await.len(), 2);
    app.shutdown().await;
}

/// A distinct `invitee.created` delivery (its own invitee, hence its own job id).
fn created(i: usize) -> Vec<u8> {
    let invitee = "9cbca8f8-c422-48fb-8fd7-60a8d1bc5c6e";
    CALENDLY_INVITEE_CREATED
        .replace(invitee, &format!("{}-{i:06}", &invitee[..23]))
        .into_bytes()
}

#[tokio::test]
async fn deliveries_whose_requests_gave_up_are_not_written_after_a_stall() {
    let app = spawn_ingest_with(TestRedis::start().await.unwrap(), "", |c| {
        c.limits.request_budget = Duration::from_millis(300);
    })
    .await;
    assert_eq!(app.calendly_signed(&created(0)).await.status(), 200);
    app.redis.pause().unwrap();
    // Four deliveries 20 ms apart: each goes out alone and holds one of the four batch slots
    // while Redis is stalled. Then a wave of 300 queues behind them.
    let first: Vec<Vec<u8>> = (1..=4).map(created).collect();
    let app = &app;
    let firsts = futures::future::join_all(first.iter().enumerate().map(|(i, b)| async move {
        tokio::time::sleep(Duration::from_millis(20 * i as u64)).await;
        app.calendly_signed(b).await.status()
    }));
    let n = 300;
    let wave: Vec<Vec<u8>> = (5..5 + n).map(created).collect();
    let waves = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        futures::future::join_all(wave.iter().map(|b| app.calendly_signed(b))).await
    };
    let (firsts, waves) = tokio::join!(firsts, waves);
    let refused = firsts.iter().filter(|s| s.as_u16() == 503).count()
        + waves.iter().filter(|r| r.status() == 503).count();
    app.redis.resume().unwrap();
    assert_eq!(
        refused,
        n + 4,
        "a stalled Redis: every request 503 within its budget"
    );
    // A new delivery is stored now, not after the abandoned ones.
    assert_eq!(app.calendly_signed(&created(n + 5)).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let written = app.ready_ids().await.len() - 2;
    // Only the batches already on their way to Redis when it stalled land.
    assert!(
        written <= 4 + 64,
        "{written} of {} deliveries answered 503 were written anyway",
        n + 4
    );
}
