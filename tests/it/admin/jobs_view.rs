//! Every job in view through `meetflow-admin jobs list|run-now|cancel|dead`, `processes` and the
//! JSON API (`/api/jobs`, `/api/processes`), against a private Redis and a real worker: the
//! in-flight job shows the process holding it and is never cancelled, a scheduled job runs now
//! or goes to the dead letters, pages continue by cursor, and a cancelled scheduled SMS never
//! reaches the fake EngageLab while its uncancelled twin does.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use chrono::{Duration as ChronoDuration, Utc};
use meetflow_shared::jobs::SMS;
use meetflow_shared::queue::{JobState, ListState, NewJob, process_identity};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::queue::browse::{job, worker};
use crate::support::admin::{Admin, admin_binary, api_get as get, api_post as post, ok, run};
use crate::support::queue::eventually;
use crate::support::worker::{env, in_two_days, new_invitee};
use crate::worker::send_once::{book_quietly, confirmation};

const TOKEN: &str = "jobs-view-token-for-tests";

/// A held in-flight job `hold` on sms, scheduled jobs `s0`..`s4`, a ready job on brevo.
pub(crate) async fn scene(a: &Admin) -> (Arc<Notify>, crate::support::queue::Running) {
    let release = Arc::new(Notify::new());
    let w = worker(
        &a.client,
        "sms",
        release.clone(),
        Arc::new(AtomicUsize::new(0)),
    );
    a.client.enqueue("sms", job("hold")).await.unwrap();
    let at = Utc::now() + ChronoDuration::hours(3);
    for i in 0..5 {
        a.client
            .enqueue(
                "sms",
                job(&format!("s{i}")).run_at(at + ChronoDuration::seconds(i)),
            )
            .await
            .unwrap();
    }
    a.client.enqueue("brevo", job("waiting")).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            let p = a
                .client
                .list_jobs(ListState::Inflight, None, None, 5)
                .await
                .unwrap();
            p.items.len() == 1
        })
        .await
    );
    (release, w)
}

/// Whether job `id` is done within 3 s.
pub(crate) async fn finishes(a: &Admin, id: &str) -> bool {
    eventually(Duration::from_secs(3), || async {
        a.client
            .job(id)
            .await
            .unwrap()
            .is_some_and(|j| j.state == JobState::Done)
    })
    .await
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn the_cli_lists_each_state_pages_by_cursor_and_acts_only_on_waiting_jobs() {
    let a = Admin::start().await;
    let (release, w) = scene(&a).await;

    let table = ok(&a.cli(&["jobs", "list", "--state", "inflight"]).await);
    assert!(
        table.contains("HELD BY") && table.contains("LEASE UNTIL"),
        "{table}"
    );
    let line = table.lines().find(|l| l.starts_with("hold ")).unwrap();
    assert!(
        line.contains(process_identity()) && line.contains("confirmation"),
        "{table}"
    );

    let refused = a.cli(&["jobs", "cancel", "hold"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let why = stderr(&refused);
    assert!(
        why.contains("in flight") && why.contains(process_identity()) && why.contains("refused"),
        "{why}"
    );

    // Pages of two, by cursor, over the five scheduled jobs.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = vec![
            "jobs",
            "list",
            "--state",
            "scheduled",
            "--queue",
            "sms",
            "--limit",
            "2",
            "--json",
        ];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c.as_str()]);
        }
        let page: Value = serde_json::from_str(&ok(&a.cli(&args).await)).unwrap();
        for r in page["items"].as_array().unwrap() {
            assert_eq!(r["state"], "scheduled");
            assert_eq!(r["max_attempts"], 12, "the queue's configured max_attempts");
            assert!(r["next_run_ms"].as_i64().unwrap() > Utc::now().timestamp_millis());
            seen.push(r["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["s0", "s1", "s2", "s3", "s4"]);
    let text = ok(&a
        .cli(&["jobs", "list", "--state", "scheduled", "--limit", "2"])
        .await);
    assert!(
        text.contains("NEXT RUN") && text.contains("more: --cursor '"),
        "{text}"
    );

    assert!(ok(&a.cli(&["jobs", "run-now", "s0"]).await).contains("is ready"));
    assert!(finishes(&a, "s0").await, "the worker ran it");
    let stale = a
        .cli(&["jobs", "cancel", "s1", "--expect", "retrying"])
        .await;
    assert_eq!(stale.status.code(), Some(1));
    assert!(
        stderr(&stale).contains("changed meanwhile"),
        "{}",
        stderr(&stale)
    );
    assert!(
        ok(&a
            .cli(&["jobs", "cancel", "s1", "--expect", "scheduled"])
            .await)
        .contains("cancelled")
    );
    assert!(a.client.job("s1").await.unwrap().is_none());
    assert!(ok(&a.cli(&["jobs", "dead", "s2"]).await).contains("dead letters"));
    let dead: Value = serde_json::from_str(&ok(&a
        .cli(&["jobs", "list", "--state", "dead", "--json"])
        .await))
    .unwrap();
    assert_eq!(dead["items"][0]["id"], "s2");
    assert_eq!(dead["items"][0]["last_error"]["class"], "operator");
    // Every job action, done or refused, is in the audit trail.
    let audit: Value = serde_json::from_str(&ok(&a.cli(&["audit", "--json"]).await)).unwrap();
    let entries = audit.as_array().unwrap();
    let has = |action: &str, target: &str, outcome: &str| {
        entries
            .iter()
            .any(|e| e["action"] == action && e["target"] == target && e["outcome"] == outcome)
    };
    assert!(has("job_cancel", "job: hold", "failed"), "{audit}");
    assert!(has("job_run_now", "job: s0", "ok"), "{audit}");
    assert!(has("job_cancel", "job: s1", "ok"), "{audit}");
    assert!(has("job_dead", "job: s2", "ok"), "{audit}");
    let ready = ok(&a.cli(&["jobs", "list", "--state", "ready"]).await);
    assert!(
        ready
            .lines()
            .any(|l| l.starts_with("waiting ") && l.contains("brevo")),
        "{ready}"
    );
    let missing = a.cli(&["jobs", "run-now", "nosuch"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no job nosuch"));
    assert_eq!(
        a.cli(&["jobs", "list", "--state", "bogus"])
            .await
            .status
            .code(),
        Some(2)
    );
    assert_eq!(a.cli(&["jobs", "list"]).await.status.code(), Some(2));

    // The worker in the process list, with its queue and its job in flight.
    assert!(
        eventually(Duration::from_secs(8), || async {
            let out = a.cli(&["processes", "--json"]).await;
            let list: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            list.as_array().is_some_and(|l| {
                l.iter().any(|p| {
                    p["identity"] == process_identity()
                        && p["queues"]["sms"] == 1
                        && p["in_flight"] == 1
                        && p["host"].as_str().is_some_and(|h| !h.is_empty())
                })
            })
        })
        .await
    );
    let table = ok(&a.cli(&["processes"]).await);
    assert!(
        table.contains("LAST HEARTBEAT") && table.contains("sms(1)"),
        "{table}"
    );
    release.notify_one();
    w.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_api_lists_pages_and_acts_with_409_for_an_inflight_or_changed_job() {
    let a = Admin::start().await;
    let (release, w) = scene(&a).await;
    let s = a.serve(Some(TOKEN)).await;
    let t = Some(TOKEN);

    assert_eq!(
        get(&s, "/api/jobs?state=ready", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&s, "/api/jobs", t).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&s, "/api/jobs?state=scheduled&cursor=nonsense", t)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let page: Value = get(&s, "/api/jobs?state=inflight", t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], "hold");
    assert_eq!(page["items"][0]["holder"], process_identity());
    assert!(page["items"][0]["lease_expires_ms"].as_i64().is_some());

    let first: Value = get(&s, "/api/jobs?state=scheduled&queue=sms&limit=3", t)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = get(
        &s,
        &format!(
            "/api/jobs?state=scheduled&queue=sms&cursor={}",
            urlencode(cursor)
        ),
        t,
    )
    .await
    .json()
    .await
    .unwrap();
    let ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["s0", "s1", "s2", "s3", "s4"]);

    let r = post(&s, "/api/jobs/hold/cancel", json!({}), t).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"]["outcome"], "refused");
    assert_eq!(body["outcome"]["holder"], process_identity());
    assert!(body["error"].as_str().unwrap().contains("in flight"));
    let r = post(&s, "/api/jobs/s3/run-now", json!({"expect": "retrying"}), t).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post(
        &s,
        "/api/jobs/s3/run-now",
        json!({"expect": "scheduled"}),
        t,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["outcome"].as_str(), body["was"].as_str()),
        (Some("done"), Some("scheduled"))
    );
    let r = post(&s, "/api/jobs/s4/dead", json!({}), t).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        a.client.job("s4").await.unwrap().unwrap().state,
        JobState::Dead
    );
    let r = post(&s, "/api/jobs/s1/cancel", json!({"expect": "scheduled"}), t).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(a.client.job("s1").await.unwrap().is_none());
    assert_eq!(
        post(&s, "/api/jobs/s1/cancel", json!({}), t).await.status(),
        StatusCode::NOT_FOUND
    );

    assert!(
        eventually(Duration::from_secs(8), || async {
            let v: Value = get(&s, "/api/processes", t).await.json().await.unwrap();
            v["processes"].as_array().is_some_and(|l| {
                l.iter()
                    .any(|p| p["identity"] == process_identity() && p["queues"]["sms"] == 1)
            })
        })
        .await
    );
    release.notify_one();
    w.shutdown().await.unwrap();
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_cancelled_scheduled_sms_never_reaches_engagelab() {
    let env = env().await;
    let worker = env.start();
    let start = in_two_days();
    let due = Utc::now() + ChronoDuration::seconds(2);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (uri, key) = new_invitee();
        book_quietly(&env, &uri, start).await;
        let sms = confirmation(&key, start);
        let job = NewJob::json(&sms)
            .unwrap()
            .with_id(sms.job_id())
            .group(sms.group())
            .run_at(due);
        env.client.enqueue(SMS, job).await.unwrap();
        ids.push(sms.job_id());
    }
    let (cancelled, twin) = (&ids[0], &ids[1]);

    let cli = |args: &[&str]| {
        let mut cmd = std::process::Command::new(admin_binary());
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("MEETFLOW") && k != "MEETFLOW_REQUEST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("MEETFLOW__REDIS__URL", env.redis.url())
            .env("MEETFLOW__REDIS__NAMESPACE", crate::support::worker::NS)
            .env("RUST_LOG", "warn")
            .args(args)
            .stdin(Stdio::null());
        run(cmd)
    };
    let listed: Value = serde_json::from_str(&ok(&cli(&[
        "jobs",
        "list",
        "--state",
        "scheduled",
        "--queue",
        "sms",
        "--json",
    ])
    .await))
    .unwrap();
    let listed: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&cancelled.as_str()) && listed.contains(&twin.as_str()),
        "{listed:?}"
    );
    let out = ok(&cli(&["jobs", "cancel", cancelled]).await);
    assert!(out.contains("cancelled"), "{out}");

    assert!(
        eventually(Duration::from_secs(10), || async {
            env.engagelab.sent_count() >= 1
        })
        .await,
        "the uncancelled twin is sent when due"
    );
    env.settle().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        env.engagelab.sent_count(),
        1,
        "only the twin reached EngageLab"
    );
    assert!(env.client.job(cancelled).await.unwrap().is_none());
    assert_eq!(
        env.client.job(twin).await.unwrap().unwrap().state,
        JobState::Done
    );
    worker.stop().await;
}
