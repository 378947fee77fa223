#!/usr/bin/env python3
"""Independent reference values for drift-monitor's PSI and KS (numpy/scipy/pandas).

Generates, with a fixed seed, a training set and five live captures with known shifts (none,
mean shift, variance change, a new category, a feature gone null), writes them in the formats
the function reads (training CSV; SageMaker Data Capture JSON Lines, gzip, one folder per hour),
and computes the expected scores with numpy/scipy/pandas from the raw values, not from anything
the Rust code produced:

- numeric bins: inner edges np.quantile(train, [1/10 .. 9/10]) (NumPy's default linear method),
  repeated edges dropped; a value's bin is np.searchsorted(edges, x, side="left") (right-closed);
  missing values have their own bin; shares are of all rows;
- categories: shares of all rows; a category keeps its bin when its share >= 0.01 (at most 50,
  most frequent first), the rest and unseen labels go to "__other__"; missing values own a bin;
- PSI = sum((a - e) * ln(a / e)) with a zero share replaced by 1e-4;
- KS = scipy.stats.ks_2samp(train_non_null, live_non_null).statistic.

Run (from the workspace root; needs bench/.venv with numpy, scipy and pandas):

    python3 -m venv bench/.venv && bench/.venv/bin/pip install numpy scipy pandas
    bench/.venv/bin/python bench/drift_reference.py

It rewrites functions/drift-monitor/tests/fixtures/reference/ (data and expected.json);
the test functions/drift-monitor/tests/reference.rs compares the Rust results with it.
"""
import base64
import gzip
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy import stats

OUT = os.path.join(os.path.dirname(__file__), "..", "functions", "drift-monitor", "tests", "fixtures", "reference")
SEED = 20261130
TRAIN_ROWS = 3000
LIVE_ROWS = 2000
BINS = 10
EPSILON = 1e-4
MIN_SHARE = 0.01
MAX_CATEGORIES = 50
FEATURES = ["price", "quantity", "store_type", "discount"]
NUMERIC = ["price", "quantity", "discount"]
HOURS = ["2026/11/29/09", "2026/11/29/10"]  # the window is 08:00-11:00, hour 08 has no data
STORE_TYPES = ["urban", "suburban", "rural", "kiosk", "popup"]
STORE_SHARES = [0.5, 0.3, 0.145, 0.05, 0.005]


def draw(rng, n, price_mean=100.0, quantity_sd=10.0, stores=None, discount_null=0.1):
    stores = stores or (STORE_TYPES, STORE_SHARES)
    frame = pd.DataFrame({
        "price": np.round(rng.normal(price_mean, 15.0, n), 3),
        "quantity": np.round(rng.normal(50.0, quantity_sd, n), 2),
        "store_type": rng.choice(stores[0], size=n, p=stores[1]),
        "discount": np.round(rng.uniform(0.0, 0.3, n), 4),
    })
    frame.loc[rng.random(n) < discount_null, "discount"] = np.nan
    frame["prediction"] = np.round(2.0 * frame["price"] + 0.5 * frame["quantity"] + rng.normal(0, 5, n), 3)
    return frame


def text(value):
    if isinstance(value, float) and np.isnan(value):
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def csv_row(row):
    return ",".join(text(row[f]) for f in FEATURES)


def capture_line(row, i, encoding):
    if encoding == "JSON":
        data = json.dumps({f: (None if isinstance(row[f], float) and np.isnan(row[f]) else row[f]) for f in FEATURES})
        endpoint_input = {"observedContentType": "application/json", "mode": "INPUT", "data": data, "encoding": "JSON"}
        output = {"observedContentType": "application/json", "mode": "OUTPUT",
                  "data": json.dumps({"predictions": [{"score": row["prediction"]}]}), "encoding": "JSON"}
    elif encoding == "BASE64":
        data = base64.b64encode(csv_row(row).encode()).decode()
        endpoint_input = {"observedContentType": "text/csv", "mode": "INPUT", "data": data, "encoding": "BASE64"}
        output = {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                  "data": base64.b64encode(text(row["prediction"]).encode()).decode(), "encoding": "BASE64"}
    else:
        endpoint_input = {"observedContentType": "text/csv", "mode": "INPUT", "data": csv_row(row), "encoding": "CSV"}
        output = {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                  "data": text(row["prediction"]), "encoding": "CSV"}
    return json.dumps({
        "captureData": {"endpointInput": endpoint_input, "endpointOutput": output},
        "eventMetadata": {"eventId": f"evt-{i:08d}", "inferenceTime": "2026-11-29T10:00:00Z"},
        "eventVersion": "0",
    })


def numeric_edges(train):
    values = train.dropna().to_numpy()
    return np.unique(np.quantile(values, np.arange(1, BINS) / BINS))


def numeric_shares(column, edges):
    n = len(column)
    values = column.dropna().to_numpy()
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    return np.append(counts / n, (n - len(values)) / n)


def categorical_bins(train):
    counts = train.dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [label for label, count in ranked if count / len(train) >= MIN_SHARE][:MAX_CATEGORIES]


def categorical_shares(column, kept):
    n = len(column)
    labels = column.dropna()
    shares = [float((labels == k).sum()) / n for k in kept]
    shares.append(float((~labels.isin(kept)).sum()) / n)
    shares.append(float(column.isna().sum()) / n)
    return np.array(shares)


def psi(expected, actual):
    e = np.maximum(expected, EPSILON)
    a = np.maximum(actual, EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def scores(train, live, name):
    if name in NUMERIC or name == "prediction":
        edges = numeric_edges(train[name])
        value = psi(numeric_shares(train[name], edges), numeric_shares(live[name], edges))
        live_values = live[name].dropna().to_numpy()
        ks = float(stats.ks_2samp(train[name].dropna().to_numpy(), live_values).statistic) if len(live_values) else None
        return {"psi": value, "ks": ks}
    kept = categorical_bins(train[name])
    return {"psi": psi(categorical_shares(train[name], kept), categorical_shares(live[name], kept)), "ks": None}


def write_capture(frame, scenario, encodings):
    rows = frame.to_dict("records")
    half = len(rows) // 2
    for h, (hour, part) in enumerate(zip(HOURS, [rows[:half], rows[half:]])):
        folder = os.path.join(OUT, "capture", scenario, hour)
        os.makedirs(folder, exist_ok=True)
        with gzip.open(os.path.join(folder, "capture.jsonl.gz"), "wt", compresslevel=9) as f:
            for i, row in enumerate(part):
                f.write(capture_line(row, h * half + i, encodings[i % len(encodings)]) + "\n")


def main():
    rng = np.random.default_rng(SEED)
    train = draw(rng, TRAIN_ROWS)
    os.makedirs(OUT, exist_ok=True)
    train.to_csv(os.path.join(OUT, "training.csv"), index=False, float_format=None, na_rep="")
    scenarios = {
        "no_shift": (draw(rng, LIVE_ROWS), False),
        "mean_shift": (draw(rng, LIVE_ROWS, price_mean=115.0), True),
        "variance_change": (draw(rng, LIVE_ROWS, quantity_sd=25.0), True),
        "new_category": (draw(rng, LIVE_ROWS, stores=(STORE_TYPES + ["drive_thru"], [0.35, 0.2, 0.1, 0.05, 0.0, 0.3])), True),
        "feature_null": (draw(rng, LIVE_ROWS, discount_null=1.0), True),
    }
    expected = {
        "generator": "bench/drift_reference.py",
        "seed": SEED,
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
        "pandas": pd.__version__,
        "training_rows": TRAIN_ROWS,
        "baseline": {name: {"bin_edges": numeric_edges(train[name]).tolist(),
                            "null_rate": float(train[name].isna().mean())}
                     for name in NUMERIC + ["prediction"]},
        "baseline_categories": {"store_type": categorical_bins(train["store_type"])},
        "scenarios": {},
    }
    for scenario, (live, drifted) in scenarios.items():
        write_capture(live, scenario, ["CSV", "CSV", "JSON", "BASE64"])
        expected["scenarios"][scenario] = {
            "rows": len(live),
            "drift_expected": drifted,
            "features": {name: scores(train, live, name) for name in FEATURES},
            "prediction": scores(train, live, "prediction"),
        }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")
    for scenario, values in expected["scenarios"].items():
        line = ", ".join(f"{k} psi={v['psi']:.4f}" + (f" ks={v['ks']:.4f}" if v["ks"] is not None else "")
                         for k, v in values["features"].items())
        print(f"{scenario:16} {line}; prediction psi={values['prediction']['psi']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
