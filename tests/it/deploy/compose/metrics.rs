//! Every binary's `/metrics` from its first seconds, scraped from the compose services running
//! as local processes: build info naming the binary, process metrics (CPU, RSS, open fds, start
//! time) and `meetflow_redis_up 1` on every one, the scheduler's due-loop stamp on the
//! scheduler, and the whole text clean for `promtool check metrics` (skipped with a note when
//! promtool is not installed; CI installs it). Then the scheduler is killed: no remaining target
//! exports its build info and its port no longer answers, which is what
//! `MeetflowSchedulerAbsent` (`absent(meetflow_build_info{service="meetflow-scheduler"})`) and
//! `MeetflowScrapeTargetDown` (`up == 0`) fire on.

use std::time::{Duration, Instant};

use super::processes::Running;

/// How long a fresh process may take to show its first PING result.
const FIRST_SECONDS: Duration = Duration::from_secs(10);

async fn scrape(client: &reqwest::Client, port: u16) -> Option<String> {
    let resp = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .ok()?;
    resp.text().await.ok()
}

pub(super) async fn check_first_seconds(client: &reqwest::Client, running: &mut Vec<Running>) {
    let mut linted = 0;
    for r in running.iter() {
        let deadline = Instant::now() + FIRST_SECONDS;
        let text = loop {
            let text = scrape(client, r.ops_port).await.unwrap_or_default();
            if text.contains("\nmeetflow_redis_up 1\n") {
                break text;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no `meetflow_redis_up 1` within {FIRST_SECONDS:?}:\n{text}",
                r.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let mut wanted = vec![
            format!("meetflow_build_info{{service=\"{}\",version=\"", r.binary),
            "\nprocess_cpu_seconds_total ".to_owned(),
            "\nprocess_resident_memory_bytes ".to_owned(),
            "\nprocess_open_fds ".to_owned(),
            "\nprocess_start_time_seconds ".to_owned(),
        ];
        if r.binary == "meetflow-scheduler" {
            wanted.push("\nmeetflow_scheduler_last_tick_timestamp_seconds ".to_owned());
        }
        for w in &wanted {
            assert!(
                text.contains(w.as_str()),
                "{}: no {w:?} in:\n{text}",
                r.name
            );
        }
        linted += usize::from(meetflow_tests::promtool::assert_clean_metrics(
            &r.name, &text,
        ));
    }
    if linted > 0 {
        eprintln!("promtool check metrics: {linted} binaries clean");
    }

    let Some(at) = running
        .iter()
        .position(|r| r.binary == "meetflow-scheduler")
    else {
        panic!("compose has no meetflow-scheduler service");
    };
    let mut scheduler = running.remove(at);
    scheduler.child.kill().expect("SIGKILL the scheduler");
    scheduler.child.wait().expect("scheduler reaped");
    assert!(
        scrape(client, scheduler.ops_port).await.is_none(),
        "a killed scheduler still answers /metrics (its target would not be down)"
    );
    for r in running.iter() {
        let text = scrape(client, r.ops_port).await.unwrap_or_default();
        assert!(
            text.contains("meetflow_build_info{"),
            "{}: /metrics lost its build info:\n{}",
            r.name,
            r.log_tail()
        );
        assert!(
            !text.contains("service=\"meetflow-scheduler\""),
            "{} exports the scheduler's build info: the absent condition could not fire",
            r.name
        );
    }
}
