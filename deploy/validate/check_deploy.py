"""Engine-free checks of meetflow's deploy files that no generic schema covers.

Run by scripts/validate-deploy.sh with the tools venv's Python, after the schema validators.
Inputs: the compose file rendered by `docker-compose --profile monitoring config --format json`,
the k8s config file, deploy/prometheus/alerts.yaml and the Kubernetes manifests rendered by
`kubectl kustomize` (base, production, production-monitoring, redis). Prints one line per
problem and exits 1 if there is any.

What it checks, and why:
- every queue (events, brevo, sms, zoom) has a worker in compose and in Kubernetes, so no job
  waits forever;
- Redis is durable: AOF on, appendfsync everysec, maxmemory-policy noeviction (compose, k8s);
- compose: every meetflow service waits for a healthy Redis and has a healthcheck; Redis has a
  requirepass and meetflow's redis.url carries that password; every service's log is rotated
  (json-file with max-size and max-file); bind-mounted files exist;
- compose monitoring profile: Prometheus (only in the profile) loads alerts.yaml and scrapes the
  ops port of every meetflow service in a job named *meetflow*; Grafana's provisioned data source
  is that Prometheus and its dashboard provider reads the mounted meetflow.json;
- Kubernetes: probes on the ops endpoints, worker grace >= 30 s drain + margin, PDBs;
- KEDA: ScaledObject and TriggerAuthentication against a strict JSON schema derived from the
  cloudcoil-models-keda package (generated from KEDA's CRDs; unknown fields rejected), redis
  trigger metadata keys known to the KEDA Redis Lists scaler, and `listName` equal to the queue
  core's ready LIST `{<redis.namespace>}:q:<queue>:ready` of the queue its target serves;
  in an overlay the Redis `address` is set (no base placeholder left);
- monitoring (components/monitoring): PodMonitor/ServiceMonitor/PrometheusRule against a strict
  schema from cloudcoil-models-prometheus-operator; the PodMonitor selects every meetflow pod on
  its `ops` port and its job name matches MeetflowScrapeTargetDown's `.*meetflow.*`; a
  ServiceMonitor must honour the targets' labels (its `service` target label would rename
  meetflow_build_info's); every meetflow Deployment has a Service on its ops port; the
  PrometheusRule's groups equal alerts.yaml's.
"""

import os
from urllib.parse import urlsplit

import json
import sys

import jsonschema
import yaml

QUEUES = ["events", "brevo", "sms", "zoom"]
BINARIES = {"meetflow-ingest", "meetflow-worker", "meetflow-scheduler", "meetflow-admin"}
WORKER_DRAIN_SECONDS = 30
OPS_PORT = 9090
MONITORING_PROFILE = "monitoring"
# The placeholder deploy/k8s/base/keda.yaml carries until an overlay sets the address.
KEDA_ADDRESS_PLACEHOLDER = "set-by-overlay"
# KEDA "Redis Lists" scaler metadata (keda.sh/docs/2.16/scalers/redis-lists).
REDIS_TRIGGER_KEYS = {
    "address", "addressFromEnv", "host", "hostFromEnv", "port", "portFromEnv",
    "username", "usernameFromEnv", "password", "passwordFromEnv", "listName", "listLength",
    "activationListLength", "databaseIndex", "enableTLS", "unsafeSsl",
}

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def flag_value(args, flag):
    """The value after `flag` in an argument list, or None."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def redis_args_durable(where, args):
    text = " ".join(str(a) for a in args)
    for needle in ("appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"):
        if needle not in text:
            problem(where, f"Redis must run with `{needle}`")


def check_compose(path, alerts_file):
    services = json.load(open(path))["services"]
    password = None
    if "redis" not in services:
        problem("compose", "no redis service")
    else:
        redis_args_durable("compose redis", services["redis"].get("command") or [])
        if not any(v.get("target") == "/data" for v in services["redis"].get("volumes", [])):
            problem("compose redis", "no volume on /data (the AOF would die with the container)")
        password = flag_value(services["redis"].get("command") or [], "--requirepass")
        if not password:
            problem("compose redis", "no --requirepass (Redis must not accept unauthenticated clients)")
    for name, svc in services.items():
        logging = svc.get("logging") or {}
        options = logging.get("options") or {}
        if logging.get("driver") != "json-file" or not {"max-size", "max-file"} <= set(options):
            problem(f"compose {name}", "logs not rotated (logging: json-file with max-size and max-file)")
        for vol in svc.get("volumes", []):
            if vol.get("type") == "bind" and not os.path.exists(vol["source"]):
                problem(f"compose {name}", f"bind mount source {vol['source']} does not exist")
    meetflow = {}
    served = set()
    for name, svc in services.items():
        entry = (svc.get("entrypoint") or [None])[0]
        if entry not in BINARIES:
            continue
        meetflow[name] = svc
        where = f"compose {name}"
        if svc.get("profiles"):
            problem(where, "meetflow services belong to no profile (they must always start)")
        url = urlsplit((svc.get("environment") or {}).get("MEETFLOW__REDIS__URL") or "")
        if password and (url.hostname != "redis" or url.password != password):
            problem(where, "MEETFLOW__REDIS__URL must be redis://:<the redis service's requirepass>@redis:6379")
        listen = (svc.get("environment") or {}).get("MEETFLOW__OPS__LISTEN", "")
        if not listen.endswith(f":{OPS_PORT}"):
            problem(where, f"MEETFLOW__OPS__LISTEN {listen!r} is not port {OPS_PORT} (what Prometheus scrapes)")
        cmd = svc.get("command") or []
        if entry == "meetflow-worker":
            queues = flag_value(cmd, "--queues")
            if not queues:
                problem(where, "worker without --queues (it would serve every queue)")
            else:
                served.update(queues.split(","))
            grace = svc.get("stop_grace_period", "10s")
            if parse_seconds(grace) <= WORKER_DRAIN_SECONDS:
                problem(where, f"stop_grace_period {grace} must exceed the {WORKER_DRAIN_SECONDS} s drain")
        if svc.get("depends_on", {}).get("redis", {}).get("condition") != "service_healthy":
            problem(where, "must depend on redis with condition service_healthy")
        if not svc.get("healthcheck", {}).get("test"):
            problem(where, "no healthcheck")
        if svc.get("stop_signal", "SIGTERM") != "SIGTERM":
            problem(where, "stop_signal must be SIGTERM")
    for q in QUEUES:
        if q not in served:
            problem("compose", f"no worker serves queue `{q}`")
    check_compose_monitoring(services, meetflow, alerts_file)


def bind_source(svc, target):
    """The host path bind-mounted at `target` (or at a parent of it), or None."""
    for vol in svc.get("volumes", []):
        if vol.get("type") != "bind":
            continue
        if target == vol["target"]:
            return vol["source"]
        if target.startswith(vol["target"].rstrip("/") + "/"):
            return os.path.join(vol["source"], target[len(vol["target"].rstrip("/")) + 1:])
    return None


def check_compose_monitoring(services, meetflow, alerts_file):
    for name in ("prometheus", "grafana"):
        if name not in services:
            problem("compose", f"no `{name}` service (monitoring profile)")
        elif services[name].get("profiles") != [MONITORING_PROFILE]:
            problem(f"compose {name}", f"must be in the `{MONITORING_PROFILE}` profile only (optional)")
    if "prometheus" not in services or "grafana" not in services:
        return
    prom = services["prometheus"]
    where = "compose prometheus"
    config_flag = flag_value(prom.get("command") or [], "--config.file")
    config_path = bind_source(prom, config_flag or "")
    if not config_path or not os.path.exists(config_path):
        problem(where, f"--config.file {config_flag} is not a mounted file")
        return
    config = yaml.safe_load(open(config_path))
    rule_dir = os.path.dirname(config_path)
    rules = [os.path.join(rule_dir, r) for r in config.get("rule_files") or []]
    alerts_text = open(alerts_file).read()
    if not any(os.path.exists(r) and open(r).read() == alerts_text for r in rules):
        problem(where, "rule_files does not load deploy/prometheus/alerts.yaml")
    scraped = set()
    for job in config.get("scrape_configs") or []:
        if "meetflow" not in job.get("job_name", ""):
            continue
        for sd in job.get("dns_sd_configs") or []:
            if sd.get("port") == OPS_PORT:
                scraped.update(sd.get("names") or [])
        for sc in job.get("static_configs") or []:
            scraped.update(t.rsplit(":", 1)[0] for t in sc.get("targets") or [] if t.endswith(f":{OPS_PORT}"))
    for name in meetflow:
        if name not in scraped:
            problem(where, f"no job named *meetflow* scrapes {name}:{OPS_PORT}")
    graf = services["grafana"]
    where = "compose grafana"
    datasources = bind_source(graf, "/etc/grafana/provisioning/datasources")
    urls = []
    if datasources and os.path.isdir(datasources):
        for f in sorted(os.listdir(datasources)):
            for ds in (yaml.safe_load(open(os.path.join(datasources, f))) or {}).get("datasources") or []:
                if ds.get("type") == "prometheus":
                    urls.append(ds.get("url"))
    if "http://prometheus:9090" not in urls:
        problem(where, f"no provisioned Prometheus data source at http://prometheus:9090 (found {urls})")
    providers_dir = bind_source(graf, "/etc/grafana/provisioning/dashboards")
    paths = []
    if providers_dir and os.path.isdir(providers_dir):
        for f in sorted(os.listdir(providers_dir)):
            for prov in (yaml.safe_load(open(os.path.join(providers_dir, f))) or {}).get("providers") or []:
                paths.append((prov.get("options") or {}).get("path"))
    dashboards = [p for p in paths if p and bind_source(graf, os.path.join(p, "meetflow.json"))]
    if not dashboards:
        problem(where, f"no dashboard provider reads a mounted meetflow.json (provider paths {paths})")


def parse_seconds(text):
    text = str(text)
    total, num = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1}
    for ch in text:
        if ch.isdigit() or ch == ".":
            num += ch
        elif ch in units and num:
            total += float(num) * units[ch]
            num = ""
    return total + (float(num) if num else 0)


def strict(node):
    """Reject unknown fields wherever the schema lists the known ones."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


def crd_validators():
    from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
    from cloudcoil.models.prometheus_operator.v1 import PodMonitor, PrometheusRule, ServiceMonitor

    return {
        model.__name__: jsonschema.Draft202012Validator(
            strict(model.model_json_schema(by_alias=True, mode="validation"))
        )
        for model in (ScaledObject, TriggerAuthentication, PodMonitor, ServiceMonitor, PrometheusRule)
    }


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def check_monitoring(label, by_kind, meetflow_pods, alerts):
    """The monitoring component's objects, when the rendered output has any."""
    monitors = by_kind.get("PodMonitor", {})
    service_monitors = by_kind.get("ServiceMonitor", {})
    prom_rules = by_kind.get("PrometheusRule", {})
    if not (monitors or service_monitors or prom_rules):
        return
    for name, sm in service_monitors.items():
        for ep in sm["spec"].get("endpoints", []):
            if not ep.get("honorLabels"):
                problem(f"{label} ServiceMonitor/{name}", "needs honorLabels: true (its `service` target label would rename meetflow_build_info's `service`)")
    for dep_name, (pod_labels, ports) in meetflow_pods.items():
        scraped = any(
            selects(pm["spec"].get("selector", {}), pod_labels)
            and any(ep.get("port") in ports for ep in pm["spec"].get("podMetricsEndpoints", []))
            for pm in monitors.values()
        ) or bool(service_monitors)
        if not scraped:
            problem(f"{label} Deployment/{dep_name}", "no PodMonitor scrapes its pods on the ops port")
        served = any(
            selects({"matchLabels": svc["spec"].get("selector") or {}}, pod_labels)
            and svc["spec"].get("selector")
            and any(p.get("targetPort") in ("ops", OPS_PORT) and p.get("port") == OPS_PORT for p in svc["spec"].get("ports", []))
            for svc in by_kind.get("Service", {}).values()
        )
        if not served:
            problem(f"{label} Deployment/{dep_name}", f"no Service exposes its ops port {OPS_PORT}")
    for name in monitors:
        if "meetflow" not in name:
            problem(f"{label} PodMonitor/{name}", "its job (<namespace>/<name>) must match `.*meetflow.*` (MeetflowScrapeTargetDown)")
    if not prom_rules:
        problem(label, "monitoring without a PrometheusRule")
    for name, rule in prom_rules.items():
        if rule["spec"].get("groups") != alerts["groups"]:
            problem(f"{label} PrometheusRule/{name}", "groups differ from deploy/prometheus/alerts.yaml (regenerate it)")


def check_k8s(label, path, namespace, validators, alerts):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    deployments = by_kind.get("Deployment", {})
    scaled = by_kind.get("ScaledObject", {})
    pdb_selectors = [
        p["spec"]["selector"]["matchLabels"] for p in by_kind.get("PodDisruptionBudget", {}).values()
    ]
    served = {}
    meetflow_pods = {}
    for name, dep in deployments.items():
        where = f"{label} Deployment/{name}"
        pod = dep["spec"]["template"]["spec"]
        main = pod["containers"][0]
        if (main.get("command") or [None])[0] not in BINARIES:
            continue
        ports = {p.get("name") for p in main.get("ports", []) if p.get("containerPort") == OPS_PORT}
        meetflow_pods[name] = (dep["spec"]["template"]["metadata"]["labels"], ports | {OPS_PORT})
        probes = {
            kind: (main.get(kind) or {}).get("httpGet", {})
            for kind in ("livenessProbe", "readinessProbe")
        }
        if probes["livenessProbe"].get("path") != "/healthz":
            problem(where, "livenessProbe must GET /healthz on the ops port")
        if probes["readinessProbe"].get("path") != "/readyz":
            problem(where, "readinessProbe must GET /readyz on the ops port")
        for kind, probe in probes.items():
            if probe and probe.get("port") not in ("ops", 9090):
                problem(where, f"{kind} must use the ops port")
        res = main.get("resources", {})
        if not res.get("requests") or not res.get("limits", {}).get("memory"):
            problem(where, "needs resource requests and a memory limit")
        if main["command"][0] == "meetflow-worker":
            queues = flag_value(main.get("args", []), "--queues")
            if not queues:
                problem(where, "worker without --queues")
                continue
            for q in queues.split(","):
                served[q] = name
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if grace <= WORKER_DRAIN_SECONDS:
                problem(where, f"terminationGracePeriodSeconds {grace} must exceed the {WORKER_DRAIN_SECONDS} s drain")
        labels = dep["spec"]["template"]["metadata"]["labels"]
        has_pdb = any(all(labels.get(k) == v for k, v in sel.items()) for sel in pdb_selectors)
        if not has_pdb and main["command"][0] != "meetflow-admin":
            problem(where, "no PodDisruptionBudget selects its pods")
        if name in scaled and "replicas" in dep["spec"]:
            problem(where, "scaled by KEDA: leave spec.replicas out (apply would fight the HPA)")
    if deployments:
        for q in QUEUES:
            if q not in served:
                problem(label, f"no worker Deployment serves queue `{q}`")
    check_monitoring(label, by_kind, meetflow_pods, alerts)
    for kind in validators:
        for name, doc in by_kind.get(kind, {}).items():
            for err in validators[kind].iter_errors(doc):
                path_text = "/".join(str(p) for p in err.absolute_path)
                problem(f"{label} {kind}/{name}", f"{path_text}: {err.message}")
    for name, so in scaled.items():
        where = f"{label} ScaledObject/{name}"
        target = so["spec"]["scaleTargetRef"]["name"]
        dep = deployments.get(target)
        if dep is None:
            problem(where, f"scaleTargetRef `{target}` is not a Deployment here")
            continue
        queues = flag_value(dep["spec"]["template"]["spec"]["containers"][0].get("args", []), "--queues")
        for trig in so["spec"]["triggers"]:
            meta = trig.get("metadata", {})
            if trig["type"] != "redis":
                continue
            if label != "base" and KEDA_ADDRESS_PLACEHOLDER in str(meta.get("address", "")):
                problem(where, "the redis trigger's address is still the base placeholder: set it in the overlay (keda-redis ConfigMap + replacement)")
            unknown = set(meta) - REDIS_TRIGGER_KEYS
            if unknown:
                problem(where, f"unknown redis trigger metadata {sorted(unknown)}")
            want = f"{{{namespace}}}:q:{queues}:ready"
            if meta.get("listName") != want:
                problem(where, f"listName `{meta.get('listName')}` must be `{want}` (the ready LIST of the queue its target serves)")
            if not str(meta.get("listLength", "")).isdigit():
                problem(where, "listLength must be a whole number in a string")
            auth = (trig.get("authenticationRef") or {}).get("name")
            if auth and auth not in by_kind.get("TriggerAuthentication", {}):
                problem(where, f"authenticationRef `{auth}` is not defined")
    for name, sts in by_kind.get("StatefulSet", {}).items():
        if name == "redis":
            conf = "".join(
                cm["data"].get("redis.conf", "") for cm in by_kind.get("ConfigMap", {}).values()
            )
            redis_args_durable(f"{label} redis.conf", [" ".join(line.split()) for line in conf.splitlines()])


def main():
    compose_json, config_file, alerts_file, *rendered = sys.argv[1:]
    config = yaml.safe_load(open(config_file))
    namespace = (config.get("redis") or {}).get("namespace", "meetflow")
    alerts = yaml.safe_load(open(alerts_file))
    check_compose(compose_json, alerts_file)
    validators = crd_validators()
    for item in rendered:
        label, path = item.split("=", 1)
        check_k8s(label, path, namespace, validators, alerts)
    for line in problems:
        print(f"PROBLEM {line}")
    print(f"check_deploy: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
