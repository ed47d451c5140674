//! EngageLab client against a wiremock server over real HTTP.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{basic_auth, body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

const SECRET: &str = "dev-secret-value-42";

async fn client(server: &MockServer, timeout: Duration) -> EngageLabClient {
    let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
    EngageLabClient::new(
        base,
        SecretString::from("dev-key"),
        SecretString::from(SECRET),
        timeout,
    )
    .unwrap()
}

fn sms() -> SmsRequest {
    let mut params = Map::new();
    params.insert("name".into(), json!("Jordan"));
    let mut custom_args = Map::new();
    custom_args.insert("kind".into(), json!("confirmation"));
    SmsRequest {
        to: "+14155550132".into(),
        template_id: "1043277805628207104".into(),
        params,
        custom_args,
        plan_name: None,
    }
}

async fn answer(status: u16, body: &str) -> (MockServer, EngageLabClient) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json"),
        )
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;
    (server, c)
}

#[tokio::test]
async fn send_uses_basic_auth_and_returns_exact_ids() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(basic_auth("dev-key", SECRET))
        .and(body_json(json!({
            "to": ["+14155550132"],
            "template": { "id": "1043277805628207104", "params": { "name": "Jordan" } },
            "custom_args": { "kind": "confirmation" }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"plan_id":"1972488990548348928","total_count":1,"accepted_count":1,"message_id":"1972488990804201472"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_secs(5)).await;

    let outcome = c.send(&sms()).await.unwrap();

    let SendOutcome::Accepted(a) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(a.plan_id.as_deref(), Some("1972488990548348928"));
    assert_eq!(a.message_id.as_deref(), Some("1972488990804201472"));
    assert_eq!(a.accepted_count, Some(1));
}

#[tokio::test]
async fn a_scheduled_task_id_above_2_pow_53_is_read_exactly() {
    let (_s, c) = answer(
        200,
        r#"{"plan_id":1972488990548348928,"total_count":1,"accepted_count":1,"schedule_info":{"task_id":1972492621368553472}}"#,
    )
    .await;
    let SendOutcome::Accepted(a) = c.send(&sms()).await.unwrap() else {
        panic!()
    };
    assert_eq!(a.task_id, Some(1_972_492_621_368_553_472));
    assert_eq!(a.plan_id.as_deref(), Some("1972488990548348928"));
}

#[tokio::test]
async fn http_200_with_a_non_zero_code_is_an_error() {
    let (_s, c) = answer(
        200,
        r#"{"plan_id":"1","code":4001,"message":"template not found"}"#,
    )
    .await;
    let e = c.send(&sms()).await.unwrap_err();
    assert_eq!(
        (e.class, e.code.as_deref()),
        (ErrorClass::Config, Some("4001"))
    );
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn code_zero_is_success() {
    let (_s, c) = answer(200, r#"{"code":0,"plan_id":"7","message_id":"8"}"#).await;
    assert!(matches!(
        c.send(&sms()).await.unwrap(),
        SendOutcome::Accepted(_)
    ));
}

#[tokio::test]
async fn every_documented_code_is_classified_over_http() {
    let cases = [
        (500, 1000, true, ErrorClass::ProviderServer),
        (401, 2001, false, ErrorClass::Config),
        (401, 2002, false, ErrorClass::Config),
        (403, 2004, false, ErrorClass::Config),
        (400, 3001, false, ErrorClass::ProviderRejected),
        (400, 3002, false, ErrorClass::ProviderRejected),
        (400, 3003, false, ErrorClass::Config),
        (400, 4001, false, ErrorClass::Config),
        (400, 9999, false, ErrorClass::ProviderRejected),
    ];
    for (status, code, retryable, class) in cases {
        let (_s, c) = answer(status, &format!(r#"{{"code":{code},"message":"m"}}"#)).await;
        let e = c.send(&sms()).await.unwrap_err();
        assert_eq!(
            (e.is_retryable(), e.class, e.max_retries),
            (retryable, class, None),
            "{code}"
        );
        assert!(!e.ambiguous, "{code}");
    }
}

#[tokio::test]
async fn frequency_limit_3004_is_a_suppression_not_an_error() {
    let (_s, c) = answer(400, r#"{"code":3004,"message":"frequency limit"}"#).await;
    assert_eq!(
        c.send(&sms()).await.unwrap(),
        SendOutcome::Suppressed {
            message: "frequency limit".into()
        }
    );
}

#[tokio::test]
async fn send_failed_5001_allows_one_delayed_retry() {
    let (_s, c) = answer(400, r#"{"code":5001,"message":"sending failed"}"#).await;
    let e = c.send(&sms()).await.unwrap_err();
    assert!(e.is_retryable());
    assert_eq!(
        (e.max_retries, e.retry_after),
        (Some(1), Some(SEND_FAILED_RETRY_DELAY))
    );
}

#[tokio::test]
async fn a_gateway_error_without_a_body_code_falls_back_to_the_status_table() {
    let (_s, c) = answer(502, "<html>bad gateway</html>").await;
    let e = c.send(&sms()).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::ProviderServer);
    assert!(e.is_retryable() && e.ambiguous);
}

#[tokio::test]
async fn an_unreadable_2xx_is_ambiguous_not_success() {
    let (_s, c) = answer(200, "not json").await;
    let e = c.send(&sms()).await.unwrap_err();
    assert!(e.ambiguous && e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn a_timeout_after_sending_is_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    let c = client(&server, Duration::from_millis(200)).await;
    let e = c.send(&sms()).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Timeout);
    assert!(e.ambiguous && e.is_retryable());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the request did reach the provider"
    );
}

#[test]
fn debug_output_masks_the_number_and_hides_credentials() {
    let text = format!("{:?}", sms());
    assert!(!text.contains("4155550132"), "{text}");
    let c = EngageLabClient::new(
        Url::parse("http://127.0.0.1:9/v1").unwrap(),
        SecretString::from("dev-key"),
        SecretString::from(SECRET),
        Duration::from_secs(1),
    )
    .unwrap();
    let text = format!("{c:?}");
    assert!(!text.contains(SECRET) && !text.contains("ZGV2"), "{text}");
}
