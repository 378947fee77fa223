#!/usr/bin/env bash
# `sam build` on an x86_64 copy of the template: checks the SAM / cargo-lambda build of every
# function on a machine without the aarch64 Rust target, then starts the built evaluate function
# against a minimal Lambda Runtime API with a sample event. The artefacts (target/sam-x86) are a
# check, not a deployable: the stack runs on arm64 (`make build` / `make build-arm64`).
set -euo pipefail
cd "$(dirname "$0")/.."
copy=.sam-x86-check.yaml # beside the original: the functions' CodeUri is relative to it
trap 'rm -f "$copy"' EXIT
sed 's/^      - arm64$/      - x86_64/' sam-template.yaml > "$copy"
grep -q '^      - x86_64$' "$copy" || { echo "sam-build-x86: no 'Architectures: - arm64' in sam-template.yaml" >&2; exit 1; }
PATH="$PWD/.venv/bin:$PATH" sam build --template-file "$copy" --build-dir target/sam-x86 "$@"
ls -l target/sam-x86/*/bootstrap
echo "sam-build-x86: the built evaluate-model-metrics answers a sample event:"
python3 bench/runtime_api.py events/evaluate-model-metrics/csv-file.json 1 -- \
  target/sam-x86/EvaluateModelMetricsFunction/bootstrap
