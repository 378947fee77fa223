#!/usr/bin/env bash
# Creates .venv (or $PIPELINES_VENV) with the Python tools from requirements-dev.txt:
# moto (the local AWS server the tests start), cfn-lint, aws-sam-cli, cargo-lambda, ziglang.
# Re-running is cheap: nothing is installed when requirements-dev.txt has not changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PIPELINES_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$root/requirements-dev.txt" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/python" ]; then
  echo "setup-venv: creating $venv"
  "$python" -m venv "$venv"
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup-venv: $venv is up to date"
  exit 0
fi
echo "setup-venv: installing requirements-dev.txt into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-dev.txt"
echo "$want" > "$stamp"
for tool in moto_server cfn-lint sam cargo-lambda; do
  [ -x "$venv/bin/$tool" ] || { echo "setup-venv: $tool missing after install" >&2; exit 1; }
done
echo "setup-venv: ready"
