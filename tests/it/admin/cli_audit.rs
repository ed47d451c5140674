//! `meetflow-admin audit [--json] [--limit N]` as the built binary: CLI actions are recorded as
//! `cli:<user>` with their counts (personal data masked), newest first, the trail is capped at
//! `admin.audit_cap`; and bad `admin.tokens` fail at load naming the key.

use std::process::Stdio;

use meetflow_shared::queue::ErrorClass;
use serde_json::{Value, json};

use crate::support::admin::{Admin, ok, run};

async fn cli_as(
    a: &Admin,
    user: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = a.command();
    cmd.args(args).env("USER", user).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd).await
}

#[tokio::test]
async fn audit_json_lists_cli_actions_with_who_and_how_many() {
    let a = Admin::start().await;
    for id in ["sms:c1", "sms:c2"] {
        a.bury(
            "sms",
            id,
            &json!({"v": 1}),
            ErrorClass::ProviderRejected,
            "rejected",
        )
        .await;
    }
    let v: Value =
        serde_json::from_str(&ok(&cli_as(&a, "ana", &[], &["audit", "--json"]).await)).unwrap();
    assert_eq!(v, json!([]), "nothing recorded yet");
    assert!(ok(&cli_as(&a, "ana", &[], &["audit"]).await).contains("no admin action"));

    ok(&cli_as(&a, "ana", &[], &["queues", "pause", "sms"]).await);
    ok(&cli_as(
        &a,
        "ana",
        &[],
        &["dlq", "retry", "--all", "--queue", "sms", "--yes"],
    )
    .await);
    ok(&cli_as(&a, "bo", &[], &["sms", "suppress", "+14155550132"]).await);
    let failed = cli_as(&a, "bo", &[], &["queues", "resume", "nosuch"]).await;
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");

    let out = ok(&cli_as(&a, "ana", &[], &["audit", "--json"]).await);
    assert!(!out.contains("+14155550132"), "the number is masked: {out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 4, "{out}");
    let (resume, suppress, replay, pause) = (&entries[0], &entries[1], &entries[2], &entries[3]);
    assert_eq!(
        (
            &pause["who"],
            &pause["via"],
            &pause["action"],
            &pause["count"]
        ),
        (&json!("cli:ana"), &json!("cli"), &json!("pause"), &json!(1))
    );
    assert_eq!(pause["target"], "queue: sms");
    assert_eq!(
        (&replay["action"], &replay["count"], &replay["outcome"]),
        (&json!("replay"), &json!(2), &json!("ok"))
    );
    assert!(
        replay["target"].as_str().unwrap().contains("sms"),
        "{replay}"
    );
    assert_eq!(suppress["who"], "cli:bo");
    assert_eq!(suppress["action"], "suppress");
    assert!(
        suppress["target"].as_str().unwrap().starts_with("phone +1"),
        "{suppress}"
    );
    assert_eq!(
        (&resume["action"], &resume["outcome"]),
        (&json!("resume"), &json!("failed"))
    );
    assert!(
        resume["error"].as_str().unwrap().contains("nosuch"),
        "{resume}"
    );
    let times: Vec<i64> = entries
        .iter()
        .map(|e| e["at_ms"].as_i64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let one: Value = serde_json::from_str(&ok(&cli_as(
        &a,
        "ana",
        &[],
        &["audit", "--json", "--limit", "1"],
    )
    .await))
    .unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["action"], "resume");
    let table = ok(&cli_as(&a, "ana", &[], &["audit"]).await);
    assert!(
        table.contains("cli:ana") && table.contains("replay") && table.contains("# 4 shown of 4"),
        "{table}"
    );

    // The trail keeps at most admin.audit_cap entries, dropping the oldest.
    let cap = [("MEETFLOW__ADMIN__AUDIT_CAP", "3")];
    ok(&cli_as(&a, "cy", &cap, &["queues", "resume", "sms"]).await);
    let v: Value =
        serde_json::from_str(&ok(&cli_as(&a, "ana", &cap, &["audit", "--json"]).await)).unwrap();
    let actions: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["resume", "resume", "suppress"]);
}

#[tokio::test]
async fn bad_admin_tokens_fail_at_load_naming_the_key() {
    let a = Admin::start().await;
    let cases = [
        (
            "admin:\n  tokens:\n    - { name: x, token: tok-1, role: superuser }\n",
            "admin.tokens[0].role",
        ),
        (
            "admin:\n  tokens:\n    - { name: x, token: tok-1, role: read }\n    - { name: x, token: tok-2, role: read }\n",
            "admin.tokens[1].name",
        ),
        (
            "admin:\n  token: tok-1\n  tokens:\n    - { name: ro, token: tok-1, role: read }\n",
            "admin.tokens[0].token",
        ),
        (
            "admin:\n  tokens:\n    - { name: \"\", token: tok-1, role: read }\n",
            "admin.tokens[0].name",
        ),
    ];
    for (i, (yaml, key)) in cases.iter().enumerate() {
        let path = std::env::temp_dir().join(format!(
            "meetflow-bad-tokens-{}-{i}.yaml",
            std::process::id()
        ));
        std::fs::write(&path, yaml).unwrap();
        let out = a
            .cli(&["--config", path.to_str().unwrap(), "config", "check"])
            .await;
        let _ = std::fs::remove_file(&path);
        assert_eq!(out.status.code(), Some(1), "{key}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{key}: {err}");
        assert!(!err.contains("tok-1"), "no token in the message: {err}");
    }
}
