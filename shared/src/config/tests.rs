//! Unit tests of configuration loading: the environment is injected, never set on the process.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn load(yaml: &str, pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_yaml_str(yaml, &env_of(pairs))
}

#[test]
fn empty_file_gives_the_contract_defaults() {
    let s = load("", &[]).unwrap();
    assert_eq!(s.redis.url, "redis://127.0.0.1:6379");
    assert_eq!(s.redis.namespace, "meetflow");
    assert_eq!(s.ingest.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(s.ingest.max_body_bytes, 262_144);
    assert_eq!(s.ops.listen.port(), 9090);
    assert_eq!(s.connectors.calendly.tolerance, Duration::from_secs(180));
    assert_eq!(
        s.connectors.calendly.reconcile_every,
        Duration::from_secs(900)
    );
    assert!(!s.connectors.calendly.allow_unsigned);
    let window = s.connectors.calendly.reconcile_window;
    assert_eq!(
        (window.back, window.ahead),
        (
            Duration::from_secs(86_400),
            Duration::from_secs(60 * 86_400)
        )
    );
    assert_eq!(s.brevo.rate_limit, RateLimit::per_second(10));
    assert_eq!(s.engagelab.rate_limit.to_string(), "20/s");
    assert_eq!(
        s.reminders.offsets,
        [Duration::from_secs(86_400), Duration::from_secs(3600)]
    );
    assert_eq!(
        s.reminders.follow_up_after_end,
        Some(Duration::from_secs(1800))
    );
    assert_eq!(s.reminders.default_timezone, chrono_tz::Tz::UTC);
    assert_eq!(s.engagement.quiet_hours.unwrap().to_string(), "21:00-08:00");
    assert_eq!(s.admin.listen.to_string(), "127.0.0.1:8081");
    let sms = s.queue("sms");
    assert_eq!((sms.concurrency, sms.max_attempts), (64, 12));
    let brevo = s.queue("brevo");
    assert_eq!(
        (brevo.concurrency, brevo.lease),
        (32, Duration::from_secs(30))
    );
    assert_eq!(
        (brevo.backoff_base, brevo.backoff_cap),
        (Duration::from_secs(2), Duration::from_secs(3600))
    );
}

#[test]
fn typo_in_a_key_names_the_full_path() {
    let err = load("connectors:\n  calendly:\n    tolerence: 3m\n", &[]).unwrap_err();
    let line = err.to_string();
    assert!(
        line.starts_with("config error at connectors.calendly.tolerence: unknown field"),
        "{line}"
    );
    assert!(!line.contains('\n'));
    assert_eq!(err.key(), Some("connectors.calendly.tolerence"));
}

#[test]
fn unknown_top_level_section_is_rejected() {
    let err = load("brevoo:\n  api_key: x\n", &[]).unwrap_err();
    assert_eq!(err.key(), Some("brevoo"));
}

#[test]
fn missing_required_secret_is_named_for_its_role() {
    let yaml = "connectors:\n  calendly:\n    signing_key: ${CALENDLY_WEBHOOK_SIGNING_KEY}\n";
    let s = load(yaml, &[]).unwrap();
    assert!(s.connectors.calendly.signing_key.is_none());
    let err = s.validate_for(Role::Ingest).unwrap_err();
    assert_eq!(err.key(), Some("connectors.calendly.signing_key"));
    assert!(
        s.validate_for(Role::Worker).is_ok(),
        "worker runs without provider creds"
    );

    let s = load(yaml, &[("CALENDLY_WEBHOOK_SIGNING_KEY", "whsec")]).unwrap();
    assert!(s.validate_for(Role::Ingest).is_ok());
    let s = load("connectors: { calendly: { allow_unsigned: true } }", &[]).unwrap();
    assert!(s.validate_for(Role::Ingest).is_ok());
}

#[test]
fn a_callback_username_without_its_secret_is_refused_for_ingest() {
    let yaml =
        "engagelab: { callback_username: ops }\nconnectors: { calendly: { allow_unsigned: true } }";
    let err = load(yaml, &[])
        .unwrap()
        .validate_for(Role::Ingest)
        .unwrap_err();
    assert_eq!(err.key(), Some("engagelab.callback_secret"));
    let both = "engagelab: { callback_username: ops, callback_secret: cb }\nconnectors: { calendly: { allow_unsigned: true } }";
    assert!(load(both, &[]).unwrap().validate_for(Role::Ingest).is_ok());
}

#[test]
fn incomplete_credential_pairs_are_rejected_for_the_worker() {
    let s = load("engagelab: { dev_key: k }", &[]).unwrap();
    let err = s.validate_for(Role::Worker).unwrap_err();
    assert_eq!(err.key(), Some("engagelab.dev_secret"));
    let s = load(
        "connectors: { zoom: { client_id: a, client_secret: b } }",
        &[],
    )
    .unwrap();
    assert_eq!(
        s.validate_for(Role::Worker).unwrap_err().key(),
        Some("connectors.zoom.account_id")
    );
}

#[test]
fn admin_token_is_required_off_loopback() {
    let s = load("admin: { listen: 0.0.0.0:8081 }", &[]).unwrap();
    assert_eq!(
        s.validate_for(Role::Admin).unwrap_err().key(),
        Some("admin.token")
    );
    assert!(load("", &[]).unwrap().validate_for(Role::Admin).is_ok());
}

#[test]
fn env_override_wins_over_the_file_and_is_parsed_as_a_scalar() {
    let yaml = "brevo:\n  base_url: https://api.brevo.com/v3\ningest:\n  max_body_bytes: 10\n";
    let s = load(
        yaml,
        &[
            ("MEETFLOW__BREVO__BASE_URL", "http://127.0.0.1:9999/v3"),
            ("MEETFLOW__INGEST__MAX_BODY_BYTES", "2048"),
            ("MEETFLOW__CONNECTORS__CALENDLY__ALLOW_UNSIGNED", "true"),
            ("MEETFLOW__REMINDERS__FOLLOW_UP_AFTER_END", "null"),
            ("MEETFLOW__QUEUES__BREVO__CONCURRENCY", "4"),
            ("MEETFLOW__ENGAGELAB__DEV_KEY", "12345"),
        ],
    )
    .unwrap();
    assert_eq!(s.brevo.base_url, "http://127.0.0.1:9999/v3");
    assert_eq!(s.ingest.max_body_bytes, 2048);
    assert!(s.connectors.calendly.allow_unsigned);
    assert_eq!(s.reminders.follow_up_after_end, None);
    assert_eq!(s.queue("brevo").concurrency, 4);
    assert_eq!(
        s.queue("sms").concurrency,
        64,
        "built-in sms entry survives"
    );
    assert_eq!(
        s.engagelab.dev_key.as_ref().unwrap().expose_secret(),
        "12345"
    );
}

#[test]
fn override_with_a_typo_fails_like_a_typo_in_the_file() {
    let mut tree = source::parse_tree("").unwrap();
    let vars = [("MEETFLOW__BREVO__BASEURL".to_owned(), "http://x".to_owned())];
    source::apply_overrides(&mut tree, &vars).unwrap();
    let err = serde_path_to_error::deserialize::<_, Settings>(tree).unwrap_err();
    assert_eq!(err.path().to_string(), "brevo.baseurl");
}

#[test]
fn var_substitution_uses_defaults_and_leaves_unset_vars_empty() {
    let yaml = "redis:\n  url: ${REDIS_URL:-redis://127.0.0.1:6400}\n  namespace: ${NS:-mf}\n\
                brevo:\n  api_key: ${BREVO_API_KEY}\nadmin:\n  token: \"${TOKEN}\"\n";
    let s = load(yaml, &[("NS", "tenant-a")]).unwrap();
    assert_eq!(s.redis.url, "redis://127.0.0.1:6400");
    assert_eq!(s.redis.namespace, "tenant-a");
    assert!(s.brevo.api_key.is_none());
    assert!(s.admin.token.is_none());
    let s = load(yaml, &[("REDIS_URL", ""), ("TOKEN", "t0k")]).unwrap();
    assert_eq!(
        s.redis.url, "redis://127.0.0.1:6400",
        "empty counts as unset for :-"
    );
    assert_eq!(s.admin.token.unwrap().expose_secret(), "t0k");
}

#[test]
fn substitution_errors_and_escapes() {
    let env = env_of(&[("A", "x")]);
    assert_eq!(
        source::substitute("a $${A} ${A}", &env).unwrap(),
        "a ${A} x"
    );
    assert!(matches!(
        source::substitute("a ${A", &env),
        Err(ConfigError::Substitution(_))
    ));
    assert!(matches!(
        source::substitute("${A B}", &env),
        Err(ConfigError::Substitution(_))
    ));
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        (
            "connectors: { calendly: { tolerance: 3 minutes please } }",
            "connectors.calendly.tolerance",
        ),
        (
            "reminders: { offsets: [24h, soon] }",
            "reminders.offsets[1]",
        ),
        (
            "reminders: { default_timezone: Mars/Olympus }",
            "reminders.default_timezone",
        ),
        ("brevo: { rate_limit: 10/fortnight }", "brevo.rate_limit"),
        (
            "brevo: { rate_limits: { events: 10/fortnight } }",
            "brevo.rate_limits.events",
        ),
        (
            "brevo: { rate_limits: { contact: 10/s } }",
            "brevo.rate_limits.contact",
        ),
        (
            "connectors: { zoom: { rate_limits: { medium: 20/day } } }",
            "connectors.zoom.rate_limits.medium",
        ),
        (
            "connectors: { calendly: { rate_limit: lots } }",
            "connectors.calendly.rate_limit",
        ),
        (
            "engagement: { quiet_hours: \"21:00 to 08:00\" }",
            "engagement.quiet_hours",
        ),
        ("ingest: { listen: \"localhost:eighty\" }", "ingest.listen"),
        ("brevo: { base_url: not a url }", "brevo.base_url"),
        ("redis: { url: http://127.0.0.1:6379 }", "redis.url"),
        ("redis: { namespace: \"tenant-a:rl\" }", "redis.namespace"),
        (
            "redis: { url: \"redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2\" }",
            "redis.url",
        ),
        (
            "redis: { url: \"redis+cluster://a:7000,,b:7001\" }",
            "redis.url",
        ),
        (
            "queues: { sms: { concurrency: 0 } }",
            "queues.sms.concurrency",
        ),
        (
            "queues: { default: { backoff: { base: 2h, cap: 1h } } }",
            "queues.default.backoff.cap",
        ),
        ("engagelab: { host_phone: \"555\" }", "engagelab.host_phone"),
        ("ingest: { max_body_bytes: -1 }", "ingest.max_body_bytes"),
        ("sms: { default_region: XX }", "sms.default_region"),
        (
            "connectors: { calendly: { field_mapping: { tracking: { utm_sorce: UTM } } } }",
            "connectors.calendly.field_mapping.tracking.utm_sorce",
        ),
        (
            "connectors: { calendly: { reconcile_window: { ahead: 0s } } }",
            "connectors.calendly.reconcile_window.ahead",
        ),
        (
            "connectors: { zoom: { report_wait: 8d } }",
            "connectors.zoom.report_wait",
        ),
        (
            "connectors: { zoom: { report_wait: later } }",
            "connectors.zoom.report_wait",
        ),
        (
            "connectors: { zoom: { sweep_every: 0s } }",
            "connectors.zoom.sweep_every",
        ),
        (
            "connectors: { zoom: { sweep_window: 31d } }",
            "connectors.zoom.sweep_window",
        ),
        (
            "connectors: { zoom: { sweep_every: 2h, sweep_window: 1h } }",
            "connectors.zoom.sweep_window",
        ),
        (
            "engagement: { brevo_events: { recording_ready: \"recording ready\" } }",
            "engagement.brevo_events.recording_ready",
        ),
    ];
    for (yaml, key) in cases {
        let err = load(yaml, &[]).unwrap_err();
        assert_eq!(err.key(), Some(key), "{yaml} -> {err}");
    }
}

#[test]
fn good_values_parse() {
    let yaml = "reminders: { offsets: [1h30m, 500ms, 2s], default_timezone: Europe/Paris }\n\
                brevo: { rate_limit: 600/m }\nengagement: { quiet_hours: null }\n\
                engagelab: { templates: { reminder: 20481 }, host_phone: \"+1 415-555-0132\" }";
    let s = load(yaml, &[]).unwrap();
    assert_eq!(s.reminders.offsets[0], Duration::from_secs(5400));
    assert_eq!(s.reminders.offsets[1], Duration::from_millis(500));
    assert_eq!(s.reminders.default_timezone, chrono_tz::Europe::Paris);
    assert_eq!(s.brevo.rate_limit.per_second_f64(), 10.0);
    assert_eq!(
        s.brevo.contacts_rate(),
        s.brevo.rate_limit,
        "default: brevo.rate_limit"
    );
    assert_eq!(
        s.brevo.events_rate(),
        s.brevo.rate_limit,
        "default: brevo.rate_limit"
    );
    assert!(s.engagement.quiet_hours.is_none());
    let split = load(
        "brevo: { rate_limit: 4/s, rate_limits: { events: 600/m } }",
        &[],
    )
    .unwrap();
    assert_eq!(split.brevo.contacts_rate().to_string(), "4/s");
    assert_eq!(split.brevo.events_rate().to_string(), "600/m");
    let defaults = load("", &[]).unwrap();
    let zoom = defaults.connectors.zoom.rate_limits;
    assert_eq!(
        (zoom.light, zoom.medium, zoom.heavy),
        (
            RateLimit::per_second(30),
            RateLimit::per_second(20),
            RateLimit::per_second(10)
        )
    );
    assert_eq!(defaults.connectors.calendly.rate_limit.to_string(), "500/m");
    assert_eq!(s.engagelab.templates.reminder, "20481");
    let s = load(
        "connectors: { calendly: { reconcile_window: { back: 6h, ahead: 90d } } }",
        &[],
    )
    .unwrap();
    let window = s.connectors.calendly.reconcile_window;
    assert_eq!(
        (window.back, window.ahead),
        (
            Duration::from_secs(6 * 3600),
            Duration::from_secs(90 * 86_400)
        )
    );
}

#[test]
fn quiet_hours_wrap_midnight() {
    let q: QuietHours = "21:00-08:00".parse().unwrap();
    let t = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
    assert!(q.contains(t(23, 0)) && q.contains(t(7, 59)) && q.contains(t(21, 0)));
    assert!(!q.contains(t(8, 0)) && !q.contains(t(12, 0)));
}

const SECRETS: &[(&str, &str)] = &[
    ("CALENDLY_WEBHOOK_SIGNING_KEY", "sk-calendly-9f8e7d"),
    ("CALENDLY_ACCESS_TOKEN", "tok-calendly-1a2b3c"),
    ("ZOOM_WEBHOOK_SECRET", "zoom-secret-4d5e6f"),
    ("ZOOM_ACCOUNT_ID", "zoom-account-2j3k"),
    ("ZOOM_CLIENT_ID", "zoom-client-id-5m6n"),
    ("ZOOM_CLIENT_SECRET", "zoom-client-secret-7g8h"),
    ("BREVO_API_KEY", "xkeysib-0123456789"),
    ("ENGAGELAB_DEV_KEY", "el-key-0p9q"),
    ("ENGAGELAB_DEV_SECRET", "el-secret-abcdef"),
    ("ENGAGELAB_CALLBACK_SECRET", "el-callback-secret-5r4s"),
    ("MEETFLOW_ADMIN_TOKEN", "admin-token-zyxw"),
];

#[test]
fn redis_password_is_hidden_in_debug_and_redacted_output() {
    let s = load(
        "redis: { url: \"rediss://app:hunter2pass@redis.internal:6380/0\" }",
        &[],
    )
    .unwrap();
    assert!(
        s.redis.url.contains("hunter2pass"),
        "the real value is kept for connecting"
    );
    assert!(!format!("{s:?}").contains("hunter2pass"));
    let yaml = s.redacted_yaml();
    assert!(!yaml.contains("hunter2pass"));
    assert!(
        yaml.contains("rediss://app:***@redis.internal:6380/0"),
        "{yaml}"
    );
}

fn example_yaml() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../config/meetflow.example.yaml"
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn secrets_never_appear_in_debug_or_redacted_output() {
    let s = load(&example_yaml(), SECRETS).unwrap();
    assert_eq!(
        s.brevo.api_key.as_ref().unwrap().expose_secret(),
        "xkeysib-0123456789"
    );
    let debug = format!("{s:?}");
    let yaml = s.redacted_yaml();
    for (_, secret) in SECRETS {
        assert!(!debug.contains(secret), "Debug leaks {secret}");
        assert!(!yaml.contains(secret), "redacted_yaml leaks {secret}");
    }
    assert!(
        yaml.contains("api_key: '***'") || yaml.contains("api_key: \"***\""),
        "{yaml}"
    );
    let defaults = load("", &[]).unwrap().redacted_yaml();
    assert!(
        defaults.contains("token: (unset)"),
        "unset secrets are marked: {defaults}"
    );
}

#[test]
fn the_zoom_sweep_is_on_hourly_by_default_and_null_turns_it_off() {
    let s = load("", &[]).unwrap();
    assert_eq!(
        s.connectors.zoom.sweep_every,
        Some(Duration::from_secs(3600))
    );
    assert_eq!(
        s.connectors.zoom.sweep_window,
        Duration::from_secs(24 * 3600)
    );
    assert_eq!(s.engagement.brevo_events.recording_ready, "recording_ready");
    let off = load("connectors: { zoom: { sweep_every: null } }", &[]).unwrap();
    assert_eq!(off.connectors.zoom.sweep_every, None);
    let again = load(&off.redacted_yaml(), &[]).unwrap();
    assert_eq!(
        again.connectors.zoom.sweep_every, None,
        "null survives a round trip"
    );
}

#[test]
fn example_file_loads_and_its_redacted_form_loads_again() {
    let s = load(&example_yaml(), SECRETS).unwrap();
    for role in [Role::Ingest, Role::Worker, Role::Scheduler, Role::Admin] {
        s.validate_for(role).unwrap();
    }
    assert!(!s.connectors.calendly.event_mapping.is_empty());
    let again = load(&s.redacted_yaml(), &[]).unwrap();
    assert_eq!(again.queue("sms"), s.queue("sms"));
    assert_eq!(again.reminders.offsets, s.reminders.offsets);
    assert_eq!(again.engagement.quiet_hours, s.engagement.quiet_hours);
}

#[test]
fn sentinel_and_cluster_urls_load_and_keep_their_password_out_of_output() {
    let s = load(
        "redis: { url: \"redis+sentinel://:sentinel-pass@10.0.0.1:26379,10.0.0.2:26379/mymaster\", wait_replicas: 1 }",
        &[],
    )
    .unwrap();
    assert_eq!(s.redis.wait_replicas, 1);
    assert!(!format!("{s:?}").contains("sentinel-pass"));
    assert!(!s.redacted_yaml().contains("sentinel-pass"));
    load(
        "redis: { url: \"redis+cluster://10.0.0.1:7000,10.0.0.2:7001\" }",
        &[],
    )
    .unwrap();
    let err = load(
        "redis: { url: \"redis+sentinel://:sentinel-pass@h:1\" }",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("redis.url") && err.contains("master's name"),
        "{err}"
    );
    assert!(
        !err.contains("sentinel-pass") && !err.contains('\n'),
        "{err}"
    );
}

#[test]
fn telemetry_otlp_endpoint_is_off_by_default_and_checked_when_set() {
    assert_eq!(load("", &[]).unwrap().telemetry.otlp_endpoint, None);
    let set = load(
        "telemetry: { otlp_endpoint: null }\n",
        &[("MEETFLOW__TELEMETRY__OTLP_ENDPOINT", "http://otel:4318")],
    )
    .unwrap();
    assert_eq!(
        set.telemetry.otlp_endpoint.as_deref(),
        Some("http://otel:4318"),
        "the env override reaches the key"
    );
    let err = load("telemetry: { otlp_endpoint: \"otel:4318:x\" }\n", &[]).unwrap_err();
    assert_eq!(err.key(), Some("telemetry.otlp_endpoint"), "{err}");
    let err = load("telemetry: { otlp_endpoint: \"ftp://otel\" }\n", &[]).unwrap_err();
    assert_eq!(err.key(), Some("telemetry.otlp_endpoint"), "{err}");
}

#[test]
fn backfill_slices_run_two_at_a_time_with_an_hour_each_unless_configured() {
    // 16 slices of 200 bookings sharing Calendly's pace overran the 5-minute job timeout and
    // started over without end (sync-bench 10000): the sync queue has its own built-ins.
    let s = load("", &[]).unwrap();
    let sync = s.queue(crate::jobs::SYNC);
    assert_eq!(
        (sync.concurrency, sync.job_timeout),
        (2, Duration::from_secs(3600))
    );
    assert_eq!(s.queue("brevo").job_timeout, Duration::from_secs(300));
    let set = load("queues: { sync: { concurrency: 4 } }\n", &[]).unwrap();
    assert_eq!(set.queue(crate::jobs::SYNC).concurrency, 4);
}
