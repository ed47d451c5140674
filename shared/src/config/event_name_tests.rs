//! `engagement.brevo_events` names are held to Brevo's documented pattern when the file loads.
#![allow(clippy::unwrap_used)]

use super::{ConfigError, Settings, is_brevo_event_name};

fn load(yaml: &str) -> Result<Settings, ConfigError> {
    Settings::from_yaml_str(yaml, &|_| None)
}

#[test]
fn the_default_event_names_load() {
    let s = load("{}").unwrap();
    assert_eq!(s.engagement.brevo_events.booked, "booking_created");
}

#[test]
fn a_name_outside_brevos_pattern_is_refused_at_load_naming_the_key() {
    for bad in [
        "booking created",
        "booking.created",
        "réservé",
        &"x".repeat(256),
    ] {
        let yaml = format!("engagement: {{ brevo_events: {{ attended: \"{bad}\" }} }}");
        let err = load(&yaml).unwrap_err();
        assert_eq!(
            err.key(),
            Some("engagement.brevo_events.attended"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn an_empty_name_turns_the_event_off_and_loads() {
    let s = load("engagement: { brevo_events: { ended: \"\" } }").unwrap();
    assert!(s.engagement.brevo_events.ended.is_empty());
}

#[test]
fn the_pattern_is_brevos() {
    for good in ["a", "Meeting-Attended_2", &"x".repeat(255)] {
        assert!(is_brevo_event_name(good), "{good}");
    }
    for bad in ["", "a b", "a/b", "ä"] {
        assert!(!is_brevo_event_name(bad), "{bad}");
    }
}
