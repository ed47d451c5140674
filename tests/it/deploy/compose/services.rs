//! The deploy files as data: the meetflow services of deploy/compose.yaml (interpolated with
//! .env.example, as compose does with .env) and of the Kubernetes base, each reduced to binary,
//! arguments and environment (what a process needs to run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::interpolate::interpolate_all;

/// Where the compose file mounts ../config, and where the Kubernetes ConfigMap lands.
pub(crate) const CONFIG_MOUNT: &str = "/etc/meetflow/";

/// One meetflow container: its binary, arguments and environment.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub(crate) name: String,
    pub(crate) binary: String,
    pub(crate) args: Vec<String>,
    pub(crate) env: BTreeMap<String, String>,
}

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().map(scalar).collect(),
        Value::Null => Vec::new(),
        other => vec![scalar(other)],
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn env_map(v: &Value) -> BTreeMap<String, String> {
    match v {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                let s = scalar(i);
                let (k, v) = s.split_once('=').unwrap_or((&s, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn parse_env_file(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("bad env line `{l}`"));
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect()
}

/// deploy/compose.yaml as compose reads it: every value interpolated from `.env` (the committed
/// `.env.example`, which the quick start copies to `.env`).
pub(crate) fn compose_doc() -> Value {
    let deploy = repo().join("deploy");
    let text = std::fs::read_to_string(deploy.join("compose.yaml")).unwrap();
    let mut doc: Value = serde_saphyr::from_str(&text).unwrap();
    interpolate_all(&mut doc, &parse_env_file(&deploy.join(".env.example")));
    doc
}

/// The password the compose Redis requires (its `--requirepass`), if any.
pub(crate) fn compose_redis_password() -> Option<String> {
    let cmd = strings(&compose_doc()["services"]["redis"]["command"]);
    let at = cmd.iter().position(|a| a == "--requirepass")?;
    cmd.get(at + 1).cloned()
}

/// The meetflow services of deploy/compose.yaml, with `.env` read from `.env.example`.
pub(crate) fn compose_services() -> Vec<Service> {
    let deploy = repo().join("deploy");
    let doc = compose_doc();
    let mut out = Vec::new();
    for (name, svc) in doc["services"].as_object().unwrap() {
        let entry = strings(&svc["entrypoint"]);
        let Some(binary) = entry.first().filter(|b| b.starts_with("meetflow-")) else {
            continue;
        };
        let mut env = BTreeMap::new();
        for file in strings(&svc["env_file"]) {
            let file = if file == ".env" {
                ".env.example".into()
            } else {
                file
            };
            env.extend(parse_env_file(&deploy.join(file)));
        }
        env.extend(env_map(&svc["environment"]));
        for (k, v) in &env {
            assert!(
                !v.contains("${"),
                "{name}: {k} is `{v}` after interpolation"
            );
        }
        let volumes = strings(&svc["volumes"]);
        assert!(
            volumes.iter().any(|v| v == "../config:/etc/meetflow:ro"),
            "{name}: ../config must be mounted read-only at {CONFIG_MOUNT}"
        );
        let mut args = entry[1..].to_vec();
        args.extend(strings(&svc["command"]));
        out.push(Service {
            name: name.clone(),
            binary: binary.clone(),
            args,
            env,
        });
    }
    assert!(
        out.len() >= 6,
        "compose.yaml lost its meetflow services: {out:?}"
    );
    out
}

/// The meetflow Deployments of deploy/k8s/base, with the shared pod defaults and the example
/// Secret as environment.
pub(crate) fn k8s_services() -> Vec<Service> {
    let base = repo().join("deploy/k8s/base");
    let docs = |file: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(base.join(file)).unwrap();
        serde_saphyr::from_multiple(&text).unwrap()
    };
    let container = |doc: &Value| doc["spec"]["template"]["spec"]["containers"][0].clone();
    let env_list = |c: &Value| -> BTreeMap<String, String> {
        c["env"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| (scalar(&e["name"]), scalar(&e["value"])))
            .collect()
    };
    let mut shared = env_list(&container(&docs("pod-defaults.yaml")[0]));
    shared.extend(env_map(&docs("secret.example.yaml")[0]["stringData"]));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&base).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if !file.ends_with(".yaml") || file == "pod-defaults.yaml" || file == "kustomization.yaml" {
            continue;
        }
        for doc in docs(&file).iter().filter(|d| d["kind"] == "Deployment") {
            let c = container(doc);
            let mut env = shared.clone();
            env.extend(env_list(&c));
            let mut args = strings(&c["command"]);
            let binary = args.remove(0);
            args.extend(strings(&c["args"]));
            out.push(Service {
                name: scalar(&doc["metadata"]["name"]),
                binary,
                args,
                env,
            });
        }
    }
    assert!(out.len() >= 7, "k8s base lost Deployments: {out:?}");
    out
}

/// The config file a service's `--config` (or MEETFLOW_CONFIG) names, on this machine:
/// `mount_source` holds what is mounted at /etc/meetflow; `file` replaces the file name (the
/// compose quick start copies the committed example to the name the services read).
pub(crate) fn config_path(svc: &Service, mount_source: &Path, file: Option<&str>) -> PathBuf {
    let mut args = svc.args.iter().skip_while(|a| *a != "--config").skip(1);
    let inside = args
        .next()
        .or(svc.env.get("MEETFLOW_CONFIG"))
        .expect("no config path");
    let name = inside
        .strip_prefix(CONFIG_MOUNT)
        .expect("config outside the mount");
    mount_source.join(file.unwrap_or(name))
}
