//! Security: `meetflow-admin serve` (the built binary) refuses the JSON API without a token or
//! with a wrong one, refuses state changes that come cross-site (foreign `Origin`, missing CSRF
//! token) even with a valid session cookie, and in token-less mode refuses foreign `Host`s (DNS
//! rebinding). Each refusal is checked against a positive control that does the same thing
//! correctly, and the dead letter the attacks aim at is still there afterwards.

use meetflow_shared::queue::ErrorClass;
use serde_json::json;

use crate::support::admin::{Admin, Served};

const TOKEN: &str = "sec-admin-token-7f3a9c";

fn client() -> reqwest::Client {
    meetflow_tests::http::install_crypto();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn with_one_dead_letter() -> Admin {
    let admin = Admin::start().await;
    admin
        .bury(
            "sms",
            "victim-1",
            &json!({"to": "+14155550132"}),
            ErrorClass::BadPayload,
            "test",
        )
        .await;
    admin
}

async fn dead_count(admin: &Admin) -> u64 {
    admin.client.dead_letters().count(None).await.unwrap()
}

/// Logs in through the form (same origin) and returns the cookie and the page's CSRF token.
async fn login(http: &reqwest::Client, served: &Served) -> (String, String) {
    let resp = http
        .post(format!("{}/login", served.base))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "login failed");
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = http
        .get(format!("{}/", served.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page embeds its CSRF token")
        .to_owned();
    (cookie, csrf)
}

#[tokio::test]
async fn the_api_without_or_with_a_wrong_token_is_401() {
    let admin = with_one_dead_letter().await;
    let served = admin.serve(Some(TOKEN)).await;
    let http = client();
    let delete = json!({"ids": ["victim-1"]});
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer "),
        Some(&*format!("Bearer {TOKEN}x")),
        Some(&*format!("Basic {TOKEN}")),
    ] {
        for (method, path) in [
            ("GET", "/api/queues"),
            ("GET", "/api/dlq"),
            ("GET", "/api/dlq/victim-1"),
            ("POST", "/api/dlq/delete"),
            ("POST", "/api/dlq/retry"),
        ] {
            let mut req = http.request(method.parse().unwrap(), format!("{}{path}", served.base));
            if method == "POST" {
                req = req.json(&delete);
            }
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} with {auth:?}");
            assert!(
                !resp.text().await.unwrap().contains("+1415"),
                "leaked data on 401"
            );
        }
    }
    // The page without a session sends the browser to the login form.
    let resp = http.get(format!("{}/", served.base)).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "/login");
    // A wrong token on the login form is 401 and sets no cookie.
    let resp = http
        .post(format!("{}/login", served.base))
        .form(&[("token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().get("set-cookie").is_none());
    assert_eq!(
        dead_count(&admin).await,
        1,
        "an unauthenticated call changed state"
    );
    // Positive control: the right token reads and deletes.
    let resp = http
        .get(format!("{}/api/dlq", served.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("victim-1"));
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_session_cookie() {
    let admin = with_one_dead_letter().await;
    let served = admin.serve(Some(TOKEN)).await;
    let http = client();
    let (cookie, csrf) = login(&http, &served).await;
    let host = served.base.trim_start_matches("http://").to_owned();
    let url = format!("{}/api/dlq/delete", served.base);
    let body = json!({"ids": ["victim-1"]});
    // (origin, csrf) pairs an attacking page could produce.
    let attacks: [(Option<&str>, Option<&str>); 4] = [
        (Some("https://evil.example"), None),
        (Some("https://evil.example"), Some(csrf.as_str())),
        (None, None),
        (Some(&*format!("http://{host}")), Some("0000")),
    ];
    for (origin, token) in attacks {
        let mut req = http.post(&url).header("cookie", &cookie).json(&body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "origin {origin:?} csrf {token:?}");
    }
    // A classic form POST from another site (text/plain, no CSRF header) is refused too.
    let resp = http
        .post(&url)
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body("{\"ids\":[\"victim-1\"]}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // Logging in from another site (login CSRF) and logging out without the token are refused.
    let resp = http
        .post(format!("{}/login", served.base))
        .header("origin", "https://evil.example")
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.headers().get("set-cookie").is_none());
    assert_eq!(
        dead_count(&admin).await,
        1,
        "a cross-site request changed state"
    );

    // Positive control: the page's own request (same origin, its CSRF token) works.
    let resp = http
        .post(&url)
        .header("cookie", &cookie)
        .header("origin", format!("http://{host}"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(dead_count(&admin).await, 0);
}

#[tokio::test]
async fn without_a_token_only_loopback_hosts_with_the_csrf_token_may_change_state() {
    let admin = with_one_dead_letter().await;
    let served = admin.serve(None).await;
    let http = client();
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
    for (method, path) in [
        ("GET", "/api/dlq"),
        ("GET", "/"),
        ("POST", "/api/dlq/delete"),
    ] {
        let resp = http
            .request(method.parse().unwrap(), format!("{}{path}", served.base))
            .header("host", "evil.example:8081")
            .json(&json!({"ids": ["victim-1"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{method} {path}");
    }
    let resp = http
        .post(format!("{}/api/dlq/delete", served.base))
        .json(&json!({"ids": ["victim-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "a POST without the CSRF token");
    assert_eq!(dead_count(&admin).await, 1);
}
