//! Helpers of the ingest tests: a real `meetflow-ingest` server (built from YAML settings, bound
//! to port 0) on a private Redis, requests signed the way the providers sign them, and readers
//! for what ended up in Redis.

use std::net::SocketAddr;
use std::time::Duration;

use meetflow_ingest::{Application, IngestConfig};
use meetflow_shared::config::Settings;
use meetflow_shared::jobs::{EVENTS, WebhookJob};
use meetflow_shared::queue::{JobRecord, QueueClient};
use meetflow_tests::redis::TestRedis;
use meetflow_tests::signing;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) const CALENDLY_KEY: &str = "it-calendly-signing-key";
pub(crate) const ZOOM_SECRET: &str = "it-zoom-secret-token";
pub(crate) const ENGAGELAB_CALLBACK_SECRET: &str = "it-engagelab-callback-secret";
/// The static `Authorization` value of the EngageLab callback, as pasted in its console.
pub(crate) const ENGAGELAB_AUTHORIZATION: &str = "Bearer it-engagelab-authorization";

pub(crate) struct TestIngest {
    pub(crate) redis: TestRedis,
    pub(crate) addr: SocketAddr,
    pub(crate) queue: QueueClient,
    pub(crate) http: reqwest::Client,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// The YAML an operator would write, pointing at `redis` (secrets through `${VAR}`).
pub(crate) fn settings(redis: &TestRedis, namespace: &str, extra_calendly: &str) -> Settings {
    settings_for_url(&redis.url(), namespace, extra_calendly)
}

/// [`settings`] for any `redis.url` (a Cluster or Sentinel form).
pub(crate) fn settings_for_url(url: &str, namespace: &str, extra_calendly: &str) -> Settings {
    settings_with_engagelab(
        url,
        namespace,
        extra_calendly,
        "{ callback_secret: '${EL_CALLBACK}' }",
    )
}

/// [`settings_for_url`] with `engagelab:` set to `engagelab` (YAML; `${EL_CALLBACK}` and
/// `${EL_AUTHORIZATION}` resolve to [`ENGAGELAB_CALLBACK_SECRET`] and
/// [`ENGAGELAB_AUTHORIZATION`]).
pub(crate) fn settings_with_engagelab(
    url: &str,
    namespace: &str,
    extra_calendly: &str,
    engagelab: &str,
) -> Settings {
    let yaml = format!(
        "redis: {{ url: '{}', namespace: {namespace} }}\n\
         ingest: {{ listen: '127.0.0.1:0', max_body_bytes: 65536 }}\n\
         ops: {{ listen: '127.0.0.1:0' }}\n\
         connectors:\n  calendly: {{ signing_key: '${{CAL_KEY}}', tolerance: 3m {extra_calendly} }}\n  \
         zoom: {{ webhook_secret: '${{ZOOM_SECRET}}' }}\n\
         engagelab: {engagelab}\n",
        url
    );
    let env = |name: &str| match name {
        "CAL_KEY" => Some(CALENDLY_KEY.to_owned()),
        "ZOOM_SECRET" => Some(ZOOM_SECRET.to_owned()),
        "EL_CALLBACK" => Some(ENGAGELAB_CALLBACK_SECRET.to_owned()),
        "EL_AUTHORIZATION" => Some(ENGAGELAB_AUTHORIZATION.to_owned()),
        _ => None,
    };
    Settings::from_yaml_str(&yaml, &env).unwrap()
}

/// Ingest with `engagelab:` set to `engagelab` (see [`settings_with_engagelab`]).
pub(crate) async fn spawn_ingest_engagelab(engagelab: &str) -> TestIngest {
    let redis = TestRedis::start().await.unwrap();
    let namespace = format!("it{}", rand::random::<u32>());
    let settings = settings_with_engagelab(&redis.url(), &namespace, "", engagelab);
    start(redis, IngestConfig::from_settings(&settings)).await
}

pub(crate) async fn spawn_ingest() -> TestIngest {
    spawn_ingest_with(TestRedis::start().await.unwrap(), "", |_| {}).await
}

/// Starts ingest on `redis`; `extra_calendly` is appended to `connectors.calendly` (e.g.
/// `", allow_unsigned: true"`), `tweak` adjusts the derived config (shorter limits).
pub(crate) async fn spawn_ingest_with(
    redis: TestRedis,
    extra_calendly: &str,
    tweak: impl FnOnce(&mut IngestConfig),
) -> TestIngest {
    meetflow_shared::telemetry::init_for_tests();
    let namespace = format!("it{}", rand::random::<u32>());
    let settings = settings(&redis, &namespace, extra_calendly);
    let mut config = IngestConfig::from_settings(&settings);
    tweak(&mut config);
    start(redis, config).await
}

async fn start(redis: TestRedis, config: IngestConfig) -> TestIngest {
    meetflow_shared::telemetry::init_for_tests();
    let app = Application::build_with(config).await.unwrap();
    let addr = app.local_addr();
    let queue = app.queue().clone();
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let task = tokio::spawn(async move { app.run_until_stopped(signal.cancelled_owned()).await });
    let http = meetflow_tests::http::http_client();
    TestIngest {
        redis,
        addr,
        queue,
        http,
        stop,
        task: Some(task),
    }
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl TestIngest {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs `body` to `/webhooks/calendly` with `signature` as `Calendly-Webhook-Signature`.
    pub(crate) async fn calendly(
        &self,
        body: &[u8],
        signature: Option<String>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/webhooks/calendly"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(sig) = signature {
            req = req.header("Calendly-Webhook-Signature", sig);
        }
        req.send().await.unwrap()
    }

    /// POSTs `body` signed with the configured key, timestamp now.
    pub(crate) async fn calendly_signed(&self, body: &[u8]) -> reqwest::Response {
        self.calendly(
            body,
            Some(signing::calendly_signature(CALENDLY_KEY, now(), body)),
        )
        .await
    }

    /// POSTs `body` to `/webhooks/zoom` with the given signature and timestamp headers.
    pub(crate) async fn zoom(
        &self,
        body: &[u8],
        signature: Option<String>,
        ts: Option<i64>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/webhooks/zoom"))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_vec());
        if let Some(sig) = signature {
            req = req.header("x-zm-signature", sig);
        }
        if let Some(ts) = ts {
            req = req.header("x-zm-request-timestamp", ts.to_string());
        }
        req.send().await.unwrap()
    }

    pub(crate) async fn zoom_signed(&self, body: &[u8]) -> reqwest::Response {
        let ts = now();
        self.zoom(
            body,
            Some(signing::zoom_signature(ZOOM_SECRET, ts, body)),
            Some(ts),
        )
        .await
    }

    /// POSTs `body` to `/webhooks/engagelab` with `callback_id` as `X-CALLBACK-ID`.
    pub(crate) async fn engagelab(
        &self,
        body: &[u8],
        callback_id: Option<String>,
    ) -> reqwest::Response {
        self.engagelab_with(body, callback_id, None).await
    }

    /// POSTs `body` to `/webhooks/engagelab` with these `X-CALLBACK-ID` and `Authorization`.
    pub(crate) async fn engagelab_with(
        &self,
        body: &[u8],
        callback_id: Option<String>,
        authorization: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/webhooks/engagelab"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(id) = callback_id {
            req = req.header("X-CALLBACK-ID", id);
        }
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        req.send().await.unwrap()
    }

    /// POSTs `body` signed with the configured callback secret, timestamp now.
    pub(crate) async fn engagelab_signed(&self, body: &[u8]) -> reqwest::Response {
        let nonce = format!("{:08x}", rand::random::<u32>());
        let id =
            signing::engagelab_callback_id("meetflow", ENGAGELAB_CALLBACK_SECRET, now(), &nonce);
        self.engagelab(body, Some(id)).await
    }

    /// Ids waiting on the `events` queue, oldest first.
    pub(crate) async fn ready_ids(&self) -> Vec<String> {
        let mut conn = self.queue.redis();
        redis::cmd("LRANGE")
            .arg(self.queue.keys().ready(EVENTS))
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .unwrap()
    }

    /// The stored payload of job `id`.
    pub(crate) async fn webhook_job(&self, id: &str) -> WebhookJob {
        let record = self.queue.job(id).await.unwrap().expect("job exists");
        serde_json::from_str(record.payload.as_deref().expect("payload kept")).unwrap()
    }

    pub(crate) async fn dead_letters(&self) -> Vec<JobRecord> {
        self.queue
            .dead_letters()
            .list(Some(EVENTS), 0, 100)
            .await
            .unwrap()
    }

    /// Fires the stop signal (what SIGTERM does in the binary) without waiting.
    pub(crate) fn trigger_stop(&self) {
        self.stop.cancel();
    }

    /// Stops the server the way SIGTERM does and waits for it to finish.
    pub(crate) async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .unwrap()
                .unwrap();
        }
    }
}

impl Drop for TestIngest {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The status code and JSON body of a response.
pub(crate) async fn status_json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}
