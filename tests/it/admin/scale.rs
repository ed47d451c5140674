//! The dead-letter list over 100,000 dead jobs, through `meetflow-admin serve`: unfiltered pages
//! at any depth, class and text filters bounded by the scan budget and resumable, and the HTML page.

use std::time::{Duration, Instant};

use futures::StreamExt;
use meetflow_shared::queue::{ErrorClass, NewJob};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::admin::{Admin, api_get as get, http};

const TOKEN: &str = "scale-test-token-9c2d";

#[tokio::test]
async fn dead_letter_pages_stay_fast_with_100k_jobs() {
    let a = Admin::start().await;
    let started = Instant::now();
    let total = 100_000usize;
    // The oldest 10 are config errors; the rest provider errors (so a class filter must scan).
    futures::stream::iter(0..total)
        .map(|i| {
            let client = a.client.clone();
            async move {
                let (class, msg) = if i < 10 {
                    (ErrorClass::Config, "unknown template")
                } else {
                    (ErrorClass::ProviderServer, "HTTP 502")
                };
                let job = NewJob::json(&json!({"i": i, "email": "x@example.com"}))
                    .unwrap()
                    .with_id(format!("bulk:{i:06}"));
                client
                    .bury(if i % 2 == 0 { "sms" } else { "brevo" }, job, class, msg)
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    eprintln!("stored {total} dead letters in {:?}", started.elapsed());
    let s = a.serve(Some(TOKEN)).await;
    eprintln!("serving after {:?}", started.elapsed());
    let timed = async |path: &str| {
        let t = Instant::now();
        let resp = get(&s, path, Some(TOKEN)).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let v: Value = resp.json().await.unwrap();
        (t.elapsed(), v)
    };
    let (first, v) = timed("/api/dlq?limit=50").await;
    assert_eq!(
        (v["total"].as_u64(), v["items"].as_array().unwrap().len()),
        (Some(total as u64), 50)
    );
    assert_eq!(v["items"][0]["id"], "bulk:099999", "newest first");
    let (deep, v) = timed("/api/dlq?limit=50&offset=99950").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 50);
    assert_eq!(v["next_offset"], Value::Null);
    let (class, v) = timed("/api/dlq?class=config&limit=50").await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        0,
        "the budget stops the scan before the oldest"
    );
    assert_eq!(
        (
            v["scanned"].as_u64(),
            v["next_offset"].as_u64(),
            v["exhausted"].as_bool()
        ),
        (Some(5000), Some(5000), Some(false))
    );
    let (resume, v) = timed("/api/dlq?class=config&limit=50&offset=95000").await;
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        10,
        "resuming near the end finds them"
    );
    let (text, v) = timed("/api/dlq?q=bulk:09999&limit=20").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 10);
    let (page, _) = {
        let t = Instant::now();
        let resp = http()
            .get(format!("{}/?class=config", s.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        (t.elapsed(), resp.text().await.unwrap())
    };
    eprintln!(
        "100k dead letters: first page {first:?}, deep page {deep:?}, class scan {class:?}, resumed scan {resume:?}, text scan {text:?}, html page with class filter {page:?}"
    );
    for (what, d) in [
        ("first", first),
        ("deep", deep),
        ("class", class),
        ("resume", resume),
        ("text", text),
        ("page", page),
    ] {
        assert!(d < Duration::from_secs(3), "{what} took {d:?}");
    }
}
