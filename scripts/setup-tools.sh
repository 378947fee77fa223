#!/usr/bin/env bash
# System tools the tests need beyond the Python venv: promtool (Debian's `prometheus` package)
# for the alert-rule tests. Installs it with apt-get when missing and this user may; otherwise
# says what to run. Starts no Prometheus server.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  echo "setup-tools: promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}') present"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-tools: installing promtool (apt-get install prometheus)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package may start a server; the tests need only the promtool binary.
  (systemctl stop prometheus 2>/dev/null || service prometheus stop 2>/dev/null || pkill -x prometheus 2>/dev/null) || true
  command -v promtool >/dev/null || { echo "setup-tools: promtool still missing" >&2; exit 1; }
else
  echo "setup-tools: promtool is missing: install Debian's prometheus package (sudo apt-get install prometheus)" >&2
  exit 1
fi
