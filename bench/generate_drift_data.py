#!/usr/bin/env python3
"""Benchmark data for drift-monitor: a training CSV (200,000 rows x 20 features + prediction) and
SageMaker Data Capture JSON Lines for a 24-hour window (ROWS rows in all, default 10,000,000),
one file per hour under bench/data/drift/capture/2026/11/29/HH/, with a mean shift in f00 and a
new category in f19. Deterministic (seed 7). To save time the first UNIQUE_HOURS (4) hours are
drawn and the others are copies of them (the rows repeat; the work of reading them does not).
Usage: generate_drift_data.py [ROWS]
"""
import json
import os
import shutil
import sys

import numpy as np
import pandas as pd

OUT = os.path.join(os.path.dirname(__file__), "data", "drift")
FEATURES = [f"f{i:02d}" for i in range(20)]
CATEGORICAL = ["f18", "f19"]
CATEGORIES = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])


def frame(rng, n, shifted):
    columns = {}
    for i, name in enumerate(FEATURES):
        if name in CATEGORICAL:
            labels = CATEGORIES[rng.integers(0, 5, n)]
            if shifted and name == "f19":
                labels = np.where(rng.random(n) < 0.2, "zeta", labels)
            columns[name] = labels
        else:
            mean = 10.0 * i + (5.0 if shifted and name == "f00" else 0.0)
            columns[name] = np.round(rng.normal(mean, 1.0 + i / 10.0, n), 3)
    data = pd.DataFrame(columns)
    data.loc[rng.random(n) < 0.02, "f05"] = np.nan
    data["prediction"] = np.round(data["f00"] * 0.5 + data["f01"] + rng.normal(0, 1, n), 3)
    return data


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    rng = np.random.default_rng(7)
    os.makedirs(OUT, exist_ok=True)
    frame(rng, 200_000, False).to_csv(os.path.join(OUT, "training.csv"), index=False)
    per_hour = rows // 24
    chunk = 250_000
    unique_hours = 4
    for hour in range(24):
        folder = os.path.join(OUT, "capture", "2026", "11", "29", f"{hour:02d}")
        os.makedirs(folder, exist_ok=True)
        count = per_hour + (rows - per_hour * 24 if hour == 23 else 0)
        if unique_hours <= hour < 23:
            source = os.path.join(OUT, "capture", "2026", "11", "29", f"{hour % unique_hours:02d}", "capture.jsonl")
            shutil.copyfile(source, os.path.join(folder, "capture.jsonl"))
            print(f"hour {hour:02d}: {count} rows (copy)", file=sys.stderr)
            continue
        with open(os.path.join(folder, "capture.jsonl"), "w") as f:
            done = 0
            while done < count:
                n = min(chunk, count - done)
                data = frame(rng, n, True)
                inputs = data[FEATURES].to_csv(index=False, header=False).splitlines()
                outputs = data["prediction"].astype(str).tolist()
                f.write("".join(
                    '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":'
                    + json.dumps(x)
                    + ',"encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"'
                    + y
                    + '","encoding":"CSV"}},"eventMetadata":{"eventId":"'
                    + f"{hour:02d}-{done + k:09d}"
                    + '","inferenceTime":"2026-11-29T'
                    + f"{hour:02d}"
                    + ':30:00Z"},"eventVersion":"0"}\n'
                    for k, (x, y) in enumerate(zip(inputs, outputs))
                ))
                done += n
        print(f"hour {hour:02d}: {count} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
