//! Security: hostile HTTP on the real ingest server (raw TCP where reqwest would refuse to send
//! it). Header injection (CR, LF folding, NUL, duplicated signature headers), huge headers,
//! oversized bodies, a request smuggled behind `Transfer-Encoding`, JSON nested 100,000 deep,
//! and slow clients. Each gets a 4xx (or, for a signed deep body, a 200 with the body kept for
//! review), nothing is stored for a refused request, and the server keeps serving.

use std::time::{Duration, Instant};

use meetflow_tests::redis::TestRedis;
use meetflow_tests::signing::calendly_signature;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::ingest::{CALENDLY_KEY, TestIngest, now, spawn_ingest, spawn_ingest_with};
use crate::support::security::{all_keys, keys_holding, marked_body, raw, read_answer, request};

const QUIET: Duration = Duration::from_secs(3);

fn sig_header(body: &[u8]) -> String {
    format!(
        "Calendly-Webhook-Signature: {}",
        calendly_signature(CALENDLY_KEY, now(), body)
    )
}

/// The server still takes a normal signed delivery (it did not crash or wedge).
async fn still_serving(app: &TestIngest) {
    let status = app.calendly_signed(&marked_body("alive")).await.status();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn injected_and_malformed_header_lines_are_400_and_nothing_is_stored() {
    let app = spawn_ingest().await;
    let body = marked_body("inject");
    let sig = calendly_signature(CALENDLY_KEY, now(), &body);
    let cases = [
        // A bare CR inside the value, trying to start a second header.
        format!("Calendly-Webhook-Signature: {sig}\rX-Injected: 1"),
        // Obsolete line folding, continuing the signature on the next line.
        format!("Calendly-Webhook-Signature: t={},\r\n v1=00", now()),
        // NUL and other control bytes.
        format!("Calendly-Webhook-Signature: {sig}\0"),
        format!("X-Other: a\u{1}b\r\nCalendly-Webhook-Signature: {sig}"),
        // A header name with a space or colon games.
        format!("Calendly-Webhook-Signature : {sig}"),
        format!("Calendly Webhook Signature: {sig}"),
    ];
    for case in &cases {
        let answer = raw(
            app.addr,
            &request("/webhooks/calendly", std::slice::from_ref(case), &body),
            QUIET,
        )
        .await;
        assert_eq!(answer.status, Some(400), "{case:?} -> {}", answer.text);
    }
    assert!(
        all_keys(&app.redis).await.is_empty(),
        "a malformed request was stored"
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn duplicated_signature_headers_are_refused_whatever_their_order() {
    let app = spawn_ingest().await;
    let body = marked_body("duplicate-headers");
    let good = calendly_signature(CALENDLY_KEY, now(), &body);
    let bad = format!("t={},v1={}", now(), "0".repeat(64));
    for pair in [[&good, &bad], [&bad, &good]] {
        let headers: Vec<String> = pair
            .iter()
            .map(|v| format!("Calendly-Webhook-Signature: {v}"))
            .collect();
        let answer = raw(
            app.addr,
            &request("/webhooks/calendly", &headers, &body),
            QUIET,
        )
        .await;
        assert_eq!(answer.status, Some(401), "{}", answer.text);
    }
    // Zoom: a second signature or a second timestamp header.
    let ts = now();
    let zgood =
        meetflow_tests::signing::zoom_signature(crate::support::ingest::ZOOM_SECRET, ts, &body);
    let zbad = format!("v0={}", "0".repeat(64));
    for extra in [
        format!("x-zm-signature: {zbad}"),
        format!("x-zm-request-timestamp: {}", ts + 1),
    ] {
        let headers = vec![
            format!("x-zm-signature: {zgood}"),
            format!("x-zm-request-timestamp: {ts}"),
            extra,
        ];
        let answer = raw(app.addr, &request("/webhooks/zoom", &headers, &body), QUIET).await;
        assert_eq!(answer.status, Some(401), "{}", answer.text);
    }
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn huge_headers_are_refused_without_harm() {
    let app = spawn_ingest().await;
    let body = marked_body("huge-headers");
    // A signature header of 16 KB: read, found too long, 401.
    let long = format!(
        "Calendly-Webhook-Signature: t={},v1={}",
        now(),
        "a".repeat(16 * 1024)
    );
    let answer = raw(
        app.addr,
        &request("/webhooks/calendly", &[long], &body),
        QUIET,
    )
    .await;
    assert_eq!(answer.status, Some(401), "{}", answer.text);
    // A request head of 1 MB (one header) and one of 200 headers: 431 from the HTTP layer.
    let huge = format!("X-Filler: {}", "b".repeat(1024 * 1024));
    let answer = raw(
        app.addr,
        &request("/webhooks/calendly", &[huge, sig_header(&body)], &body),
        QUIET,
    )
    .await;
    assert_eq!(
        answer.status,
        Some(431),
        "{}",
        &answer.text[..answer.text.len().min(200)]
    );
    let mut many: Vec<String> = (0..200).map(|i| format!("X-H{i}: {i}")).collect();
    many.push(sig_header(&body));
    let answer = raw(
        app.addr,
        &request("/webhooks/calendly", &many, &body),
        QUIET,
    )
    .await;
    assert_eq!(answer.status, Some(431), "{}", answer.text);
    assert!(all_keys(&app.redis).await.is_empty());
    still_serving(&app).await;
}

#[tokio::test]
async fn a_signed_oversized_body_is_413_and_nothing_is_stored() {
    let app = spawn_ingest().await; // max_body_bytes: 65536
    let mut body = marked_body("oversized");
    body.resize(70_000, b' ');
    let answer = raw(
        app.addr,
        &request("/webhooks/calendly", &[sig_header(&body)], &body),
        QUIET,
    )
    .await;
    assert_eq!(answer.status, Some(413), "{}", answer.text);
    // The same bytes chunked (no Content-Length): cut off while streaming.
    let mut chunked = format!(
        "POST /webhooks/calendly HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{}\r\nTransfer-Encoding: chunked\r\n\r\n",
        sig_header(&body)
    )
    .into_bytes();
    for part in body.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(app.addr, &chunked, QUIET).await;
    assert_eq!(answer.status, Some(413), "{}", answer.text);
    assert!(keys_holding(&app.redis, "oversized").await.is_empty());
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn a_request_smuggled_behind_transfer_encoding_is_not_stored() {
    let app = spawn_ingest().await;
    let inner = marked_body("smuggled");
    let smuggled = request("/webhooks/calendly", &[sig_header(&inner)], &inner);
    // Content-Length says the body is 5 bytes; chunked framing says it is empty and the
    // smuggled request follows. Either reading must not turn the tail into a stored job.
    let mut attack = b"POST /webhooks/calendly HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec();
    attack.extend_from_slice(&smuggled);
    let answer = raw(app.addr, &attack, QUIET).await;
    assert!(matches!(answer.status, Some(400..=499)), "{}", answer.text);
    assert!(
        !answer.text.contains("\"accepted\""),
        "the smuggled request was served: {}",
        answer.text
    );
    assert!(keys_holding(&app.redis, "smuggled").await.is_empty());
}

/// `depth` opening brackets with a valid signature, wrapped as the payload of an event or bare.
fn nested(depth: usize, open: &str, close: &str, in_envelope: bool) -> Vec<u8> {
    let inner = format!("{}{}", open.repeat(depth), close.repeat(depth));
    if in_envelope {
        format!(
            r#"{{"event":"invitee.created","created_at":"2026-01-01T00:00:00Z","payload":{inner}}}"#
        )
        .into_bytes()
    } else {
        inner.into_bytes()
    }
}

#[tokio::test]
async fn json_nested_100k_deep_is_answered_without_a_crash() {
    let app = spawn_ingest_with(TestRedis::start().await.unwrap(), "", |c| {
        c.max_body_bytes = 2 * 1024 * 1024;
    })
    .await;
    let bodies = [
        nested(100_000, "[", "]", false),
        nested(100_000, "[", "", false), // unterminated
        nested(100_000, r#"{"a":"#, "}", false),
        nested(100_000, "[", "]", true),
        nested(100_000, r#"{"a":"#, "}", true),
    ];
    for body in &bodies {
        let started = Instant::now();
        let response = app.calendly_signed(body).await;
        let status = response.status().as_u16();
        let json: serde_json::Value = response.json().await.unwrap_or_default();
        assert_eq!(status, 200, "{json}");
        assert!(
            matches!(
                json["status"].as_str(),
                Some("kept_for_review" | "accepted")
            ),
            "{json}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    // Bare nesting is not an event: kept in the dead-letter store with a reason.
    assert!(app.dead_letters().await.len() >= 3);
    still_serving(&app).await;
}

#[tokio::test]
async fn a_client_dribbling_its_headers_byte_by_byte_is_cut_off_by_the_default_limit() {
    let app = spawn_ingest().await; // Limits::default(): 3 s to deliver the head
    let body = marked_body("dribble");
    let bytes = request("/webhooks/calendly", &[sig_header(&body)], &body);
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    let mut sent = 0;
    for b in &bytes {
        if stream.write_all(std::slice::from_ref(b)).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
        if started.elapsed() > Duration::from_secs(15) {
            break;
        }
    }
    let answer = read_answer(&mut stream, Duration::from_secs(15), started).await;
    let took = started.elapsed();
    assert!(
        sent < bytes.len(),
        "the whole request got through in {took:?}"
    );
    assert!(
        took < Duration::from_secs(15),
        "cut off only after {took:?}"
    );
    assert_ne!(answer.status, Some(200), "{}", answer.text);
    eprintln!(
        "dribbling client cut off after {took:?} ({sent} of {} bytes sent)",
        bytes.len()
    );
    assert!(all_keys(&app.redis).await.is_empty());
}

#[tokio::test]
async fn fifty_slow_clients_do_not_starve_a_real_delivery() {
    let app = spawn_ingest().await;
    let mut idle = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        s.write_all(b"POST /webhooks/calendly HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        idle.push(s);
    }
    let started = Instant::now();
    still_serving(&app).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // And every one of them is closed by the header limit.
    for mut s in idle {
        let answer = read_answer(&mut s, Duration::from_secs(10), started).await;
        assert!(answer.took < Duration::from_secs(10), "{:?}", answer.took);
    }
}
