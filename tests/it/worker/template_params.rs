//! Templates declared with their parameters (`engagelab.template_params`): one naming a
//! parameter meetflow does not send is refused at load, by key and name; a declared parameter a
//! message has no value for is counted (`meetflow_sms_template_params_missing_total`) and logged
//! without the recipient, and the SMS still goes out.

use meetflow_shared::config::Settings;
use meetflow_tests::log_capture::LogCapture;

use crate::support::worker::{
    JORDAN_EMAIL, JORDAN_PHONE, created, env, in_two_days, metric, new_invitee,
};
use meetflow_shared::events::Provider;

#[test]
fn a_declared_parameter_meetflow_does_not_send_is_refused_by_name() {
    let yaml = "engagelab:\n  template_params:\n    tpl_reminder: [name, advance, discount_code]\n";
    let err = Settings::from_yaml_str(yaml, &|_| None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("engagelab.template_params.tpl_reminder"),
        "{err}"
    );
    assert!(err.contains("`discount_code`"), "{err}");
    let ok =
        "engagelab:\n  template_params:\n    tpl_reminder: [name, advance, cancel_url, join_url]\n";
    Settings::from_yaml_str(ok, &|_| None).unwrap();
}

#[tokio::test]
async fn a_declared_parameter_without_a_value_is_counted_and_logged_without_personal_data() {
    let logs = LogCapture::install().expect("first subscriber (run without TEST_LOG)");
    let mut env = env().await;
    // `advance` is for reminders, `booking_url` for win-backs: a confirmation has neither.
    env.settings.engagelab.template_params.insert(
        "tpl_confirmation".into(),
        vec![
            "name".into(),
            "time".into(),
            "advance".into(),
            "booking_url".into(),
        ],
    );
    let series = |param: &str| {
        format!(
            "meetflow_sms_template_params_missing_total{{kind=\"confirmation\",param=\"{param}\"}}"
        )
    };
    let before = (metric(&series("advance")), metric(&series("booking_url")));
    let worker = env.start();
    let (uri, _) = new_invitee();
    env.deliver(Provider::Calendly, &created(&uri, in_two_days()))
        .await;
    env.settle().await;
    worker.stop().await;

    assert_eq!(env.engagelab.sent_to(JORDAN_PHONE).len(), 1, "still sent");
    assert_eq!(metric(&series("advance")), before.0 + 1.0);
    assert_eq!(metric(&series("booking_url")), before.1 + 1.0);
    assert_eq!(metric(&series("name")), 0.0, "name has a value");
    let warned = logs.with_message(
        "SMS template declares parameters this message has no value for: sent literally",
    );
    assert_eq!(warned.len(), 1, "{warned:#?}");
    let line = warned[0].to_string();
    assert!(
        line.contains("tpl_confirmation") && line.contains("booking_url"),
        "{line}"
    );
    for personal in [JORDAN_PHONE, JORDAN_EMAIL, "Jordan"] {
        assert!(!line.contains(personal), "{personal} in {line}");
    }
}
