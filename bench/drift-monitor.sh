#!/usr/bin/env bash
# Benchmark of drift-monitor's monitor mode on a generated 24-hour SageMaker Data Capture window
# (ROWS capture records x 20 features + the prediction, plain JSON Lines, one file per hour), side
# by side with the json + pandas + numpy + scipy code a Python team would write, in one run: wall
# time and peak RSS (/usr/bin/time), best of $RUNS. Both read the same files and report the same
# drifted features.
# usage: bench/drift-monitor.sh [ROWS]   (default 10000000; data in bench/data/drift/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows="${1:-10000000}"
RUNS="${RUNS:-1}"
venv="bench/.venv"
data="bench/data/drift"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import numpy, pandas, scipy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet numpy pandas scipy
fi
if [ ! -f "$data/rows-$rows" ]; then
  rm -rf "$data"
  echo "generating $rows capture rows in $data"
  "$venv/bin/python" bench/generate_drift_data.py "$rows"
  touch "$data/rows-$rows"
fi
# NO_BUILD=1 uses the release example already built (e.g. by a build without LTO).
[ "${NO_BUILD:-0}" = 1 ] || flock /tmp/cargo.lock cargo build --quiet --release -p drift-monitor --example drift_local

cat > "$data/baseline-event.json" <<JSON
{"mode": "baseline", "model_name": "bench-model", "training_data_uri": "file://$root/$data/training.csv",
 "categorical_features": ["f18", "f19"], "prediction_column": "prediction",
 "output_uri": "file://$root/$data/baseline.json"}
JSON
cat > "$data/monitor-event.json" <<JSON
{"mode": "monitor", "model_name": "bench-model", "baseline_uri": "file://$root/$data/baseline.json",
 "capture_prefix": "file://$root/$data/capture", "window_end": "2026-11-30T00:00:00Z",
 "window_hours": 24, "report_prefix": "file://$root/$data/reports", "publish": false}
JSON
target/release/examples/drift_local "$data/baseline-event.json" > /dev/null

best() { # label, summary filter, command...: best wall time over $RUNS runs and its peak RSS
  local label="$1" filter="$2"; shift 2
  local best_s="" best_kb="" line
  for _ in $(seq "$RUNS"); do
    line=$( { /usr/bin/time -f "TIME %e %M" "$@" > /tmp/drift-bench-out.txt; } 2>&1 | grep '^TIME' )
    read -r _ s kb <<< "$line"
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_kb=$kb; fi
  done
  printf '%-8s %7.2f s %8.0f MB   %s\n' "$label" "$best_s" "$(echo "$best_kb/1024" | bc -l)" \
    "$("$venv/bin/python" -c "import json,sys; d=json.load(open('/tmp/drift-bench-out.txt')); $filter")"
  last_s=$best_s
}

echo "== monitor over $(du -sm "$data/capture" | cut -f1) MB of capture ($rows rows x 20 features), best of $RUNS"
# The Rust monitor counts capture files in parallel on tokio's worker threads (one per core) with
# at most min(cores, 4) files in flight; pandas is single-threaded.
echo "   cores: $(nproc) (the Rust monitor's threads), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
best rust "print('rows', d['rows'], 'drifted', d['drifted_features'])" \
  target/release/examples/drift_local "$data/monitor-event.json"
rust_s=$last_s
best pandas "print('rows', d['rows'], 'drifted', d['drifted'])" \
  "$venv/bin/python" bench/pandas_drift.py "$data/training.csv" "$data/capture"
printf 'rust is %.1fx faster than pandas\n' "$(echo "$last_s/$rust_s" | bc -l)"
