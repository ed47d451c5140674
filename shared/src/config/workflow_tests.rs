//! Workflows per event type: overrides over the global values, matching by URI or name, and
//! every bad key refused at load by name.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use super::{ConfigError, Settings};

fn load(yaml: &str) -> Result<Settings, ConfigError> {
    Settings::from_yaml_str(yaml, &|_| None)
}

const TWO_TYPES: &str = r#"
sms: { locale: ro }
engagelab:
  templates: { confirmation: conf-global, reminder: rem-global, win_back: wb-global }
reminders: { offsets: [24h, 1h], follow_up_after_end: 30m }
connectors:
  calendly:
    event_mapping:
      sales_demo: { event_type_uri: "https://api.calendly.com/event_types/sales", list_id: 10 }
      support_call:
        event_type_uri: https://api.calendly.com/event_types/support
        list_id: 11
        lists: [12]
        templates: { reminder: rem-support, win_back: "", host_cancellation: hc-support }
        offsets: [2h]
        follow_up_after_end: null
        quiet_hours: null
        locale: th
        brevo_events: { booked: support_booked }
      strategy_session: { locale: en-u-hc-h23 }
"#;

#[test]
fn unset_keys_take_the_global_value_and_set_ones_win() {
    let s = load(TWO_TYPES).unwrap();
    let support = s.workflow(Some("https://api.calendly.com/event_types/support/"), None);
    assert_eq!(support.name.as_deref(), Some("support_call"));
    assert_eq!(support.templates.reminder, "rem-support");
    assert_eq!(support.templates.confirmation, "conf-global");
    assert_eq!(support.templates.win_back, "", "turned off for this type");
    assert_eq!(support.templates.host_cancellation, "hc-support");
    assert_eq!(support.offsets, vec![Duration::from_secs(7200)]);
    assert_eq!(support.follow_up_after_end, None);
    assert_eq!(support.quiet_hours, None);
    assert_eq!(support.locale, "th");
    assert_eq!(support.lists, vec![11, 12]);
    assert_eq!(support.brevo_events.booked, "support_booked");
    assert_eq!(support.brevo_events.cancelled, "booking_cancelled");

    let sales = s.workflow(
        Some("https://api.calendly.com/event_types/sales"),
        Some("x"),
    );
    assert_eq!(sales.templates.reminder, "rem-global");
    assert_eq!(sales.offsets.len(), 2);
    assert_eq!(sales.follow_up_after_end, Some(Duration::from_secs(1800)));
    assert!(sales.quiet_hours.is_some());
    assert_eq!(sales.locale, "ro");
    assert_eq!(sales.lists, vec![10]);

    // By name when the URI is unknown or absent; unmapped types follow the global workflow.
    let strategy = s.workflow(None, Some("Strategy Session"));
    assert_eq!(strategy.locale, "en-u-hc-h23");
    assert!(strategy.lists.is_empty());
    let other = s.workflow(
        Some("https://api.calendly.com/event_types/zzz"),
        Some("Coffee"),
    );
    assert_eq!(other.name, None);
    assert_eq!(other, s.global_workflow());
}

#[test]
fn mappings_with_only_a_uri_and_a_list_keep_loading() {
    let s = load(
        "connectors: { calendly: { event_mapping: { discovery_call: { event_type_uri: \"https://api.calendly.com/event_types/abc123\", list_id: 10 } } } }",
    )
    .unwrap();
    let wf = s.workflow(Some("https://api.calendly.com/event_types/abc123"), None);
    assert_eq!(wf.lists, vec![10]);
    assert_eq!(wf.templates, s.engagelab.templates);
}

#[test]
fn a_bad_mapping_key_is_refused_at_load_naming_it() {
    let prefix = "connectors.calendly.event_mapping.support";
    let cases = [
        (
            "{ reminder_template: x }",
            format!("{prefix}.reminder_template"),
        ),
        (
            "{ templates: { remind: x } }",
            format!("{prefix}.templates.remind"),
        ),
        (
            "{ offsets: [2 hours later] }",
            format!("{prefix}.offsets[0]"),
        ),
        ("{ offsets: [0s] }", format!("{prefix}.offsets[0]")),
        (
            "{ follow_up_after_end: soon }",
            format!("{prefix}.follow_up_after_end"),
        ),
        ("{ quiet_hours: \"late\" }", format!("{prefix}.quiet_hours")),
        ("{ locale: xx }", format!("{prefix}.locale")),
        ("{ locale: \"not a locale\" }", format!("{prefix}.locale")),
        (
            "{ brevo_events: { booked: \"a b\" } }",
            format!("{prefix}.brevo_events.booked"),
        ),
        (
            "{ brevo_events: { attended: x } }",
            format!("{prefix}.brevo_events.attended"),
        ),
        ("{ lists: [0] }", format!("{prefix}.lists[0]")),
    ];
    for (mapping, key) in cases {
        let yaml =
            format!("connectors: {{ calendly: {{ event_mapping: {{ support: {mapping} }} }} }}");
        let err = load(&yaml).unwrap_err();
        assert!(
            err.key().is_some_and(|k| k.starts_with(&key)),
            "{mapping}: {err}"
        );
    }
    let err = load("sms: { locale: klingon }").unwrap_err();
    assert_eq!(err.key(), Some("sms.locale"), "{err}");
}
