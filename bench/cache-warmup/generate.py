"""Writes N synthetic daily forecasts (JSON Lines, half of the files gzip) to a folder.

usage: generate.py OUT_DIR [N] [FILES]
"""
import gzip
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
total = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
files = int(sys.argv[3]) if len(sys.argv) > 3 else 4
out.mkdir(parents=True, exist_ok=True)
per_file = -(-total // files)
written = 0
for f in range(files):
    name = f"part-{f:05d}.jsonl" + (".gz" if f % 2 else "")
    opener = gzip.open if name.endswith(".gz") else open
    with opener(out / name, "wt") as handle:
        for i in range(written, min(total, written + per_file)):
            store, item = divmod(i, 5000)
            p50 = round(10 + (i * 7919 % 1000) / 10, 2)
            handle.write(json.dumps({
                "store_id": f"S{store:03d}",
                "item_id": f"I{item:05d}",
                "forecast_for": "2026-11-27",
                "p10": round(p50 * 0.8, 2),
                "p50": p50,
                "p90": round(p50 * 1.25, 2),
                "model_version": "demand-forecast-2026-11-22",
            }) + "\n")
        written = min(total, written + per_file)
print(f"{written} forecasts in {files} files under {out}")
