//! Settings of the infrastructure around the business logic: Redis, listening sockets, queues.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

use super::values::{opt_duration, secret};

/// `redis:`: where every piece of state lives.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// Connection URL, e.g. `redis://127.0.0.1:6379` or `rediss://user:pass@host/0`; also
    /// `redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER` and
    /// `redis+cluster://HOST:PORT[,HOST:PORT...]` (a seed list), see
    /// [`crate::redis::Topology`]. A password in it is shown as `***` by `Debug` and
    /// [`super::Settings::redacted_yaml`].
    #[serde(serialize_with = "serialize_redacted_url")]
    pub url: String,
    /// Prefix of every key (a hash tag), so several installations can share one Redis.
    pub namespace: String,
    /// Start even when Redis's `maxmemory-policy` evicts keys (it could drop de-duplication and
    /// booking keys); by default such a Redis is refused at start-up.
    pub allow_eviction: bool,
    /// Replicas that must confirm (`WAIT`) a write before it is acknowledged outside: a webhook's
    /// 200 and an SMS's sent marker. 0 (the default) acknowledges what the master has, which a
    /// failover can lose (see docs/operations.md, "Managed Redis").
    pub wait_replicas: u32,
}

/// `url` with any password replaced by `***` (unparseable URLs are shown whole: no password
/// can be told apart in them, and validation rejects them anyway).
pub fn redact_url(url: &str) -> String {
    if let Some(redacted) = crate::redis::redact_multi_host(url) {
        return redacted;
    }
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn serialize_redacted_url<S: serde::Serializer>(url: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&redact_url(url))
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &redact_url(&self.url))
            .field("namespace", &self.namespace)
            .field("allow_eviction", &self.allow_eviction)
            .field("wait_replicas", &self.wait_replicas)
            .finish()
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".into(),
            namespace: "meetflow".into(),
            allow_eviction: false,
            wait_replicas: 0,
        }
    }
}

/// `ingest:`: the webhook HTTP server.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// Address the webhook server binds.
    pub listen: SocketAddr,
    /// Largest accepted webhook body; larger ones get 413.
    pub max_body_bytes: usize,
    /// `ingest.delivery_log`: how long and how much of every accepted delivery is kept for
    /// operators (`meetflow-admin deliveries`).
    pub delivery_log: DeliveryLogSettings,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            max_body_bytes: 256 * 1024,
            delivery_log: DeliveryLogSettings::default(),
        }
    }
}

/// `ingest.delivery_log:`: the delivery log keeps every accepted webhook delivery (its raw body,
/// provider, event, time and the people it names) for `retention`, and at most `max_entries`
/// deliveries and `max_bytes` of bodies (the oldest go first). `retention: 0s` turns it off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryLogSettings {
    /// How long a delivery is kept.
    #[serde(with = "super::values::duration")]
    pub retention: Duration,
    /// Most deliveries kept.
    pub max_entries: u64,
    /// Most body bytes kept (the sum of the kept bodies' sizes).
    pub max_bytes: u64,
}

impl Default for DeliveryLogSettings {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(14 * 24 * 3600),
            max_entries: 1_000_000,
            max_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

impl DeliveryLogSettings {
    /// Whether deliveries are logged at all (`retention` above zero and both caps above zero).
    pub fn enabled(&self) -> bool {
        !self.retention.is_zero() && self.max_entries > 0 && self.max_bytes > 0
    }
}

/// `ops:`: `/healthz`, `/readyz`, `/metrics` of each binary.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpsSettings {
    /// Address the ops server binds; port 0 picks a free port.
    pub listen: SocketAddr,
}

impl Default for OpsSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 9090)),
        }
    }
}

/// `telemetry:`: where traces go. Absent or `otlp_endpoint: null`: no export at all (no exporter
/// is built and no span is recorded for it).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// Base URL of an OTLP/HTTP collector, e.g. `http://otel-collector:4318`; spans are posted
    /// (protobuf) to `<otlp_endpoint>/v1/traces`.
    pub otlp_endpoint: Option<String>,
}

/// `admin:`: the operator web page and JSON API (`meetflow-admin serve`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// Address `meetflow-admin serve` binds.
    pub listen: SocketAddr,
    /// Bearer token required by the JSON API and the web page; it has the `admin` role and the
    /// name [`ADMIN_TOKEN_NAME`] in the audit trail.
    #[serde(with = "secret")]
    pub token: Option<SecretString>,
    /// More tokens, each with a name (who, in the audit trail) and a role.
    pub tokens: Vec<AdminToken>,
    /// How many entries the audit trail keeps (the oldest are dropped beyond this).
    pub audit_cap: usize,
}

/// The name `admin.token` goes by in the audit trail.
pub const ADMIN_TOKEN_NAME: &str = "admin";

/// What a token may do on the admin page and JSON API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminRole {
    /// View everything (personal data masked); no action, no reveal.
    Read,
    /// Also act (replay, delete, pause, resume, suppress, ...) and reveal personal data.
    Operate,
    /// Everything, including sending again an SMS marked "possibly sent".
    Admin,
}

impl AdminRole {
    /// `read`, `operate` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Operate => "operate",
            Self::Admin => "admin",
        }
    }
}

/// `admin.tokens[]`: one named token with its role.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminToken {
    /// Who holds it (`[A-Za-z0-9._@-]`, 1 to 64 characters); recorded in the audit trail.
    pub name: String,
    /// The bearer token (or login token on the page).
    #[serde(with = "secret", default)]
    pub token: Option<SecretString>,
    /// `read`, `operate` or `admin`.
    pub role: AdminRole,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            token: None,
            tokens: Vec::new(),
            audit_cap: 100_000,
        }
    }
}

/// `queues.<name>.backoff`: retry delays, exponential with full jitter.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffSpec {
    /// Delay before the first retry (before jitter).
    #[serde(with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub base: Option<Duration>,
    /// Largest delay between two attempts.
    #[serde(with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub cap: Option<Duration>,
}

/// `queues.<name>`: what the file says about one queue; unset fields fall back to
/// `queues.default`, then to the built-in defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSpec {
    /// Jobs in flight per worker process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// A job held by a dead process is run elsewhere after this.
    #[serde(with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub lease: Option<Duration>,
    /// Attempts before a job goes to the dead-letter store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Retry delays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<BackoffSpec>,
    /// Dead letters kept at most for this queue (the oldest of this queue go first, counted in
    /// `meetflow_dead_letters_trimmed_total`); another queue's flood never evicts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_cap: Option<u64>,
}

impl QueueSpec {
    /// Fields set in `other` win over fields set in `self`.
    pub(crate) fn overlay(&mut self, other: &QueueSpec) {
        if other.concurrency.is_some() {
            self.concurrency = other.concurrency;
        }
        if other.lease.is_some() {
            self.lease = other.lease;
        }
        if other.max_attempts.is_some() {
            self.max_attempts = other.max_attempts;
        }
        if other.dead_letter_cap.is_some() {
            self.dead_letter_cap = other.dead_letter_cap;
        }
        if let Some(b) = &other.backoff {
            let mine = self.backoff.get_or_insert_with(BackoffSpec::default);
            if b.base.is_some() {
                mine.base = b.base;
            }
            if b.cap.is_some() {
                mine.cap = b.cap;
            }
        }
    }
}

/// `queues:`: `default` plus one entry per queue name (`events`, `brevo`, `sms`, `zoom`, ...).
///
/// The file's entries are laid over the built-in ones field by field, so writing
/// `queues: { brevo: { concurrency: 4 } }` keeps the built-in `sms: { concurrency: 64 }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct QueuesSettings(pub BTreeMap<String, QueueSpec>);

impl QueuesSettings {
    /// The built-in `default` entry: 32 in flight, 30s lease, 12 attempts, 2s..1h backoff,
    /// 100,000 dead letters per queue.
    pub fn builtin_default() -> QueueSpec {
        QueueSpec {
            concurrency: Some(32),
            lease: Some(Duration::from_secs(30)),
            max_attempts: Some(12),
            backoff: Some(BackoffSpec {
                base: Some(Duration::from_secs(2)),
                cap: Some(Duration::from_secs(3600)),
            }),
            dead_letter_cap: Some(100_000),
        }
    }

    /// `queues.default` laid over the built-in default, then `queues.<name>` over that.
    pub fn effective(&self, name: &str) -> QueueSpec {
        let mut spec = Self::builtin_default();
        if let Some(d) = self.0.get("default") {
            spec.overlay(d);
        }
        if name != "default"
            && let Some(q) = self.0.get(name)
        {
            spec.overlay(q);
        }
        spec
    }
}

impl Default for QueuesSettings {
    fn default() -> Self {
        let mut m = BTreeMap::new();
        m.insert("default".to_owned(), Self::builtin_default());
        m.insert(
            "sms".to_owned(),
            QueueSpec {
                concurrency: Some(64),
                ..QueueSpec::default()
            },
        );
        m.insert(
            crate::jobs::SYNC.to_owned(),
            QueueSpec {
                concurrency: Some(super::SYNC_CONCURRENCY),
                ..QueueSpec::default()
            },
        );
        Self(m)
    }
}

impl<'de> Deserialize<'de> for QueuesSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let given = Option::<BTreeMap<String, QueueSpec>>::deserialize(d)?.unwrap_or_default();
        let mut merged = Self::default();
        for (name, spec) in given {
            merged.0.entry(name).or_default().overlay(&spec);
        }
        Ok(merged)
    }
}
