#!/bin/bash
# Container health probe for the meetflow image: GET one of the ops endpoints of the binary in
# this container and succeed only on HTTP 200.
#
# Why a bash script: the runtime image carries no curl or wget (fewer packages, no TLS stack to
# patch); bash's /dev/tcp is enough for a plain-HTTP request to 127.0.0.1.
#
# Usage: meetflow-healthcheck [PATH]        PATH defaults to /healthz (use /readyz for readiness)
# Port: MEETFLOW_HEALTHCHECK_PORT, else the port of MEETFLOW__OPS__LISTEN, else 9090.
set -euo pipefail

path="${1:-/healthz}"
listen="${MEETFLOW__OPS__LISTEN:-0.0.0.0:9090}"
port="${MEETFLOW_HEALTHCHECK_PORT:-${listen##*:}}"

exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 3 status_line <&3
exec 3<&-
case "$status_line" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "meetflow-healthcheck: ${path} answered '${status_line%$'\r'}'" >&2; exit 1 ;;
esac
