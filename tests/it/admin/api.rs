//! `meetflow-admin serve` (the built binary) JSON API: bearer token (401 without or with a wrong
//! one), listing with filters, detail with masking, retry and delete by id and in bulk, the
//! login cookie and its CSRF rules, the no-token loopback mode, and paging over 100,000 dead
//! letters (the scale test is in `admin_scale`).

use meetflow_shared::queue::{ErrorClass, JobState};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::admin::{Admin, api_get as get, api_post as post, free_port, http, run};

const TOKEN: &str = "api-test-token-5b1e";

#[tokio::test]
async fn the_api_needs_the_token_and_does_what_the_cli_does() {
    let a = Admin::start().await;
    for i in 0..3 {
        let payload = json!({"to": "+14155550132", "n": i});
        a.bury(
            "sms",
            &format!("sms:{i}"),
            &payload,
            ErrorClass::ProviderRejected,
            "code 4001 template not found",
        )
        .await;
    }
    a.bury(
        "events",
        "wh:zoom:1",
        &json!({"body": "{}"}),
        ErrorClass::BadPayload,
        "not a zoom event",
    )
    .await;
    let s = a.serve(Some(TOKEN)).await;

    for (path, token) in [
        ("/api/queues", None),
        ("/api/queues", Some("wrong")),
        ("/api/dlq", Some("api-test-token-5b1")),
        ("/api/dlq/sms:1", None),
    ] {
        let resp = get(&s, path, token).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path} {token:?}");
        assert!(
            resp.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    let resp = post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:0"]}),
        Some("wrong"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.client.dead_letters().count(None).await.unwrap(),
        4,
        "nothing replayed"
    );

    let queues: Value = get(&s, "/api/queues", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    let sms = queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "sms")
        .unwrap();
    assert_eq!(sms["dead"], 3);
    assert_eq!(queues["throughput"].as_array().unwrap().len(), 60);

    let page: Value = get(&s, "/api/dlq?queue=sms&limit=2", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(3), 2)
    );
    assert_eq!(page["next_offset"], 2);
    let page: Value = get(&s, "/api/dlq?class=bad_payload&q=&queue=", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], "wh:zoom:1");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let page: Value = get(&s, "/api/dlq?q=TEMPLATE%20not", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);

    let job: Value = get(&s, "/api/dlq/sms:1", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(job["payload_json"]["to"], "+1415***32");
    assert_eq!(job["errors"][0]["class"], "provider_rejected");
    let job: Value = get(&s, "/api/dlq/sms:1?reveal=true", Some(TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(job["payload_json"]["to"], "+14155550132");
    assert_eq!(
        get(&s, "/api/dlq/nope", Some(TOKEN)).await.status(),
        StatusCode::NOT_FOUND
    );

    let done: Value = post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:0", "sms:1"]}),
        Some(TOKEN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(done, json!({"done": 2, "requested": 2, "possibly_sent": 0}));
    let again: Value = post(
        &s,
        "/api/dlq/retry",
        json!({"ids": ["sms:0", "sms:1"]}),
        Some(TOKEN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again["done"], 0, "a second replay does nothing");
    assert_eq!(
        a.client.job("sms:0").await.unwrap().unwrap().state,
        JobState::Ready
    );
    assert_eq!(a.client.stats("sms").await.unwrap().ready, 2);

    let bad = post(
        &s,
        "/api/dlq/delete",
        json!({"ids": ["sms:2"], "all": true}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let deleted: Value = post(
        &s,
        "/api/dlq/delete",
        json!({"all": true, "queue": "events"}),
        Some(TOKEN),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        deleted,
        json!({"done": 1, "requested": 1, "possibly_sent": 0})
    );
    assert!(a.client.job("wh:zoom:1").await.unwrap().is_none());
    assert_eq!(
        a.client.dead_letters().count(None).await.unwrap(),
        1,
        "sms:2 is left"
    );
}

#[tokio::test]
async fn the_login_cookie_is_strict_and_state_changes_need_the_csrf_token() {
    let a = Admin::start().await;
    a.bury("sms", "sms:c", &json!({}), ErrorClass::Config, "x")
        .await;
    let s = a.serve(Some(TOKEN)).await;
    let h = http();
    let page = h.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/login");
    let wrong = h
        .post(format!("{}/login", s.base))
        .form(&[("token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("set-cookie").is_none());

    let ok = h
        .post(format!("{}/login", s.base))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let set_cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let html = h
        .get(format!("{}/", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    assert!(
        html.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = html.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(csrf.len(), 64);
    assert!(html.contains("sms:c"), "the dead letter is listed");

    let retry = |extra: Vec<(&'static str, String)>| {
        let mut req = h
            .post(format!("{}/api/dlq/retry", s.base))
            .header("cookie", &cookie)
            .json(&json!({"ids": ["sms:c"]}));
        for (k, v) in extra {
            req = req.header(k, v);
        }
        req.send()
    };
    assert_eq!(
        retry(vec![]).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    assert_eq!(
        retry(vec![("x-csrf-token", "0".repeat(64))])
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let cross = vec![
        ("x-csrf-token", csrf.clone()),
        ("origin", "https://evil.example".into()),
    ];
    assert_eq!(
        retry(cross).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "foreign Origin"
    );
    assert_eq!(a.client.dead_letters().count(None).await.unwrap(), 1);
    let same = vec![("x-csrf-token", csrf.clone()), ("origin", s.base.clone())];
    let resp = retry(same).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["done"], 1);

    let out = h
        .post(format!("{}/logout", s.base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = h
        .get(format!("{}/api/queues", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the session is gone from Redis"
    );
}

#[tokio::test]
async fn without_a_token_serve_stays_on_loopback() {
    let a = Admin::start().await;
    a.bury("sms", "sms:o", &json!({}), ErrorClass::Config, "x")
        .await;
    let s = a.serve(None).await;
    assert_eq!(get(&s, "/api/queues", None).await.status(), StatusCode::OK);
    let foreign = http()
        .get(format!("{}/api/queues", s.base))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        foreign.status(),
        StatusCode::FORBIDDEN,
        "DNS rebinding: foreign Host refused"
    );
    assert_eq!(
        post(&s, "/api/dlq/retry", json!({"ids": ["sms:o"]}), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(a.client.dead_letters().count(None).await.unwrap(), 1);
    let mut s = s;
    crate::support::admin::terminate(&mut s.child);
    assert_eq!(
        s.child.try_wait().unwrap().and_then(|st| st.code()),
        Some(0),
        "SIGTERM: clean exit"
    );

    let mut cmd = a.command();
    cmd.arg("serve").env(
        "MEETFLOW__ADMIN__LISTEN",
        format!("0.0.0.0:{}", free_port()),
    );
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("admin.token") && err.contains("loopback"),
        "{err}"
    );
}
