#!/usr/bin/env bash
# Drives the meetflow-admin web page in real headless Chromium (tests/it/admin/browser.rs runs
# this with ADMIN_URL, ADMIN_TOKEN, DEAD_JOB_ID, OTHER_JOB_ID and SCREENSHOT_DIR set; with a
# script name as argument, e.g. `run.sh roles.mjs`, or BROWSER_SCRIPT=jobs.mjs, it runs that script
# instead of admin.mjs).
# Installs what a fresh machine lacks: Debian's `chromium` package and playwright-core (the
# library only; it drives the system Chromium and downloads no browser).
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser: installing chromium (Debian package)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1; then
  echo "browser: installing nodejs" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# Browser tests run in parallel: one installs while the others wait for it.
exec 9>.install.lock
flock 9
if [ ! -f node_modules/playwright-core/package.json ]; then
  echo "browser: installing playwright-core" >&2
  npm ci --no-audit --no-fund --silent
fi
flock -u 9
exec 9>&-
exec node "${1:-${BROWSER_SCRIPT:-admin.mjs}}"
