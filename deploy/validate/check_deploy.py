"""Engine-free checks of meetflow's deploy files that no generic schema covers.

Run by scripts/validate-deploy.sh with the tools venv's Python, after the schema validators.
Inputs: the compose file rendered by `docker-compose config --format json`, the Kubernetes
manifests rendered by `kubectl kustomize` (base, production overlay, redis) and the k8s config
file. Prints one line per problem and exits 1 if there is any.

What it checks, and why:
- every queue (events, brevo, sms, zoom) has a worker in compose and in Kubernetes, so no job
  waits forever;
- Redis is durable: AOF on, appendfsync everysec, maxmemory-policy noeviction (compose, k8s);
- compose: every meetflow service waits for a healthy Redis and has a healthcheck;
- Kubernetes: probes on the ops endpoints, worker grace >= 30 s drain + margin, PDBs;
- KEDA: ScaledObject and TriggerAuthentication against a strict JSON schema derived from the
  cloudcoil-models-keda package (generated from KEDA's CRDs; unknown fields rejected), redis
  trigger metadata keys known to the KEDA Redis Lists scaler, and `listName` equal to the queue
  core's ready LIST `{<redis.namespace>}:q:<queue>:ready` of the queue its target serves.
"""

import json
import sys

import jsonschema
import yaml

QUEUES = ["events", "brevo", "sms", "zoom"]
BINARIES = {"meetflow-ingest", "meetflow-worker", "meetflow-scheduler", "meetflow-admin"}
WORKER_DRAIN_SECONDS = 30
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


def check_compose(path):
    services = json.load(open(path))["services"]
    if "redis" not in services:
        problem("compose", "no redis service")
    else:
        redis_args_durable("compose redis", services["redis"].get("command") or [])
        if not any(v.get("target") == "/data" for v in services["redis"].get("volumes", [])):
            problem("compose redis", "no volume on /data (the AOF would die with the container)")
    served = set()
    for name, svc in services.items():
        entry = (svc.get("entrypoint") or [None])[0]
        if entry not in BINARIES:
            continue
        where = f"compose {name}"
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


def keda_validators():
    from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication

    return {
        model.__name__: jsonschema.Draft202012Validator(
            strict(model.model_json_schema(by_alias=True, mode="validation"))
        )
        for model in (ScaledObject, TriggerAuthentication)
    }


def check_k8s(label, path, namespace, validators):
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
    for name, dep in deployments.items():
        where = f"{label} Deployment/{name}"
        pod = dep["spec"]["template"]["spec"]
        main = pod["containers"][0]
        if (main.get("command") or [None])[0] not in BINARIES:
            continue
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
    for kind in ("ScaledObject", "TriggerAuthentication"):
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
    compose_json, config_file, *rendered = sys.argv[1:]
    config = yaml.safe_load(open(config_file))
    namespace = (config.get("redis") or {}).get("namespace", "meetflow")
    check_compose(compose_json)
    validators = keda_validators()
    for item in rendered:
        label, path = item.split("=", 1)
        check_k8s(label, path, namespace, validators)
    for line in problems:
        print(f"PROBLEM {line}")
    print(f"check_deploy: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
