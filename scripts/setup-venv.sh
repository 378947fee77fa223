#!/usr/bin/env bash
# Creates .venv (or $PIPELINES_VENV) with the Python tools from requirements-dev.txt:
# moto (the local AWS server the tests start), cfn-lint, aws-sam-cli, cargo-lambda, ziglang; and
# checkov from requirements-checkov.txt in a venv of its own ($venv/checkov, linked as
# $venv/bin/checkov), since its pinned boto3 and networkx conflict with aws-sam-cli and moto; and
# the botocore of requirements-shapes.txt in $venv/shapes, for scripts/gen-service-shapes.py (its
# pin is the one the checked-in asl/data/service-shapes.json was generated from).
# Re-running is cheap: nothing is installed when neither requirements file has changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PIPELINES_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"
want="$(cat "$root/requirements-dev.txt" "$root/requirements-checkov.txt" "$root/requirements-shapes.txt" | sha256sum | cut -d' ' -f1)"

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
echo "setup-venv: installing requirements-checkov.txt into $venv/checkov"
[ -x "$venv/checkov/bin/python" ] || "$python" -m venv "$venv/checkov"
"$venv/checkov/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-checkov.txt"
ln -sf "$venv/checkov/bin/checkov" "$venv/bin/checkov"
echo "setup-venv: installing requirements-shapes.txt into $venv/shapes"
[ -x "$venv/shapes/bin/python" ] || "$python" -m venv "$venv/shapes"
"$venv/shapes/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-shapes.txt"
echo "$want" > "$stamp"
for tool in moto_server cfn-lint sam cargo-lambda checkov; do
  [ -x "$venv/bin/$tool" ] || { echo "setup-venv: $tool missing after install" >&2; exit 1; }
done
"$venv/shapes/bin/python" -c 'import botocore' || { echo "setup-venv: botocore missing from $venv/shapes after install" >&2; exit 1; }
echo "setup-venv: ready"
