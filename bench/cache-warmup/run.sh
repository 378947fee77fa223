#!/usr/bin/env bash
# Benchmark: cache-warmup (Rust) against boto3's Table.batch_writer (Python), same moto server,
# same forecast files, same item layout. Starts moto on 127.0.0.1 (a free port), generates N
# forecasts (default 200,000) in 4 JSON Lines files (2 of them gzip) under
# s3://bench-forecasts/daily/2026-11-27/, loads them into two fresh tables, checks both tables
# hold N items and prints items/s for each.
#
#   bench/cache-warmup/run.sh                    # 200,000 items, Rust built in debug
#   N=20000 CONCURRENCY=16 bench/cache-warmup/run.sh
#   RELEASE=1 bench/cache-warmup/run.sh          # Rust built in release (slow to build)
#
# moto is a single Python process: both numbers measure the client against that server, which is
# the bottleneck; they compare the clients, not DynamoDB.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${VENV:-${PIPELINES_VENV:-$root/.venv}}"
python="$venv/bin/python"
[[ -x "$python" && -x "$venv/bin/moto_server" ]] || { echo "no moto in $venv: run make venv" >&2; exit 1; }
n="${N:-200000}"
concurrency="${CONCURRENCY:-8}"
profile_flag=(); profile=debug
if [[ "${RELEASE:-0}" == 1 ]]; then profile_flag=(--release); profile=release; fi

work="$(mktemp -d)"
moto_pid=""
cleanup() {
    if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== building the Rust side ($profile)"
(cd "$root" && cargo build -q -p cache-warmup --example warm_local "${profile_flag[@]}")
binary="$root/target/$profile/examples/warm_local"

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_SESSION_TOKEN=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 100); do
    "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.1
done
echo "== moto on $AWS_ENDPOINT_URL (pid $moto_pid)"

"$python" "$root/bench/cache-warmup/generate.py" "$work/data" "$n" 4
"$python" - "$work/data" <<'PY'
import sys
from pathlib import Path
import boto3
s3 = boto3.client("s3")
s3.create_bucket(Bucket="bench-forecasts")
for path in sorted(Path(sys.argv[1]).iterdir()):
    s3.upload_file(str(path), "bench-forecasts", f"daily/2026-11-27/{path.name}")
ddb = boto3.client("dynamodb")
for table in ("cache-rust", "cache-boto3"):
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "forecast_date", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "forecast_date", "KeyType": "RANGE"}])
print("uploaded; tables cache-rust and cache-boto3 created")
PY

echo "== Rust: cache-warmup, WRITE_CONCURRENCY=$concurrency"
echo '{"date": "2026-11-27"}' >"$work/event.json"
start=$(date +%s.%N)
CACHE_TABLE_NAME=cache-rust FORECAST_LOCATION="s3://bench-forecasts/daily/{date}/" KEY_FIELDS=store_id,item_id \
    WRITE_CONCURRENCY="$concurrency" RUST_LOG=warn "$binary" "$work/event.json" >"$work/rust.json"
end=$(date +%s.%N)
rust_line="$("$python" - "$work/rust.json" "$start" "$end" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
secs = out["duration_ms"] / 1000
print(json.dumps({"items_written": out["items_written"], "items_failed": out["items_failed"],
                  "seconds": round(secs, 3), "wall_seconds": round(wall, 3),
                  "items_per_second": round(out["items_written"] / secs, 1),
                  "throttled_requests": out["throttled_requests"], "write_requests": out["write_requests"]}))
PY
)"
echo "$rust_line"

echo "== Python: boto3 Table.batch_writer"
python_line="$("$python" "$root/bench/cache-warmup/boto3_batch_writer.py" bench-forecasts daily/2026-11-27/ cache-boto3)"
echo "$python_line"

echo "== checking both tables"
"$python" - "$n" <<'PY'
import sys
import boto3
ddb = boto3.client("dynamodb")
for table in ("cache-rust", "cache-boto3"):
    # moto counts the items on every DescribeTable (a full Scan of 200,000 items takes minutes).
    count = ddb.describe_table(TableName=table)["Table"]["ItemCount"]
    status = "ok" if count == int(sys.argv[1]) else "MISMATCH"
    print(f"{table}: {count} items ({status})")
PY

"$python" - "$rust_line" "$python_line" "$n" "$profile" "$concurrency" <<'PY'
import json, sys
rust, boto, n, profile, concurrency = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
print(f"\n{n} items against one moto server on 127.0.0.1")
rust_label = f"cache-warmup (Rust, {profile}, {concurrency} in flight)"
boto_label = "boto3 Table.batch_writer (Python, sequential)"
width = max(len(rust_label), len(boto_label))
print(f"  {rust_label:<{width}} {rust['items_per_second']:>9.1f} items/s ({rust['seconds']} s)")
print(f"  {boto_label:<{width}} {boto['items_per_second']:>9.1f} items/s ({boto['seconds']} s)")
print(f"  ratio: {rust['items_per_second'] / boto['items_per_second']:.2f}x")
PY
