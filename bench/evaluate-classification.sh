#!/usr/bin/env bash
# Benchmark of evaluate-model-metrics on classification: a 10-million-row multiclass file
# (10 classes with probabilities, ~830 MB) and a 10-million-row binary-score file (~250 MB),
# side by side in one run with the pandas + scikit-learn code a Python team would write: wall
# time (best and median of $RUNS) and peak RSS of the best run.
# usage: [KINDS="multiclass binary"] bench/evaluate-classification.sh [ROWS]   (bench/data/ holds the files)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rows="${1:-10000000}"
RUNS="${RUNS:-3}"
KINDS="${KINDS:-multiclass binary}"
venv="bench/.venv-sklearn"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scikit-learn pandas numpy
fi
mkdir -p bench/data
suffix="$rows"
[ "$rows" = 10000000 ] && suffix="10m"
for kind in $KINDS; do
  data="bench/data/$kind-$suffix.csv"
  [ -f "$data" ] || { echo "generating $data"; "$venv/bin/python" bench/generate_classification_data.py "$kind" "$data" "$rows"; }
done
# -p keeps the SDK crates' features those of this crate alone (a workspace-wide build would
# rebuild them); NO_BUILD=1 uses the release example already built.
[ "${NO_BUILD:-0}" = 1 ] || flock /tmp/cargo.lock cargo build --quiet --release -p evaluate-model-metrics --example evaluate_local
classes='["bumper", "crack", "dent", "glass", "light", "none", "paint", "rust", "scratch", "tire"]'
probabilities=$("$venv/bin/python" -c "import json; print(json.dumps({c: 'p_' + c for c in $classes}))")
cat > bench/data/event-multiclass.json <<JSON
{"model_uri": "s3://bench/model.tar.gz", "predictions_uri": "file://$root/bench/data/multiclass-$suffix.csv",
 "task": "multiclass", "actual_column": "label", "classes": $classes,
 "probability_columns": $probabilities, "top_k": 3, "segment_columns": ["region"]}
JSON
cat > bench/data/event-binary.json <<JSON
{"model_uri": "s3://bench/model.tar.gz", "predictions_uri": "file://$root/bench/data/binary-$suffix.csv",
 "task": "binary", "actual_column": "label", "score_column": "score", "segment_columns": ["region"]}
JSON

best() { # label, pattern shown beside the time, command...: best and median wall time over $RUNS runs, and the best run's peak RSS
  local label="$1" pattern="$2"; shift 2
  local best_s="" best_kb="" line times=()
  for _ in $(seq "$RUNS"); do
    line=$( { /usr/bin/time -f "TIME %e %M" "$@" > /tmp/bench-class-out.txt; } 2>&1 | grep '^TIME' )
    read -r _ s kb <<< "$line"
    times+=("$s")
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_kb=$kb; fi
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  printf '%-8s %7.2f s (median %7.2f s) %6.0f MB   %s\n' "$label" "$best_s" "$median" \
    "$(echo "$best_kb/1024" | bc -l)" "$(grep -oE "$pattern" /tmp/bench-class-out.txt | head -1 | tr -d ' \n')"
}

for kind in $KINDS; do
  data="bench/data/$kind-$suffix.csv"
  pattern='"accuracy": [0-9.]+|accuracy=[0-9.]+'
  [ "$kind" = binary ] && pattern='"roc_auc": [0-9.]+|roc_auc=[0-9.]+'
  echo "== $kind: $data ($(du -m "$data" | cut -f1) MB, $rows rows), best and median of $RUNS"
  best rust "$pattern" target/release/examples/evaluate_local "bench/data/event-$kind.json"
  best sklearn "$pattern" "$venv/bin/python" bench/sklearn_classification.py "$kind" "$data"
done
