//! `rediss://` URLs (managed Redis services that require TLS): the queue client talks TLS to a
//! redis-server with a TLS port and a freshly made self-signed certificate. The URL's
//! `#insecure` fragment accepts that certificate; without it, a certificate no system root vouches
//! for is refused.

use std::time::Duration;

use meetflow_shared::queue::{NewJob, QueueClient};
use meetflow_tests::redis::{TestRedis, TestRedisOptions};
use serde_json::json;

use crate::support::admin::free_port;

/// A self-signed certificate for `localhost` / 127.0.0.1, written as PEM files in `dir`.
fn write_certificate(dir: &std::path::Path) -> (String, String) {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    let cert = dir.join("redis.crt");
    let key = dir.join("redis.key");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    )
}

#[tokio::test]
async fn a_rediss_url_runs_the_queue_over_tls_and_verifies_the_certificate() {
    let dir = std::env::temp_dir().join(format!("meetflow-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = write_certificate(&dir);
    let tls_port = free_port();
    let redis = TestRedis::start_with(
        TestRedisOptions::new()
            .arg("tls-port", &tls_port.to_string())
            .arg("tls-cert-file", &cert)
            .arg("tls-key-file", &key)
            .arg("tls-ca-cert-file", &cert)
            .arg("tls-auth-clients", "no"),
    )
    .await
    .unwrap();

    let tls = QueueClient::connect(&format!("rediss://127.0.0.1:{tls_port}/#insecure"), "tls")
        .await
        .unwrap();
    tls.ping().await.unwrap();
    tls.enqueue(
        "events",
        NewJob::json(&json!({ "n": 1 }))
            .unwrap()
            .with_id("over-tls"),
    )
    .await
    .unwrap();
    // The same job, read back over the plain port: it really went to this server.
    let plain = QueueClient::connect(&redis.url(), "tls").await.unwrap();
    let job = plain.job("over-tls").await.unwrap();
    assert!(job.is_some(), "the job enqueued over TLS is stored");

    let strict = QueueClient::connect(&format!("rediss://localhost:{tls_port}"), "tls")
        .await
        .unwrap();
    let refused = tokio::time::timeout(Duration::from_secs(20), strict.ping())
        .await
        .expect("a refused certificate fails fast");
    let err = refused
        .expect_err("a self-signed certificate must not be trusted")
        .to_string();
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
