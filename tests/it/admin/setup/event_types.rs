//! `calendly event-types`: the table and an `event_mapping` block that keeps the configured
//! mappings and that `config check` accepts once the placeholders are filled.

use meetflow_tests::fakes::{DEFAULT_EVENT_TYPE_URI, FakeCalendlyApi};

use super::{calendly, failed};
use crate::support::admin::{ok, run};

#[tokio::test]
async fn admin_setup_calendly_event_types_print_a_mapping_block_the_config_accepts() {
    let fake = FakeCalendlyApi::start().await.unwrap();
    let discovery = fake.add_event_type("Discovery Call", "discovery-call");
    let dir = tempfile_dir();
    let config = dir.join("meetflow.yaml");
    std::fs::write(&config, format!("connectors:\n  calendly:\n    event_mapping:\n      demo: {{ event_type_uri: \"{DEFAULT_EVENT_TYPE_URI}\", list_id: 12, locale: th, offsets: [2h] }}\n")).unwrap();
    let mut cmd = calendly(&fake, &fake.access_token());
    cmd.arg("--config")
        .arg(&config)
        .args(["calendly", "event-types"]);
    let stdout = ok(&run(cmd).await);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("Discovery Call"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(row.contains(&discovery) && row.contains("yes"), "{row}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Product Demo (30 min)")
                && l.contains(DEFAULT_EVENT_TYPE_URI)
                && l.trim_end().ends_with("demo")),
        "{stdout}"
    );
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| l.trim() != "event_mapping:")
        .collect();
    assert!(
        block.iter().any(|l| l.contains(&format!(
            "demo: {{ event_type_uri: \"{DEFAULT_EVENT_TYPE_URI}\", list_id: 12, locale: \"th\", offsets: [\"2h\"] }}"
        ))),
        "{stdout}"
    );
    assert!(
        block.iter().any(|l| l.contains(&format!(
            "discovery_call: {{ event_type_uri: \"{discovery}\", list_id: 0 }}"
        ))),
        "{stdout}"
    );

    // Pasted as printed, the placeholder is caught; with a list id it is a valid config.
    let pasted = format!("connectors:\n  calendly:\n{}\n", block.join("\n"));
    std::fs::write(&config, &pasted).unwrap();
    let check = |path: &std::path::Path| {
        let mut cmd = calendly(&fake, &fake.access_token());
        cmd.arg("--config").arg(path).args(["config", "check"]);
        run(cmd)
    };
    let err = failed(&check(&config).await);
    assert!(
        err.contains("connectors.calendly.event_mapping.discovery_call.list_id"),
        "{err}"
    );
    std::fs::write(&config, pasted.replace("list_id: 0 ", "list_id: 31 ")).unwrap();
    let checked = ok(&check(&config).await);
    assert!(checked.contains(&discovery), "{checked}");
    // The effective workflow of each event type: demo's own offsets and locale, the others the
    // global ones.
    let workflows = checked
        .split("effective workflow per event type")
        .nth(1)
        .unwrap_or_else(|| panic!("{checked}"));
    let demo = workflows
        .split("  demo:")
        .nth(1)
        .unwrap_or_else(|| panic!("{workflows}"));
    let demo = demo.split("\n  discovery_call:").next().unwrap_or(demo);
    assert!(
        demo.contains("locale: th") && demo.contains("- 2h"),
        "{workflows}"
    );
    assert!(workflows.contains("locale: en"), "{workflows}");

    // A mistyped workflow key is refused with its name.
    std::fs::write(
        &config,
        pasted.replace("list_id: 0 ", "list_id: 31, reminder_offsets: [1h] "),
    )
    .unwrap();
    let err = failed(&check(&config).await);
    assert!(
        err.contains("connectors.calendly.event_mapping.discovery_call.reminder_offsets"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "meetflow-admin-setup-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
