#!/usr/bin/env bash
# System tools the tests need beyond the Python venv: promtool (Debian's `prometheus` package)
# for the alert-rule tests, and Chromium (Debian's `chromium` package) for the report-page tests
# that open the HTML in a real headless browser. Installs what is missing with apt-get when this
# user may; otherwise says what to run. Starts no Prometheus server.
set -euo pipefail
missing=()
if command -v promtool >/dev/null 2>&1; then
  echo "setup-tools: promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}') present"
else
  missing+=(prometheus)
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "setup-tools: $( (chromium --version || chromium-browser --version) 2>/dev/null | head -1) present"
else
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-tools: installing ${missing[*]} (apt-get install)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The prometheus package may start a server; the tests need only the promtool binary.
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    (systemctl stop prometheus 2>/dev/null || service prometheus stop 2>/dev/null || pkill -x prometheus 2>/dev/null) || true
  fi
  command -v promtool >/dev/null || { echo "setup-tools: promtool still missing" >&2; exit 1; }
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
    || { echo "setup-tools: chromium still missing" >&2; exit 1; }
else
  echo "setup-tools: missing ${missing[*]}: install Debian's packages (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
