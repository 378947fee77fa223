#!/usr/bin/env bash
# Benchmark of evaluate-model-metrics on a generated 10-million-row evaluation file (CSV, ~240 MB),
# side by side with the pandas + numpy and polars equivalents, in one run: wall time and peak
# memory (best of $RUNS), then the release binary's size and its start-up time to the first event
# next to a Python Lambda that imports boto3 and creates two clients.
# usage: bench/evaluate-metrics.sh [ROWS]   (results are printed; bench/data/ holds the file)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows="${1:-10000000}"
RUNS="${RUNS:-3}"
data="bench/data/eval-$rows.csv"
[ "$rows" = 10000000 ] && data="bench/data/eval-10m.csv"
venv="bench/.venv"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pandas numpy polars
fi
mkdir -p bench/data
[ -f "$data" ] || { echo "generating $data"; python3 bench/generate_eval_data.py "$data" "$rows"; }
cargo build --quiet --release --example evaluate_local --bin evaluate-model-metrics
event="bench/data/event.json"
cat > "$event" <<JSON
{"model_uri": "s3://bench/model.tar.gz", "predictions_uri": "file://$root/$data",
 "actual_column": "actual", "predicted_column": "prediction", "segment_columns": ["store_id"]}
JSON

best() { # label, command...: best and median wall time over $RUNS runs, and the best run's peak RSS
  local label="$1"; shift
  local best_s="" best_kb="" line times=()
  for _ in $(seq "$RUNS"); do
    line=$( { /usr/bin/time -f "TIME %e %M" "$@" > /tmp/bench-out.txt; } 2>&1 | grep '^TIME' )
    read -r _ s kb <<< "$line"
    times+=("$s")
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_kb=$kb; fi
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  printf '%-8s %6.2f s (median %5.2f s) %6.0f MB   %s\n' "$label" "$best_s" "$median" \
    "$(echo "$best_kb/1024" | bc -l)" "$(grep -o 'mape[^,]*' /tmp/bench-out.txt | head -1)"
}

echo "== metrics on $data ($(du -m "$data" | cut -f1) MB, $rows rows), best and median of $RUNS"
best rust target/release/examples/evaluate_local "$event"
best pandas "$venv/bin/python" bench/pandas_metrics.py "$data"
best polars "$venv/bin/python" bench/polars_metrics.py "$data"

# The same rows with every store id quoted, as CSV writers that quote strings produce them.
quoted="${data%.csv}-quoted.csv"
[ -f "$quoted" ] || { echo "generating $quoted"; sed -E '2,$ s/^([^,]*),/"\1",/' "$data" > "$quoted"; }
sed "s#$data#$quoted#" "$event" > bench/data/event-quoted.json
echo "== the same with quoted store ids ($quoted), best and median of $RUNS"
best rust target/release/examples/evaluate_local bench/data/event-quoted.json
best pandas "$venv/bin/python" bench/pandas_metrics.py "$quoted"
best polars "$venv/bin/python" bench/polars_metrics.py "$quoted"

echo "== release binary"
ls -l target/release/evaluate-model-metrics | awk '{printf "size: %.1f MB (%d bytes)\n", $5/1048576, $5}'
echo "== start-up to first event (median of 10)"
printf 'rust:   '; python3 bench/runtime_api.py events/evaluate-model-metrics/csv-file.json 10 -- target/release/evaluate-model-metrics
printf 'python: '; python3 bench/runtime_api.py events/evaluate-model-metrics/csv-file.json 10 -- "$root/.venv/bin/python" bench/python_lambda_boot.py
