#!/usr/bin/env bash
# Expression evaluation on the jsonata-js 2.0.6 suite: the engine's JSONata (criterion) and
# jsonata-js on Node, side by side. Needs node and npm (installs jsonata@2.0.6 locally).
set -euo pipefail
cd "$(dirname "$0")/.."
(cd bench/jsonata-node && npm install --silent --no-audit --no-fund >/dev/null)
node bench/jsonata-node/suite.js "${JSONATA_SUITE:-$(cd .. && pwd)/shared/conformance/jsonata-suite}" 10
cargo bench -p asl --bench jsonata -- suite 2>&1 | grep -E "suite:|time:|thrpt:"
echo "asl per expression = criterion time / the expression count printed above"
