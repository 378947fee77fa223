#!/usr/bin/env bash
# The 10,001-transition Choice loop (5,000 x Inc, 5,000 x Check, Done) as a whole
# `pipelines exec` process: written in JSONata with its counter in a workflow variable, side by
# side with the JSONPath loop of ../shared/bench/loop.json (counter in the state data), in one
# run. Wall time per run (process start to exit, input parsing and JSON output included), best
# and median of $RUNS, runs of the two interleaved; every run's output is checked (status
# SUCCEEDED; output 5000 for the JSONata loop, {"i": 5000} for the JSONPath one).
# The in-process numbers of the same two loops: `cargo bench -p asl --bench jsonata -- loop`.
# usage: bench/jsonata-exec-loop.sh   (RUNS=20; ASL_BENCH_DIR=../shared/bench; NO_BUILD=1)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
RUNS="${RUNS:-20}"
bench_dir="${ASL_BENCH_DIR:-$(cd .. && pwd)/shared/bench}"
for f in loop.json loop.input.json; do
  [ -f "$bench_dir/$f" ] || { echo "$bench_dir/$f not found; set ASL_BENCH_DIR" >&2; exit 2; }
done
# NO_BUILD=1 uses the release binary already built.
[ "${NO_BUILD:-0}" = 1 ] || flock /tmp/cargo.lock cargo build --quiet --release --bin pipelines
bin="$root/target/release/pipelines"
[ -x "$bin" ] || { echo "$bin not found (build it, or drop NO_BUILD=1)" >&2; exit 2; }

# The loop `asl/benches/jsonata.rs` runs in-process.
jsonata_def="$root/bench/jsonata-loop.asl.json"

echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), RUNS=$RUNS"
python3 - "$RUNS" "$bin" "$jsonata_def" "$bench_dir" <<'PY'
import json, statistics, subprocess, sys, time

runs, binary, jsonata_def, bench_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cases = {
    "jsonata_variable": ([binary, "exec", "--definition", jsonata_def, "--input", "{}"], 5000),
    "jsonpath": ([binary, "exec", "--definition", f"{bench_dir}/loop.json",
                  "--input", f"{bench_dir}/loop.input.json"], {"i": 5000}),
}
times = {name: [] for name in cases}
# One untimed run of each first (page cache, binary loaded), then the two alternate.
for i in range(runs + 1):
    for name, (cmd, want) in cases.items():
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{name}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
        result = json.loads(done.stdout)
        if result.get("status") != "SUCCEEDED" or result.get("output") != want:
            sys.exit(f"{name}: unexpected result {result}")
        if i > 0:
            times[name].append(wall)

for name, ts in times.items():
    print(f"{name:>17}: best {min(ts) * 1e3:8.2f} ms  median {statistics.median(ts) * 1e3:8.2f} ms"
          f"  per transition (median) {statistics.median(ts) / 10001 * 1e9:6.0f} ns")
a, p = times["jsonata_variable"], times["jsonpath"]
print(f"jsonata / jsonpath: best {min(a) / min(p):.2f}x  median "
      f"{statistics.median(a) / statistics.median(p):.2f}x  (all {runs} runs of each: output checked)")
PY
