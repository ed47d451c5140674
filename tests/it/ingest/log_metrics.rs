//! The delivery log's size and trims on the `/metrics` of the real `meetflow-ingest` binary:
//! `meetflow_delivery_log_entries{provider}` and `meetflow_delivery_log_bytes` equal what Redis
//! holds after deliveries are logged, and `meetflow_delivery_log_trimmed_total{reason}` counts
//! what the trim removed by count, by bytes and by age (restarted with smaller limits, the
//! binary trims at once on start, and again after the next delivery).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meetflow_shared::redis::Keys;
use meetflow_tests::fixtures::{CALENDLY_INVITEE_CREATED, ZOOM_PARTICIPANT_JOINED};
use meetflow_tests::redis::TestRedis;
use meetflow_tests::signing;
use serde_json::{Value, json};

use crate::support::scrape;

const NS: &str = "dlm";
const CAL_KEY: &str = "log-metrics-calendly-key";
const ZOOM_SECRET: &str = "log-metrics-zoom-secret";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A running `meetflow-ingest` process, killed (by its pid) when dropped.
struct Ingest {
    child: Child,
    base: String,
    metrics: String,
    http: reqwest::Client,
}

impl Drop for Ingest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Ingest {
    /// Starts the binary on `redis` with `delivery_log` (YAML flow mapping) and waits until it is
    /// ready; tries fresh ports again when a parallel test took one first.
    async fn start(redis: &TestRedis, delivery_log: &str) -> Self {
        let http = meetflow_tests::http::http_client();
        for _ in 0..3 {
            let (port, ops) = (free_port(), free_port());
            let config = config(redis, delivery_log, port, ops);
            let child = Command::new(meetflow_tests::binaries::meetflow_binary("ingest"))
                .arg("--config")
                .arg(&config)
                .env("CAL_KEY", CAL_KEY)
                .env("ZOOM_SECRET", ZOOM_SECRET)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut ingest = Self {
                child,
                base: format!("http://127.0.0.1:{port}"),
                metrics: format!("http://127.0.0.1:{ops}/metrics"),
                http: http.clone(),
            };
            if ingest.ready(ops).await {
                return ingest;
            }
        }
        panic!("meetflow-ingest did not start on three pairs of free ports");
    }

    /// Whether the process answers `/readyz` (and takes webhooks) before it exits or 30 s pass.
    async fn ready(&mut self, ops: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            let readyz = self
                .http
                .get(format!("http://127.0.0.1:{ops}/readyz"))
                .send()
                .await;
            let listening = tokio::net::TcpStream::connect(self.base.trim_start_matches("http://"))
                .await
                .is_ok();
            if readyz.is_ok_and(|r| r.status() == 200) && listening {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    async fn calendly(&self, body: &[u8]) {
        let t = chrono::Utc::now().timestamp();
        let r = self
            .http
            .post(format!("{}/webhooks/calendly", self.base))
            .header("content-type", "application/json")
            .header(
                "Calendly-Webhook-Signature",
                signing::calendly_signature(CAL_KEY, t, body),
            )
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn zoom(&self, body: &[u8]) {
        let ts = chrono::Utc::now().timestamp();
        let r = self
            .http
            .post(format!("{}/webhooks/zoom", self.base))
            .header("content-type", "application/json; charset=utf-8")
            .header(
                "x-zm-signature",
                signing::zoom_signature(ZOOM_SECRET, ts, body),
            )
            .header("x-zm-request-timestamp", ts.to_string())
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    /// Scrapes until the delivery log's metrics equal what Redis holds and `check` accepts them
    /// (the trim after a batch runs once the request is answered); panics after 20 s.
    async fn log_metrics_until(
        &self,
        redis: &TestRedis,
        what: &str,
        check: impl Fn(&LogMetrics) -> bool,
    ) -> LogMetrics {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = scrape(&self.metrics).await;
            let seen = LogMetrics::read(&text);
            let held = held(redis).await;
            if seen.as_ref().is_some_and(|m| m.size() == held && check(m)) {
                return seen.unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "{what}: /metrics says {seen:?}, Redis holds {held:?}:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn config(redis: &TestRedis, delivery_log: &str, port: u16, ops: u16) -> PathBuf {
    let path = redis
        .data_dir()
        .join(format!("ingest-{}.yaml", uuid::Uuid::new_v4()));
    let yaml = format!(
        "redis: {{ url: '{}', namespace: {NS} }}\n\
         ingest: {{ listen: '127.0.0.1:{port}', delivery_log: {delivery_log} }}\n\
         ops: {{ listen: '127.0.0.1:{ops}' }}\n\
         connectors:\n  calendly: {{ signing_key: '${{CAL_KEY}}' }}\n  \
         zoom: {{ webhook_secret: '${{ZOOM_SECRET}}' }}\n",
        redis.url()
    );
    std::fs::write(&path, yaml).unwrap();
    path
}

/// The delivery log's series on one `/metrics` text.
#[derive(Debug, Clone, PartialEq)]
struct LogMetrics {
    calendly: f64,
    zoom: f64,
    engagelab: f64,
    bytes: f64,
    trimmed_age: f64,
    trimmed_count: f64,
    trimmed_bytes: f64,
}

impl LogMetrics {
    /// `None` while any series is missing.
    fn read(text: &str) -> Option<Self> {
        let value = |series: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        };
        let entries = |p: &str| {
            value(&format!(
                "meetflow_delivery_log_entries{{provider=\"{p}\"}}"
            ))
        };
        let trimmed = |r: &str| {
            value(&format!(
                "meetflow_delivery_log_trimmed_total{{reason=\"{r}\"}}"
            ))
        };
        Some(Self {
            calendly: entries("calendly")?,
            zoom: entries("zoom")?,
            engagelab: entries("engagelab")?,
            bytes: value("meetflow_delivery_log_bytes")?,
            trimmed_age: trimmed("age")?,
            trimmed_count: trimmed("count")?,
            trimmed_bytes: trimmed("bytes")?,
        })
    }

    /// Entries per provider (calendly, zoom, engagelab) and bytes, as [`held`] reads them.
    fn size(&self) -> Held {
        Held {
            entries: self.calendly + self.zoom + self.engagelab,
            by_provider: [self.calendly, self.zoom, self.engagelab],
            bytes: self.bytes,
        }
    }
}

/// What the delivery log holds in Redis.
#[derive(Debug, Clone, PartialEq)]
struct Held {
    entries: f64,
    by_provider: [f64; 3],
    bytes: f64,
}

async fn held(redis: &TestRedis) -> Held {
    let k = Keys::new(NS);
    let mut conn = redis.conn().await.unwrap();
    let zcard = |key: String| redis::cmd("ZCARD").arg(key).clone();
    let mut by_provider = [0.0; 3];
    for (i, p) in ["calendly", "zoom", "engagelab"].iter().enumerate() {
        let n: u64 = zcard(k.deliveries_by(p))
            .query_async(&mut conn)
            .await
            .unwrap();
        by_provider[i] = n as f64;
    }
    let entries: u64 = zcard(k.deliveries()).query_async(&mut conn).await.unwrap();
    // The kept payloads' sizes, summed entry by entry (not the stats hash the trim keeps).
    let ids: Vec<String> = redis::cmd("ZRANGE")
        .arg(k.deliveries())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut bytes = 0u64;
    for id in ids {
        let size: u64 = redis::cmd("HGET")
            .arg(k.delivery(&id))
            .arg("size")
            .query_async(&mut conn)
            .await
            .unwrap();
        bytes += size;
    }
    Held {
        entries: entries as f64,
        by_provider,
        bytes: bytes as f64,
    }
}

/// The stored size of the newest logged delivery.
async fn newest_size(redis: &TestRedis) -> u64 {
    let k = Keys::new(NS);
    let mut conn = redis.conn().await.unwrap();
    let newest: Vec<String> = redis::cmd("ZRANGE")
        .arg(k.deliveries())
        .arg(-1)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    redis::cmd("HGET")
        .arg(k.delivery(&newest[0]))
        .arg("size")
        .query_async(&mut conn)
        .await
        .unwrap()
}

/// The Calendly fixture as a fresh booking (its own invitee URI).
fn booking() -> Vec<u8> {
    let mut v: Value = serde_json::from_str(CALENDLY_INVITEE_CREATED).unwrap();
    v["payload"]["uri"] = json!(format!(
        "https://api.calendly.com/scheduled_events/e/invitees/{}",
        uuid::Uuid::new_v4()
    ));
    serde_json::to_vec(&v).unwrap()
}

/// Waits until the oldest logged delivery is more than `age` old by Redis's clock.
async fn oldest_older_than(redis: &TestRedis, age: Duration) {
    let mut conn = redis.conn().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let oldest: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(Keys::new(NS).deliveries())
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await
            .unwrap();
        let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
        let now_ms = secs * 1000 + micros / 1000;
        if oldest
            .first()
            .is_some_and(|(_, at)| now_ms - *at as i64 > age.as_millis() as i64)
        {
            return;
        }
        assert!(Instant::now() < deadline, "no delivery older than {age:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_delivery_log_size_and_its_trims_are_on_the_ingest_metrics() {
    let redis = TestRedis::start().await.unwrap();

    // Room for everything: the gauges follow the log, nothing is trimmed.
    let ingest = Ingest::start(&redis, "{}").await;
    let empty = ingest
        .log_metrics_until(&redis, "at start", |m| m.size().entries == 0.0)
        .await;
    assert_eq!(
        (empty.trimmed_age, empty.trimmed_count, empty.trimmed_bytes),
        (0.0, 0.0, 0.0),
        "the trimmed counters exist at 0 from the start"
    );
    let bodies: Vec<Vec<u8>> = (0..3).map(|_| booking()).collect();
    for body in &bodies {
        ingest.calendly(body).await;
    }
    ingest.zoom(ZOOM_PARTICIPANT_JOINED.as_bytes()).await;
    ingest.zoom(ZOOM_PARTICIPANT_JOINED.as_bytes()).await; // a redelivery is logged too
    let logged = ingest
        .log_metrics_until(&redis, "after five deliveries", |m| m.size().entries == 5.0)
        .await;
    assert_eq!(
        (logged.calendly, logged.zoom, logged.engagelab),
        (3.0, 2.0, 0.0)
    );
    assert!(logged.bytes > bodies.iter().map(Vec::len).sum::<usize>() as f64);
    assert_eq!(logged.trimmed_count + logged.trimmed_bytes, 0.0);
    drop(ingest);

    // Restarted with max_entries 3: the start trims the two oldest (Calendly) by count, the next
    // delivery one more.
    let ingest = Ingest::start(&redis, "{ max_entries: 3 }").await;
    let trimmed = ingest
        .log_metrics_until(&redis, "trimmed to 3 at start", |m| m.trimmed_count == 2.0)
        .await;
    assert_eq!(
        (trimmed.calendly, trimmed.zoom, trimmed.size().entries),
        (1.0, 2.0, 3.0)
    );
    assert!(trimmed.bytes < logged.bytes);
    ingest.calendly(&booking()).await;
    let after = ingest
        .log_metrics_until(&redis, "trimmed after a delivery", |m| {
            m.trimmed_count == 3.0
        })
        .await;
    assert_eq!((after.calendly, after.zoom), (1.0, 2.0));
    assert_eq!((after.trimmed_age, after.trimmed_bytes), (0.0, 0.0));
    drop(ingest);

    // Room for the newest payload's bytes only: the two older entries go by bytes.
    let one = newest_size(&redis).await;
    let ingest = Ingest::start(&redis, &format!("{{ max_bytes: {one} }}")).await;
    let by_bytes = ingest
        .log_metrics_until(&redis, "trimmed by bytes", |m| m.trimmed_bytes == 2.0)
        .await;
    assert_eq!(by_bytes.size().entries, 1.0);
    assert!(by_bytes.bytes <= one as f64);
    drop(ingest);

    // A retention of 1 s once the last entry is older: it goes by age.
    oldest_older_than(&redis, Duration::from_millis(1500)).await;
    let ingest = Ingest::start(&redis, "{ retention: 1s }").await;
    let aged = ingest
        .log_metrics_until(&redis, "trimmed by age", |m| m.trimmed_age == 1.0)
        .await;
    assert_eq!(aged.size().entries, 0.0);
    assert_eq!(aged.bytes, 0.0);
}
