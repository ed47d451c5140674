//! The fake Zoom's webinar endpoints answer as Zoom does: registrants and past-webinar
//! participants paged with `next_page_token`, 404 code 3001 for an unknown webinar, double
//! encoding, 401 code 124 and 429 like every other endpoint.

use meetflow_tests::fakes::FakeZoom;
use serde_json::{Value, json};

use crate::fakes::zoom::{get, token};

/// Reads every page of `path` (which already has a query) and returns the rows under `field`.
async fn all_pages(z: &FakeZoom, tok: &str, path: &str, field: &str) -> (Vec<Value>, usize) {
    let (mut rows, mut pages, mut next) = (Vec::new(), 0, String::new());
    loop {
        let r = get(z, tok, &format!("{path}&next_page_token={next}")).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        pages += 1;
        rows.extend(v[field].as_array().unwrap().iter().cloned());
        next = v["next_page_token"].as_str().unwrap().to_owned();
        if next.is_empty() {
            return (rows, pages);
        }
    }
}

#[tokio::test]
async fn fakes_zoom_webinar_registrants_and_participants_paginate() {
    let z = FakeZoom::start().await.unwrap();
    let mut regs: Vec<Value> = (0..5)
        .map(|i| FakeZoom::registrant("R", &i.to_string(), &format!("r{i}@example.com")))
        .collect();
    regs[4]["status"] = json!("pending");
    z.add_webinar("91234567890", regs);
    let row =
        |e: &str| FakeZoom::participant("P", e, "2026-05-06T16:00:00Z", "2026-05-06T16:30:00Z");
    z.add_past_webinar(
        "/Wb7//K2==",
        vec![row("a@example.com"), row("b@example.com"), row("")],
    );
    let tok = token(&z).await;

    let (approved, pages) = all_pages(
        &z,
        &tok,
        "/webinars/91234567890/registrants?page_size=2",
        "registrants",
    )
    .await;
    assert_eq!(
        (approved.len(), pages),
        (4, 2),
        "pending ones only on request"
    );
    assert_eq!(approved[0]["email"], "r0@example.com");
    let r = get(&z, &tok, "/webinars/91234567890/registrants?status=pending").await;
    assert_eq!(r.json::<Value>().await.unwrap()["total_records"], 1);

    let path = "/past_webinars/%252FWb7%252F%252FK2%253D%253D/participants?page_size=2";
    let (rows, pages) = all_pages(&z, &tok, path, "participants").await;
    assert_eq!((rows.len(), pages), (3, 2));
    assert_eq!(rows[0]["duration"], 1800);
    let once = get(&z, &tok, "/past_webinars/%2FWb7%2F%2FK2%3D%3D/participants").await;
    assert_eq!(once.status(), 404, "needs double encoding");
    let r = get(
        &z,
        &tok,
        "/past_webinars/%252FWb7%252F%252FK2%253D%253D/participants?next_page_token=forged",
    )
    .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn fakes_zoom_webinar_errors_match_zoom() {
    let z = FakeZoom::start().await.unwrap();
    let tok = token(&z).await;
    for path in [
        "/webinars/111/registrants",
        "/past_webinars/nope==/participants",
    ] {
        let r = get(&z, &tok, path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], 3001);
    }
    z.add_webinar("222", vec![]);
    let r = get(&z, "not-a-token", "/webinars/222/registrants").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 124);
    z.rate_limit(1);
    assert_eq!(
        get(&z, &tok, "/webinars/222/registrants").await.status(),
        200
    );
    let r = get(&z, &tok, "/webinars/222/registrants").await;
    assert_eq!(r.status(), 429);
}
