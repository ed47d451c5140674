//! The deploy files are what operators run, and no Docker engine runs here: these tests keep
//! deploy/compose.yaml and the Kubernetes base honest by reading them as the binaries would.
//!
//! Static: every meetflow service runs a real binary with flags that binary has (checked against
//! its `--help` when it is built), `--queues` names real queues and every queue has a worker, and
//! its environment (env file + `environment:`) sets only `MEETFLOW__` keys that exist and loads
//! with the config file it mounts. Dynamic: each compose service's command and environment run
//! as a local process against a private Redis, answer GET /readyz with 200, and exit 0 on SIGTERM.

use std::collections::BTreeSet;

use meetflow_shared::jobs::ALL_QUEUES;

mod checks;
mod interpolate;
mod metrics;
mod processes;
mod services;

use checks::{check_against_help, check_args, load_settings};
use processes::{binaries_dir, run_services_as_processes};
use services::{compose_redis_password, compose_services, config_path, k8s_services, repo};

#[test]
fn compose_services_use_real_flags_queues_and_config_keys() {
    let bins = binaries_dir();
    let mut served = BTreeSet::new();
    let mut help_checked = 0;
    // Redis refuses clients without its password, and meetflow's redis.url carries it.
    let password = compose_redis_password().expect("the compose Redis has no --requirepass");
    assert!(!password.is_empty(), "empty requirepass");
    for svc in compose_services() {
        served.extend(check_args(&svc));
        help_checked += usize::from(check_against_help(&svc, &bins));
        // The quick start copies config/meetflow.example.yaml to config/meetflow.yaml.
        let config = config_path(&svc, &repo().join("config"), Some("meetflow.example.yaml"));
        let settings = load_settings(&svc, &config);
        assert_eq!(
            settings.redis.url,
            format!("redis://:{password}@redis:6379"),
            "{}",
            svc.name
        );
        assert_eq!(
            settings.ops.listen.port(),
            9090,
            "{}: healthcheck probes 9090",
            svc.name
        );
        if svc.binary == "meetflow-ingest" {
            assert_eq!(
                settings.ingest.listen.to_string(),
                "0.0.0.0:8080",
                "published as 8080:8080"
            );
        }
        if svc.binary == "meetflow-admin" {
            assert_eq!(
                settings.admin.listen.to_string(),
                "0.0.0.0:8081",
                "published as 8081:8081"
            );
            assert!(
                settings.admin.token.is_some(),
                "admin off loopback needs a token"
            );
        }
    }
    for q in ALL_QUEUES {
        assert!(served.contains(q), "no compose worker serves queue `{q}`");
    }
    if help_checked == 0 {
        eprintln!(
            "note: no meetflow binary built in {}: flags checked against the contract only",
            bins.display()
        );
    }
}

#[test]
fn k8s_deployments_use_real_flags_and_their_config_loads() {
    let bins = binaries_dir();
    let mut served = BTreeSet::new();
    for svc in k8s_services() {
        served.extend(check_args(&svc));
        check_against_help(&svc, &bins);
        let config = config_path(&svc, &repo().join("deploy/k8s/base/config"), None);
        let settings = load_settings(&svc, &config);
        assert_eq!(
            settings.ops.listen.port(),
            9090,
            "{}: probes use port 9090",
            svc.name
        );
    }
    for q in ALL_QUEUES {
        assert!(
            served.contains(q),
            "no k8s worker Deployment serves queue `{q}`"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_services_start_as_local_processes_and_answer_readyz() {
    run_services_as_processes(compose_services()).await;
}
